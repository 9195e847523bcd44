"""TraceConfig: validation rules, flattening names, order, colours, markers, overlays."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from loupe_tui.config import DENSE_COLOR, SampleMarkers, TraceConfig
from loupe_tui.core.colors import PALETTE
from loupe_tui.errors import LoupeConfigError


def make_da(n=100, fs=100.0, channels=2, syn=3, name="dff", **coords):
    rng = np.random.default_rng(0)
    return xr.DataArray(rng.standard_normal((channels, syn, n)).astype("f4"), dims=("channel", "syn_id", "time"),
                        coords={"time": np.arange(n) / fs, "syn_id": np.arange(syn), **coords}, name=name)


def err(match, **kwargs):
    return pytest.raises(LoupeConfigError, match=match)


# -- data ----------------------------------------------------------------------------

@pytest.mark.parametrize("data, msg", [
    (np.zeros((2, 10)), r"^data: must be an xarray.DataArray, got ndarray$"),
    (xr.Dataset({"a": ("time", [1.0])}), r"data: must be an xarray.DataArray, got Dataset \(pick a variable"),
    (xr.DataArray(np.zeros((2, 3)), dims=("channel", "sample")), r"data: needs a 'time' dimension, has dims \('channel', 'sample'\)"),
    (xr.DataArray(np.zeros((2, 3)), dims=("channel", "time")), r"data: the 'time' dimension needs coordinates"),
    (xr.DataArray(np.zeros((0, 3)), dims=("channel", "time"), coords={"time": [0.0, 1, 2]}), r"data: is empty \(dim 'channel'"),
    (xr.DataArray(np.array(["a", "b"]), dims="time", coords={"time": [0.0, 1]}), r"data: values must be numeric"),
    (xr.DataArray(np.zeros(3), dims="time", coords={"time": [0.0, np.nan, 2]}), r"data: time has a non-finite value \(nan\) at index 1"),
    (xr.DataArray(np.zeros(3), dims="time", coords={"time": [0.0, 2, 1]}), r"data: time must be strictly increasing"),
    (xr.DataArray(np.zeros(3), dims="time", coords={"time": ["a", "b", "c"]}), r"data: time values must be numbers"),
])
def test_bad_data_is_rejected_with_the_reason(data, msg):
    with pytest.raises(LoupeConfigError, match=msg):
        TraceConfig(data)


def test_data_with_datetime_time_is_seconds_from_start():
    t = np.datetime64("2024-01-01T00:00:00") + np.arange(4) * np.timedelta64(250, "ms")
    cfg = TraceConfig(xr.DataArray(np.zeros(4), dims="time", coords={"time": t}))
    assert cfg.time_axis.t0 == 0.0 and cfg.time_axis.fs == 4.0


# -- scalar parameters ----------------------------------------------------------------

@pytest.mark.parametrize("kwargs, msg", [
    ({"mode": "grid"}, r"^mode: must be one of 'stacked', 'dense', got 'grid'$"),
    ({"gain": 0}, r"^gain: must be > 0, got 0$"),
    ({"gain": -2.5}, r"^gain: must be > 0"),
    ({"gain": float("nan")}, r"^gain: must be a finite number"),
    ({"gain": True}, r"^gain: must be a finite number"),
    ({"step": 0}, r"^step: must be >= 1, got 0$"),
    ({"step": 1.5}, r"^step: must be an integer >= 1"),
    ({"traces_per_page": 0}, r"^traces_per_page: must be >= 1"),
    ({"traces_per_page": "8"}, r"^traces_per_page: must be an integer >= 1 or None"),
    ({"descending": "yes"}, r"^descending: must be True or False"),
    ({"array_name": 3}, r"^array_name: must be False, True"),
    ({"order_by": "depth"}, r"^order_by: 'depth' is not a coordinate or dim of the array \(available: syn_id, channel\)$"),
    ({"order_by": "time"}, r"^order_by: cannot be 'time'"),
    ({"order_by": 3}, r"^order_by: must be a coordinate name"),
    ({"hue": "region"}, r"^hue: 'region' is not a coordinate"),
    ({"color": "notacolour"}, r"^color: cannot read colour"),
    ({"palette": ["red"]}, r"^palette: needs hue"),
    ({"hue": "channel", "palette": "red"}, r"^palette: must be a list of colours or a dict"),
    ({"hue": "channel", "palette": {0: "red"}}, r"^palette: no colour for hue value\(s\) 1$"),
    ({"hue": "channel", "palette": ["red", "nope"]}, r"^palette\[1\]: cannot read colour"),
])
def test_bad_parameters_name_the_parameter(kwargs, msg):
    with pytest.raises(LoupeConfigError, match=msg):
        TraceConfig(make_da(), **kwargs)


def test_array_name_true_needs_a_named_array():
    with pytest.raises(LoupeConfigError, match=r"^array_name: True needs a named DataArray"):
        TraceConfig(make_da(name=None), array_name=True)


def test_coordinate_varying_in_time_cannot_order():
    da = make_da().assign_coords(speed=("time", np.arange(100.0)))
    with pytest.raises(LoupeConfigError, match=r"^order_by: coordinate 'speed' varies along time"):
        TraceConfig(da, order_by="speed")


# -- flattening names -----------------------------------------------------------------

def test_multi_dim_arrays_flatten_into_named_traces():
    cfg = TraceConfig(make_da())
    assert cfg.trace_names() == ["ch0-syn0", "ch0-syn1", "ch0-syn2", "ch1-syn0", "ch1-syn1", "ch1-syn2"]
    assert cfg.n_traces == 6 and cfg.trace_order() == list(range(6))


def test_names_use_coordinate_values_and_array_name():
    da = make_da(syn=3).assign_coords(syn_id=[3, 4, 5], channel=["EEG", "EMG"])
    assert TraceConfig(da).trace_names()[:4] == ["EEG-syn3", "EEG-syn4", "EEG-syn5", "EMG-syn3"]
    assert TraceConfig(da, array_name=True).trace_names()[0] == "dff-EEG-syn3"
    assert TraceConfig(da, array_name="F").trace_names()[0] == "F-EEG-syn3"
    unit = xr.DataArray(np.zeros((2, 5)), dims=("unit", "time"), coords={"time": np.arange(5.0), "unit": [1.0, 2.5]})
    assert TraceConfig(unit).trace_names() == ["unit1", "unit2.5"]


def test_one_dim_array_is_one_trace_named_after_the_array():
    da = xr.DataArray(np.zeros(5), dims="time", coords={"time": np.arange(5.0)}, name="emg")
    assert TraceConfig(da).trace_names() == ["emg"]
    assert TraceConfig(da, array_name="EMG").trace_names() == ["EMG"]
    assert TraceConfig(da.rename(None)).trace_names() == ["trace"]


# -- order ------------------------------------------------------------------------------

def test_order_by_broadcast_coordinate_and_descending():
    da = make_da(y=("channel", [5.0, 1.0]))
    cfg = TraceConfig(da, order_by="y")
    assert cfg.trace_names()[:3] == ["ch1-syn0", "ch1-syn1", "ch1-syn2"]
    assert cfg.order_values().tolist() == [1, 1, 1, 5, 5, 5]
    desc = TraceConfig(da, order_by="y", descending=True)
    # Stable: ties keep their natural order.
    assert desc.trace_names()[:3] == ["ch0-syn0", "ch0-syn1", "ch0-syn2"]
    assert TraceConfig(da, descending=True).trace_order() == [5, 4, 3, 2, 1, 0]


def test_source_follows_the_resolved_order():
    da = make_da(y=("channel", [5.0, 1.0]))
    cfg = TraceConfig(da, order_by="y", descending=True, mode="dense", step=2)
    assert cfg.trace_order() == [0, 2, 4]
    src = cfg.source()
    assert src.names == cfg.trace_names() == ["ch0-syn0", "ch0-syn2", "ch1-syn1"]
    np.testing.assert_array_equal(src.read(0, 10), da.values.reshape(6, -1)[[0, 2, 4], :10])


def test_step_only_thins_dense_mode():
    assert TraceConfig(make_da(), step=2).n_traces == 6


# -- colours -----------------------------------------------------------------------------

def test_colour_precedence_color_over_hue_over_default():
    da = make_da(region=("channel", ["CA1", "CA3"]))
    assert TraceConfig(da).trace_colors() == [PALETTE[i] for i in range(6)]
    assert TraceConfig(da, mode="dense").trace_colors() == [DENSE_COLOR] * 6
    hue = TraceConfig(da, hue="region").trace_colors()
    assert hue == [PALETTE[0]] * 3 + [PALETTE[1]] * 3
    pal = TraceConfig(da, hue="region", palette={"CA1": "#ff0000", "CA3": "0x00ff00"}).trace_colors()
    assert pal[0] == (255, 0, 0, 255) and pal[5] == (0, 255, 0, 255)
    listed = TraceConfig(da, hue="region", palette=["1,2,3", [4, 5, 6, 7]]).trace_colors()
    assert listed[0] == (1, 2, 3, 255) and listed[3] == (4, 5, 6, 7)
    both = TraceConfig(da, hue="region", palette=["red", "blue"], color="#abcdef").trace_colors()
    assert both == [(0xAB, 0xCD, 0xEF, 255)] * 6


def test_colours_follow_the_display_order():
    da = make_da(region=("channel", ["CA1", "CA3"]), y=("channel", [2.0, 1.0]))
    cfg = TraceConfig(da, hue="region", order_by="y")
    assert cfg.trace_colors()[0] == PALETTE[1]  # ch1 (CA3) comes first


# -- sample markers ------------------------------------------------------------------------

def test_sample_markers_are_checked():
    da = make_da()
    cfg = TraceConfig(da, sample_markers=[SampleMarkers([1, 5, 99], trace="ch0-syn1", color="red")])
    assert cfg.sample_markers[0].samples.dtype == np.int64
    assert TraceConfig(da, sample_markers=SampleMarkers([1])).sample_markers[0].rgba == (255, 255, 255, 255)
    with pytest.raises(LoupeConfigError, match=r"^sample_markers: only supported in mode='stacked'"):
        TraceConfig(da, mode="dense", sample_markers=[SampleMarkers([1])])
    with pytest.raises(LoupeConfigError, match=r"^sample_markers\[0\]: sample index 100 is past the end \(100 samples\)"):
        TraceConfig(da, sample_markers=[SampleMarkers([100])])
    with pytest.raises(LoupeConfigError, match=r"^sample_markers\[1\]: no trace named 'ch9'"):
        TraceConfig(da, sample_markers=[SampleMarkers([1]), SampleMarkers([2], trace="ch9")])
    with pytest.raises(LoupeConfigError, match=r"^sample_markers\[0\]: trace index 6 out of range"):
        TraceConfig(da, sample_markers=[SampleMarkers([1], trace=6)])
    with pytest.raises(LoupeConfigError, match=r"^sample_markers\[0\]: must be a SampleMarkers"):
        TraceConfig(da, sample_markers=[[1, 2]])
    with pytest.raises(LoupeConfigError, match=r"^SampleMarkers.samples: must be 1-D integer"):
        SampleMarkers([0.5, 1.5])
    with pytest.raises(LoupeConfigError, match=r"^SampleMarkers.samples: indices must be >= 0"):
        SampleMarkers([-1])


# -- overlays -------------------------------------------------------------------------------

def test_overlays_share_dims_and_time_and_follow_the_order():
    da = make_da(y=("channel", [2.0, 1.0]))
    std = (da * 0 + 1).rename("std").transpose("time", "syn_id", "channel")
    cfg = TraceConfig(da, order_by="y", overlay_arrays=[std, da * 2], overlay_colors=["red", "#0000ff"])
    assert cfg.overlay_rgba()[1] == (0, 0, 255, 255)
    srcs = cfg.overlay_sources()
    assert len(srcs) == 2 and srcs[0].names == cfg.trace_names()
    np.testing.assert_array_equal(srcs[1].read(0, 5), 2 * cfg.source().read(0, 5))
    assert TraceConfig(da, overlay_arrays=da).overlay_rgba() == [PALETTE[3]]


@pytest.mark.parametrize("overlay, msg", [
    (lambda da: da.isel(syn_id=0), r"^overlay_arrays\[0\]: must share the host's non-time dims"),
    (lambda da: da.isel(time=slice(0, 50)), r"^overlay_arrays\[0\]: must share the host's time coordinate"),
    (lambda da: da.assign_coords(time=da.time + 0.5), r"^overlay_arrays\[0\]: must share the host's time coordinate"),
    (lambda da: da.assign_coords(syn_id=[7, 8, 9]), r"^overlay_arrays\[0\]: coordinate 'syn_id' differs"),
    (lambda da: da.values, r"^overlay_arrays\[0\]: must be an xarray.DataArray"),
])
def test_bad_overlays_are_named(overlay, msg):
    da = make_da()
    with pytest.raises(LoupeConfigError, match=msg):
        TraceConfig(da, overlay_arrays=[overlay(da)])


def test_overlay_colors_length_must_match():
    da = make_da()
    with pytest.raises(LoupeConfigError, match=r"^overlay_colors: 1 colours for 2 overlay_arrays$"):
        TraceConfig(da, overlay_arrays=[da, da], overlay_colors=["red"])
    with pytest.raises(LoupeConfigError, match=r"^overlay_colors\[0\]: cannot read colour"):
        TraceConfig(da, overlay_arrays=[da], overlay_colors=["nope"])


def test_irregular_time_is_kept_as_an_array():
    t = np.cumsum(np.linspace(0.01, 0.02, 100))
    cfg = TraceConfig(make_da().assign_coords(time=t))
    assert not cfg.time_axis.regular
    np.testing.assert_array_equal(cfg.source().time.times, t)
