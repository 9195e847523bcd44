"""Where labels are loaded from and saved to: source, scored sibling, journal.

Opening ``night1.csv``:

1. A journal ``night1.csv.loupe-journal`` exists: if its last entry is a save
   marker whose file is on disk, the save finished, so the journal is deleted.
   Otherwise its header names the base (``night1.csv`` or
   ``night1.scored.csv``, or "not yet created") and that base's identity; the
   base must be unchanged (else LabelFileError, journal kept); it is loaded
   and the journal replayed.
2. Else, without writeback, ``night1.scored.csv`` (the sibling a previous save
   wrote) is loaded when it exists: it holds the user's work. If
   ``night1.csv`` was modified after that save, the open message says so
   loudly (the sibling is still the one loaded; the original is untouched).
3. Else the source itself; or nothing, if it does not exist yet.

``save()`` writes the source only with writeback, or when the source did not
exist (nothing to protect); otherwise the sibling. It refuses to overwrite a
target that changed on disk since it was loaded or last saved.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from loupe_tui.core.fsutil import atomic_write_bytes
from loupe_tui.core.labels.diff import LabelDiff
from loupe_tui.core.labels.edf_annotations import edf_annotations_of
from loupe_tui.core.labels.formats import (FORMATS, READ_ONLY, edf_table, encode_labels, format_of, parse_labels,
                                           read_file_bytes)
from loupe_tui.core.labels.frame import LabelTable
from loupe_tui.core.labels.history import LabelHistory
from loupe_tui.core.labels.journal import (JournalContents, JournalWriter, describe_identity, identity_of_bytes,
                                           identity_of_file, identity_of_path, journal_path_for, same_identity)
from loupe_tui.core.labels.schema import IntervalLabelSchema
from loupe_tui.core.labels.store import IntervalStore
from loupe_tui.errors import LabelFileError, LoupeConfigError

SIBLING_TAG = ".scored"
MIN_FREE_BYTES = 1 << 20     # less free space than this in the labels folder counts as a full disk


def check_labels_dir(source: str | Path) -> None:
    """Refuse to start scoring where edits cannot be journaled: a read-only or full folder.

    Writes, fsyncs and removes a small probe file beside ``source`` and checks
    the free space, so the problem is one LabelFileError *before* any edit is
    accepted (instead of the first edit failing). The message names the folder
    and where edits can go instead.
    """
    source = Path(source)
    folder = source.parent if str(source.parent) else Path(".")
    probe = folder / f".{source.name}.loupe-probe.{os.getpid()}"
    problem = None
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(b"\0" * 4096)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
            try:
                os.unlink(probe)
            except OSError:
                pass
    except FileNotFoundError:
        problem = "no such folder"
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            problem = f"the disk is full ({exc.strerror})"
        elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            problem = f"the folder is read-only ({exc.strerror})"
        else:
            problem = f"cannot write there ({exc.strerror})"
    if problem is None:
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            free = None
        if free is not None and free < MIN_FREE_BYTES:
            problem = f"the disk is full ({free:,} bytes free)"
    if problem is not None:
        data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "loupe-tui"
        raise LabelFileError(
            f"{folder.resolve()}: cannot score {source.name} here: {problem}, so edits could not be kept "
            f"(none accepted); copy the labels to a writable folder, e.g. {data_home}/{source.name}, "
            "and open that (--labels FILE), or write a copy with save_as/:export")


def sibling_path(source: str | Path) -> Path:
    """``night1.csv`` -> ``night1.scored.csv``; a read-only ``.txt``, ``.edf`` or ``.bdf`` -> ``.scored.csv``."""
    p = Path(source)
    suffix = ".csv" if FORMATS.get(p.suffix.lower()) in READ_ONLY else p.suffix
    return p.with_name(p.stem + SIBLING_TAG + suffix)


def _read_only_name(fmt: str) -> str:
    return ".txt hypnograms are" if fmt == "txt" else "EDF/BDF files are"


@dataclass
class FileBinding:
    """The files behind a loaded set."""

    source: Path                 # what the user opened
    writeback: bool
    target: Path                 # where save() writes
    base_identity: dict          # the content the journal's edits apply to
    known_target: dict           # the target as last seen (conflict detection)
    messages: list[str] = field(default_factory=list)


@dataclass
class Opened:
    table: LabelTable | None
    binding: FileBinding
    journal: JournalWriter | None
    contents: JournalContents | None


def open_source(path: str | Path, schema: IntervalLabelSchema | None, writeback: bool,
                hypnogram, durable: bool) -> Opened:
    """Decide what to load for ``path`` (see module doc) and read it."""
    source = Path(path)
    fmt = format_of(source)
    if writeback and fmt in READ_ONLY:
        raise LoupeConfigError(f"{source}: {_read_only_name(fmt)} read-only; writeback needs a .csv, "
                               ".htsv or .parquet labels file")
    sib, jpath = sibling_path(source), journal_path_for(source)
    messages: list[str] = []
    journal = contents = None
    base: Path | None = None
    if jpath.exists():
        journal, contents = JournalWriter.open_existing(jpath, durable)
        # Nothing to replay (only a header: died right after creating it) or
        # already saved: the journal is spent.
        if _save_completed(jpath, contents) or not any(e.get("op") != "save" for _, e in contents.entries):
            journal.discard()
            journal = contents = None
    try:
        if contents is not None:
            hdr = contents.header.get("base") or {}
            if hdr.get("kind") not in ("file", "missing") or hdr.get("name") not in (source.name, sib.name):
                raise LabelFileError(f"{jpath}: journal is for {describe_identity(hdr)}, not for "
                                     f"{source.name} (kept; move it away to open without it)")
            base = jpath.parent / hdr["name"] if hdr["kind"] == "file" else None
        elif not writeback and sib.exists():
            base = sib
        elif source.exists():
            base = source
            if sib.exists():
                messages.append(f"{source}: note: {sib.name} also exists and was not loaded "
                                "(writeback edits the original)")
        elif fmt in READ_ONLY:
            raise LabelFileError(f"{source}: no such file (a new labels file must be .csv, .htsv or "
                                 f".parquet: {_read_only_name(fmt)} read-only)")
        table = None
        if base is not None:
            if contents is not None and not base.exists():
                raise _changed(jpath, contents, base)
            if format_of(base) == "edf":   # a recording: hashed in chunks, only annotation bytes read
                table, ident = _read_edf(base, hypnogram)
            else:
                data, st = read_file_bytes(base)
                ident = identity_of_bytes(base, data, st)
                table = None
            if contents is not None and ident["sha256"] != contents.header["base"].get("sha256"):
                raise _changed(jpath, contents, base)
            if table is None:
                table = parse_labels(data, base, schema, hypnogram)
            messages += table.messages
        else:
            ident = {"kind": "missing", "name": source.name}
            if contents is not None and source.exists():
                raise _changed(jpath, contents, source)
        if contents is not None and table is not None:
            want = tuple(contents.header.get("extra_cols", ()))
            if want != table.extra_cols:
                raise LabelFileError(f"{jpath}: journal columns {list(want)} differ from "
                                     f"{base.name}'s extra columns {list(table.extra_cols)} (kept)")
    except BaseException:
        if journal is not None:
            journal.close()
        raise
    if writeback:
        target = source
    elif base is None and not sib.exists():
        target = source              # a new file: no original to protect
    else:
        target = sib
    if base == sib:
        original = "written back on save" if writeback else "untouched"
        if _newer(source, sib):
            messages.append(f"{source}: note: {source.name} changed after your last save to {sib.name}; "
                            f"opened your saved work ({sib.name}); the original is {original} "
                            f"(saves go to {target.name}); compare them if the change was meant for you")
        else:
            messages.append(f"{source}: opened {sib.name}, your saved labels (the original is "
                            f"{original}; saves go to {target.name})")
    known = ident if target == base else identity_of_path(target)
    binding = FileBinding(source, writeback, target, ident, known, messages)
    return Opened(table, binding, journal, contents)


def _read_edf(path: Path, options) -> tuple[LabelTable, dict]:
    """The labels of an EDF/BDF file and its identity, from one open file (so they agree)."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            ident = identity_of_file(path, f, st)
            f.seek(0)
            return edf_table(edf_annotations_of(f, path), path, options), ident
    except FileNotFoundError:
        raise LabelFileError(f"{path}: no such labels file") from None
    except OSError as exc:
        raise LabelFileError(f"{path}: cannot read ({exc.strerror})") from None


