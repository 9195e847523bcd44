"""One remote file read in byte ranges: how an EDF/BDF file is read from a URL.

An EDF's data records sit at known offsets, so a window needs one ranged GET of the
records it covers (:mod:`loupe_tui.io.edf.reader` reads a file object with ``read_at``
when it has one). :class:`RemoteFile` has no position shared between threads: the app's
preview, the pyramid build and the spectral prefetch read at once.

An EDF+ file's annotations are a slice of *every* record (120 bytes of each 1 s record,
say), so reading them all is :meth:`RemoteFile.read_strided`: one ranged request per
slice, sent concurrently, when the records are large; whole records, in blocks of
:data:`BLOCK_BYTES`, when they are small (a request per 6 KB record costs more than the
record's bytes). Either way the result is remembered in this machine's cache
(``<cache>/remote-slices/``), keyed by the file's *content* (its ETag and size) and the
slice, so the terminal reads it once and the GL window and every later open read it from
disk. Measured on an 8 h EDF+C night of 1 s records (151 MB; moto's S3 server on this
machine; ``bench/bench_remote_edf.py``): slices 28,800 requests, blocks 5 requests; see
``docs/cohort.md`` for the times.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping

import numpy as np

from loupe_tui.core.fsutil import atomic_write_bytes
from loupe_tui.core.paths import user_cache_dir
from loupe_tui.io.remote.signature import VERSION_FIELDS
from loupe_tui.io.remote.urls import STORAGE_OPTIONS_KEY, filesystem, remote_error

#: A gap between two slices at least this long is skipped (one request per slice); shorter gaps are
#: read through (whole records in blocks). About what a request's round trip costs in bytes on a
#: link of 50 MB/s and 10 concurrent requests of 20 ms (s3fs's connection pool).
SLICE_GAP = 128 << 10
#: Bytes per request when whole records are read (moto's server, which copies the object for each
#: ranged GET, reads an 8 h night's 151 MB in 1.65 s in blocks of 8 MiB, 8 at once, 0.69 s in
#: blocks of 32 MiB, 2 at once; real object stores serve either at the link's speed).
BLOCK_BYTES = 32 << 20
#: Blocks requested together (concurrently), and so held in memory at once.
BLOCKS_AT_ONCE = 2
#: Where :meth:`RemoteFile.read_strided` remembers what it read.
MEMO_FOLDER = "remote-slices"


class RemoteFile:
    """A read-only binary file at ``url``: ``read_at(pos, n)`` (thread-safe), ``size``, ``name``.

    ``seek``/``read`` are there for readers that need them; they share one position.
    """

    def __init__(self, url: str, storage_options: Mapping | None = None):
        self.name = url
        self._fs, self._path = filesystem(url, storage_options)
        try:
            info = self._fs.info(self._path)
        except Exception as exc:
            raise remote_error(url, exc, "cannot open") from exc
        self.size = int(info["size"])
        #: What the bytes are (the object's ETag or checksum, with the size); None when the store
        #: does not say (nothing read from this file is then remembered).
        version = next((str(info[f]).strip('"') for f in VERSION_FIELDS if info.get(f)), None)
        self.version = None if version is None else f"{version}:{self.size}"
        self._pos = 0

    def read_at(self, pos: int, n: int) -> bytes:
        """Bytes ``[pos, pos + n)`` (fewer at the end of the file); one ranged request."""
        end = min(self.size, int(pos) + int(n))
        if end <= pos:
            return b""
        try:
            return self._fs.cat_file(self._path, start=int(pos), end=end)
        except Exception as exc:
            raise remote_error(self.name, exc) from exc

    def read_strided(self, offset: int, stride: int, size: int, count: int, how: str | None = None,
                     remember: bool = True) -> np.ndarray:
        """``count`` slices of ``size`` bytes, ``stride`` bytes apart from ``offset``, as uint8
        ``(count, size)``: an EDF annotation signal's bytes in every record.

        ``how``: ``"slices"`` (a ranged request per slice, concurrently) or ``"blocks"`` (whole
        strides, :data:`BLOCK_BYTES` per request); default by the gap (:data:`SLICE_GAP`).
        With ``remember``, the result is kept in this machine's cache by the file's content and
        read from there next time (by any process).
        """
        memo = self._memo_path(offset, stride, size, count) if remember else None
        if memo is not None:
            try:
                got = np.load(memo)
                if got.shape == (count, size) and got.dtype == np.uint8:
                    return got
            except (OSError, ValueError):
                pass
        how = how or ("slices" if stride - size >= SLICE_GAP else "blocks")
        starts = offset + stride * np.arange(count, dtype=np.int64)
        if how == "slices":
            parts = self._ranges(starts, starts + size)
            out = np.frombuffer(b"".join(parts), np.uint8).reshape(count, size) if count else \
                np.empty((0, size), np.uint8)
        else:
            per = max(1, BLOCK_BYTES // max(stride, 1))
            firsts = list(range(0, count, per))
            out = np.empty((count, size), np.uint8)
            for k in range(0, len(firsts), BLOCKS_AT_ONCE):     # a few blocks in memory at a time
                group = firsts[k:k + BLOCKS_AT_ONCE]
                parts = self._ranges(np.array([starts[i] for i in group], np.int64),
                                     np.array([starts[min(i + per, count) - 1] + size for i in group], np.int64))
                for i, raw in zip(group, parts):
                    n = min(per, count - i)
                    buf = np.frombuffer(raw + b"\0" * (n * stride - len(raw)), np.uint8)[:n * stride]
                    out[i:i + n] = buf.reshape(n, stride)[:, :size]
        if memo is not None:
            try:
                memo.parent.mkdir(parents=True, exist_ok=True)
                buf = io.BytesIO()
                np.save(buf, out)
                atomic_write_bytes(memo, buf.getvalue())
            except OSError:           # an unwritable cache costs the next open a read
                pass
        return out

    def _ranges(self, starts: np.ndarray, ends: np.ndarray) -> list[bytes]:
        """Bytes ``[starts[i], ends[i])`` (each within the file), requested concurrently."""
        if not len(starts):
            return []
        ends = np.minimum(ends, self.size)
        try:
            parts = self._fs.cat_ranges([self._path] * len(starts), [int(a) for a in starts],
                                        [int(b) for b in ends], on_error="raise")
        except Exception as exc:
            raise remote_error(self.name, exc) from exc
        if len(parts) != len(starts) or any(len(p) != b - a for p, a, b in zip(parts, starts, ends)):
            raise remote_error(self.name, OSError("a ranged read came back short"))
        return parts

    def _memo_path(self, *what: int):
        if self.version is None:
            return None
        key = hashlib.blake2b(repr((self.version, *map(int, what))).encode(), digest_size=16).hexdigest()
        return user_cache_dir() / MEMO_FOLDER / f"{key}.npy"

    def seek(self, pos: int, whence: int = 0) -> int:
        self._pos = int(pos) if whence == 0 else self._pos + int(pos) if whence == 1 else self.size + int(pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1) -> bytes:
        n = self.size - self._pos if n is None or n < 0 else n
        out = self.read_at(self._pos, n)
        self._pos += len(out)
        return out

    def close(self) -> None:
        pass


def read_edf_url(url: str, channels=None, derive=None, storage_options: Mapping | None = None):
    """:func:`~loupe_tui.io.edf.recording.read_edf` of the EDF/BDF file at ``url``, read in ranges;
    its groups carry the storage options (for the GL window and the content signature)."""
    from loupe_tui.io.edf.recording import read_edf

    rec = read_edf(RemoteFile(url, storage_options), channels=channels or None, derive=derive or None, name=url)
    for da in rec.groups.values():
        da.encoding[STORAGE_OPTIONS_KEY] = dict(storage_options or {})
    return rec


def open_edf_group_url(url: str, signals, group: str, storage_options: Mapping | None = None):
    """:func:`~loupe_tui.io.edf.recording.open_group` of the EDF/BDF file at ``url``, read in ranges
    (the GL window opens a remote EDF's traces so; its annotations come from this machine's cache)."""
    from loupe_tui.io.edf.recording import open_group

    da = open_group(RemoteFile(url, storage_options), signals, group, name=url)
    da.encoding[STORAGE_OPTIONS_KEY] = dict(storage_options or {})
    return da
