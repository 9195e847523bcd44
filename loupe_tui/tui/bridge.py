"""Session changes -> protocol messages for the GL window, and the window's lifecycle.

:func:`messages_for` is pure: one :class:`~loupe_tui.core.session.Change` gives
the few small messages that tell the window what moved. :class:`Bridge` owns
the :class:`~loupe_tui.link.RenderLink` (when there is one), starts it with
the full state (:meth:`Bridge.initial`) and reports its status in one line.
Without ``loupe_tui.link`` / ``loupe_tui.viewspec`` the scorer runs with its
terminal views only and says why.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path

from loupe_tui import protocol as P
from loupe_tui.core.session import Change, Session

try:  # the GL link is optional: the terminal views work without it
    from loupe_tui.link import LinkUnavailable, RenderLink
except ImportError as exc:  # pragma: no cover - depends on the checkout
    RenderLink, LinkUnavailable, _LINK_MISSING = None, Exception, str(exc)
else:
    _LINK_MISSING = ""


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
        out.append(P.SetViewOption("epochs", {"epoch_len": session.epoch_len, "t_start": session.t_start}))
    return out


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


def full_state(session: Session, states, options: dict[str, dict]) -> list[P.Message]:
    """Everything but the session spec: labels, colours, window, cursor, selection, options."""
    ls = session.labels
    names = ls.label_names
    msgs: list[P.Message] = [
        colors_message(states, names),
        P.SetLabels(tuple(ls.starts.tolist()), tuple(ls.ends.tolist()), tuple(names[c] for c in ls.codes.tolist())),
        P.SetWindow(session.window_start, session.window_end, 0),
        P.SetCursor(session.cursor, 0),
        P.SetSelection(*(session.selection or (None, None))),
        P.SetViewOption("epochs", {"epoch_len": session.epoch_len, "t_start": session.t_start}),
    ]
    msgs += [P.SetViewOption(target, opts) for target, opts in initial_options(options).items()]
    return msgs


def initial_options(options: dict[str, dict]) -> dict[str, dict]:
    """The view options a new window needs: all but videos still at their default (shown)."""
    return {t: o for t, o in options.items() if not (t.startswith("video:") and o.get("visible", True))}


class Bridge:
    """The GL window seen from the screen: start, send, restart, status.

    Parameters
    ----------
    context : ScorerContext
    on_event : callable
        Receives every event message from the window (any thread).
    """

    def __init__(self, context, on_event: Callable[[P.Message], None]):
        self.context = context
        self.on_event = on_event
        self.link = None
        self._seq = itertools.count(1)
        off = f"GL window: off ({getattr(context, 'window_switch', 'window=False')})"
        self._status = off if not context.window else "GL window: not started"
        self.last_draw_ms: float | None = None

    @property
    def status(self) -> str:
        if self.link is not None:
            try:
                s = self.link.status
            except Exception:  # noqa: BLE001 - a status line must never raise
                s = "GL window: ?"
            if self.last_draw_ms is not None and self.link.alive:
                s += f" ({self.last_draw_ms:.1f} ms/frame)"
            return s
        return self._status

    @property
    def alive(self) -> bool:
        return self.link is not None and bool(self.link.alive)

    def tell(self, change: Change, session: Session) -> None:
        if self.link is None or not change:
            return
        seq = next(self._seq) if (change.window or change.cursor) else 0
        for m in messages_for(change, session, seq):
            self.link.send(m)

    def send(self, msg: P.Message) -> None:
        if self.link is not None:
            self.link.send(msg)

    def initial(self, session: Session, states, options: dict[str, dict]) -> list[P.Message]:
        """LoadSession(spec) then the full state (builds the spec: may read data, run it in a thread)."""
        from loupe_tui.io.pyramid import default_cache_dir
        from loupe_tui.viewspec import build_spec

        ctx = self.context
        pyramids = ctx.cache_dir or default_cache_dir()
        colors = {n: list(c) for n, c in state_colors(states, session.labels.label_names).items()}
        from loupe_tui.spec_sources import prune_spills

        sessions = Path(pyramids).parent / "sessions"
        prune_spills(sessions)                   # arrays no session has used for two weeks
        spec = build_spec(ctx.configs, labels_states_colors=colors, videos=ctx.videos or None,
                          global_events=ctx.global_events, options=initial_options(options),
                          cache_dir=sessions, pyramid_cache=pyramids)
        return [P.LoadSession(spec), *full_state(session, states, options)]

    async def start(self, session: Session, states, options: dict[str, dict], restart: bool = False) -> str:
        """Start (or restart) the window; returns the status line. Never raises.

        The spec is built in a thread; once the window is up the full state is
        sent again, so edits made while it started are not missed.
        """
        if not self.context.window:
            return self.status
        if RenderLink is None:
            self._status = f"GL window: not available ({_LINK_MISSING})"
            return self._status
        try:
            initial = await asyncio.to_thread(self.initial, session, states, options)
        except ImportError as exc:
            self._status = f"GL window: not available ({exc})"
            return self._status
        except Exception as exc:  # noqa: BLE001 - the terminal views go on without a window
            self._status = f"GL window: cannot describe the session ({exc})"
            return self._status
        try:
            if restart and self.link is not None:
                await self.link.restart(initial)
            else:
                self.link = RenderLink(self.on_event, log_path=self.context.link_log)
                await self.link.start(initial)
        except LinkUnavailable as exc:
            self._status = f"GL window: unavailable ({exc})"
            self.link = None
            return self.status
        for msg in full_state(session, states, options):
            self.link.send(msg)
        return self.status

    async def stop(self) -> None:
        if self.link is not None:
            try:
                await self.link.stop()
            finally:
                self.link = None
