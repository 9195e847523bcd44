"""Where a DataArray's samples live, as JSON, so another process can open them.

The GL window opens the same files as the terminal app (bulk data never
crosses the link). :func:`describe_array` turns a (lazy) DataArray into
``{"path", "group", "variable", "isel"}``: the file (or URL, with its
``storage_options``) it was opened from and the positions selected from the stored
variable. A rate group of an EDF/BDF file is ``{"path", "variable": its name, "edf": its
signals, "isel"}``: the window reads the file itself, a remote one in ranged requests of the
records a window needs, as the terminal does. Arrays that are not a plain
selection of a zarr/netCDF variable or an EDF group (in memory, computed, renamed) are
written once to the session cache as zarr and described by that copy.
:func:`open_array` is the inverse. Irregular time axes and small arrays
(sample markers, events) are saved as ``.npy``/``.npz`` by content hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from loupe_tui.io.remote.urls import STORAGE_OPTIONS_KEY, is_url
from loupe_tui.io.source import TimeAxis
from loupe_tui.io.xarray_layout import TIME
from loupe_tui.io.xarray_open import open_variable
from loupe_tui.io.xarray_source import backend_array

_SPILL_DIR = "arrays"
_spilled: set[Path] = set()  # spills written by this process: each array is written once


def describe_array(da: xr.DataArray, cache_dir: str | Path) -> dict[str, Any]:
    """JSON description of ``da``'s storage; spills it to ``cache_dir`` when it has no file.

    Parameters
    ----------
    da : DataArray
        Lazily opened (``TraceConfig.from_path``, ``xr.open_zarr`` ...) or in memory.
    cache_dir : path
        Session cache; spilled arrays go to ``<cache_dir>/arrays/<hash>.zarr``.

    Returns
    -------
    dict
        ``{"path", "group", "variable", "isel", "dims"}``; see :func:`open_array`.
    """
    origin = file_origin(da)
    if origin is not None:
        return origin
    return _spill(da, Path(cache_dir))


def open_array(desc: dict[str, Any]) -> xr.DataArray:
    """Open what :func:`describe_array` described (lazily, no sample is read)."""
    if desc.get("edf") is not None:
        full = _open_edf_group(desc)
    else:
        full = open_variable(desc["path"], group=desc.get("group"), variable=desc.get("variable"),
                             storage_options=desc.get("storage_options"))
    da = _select(full, desc)
    if desc.get("name") is not None:
        da = da.rename(desc["name"])
    return da


def file_origin(da: xr.DataArray) -> dict[str, Any] | None:
    """The file, group, variable and positions ``da`` is a lazy selection of, or None.

    Follows xarray's lazy-indexing wrappers down to the zarr or netCDF4
    backend array, whose key says which positions of the stored variable
    ``da`` holds. The answer must account for ``da`` exactly (same name, dims
    and sizes), or None is returned and the caller spills the array instead.
    The file is not opened again: a second handle on an HDF5 file, closed
    while the first is in use, can crash the process.
    """
    try:
        found = _walk_backend(da)
        if found is None:
            return None
        path, group, variable, stored_dims, shape, key, edf = found
        if len(key) != len(stored_dims) or da.name != variable:
            return None
        kept, sizes = [], {}
        for dim, k, n in zip(stored_dims, key, shape):
            if isinstance(k, (int, np.integer)):
                continue  # an integer index drops the dim
            kept.append(dim)
            sizes[dim] = len(range(n)[k]) if isinstance(k, slice) else len(np.asarray(k).ravel())
        if sorted(kept) != sorted(str(d) for d in da.dims) or any(sizes[str(d)] != da.sizes[d] for d in da.dims):
            return None
        isel = {str(d): _json_selector(k) for d, k in zip(stored_dims, key) if not _is_full(k)}
        desc = {"path": path if is_url(path) else str(Path(path).resolve()), "group": group, "variable": variable,
                "isel": isel, "dims": [str(d) for d in da.dims]}
        if edf is not None:
            desc["edf"] = edf
        if is_url(path):   # the GL window reaches the store as the app did
            desc["storage_options"] = dict(da.encoding.get(STORAGE_OPTIONS_KEY) or {})
        return desc
    except Exception:  # any surprise in xarray's internals: fall back to a spill
        return None


def _select(full: xr.DataArray, desc: dict[str, Any]) -> xr.DataArray:
    sel = {d: _selector(v) for d, v in (desc.get("isel") or {}).items()}
    da = full.isel(sel) if sel else full
    dims = tuple(desc.get("dims") or da.dims)
    return da.transpose(*dims) if tuple(da.dims) != dims else da


def _open_edf_group(desc: dict[str, Any]) -> xr.DataArray:
    from loupe_tui.io.edf.recording import open_group

    if is_url(desc["path"]):
        from loupe_tui.io.remote.files import open_edf_group_url

        return open_edf_group_url(desc["path"], desc["edf"], desc["variable"], desc.get("storage_options"))
    return open_group(desc["path"], desc["edf"], desc["variable"])


def _walk_backend(da: xr.DataArray) -> tuple[str, str | None, str, tuple, tuple, tuple, list | None] | None:
    """``(path, group, variable, stored dims, stored shape, key, EDF signals or None)`` of a lazily
    opened variable."""
    from loupe_tui.io.edf.recording import EdfGroupArray

    found = backend_array(da)
    if found is None:
        return None
    x, key = found
    name = type(x).__name__
    edf = None
    if isinstance(x, EdfGroupArray):
        path, group, variable, dims = x.file_name, None, str(da.name), ("channel", "time")
        edf = x.signals()
        if not is_url(path) and not os.path.isfile(path):    # opened from a file object: not reopenable
            return None
    elif name == "ZarrArrayWrapper":
        arr = x._array  # the zarr.Array: its path is "<group>/<variable>"
        root = getattr(arr.store, "root", None)
        if root is None and hasattr(arr.store, "fs"):        # a store read through fsspec: its URL
            root = arr.store.fs.unstrip_protocol(arr.store.path)
        dims = getattr(arr.metadata, "dimension_names", None) or arr.attrs.get("_ARRAY_DIMENSIONS")
        if root is None or not dims:
            return None
        group, _, variable = str(arr.path).rpartition("/")
        path = str(root)
    elif name == "NetCDF4ArrayWrapper":
        store = x.datastore
        path, variable = store._filename, x.variable_name
        group = str(store._group or "").strip("/") or None
        dims = store.ds.variables[variable].dimensions  # through the handle xarray already holds
    else:
        return None
    shape = tuple(int(n) for n in x.shape)
    if key is None:
        key = tuple(slice(None) for _ in shape)
    return path, (group or None), variable, tuple(str(d) for d in dims), shape, key, edf


def _is_full(k) -> bool:
    return isinstance(k, slice) and k == slice(None)


def _json_selector(k):
    if isinstance(k, slice):
        return {"slice": [k.start, k.stop, k.step]}
    if isinstance(k, (int, np.integer)):
        return int(k)
    return [int(i) for i in np.asarray(k).ravel()]


def _selector(v):
    if isinstance(v, dict):
        return slice(*v["slice"])
    return v


def _content_key(da: xr.DataArray) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((da.name, da.dims, da.shape, str(da.dtype))).encode())
    for name, coord in da.coords.items():
        v = np.asarray(coord.values)
        h.update(repr(name).encode())
        h.update(np.ascontiguousarray(v[:: max(1, v.size // 4096)] if v.ndim == 1 else v).tobytes()
                 if v.dtype.kind != "O" else repr(v.tolist()).encode())
    n = da.sizes[TIME]
    step = max(1, n // 4096)
    h.update(np.ascontiguousarray(da.isel({TIME: slice(None, None, step)}).values).tobytes())
    h.update(np.ascontiguousarray(da.isel({TIME: slice(max(0, n - 64), None)}).values).tobytes())
    return h.hexdigest()


def _spill(da: xr.DataArray, cache_dir: Path) -> dict[str, Any]:
    key = _content_key(da)
    var = "data" if "data" not in da.coords else "values"
    dest = cache_dir / _SPILL_DIR / f"{key}.zarr"
    done = dest.with_name(dest.name + ".complete")  # beside the store: zarr warns about strangers inside
    if dest not in _spilled and done.exists():
        _touch(done)                                # in use again: not for prune_spills
    elif dest not in _spilled:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        clean = da.copy(deep=False)
        clean.encoding = {}
        for c in clean.coords.values():
            c.encoding = {}
        clean.to_dataset(name=var).to_zarr(tmp, mode="w", consolidated=False, zarr_format=2)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
        done.write_text(json.dumps({"name": str(da.name)}))
    _spilled.add(dest)
    return {"path": str(dest), "group": None, "variable": var, "isel": {}, "dims": [str(d) for d in da.dims],
            "name": None if da.name is None else str(da.name)}


def describe_time(axis: TimeAxis, cache_dir: str | Path) -> dict[str, Any]:
    """``{"n", "t0", "fs"}`` for a regular axis; an irregular one's times, a segmented one's
    segments go to a ``.npy``."""
    if axis.regular:
        return {"n": int(axis.n), "t0": float(axis.t0), "fs": float(axis.fs)}
    if axis.segments is not None:
        return {"n": int(axis.n), "t0": float(axis.t0), "fs": float(axis.fs),
                "segments": save_array(np.asarray(axis.segments, np.float64), cache_dir)}
    return {"n": int(axis.n), "t0": float(axis.t0), "times": save_array(np.asarray(axis.times), cache_dir)}


def open_time(desc: dict[str, Any]) -> TimeAxis:
    """The :class:`TimeAxis` :func:`describe_time` described (irregular times memory-mapped)."""
    if "times" in desc:
        return TimeAxis(n=int(desc["n"]), t0=float(desc["t0"]), times=np.load(desc["times"], mmap_mode="r"))
    if "segments" in desc:
        return TimeAxis(n=int(desc["n"]), t0=float(desc["t0"]), fs=float(desc["fs"]),
                        segments=np.load(desc["segments"]).reshape(-1, 2))
    return TimeAxis(n=int(desc["n"]), t0=float(desc["t0"]), fs=float(desc["fs"]))


def save_array(a: np.ndarray, cache_dir: str | Path) -> str:
    """Save ``a`` as ``<cache_dir>/arrays/<hash>.npy`` (once per content); return the path."""
    a = np.ascontiguousarray(a)
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((a.shape, str(a.dtype))).encode())
    h.update(a.tobytes())
    dest = Path(cache_dir) / _SPILL_DIR / f"{h.hexdigest()}.npy"
    if dest.exists():
        _touch(dest)
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.stem}.tmp-{os.getpid()}.npy")
        np.save(tmp, a)
        os.replace(tmp, dest)
    return str(dest)


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


#: Spilled arrays not used for this long are removed when a GL window starts.
SPILL_MAX_AGE_DAYS = 14.0


def prune_spills(cache_dir: str | Path, max_age_days: float = SPILL_MAX_AGE_DAYS) -> int:
    """Remove spilled arrays of ``<cache_dir>/arrays`` not written or reused for ``max_age_days``.

    Every use of a spill refreshes its time (:func:`describe_array`, :func:`save_array`),
    so only arrays no session has needed for that long go; leftovers of an
    interrupted spill go after a day. Returns how many entries were removed.
    """
    import time

    folder = Path(cache_dir) / _SPILL_DIR
    if not folder.is_dir():
        return 0
    now, removed = time.time(), 0
    for entry in list(folder.iterdir()):
        name = entry.name
        try:
            age_days = (now - entry.stat().st_mtime) / 86400.0
        except OSError:
            continue
        if name.startswith(".") and ".tmp-" in name:
            stale = age_days > 1.0
        elif name.endswith(".zarr.complete") or name.endswith(".npy"):
            stale = age_days > max_age_days
        else:
            continue                                 # a store: goes with its ".complete" marker
        if not stale:
            continue
        if name.endswith(".zarr.complete"):
            shutil.rmtree(entry.with_name(name[:-len(".complete")]), ignore_errors=True)
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed
