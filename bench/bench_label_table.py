"""Opening the label table: LabelTable vs Textual's DataTable, 10k and 100k intervals.

Measured: wall time from ``mount()`` of the table in a running (headless)
app to its first painted line (the first ``render_line`` call), repeated for
a median and p95. LabelTable reads rows from the ``IntervalLabelSet`` arrays
as they are drawn, so only the ~40 visible rows are formatted. The
reference is Textual's stock ``DataTable`` on the same intervals: its rows
are formatted *before* the timer starts (which favours it) and the timer
covers ``add_rows`` + mount + first paint. DataTable at 100k is measured once
(it takes seconds); with ``--quick`` it is extrapolated linearly from 10k and
the row says so. The last row times drawing one screen of rows after a jump
(what a PgDn or ``follow`` costs the widget; Textual's compositor adds ~10 ms).
The ``+ suggestions`` rows do the same with a ``suggested`` column (24 h of
4 s epochs of suggestions, read for the rows drawn), and one row times reading
all 100,000 intervals' suggestions at once (what the jumper does when it opens).

Run: ``python bench/run.py label_table`` or ``python bench/bench_label_table.py``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import Vertical  # noqa: E402
from textual.geometry import Region  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from loupe_tui.core.labels import IntervalLabelSchema, IntervalLabelSet  # noqa: E402
from loupe_tui.core.timefmt import format_time  # noqa: E402
from loupe_tui.io.suggest import EpochSums, Suggestions  # noqa: E402
from loupe_tui.tui.widgets.label_table import LabelTable  # noqa: E402

STATES = ["Wake", "NREM", "REM", "Artifact"]
COLORS = {"Wake": "#2ed15a", "NREM": "#4f8cff", "REM": "#ff5cc8", "Artifact": "#a0a0a0"}


def make_labels(n: int, seed: int = 0) -> IntervalLabelSet:
    """``n`` touching 4 s intervals with notes on ~5 % and two extra columns."""
    rng = np.random.default_rng(seed)
    starts = np.arange(n) * 4.0
    df = pl.DataFrame({
        "start_s": starts, "end_s": starts + 4.0,
        "label": [STATES[k] for k in rng.integers(0, 4, n)],
        "note": ["check this epoch" if x < 0.05 else None for x in rng.random(n)],
        "scorer": ["ab" if x < 0.5 else "cd" for x in rng.random(n)],
        "confidence": rng.random(n).round(2),
    })
    return IntervalLabelSet.from_frame(df, IntervalLabelSchema(extra_cols=("scorer", "confidence")))


class _Host(App):
    def compose(self) -> ComposeResult:
        yield Vertical(id="box")


async def _open_ms(make_widget, painter) -> float:
    """ms from mount to the first painted line of the widget ``make_widget()`` returns."""
    app = _Host()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        painted: list[float] = []
        t0 = time.perf_counter()
        widget = make_widget()
        target = painter(widget)
        original = target.render_line

        def spy(y):
            if not painted:
                painted.append(time.perf_counter())
            return original(y)

        target.render_line = spy
        await app.query_one("#box").mount(widget)
        while not painted:
            await asyncio.sleep(0)
        return (painted[0] - t0) * 1e3


def make_suggestions(n_epochs: int = 21_600, seed: int = 0) -> Suggestions:
    """24 h of 4 s epochs: random states (5 % none) and confidences."""
    from types import MappingProxyType
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 3, n_epochs).astype(np.int8)
    codes[rng.random(n_epochs) < 0.05] = -1
    conf = np.where(codes >= 0, rng.uniform(0.4, 1.0, n_epochs), np.nan).astype(np.float32)
    return Suggestions(("Wake", "NREM", "REM"), codes, conf, 0.0, 4.0, 0, MappingProxyType({}), 0.0, 0.0, "")


def _label_table(labels, sugg=None):
    def make():
        table = LabelTable(labels, COLORS)
        if sugg is not None:
            table.set_suggestions(sugg, 0.8)
        return table
    return make


def _data_table(rows):
    def make():
        t = DataTable()
        t.add_columns("#", "start", "end", "duration", "state", "scorer", "confidence", "note")
        t.add_rows(rows)
        return t
    return make


def _rows(labels) -> list[tuple]:
    out = []
    for i, r in enumerate(labels):
        out.append((str(i + 1), format_time(r.start), format_time(r.end), format_time(r.end - r.start),
                    r.label, str(r.extras[0]), str(r.extras[1]), r.note or ""))
    return out


def _stats(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"median_ms": float(np.median(a)), "p95_ms": float(np.percentile(a, 95)), "runs": len(a)}


async def _repaint_ms(labels, sugg=None) -> list[float]:
    """ms to draw one full screen of rows after jumping to a random place."""
    app = _Host()
    rng = np.random.default_rng(1)
    async with app.run_test(size=(120, 40)) as pilot:
        table = _label_table(labels, sugg)()
        await app.query_one("#box").mount(table)
        await pilot.pause()
        grid, out = table.grid, []
        for y in rng.integers(0, len(labels), 100):
            grid.scroll_to(y=int(y), animate=False, immediate=True)
            t0 = time.perf_counter()
            grid.render_lines(Region(0, 0, 120, 40))
            out.append((time.perf_counter() - t0) * 1e3)
        return out


def run(quick: bool = False) -> dict:
    repeats = 5 if quick else 15
    results = []
    sugg = make_suggestions()
    for n in (10_000, 100_000):
        labels = make_labels(n)
        ms = [asyncio.run(_open_ms(_label_table(labels), lambda w: w.grid)) for _ in range(repeats)]
        results.append({"case": f"LabelTable open, {n:,} intervals", **_stats(ms)})
        ms = [asyncio.run(_open_ms(_label_table(labels, sugg), lambda w: w.grid)) for _ in range(repeats)]
        results.append({"case": f"LabelTable open, {n:,} intervals + suggestions", **_stats(ms)})
    rows10 = _rows(make_labels(10_000))
    dt10 = [asyncio.run(_open_ms(_data_table(rows10), lambda w: w)) for _ in range(1 if quick else 5)]
    results.append({"case": "DataTable open, 10,000 rows (reference)", **_stats(dt10)})
    if quick:
        est = float(np.median(dt10)) * 10
        results.append({"case": "DataTable open, 100,000 rows (reference, EXTRAPOLATED x10 from 10k)",
                        "median_ms": est, "p95_ms": float("nan"), "runs": 0})
    else:
        rows100 = _rows(make_labels(100_000))
        dt100 = asyncio.run(_open_ms(_data_table(rows100), lambda w: w))
        results.append({"case": "DataTable open, 100,000 rows (reference, measured once)",
                        "median_ms": dt100, "p95_ms": dt100, "runs": 1})
    labels = make_labels(100_000)
    paint = asyncio.run(_repaint_ms(labels))
    results.append({"case": "LabelTable: draw one screen (40 lines) at a random row, 100,000", **_stats(paint)})
    paint = asyncio.run(_repaint_ms(labels, sugg))
    results.append({"case": "  the same + suggestions", **_stats(paint)})
    sums = EpochSums.of(sugg)
    read = []
    for _ in range(repeats * 4):
        t0 = time.perf_counter()
        sums.of_intervals(labels.starts, labels.ends)
        read.append((time.perf_counter() - t0) * 1e3)
    results.append({"case": "suggestions of all 100,000 intervals (the jumper, on opening)", **_stats(read)})
    return {"title": "Label table: mount to first paint", "results": results,
            "notes": "headless Textual app 120x40; DataTable rows pre-formatted outside the timer"}


if __name__ == "__main__":
    out = run(quick="--quick" in sys.argv)
    print(out["title"])
    for row in out["results"]:
        print(f"  {row['case']:<72} median {row['median_ms']:9.1f} ms   p95 {row['p95_ms']:9.1f} ms"
              f"   ({row['runs']} runs)")
    print(" ", out["notes"])
