"""Interval-label edits, lookups and file I/O at 100,000 intervals.

Edits (add / clear_range / undo) are timed per call at random places in a set
of 100k intervals: without a journal (pure splice cost), with the journal in
write-only mode (``durable=False``: survives a killed process) and with
``fdatasync`` per edit (``durable=True``: survives power loss) and on a helper
thread (``durable="background"``, the default).
The reference, run on the same data, is the naive approach Loupe takes:
rebuild a polars DataFrame per edit with filter + concat + sort. Lookups
compare ``index_at`` (searchsorted) with a polars filter. File rows time
``save_as`` and ``load`` of 100k intervals per writable format.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from loupe_tui.core.labels import IntervalLabelSet

STATES = ["W", "N1", "N2", "N3", "REM"]


def _frame(n: int, rng: np.random.Generator) -> pl.DataFrame:
    starts = np.arange(n) * 30.0
    notes = ["checked" if x < 0.05 else None for x in rng.random(n)]
    return pl.DataFrame({"start_s": starts, "end_s": starts + 25.0,
                         "label": [STATES[k] for k in rng.integers(0, 5, n)], "note": notes},
                        schema={"start_s": pl.Float64, "end_s": pl.Float64, "label": pl.String,
                                "note": pl.String})


def _stats(ms: list[float]) -> dict:
    a = np.asarray(ms)
    return {"median_ms": float(np.median(a)), "p95_ms": float(np.percentile(a, 95)), "calls": len(a)}


def _time_calls(fn, args_list) -> list[float]:
    out = []
    for args in args_list:
        t = time.perf_counter()
        fn(*args)
        out.append((time.perf_counter() - t) * 1e3)
    return out


def _edit_rows(ls: IntervalLabelSet, n: int, reps: int, rng, mode: str) -> list[dict]:
    span = n * 30.0
    adds = [(float(s), float(s) + float(w), STATES[k]) for s, w, k in
            zip(rng.uniform(0, span, reps), rng.uniform(10, 60, reps), rng.integers(0, 5, reps))]
    clears = [(float(s), float(s) + float(w)) for s, w in zip(rng.uniform(0, span, reps),
                                                               rng.uniform(10, 60, reps))]
    rows = [{"case": "add", "intervals": n, "journal": mode, **_stats(_time_calls(ls.add, adds))},
            {"case": "clear_range", "intervals": n, "journal": mode,
             **_stats(_time_calls(ls.clear_range, clears))},
            {"case": "undo", "intervals": n, "journal": mode,
             **_stats(_time_calls(ls.undo, [()] * reps))}]
    return rows


def _naive_add(df: pl.DataFrame, s: float, e: float, label: str) -> pl.DataFrame:
    start, end = pl.col("start_s"), pl.col("end_s")
    keep = df.filter((end <= s) | (start >= e))
    left = df.filter((start < s) & (end > s)).with_columns(end_s=pl.lit(s))
    right = df.filter((start < e) & (end > e)).with_columns(start_s=pl.lit(e))
    new = pl.DataFrame({"start_s": [s], "end_s": [e], "label": [label], "note": [None]}, schema=df.schema)
    return pl.concat([keep, left, right, new]).sort("start_s")


def run(quick: bool = False) -> dict:
    n = 20_000 if quick else 100_000
    reps = 60 if quick else 300
    rng = np.random.default_rng(0)
    df = _frame(n, rng)
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        results += _edit_rows(IntervalLabelSet.from_frame(df), n, reps, rng, "none")
        for durable in (False, "background", True):
            mode = {False: "write-only", "background": "fsync-background", True: "fsync"}[durable]
            ls = IntervalLabelSet.from_frame(df, journal=tmpdir / f"{mode}.loupe-journal", durable=durable)
            results += _edit_rows(ls, n, reps, rng, mode)
            ls.close()

        # Reference: rebuild the DataFrame per edit (filter + concat + sort).
        state = {"df": df}

        def naive(s, e, label):
            state["df"] = _naive_add(state["df"], s, e, label)

        span = n * 30.0
        naive_args = [(float(s), float(s) + 30.0, "N2") for s in rng.uniform(0, span, max(20, reps // 6))]
        results.append({"case": "add (reference: polars filter+concat+sort)", "intervals": n,
                        "journal": "none", **_stats(_time_calls(naive, naive_args))})

        ls = IntervalLabelSet.from_frame(df)
        ts = rng.uniform(0, span, 2000)
        t0 = time.perf_counter()
        for t in ts:
            ls.index_at(t)
        per = (time.perf_counter() - t0) * 1e6 / len(ts)
        t0 = time.perf_counter()
        for t in ts[:100]:
            df.filter((pl.col("start_s") <= t) & (pl.col("end_s") > t))
        ref = (time.perf_counter() - t0) * 1e6 / 100
        results.append({"case": "at_time lookup", "intervals": n, "ours_us": per,
                        "reference_us (polars filter)": ref, "speedup": ref / per})
        t0 = time.perf_counter()
        for t in ts[:500]:
            ls.visible_arrays(t, t + 3600)
        results.append({"case": "visible_arrays (1 h window)", "intervals": n,
                        "ours_us": (time.perf_counter() - t0) * 1e6 / 500})

        t0 = time.perf_counter()
        ls.to_frame()
        results.append({"case": "to_frame (build polars frame)", "intervals": n,
                        "ms": (time.perf_counter() - t0) * 1e3})
        for ext in (".csv", ".htsv", ".parquet"):
            path = tmpdir / f"bench{ext}"
            t0 = time.perf_counter()
            ls.save_as(path)
            save_ms = (time.perf_counter() - t0) * 1e3
            t0 = time.perf_counter()
            loaded = IntervalLabelSet.load(path, writeback=True)
            load_ms = (time.perf_counter() - t0) * 1e3
            assert len(loaded) == n
            loaded.close()
            t0 = time.perf_counter()
            pl.read_csv(path, separator="\t" if ext == ".htsv" else ",") if ext != ".parquet" \
                else pl.read_parquet(path)
            raw_ms = (time.perf_counter() - t0) * 1e3
            results.append({"case": f"file {ext}", "intervals": n, "save_ms": save_ms, "load_ms": load_ms,
                            "reference_raw_polars_read_ms": raw_ms, "bytes": path.stat().st_size})
    return {
        "title": f"interval labels at {n:,} intervals",
        "results": results,
        "notes": ("edits splice numpy arrays (no DataFrame rebuild); journal 'write-only' = one write() per "
                  "edit (survives kill -9), 'fsync' = plus fdatasync before returning (survives power loss; "
                  "the default), 'fsync-background' = fdatasync on a helper thread. "
                  "load = read + validate + sha256 of the file (journal base identity); save = encode + "
                  "temp file + fsync + rename + dir fsync."),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=1))
