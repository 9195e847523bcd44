"""GL-free preparation for the spectral panels: spectrogram colours, frequency ticks, option checks.

The estimates themselves come from :mod:`loupe_tui.io.spectral.cache`
(``Spectrogram.page``/``overview``, ``SpectrumImage.on_rows``: row 0 the
lowest frequency, NaN where no estimate covers a column). Here they become
an RGBA image with the highest frequency in row 0 (the top of a texture as
:class:`render.visuals.image.ImageQuad` draws it) and NaN transparent, so
columns without data show the panel's background.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable

import numpy as np

from loupe_tui.io.spectral.cache import LIMIT_PCT
from loupe_tui.colormaps import TRANSPARENT, lut, map_values

#: Hz steps a frequency scale may use (1-2-5).
FREQ_STEPS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0)
#: Rows of a spectrogram texture at most (one per pixel row below that).
MAX_ROWS = 512


def spectrum_rgba(rows: np.ndarray, limits: tuple[float, float], cmap: str) -> np.ndarray:
    """Colour ``(n_rows, n_cols)`` log10 densities (row 0 the lowest frequency) through ``cmap``
    between ``limits``: ``(n_rows, n_cols, 4)`` uint8 with row 0 the HIGHEST frequency (a
    texture's top), NaN transparent."""
    lo, hi = float(limits[0]), float(limits[1])
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        lo, hi = (lo, lo + 1.0) if math.isfinite(lo) else (0.0, 1.0)
    return map_values(np.asarray(rows, np.float32)[::-1], lo, hi, lut(cmap), nan_color=TRANSPARENT)


def freq_ticks(fmin: float, fmax: float, height_px: float, min_px: float = 16.0) -> np.ndarray:
    """Round frequencies in ``[fmin, fmax]`` at least ``min_px`` apart on a ``height_px`` scale:
    the smallest 1-2-5 step that leaves that room, at multiples of the step."""
    span = float(fmax) - float(fmin)
    if not span > 0 or height_px <= 0:
        return np.zeros(0)
    want = span * min_px / height_px
    step = next((s for s in FREQ_STEPS if s >= want), FREQ_STEPS[-1] * math.ceil(want / FREQ_STEPS[-1]))
    first = math.ceil(fmin / step - 1e-9) * step
    return np.arange(first, fmax + 1e-9 * step, step)


def freq_label(f: float) -> str:
    """``"10"``, ``"0.5"``: a tick's frequency without a trailing ``.0``."""
    return f"{f:g}"


def check_limits_pct(value) -> tuple[float, float]:
    """``limits_pct`` as ``(lo, hi)`` percentiles, ``0 <= lo < hi <= 100``; ValueError otherwise."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"limits_pct: needs [lo, hi] percentiles, got {value!r}") from None
    if not (0.0 <= lo < hi <= 100.0):
        raise ValueError(f"limits_pct: needs 0 <= lo < hi <= 100, got [{lo:g}, {hi:g}]")
    return lo, hi


def clipped(values: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    """Per-column values pinned to ``limits`` (NaN kept): outliers sit on the panel's edge
    instead of leaving it."""
    with np.errstate(invalid="ignore"):
        return np.clip(np.asarray(values, np.float32), limits[0], limits[1])




class PageFetcher:
    """One daemon thread computing the newest page asked for (``fetch(key)``), so that a page that
    is not cached yet (a short window's fine spectrogram reads and transforms ~12 s of samples:
    20-30 ms) never holds up a frame; older wishes are dropped. Only the newest result is kept.

    Under a held key (a wish less than ``settle_s`` after the one before) a wish waits until no
    newer one has come for ``settle_s`` before it is fetched, and :meth:`get` does not wait for
    it: pages flipped past are never computed, and their computing never slows the flips.

    Parameters
    ----------
    fetch : callable(key) -> result
        Runs on the thread; an exception is kept as the result.
    settle_s : float
        See above.
    """

    #: The thread ends after this long without a wish (a panel of a replaced session leaves none).
    IDLE_S = 30.0

    def __init__(self, fetch: Callable[[Hashable], object], settle_s: float = 0.15):
        self._fetch = fetch
        self.settle_s = float(settle_s)
        self._cv = threading.Condition()
        self._wanted: Hashable | None = None
        self._wanted_at = -math.inf               # when the newest wish came (monotonic s)
        self._rapid = False                       # ... less than settle_s after the one before
        self._busy: Hashable | None = None
        self._done: tuple | None = None          # (key, result)
        self._thread: threading.Thread | None = None

    def get(self, key: Hashable, wait_s: float = 0.0):
        """The result for ``key`` if it is ready within ``wait_s`` seconds (not waited for under a
        held key), else None: it is computed in the background, :meth:`take` it later."""
        with self._cv:
            if self._done is None or self._done[0] != key:
                if self._busy != key:
                    now = time.monotonic()
                    self._rapid = now - self._wanted_at < self.settle_s
                    self._wanted, self._wanted_at = key, now
                    if self._thread is None:
                        self._thread = threading.Thread(target=self._run, name="spectral-page", daemon=True)
                        self._thread.start()
                    self._cv.notify_all()
                    if self._rapid:
                        wait_s = 0.0
                self._cv.wait_for(lambda: self._done is not None and self._done[0] == key, timeout=wait_s)
            return self._done[1] if self._done is not None and self._done[0] == key else None

    def take(self, key: Hashable):
        """The result for ``key`` if it is ready, else None (never waits)."""
        with self._cv:
            return self._done[1] if self._done is not None and self._done[0] == key else None

    def _run(self) -> None:
        while True:
            with self._cv:
                if not self._cv.wait_for(lambda: self._wanted is not None, timeout=self.IDLE_S):
                    self._thread = None      # idle: gone (the next wish starts another)
                    return
                while self._rapid:             # a held key: wait until the wishes stop
                    left = self._wanted_at + self.settle_s - time.monotonic()
                    if left <= 0:
                        break
                    self._cv.wait(left)
                key, self._wanted = self._wanted, None
                self._busy = key
            try:
                result = self._fetch(key)
            except Exception as exc:  # noqa: BLE001 - handed to the caller, which keeps what it shows
                result = exc
            with self._cv:
                self._busy = None
                self._done = (key, result)
                self._cv.notify_all()


__all__ = ["FREQ_STEPS", "LIMIT_PCT", "MAX_ROWS", "PageFetcher", "check_limits_pct", "clipped", "freq_label",
           "freq_ticks", "spectrum_rgba"]
