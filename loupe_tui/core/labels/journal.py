"""The append-only edit journal that makes acknowledged edits survive a crash.

A journal is a JSON-lines file beside the labels file
(``night1.csv`` -> ``night1.csv.loupe-journal``). Line 1 is a header naming
the *base* the edits apply to, with its identity (size, mtime_ns, sha256; or
"missing" for a labels file not created yet; or the hash of an in-memory
frame). Every further line is one applied diff (see
:meth:`LabelDiff.to_json`), written with a single ``write()`` before the edit
call returns, so it is in the OS once the caller sees the edit: a killed
process loses nothing. With ``durable=True`` each entry is
also ``fdatasync``'ed before the call returns, so it survives a power loss
too; ``durable="background"`` (the default of the label set) syncs on a
helper thread instead.

A save appends a ``{"op": "save", ...}`` marker with the identity of the file
it is about to rename into place, then deletes the journal. If the process
dies between the rename and the delete, the marker tells the next open that
the journal is already in the saved file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from loupe_tui.core.fsutil import fsync_dir
from loupe_tui.errors import LabelFileError, LoupeConfigError

JOURNAL_SUFFIX = ".loupe-journal"
JOURNAL_VERSION = 1

if os.name == "posix":  # advisory lock: two scorers must not interleave edits in one journal
    import fcntl
else:  # pragma: no cover - Windows has no fcntl
    fcntl = None


def journal_path_for(labels_path: str | Path) -> Path:
    """``night1.csv`` -> ``night1.csv.loupe-journal`` (same directory)."""
    p = Path(labels_path)
    return p.with_name(p.name + JOURNAL_SUFFIX)


def identity_of_bytes(path: Path, data: bytes, st: os.stat_result) -> dict:
    """Identity of a file whose content ``data`` and ``stat`` were read together."""
    return {"kind": "file", "name": path.name, "size": len(data), "mtime_ns": st.st_mtime_ns,
            "sha256": hashlib.sha256(data).hexdigest()}


def identity_of_file(path: Path, f, st: os.stat_result) -> dict:
    """Identity of the open binary file ``f`` whose stat is ``st``, hashed in chunks (an EDF
    recording opened for its annotations can be gigabytes: it is never held in memory)."""
    f.seek(0)
    return {"kind": "file", "name": path.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "sha256": hashlib.file_digest(f, "sha256").hexdigest()}


def identity_of_path(path: Path) -> dict:
    """Identity of the file at ``path`` now (``kind: missing`` if absent)."""
    try:
        with open(path, "rb") as f:
            return identity_of_file(path, f, os.fstat(f.fileno()))
    except FileNotFoundError:
        return {"kind": "missing", "name": path.name}
    except OSError as exc:
        raise LabelFileError(f"{path}: cannot read ({exc.strerror})") from None


def same_identity(known: dict, path: Path) -> bool:
    """Is the file at ``path`` still the one ``known`` describes?

    A stat match (size and mtime_ns) is enough; otherwise the content hash
    decides, so a copy or ``touch`` that kept the bytes still matches.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return known.get("kind") == "missing"
    if known.get("kind") != "file":
        return False
    if st.st_size == known.get("size") and st.st_mtime_ns == known.get("mtime_ns"):
        return True
    return identity_of_path(path).get("sha256") == known.get("sha256")


def describe_identity(ident: dict) -> str:
    if ident.get("kind") == "missing":
        return f"{ident.get('name')} (not yet created)"
    if ident.get("kind") == "frame":
        return "an in-memory DataFrame"
    return f"{ident.get('name')} ({ident.get('size')} bytes, sha256 {str(ident.get('sha256'))[:12]})"


@dataclass
class JournalContents:
    """What a journal file holds: header, ``(line, entry)`` pairs, whether the tail was torn."""

    header: dict
    entries: list[tuple[int, dict]]
    torn: bool
    good_bytes: int


def parse_journal(path: Path, data: bytes) -> JournalContents:
    """Parse journal bytes; a torn (unterminated) last line is dropped, other damage is an error."""
    end = data.rfind(b"\n") + 1
    torn = end < len(data)
    lines = data[:end].split(b"\n")[:-1]
    if not lines:
        raise LabelFileError(f"{path}: journal has no header (kept; delete it to discard it)")
    parsed = []
    for k, raw in enumerate(lines, start=1):
        try:
            parsed.append((k, json.loads(raw.decode("utf-8"))))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise LabelFileError(f"{path}:{k}: damaged journal line (kept; delete it to discard it)") from None
    header = parsed[0][1]
    if not isinstance(header, dict) or header.get("loupe_journal") != JOURNAL_VERSION:
        raise LabelFileError(f"{path}:1: not a loupe-tui journal (version {JOURNAL_VERSION}) header")
    return JournalContents(header, parsed[1:], torn, end)


