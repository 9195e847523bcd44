"""A TraceSource view that keeps the last few decoded storage chunks, for the window's spectrogram.

A short window's spectrogram is computed from the samples
(``Spectrogram.page``): about 12 s of one channel per 10 s page. A zarr
chunk holds far more than that (1 M samples of every channel in the demo),
and reading any part of it decodes all of it: 20 ms of a 26 ms page went to
decoding the same chunk again for every page of a run. This view reads
whole chunk-aligned blocks of the channels asked for and keeps the last
``keep`` of them, so paging through a chunk decodes it once (the page's
neighbours, prefetched, are in it too).

Reads longer than a block (a cache build walks the whole recording) go
straight to the source. Thread-safe: the window's page thread and the
spectrogram's prefetch thread share it; a block is read under the lock, so
two threads wanting the same block decode it once.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import numpy as np

#: A block is whole storage chunks (``preferred_block``), at least this many samples.
MIN_BLOCK = 1 << 18
#: Blocks kept (each ``block`` float32 samples per channel: 4 MB for 1 M samples).
KEEP = 4


class ChunkCache:
    """Reads of ``source`` through a small cache of chunk-aligned blocks (see the module doc).

    It answers what the spectral estimates ask of a
    :class:`~loupe_tui.io.source.TraceSource`: ``time``, ``names``, ``fingerprint``,
    ``n_samples``, ``n_channels`` and ``read``.
    """

    def __init__(self, source, keep: int = KEEP):
        self._src = source
        self.time, self.names, self.fingerprint = source.time, source.names, source.fingerprint
        self.n_samples, self.n_channels = source.n_samples, source.n_channels
        chunk = max(int(getattr(source, "preferred_block", MIN_BLOCK)), 1)
        self.block = chunk * math.ceil(MIN_BLOCK / chunk)
        self.preferred_block = self.block
        self._keep = max(int(keep), 1)
        self._blocks: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, i0: int, i1: int, channels=None) -> np.ndarray:
        """Samples ``[i0, i1)`` of ``channels`` (a list of positions, one position or None: all)
        as float32 ``(n_ch, i1 - i0)``; read-only when served from the cache."""
        i0, i1 = max(0, int(i0)), min(self.n_samples, int(i1))
        if isinstance(channels, slice) or i1 - i0 > self.block or i1 <= i0:
            return self._src.read(i0, i1, channels)
        chans = tuple(range(self.n_channels)) if channels is None else \
            tuple(int(c) for c in np.atleast_1d(channels))
        parts = []
        for b in range(i0 // self.block, (i1 - 1) // self.block + 1):
            start = b * self.block
            parts.append(self._get(b, chans)[:, max(i0 - start, 0): i1 - start])
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

    def _get(self, b: int, chans: tuple) -> np.ndarray:
        key = (b, chans)
        with self._lock:
            hit = self._blocks.get(key)
            if hit is not None:
                self._blocks.move_to_end(key)
                return hit
            start = b * self.block
            block = self._src.read(start, min(start + self.block, self.n_samples), list(chans))
            block.flags.writeable = False
            self._blocks[key] = block
            while len(self._blocks) > self._keep:
                self._blocks.popitem(last=False)
            return block
