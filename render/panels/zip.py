"""Zip co-plots: one subplot per value of the shared coordinate, one colour per array.

A :class:`~render.panels.traces.StackedTraces` whose rows are the ``on``
values and whose layers are the zipped arrays: array ``i`` draws, in row
``r``, its channel whose ``on`` value is row ``r``'s (when it has one). A row's
Y scale names a unit when its arrays share one.
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

    def _row_units(self) -> list[str]:
        """A row's unit when its arrays agree on one (they share the row's Y range), else ""."""
        members = self.spec["members"]
        out = []
        for row in self.spec["rows"]:
            units = {str(members[ci].get("units") or "") for ci, _ in row["members"]}
            out.append(units.pop() if len(units) == 1 else "")
        return out

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
