"""Reading EDF/BDF data records lazily: only the records a window needs.

A local file is memory-mapped; a file object with ``read_at(pos, n)`` (a file at a
URL: :class:`loupe_tui.io.remote.files.RemoteFile`, one ranged request per read) is read
with it; any other binary file object (one opened by fsspec, say) with ``seek`` and
``read`` of whole records. Samples are 16-bit (EDF) or 24-bit (BDF) little-endian
integers, scaled to physical units with the header's limits. Nothing reads the whole
file but the annotation signals, whose bytes are a small part of it.

Why our own reader rather than a library's: edfio (which writes our EDF+
exports) reads EDF+D as if continuous and loads BDF whole; pyedflib has no
EDF+D; MNE's reader resamples mixed rates to one. Here each signal keeps its
own rate, an EDF+D record sits at the onset its time-keeping annotation
gives, and a BDF is read 24 bits at a time from the records a window needs.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from loupe_tui.io.edf.scale import scale_bdf, scale_edf
from loupe_tui.core.edf.header import EdfHeader, HeaderProblem, Signal, header_length, parse_header
from loupe_tui.core.edf.tal import Annotation, parse_tals
from loupe_tui.io.source import TimeAxis

#: Consecutive records whose onsets differ from the record duration by less than this (seconds)
#: are one run; EDF+ onsets are written with limited decimals.
ONSET_TOLERANCE = 1e-4


@dataclass
class Layout:
    """Where the records sit in time: ``onsets`` (seconds, one per record) and the record indices
    where a new run starts after a gap (``run_starts``, always starting with 0)."""

    onsets: np.ndarray
    run_starts: np.ndarray

    def axis(self, samples_per_record: int, rate: float) -> TimeAxis:
        n = len(self.onsets) * samples_per_record
        t0 = float(self.onsets[0])
        if len(self.run_starts) == 1:
            return TimeAxis(n=n, t0=t0, fs=rate)
        seg = np.column_stack([self.run_starts * samples_per_record, self.onsets[self.run_starts]]).astype(np.float64)
        return TimeAxis(n=n, t0=t0, fs=rate, segments=seg)


class EdfFile:
    """An open EDF/EDF+/BDF/BDF+ file.

    Parameters
    ----------
    source : path or binary file object
        A path is memory-mapped; a file object must support ``seek`` and ``read``.
    name : str, optional
        How errors name the file (default: the path, or the object's ``name``).

    Raises
    ------
    HeaderProblem
        The header makes the data unreadable.
    """

    def __init__(self, source: str | os.PathLike | BinaryIO, name: str | None = None):
        self._fh: BinaryIO | None = None
        self._own = False
        self._mm = None
        self._map: mmap.mmap | None = None
        if isinstance(source, (str, os.PathLike)):
            self.path: Path | None = Path(source)
            self.name = name or str(source)
            self._fh = open(self.path, "rb")
            self._own = True
            size = os.fstat(self._fh.fileno()).st_size
        else:
            self.path = None
            self._fh = source
            self.name = name or str(getattr(source, "name", "EDF file"))
            size = _size_of(source)
        try:
            first = _read_at(self._fh, 0, 256)
            head = first + _read_at(self._fh, 256, header_length(first) - 256)
            self.header: EdfHeader = parse_header(head, size)
            self._head = head
        except BaseException:
            self.close()
            raise
        h = self.header
        if self.path is not None and h.n_records:
            dtype = np.dtype("<i2") if not h.bdf else np.dtype(np.uint8)
            width = h.record_samples if not h.bdf else h.record_bytes
            self._map = mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ)
            self._mm = np.frombuffer(self._map, dtype=dtype, count=h.n_records * width,
                                     offset=h.header_bytes).reshape(h.n_records, width)
        self._layout: Layout | None = None
        self._annotations: list[Annotation] | None = None
        self.warnings = list(h.warnings)

    # -- records ----------------------------------------------------------------------------------
    def _records(self, r0: int, r1: int) -> np.ndarray:
        """Records ``[r0, r1)``: int16 ``(n, record_samples)`` (EDF) or uint8 ``(n, record_bytes)`` (BDF)."""
        h = self.header
        r0, r1 = max(0, r0), min(h.n_records, r1)
        if self._mm is not None:
            return self._mm[r0:r1]
        raw = _read_at(self._fh, h.header_bytes + r0 * h.record_bytes, (r1 - r0) * h.record_bytes)
        if len(raw) < (r1 - r0) * h.record_bytes:
            raise HeaderProblem(f"data records {r0}..{r1} could not be read (the file ended)")
        if h.bdf:
            return np.frombuffer(raw, np.uint8).reshape(r1 - r0, h.record_bytes)
        return np.frombuffer(raw, "<i2").reshape(r1 - r0, h.record_samples)

    def _decode(self, recs: np.ndarray, sig: Signal) -> np.ndarray:
        """``sig``'s digital samples in the records ``recs`` (from :meth:`_records`), in order."""
        n = sig.samples_per_record
        if self.header.bdf:
            b = recs[:, 3 * sig.offset:3 * (sig.offset + n)].reshape(-1, n, 3).astype(np.int32)
            v = (b[..., 0] | (b[..., 1] << 8) | (b[..., 2] << 16)).reshape(-1)
            return (v ^ 0x800000) - 0x800000
        return recs[:, sig.offset:sig.offset + n].reshape(-1)

    def read(self, signals: list[Signal], s0: int, s1: int) -> np.ndarray:
        """Physical samples ``[s0, s1)`` of ``signals`` (one rate) as float32 ``(n, s1 - s0)``.

        Scaled straight from the records into float32 in one pass (:mod:`.scale`): this is what
        a pyramid build reads, so it runs near memory speed."""
        n = signals[0].samples_per_record
        if any(s.samples_per_record != n for s in signals):
            raise ValueError("read reads signals of one rate together")
        total = self.header.n_records * n
        s0, s1 = max(0, int(s0)), min(total, int(s1))
        out = np.empty((len(signals), max(0, s1 - s0)), np.float32)
        if s1 <= s0:
            return out
        r0, r1 = s0 // n, -(-s1 // n)
        recs = self._records(r0, r1)
        offsets = np.array([s.offset for s in signals], np.int64)
        gains = np.array([s.gain for s in signals], np.float64)
        shifts = np.array([s.physical_offset for s in signals], np.float64)
        kernel = scale_bdf if self.header.bdf else scale_edf
        kernel(recs, offsets, n, gains, shifts, s0 - r0 * n, s1 - s0, out)
        del recs
        self._release(r0, r1)
        return out

    def _release(self, r0: int, r1: int) -> None:
        """Unmap the pages of records ``[r0, r1)`` from this process once read (they stay in the page
        cache): paging a night keeps the process's mapped memory at a window's worth, not the file's."""
        if self._map is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        h = self.header
        a = h.header_bytes + r0 * h.record_bytes
        b = min(h.header_bytes + r1 * h.record_bytes, len(self._map))
        a0 = (a + mmap.PAGESIZE - 1) // mmap.PAGESIZE * mmap.PAGESIZE   # whole pages inside the range only
        if b - a0 >= mmap.PAGESIZE:
            self._map.madvise(mmap.MADV_DONTNEED, a0, (b - a0) // mmap.PAGESIZE * mmap.PAGESIZE)

    def out_of_range(self, signals: list[Signal], n_checks: int = 8) -> list[str]:
        """Labels of ``signals`` with samples outside their digital range, in ``n_checks`` records
        spread over the file (a look, not a full scan: opening stays O(1))."""
        h = self.header
        picks = np.unique(np.linspace(0, h.n_records - 1, min(n_checks, h.n_records)).astype(int))
        bad: list[str] = []
        for r in picks:
            recs = self._records(int(r), int(r) + 1)
            for sig in signals:
                d = self._decode(recs, sig)
                if sig.label not in bad and len(d) and (d.min() < sig.digital_min or d.max() > sig.digital_max):
                    bad.append(sig.label)
        return [s.label for s in signals if s.label in bad]

    # -- annotations and time ------------------------------------------------------------------------
    def _annotation_block(self, sig: Signal) -> np.ndarray:
        """The annotation signal's bytes of every record, ``(n_records, bytes)`` uint8.

        A file at a URL reads them with ``read_strided`` (:class:`~loupe_tui.io.remote.files.RemoteFile`:
        the slices alone, or whole records when they are small, remembered on this machine)."""
        h = self.header
        nb = sig.samples_per_record * h.sample_bytes
        start = sig.offset * h.sample_bytes
        if self._mm is None and hasattr(self._fh, "read_strided"):
            return self._fh.read_strided(h.header_bytes + start, h.record_bytes, nb, h.n_records)
        out = np.empty((h.n_records, nb), np.uint8)
        step = max(1, (64 << 20) // max(h.record_bytes, 1))
        for r0 in range(0, h.n_records, step):
            recs = self._records(r0, r0 + step)
            raw = recs.view(np.uint8).reshape(len(recs), -1) if not h.bdf else recs
            out[r0:r0 + len(recs)] = raw[:, start:start + nb]
        return out

    def _scan_annotations(self) -> None:
        h = self.header
        anns: list[Annotation] = []
        onsets = None
        broken = 0
        for k, sig in enumerate(h.annotation_signals):
            tals = parse_tals(self._annotation_block(sig))
            broken += tals.broken
            anns += tals.annotations
            if k == 0:
                onsets = tals.record_onsets
        if broken:
            self.warnings.append(f"{broken} data record(s) hold annotation bytes that are not valid TALs "
                                 "(left out)")
        regular = np.arange(h.n_records, dtype=np.float64) * h.record_duration
        if h.plus == "D":
            if onsets is None or np.isnan(onsets).any():
                missing = h.n_records if onsets is None else int(np.isnan(onsets).sum())
                raise HeaderProblem(f"EDF+D file: {missing} data record(s) have no time-keeping annotation, "
                                    "so where they sit in time is unknown")
            if np.any(np.diff(onsets) < h.record_duration - ONSET_TOLERANCE):
                i = int(np.flatnonzero(np.diff(onsets) < h.record_duration - ONSET_TOLERANCE)[0])
                raise HeaderProblem(f"EDF+D file: data record {i + 2} starts at {onsets[i + 1]:g} s, before "
                                    f"record {i + 1} ends ({onsets[i] + h.record_duration:g} s)")
        elif h.plus == "C" and onsets is not None and not np.isnan(onsets[0]):
            regular = regular + float(onsets[0])       # EDF+C may start a fraction of a second in
            onsets = regular
        else:
            onsets = regular
        step = np.diff(onsets)
        runs = np.r_[0, np.flatnonzero(np.abs(step - h.record_duration) > ONSET_TOLERANCE) + 1]
        self._layout = Layout(onsets=np.asarray(onsets, np.float64), run_starts=runs.astype(np.int64))
        last = float(onsets[-1] + h.record_duration)
        past = [a for a in anns if a.onset > last + ONSET_TOLERANCE]
        if past:
            self.warnings.append(f"{len(past)} annotation(s) start after the recording ends ({last:g} s), "
                                 f"e.g. {past[0].text!r} at {past[0].onset:g} s (kept)")
        self._annotations = anns

    @property
    def layout(self) -> Layout:
        if self._layout is None:
            self._scan_annotations()
        return self._layout

    @property
    def annotations(self) -> list[Annotation]:
        """Every annotation of every annotation signal but the time-keeping ones, by onset."""
        if self._annotations is None:
            self._scan_annotations()
        return sorted(self._annotations, key=lambda a: a.onset)

    def annotations_only(self) -> bytes:
        """An EDF+/BDF+ file of this file's header and annotation signals alone (no samples): what a
        labels reader needs of it, a small fraction of the file. Raises ValueError when it has none."""
        h = self.header
        anns = h.annotation_signals
        if not anns:
            raise ValueError(f"{self.name}: has no annotation signals")
        ns = len(h.signals)
        fields = [(16, "label"), (80, "transducer"), (8, "unit"), (8, "pmin"), (8, "pmax"), (8, "dmin"), (8, "dmax"),
                  (80, "prefilter"), (8, "samples"), (32, "reserved")]
        head, at = bytearray(self._head[:256]), 256
        for width, _ in fields:
            head += b"".join(self._head[at + s.index * width:at + (s.index + 1) * width] for s in anns)
            at += width * ns
        head[184:192] = f"{256 * (len(anns) + 1):<8d}".encode()
        head[252:256] = f"{len(anns):<4d}".encode()
        blocks = [self._annotation_block(s) for s in anns]
        return bytes(head) + np.concatenate(blocks, axis=1).tobytes()

    def time_axis(self, sig: Signal) -> TimeAxis:
        return self.layout.axis(sig.samples_per_record, sig.rate)

    def close(self) -> None:
        self._mm = None
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:          # an array still views it: the garbage collector closes it
                pass
            self._map = None
        if self._own and self._fh is not None:
            self._fh.close()
        self._fh = None

    def __enter__(self) -> EdfFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read_at(fh: BinaryIO, pos: int, n: int) -> bytes:
    if n <= 0:
        return b""
    if hasattr(fh, "read_at"):      # a ranged reader (a file at a URL): no shared position
        return fh.read_at(pos, n)
    if hasattr(fh, "fileno"):
        try:
            return os.pread(fh.fileno(), n, pos)
        except (OSError, AttributeError, ValueError, TypeError):
            pass
    fh.seek(pos)
    out = fh.read(n)
    return out if isinstance(out, bytes) else bytes(out)


def _size_of(fh: BinaryIO) -> int | None:
    size = getattr(fh, "size", None)
    if isinstance(size, int):
        return size
    try:
        pos = fh.tell()
        end = fh.seek(0, os.SEEK_END)
        fh.seek(pos)
        return int(end)
    except (OSError, AttributeError, ValueError):
        return None
