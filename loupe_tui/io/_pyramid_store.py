"""Writing a pyramid to disk: level files, block-by-block cascade, atomic commit.

Kept apart from :mod:`loupe_tui.io.pyramid` (the reader and query side) so
that each says one thing. The writer holds only one block's worth of bins:
levels 0 and 1 come from :func:`_minmax.levels01`, higher levels from the
level below, carrying fewer than ``FACTOR`` bins between blocks.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from pathlib import Path

import numpy as np

from loupe_tui.core.fsutil import fsync_dir
from loupe_tui.io import _minmax
from loupe_tui.io._minmax import BIN0, FACTOR

_TMP = ".tmp-"
_TRASH = ".trash-"


class _LevelFile:
    """One ``(2, n_ch, n_bins)`` float32 ``.npy`` file written in order with ``pwrite``.

    ``pwrite`` from small reused buffers rather than stores into a memmap:
    a fresh mapped page faults on first write, which cost more than the copy.
    """

    def __init__(self, path: Path, n_ch: int, n_bins: int):
        self.n_ch, self.n_bins, self.written = n_ch, n_bins, 0
        with open(path, "wb") as f:
            np.lib.format.write_array_header_1_0(
                f, {"descr": np.dtype(np.float32).str, "fortran_order": False, "shape": (2, n_ch, n_bins)})
            self.offset = f.tell()
            f.truncate(self.offset + 2 * n_ch * n_bins * 4)
        self.fd = os.open(path, os.O_WRONLY)

    def write(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Append ``(n_ch, m)`` bins."""
        for c in range(self.n_ch):
            self.write_channel(c, lo[c], hi[c])
        self.advance(lo.shape[1])

    def write_channel(self, c: int, lo: np.ndarray, hi: np.ndarray) -> None:
        """Write channel ``c``'s next bins; :meth:`advance` once all channels are written."""
        if self.written + lo.shape[0] > self.n_bins:
            raise ValueError("pyramid level overflow: more bins than the recording has")
        for half, row in enumerate((lo, hi)):
            pos = self.offset + ((half * self.n_ch + c) * self.n_bins + self.written) * 4
            _pwrite_all(self.fd, np.ascontiguousarray(row), pos)

    def advance(self, m: int) -> None:
        self.written += m

    def close(self, durable: bool) -> None:
        try:
            if durable:
                os.fsync(self.fd)
        finally:
            os.close(self.fd)


class _ArrayLevel:
    """Same interface as :class:`_LevelFile`, into an in-memory ``(2, n_ch, n_bins)`` array."""

    def __init__(self, n_ch: int, n_bins: int):
        self.n_ch, self.n_bins, self.written = n_ch, n_bins, 0
        self.array = np.empty((2, n_ch, n_bins), np.float32)
        self.array.fill(0)  # touch the pages now, so that writes measure the copy only

    def write(self, lo: np.ndarray, hi: np.ndarray) -> None:
        for c in range(self.n_ch):
            self.write_channel(c, lo[c], hi[c])
        self.advance(lo.shape[1])

    def write_channel(self, c: int, lo: np.ndarray, hi: np.ndarray) -> None:
        self.array[0, c, self.written:self.written + lo.shape[0]] = lo
        self.array[1, c, self.written:self.written + lo.shape[0]] = hi

    def advance(self, m: int) -> None:
        self.written += m

    def close(self, durable: bool) -> None:
        pass


def _pwrite_all(fd: int, row: np.ndarray, pos: int) -> None:
    view = memoryview(row).cast("B")
    while view:
        n = os.pwrite(fd, view, pos)
        view, pos = view[n:], pos + n


