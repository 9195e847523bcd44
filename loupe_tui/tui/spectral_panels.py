"""The spectral views of the main screen: their widgets, the worker that opens them, where they sit.

The main screen owns one :class:`SpectralPanels` and tells it what changed.
It owns three widgets: the window's spectrogram (composed above the trace
preview), the whole recording's spectrogram and the band power lines
(composed above the hypnogram, on its columns). The
:class:`~loupe_tui.tui.view.ViewModel` owns which of them are shown and the
colour percentiles; the views exist only for the context's
``SpectrogramConfig``\\ s (``context.spectral``), which a thread worker opens
(:func:`~loupe_tui.tui.workers.prepare_spectral`: a 24 h build takes
seconds to a minute) while the status bar shows its progress and every key
works.

Colour limits for new percentiles (``{ }`` and Alt+Up/Down) are computed in a
thread too: ``Spectrogram.limits`` sorts the whole recording's spectrogram
(150 ms for 24 h); the views keep the limits they have until the new ones
come.

Heights follow the terminal (:func:`spectral_heights`): the spectrograms
shrink before the trace preview does, so 24 lines still show every view.

Channels are chosen in the app too (:meth:`SpectralPanels.choices`, listed by
the command palette: "Spectrogram of Fpz-Cz", "EMG level of EMG submental");
a choice, like a new epoch length (the caches are keyed by it), opens the
views anew, and a running GL window is restarted once they are open, so
it is given their new spec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.widget import Widget
from textual.worker import get_current_worker

from loupe_tui.core import keys
from loupe_tui.core.session import Change
from loupe_tui.tui.widgets.band_lines import BandLines, spark_rows
from loupe_tui.tui.widgets.draw import ViewState
from loupe_tui.tui.widgets.spectrogram import SpectrogramView
from loupe_tui.tui.workers import poster, prepare_spectral

#: Rows each spectrogram has when there is room (page, overview), and the trace preview's least.
WANT_ROWS = (6, 4)
TRACES_ROWS = 4
#: Lines of the screen that are not views: the status (3) and the footer (1).
CHROME_ROWS = 4
#: The keys named when the views are ready.
KEY_HINTS = (("view.spectrogram", "view.window_spectrogram", "view.band_power"),
             ("view.spectral_contrast_less", "view.spectral_contrast_more", "view.spectral_brighter",
              "view.spectral_darker"))


def spectral_heights(free: int, wants: list[int]) -> list[int]:
    """Rows for views that want ``wants`` rows out of ``free``: two each (one when even that is too
    many, never none), then one more in turn up to what each wants."""
    least = 2 if free >= 2 * len(wants) else 1
    h = [min(least, w) for w in wants]
    spare = free - sum(h)
    while spare > 0 and any(a < w for a, w in zip(h, wants)):
        for i, w in enumerate(wants):
            if h[i] < w and spare > 0:
                h[i] += 1
                spare -= 1
    return h


class SpectralPanels:
    """The spectral views of the main ``screen``."""

    def __init__(self, screen):
        self.screen = screen
        self.page = SpectrogramView("page", id="spectral-page")
        self.overview = SpectrogramView("overview", id="spectral-overview")
        self.bands = BandLines(id="band-lines")
        self.views: list = []              # the opened SpectralViews
        self.opened = False                # the worker has finished (views may still be empty)
        self.limits: dict[tuple, tuple[float, float] | None] = {}   # percentiles -> colour limits (None: asked)
        self._shown_limits: tuple[float, float] | None = None       # what the views draw with
        self._restart_window = False       # the configs changed since the GL window started
        for w in (self.page, self.overview, self.bands):
            w.display = False              # until apply() knows there are views to show

    @property
    def configs(self) -> list:
        return list(self.screen.context.spectral)

    def page_widgets(self) -> Iterator[Widget]:
        """What to compose right above the trace preview."""
        yield self.page

    def overview_widgets(self) -> Iterator[Widget]:
        """What to compose right above the hypnogram."""
        yield self.overview
        yield self.bands

    # -- opening ----------------------------------------------------------------
    def start(self) -> None:
        """Open (or build) the views of ``context.spectral`` in a thread worker; again after the configs
        changed (a previous build is cancelled)."""
        configs, s = self.configs, self.screen
        self.views, self.opened, self.limits, self._shown_limits = [], False, {}, None
        names = [c.names for c in configs]
        s.view.spectral.set_targets(({"spectrogram", "band_power", "spectral_overview"}
                                     if any(eeg for eeg, _ in names) else set())
                                    | ({"emg_level"} if any(emg for _, emg in names) else set()))
        for w in (self.page, self.overview, self.bands):
            w.set_message("opening the spectral views")
        self.apply(s.view)
        self.show(ViewState.of(s.session), s.view)
        if configs:
            s.run_worker(partial(prepare_spectral, configs, s.session.epoch_len, s.context.cache_dir, s.app,
                                 self._progress, self._failed, self._opened),
                         name="spectral views", group="spectral", thread=True, exclusive=True)

    def reopen(self) -> None:
        """Open the views again (the epoch length changed); the GL window restarts once they are open."""
        if self.configs:
            self._restart_window = True
            self.start()

    def choices(self) -> list[tuple[str, Callable[[], Change]]]:
        """The command palette's channel chooser: ``("Spectrogram of EEG", choose)`` for each channel
        (and ``"EMG level of ..."``), leaving out what is shown already."""
        current = self.configs[0].names if self.configs else (None, None)
        out = []
        for name in self.screen.context.spectral_candidates():
            if name != current[0]:
                out.append((f"Spectrogram of {name}", partial(self.choose, channel=name)))
        for name in self.screen.context.spectral_candidates():
            if name != current[1]:
                out.append((f"EMG level of {name}", partial(self.choose, emg_channel=name)))
        return out

    def choose(self, channel: str | None = None, emg_channel: str | None = None) -> Change:
        """Show the spectrogram of ``channel`` or the EMG level of ``emg_channel``, keeping the other one
        already chosen; LoupeConfigError (one line) for a channel that cannot be shown."""
        current = self.configs[0].names if self.configs else (None, None)
        made = self.screen.context.choose_spectral(channel=channel or current[0],
                                                   emg_channel=emg_channel or current[1])
        self.screen.window_waits_for("spectral")     # a window not started yet waits for these caches
        self._restart_window = True
        self.start()
        what = [f"spectrogram of {made.names[0]}"] if made.names[0] else []
        what += [f"EMG level of {made.names[1]}"] if made.names[1] else []
        return Change(message=f"spectral views: {' and '.join(what)} (opening)")

    def _progress(self, text: str) -> None:
        for w in (self.page, self.overview, self.bands):
            w.set_message(f"building: {text}")
        self.screen.status_bar.set_activity(f"spectral views: {text}")
        self.screen.show_status()

    def _failed(self, text: str, level: str = "error") -> None:
        self.screen.status_bar.set_activity("")
        self.screen.notify_status(text, level)

    def _opened(self, views: list) -> None:
        self.views, self.opened = list(views), True
        spec = next((v for v in views if v.spectrogram is not None), None)
        emg = next((v for v in views if v.emg is not None), None)
        for w in (self.page, self.overview):
            w.set_spectrogram(spec.spectrogram if spec else None, spec.eeg_name if spec else "",
                              spec.cmap if spec else "viridis")
        self.bands.set_rows(spark_rows(spec.spectrogram if spec else None, emg.emg if emg else None,
                                       emg.emg_name if emg else None))
        self.screen.status_bar.set_activity("")
        for w in (self.page, self.overview):
            w.set_message("computing the colour limits")
        if views:
            self.screen.notify_status(self._ready_message(spec, emg), "ok")
        self.apply(self.screen.view)
        self.show(ViewState.of(self.screen.session), self.screen.view)
        restart, self._restart_window = self._restart_window, False
        self.screen.ready_for_window("spectral", restart=restart)
        self.screen.suggestions.start(self.views)     # their caches hold the suggestions' features

    def _ready_message(self, spec, emg) -> str:
        what = [f"{spec.eeg_name} spectrogram and band power"] if spec else []
        what += [f"{emg.emg_name} level"] if emg else []
        ak = self.screen.states.action_keys
        toggles, colours = (" ".join(keys.display(ak[a][0]) for a in group if ak.get(a)) for group in KEY_HINTS)
        return f"spectral views ready: {', '.join(what)} ({toggles} show/hide them; {colours} colours)"

    # -- showing ----------------------------------------------------------------
    def apply(self, view) -> None:
        """Show or hide each widget by ``view.spectral`` (a ViewModel's) and what the configs have."""
        settings, configs = view.spectral.settings, self.configs
        if self.opened:
            has_spec, has_rows = self.page.spectrogram is not None, bool(self.bands.rows)
        else:
            has_spec, has_rows = any(c.names[0] for c in configs), bool(configs)
        self.page.display = has_spec and settings.page
        self.overview.display = has_spec and settings.overview
        self.bands.display = has_rows and settings.bands
        self.fit()

    def show(self, state: ViewState, view) -> None:
        """Draw ``state`` (the session's snapshot) as ``view`` (the ViewModel) says."""
        zoom, limits = view.hypnogram_zoom, self._colour_limits(view.spectral.settings.pct)
        if self.page.display:
            self.page.show(state, limits=limits)
        if self.overview.display:
            self.overview.show(state, zoom, limits)
        if self.bands.display:
            self.bands.show(state, zoom)

    def _colour_limits(self, pct: tuple[float, float]) -> tuple[float, float] | None:
        """The limits of ``pct`` when known, else the last ones shown (and those of ``pct`` are asked for)."""
        spec = self.page.spectrogram
        if spec is None:
            return None
        if self.limits.get(pct) is not None:
            self._shown_limits = self.limits[pct]
        elif pct not in self.limits:
            self.limits[pct] = None          # asked: a worker fills it in
            self.screen.run_worker(partial(self._compute_limits, spec, pct), name="spectral colour limits",
                                   group="spectral-limits", thread=True)
        return self._shown_limits

    def _compute_limits(self, spec, pct: tuple[float, float]) -> None:
        limits = spec.limits(*pct)                   # a thread worker: sorts every value of the spectrogram
        poster(self.screen.app, get_current_worker())(self._limits_ready, spec, pct, limits)

    def _limits_ready(self, spec, pct: tuple[float, float], limits: tuple[float, float]) -> None:
        if spec is self.page.spectrogram:
            self.limits[pct] = limits
            self.show(ViewState.of(self.screen.session), self.screen.view)

    def fit(self) -> None:
        """Heights for the spectrograms and the band lines; the top margin on the first view below the
        traces (set as classes of ``#views``, the margins are in ``app.tcss``)."""
        s = self.screen
        if self.bands.styles.height is None or self.bands.styles.height.value != self.bands.rows_needed():
            self.bands.styles.height = self.bands.rows_needed()
        views = s.query_one("#views")
        views.set_class(self.overview.display, "-spectrogram-below")
        views.set_class(self.overview.display or self.bands.display, "-spectral-below")
        shown = [w for w in (self.page, self.overview) if w.display]
        if not shown or s.size.height <= 0:
            return
        hyp, strip = s.query_one("#hypnogram"), s.query_one("#label-strip")
        suggested = s.query_one("#suggestion-strip")
        below = self.overview.display or self.bands.display or hyp.display    # one margin row above them
        fixed = (CHROME_ROWS + TRACES_ROWS + (3 if strip.display else 0) + (1 if below else 0)
                 + (suggested.styles.height.value if suggested.display and suggested.styles.height else 0)
                 + (hyp.rows_needed() if hyp.display else 0)
                 + (self.bands.rows_needed() if self.bands.display else 0))
        wants = [WANT_ROWS[0] if w is self.page else WANT_ROWS[1] for w in shown]
        for w, h in zip(shown, spectral_heights(s.size.height - fixed, wants)):
            if w.styles.height is None or w.styles.height.value != h:
                w.styles.height = h
