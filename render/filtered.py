"""Display filters in the window: the ``filters`` view option and what a filtered trace reads.

``SetViewOption("filters", {"on": bool, "chains": {trace: "eeg, notch50"}, "pyramids": [trace,
...]})`` (:class:`DisplayFilters`). While on, a trace with a chain is drawn zero-phase filtered
and named with it (:func:`~loupe_tui.io.filters.filtered_name`). Where its samples come from
(:class:`FilteredReader`):

* windows of at most :data:`DIRECT_SAMPLES` samples are read through
  :class:`~loupe_tui.io.filters.FilteredSource` (it pads and filters, so a window equals
  filtering the whole recording) and reduced to columns as the pyramid reduces samples;
* longer windows from the min/max pyramid of the filtered source once the app lists the
  trace in ``pyramids`` (it builds that pyramid with progress; both make the source with
  :func:`loupe_tui.viewspec.filter_source`, so the fingerprints match); until then from the
  raw pyramid, and the name says ``(filtering…)``.

Pure: no GL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.filters import FilterChain
from loupe_tui.io.pyramid import Pyramid, WindowData
from loupe_tui.io.columns import column_borders, column_starts
from loupe_tui.viewspec import filter_source
from render.prep.chunk_cache import ChunkCache

#: Windows of at most this many samples (per channel, padding not counted) are filtered from the
#: samples: 200 s at 1 kHz, 13 min at 256 Hz. A 0.3 Hz high-pass pads 78 s each side, so such a
#: window filters about 360,000 samples per trace (a few ms with the numba kernel).
DIRECT_SAMPLES = 200_000
PENDING = " (filtering…)"
OPTIONS = ("on", "chains", "pyramids")


@dataclass(frozen=True)
class DisplayFilters:
    """The ``filters`` view option, parsed.

    Attributes
    ----------
    on : bool
    chains : dict trace name -> FilterChain
    pyramids : frozenset of str
        Traces whose filtered pyramid the app has built.
    """

    on: bool = False
    chains: Mapping[str, FilterChain] = field(default_factory=dict)
    pyramids: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, options: Mapping) -> DisplayFilters:
        """From the option's values (all three, merged with the ones set before).

        Raises
        ------
        LoupeConfigError
            A chain that :meth:`FilterChain.parse` refuses, or values of the wrong kind.
        """
        unknown = [k for k in options if k not in OPTIONS]
        if unknown:
            raise LoupeConfigError(f"filters: unknown option(s) {', '.join(unknown)} (on, chains, pyramids)")
        chains = options.get("chains") or {}
        if not isinstance(chains, Mapping):
            raise LoupeConfigError(f"filters: chains must map trace names to chains, got {chains!r}")
        parsed = {}
        for name, text in chains.items():
            try:
                parsed[str(name)] = FilterChain.parse(text)
            except LoupeConfigError as exc:
                raise LoupeConfigError(f"filters: trace {name!r}: {exc}") from None
        pyramids = options.get("pyramids") or ()
        if isinstance(pyramids, str) or not all(isinstance(p, str) for p in pyramids):
            raise LoupeConfigError(f"filters: pyramids must be a list of trace names, got {pyramids!r}")
        return cls(bool(options.get("on", False)), parsed, frozenset(pyramids))

    def active(self) -> Mapping[str, FilterChain]:
        """The chains drawn now (none while off)."""
        return self.chains if self.on else {}


class FilteredReader:
    """Window queries of one panel source whose traces ``names`` may have chains.

    Parameters
    ----------
    raw : Pyramid
        The source's own pyramid.
    names : list of str
        The source's trace names, in channel order.
    chains : mapping trace name -> FilterChain
        Traces without one read raw.
    built : bool
        The app says the filtered pyramid is built (it is opened, not built, here).
    cache_dir : path
        The pyramid cache.
    """

    def __init__(self, raw: Pyramid, names: list[str], chains: Mapping[str, FilterChain], built: bool,
                 cache_dir: str | Path | None):
        self.raw = raw
        # Through decoded storage chunks: a padded window decodes whole zarr chunks (17 min of every
        # channel in the demo), which cost 180 ms a page when decoded again for every page.
        self.source = filter_source(ChunkCache(raw.source), names, chains)
        self.chains = {i: chains[n] for i, n in enumerate(names) if n in chains}
        self.pyramid = Pyramid.open(self.source, cache_dir) if built and self.source is not None else None
        # A pyramid without levels reads every window from the filtered samples (the pyramid's own
        # column rule); it is asked only for windows of at most DIRECT_SAMPLES samples.
        self._samples = None if self.source is None else Pyramid(self.source, raw.path, [1 << 62],
                                                                 [raw.levels[-1]])

    def window(self, t0: float, t1: float, n_px: int, channels) -> tuple[WindowData, bool]:
        """``(window data, filtered)``: filtered False when a long window of a filtered trace came
        from the raw pyramid (its filtered pyramid is not built yet)."""
        if self.source is None or not any(int(c) in self.chains for c in np.atleast_1d(channels)):
            return self.raw.window(t0, t1, n_px, channels), True
        if self.pyramid is not None:
            return self.pyramid.window(t0, t1, n_px, channels), True
        starts = column_starts(self.raw.time, column_borders(t0, t1, n_px))
        if int(starts[-1]) - int(starts[0]) <= DIRECT_SAMPLES:
            return self._samples.window(t0, t1, n_px, channels), True
        return self.raw.window(t0, t1, n_px, channels), False
