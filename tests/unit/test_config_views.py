"""HeatmapConfig, RasterConfig, Zip, VideoConfig, GlobalEventsConfig and validate_view_configs."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
import xarray as xr

from loupe_tui.config import (
    GlobalEventsConfig, HeatmapConfig, RasterConfig, SampleMarkers, TraceConfig, VideoConfig, Zip,
    validate_videos, validate_view_configs,
)
from loupe_tui.io.events import EVENT_LIGHT_GRAY, LINE_STYLES, cycle_style
from loupe_tui.core.colors import PALETTE
from loupe_tui.errors import DataFileError, LoupeConfigError


def make_da(n=400, channels=2, syn=4, name="dff", **coords):
    rng = np.random.default_rng(0)
    return xr.DataArray(rng.standard_normal((channels, syn, n)).astype("f4"), dims=("channel", "syn_id", "time"),
                        coords={"time": np.arange(n) / 100.0, "syn_id": np.arange(syn), **coords}, name=name)


def dnv():
    """(syn_id, time) with per-synapse dendrite id and position, like Loupe's example."""
    da = make_da(channels=1).isel(channel=0, drop=True)
    return da.assign_coords({"dend-ID": ("syn_id", [1, 2, 1, 2]), "pos": ("syn_id", [3.0, 1.0, 2.0, 0.0])})


# -- HeatmapConfig ---------------------------------------------------------------------------

def test_heatmap_split_by_coordinate_orders_rows_and_sets_limits():
    h = HeatmapConfig(dnv(), split_by="dend-ID", order_by="pos", cmap=["magma", "viridis"])
    panels = h.panels()
    assert [p.title for p in panels] == ["dend-ID=1", "dend-ID=2"]
    assert panels[0].source.names == ["syn2", "syn0"] and panels[1].source.names == ["syn3", "syn1"]
    assert [p.cmap for p in panels] == ["magma", "viridis"]
    vals = dnv().isel(syn_id=[2, 0]).values
    assert panels[0].vmin == pytest.approx(np.percentile(vals, 1), rel=1e-5)
    assert panels[0].vmax == pytest.approx(np.percentile(vals, 99), rel=1e-5)
    np.testing.assert_array_equal(panels[0].source.read(0, 10), vals[:, :10])
    assert panels[0].decim_method == "peak"


def test_heatmap_split_by_dim_and_explicit_limits():
    h = HeatmapConfig(make_da(), split_by="channel", vmin=-1, vmax=2, decim_method="mean")
    panels = h.panels()
    assert len(panels) == 2 and panels[1].source.names == ["syn0", "syn1", "syn2", "syn3"]
    assert (panels[0].vmin, panels[0].vmax, panels[0].decim_method) == (-1.0, 2.0, "mean")
    one = HeatmapConfig(make_da(), split_by="channel", vmin=50.0).panels()[0]
    assert one.vmin == 50.0 and one.vmax > one.vmin


@pytest.mark.parametrize("kwargs, msg", [
    ({}, r"^data: each heatmap needs exactly one non-time dim, the heatmap has 2: \('channel', 'syn_id'\) \(use split_by="),
    ({"split_by": "nope"}, r"^split_by: 'nope' is not a coordinate or dim"),
    ({"split_by": "time"}, r"^split_by: cannot be 'time'"),
    ({"split_by": "channel", "order_by": "nope"}, r"^order_by: 'nope' is not a coordinate"),
    ({"split_by": "channel", "cmap": "rainbowish"}, r"^cmap: unknown colormap 'rainbowish'"),
    ({"split_by": "channel", "cmap": ["magma"]}, r"^cmap: 1 colormaps for 2 heatmaps \(split_by='channel'\)$"),
    ({"split_by": "channel", "cmap": ["magma", "nope"]}, r"^cmap\[1\]: unknown colormap"),
    ({"split_by": "channel", "cmap": {5: "magma"}}, r"^cmap: no heatmap for key\(s\) 5"),
    ({"split_by": "channel", "cmap": lambda k: 1 / 0}, r"^cmap: callable failed for split value 0"),
    ({"split_by": "channel", "cmap": 3}, r"^cmap: must be a colormap name"),
    ({"split_by": "channel", "vmin": 2, "vmax": 1}, r"^vmax: must be greater than vmin \(2\), got 1$"),
    ({"split_by": "channel", "vmin": "low"}, r"^vmin: must be a finite number"),
    ({"split_by": "channel", "decim_method": "max"}, r"^decim_method: must be one of 'peak', 'mean'"),
])
def test_heatmap_errors_name_the_parameter(kwargs, msg):
    with pytest.raises(LoupeConfigError, match=msg):
        HeatmapConfig(make_da(), **kwargs)


