"""Open one variable of a zarr store or netCDF file lazily (``TraceConfig.from_path``).

A URL (``s3://bucket/rec.zarr``, any fsspec URL) opens a zarr store the same way,
chunk by chunk over a file system whose retries are bounded
(:mod:`loupe_tui.io.remote.urls`); nothing is downloaded at open but the metadata.

Opened with ``chunks=None`` (no dask: xarray's own lazy indexing),
``cache=False`` (a read never pins the whole variable in memory) and
``create_default_indexes=False``: by default xarray builds a pandas index for
every dimension coordinate, which reads the whole time coordinate (691 MB for
24 h at 1 kHz) at open time. Without indexes the time coordinate stays on
disk and is checked chunk by chunk later.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from loupe_tui.errors import DataFileError, LoupeConfigError, join_names, one_line
from loupe_tui.io.remote.urls import STORAGE_OPTIONS_KEY, failure, filesystem, is_url, local_path, zarr_store
from loupe_tui.io.xarray_layout import TIME, dim_values
from loupe_tui.io.xarray_source import time_index_range

NETCDF_SUFFIXES = (".nc", ".nc4", ".netcdf", ".cdf", ".h5", ".hdf5")


def open_variable(path: str | Path, group: str | None = None, variable: str | None = None,
                  filter_dict: Mapping[str, object] | None = None,
                  storage_options: Mapping | None = None) -> xr.DataArray:
    """Open ``variable`` of ``group`` in a zarr store or netCDF file, lazily.

    Parameters
    ----------
    path : zarr directory store or netCDF (3 or 4) file, or the URL of a zarr store
        (``s3://bucket/rec.zarr``; any fsspec URL).
    group : group inside the store (None: the root).
    variable : data variable; None picks the only one with a ``time`` dim.
    filter_dict : ``{dim_or_coord: value | list | slice}`` selection by label
        (like ``.sel``: slices include both ends). Dims without a coordinate
        select by position; ``time`` takes a ``slice`` of seconds.
    storage_options : fsspec options for a URL (``endpoint_url``, ``anon`` ...).

    Raises
    ------
    DataFileError
        Missing/unreadable file, missing group or variable (the ones that
        exist are listed), empty variable.
    LoupeConfigError
        A bad ``filter_dict`` entry (named as ``filter_dict['key']``).
    """
    if is_url(str(path)):
        target, engine = _remote_zarr(str(path), storage_options)
        path = str(path)
    else:
        path = target = Path(local_path(str(path)))
        engine = _engine_for(path)
    if group is not None and group.strip("/") not in (groups := _list_groups(target, engine)):
        raise DataFileError(f"{path}: no group {group!r} (groups: {', '.join(groups) or 'none'})")
    try:
        with warnings.catch_warnings():
            # Stores without consolidated metadata open fine; don't warn about it.
            warnings.filterwarnings("ignore", message=".*consolidated metadata.*")
            warnings.filterwarnings("ignore", message=".*Numcodecs codecs are not in the Zarr.*")
            ds = xr.open_dataset(target, engine=engine, group=group, chunks=None, cache=False,
                                 create_default_indexes=False)
    except Exception as exc:
        raise DataFileError(f"{path}: cannot open as {engine}: {failure(exc)}") from exc
    where = f"{path}" + (f" group {group!r}" if group else "")
    da = _pick_variable(ds, variable, where, lambda: _subgroups(target, engine, group), root=not group)
    empty = [d for d in da.dims if da.sizes[d] == 0]
    if empty:
        raise DataFileError(f"{where}: variable {da.name!r} is empty (dim {empty[0]!r} has size 0)")
    da.encoding.setdefault("source", str(path))
    if target is not path:
        da.encoding["source"] = str(path)
        da.encoding[STORAGE_OPTIONS_KEY] = dict(storage_options or {})
    # Where the variable sits, for the cache identity (xarray_source.storage_signature).
    da.encoding["loupe_group"] = (group or "").strip("/")
    if filter_dict:
        da = apply_filter(da, filter_dict)
    return da


def apply_filter(da: xr.DataArray, filter_dict: Mapping[str, object]) -> xr.DataArray:
    """Label-based selection without pandas indexes (see :func:`open_variable`)."""
    if not isinstance(filter_dict, Mapping):
        raise LoupeConfigError(f"filter_dict: must be a dict {{dim: value}}, got {filter_dict!r}")
    for key, value in filter_dict.items():
        param = f"filter_dict[{key!r}]"
        if key == TIME:
            if not isinstance(value, slice) or value.step is not None:
                raise LoupeConfigError(f"{param}: use slice(start_s, stop_s) to select a time range")
            if TIME not in da.coords:
                raise LoupeConfigError(f"{param}: the array has no 'time' coordinate")
            da = da.isel({TIME: time_index_range(da, value.start, value.stop)})
            continue
        if key in da.coords and da.coords[key].ndim == 1 and TIME not in da.coords[key].dims:
            dim = da.coords[key].dims[0]
            labels = np.asarray(da.coords[key].values)
        elif key in da.dims:
            dim, labels = key, dim_values(da, key)
        else:
            raise LoupeConfigError(f"{param}: not a dim or 1-D coordinate of {da.name!r} "
                                   f"(available: {join_names([*da.dims, *da.coords])})")
        positions = _positions(labels, value, param, is_dim=(key == dim))
        da = da.isel({dim: positions})
        if not isinstance(positions, int) and da.sizes[dim] == 0:
            raise LoupeConfigError(f"{param}: selects nothing")
    if TIME in da.dims and da.sizes[TIME] == 0:
        raise LoupeConfigError("filter_dict['time']: selects no samples")
    return da


def _positions(labels: np.ndarray, value: object, param: str, is_dim: bool):
    if isinstance(value, slice):
        if value.step is not None:
            raise LoupeConfigError(f"{param}: slices with a step are not supported")
        mask = np.ones(len(labels), dtype=bool)
        try:
            if value.start is not None:
                mask &= labels >= value.start
            if value.stop is not None:
                mask &= labels <= value.stop
        except TypeError:
            raise LoupeConfigError(f"{param}: cannot compare {value!r} with labels of dtype {labels.dtype}") from None
        return np.flatnonzero(mask)
    if isinstance(value, (list, tuple, np.ndarray)):
        out = []
        for v in value:
            hit = np.flatnonzero(labels == v)
            if hit.size == 0:
                raise LoupeConfigError(f"{param}: no label {v!r} (labels: {_preview(labels)})")
            out.extend(hit.tolist())
        return np.asarray(out, dtype=np.int64)
    hit = np.flatnonzero(labels == value)
    if hit.size == 0:
        raise LoupeConfigError(f"{param}: no label {value!r} (labels: {_preview(labels)})")
    # A scalar on a dimension coordinate drops the dim, as .sel does.
    return int(hit[0]) if is_dim and hit.size == 1 else hit


def _preview(labels: np.ndarray, k: int = 8) -> str:
    items = [repr(v.item() if isinstance(v, np.generic) else v) for v in labels[:k]]
    return ", ".join(items) + (", ..." if len(labels) > k else "")


def _engine_for(path: Path) -> str:
    if not path.exists():
        raise DataFileError(f"{path}: no such file or directory")
    if path.is_dir():
        if any((path / m).exists() for m in ("zarr.json", ".zgroup", ".zarray", ".zmetadata")):
            return "zarr"
        raise DataFileError(f"{path}: directory is not a zarr store (no zarr.json or .zgroup)")
    try:
        with open(path, "rb") as f:
            magic = f.read(8)
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read: {one_line(exc)}") from exc
    if magic.startswith(b"\x89HDF") or magic.startswith(b"CDF"):
        if importlib.util.find_spec("netCDF4"):
            return "netcdf4"
        if magic.startswith(b"\x89HDF") and importlib.util.find_spec("h5py"):
            return "h5netcdf"
        raise DataFileError(f"{path}: reading netCDF needs the netCDF4 package (pip install netCDF4)")
    if path.suffix.lower() in NETCDF_SUFFIXES:
        raise DataFileError(f"{path}: not a netCDF file (no netCDF or HDF5 signature at its start)")
    raise DataFileError(f"{path}: not a zarr store or netCDF file (unknown format)")


def _remote_zarr(url: str, storage_options: Mapping | None):
    """``(store, "zarr")`` for a URL naming a zarr store; a one-line error otherwise."""
    fs, root = filesystem(url, storage_options)
    try:
        found = any(_has(fs, f"{root.rstrip('/')}/{m}") for m in ("zarr.json", ".zgroup", ".zmetadata"))
        if not found and fs.isfile(root):
            raise DataFileError(f"{url}: only zarr stores are read from URLs (for a netCDF file, copy it or "
                                "write it to zarr; EDF/BDF files open from URLs as they are)")
    except DataFileError:
        raise
    except Exception as exc:            # the network, a missing bucket, credentials: one line
        raise DataFileError(f"{url}: cannot open: {failure(exc)}") from exc
    if not found:
        raise DataFileError(f"{url}: no zarr store there (no zarr.json or .zgroup)")
    return zarr_store(url, storage_options), "zarr"


def _has(fs, path: str) -> bool:
    """Whether ``path`` exists; unlike ``fs.exists`` (and HTTP's ``info``), a server that does not
    answer raises. One byte is read: the cheapest request every file system answers alike."""
    try:
        fs.cat_file(path, start=0, end=1)
    except FileNotFoundError:
        return False
    return True


def _list_groups(path, engine: str) -> list[str]:
    """Every group path in the file (nested ones as ``a/b``); ``path`` may be a zarr store object."""
    try:
        if engine == "zarr":
            import zarr

            def walk(g, prefix: str) -> list[str]:
                out = []
                for name, sub in g.groups():
                    full = f"{prefix}{name}"
                    out += [full, *walk(sub, full + "/")]
                return out
            return walk(zarr.open_group(path if not isinstance(path, Path) else str(path), mode="r"), "")
        if engine == "netcdf4":
            import netCDF4

            def walk_nc(g, prefix: str) -> list[str]:
                out = []
                for name, sub in g.groups.items():
                    full = f"{prefix}{name}"
                    out += [full, *walk_nc(sub, full + "/")]
                return out
            with netCDF4.Dataset(str(path), "r") as f:
                return walk_nc(f, "")
        return []
    except Exception as exc:
        raise DataFileError(f"{path}: cannot open as {engine}: {one_line(exc)}") from exc


def _subgroups(path, engine: str, group: str | None) -> list[str]:
    """Group paths below ``group`` (the root when None), as ``group=`` takes them."""
    prefix = "" if not group else group.strip("/") + "/"
    return [g for g in _list_groups(path, engine) if g.startswith(prefix)]


def _pick_variable(ds: xr.Dataset, variable: str | None, where: str,
                   subgroups: Callable[[], list[str]] = list, root: bool = True) -> xr.DataArray:
    names = [str(v) for v in ds.data_vars]

    def groups_hint(problem: str) -> DataFileError:
        # Data often sits in groups: name them rather than say "variables: none".
        subs = subgroups()
        if not subs:
            return DataFileError(f"{where}: {problem}")
        if not names:
            problem = "has no variables" + (" at its root" if root else "")
        return DataFileError(f"{where}: {problem}; its groups are: {join_names(subs)}; pass group=")

    if variable is not None:
        if variable not in ds.data_vars:
            raise groups_hint(f"no variable {variable!r} (variables: {join_names(names)})")
        return ds[variable]
    timed = [v for v in names if TIME in ds[v].dims]
    if len(timed) == 1:
        return ds[timed[0]]
    if not timed:
        raise groups_hint(f"no variable with a 'time' dimension (variables: {join_names(names)})")
    raise DataFileError(f"{where}: several variables have a 'time' dimension, pass variable= one of: {', '.join(timed)}")
