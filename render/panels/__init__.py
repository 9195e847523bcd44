"""Plot panels, one module per kind, and the registry that maps a spec kind to its panel.

Adding a panel kind is one module (a :class:`~render.panels.base.Panel`
subclass) and one entry in :data:`PANEL_KINDS` (napari's ``layer_to_visual``).
The spectral views (``spec["spectral"]``) become panels of their own kinds
below the spec's panels (:func:`spectral_ops`).
"""

from __future__ import annotations

from loupe_tui.viewspec import OpenPanel, OpenSpectral
from render.panels.base import Panel
from render.panels.dense import DenseTraces
from render.panels.epoch_traces import BAND_COLORS, BandPowerPanel, EmgLevelPanel
from render.panels.heatmap import HeatmapPanel
from render.panels.raster import RasterPanel
from render.panels.spectrogram import SpectrogramPanel
from render.panels.traces import StackedTraces
from render.panels.zip import ZipTraces

PANEL_KINDS: dict[str, type[Panel]] = {
    "traces": StackedTraces,
    "dense": DenseTraces,
    "zip": ZipTraces,
    "heatmap": HeatmapPanel,
    "raster": RasterPanel,
    "spectrogram": SpectrogramPanel,
    "band_power": BandPowerPanel,
    "emg_level": EmgLevelPanel,
}


def spectral_ops(spectral: list[OpenSpectral]) -> list[OpenPanel]:
    """The panels of the spectral entries, top to bottom: for each entry its spectrogram, its band
    powers (when it has delta, theta or their ratio) and its EMG level, those it has."""
    ops = []
    for sv in spectral:
        sg = sv.spectrogram
        if sg is not None:
            ops.append(OpenPanel("spectrogram", sv.spec, spectral=sv))
            if any(name in sg.bands for name in BAND_COLORS):
                ops.append(OpenPanel("band_power", sv.spec, spectral=sv))
        if sv.emg is not None:
            ops.append(OpenPanel("emg_level", sv.spec, spectral=sv))
    return ops


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
