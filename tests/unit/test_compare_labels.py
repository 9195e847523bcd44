"""Other scorers' labels opened read-only beside the scorer's own (issue 14)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from loupe_tui.api import make_context
from loupe_tui.config import TraceConfig
from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.errors import LoupeConfigError


def da() -> xr.DataArray:
    x = np.random.default_rng(0).normal(size=(1, 250 * 120)).astype(np.float32)
    return xr.DataArray(x, dims=("channel", "time"), coords={"channel": ["EEG"], "time": np.arange(x.shape[1]) / 250})


def test_compare_files_open_read_only_and_named_by_their_file(tmp_path):
    other = tmp_path / "scorer2.csv"
    other.write_text("start_s,end_s,label,note\n0,8,NREM,\n8,12,REM,\n")
    ctx = make_context(TraceConfig(da()), window=False, state_definitions="rodent_sleep",
                       compare_labels=[other], cache_dir=tmp_path)
    (name, labels), = ctx.compare
    assert name == "scorer2.csv" and list(labels.label_names) == ["NREM", "REM"]
    assert labels is not ctx.labels and len(ctx.labels.starts) == 0
    # read-only: nothing beside it (no journal, no saved sibling)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("scorer2")] == ["scorer2.csv"]


def test_compare_labels_takes_sets_and_refuses_other_things():
    given = IntervalLabelSet()
    given.add(0.0, 4.0, "Wake")
    ctx = make_context(TraceConfig(da()), window=False, state_definitions="rodent_sleep", compare_labels=[given])
    assert ctx.compare == [("scorer 2", given)]
    with pytest.raises(LoupeConfigError, match=r"^compare_labels\[0\]: must be a labels file path"):
        make_context(TraceConfig(da()), window=False, state_definitions="rodent_sleep", compare_labels=[3])


def test_cli_compare_of_a_missing_file_is_one_line(tmp_path):
    rec = tmp_path / "rec.zarr"
    da().to_dataset(name="data").to_zarr(rec)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    out = subprocess.run([sys.executable, "-m", "loupe_tui", "open", str(rec), "--compare", str(tmp_path / "nope.csv"),
                          "--no-window", "--cache-dir", str(tmp_path / "c")], capture_output=True, text=True,
                         env=env, stdin=subprocess.DEVNULL, timeout=120)
    assert out.returncode == 2
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("loupe-tui: error:") and "nope.csv" in last and "Traceback" not in out.stderr
