"""Loupe-compatible view configs, validated on construction.

``TraceConfig``, ``HeatmapConfig``, ``RasterConfig``, ``Zip``,
``VideoConfig`` and ``GlobalEventsConfig`` keep Loupe's Python API (names,
parameters, defaults). Each checks its arguments when built and raises
:class:`LoupeConfigError` whose one-line message starts with the parameter at
fault. Each also resolves what the renderer and the pyramid need (lazy
sources, names, colours, order, styles). Nothing here imports a GUI toolkit.
See ``docs/data-inputs.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import xarray as xr

from loupe_tui.config_validation import (
    DataProblem, SampleMarkers, check_alpha_range, check_frame, check_overlays, check_sample_markers,
    check_time_column, check_video_paths, check_zip_member, data_problem, overlay_rgba, param_problem,
    resolve_cmaps,
)
from loupe_tui.core.colors import RGBA, cycle, parse_color
from loupe_tui.errors import DataFileError, join_names
from loupe_tui.io.events import (
    EventStyle, RasterPanel, event_alpha, event_colors, raster_panels, read_event_tables, resolve_event_styles,
)
from loupe_tui.io.frame_times import concat_frame_times
from loupe_tui.io.source import TimeAxis
from loupe_tui.io.xarray_layout import other_dims, per_trace_values, sort_order, split_groups, trace_labels
from loupe_tui.io.xarray_open import open_variable
from loupe_tui.io.xarray_source import XarraySource, check_data_array, color_limits, time_axis_of
from loupe_tui.validate import (
    as_list, check_bool, check_choice, check_int, check_name, check_number, fail, resolve_colors, sorted_unique,
)

__all__ = ["TraceConfig", "HeatmapConfig", "RasterConfig", "Zip", "VideoConfig", "GlobalEventsConfig",
           "SpectrogramConfig", "SampleMarkers", "HeatmapPanel", "RasterPanel", "EventStyle", "validate_view_configs",
           "validate_videos"]

TRACE_MODES = ("stacked", "dense")
DENSE_COLOR: RGBA = (240, 238, 210, 255)  # warm near-white: not the grey of Artifact states
RASTER_COLOR: RGBA = (220, 220, 220, 255)


@dataclass(eq=False)
class TraceConfig:
    """Traces of an xarray DataArray: one subplot each (stacked) or many on one axis (dense).

    Every non-time dim combination is a trace (``(channel=2, syn_id=3, time)``
    gives ``ch0-syn0 ... ch1-syn2``). The array is never loaded: see
    :meth:`source`. Parameters and defaults follow Loupe; see
    ``docs/data-inputs.md`` for each one and its errors.
    """

    data: xr.DataArray = field(repr=False)
    mode: str = "stacked"
    order_by: str | None = None
    descending: bool = False
    hue: str | None = None
    palette: Any = None
    color: Any = None
    array_name: bool | str = False
    sample_markers: list[SampleMarkers] | None = None
    overlay_arrays: list[xr.DataArray] | None = None
    overlay_colors: list[Any] | None = None
    gain: float = 1.0
    step: int = 1
    traces_per_page: int | None = None

    def __post_init__(self):
        data_problem(check_data_array, self.data)
        check_choice("mode", self.mode, TRACE_MODES)
        check_bool("descending", self.descending)
        self.gain = check_number("gain", self.gain, gt=0)
        check_int("step", self.step, ge=1)
        check_int("traces_per_page", self.traces_per_page, ge=1, allow_none=True)
        if not isinstance(self.array_name, (bool, str)):
            raise fail("array_name", f"must be False, True (use data.name) or a str, got {self.array_name!r}")
        if self.array_name is True and self.data.name is None:
            raise fail("array_name", "True needs a named DataArray (data.name is None); pass a str instead")
        for p in ("order_by", "hue"):
            if getattr(self, p) is not None and not isinstance(getattr(self, p), str):
                raise fail(p, f"must be a coordinate name (str), got {getattr(self, p)!r}")
        self._time: TimeAxis = data_problem(time_axis_of, self.data)
        self._dims = other_dims(self.data)
        n = self._n_all = int(np.prod([self.data.sizes[d] for d in self._dims], dtype=np.int64))
        keys = None if self.order_by is None else param_problem(per_trace_values, self.data, self.order_by, "order_by")
        order = sort_order(n, keys, self.descending)
        self._order = order[:: self.step] if self.mode == "dense" else order
        self._order_values = None if keys is None else keys[self._order]
        hue_values = None if self.hue is None else param_problem(per_trace_values, self.data, self.hue, "hue")
        default = (lambda i: DENSE_COLOR) if self.mode == "dense" else cycle
        self._colors = resolve_colors(len(self._order), color=self.color, palette=self.palette, default=default,
                                      hue_values=None if hue_values is None else hue_values[self._order].tolist())
        labels = trace_labels(self.data, self._dims)
        prefix = self.data.name if self.array_name is True else (self.array_name or None)
        if prefix is not None and not self._dims:
            self._names = [str(prefix)]
        else:
            self._names = [f"{prefix}-{labels[i]}" if prefix is not None else labels[i] for i in self._order]
        self.sample_markers = check_sample_markers(self.sample_markers, self.mode, self._time.n, labels, self._names)
        self._overlays = check_overlays(self.overlay_arrays, self.data, self._time)
        self._overlay_rgba = overlay_rgba(self.overlay_colors, len(self._overlays))

    # -- resolved view -------------------------------------------------------
    @classmethod
    def from_path(cls, path: str | Path, group: str | None = None, variable: str | None = None,
                  filter_dict: dict | None = None, **kwargs) -> TraceConfig:
        """Open ``variable`` of a zarr store or netCDF file lazily and wrap it.

        ``filter_dict`` selects by label (``{"syn_id": slice(3, 6), "time":
        slice(0, 1800)}``; slices include both ends). Other keyword arguments
        go to :class:`TraceConfig`. Problems with the file or its data raise
        :class:`DataFileError` naming the file.
        """
        da = open_variable(path, group=group, variable=variable, filter_dict=filter_dict)
        try:
            return cls(da, **kwargs)
        except DataProblem as exc:
            raise DataFileError(f"{path}: variable {da.name!r}: {exc.problem}") from None

    @property
    def time_axis(self) -> TimeAxis:
        return self._time

    @property
    def n_traces(self) -> int:
        """Traces shown (after ``step`` in dense mode)."""
        return len(self._order)

    @property
    def n_all_traces(self) -> int:
        """Every trace of the data, before ``step`` (what the dense controls page through)."""
        return self._n_all

    def trace_order(self) -> list[int]:
        """Flat trace indices (C order over non-time dims) in display order."""
        return list(self._order)

    def trace_names(self) -> list[str]:
        """Display names in display order (``array_name`` prefix applied)."""
        return list(self._names)

    def trace_colors(self) -> list[RGBA]:
        """RGBA per trace in display order: ``color`` > ``hue``/``palette`` > default."""
        return list(self._colors)

    def order_values(self) -> np.ndarray | None:
        """``order_by`` value per displayed trace (dense spacing), or None."""
        return self._order_values

    def source(self) -> XarraySource:
        """The lazy source of the displayed traces, in display order."""
        where = self.data.encoding.get("source", "data")
        return XarraySource(self.data, self._time, self._dims, order=self._order, names=self._names, where=where)

    def overlay_sources(self) -> list[XarraySource]:
        """One source per overlay array, channel ``i`` overlaying displayed trace ``i``."""
        return [XarraySource(ov, self._time, self._dims, order=self._order, names=self._names,
                             where=f"overlay_arrays[{i}]") for i, ov in enumerate(self._overlays)]

    def overlay_rgba(self) -> list[RGBA]:
        return list(self._overlay_rgba)


_TRACE_DEFAULTS = {f.name: f.default for f in fields(TraceConfig) if f.name not in ("data", "color")}


@dataclass(frozen=True, eq=False)
class HeatmapPanel:
    """One resolved heatmap subplot: rows of ``source`` top to bottom."""

    key: Any
    title: str
    cmap: str
    vmin: float
    vmax: float
    decim_method: str
    source: XarraySource


@dataclass(eq=False)
class HeatmapConfig:
    """A DataArray as heatmaps: time on x, one row per entry of the remaining non-time dim.

    After ``split_by`` every subplot must have exactly one non-time dim.
    ``cmap`` is a name, a list (one per split), a dict ``{split value: name}``
    (others get ``"magma"``) or a callable ``split value -> name``. Unset
    ``vmin``/``vmax`` become the 1st/99th percentile of each heatmap, from a
    bounded sample.
    """

    data: xr.DataArray = field(repr=False)
    split_by: str | None = None
    order_by: str | None = None
    cmap: Any = "magma"
    vmin: float | None = None
    vmax: float | None = None
    decim_method: str = "peak"

    def __post_init__(self):
        data_problem(check_data_array, self.data)
        check_choice("decim_method", self.decim_method, ("peak", "mean"))
        for p in ("split_by", "order_by"):
            if getattr(self, p) is not None and not isinstance(getattr(self, p), str):
                raise fail(p, f"must be a coordinate or dim name (str), got {getattr(self, p)!r}")
        for p in ("vmin", "vmax"):
            if getattr(self, p) is not None:
                setattr(self, p, check_number(p, getattr(self, p)))
        if self.vmin is not None and self.vmax is not None and not self.vmin < self.vmax:
            raise fail("vmax", f"must be greater than vmin ({self.vmin:g}), got {self.vmax:g}")
        self._time = data_problem(time_axis_of, self.data)
        self._groups = param_problem(split_groups, self.data, self.split_by)
        for key, sub in self._groups:
            rest = other_dims(sub)
            if len(rest) != 1:
                what = f"heatmap {self.split_by}={key!r}" if self.split_by else "the heatmap"
                hint = " (use split_by= to split one dim into subplots)" if len(rest) > 1 else ""
                raise fail("split_by" if self.split_by else "data",
                           f"each heatmap needs exactly one non-time dim, {what} has {len(rest)}: {rest}{hint}")
            if self.order_by is not None:
                param_problem(per_trace_values, sub, self.order_by, "order_by")
        self._cmaps = resolve_cmaps(self.cmap, [k for k, _ in self._groups], self.split_by)
        self._panels: list[HeatmapPanel] | None = None

    @property
    def time_axis(self) -> TimeAxis:
        return self._time

    def panels(self) -> list[HeatmapPanel]:
        """Resolved subplots (split order: sorted split values). Reads a bounded sample for limits."""
        if self._panels is None:
            where = self.data.encoding.get("source", "data")
            self._panels = []
            for (key, sub), cmap in zip(self._groups, self._cmaps):
                keys = None if self.order_by is None else per_trace_values(sub, self.order_by, "order_by")
                order = sort_order(sub.sizes[other_dims(sub)[0]], keys, False)
                labels = trace_labels(sub)
                src = XarraySource(sub, self._time, order=order, names=[labels[i] for i in order], where=where)
                lo, hi = color_limits(src, self.vmin, self.vmax)
                title = "" if self.split_by is None else f"{self.split_by}={key}"
                self._panels.append(HeatmapPanel(key, title, cmap, float(lo), float(hi), self.decim_method, src))
        return list(self._panels)


@dataclass(eq=False)
class RasterConfig:
    """Discrete events (one row each) as raster lines, one row per ``order_by`` value.

    Colour precedence: ``color`` > ``hue``/``palette`` > light gray.
    ``alpha_by`` maps its column's min..max linearly onto ``alpha_range``
    (opacity factors 0-1).
    """

    data: pl.DataFrame = field(repr=False)
    time_col: str
    order_by: str
    split_by: str | list[str] | None = None
    alpha_by: str | None = None
    alpha_range: tuple[float, float] = (0.1, 1.0)
    hue: str | None = None
    palette: Any = None
    color: Any = None

    def __post_init__(self):
        df = check_frame("data", self.data, "wrap events in RasterConfig(pl.DataFrame(...), ...)")
        check_time_column("time_col", df, self.time_col)
        check_name("order_by", self.order_by, df.columns, "column", allow_none=False)
        self._split = as_list(self.split_by)
        for c in self._split:
            check_name("split_by", c, df.columns, "column", allow_none=False)
        check_name("alpha_by", self.alpha_by, df.columns, "column")
        if self.alpha_by is not None and not df.schema[self.alpha_by].is_numeric():
            raise fail("alpha_by", f"column {self.alpha_by!r} must hold numbers, has dtype {df.schema[self.alpha_by]}")
        self.alpha_range = check_alpha_range(self.alpha_range)
        check_name("hue", self.hue, df.columns, "column")
        self._colors = event_colors(df, color=self.color, hue=self.hue, palette=self.palette, default=RASTER_COLOR)
        self._alpha = event_alpha(df, self.alpha_by, self.alpha_range)

    @classmethod
    def from_parquet(cls, path: str | Path | list, time_col: str, order_by: str, **kwargs) -> RasterConfig:
        """Read one parquet file or several (concatenated in order) and wrap them.

        Every file must have the columns named by ``time_col``, ``order_by``,
        ``split_by``, ``alpha_by`` and ``hue`` (a missing one is named with its
        file in a :class:`DataFileError`).
        """
        need = [time_col, order_by, *as_list(kwargs.get("split_by")),
                *[kwargs[k] for k in ("alpha_by", "hue") if kwargs.get(k)]]
        need = [c for c in need if isinstance(c, str)]
        return cls(read_event_tables(path, required=need), time_col=time_col, order_by=order_by, **kwargs)

    def panels(self) -> list[RasterPanel]:
        """One :class:`RasterPanel` per ``split_by`` group (sorted), or one without split."""
        return raster_panels(self.data, self.time_col, self.order_by, self._split, self._colors, self._alpha)

    def event_colors(self) -> np.ndarray:
        """``(n_events, 4)`` uint8 RGBA in row order, before ``alpha_by``."""
        return self._colors.copy()


@dataclass(eq=False)
class Zip:
    """Several TraceConfigs co-plotted per value of a shared coordinate ``on``.

    Only ``color`` may be set on the wrapped configs; ``colors`` (one per
    config) overrides it. One Zip per window, never with TraceConfig or
    HeatmapConfig.
    """

    configs: list[TraceConfig]
    on: str
    colors: list[Any] | None = None

    def __post_init__(self):
        if not isinstance(self.configs, (list, tuple)) or not self.configs:
            raise fail("configs", f"must be a non-empty list of TraceConfig, got {self.configs!r}")
        self.configs = list(self.configs)
        if not isinstance(self.on, str) or self.on == "time":
            raise fail("on", f"must name a coordinate shared by the arrays (not 'time'), got {self.on!r}")
        for i, c in enumerate(self.configs):
            if not isinstance(c, TraceConfig):
                raise fail(f"configs[{i}]", f"only TraceConfig can go in a Zip, got {type(c).__name__}")
            check_zip_member(i, c, _TRACE_DEFAULTS)
            if self.on not in c.data.coords and self.on not in c.data.dims:
                raise fail("on", f"configs[{i}] has no coordinate {self.on!r} "
                                 f"(has: {join_names([*c.data.coords, *c.data.dims])})")
        if self.colors is not None:
            colors = as_list(self.colors)
            if len(colors) != len(self.configs):
                raise fail("colors", f"{len(colors)} colours for {len(self.configs)} configs")
            self._rgba = [parse_color(v, where=f"colors[{i}]") for i, v in enumerate(colors)]
        else:
            self._rgba = [parse_color(c.color, where=f"configs[{i}].color") if c.color is not None else cycle(i)
                          for i, c in enumerate(self.configs)]
        self._on_values = [param_problem(per_trace_values, c.data, self.on, "on")[c.trace_order()]
                           for c in self.configs]

    def config_colors(self) -> list[RGBA]:
        """The colour of each wrapped config's traces."""
        return list(self._rgba)

    def sources(self) -> list[XarraySource]:
        return [c.source() for c in self.configs]

    def groups(self) -> list[tuple[Any, list[tuple[int, int]]]]:
        """``[(on value, [(config index, channel in that config's source), ...]), ...]``, sorted by value."""
        keys = sorted_unique([v for vals in self._on_values for v in vals.tolist()])
        return [(k, [(ci, j) for ci, vals in enumerate(self._on_values) for j, v in enumerate(vals.tolist()) if v == k])
                for k in keys]


