"""The window spectrogram's images, without ever computing one on the UI thread.

``Spectrogram.page`` computes a short window's fine columns from the samples
on a cache miss (about 20 ms for a 10 s page: more than a page flip may
take). :class:`PageImages` calls it in a thread of its own and keeps what
it got: the page asked for, then the pages before and after it, so that
paging on finds the next page here and draws it at once (a dictionary
lookup: even a round trip to a thread costs milliseconds on a loaded
machine). A page not here yet is drawn from the window's cached epochs
(``Spectrogram.image``, a fraction of a millisecond) and ``on_ready`` is
called from the thread when its fine columns are computed.

The thread waits a little before it computes (:data:`DELAY_S`), so that
its work never competes with the flip's own drawing for the CPU: the page
asked for after :data:`DELAY_S` [0] (pages flipped past meanwhile, as under
key repeat, are never computed), its neighbours after :data:`DELAY_S` [1].
No Textual here.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from loupe_tui.errors import LoupeError
from loupe_tui.io.spectral.cache import FINE_BELOW, Spectrogram, SpectrumImage

#: Seconds before the thread computes the page asked for, and before it computes its neighbours.
DELAY_S = (0.03, 0.05)
#: Fine pages kept here.
KEEP = 16

Key = tuple[float, float, int]


class PageImages:
    """Images of windows of ``spectrogram``; ``on_ready(key)`` (from a thread) when the page of ``key``
    (``(t0, t1, n_cols)``), which :meth:`image` could not give at once, is computed, or failed
    (:attr:`error` says why; it is not asked again)."""

    def __init__(self, spectrogram: Spectrogram, on_ready: Callable[[Key], None],
                 delays: tuple[float, float] = DELAY_S):
        self.spectrogram = spectrogram
        self._on_ready = on_ready
        self._delays = delays
        self._done: OrderedDict[Key, SpectrumImage] = OrderedDict()
        self._failed: set[Key] = set()
        self._todo: list[tuple[float, Key]] = []   # (not before, page): the page asked for, its neighbours
        self._late: Key | None = None              # the page image() gave the cached epochs for
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.error: str | None = None              # the last failure, one line (the views say it)

    def image(self, t0: float, t1: float, n_cols: int) -> tuple[SpectrumImage, bool]:
        """``(image, fine)``: the window's spectrogram, and whether it is the final one (False: the
        cached epochs, drawn until the fine page is computed; ``on_ready`` follows)."""
        spec = self.spectrogram
        if (t1 - t0) / spec.step_s >= FINE_BELOW:          # the cached epochs are fine enough: cheap
            return spec.page(t0, t1, n_cols), True
        key = (float(t0), float(t1), int(n_cols))
        with self._cv:
            hit = self._done.get(key)
            if hit is not None:
                self._done.move_to_end(key)
            self._late = None if hit is not None or key in self._failed else key
            self._want(key)
        if hit is not None:
            return hit, True
        return spec.image(t0, t1, n_cols), False

    def close(self) -> None:
        """Stop the thread (after the page it computes, if any)."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()

    def _want(self, key: Key) -> None:
        """Plan ``key`` and then its neighbours (those not here yet); older plans are dropped."""
        t0, t1, n = key
        span, spec, now = t1 - t0, self.spectrogram, time.monotonic()
        near = [k for k in ((t0 + span, t1 + span, n), (t0 - span, t1 - span, n))
                if k[1] > spec.first and k[0] < spec.t_end]
        plan = [(now + self._delays[0], key)] + [(now + self._delays[1], k) for k in near]
        self._todo = [(at, k) for at, k in plan if k not in self._done and k not in self._failed]
        if self._todo:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="spectral-page", daemon=True)
                self._thread.start()
            self._cv.notify_all()

    def _next(self) -> Key | None:
        """The next page to compute, once its time has come (None: closed). Holds the lock."""
        while not self._closed:
            if not self._todo:
                self._cv.wait()
                continue
            at, key = self._todo[0]
            wait = at - time.monotonic()
            if wait <= 0:
                self._todo.pop(0)
                return key
            self._cv.wait(wait)                 # a newer plan may come meanwhile
        return None

    def _run(self) -> None:
        while True:
            with self._cv:
                key = self._next()
            if key is None:
                return
            try:
                img, problem = self.spectrogram.page(*key), None
            except (LoupeError, OSError, ValueError) as exc:
                img, problem = None, f"window spectrogram: {exc}"
            with self._cv:
                if img is None:
                    self.error = problem
                    self._failed.add(key)
                else:
                    self._done[key] = img
                    while len(self._done) > KEEP:
                        self._done.popitem(last=False)
                late = self._late == key
                if late:
                    self._late = None
            if late:
                self._on_ready(key)
