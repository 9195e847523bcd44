"""EDF as a source: open time, pyramid build rate, paging memory, page flips beside zarr (issue 12).

Data (written once into ``$LOUPE_BENCH_DIR/edf24``, default
``/tmp/loupe-tui-bench``): a 24 h x 20-signal PSG EDF in 1 s records, as a
sleep lab's: 12 EEG/EOG at 256 Hz, 3 EMG at 512 Hz, flow, thorax and abdomen
at 32 Hz, SpO2 and position at 1 Hz (406 M samples, 812 MB); and the same
12 x 256 Hz signals as a zarr store (float32, 1 M-sample chunks) for the
side-by-side rows. Sines and noise, not a real night: the figures are about
bytes and samples, not content.

Rows:

* ``open``: ``read_edf`` (header, annotations, a look at 8 records), one
  TraceConfig per rate group, their pyramids opened from the cache, and the
  first window's data for a 150-column terminal preview: what stands
  between the command and the first terminal frame, after Python's start
  and imports (fresh process, pyramids cached). Median of 5 processes.
* ``build``: the pyramid of the 12 x 256 Hz group built straight from the
  EDF, in G samples/s on one core (numba single-threaded): into the cache
  on disk (as a user waits for it, the cache's ``fsync`` included) and into
  ``/dev/shm`` (the same work where ``fsync`` is free: the compute); beside one plain
  read pass over the same records (``np.memmap`` sum of the int16 bytes:
  the disk/page-cache limit), the EDF-to-float32 read alone, and MNE's
  ``read_raw_edf(preload=True)`` of the whole file when MNE is installed.
  The file is in the page cache for all of them (read once before).
* ``paging memory``: a fresh process opens the EDF (pyramids cached) and
  pages the whole night in 30 s windows (2,880 pages) through
  ``Pyramid.window``: anonymous memory (RssAnon) and mapped-file memory
  (RssFile) before and after; anonymous memory must not grow.
* ``page flip``: ``Pyramid.window`` for a 30 s page of the 12 x 256 Hz
  group at 1600 columns (the GL window's data) and at 150 columns (the
  terminal's), on the EDF and on the zarr store, the same 200 random pages
  in turn (EDF, then zarr, page by page) after 30 pages of warm-up; ratio
  EDF / zarr. The GL window draws the same columns whatever the source,
  so its flips differ only by this.

``quick``: 1 h instead of 24 h, fewer pages, no MNE.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
#: (label prefix, count, rate Hz, unit)
LAYOUT = (("EEG", 12, 256, "uV"), ("EMG", 3, 512, "uV"), ("Resp", 3, 32, "mV"), ("SpO2", 1, 1, "%"),
          ("Pos", 1, 1, ""))


def ensure_edf(hours: float) -> tuple[Path, Path]:
    """The EDF and the zarr copy of its 256 Hz group, written once."""
    folder = BENCH_DIR / f"edf{hours:g}h"
    folder.mkdir(parents=True, exist_ok=True)
    edf, zarr_path = folder / "psg.edf", folder / "eeg256.zarr"
    n_rec = int(hours * 3600)
    if not edf.exists() or edf.stat().st_size < 256:
        _write_edf(edf.with_suffix(".tmp"), n_rec)
        edf.with_suffix(".tmp").rename(edf)
    if not zarr_path.exists():
        _write_zarr(edf, zarr_path)
    return edf, zarr_path


def _write_edf(path: Path, n_rec: int) -> None:
    sigs = [(f"{p} {i + 1}", rate, unit) for p, k, rate, unit in LAYOUT for i in range(k)]
    ns = len(sigs)
    f = lambda v, w: str(v).encode()[:w].ljust(w)  # noqa: E731
    head = (f("0", 8) + f("X X X X", 80) + f("Startdate 04-DEC-2026 X X X", 80) + f("04.12.26", 8)
            + f("22.30.00", 8) + f(256 * (ns + 1), 8) + f("", 44) + f(n_rec, 8) + f("1", 8) + f(ns, 4))
    cols = [b"".join(f(s[0], 16) for s in sigs), b"".join(f("", 80) for _ in sigs),
            b"".join(f(s[2], 8) for s in sigs), b"".join(f("-3276.8", 8) for _ in sigs),
            b"".join(f("3276.7", 8) for _ in sigs), b"".join(f("-32768", 8) for _ in sigs),
            b"".join(f("32767", 8) for _ in sigs), b"".join(f("", 80) for _ in sigs),
            b"".join(f(s[1], 8) for s in sigs), b" " * (32 * ns)]
    per_rec = sum(s[1] for s in sigs)
    rng = np.random.default_rng(0)
    with open(path, "wb") as out:
        out.write(head + b"".join(cols))
        block = 3600
        for r0 in range(0, n_rec, block):
            nr = min(block, n_rec - r0)
            recs = np.empty((nr, per_rec), np.int16)
            off = 0
            for k, (_, rate, _) in enumerate(sigs):
                t = (r0 + np.arange(nr * rate) / rate)
                x = 400 * np.sin(2 * np.pi * (0.5 + 0.37 * k) * t) + rng.normal(0, 150, nr * rate)
                recs[:, off:off + rate] = np.clip(x, -32768, 32767).astype(np.int16).reshape(nr, rate)
                off += rate
            out.write(recs.tobytes())


def _write_zarr(edf: Path, path: Path) -> None:
    import xarray as xr

    from loupe_tui.io.edf.recording import read_edf

    rec = read_edf(edf)
    da = rec.groups["256 Hz"]
    n = da.shape[1]
    chunk = 1 << 20
    data = np.empty(da.shape, np.float32)
    for i0 in range(0, n, chunk * 8):
        data[:, i0:i0 + chunk * 8] = da.isel(time=slice(i0, i0 + chunk * 8)).values
    out = xr.DataArray(data, dims=("channel", "time"),
                       coords={"time": np.arange(n) / 256.0, "channel": list(da.channel.values)}, name="eeg")
    out.to_dataset().to_zarr(path, mode="w", encoding={"eeg": {"chunks": (12, chunk)}})
    rec.close()


def _open_child(edf: str, cache: str) -> None:
    """In a fresh process: imports first (not timed), then open to the first terminal window."""
    from loupe_tui.config import TraceConfig
    from loupe_tui.io.edf.recording import read_edf
    from loupe_tui.io.pyramid import Pyramid

    t = time.perf_counter()
    rec = read_edf(edf)
    configs = [TraceConfig(da) for da in rec.groups.values()]
    pyrs = [Pyramid.open(c.source(), cache) for c in configs]
    assert all(p is not None for p in pyrs), "pyramids not cached"
    for p in pyrs:
        p.window(0.0, 30.0, 150)
    print(json.dumps({"open_s": time.perf_counter() - t}))


def _paging_child(edf: str, cache: str, pages: int) -> None:
    from loupe_tui.config import TraceConfig
    from loupe_tui.io.edf.recording import read_edf
    from loupe_tui.io.pyramid import Pyramid

    def status():
        out = {}
        for line in Path("/proc/self/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("RssAnon", "RssFile"):
                out[k] = int(v.split()[0]) / 1024
        return out

    rec = read_edf(edf)
    pyrs = [Pyramid.open(TraceConfig(da).source(), cache) for da in rec.groups.values()]
    for p in pyrs:
        p.window(0.0, 30.0, 1600)
    before = status()
    span = rec.duration
    for k in range(pages):
        t0 = (k * 30.0) % max(span - 30.0, 1.0)
        for p in pyrs:
            p.window(t0, t0 + 30.0, 1600)
    after = status()
    print(json.dumps({"before": before, "after": after}))


def _child(args: list[str]) -> dict:
    r = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                       env=os.environ | {"NUMBA_NUM_THREADS": "1"})
    if r.returncode:
        raise RuntimeError(f"bench_edf child {args[0]} failed: {r.stderr.strip().splitlines()[-1:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _window_ms(pyr, span: float, n_px: int, n: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    out = []
    for t0 in rng.uniform(0, span - 30.0, n):
        t = time.perf_counter()
        pyr.window(float(t0), float(t0) + 30.0, n_px)
        out.append(1000 * (time.perf_counter() - t))
    return out


def run(quick: bool = False) -> dict:
    from loupe_tui.config import TraceConfig
    from loupe_tui.io.edf.recording import read_edf
    from loupe_tui.io.pyramid import build_pyramid
    from loupe_tui.io.xarray_open import open_variable

    hours = 1.0 if quick else 24.0
    t = time.perf_counter()
    edf, zarr_path = ensure_edf(hours)
    setup_s = time.perf_counter() - t
    cache = BENCH_DIR / f"edf{hours:g}h" / "pyramids"
    rows = []

    # build: the 256 Hz group, from a file in the page cache
    rec = read_edf(edf)
    eeg = rec.groups["256 Hz"]
    n = eeg.shape[0] * eeg.shape[1]
    raw = np.memmap(edf, dtype=np.uint8, mode="r")
    step = 1 << 28
    for i in range(0, len(raw), step):          # into the page cache first: every row reads from memory
        int(raw[i:i + step].sum(dtype=np.uint64))
    t = time.perf_counter()
    total = 0
    for i in range(0, len(raw), step):
        total += int(raw[i:i + step].view(np.int16).sum(dtype=np.int64)) if (len(raw[i:i + step]) % 2 == 0) else 0
    plain_s = time.perf_counter() - t
    file_samples = (len(raw) - rec.header.header_bytes) // 2
    del raw
    src = TraceConfig(eeg).source()
    src.read(0, 4096)                       # the numba kernel's cache loaded: not part of a read rate
    t = time.perf_counter()
    block = 1 << 21
    for i0 in range(0, eeg.shape[1], block):
        src.read(i0, i0 + block)
    read_s = time.perf_counter() - t
    for p in cache.glob("*"):
        if p.is_dir():
            import shutil

            shutil.rmtree(p, ignore_errors=True)
    shm = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    shm_s = None
    if shm is not None:                     # the same build where fsync costs nothing: the compute alone
        import shutil
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="loupe-edf-bench-", dir=shm))
        try:
            t = time.perf_counter()
            build_pyramid(src, tmp)
            shm_s = time.perf_counter() - t
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    t = time.perf_counter()
    build_pyramid(src, cache)
    build_s = time.perf_counter() - t
    for da in rec.groups.values():          # the other groups too, for the open and paging rows
        build_pyramid(TraceConfig(da).source(), cache)
    row = {"row": "build", "samples": n, "build_Gs_per_s": round(n / build_s / 1e9, 3), "build_s": round(build_s, 2),
           "build_in_memory_fs_Gs_per_s": None if shm_s is None else round(n / shm_s / 1e9, 3),
           "edf_read_to_float32_Gs_per_s": round(n / read_s / 1e9, 3),
           "plain_read_pass_Gs_per_s": round(file_samples / plain_s / 1e9, 3)}
    if not quick:
        try:
            import mne  # noqa: F401
        except ImportError:
            row["mne_preload"] = "skipped: mne not installed (pip install mne)"
        else:
            r = subprocess.run([sys.executable, "-c", "import time,mne,sys; t=time.perf_counter(); "
                                "mne.io.read_raw_edf(sys.argv[1], preload=True, verbose='error'); "
                                "print(time.perf_counter()-t)", str(edf)], capture_output=True, text=True)
            row["mne_preload_s"] = round(float(r.stdout.strip().splitlines()[-1]), 2) if r.returncode == 0 \
                else f"failed: {r.stderr.strip().splitlines()[-1:]}"
            row["build_s_vs_mne_preload"] = row.get("mne_preload_s")
    rows.append(row)

    opens = [_child(["--open", str(edf), str(cache)])["open_s"] for _ in range(3 if quick else 5)]
    rows.append({"row": "open (pyramids cached, after imports)", "median_ms": round(1000 * statistics.median(opens), 1),
                 "max_ms": round(1000 * max(opens), 1), "processes": len(opens)})

    pages = 240 if quick else 2880
    mem = _child(["--paging", str(edf), str(cache), str(pages)])
    rows.append({"row": f"paging memory ({pages} pages of 30 s)",
                 "rss_anon_mb_before": round(mem["before"]["RssAnon"], 1),
                 "rss_anon_mb_after": round(mem["after"]["RssAnon"], 1),
                 "rss_file_mb_before": round(mem["before"]["RssFile"], 1),
                 "rss_file_mb_after": round(mem["after"]["RssFile"], 1)})

    from loupe_tui.io.pyramid import Pyramid

    zda = open_variable(zarr_path, variable="eeg")
    zsrc = TraceConfig(zda).source()
    zpyr = Pyramid.open_or_build(zsrc, cache)
    epyr = Pyramid.open(src, cache)
    span = rec.duration
    n_q = 60 if quick else 200
    for n_px, who in ((1600, "GL window"), (150, "terminal")):
        for pyr in (epyr, zpyr):                # warm both
            _window_ms(pyr, span, n_px, 30, 1)
        e, z = [], []
        for t0 in np.random.default_rng(2).uniform(0, span - 30.0, n_q):   # the same pages, in turn
            for pyr, out in ((epyr, e), (zpyr, z)):
                t = time.perf_counter()
                pyr.window(float(t0), float(t0) + 30.0, n_px)
                out.append(1000 * (time.perf_counter() - t))
        rows.append({"row": f"page flip data, {who} ({n_px} columns, 30 s, 12 x 256 Hz)",
                     "edf_median_ms": round(statistics.median(e), 3), "zarr_median_ms": round(statistics.median(z), 3),
                     "edf_p95_ms": round(float(np.percentile(e, 95)), 3),
                     "zarr_p95_ms": round(float(np.percentile(z, 95)), 3),
                     "ratio_edf_over_zarr": round(statistics.median(e) / statistics.median(z), 3)})
    rec.close()
    size_mb = edf.stat().st_size / 1e6
    notes = (f"{hours:g} h x 20 signals PSG EDF ({size_mb:.0f} MB, 1 s records), written once in {setup_s:.1f} s "
             f"(cached in {edf.parent}); build on one core (NUMBA_NUM_THREADS=1 in the children; the parent's "
             f"numba kernels are single-threaded); load average {os.getloadavg()[0]:.2f}")
    return {"title": "EDF source: open, pyramid build, paging memory, flips beside zarr", "results": rows,
            "notes": notes}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--open":
        _open_child(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "--paging":
        _paging_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        print(json.dumps(run(quick="--quick" in sys.argv), indent=1, default=str))
