"""Reading and writing times the way scorers type them.

``parse_time("3:25:10")`` is 3 h 25 min 10 s; ``"25:10"`` is 25 min 10 s;
``"90"`` and ``"90s"`` are 90 s; ``"1h30m"``, ``"2.5h"``, ``"15m"`` and
``"1d2h"`` work too. ``format_time`` writes ``h:mm:ss`` (with fractions when
they matter).
"""

from __future__ import annotations

import math
import re

from loupe_tui.errors import LoupeConfigError

_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3}
_UNIT_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|d|h|m|s)")


def parse_time(text: str) -> float:
    """Parse a time typed by a person into seconds.

    Raises
    ------
    LoupeConfigError
        With a one-line message saying what forms are accepted.
    """
    s = str(text).strip().lower()
    if not s:
        raise LoupeConfigError("empty time: type e.g. 3:25:10, 25:10, 90, 90s, 1h30m")
    sign = -1.0 if s.startswith("-") else 1.0
    s = s.lstrip("+-").strip()
    try:
        if ":" in s:
            parts = s.split(":")
            if len(parts) > 3 or any(p.strip() == "" for p in parts):
                raise ValueError
            vals = [float(p) for p in parts]
            if any(v < 0 for v in vals) or any(v >= 60 for v in vals[1:-1]) or (len(vals) > 1 and vals[-1] >= 60):
                raise ValueError
            total = 0.0
            for v in vals:
                total = total * 60.0 + v
            return sign * total
        if re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)(e[+-]?\d+)?", s):
            value = float(s)
            if not math.isfinite(value):
                raise ValueError
            return sign * value
        compact = s.replace(" ", "")
        pos, total = 0, 0.0
        for m in _UNIT_RE.finditer(compact):
            if m.start() != pos:
                raise ValueError
            total += float(m.group(1)) * _UNITS[m.group(2)]
            pos = m.end()
        if pos != len(compact) or pos == 0:
            raise ValueError
        return sign * total
    except ValueError:
        raise LoupeConfigError(
            f"cannot read time {text!r}: type e.g. 3:25:10, 25:10, 90, 90s, 1h30m") from None


def format_time(seconds: float, *, decimals: int | None = None) -> str:
    """Seconds -> ``h:mm:ss`` (``-`` prefix when negative).

    ``decimals`` defaults to 0 for whole seconds and up to 3 otherwise.
    """
    if seconds is None or not math.isfinite(seconds):
        return "--:--:--"
    neg = seconds < 0
    s = abs(seconds)
    if decimals is None:
        frac = s - math.floor(s)
        decimals = 0 if frac < 5e-4 or frac > 1 - 5e-4 else (1 if abs(frac * 10 - round(frac * 10)) < 5e-3 else 3)
    scale = 10 ** decimals
    total = round(s * scale)
    whole, frac_units = divmod(total, scale)
    h, rem = divmod(int(whole), 3600)
    m, sec = divmod(rem, 60)
    out = f"{h}:{m:02d}:{sec:02d}"
    if decimals:
        out += f".{frac_units:0{decimals}d}"
    return ("-" if neg else "") + out


def format_duration(seconds: float) -> str:
    """A short human duration: ``4 s``, ``2 min 30 s``, ``3 h 05 min``."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    s = abs(seconds)
    if s < 60:
        return f"{s:g} s"
    if s < 3600:
        m, sec = divmod(round(s), 60)
        return f"{m} min" + (f" {sec} s" if sec else "")
    h, rem = divmod(round(s), 3600)
    return f"{h} h {rem // 60:02d} min"
