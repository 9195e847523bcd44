"""An EDF+ night in object storage (issue 15): what opening it reads, in the terminal and the GL window.

Data (written once under ``$LOUPE_BENCH_DIR/remote-edf``): an 8 h PSG as clinical systems write
it, EDF+C with 1 s data records: 10 signals at 256 Hz (EEG, EOG, EMG, ECG) and an "EDF
Annotations" signal of 120 bytes per record holding a sleep stage every 30 s (the HMC SN001
expert hypnogram's stages, from ``../shared/data/edf/``, repeated) (28,800 records, 151 MB).
It is put into moto's S3 server on 127.0.0.1, and ``loupe-tui prepare`` publishes its pyramid
beside it (``<rec>.loupe/``), as a lab does once.

Then, from an empty cache of this machine, each measured as the bytes the server sent for the
recording's object (its shared cache apart) and the wall time:

* ``open``: what ``loupe-tui open`` reads before the app starts (header, annotations, labels);
* ``open again``: the same a second time (what this machine remembered);
* ``snapshot``: ``loupe-tui snapshot`` of one 30 s page, 3600-3630 s: the terminal's open and the
  real GL window process (under Xvfb) from its start to the first frame written;
* ``annotations``: the annotation signal alone, read as slices of every record (one ranged
  request each, concurrently; the first :data:`SLICES_MEASURED` records) and as whole records
  (blocks of 32 MiB).

``quick``: 10 min instead of 8 h.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "cohort"))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
HYPNOGRAM = ROOT.parent / "shared" / "data" / "edf" / "hmc_SN001_hypnogram.edf"
RATE, N_CH = 256, 10
#: Slices read one request each in the ``annotations as slices`` row (all 28,800 take minutes here:
#: moto's server runs in this process, sharing its interpreter lock with the client).
SLICES_MEASURED = 960


def night(seconds: int) -> Path:
    from edf_writer import Sig, write_edf

    from loupe_tui.core.labels.edf_annotations import read_edf_annotations_file

    path = BENCH_DIR / "remote-edf" / f"psg-{seconds}s.edf"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    stages = [a.text for a in read_edf_annotations_file(HYPNOGRAM).annotations if a.text.startswith("Sleep stage")]
    rng = np.random.default_rng(0)
    n = seconds * RATE
    base = np.cumsum(rng.standard_normal(n)).astype(np.float32)
    sigs = [Sig(f"EEG {k}", RATE, np.clip((np.roll(base, 97 * k) % 4000) - 2000, -32768, 32767).astype(np.int64))
            for k in range(N_CH)]
    anns = [(float(t), 30.0, stages[i % len(stages)]) for i, t in enumerate(range(0, seconds, 30))]
    write_edf(path.with_suffix(".tmp"), sigs, 1.0, plus="C", annotations=anns, ann_bytes=120)
    path.with_suffix(".tmp").rename(path)
    return path


def run(quick: bool = False) -> dict:
    from cohort_helpers import S3Server

    from loupe_tui.cli import build_parser, main
    from loupe_tui.commands import open as open_cmd
    from loupe_tui.prepare import prepare

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(k, v)
    local = night(600 if quick else 8 * 3600)
    size = local.stat().st_size
    s3 = S3Server()
    tmp = Path(tempfile.mkdtemp(prefix="bench-remote-edf-"))
    rows = []
    quiet = contextlib.redirect_stdout(sys.stderr)        # what the commands print is not the results
    quiet.__enter__()
    try:
        from loupe_tui.io.remote.urls import filesystem

        upload = filesystem("s3://", {**s3.options, "config_kwargs": {"read_timeout": 120}})[0]
        upload.mkdir("lab")
        upload.put_file(str(local), "lab/psg/night.edf")
        url, key = "s3://lab/psg/night.edf", "lab/psg/night.edf"
        os.environ["LOUPE_TUI_CACHE"] = str(tmp / "prep-cache")
        os.environ["LOUPE_TUI_LABELS"] = str(tmp / "labels")
        t = time.perf_counter()
        assert not prepare([url], workers=0, storage_options=s3.options).failed
        rows.append(row("prepare (once, by the lab)", s3, key, size, time.perf_counter() - t))
        os.environ["LOUPE_TUI_CACHE"] = str(tmp / "scorer-cache")
        argv = ["--storage-option", f"endpoint_url={s3.endpoint}"]
        for name in ("open", "open again"):
            s3.clear_counts()
            t = time.perf_counter()
            open_cmd.build_view_args(build_parser().parse_args(["open", url, *argv, "--no-window"]))
            rows.append(row(name, s3, key, size, time.perf_counter() - t))
        shutil.rmtree(tmp / "scorer-cache", ignore_errors=True)
        shutil.rmtree(tmp / "labels", ignore_errors=True)
        s3.clear_counts()
        t = time.perf_counter()
        assert main(["snapshot", url, *argv, "--window", "3600" if not quick else "300",
                     "3630" if not quick else "330", "--out", str(tmp / "page.png")]) == 0
        rows.append(row("snapshot: open + GL window to its first frame (empty cache)", s3, key, size,
                        time.perf_counter() - t))
        rows += annotation_rows(url, s3, key, size)
    finally:
        s3.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        quiet.__exit__(None, None, None)
    hours = 600 / 3600 if quick else 8
    return {"title": f"an EDF+C night in S3 ({hours:g} h, {size / 1e6:.0f} MB): bytes and time to open, and to the "
                     "GL window's first frame",
            "results": rows, "load_average": list(os.getloadavg())}


def annotation_rows(url: str, s3, key: str, size: int) -> list[dict]:
    from loupe_tui.io.edf.reader import EdfFile
    from loupe_tui.io.remote.files import RemoteFile

    out = []
    f = RemoteFile(url, s3.options)
    if not hasattr(f, "read_strided"):
        return out
    h = EdfFile(f).header
    sig = h.annotation_signals[0]
    start, nb = h.header_bytes + sig.offset * h.sample_bytes, sig.samples_per_record * h.sample_bytes
    n = min(h.n_records, SLICES_MEASURED)
    for how, count in (("slices", n), ("blocks", h.n_records)):
        s3.clear_counts()
        t = time.perf_counter()
        block = f.read_strided(start, h.record_bytes, nb, count, how=how, remember=False)
        assert block.shape == (count, nb)
        what = f"annotations as {how}" + (f" (first {count} of {h.n_records} records)" if count < h.n_records else "")
        out.append(row(what, s3, key, size, time.perf_counter() - t))
    return out


def row(case: str, s3, key: str, size: int, seconds: float) -> dict:
    print(f"{case}: {seconds:.2f} s, {s3.served[key]} bytes in {s3.requests[key]} requests", file=sys.stderr,
          flush=True)
    return {"case": case, "seconds": round(seconds, 2), "bytes": s3.served[key], "requests": s3.requests[key],
            "of the file": f"{100 * s3.served[key] / size:.1f} %", "file MB": round(size / 1e6, 1)}


def table(rows: list[dict]) -> str:
    cols = list(rows[0])
    widths = [max(len(str(c)), *(len(str(r[c])) for r in rows)) for c in cols]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(str(r[c]).ljust(w) for c, w in zip(cols, widths)) for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(f"load average: {os.getloadavg()}")
    print(table(run(quick="quick" in sys.argv[1:])["results"]))
    print(f"load average: {os.getloadavg()}")
