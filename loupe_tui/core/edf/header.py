"""The header of an EDF, EDF+, BDF or BDF+ file, read leniently and checked.

The header is ASCII in fixed-width fields: 256 bytes for the file, then
256 bytes per signal, each field stored for all signals in turn. Files made
by real acquisition systems bend the standard (digital limits outside 16
bits, a record count of -1, a file cut short by a crash), so the reader
keeps what is usable and says what it noticed (:attr:`EdfHeader.warnings`);
only what makes the data unreadable or the time axis wrong raises
:class:`HeaderProblem`, whose message names the field and its value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np

#: Labels of EDF+ / BDF+ annotation signals.
ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")
_MONTHS = {m: i + 1 for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                            "NOV", "DEC"))}
#: Per-signal fields, their widths, in file order.
SIGNAL_FIELDS = (("label", 16), ("transducer", 80), ("unit", 8), ("physical_min", 8), ("physical_max", 8),
                 ("digital_min", 8), ("digital_max", 8), ("prefilter", 80), ("samples_per_record", 8),
                 ("reserved", 32))


class HeaderProblem(ValueError):
    """The header makes the file unreadable; the message says which field and why."""


@dataclass(frozen=True)
class Signal:
    """One signal of the file, as its header describes it."""

    index: int
    label: str
    transducer: str
    unit: str
    physical_min: float
    physical_max: float
    digital_min: int
    digital_max: int
    prefilter: str
    samples_per_record: int
    #: offset of the signal's first sample within a data record, in samples
    offset: int
    rate: float

    @property
    def is_annotation(self) -> bool:
        return self.label in ANNOTATION_LABELS

    @property
    def gain(self) -> float:
        """Physical units per digital step."""
        return (self.physical_max - self.physical_min) / (self.digital_max - self.digital_min)

    @property
    def physical_offset(self) -> float:
        return self.physical_min - self.gain * self.digital_min


@dataclass
class EdfHeader:
    """What the header says, checked. ``n_records`` is what the file holds (see ``warnings``)."""

    bdf: bool
    plus: str                 # "" (plain EDF/BDF), "C" (continuous) or "D" (discontinuous)
    patient: str
    recording: str
    start: dt.datetime | None
    header_bytes: int
    n_records: int
    record_duration: float
    signals: list[Signal]
    warnings: list[str] = field(default_factory=list)

    @property
    def sample_bytes(self) -> int:
        return 3 if self.bdf else 2

    @property
    def record_samples(self) -> int:
        return sum(s.samples_per_record for s in self.signals)

    @property
    def record_bytes(self) -> int:
        return self.record_samples * self.sample_bytes

    @property
    def data_signals(self) -> list[Signal]:
        return [s for s in self.signals if not s.is_annotation and s.samples_per_record > 0]

    @property
    def annotation_signals(self) -> list[Signal]:
        return [s for s in self.signals if s.is_annotation]

    @property
    def kind(self) -> str:
        base = "BDF" if self.bdf else "EDF"
        return f"{base}+{self.plus}" if self.plus else base

    @property
    def duration(self) -> float:
        return self.n_records * self.record_duration


def parse_header(head: bytes, file_size: int | None) -> EdfHeader:
    """Parse the 256-byte fixed header and the signal headers in ``head`` (which must hold them all;
    see :func:`header_length`). ``file_size`` (bytes, None when unknown) sets how many records the
    file really holds."""
    if len(head) < 256:
        raise HeaderProblem(f"not an EDF or BDF file ({len(head)} bytes, shorter than the 256-byte header)")
    version = head[:8]
    bdf = version == b"\xffBIOSEMI"
    if not bdf and version.strip(b" ") != b"0":
        raise HeaderProblem(f"not an EDF or BDF file (version field {version!r}, expected '0' or '\\xffBIOSEMI')")
    warnings: list[str] = []
    text = lambda a, b: _ascii(head[a:b], warnings)  # noqa: E731
    patient, recording = text(8, 88).strip(), text(88, 168).strip()
    reserved = text(192, 236).strip()
    plus = ""
    if reserved.startswith(("EDF+", "BDF+")) and len(reserved) >= 5:
        plus = reserved[4]
        if plus not in "CD":
            raise HeaderProblem(f"reserved field {reserved!r}: EDF+ files are EDF+C or EDF+D")
    ns = _int(text(252, 256), "number of signals")
    if ns < 0:
        raise HeaderProblem(f"number of signals is {ns}")
    expect = 256 * (ns + 1)
    if len(head) < expect:
        raise HeaderProblem(f"header announces {ns} signals, which do not fit in the file's {len(head)} bytes")
    header_bytes = _int(text(184, 192), "header size")
    if header_bytes != expect:
        raise HeaderProblem(f"header size field says {header_bytes} bytes, but {ns} signals make {expect}")
    n_records = _int(text(236, 244), "number of data records")
    duration = _float(text(244, 252), "data record duration")
    if not np.isfinite(duration) or duration < 0:
        raise HeaderProblem(f"data record duration is {duration:g} s")

    cols: dict[str, list[str]] = {}
    pos = 256
    for name, width in SIGNAL_FIELDS:
        cols[name] = [text(pos + i * width, pos + (i + 1) * width).strip() for i in range(ns)]
        pos += width * ns
    signals, offset, seen = [], 0, {}
    for i in range(ns):
        label = cols["label"][i] or f"signal {i + 1}"
        n = _int(cols["samples_per_record"][i], f"samples per record of signal {i + 1} ({label})")
        if n < 0:
            raise HeaderProblem(f"signal {i + 1} ({label}) has {n} samples per record")
        is_ann = label in ANNOTATION_LABELS
        if not is_ann:
            if label in seen:
                seen[label] += 1
                new = f"{label} ({seen[label]})"
                warnings.append(f"signal label {label!r} appears more than once: the later one is {new!r}")
                label = new
            else:
                seen[label] = 1
        pmin = _float(cols["physical_min"][i], f"physical minimum of {label}", default=-1.0 if is_ann else None)
        pmax = _float(cols["physical_max"][i], f"physical maximum of {label}", default=1.0 if is_ann else None)
        dmin = _int(cols["digital_min"][i], f"digital minimum of {label}", default=-32768 if is_ann else None)
        dmax = _int(cols["digital_max"][i], f"digital maximum of {label}", default=32767 if is_ann else None)
        if not is_ann and n > 0:
            if dmax <= dmin:
                raise HeaderProblem(f"signal {label}: digital maximum {dmax} is not above its minimum {dmin}")
            if pmax == pmin:
                raise HeaderProblem(f"signal {label}: physical minimum and maximum are both {pmin:g}")
            lo, hi = (-(1 << 23), (1 << 23) - 1) if bdf else (-32768, 32767)
            if dmin < lo or dmax > hi:
                warnings.append(f"signal {label}: digital range {dmin}..{dmax} goes beyond the "
                                f"{24 if bdf else 16}-bit samples the file can hold (kept: it only scales)")
        if not is_ann and n == 0:
            warnings.append(f"signal {label} has no samples (left out)")
        rate = n / duration if duration > 0 else 0.0
        signals.append(Signal(i, label, cols["transducer"][i], cols["unit"][i], pmin, pmax, dmin, dmax,
                              cols["prefilter"][i], n, offset, rate))
        offset += n
    data = [s for s in signals if not s.is_annotation and s.samples_per_record > 0]
    if data and duration == 0:
        raise HeaderProblem("data record duration is 0 s, so the sampling rates are 0 (or infinite)")
    if plus and not any(s.is_annotation for s in signals):
        warnings.append(f"EDF+{plus} file without an annotations signal (read as plain "
                        f"{'BDF' if bdf else 'EDF'})")
        plus = ""

    hdr = EdfHeader(bdf=bdf, plus=plus, patient=patient, recording=recording, start=None,
                    header_bytes=header_bytes, n_records=n_records, record_duration=duration, signals=signals,
                    warnings=warnings)
    hdr.start = _start(text(168, 176).strip(), text(176, 184).strip(), recording, warnings)
    rb = hdr.record_bytes
    if rb == 0:
        raise HeaderProblem("data records hold no samples (every signal has 0 samples per record)")
    if file_size is not None:
        held, rest = divmod(max(file_size - header_bytes, 0), rb)
        if n_records == -1:
            n_records = held
        elif held < n_records:
            warnings.append(f"file holds {held} of the {n_records} data records its header announces "
                            f"(truncated): showing the first {held * duration:g} s")
            n_records = held
        elif held > n_records:
            warnings.append(f"file holds {held - n_records} more data records than its header announces "
                            f"(left out)")
        if rest and held <= hdr.n_records:
            warnings.append(f"the last data record is cut short ({rest} of {rb} bytes): left out")
    elif n_records < 0:
        raise HeaderProblem("number of data records is -1 (still recording?) and the file size is unknown")
    if n_records <= 0:
        raise HeaderProblem("holds no complete data record")
    hdr.n_records = n_records
    return hdr


def header_length(first: bytes) -> int:
    """How many bytes the whole header takes, from its first 256 (the number of signals field)."""
    if len(first) < 256:
        raise HeaderProblem(f"not an EDF or BDF file ({len(first)} bytes, shorter than the 256-byte header)")
    if first[:8] != b"\xffBIOSEMI" and first[:8].strip(b" ") != b"0":
        raise HeaderProblem(f"not an EDF or BDF file (version field {first[:8]!r}, expected '0' or '\\xffBIOSEMI')")
    ns = _int(_ascii(first[252:256], []), "number of signals")
    if ns < 0 or ns > 100_000:
        raise HeaderProblem(f"number of signals is {ns}")
    return 256 * (ns + 1)


def _start(date: str, time: str, recording: str, warnings: list[str]) -> dt.datetime | None:
    """The start date and time. EDF+ recordings carry the 4-digit year in the recording field
    (``Startdate 02-AUG-1989 ...``); otherwise ``yy`` 85-99 is 19yy and 00-84 is 20yy (the spec's
    clipping date). Anonymised dates (01.01.85) are kept as they are."""
    m = re.fullmatch(r"(\d{1,2})[.:\-/ ](\d{1,2})[.:\-/ ](\d{2})", date)
    t = re.fullmatch(r"(\d{1,2})[.:\- ](\d{1,2})[.:\- ](\d{1,2})", time)
    if not m or not t:
        warnings.append(f"start date/time {date!r} {time!r} is not dd.mm.yy hh.mm.ss: clock time is unknown")
        return None
    day, month, yy = (int(v) for v in m.groups())
    year = 1900 + yy if yy >= 85 else 2000 + yy
    r = re.match(r"Startdate (\d{2})-([A-Z]{3})-(\d{4})", recording)
    if r and r.group(2) in _MONTHS:
        year = int(r.group(3))
    try:
        return dt.datetime(year, month, day, *(int(v) for v in t.groups()))
    except ValueError as exc:
        warnings.append(f"start date/time {date!r} {time!r} is not a date ({exc}): clock time is unknown")
        return None


def _ascii(raw: bytes, warnings: list[str]) -> str:
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        note = f"header text {text.strip()!r} is not ASCII (read as Latin-1)"
        if note not in warnings:
            warnings.append(note)
        return text


def _int(value: str, what: str, default: int | None = None) -> int:
    v = value.strip()
    if not v and default is not None:
        return default
    try:
        return int(v)
    except ValueError:
        try:
            f = float(v)
        except ValueError:
            raise HeaderProblem(f"{what} is {value.strip()!r}, not a number") from None
        if f != int(f):
            raise HeaderProblem(f"{what} is {value.strip()!r}, not a whole number") from None
        return int(f)


def _float(value: str, what: str, default: float | None = None) -> float:
    v = value.strip()
    if not v and default is not None:
        return default
    try:
        return float(v.replace(",", "."))
    except ValueError:
        raise HeaderProblem(f"{what} is {value.strip()!r}, not a number") from None
