"""The main screen: keys, layout, and applying changes to the terminal views and the GL window.

Owners: the Session (window, cursor, selection, labels), the ViewModel (how
they are shown), the Navigator (searches, frame steps), the Ruler, the
Openers (prompts, dialogs, screens), the Bridge (the GL window) and
TerminalFrames (its frames in the terminal, in place of the braille preview,
when the terminal shows graphics). Keys are
looked up in :meth:`MainScreen.on_key` in the live keymap (a state hotkey or
an action id; an edited keymap file takes effect at once); each action id
runs its handler from the one table of :mod:`loupe_tui.tui.actions`;
:meth:`MainScreen.apply` updates the terminal views and hands the change to
the bridge. Slow work (pyramid builds, the spectral views, window start)
runs in workers; the spectral views and the display filters have their own
owners (:class:`~loupe_tui.tui.spectral_panels.SpectralPanels`,
:class:`~loupe_tui.tui.trace_filters.TraceFilters`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input

from loupe_tui import protocol as P
from loupe_tui.core import keys
from loupe_tui.core.keymap_edit import keymap_changes
from loupe_tui.core.session import Change
from loupe_tui.errors import LoupeError
from loupe_tui.core.labels.formats import format_of
from loupe_tui.tui import colon
from loupe_tui.tui.actions import action_table, run_command
from loupe_tui.tui.bridge import Bridge, change_for_event
from loupe_tui.tui.figures import export_figure
from loupe_tui.tui.graphics import TerminalGraphics
from loupe_tui.tui.label_dock import LabelDock
from loupe_tui.tui.navigation import Navigator, Playback
from loupe_tui.tui.openers import Openers
from loupe_tui.tui.ruler import Ruler
from loupe_tui.tui.spectral_panels import SpectralPanels
from loupe_tui.tui.suggestions import SuggestionReview
from loupe_tui.tui.terminal_frames import NO_GRAPHICS, TerminalFrames
from loupe_tui.tui.trace_filters import TraceFilters
from loupe_tui.tui.view import ViewChange
from loupe_tui.tui.widgets.draw import StateColors, ViewState
from loupe_tui.tui.widgets.command_line import CommandLine
from loupe_tui.tui.widgets.footer import KeyFooter
from loupe_tui.tui.widgets.frame_view import FrameView
from loupe_tui.tui.widgets.hypnogram import Hypnogram
from loupe_tui.tui.widgets.label_strip import LabelStrip
from loupe_tui.tui.widgets.spectrogram import SpectrogramView
from loupe_tui.tui.widgets.status import StatusBar
from loupe_tui.tui.widgets.suggestion_strip import SuggestionStrip
from loupe_tui.tui.widgets.trace_preview import TracePreview
from loupe_tui.tui.workers import prepare_pyramids

PLAY_HZ = 10.0
#: The action each kind of focused panel is adjusted with (named in the status line on Tab).
FOCUS_HINTS = {"trace": ("view.y_zoom_in", "Y zoom"), "dense": ("view.dense_controls", "dense controls"),
               "heatmap": ("view.heatmap_controls", "heatmap controls"),
               "raster": ("view.raster_controls", "raster controls")}


class MainScreen(Screen, inherit_bindings=False):
    """The scorer. ``context`` is a :class:`~loupe_tui.tui.context.ScorerContext`; ``graphics`` what
    the terminal shows (:func:`~loupe_tui.tui.terminal_frames.choose_graphics`; None: not asked)."""

    AUTO_FOCUS = ""  # nothing focused: keys reach on_key (the command line takes focus when opened)

    class WindowEvent(Message):
        """An event from the GL window (posted from the link's loop)."""

        def __init__(self, msg: P.Message):
            super().__init__()
            self.msg = msg

    def __init__(self, context, graphics: TerminalGraphics | None = None):
        super().__init__()
        self.context = context
        self.session = session = context.session
        self.states = context.states
        self.state_colors = StateColors(self.states)
        self.view = context.view_model()
        self.nav = Navigator(session, context.frame_times, lambda: self.view.video_target, self._state_names)
        self.openers = Openers(self, session, self.view, self.nav)
        self.ruler = Ruler(self.view, lambda: session.cursor)
        self.suggestions = SuggestionReview(self)       # suggestions and other scorers (context.compare)
        self.actions = action_table(session, self.view, self.nav, self.openers, self.ruler, self)
        self.bridge = Bridge(context, lambda m: self.post_message(self.WindowEvent(m)), graphics,
                             on_frame=lambda: self.frames.frame_drawn(), layers=self.suggestions.layer_messages)
        self.frames = TerminalFrames(graphics or NO_GRAPHICS, lambda: self.bridge.frames_path,
                                     self.bridge.set_frame_size, lambda text: self.notify_status(text, "error"))
        self.playback = Playback(session)
        self._play_timer = None
        self.key_ms: list[float] = []
        self.label_dock = LabelDock(self)               # the label table (F4), mounted on first use
        self.spectral = SpectralPanels(self)            # spectrograms and band lines (context.spectral)
        self.trace_filters = TraceFilters(self)         # the preview's display filters (view.filters)
        # what the GL window waits for: it opens the pyramids and spectral caches the app builds
        self._window_waits: set[str] | None = {"traces", *(["spectral"] if context.spectral else [])}
        # state names whose colours the GL window has (it gets them all when it starts)
        self._colored: set[str] = set(self.states.states) | set(session.labels.label_names)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="body"):
            with Vertical(id="views"):
                yield LabelStrip(id="label-strip")
                yield SuggestionStrip(self.suggestions.strip_rows, id="suggestion-strip")
                yield from self.spectral.page_widgets()
                yield TracePreview(id="traces")
                yield from self.frames.widgets()
                yield from self.spectral.overview_widgets()
                yield Hypnogram(id="hypnogram")
        yield CommandLine(id="command-line")
        yield KeyFooter(id="footer")

    # -- start ---------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.status_bar, self.label_strip = self.query_one(StatusBar), self.query_one(LabelStrip)
        self.suggestion_strip = self.query_one(SuggestionStrip)
        self.show_suggestions(send=False)
        self.traces, self.hypnogram = self.query_one(TracePreview), self.query_one(Hypnogram)
        self.query_one(CommandLine).states = self._state_names()
        self.query_one(KeyFooter).show(self.states)
        self.traces.set_events(self.context.event_times())
        self.frames.mount(self.traces)
        labels = self.session.labels
        notes = [m for m in (labels.recovery_message, *self.context.notes, *labels.messages) if m]
        if labels.source_path is not None:   # the folder is long and known: keep the news on screen
            notes = [m.replace(f"{labels.source_path.parent}{os.sep}", "") for m in notes]
        self.notify_status("; ".join(notes) if notes else "ready: press F1 or ? for keys and states",
                           "warning" if labels.recovery_message else "info")
        self.refresh_views(Change(window=True, labels=None), labels_changed=True)
        self.set_interval(1.0, self.poll)
        self._prepare_traces()
        self.spectral.start()

    @work(thread=True, exclusive=True, group="pyramids")
    def _prepare_traces(self) -> None:
        """Open or build each trace source's pyramid (thread), then start the window."""
        prepare_pyramids(self.context, self.app, on_progress=self._progress, on_error=self.notify_status,
                         on_ready=self._traces_ready)

    def _progress(self, text: str) -> None:
        self.traces.set_message(f"decimation pyramid: {text}")
        self.frames.set_message(f"decimation pyramid: {text}")

    def _traces_ready(self, traces, pyramids) -> None:
        self.traces.set_traces(traces, pyramids)
        self.traces.apply_view(self.view)
        self.ruler.set_traces(traces, pyramids)
        self.trace_filters.set_traces(traces, pyramids)
        if not traces:
            self.traces.set_message("no traces to preview (TraceConfig or Zip data draws here)")
        self.refresh_views(Change(window=True))
        self.ready_for_window("traces")

    def ready_for_window(self, part: str, restart: bool = False) -> None:
        """``part`` (``"traces"``, ``"spectral"``) is built: start the GL window once nothing else is left;
        ``restart``: restart a running one (the spectral views changed: it is given the new spec)."""
        if self._window_waits is None:
            if restart and self.context.window and self.bridge.link is not None:
                self.start_window(restart=True)
        else:
            self._window_waits.discard(part)
            if not self._window_waits:
                self._window_waits = None
                if self.context.window:
                    self.start_window()

    def window_waits_for(self, part: str) -> None:
        """A GL window that has not started yet also waits for ``part`` to be built."""
        if self._window_waits is not None:
            self._window_waits.add(part)

    @work(exclusive=True, group="window")
    async def start_window(self, restart: bool = False) -> None:
        self.notify_status("GL window: restarting" if restart else "GL window: starting")
        self.frames.set_message("starting the GL window offscreen, to show its frames here")
        status = await self.bridge.start(self.session, self.view, self.states, restart=restart)
        self.frames.show_frames(self.bridge.alive)         # the braille preview while there is no window
        self.notify_status(status, "info" if self.bridge.alive else "warning")

    # -- keys and events -------------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        if isinstance(self.focused, Input):
            return  # the command line and the table's cell editor take their own keys
        event.stop()
        event.prevent_default()
        key = keys.from_textual(event.key, event.character)
        if key == "escape" and self.label_dock.focused():
            self.set_focus(None)
            self.notify_status("label table: back to the traces (F4 goes back to the table)")
            return
        self.press_key(key)

    def press_key(self, key: str) -> None:
        """Act on one canonical key (from the terminal or the GL window)."""
        t = time.perf_counter()
        hit = self.states.lookup(key)
        if hit is None:
            if key == "ctrl+c":
                q = self.states.action_keys.get("app.quit", ())
                self.notify_status(f"{keys.display(q[0]) if q else ':q'} quits", "info")
            return
        kind, name = hit
        self.run_safely(lambda: self.session.label(name) if kind == "state" else self.actions[name]())
        self.key_ms.append((time.perf_counter() - t) * 1e3)
        del self.key_ms[:-1000]

    def run_action(self, action_id: str) -> None:
        """Run an action by id and apply what it changed (the command palette's path; keys take the same)."""
        self.run_safely(self.actions[action_id])

    def run_safely(self, fn) -> None:
        """Run ``fn``, show a LoupeError in the status line, apply the change it returns."""
        try:
            change = fn()
        except LoupeError as exc:
            self.notify_status(str(exc), "error")
            return
        self.apply(change)

    def on_main_screen_window_event(self, event: WindowEvent) -> None:
        msg = event.msg
        if isinstance(msg, P.KeyPressed):     # exactly as if typed here, into whatever has the keys
            if self.app.screen is self and self.focused is None:
                self.press_key(msg.key)
            else:
                self.app.type_key(msg.key)
        elif isinstance(msg, P.ErrorRaised):
            self.frames.show_frames(self.bridge.alive)       # a dead window: the braille preview again
            self.notify_status(f"GL window: {msg.message}{' (F5 restarts the window)' if msg.fatal else ''}",
                               "error")
        elif isinstance(msg, P.Closed):
            self.notify_status("GL window closed (F5 opens it again)", "warning")
        elif isinstance(msg, P.SnapshotSaved) and self.bridge.figure_saved(msg.path):
            self.notify_status(f"figure: the GL window's frame saved to {msg.path}", "ok")
        elif self.app.screen is self or isinstance(msg, P.PageRequested):   # a dialog open: the mouse waits
            self.run_safely(lambda: change_for_event(msg, self.session))

    def on_frame_view_pixel_size_changed(self, event: FrameView.PixelSizeChanged) -> None:
        self.frames.resized(event.pixel_size)

    def on_spectrogram_view_problem(self, event: SpectrogramView.Problem) -> None:
        self.notify_status(event.text, "error")

    def on_trace_preview_problem(self, event: TracePreview.Problem) -> None:
        """A window could not be read (said once), or reads work again (the line goes)."""
        event.stop()
        if event.text:
            self.notify_status(f"{event.text}; scoring goes on", "error")
        elif self.status_bar.message.endswith("; scoring goes on"):
            self.notify_status("")

    def on_resize(self) -> None:
        self.spectral.fit()

    def on_command_line_run(self, event: CommandLine.Run) -> None:
        self.run_safely(lambda: run_command(colon.parse(event.text), self.actions, self.session, self.nav, self))

    def on_command_line_completions(self, event: CommandLine.Completions) -> None:
        self.notify_status("  ".join(event.candidates))

    # -- applying changes ---------------------------------------------------------------------
    def apply(self, change: Change | ViewChange | None) -> None:
        """Update the terminal views and the GL window after ``change``."""
        if isinstance(change, ViewChange):
            self._apply_view(change)
            return
        if change is None:
            return
        if change.message:
            self.notify_status(change.message, "info")
        elif change:
            self.status_bar.set_message("")   # something happened: an old message (or error) is stale
        if change.labels:
            self.sync_colors()
            self.suggestions.labels_changed()
        if change.epoch:
            self.spectral.reopen()           # its cache is keyed by the epoch: a new build, with progress
        self.refresh_views(change)
        self.bridge.tell(change, self.session)

    def _apply_view(self, change: ViewChange) -> None:
        v = self.view
        self.hypnogram.display, self.label_strip.display = v.hypnogram, v.label_strip
        self.suggestion_strip.display = v.label_strip and self.suggestions.rows_wanted() > 0
        if self.hypnogram.zoomed != v.hypnogram_zoom:
            self.hypnogram.toggle_zoom()
        self.spectral.apply(v)
        message = change.message
        if change.focus is not None:
            action, what = FOCUS_HINTS[v.focused.kind]
            k = self.states.action_keys.get(action, ())
            message += f"; {keys.display(k[0])}: {what}" if k else ""
        if any(target == "filters" for target, _ in change.options):
            self.trace_filters.apply()
        if change.terminal:
            self.traces.apply_view(v)
        if message:
            self.notify_status(message, "info")
        self.refresh_views(Change())
        self.bridge.tell_view(change)

    def refresh_views(self, change: Change, labels_changed: bool = False) -> None:
        view, labels, colors = ViewState.of(self.session), self.session.labels, self.state_colors
        self.status_bar.show(self.context.title, self.session, colors, self.bridge.status)
        self.spectral.show(view, self.view)
        if self.label_strip.display:
            self.label_strip.show(view, labels, colors)
        if self.suggestion_strip.display:
            self.suggestion_strip.show(view, colors, self.suggestions.strip_version())
        self.traces.show(view, labels, colors, self.view.overlays)
        hyp = self.hypnogram
        if hyp.display:
            hyp.show(view, labels, self.states.states, colors,
                     labels_changed=labels_changed or bool(change.labels) or change.epoch)
            rows = hyp.rows_needed()
            if hyp.styles.height is None or hyp.styles.height.value != rows:
                hyp.styles.height = rows
                self.spectral.fit()
        self.label_dock.show_changes(change, bool(change.cursor or change.window or labels_changed))

    def show_suggestions(self, send: bool = True, every: bool = False) -> None:
        """New suggestions (or threshold): size and redraw their strip; ``send`` them to the GL window
        (``every`` layer, the other scorers' too: blind scoring changed what may be seen)."""
        rows, strip = self.suggestions.rows_wanted(), self.suggestion_strip
        strip.display = rows > 0 and self.view.label_strip
        if strip.styles.height is None or strip.styles.height.value != rows:
            strip.styles.height = max(rows, 1)
            self.spectral.fit()
        if strip.display:
            strip.show(ViewState.of(self.session), self.state_colors)
        self.label_dock.show_suggestions(self.suggestions.current, self.suggestions.threshold)
        if send:
            msgs = self.suggestions.layer_messages()
            for msg in msgs if every else msgs[:1 if self.suggestions.current is not None else 0]:
                self.bridge.send(msg)

    def notify_status(self, text: str, level: str = "info") -> None:
        self.status_bar.set_message(text, level)
        self.show_status()

    def show_status(self) -> None:
        """Repaint the status bar if its text changed (the GL window's state, background work)."""
        self.status_bar.show(self.context.title, self.session, self.state_colors, self.bridge.status)

    def poll(self) -> None:
        """Once a second: re-read a changed keymap file; refresh the GL status."""
        watcher = self.context.keymap_watcher
        result = watcher.poll() if watcher is not None else None
        if isinstance(result, LoupeError):
            self.notify_status(f"keymap not reloaded, the previous one stays active: {result}", "error")
        elif result is not None:
            changed = keymap_changes(self.states, result)
            self.set_states(result)
            self.notify_status(f"keymap reloaded from {watcher.path.name}: {changed}", "ok")
        else:
            self.show_status()

    def set_states(self, states) -> None:
        """Switch to a new keymap: hotkeys, action keys, colours, footer, help."""
        self.states = self.context.states = states
        self.state_colors = StateColors(states)
        self.query_one(KeyFooter).show(states)
        self.query_one(CommandLine).states = self._state_names()
        self.sync_colors(force=True)
        self.refresh_views(Change(), labels_changed=True)

    def sync_colors(self, force: bool = False) -> None:
        """Tell the GL window (and the table) the colours of every state, when one is new to them."""
        names = set(self.session.labels.label_names)
        if not force and names <= self._colored:
            return
        self._colored = names | set(self.states.states)
        self.bridge.tell_colors(self.states, self.session.labels.label_names)
        self.label_dock.set_state_colors()

    def trace_names(self) -> list[str]:
        """The traces the terminal previews (the Y scale dialog lists them)."""
        return self.traces.trace_names

    def _state_names(self) -> list[str]:
        return list(dict.fromkeys([*self.states.states, *self.session.labels.label_names]))

    # -- the label table (F4): its events; the dock (label_dock.py) mounts, shows and hides it ---------
    def toggle_label_table(self) -> Change:
        return self.label_dock.toggle()

    def on_label_table_jump_to(self, event) -> None:
        event.stop()
        self.run_safely(lambda: self.session.goto(event.t))

    def on_label_table_cell_edited(self, event) -> None:
        event.stop()
        labels = self.session.labels
        self.run_safely(lambda: Change(labels=labels.update_cell(event.index, event.column, event.value),
                                       message=f"{event.column} of interval {event.index + 1} set"))

    # -- files, playback, the window, quitting ---------------------------------------------------
    def save(self, then_quit: bool = False) -> Change | None:
        labels = self.session.labels
        if labels.save_path is None:
            self.openers.ask_export()
            return Change(message="these labels have no file: export them to one")
        try:
            path = labels.save()
        except LoupeError as exc:
            return Change(message=f"not saved: {exc}")
        self.notify_status(f"saved {path}", "ok")
        if then_quit:
            self.quit_now()
        return Change()

    def export(self, path: str) -> Change:
        p = Path(path).expanduser()
        format_of(p, writing=True)
        written = self.session.labels.save_as(p)
        self.notify_status(f"exported {len(self.session.labels):,} labels to {Path(written).resolve()}", "ok")
        return Change()

    def toggle_play(self) -> Change:
        now, target = time.monotonic(), self.view.video_target
        if self.playback.playing:
            self._play_timer.stop()
            self.bridge.pause(target)
            return self.playback.stop(now) | Change(cursor=True, message="paused")
        self._play_timer = self.set_interval(1 / PLAY_HZ, self._play_tick)
        self.playback.start(now, self.view.play_speed)
        self.bridge.play(target, self.view.play_speed)
        return Change(message=f"playing at {self.view.play_speed:g}x (Space pauses)")

    def _play_tick(self) -> None:
        change = self.playback.advance(time.monotonic())
        if not change.cursor:                     # the end of the recording
            self.apply(self.toggle_play())
        self.apply(change)

    def restart_window(self) -> Change:
        if not self.context.window:
            return Change(message="GL window is off (started with --no-window / window=False)")
        self.start_window(restart=self.bridge.link is not None)
        return Change()

    def export_figure(self) -> Change:
        return export_figure(self.app, self.bridge, self.context.title, self.session.window_start)

    def open_command_line(self) -> None:
        self.query_one(CommandLine).open()

    def request_quit(self) -> None:
        (self.openers.ask_save_before_quit if self.session.labels.has_unsaved_edits else self.quit_now)()

    def quit_now(self) -> None:
        self._shutdown()

    @work(exclusive=True, group="quit")
    async def _shutdown(self) -> None:
        """Close the GL window, then leave the app returning the labels."""
        self.suggestions.close()
        try:
            await self.bridge.stop()
        finally:
            self.app.exit(self.session.labels)
