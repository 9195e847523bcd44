"""Cohort scale (issue 15): ``prepare`` serially and on a LocalCluster; opening from S3 with and without a shared cache.

Data (built once under ``$LOUPE_BENCH_DIR/cohort``): 8 recordings of 1 h x 16 channels at
1 kHz (57.6 M samples, 230 MB of float32 each; zarr, zstd, chunks of 16 x 262144).

* ``prepare``: each recording's pyramid built and published beside it (``<rec>.loupe/``,
  zarr), from nothing (no shared cache, no remembered checksums): serially in this process
  (``workers=0``, no Dask), and on a ``distributed.LocalCluster`` of 1 and 2 worker processes
  (one recording per task). The cluster's start is timed apart; the run's wall time
  includes the workers' first imports. Then the second run (everything current).
* ``open``: a recording in the local S3 server (moto's, on 127.0.0.1), opened from an
  empty cache of this machine until the first window's data is there (the app's first
  page: 30 s in 1600 columns), with the bucket prepared (a shared cache beside the
  recording) and without (the pyramid built here from the bucket first).

* ``prepare --suggest`` (``python bench/bench_cohort.py --suggest``: these rows only): the same
  recordings in this process with ``--spectrogram EEG0 --emg EEG1``, without and with
  ``--suggest`` (the classifier trained on ``m00`` scored in 40 s runs of three states), each
  from nothing, then again with everything current.

``quick``: 2 recordings of 2 min x 4 channels, in this process only (the cluster's start
and its workers' imports would be most of the smoke test's time; ``tests/cohort`` runs a
real ``LocalCluster``), a 2 min recording in S3.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
FS = 1000.0


def run(quick: bool = False, suggest: bool = False) -> dict:
    n_rec, seconds, n_ch = (2, 120.0, 4) if quick else (8, 3600.0, 16)
    recs = _recordings(BENCH_DIR / ("cohort-quick" if quick else "cohort"), n_rec, seconds, n_ch)
    if suggest:
        return {"title": f"cohort: prepare {n_rec} x ({seconds / 3600:g} h x {n_ch} ch x 1 kHz) with the spectral "
                         "views, without and with --suggest, in this process",
                "results": _suggest_rows(recs, seconds), "load_average": list(os.getloadavg()),
                "notes": "from nothing each time (no shared cache, no remembered checksums); the classifier's "
                         "training set (m00, scored) is read once before the tasks, inside 'seconds'"}
    rows = []
    for workers in ([0] if quick else [0, 1, 2]):
        rows += _prepare_rows(recs, workers)
    serial = next(r for r in rows if r["case"] == "prepare" and r["workers"] == "this process")["seconds"]
    for r in rows:
        if r["case"] == "prepare":
            r["speedup"] = round(serial / r["seconds"], 2)
    rows += _open_rows(seconds if quick else 3600.0, n_ch)
    return {"title": f"cohort: prepare {n_rec} x ({seconds / 3600:g} h x {n_ch} ch x 1 kHz); open from S3",
            "results": rows,
            "notes": "prepare from nothing: no shared cache, no remembered checksums; 'per task' is the median "
                     "of the recordings' own times (read, checksum, build, publish); the cluster's start is "
                     "not in 'seconds' but in 'cluster_start_s'. open: a fresh cache of this machine, "
                     "imports warm, the S3 server is moto's (Python) on 127.0.0.1."}


def _recordings(folder: Path, n: int, seconds: float, n_ch: int) -> list[str]:
    import xarray as xr

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        path = folder / f"m{i:02d}.zarr"
        done = path.with_name(path.name + ".complete")
        if not done.exists():
            shutil.rmtree(path, ignore_errors=True)
            da = _signal(seconds, n_ch, seed=i)
            da.to_dataset().to_zarr(path, mode="w", consolidated=False,
                                    encoding={"eeg": {"chunks": (n_ch, 262144)}, "time": {"chunks": (1 << 20,)}})
            done.write_text("ok")
            del da
        out.append(str(path))
    return out


def _signal(seconds: float, n_ch: int, seed: int):
    import xarray as xr

    rng = np.random.default_rng(seed)
    n = int(seconds * FS)
    x = rng.standard_normal((n_ch, n), dtype=np.float32)
    x *= 20.0
    return xr.DataArray(x, dims=("channel", "time"),
                        coords={"channel": np.array([f"EEG{c}" for c in range(n_ch)], dtype=object),
                                "time": np.arange(n) / FS}, name="eeg", attrs={"units": "uV"})


def _fresh(recs: list[str]) -> None:
    for r in recs:
        shutil.rmtree(r + ".loupe", ignore_errors=True)


def _prepare_rows(recs: list[str], workers: int) -> list[dict]:
    from loupe_tui.prepare import prepare

    _fresh(recs)
    cache = tempfile.mkdtemp(prefix="loupe-bench-cohort-")
    os.environ["LOUPE_TUI_CACHE"] = cache            # no remembered checksums; the workers inherit it
    try:
        client, cluster, start_s = None, None, 0.0
        if workers:
            from distributed import Client, LocalCluster

            t = time.perf_counter()
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
            start_s = time.perf_counter() - t
        try:
            t = time.perf_counter()
            first = prepare(recs, client=client, workers=0 if not workers else None)
            wall = time.perf_counter() - t
            t = time.perf_counter()
            second = prepare(recs, client=client, workers=0 if not workers else None)
            again = time.perf_counter() - t
        finally:
            if client is not None:
                client.close()
                cluster.close()
    finally:
        os.environ.pop("LOUPE_TUI_CACHE", None)
        shutil.rmtree(cache, ignore_errors=True)
    assert not first.failed and not second.failed, (first.table(), second.table())
    label = "this process" if not workers else f"LocalCluster {workers}"
    per_task = statistics.median(o.seconds for o in first.outcomes)
    return [{"case": "prepare", "workers": label, "recordings": len(recs), "seconds": round(wall, 2),
             "per_task_median_s": round(per_task, 2), "cluster_start_s": round(start_s, 2)},
            {"case": "prepare again (all current)", "workers": label, "recordings": len(recs),
             "seconds": round(again, 2)}]


def _suggest_rows(recs: list[str], seconds: float) -> list[dict]:
    from loupe_tui.prepare import prepare

    states = ("Wake", "NREM", "REM")
    labels = Path(tempfile.mkdtemp(prefix="loupe-bench-labels-")) / "m00.labels.csv"
    labels.write_text("start_s,end_s,label\n" + "".join(f"{a},{a + 40},{states[i % 3]}\n"
                                                        for i, a in enumerate(range(0, int(seconds), 40))))
    spectral = dict(spectrogram="EEG0", emg="EEG1", epoch_s=4.0)
    rows = []
    for case, more in (("prepare + spectral views", {}),
                       ("prepare + spectral views + --suggest", dict(suggest="classifier",
                                                                   train_on=(f"{recs[0]}:{labels}",)))):
        _fresh(recs)
        cache = tempfile.mkdtemp(prefix="loupe-bench-cohort-")
        os.environ["LOUPE_TUI_CACHE"] = cache
        try:
            t = time.perf_counter()
            first = prepare(recs, workers=0, **spectral, **more)
            wall = time.perf_counter() - t
            t = time.perf_counter()
            second = prepare(recs, workers=0, **spectral, **more)
            again = time.perf_counter() - t
        finally:
            os.environ.pop("LOUPE_TUI_CACHE", None)
            shutil.rmtree(cache, ignore_errors=True)
        assert not first.failed and not second.failed, (first.table(), second.table())
        rows += [{"case": case, "recordings": len(recs), "seconds": round(wall, 2),
                  "per_task_median_s": round(statistics.median(o.seconds for o in first.outcomes), 2),
                  "suggestions": first.outcomes[-1].suggestions or "-"},
                 {"case": case + ", again (all current)", "recordings": len(recs), "seconds": round(again, 2)}]
    shutil.rmtree(labels.parent, ignore_errors=True)
    return rows


def _open_rows(seconds: float, n_ch: int) -> list[dict]:
    from moto.server import ThreadedMotoServer

    from loupe_tui.config import TraceConfig
    from loupe_tui.io.pyramid import Pyramid
    from loupe_tui.io.remote.urls import filesystem
    from loupe_tui.io.xarray_open import open_variable
    from loupe_tui.prepare import prepare

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    for k, v in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench"), ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ.setdefault(k, v)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    rows = []
    try:
        host, port = server.get_host_and_port()
        opts = {"endpoint_url": f"http://{host}:{port}"}
        filesystem("s3://", opts)[0].mkdir("bench")
        for i, prepared in enumerate((False, True)):
            url = f"s3://bench/rec{i}.zarr"
            t = time.perf_counter()
            _signal(seconds, n_ch, seed=100 + i).to_dataset().to_zarr(
                url, storage_options=opts, mode="w", consolidated=False,
                encoding={"eeg": {"chunks": (n_ch, 262144)}, "time": {"chunks": (1 << 20,)}})
            upload = time.perf_counter() - t
            if prepared:
                assert not prepare([url], workers=0, storage_options=opts).failed
            cache = tempfile.mkdtemp(prefix="loupe-bench-open-")
            os.environ["LOUPE_TUI_CACHE"] = cache
            try:
                t = time.perf_counter()
                src = TraceConfig(open_variable(url, storage_options=opts)).source()
                opened = time.perf_counter() - t
                pyr = Pyramid.open_or_build(src)
                w = pyr.window(0.0, 30.0, 1600)
                first = time.perf_counter() - t
                assert np.isfinite(w.lo).any() and w.problem == ""
                t = time.perf_counter()
                pyr.window(30.0, 60.0, 1600)
                page = time.perf_counter() - t
            finally:
                os.environ.pop("LOUPE_TUI_CACHE", None)
                shutil.rmtree(cache, ignore_errors=True)
            rows.append({"case": "open from S3 to first window", "shared_cache": "yes" if prepared else "no",
                         "seconds": round(first, 3), "open_s": round(opened, 3), "next_page_ms": round(page * 1e3, 1),
                         "pyramid": "shared (zarr, lazy)" if pyr.shared_url else "built here",
                         "upload_s": round(upload, 1)})
    finally:
        server.stop()
    return rows


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv, suggest="--suggest" in sys.argv), indent=1))
