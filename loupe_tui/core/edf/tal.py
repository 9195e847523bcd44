"""EDF+ annotations: Time-stamped Annotation Lists (TALs) in the annotation signals.

Each data record's annotation bytes hold TALs separated by NUL bytes::

    +onset[\\x15duration]\\x14text\\x14[text\\x14...]\\x00

The first TAL of the first annotation signal in every record is the
record's time-keeping TAL (``+onset\\x14\\x14``, no text): the record's start
in seconds after the file's start. An EDF+D file is discontinuous: only those
onsets say where its records sit in time.

The bytes of every record are scanned at once (one regular expression over
the whole block, in C), so a night of 1 s records (86,400 TALs) is read in
tens of milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_ONSET = rb"[+-][0-9]+(?:\.[0-9]*)?"
#: onset, optional duration, then texts each ended by \x14, up to a NUL, the next TAL or the end.
#: The lookahead also ends a TAL where a writer left out the NUL between two (Nihon Kohden
#: writes ``+0\x14\x14+0\x14Segment\x14``).
_TAL = re.compile(rb"(" + _ONSET + rb")(?:\x15([0-9]*(?:\.[0-9]*)?))?\x14((?:[^\x00\x14]*\x14)*?)"
                  rb"(?=\x00|" + _ONSET + rb"[\x14\x15]|\Z)")


@dataclass(frozen=True)
class Annotation:
    onset: float
    duration: float | None
    text: str


@dataclass
class Tals:
    """The annotations of one annotation signal, and the time-keeping onset of each record (NaN
    where a record has none)."""

    annotations: list[Annotation]
    record_onsets: np.ndarray
    broken: int                    # records whose bytes held something that is not a TAL


def parse_tals(block: np.ndarray) -> Tals:
    """Parse ``block``, ``(n_records, n_bytes)`` uint8: one annotation signal's bytes per record."""
    n_rec, width = block.shape
    buf = np.ascontiguousarray(block).tobytes()
    onsets = np.full(n_rec, np.nan)
    anns: list[Annotation] = []
    covered = np.zeros(n_rec, np.int64)        # bytes of each record inside a TAL
    first_seen = np.zeros(n_rec, bool)
    for m in _TAL.finditer(buf):
        rec = m.start() // width
        if m.end() > (rec + 1) * width:        # a TAL running into the next record: not one
            continue
        covered[rec] += m.end() - m.start()
        onset = float(m.group(1))
        texts = m.group(3).split(b"\x14")
        texts = [t for t in texts if t]
        if not first_seen[rec]:
            first_seen[rec] = True
            if not texts and m.start() == rec * width:
                onsets[rec] = onset
                continue
        dur = m.group(2)
        duration = float(dur) if dur not in (None, b"", b".") else None
        for t in texts:
            anns.append(Annotation(onset, duration, t.decode("utf-8", errors="replace").strip()))
    # bytes that are neither NUL padding nor inside a TAL: broken TALs
    nonzero = (block != 0).sum(axis=1)
    broken = int(np.count_nonzero(nonzero > covered))
    return Tals(anns, onsets, broken)
