"""Writing a pyramid to disk: level files, block-by-block cascade, atomic commit.

Kept apart from :mod:`loupe_tui.io.pyramid` (the reader and query side) so
that each says one thing. The writer holds only one block's worth of bins:
levels 0 and 1 come from :func:`loupe_tui.io.minmax.levels01`, higher levels
from the level below, carrying fewer than ``FACTOR`` bins between blocks.
The level sizes (:func:`level_bins`) and the cache directory's life cycle
(:func:`temp_dir`, :func:`commit_dir`, :func:`remove_stale`) are shared with
the mean pyramid (:mod:`loupe_tui.io.mean_pyramid`).

The computation runs on the caller's thread only. The copies into the page
cache (``pwrite``, which releases the GIL) run on one writer thread, so that
they overlap with the computation of the next bins: the kernels fill
*slabs* (reusable float32 buffers, taken from a free list), the writer
thread writes them out and puts them back on the free list. The number of
slabs bounds both the memory and how far the computation can run ahead; it
waits for a free slab when the writes fall behind. A write error stops the
writer (it then only recycles slabs, so the computation never waits
forever), and the next :meth:`PyramidWriter.push` or
:meth:`PyramidWriter.finish` raises it as a :class:`DataFileError`.
"""

from __future__ import annotations

import os
import queue
import secrets
import shutil
import socket
import threading
from pathlib import Path

import numpy as np

from loupe_tui.core.fsutil import fsync_dir
from loupe_tui.errors import DataFileError, file_error
from loupe_tui.io import minmax
from loupe_tui.io.minmax import BIN0, FACTOR

_TMP = ".tmp-"
_TRASH = ".trash-"

#: Samples of one channel per level-0 slab (a multiple of ``BIN0 * FACTOR``):
#: 1 MiB of level-0 min and max.
SEGMENT = 1 << 19
#: Level-0 slabs: the computation may run this many segments ahead of the writes.
L0_SLABS = 4
#: Slabs for levels 1 and up (one per block).
UP_SLABS = 2


class _LevelFile:
    """One ``(2, n_ch, n_bins)`` float32 ``.npy`` file, written in order with ``pwrite``.

    ``pwrite`` from reused buffers rather than stores into a memmap: a fresh
    mapped page faults on first write, which cost more than the copy.
    """

    def __init__(self, path: Path, n_ch: int, n_bins: int):
        self.n_ch, self.n_bins, self.written = n_ch, n_bins, 0
        with open(path, "wb") as f:
            np.lib.format.write_array_header_1_0(
                f, {"descr": np.dtype(np.float32).str, "fortran_order": False, "shape": (2, n_ch, n_bins)})
            self.offset = f.tell()
            f.truncate(self.offset + 2 * n_ch * n_bins * 4)
        self.fd = os.open(path, os.O_WRONLY)

    def reserve(self, m: int) -> int:
        """Claim the next ``m`` bins of every channel; returns where they start."""
        at = self.written
        if at + m > self.n_bins:
            raise ValueError("pyramid level overflow: more bins than the recording has")
        self.written += m
        return at

    def store(self, c: int | None, lo: np.ndarray, hi: np.ndarray, at: int) -> None:
        """Write bins ``at:at + m`` of channel ``c`` (1-D rows), or of every channel (``c`` None)."""
        if c is None:
            for ci in range(self.n_ch):
                self.store(ci, lo[ci], hi[ci], at)
            return
        for half, row in enumerate((lo, hi)):
            _pwrite_all(self.fd, row, self.offset + ((half * self.n_ch + c) * self.n_bins + at) * 4)

    def close(self, durable: bool) -> None:
        try:
            if durable:
                os.fsync(self.fd)
        finally:
            os.close(self.fd)


