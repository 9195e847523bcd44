"""The min/max pyramid: exact against brute force, NaN gaps, cache life cycle."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from loupe_tui.errors import DataFileError
from loupe_tui.io import pyramid_store
from loupe_tui.io.minmax import BIN0, FACTOR
from loupe_tui.io.pyramid import (
    RAW_BELOW,
    Pyramid,
    PyramidBuildCancelled,
    block_length,
    build_pyramid,
    cache_key,
    default_cache_dir,
)
from loupe_tui.io.source import ArraySource, TimeAxis

FS = 1000.0
N = 100_003  # not a multiple of any bin: every level ends in a short bin


class SpySource:
    """Wraps a source; counts reads and remembers the longest block."""

    def __init__(self, inner, fingerprint=None, fail_at=None):
        self.inner, self.reads, self.max_block, self.fail_at = inner, 0, 0, fail_at
        self.names, self.time = inner.names, inner.time
        self.fingerprint = fingerprint or inner.fingerprint

    n_channels = property(lambda self: self.inner.n_channels)
    n_samples = property(lambda self: self.inner.n_samples)
    preferred_block = property(lambda self: self.inner.preferred_block)

    def read(self, i0, i1, channels=None):
        self.reads += 1
        self.max_block = max(self.max_block, i1 - i0)
        if self.fail_at is not None and self.reads >= self.fail_at:
            raise RuntimeError("disk unplugged")
        return self.inner.read(i0, i1, channels)


def make_data(n=N, n_ch=3, seed=0):
    x = np.random.default_rng(seed).standard_normal((n_ch, n)).astype(np.float32)
    x[1, 5_000:9_000] = np.nan          # an all-NaN stretch: a gap
    x[1, 20_001:20_050:3] = np.nan      # scattered NaN: ignored
    x[2, 777] = np.inf                  # infinities are missing samples, like NaN
    x[2, 778] = -np.inf
    return x


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.fixture(scope="module")
def pyr(data, tmp_path_factory):
    src = ArraySource(data, TimeAxis(n=N, t0=10.0, fs=FS))
    return build_pyramid(src, tmp_path_factory.mktemp("cache"), memory_budget=1 << 17)


def brute(x, edges):
    """Column min/max from raw samples: NaN and inf ignored, empty/all-missing columns NaN."""
    x = np.where(np.isfinite(x), x, np.nan)
    lo = np.full((x.shape[0], len(edges) - 1), np.nan, np.float32)
    hi = lo.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for j in range(len(edges) - 1):
            if edges[j + 1] > edges[j]:
                lo[:, j] = np.nanmin(x[:, edges[j]:edges[j + 1]], axis=1)
                hi[:, j] = np.nanmax(x[:, edges[j]:edges[j + 1]], axis=1)
    return lo, hi


def ideal_starts(ax, t0, t1, n_px):
    t = t0 + (t1 - t0) * (np.arange(n_px + 1) / n_px)
    t[-1] = t1
    return np.asarray(ax.index_of(t), dtype=np.int64)


def check_window(p, x, t0, t1, n_px, channels=None):
    w = p.window(t0, t1, n_px, channels)
    rows = np.arange(x.shape[0])[channels if channels is not None else slice(None)]
    assert list(w.channels) == list(np.atleast_1d(rows))
    xs = x[w.channels]
    if w.raw:
        assert w.lo is w.hi and w.level == -1
        raw = xs[:, w.edges[0]:w.edges[1]]
        assert np.array_equal(w.lo, np.where(np.isfinite(raw), raw, np.nan), equal_nan=True)
        assert np.array_equal(w.times, p.time.time_of(np.arange(w.edges[0], w.edges[1])))
        return w
    assert w.lo.shape == w.hi.shape == (len(w.channels), n_px) and w.lo.dtype == np.float32
    lo, hi = brute(xs, w.edges)
    assert np.array_equal(w.lo, lo, equal_nan=True) and np.array_equal(w.hi, hi, equal_nan=True)
    ideal = ideal_starts(p.time, t0, t1, n_px)
    assert np.all(np.abs(w.edges - ideal) <= w.bin // 2)  # off by at most half a bin
    assert np.all(np.diff(w.edges) >= 0)
    return w


def test_random_windows_match_brute_force(pyr, data):
    rng = np.random.default_rng(42)
    levels = set()
    for _ in range(150):
        t0 = rng.uniform(0.0, 125.0)           # the recording is [10, 110.003) s
        t1 = t0 + 10 ** rng.uniform(-2.5, 2.3)
        n_px = int(rng.integers(1, 400))
        ch = [None, [2, 0], slice(1, 3), [1]][rng.integers(4)]
        levels.add(check_window(pyr, data, t0, t1, n_px, ch).level)
    assert {-1, 0, 1, 2, 3} <= levels


def test_level_is_coarsest_bin_within_a_pixel(pyr, data):
    for n_px in (7, 100, 1600):
        for length in (1.0, 5.0, 30.0, 100.0):
            w = check_window(pyr, data, 10.0, 10.0 + length, n_px)
            spp = length * FS / n_px
            if w.raw:
                assert spp < RAW_BELOW
            elif w.level == -1:
                assert RAW_BELOW <= spp < BIN0
            else:
                assert w.bin <= spp and (w.bin * FACTOR > spp or w.level == len(pyr.bins) - 1)


def test_top_levels_cover_the_whole_recording(pyr, data):
    assert check_window(pyr, data, 10.0, 110.0, 3).level == 4
    w = check_window(pyr, data, 0.0, 200.0, 1)   # the single bin of the top level
    assert w.level == len(pyr.bins) - 1 == 5 and list(w.edges) == [0, N]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.array_equal(w.lo[:, 0], np.nanmin(np.where(np.isfinite(data), data, np.nan), axis=1))


def test_mid_bin_edges_and_source_reduction(pyr, data):
    # 3 samples per pixel: below level 0, reduced from the source exactly.
    w = check_window(pyr, data, 10.0011, 10.0011 + 0.3, 100)
    assert w.level == -1 and not w.raw
    assert np.array_equal(w.edges, ideal_starts(pyr.time, 10.0011, 10.3011, 100))
    # 5.5 samples per pixel, starting mid-bin: level 0.
    assert check_window(pyr, data, 10.0013, 10.0013 + 0.55, 100).level == 0


def test_tiny_window_returns_raw_samples(pyr, data):
    w = check_window(pyr, data, 12.0, 12.5, 1600, channels=[0, 2])
    assert w.raw and w.lo.shape[0] == 2
    # One sample beyond each side so the drawn line reaches the window edges.
    assert w.times[0] < 12.0 and w.times[-1] >= 12.5 and w.times[1] >= 12.0


def test_outside_recording_is_nan(pyr, data):
    w = check_window(pyr, data, 0.0, 5.0, 50)
    assert np.isnan(w.lo).all() and np.isnan(w.hi).all()
    w = check_window(pyr, data, 109.5, 200.0, 90)   # the recording ends at 110.003 s
    assert not np.isnan(w.lo[0, 0]) and np.isnan(w.lo[:, 1:]).all()
    w = check_window(pyr, data, -90.0, 110.0, 200)  # starts at 10 s: the right half
    assert np.isnan(w.lo[:, :100]).all() and not np.isnan(w.lo[0, 100:]).any()
    w = pyr.window(200.0, 201.0, 10)
    assert not w.raw and np.isnan(w.lo).all()


def test_nan_and_inf(pyr, data):
    # Channel 1 is all NaN over samples [5000, 9000) = [15, 19) s.
    w = check_window(pyr, data, 14.0, 20.0, 60, channels=[1])
    assert np.isnan(w.lo[0, 12:48]).all() and not np.isnan(w.lo[0, :9]).any()
    assert not np.isnan(w.lo[0, 52:]).any()
    w = check_window(pyr, data, 10.0, 110.0, 100, channels=[2])
    assert np.isfinite(w.lo[0, 0]) and np.isfinite(w.hi[0, 0])  # the lone infinities are skipped


def test_inf_runs_are_gaps(tmp_path):
    n = 40_000
    x = np.sin(np.arange(n, dtype=np.float32) / 50)[None, :].copy()
    x[0, 10_000:14_000] = np.inf          # a saturated stretch: +inf ...
    x[0, 14_000:16_000] = -np.inf         # ... then -inf
    p = build_pyramid(ArraySource(x, TimeAxis(n=n, t0=0.0, fs=1000.0)), tmp_path)
    for n_px in (40, 400, 4000, 20000):   # pyramid levels, exact columns and raw samples
        w = p.window(0.0, 40.0, n_px)
        # Column j covers about [t - half, t + half); its edges round to whole bins (<= 0.26 s here).
        half = 0.0005 if w.raw else 20.0 / n_px
        t = (w.times if w.raw else (np.arange(n_px) + 0.5) * 40.0 / n_px)
        inside = (t - half - 0.3 > 10.0) & (t + half + 0.3 < 16.0)
        assert inside.any() and np.isnan(w.lo[0, inside]).all() and np.isnan(w.hi[0, inside]).all(), n_px
        outside = (t + half + 0.3 < 10.0) | (t - half - 0.3 > 16.0)
        assert np.isfinite(w.lo[0, outside]).all() and np.isfinite(w.hi[0, outside]).all(), n_px


def test_irregular_time_axis(tmp_path):
    rng = np.random.default_rng(3)
    n = 30_011
    dt = rng.uniform(0.5e-3, 1.5e-3, n)
    dt[10_000] = 2.0                      # a 2 s hole: empty columns there
    times = 100.0 + np.cumsum(dt)
    x = make_data(n, 3, seed=5)
    p = build_pyramid(ArraySource(x, TimeAxis(n=n, t0=float(times[0]), times=times)), tmp_path)
    kinds = set()
    for _ in range(80):
        t0 = rng.uniform(95.0, 135.0)
        t1 = t0 + 10 ** rng.uniform(-2, 1.7)
        w = check_window(p, x, t0, t1, int(rng.integers(5, 300)))
        kinds.add((w.raw, w.level >= 0))
    assert {(True, False), (False, True)} <= kinds     # raw samples and pyramid levels
    t_hole = float(times[9_999])                     # no sample in (t_hole, t_hole + 2)
    w = check_window(p, x, t_hole - 1.0, t_hole + 3.0, 100)
    assert np.isnan(w.lo[:, 26:74]).all() and not np.isnan(w.lo[0, :24]).any()
    assert not np.isnan(w.lo[0, 76:]).any()


def test_cache_is_reused_and_keyed_by_fingerprint(data, tmp_path):
    inner = ArraySource(data, TimeAxis(n=N, t0=0.0, fs=FS))
    a = SpySource(inner)
    p1 = Pyramid.open_or_build(a, tmp_path)
    assert a.reads > 0
    b = SpySource(inner)
    p2 = Pyramid.open_or_build(b, tmp_path)
    assert b.reads == 0 and p2.path == p1.path
    assert np.array_equal(p2.window(0, 100, 50).lo, p1.window(0, 100, 50).lo, equal_nan=True)
    c = SpySource(inner, fingerprint=inner.fingerprint + "-edited")
    assert Pyramid.open(c, tmp_path) is None
    Pyramid.open_or_build(c, tmp_path)
    assert c.reads > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([cache_key(a.fingerprint), cache_key(c.fingerprint)])


def test_build_reads_bounded_blocks(data, tmp_path):
    spy = SpySource(ArraySource(data, TimeAxis(n=N, t0=0.0, fs=FS)))
    budget = 1 << 16
    fractions = []
    build_pyramid(spy, tmp_path, progress=lambda f, msg: fractions.append(f), memory_budget=budget)
    assert spy.max_block == block_length(spy, budget)
    assert spy.max_block * spy.n_channels * 4 <= budget // 2
    assert spy.reads == -(-N // spy.max_block) == len(fractions)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_failed_or_cancelled_build_leaves_nothing(data, tmp_path):
    inner = ArraySource(data, TimeAxis(n=N, t0=0.0, fs=FS))
    with pytest.raises(RuntimeError):
        build_pyramid(SpySource(inner, fail_at=3), tmp_path, memory_budget=1 << 16)
    calls = []
    with pytest.raises(PyramidBuildCancelled):
        build_pyramid(inner, tmp_path, cancel=lambda: calls.append(1) or len(calls) > 2,
                      memory_budget=1 << 16)
    assert list(tmp_path.iterdir()) == []
    assert Pyramid.open(inner, tmp_path) is None
    assert not writer_threads()


def writer_threads():
    return [t for t in threading.enumerate() if t.name == "loupe-pyramid-writer"]


def open_fds():
    """(fd, target) of this process's open files where /proc tells (Linux), else empty."""
    d = "/proc/self/fd"
    if not os.path.isdir(d):
        return set()
    # The fd listdir itself opens is gone by the time it is checked.
    return {(f, os.readlink(f"{d}/{f}")) for f in os.listdir(d) if os.path.exists(f"{d}/{f}")}