def test_heatmap_split_leaving_two_dims_is_an_error():
    da = make_da().expand_dims(probe=2)
    with pytest.raises(LoupeConfigError, match=r"^split_by: each heatmap needs exactly one non-time dim, heatmap probe=0 has 2"):
        HeatmapConfig(da, split_by="probe")


def test_heatmap_cmap_forms():
    da = make_da()
    assert [p.cmap for p in HeatmapConfig(da, split_by="channel", cmap={1: "Viridis_r"}).panels()] == ["magma", "viridis_r"]
    assert [p.cmap for p in HeatmapConfig(da, split_by="channel", cmap=lambda k: ["gray", "hot"][k]).panels()] == ["gray", "hot"]

    class Colormap:  # stands in for a matplotlib/vispy object: only its name is used
        name = "plasma"
    assert HeatmapConfig(da, split_by="channel", cmap=Colormap()).panels()[0].cmap == "plasma"


def test_heatmap_limits_come_from_a_bounded_sample():
    big = make_da(n=300_000, channels=1, syn=8).isel(channel=0)
    p = HeatmapConfig(big).panels()[0]
    assert -3 < p.vmin < -2 and 2 < p.vmax < 3


# -- RasterConfig -------------------------------------------------------------------------------

def spikes(n=6):
    return pl.DataFrame({"time": [0.5, 1.0, 1.5, 2.0, 2.5, 3.0][:n], "source_id": [3, 1, 3, 2, 1, 2][:n],
                         "dmd": [1, 1, 1, 2, 2, 2][:n], "snr": [1.0, 2.0, 3.0, 4.0, 5.0, 5.0][:n],
                         "kind": ["a", "b", "a", "b", None, "a"][:n]})


def test_raster_panels_rows_and_split():
    panels = RasterConfig(spikes(), time_col="time", order_by="source_id", split_by="dmd").panels()
    assert [p.title for p in panels] == ["dmd=1", "dmd=2"]
    assert panels[0].row_labels == [1, 3] and panels[0].rows.tolist() == [1, 0, 1]
    assert panels[1].times.tolist() == [2.0, 2.5, 3.0] and panels[1].row_labels == [1, 2]
    single = RasterConfig(spikes(), time_col="time", order_by="source_id").panels()
    assert len(single) == 1 and single[0].key is None and single[0].row_labels == [1, 2, 3]


def test_raster_colour_precedence_and_alpha():
    df = spikes()
    plain = RasterConfig(df, time_col="time", order_by="source_id").event_colors()
    assert (plain == (220, 220, 220, 255)).all()
    hue = RasterConfig(df, time_col="time", order_by="source_id", hue="kind").event_colors()
    assert tuple(hue[0]) == PALETTE[0] and tuple(hue[1]) == PALETTE[1] and tuple(hue[4]) == PALETTE[2]
    pal = RasterConfig(df, time_col="time", order_by="source_id", hue="kind",
                       palette={"a": "#ff0000", "b": "#00ff00", None: "#0000ff"}).event_colors()
    assert tuple(pal[4]) == (0, 0, 255, 255)
    over = RasterConfig(df, time_col="time", order_by="source_id", hue="kind", color="1,2,3").event_colors()
    assert (over == (1, 2, 3, 255)).all()
    alpha = RasterConfig(df, time_col="time", order_by="source_id", alpha_by="snr", alpha_range=(0.0, 1.0)).panels()[0]
    assert alpha.colors[:, 3].tolist() == [0, 64, 128, 191, 255, 255]


