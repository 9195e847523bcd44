"""Decoded video frames kept in memory, least recently used first out, under a byte budget."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np


class FrameCache:
    """Thread-safe LRU of RGB frames bounded by total bytes.

    Parameters
    ----------
    max_bytes : int
        Budget for all frames together; the least recently used go first.
        A single frame larger than the budget is still kept (alone).
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = int(max_bytes)
        self._frames: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> np.ndarray | None:
        """The frame stored under ``key`` (now the most recently used), or None."""
        with self._lock:
            a = self._frames.get(key)
            if a is not None:
                self._frames.move_to_end(key)
            return a

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._frames

    def put(self, key: Hashable, frame: np.ndarray) -> None:
        """Store ``frame``; evicts the least recently used frames over the budget."""
        with self._lock:
            old = self._frames.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._frames[key] = frame
            self._bytes += frame.nbytes
            while self._bytes > self.max_bytes and len(self._frames) > 1:
                _, gone = self._frames.popitem(last=False)
                self._bytes -= gone.nbytes

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._frames)
