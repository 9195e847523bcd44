"""Display filters: per-channel zero-phase band-pass, high-pass, low-pass and notch.

:class:`DisplayFilter` is one Butterworth or notch filter, :class:`FilterChain`
several run as one cascade, :class:`FilteredSource` a ``TraceSource`` whose
chosen channels read filtered. Any window equals ``scipy.signal.sosfiltfilt``
of the whole recording (to ~1e-13 of the signal's scale before ``read``'s
float32): it is filtered with :func:`~loupe_tui.io.zero_phase.filter_padding`
samples more on each side, past which the filter's response has decayed by
1e-12. That is about ``23 / f`` seconds for a high-pass edge ``f`` (78 s each
side at 0.3 Hz, 11 s for a notch), so long windows are drawn from a pyramid of
the filtered source; its fingerprint keeps that apart from the raw one's.

A NaN or infinite sample and a gap of a segmented axis end a run; each run of
finite, gap-free samples is filtered as a recording of its own. NaN and
infinite samples read NaN, and so does a run no longer than ``sosfiltfilt``'s
padding (at most ``3 * (2 * sections + 1)`` samples, 0.1 s for EEG at 256 Hz):
drawn raw, its offset and hum would pass for filtered signal, while a break
in the line honestly says there is nothing filtered to show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, iirnotch, tf2sos

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.source import TraceSource
from loupe_tui.io.zero_phase import default_padlen, filter_padding, finite_runs, sosfiltfilt
from loupe_tui.validate import check_choice, check_int, check_number, fail

KINDS = ("bandpass", "highpass", "lowpass", "notch")
_N_EDGES = {"bandpass": 2, "highpass": 1, "lowpass": 1, "notch": 1}
_SHORT = {"highpass": "hp", "lowpass": "lp", "notch": "notch"}  # in labels and specs
#: Bumped when filter design changes, so pyramids of filtered sources are rebuilt.
_KEY_VERSION = 1


@dataclass(frozen=True)
class DisplayFilter:
    """One zero-phase display filter, validated on construction.

    Parameters
    ----------
    kind : ``"bandpass"``, ``"highpass"``, ``"lowpass"`` or ``"notch"``
    edges : float or sequence of float
        Hz: ``(low, high)`` for a band-pass, the cut-off for a high- or
        low-pass, the centre of a notch; stored as a tuple.
    order : int
        Butterworth order per edge (1-10). 4, as MNE's default IIR filter and
        the EMG level: run both ways it falls 48 dB per octave past an edge
        (which sits at -6 dB), so a 35 Hz low-pass takes over 70 dB off 100 Hz;
        higher orders ring longer and lengthen the padding read around each
        window. Unused by a notch.
    q : float
        Quality factor of a notch (centre over -3 dB width): 30 (scipy's
        example) is 1.7 Hz wide at 50 Hz, and narrower run both ways, so
        neighbouring EEG is left alone. Unused by the Butterworth kinds.
    """

    kind: str
    edges: tuple[float, ...]
    order: int = 4
    q: float = 30.0

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        raw = self.edges if isinstance(self.edges, (tuple, list)) else (self.edges,)
        n = _N_EDGES[self.kind]
        if len(raw) != n:
            raise fail("edges", f"a {self.kind} filter needs {n} edge(s) in Hz, got {self.edges!r}")
        edges = tuple(check_number("edges", e, gt=0) for e in raw)
        if n == 2 and not edges[0] < edges[1]:
            raise fail("edges", f"the low edge must be below the high edge, got {edges[0]:g}-{edges[1]:g} Hz")
        object.__setattr__(self, "edges", edges)
        if check_int("order", self.order, ge=1) > 10:
            raise fail("order", f"must be <= 10, got {self.order}")
        object.__setattr__(self, "q", check_number("q", self.q, gt=0))

    @property
    def label(self) -> str:
        """Short text for a panel name: ``"0.3-35 Hz"``, ``"hp 0.5 Hz"``, ``"notch 50 Hz"``."""
        if self.kind == "bandpass":
            return f"{self.edges[0]:g}-{self.edges[1]:g} Hz"
        return f"{_SHORT[self.kind]} {self.edges[0]:g} Hz"

    @property
    def key(self) -> str:
        """Exact, stable description (every parameter that changes the output)."""
        edges = ",".join(repr(e) for e in self.edges)
        extra = f"q={self.q!r}" if self.kind == "notch" else f"order={self.order}"
        return f"{self.kind}({edges};{extra})"

    def sos(self, fs: float) -> np.ndarray:
        """Second-order sections ``(n_sections, 6)`` at ``fs`` Hz; LoupeConfigError when an
        edge is at or above the Nyquist frequency."""
        fs = check_number("fs", fs, gt=0)
        top = max(self.edges)
        if top >= fs / 2:
            raise LoupeConfigError(f"filter {self.label}: {top:g} Hz is not below the Nyquist frequency "
                                   f"({fs / 2:g} Hz) of a {fs:g} Hz source")
        if self.kind == "notch":
            b, a = iirnotch(self.edges[0], self.q, fs=fs)
            return tf2sos(b, a)
        wn = self.edges if self.kind == "bandpass" else self.edges[0]
        return butter(self.order, wn, btype=self.kind, output="sos", fs=fs)


PRESETS: Mapping[str, DisplayFilter] = {
    "eeg": DisplayFilter("bandpass", (0.3, 35.0)),
    "emg": DisplayFilter("bandpass", (10.0, 100.0)),
    "notch50": DisplayFilter("notch", 50.0),
    "notch60": DisplayFilter("notch", 60.0),
}
_NUM = r"(\d+(?:\.\d*)?|\.\d+)"
_BAND = re.compile(rf"{_NUM}\s*-\s*{_NUM}")
_ONE = re.compile(rf"(hp|lp|notch)\s*:\s*{_NUM}")


def parse_filter(text: str) -> DisplayFilter:
    """A filter from a preset name (:data:`PRESETS`) or a spec: ``"0.3-35"`` (band-pass, Hz),
    ``"hp:0.5"``, ``"lp:35"``, ``"notch:50"``; case and spaces are ignored. Anything else,
    or a bad filter (``"35-0.3"``), is a one-line LoupeConfigError that quotes ``text``."""
    if not isinstance(text, str):
        raise fail("filter", f"must be text such as 'eeg' or '0.3-35', got {text!r}")
    t = text.strip().lower()
    if t in PRESETS:
        return PRESETS[t]
    band, one = _BAND.fullmatch(t), _ONE.fullmatch(t)
    try:
        if band:
            return DisplayFilter("bandpass", (float(band[1]), float(band[2])))
        if one:
            return DisplayFilter({v: k for k, v in _SHORT.items()}[one[1]], float(one[2]))
    except LoupeConfigError as exc:
        raise fail("filter", f"{text!r}: {exc}") from None
    raise fail("filter", f"cannot read {text!r}: give a preset ({', '.join(PRESETS)}) "
                         "or a spec such as 0.3-35, hp:0.5, lp:35, notch:50")


@dataclass(frozen=True)
class FilterChain:
    """Filters run as one cascade, in order (e.g. a band-pass and a notch): ``filters``
    is one or more :class:`DisplayFilter`, stored as a tuple."""

    filters: tuple[DisplayFilter, ...]

    def __post_init__(self) -> None:
        filters = tuple(self.filters) if isinstance(self.filters, (tuple, list)) else (self.filters,)
        if not filters or not all(isinstance(f, DisplayFilter) for f in filters):
            raise fail("filters", f"must be one or more DisplayFilter, got {self.filters!r}")
        object.__setattr__(self, "filters", filters)

    @classmethod
    def parse(cls, text: str) -> FilterChain:
        """A chain from comma-separated :func:`parse_filter` specs: ``"eeg, notch50"``."""
        if not isinstance(text, str) or not text.strip():
            raise fail("filter", f"give one or more filters such as 'eeg, notch50', got {text!r}")
        return cls(tuple(parse_filter(part) for part in text.split(",")))

    @property
    def label(self) -> str:
        """The filters' labels joined with ``", "``: ``"0.3-35 Hz, notch 50 Hz"``."""
        return ", ".join(f.label for f in self.filters)

    @property
    def key(self) -> str:
        """Stable text description for fingerprints (exact parameters, in order)."""
        return "+".join(f.key for f in self.filters)

    def sos(self, fs: float) -> np.ndarray:
        """The filters' second-order sections stacked in order."""
        return np.vstack([f.sos(fs) for f in self.filters])


