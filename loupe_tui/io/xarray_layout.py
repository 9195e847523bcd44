"""How a DataArray's non-time dims become traces (or heatmap rows).

Everything here reads only metadata and small coordinates (never along
``time``), so it costs nothing on a lazily opened store.

Naming rule for flattened traces: one part per non-time dim, joined by
``-``. A part is the dim's short name followed by the coordinate value
(``ch0``, ``syn3``), or the position when the dim has no coordinate. String
coordinate values stand alone (``EEG1``), since a prefix adds nothing to a
name that is already a label. Short names drop a trailing ``_id``/``-id``
(``syn_id`` -> ``syn``) and abbreviate ``channel`` to ``ch``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import xarray as xr

from loupe_tui.errors import join_names
from loupe_tui.io.time_axis import InputProblem
from loupe_tui.validate import sorted_unique

TIME = "time"
_ABBREVIATIONS = {"channel": "ch", "channels": "ch", "chan": "ch"}


def other_dims(da: xr.DataArray) -> tuple[str, ...]:
    """The non-time dims of ``da``, in the order traces are flattened (C order)."""
    return tuple(str(d) for d in da.dims if d != TIME)


def n_traces(da: xr.DataArray) -> int:
    return int(np.prod([da.sizes[d] for d in other_dims(da)], dtype=np.int64))


def short_dim_name(dim: str) -> str:
    """``channel`` -> ``ch``, ``syn_id`` -> ``syn``, ``dend-ID`` -> ``dend``."""
    base = re.sub(r"[_-]?id$", "", dim, flags=re.IGNORECASE) or dim
    return _ABBREVIATIONS.get(base.lower(), base)


def trace_labels(da: xr.DataArray, dims: Sequence[str] | None = None) -> list[str]:
    """One label per flattened trace (C order over ``dims``), e.g. ``ch0-syn0``."""
    dims = other_dims(da) if dims is None else tuple(dims)
    if not dims:
        return [str(da.name) if da.name is not None else "trace"]
    parts = [[_part(d, v) for v in dim_values(da, d)] for d in dims]
    out = [""]
    for p in parts:
        out = [f"{a}-{b}" if a else b for a in out for b in p]
    return out


def dim_values(da: xr.DataArray, dim: str) -> np.ndarray:
    """Coordinate values along ``dim`` (positions when it has no coordinate)."""
    if dim in da.coords and da.coords[dim].dims == (dim,):
        return np.asarray(da.coords[dim].values)
    return np.arange(da.sizes[dim])


def _part(dim: str, value: object) -> str:
    if isinstance(value, (str, np.str_)):
        return str(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    return f"{short_dim_name(dim)}{value}"


def per_trace_values(da: xr.DataArray, name: str, param: str, dims: Sequence[str] | None = None) -> np.ndarray:
    """Values of coordinate (or dim) ``name`` for each flattened trace.

    A coordinate over a subset of the non-time dims is broadcast, so
    ``order_by="y"`` with ``y(channel)`` works for a ``(channel, syn, time)``
    array. Raises :class:`InputProblem` (message starts with ``param``).
    """
    dims = other_dims(da) if dims is None else tuple(dims)
    if name == TIME:
        raise InputProblem(f"{param}: cannot be 'time' (it must pick a value per trace)")
    if name in da.coords:
        coord = da.coords[name]
        if TIME in coord.dims:
            raise InputProblem(f"{param}: coordinate {name!r} varies along time; it must vary per trace")
        var = coord.variable.set_dims({d: da.sizes[d] for d in dims}) if dims else coord.variable
        return np.asarray(var.transpose(*dims).values).reshape(-1) if dims else np.asarray(var.values).reshape(-1)
    if name in da.dims:
        var = xr.Variable((name,), np.arange(da.sizes[name])).set_dims({d: da.sizes[d] for d in dims})
        return np.asarray(var.transpose(*dims).values).reshape(-1)
    names = [str(c) for c in da.coords if c != TIME] + [d for d in dims if d not in da.coords]
    raise InputProblem(f"{param}: {name!r} is not a coordinate or dim of the array (available: {join_names(names)})")


def sort_order(n: int, keys: np.ndarray | None, descending: bool) -> list[int]:
    """Stable order of ``n`` items by ``keys`` (None keeps natural order)."""
    idx = list(range(n))
    if keys is None:
        return idx[::-1] if descending else idx
    vals = list(keys)
    try:
        return sorted(idx, key=lambda i: _sort_key(vals[i]), reverse=descending)
    except TypeError:
        return sorted(idx, key=lambda i: str(vals[i]), reverse=descending)


def _sort_key(v: object):
    # NaN compares false with everything and breaks sorting: send it last.
    if isinstance(v, (float, np.floating)) and v != v:
        return (1, 0.0)
    return (0, v.item() if isinstance(v, np.generic) else v)


def split_groups(da: xr.DataArray, split_by: str | None) -> list[tuple[object, xr.DataArray]]:
    """Split ``da`` into ``(key, sub-array)`` pairs along a dim or coordinate.

    A dim splits into one sub-array per position (the dim disappears); a
    coordinate over one dim splits that dim into groups of equal value
    (sorted). Sub-arrays are lazy ``isel`` views.
    """
    if split_by is None:
        return [(None, da)]
    if split_by == TIME:
        raise InputProblem("split_by: cannot be 'time'")
    if split_by in da.dims:
        return [(v, da.isel({split_by: i})) for i, v in enumerate(dim_values(da, split_by).tolist())]
    if split_by not in da.coords:
        raise InputProblem(f"split_by: {split_by!r} is not a coordinate or dim of the array "
                           f"(available: {join_names([*da.coords, *da.dims])})")
    coord = da.coords[split_by]
    if coord.ndim != 1 or TIME in coord.dims:
        raise InputProblem(f"split_by: coordinate {split_by!r} must lie along exactly one non-time dim, has dims {coord.dims}")
    dim = coord.dims[0]
    values = np.asarray(coord.values)
    return [(k, da.isel({dim: np.flatnonzero(values == k)})) for k in sorted_unique(values.tolist())]
