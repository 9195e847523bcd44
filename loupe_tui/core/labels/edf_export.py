"""Labels written as an EDF+ annotations file, for EDFbrowser, MNE, edfio and other EDF+ tools.

The file is EDF+C with no signals: one "EDF Annotations" signal holding one
annotation per interval (onset, duration, text), written by edfio. Stage
names become Sleep-EDF/AASM texts (:func:`~loupe_tui.core.labels.edf_stages.stage_text`:
``N2`` -> ``Sleep stage N2``), other labels keep their text. Notes and extra
columns are not written: an EDF+ annotation holds one text.

The start date and time are the source's when it is an EDF file, else the
anonymised 01.01.85 00:00:00 that EDF+ uses for an unknown date. The
recording field's equipment code is ``loupe-tui``, which tells our reader
that every annotation with a duration is a label, so labels of any name
come back. Before anything is written, the encoded bytes are read back
with :mod:`~loupe_tui.core.labels.edf_annotations`; a file that would not
read back as written is never written.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from pathlib import Path

import edfio

from loupe_tui.core.fsutil import atomic_write_bytes
from loupe_tui.core.labels.edf_annotations import read_edf_annotations
from loupe_tui.core.labels.edf_stages import EXPORT_EQUIPMENT, EdfStageOptions, stage_text
from loupe_tui.errors import LabelFileError, printable

#: EDF+'s start for an unknown date: 01.01.85 00.00.00.
ANONYMOUS_START = dt.datetime(1985, 1, 1)
#: Bytes a TAL text cannot hold: they separate TALs and their parts.
_TAL_BYTES = ("\x00", "\x14", "\x15")


def encode_edf_annotations(path: str | Path, starts: Sequence[float], ends: Sequence[float],
                           labels: Sequence[str], start: dt.datetime | None = None,
                           options: EdfStageOptions | None = None) -> bytes:
    """The bytes of an EDF+C annotations-only file of these intervals (``path`` names it in messages).

    Parameters
    ----------
    starts, ends, labels : the intervals, seconds after ``start``
    start : the recording's start (default :data:`ANONYMOUS_START`)
    options : the stage map whose names are written as stage texts (its overrides first)

    Raises
    ------
    LabelFileError
        No intervals, a label EDF+ cannot hold, or a start EDF cannot date.
    """
    if not len(starts):
        raise LabelFileError(f"{path}: no intervals to write (an EDF+ annotations file needs at least one)")
    texts = [stage_text(str(name), options) for name in labels]
    bad = next((t for t in texts if any(c in t for c in _TAL_BYTES)), None)
    if bad is not None:
        raise LabelFileError(f"{path}: label {printable(bad)!r} holds a control byte EDF+ uses to separate "
                             "annotations; rename it first")
    when = start or ANONYMOUS_START
    annotations = [edfio.EdfAnnotation(float(s), float(e) - float(s), t) for s, e, t in zip(starts, ends, texts)]
    try:
        edf = edfio.Edf([], recording=edfio.Recording(startdate=when.date(), equipment_code=EXPORT_EQUIPMENT),
                        starttime=when.time(), annotations=annotations)
        buf = io.BytesIO()
        edf.write(buf)
    except ValueError as exc:   # edfio's checks: a date outside EDF's 1985-2084, ...
        raise LabelFileError(f"{path}: cannot write as EDF+ ({' '.join(str(exc).split())})") from None
    data = buf.getvalue()
    _check_reads_back(path, data, annotations)
    return data


def _check_reads_back(path: str | Path, data: bytes, written: list) -> None:
    back = read_edf_annotations(data, str(path)).annotations
    same = len(back) == len(written) and all(
        b.text == w.text and math.isclose(b.onset, w.onset, abs_tol=1e-9)
        and math.isclose(b.duration or 0.0, w.duration, abs_tol=1e-9) for b, w in zip(back, written))
    if not same:   # pragma: no cover - a bug in the writer or the reader, never the user's
        raise LabelFileError(f"{path}: the EDF+ bytes would not read back as written; nothing written")


def write_edf_annotations(path: str | Path, starts: Sequence[float], ends: Sequence[float],
                          labels: Sequence[str], start: dt.datetime | None = None,
                          options: EdfStageOptions | None = None) -> None:
    """Write :func:`encode_edf_annotations` atomically to ``path`` (the caller decides on overwriting)."""
    data = encode_edf_annotations(path, starts, ends, labels, start, options)
    atomic_write_bytes(Path(path), data, error=LabelFileError)
