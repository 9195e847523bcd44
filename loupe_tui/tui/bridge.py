"""The one place that speaks to the GL window: changes in, messages out; events in, changes out.

The Session (what is scored) and the :class:`~loupe_tui.tui.view.ViewModel`
(how it is shown) own all state. :func:`messages_for` and
:func:`view_messages` turn their changes into the few small protocol
messages that bring the window up to date; :func:`full_state` builds
everything a new or restarted window must be told from the two models, so
nothing else keeps a copy of what the window was sent.
:func:`change_for_event` turns the window's mouse events into Session calls.
:class:`Bridge` owns the :class:`~loupe_tui.link.RenderLink` (transport
only), starts and restarts it, keeps the frame time the window reports, and
gives its status in one line. When the terminal shows the frames (kitty
graphics, sixel: :mod:`loupe_tui.tui.terminal_frames`) it starts the window
offscreen, on a display of its own when there is none, and tells it the
frame size the terminal widget wants.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np

from loupe_tui import protocol as P
from loupe_tui.core.session import Change, Session
from loupe_tui.display import describe_display, remote_hint
from loupe_tui.link import LinkUnavailable, RenderLink, display_available
from loupe_tui.tui.graphics import TerminalGraphics
from loupe_tui.tui.terminal_frames import OffscreenDisplay
from loupe_tui.tui.view import ViewChange, ViewModel
from loupe_tui.xvfb import XvfbError

#: The first frame's size when the terminal widget has not said its own yet (160x45 cells of 8x16).
DEFAULT_FRAME_SIZE = (1280, 720)


def label_diff_message(diff) -> P.ApplyLabelDiff:
    return P.ApplyLabelDiff(removed=tuple((r.start, r.end, r.label) for r in diff.removed),
                            added=tuple((r.start, r.end, r.label) for r in diff.added))


def messages_for(change: Change, session: Session, seq: int) -> list[P.Message]:
    """The messages that bring the window up to date after ``change``."""
    out: list[P.Message] = []
    if change.labels:
        out.append(label_diff_message(change.labels))
    if change.window:
        out.append(P.SetWindow(session.window_start, session.window_end, seq))
    if change.cursor or change.window:
        out.append(P.SetCursor(session.cursor, seq))
    if change.selection:
        sel = session.selection
        out.append(P.SetSelection(*(sel if sel is not None else (None, None))))
    if change.epoch:
        out.append(epochs_message(session))
    return out


def view_messages(change: ViewChange) -> list[P.Message]:
    """The messages that tell the window a view change: its settings per target, then the focus."""
    out: list[P.Message] = [P.SetViewOption(target, dict(opts)) for target, opts in change.options]
    if change.focus is not None:
        out.append(P.SetFocus(change.focus))
    return out


def epochs_message(session: Session) -> P.SetViewOption:
    return P.SetViewOption("epochs", {"epoch_len": session.epoch_len, "t_start": session.t_start})


def state_colors(states, label_names) -> dict[str, tuple]:
    """The colour of every state: the keymap's, then every other label name's.

    The one place both the terminal views and the GL window get colours from
    (:meth:`StateConfig.color_for`: a distinct palette colour for a state the
    keymap does not know).
    """
    names = list(states.states) + [n for n in label_names if n not in states.states]
    return {n: tuple(states.color_for(n)) for n in names}


def colors_message(states, label_names) -> P.SetStateColors:
    return P.SetStateColors({n: list(c) for n, c in state_colors(states, label_names).items()})


def full_state(session: Session, view: ViewModel, states) -> list[P.Message]:
    """Everything but the session spec: colours, labels, window, cursor, selection, epochs, view, focus."""
    ls = session.labels
    names = ls.label_names
    msgs: list[P.Message] = [
        colors_message(states, names),
        P.SetLabels(tuple(ls.starts.tolist()), tuple(ls.ends.tolist()), tuple(names[c] for c in ls.codes.tolist())),
        P.SetWindow(session.window_start, session.window_end, 0),
        P.SetCursor(session.cursor, 0),
        P.SetSelection(*(session.selection or (None, None))),
        epochs_message(session),
    ]
    msgs += [P.SetViewOption(target, dict(opts)) for target, opts in view.window_options()]
    focus = view.window_focus()
    if focus is not None:
        msgs.append(P.SetFocus(focus))
    return msgs


def change_for_event(msg: P.Message, session: Session) -> Change | None:
    """A click, drag, wheel or playback request from the window, as the Session call it means."""
    s = session
    if isinstance(msg, P.Clicked):
        return s.clear_selection() | s.step_time(msg.t - s.cursor)
    if isinstance(msg, P.Dragged):
        return s.select(msg.t0, msg.t1)
    if isinstance(msg, P.PageRequested):
        return s.step_time(msg.t - s.cursor)     # pages as Session._follow does: whole windows
    if isinstance(msg, P.Scrolled):
        steps = int(np.sign(msg.steps) * max(1, round(abs(msg.steps))))
        if "ctrl" in msg.modifiers:
            return s.zoom(2.0 ** -np.sign(msg.steps))
        if "alt" in msg.modifiers:
            return None                          # gain: the window's own business
        if "shift" in msg.modifiers:
            return s.step_epoch(steps)           # fine: one epoch per notch
        return s.page(steps)                     # the wheel pages: one window per notch
    return None


class Bridge:
    """The GL window seen from the screen: start, tell, restart, status.

    Parameters
    ----------
    context : ScorerContext
    on_event : callable
        Receives the window's events but ``FrameDrawn`` (kept here as
        :attr:`last_draw_ms`), from the link's loop.
    graphics : TerminalGraphics, optional
        What the terminal shows (:func:`~loupe_tui.tui.terminal_frames.choose_graphics`):
        kitty or sixel starts the window offscreen, its frames for the terminal.
    on_frame : callable, optional
        Called (no arguments) for every ``FrameDrawn``: offscreen, a frame is in the frame buffer.
    layers : callable, optional
        ``() -> [SetLabelLayer, ...]``: every label layer (suggestions, other scorers) a new or
        restarted window is given after the full state (their owner keeps them, not the bridge).
    """

    def __init__(self, context, on_event: Callable[[P.Message], None], graphics: TerminalGraphics | None = None,
                 on_frame: Callable[[], None] | None = None,
                 layers: Callable[[], list[P.Message]] | None = None):
        self.context = context
        self.layers = layers or (lambda: [])
        self.on_event = on_event
        self.on_frame = on_frame
        self.graphics = graphics               # what the terminal was found to show, and why
        self.offscreen = OffscreenDisplay() if graphics is not None and graphics.enabled else None
        self.frame_size: tuple[int, int] | None = None   # offscreen: the pixels the terminal widget wants
        self.link: RenderLink | None = None
        self._seq = itertools.count(1)
        off = f"GL window: off ({getattr(context, 'window_switch', 'window=False')})"
        self._status = off if not context.window else "GL window: not started"
        self.last_draw_ms: float | None = None
        self._figures: set[str] = set()
        self.remote = None            # the DisplayInfo of a forwarded display the window is on
        self._hinted = False

    @property
    def status(self) -> str:
        if self.link is not None:
            try:
                s = self.link.status
            except Exception:  # noqa: BLE001 - a status line must never raise
                s = "GL window: ?"
            offscreen = self.offscreen is not None and self.link.alive and not self.link.hung
            if offscreen and self.frame_size is not None:
                s += f", {self.frame_size[0]}x{self.frame_size[1]}"
            if self.last_draw_ms is not None and self.link.alive:
                s += f" ({self.last_draw_ms:.1f} ms/frame)"
            if offscreen:
                s += f", frames shown in the terminal ({self.graphics.protocol})"
            if self.remote is not None and self.link.alive:
                s += f", remote display {self.remote.name}"
            return s
        return self._status

    @property
    def frames_path(self) -> Path | None:
        """Offscreen: the frame buffer file the running window writes its frames to."""
        return self.link.frames_path if self.link is not None and self.link.alive else None

    @property
    def alive(self) -> bool:
        return self.link is not None and bool(self.link.alive)

    def _event(self, msg: P.Message) -> None:
        if isinstance(msg, P.FrameDrawn):
            self.last_draw_ms = msg.draw_ms
            if self.on_frame is not None:
                self.on_frame()
        else:
            self.on_event(msg)

    # -- telling ------------------------------------------------------------------
    def tell(self, change: Change, session: Session) -> None:
        """Tell the window what ``change`` moved (labels, window, cursor, selection, epochs)."""
        if self.link is None or not change:
            return
        seq = next(self._seq) if (change.window or change.cursor) else 0
        for m in messages_for(change, session, seq):
            self.send(m)

    def tell_view(self, change: ViewChange) -> None:
        """Tell the window the view settings ``change`` changed."""
        for m in view_messages(change):
            self.send(m)

    def tell_colors(self, states, label_names) -> None:
        self.send(colors_message(states, label_names))

    def set_frame_size(self, size: tuple[int, int]) -> None:
        """Offscreen: draw frames of ``size`` pixels (the terminal widget's), now and after a restart."""
        if self.offscreen is None or tuple(size) == self.frame_size or min(size) <= 0:
            return
        self.frame_size = (int(size[0]), int(size[1]))
        self.send(P.SetFrameSize(*self.frame_size))

    def play(self, video: int, speed: float) -> None:
        self.send(P.VideoCommand("play", video, speed))

    def pause(self, video: int) -> None:
        self.send(P.VideoCommand("pause", video))

    def snapshot(self, path: str) -> bool:
        """Ask the window to write its frame to ``path`` (PNG, a figure); False when no window runs."""
        if not self.alive:
            return False
        self._figures.add(path)
        self.send(P.Snapshot(path, next(self._seq)))
        return True

    def figure_saved(self, path: str) -> bool:
        """The window wrote ``path``: True (once) when it was a figure asked for with :meth:`snapshot`."""
        if path in self._figures:
            self._figures.discard(path)
            return True
        return False

    def send(self, msg: P.Message) -> None:
        if self.link is not None:
            self.link.send(msg)

    # -- lifecycle -------------------------------------------------------------------
    def initial(self, session: Session, view: ViewModel, states) -> list[P.Message]:
        """LoadSession(spec) then the full state (builds the spec: may read data, run it in a thread)."""
        from loupe_tui.io.pyramid import default_cache_dir
        from loupe_tui.spec_sources import prune_spills
        from loupe_tui.viewspec import build_spec

        ctx = self.context
        pyramids = ctx.cache_dir or default_cache_dir()
        colors = {n: list(c) for n, c in state_colors(states, session.labels.label_names).items()}
        sessions = Path(pyramids).parent / "sessions"
        prune_spills(sessions)                   # arrays no session has used for two weeks
        spec = build_spec(ctx.configs, labels_states_colors=colors, videos=ctx.videos or None,
                          global_events=ctx.global_events, cache_dir=sessions, pyramid_cache=pyramids,
                          spectral=ctx.spectral or None, epoch_s=session.epoch_len)
        return [P.LoadSession(spec), *full_state(session, view, states)]

    async def start(self, session: Session, view: ViewModel, states, restart: bool = False) -> str:
        """Start (or restart) the window; returns the status line. Never raises.

        The spec is built in a thread; once the window is up the full state is
        sent again, so edits made while it started are not missed.
        """
        if not self.context.window:
            return self.status
        try:
            initial = await asyncio.to_thread(self.initial, session, view, states)
        except Exception as exc:  # noqa: BLE001 - the terminal views go on without a window
            self._status = f"GL window: cannot describe the session ({exc})"
            return self._status
        if self.offscreen is not None:
            return await self._start_offscreen(initial, session, view, states)
        display = describe_display()
        size = self.context.window_size or (display.default_size if display is not None else None)
        try:
            if restart and self.link is not None:
                await self.link.restart(initial)
            else:
                self.link = RenderLink(self._event, log_path=self.context.link_log, size=size)
                await self.link.start(initial)
        except LinkUnavailable as exc:
            self._status = f"GL window: unavailable ({exc})"
            if self.graphics is not None and not display_available()[0]:   # say why the terminal shows none
                self._status = f"GL window: no display; terminal graphics {self.graphics.reason}: text views"
            self.link = None
            return self.status
        for msg in [*full_state(session, view, states), *self.layers()]:
            self.link.send(msg)
        self.remote = display if display is not None and display.remote else None
        if self.remote is not None and not self._hinted:     # once: the link is the user's to tune
            self._hinted = True
            return remote_hint(self.remote, size)
        return self.status

    async def _start_offscreen(self, initial, session: Session, view: ViewModel, states) -> str:
        """The window drawing offscreen for the terminal (on a private Xvfb without a display)."""
        if self.link is not None:
            await self.link.stop()
            self.link = None
        try:
            env = await asyncio.to_thread(self.offscreen.env)
            self.link = RenderLink(self._event, log_path=self.context.link_log, env=env, frames=True,
                                   size=self.frame_size or DEFAULT_FRAME_SIZE)
            await self.link.start(initial)
        except (LinkUnavailable, XvfbError) as exc:
            self._status = f"GL window: unavailable offscreen ({exc}): text views"
            self.link = None
            return self.status
        for msg in [*full_state(session, view, states), *self.layers()]:
            self.link.send(msg)
        if self.frame_size is not None:
            self.link.send(P.SetFrameSize(*self.frame_size))
        return f"frames in the terminal: {self.graphics.reason}; {self.offscreen.description}"

    async def stop(self) -> None:
        try:
            if self.link is not None:
                try:
                    await self.link.stop()
                finally:
                    self.link = None
        finally:
            if self.offscreen is not None:
                self.offscreen.stop()
