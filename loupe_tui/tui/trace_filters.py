"""The display filters of the main screen's trace preview: the filtered sources, their pyramids, the worker.

The :class:`~loupe_tui.tui.filter_settings.DisplayFilters` of the view model
owns the settings (which trace, which chain, on or off); :class:`TraceFilters`
makes the preview draw them. The traces of one source share one
:class:`~loupe_tui.io.filters.FilteredSource` (every channel with a chain
filtered, the others as recorded: the GL window builds the same, so it
finds the same cached pyramid), whose pyramid is opened or built in a
thread worker (:func:`~loupe_tui.tui.workers.prepare_filtered`) with its
progress in the status bar, while the trace is drawn raw and named
``"EEG [0.3-35 Hz] building"``. Short windows read the filtered source
itself (``Pyramid.window`` reads samples below its first level), long ones
the filtered pyramid's levels.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.filters import FilteredSource, filtered_name
from loupe_tui.tui.filter_settings import TARGET
from loupe_tui.tui.view_change import ViewChange
from loupe_tui.tui.workers import prepare_filtered


class TraceFilters:
    """The display filters of the main ``screen`` (its ``view.filters``, ``traces``, ``ruler``)."""

    def __init__(self, screen):
        self.screen = screen
        self.traces: list = []             # PreviewTraces
        self.raw: list = []                # their raw pyramids (None: not built)
        self._pyramids: dict[str, object] = {}    # FilteredSource fingerprint -> Pyramid (None: failed)
        self._building: frozenset[str] = frozenset()

    @property
    def settings(self):
        return self.screen.view.filters

    def set_traces(self, traces: list, pyramids: list) -> None:
        """The preview's traces and raw pyramids are ready."""
        self.traces, self.raw = list(traces), list(pyramids)
        self.apply()

    # -- the handlers of ":filter" / the prompt --------------------------------------------
    def focused_trace(self) -> str:
        """The name of the focused trace; LoupeConfigError (one line) when no trace of the preview is."""
        ft = self.screen.view.focused
        names = [t.name for t in self.traces]
        if ft is not None and ft.trace in names:
            return ft.trace
        if not names:
            raise LoupeConfigError("display filters: no trace to filter yet (the trace preview is being prepared)")
        what = f"{ft.label} is focused" if ft is not None else "no trace is focused"
        raise LoupeConfigError(f"display filters act on a trace; {what} (Tab moves the focus)")

    def set_focused(self, text: str) -> ViewChange:
        """The focused trace's chain from ``text`` (``"eeg, notch50"``, ``"off"``)."""
        name = self.focused_trace()
        trace = next(t for t in self.traces if t.name == name)
        if trace.source.time.fs is None:
            raise LoupeConfigError(f"display filters: {name} has no sampling rate (an irregular time axis)")
        change = self.settings.set_chain(name, text, fs=trace.source.time.fs)
        self.settings.set_built(self._built_names())      # a chain changes its source's filtered pyramid
        return replace(change, options=((TARGET, self.settings.options()),))

    # -- drawing ------------------------------------------------------------------------------
    def _plan(self) -> dict[int, FilteredSource]:
        """Per source (by id) with a chain on any of its traces: its FilteredSource."""
        chains = self.settings.chains
        by_source: dict[int, tuple] = {}
        for t in self.traces:
            if t.name in chains:
                src, per_channel = by_source.setdefault(id(t.source), (t.source, {}))
                per_channel[t.channel] = chains[t.name]
        return {k: FilteredSource(src, per_channel) for k, (src, per_channel) in by_source.items()}

    def _built_names(self) -> list[str]:
        plan = self._plan()
        return [t.name for t in self.traces if id(t.source) in plan
                and self._pyramids.get(plan[id(t.source)].fingerprint) is not None]

    def apply(self) -> None:
        """Make the preview (and the ruler) draw what the settings say; build what is missing (when on)."""
        plan = self._plan()
        fps = {k: f.fingerprint for k, f in plan.items()}
        missing = {fps[k]: f for k, f in plan.items() if fps[k] not in self._pyramids}
        if self.settings.on and missing and frozenset(missing) != self._building:
            self._build(missing)
        drawn, pyramids = {}, list(self.raw)
        for i, t in enumerate(self.traces):
            chain = self.settings.chain(t.name)
            if chain is None or id(t.source) not in fps:
                continue
            fp = fps[id(t.source)]
            pyr = self._pyramids.get(fp)
            state = "" if pyr is not None else " (raw: no filtered pyramid)" if fp in self._pyramids else " building"
            drawn[i] = (pyr, self.settings.name(t.name) + state)
            if pyr is not None:
                pyramids[i] = pyr
        self.screen.traces.set_filtered(drawn)
        self.screen.ruler.set_traces(self.traces, pyramids)

    def _build(self, missing: dict) -> None:
        chains, label = self.settings.chains, {}
        for t in self.traces:
            if t.name in chains:
                label.setdefault(id(t.source), filtered_name(t.name, chains[t.name]))
        sources = [(label[id(f.source)], f) for f in missing.values()]
        self._building = frozenset(missing)
        s = self.screen
        s.run_worker(partial(prepare_filtered, sources, s.context.cache_dir, s.app, self._progress,
                             self._failed, self._ready),
                     name="filtered pyramids", group="filter-pyramids", thread=True, exclusive=True)

    def _progress(self, text: str) -> None:
        self.screen.status_bar.set_activity(f"display filters: {text}")
        self.screen.show_status()

    def _failed(self, text: str, level: str = "error") -> None:
        self.screen.notify_status(text, level)

    def _ready(self, fingerprint: str, pyramid) -> None:
        self._pyramids[fingerprint] = pyramid
        self._building = self._building - {fingerprint}
        if not self._building:
            self.screen.status_bar.set_activity("")
        self.apply()
        self.screen.apply(self.settings.set_built(self._built_names()))