def _newer(a: Path, b: Path) -> bool:
    """``a`` was modified after ``b`` (False when either is missing)."""
    try:
        return a.stat().st_mtime_ns > b.stat().st_mtime_ns
    except OSError:
        return False


def _changed(jpath: Path, contents: JournalContents, base: Path) -> LabelFileError:
    n = sum(1 for _, e in contents.entries if e.get("op") != "save")
    return LabelFileError(
        f"{jpath}: holds {n} unsaved edit(s) made to {describe_identity(contents.header['base'])}, but "
        f"{base.name} has changed since; not applying them (the journal is kept; move it away to "
        "open the labels without those edits)")


def _save_completed(jpath: Path, contents: JournalContents) -> bool:
    if not contents.entries:
        return False
    last = contents.entries[-1][1]
    if last.get("op") != "save":
        return False
    ident = identity_of_path(jpath.parent / str(last.get("target")))
    return ident.get("sha256") == last.get("sha256")


def replay(store: IntervalStore, history: LabelHistory, contents: JournalContents, jpath: Path) -> int:
    """Re-apply journal entries (verifying each one) and rebuild the undo history."""
    n = 0
    for line, entry in contents.entries:
        op = entry.get("op")
        if op == "save":      # marker of a save whose rename never happened
            continue
        try:
            diff = LabelDiff.from_json(entry)
        except (KeyError, TypeError, ValueError):
            raise LabelFileError(f"{jpath}:{line}: damaged journal entry (kept; move it away to "
                                 "open the labels without it)") from None
        if not store.matches(diff.hunks) or any(len(r.extras) != len(store.extra_cols)
                                                for h in diff.hunks for r in h.added):
            raise LabelFileError(f"{jpath}:{line}: journal entry {op!r} does not fit the labels it "
                                 "should apply to (kept; move it away to open the labels without it)")
        store.apply(diff.hunks)
        undo, redo = history.next_undo(), history.next_redo()
        if op == "undo" and undo is not None and undo.same_change(diff):
            history.did_undo()
        elif op == "redo" and redo is not None and redo.same_change(diff):
            history.did_redo()
        else:
            history.record(diff)
        n += 1
    return n


def save_frame(binding: FileBinding, frame: pl.DataFrame, journal: JournalWriter | None) -> None:
    """Atomically write ``frame`` to the binding's target; clear the journal."""
    target = binding.target
    if not same_identity(binding.known_target, target):
        raise LabelFileError(f"{target}: changed on disk since it was loaded (another program wrote "
                             "it); not overwriting it: use save_as(path) to write your labels elsewhere")
    data = encode_labels(frame, format_of(target, writing=True))
    sha = hashlib.sha256(data).hexdigest()

    def marker(_tmp: Path) -> None:
        if journal is not None:
            journal.append({"op": "save", "target": target.name, "sha256": sha}, sync=True)

    st = atomic_write_bytes(target, data, marker, error=LabelFileError)
    if journal is not None:
        journal.discard()
    ident = {"kind": "file", "name": target.name, "size": len(data), "mtime_ns": st.st_mtime_ns,
             "sha256": sha}
    binding.base_identity = binding.known_target = ident
