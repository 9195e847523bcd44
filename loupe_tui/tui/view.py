"""The view model: every setting of what is shown, beside the Session (what is scored).

Pure: no Textual, no protocol. The :class:`~loupe_tui.core.session.Session`
owns the window, cursor, selection and labels; :class:`ViewModel` owns how
they are shown: hypnogram and strip visibility, label shading, Y zoom and
ranges per trace, dense, heatmap and raster settings, event styles, videos,
playback speed, the focused panel, the spectral views and their colour
percentiles (its part :class:`~loupe_tui.tui.spectral_settings.SpectralDisplay`,
with methods of its own), the display filters (its part
:class:`~loupe_tui.tui.filter_settings.DisplayFilters`), and whether times are shown on the clock or since
the start (:class:`~loupe_tui.core.clock.TimeDisplay`). Every method returns
a :class:`~loupe_tui.tui.view_change.ViewChange` naming the settings it changed (``(target, {setting:
value})`` pairs, the GL window's option targets), and the message for the
status line. Dialogs return settings; the screen hands them to this model;
:class:`~loupe_tui.tui.bridge.Bridge` alone turns a ``ViewChange`` into
messages for the GL window, and builds a (re)started window's full state
from :meth:`ViewModel.window_options`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from loupe_tui.core.clock import TimeDisplay
from loupe_tui.core.colors import RGBA, to_hex
from loupe_tui.tui.filter_settings import DisplayFilters
from loupe_tui.tui.spectral_settings import SpectralDisplay
from loupe_tui.tui.view_change import Options, ViewChange

#: Y zoom bounds (a factor on the trace's own range).
Y_GAIN_RANGE = (1 / 64, 1024.0)
#: Playback speed bounds (the GL window clamps to the same).
SPEED_RANGE = (0.25, 4.0)
#: Line styles of global events (same names as ``loupe_tui.io.events.LINE_STYLES``; a test keeps them equal).
LINE_STYLES: tuple[str, ...] = ("solid", "dashed", "dotted", "dashdot", "dashdotdot")
#: Decimation of heatmaps along time.
DECIM_METHODS = ("peak", "mean")


@dataclass(frozen=True)
class YRange:
    """Y axis of one trace: ``autorange``, or fixed ``[ymin, ymax]``."""

    autorange: bool = True
    ymin: float | None = None
    ymax: float | None = None

    def options(self) -> dict[str, Any]:
        return {"autorange": True} if self.autorange else {"autorange": False, "ymin": self.ymin, "ymax": self.ymax}


@dataclass(frozen=True)
class DenseSettings:
    """Dense traces layout.

    Attributes
    ----------
    gain : float
        Amplitude multiplier (> 0).
    step : int
        Show every n-th trace (>= 1).
    traces_per_page : int or None
        Traces per vertical page; None shows all.
    page : int
        Page shown, from 0.
    """

    gain: float = 1.0
    step: int = 1
    traces_per_page: int | None = None
    page: int = 0

    def pages(self, n_traces: int) -> int:
        """Number of pages for ``n_traces`` traces."""
        shown = math.ceil(n_traces / self.step) if n_traces else 0
        return max(1, math.ceil(shown / self.traces_per_page)) if self.traces_per_page else 1


@dataclass(frozen=True)
class HeatmapSettings:
    """Colour scale of one heatmap: ``vmin``/``vmax`` (None: automatic), ``cmap``, ``decim_method``."""

    vmin: float | None = None
    vmax: float | None = None
    cmap: str = "magma"
    decim_method: str = "peak"


@dataclass(frozen=True)
class RasterSettings:
    """How raster plots are drawn.

    Attributes
    ----------
    brightness : float
        Multiplies event opacity (0 < b <= 10).
    event_height : float
        Height of an event line as a fraction of its row (0 < h <= 1).
    thickness : float
        Line width in pixels (0.5-10).
    proportional : bool
        Size raster subplots by their number of rows (Loupe's Proportional Raster Plots).
    """

    brightness: float = 1.0
    event_height: float = 0.8
    thickness: float = 1.0
    proportional: bool = True


@dataclass(frozen=True)
class EventClassStyle:
    """How one class of global events is drawn (``color`` RGB(A); alpha is ``line_alpha``)."""

    color: RGBA
    line_style: str = "solid"
    line_width: float = 1.5
    line_alpha: int = 200

    def options(self, cls: Any) -> dict[str, Any]:
        key = cls if cls is None or isinstance(cls, (str, int, float, bool)) else str(cls)
        return {"class": key, "line_color": to_hex((*self.color[:3], 255)), "line_style": self.line_style,
                "line_width": self.line_width, "line_alpha": self.line_alpha}


@dataclass(frozen=True)
class FocusTarget:
    """One panel target Tab can focus (the GL window's ``SetFocus`` / ``SetViewOption`` target).

    ``target`` is ``trace:<name>``, ``dense``, ``heatmap:<k>`` or ``raster:<k>``;
    ``label`` is what the status line says; ``trace`` names the terminal
    preview's trace when there is one.
    """

    target: str
    label: str
    trace: str | None = None

    @property
    def kind(self) -> str:
        return self.target.split(":", 1)[0]


def _shown(on: bool) -> str:
    return "shown" if on else "hidden"


@dataclass
class ViewModel:
    """How the recording is shown (see the module docstring).

    Parameters
    ----------
    focus_source : list of FocusTarget, or a callable that returns it
        The panels Tab cycles, top to bottom (a callable is asked on first
        use: finding every panel may read the data's coordinates).
    videos : list of str
        Video names, in order.
    overlays : bool
        Label shading over the traces starts on.
    dense : DenseSettings or None
        Dense panel settings (None: no dense panel).
    heatmaps : list of HeatmapSettings
        One per heatmap panel.
    event_styles : dict or None
        Event class -> style (None: no global events).
    times : TimeDisplay
        Clock or elapsed time, everywhere a time is shown or typed. The
        session's (it writes its messages with it); only this model switches it.
    """

    focus_source: list[FocusTarget] | Callable[[], list[FocusTarget]] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    overlays: bool = True
    dense: DenseSettings | None = None
    heatmaps: list[HeatmapSettings] = field(default_factory=list)
    event_styles: dict[Any, EventClassStyle] | None = None
    n_dense_traces: int = 0
    hypnogram: bool = True
    hypnogram_zoom: bool = False
    label_strip: bool = True
    overlay_alpha: int | None = None      # None: each window's own default shading
    video_visible: list[bool] = field(default_factory=list)
    video_position: str = "right"
    video_target: int = 0
    play_speed: float = 1.0
    focus_index: int = 0
    y_gain: dict[str, float] = field(default_factory=dict)
    y_ranges: dict[str, YRange] = field(default_factory=dict)
    rasters: dict[str, RasterSettings] = field(default_factory=dict)
    ruler: tuple[float, ...] = ()         # 0, 1 or 2 marked times (the ruler's ends)
    spectral: SpectralDisplay = field(default_factory=SpectralDisplay)   # the spectral views (own methods)
    filters: DisplayFilters = field(default_factory=DisplayFilters)      # display filters (own methods)
    times: TimeDisplay = field(default_factory=TimeDisplay)
    # what the user changed: a restarted window is told these, and only these
    _touched: set[str] = field(default_factory=set, repr=False)
    _targets: list[FocusTarget] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if len(self.video_visible) != len(self.videos):
            self.video_visible = [True] * len(self.videos)

    # -- terminal views and shading ---------------------------------------------------
    def toggle_hypnogram(self) -> ViewChange:
        self.hypnogram = not self.hypnogram
        return self._changed("hypnogram", {"visible": self.hypnogram}, f"hypnogram {_shown(self.hypnogram)}")

    def toggle_hypnogram_zoom(self) -> ViewChange:
        self.hypnogram_zoom = not self.hypnogram_zoom
        return self._changed("hypnogram", {"zoom": self.hypnogram_zoom}, "hypnogram: " + (
            "zoomed around the window" if self.hypnogram_zoom else "whole recording"))

    def toggle_label_strip(self) -> ViewChange:
        self.label_strip = not self.label_strip
        return self._changed("label_strip", {"visible": self.label_strip}, f"label strip {_shown(self.label_strip)}")

    def toggle_label_overlays(self) -> ViewChange:
        self.overlays = not self.overlays
        return self._changed("label_overlays", {"visible": self.overlays},
                             f"label overlays {'on' if self.overlays else 'off'}")

    def set_overlays(self, alpha: int, visible: bool) -> ViewChange:
        """Label shading: ``alpha`` 0-255 and shown or not."""
        self.overlay_alpha, self.overlays = int(alpha), bool(visible)
        return self._changed("label_overlays", {"alpha": self.overlay_alpha, "visible": self.overlays},
                             "label overlay alpha applied")

    # -- panel focus and Y ------------------------------------------------------------
    @property
    def focus_targets(self) -> list[FocusTarget]:
        if self._targets is None:
            src = self.focus_source
            self._targets = list(src() if callable(src) else src)
        return self._targets

    @property
    def focus_known(self) -> bool:
        """The panels were listed already (Tab was used)."""
        return self._targets is not None

    @property
    def focused(self) -> FocusTarget | None:
        """The focused panel (None when there is none)."""
        t = self.focus_targets
        return t[self.focus_index % len(t)] if t else None

    def focus(self, step: int) -> ViewChange:
        """Move the panel focus by ``step`` (Tab: 1, Shift+Tab: -1)."""
        if not self.focus_targets:
            return ViewChange(message="no panel to focus")
        self.focus_index = (self.focus_index + step) % len(self.focus_targets)
        ft = self.focused
        self._touched.add("focus")
        return ViewChange(focus=ft.target, terminal=True,
                          message=f"focus: {ft.label} ({self.focus_index + 1}/{len(self.focus_targets)})")

    def y_zoom(self, factor: float) -> ViewChange:
        """Zoom the focused trace by ``factor`` around its own range (autorange stays on)."""
        ft = self.focused
        if ft is None or ft.kind != "trace":
            what = f"{ft.label} is focused" if ft is not None else "there is none"
            return ViewChange(message=f"Y zoom acts on a trace; {what} (Tab moves the focus)")
        g = min(max(self.y_gain.get(ft.target, 1.0) * factor, Y_GAIN_RANGE[0]), Y_GAIN_RANGE[1])
        self.y_gain[ft.target] = g
        return self._changed(ft.target, {"yzoom": g}, f"{ft.label}: y zoom x{g:.3g}", terminal=True)

    def gain_of(self, trace: str) -> float:
        return self.y_gain.get(f"trace:{trace}", 1.0)

    def set_y_ranges(self, ranges: Mapping[str, YRange]) -> ViewChange:
        """Fixed Y ranges (or autorange) per trace name; a fixed range is shown as typed (no zoom)."""
        self.y_ranges = dict(ranges)
        opts: list[tuple[str, dict]] = []
        for name, r in ranges.items():
            target = f"trace:{name}"
            opts.append((target, r.options()))
            if not r.autorange and self.y_gain.pop(target, 1.0) != 1.0:
                opts.append((target, {"yzoom": 1.0}))
            self._touched.add(target)
        return ViewChange(tuple(opts), terminal=True, message="Y scale applied")

    def ruler_press(self, t: float) -> ViewChange:
        """The ruler key at time ``t``: mark the first end, then the second, then clear."""
        self.ruler = () if len(self.ruler) == 2 else tuple(sorted((*self.ruler, float(t))))
        msg = {0: "ruler cleared", 1: "ruler: first end marked; move the cursor and press the ruler key again",
               2: "ruler: both ends marked"}[len(self.ruler)]
        return self._changed("ruler", {"marks": list(self.ruler)}, msg)

    # -- dense, heatmaps, rasters, events ------------------------------------------------
    def set_dense(self, settings: DenseSettings, target: str = "dense") -> ViewChange:
        self.dense = settings
        return self._changed(target, asdict(settings), "dense trace controls applied")

    def set_heatmaps(self, panels: Sequence[int], settings: HeatmapSettings) -> ViewChange:
        """``settings`` for the heatmaps ``panels`` (indices)."""
        for i in panels:
            self.heatmaps[i] = settings
            self._touched.add(f"heatmap:{i}")
        return ViewChange(tuple((f"heatmap:{i}", asdict(settings)) for i in panels),
                          message="heatmap controls applied")

    def raster_settings(self, target: str) -> RasterSettings | None:
        """Settings of raster ``target`` (``"raster:<k>"``), else those of every raster (``"raster"``)."""
        return self.rasters.get(target, self.rasters.get("raster"))

    def set_raster(self, target: str, settings: RasterSettings, label: str = "") -> ViewChange:
        """Settings of one raster (``"raster:<k>"``) or of every raster (``"raster"``)."""
        if target == "raster":
            for t in [t for t in self.rasters if t != "raster"]:
                del self.rasters[t]
                self._touched.discard(t)
        self.rasters[target] = settings
        what = "every raster" if target == "raster" else label or target
        return self._changed(target, asdict(settings), f"raster controls applied to {what}")

    def set_event_styles(self, styles: Mapping[Any, EventClassStyle]) -> ViewChange:
        self.event_styles = dict(styles)
        self._touched.add("events")
        return ViewChange(tuple(("events", s.options(c)) for c, s in styles.items()),
                          message="global event styles applied")

    # -- videos ---------------------------------------------------------------------------
    def toggle_video_position(self) -> ViewChange:
        self.video_position = "right" if self.video_position == "below" else "below"
        return self._changed("video", {"position": self.video_position}, "videos " + (
            "below the plots" if self.video_position == "below" else "beside the plots"))

    def set_video_target(self, index: int) -> ViewChange:
        """The video that frame steps move."""
        if not self.videos:
            return ViewChange(message="no video: frame steps move the cursor by a hundredth of the window")
        self.video_target = index % len(self.videos)
        i = self.video_target
        return self._changed("video", {"step_target": i}, f"frame steps move video {i + 1} ({self.videos[i]})")

    def cycle_video_target(self) -> ViewChange:
        return self.set_video_target(self.video_target + 1)

    def toggle_video(self, i: int) -> ViewChange:
        if not 0 <= i < len(self.videos):
            return ViewChange(message=f"there is no video {i + 1}")
        self.video_visible[i] = not self.video_visible[i]
        on = self.video_visible[i]
        return self._changed(f"video:{i}", {"visible": on}, f"video {i + 1} {_shown(on)}")

    def set_videos_visible(self, visible: Sequence[bool]) -> ViewChange:
        self.video_visible = [bool(v) for v in visible]
        self._touched.update(f"video:{i}" for i in range(len(visible)))
        return ViewChange(tuple((f"video:{i}", {"visible": v}) for i, v in enumerate(self.video_visible)),
                          message="video visibility applied")

    def set_play_speed(self, speed: float) -> ViewChange:
        self.play_speed = min(max(float(speed), SPEED_RANGE[0]), SPEED_RANGE[1])
        return self._changed("video", {"speed": self.play_speed}, f"playback speed {self.play_speed:g}x")

    # -- clock or elapsed time ------------------------------------------------------------
    def set_time_display(self, mode: str) -> ViewChange:
        """Show and read times on the clock (``"clock"``) or since the start (``"elapsed"``).

        Clock time needs the recording's start: without one the times stay
        elapsed and the message says why. A mode that is neither raises
        :class:`~loupe_tui.errors.LoupeConfigError`.
        """
        td = self.times
        if mode == "clock" and not td.can_clock:
            return ViewChange(message="no clock time: the recording has no start date and time (an EDF "
                                      "header's, or view(clock_start=...)); times stay elapsed")
        message = td.set(mode)
        return self._changed("time_axis", self.time_axis_options(), message)

    def toggle_time_display(self) -> ViewChange:
        return self.set_time_display("elapsed" if self.times.clock else "clock")

    def time_axis_options(self) -> dict[str, Any]:
        """The GL window's ``time_axis`` option: the start's seconds into its day, or None (elapsed)."""
        return {"clock_start_s": self.times.start_s if self.times.clock else None}

    # -- the GL window's full state -------------------------------------------------------
    def window_options(self) -> Options:
        """Every setting a new window must be told: the starting ones and all the user changed."""
        out: list[tuple[str, dict]] = [
            ("label_overlays", {"visible": self.overlays, **({"alpha": self.overlay_alpha}
                                                              if self.overlay_alpha is not None else {})}),
            ("hypnogram", {"visible": self.hypnogram, "zoom": self.hypnogram_zoom}),
            ("label_strip", {"visible": self.label_strip})]
        out += [(f"video:{i}", {"visible": False}) for i, v in enumerate(self.video_visible) if not v]
        video = {k: v for k, v in (("position", self.video_position), ("step_target", self.video_target),
                                   ("speed", self.play_speed)) if "video" in self._touched}
        if video:
            out.append(("video", video))
        for name, r in self.y_ranges.items():
            out.append((f"trace:{name}", r.options()))
        out += [(t, {"yzoom": g}) for t, g in self.y_gain.items()]
        if self.dense is not None and "dense" in self._touched:
            out.append(("dense", asdict(self.dense)))
        out += [(f"heatmap:{i}", asdict(s)) for i, s in enumerate(self.heatmaps) if f"heatmap:{i}" in self._touched]
        out += [(t, asdict(s)) for t, s in sorted(self.rasters.items(), key=lambda kv: kv[0] != "raster")]
        if self.event_styles is not None and "events" in self._touched:
            out += [("events", s.options(c)) for c, s in self.event_styles.items()]
        out += self.spectral.window_options()
        out += self.filters.window_options()
        if self.times.clock or "time_axis" in self._touched:
            out.append(("time_axis", self.time_axis_options()))
        return tuple(out)

    def window_focus(self) -> str | None:
        """The focused target, once the user moved the focus (a new window starts unfocused)."""
        if "focus" not in self._touched:
            return None
        ft = self.focused
        return ft.target if ft is not None else None

    def _changed(self, target: str, options: dict, message: str, terminal: bool = True) -> ViewChange:
        self._touched.add(target)
        return ViewChange(((target, options),), terminal=terminal, message=message)