@pytest.mark.parametrize("fail", ["first pwrite", "later pwrite", "fsync"])
def test_write_error_is_a_data_file_error_and_leaves_nothing(data, tmp_path, monkeypatch, fail):
    # The writes run on the writer thread: its error must reach the building
    # thread as a DataFileError, stop the build (no deadlock waiting for free
    # buffers) and leave no pyramid, no thread and no open file behind.
    src = ArraySource(data, TimeAxis(n=N, t0=0.0, fs=FS))
    calls = []
    real_pwrite, real_fsync = os.pwrite, os.fsync
    limit = {"first pwrite": 0, "later pwrite": 40, "fsync": 10**9}[fail]

    def pwrite(fd, buf, pos):
        calls.append(threading.current_thread().name)
        if len(calls) > limit:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_pwrite(fd, buf, pos)

    def fsync(fd):
        if fail == "fsync":
            raise OSError(errno.EIO, "Input/output error")
        return real_fsync(fd)

    monkeypatch.setattr(pyramid_store.os, "pwrite", pwrite)
    monkeypatch.setattr(pyramid_store.os, "fsync", fsync)
    fds = open_fds()
    with pytest.raises(DataFileError, match="cannot write the pyramid cache") as err:
        build_pyramid(src, tmp_path, memory_budget=1 << 14)  # blocks of 2048 samples: 49 blocks
    assert isinstance(err.value.__cause__, OSError)
    assert set(calls) == {"loupe-pyramid-writer"}         # compute and writes on separate threads
    assert list(tmp_path.iterdir()) == []
    assert Pyramid.open(src, tmp_path) is None
    assert not writer_threads() and open_fds() == fds
    monkeypatch.undo()
    assert build_pyramid(src, tmp_path).window(0.0, 100.0, 10).level == 3   # the cache still works


