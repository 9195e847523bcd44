"""The EDF/EDF+/BDF file format itself: the header and the annotation lists (TALs).

Pure parsing of bytes (numpy only), below every layer that reads EDF files:
:mod:`loupe_tui.io.edf` reads their signals, :mod:`loupe_tui.core.labels`
their hypnograms, both through these two modules.
"""
