"""What the scorer screen works on, resolved from ``view()``'s arguments.

No Textual here: a :class:`ScorerContext` is built by :mod:`loupe_tui.api`
(or a test) and handed to :class:`~loupe_tui.tui.app.LoupeApp`. It holds the
:class:`~loupe_tui.core.session.Session` (the single source of truth), the
live keymap, the configs the GL window is built from, and the traces the
terminal preview draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from loupe_tui.core.colors import RGBA
from loupe_tui.core.session import Session
from loupe_tui.core.states import KeymapWatcher, StateConfig
from loupe_tui.tui.view import FocusTarget, HeatmapSettings, ViewModel


@dataclass(frozen=True)
class PreviewTrace:
    """One channel the terminal trace preview can draw."""

    name: str
    source: Any          # a TraceSource
    channel: int
    color: RGBA
    units: str = ""      # the DataArray's ``units`` attribute ("uV"), shown with the Y range


@dataclass(eq=False)
class ScorerContext:
    """Everything one scoring session of the terminal app needs.

    Parameters
    ----------
    session : Session
        Window, cursor, selection, epochs and the labels.
    states : StateConfig
        State hotkeys, colours and action keys (replaced when the keymap file changes).
    title : str
        Recording name for the status bar.
    configs : list
        The validated view configs (TraceConfig, HeatmapConfig, RasterConfig, Zip).
    videos : list of VideoConfig
    global_events : GlobalEventsConfig or None
    keymap_watcher : KeymapWatcher or None
        Re-reads the keymap file when it changes on disk.
    keymap_loader : callable or None
        ``path -> StateConfig`` that re-applies ``keymap=``/``label_colors=``
        (for a keymap file written elsewhere by the keymap screen).
    window : bool
        Start the GL window (False: terminal views only).
    window_switch : str
        How the window was turned off, as the status bar says it (``window=False``
        from Python, ``--no-window`` from the command line).
    label_overlays : bool
        Label shading over the traces starts on.
    cache_dir : Path or None
        Pyramid cache (default: :func:`loupe_tui.io.pyramid.default_cache_dir`).
    graphics : str or None
        Terminal graphics: ``auto``, ``kitty``, ``sixel`` or ``off`` (``open --graphics``);
        None: ``LOUPE_TUI_GRAPHICS``, else ``auto`` (:mod:`loupe_tui.tui.terminal_frames`).
    notes : list of str
        Lines for the status bar at start-up, before the labels' own messages: what
        the data files bend, when the recording started and how to see clock times.
    """

    session: Session
    states: StateConfig
    title: str = "recording"
    configs: list = field(default_factory=list)
    videos: list = field(default_factory=list)
    global_events: Any = None
    keymap_watcher: KeymapWatcher | None = None
    keymap_loader: Any = None
    window: bool = True
    label_overlays: bool = True
    cache_dir: Path | None = None
    link_log: Path | None = None
    window_switch: str = "window=False"   # what turned the window off, for the status ("--no-window")
    window_size: tuple[int, int] | None = None   # the GL window's; None: by the display (loupe_tui.display)
    graphics: str | None = None                  # terminal graphics setting; None: LOUPE_TUI_GRAPHICS
    notes: list[str] = field(default_factory=list)   # start-up lines for the status bar
    #: the spectral views' configs (SpectrogramConfig), given or chosen in the app (:meth:`choose_spectral`)
    spectral: list = field(default_factory=list)
    #: other scorers' labels of this recording, read-only: ``[(name, IntervalLabelSet), ...]``
    compare: list = field(default_factory=list)
    #: blind scoring: the suggestions and ``compare`` show only on epochs the person has scored
    blind: bool = False
    #: where suggestions come from: "classifier" (trained on this scoring), "yasa" (pretrained), "off"
    suggest: str = "classifier"
    #: YASA staging's EOG channel (its EEG and EMG are the spectral views')
    suggest_eog: str | None = None

    @property
    def labels(self):
        return self.session.labels

    def preview_traces(self) -> list[PreviewTrace]:
        """Every trace channel of the TraceConfigs and Zips, in display order."""
        from loupe_tui.config import TraceConfig, Zip

        out: list[PreviewTrace] = []
        for cfg in self.configs:
            members = cfg.configs if isinstance(cfg, Zip) else [cfg] if isinstance(cfg, TraceConfig) else []
            for i, tc in enumerate(members):
                src = tc.source()
                colors = ([cfg.config_colors()[i]] * tc.n_traces if isinstance(cfg, Zip)
                          else tc.trace_colors())
                units = str(tc.data.attrs.get("units", "") or "")
                out += [PreviewTrace(n, src, ch, colors[ch], units) for ch, n in enumerate(tc.trace_names())]
        return out

    def spectral_candidates(self) -> list[str]:
        """Channels a spectrogram or EMG level can be shown for (names as the preview shows them)."""
        from loupe_tui.config_spectral import spectral_channels

        return [name for name, _, _ in spectral_channels(self.configs)]

    def choose_spectral(self, channel: str | None = None, emg_channel: str | None = None):
        """A SpectrogramConfig for the named channels, kept in :attr:`spectral` in place of any
        earlier one (the app's channel chooser); raises LoupeConfigError with one line."""
        from loupe_tui.config_spectral import spectral_config_for

        made = spectral_config_for(self.configs, channel, emg_channel)
        self.spectral = [made]
        return made

    def focus_targets(self) -> list[FocusTarget]:
        """Every panel target of the GL window, top to bottom, as Tab cycles them."""
        from loupe_tui.config import HeatmapConfig, RasterConfig, TraceConfig, Zip

        out: list[FocusTarget] = []
        n_heat = n_raster = 0
        for cfg in self.configs:
            if isinstance(cfg, TraceConfig) and cfg.mode == "dense":
                if not any(t.target == "dense" for t in out):
                    out.append(FocusTarget("dense", "dense traces"))
            elif isinstance(cfg, TraceConfig):
                out += [FocusTarget(f"trace:{n}", n, n) for n in cfg.trace_names()]
            elif isinstance(cfg, Zip):
                for key, _ in cfg.groups():
                    title = f"{cfg.on}={key.item() if isinstance(key, np.generic) else key}"
                    out.append(FocusTarget(f"trace:{title}", title))
            elif isinstance(cfg, HeatmapConfig):
                for p in cfg.panels():
                    out.append(FocusTarget(f"heatmap:{n_heat}", f"heatmap {p.title or n_heat + 1}"))
                    n_heat += 1
            elif isinstance(cfg, RasterConfig):
                for p in cfg.panels():
                    out.append(FocusTarget(f"raster:{n_raster}", f"raster {p.title or n_raster + 1}"))
                    n_raster += 1
        return out

    def view_model(self) -> ViewModel:
        """The view settings this session starts with (panels, videos, shading, heatmap scales, and the
        session's clock or elapsed time display)."""
        from loupe_tui.config import HeatmapConfig

        heatmaps = [HeatmapSettings(p.vmin, p.vmax, p.cmap, p.decim_method)
                    for c in self.configs if isinstance(c, HeatmapConfig) for p in c.panels()]
        return ViewModel(focus_source=self.focus_targets, videos=[v.name for v in self.videos],
                         overlays=bool(self.label_overlays), heatmaps=heatmaps, times=self.session.times)

    def event_times(self) -> np.ndarray:
        """Sorted times of the global events (empty without them)."""
        if self.global_events is None:
            return np.empty(0)
        parts = [t for _, _, t in self.global_events.events()]
        return np.sort(np.concatenate(parts)) if parts else np.empty(0)

    def frame_times(self, video: int) -> np.ndarray | None:
        """Frame times of video ``video`` (None when there is no such video)."""
        if 0 <= video < len(self.videos):
            return self.videos[video].frame_times()
        return None


def recording_span(configs: list) -> tuple[float, float]:
    """The time range ``[t0, t1)`` covered by the configs' data.

    Raises
    ------
    ValueError
        When no config has any sample.
    """
    from loupe_tui.config import HeatmapConfig, RasterConfig, TraceConfig, Zip

    lo, hi = math.inf, -math.inf
    for cfg in configs:
        axes = []
        if isinstance(cfg, (TraceConfig, HeatmapConfig)):
            axes = [cfg.time_axis]
        elif isinstance(cfg, Zip):
            axes = [c.time_axis for c in cfg.configs]
        elif isinstance(cfg, RasterConfig):
            t = cfg.data[cfg.time_col].cast(float).drop_nulls().to_numpy()
            t = t[np.isfinite(t)]
            if len(t):
                lo, hi = min(lo, float(t.min())), max(hi, float(t.max()) + 1e-3)
        for ax in axes:
            if ax.n:
                lo, hi = min(lo, float(ax.time_of(0))), max(hi, float(ax.t_end))
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ValueError("the data has no samples: nothing to score")
    return lo, hi
