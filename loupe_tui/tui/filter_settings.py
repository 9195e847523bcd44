"""The display filters' settings: which traces are drawn filtered, with which chain, and whether at all.

Pure: no Textual. :class:`DisplayFilters`, held by the
:class:`~loupe_tui.tui.view.ViewModel` as its ``filters``, is the one owner of
the settings; its methods return a ``ViewChange`` like the view model's own.
A trace has no filter until the user gives it one (``:filter eeg, notch50``);
Ctrl+F switches every filter off and on again without forgetting the
chains. Filters change what is drawn, never the data, the labels or the
spectral estimates (:mod:`loupe_tui.io.filters`).

The GL window is told everything in one option, ``SetViewOption("filters",
{"on", "chains", "pyramids"})`` (:mod:`loupe_tui.protocol`): the chains as
their text (what :meth:`FilterChain.parse` reads) and the traces whose
filtered pyramid the app has built (:meth:`DisplayFilters.set_built`);
the filtered pyramid of a source is the one of
``FilteredSource(source, {channel: chain of each trace of it with a chain})``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from loupe_tui.io.filters import FilterChain, filtered_name
from loupe_tui.tui.view_change import Options, ViewChange

#: What ``:filter`` takes to remove a trace's chain.
OFF_WORDS = ("off", "none", "raw", "-")
TARGET = "filters"


def normalized(text: str) -> str:
    """A chain's text as it is kept and sent: lower case, ``", "`` between filters."""
    return ", ".join(part.strip().lower() for part in text.split(","))


@dataclass
class DisplayFilters:
    """The display filters as they are now.

    Attributes
    ----------
    on : bool
        Filters are applied (Ctrl+F switches it); the chains stay either way.
    chains : dict of str -> FilterChain
        Trace name -> its chain; a trace not in it is drawn as recorded.
    texts : dict of str -> str
        Trace name -> its chain as text (normalized), what the GL window is sent.
    built : set of str
        Traces whose filtered pyramid (for the current chains) is built; the app keeps it
        true (:meth:`set_built`).
    """

    on: bool = True
    chains: dict[str, FilterChain] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    built: set[str] = field(default_factory=set)
    touched: bool = False                  # changed by the user: a new GL window is told

    def chain(self, trace: str) -> FilterChain | None:
        """The chain ``trace`` is drawn with now (None: drawn as recorded, or filters off)."""
        return self.chains.get(trace) if self.on else None

    def name(self, trace: str) -> str:
        """``trace`` as the views name it: ``"EEG [0.3-35 Hz, notch 50 Hz]"`` while filtered."""
        return filtered_name(trace, self.chain(trace))

    def set_chain(self, trace: str, text: str, fs: float | None = None) -> ViewChange:
        """Draw ``trace`` through the chain ``text`` (``"eeg, notch50"``), or as recorded (``"off"``).

        ``fs``: the trace's sampling rate, to refuse an edge at or above Nyquist now.
        A chain that cannot be read is a one-line LoupeConfigError; nothing changes then.
        """
        t = text.strip()
        if t.lower() in OFF_WORDS:
            had = self.chains.pop(trace, None) is not None
            self.texts.pop(trace, None)
            self.built.discard(trace)
            return self._changed(f"{trace}: no display filter" + ("" if had else " (it had none)"))
        chain = FilterChain.parse(t)
        if fs is not None:
            chain.sos(fs)                          # raises for an edge at or above Nyquist
        self.chains[trace], self.texts[trace], self.on = chain, normalized(t), True
        return self._changed(f"display filter of {filtered_name(trace, chain)}")

    def toggle(self) -> ViewChange:
        """Every filter off, or on again (the chains are kept)."""
        if not self.chains:
            return ViewChange(message="no display filters: :filter eeg, notch50 sets the focused trace's "
                                      "(presets eeg, emg, notch50, notch60; or 0.5-30, hp:0.5, lp:35, notch:50)")
        self.on = not self.on
        names = ", ".join(self.chains)
        return self._changed(f"display filters {'on' if self.on else 'off'} ({names})")

    def set_built(self, traces: Iterable[str]) -> ViewChange:
        """The traces whose filtered pyramid (for the chains as they are now) is built: exactly ``traces``.
        The app says so when a build ends and when chains change (a chain changes its source's pyramid)."""
        built = set(traces) & set(self.chains)
        if built == self.built:
            return ViewChange()
        self.built = built
        return ViewChange(((TARGET, self.options()),), terminal=True) if self.touched else ViewChange(terminal=True)

    def options(self) -> dict:
        """The GL window's ``filters`` option."""
        return {"on": self.on, "chains": dict(self.texts), "pyramids": sorted(self.built)}

    def window_options(self) -> Options:
        """What a new GL window is told (nothing until the user set a filter)."""
        return ((TARGET, self.options()),) if self.touched else ()

    def _changed(self, message: str) -> ViewChange:
        self.touched = True
        return ViewChange(((TARGET, self.options()),), terminal=True, message=message)