@dataclass(eq=False)
class VideoConfig:
    """A video shown in sync with the cursor; lists of equal length play as one video.

    ``frame_times_path`` holds one time (s) per frame; ``frame_times_correction``
    is added to every frame time. ``max_frame_distance_s``: show no frame when
    the nearest one is further than this from the cursor (None: 0.55 x the
    median frame interval, so a gap in the frame times shows as "no frame").
    """

    video_path: str | Path | list
    frame_times_path: str | Path | list
    frame_times_correction: float = 0.0
    max_frame_distance_s: float | None = None
    name: str | None = None

    def __post_init__(self):
        self.video_paths, self.frame_times_paths = check_video_paths(self.video_path, self.frame_times_path)
        self.frame_times_correction = check_number("frame_times_correction", self.frame_times_correction)
        if self.max_frame_distance_s is not None:
            self.max_frame_distance_s = check_number("max_frame_distance_s", self.max_frame_distance_s, gt=0)
        if self.name is not None and not isinstance(self.name, str):
            raise fail("name", f"must be a str, got {self.name!r}")
        self.name = self.name or self.video_paths[0].stem
        times, self.frame_counts = concat_frame_times(self.frame_times_paths)
        self._times = times + self.frame_times_correction

    def frame_times(self) -> np.ndarray:
        """Corrected time (s) of every frame of the concatenated video."""
        return self._times


