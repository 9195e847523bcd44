"""Zip co-plots: one subplot per value of the shared coordinate, one colour per array.

A :class:`~render.panels.traces.StackedTraces` whose rows are the ``on``
values and whose layers are the zipped arrays: array ``i`` draws, in row
``r``, its channel whose ``on`` value is row ``r``'s (when it has one).
"""

from __future__ import annotations

import numpy as np

from render.panels.traces import Layer, StackedTraces
from render.visuals.columns import TraceColumns


class ZipTraces(StackedTraces):
    """``Zip([TraceConfig, ...], on=...)``."""

    kind = "zip"

    def _row_names(self) -> list[str]:
        return [str(r["title"]) for r in self.spec["rows"]]

    def _build_layers(self) -> list[Layer]:
        layers = []
        for ci, (member, src) in enumerate(zip(self.spec["members"], self.op.sources)):
            pairs = [(r, j) for r, row in enumerate(self.spec["rows"]) for c, j in row["members"] if c == ci]
            if not pairs:
                continue
            rows = np.array([r for r, _ in pairs], np.int64)
            chans = np.array([j for _, j in pairs], np.int64)
            colors = np.tile(np.asarray(member["color"], np.float32), (len(pairs), 1))
            layers.append(Layer(src.pyramid, chans, rows, colors, TraceColumns()))
        return layers
