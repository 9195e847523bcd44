"""The terminal scorer on the 24 h demo with 21,600 labels: a state keypress and a page flip.

The app runs headless under Textual's test harness (``App.run_test``) at
160x45, terminal views only (no GL window). Each sample is timed from the key
to the end of the screen refresh (compositor render of every dirty view):

* ``through Textual``: the key event goes in through the driver like a real
  key; the time runs until the screen has processed it and refreshed.
* ``handler + render``: the screen's key handler (keymap lookup, Session call,
  label edit with its journal entry fsynced, all view updates) plus the
  refresh, without Textual's event routing.

Full mode uses the 24 h demo in the default demo directory (built once);
``quick`` a 1 h demo (900 labels) under ``$LOUPE_BENCH_DIR`` and 60 presses.

Targets (bench/run.py contract): state keypress p95 < 10 ms, page flip p95 < 16 ms.
The reference row times the same page flip with the trace preview hidden
(so what the braille traces cost is visible).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
KEYS = ("w", "n", "r")
SIZE = (160, 45)


def _labels_csv(path: Path, n: int, epoch: float = 4.0) -> Path:
    names = ["Wake", "NREM", "REM"]
    rows = ["start_s,end_s,label,note"] + [f"{k * epoch},{(k + 1) * epoch},{names[k % 3]}," for k in range(n)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _stats(ms: list[float], **extra) -> dict:
    a = np.asarray(ms)
    return {**extra, "median_ms": round(float(np.median(a)), 3), "p95_ms": round(float(np.percentile(a, 95)), 3),
            "max_ms": round(float(a.max()), 3), "n": len(a)}


async def _scenario(app, reps: int, rng) -> list[dict]:
    from textual import events

    async with app.run_test(size=SIZE) as pilot:
        t0 = time.monotonic()
        while not app.screen.query_one("#traces")._pyramids:           # pyramid build / open
            await pilot.pause(0.1)
            if time.monotonic() - t0 > 1800:
                raise RuntimeError("pyramid never ready")
        await pilot.pause()
        scr = app.screen
        s = scr.session
        n_ep = s.n_epochs

        async def through_textual(key: str) -> float:
            before = len(scr.key_ms)
            t = time.perf_counter()
            app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
            while len(scr.key_ms) == before and key != "f11":
                await pilot._wait_for_screen()
            await pilot._wait_for_screen()
            render_now()
            return (time.perf_counter() - t) * 1e3

        def render_now() -> None:
            # What Textual does on idle: widgets that asked for a repaint are re-rendered and
            # the screen's update is composed and written (to the headless driver).
            for w in scr.walk_children():
                if w._repaint_required:
                    w._repaint_required = False
                    scr._dirty_widgets.add(w)
            scr._on_timer_update()

        def direct(key: str) -> float:
            t = time.perf_counter()
            scr.press_key(key)
            render_now()
            return (time.perf_counter() - t) * 1e3

        async def sample(kind: str, how) -> list[float]:
            out = []
            for i in range(reps):
                if kind in ("state", "none"):
                    s.goto_epoch(int(rng.integers(0, n_ep - 10)))
                    scr.refresh_views(s.page(0))
                    render_now()
                    key = KEYS[i % 3] if kind == "state" else "f11"
                else:
                    if i % 50 == 0:
                        s.goto_epoch(int(rng.integers(0, n_ep - 200)))
                        scr.refresh_views(s.page(0))
                        render_now()
                    key = "]"
                r = how(key)
                out.append(await r if asyncio.iscoroutine(r) else r)
            return out

        n_labels = len(s.labels)
        rows = [
            _stats(await sample("state", through_textual), case="state keypress", path="through Textual",
                   labels=n_labels),
            _stats(await sample("state", direct), case="state keypress", path="handler + render", labels=n_labels),
            _stats(await sample("page", through_textual), case="page flip", path="through Textual", labels=n_labels),
            _stats(await sample("page", direct), case="page flip", path="handler + render", labels=n_labels),
        ]
        rows.append(_stats(await sample("none", through_textual), case="unbound key (harness overhead, reference)",
                           path="through Textual", labels=n_labels))
        scr.query_one("#traces").display = False
        rows.append(_stats(await sample("page", direct), case="page flip, no trace preview (reference)",
                           path="handler + render", labels=n_labels))
        return rows


def run(quick: bool = False) -> dict:
    from loupe_tui.api import make_app
    from loupe_tui.config import TraceConfig
    from loupe_tui.demo import ensure_demo

    hours = 1.0 if quick else 24.0
    if quick:  # the 1 h demo bench_pageflip's quick data is made from (same parameters: built once)
        paths = ensure_demo(BENCH_DIR / "demo1h", hours=hours, video_minutes=1.0, progress=lambda line: None)
    else:
        paths = ensure_demo(hours=hours, progress=lambda line: None)
    n_labels = int(hours * 3600 / 4)
    reps = 60 if quick else 300
    with tempfile.TemporaryDirectory() as tmp:
        labels = _labels_csv(Path(tmp) / "labels.csv", n_labels)
        t = time.perf_counter()
        app = make_app([TraceConfig.from_path(paths.recording, group=paths.eeg_group)], interval_labels=labels,
                       state_definitions="rodent_sleep", window=False, title="bench")
        setup_s = time.perf_counter() - t
        rows = asyncio.run(_scenario(app, reps, np.random.default_rng(0)))
    for r in rows:
        r["target_p95_ms"] = 10.0 if r["case"] == "state keypress" else 16.0
    return {"title": f"terminal scorer, {hours:g} h demo, {n_labels:,} labels, {SIZE[0]}x{SIZE[1]}",
            "results": rows,
            "notes": f"app set-up {setup_s:.2f} s (labels load + configs); journal fsync per edit (durable=True); "
                     "pyramid cached in the default cache dir after the first run"}
