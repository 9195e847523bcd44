"""Long work of the main screen that runs in thread workers: the trace pyramids (raw and filtered), the
spectral views.

No widget is touched here: results go back through callbacks that the app
calls on its own thread (``app.call_from_thread``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.worker import get_current_worker

from loupe_tui.errors import LoupeError
from loupe_tui.io.pyramid import Pyramid


def poster(app, worker) -> Callable:
    """``post(fn, *args)``: call ``fn(*args)`` on the app's thread, unless the worker was cancelled or the
    app has gone."""
    def post(fn, *args) -> None:
        if not worker.is_cancelled:
            try:
                app.call_from_thread(fn, *args)
            except RuntimeError:      # the app has gone
                pass
    return post


def prepare_pyramids(context, app, on_progress: Callable[[str], None], on_error: Callable[[str, str], None],
                     on_ready: Callable[[list, list], None]) -> None:
    """Open or build the pyramid of each trace source of ``context``, then ``on_ready(traces, pyramids)``.

    Runs in a thread worker; the build stops (nothing cached) when the
    worker is cancelled (the app quits). Progress at most every 0.1 s.
    """
    worker = get_current_worker()
    post = poster(app, worker)
    try:
        traces = context.preview_traces()
    except LoupeError as exc:
        post(on_error, str(exc), "error")
        traces = []
    pyramids, built = [], {}
    sources = list(dict.fromkeys(id(t.source) for t in traces))
    last = [0.0]
    for t in traces:
        key = id(t.source)
        if key not in built:
            k = sources.index(key)

            def progress(frac: float, what: str, k=k, name=t.name) -> None:
                now = time.monotonic()
                if now - last[0] > 0.1 or frac >= 1.0:
                    last[0] = now
                    post(on_progress, f"{name}: {what} {100 * frac:.0f} % (source {k + 1}/{len(sources)})")

            try:
                built[key] = Pyramid.open_or_build(t.source, context.cache_dir, progress=progress,
                                                   cancel=lambda: worker.is_cancelled)
            except LoupeError as exc:
                post(on_error, f"trace preview: {exc}", "error")
                built[key] = None
        if worker.is_cancelled:
            return
        pyramids.append(built[key])
    post(on_ready, traces, pyramids)


def prepare_spectral(configs: list, epoch_s: float, cache_dir, app, on_progress: Callable[[str], None],
                     on_error: Callable[[str, str], None], on_ready: Callable[[list], None]) -> None:
    """Open (building when missing) the spectral views of each SpectrogramConfig, then ``on_ready(views)``.

    Runs in a thread worker; a build stops (nothing cached) when the worker is
    cancelled (the app quits). Progress at most every 0.1 s; a config that
    fails is left out and named in one line, the others still open.
    """
    worker = get_current_worker()
    post = poster(app, worker)
    last = [0.0]

    def progress(frac: float, what: str) -> None:
        now = time.monotonic()
        if now - last[0] > 0.1 or frac >= 1.0:
            last[0] = now
            post(on_progress, f"{what} {100 * frac:.0f} %")

    views = []
    for cfg in configs:
        try:
            views.append(cfg.open(epoch_s, cache_dir=cache_dir, progress=progress,
                                  cancel=lambda: worker.is_cancelled))
        except LoupeError as exc:
            if worker.is_cancelled:
                return
            post(on_error, f"spectral views: {exc}", "error")
        except (OSError, ValueError, MemoryError) as exc:   # a full disk, a bad file: one line, not a traceback
            post(on_error, f"spectral views: {type(exc).__name__}: {exc}", "error")
        if worker.is_cancelled:
            return
    post(on_ready, views)


def prepare_filtered(sources: list, cache_dir, app, on_progress: Callable[[str], None],
                     on_error: Callable[[str, str], None], on_ready: Callable[[str, object], None]) -> None:
    """Open or build the pyramid of each ``(name, FilteredSource)`` of ``sources``, calling
    ``on_ready(fingerprint, pyramid)`` for each (``pyramid`` None when it failed, said in one line).

    Runs in a thread worker; a build stops (nothing cached) when the worker is
    cancelled (the chains changed again, the app quits). Progress at most every 0.1 s.
    """
    worker = get_current_worker()
    post = poster(app, worker)
    last = [0.0]
    for k, (name, fsrc) in enumerate(sources):
        def progress(frac: float, what: str, name=name, k=k) -> None:
            now = time.monotonic()
            if now - last[0] > 0.1 or frac >= 1.0:
                last[0] = now
                post(on_progress, f"{name}: {what} {100 * frac:.0f} % ({k + 1}/{len(sources)})")

        fp = fsrc.fingerprint
        try:
            pyr = Pyramid.open_or_build(fsrc, cache_dir, progress=progress, cancel=lambda: worker.is_cancelled)
        except LoupeError as exc:
            if worker.is_cancelled:
                return
            post(on_error, f"display filter {name}: {exc}", "error")
            pyr = None
        except (OSError, ValueError, MemoryError) as exc:   # a full disk, a source gone: one line
            post(on_error, f"display filter {name}: {type(exc).__name__}: {exc}", "error")
            pyr = None
        if worker.is_cancelled:
            return
        post(on_ready, fp, pyr)
