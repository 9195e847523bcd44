"""The main screen: status, label strip, trace preview, hypnogram, label table, command line, footer.

Keys are handled in :meth:`MainScreen.on_key`, not with static ``BINDINGS``:
the canonical key is looked up in the live keymap (a state hotkey or an
action id), so a keymap edited on disk takes effect at once. Every action
goes through :class:`~loupe_tui.tui.dispatch.Dispatcher` to one Session call;
:meth:`MainScreen.apply` then updates the terminal views and tells the GL
window (:class:`~loupe_tui.tui.bridge.Bridge`). Slow work (pyramid builds,
window start) runs in workers.

The label table (F4) is a panel beside the views, not a screen: it follows
the cursor as you score, and while it has focus it takes only its own
navigation keys; everything else (state keys, paging ...) reaches
:meth:`MainScreen.on_key` as usual. Escape gives the focus back.
"""

from __future__ import annotations

import os
import time

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from loupe_tui import protocol as P
from loupe_tui.core import keys
from loupe_tui.core.session import Change
from loupe_tui.errors import LoupeError
from loupe_tui.tui import colon, integrate
from loupe_tui.tui.bridge import Bridge, colors_message, state_colors
from loupe_tui.tui.dispatch import Dispatcher
from loupe_tui.tui.screens.main_actions import MainActions
from loupe_tui.tui.widgets._draw import ViewState, rgba_tuple
from loupe_tui.tui.widgets.command_line import CommandLine
from loupe_tui.tui.widgets.footer import KeyFooter
from loupe_tui.tui.widgets.hypnogram import Hypnogram
from loupe_tui.tui.widgets.label_strip import LabelStrip
from loupe_tui.tui.widgets.status import StatusBar
from loupe_tui.tui.widgets.trace_preview import TracePreview


class StateColors(dict):
    """State name -> RGB, filled on demand from the keymap (``StateConfig.color_for``: the GL
    window gets the same colours through :func:`~loupe_tui.tui.bridge.state_colors`)."""

    def __init__(self, states):
        super().__init__()
        self.states = states

    def __missing__(self, name: str):
        rgb = rgba_tuple(self.states.color_for(name))
        self[name] = rgb
        return rgb

    def get(self, name, default=None):  # noqa: ARG002 - every name has a colour
        return self[name]