def level_bins(n_samples: int) -> list[int]:
    """Bin size (samples) of each level for a recording of ``n_samples``; the top level has one bin."""
    if n_samples <= 0:
        return []
    bins = [BIN0]
    while -(-n_samples // bins[-1]) > 1:
        bins.append(bins[-1] * FACTOR)
    return bins


class PyramidWriter:
    """Consumes a recording's blocks in order and writes every level.

    Parameters
    ----------
    path : Path or None
        Empty directory to write ``levelKK.npy`` into; None keeps the levels
        in memory (``files[k].array``; keep ``files`` before :meth:`finish`),
        for benchmarks.
    n_ch, n_samples : int
        Shape of the recording.

    Every block but the last must be a multiple of ``BIN0 * FACTOR`` samples
    long (levels 0 and 1 are made per block with no carry).
    """

    def __init__(self, path: Path | None, n_ch: int, n_samples: int):
        self.n_ch, self.n_samples, self.seen = n_ch, n_samples, 0
        self.bins = level_bins(n_samples)
        sizes = [-(-n_samples // b) for b in self.bins]
        self.files = ([_ArrayLevel(n_ch, nb) for nb in sizes] if path is None else
                      [_LevelFile(path / f"level{k:02d}.npy", n_ch, nb) for k, nb in enumerate(sizes)])
        # Level k >= 2 waits for FACTOR bins of level k - 1: fewer wait here.
        self._pending: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._buffers: tuple[np.ndarray, ...] = ()

    def push(self, x: np.ndarray) -> None:
        """Add the next ``(n_ch, m)`` block of samples."""
        m = x.shape[1]
        if self.seen % (BIN0 * FACTOR):
            raise ValueError("only the last block may have a length that is not a multiple of "
                             f"{BIN0 * FACTOR}")
        if self.seen + m > self.n_samples:
            raise ValueError("more samples pushed than the recording has")
        if m == 0:
            return
        x = np.ascontiguousarray(x, dtype=np.float32)
        n0, n1 = -(-m // BIN0), -(-m // (BIN0 * FACTOR))
        if not self._buffers or self._buffers[0].shape[1] != n0:
            # Reused between blocks: fresh buffers would page-fault every block.
            # Level 0 is staged one channel at a time so that it is still in
            # L2 when it is copied out (a whole block's level 0 is not).
            self._buffers = (np.empty((1, n0), np.float32), np.empty((1, n0), np.float32),
                             np.empty((self.n_ch, n1), np.float32), np.empty((self.n_ch, n1), np.float32))
        lo0, hi0, lo1, hi1 = self._buffers
        for c in range(self.n_ch):
            _minmax.levels01(x[c:c + 1], lo0, hi0, lo1[c:c + 1], hi1[c:c + 1])
            self.files[0].write_channel(c, lo0[0], hi0[0])
        self.files[0].advance(n0)
        self.seen += m
        if len(self.files) > 1:
            self.files[1].write(lo1, hi1)
            self._up(2, lo1, hi1)

    def _up(self, k: int, lo: np.ndarray, hi: np.ndarray) -> None:
        """Feed bins of level ``k - 1`` to level ``k`` (and on up)."""
        if k >= len(self.files):
            return
        if k in self._pending:
            plo, phi = self._pending.pop(k)
            lo, hi = np.concatenate([plo, lo], axis=1), np.concatenate([phi, hi], axis=1)
        q = lo.shape[1] // FACTOR * FACTOR
        if q < lo.shape[1]:
            self._pending[k] = (lo[:, q:].copy(), hi[:, q:].copy())
        if q:
            self._emit(k, lo[:, :q], hi[:, :q])

    def _emit(self, k: int, lo: np.ndarray, hi: np.ndarray) -> None:
        n = -(-lo.shape[1] // FACTOR)
        olo, ohi = np.empty((self.n_ch, n), np.float32), np.empty((self.n_ch, n), np.float32)
        _minmax.reduce_bins(lo, hi, olo, ohi)
        self.files[k].write(olo, ohi)
        self._up(k + 1, olo, ohi)

    def finish(self, durable: bool = True) -> None:
        """Flush the last partial groups, check every level is complete, close
        (with ``fsync`` when ``durable``, so a committed pyramid survives a crash)."""
        try:
            if self.seen != self.n_samples:
                raise ValueError(f"pyramid got {self.seen} of {self.n_samples} samples")
            for k in range(2, len(self.files)):  # bottom up: a flush feeds the level above
                if k in self._pending:
                    self._emit(k, *self._pending.pop(k))
            for f in self.files:
                if f.written != f.n_bins:
                    raise ValueError(f"pyramid level has {f.written} of {f.n_bins} bins")
        finally:
            self.close(durable)

    def close(self, durable: bool = False) -> None:
        """Close the files (idempotent)."""
        files, self.files = self.files, []
        for f in files:
            f.close(durable)


def temp_dir(root: Path, key: str) -> Path:
    """A fresh build directory that names its host and process, for :func:`remove_stale`."""
    path = root / f"{key}{_TMP}{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
    path.mkdir()
    return path


def commit_dir(tmp: Path, final: Path, meta_json: str) -> None:
    """Write ``meta.json`` into ``tmp`` and rename ``tmp`` to ``final`` atomically.

    An existing ``final`` is first renamed aside and then deleted: processes
    that still map its files keep reading them (POSIX unlink semantics).
    """
    meta = tmp / "meta.json"
    with open(meta, "w") as f:
        f.write(meta_json)
        f.flush()
        os.fsync(f.fileno())
    fsync_dir(tmp)
    trash = None
    if final.exists():
        trash = final.with_name(f"{final.name}{_TRASH}{secrets.token_hex(4)}")
        os.rename(final, trash)
    os.rename(tmp, final)
    fsync_dir(final.parent)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def remove_stale(root: Path) -> None:
    """Delete leftovers of killed builds on this host (their process is gone) and old trash."""
    host = socket.gethostname()
    for p in root.iterdir():
        name = p.name
        if _TRASH in name:
            shutil.rmtree(p, ignore_errors=True)
        elif _TMP in name:
            owner = name.split(_TMP, 1)[1]
            h, _, rest = owner.rpartition("-")[0].rpartition("-")
            pid = rest
            if h == host and pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True