class _ArrayLevel(_LevelFile):
    """Same interface, into an in-memory ``(2, n_ch, n_bins)`` array (for benchmarks)."""

    def __init__(self, n_ch: int, n_bins: int):
        self.n_ch, self.n_bins, self.written = n_ch, n_bins, 0
        self.array = np.empty((2, n_ch, n_bins), np.float32)
        self.array.fill(0)  # touch the pages now, so that writes measure the copy only

    def store(self, c: int | None, lo: np.ndarray, hi: np.ndarray, at: int) -> None:
        rows = slice(None) if c is None else c
        self.array[0, rows, at:at + lo.shape[-1]] = lo
        self.array[1, rows, at:at + lo.shape[-1]] = hi

    def close(self, durable: bool) -> None:
        pass


def _pwrite_all(fd: int, row: np.ndarray, pos: int) -> None:
    view = memoryview(row).cast("B")
    while view:
        n = os.pwrite(fd, view, pos)
        view, pos = view[n:], pos + n


class _Slab:
    """A reusable float32 buffer and the writes queued from it.

    The computation takes ``(lo, hi)`` views from it with :meth:`take`, adds
    the writes to :attr:`jobs` and submits it; whoever runs the jobs puts it
    back on its free list.
    """

    __slots__ = ("buf", "used", "jobs", "free")

    def __init__(self, n: int, free: queue.LifoQueue):
        self.buf, self.used, self.jobs, self.free = np.empty(n, np.float32), 0, [], free

    def take(self, n_ch: int, m: int) -> tuple[np.ndarray, np.ndarray]:
        k = n_ch * m
        if self.used + 2 * k > self.buf.size:  # cannot happen with the sizes PyramidWriter uses
            raise AssertionError("pyramid slab overflow")
        a = self.buf[self.used:self.used + 2 * k]
        self.used += 2 * k
        return a[:k].reshape(n_ch, m), a[k:].reshape(n_ch, m)

    def run(self) -> None:
        for level, c, lo, hi, at in self.jobs:
            level.store(c, lo, hi, at)

    def release(self) -> None:
        self.jobs.clear()
        self.used = 0
        self.free.put(self)


class _Inline:
    """Runs a slab's writes at once, on the calling thread."""

    error: BaseException | None = None

    def submit(self, slab: _Slab) -> None:
        try:
            if self.error is None:
                slab.run()
        except Exception as exc:
            self.error = exc
        finally:
            slab.release()

    def stop(self, abort: bool) -> None:
        pass