class MainScreen(MainActions, Screen, inherit_bindings=False):
    """The scorer. ``context`` is a :class:`~loupe_tui.tui.context.ScorerContext`."""

    AUTO_FOCUS = ""  # nothing focused: keys reach on_key (the command line takes focus when opened)

    class WindowEvent(Message):
        """An event from the GL window (posted from the link's thread)."""

        def __init__(self, msg: P.Message):
            super().__init__()
            self.msg = msg

    def __init__(self, context):
        super().__init__()
        self.context = context
        self.session = context.session
        self.states = context.states
        self.state_colors = StateColors(self.states)
        self.dispatcher = Dispatcher(self)
        self.bridge = Bridge(context, lambda m: self.post_message(self.WindowEvent(m)))
        self.options: dict[str, dict] = {
            "label_overlays": {"visible": bool(context.label_overlays)},
            "hypnogram": {"visible": True, "zoom": False},
            "label_strip": {"visible": True},
            **{f"video:{i}": {"visible": True} for i in range(len(context.videos))},
        }
        self.key_ms: list[float] = []
        self.label_table = None           # the LabelTable, mounted on first use (F4)
        self._focus_targets = None        # the GL window's panel targets Tab cycles (built on first use)
        self.focus_target_index = 0
        self.y_gain: dict[str, float] = {}   # Y zoom per trace target
        # state names whose colours the GL window has (it gets them all when it starts)
        self._colored: set[str] = set(self.states.states) | set(self.session.labels.label_names)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="body"):
            with Vertical(id="views"):
                yield LabelStrip(id="label-strip")
                yield TracePreview(id="traces")
                yield Hypnogram(id="hypnogram")
        yield CommandLine(id="command-line")
        yield KeyFooter(id="footer")

    # -- start ---------------------------------------------------------------
    def on_mount(self) -> None:
        self.status_bar, self.label_strip = self.query_one(StatusBar), self.query_one(LabelStrip)
        self.traces, self.hypnogram = self.query_one(TracePreview), self.query_one(Hypnogram)
        self.query_one(CommandLine).states = self._state_names()
        self.query_one(KeyFooter).show(self.states)
        self.traces.set_events(self.context.event_times())
        labels = self.session.labels
        notes = [m for m in (labels.recovery_message, *labels.messages) if m]
        if labels.source_path is not None:   # the folder is long and known: keep the news on screen
            notes = [m.replace(f"{labels.source_path.parent}{os.sep}", "") for m in notes]
        self.notify_status("; ".join(notes) if notes else "ready: press F1 or ? for keys and states",
                           "warning" if labels.recovery_message else "info")
        self.refresh_views(Change(window=True, labels=None), labels_changed=True)
        self.set_interval(1.0, self.poll)
        self._prepare_traces()

    @work(thread=True, exclusive=True, group="pyramids")
    def _prepare_traces(self) -> None:
        """Open or build each trace source's pyramid (thread), then start the window.

        The build stops (nothing cached) when the app quits: the worker is cancelled.
        """
        from textual.worker import get_current_worker

        from loupe_tui.io.pyramid import Pyramid

        worker = get_current_worker()

        def post(fn, *args) -> None:
            if not worker.is_cancelled:
                try:
                    self.app.call_from_thread(fn, *args)
                except RuntimeError:      # the app has gone
                    pass

        try:
            traces = self.context.preview_traces()
        except LoupeError as exc:
            post(self.notify_status, str(exc), "error")
            traces = []
        pyramids, built = [], {}
        sources = list(dict.fromkeys(id(t.source) for t in traces))
        last = [0.0]
        for t in traces:
            key = id(t.source)
            if key not in built:
                k = sources.index(key)

                def progress(frac: float, what: str, k=k, name=t.name) -> None:
                    now = time.monotonic()
                    if now - last[0] > 0.1 or frac >= 1.0:
                        last[0] = now
                        post(self._progress, f"{name}: {what} {100 * frac:.0f} % (source {k + 1}/{len(sources)})")

                try:
                    built[key] = Pyramid.open_or_build(t.source, self.context.cache_dir, progress=progress,
                                                       cancel=lambda: worker.is_cancelled)
                except LoupeError as exc:
                    post(self.notify_status, f"trace preview: {exc}", "error")
                    built[key] = None
            if worker.is_cancelled:
                return
            pyramids.append(built[key])
        post(self._traces_ready, traces, pyramids)

    def _progress(self, text: str) -> None:
        self.traces.set_message(f"decimation pyramid: {text}")

    def _traces_ready(self, traces, pyramids) -> None:
        preview = self.traces
        preview.set_traces(traces, pyramids)
        if self._focus_targets is not None:                      # Tab was used already (else: built on first use)
            ft = integrate.focused_target(self)
            preview.focus_name(ft.trace if ft is not None else None)
        if not traces:
            preview.set_message("no traces to preview (TraceConfig or Zip data draws here)")
        self.refresh_views(Change(window=True))
        if self.context.window:
            self.start_window()

    @work(exclusive=True, group="window")
    async def start_window(self, restart: bool = False) -> None:
        self.notify_status("GL window: restarting" if restart else "GL window: starting")
        status = await self.bridge.start(self.session, self.states, self.options, restart=restart)
        self.notify_status(status, "info" if self.bridge.alive else "warning")

    # -- keys ----------------------------------------------------------------
    def on_key(self, event: events.Key) -> None:
        if isinstance(self.focused, Input):
            return  # the command line and the table's cell editor take their own keys
        event.stop()
        event.prevent_default()
        key = keys.from_textual(event.key, event.character)
        if key == "escape" and self._table_focused():
            self.set_focus(None)
            self.notify_status("label table: back to the traces (F4 goes back to the table)")
            return
        self.press_key(key)

    def window_key(self, key: str) -> None:
        """A key typed in the GL window: exactly as if typed here, into whatever has the keys."""
        if self.app.screen is self and self.focused is None:
            self.press_key(key)      # the usual case: at once, in order with the window's clicks
        else:
            self.app.type_key(key)   # a dialog, prompt, ':' line or the label table takes it

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
        self.run_safely(lambda: self.dispatcher.label(name) if kind == "state" else self.dispatcher.run(name))
        self.key_ms.append((time.perf_counter() - t) * 1e3)
        del self.key_ms[:-1000]

    def run_action(self, action_id: str) -> None:
        """Run an action by id (the command palette's path; keys take the same one)."""
        self.run_safely(lambda: self.dispatcher.run(action_id))

    def run_safely(self, fn) -> None:
        try:
            change = fn()
        except LoupeError as exc:
            self.notify_status(str(exc), "error")
            return
        self.apply(change)

    def on_main_screen_window_event(self, event: WindowEvent) -> None:
        # While a prompt or dialog is open, the window's mouse waits; its keys go to the dialog.
        if isinstance(event.msg, (P.Clicked, P.Dragged, P.Scrolled)) and self.app.screen is not self:
            return
        self.run_safely(lambda: self.dispatcher.window_event(event.msg))

    def on_command_line_run(self, event: CommandLine.Run) -> None:
        self.run_safely(lambda: self.dispatcher.command(colon.parse(event.text)))

    def on_command_line_completions(self, event: CommandLine.Completions) -> None:
        self.notify_status("  ".join(event.candidates))

    # -- updates -------------------------------------------------------------
    def apply(self, change: Change | None) -> None:
        """Update the terminal views and the GL window after ``change``."""
        if change is None:
            return
        if change.message:
            self.notify_status(change.message, "info")
        elif change:
            self.status_bar.set_message("")   # something happened: an old message (or error) is stale
        if change.labels:
            self.sync_colors()
        self.refresh_views(change)
        self.bridge.tell(change, self.session)

    def refresh_views(self, change: Change, labels_changed: bool = False) -> None:
        view = ViewState.of(self.session)
        labels = self.session.labels
        self.status_bar.show(self.context.title, self.session, self.state_colors, self.bridge.status)
        if self.label_strip.display:
            self.label_strip.show(view, labels, self.state_colors)
        self.traces.show(view, labels, self.state_colors, self.options["label_overlays"]["visible"])
        hyp = self.hypnogram
        if hyp.display:
            hyp.show(view, labels, self.states.states, self.state_colors,
                     labels_changed=labels_changed or bool(change.labels) or change.epoch)
            rows = hyp.rows_needed()
            if hyp.styles.height is None or hyp.styles.height.value != rows:
                hyp.styles.height = rows
        table = self.label_table
        if table is not None and self._table_panel.display:
            if change.labels is not None:
                table.refresh_labels(change.labels)
                self._update_table_hint()
            if change.cursor or change.window or change.labels is not None or labels_changed:
                table.follow(self.session.cursor)

    def notify_status(self, text: str, level: str = "info") -> None:
        self.status_bar.set_message(text, level)
        self.status_bar.show(self.context.title, self.session, self.state_colors, self.bridge.status)

    def poll(self) -> None:
        """Once a second: re-read a changed keymap file; refresh the GL status."""
        watcher = self.context.keymap_watcher
        result = watcher.poll() if watcher is not None else None
        if isinstance(result, LoupeError):
            self.notify_status(f"keymap not reloaded, the previous one stays active: {result}", "error")
        elif result is not None:
            self.set_states(result)
            self.notify_status(f"keymap reloaded from {watcher.path.name}", "ok")
        else:
            self.status_bar.show(self.context.title, self.session, self.state_colors, self.bridge.status)

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
        self.bridge.send(colors_message(self.states, self.session.labels.label_names))
        if self.label_table is not None:
            self.label_table.set_state_colors(self._table_colors())

    def _table_colors(self) -> dict:
        return state_colors(self.states, self.session.labels.label_names)

    # -- the label table (F4) ----------------------------------------------------------
    def toggle_label_table(self, toggle: bool = True) -> Change:
        """Show and focus the label table; F4 on the focused table hides it."""
        from loupe_tui.tui.widgets.label_table import LabelTable

        table, mounted = self.label_table, None
        if table is None:
            self.label_table = table = LabelTable(self.session.labels, self._table_colors(), id="label-table")
            self._table_hint = Static(id="label-table-hint")
            self._table_panel = Vertical(self._table_hint, table, id="label-panel")
            mounted = self.query_one("#body", Horizontal).mount(self._table_panel)
        elif toggle and self._table_panel.display and self._table_focused():
            self._table_panel.display = False
            self.set_focus(None)
            return Change(message="label table hidden (F4 shows it)")
        elif not self._table_panel.display:
            self._table_panel.display = True
            table.refresh_labels()             # edits made while it was hidden (O(n) numpy, a few ms)
        self._update_table_hint()

        async def ready() -> None:
            if mounted is not None:
                await mounted
            table.focus()
            self.call_after_refresh(lambda: table.follow(self.session.cursor))   # once it has its size
        self.call_later(ready)
        return Change(message="label table: it follows the cursor; state keys still score")

    def _update_table_hint(self) -> None:
        self._table_hint.update(f"{len(self.session.labels):,} intervals · Enter: go there · e/F2: edit · "
                                "Esc: back to the traces · F4: hide")

    def _table_focused(self) -> bool:
        table = self.label_table
        return table is not None and self.focused is not None and table in self.focused.ancestors_with_self

    def on_label_table_jump_to(self, event) -> None:
        event.stop()
        self.run_safely(lambda: self.session.goto(event.t))

    def on_label_table_cell_edited(self, event) -> None:
        event.stop()
        labels = self.session.labels
        self.run_safely(lambda: Change(labels=labels.update_cell(event.index, event.column, event.value),
                                       message=f"{event.column} of interval {event.index + 1} set"))

    def _state_names(self) -> list[str]:
        return list(dict.fromkeys([*self.states.states, *self.session.labels.label_names]))
