"""Clock time or elapsed time: how times are shown and read back.

A recording with a start date and time (an EDF header's) can be shown on
the clock (``23:14:30``) as well as in time since its start (``1:02:30``).
:class:`TimeDisplay` holds the choice and does both directions:

* ``format(t)``: elapsed, ``h:mm:ss``; on the clock, ``HH:MM:SS`` of the
  start plus ``t``, and from the second time a clock time comes round (a
  recording longer than a day) a day prefix, ``d2 02:30:00``;
* ``parse(text)``: elapsed, any form :func:`~loupe_tui.core.timefmt.parse_time`
  reads; on the clock, ``02:30`` (or ``2:30:15``, ``0230``) is the first
  02:30 on the clock at or after the start (after midnight on an overnight
  recording) and ``d2 02:30`` the second; a time with units (``90 s``,
  ``1h30m``) is elapsed in either mode.

Pure and small: the terminal's status line, label table, go-to prompt and
axes, and the GL window's time axis (:mod:`render.panels.time_axis`) all
format through it. Dates are kept as they are (anonymised headers say
01.01.85): only the time of day and the day count are shown.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from loupe_tui.core.timefmt import format_time, parse_time
from loupe_tui.errors import LoupeConfigError

DAY = 86_400.0
MODES = ("elapsed", "clock")
_CLOCK = re.compile(r"^(?:d(?P<day>\d+)\s+)?(?P<h>\d{1,2})(?::?(?P<m>\d{2}))(?::(?P<s>\d{2}(?:\.\d*)?))?$")


def seconds_of_day(when: dt.datetime) -> float:
    return when.hour * 3600.0 + when.minute * 60.0 + when.second + when.microsecond / 1e6


def format_clock(t: float, start_s: float, decimals: int | None = 0) -> str:
    """``t`` seconds after a start ``start_s`` seconds into its day, on the clock: ``HH:MM:SS``,
    ``dN HH:MM:SS`` from the second time that clock time comes round."""
    if t is None or not math.isfinite(t):
        return "--:--:--"
    wall = start_s + t
    day = math.floor((wall + 1e-9) / DAY)
    of_day = wall - day * DAY
    # the n-th time this clock time comes round since the start: a day later than its first time
    first = (of_day - start_s) % DAY
    n = int(math.floor((t - first) / DAY + 1e-9)) + 1
    text = format_time(of_day, decimals=decimals)
    h, rest = text.split(":", 1)
    text = f"{int(h):02d}:{rest}"
    return f"d{n} {text}" if n > 1 else text


@dataclass
class TimeDisplay:
    """How times are shown: ``mode`` ``"elapsed"`` or ``"clock"`` (only with a known ``start``)."""

    start: dt.datetime | None = None
    mode: str = "elapsed"

    def __post_init__(self):
        if self.mode not in MODES:
            raise LoupeConfigError(f"time display: {self.mode!r} is not one of {', '.join(MODES)}")
        if self.mode == "clock" and self.start is None:
            self.mode = "elapsed"

    @property
    def can_clock(self) -> bool:
        return self.start is not None

    @property
    def clock(self) -> bool:
        return self.mode == "clock"

    @property
    def start_s(self) -> float:
        """The start's seconds into its day (0 without a start)."""
        return seconds_of_day(self.start) if self.start is not None else 0.0

    def set(self, mode: str) -> str:
        """Switch to ``mode``; returns a status line. Clock time needs a start."""
        if mode not in MODES:
            raise LoupeConfigError(f"time: {mode!r} is not one of {', '.join(MODES)}")
        if mode == "clock" and self.start is None:
            raise LoupeConfigError("clock time is unknown: the recording has no start date and time "
                                   "(times stay elapsed)")
        self.mode = mode
        return self.describe()

    def toggle(self) -> str:
        return self.set("elapsed" if self.clock else "clock")

    def describe(self) -> str:
        if self.clock:
            return f"times on the clock (recording started {self.start:%d.%m.%Y %H:%M:%S})"
        return "times since the recording's start"

    def format(self, t: float, decimals: int | None = None) -> str:
        if self.clock:
            return format_clock(t, self.start_s, 0 if decimals is None else decimals)
        return format_time(t, decimals=decimals)

    def parse(self, text: str) -> float:
        """Seconds since the start; see the module for the forms."""
        s = str(text).strip().lower()
        if self.clock:
            m = _CLOCK.match(s)
            if m and ":" not in s and len(m.group("h") or "") + len(m.group("m") or "") != 4:
                m = None   # plain "90" stays elapsed seconds; "0230" is a clock time
            if m:
                h, mi = int(m.group("h")), int(m.group("m"))
                sec = float(m.group("s") or 0.0)
                if h > 23 or mi > 59 or sec >= 60:
                    raise LoupeConfigError(f"cannot read clock time {text!r}: hours 0-23, minutes and seconds "
                                           "0-59 (e.g. 02:30, 23:14:30, d2 02:30)")
                day = int(m.group("day") or 1)
                if day < 1:
                    raise LoupeConfigError(f"{text!r}: days count from d1 (the first time that clock time "
                                           "comes round)")
                want = h * 3600.0 + mi * 60.0 + sec
                return (want - self.start_s) % DAY + (day - 1) * DAY
        return parse_time(text)

    def prompt_hint(self) -> str:
        if self.clock:
            return "on the clock: 02:30, 23:14:30, d2 02:30 (next day's); 90s, 1h30m are elapsed; Esc cancels"
        return "3:25:10, 25:10, 12345 (s), 1h30m; Esc cancels"