@dataclass(eq=False)
class GlobalEventsConfig:
    """Vertical event lines across every plot, optionally styled per class.

    Classes (values of ``style_events_on``, in natural order: numerically when
    they are numbers or numbers written as text, else sorted) without full overrides
    take cycle defaults: see :func:`loupe_tui.io.events.cycle_style`.
    """

    data: pl.DataFrame = field(repr=False)
    event_times_column: str = "time"
    style_events_on: str | None = None
    style_kwargs: dict | None = None

    def __post_init__(self):
        df = check_frame("data", self.data, "wrap events in GlobalEventsConfig(pl.DataFrame(...))")
        check_time_column("event_times_column", df, self.event_times_column)
        check_name("style_events_on", self.style_events_on, df.columns, "column")
        self._styles = resolve_event_styles(df, self.style_events_on, self.style_kwargs)

    def class_styles(self) -> dict[Any, EventStyle]:
        """Final style per class (key None when ``style_events_on`` is None)."""
        return dict(self._styles)

    def events(self) -> list[tuple[Any, EventStyle, np.ndarray]]:
        """``(class, style, sorted float64 times)`` per class."""
        times = self.data[self.event_times_column].cast(pl.Float64)
        if self.style_events_on is None:
            return [(None, self._styles[None], np.sort(times.to_numpy()))]
        col = self.data[self.style_events_on]
        return [(c, s, np.sort(times.filter(col.is_null() if c is None else col == c).to_numpy()))
                for c, s in self._styles.items()]


