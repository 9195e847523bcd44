"""``read_edf``: an EDF/BDF file as lazy xarray DataArrays, one per sampling rate.

Each rate group is a ``(channel, time)`` float32 DataArray in physical units
whose values are read from the file's data records only when indexed (an
xarray lazily indexed backend array, no dask), with a ``time`` coordinate
that is computed, never stored (24 h at 256 Hz would be 177 MB of float64),
and the group's :class:`~loupe_tui.io.source.TimeAxis` in the coordinate's
encoding, so that a :class:`~loupe_tui.config.TraceConfig` built on it opens
in O(1). Per-channel units are the ``units`` coordinate along ``channel``.

``channels`` picks and orders signals by label (shell-style patterns too);
``derive`` adds bipolar or re-referenced signals (``"C4-M1": ("C4", "M1")``),
computed from their two sides when read.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import xarray as xr
from xarray.backends import BackendArray
from xarray.core import indexing

from loupe_tui.errors import DataFileError
from loupe_tui.core.edf.header import HeaderProblem, Signal
from loupe_tui.io.edf.reader import EdfFile
from loupe_tui.core.edf.tal import Annotation
from loupe_tui.io.source import TimeAxis
from loupe_tui.io.xarray_source import TIME_AXIS_KEY

EDF_SUFFIXES = (".edf", ".bdf", ".rec")


@dataclass(frozen=True)
class Channel:
    """A signal of the group: one of the file's, or ``plus`` minus ``minus`` (a derivation)."""

    label: str
    plus: Signal
    minus: Signal | None = None

    @property
    def unit(self) -> str:
        return self.plus.unit


class EdfGroupArray(BackendArray):
    """``(channel, time)`` float32 samples of one rate group, read from the records on demand.

    :meth:`signals` says which of the file's signals it holds, so that another process can open
    the same group (:func:`open_group`; the GL window does, through the session spec)."""

    def __init__(self, edf: EdfFile, channels: list[Channel]):
        self.edf = edf
        self.channels = channels
        n = edf.header.n_records * channels[0].plus.samples_per_record
        self.shape = (len(channels), n)
        self.dtype = np.dtype(np.float32)

    def __getitem__(self, key):
        return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.OUTER, self._read)

    @property
    def file_name(self) -> str:
        """The path or URL the file was opened from."""
        return self.edf.name

    def signals(self) -> list[list]:
        """``[[plus, minus or None, label], ...]``: each channel's signal indices in the file's header."""
        return [[c.plus.index, None if c.minus is None else c.minus.index, c.label] for c in self.channels]

    def _read(self, key) -> np.ndarray:
        # xarray hands an OUTER backend ints, 1-D int arrays and slices with a positive step
        # (it reverses a negative one itself)
        ck, tk = key
        rows = np.arange(self.shape[0])[ck]
        if isinstance(tk, slice):
            s0, s1, step = tk.indices(self.shape[1])
            picks = None
        else:
            idx = np.atleast_1d(np.asarray(tk, np.int64))
            s0, s1, step = (int(idx.min()), int(idx.max()) + 1, 1) if idx.size else (0, 0, 1)
            picks = idx - s0
        chans = [self.channels[r] for r in np.atleast_1d(rows)]
        need = {c.plus.index: c.plus for c in chans} | {c.minus.index: c.minus for c in chans if c.minus}
        sigs = [need[i] for i in sorted(need)]
        block = self.edf.read(sigs, s0, s1) if s1 > s0 else np.zeros((len(sigs), 0), np.float32)
        at = {s.index: k for k, s in enumerate(sigs)}
        if all(c.minus is None for c in chans) and [c.plus.index for c in chans] == [s.index for s in sigs]:
            out = block              # the file's signals in their order: as read, no copy
        else:
            out = np.empty((len(chans), block.shape[1]), np.float32)
            for k, c in enumerate(chans):
                out[k] = block[at[c.plus.index]]
                if c.minus is not None:
                    out[k] -= block[at[c.minus.index]]
        if picks is not None:
            out = out[:, picks]
        elif step != 1:
            out = out[:, ::step]
        if np.ndim(ck) == 0 and not isinstance(ck, slice):
            out = out[0]
        if np.ndim(tk) == 0 and not isinstance(tk, slice):
            out = out[..., 0]
        return out


class _TimeArray(BackendArray):
    """The time coordinate, computed from the TimeAxis when indexed."""

    def __init__(self, axis: TimeAxis):
        self.axis = axis
        self.shape = (axis.n,)
        self.dtype = np.dtype(np.float64)

    def __getitem__(self, key):
        return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.OUTER, self._read)

    def _read(self, key) -> np.ndarray:
        (k,) = key
        if isinstance(k, slice):
            idx = np.arange(*k.indices(self.axis.n), dtype=np.int64)
        else:
            idx = np.asarray(k, np.int64)
        return np.asarray(self.axis.time_of(idx), np.float64)


