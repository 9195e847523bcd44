"""What the zoomed hypnogram shows: one rule for the terminal and the GL window.

Zoomed (Loupe's ``z``), the hypnogram shows a stretch around the window of
:data:`ZOOM_WINDOWS` windows or :data:`ZOOM_MIN_S` seconds, whichever is
longer, centred on the window and slid to stay inside the recording; it
never shows time past the recording (a window as long as the recording
zooms to the whole recording).
"""

from __future__ import annotations

#: The zoomed hypnogram spans this many windows ...
ZOOM_WINDOWS = 20.0
#: ... or this many seconds, whichever is longer.
ZOOM_MIN_S = 1800.0


def zoom_range(span: tuple[float, float], t0: float, t1: float) -> tuple[float, float]:
    """The time range the zoomed hypnogram shows for the window ``[t0, t1)`` of a recording ``span``."""
    a, b = float(span[0]), float(span[1])
    w = min(max((t1 - t0) * ZOOM_WINDOWS, ZOOM_MIN_S), b - a)
    lo = min(max((t0 + t1) / 2 - w / 2, a), b - w)
    return lo, lo + w
