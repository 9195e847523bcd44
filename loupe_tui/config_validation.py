"""Checks and resolvers of the config classes in :mod:`loupe_tui.config`.

The config-specific parts (colormaps, sample markers, overlays, data frames,
video paths, Zip members); the generic checks they build on (``fail``,
``check_number``, ``resolve_colors`` ...) are in :mod:`loupe_tui.validate`,
below :mod:`loupe_tui.io`. Every check raises :class:`LoupeConfigError` whose
one-line message starts with the parameter it is about.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import xarray as xr

from loupe_tui.core.colors import PALETTE, RGBA, parse_color
from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.source import TimeAxis
from loupe_tui.io.time_axis import InputProblem, same_axis
from loupe_tui.io.xarray_layout import dim_values, other_dims
from loupe_tui.io.xarray_source import check_data_array, time_axis_of
from loupe_tui.validate import as_list, check_name, check_number, fail


class DataProblem(LoupeConfigError):
    """The ``data`` argument itself is unusable (not a parameter choice).

    ``from_path`` turns it into a :class:`DataFileError` naming the file.
    """

    def __init__(self, problem: str):
        super().__init__(f"data: {problem}")
        self.problem = problem


def check_alpha_range(value: object) -> tuple[float, float]:
    """``RasterConfig.alpha_range``: ``(low, high)`` opacity factors in 0-1, low <= high."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise fail("alpha_range", f"must be (low, high) opacities in 0-1, got {value!r}")
    lo = check_number("alpha_range[0]", value[0], ge=0, le=1)
    hi = check_number("alpha_range[1]", value[1], ge=0, le=1)
    if lo > hi:
        raise fail("alpha_range", f"low ({lo:g}) must not exceed high ({hi:g})")
    return lo, hi


# -- colormaps -----------------------------------------------------------------

# Names the render process knows how to build. Kept here as a plain list so the
# config layer needs no plotting library; "_r" reverses any of them.
CMAP_NAMES: tuple[str, ...] = (
    "magma", "viridis", "plasma", "inferno", "cividis", "turbo", "gray", "grays", "greys",
    "hot", "coolwarm", "bwr", "RdBu", "seismic", "Blues", "Reds", "Greens", "twilight",
)
_CMAP_LOOKUP = {n.lower(): n for n in CMAP_NAMES}


def check_cmap_name(param: str, value: object) -> str:
    """A known colormap name (case-insensitive, optional ``_r``) or an object with such a ``.name``."""
    name = getattr(value, "name", value) if not isinstance(value, str) else value
    if isinstance(name, str):
        base, rev = (name[:-2], "_r") if name.lower().endswith("_r") else (name, "")
        if base.lower() in _CMAP_LOOKUP:
            return _CMAP_LOOKUP[base.lower()] + rev
        raise fail(param, f"unknown colormap {name!r} (known: {', '.join(CMAP_NAMES)}, each also with _r)")
    raise fail(param, f"must be a colormap name, got {value!r}")


def resolve_cmaps(cmap: object, keys: list, split_by: str | None) -> list[str]:
    """``HeatmapConfig.cmap`` -> one colormap name per split key.

    A name (or an object with a ``.name``) for all; a list with one per
    split; a dict ``{split value: name}`` (others get ``"magma"``); or a
    callable ``split value -> name``.
    """
    c = cmap
    if isinstance(c, (list, tuple)):
        if len(c) != len(keys):
            raise fail("cmap", f"{len(c)} colormaps for {len(keys)} heatmaps"
                               + (f" (split_by={split_by!r})" if split_by else ""))
        return [check_cmap_name(f"cmap[{i}]", v) for i, v in enumerate(c)]
    if isinstance(c, dict):
        unknown = [k for k in c if k not in keys]
        if unknown:
            raise fail("cmap", f"no heatmap for key(s) {', '.join(map(repr, unknown))} "
                               f"(split values: {', '.join(map(repr, keys))})")
        return [check_cmap_name(f"cmap[{k!r}]", c[k]) if k in c else "magma" for k in keys]
    if callable(c) and not isinstance(c, str) and not hasattr(c, "name"):
        out = []
        for k in keys:
            try:
                v = c(k)
            except Exception as exc:
                raise fail("cmap", f"callable failed for split value {k!r}: {exc}") from None
            out.append(check_cmap_name(f"cmap({k!r})", v))
        return out
    return [check_cmap_name("cmap", c)] * len(keys)


# -- trace extras: sample markers and overlays ------------------------------------

@dataclass(eq=False)
class SampleMarkers:
    """Markers drawn on a trace at given sample indices (spikes, detected events).

    Parameters
    ----------
    samples : 1-D integer sample indices along ``time``.
    trace : trace label (``"ch0-syn1"``) or flat index to mark; None marks every trace.
    color : marker colour (default white).
    name : legend label.
    """

    samples: Any
    trace: str | int | None = None
    color: Any = None
    name: str | None = None

    def __post_init__(self):
        s = np.asarray(self.samples)
        if s.ndim != 1 or (s.size and s.dtype.kind not in "iu"):
            raise fail("SampleMarkers.samples", f"must be 1-D integer sample indices, got shape {s.shape} dtype {s.dtype}")
        if s.size and s.min() < 0:
            raise fail("SampleMarkers.samples", f"indices must be >= 0, got {int(s.min())}")
        self.samples = s.astype(np.int64)
        self.rgba: RGBA = (255, 255, 255, 255) if self.color is None else \
            parse_color(self.color, where="SampleMarkers.color")


