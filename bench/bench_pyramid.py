"""Min/max pyramid: build throughput on one core, build memory, window query latency.

Rows, each with its reference measured in the same run on the same data:

* ``compile``: first-call JIT time of the kernels with an empty numba cache,
  and the load time once cached (fresh processes).
* ``build``: G float32 samples/s of the pyramid build (level-0/1 kernel,
  higher levels, writes to the page cache; no fsync) over in-memory blocks,
  beside the bare kernel, a numpy reshape-then-min/max and one read pass
  (``np.max``, ``np.sum``). Data generation is not timed.
* ``peak_memory``: tracemalloc peak and RSS growth of ``build_pyramid`` over a
  lazily generated source, for two recording lengths (fresh processes).
* ``query``: ``Pyramid.window`` for 1600 columns x 16 channels, windows of
  10 s, 1 h and 24 h, on a 24 h x 16 ch x 1 kHz recording (1.38 G samples)
  built once into ``$LOUPE_BENCH_DIR`` (default ``/tmp/loupe-tui-bench``)
  and reused by later runs; plus the pyramid's disk size.
* ``query:mapped_rss``: a fresh process opens that pyramid and queries it
  all over (400 random windows each of 10 s, 1 h and 24 h, then 240
  consecutive 30 s pages): growth of its mapped-file RSS (``RssFile``), of
  the level files' page cache, and every query's latency (first touches
  included), with the files in the page cache or evicted first, with the
  access advice of ``Pyramid.open`` and without it (the reference).

The computation runs single-threaded (numba without ``parallel``, numpy
reductions). The build into files also keeps a writer thread busy with the
page-cache copies; its row says so, and the row before it is the same build
with the copies on the computing thread.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loupe_tui.io import minmax  # noqa: E402
from loupe_tui.io.pyramid_store import PyramidWriter  # noqa: E402
from loupe_tui.io.pyramid import Pyramid, block_length, build_pyramid  # noqa: E402
from loupe_tui.io.source import TimeAxis  # noqa: E402

N_CH = 16
FS = 1000.0
BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))


class SynthSource:
    """A :class:`TraceSource` that makes its blocks on demand from a short
    periodic noise table (plus a slow drift and a NaN gap), so a 24 h
    recording costs no memory and little time to "read"."""

    def __init__(self, n_samples: int, n_ch: int = N_CH, fs: float = FS, period: int = 65_537):
        self.time = TimeAxis(n=n_samples, t0=0.0, fs=fs)
        self.names = [f"ch{i}" for i in range(n_ch)]
        self.fingerprint = f"bench-synth v1 {n_ch}x{n_samples}@{fs}"
        rng = np.random.default_rng(7)
        self._table = rng.standard_normal((n_ch, period), dtype=np.float32)
        self._table[3, 1000:1500] = np.nan  # a periodic all-NaN stretch in one channel

    n_channels = property(lambda self: self._table.shape[0])
    n_samples = property(lambda self: self.time.n)
    preferred_block = property(lambda self: 1 << 20)

    def read(self, i0: int, i1: int, channels=None) -> np.ndarray:
        p = self._table.shape[1]
        out = np.empty((self.n_channels, i1 - i0), np.float32)
        i = i0
        while i < i1:  # contiguous copies of the table, period by period
            j = min(i1, i + p - i % p)
            out[:, i - i0:j - i0] = self._table[:, i % p:i % p + (j - i)]
            i = j
        out += np.float32(i0 // p % 100) * 0.01  # drift: blocks differ
        return out if channels is None else out[channels]


def _timed(fn, repeat: int) -> list[float]:
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return ts


def _rate(n: int, ts: list[float]) -> dict:
    return {"Gsamples_s_best": round(n / min(ts) / 1e9, 3),
            "Gsamples_s_median": round(n / float(np.median(ts)) / 1e9, 3)}


def bench_compile() -> list[dict]:
    code = (f"import importlib, time; t = time.perf_counter(); m = importlib.import_module({minmax.__name__!r}); "
            "t1 = time.perf_counter(); m.warmup(); print(t1 - t, time.perf_counter() - t1)")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, NUMBA_CACHE_DIR=d)
        for label in ("empty numba cache (JIT compile)", "numba cache warm (load)"):
            out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            rows.append({"case": "compile", "what": f"first call of all kernels, {label}",
                         "import_s": round(float(out[0]), 3), "first_call_s": round(float(out[1]), 3)})
    return rows


def bench_build(quick: bool) -> list[dict]:
    per_ch = (1 << 20) if quick else (1 << 24)  # 16 M / 256 M samples (64 MB / 1 GB): past the caches
    repeat = 2 if quick else 3
    block = min(block_length(SynthSource(1)), per_ch)  # what build_pyramid reads for 16 channels
    rng = np.random.default_rng(1)
    blocks = [rng.standard_normal((N_CH, block), dtype=np.float32) for _ in range(per_ch // block)]
    blocks[len(blocks) // 2][5, 100:300] = np.nan
    n_ch_samples = block * len(blocks)
    n = N_CH * n_ch_samples
    minmax.warmup()

    def build(path: Path | None, threaded: bool = True) -> float:
        # Made outside the timing (creates the files or allocates the output).
        w = PyramidWriter(path, N_CH, n_ch_samples, threaded=threaded)
        t = time.perf_counter()
        for x in blocks:
            w.push(x)
        w.finish(durable=False)
        return time.perf_counter() - t

    def to_files(threaded: bool) -> float:
        # A fresh directory per run, removed outside the timing: the writes
        # allocate new page-cache pages, as a real build does.
        d = Path(tempfile.mkdtemp(dir=BENCH_DIR))
        try:
            return build(d, threaded)
        finally:
            shutil.rmtree(d)

    bufs = [np.empty((N_CH, block // k), np.float32) for k in (4, 4, 32, 32)]

    def kernel():
        for x in blocks:
            minmax.levels01(x, *bufs)

    quarter = blocks[: max(1, len(blocks) // 4)]  # numpy is slow: a quarter of the data

    def numpy_reshape():
        for x in quarter:
            r = x.reshape(N_CH, -1, minmax.BIN0)
            r.min(axis=2)
            r.max(axis=2)

    timed = [("pyramid_in_memory", "all levels, in-memory blocks -> in-memory arrays (compute + memory traffic)",
              lambda: [build(None) for _ in range(repeat)], n),
             ("pyramid_to_cache_files_one_thread",
              "same, pwrite into fresh .npy files (page cache, no fsync), compute and writes on one thread",
              lambda: [to_files(False) for _ in range(repeat)], n),
             ("pyramid_to_cache_files",
              "same as build_pyramid does it: compute on one thread; page-cache writes overlapped on a "
              "writer thread (2 threads busy)", lambda: [to_files(True) for _ in range(repeat)], n)]
    plain = [("kernel", "level 0+1 kernel only, into reused buffers", kernel, n),
             ("numpy_reshape", "reference: x.reshape(ch, -1, 4).min/max (NaN-propagating)", numpy_reshape,
              N_CH * block * len(quarter)),
             ("np.max", "reference: one read pass, np.max per block", lambda: [x.max() for x in blocks], n),
             ("np.sum", "reference: one read pass, np.sum per block", lambda: [x.sum() for x in blocks], n)]
    rows = []
    build(None)  # warm
    for name, what, fn, count in timed:
        rows.append({"case": f"build:{name}", "what": what, "samples": count, **_rate(count, fn())})
    for name, what, fn, count in plain:
        fn()  # warm
        rows.append({"case": f"build:{name}", "what": what, "samples": count, **_rate(count, _timed(fn, repeat))})
    return rows


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_child(n_samples: int, cache_dir: str) -> dict:
    """Runs in a fresh process: memory held by one build, sampled after every block."""
    import tracemalloc

    minmax.warmup()
    src = SynthSource(n_samples)
    rss0 = _rss()
    peak_rss = [rss0]
    tracemalloc.start()
    t = time.perf_counter()
    build_pyramid(src, cache_dir, progress=lambda f, m: peak_rss.append(_rss()))
    wall = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    return {"tracemalloc_peak_MB": round(peak / 2**20, 1), "rss_growth_MB": round((max(peak_rss) - rss0) / 2**20, 1),
            "build_s_incl_generation_fsync": round(wall, 2)}


def bench_peak(quick: bool) -> list[dict]:
    lengths = [N_CH * (1 << 20), N_CH * (1 << 22)] if quick else [N_CH * (1 << 23), N_CH * (1 << 25)]
    rows = []
    for total in lengths:
        with tempfile.TemporaryDirectory(dir=BENCH_DIR) as d:
            out = subprocess.run([sys.executable, __file__, "--peak-child", str(total // N_CH), d], cwd=ROOT,
                                 check=True, capture_output=True, text=True).stdout
        block = block_length(SynthSource(1))
        rows.append({"case": "peak_memory", "what": "build_pyramid over a lazily generated source",
                     "samples": total, "raw_MB": round(total * 4 / 2**20),
                     "read_block_MB": round(N_CH * block * 4 / 2**20), **json.loads(out)})
    return rows


def bench_query(quick: bool) -> list[dict]:
    hours = 1 if quick else 24
    src = SynthSource(int(hours * 3600 * FS))
    cache = BENCH_DIR / "pyramids"
    t = time.perf_counter()
    built = Pyramid.open(src, cache) is None
    pyr = Pyramid.open_or_build(src, cache)
    build_s = time.perf_counter() - t
    raw = src.n_samples * N_CH * 4
    disk = sum(f.stat().st_size for f in pyr.path.glob("level*.npy"))
    rows = [{"case": "query:pyramid", "what": f"{hours} h x {N_CH} ch x 1 kHz synthetic, cache {pyr.path}",
             "samples": src.n_samples * N_CH, "levels": len(pyr.bins),
             "bins": f"{pyr.bins[0]}..{pyr.bins[-1]} x{minmax.FACTOR}",
             "disk_MB": round(disk / 2**20), "disk_vs_raw": round(disk / raw, 3),
             "built_now_s": round(build_s, 1) if built else "reused"}]
    rng = np.random.default_rng(3)
    T = src.n_samples / FS
    n = 100 if quick else 400
    for length in [10.0, 600.0 if quick else 3600.0, T]:
        t0s = rng.uniform(0.0, max(T - length, 0.0), n + 20)
        fresh = Pyramid.open(src, cache)  # new mappings, as in a just-started render process
        t = time.perf_counter()
        fresh.window(t0s[0], t0s[0] + length, 1600)
        first_ms = (time.perf_counter() - t) * 1e3
        for t0 in t0s[:20]:  # warm: first touch of the mapped pages
            pyr.window(t0, t0 + length, 1600)
        ts = []
        for t0 in t0s[20:]:
            t = time.perf_counter()
            w = pyr.window(t0, t0 + length, 1600)
            ts.append(time.perf_counter() - t)
        ts = np.array(ts) * 1e3
        label = f"{length:g} s" if length < 3600 else f"{length / 3600:g} h"
        rows.append({"case": f"query:{label}", "what": f"window(), 1600 px x {N_CH} ch, {n} random t0",
                     "median_ms": round(float(np.median(ts)), 4), "p95_ms": round(float(np.percentile(ts, 95)), 4),
                     "first_ms_fresh_open": round(first_ms, 3),
                     "level": w.level, "bin": w.bin, "bins_per_px": round(length * FS / 1600 / w.bin, 2)})
    return rows


def _rss_file_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssFile:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _page_cache_mb(files: list[Path]) -> float:
    """MB of the files resident in the page cache (``mincore``; Linux)."""
    import ctypes
    import mmap

    libc = ctypes.CDLL(None, use_errno=True)
    total = 0
    for path in files:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            mm = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ)
        a = np.frombuffer(mm, np.uint8)
        vec = np.zeros(-(-size // mmap.PAGESIZE), np.uint8)
        if libc.mincore(ctypes.c_void_p(a.ctypes.data), ctypes.c_size_t(size), vec.ctypes.data_as(ctypes.c_void_p)):
            return float("nan")
        total += int((vec & 1).sum(dtype=np.int64)) * mmap.PAGESIZE
        del a
        mm.close()
    return total / 2**20


def _rss_child(hours: float, state: str, advice: str) -> dict:
    """Runs in a fresh process: mapped-file RSS and latency of queries all over the pyramid."""
    from loupe_tui.io import pyramid as pyramid_mod

    if advice == "off":
        pyramid_mod.RANDOM_ACCESS_BYTES = 1 << 62  # no MADV_RANDOM / WILLNEED / DONTNEED: plain mmap
    minmax.warmup()
    src = SynthSource(int(hours * 3600 * FS))
    pyr = Pyramid.open(src, BENCH_DIR / "pyramids")
    files = sorted(pyr.path.glob("level*.npy"))
    if state == "cold":
        for path in files:
            fd = os.open(path, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
    pc0, r0 = _page_cache_mb(files), _rss_file_mb()
    peak = r0
    rng = np.random.default_rng(5)
    T = src.n_samples / FS
    out = {}
    windows = [(f"{length:g} s" if length < 3600 else f"{length / 3600:g} h",
                [(t0, t0 + length) for t0 in rng.uniform(0.0, max(T - length, 0.0), 400)])
               for length in (10.0, min(3600.0, T / 4), T)]
    windows.append(("30 s pages", [(T / 12 + 30.0 * i, T / 12 + 30.0 * (i + 1))
                                   for i in range(min(240, int(T * 11 / 12 / 30)))]))
    for label, ws in windows:
        ts = []
        for i, (t0, t1) in enumerate(ws):
            t = time.perf_counter()
            pyr.window(t0, t1, 1600)
            ts.append(time.perf_counter() - t)
            if i % 10 == 0:
                peak = max(peak, _rss_file_mb())
        ts = np.array(ts) * 1e3
        out[f"{label} median/p95/max ms"] = "/".join(
            f"{v:.3g}" for v in (np.median(ts), np.percentile(ts, 95), ts.max()))
    r1 = _rss_file_mb()
    return {"RssFile_growth_peak_MB": round(max(peak, r1) - r0), "RssFile_growth_end_MB": round(r1 - r0),
            "page_cache_growth_MB": round(_page_cache_mb(files) - pc0), **out}


def _read_all(files) -> None:
    for path in files:
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass


def bench_mapped_rss(quick: bool) -> list[dict]:
    hours = 1 if quick else 24
    files = list(Pyramid.open(SynthSource(int(hours * 3600 * FS)), BENCH_DIR / "pyramids").path.glob("level*.npy"))
    rows = []
    for state in ("hot", "cold"):
        for advice in ("off", "on"):
            if state == "hot":
                _read_all(files)  # the same start for both: every page cached by read()
            out = subprocess.run([sys.executable, __file__, "--rss-child", str(hours), state, advice], cwd=ROOT,
                                 check=True, capture_output=True, text=True).stdout
            rows.append({"case": "query:mapped_rss",
                         "what": (f"{hours} h pyramid, files {'read into' if state == 'hot' else 'evicted from'} "
                                  "the page cache, "
                                  + ("MADV_RANDOM + WILLNEED + DONTNEED budget (Pyramid.open)" if advice == "on"
                                     else "reference: plain mmap, kernel readahead")),
                         **json.loads(out)})
    _read_all(files)  # back into the page cache for the next run
    return rows


def run(quick: bool = False) -> dict:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results = bench_compile() + bench_build(quick) + bench_peak(quick) + bench_query(quick)
    if sys.platform.startswith("linux"):  # RssFile and mincore
        results += bench_mapped_rss(quick)
    return {"title": "min/max decimation pyramid (computation on one core)", "results": results,
            "notes": ("Level 0 bins 4 samples, x8 per level (why: docs/decimation.md). "
                      "G samples/s of float32; build rows exclude data generation; query rows are steady state "
                      "after 20 warm-up queries (mapped pages touched); mapped_rss rows are fresh processes, "
                      "first touches included, and evict the pyramid from the page cache (then read it back). "
                      f"The 24 h pyramid is cached in {BENCH_DIR}/pyramids and reused (delete it to time a build).")}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--peak-child":
        print(json.dumps(_peak_child(int(sys.argv[2]), sys.argv[3])))
    elif len(sys.argv) == 5 and sys.argv[1] == "--rss-child":
        print(json.dumps(_rss_child(float(sys.argv[2]), sys.argv[3], sys.argv[4])))
    else:
        quick = "--quick" in sys.argv
        for row in run(quick)["results"]:
            print(row)
