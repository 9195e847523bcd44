"""A folder of npy pairs is coloured like the same series as channels of a zarr store: one rule for every source."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from loupe_tui.config import TraceConfig
from loupe_tui.core.colors import PALETTE
from loupe_tui.io.npy_pairs import load_npy_pairs

NAMES = ["eeg1", "eeg2", "emg", "lfp", "resp"]


def write_both(tmp_path, n: int):
    """The same ``n`` series as npy pairs in a folder and as the channels of one zarr variable."""
    t = np.arange(200) / 100.0
    y = np.stack([np.sin((k + 1) * t) for k in range(n)]).astype(np.float32)
    folder = tmp_path / "pairs"
    folder.mkdir()
    for name, row in zip(NAMES[:n], y):
        np.save(folder / f"{name}_t.npy", t)
        np.save(folder / f"{name}_y.npy", row)
    store = tmp_path / "rec.zarr"
    xr.DataArray(y, dims=("channel", "time"), name="data",
                 coords={"channel": NAMES[:n], "time": t}).to_dataset().to_zarr(store)
    return folder, store


@pytest.mark.parametrize("n", [2, 5])
def test_npy_folder_gets_the_zarr_colours(tmp_path, n):
    folder, store = write_both(tmp_path, n)
    zarr_colors = TraceConfig.from_path(store).trace_colors()
    series = load_npy_pairs(folder)
    assert [s.name for s in series] == TraceConfig.from_path(store).trace_names()
    assert [s.color for s in series] == zarr_colors
    assert len(set(zarr_colors)) == n, "N series, N colours"
    # As `loupe-tui open FOLDER` builds them: one TraceConfig a series, with its colour.
    t = np.load(folder / f"{NAMES[0]}_t.npy")
    configs = [TraceConfig(xr.DataArray(np.load(folder / f"{s.name}_y.npy"), dims=["time"], coords={"time": t},
                                        name=s.name), color=s.color) for s in series]
    assert [c.trace_colors()[0] for c in configs] == zarr_colors


def test_a_given_colour_wins_and_the_others_keep_their_place(tmp_path):
    folder, store = write_both(tmp_path, 3)
    (folder / "colors.txt").write_text("emg #ff0000\n")
    got = [s.color for s in load_npy_pairs(folder)]
    assert got == [PALETTE[0], PALETTE[1], (255, 0, 0, 255)]
    got = [s.color for s in load_npy_pairs(folder, colors={"eeg1": "0,0,255"})]
    assert got == [(0, 0, 255, 255), PALETTE[1], (255, 0, 0, 255)]