@pytest.mark.parametrize("kwargs, msg", [
    ({"time_col": "t"}, r"^time_col: no column 't' \(available: time, source_id, dmd, snr, kind\)$"),
    ({"time_col": "kind"}, r"^time_col: column 'kind' must hold numbers"),
    ({"order_by": "unit"}, r"^order_by: no column 'unit'"),
    ({"split_by": ["dmd", "plane"]}, r"^split_by: no column 'plane'"),
    ({"alpha_by": "kind"}, r"^alpha_by: column 'kind' must hold numbers"),
    ({"alpha_range": (0.5, 0.2)}, r"^alpha_range: low \(0.5\) must not exceed high \(0.2\)"),
    ({"alpha_range": (0, 2)}, r"^alpha_range\[1\]: must be <= 1"),
    ({"alpha_range": 0.5}, r"^alpha_range: must be \(low, high\)"),
    ({"hue": "nope"}, r"^hue: no column 'nope'"),
    ({"palette": ["red"]}, r"^palette: needs hue"),
    ({"hue": "kind", "palette": {"a": "red"}}, r"^palette: no colour for hue column 'kind' value\(s\) 'b', None"),
])
def test_raster_errors_name_the_parameter(kwargs, msg):
    args = {"time_col": "time", "order_by": "source_id", **kwargs}
    with pytest.raises(LoupeConfigError, match=msg):
        RasterConfig(spikes(), **args)


def test_raster_data_must_be_polars_with_clean_times():
    with pytest.raises(LoupeConfigError, match=r"^data: must be a polars DataFrame, got dict"):
        RasterConfig({"time": [1.0]}, time_col="time", order_by="time")
    with pytest.raises(LoupeConfigError, match=r"^time_col: column 'time' has 1 missing value"):
        RasterConfig(pl.DataFrame({"time": [1.0, None], "u": [1, 2]}), time_col="time", order_by="u")
    with pytest.raises(LoupeConfigError, match=r"^time_col: column 'time' has non-finite values"):
        RasterConfig(pl.DataFrame({"time": [1.0, float("inf")], "u": [1, 2]}), time_col="time", order_by="u")