@dataclass
class EdfRecording:
    """An opened EDF/BDF file: its rate groups as lazy DataArrays, its annotations, its start.

    ``groups`` maps a group name (``"256 Hz"``; with ``split_units``, ``"256 Hz uV"``) to a
    ``(channel, time)`` DataArray; ``warnings`` are one-line notes on what the file bends
    (a truncated last record, digital limits beyond the sample width ...), already saying
    what was done about it.
    """

    path: str
    file: EdfFile
    groups: dict[str, xr.DataArray]
    annotations: list[Annotation]
    warnings: list[str] = field(default_factory=list)

    @property
    def header(self):
        return self.file.header

    @property
    def start(self) -> dt.datetime | None:
        """The header's start date and time (None when it is not a date)."""
        return self.file.header.start

    @property
    def duration(self) -> float:
        return self.file.header.duration

    def events(self):
        """The annotations as a polars DataFrame ``onset``, ``duration``, ``text`` (seconds)."""
        import polars as pl

        return pl.DataFrame({"onset": [a.onset for a in self.annotations],
                             "duration": [a.duration for a in self.annotations],
                             "text": [a.text for a in self.annotations]},
                            schema={"onset": pl.Float64, "duration": pl.Float64, "text": pl.Utf8})

    def close(self) -> None:
        self.file.close()


def is_edf(path: str | os.PathLike) -> bool:
    """By name (``.edf``, ``.bdf``, ``.rec``, any case), or by the first 8 bytes of a file."""
    p = Path(path)
    if p.suffix.lower() in EDF_SUFFIXES:
        return True
    if p.is_file():
        with open(p, "rb") as f:
            head = f.read(8)
        return head == b"\xffBIOSEMI" or head == b"0       "
    return False


def read_edf(source: str | os.PathLike | BinaryIO, channels: Sequence[str] | None = None,
             derive: Mapping[str, tuple[str, str]] | Sequence[str] | None = None,
             split_units: bool = False, name: str | None = None) -> EdfRecording:
    """Open an EDF, EDF+ (C or D), BDF or BDF+ file lazily.

    Parameters
    ----------
    source : path or binary file object
        A path is memory-mapped; a file object is read with seek and read.
    channels : sequence of str, optional
        Signal labels or shell patterns (``"EEG*"``), in the order wanted;
        default every data signal in file order. Derived names may be listed.
    derive : mapping or sequence, optional
        ``{"C4-M1": ("C4", "M1")}`` or ``["C4-M1=C4-M1"]`` style strings
        ``NAME=A-B``: ``A`` minus ``B``, read lazily; both at one rate.
    split_units : bool
        Also split a rate group by physical unit (one unit per panel).

    Raises
    ------
    DataFileError
        One line naming the file and what makes it unreadable.
    """
    edf, where = _open_file(source, name)
    try:
        return _build(edf, where, channels, derive, split_units)
    except HeaderProblem as exc:
        edf.close()
        raise DataFileError(f"{where}: {exc}") from None
    except DataFileError:
        edf.close()
        raise


def _build(edf: EdfFile, where: str, channels, derive, split_units: bool) -> EdfRecording:
    h = edf.header
    data = h.data_signals
    by_label = {s.label: s for s in data}
    chans = [Channel(s.label, s) for s in data]
    for name, sides in _derivations(derive, where).items():
        a, b = _sides(name, sides, by_label, where)
        sa, sb = by_label[a], by_label[b]
        if sa.samples_per_record != sb.samples_per_record:
            raise DataFileError(f"{where}: --derive {name}={a}-{b}: {a} is sampled at {sa.rate:g} Hz and {b} "
                                f"at {sb.rate:g} Hz")
        if sa.unit != sb.unit:
            edf.warnings.append(f"derived {name}: {a} is in {sa.unit!r} and {b} in {sb.unit!r} (subtracted as is)")
        if name in by_label:
            raise DataFileError(f"{where}: --derive {name}: the file already has a signal {name!r}")
        chans.append(Channel(name, sa, sb))
    if channels:
        picked: list[Channel] = []
        for pat in channels:
            hits = [c for c in chans if fnmatch.fnmatchcase(c.label, pat) and c not in picked]
            if not hits and not any(fnmatch.fnmatchcase(c.label, pat) for c in picked):
                raise DataFileError(f"{where}: --channels {pat!r} matches no signal "
                                    f"(signals: {', '.join(c.label for c in chans)})")
            picked += hits
        chans = picked
    if not data and not h.annotation_signals:
        raise DataFileError(f"{where}: holds no signals")
    bad = edf.out_of_range(data) if data else []
    if bad:
        edf.warnings.append(f"samples beyond the declared digital range in {', '.join(bad)} (shown as they are)")
    groups: dict[str, list[Channel]] = {}
    for c in chans:
        key = f"{_rate_name(c.plus.rate)}" + (f" {c.unit}" if split_units and c.unit else "")
        groups.setdefault(key, []).append(c)
    arrays = {key: _group_array(edf, cs, key, where) for key, cs in groups.items()}
    anns = edf.annotations
    return EdfRecording(path=where, file=edf, groups=arrays, annotations=anns, warnings=list(edf.warnings))