def test_cancelled_build_stops_the_writer(data, tmp_path, monkeypatch):
    # Cancel while writes are still queued: they are dropped, the thread ends
    # before the files are closed and deleted.
    real_pwrite = os.pwrite

    def slow_pwrite(fd, buf, pos):
        threading.Event().wait(0.002)
        return real_pwrite(fd, buf, pos)

    monkeypatch.setattr(pyramid_store.os, "pwrite", slow_pwrite)
    src = ArraySource(data, TimeAxis(n=N, t0=0.0, fs=FS))
    fds, calls = open_fds(), []
    with pytest.raises(PyramidBuildCancelled):
        build_pyramid(src, tmp_path, cancel=lambda: calls.append(1) or len(calls) > 5, memory_budget=1 << 14)
    assert list(tmp_path.iterdir()) == [] and Pyramid.open(src, tmp_path) is None
    assert not writer_threads() and open_fds() == fds


@pytest.mark.parametrize("threaded", [True, False])
def test_small_slabs_give_the_same_levels(data, tmp_path, monkeypatch, threaded):
    # Many level-0 segments per channel and a single slab of each kind: the
    # computation waits for every write, and the levels are unchanged.
    ref = build_pyramid(ArraySource(data, TimeAxis(n=N, t0=0.0, fs=FS)), tmp_path / "ref")
    monkeypatch.setattr(pyramid_store, "SEGMENT", 2048)
    monkeypatch.setattr(pyramid_store, "L0_SLABS", 1)
    monkeypatch.setattr(pyramid_store, "UP_SLABS", 1)
    w = pyramid_store.PyramidWriter(tmp_path, data.shape[0], N, threaded=threaded)
    for i in range(0, N, 8192 * 4):
        w.push(data[:, i:i + 8192 * 4])
    w.finish()
    for k, (lo, hi) in enumerate(ref.levels):
        got = np.load(tmp_path / f"level{k:02d}.npy")
        assert np.array_equal(got[0], lo, equal_nan=True) and np.array_equal(got[1], hi, equal_nan=True)