def filtered_name(name: str, chain: FilterChain | None) -> str:
    """A trace or panel name with its filters: ``"EEG [0.3-35 Hz, notch 50 Hz]"``."""
    return name if chain is None else f"{name} [{chain.label}]"


class FilteredSource:
    """A :class:`~loupe_tui.io.source.TraceSource` whose chosen channels read zero-phase filtered.

    Parameters
    ----------
    source : TraceSource
        Regular or segmented time axis (an irregular one has no sampling rate).
    chains : mapping channel index -> FilterChain
        Channels not in it read unchanged. ``names`` are the source's; panels
        show :func:`filtered_name`. ``fingerprint`` is the source's plus the
        chains' keys, so a filtered pyramid never reuses a raw one; ``padding``
        is the samples read beyond each side of a window (the longest chain's).
    """

    def __init__(self, source: TraceSource, chains: Mapping[int, FilterChain]):
        fs = source.time.fs
        if fs is None or source.time.times is not None:
            raise fail("source", "an irregular time axis (no sampling rate) cannot be filtered")
        self._chains: dict[int, tuple[FilterChain, np.ndarray, int]] = {}
        for ch, chain in dict(chains).items():
            if not isinstance(ch, (int, np.integer)) or isinstance(ch, bool) or not 0 <= ch < source.n_channels:
                raise fail("chains", f"no channel {ch!r} (the source has {source.n_channels})")
            if not isinstance(chain, FilterChain):
                raise fail(f"chains[{ch}]", f"must be a FilterChain, got {chain!r}")
            sos = chain.sos(fs)
            self._chains[int(ch)] = (chain, sos, filter_padding(sos))
        self.source, self.time, self.names = source, source.time, list(source.names)
        keys = ";".join(f"{ch}={c.key}" for ch, (c, _, _) in sorted(self._chains.items()))
        self._key = f"filters v{_KEY_VERSION}:{keys}"
        self.padding = max((p for _, _, p in self._chains.values()), default=0)

    @property
    def fingerprint(self) -> str:
        # Asked when needed: some sources compute theirs on first use.
        return f"{self.source.fingerprint}|{self._key}"

    @property
    def n_channels(self) -> int:
        return self.source.n_channels

    @property
    def n_samples(self) -> int:
        return self.source.n_samples

    @property
    def preferred_block(self) -> int:
        return self.source.preferred_block

    def chain(self, channel: int) -> FilterChain | None:
        """The chain of ``channel``, or None when it reads unfiltered."""
        return self._chains[channel][0] if channel in self._chains else None

    def read(self, i0: int, i1: int, channels: slice | list[int] | None = None,
             *, dtype: type = np.float32) -> np.ndarray:
        """Samples ``[i0, i1)`` of ``channels`` as ``(n_ch, i1 - i0)``, filtered where a chain is set.

        ``dtype=np.float64`` gives the filtered samples before rounding to
        float32 (unfiltered channels are the source's float32 values).
        """
        n = self.n_samples
        i0 = min(max(0, int(i0)), n)
        i1 = min(max(i0, int(i1)), n)
        rows = np.atleast_1d(np.arange(self.n_channels)[channels if channels is not None else slice(None)])
        pad = max((self._chains[c][2] for c in rows.tolist() if c in self._chains), default=0)
        r0, r1 = max(0, i0 - pad), min(n, i1 + pad)
        x = self.source.read(r0, r1, channels)
        out = np.array(x[:, i0 - r0: i1 - r0], dtype=dtype)
        gaps = self.time.gaps_in(r0, r1) - r0
        for j, c in enumerate(rows.tolist()):
            if c in self._chains:
                _, sos, _ = self._chains[c]
                out[j] = _filter_runs(sos, x[j].astype(np.float64), gaps, i0 - r0, i1 - r0)
        return out


def _filter_runs(sos: np.ndarray, x: np.ndarray, gaps: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``x[lo:hi]`` of ``x`` filtered run by run (see the module docstring); NaN outside
    runs long enough to filter. Runs that miss ``[lo, hi)`` are not filtered."""
    y = np.full_like(x, np.nan)
    min_run = default_padlen(sos) + 1
    for a, b in finite_runs(x, gaps):
        if b - a >= min_run and a < hi and b > lo:
            y[a:b] = sosfiltfilt(sos, x[a:b])
    return y[lo:hi]