_VIEW_TYPES = (TraceConfig, HeatmapConfig, RasterConfig, Zip)


def validate_view_configs(configs: object) -> list:
    """Check what ``view()`` was given; return it as a list (top-to-bottom order).

    Accepts one config or a list. Bare DataArrays/DataFrames must be wrapped
    in a Config; at most one Zip, never with TraceConfig/HeatmapConfig; a
    TraceConfig with ``sample_markers`` must be alone in its window.
    """
    items = list(configs) if isinstance(configs, (list, tuple)) else [configs]
    if not items:
        raise fail("configs", "nothing to view: pass a TraceConfig, HeatmapConfig, RasterConfig or Zip")
    for i, c in enumerate(items):
        where = f"configs[{i}]"
        if isinstance(c, xr.DataArray):
            raise fail(where, "got a bare xarray.DataArray: wrap it in a Config, e.g. TraceConfig(da) or HeatmapConfig(da)")
        if isinstance(c, xr.Dataset):
            raise fail(where, "got an xarray.Dataset: pick a variable and wrap it, e.g. TraceConfig(ds['name'])")
        if isinstance(c, pl.DataFrame) or type(c).__name__ == "DataFrame":
            raise fail(where, "got a bare DataFrame: wrap it in a Config, e.g. RasterConfig(df, time_col=..., order_by=...)")
        if isinstance(c, VideoConfig):
            raise fail(where, "VideoConfig goes in view(..., videos=[...]), not in the plot list")
        if isinstance(c, GlobalEventsConfig):
            raise fail(where, "GlobalEventsConfig goes in view(..., global_events=...), not in the plot list")
        if not isinstance(c, _VIEW_TYPES) and type(c).__name__ != "SpectrogramConfig":
            raise fail(where, f"expected TraceConfig, HeatmapConfig, RasterConfig, Zip or SpectrogramConfig, "
                              f"got {type(c).__name__}")
    if all(type(c).__name__ == "SpectrogramConfig" for c in items):
        raise fail("configs", "a SpectrogramConfig goes beside the traces it belongs to: "
                              "pass a TraceConfig of the recording too")
    zips = [i for i, c in enumerate(items) if isinstance(c, Zip)]
    if len(zips) > 1:
        raise fail(f"configs[{zips[1]}]", "only one Zip per window")
    if zips:
        for i, c in enumerate(items):
            if isinstance(c, (TraceConfig, HeatmapConfig)):
                raise fail(f"configs[{i}]", f"a Zip cannot share a window with {type(c).__name__}")
    for i, c in enumerate(items):
        if isinstance(c, TraceConfig) and c.sample_markers and len(items) > 1:
            raise fail(f"configs[{i}].sample_markers", "a TraceConfig with sample_markers must be the only config in the window")
    return items


def validate_videos(videos: object) -> list[VideoConfig]:
    """``view(videos=...)``: None, one VideoConfig, or a list of them."""
    items = [] if videos is None else list(videos) if isinstance(videos, (list, tuple)) else [videos]
    for i, v in enumerate(items):
        if not isinstance(v, VideoConfig):
            raise fail(f"videos[{i}]", f"must be a VideoConfig(video_path, frame_times_path), got {type(v).__name__}")
    return items


from loupe_tui.config_spectral import SpectrogramConfig  # noqa: E402 - beside Loupe's configs, in its own module
