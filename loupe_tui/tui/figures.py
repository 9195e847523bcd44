"""Figure export from the app: the GL window's frame as PNG and the terminal's view as SVG.

Both land side by side in the working directory (the folder ``loupe-tui``
was started in), named after the recording and the window's start, so a
figure can be found again (``night1-1h02m40s.png`` / ``.svg``); an existing
file is never overwritten (``-2``, ``-3`` ... are added).
"""

from __future__ import annotations

import re
from pathlib import Path

from loupe_tui.core.session import Change


def figure_base(folder: Path, title: str, t0: float) -> Path:
    """``folder/<title>-<t0 as 1h02m40s>`` with a number added until neither .png nor .svg exists."""
    s = int(max(t0, 0.0))
    stamp = f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s"
    name = re.sub(r"[^\w.-]+", "_", title).strip("._") or "recording"
    base, k = folder / f"{name}-{stamp}", 1
    while with_ext(base, ".png").exists() or with_ext(base, ".svg").exists():
        k += 1
        base = folder / f"{name}-{stamp}-{k}"
    return base


def with_ext(base: Path, ext: str) -> Path:
    """``base`` + ``ext`` (not ``with_suffix``: a title ``night.edf`` would lose ``.edf-0h00m00s``)."""
    return base.with_name(base.name + ext)


def export_figure(app, bridge, title: str, t0: float, folder: Path | None = None) -> Change:
    """Write the terminal's view as SVG now, and ask the GL window (when it runs) for its frame as PNG.

    The PNG is written by the window; its ``SnapshotSaved`` answer is
    announced when it arrives.
    """
    base = figure_base(Path.cwd() if folder is None else folder, title, t0)
    svg = app.save_screenshot(filename=base.name + ".svg", path=str(base.parent))
    png = with_ext(base, ".png")
    if bridge.snapshot(str(png)):
        return Change(message=f"figure: terminal view saved to {svg}; the GL window's frame goes to {png}")
    return Change(message=f"figure: terminal view saved to {svg} (no GL window running: no PNG; F5 starts it)")
