"""Navigation that needs more than the Session: repeated searches, video frame steps, playback.

Pure: no Textual, no protocol. :class:`Navigator` remembers the last search
(``:jump``, ``:find``, the epoch jumper) so F3/Shift+F3 repeat it, and steps
the cursor from one video frame to the next. :class:`Playback` moves the
cursor on the wall clock while a video plays; the screen owns the timer
that calls it, the bridge tells the GL window to play or pause.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from loupe_tui.core.session import Change, Session
from loupe_tui.errors import LoupeConfigError


class Navigator:
    """Searches and frame steps over ``session``.

    Parameters
    ----------
    session : Session
    frame_times : callable
        ``video index -> frame times`` (None or empty when there is no such video).
    video_target : callable
        The index of the video frame steps move (the view model's).
    state_names : callable
        Every state name, keymap's first (to resolve ``:jump rem``).
    """

    def __init__(self, session: Session, frame_times: Callable[[int], np.ndarray | None],
                 video_target: Callable[[], int], state_names: Callable[[], list[str]]):
        self.session = session
        self.frame_times = frame_times
        self.video_target = video_target
        self.state_names = state_names
        self.last_search: tuple[str, object] | None = None

    def search(self, kind: str, what, direction: int = 1) -> Change:
        """Jump to the next match: ``kind`` "state" (a name), "note" (text) or "matches" (a JumpResult)."""
        self.last_search = (kind, what)
        if kind == "state":
            return self.session.next_with_state(what, direction)
        if kind == "matches":
            return self.session.next_matching(what.matches, direction, "match")
        return self.session.next_with_note(what, direction)

    def repeat_search(self, direction: int) -> Change:
        if self.last_search is None:
            return Change(message="nothing to repeat: :jump STATE or :find TEXT first")
        return self.search(*self.last_search, direction)

    @property
    def last_matches(self):
        """The epoch jumper's last result (its filters open the jumper again), or None."""
        s = self.last_search
        return s[1] if s is not None and s[0] == "matches" else None

    def jump_to_state(self, text: str, direction: int = 1) -> Change:
        return self.search("state", self.state(text), direction)

    def state(self, text: str, known_only: bool = True) -> str:
        """The state ``text`` names (any case, or a unique prefix); LoupeConfigError when none."""
        names = self.state_names()
        for nm in names:
            if nm.lower() == text.lower():
                return nm
        hits = [nm for nm in names if nm.lower().startswith(text.lower())]
        if len(hits) == 1:
            return hits[0]
        if known_only or not text:
            raise LoupeConfigError(f"no state {text!r} (states: {', '.join(names)})")
        return text

    def frame_step(self, n: int) -> Change:
        """Cursor to the next/previous frame of the target video (a fine step without video)."""
        s = self.session
        times = self.frame_times(self.video_target())
        if times is None or not len(times):
            return s.step_time(n * s.fine_step)
        if n > 0:
            i = int(np.searchsorted(times, s.cursor + 1e-9, side="right"))
            if i >= len(times):
                return Change(message="at the last video frame")
        else:
            i = int(np.searchsorted(times, s.cursor - 1e-9, side="left")) - 1
            if i < 0:
                return Change(message="at the first video frame")
        return s.step_time(float(times[i]) - s.cursor)


class Playback:
    """The cursor following a playing video on the wall clock.

    The GL window plays at the video's frame rate on its own clock and asks
    the app to page when the clock leaves the window; the session follows on
    wall time (the same clock, so the two agree). Wall times are passed in.
    """

    def __init__(self, session: Session):
        self.session = session
        self.playing = False
        self.speed = 1.0
        self._wall = 0.0

    def start(self, now: float, speed: float) -> None:
        self.playing, self.speed, self._wall = True, speed, now

    def advance(self, now: float) -> Change:
        """Move the cursor by the wall time since the last call, times the speed."""
        dt, self._wall = now - self._wall, now
        return self.session.step_time(self.speed * dt)

    def stop(self, now: float) -> Change:
        change = self.advance(now) if self.playing else Change()
        self.playing = False
        return change