def check_sample_markers(markers: object, mode: str, n_samples: int, labels: Sequence[str],
                         names: Sequence[str]) -> list[SampleMarkers] | None:
    """``TraceConfig.sample_markers``: stacked mode only, indices and traces in range."""
    if markers is None:
        return None
    if mode != "stacked":
        raise fail("sample_markers", "only supported in mode='stacked'")
    out = as_list(markers)
    for i, m in enumerate(out):
        where = f"sample_markers[{i}]"
        if not isinstance(m, SampleMarkers):
            raise fail(where, f"must be a SampleMarkers, got {type(m).__name__}")
        if m.samples.size and m.samples.max() >= n_samples:
            raise fail(where, f"sample index {int(m.samples.max())} is past the end ({n_samples} samples)")
        if isinstance(m.trace, str) and m.trace not in labels and m.trace not in names:
            raise fail(where, f"no trace named {m.trace!r}")
        if isinstance(m.trace, numbers.Integral) and not 0 <= m.trace < len(labels):
            raise fail(where, f"trace index {m.trace} out of range (0-{len(labels) - 1})")
    return out


def check_overlays(arrays: object, host: xr.DataArray, host_time: TimeAxis) -> list[xr.DataArray]:
    """``TraceConfig.overlay_arrays``: each shares the host's non-time dims, coords and time."""
    dims = other_dims(host)
    out = as_list(arrays)
    for i, ov in enumerate(out):
        where = f"overlay_arrays[{i}]"
        try:
            check_data_array(ov)
            axis = time_axis_of(ov)
        except InputProblem as exc:
            raise fail(where, str(exc)) from None
        if sorted(other_dims(ov)) != sorted(dims) or any(ov.sizes[d] != host.sizes[d] for d in dims):
            raise fail(where, f"must share the host's non-time dims {_sizes(host)}, has {_sizes(ov)}")
        for d in dims:
            if d in ov.coords and d in host.coords and not np.array_equal(dim_values(ov, d), dim_values(host, d)):
                raise fail(where, f"coordinate {d!r} differs from the host's")
        if not same_axis(axis, host_time):
            raise fail(where, "must share the host's time coordinate (same length and values)")
    return out


def overlay_rgba(colors: object, n: int) -> list[RGBA]:
    """``overlay_colors``: one per overlay, or None to cycle the palette (from red)."""
    if colors is None:
        return [PALETTE[(3 + i) % len(PALETTE)] for i in range(n)]
    colors = as_list(colors)
    if len(colors) != n:
        raise fail("overlay_colors", f"{len(colors)} colours for {n} overlay_arrays")
    return [parse_color(c, where=f"overlay_colors[{i}]") for i, c in enumerate(colors)]


def _sizes(da: xr.DataArray) -> dict[str, int]:
    return {d: int(da.sizes[d]) for d in other_dims(da)}


# -- data frames and wrapped problems ------------------------------------------------

def check_frame(param: str, data: object, hint: str) -> pl.DataFrame:
    if isinstance(data, pl.DataFrame):
        return data
    extra = " (convert with pl.from_pandas(df))" if type(data).__name__ == "DataFrame" else ""
    raise fail(param, f"must be a polars DataFrame{extra}, got {type(data).__name__}; {hint}")


def check_time_column(param: str, df: pl.DataFrame, col: object) -> str:
    check_name(param, col, df.columns, "column", allow_none=False)
    dtype = df.schema[col]
    if not dtype.is_numeric():
        raise fail(param, f"column {col!r} must hold numbers (seconds), has dtype {dtype}")
    if df[col].null_count():
        raise fail(param, f"column {col!r} has {df[col].null_count()} missing value(s)")
    if len(df) and not np.isfinite(df[col].cast(pl.Float64).to_numpy()).all():
        raise fail(param, f"column {col!r} has non-finite values")
    return col


def data_problem(fn, *args):
    try:
        return fn(*args)
    except InputProblem as exc:
        raise DataProblem(str(exc)) from None


def param_problem(fn, *args):
    # per_trace_values/split_groups messages already start with the parameter.
    try:
        return fn(*args)
    except InputProblem as exc:
        raise LoupeConfigError(str(exc)) from None


# -- per-config helpers ---------------------------------------------------------------

def check_video_paths(video_path: object, frame_times_path: object) -> tuple[list[Path], list[Path]]:
    """``VideoConfig`` paths: both single or both equal-length lists of existing files."""
    vids, fts = video_path, frame_times_path
    if isinstance(vids, (list, tuple)) != isinstance(fts, (list, tuple)):
        raise fail("frame_times_path", "video_path and frame_times_path must both be lists or both single paths")
    vids, fts = as_list(vids), as_list(fts)
    if not vids:
        raise fail("video_path", "empty list")
    if len(vids) != len(fts):
        raise fail("frame_times_path", f"{len(fts)} files for {len(vids)} videos (lists must have equal length)")
    for param, paths in (("video_path", vids), ("frame_times_path", fts)):
        for i, p in enumerate(paths):
            where = param if len(paths) == 1 else f"{param}[{i}]"
            if not isinstance(p, (str, Path)):
                raise fail(where, f"must be a path, got {p!r}")
            if not Path(p).is_file():
                raise fail(where, f"{p}: no such file")
    return [Path(p) for p in vids], [Path(p) for p in fts]


def check_zip_member(i: int, config: object, defaults: Mapping[str, object]) -> None:
    """Inside a Zip only ``color`` may differ from a TraceConfig's defaults."""
    for name, default in defaults.items():
        value = getattr(config, name)
        changed = bool(value) if name == "sample_markers" else \
            (value is not None if default is None else value != default)
        if changed:
            raise fail(f"configs[{i}].{name}", "must stay at its default inside a Zip (only color applies)")
