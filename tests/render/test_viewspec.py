"""The session spec: sources described by file and selection, in-memory arrays spilled once,
and the render side opening exactly what the app resolved (no display needed)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from gl_harness import STATES, sine_traces
from loupe_tui.config import TraceConfig, Zip
from loupe_tui.spec_sources import describe_array, file_origin
from loupe_tui.viewspec import build_spec, open_spec


@pytest.fixture
def stored(tmp_path):
    """A (channel, time) array saved as zarr and as netCDF (in a group)."""
    da = sine_traces(tmp_path)
    da.to_dataset().to_zarr(tmp_path / "rec.zarr", group="g", zarr_format=2)
    da.to_dataset().to_netcdf(tmp_path / "rec.nc", group="g")
    return tmp_path


@pytest.mark.parametrize("name", ["rec.zarr", "rec.nc"])
def test_lazy_selections_are_described_by_file_and_positions(stored, name):
    cfg = TraceConfig.from_path(stored / name, group="g", filter_dict={"channel": ["ramp", "sine"],
                                                                        "time": slice(10.0, 20.0)})
    desc = file_origin(cfg.data)
    assert desc is not None and desc["group"] == "g" and desc["variable"] == "sig"
    assert desc["isel"]["channel"] == [2, 0] and desc["path"].endswith(name)
    spec = build_spec([cfg], labels_states_colors=STATES, cache_dir=stored / "cache", pyramid_cache=stored / "pyr")
    assert not (stored / "cache" / "arrays").exists(), "file-backed data is never copied"
    panel = open_spec(json.loads(json.dumps(spec))).panels[0]
    src = panel.sources[0].source
    assert src.names == cfg.trace_names() == ["ramp", "sine"]
    assert src.fingerprint == cfg.source().fingerprint, "both processes share one pyramid"
    np.testing.assert_array_equal(src.read(0, 50), cfg.source().read(0, 50))


def test_in_memory_arrays_are_spilled_once(tmp_path):
    da = sine_traces(tmp_path) * 2.0  # computed: no file behind it
    cfg = TraceConfig(da, mode="dense")
    a = build_spec([cfg], labels_states_colors=STATES, cache_dir=tmp_path / "c", pyramid_cache=tmp_path / "p")
    spilled = list((tmp_path / "c" / "arrays").glob("*.zarr"))
    assert len(spilled) == 1
    mtime = spilled[0].stat().st_mtime_ns
    b = build_spec([cfg], labels_states_colors=STATES, cache_dir=tmp_path / "c", pyramid_cache=tmp_path / "p")
    assert a["panels"][0]["source"] == b["panels"][0]["source"]
    assert spilled[0].stat().st_mtime_ns == mtime
    opened = open_spec(a).panels[0]
    assert opened.kind == "dense"
    np.testing.assert_allclose(opened.sources[0].source.read(100, 200), cfg.source().read(100, 200))


def test_zip_and_states_and_irregular_time(tmp_path):
    da = sine_traces(tmp_path)
    t = np.cumsum(np.random.default_rng(0).uniform(0.005, 0.015, da.sizes["time"]))
    irregular = da.assign_coords(time=t)
    z = Zip([TraceConfig(irregular), TraceConfig(irregular * 3)], on="channel", colors=["#ff0000", "#00ff00"])
    spec = build_spec([z], labels_states_colors={"Wake": "#00ff00", "REM": [255, 0, 0, 128]},
                      cache_dir=tmp_path / "c", pyramid_cache=tmp_path / "p")
    json.dumps(spec)
    assert spec["states"] == [["Wake", [0, 255, 0, 255]], ["REM", [255, 0, 0, 128]]]
    assert [r["title"] for r in spec["panels"][0]["rows"]] == ["channel=big", "channel=ramp", "channel=sine"]
    assert "times" in spec["panels"][0]["members"][0]["source"]["time"]
    opened = open_spec(spec)
    assert len(opened.panels[0].sources) == 2 and opened.span[1] > 100


def test_describe_array_of_a_plain_numpy_array_spills(tmp_path):
    da = xr.DataArray(np.zeros((2, 10), np.float32), dims=("c", "time"), coords={"time": np.arange(10.0)})
    desc = describe_array(da, tmp_path)
    assert desc["path"].startswith(str(tmp_path)) and desc["variable"] == "data"
