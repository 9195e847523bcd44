"""The annotations of an EDF+/BDF+ file, read for its labels.

An EDF+ (or BDF+) file keeps its annotations in "EDF Annotations" signals:
in every data record, Time-stamped Annotation Lists (TALs) separated by NUL
bytes, ``+onset[\\x15duration]\\x14text\\x14[text\\x14...]\\x00``. The first
TAL of each record in the first annotation signal keeps time (``+onset\\x14\\x14``,
no text) and is not an annotation.

The header and the TALs are parsed by :mod:`loupe_tui.core.edf` (the format
itself, which :mod:`loupe_tui.io.edf`'s signal reader uses too); this module
finds the annotation signals' bytes and keeps what labels need.

Only the annotation bytes are touched: a file is memory-mapped and each
record's annotation slice is copied out, so a night of signals is not read
into memory to find its hypnogram.
"""

from __future__ import annotations

import datetime as dt
import mmap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from loupe_tui.core.edf.header import HeaderProblem, header_length, parse_header
from loupe_tui.core.edf.tal import Annotation, parse_tals
from loupe_tui.errors import LabelFileError, printable


@dataclass
class EdfAnnotations:
    """What an EDF/BDF file says about its annotations.

    Attributes
    ----------
    kind : ``EDF``, ``EDF+C``, ``EDF+D``, ``BDF``, ``BDF+C`` ...
    start : the start date and time of the header, None when it is not a date
    equipment : the EDF+ recording field's equipment code (``loupe-tui`` for our exports)
    data_signals : how many signals hold samples (0: an annotations-only file)
    end_s : where the recorded samples end, seconds (None for an annotations-only file)
    annotations : every annotation of every annotation signal, by onset
    warnings : what was left out or looks wrong, one line each
    """

    kind: str
    start: dt.datetime | None
    equipment: str
    data_signals: int
    end_s: float | None
    annotations: list[Annotation]
    warnings: list[str] = field(default_factory=list)


def read_edf_annotations_file(path: str | Path) -> EdfAnnotations:
    """The annotations of the file at ``path`` (memory-mapped: only annotation bytes are read)."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            return edf_annotations_of(f, p)
    except FileNotFoundError:
        raise LabelFileError(f"{p}: no such labels file") from None
    except IsADirectoryError:
        raise LabelFileError(f"{p}: is a directory, not a labels file") from None
    except OSError as exc:
        raise LabelFileError(f"{p}: cannot read ({exc.strerror})") from None


def edf_annotations_of(f, path: str | Path) -> EdfAnnotations:
    """The annotations of the open binary file ``f`` (``path`` names it in messages)."""
    f.seek(0, 2)
    if f.tell() == 0:
        raise LabelFileError(f"{path}: file is empty (not an EDF or BDF file)")
    f.seek(0)
    try:
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, AttributeError):   # not a mappable file (a pipe, BytesIO): read it
        buf = f.read()
    try:
        return read_edf_annotations(buf, str(path))
    finally:
        if isinstance(buf, mmap.mmap):
            try:
                buf.close()
            except BufferError:     # an array still views it (an error's traceback): the GC closes it
                pass


def read_edf_annotations(buf: bytes | mmap.mmap, name: str) -> EdfAnnotations:
    """The annotations in an EDF/BDF file's bytes; LabelFileError (one line, naming ``name``)
    when it is not an EDF/BDF file or its header hides where the annotations are."""
    size = len(buf)
    try:
        first = bytes(buf[:256])
        hdr = parse_header(bytes(buf[:header_length(first)]), size)
    except HeaderProblem as exc:
        raise LabelFileError(f"{name}: {printable(str(exc))}") from None
    recording = hdr.recording
    parts = recording.split()
    equipment = parts[4] if recording.startswith("Startdate") and len(parts) > 4 else ""
    warnings = [w for w in hdr.warnings if "data records" in w or "TAL" in w]
    data_signals = len(hdr.data_signals)
    out = EdfAnnotations(hdr.kind, hdr.start, equipment, data_signals, None, [], warnings)
    ann = hdr.annotation_signals
    width = hdr.sample_bytes
    if not ann:
        if data_signals:
            out.end_s = hdr.duration
        return out
    records = np.frombuffer(buf, np.uint8, count=hdr.n_records * hdr.record_bytes,
                            offset=hdr.header_bytes).reshape(hdr.n_records, hdr.record_bytes)
    onsets = None
    broken = 0
    for k, sig in enumerate(ann):
        a0 = sig.offset * width
        tals = parse_tals(records[:, a0:a0 + sig.samples_per_record * width])
        out.annotations += tals.annotations
        broken += tals.broken
        if k == 0:
            onsets = tals.record_onsets
    del records       # the mmap can be closed once no array views it
    if broken:
        warnings.append(f"{broken} data record(s) hold annotation bytes that are not valid TALs (left out)")
    out.annotations.sort(key=lambda a: a.onset)
    if data_signals:
        last = onsets[-1] if hdr.plus and not np.isnan(onsets[-1]) else (hdr.n_records - 1) * hdr.record_duration
        out.end_s = float(last + hdr.record_duration)
    return out