def test_raster_from_parquet_concatenates_and_names_missing_columns(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    spikes().head(3).write_parquet(a)
    spikes().tail(3).drop("snr").write_parquet(b)
    cfg = RasterConfig.from_parquet([a, b], time_col="time", order_by="source_id", split_by="dmd")
    assert len(cfg.data) == 6 and cfg.data["snr"].null_count() == 3
    with pytest.raises(DataFileError, match=r"b.parquet: missing column\(s\) 'snr' \(has: time, source_id, dmd, kind\)"):
        RasterConfig.from_parquet([a, b], time_col="time", order_by="source_id", alpha_by="snr")


# -- Zip ------------------------------------------------------------------------------------------

def test_zip_groups_traces_by_the_shared_coordinate():
    f, dff = make_da(name="F"), make_da(name="dFF") * 2
    z = Zip([TraceConfig(f), TraceConfig(dff, color="#00ff00")], on="syn_id")
    assert z.config_colors() == [PALETTE[0], (0, 255, 0, 255)]
    groups = z.groups()
    assert [k for k, _ in groups] == [0, 1, 2, 3]
    assert groups[1][1] == [(0, 1), (0, 5), (1, 1), (1, 5)]
    z2 = Zip([TraceConfig(f), TraceConfig(dff)], on="syn_id", colors=["#ff0000", "#0000ff"])
    assert z2.config_colors() == [(255, 0, 0, 255), (0, 0, 255, 255)]
    assert len(z2.sources()) == 2


@pytest.mark.parametrize("field, value", [
    ("mode", "dense"), ("order_by", "syn_id"), ("descending", True), ("hue", "channel"),
    ("array_name", "x"), ("gain", 2.0), ("traces_per_page", 4),
])
def test_zip_only_color_may_differ(field, value):
    da = make_da()
    with pytest.raises(LoupeConfigError, match=rf"^configs\[1\].{field}: must stay at its default inside a Zip"):
        Zip([TraceConfig(da), TraceConfig(da, **{field: value})], on="syn_id")


def test_zip_rules():
    da = make_da()
    with pytest.raises(LoupeConfigError, match=r"^configs\[0\]: only TraceConfig can go in a Zip, got HeatmapConfig"):
        Zip([HeatmapConfig(da, split_by="channel")], on="syn_id")
    with pytest.raises(LoupeConfigError, match=r"^on: configs\[1\] has no coordinate 'syn_id'"):
        Zip([TraceConfig(da), TraceConfig(da.isel(syn_id=0, drop=True))], on="syn_id")
    with pytest.raises(LoupeConfigError, match=r"^on: configs\[0\] has no coordinate 'zz' \(has: time, syn_id, channel\)$"):
        Zip([TraceConfig(da)], on="zz")  # each name once
    with pytest.raises(LoupeConfigError, match=r"^colors: 1 colours for 2 configs"):
        Zip([TraceConfig(da), TraceConfig(da)], on="syn_id", colors=["red"])
    with pytest.raises(LoupeConfigError, match=r"^configs: must be a non-empty list"):
        Zip([], on="syn_id")
    with pytest.raises(LoupeConfigError, match=r"^on: must name a coordinate"):
        Zip([TraceConfig(da)], on="time")
    with pytest.raises(LoupeConfigError, match=r"^configs\[0\].sample_markers: must stay at its default"):
        Zip([TraceConfig(da, sample_markers=[SampleMarkers([1])])], on="syn_id")


# -- VideoConfig ------------------------------------------------------------------------------------

@pytest.fixture
def video_files(tmp_path):
    for i in range(2):
        (tmp_path / f"cam{i}.mp4").write_bytes(b"\x00")
        np.save(tmp_path / f"cam{i}_t.npy", 10.0 * i + np.arange(5) / 30.0)
    return tmp_path


def test_video_single_and_concatenated(video_files):
    v = VideoConfig(video_files / "cam0.mp4", video_files / "cam0_t.npy", frame_times_correction=0.5)
    assert v.name == "cam0" and v.frame_times()[0] == 0.5 and len(v.frame_times()) == 5
    cat = VideoConfig([video_files / "cam0.mp4", str(video_files / "cam1.mp4")],
                      [video_files / "cam0_t.npy", video_files / "cam1_t.npy"], name="side", max_frame_distance_s=0.1)
    assert cat.frame_counts == [5, 5] and cat.frame_times()[5] == 10.0 and cat.name == "side"
    assert validate_videos(v) == [v] and validate_videos(None) == []


def test_video_errors(video_files, tmp_path):
    d = video_files
    with pytest.raises(LoupeConfigError, match=r"^video_path: .*nope.mp4: no such file$"):
        VideoConfig(d / "nope.mp4", d / "cam0_t.npy")
    with pytest.raises(LoupeConfigError, match=r"^frame_times_path\[1\]: .*nope.npy: no such file$"):
        VideoConfig([d / "cam0.mp4", d / "cam1.mp4"], [d / "cam0_t.npy", d / "nope.npy"])
    with pytest.raises(LoupeConfigError, match=r"^frame_times_path: 1 files for 2 videos"):
        VideoConfig([d / "cam0.mp4", d / "cam1.mp4"], [d / "cam0_t.npy"])
    with pytest.raises(LoupeConfigError, match=r"^frame_times_path: video_path and frame_times_path must both be lists"):
        VideoConfig([d / "cam0.mp4"], d / "cam0_t.npy")
    with pytest.raises(LoupeConfigError, match=r"^max_frame_distance_s: must be > 0"):
        VideoConfig(d / "cam0.mp4", d / "cam0_t.npy", max_frame_distance_s=0)
    with pytest.raises(LoupeConfigError, match=r"^frame_times_correction: must be a finite number"):
        VideoConfig(d / "cam0.mp4", d / "cam0_t.npy", frame_times_correction=float("nan"))
    with pytest.raises(DataFileError, match=r"cam0_t.npy: first frame time 0.0 is not after the previous file's last"):
        VideoConfig([d / "cam1.mp4", d / "cam0.mp4"], [d / "cam1_t.npy", d / "cam0_t.npy"])
    with pytest.raises(LoupeConfigError, match=r"^videos\[0\]: must be a VideoConfig"):
        validate_videos(["cam.mp4"])


@pytest.mark.parametrize("times, msg", [
    (np.zeros((2, 2)), r"frame times must be 1-D, got shape \(2, 2\)"),
    (np.array([0.0, 0.1, 0.1]), r"frame times must be strictly increasing: t\[1\]=0.1 >= t\[2\]=0.1"),
    (np.array([0.0, np.nan]), r"frame time 1 is not finite"),
    (np.array([], dtype=float), r"no frame times \(empty array\)"),
    (np.array(["a"]), r"frame times must hold numbers"),
])
def test_bad_frame_times_name_the_file(tmp_path, times, msg):
    (tmp_path / "v.mp4").write_bytes(b"\x00")
    np.save(tmp_path / "t.npy", times)
    with pytest.raises(DataFileError, match=r"t.npy: " + msg):
        VideoConfig(tmp_path / "v.mp4", tmp_path / "t.npy")


def test_frame_times_must_be_npy(tmp_path):
    (tmp_path / "v.mp4").write_bytes(b"\x00")
    (tmp_path / "t.csv").write_text("0\n1\n")
    with pytest.raises(DataFileError, match=r"t.csv: frame times must be a .npy file"):
        VideoConfig(tmp_path / "v.mp4", tmp_path / "t.csv")


# -- GlobalEventsConfig ---------------------------------------------------------------------------------

EVENTS = pl.DataFrame({"time": [5.0, 12.5, 20.0, 33.3, 47.1], "kind": ["stim", "lick", "stim", "blink", "lick"]})


def test_global_events_single_style():
    g = GlobalEventsConfig(EVENTS)
    (key, style, times), = g.events()
    assert key is None and times.tolist() == [5.0, 12.5, 20.0, 33.3, 47.1]
    assert style.color == (200, 200, 200, 200) and style.line_style == "solid"
    assert (style.line_width, style.line_alpha) == (1.5, 200)


def test_global_events_per_class_overrides_on_cycle_defaults():
    g = GlobalEventsConfig(EVENTS, style_events_on="kind", style_kwargs={
        "stim": {"line_color": "#ff8800", "line_width": 2.0},
        "lick": {"line_color": (100, 200, 255), "line_style": "dashed"},
        "blink": {"line_alpha": 100},
    })
    s = g.class_styles()
    assert list(s) == ["blink", "lick", "stim"]
    assert s["blink"].color == (200, 200, 200, 100) and s["blink"].line_style == "solid"
    assert s["lick"].color == (100, 200, 255, 200) and s["lick"].line_style == "dashed"
    assert s["stim"].color == (255, 136, 0, 200) and s["stim"].line_style == "dotted" and s["stim"].line_width == 2.0
    assert dict((k, t.tolist()) for k, _, t in g.events())["lick"] == [12.5, 47.1]
    hexa = GlobalEventsConfig(EVENTS, style_events_on="kind", style_kwargs={"stim": {"line_color": "#ff000080"}})
    assert hexa.class_styles()["stim"].line_alpha == 128


@pytest.mark.parametrize("values, order", [
    (["10", "2", "1", "11", "0", "2"], ["0", "1", "2", "10", "11"]),   # numbers written as text
    ([10, 2, 1, 11, 0], [0, 1, 2, 10, 11]),
    ([2.5, 10.0, 1.0], [1.0, 2.5, 10.0]),
    (["stim10", "stim2", "blink"], ["blink", "stim10", "stim2"]),       # text: sorted as text
    (["b", None, "a"], ["a", "b", None]),                              # missing last
])
def test_event_classes_are_in_natural_order(values, order):
    df = pl.DataFrame({"time": np.arange(len(values), dtype=float), "cls": values})
    g = GlobalEventsConfig(df, style_events_on="cls")
    assert list(g.class_styles()) == order
    assert [style.line_style for style in g.class_styles().values()] == list(LINE_STYLES[:len(order)])


def test_style_cycle_uses_every_style_on_gray_then_palette_colours():
    seq = [cycle_style(i) for i in range(12)]
    assert seq[:5] == [(EVENT_LIGHT_GRAY, s) for s in LINE_STYLES]
    assert seq[5:10] == [(PALETTE[0], s) for s in LINE_STYLES]
    assert seq[10] == (PALETTE[1], "solid")
    combos = [cycle_style(i) for i in range(5 * (1 + len(PALETTE)))]
    assert len(set(combos)) == len(combos)
    df = pl.DataFrame({"time": np.arange(7.0), "k": list("abcdefg")})
    styles = GlobalEventsConfig(df, style_events_on="k").class_styles()
    assert [s.line_style for s in styles.values()][:6] == [*LINE_STYLES, "solid"]
    assert styles["f"].color == (*PALETTE[0][:3], 200)


def test_style_kwargs_without_style_events_on_warns_and_is_ignored():
    with pytest.warns(UserWarning, match="style_kwargs is ignored because style_events_on is None"):
        g = GlobalEventsConfig(EVENTS, style_kwargs={"stim": {"line_width": 3}})
    assert g.class_styles()[None].line_width == 1.5


@pytest.mark.parametrize("kwargs, msg", [
    ({"style_kwargs": {"stim": {"line_colour": "red"}}}, r"^style_kwargs\['stim'\]: unknown style field\(s\) 'line_colour'"),
    ({"style_kwargs": {"stim": {"line_style": "wavy"}}}, r"^style_kwargs\['stim'\]\['line_style'\]: must be one of 'solid'"),
    ({"style_kwargs": {"stim": {"line_width": 0}}}, r"^style_kwargs\['stim'\]\['line_width'\]: must be > 0"),
    ({"style_kwargs": {"stim": {"line_alpha": 300}}}, r"^style_kwargs\['stim'\]\['line_alpha'\]: must be a number 0-255"),
    ({"style_kwargs": {"stim": {"line_color": "#12"}}}, r"^style_kwargs\['stim'\]\['line_color'\]: cannot read colour"),
    ({"style_kwargs": {"stim": "red"}}, r"^style_kwargs\['stim'\]: must be a dict"),
    ({"style_kwargs": ["x"]}, r"^style_kwargs: must be a dict"),
])
def test_bad_style_kwargs_raise(kwargs, msg):
    with pytest.raises(LoupeConfigError, match=msg):
        GlobalEventsConfig(EVENTS, style_events_on="kind", **kwargs)


def test_global_events_column_errors_and_unknown_class_warning():
    with pytest.raises(LoupeConfigError, match=r"^event_times_column: no column 't'"):
        GlobalEventsConfig(EVENTS, event_times_column="t")
    with pytest.raises(LoupeConfigError, match=r"^style_events_on: no column 'type'"):
        GlobalEventsConfig(EVENTS, style_events_on="type")
    with pytest.raises(LoupeConfigError, match=r"^data: must be a polars DataFrame"):
        GlobalEventsConfig(EVENTS.to_dict())
    with pytest.warns(UserWarning, match=r"class\(es\) 'groom' not found"):
        GlobalEventsConfig(EVENTS, style_events_on="kind", style_kwargs={"groom": {"line_width": 2}})


# -- validate_view_configs -----------------------------------------------------------------------------------

def test_validate_view_configs_accepts_one_or_a_list():
    t = TraceConfig(make_da())
    assert validate_view_configs(t) == [t]
    r = RasterConfig(spikes(), time_col="time", order_by="source_id")
    h = HeatmapConfig(make_da(), split_by="channel")
    assert validate_view_configs([t, r, h]) == [t, r, h]
    z = Zip([TraceConfig(make_da())], on="syn_id")
    assert validate_view_configs([z, r]) == [z, r]


@pytest.mark.parametrize("build, msg", [
    (lambda: make_da(), r"^configs\[0\]: got a bare xarray.DataArray: wrap it in a Config, e.g. TraceConfig\(da\)"),
    (lambda: [TraceConfig(make_da()), spikes()], r"^configs\[1\]: got a bare DataFrame: wrap it in a Config, e.g. RasterConfig"),
    (lambda: make_da().to_dataset(), r"^configs\[0\]: got an xarray.Dataset"),
    (lambda: [], r"^configs: nothing to view"),
    (lambda: "data.zarr", r"^configs\[0\]: expected TraceConfig, HeatmapConfig, RasterConfig, Zip or SpectrogramConfig, got str"),
    (lambda: [Zip([TraceConfig(make_da())], on="syn_id"), Zip([TraceConfig(make_da())], on="syn_id")],
     r"^configs\[1\]: only one Zip per window"),
    (lambda: [Zip([TraceConfig(make_da())], on="syn_id"), TraceConfig(make_da())],
     r"^configs\[1\]: a Zip cannot share a window with TraceConfig"),
    (lambda: [HeatmapConfig(make_da(), split_by="channel"), Zip([TraceConfig(make_da())], on="syn_id")],
     r"^configs\[0\]: a Zip cannot share a window with HeatmapConfig"),
    (lambda: [TraceConfig(make_da(), sample_markers=[SampleMarkers([1])]), TraceConfig(make_da())],
     r"^configs\[0\].sample_markers: a TraceConfig with sample_markers must be the only config"),
])
def test_validate_view_configs_rules(build, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        configs = build()
    with pytest.raises(LoupeConfigError, match=msg):
        validate_view_configs(configs)


def test_video_and_events_configs_do_not_go_in_the_plot_list(video_files):
    v = VideoConfig(video_files / "cam0.mp4", video_files / "cam0_t.npy")
    with pytest.raises(LoupeConfigError, match=r"^configs\[1\]: VideoConfig goes in view\(..., videos="):
        validate_view_configs([TraceConfig(make_da()), v])
    with pytest.raises(LoupeConfigError, match=r"^configs\[0\]: GlobalEventsConfig goes in view\(..., global_events="):
        validate_view_configs(GlobalEventsConfig(EVENTS))