def open_group(source: str | os.PathLike | BinaryIO, signals: Sequence[Sequence], group: str,
               name: str | None = None) -> xr.DataArray:
    """The rate group ``group`` of the EDF/BDF ``source`` holding ``signals`` (what
    :meth:`EdfGroupArray.signals` said), opened lazily as :func:`read_edf` opens it, without its checks
    (the process that opened the file first has made them).

    Raises
    ------
    DataFileError
        The file cannot be read, or no longer has those signals.
    """
    edf, where = _open_file(source, name)
    sigs = edf.header.signals
    try:
        chans = [Channel(str(label), sigs[int(plus)], None if minus is None else sigs[int(minus)])
                 for plus, minus, label in signals]
        if not chans or any(c.minus is None and c.plus.label != c.label for c in chans):
            raise IndexError
        return _group_array(edf, chans, group, where)
    except IndexError:
        edf.close()
        raise DataFileError(f"{where}: its signals are not those it was opened with (the file changed)") from None
    except HeaderProblem as exc:
        edf.close()
        raise DataFileError(f"{where}: {exc}") from None


def _group_array(edf: EdfFile, chans: list[Channel], key: str, where: str) -> xr.DataArray:
    axis = edf.time_axis(chans[0].plus)
    data = xr.Variable(("channel", "time"), indexing.LazilyIndexedArray(EdfGroupArray(edf, chans)))
    tvar = xr.Variable(("time",), indexing.LazilyIndexedArray(_TimeArray(axis)), attrs={"units": "s"})
    tvar.encoding[TIME_AXIS_KEY] = axis
    units = [c.unit for c in chans]
    coords = xr.Coordinates({"time": tvar, "channel": ("channel", [c.label for c in chans]),
                             "units": ("channel", units)}, indexes={})
    attrs = {"sampling_rate": chans[0].plus.rate, "source": where}
    if len(set(units)) == 1 and units[0]:
        attrs["units"] = units[0]
    da = xr.DataArray(data, coords=coords, name=key, attrs=attrs)
    da.encoding["source"] = where
    return da


def _derivations(derive, where: str) -> dict[str, tuple[str, str] | str]:
    """``{name: (a, b)}`` from a mapping, or ``{name: "A-B"}`` from ``NAME=A-B`` strings (split
    later, where the labels are known: labels often hold a dash, ``EEG Fpz-Cz``)."""
    if not derive:
        return {}
    if isinstance(derive, Mapping):
        return {str(k): (str(v[0]), str(v[1])) for k, v in derive.items()}
    out: dict[str, tuple[str, str] | str] = {}
    for item in derive:
        name, sep, expr = str(item).partition("=")
        if not sep or not name.strip() or "-" not in expr:
            raise DataFileError(f"{where}: --derive {item!r}: expected NAME=A-B (e.g. C4-M1=C4-M1)")
        out[name.strip()] = expr.strip()
    return out


def _sides(name: str, sides, by_label: Mapping[str, Signal], where: str) -> tuple[str, str]:
    if isinstance(sides, tuple):
        for x in sides:
            if x not in by_label:
                raise DataFileError(f"{where}: derive {name}: no signal {x!r} (signals: {', '.join(by_label)})")
        return sides
    cuts = [i for i, ch in enumerate(sides) if ch == "-"]
    fits = [(sides[:i].strip(), sides[i + 1:].strip()) for i in cuts
            if sides[:i].strip() in by_label and sides[i + 1:].strip() in by_label]
    if len(fits) != 1:
        why = "no split of it names two signals" if not fits else "it splits into signals more than one way"
        raise DataFileError(f"{where}: --derive {name}={sides}: {why} (signals: {', '.join(by_label)})")
    return fits[0]


def _rate_name(rate: float) -> str:
    return f"{rate:g} Hz"


def _open_file(source, name: str | None) -> tuple[EdfFile, str]:
    """``(EdfFile, where)``: the file opened, and how errors name it; a DataFileError (one line) when
    its header cannot be read."""
    where = name or (str(source) if isinstance(source, (str, os.PathLike)) else getattr(source, "name", "EDF"))
    try:
        return EdfFile(source, name=where), where
    except HeaderProblem as exc:
        raise DataFileError(f"{where}: {exc}") from None
    except OSError as exc:
        raise DataFileError(f"{where}: cannot read: {exc.strerror or exc}") from None
