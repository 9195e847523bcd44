"""Write a large (dims..., time) zarr array block by block, xarray-readable.

xarray cannot create an array larger than memory without dask, so xarray
writes the first block (which fixes names, dims, coords, attrs and codecs the
way ``xr.open_zarr`` expects) and the arrays are then resized once and filled
through zarr directly, one chunk-aligned block at a time.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import xarray as xr
import zarr
from zarr.codecs import BloscCodec

# An exact float64 ramp i / fs is nearly incompressible for plain zstd (13 %
# of raw), but after byte-shuffling its high bytes repeat: Blosc(zstd,
# shuffle) stores it in ~0.4 % of raw, and Blosc is a Zarr v3 spec codec.
TIME_COMPRESSOR = BloscCodec(cname="zstd", clevel=5, shuffle="shuffle")


def time_ramp(i0: int, i1: int, fs: float, t0: float = 0.0) -> np.ndarray:
    """Sample times ``t0 + i / fs`` for ``i`` in ``[i0, i1)``, exactly as float64 division gives them."""
    t = np.arange(i0, i1, dtype=np.float64) / fs
    return t + t0 if t0 else t


class BlockWriter:
    """Create ``group/var`` (dims ``(..., "time")``) and fill it in time blocks.

    Parameters
    ----------
    store : path of the zarr store (created if missing)
    group : group name inside the store
    var : name of the data variable
    first : ndarray (..., n0)
        The first block; its leading shape is the full leading shape.
    n_total : int
        Final length along time.
    fs : float
        Sample rate; the time coordinate is ``t0 + i / fs``.
    chunk : int
        Time chunk length; every block but the last must be a multiple of it.
    coords : dict
        Coordinates of the leading dims (xarray form).
    attrs : dict
        Attributes of the data variable.
    group_attrs : dict
        Attributes of the group.
    """

    def __init__(self, store: Path, group: str, var: str, first: np.ndarray, n_total: int, fs: float,
                 chunk: int, coords: dict, attrs: dict, group_attrs: dict, t0: float = 0.0) -> None:
        dims = tuple(coords) + ("time",)
        n0 = first.shape[-1]
        time = xr.Variable("time", time_ramp(0, n0, fs, t0), {"units": "s", "long_name": "time on the recording clock"})
        ds = xr.Dataset({var: (dims, first, attrs)}, coords={**coords, "time": time}, attrs=group_attrs)
        enc = {
            var: {"chunks": first.shape[:-1] + (chunk,)},
            "time": {"chunks": (chunk,), "compressors": [TIME_COMPRESSOR]},
        }
        ds.to_zarr(store, group=group, mode="w-", encoding=enc, consolidated=False, zarr_format=3)
        root = zarr.open_group(store, mode="r+")
        self.data = root[f"{group}/{var}"]
        self.time = root[f"{group}/time"]
        self.data.resize(first.shape[:-1] + (n_total,))
        self.time.resize((n_total,))
        self.fs = fs
        self.t0 = t0

    def write(self, i0: int, block: np.ndarray) -> None:
        """Store ``block`` (..., n) at time index ``i0`` and its time stamps."""
        i1 = i0 + block.shape[-1]
        self.data[..., i0:i1] = block
        self.time[i0:i1] = time_ramp(i0, i1, self.fs, self.t0)


def consolidate(store: Path) -> None:
    """Write consolidated metadata so ``xr.open_zarr`` opens the store in one read."""
    with warnings.catch_warnings():
        # zarr warns that consolidated metadata is not in the v3 spec yet;
        # xarray and zarr-python read it, and other readers ignore it.
        warnings.simplefilter("ignore")
        zarr.consolidate_metadata(store)


def stored_bytes(path: Path) -> int:
    """Bytes on disk under ``path`` (a file or a directory tree)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
