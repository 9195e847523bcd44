"""Plot panels, one module per kind, and the registry that maps a spec kind to its panel.

Adding a panel kind is one module (a :class:`~render.panels.base.Panel`
subclass) and one entry in :data:`PANEL_KINDS` (napari's ``layer_to_visual``).
"""

from __future__ import annotations

from render.panels.base import Panel
from render.panels.dense import DenseTraces
from render.panels.heatmap import HeatmapPanel
from render.panels.raster import RasterPanel
from render.panels.traces import StackedTraces
from render.panels.zip import ZipTraces

PANEL_KINDS: dict[str, type[Panel]] = {
    "traces": StackedTraces,
    "dense": DenseTraces,
    "zip": ZipTraces,
    "heatmap": HeatmapPanel,
    "raster": RasterPanel,
}


def make_panel(op, index: int, state, ordinal: int = 0) -> Panel:
    """The panel for one opened spec entry.

    Raises
    ------
    KeyError
        No panel draws ``op.kind`` (the window reports it and skips the panel).
    """
    try:
        cls = PANEL_KINDS[op.kind]
    except KeyError:
        raise KeyError(f"no panel draws kind {op.kind!r} (known: {', '.join(PANEL_KINDS)})") from None
    panel = cls(op, index, state)
    panel.ordinal = ordinal
    return panel
