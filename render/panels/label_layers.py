"""Label layers: thin strips under the label strip, one per layer (``SetLabelLayer``).

The scoring suggestions (``"suggestions"``) and other scorers' labels (``"compare:0"`` ...),
stacked in the order they first arrived, each titled in the gutter (``suggested``, the other
file's name). A strip's columns are coloured like the label strip (the state covering most of
the column, in the session's state colours); the suggestions' are shaded by confidence:

* opacity ``0.35 + 0.65 * confidence`` over the dark background, so a span suggested at 1.0 is
  the state's own colour and one at 0.3 a clearly dimmer one of the same hue;
* below :data:`HATCH_BELOW` (0.5) a diagonal hatch as well (every fourth pixel along the
  diagonals left dark), so an unsure span is told apart even where a state's colour is dim.

The spans are sorted and summed once per ``SetLabelLayer`` (:class:`render.labelspans.LayerSpans`);
a new window costs two binary searches per column border and one small texture per strip.
"""

from __future__ import annotations

import numpy as np

from render.labelspans import UNSCORED, LayerSpans
from render.layout import Rect
from render.panels.base import GUTTER_TEXT_X, Frame, fit_gutter
from render.state import UNKNOWN_COLOR
from render.visuals.image import ImageQuad

#: Confidence below this is hatched too.
HATCH_BELOW = 0.5
#: Opacity of a span at confidence 0 (1 at confidence 1).
MIN_OPACITY = 0.35
TITLE_PT = 7.0


def layer_image(layer: LayerSpans, colors: dict, t0: float, t1: float, n_px: int, h_px: int) -> np.ndarray:
    """``(h_px, n_px, 4)`` uint8: the strip of ``layer`` over ``[t0, t1)`` (see the module docstring)."""
    cols, conf = layer.columns(t0, t1, n_px)
    palette = np.array([colors.get(s, UNKNOWN_COLOR)[:3] for s in layer.states] or np.zeros((0, 3)),
                       np.uint8).reshape(-1, 3)
    row = np.zeros((n_px, 4), np.uint8)
    ok = cols != UNSCORED
    if ok.any():
        row[ok, :3] = palette[cols[ok]]
        row[ok, 3] = np.round(255 * (MIN_OPACITY + (1 - MIN_OPACITY) * np.clip(conf[ok], 0, 1)))
    img = np.repeat(row[None], max(h_px, 1), axis=0)
    unsure = ok & (conf < HATCH_BELOW)
    if unsure.any():
        y, x = np.mgrid[0:img.shape[0], 0:n_px]
        img[((x + y) % 4 == 0) & unsure[None, :], 3] = 0
    return img


class LayerStrips:
    """The label layers' strips and their titles."""

    def __init__(self):
        self._quads: dict[str, ImageQuad] = {}
        self._keys: dict[str, tuple] = {}
        self._rects: dict[str, Rect] = {}

    def update(self, frame: Frame, rects: tuple[Rect, ...], n_px: int) -> None:
        """New textures for the strips whose layer, colours or window changed."""
        st = frame.state
        shown = [(name, layer) for name, layer in st.layers.items() if layer.visible]
        self._rects = {name: r for (name, _), r in zip(shown, rects)}
        for name in [n for n in self._quads if n not in st.layers]:     # removed layers
            del self._quads[name], self._keys[name]
        colors = tuple(st.colors.items())
        for name, layer in shown:
            r = self._rects.get(name)
            if r is None:
                continue
            h = max(int(round(r.h)), 1)
            key = (layer.version, frame.t0, frame.t1, n_px, h, colors)
            if self._keys.get(name) == key:
                continue
            self._keys[name] = key
            quad = self._quads.setdefault(name, ImageQuad())
            quad.set_image(layer_image(layer, st.colors, frame.t0, frame.t1, n_px, h))

    def draw(self, frame: Frame) -> None:
        for name, r in self._rects.items():
            frame.viewport(r)
            self._quads[name].draw(alpha=1.0)

    def texts(self, frame: Frame) -> list[tuple[str, float, float]]:
        """Titles in the gutter, left of each strip."""
        out = []
        for name, r in self._rects.items():
            room = r.x - GUTTER_TEXT_X - 4.0
            out.append((fit_gutter(frame.state.layers[name].title, room, font_size=TITLE_PT), GUTTER_TEXT_X,
                        r.y + r.h / 2))
        return out