class JournalWriter:
    """An open, locked journal that entries are appended to.

    Parameters
    ----------
    durable : True, False or "background"
        ``True``: ``fdatasync`` every entry before returning (survives power
        loss). ``False``: ``write()`` only (survives a killed process, not a
        power cut). ``"background"``: ``write()`` now, ``fdatasync`` on a helper
        thread right after (never blocks an edit; a power cut can lose only
        the edits of the last sync, a few ms).
    """

    def __init__(self, path: Path, fd: int, durable: bool | str):
        self.path, self._fd, self.durable = path, fd, check_durable(durable)
        self._defer = 0          # > 0 inside batch(): sync once at the end
        self._pending = False
        self.entries = 0
        self._bg: threading.Thread | None = None
        self._bg_cv = threading.Condition()
        self._bg_dirty = self._bg_stop = False
        self._bg_error: OSError | None = None

    @classmethod
    def create(cls, path: Path, header: dict, durable: bool) -> JournalWriter:
        """Write the header to a temp file and rename it in, so no headerless journal exists."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(_line(header))
                f.flush()
                os.fsync(f.fileno())
            _publish(tmp, path)
            fsync_dir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except FileExistsError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise LabelFileError(f"{path}: another program started editing these labels "
                                 "(its journal appeared); close it first") from None
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise LabelFileError(f"{path}: cannot create the edit journal ({exc.strerror})") from None
        try:
            _lock(fd, path)
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd, durable)

    @classmethod
    def open_existing(cls, path: Path, durable: bool) -> tuple[JournalWriter, JournalContents]:
        """Lock and read an existing journal; cut a torn last line so appends stay whole."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
        except OSError as exc:
            raise LabelFileError(f"{path}: cannot open the edit journal ({exc.strerror})") from None
        try:
            _lock(fd, path)
            with open(path, "rb") as f:
                data = f.read()
            contents = parse_journal(path, data)
            if contents.torn:
                os.ftruncate(fd, contents.good_bytes)
        except BaseException:
            os.close(fd)
            raise
        w = cls(path, fd, durable)
        w.entries = len(contents.entries)
        return w, contents

    def append(self, entry: dict, *, sync: bool | None = None) -> None:
        """Append one entry with one ``write()``; ``fdatasync`` if durable (or ``sync=True``)."""
        entry = {**entry, "t": round(time.time(), 3)}
        data = _line(entry)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
            if sync is None and self.durable == "background":
                self._sync_in_background()
            elif sync or (sync is None and self.durable):
                if self._defer and sync is None:
                    self._pending = True
                else:
                    _datasync(self._fd)
        except OSError as exc:
            raise LabelFileError(f"{self.path}: cannot write the edit journal ({exc.strerror}); "
                                 "the edit was not applied") from None
        self.entries += 1

    def begin_batch(self) -> None:
        self._defer += 1

    def end_batch(self) -> None:
        self._defer -= 1
        if self._defer == 0 and self._pending:
            self._pending = False
            _datasync(self._fd)

    def _sync_in_background(self) -> None:
        if self._bg_error is not None:
            err, self._bg_error = self._bg_error, None
            raise err
        with self._bg_cv:
            self._bg_dirty = True
            self._bg_cv.notify()
        if self._bg is None:
            self._bg = threading.Thread(target=self._bg_loop, name="loupe-journal-sync", daemon=True)
            self._bg.start()

    def _bg_loop(self) -> None:
        while True:
            with self._bg_cv:
                while not self._bg_dirty and not self._bg_stop:
                    self._bg_cv.wait()
                if not self._bg_dirty:
                    return
                self._bg_dirty = False
            try:
                _datasync(self._fd)
            except OSError as exc:   # reported by the next append
                self._bg_error = exc

    def close(self) -> None:
        if self._bg is not None:
            with self._bg_cv:
                self._bg_stop = True
                self._bg_cv.notify()
            self._bg.join()      # the last pending sync completes before the fd closes
            self._bg = None
        if self._fd >= 0:
            os.close(self._fd)   # also releases the lock
            self._fd = -1

    def __del__(self) -> None:
        self.close()

    def discard(self) -> None:
        """Delete the journal (its edits are saved) and release it."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        fsync_dir(self.path.parent)
        self.close()


def _publish(tmp: Path, path: Path) -> None:
    """Move ``tmp`` to ``path`` unless ``path`` exists (link fails with EEXIST)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # pragma: no cover - filesystems without hard links
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def check_durable(durable: bool | str) -> bool | str:
    """Validate a ``durable=`` argument (True, False or "background")."""
    if durable in (True, False, "background"):
        return durable
    raise LoupeConfigError(f"durable={durable!r}: use True, False or 'background'")


def _line(obj: dict) -> bytes:
    # default=str: extra-column values JSON cannot hold (dates ...) travel as text.
    return (json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str) + "\n").encode()


def _datasync(fd: int) -> None:
    (getattr(os, "fdatasync", None) or os.fsync)(fd)


def _lock(fd: int, path: Path) -> None:
    if fcntl is None:  # pragma: no cover
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise LabelFileError(f"{path}: these labels are open for editing elsewhere (another "
                             "program, or another open label set); close it first") from None
