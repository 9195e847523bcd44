"""A realistic demo recording, built once and cached.

24 h of synthetic mouse EEG + EMG (zarr) driven by a hidden Wake/NREM/REM
schedule, with spikes (parquet), a calcium heatmap (zarr), a behaviour video
(H.264 + frame times) and a partial label file. ``loupe-tui demo`` builds it
with :func:`ensure_demo`; see ``docs/demo.md``.
"""

from loupe_tui.demo._store import stored_bytes
from loupe_tui.demo.build import DEMO_VERSION, DemoPaths, default_demo_dir, describe, ensure_demo

__all__ = ["DEMO_VERSION", "DemoPaths", "default_demo_dir", "describe", "ensure_demo", "stored_bytes"]