KILLED_BUILD = """
import os, sys, numpy as np
from loupe_tui.io.source import ArraySource, TimeAxis
from loupe_tui.io.pyramid import build_pyramid
x = np.arange(3 * 100_003, dtype=np.float32).reshape(3, -1)
src = ArraySource(x, TimeAxis(n=100_003, t0=0.0, fs=1000.0), fingerprint="killed")
build_pyramid(src, sys.argv[1], memory_budget=1 << 16,
              progress=lambda f, m: os._exit(9) if f > 0.5 else None)
"""


def test_killed_build_is_never_used(tmp_path):
    r = subprocess.run([sys.executable, "-c", KILLED_BUILD, str(tmp_path)],
                       cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert r.returncode == 9
    (left,) = tmp_path.iterdir()                 # the half-built temp dir
    assert ".tmp-" in left.name and any(left.glob("level00.npy"))
    x = np.arange(3 * 100_003, dtype=np.float32).reshape(3, -1)
    src = SpySource(ArraySource(x, TimeAxis(n=100_003, t0=0.0, fs=1000.0), fingerprint="killed"))
    assert Pyramid.open(src, tmp_path) is None
    p = Pyramid.open_or_build(src, tmp_path)    # rebuilds, and sweeps the dead build away
    assert src.reads > 0 and [q.name for q in tmp_path.iterdir()] == [p.path.name]
    w = p.window(0.0, 100.0, 10)
    assert np.array_equal(w.hi[0], x[0, w.edges[1:] - 1])


def test_corrupt_cache_is_rebuilt(data, tmp_path):
    src = ArraySource(data, TimeAxis(n=N, t0=0.0, fs=FS))
    p = build_pyramid(src, tmp_path)
    (p.path / "level02.npy").write_bytes(b"junk")
    assert Pyramid.open(src, tmp_path) is None
    spy = SpySource(src)
    p2 = Pyramid.open_or_build(spy, tmp_path)
    assert spy.reads > 0 and p2.window(0, 100, 9).level == 3


def test_cache_dir_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("LOUPE_TUI_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "loupe-tui" / "pyramids"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path(os.path.expanduser("~/.cache/loupe-tui/pyramids"))
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine" / "pyramids"
    src = ArraySource(np.ones((1, 100), np.float32), TimeAxis(n=100, t0=0.0, fs=FS))
    assert Pyramid.open_or_build(src).path.parent == tmp_path / "mine" / "pyramids"


def test_unwritable_cache_dir_is_a_data_file_error(tmp_path):
    (tmp_path / "file").write_text("")
    src = ArraySource(np.ones((1, 100), np.float32), TimeAxis(n=100, t0=0.0, fs=FS))
    with pytest.raises(DataFileError, match="file"):
        build_pyramid(src, tmp_path / "file" / "sub")


def test_large_levels_are_read_with_random_access_advice(pyr, data, monkeypatch):
    # Every level counts as large and the mapping is dropped on every query:
    # windows stay exact (the pages come back from the page cache).
    from loupe_tui.io import pyramid as pyramid_mod

    monkeypatch.setattr(pyramid_mod, "RANDOM_ACCESS_BYTES", 0)
    monkeypatch.setattr(pyramid_mod, "MAPPED_BUDGET", 1)
    p = Pyramid.open(pyr.source, pyr.path.parent)
    if sys.platform.startswith("linux"):
        assert all(r is not None for r in p._random)
    rng = np.random.default_rng(7)
    for _ in range(40):
        t0 = rng.uniform(5.0, 115.0)
        check_window(p, data, t0, t0 + 10 ** rng.uniform(-0.5, 2.0), int(rng.integers(20, 400)),
                     [None, [2, 0], [1]][rng.integers(3)])
    w = check_window(p, data, 10.0, 20.0, 100)   # twice the same window: the second skips the advice
    assert np.array_equal(check_window(p, data, 10.0, 20.0, 100).lo, w.lo, equal_nan=True)
    assert not p.levels[0][0].flags.writeable


def test_bad_window_arguments(pyr):
    with pytest.raises(ValueError):
        pyr.window(5.0, 5.0, 10)
    with pytest.raises(ValueError):
        pyr.window(0.0, 5.0, 0)