class _WriterThread(_Inline):
    """Runs slabs' writes in order on one thread; the first error is kept in :attr:`error`."""

    def __init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._abort = False
        self.thread = threading.Thread(target=self._loop, name="loupe-pyramid-writer", daemon=True)
        self.thread.start()

    def submit(self, slab: _Slab) -> None:
        self._queue.put(slab)

    def _loop(self) -> None:
        while True:
            slab = self._queue.get()
            if slab is None:
                return
            try:
                if self.error is None and not self._abort:
                    slab.run()
            except BaseException as exc:  # kept for the computing thread, which raises it
                self.error = exc
            finally:
                slab.release()  # also after an error: the computation never waits forever

    def stop(self, abort: bool) -> None:
        """Finish the queued writes (drop them when ``abort``) and end the thread."""
        if abort:
            self._abort = True
        if self.thread.is_alive():
            self._queue.put(None)
            self.thread.join()


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
    threaded : bool
        Write the files on a writer thread (default), overlapping the
        ``pwrite`` copies with the computation; False writes on the calling
        thread. In-memory levels are always copied on the calling thread.

    Every block but the last must be a multiple of ``BIN0 * FACTOR`` samples
    long (levels 0 and 1 are made per block with no carry).

    Memory: ``L0_SLABS`` level-0 slabs of ``SEGMENT / BIN0`` bins (min and
    max, 4 MiB) and ``UP_SLABS`` slabs for one block's bins of levels 1 and
    up (about 1/14 of a block each), whatever the recording length.
    """

    def __init__(self, path: Path | None, n_ch: int, n_samples: int, threaded: bool = True):
        self.path, self.n_ch, self.n_samples, self.seen = path, n_ch, n_samples, 0
        self.bins = level_bins(n_samples)
        sizes = [-(-n_samples // b) for b in self.bins]
        self.files: list[_LevelFile] = []
        self._sink: _Inline = _Inline()
        if path is None:
            self.files = [_ArrayLevel(n_ch, nb) for nb in sizes]
        else:
            try:
                for k, nb in enumerate(sizes):
                    self.files.append(_LevelFile(path / f"level{k:02d}.npy", n_ch, nb))
            except BaseException:
                self.close()
                raise
            if threaded:
                self._sink = _WriterThread()
        # Level k >= 2 waits for FACTOR bins of level k - 1: fewer wait in _carry[k].
        self._carry = {k: np.empty((2, n_ch, FACTOR), np.float32) for k in range(2, len(self.files))}
        self._ncarry = dict.fromkeys(self._carry, 0)
        self._scratch: dict[int, np.ndarray] = {}
        self._free0: queue.LifoQueue = queue.LifoQueue()
        self._free1: queue.LifoQueue = queue.LifoQueue()
        self._n1_cap = -1  # level-1 bins per block the up slabs are sized for
        self._n_slabs, self._segment = (0, 0), SEGMENT

    def push(self, x: np.ndarray) -> None:
        """Add the next ``(n_ch, m)`` block of samples."""
        self._check()
        m = x.shape[1]
        if self.seen % (BIN0 * FACTOR):
            raise ValueError("only the last block may have a length that is not a multiple of "
                             f"{BIN0 * FACTOR}")
        if self.seen + m > self.n_samples:
            raise ValueError("more samples pushed than the recording has")
        if m == 0:
            return
        x = np.ascontiguousarray(x, dtype=np.float32)
        n1 = -(-m // (BIN0 * FACTOR))
        if n1 > self._n1_cap:
            self._size_slabs(n1)
        up = self._slab(self._free1)
        lo1, hi1 = up.take(self.n_ch, n1)
        at0 = self.files[0].reserve(-(-m // BIN0))
        for c in range(self.n_ch):
            for s in range(0, m, self._segment):
                e = min(s + self._segment, m)
                slab = self._slab(self._free0)
                lo0, hi0 = slab.take(1, -(-(e - s) // BIN0))
                g0, g1 = s // (BIN0 * FACTOR), -(-e // (BIN0 * FACTOR))
                minmax.levels01(x[c:c + 1, s:e], lo0, hi0, lo1[c:c + 1, g0:g1], hi1[c:c + 1, g0:g1])
                slab.jobs.append((self.files[0], c, lo0[0], hi0[0], at0 + s // BIN0))
                self._sink.submit(slab)
        self.seen += m
        if len(self.files) > 1:
            up.jobs.append((self.files[1], None, lo1, hi1, self.files[1].reserve(n1)))
            self._up(2, lo1, hi1, up)
        self._sink.submit(up)  # after the cascade has read lo1/hi1
        self._check()

    def _size_slabs(self, n1: int) -> None:
        """(Re)make the slabs for blocks of up to ``n1`` level-1 bins."""
        self._drain()
        # Levels >= 2 emit at most n1/8 + 1, n1/64 + 1, ... bins per block.
        up = n1 + sum(n1 // FACTOR ** j + 1 for j in range(1, len(self.files)))
        self._free0, self._free1 = queue.LifoQueue(), queue.LifoQueue()
        self._n_slabs, self._segment = (L0_SLABS, UP_SLABS), SEGMENT
        for _ in range(L0_SLABS):
            self._free0.put(_Slab(2 * (SEGMENT // BIN0), self._free0))
        for _ in range(UP_SLABS):
            self._free1.put(_Slab(2 * self.n_ch * up, self._free1))
        self._n1_cap = n1

    def _drain(self) -> None:
        """Wait until every slab is back, i.e. every submitted write is done."""
        for free, n in zip((self._free0, self._free1), self._n_slabs):
            held = [self._slab(free) for _ in range(n)]
            for s in held:
                free.put(s)

    def _slab(self, free: queue.LifoQueue) -> _Slab:
        """A free slab; waits while all are being written."""
        while True:
            try:
                return free.get(timeout=1.0)
            except queue.Empty:
                t = getattr(self._sink, "thread", None)
                if t is None or not t.is_alive():
                    self._check()
                    raise RuntimeError("pyramid writer thread ended with writes pending") from None

    def _check(self) -> None:
        """Raise the writer's first error, a file error as :class:`DataFileError`."""
        exc = self._sink.error
        if exc is None:
            return
        if isinstance(exc, OSError):
            where = self.path if self.path is not None else "pyramid"
            raise file_error(DataFileError, where,
                             f"cannot write the pyramid cache ({exc.strerror or exc})") from exc
        raise exc

    def _up(self, k: int, lo: np.ndarray, hi: np.ndarray, slab: _Slab) -> None:
        """Feed bins of level ``k - 1`` to level ``k`` (and on up); outputs go into ``slab``."""
        if k >= len(self.files):
            return
        r = self._ncarry[k]
        if r:
            m = r + lo.shape[1]
            s = self._scratch.get(k)
            if s is None or s.shape[2] < m:
                s = self._scratch[k] = np.empty((2, self.n_ch, m), np.float32)
            s[:, :, :r] = self._carry[k][:, :, :r]
            s[0, :, r:m], s[1, :, r:m] = lo, hi
            lo, hi = s[0, :, :m], s[1, :, :m]
        q = lo.shape[1] // FACTOR * FACTOR
        r = self._ncarry[k] = lo.shape[1] - q
        if r:
            self._carry[k][0, :, :r], self._carry[k][1, :, :r] = lo[:, q:], hi[:, q:]
        if q:
            self._emit(k, lo[:, :q], hi[:, :q], slab)

    def _emit(self, k: int, lo: np.ndarray, hi: np.ndarray, slab: _Slab) -> None:
        n = -(-lo.shape[1] // FACTOR)
        olo, ohi = slab.take(self.n_ch, n)
        minmax.reduce_bins(lo, hi, olo, ohi)
        slab.jobs.append((self.files[k], None, olo, ohi, self.files[k].reserve(n)))
        self._up(k + 1, olo, ohi, slab)

    def finish(self, durable: bool = True) -> None:
        """Flush the last partial groups, wait for the writes, check every level
        is complete, close (with ``fsync`` when ``durable``, so a committed
        pyramid survives a crash)."""
        ok = False
        try:
            self._check()
            if self.seen != self.n_samples:
                raise ValueError(f"pyramid got {self.seen} of {self.n_samples} samples")
            if any(self._ncarry.values()):
                up = self._slab(self._free1)
                for k in range(2, len(self.files)):  # bottom up: a flush feeds the level above
                    r = self._ncarry[k]
                    if r:
                        self._ncarry[k] = 0
                        self._emit(k, self._carry[k][0, :, :r], self._carry[k][1, :, :r], up)
                self._sink.submit(up)
            self._sink.stop(abort=False)
            self._check()
            for f in self.files:
                if f.written != f.n_bins:
                    raise ValueError(f"pyramid level has {f.written} of {f.n_bins} bins")
            ok = True
        finally:
            self.close(durable and ok)

    def close(self, durable: bool = False) -> None:
        """Stop the writer thread (dropping queued writes unless finished) and
        close the files; idempotent."""
        self._sink.stop(abort=True)  # before closing: the thread must not write to a closed fd
        files, self.files = self.files, []
        first = None
        for f in files:
            try:
                f.close(durable)
            except OSError as exc:  # close the others anyway
                first = first or exc
        if first is not None:
            self._sink.error = first
            self._check()


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
