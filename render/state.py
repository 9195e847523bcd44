"""What the window was told to show: window, cursor, selection, labels, options.

:class:`ViewState` applies command messages and remembers what changed
(:attr:`ViewState.dirty`), so the window fetches data only when the window
moved and redraws only when something changed. Pure: no GL, unit-testable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from loupe_tui import protocol as P
from loupe_tui.core.colors import RGBA
from render.labelspans import LabelSpans, LayerSpans

UNKNOWN_COLOR: RGBA = (128, 128, 128, 255)


@dataclass
class ViewState:
    """State of the view, changed only by messages.

    Attributes
    ----------
    t0, t1 : float
        The window ``[t0, t1)`` in seconds.
    cursor : float or None
    selection : (float, float) or None
    seq : int
        ``seq`` of the newest SetWindow/SetCursor applied (reported in FrameDrawn).
    labels : LabelSpans
    layers : dict name -> LayerSpans
        The read-only label layers (suggestions, other scorers), in order of first arrival.
    colors : dict state -> RGBA
    options : dict target -> dict of option values
    focus : str
        Target that keyboard Y-zoom acts on (highlighted).
    dirty : set of str
        What changed since the last frame: ``window``, ``cursor``,
        ``selection``, ``labels``, ``layers``, ``colors``, ``options``, ``focus``, ``session``,
        ``layout``, ``frame`` (draw again), ``seq`` (a new ``seq`` to report;
        alone, it needs no drawing).
    """

    t0: float = 0.0
    t1: float = 30.0
    cursor: float | None = None
    selection: tuple[float, float] | None = None
    seq: int = 0
    labels: LabelSpans = field(default_factory=LabelSpans)
    layers: dict[str, LayerSpans] = field(default_factory=dict)
    colors: dict[str, RGBA] = field(default_factory=dict)
    options: dict[str, dict] = field(default_factory=dict)
    focus: str = ""
    dirty: set[str] = field(default_factory=lambda: {"session"})
    #: The options the last SetViewOption changed (empty: it repeated what was set).
    options_changed: dict = field(default_factory=dict)

    def apply(self, msg: P.Message) -> bool:
        """Apply one command; False when the message is not a state command.

        Only what changes is marked dirty: a message that repeats the state
        already held (the full state a new window is sent twice, an option
        set to its value) draws nothing. A window or cursor message with a new
        ``seq`` and nothing new to show marks only ``seq``: the loop then
        reports the frame on screen without drawing it again.
        """
        if isinstance(msg, P.SetWindow):
            if msg.t1 > msg.t0 and math.isfinite(msg.t0) and math.isfinite(msg.t1):
                if (msg.t0, msg.t1) != (self.t0, self.t1):
                    self.t0, self.t1 = float(msg.t0), float(msg.t1)
                    self.dirty |= {"window", "frame"}
                self.note_seq(msg.seq)
        elif isinstance(msg, P.SetCursor):
            t = None if msg.t is None else float(msg.t)
            if t != self.cursor:
                self.cursor = t
                self.dirty |= {"cursor", "frame"}
            self.note_seq(msg.seq)
        elif isinstance(msg, P.SetSelection):
            sel = None if msg.t0 is None or msg.t1 is None else (float(min(msg.t0, msg.t1)), float(max(msg.t0, msg.t1)))
            if sel != self.selection:
                self.selection = sel
                self.dirty.add("selection")
        elif isinstance(msg, P.SetLabels):
            if self.labels.set(msg.starts, msg.ends, msg.labels):
                self.dirty.add("labels")
        elif isinstance(msg, P.ApplyLabelDiff):
            if self.labels.apply_diff(msg.removed, msg.added):
                self.dirty.add("labels")
        elif isinstance(msg, P.SetLabelLayer):
            self.set_layer(msg)
        elif isinstance(msg, P.SetStateColors):
            colors = {str(k): tuple(int(c) for c in v) + ((255,) if len(v) == 3 else ())
                      for k, v in msg.colors.items()}
            order = self.labels.set_states(list(colors))
            if colors != self.colors or order:
                self.colors = colors
                self.dirty.add("colors")
        elif isinstance(msg, P.SetViewOption):
            cur = self.options.setdefault(msg.target, {})
            self.options_changed = {k: v for k, v in msg.options.items() if k not in cur or cur[k] != v}
            if self.options_changed:
                cur.update(msg.options)
                self.dirty.add("options")
                if msg.target in ("label_strip", "hypnogram", "spectral_overview") and \
                        "visible" in self.options_changed:
                    self.dirty.add("layout")
                if msg.target == "video" and "position" in self.options_changed:
                    self.dirty.add("layout")
        elif isinstance(msg, P.SetFocus):
            if msg.target != self.focus:
                self.focus = msg.target
                self.dirty.add("focus")
        else:
            return False
        return True

    def set_layer(self, msg: P.SetLabelLayer) -> None:
        """Add, replace (keeping its place) or, with no spans and ``visible`` False, remove a layer."""
        shown = [n for n, layer in self.layers.items() if layer.visible]
        if not msg.starts and not msg.visible:
            if self.layers.pop(msg.name, None) is None:
                return
        else:
            self.layers[msg.name] = LayerSpans(msg.title, msg.starts, msg.ends, msg.labels, msg.confidence,
                                               msg.visible)
        self.dirty.add("layers")
        if shown != [n for n, layer in self.layers.items() if layer.visible]:
            self.dirty.add("layout")    # a strip more or less: the panels below move

    def note_seq(self, seq: int) -> None:
        """A window or cursor message of ``seq`` was applied (reported in the next FrameDrawn)."""
        if seq != self.seq:
            self.seq = seq
            self.dirty.add("seq")

    def option(self, target: str, name: str, default=None):
        return self.options.get(target, {}).get(name, default)

    def palette(self) -> np.ndarray:
        """``(n_states, 4)`` uint8: the colour of every state in :attr:`labels` order."""
        return np.array([self.colors.get(s, UNKNOWN_COLOR) for s in self.labels.states] or
                        np.zeros((0, 4)), np.uint8).reshape(-1, 4)

    def take_dirty(self) -> set[str]:
        d, self.dirty = self.dirty, set()
        return d


SPEED_RANGE = (0.25, 4.0)


@dataclass
class PlaybackClock:
    """Video playback in the window: recording time advancing at ``speed`` x wall time.

    The terminal app starts and stops it (``VideoCommand``) and keeps sending
    its own cursor while playing; a cursor close to the clock is the app
    following along and is ignored (no jitter), a far one (a click, a page
    flip) moves the clock there. When the clock leaves the window the app is
    asked to page (the window never pages itself). Pure: the caller passes
    wall times.
    """

    playing: bool = False
    speed: float = 1.0
    anchor_t: float = 0.0     # recording time at anchor_wall
    anchor_wall: float = 0.0
    SYNC_TOLERANCE_S = 0.3    # recording seconds

    def time(self, now: float) -> float:
        return self.anchor_t + (self.speed * (now - self.anchor_wall) if self.playing else 0.0)

    def play(self, t: float, now: float, speed: float | None = None) -> None:
        if speed is not None and speed > 0:
            self.speed = min(max(float(speed), SPEED_RANGE[0]), SPEED_RANGE[1])
        self.playing, self.anchor_t, self.anchor_wall = True, float(t), now

    def pause(self, now: float) -> float:
        t = self.time(now)
        self.playing, self.anchor_t, self.anchor_wall = False, t, now
        return t

    def set_speed(self, speed: float, now: float) -> None:
        self.anchor_t, self.anchor_wall = self.time(now), now
        self.speed = min(max(float(speed), SPEED_RANGE[0]), SPEED_RANGE[1])

    def advance(self, state: ViewState, now: float, end: float) -> bool:
        """Move ``state``'s cursor to the clock (stopping at ``end``); True when it left the window.

        The window is not paged here: only the terminal app moves the window,
        so the caller asks it to (``PageRequested``) and the app's
        ``SetWindow`` follows.
        """
        t = self.time(now)
        if t >= end:
            t = min(self.pause(now), end)
        if t == state.cursor:
            return False
        state.cursor = t
        state.dirty.add("cursor")
        return not state.t0 <= t < state.t1

    def sync(self, t: float, now: float) -> bool:
        """The app's cursor ``t`` arrived: move the clock there if it is far from it; True if moved."""
        if not self.playing or abs(t - self.time(now)) <= self.SYNC_TOLERANCE_S * max(self.speed, 1.0):
            return False
        self.anchor_t, self.anchor_wall = float(t), now
        return True
