"""Writing EDF/EDF+/BDF files byte by byte for the tests: well-formed ones, EDF+D with gaps, and
the broken ones real acquisition systems make (edfio writes only what is valid).

``write_edf(path, signals, record_s, ...)``: ``signals`` is a list of ``Sig`` (label, rate,
digital samples, unit and limits); ``onsets`` (EDF+D) places each record; ``annotations``
go into an "EDF Annotations" signal after the time-keeping TAL of each record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Sig:
    label: str
    rate: float
    digital: np.ndarray                  # int samples, length = n_records * rate * record_s
    unit: str = "uV"
    pmin: float = -3276.8
    pmax: float = 3276.7
    dmin: int = -32768
    dmax: int = 32767
    header_overrides: dict = field(default_factory=dict)


def _f(value, width: int) -> bytes:
    b = str(value).encode("latin-1")[:width]
    return b + b" " * (width - len(b))


def tal_bytes(onset: float, duration: float | None, texts: list[str]) -> bytes:
    head = f"{onset:+g}".encode() + (b"\x15" + f"{duration:g}".encode() if duration is not None else b"")
    return head + b"\x14" + b"".join(t.encode() + b"\x14" for t in texts) + b"\x00"


def write_edf(path: str | Path, signals: list[Sig], record_s: float = 1.0, *, bdf: bool = False,
              plus: str = "", onsets: list[float] | None = None, annotations=(), ann_bytes: int = 120,
              start_date: str = "24.04.89", start_time: str = "16.13.00", n_records_field: int | None = None,
              header_bytes_field: int | None = None, truncate_bytes: int = 0, recording: str = "",
              broken_tal_record: int | None = None) -> Path:
    """Write a file; returns its path. ``annotations``: (onset, duration or None, text) put in the
    record holding their onset (the first record when none does)."""
    path = Path(path)
    n_rec = None
    for s in signals:
        per = int(round(s.rate * record_s))
        k = len(s.digital) // per if per else 0
        n_rec = k if n_rec is None else min(n_rec, k)
    if n_rec is None:
        n_rec = len(onsets) if onsets is not None else 1
    if onsets is None:
        onsets = [i * record_s for i in range(n_rec)]
    sigs = list(signals)
    with_ann = bool(plus) or bool(annotations)
    ns = len(sigs) + (1 if with_ann else 0)
    bps = 3 if bdf else 2
    hb = 256 * (ns + 1)
    version = b"\xffBIOSEMI" if bdf else _f("0", 8)
    reserved = (("BDF+" if bdf else "EDF+") + plus) if plus else ("24BIT" if bdf else "")
    head = (version + _f("X X X X", 80) + _f(recording or "Startdate X X X X", 80) + _f(start_date, 8)
            + _f(start_time, 8) + _f(header_bytes_field if header_bytes_field is not None else hb, 8)
            + _f(reserved, 44) + _f(n_records_field if n_records_field is not None else n_rec, 8)
            + _f(f"{record_s:g}", 8) + _f(ns, 4))
    fields = []
    ann_samples = -(-ann_bytes // bps)
    rows = []
    for s in sigs:
        per = int(round(s.rate * record_s))
        o = s.header_overrides
        rows.append(dict(label=o.get("label", s.label), transducer="", unit=o.get("unit", s.unit),
                         pmin=o.get("pmin", s.pmin), pmax=o.get("pmax", s.pmax), dmin=o.get("dmin", s.dmin),
                         dmax=o.get("dmax", s.dmax), prefilter="", n=o.get("n", per)))
    if with_ann:
        ann_label = "BDF Annotations" if bdf else "EDF Annotations"
        rows.append(dict(label=ann_label, transducer="", unit="", pmin=-1, pmax=1,
                         dmin=-(1 << 23) if bdf else -32768, dmax=(1 << 23) - 1 if bdf else 32767,
                         prefilter="", n=ann_samples))
    for key, width in (("label", 16), ("transducer", 80), ("unit", 8), ("pmin", 8), ("pmax", 8), ("dmin", 8),
                       ("dmax", 8), ("prefilter", 80), ("n", 8)):
        fields.append(b"".join(_f(r[key], width) for r in rows))
    fields.append(b" " * (32 * ns))
    out = bytearray(head + b"".join(fields))
    per_record_ann: dict[int, list] = {}
    for onset, dur, text in annotations:
        r = max([i for i, t in enumerate(onsets) if t <= onset] or [0])
        per_record_ann.setdefault(r, []).append((onset, dur, text))
    for r in range(n_rec):
        for s in sigs:
            per = int(round(s.rate * record_s))
            d = np.asarray(s.digital[r * per:(r + 1) * per], np.int64)
            if bdf:
                u = (d & 0xFFFFFF).astype(np.uint32)
                b = np.stack([u & 0xFF, (u >> 8) & 0xFF, (u >> 16) & 0xFF], axis=1).astype(np.uint8)
                out += b.tobytes()
            else:
                out += d.astype("<i2").tobytes()
        if with_ann:
            raw = f"{onsets[r]:+g}".encode() + b"\x14\x14\x00"
            if r == broken_tal_record:
                raw = b"garbage\x14\x00"
            for onset, dur, text in per_record_ann.get(r, []):
                raw += tal_bytes(onset, dur, [text])
            room = ann_samples * bps
            if len(raw) > room:
                raise ValueError(f"record {r}: annotations need {len(raw)} bytes, room for {room}")
            out += raw + b"\x00" * (room - len(raw))
    if truncate_bytes:
        out = out[:-truncate_bytes]
    path.write_bytes(bytes(out))
    return path


def sine(rate: float, seconds: float, freq: float = 1.0, amp: int = 1000, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(round(rate * seconds))) / rate
    return np.round(amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.int64)
