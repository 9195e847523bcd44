"""Where everything goes in the window, in pixels (origin top-left). Pure.

::

    +-----------------------------------------+--------------+
    | names |  label strip                    |              |
    | title |  label layers (thin strips)     |              |
    |-------+---------------------------------|  video       |
    | names |  panel 0 (traces ...)           |  (placeholder)|
    | names |  panel 1 ...                    |              |
    |       |                                 |--------------|
    |       |                                 |  spectrum    |
    |       |  time axis                      |  hypnogram   |
    +-----------------------------------------+--------------+

All plot panels share one x range (the data area), so the cursor, the
selection, label overlays and the time axis line up across them. A panel
of weight 0 is collapsed (hidden): no height and no gap. The whole-recording
spectrogram (``overview``) sits just above the hypnogram.
"""

from __future__ import annotations

from dataclasses import dataclass

GUTTER = 104        # trace names, left of the data
RIGHT_PAD = 12      # after the data area (dense scrollbar lives here)
STRIP_H = 12
LAYER_H = 8         # a label layer's strip under the label strip (suggestions, other scorers)
LAYER_GAP = 2
AXIS_H = 22
GAP = 6             # between panels
TOP = 4


@dataclass(frozen=True)
class Rect:
    """``x, y`` top-left corner, ``w, h`` size, in pixels."""

    x: float
    y: float
    w: float
    h: float

    @property
    def x1(self) -> float:
        return self.x + self.w

    @property
    def y1(self) -> float:
        return self.y + self.h

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x1 and self.y <= py < self.y1


@dataclass(frozen=True)
class Layout:
    """Result of :func:`compute_layout`.

    Attributes
    ----------
    size : (w, h)
    data : Rect
        The shared plot area: x range of every plot panel, from the top of
        the first panel to the bottom of the last.
    panels : list of Rect
        One per plot panel, full width including the name gutter.
    strip, axis, video, hypnogram, overview : Rect or None
    layers : tuple of Rect
        The label layers' strips under the label strip, top to bottom.
    """

    size: tuple[int, int]
    data: Rect
    panels: list[Rect]
    strip: Rect | None
    axis: Rect
    video: Rect | None
    hypnogram: Rect | None
    overview: Rect | None = None
    layers: tuple[Rect, ...] = ()

    def data_rect(self, i: int) -> Rect:
        """The data part of panel ``i`` (without the name gutter)."""
        p = self.panels[i]
        return Rect(self.data.x, p.y, self.data.w, p.h)


def compute_layout(width: int, height: int, weights: list[tuple[float, float]], *, strip: bool = True,
                   side: bool = True, hypnogram: bool = True, video_below: bool = False,
                   overview: bool = False, layers: int = 0) -> Layout:
    """Lay out the window.

    Parameters
    ----------
    width, height : int
        Canvas size in pixels.
    weights : list of (weight, min_height)
        Per plot panel, top to bottom: share of the remaining height and a minimum.
    strip : bool
        Reserve the label strip above the plots.
    side : bool
        Reserve the right column (video placeholder and hypnogram).
    hypnogram : bool
        Show the hypnogram at the bottom of the right column.
    video_below : bool
        Put the videos in a band under the plots (full left width) instead of
        the right column; the hypnogram then has the right column to itself.
    overview : bool
        Reserve the whole-recording spectrogram strip just above the hypnogram.
    layers : int
        Thin strips of label layers to reserve under the label strip.
    """
    side_w = int(min(max(0.25 * width, 200), 480)) if side and width >= 480 else 0
    left_w = width - side_w
    x0 = GUTTER if left_w > GUTTER + 100 else 0
    data_w = max(left_w - x0 - RIGHT_PAD, 1)
    y = TOP
    strip_rect = None
    if strip:
        strip_rect = Rect(x0, y, data_w, STRIP_H)
        y += STRIP_H + 4
    layer_rects = []
    for _ in range(layers):
        layer_rects.append(Rect(x0, y, data_w, LAYER_H))
        y += LAYER_H + LAYER_GAP
    if layers:
        y += 2
    video_band = int(min(max(0.3 * height, 160), 360)) if video_below else 0
    bottom = height - AXIS_H - video_band
    shown = [i for i, (w, _) in enumerate(weights) if w > 0]
    avail = max(bottom - y - GAP * max(len(shown) - 1, 0), 1)
    heights = dict(zip(shown, _split(avail, [weights[i] for i in shown])))
    panels = []
    for i in range(len(weights)):
        h = heights.get(i, 0)
        panels.append(Rect(0, y, left_w, h))
        y += h + GAP if h else 0
    live = [panels[i] for i in shown]
    top = live[0].y if live else TOP
    data = Rect(x0, top, data_w, max((live[-1].y1 if live else bottom) - top, 1))
    axis = Rect(x0, bottom, data_w, AXIS_H)
    video = hyp = ov = None
    if video_band:
        video = Rect(x0, bottom + AXIS_H + 4, data_w, video_band - 8)
    if side_w:
        ov_h = overview_height(height) if overview else 0
        if video_band:  # the right column is the overview's and the hypnogram's alone
            if ov_h:
                ov = Rect(left_w + 4, TOP, side_w - 10, ov_h)
            if hypnogram:
                y_hyp = TOP + (ov_h + 4 if ov_h else 0)
                hyp = Rect(left_w + 4, y_hyp, side_w - 10, height - y_hyp - 4)
        else:
            hyp_h = int(min(max(0.3 * height, 110), 280)) if hypnogram else 0
            below = (hyp_h + 4 if hyp_h else 0) + (ov_h + 4 if ov_h else 0)
            video = Rect(left_w + 4, TOP, side_w - 10, height - TOP - below - 4)
            if hyp_h:
                hyp = Rect(left_w + 4, height - hyp_h - 4, side_w - 10, hyp_h)
            if ov_h:
                ov = Rect(left_w + 4, height - below, side_w - 10, ov_h)
    return Layout((width, height), data, panels, strip_rect, axis, video, hyp, ov, tuple(layer_rects))


def overview_height(height: int) -> int:
    """Pixels of the whole-recording spectrogram strip (about 7 % of the window)."""
    return int(min(max(0.07 * height, 40), 90))


def _split(total: float, weights: list[tuple[float, float]]) -> list[int]:
    """Heights proportional to weights, each at least its minimum when there is room."""
    if not weights:
        return []
    w = [max(float(a), 1e-6) for a, _ in weights]
    mins = [float(m) for _, m in weights]
    if sum(mins) >= total:
        return [int(total * m / sum(mins)) for m in mins]
    fixed = [False] * len(w)
    while True:
        free = total - sum(m for m, f in zip(mins, fixed) if f)
        wsum = sum(x for x, f in zip(w, fixed) if not f)
        h = [mins[i] if fixed[i] else free * w[i] / wsum for i in range(len(w))]
        low = [i for i in range(len(w)) if not fixed[i] and h[i] < mins[i]]
        if not low:
            break
        for i in low:
            fixed[i] = True
    out = [int(v) for v in h]
    out[-1] += int(total) - sum(out)
    return out
