"""XarraySource, lazy time axes and from_path opening of zarr / netCDF stores."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import xarray as xr
import zarr

from loupe_tui.config import TraceConfig
from loupe_tui.errors import DataFileError, LoupeConfigError
from loupe_tui.io.source import TimeAxis, TraceSource
from loupe_tui.io.time_axis import TimeProblem, axis_from_array, same_axis, scan_time
from loupe_tui.io.xarray_open import open_variable
from loupe_tui.io.xarray_source import XarraySource, percentile_limits, time_axis_of

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def make_da(n=200, fs=100.0, channels=2, syn=3, t0=0.0, name="dff"):
    rng = np.random.default_rng(0)
    return xr.DataArray(rng.standard_normal((channels, syn, n)).astype("f4"), dims=("channel", "syn_id", "time"),
                        coords={"time": t0 + np.arange(n) / fs, "syn_id": np.arange(syn)}, name=name)


# -- time axis -----------------------------------------------------------------

def test_regular_time_is_described_without_an_array():
    ax = axis_from_array(10.0 + np.arange(100_000) / 1000.0)
    assert ax.regular and ax.fs == 1000.0 and ax.t0 == 10.0 and ax.n == 100_000


@settings(max_examples=40, deadline=None)
@given(t0=st.floats(-1e5, 1e5), fs=st.floats(0.5, 3e4), n=st.integers(2, 3000), chunk=st.integers(1, 700))
def test_any_evenly_spaced_clock_is_regular(t0, fs, n, chunk):
    t = t0 + np.arange(n) / fs
    ax = scan_time(lambda a, b: t[a:b], n, chunk)
    assert ax.regular and ax.n == n and ax.t0 == t0
    assert ax.fs == pytest.approx(fs, rel=1e-6)
    np.testing.assert_allclose(ax.time_of(np.arange(n)), t, rtol=0, atol=1e-3 / fs + 1e-9 * abs(t0))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 500), k=st.data())
def test_a_gap_of_one_sample_makes_time_irregular(n, k):
    i = k.draw(st.integers(1, n - 1))
    t = np.arange(n, dtype=float)
    t[i:] += 1.0
    ax = scan_time(lambda a, b: t[a:b], n, 64)
    assert not ax.regular
    np.testing.assert_array_equal(ax.times, t)


def test_regular_check_runs_across_small_chunks():
    t = np.arange(1000) / 250.0
    ax = scan_time(lambda a, b: t[a:b], len(t), chunk=7)
    assert ax.regular and ax.fs == 250.0


def test_irregular_time_keeps_the_values():
    t = np.cumsum(np.random.default_rng(1).uniform(0.5, 1.5, 500))
    ax = axis_from_array(t)
    assert not ax.regular
    np.testing.assert_array_equal(ax.times, t)


def test_jitter_far_below_a_sample_is_still_regular():
    t = np.arange(5000) / 1000.0 + np.random.default_rng(2).uniform(-1e-8, 1e-8, 5000)
    assert axis_from_array(t).regular


@pytest.mark.parametrize("bad, msg", [
    (np.array([0.0, 1.0, np.nan, 3.0]), "non-finite value (nan) at index 2"),
    (np.array([0.0, 1.0, 1.0, 3.0]), "strictly increasing: t[1]=1.0 >= t[2]=1.0"),
    (np.array([0.0, 2.0, 1.0]), "strictly increasing"),
])
def test_bad_time_values_name_the_index(bad, msg):
    with pytest.raises(TimeProblem, match=msg.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        scan_time(lambda a, b: bad[a:b], len(bad), chunk=2)


def test_decrease_across_a_chunk_boundary_is_caught():
    t = np.array([0.0, 1.0, 2.0, 1.5, 3.0])
    with pytest.raises(TimeProblem, match=r"t\[2\]=2.0 >= t\[3\]=1.5"):
        scan_time(lambda a, b: t[a:b], len(t), chunk=3)


def test_same_axis_compares_regular_and_irregular():
    a = axis_from_array(np.arange(100) / 10.0)
    b = TimeAxis(n=100, t0=0.0, times=np.arange(100) / 10.0)
    assert same_axis(a, b) and same_axis(a, a)
    assert not same_axis(a, axis_from_array(np.arange(100) / 20.0))
    assert not same_axis(a, axis_from_array(np.arange(99) / 10.0))


def test_timedelta_time_becomes_seconds():
    da = xr.DataArray(np.zeros(4), dims="time", coords={"time": np.arange(4) * np.timedelta64(500, "ms")})
    ax = time_axis_of(da)
    assert ax.regular and ax.fs == 2.0


# -- XarraySource ------------------------------------------------------------------

def test_source_reads_blocks_in_the_given_order():
    da = make_da()
    flat = da.values.reshape(6, -1)
    order = [5, 0, 3]
    src = XarraySource(da, time_axis_of(da), order=order)
    assert isinstance(src, TraceSource)
    assert src.names == ["ch1-syn2", "ch0-syn0", "ch1-syn0"]
    out = src.read(10, 30)
    assert out.dtype == np.float32 and out.shape == (3, 20)
    np.testing.assert_array_equal(out, flat[order, 10:30])
    np.testing.assert_array_equal(src.read(0, 5, [2, 0]), flat[[3, 5], 0:5])
    np.testing.assert_array_equal(src.read(0, 5, slice(1, 2)), flat[[0], 0:5])
    assert src.read(190, 500).shape == (3, 10)


def test_source_handles_time_not_last_and_one_dim_arrays():
    da = make_da().transpose("time", "syn_id", "channel")
    src = XarraySource(da, time_axis_of(da), dims=("channel", "syn_id"))
    np.testing.assert_array_equal(src.read(0, 7), make_da().values.reshape(6, -1)[:, :7])
    one = xr.DataArray(np.arange(10.0), dims="time", coords={"time": np.arange(10.0)}, name="emg")
    s1 = XarraySource(one, time_axis_of(one))
    assert s1.names == ["emg"] and s1.read(2, 4).tolist() == [[2.0, 3.0]]


def test_fingerprint_changes_with_data_and_selection():
    da = make_da()
    ax = time_axis_of(da)
    f1 = XarraySource(da, ax).fingerprint
    assert f1 == XarraySource(da.copy(), ax).fingerprint
    assert f1 != XarraySource(da + 1, ax).fingerprint
    assert f1 != XarraySource(da, ax, order=[1, 0, 2, 3, 4, 5]).fingerprint


def test_percentile_limits_use_a_bounded_sample():
    da = make_da(n=20_000)
    src = XarraySource(da, time_axis_of(da))
    read = []

    class Counting:
        n_samples, n_channels = src.n_samples, src.n_channels

        def read(self, i0, i1):
            read.append(i1 - i0)
            return src.read(i0, i1)

    lo, hi = percentile_limits(Counting(), budget=6 * 2000)
    assert -3 < lo < -1.5 and 1.5 < hi < 3
    assert sum(read) * 6 <= 6 * 2000 and len(read) == 16


# -- from_path: zarr / netCDF --------------------------------------------------------

@pytest.fixture
def zarr_store(tmp_path):
    path = tmp_path / "rec.zarr"
    ds = xr.Dataset({"data": make_da(), "other": ("time", np.zeros(200))})
    ds.to_zarr(path, group="dmd_2", mode="w")
    make_da(name="data").to_dataset().to_zarr(path, group="dmd_1/sub", mode="a")
    return path


def test_from_path_zarr_selects_lazily(zarr_store):
    cfg = TraceConfig.from_path(zarr_store, group="dmd_2", variable="data",
                                filter_dict={"syn_id": slice(1, 2), "time": slice(0.5, 1.0)})
    assert cfg.trace_names() == ["ch0-syn1", "ch0-syn2", "ch1-syn1", "ch1-syn2"]
    ax = cfg.time_axis
    assert ax.regular and ax.n == 51 and ax.t0 == pytest.approx(0.5) and ax.fs == 100.0
    expected = make_da().sel(syn_id=[1, 2]).isel(time=slice(50, 101)).values.reshape(4, -1)
    np.testing.assert_array_equal(cfg.source().read(0, 51), expected)


def test_from_path_netcdf(tmp_path):
    path = tmp_path / "rec.nc"
    make_da().to_dataset().to_netcdf(path, engine="netcdf4")
    cfg = TraceConfig.from_path(path, filter_dict={"channel": 1})
    assert cfg.trace_names() == ["syn0", "syn1", "syn2"]
    np.testing.assert_array_equal(cfg.source().read(0, 4), make_da().values[1, :, :4])


def test_from_path_opens_without_loading_the_time_index(zarr_store):
    da = open_variable(zarr_store, group="dmd_2", variable="data")
    assert len(da.xindexes) == 0


@pytest.mark.parametrize("kwargs, msg", [
    ({"group": "nope"}, r"no group 'nope' \(groups: dmd_1, dmd_1/sub, dmd_2\)"),
    ({"group": "dmd_2", "variable": "nope"}, r"no variable 'nope' \(variables: data, other\)"),
    ({"group": "dmd_2"}, r"several variables have a 'time' dimension, pass variable= one of: data, other"),
    ({}, r"has no variables at its root; its groups are: dmd_1, dmd_1/sub, dmd_2; pass group="),
    ({"group": "dmd_1"}, r"group 'dmd_1': has no variables; its groups are: dmd_1/sub; pass group="),
])
def test_from_path_names_missing_group_or_variable(zarr_store, kwargs, msg):
    with pytest.raises(DataFileError, match=msg) as e:
        TraceConfig.from_path(zarr_store, **kwargs)
    assert str(zarr_store) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("fd, msg", [
    ({"syn_id": [7]}, r"filter_dict\['syn_id'\]: no label 7"),
    ({"nope": 1}, r"filter_dict\['nope'\]: not a dim or 1-D coordinate of 'data' "
                  r"\(available: channel, syn_id, time\)$"),  # each name once
    ({"time": 3.0}, r"filter_dict\['time'\]: use slice"),
    ({"time": slice(50, 60)}, r"filter_dict\['time'\]: selects no samples"),
])
def test_from_path_bad_filter_names_the_key(zarr_store, fd, msg):
    with pytest.raises(LoupeConfigError, match=msg):
        TraceConfig.from_path(zarr_store, group="dmd_2", variable="data", filter_dict=fd)


def test_from_path_missing_and_unknown_files(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        TraceConfig.from_path(tmp_path / "missing.zarr")
    (tmp_path / "x.nc").write_bytes(b"hello world")
    with pytest.raises(DataFileError, match=r"x.nc: not a netCDF file"):
        TraceConfig.from_path(tmp_path / "x.nc")
    (tmp_path / "x.bin").write_bytes(b"hello world")
    with pytest.raises(DataFileError, match=r"x.bin: not a zarr store or netCDF file"):
        TraceConfig.from_path(tmp_path / "x.bin")
    (tmp_path / "d").mkdir()
    with pytest.raises(DataFileError, match="not a zarr store"):
        TraceConfig.from_path(tmp_path / "d")


def test_netcdf_with_only_groups_lists_them(tmp_path):
    path = tmp_path / "two.nc"
    make_da(name="eeg").to_dataset().to_netcdf(path, group="eeg", engine="netcdf4")
    make_da(name="dff").to_dataset().to_netcdf(path, group="calcium", mode="a", engine="netcdf4")
    with pytest.raises(DataFileError, match=r"two.nc: has no variables at its root; its groups are: "
                                            r"(eeg, calcium|calcium, eeg); pass group=") as e:
        TraceConfig.from_path(path)
    assert "\n" not in str(e.value)
    assert TraceConfig.from_path(path, group="calcium").trace_names()[0] == "ch0-syn0"


def test_scripts_catching_loupe_config_error_catch_bad_files(tmp_path):
    # Loupe scripts wrap from_path in `except LoupeConfigError`: a file whose time
    # is not monotonic, or that has no time dim, must be caught by it.
    path = tmp_path / "back.zarr"
    da = make_da()
    da.assign_coords(time=da.time.values[::-1]).to_dataset().to_zarr(path)
    caught = []
    for p in (path, tmp_path / "missing.zarr"):
        try:
            TraceConfig.from_path(p)
        except LoupeConfigError as exc:
            caught.append(exc)
    assert len(caught) == 2 and all(isinstance(e, DataFileError) for e in caught)


def test_truncated_netcdf_is_a_data_file_error(tmp_path):
    path = tmp_path / "cut.nc"
    make_da(n=5000).to_dataset().to_netcdf(path, engine="netcdf4")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(DataFileError, match=r"cut.nc: "):
        TraceConfig.from_path(path).source().read(0, 5000)


def test_corrupt_zarr_metadata_is_a_data_file_error(tmp_path):
    path = tmp_path / "bad.zarr"
    make_da().to_dataset().to_zarr(path)
    meta = (path / "zarr.json").read_text()
    (path / "zarr.json").write_text(meta[: len(meta) // 2])
    with pytest.raises(DataFileError, match=r"bad.zarr: cannot open as zarr: "):
        TraceConfig.from_path(path)


def test_time_with_nan_in_a_file_names_the_file(tmp_path):
    path = tmp_path / "nan.zarr"
    da = make_da()
    da = da.assign_coords(time=np.where(np.arange(200) == 17, np.nan, da.time.values))
    da.to_dataset().to_zarr(path, mode="w")
    with pytest.raises(DataFileError, match=r"nan.zarr: variable 'dff': time has a non-finite value \(nan\) at index 17"):
        TraceConfig.from_path(path)


def test_empty_variable_is_a_data_file_error(tmp_path):
    path = tmp_path / "empty.zarr"
    xr.Dataset({"v": (("channel", "time"), np.zeros((0, 4)))}, coords={"time": np.arange(4.0)}).to_zarr(path)
    with pytest.raises(DataFileError, match=r"variable 'v' is empty \(dim 'channel' has size 0\)"):
        TraceConfig.from_path(path)


# -- the pyramid cache follows in-place changes of the store ---------------------------

def _eeg_store(path, n=120_000, chunk=10_000):
    da = xr.DataArray(np.zeros((2, n), "f4"), dims=("channel", "time"), name="data",
                      coords={"time": np.arange(n) / 1000.0})
    da.to_dataset().to_zarr(path, group="eeg", mode="w", zarr_format=3,
                            encoding={"data": {"chunks": (2, chunk)}, "time": {"chunks": (chunk,)}})
    return path


def test_pyramid_is_rebuilt_after_a_middle_chunk_is_overwritten(tmp_path):
    from loupe_tui.io.pyramid import Pyramid

    store, cache = _eeg_store(tmp_path / "rec.zarr"), tmp_path / "cache"
    src = TraceConfig.from_path(store, group="eeg").source()
    pyr = Pyramid.open_or_build(src, cache)
    assert np.nanmax(pyr.window(0, 120, 100).hi) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.open_group(store, mode="r+")["eeg/data"][0, 60_000:60_100] = 99999
    again = TraceConfig.from_path(store, group="eeg").source()
    assert again.fingerprint != src.fingerprint
    assert Pyramid.open(again, cache) is None  # the old pyramid is not served
    rebuilt = Pyramid.open_or_build(again, cache)
    assert np.nanmax(rebuilt.window(0, 120, 100).hi) == 99999


def test_fingerprint_ignores_other_groups_of_the_store(tmp_path):
    store = _eeg_store(tmp_path / "rec.zarr")
    fp = TraceConfig.from_path(store, group="eeg").source().fingerprint
    make_da(name="dff").to_dataset().to_zarr(store, group="calcium", mode="a")
    assert TraceConfig.from_path(store, group="eeg").source().fingerprint == fp


# -- the lazy-loading proof: 24 h x 64 channels at 1 kHz -------------------------------

N_DAY = 86_400_000
DATA_CHUNK = 1 << 16


@pytest.fixture(scope="module")
def day_store(tmp_path_factory):
    """A 22 GB (virtual) store: real time coordinate, data chunks never written
    except the first, and two poisoned chunks that fail if anything reads them."""
    from zarr.codecs import ZstdCodec
    from zarr.codecs.numcodecs import Delta

    path = tmp_path_factory.mktemp("day") / "day.zarr"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = zarr.open_group(path, mode="w")
        # Delta + zstd makes an 86.4 M-entry arange a few MB on disk.
        tz = g.create_array("time", shape=(N_DAY,), chunks=(1 << 21,), dtype="f8", dimension_names=["time"],
                            filters=[Delta(dtype="f8")], compressors=[ZstdCodec(level=1)])
        for i0 in range(0, N_DAY, 1 << 21):
            i1 = min(N_DAY, i0 + (1 << 21))
            tz[i0:i1] = np.arange(i0, i1) / 1000.0
        d = g.create_array("data", shape=(64, N_DAY), chunks=(64, DATA_CHUNK), dtype="f4", fill_value=0.0,
                           dimension_names=["channel", "time"])
        d[:, :DATA_CHUNK] = np.arange(64, dtype="f4")[:, None] + np.zeros(DATA_CHUNK, "f4")
    n_chunks = -(-N_DAY // DATA_CHUNK)
    for k in (n_chunks // 2, n_chunks - 1):
        (path / "data" / "c" / "0" / str(k)).write_bytes(b"poisoned: not a zstd frame")
    return path


@pytest.fixture(scope="module")
def day_config(day_store):
    """from_path + source + one block read, with the peak of traced memory."""
    tracemalloc.start()
    try:
        cfg = TraceConfig.from_path(day_store, variable="data", mode="dense", order_by="channel", descending=True)
        block = cfg.source().read(1000, 3000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return cfg, block, peak


def test_day_long_store_is_never_loaded(day_config):
    cfg, block, peak = day_config
    ax = cfg.time_axis
    assert ax.regular and ax.times is None and ax.n == N_DAY and ax.fs == 1000.0 and ax.t0 == 0.0
    assert ax.t_end == pytest.approx(86_400.0)
    assert block.shape == (64, 2000) and block[0, 0] == 63 and block[63, 0] == 0
    assert cfg.source().preferred_block == DATA_CHUNK
    # The variable is 22 GB and its time coordinate 691 MB.
    assert peak < 150e6, f"peak traced memory {peak / 1e6:.0f} MB"


def test_day_long_store_reads_only_the_chunks_asked_for(day_config):
    src = day_config[0].source()
    mid = (-(-N_DAY // DATA_CHUNK) // 2) * DATA_CHUNK
    assert src.read(mid - 10, mid).shape == (64, 10)  # next to the poison: fine
    with pytest.raises(DataFileError, match=r"day.zarr: cannot read samples"):
        src.read(mid, mid + 10)
