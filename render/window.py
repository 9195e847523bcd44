"""The GL window: canvas, layout, message dispatch and the frame.

:class:`Window` owns the VisPy canvas, the :class:`~render.state.ViewState`,
the plot panels (built from the session spec through
:data:`render.panels.PANEL_KINDS`, the spectral views' after the spec's) and
the fixed parts (label strip, label layers, overlays, cursor and selection, time axis, the
whole-recording spectrogram, hypnogram, videos).
It applies command messages, fetches data only when the window moved, and
draws only when something changed (a message that repeats what is shown
draws nothing; nothing is drawn before the first messages). A frame never
asks the X server anything: the canvas size is kept from resize events
(:mod:`render.canvas_size`) and frames are presented without a round trip
where Mesa allows it (:mod:`render.present`). It never reads the socket: the loop
(:mod:`render.loop`) hands it messages and calls :meth:`Window.tick` (video
frames that arrived, the playback clock).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from vispy import gloo
from vispy.gloo import gl

from loupe_tui import protocol as P
from loupe_tui.errors import LoupeConfigError
from loupe_tui.viewspec import OpenSession, open_spec
from render.canvas_size import CanvasSize
from render.filtered import DisplayFilters
from render.layout import Layout, Rect, compute_layout
from render.panels import make_panel, spectral_ops
from render.panels.base import Frame, Panel
from render.panels.events import EventLines
from render.panels.hypnogram import Hypnogram
from render.panels.label_layers import LayerStrips
from render.panels.labels import LabelLayers
from render.panels.marks import Marks
from render.panels.spectral_overview import SpectralOverview
from render.panels.spectrogram import SpectrogramPanel
from render.panels.time_axis import TimeAxis
from render.panels.video import VideoPanel
from render.present import SwapPresenter
from render.prep.chunk_cache import ChunkCache
from render.state import PlaybackClock, ViewState
from render.visuals.text import Labels, set_dpi

PANEL_RGBA = (22, 22, 28, 255)
BACKGROUND = tuple(c / 255 for c in PANEL_RGBA)  # one colour: no full-window background pass to fill
#: The first frame of a session with videos waits at most this long for their frame at the cursor.
FIRST_FRAME_VIDEO_WAIT_S = 2.0
#: While a panel fetches data off the GL thread, the loop looks for it this often.
PANEL_POLL_S = 0.005
#: A snapshot waits at most this long for such data.
SNAPSHOT_PANEL_WAIT_S = 10.0
GLOBAL_TARGETS = ("label_overlays", "label_strip", "hypnogram", "epochs", "cursor", "selection", "events",
                  "ruler", "time_axis", "spectral_overview")


class Window:
    """Everything drawn in the canvas.

    Parameters
    ----------
    canvas : vispy.app.Canvas
    emit : callable(Message)
        Sends an event to the terminal app (errors, frames).
    """

    def __init__(self, canvas, emit: Callable[[P.Message], None]):
        self.canvas = canvas
        self.emit = emit
        self.state = ViewState()
        self.session: OpenSession | None = None
        self.panels: list[Panel] = []
        self.layout: Layout | None = None
        self.labels = LabelLayers()
        self.layer_strips = LayerStrips()
        self.filters = DisplayFilters()
        self._pyramid_cache: str | None = None
        self.marks = Marks()
        self.axis = TimeAxis()
        self.hypnogram = Hypnogram((0.0, 1.0))
        self.overview = SpectralOverview()
        self.video = VideoPanel([])
        self.playback = PlaybackClock()
        self._page_asked: tuple[float, float] | None = None   # the window a PageRequested was sent for
        self.told = False          # nothing is drawn before the first messages are applied
        self._settle_videos = False   # the first frame of a session waits (briefly) for its videos
        self._video_key: tuple = ()   # what the video column showed in the last frame prepared
        self.wake: Callable[[], None] | None = None  # wakes the loop from worker threads (glfw.post_empty_event)
        self.events: EventLines | None = None
        self._names = Labels(font_size=8, anchor_x="left")
        self._ticks = Labels(font_size=8, anchor_x="center", color=(0.7, 0.7, 0.75, 1))
        self._small = Labels(font_size=7, anchor_x="left", color=(0.8, 0.8, 0.85, 1))
        self._small_c = Labels(font_size=7, anchor_x="center", color=(0.6, 0.6, 0.65, 1))
        self._placeholder = Labels(font_size=9, anchor_x="center", color=(0.45, 0.45, 0.5, 1))
        self._scales = Labels(font_size=7, anchor_x="right", color=(0.72, 0.72, 0.78, 1))  # Y scale amounts
        set_dpi(getattr(canvas, "dpi", None))  # names are fitted to the gutter in the font's real widths
        self._n_px = 0
        self.last_draw_ms = 0.0
        # Read once here, then kept by the resize events: a frame never asks the X server for it.
        self.size = CanvasSize(canvas)
        self.presenter = SwapPresenter(canvas)  # the loop gives a round-trip-free one where it can
        canvas.events.resize.connect(self._on_resize)
        canvas.events.draw.connect(lambda ev: self.draw())

    def _on_resize(self, event) -> None:
        # The ConfigureNotify of the map repeats the size the window has: no second frame for it.
        size = tuple(int(v) for v in (getattr(event, "physical_size", None) or event.size))
        if self.layout is None or self.layout.size != size:
            self.state.dirty.add("layout")

    # -- messages ---------------------------------------------------------------
    def apply(self, msg: P.Message) -> None:
        """Apply one command (not Snapshot/Quit: the loop handles those)."""
        self.told = True
        try:
            if isinstance(msg, P.LoadSession):
                self.load_session(msg.spec)
            elif isinstance(msg, P.SetViewOption) and msg.target == "filters":
                self._set_filters(msg)
            elif isinstance(msg, P.SetCursor) and self.playback.playing and msg.t is not None and \
                    not self.playback.sync(msg.t, time.monotonic()):
                self.state.note_seq(msg.seq)  # the app following the playback: the clock keeps the cursor
            elif self.state.apply(msg):
                if isinstance(msg, P.SetViewOption) and self.state.options_changed:
                    self._route_option(msg.target, msg.options)
            elif isinstance(msg, P.VideoCommand):
                self._video_command(msg)
            else:
                self.emit(P.ErrorRaised(f"the window does not handle {type(msg).__name__}"))
        except Exception as exc:  # a bad message must not take the window down
            self.emit(P.ErrorRaised(f"{type(msg).__name__}: {type(exc).__name__}: {exc}"))

    def _set_filters(self, msg: P.SetViewOption) -> None:
        """Display filters (:mod:`render.filtered`): a chain that cannot be read, or that a trace's
        sampling rate refuses, is reported and changes nothing."""
        try:
            new = DisplayFilters.parse({**self.state.options.get("filters", {}), **msg.options})
            changed = self._give_filters(new)
        except LoupeConfigError as exc:
            self._give_filters(self.filters)
            self.emit(P.ErrorRaised(str(exc)))
            return
        self.filters = new
        self.state.apply(msg)
        if changed:
            self.state.dirty |= {"frame"}

    def _give_filters(self, filters: DisplayFilters) -> bool:
        changed = False
        for p in self.panels:
            changed |= p.set_filters(filters, self._pyramid_cache)
        return changed

    def load_session(self, spec: dict) -> None:
        """Open the spec's sources and build its panels (replacing any previous session: its label
        layers go with it)."""
        self.session = session = open_spec(spec, spectral_reader=ChunkCache)
        self._pyramid_cache = spec.get("pyramid_cache")
        self.state.layers.clear()
        self.panels = []
        seen: dict[str, int] = {}
        for i, op in enumerate(session.panels + spectral_ops(session.spectral)):
            try:
                self.panels.append(make_panel(op, i, self.state, ordinal=seen.get(op.kind, 0)))
                seen[op.kind] = seen.get(op.kind, 0) + 1
            except Exception as exc:
                self.emit(P.ErrorRaised(f"panel {i} ({op.kind}): {type(exc).__name__}: {exc}"))
        self.events = EventLines(session.events) if session.events else None
        for target, opts in session.options.items():
            self.state.options.setdefault(target, {})
            self.state.options[target] = {**opts, **self.state.options[target]}
        self.hypnogram = Hypnogram(session.span)
        self.overview = SpectralOverview(next((p for p in self.panels if isinstance(p, SpectrogramPanel)), None))
        self.video.close()
        pyramids = spec.get("pyramid_cache")  # the index goes beside the pyramids
        self.video = VideoPanel(session.videos, wake=self._wake,
                                index_dir=Path(pyramids).parent / "video-index" if pyramids else None)
        self.video.open()
        self._settle_videos = bool(self.video.slots)
        self.playback.playing = False
        if not self.state.labels.states:
            self.state.labels.set_states([s for s, _ in session.states])
            self.state.colors = {**dict(session.states), **self.state.colors}
        for target, opts in self.state.options.items():
            self._route_option(target, opts, report=False)
        try:
            self._give_filters(self.filters)
        except LoupeConfigError as exc:     # a chain the new session's sampling rate refuses
            self.emit(P.ErrorRaised(str(exc)))
        self.state.dirty |= {"session", "layout", "window"}

    def _route_option(self, target: str, options: dict, report: bool = True) -> None:
        if target in GLOBAL_TARGETS or target == "filters":
            return
        hit = False
        if self.video is not None and target in self.video.targets():
            hit = True
            unknown = self.video.set_option(target, options)
            if "speed" in options and target == "video":
                self.playback.set_speed(float(options["speed"]), time.monotonic())
            self.state.dirty.add("video")
            if unknown and report:
                self.emit(P.ErrorRaised(f"{target}: unknown option(s) {', '.join(unknown)}"))
        weights = [p.weight() for p in self.panels]
        for p in self.panels:
            if target in p.targets():
                hit = True
                try:
                    unknown = p.set_option(target, options)
                except ValueError as exc:   # a bad value: the panel kept its settings
                    if report:
                        self.emit(P.ErrorRaised(f"{target}: {exc}"))
                    continue
                if unknown and report:
                    self.emit(P.ErrorRaised(f"{target}: unknown option(s) {', '.join(unknown)}"))
        if weights != [p.weight() for p in self.panels]:
            self.state.dirty.add("layout")     # a panel shown or hidden: the others take its height
        if not hit and report and self.session is not None:
            self.emit(P.ErrorRaised(f"no view option target {target!r} in this window"))

    # -- hit testing (mouse) -----------------------------------------------------
    def time_at(self, x: float) -> float:
        d = self.layout.data if self.layout else Rect(0, 0, 1, 1)
        return self.state.t0 + (x - d.x) / d.w * (self.state.t1 - self.state.t0)

    def where(self, x: float, y: float) -> tuple[str, float | None]:
        """``(target, time)`` under framebuffer pixel ``(x, y)``; time None where there is none."""
        lay = self.layout
        if lay is None:
            return "", None
        if lay.hypnogram is not None and lay.hypnogram.contains(x, y):
            return "hypnogram", self.hypnogram.time_at(x)
        if lay.overview is not None and lay.overview.contains(x, y):
            return "spectral_overview", self.overview.time_at(x)
        if lay.video is not None and lay.video.contains(x, y):
            return self.video.target_at(x, y), None
        in_x = lay.data.x <= x < lay.data.x1
        for p in self.panels:
            if p.rect.contains(x, y):
                return p.target_at(x, y), (self.time_at(x) if in_x else None)
        if lay.strip is not None and lay.strip.contains(x, y):
            return "label_strip", self.time_at(x)
        shown = [n for n, layer in self.state.layers.items() if layer.visible]
        for name, r in zip(shown, lay.layers):
            if r.contains(x, y):
                return f"label_layer:{name}", self.time_at(x)
        return "", (self.time_at(x) if in_x and lay.data.y <= y < lay.axis.y1 else None)

    # -- video ----------------------------------------------------------------------
    def _wake(self) -> None:
        if self.wake is not None:
            self.wake()

    def _video_command(self, msg: P.VideoCommand) -> None:
        now = time.monotonic()
        if msg.action == "play":
            if self.state.cursor is not None:
                self.playback.play(self.state.cursor, now, msg.value or self.video.speed)
        elif msg.action == "pause":
            self.playback.pause(now)
        elif msg.action == "speed":
            self.playback.set_speed(msg.value, now)
        elif msg.action == "step":  # the terminal app steps by itself (it knows the frame times); scripts
            t = self.video.step_time(int(msg.video), self.state.cursor, int(msg.value))
            if t is not None:
                self.state.cursor = t
                self.state.dirty.add("cursor")
        else:
            raise ValueError(f"unknown video action {msg.action!r} (play, pause, speed, step)")
        self.state.dirty.add("video")

    def tick(self) -> None:
        """Take what happened off the GL thread (decoded frames, fetched pages, messages) and advance
        playback."""
        if [p for p in self.panels if p.poll()]:     # every panel polled
            self.state.dirty.add("frame")
        if self.video.poll() and self.video.view_key(self.state.cursor) != self._video_key:
            self.state.dirty.add("video")   # a frame or video the last frame did not show (not a prefetch)
        for m in self.video.take_messages():
            self.emit(m)
        if self.playback.playing:
            end = self.session.span[1] if self.session is not None else math.inf
            st = self.state
            if self.playback.advance(st, time.monotonic(), end) and self._page_asked != (st.t0, st.t1):
                self._page_asked = (st.t0, st.t1)     # once per window: the app's SetWindow follows
                self.emit(P.PageRequested(st.cursor))

    def wait_timeout(self, idle: float) -> float:
        """How long the loop may sleep: until the next video frame while playing, else ``idle``."""
        if self.playback.playing and self.state.cursor is not None:
            dt = self.video.next_change_in(self.state.cursor, self.playback.speed)
            return min(max(dt if dt is not None else 1 / 30, 0.002), idle)
        if any(p.pending() for p in self.panels):
            return min(PANEL_POLL_S, idle)     # a page being fetched: look again soon (tens of ms)
        return idle

    # -- frame --------------------------------------------------------------------
    @property
    def needs_frame(self) -> bool:
        """Something to draw: not before the first messages (the window opens with one frame), and
        not for a new ``seq`` alone (see :meth:`report_only`)."""
        return self.told and bool(self.state.dirty - {"seq"})

    def report_only(self) -> bool:
        """A window or cursor message with a new ``seq`` repeated what is on the screen: take the
        ``seq`` (the loop reports it as drawn) and draw nothing."""
        if self.told and self.state.dirty == {"seq"}:
            self.state.dirty.clear()
            return True
        return False

    def prepare(self) -> None:
        """Layout, data fetch and uploads for what changed; cheap when nothing did."""
        dirty = self.state.take_dirty()
        size = self.size.physical
        if self.layout is None or self.layout.size != size or dirty & {"layout", "session"}:
            self._relayout(size)
            dirty.add("window")
        n_px = max(int(round(self.layout.data.w)), 1)
        frame = self._frame()
        if "window" in dirty or n_px != self._n_px:
            self._n_px = n_px
            for p in self.panels:
                p.update(self.state.t0, self.state.t1, n_px)
        self.labels.update(frame, n_px)
        self.layer_strips.update(frame, self.layout.layers, n_px)
        self.marks.update(frame, self.layout.data)
        if self.events is not None:
            self.events.update(frame, self.layout.data, [self.layout.data_rect(i) for i in range(len(self.panels))])
        self.axis.update(frame, self.layout.axis, self.layout.data)
        self.hypnogram.update(frame)
        self.overview.update(frame, self.hypnogram.view_range(frame))
        st = self.state
        epoch = (st.option("epochs", "epoch_len", 0.0) or 0.0, st.option("epochs", "t_start", 0.0) or 0.0)
        self.video.update(st.cursor, st.t0, st.t1, self.playback.playing, epoch)
        self._video_key = self.video.view_key(st.cursor)
        self._set_texts()

    def _relayout(self, size) -> None:
        st = self.state
        self.layout = lay = compute_layout(size[0], size[1], [p.weight() for p in self.panels],
                                           strip=bool(st.option("label_strip", "visible", True)),
                                           hypnogram=bool(st.option("hypnogram", "visible", True)),
                                           video_below=st.option("video", "position", "right") == "below",
                                           overview=self.overview.available and
                                           bool(st.option("spectral_overview", "visible", True)),
                                           layers=sum(layer.visible for layer in st.layers.values()))
        for i, p in enumerate(self.panels):
            p.set_geometry(lay.panels[i], lay.data_rect(i))
        self.hypnogram.set_rect(lay.hypnogram)
        self.overview.set_rect(lay.overview)
        self.video.set_rect(lay.video)

    def _frame(self) -> Frame:
        return Frame(self.canvas, self.size.physical, self.state.t0, self.state.t1, self.state, self.size.ratio)

    def _set_texts(self) -> None:
        r = self._frame().ratio

        def split(items):
            return [t for t, _, _ in items], [(x / r, y / r) for _, x, y in items]

        names = [t for p in self.panels for t in p.texts()]
        self._scales.set(*split([t for p in self.panels for t in p.scale_texts()]))
        hyp_names, hyp_ticks = self.hypnogram.texts()
        self._names.set(*split(names))
        self._ticks.set(*split(self.axis.texts()))
        self._small.set(*split(hyp_names + self.overview.texts() + self.layer_strips.texts(self._frame())))
        self._small_c.set(*split(hyp_ticks))
        self._placeholder.set(*split(self.video.texts()))

    def draw(self) -> None:
        """Draw the whole frame into the current framebuffer (screen or snapshot FBO)."""
        if self.layout is None:
            self.prepare()
        frame = self._frame()
        gloo.set_state(blend=True, depth_test=False, blend_func=("src_alpha", "one_minus_src_alpha"))
        frame.whole()
        gloo.clear(color=BACKGROUND)
        self.axis.draw_grid(frame)
        self.marks.draw_under(frame)
        for p in self.panels:
            p.draw(frame)
        shown = [p for p in self.panels if p.data.h >= 1]      # not the hidden (collapsed) ones
        self.labels.draw_overlays(frame, [p.data for p in shown], [p.shaded for p in shown])
        self.marks.draw_selection(frame)  # over the panels: heatmaps are opaque
        if self.events is not None:
            self.events.draw(frame)  # above label shading, by design
        self.marks.draw_cursor(frame)
        self.labels.draw_strip(frame, self.layout.strip)
        self.layer_strips.draw(frame)
        self.axis.draw(frame)
        self.hypnogram.draw(frame)
        self.overview.draw(frame)
        self.video.draw(frame)
        frame.whole()
        for labels in (self._names, self._scales, self._ticks, self._small, self._small_c, self._placeholder):
            labels.draw(self.size.size)

    def render_frame(self) -> float:
        """Prepare, draw to the screen, present (render/present.py) and wait for GL; returns milliseconds."""
        t = time.perf_counter()
        self.canvas.set_current()
        if self._settle_videos:
            self._settle_videos = False
            self._wait_for_videos(FIRST_FRAME_VIDEO_WAIT_S)
        if "expose" in self.state.dirty:
            self.presenter.invalidate()  # the server lost some of the window's pixels: put them all
        self.presenter.before_draw()  # after a resize: the size the server gives (cached till the next)
        self.prepare()
        self.draw()
        self.presenter.present()
        gl.glFinish()
        self.last_draw_ms = (time.perf_counter() - t) * 1000.0
        return self.last_draw_ms

    def set_frame_size(self, size: tuple[int, int]) -> None:
        """Offscreen mode (:mod:`render.offscreen`): lay frames out at ``size`` pixels, not the canvas's."""
        if tuple(size) != self.size.physical:
            self.size = CanvasSize(size=size)
            self.state.dirty.add("layout")

    def render_offscreen(self, frames) -> float:
        """Prepare, draw into ``frames`` (:class:`render.offscreen.OffscreenFrames`) and publish there for
        the terminal, at :meth:`set_frame_size`'s size; nothing is presented. Returns milliseconds."""
        t = time.perf_counter()
        self.canvas.set_current()
        if self._settle_videos:
            self._settle_videos = False
            self._wait_for_videos(FIRST_FRAME_VIDEO_WAIT_S)
        self.prepare()
        frames.publish(frames.draw(self.draw), self.state.seq)
        self.last_draw_ms = (time.perf_counter() - t) * 1000.0
        return self.last_draw_ms

    def _wait_for_videos(self, timeout: float) -> None:
        """The first frame of a session: wait up to ``timeout`` for the videos to open and decode the
        frame at the cursor, so that the window opens with one frame, not one and then another."""
        end = time.monotonic() + timeout
        self.video.wait_opened(timeout)
        self.tick()                       # opened (or failed): the key changed, "video" is dirty
        self.prepare()                    # lays the videos out and asks for the frame at the cursor
        if self.video.pending():
            self.video.wait_ready(max(end - time.monotonic(), 0.0))
        self.tick()

    def snapshot(self, path: str, frames=None) -> None:
        """Draw the current state offscreen and write it to ``path``: PNG, or the raw
        ``(h, w, 3)`` uint8 array when ``path`` ends in ``.npy`` (tests, no image library).
        In offscreen mode ``frames`` (:class:`render.offscreen.OffscreenFrames`) draws it, at its size."""
        from vispy.io import write_png

        self.canvas.set_current()
        self.prepare()
        for p in self.panels:   # a snapshot shows the finished window, not what stands in for it
            p.settle(SNAPSHOT_PANEL_WAIT_S)
            if p.poll():
                self.state.dirty.add("frame")   # the screen shows what stood in: draw it there too
        if self.video.slots:  # a snapshot shows the frame at the cursor, not the one before
            self.video.wait_opened()
            self.tick()
            self.prepare()
            if self.video.pending():
                self.video.wait_ready()
                self.tick()
                self.prepare()
        img = frames.draw(self.draw) if frames is not None else self.canvas.render(alpha=False)
        if str(path).endswith(".npy"):
            np.save(path, img)
        else:
            write_png(path, img)
