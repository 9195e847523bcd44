"""VideoSource: frame choice on the frame times, frame accuracy against an independent decode,
coalescing, prefetch, the cache, the index cache, and every validation error.

The test videos draw their frame index in bitmap digits (``loupe_tui.demo.video``),
are H.264 with B-frames and a keyframe every ``GOP`` frames; the reference is a
plain sequential PyAV decode from the start of each file (no seeks, no index).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from loupe_tui.config import VideoConfig
from loupe_tui.errors import LoupeConfigError
from render.video import MAX_TAIL_FRAMES, VideoError, VideoSource

av = pytest.importorskip("av")

GOP = 40
FPS = 30.0
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


# ------------------------------------------------------------------ helpers (also used by the GL tests)
def make_video(path: Path, n: int, first: int = 0, gop: int = GOP, faststart: bool = True) -> Path:
    """An H.264 file of ``n`` frames showing indices ``first..first+n-1`` (digits, a moving blob)."""
    from loupe_tui.demo.video import HEIGHT, WIDTH, render_frame

    base = np.tile(np.linspace(60, 200, WIDTH, dtype=np.uint8), (HEIGHT, 1))
    opts = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), "w", options=opts) as c:
        s = c.add_stream("libx264", rate=int(FPS))
        s.width, s.height, s.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        s.codec_context.thread_count = 1
        s.options = {"preset": "veryfast", "crf": "26", "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=2"}
        for i in range(n):
            k = first + i
            pose = (60 + (k * 3) % 200, 90 + 40 * np.sin(k / 9), k / 7, 16.0, 8.0, 0.0)
            f = av.VideoFrame.from_ndarray(render_frame(base, k, k / FPS, pose), format="yuv420p")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def reference_frames(path: Path, keep=None) -> dict[int, np.ndarray]:
    """Every frame (or those in ``keep``) by a sequential decode from the start, in output order."""
    out = {}
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if keep is None or i in keep:
                out[i] = f.to_ndarray(format="rgb24")
    return out


def frame_times(n: int, start: float, seed: int = 0, gap_after: int | None = None, gap_s: float = 0.0) -> np.ndarray:
    """Jittered 30 fps times (+-3 ms), with an optional gap after frame ``gap_after``."""
    rng = np.random.default_rng(seed)
    t = start + np.arange(n) / FPS + rng.uniform(-0.003, 0.003, n)
    if gap_after is not None:
        t[gap_after + 1:] += gap_s
    return t


def expected_index(times: np.ndarray, t: float, tol: float) -> int | None:
    """Brute force: the nearest frame time, if within ``tol``."""
    d = np.abs(times - t)
    i = int(np.argmin(d))
    return i if d[i] <= tol else None


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """One 200-frame file (keyframes every 40) with a 1 s gap after frame 99, and its reference."""
    d = tmp_path_factory.mktemp("clip")
    video = make_video(d / "a.mp4", 200)
    times = frame_times(200, 10.0, gap_after=99, gap_s=1.0)
    np.save(d / "a_times.npy", times)
    return {"dir": d, "video": video, "times_path": d / "a_times.npy", "times": times,
            "ref": reference_frames(video)}


@pytest.fixture(scope="module")
def pair(tmp_path_factory, clip):
    """A second file (frames 200..319) whose times follow the first after a 0.5 s pause."""
    d = clip["dir"]
    video = make_video(d / "b.mp4", 120, first=200)
    times = frame_times(120, float(clip["times"][-1]) + 0.5, seed=1)
    np.save(d / "b_times.npy", times)
    return {"video": video, "times_path": d / "b_times.npy", "times": times, "ref": reference_frames(video)}


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "index"


def source(clip, cache, **kw) -> VideoSource:
    src = VideoSource(VideoConfig(clip["video"], clip["times_path"]), cache_dir=cache, **kw)
    return src


# ------------------------------------------------------------------ frame choice and accuracy
def test_frames_match_an_independent_decode_at_random_times_and_around_keyframes(clip, cache):
    times, ref = clip["times"], clip["ref"]
    src = source(clip, cache)
    tol = src.max_distance
    assert tol == pytest.approx(0.55 * np.median(np.diff(times)))
    rng = np.random.default_rng(5)
    probes = list(rng.uniform(times[0] - 0.1, times[-1] + 0.1, 60))
    for k in range(GOP, 200, GOP):  # just before and just after every keyframe, both orders of visit
        probes += [times[k] - 0.001, times[k - 1] + 0.001, times[k] + 0.001, times[k - 1] - 0.001]
    probes += [times[0], times[-1], times[0] - 0.9 * tol, times[-1] + 0.9 * tol]
    for t in probes:
        want = expected_index(times, t, tol)
        assert src.frame_index_at(t) == want, t
        got = src.frame_at(t)
        if want is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got, ref[want], err_msg=f"t={t} frame {want}")
    src.close()


def test_the_digits_drawn_in_the_frame_are_its_index(clip, cache):
    from loupe_tui.demo.video import read_frame_index

    src = source(clip, cache)
    for i in (0, 39, 40, 41, 79, 80, 123, 199):
        rgb = src.frame(i)
        luma = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype(np.uint8)
        assert read_frame_index(luma) == i
    src.close()


def test_no_frame_in_a_gap_of_the_frame_times_or_outside_them(clip, cache):
    times = clip["times"]
    src = source(clip, cache)
    mid_gap = (times[99] + times[100]) / 2
    assert src.frame_index_at(mid_gap) is None and src.frame_at(mid_gap) is None
    assert src.frame_index_at(times[99] + 0.01) == 99          # the edges of the gap still show frames
    assert src.frame_index_at(times[100] - 0.01) == 100
    assert src.frame_index_at(times[0] - 1.0) is None and src.frame_index_at(times[-1] + 1.0) is None
    src.close()


def test_a_concatenated_video_is_one_video_across_the_file_boundary(clip, pair, cache):
    cfg = VideoConfig([clip["video"], pair["video"]], [clip["times_path"], pair["times_path"]], name="both")
    src = VideoSource(cfg, cache_dir=cache)
    times = np.concatenate([clip["times"], pair["times"]])
    assert src.n_frames == 320 and np.array_equal(src.times, times)
    for i in (198, 199, 200, 201, 239, 240, 319, 5, 250, 199, 200):  # jumps back and forth over the boundary
        t = times[i] + 0.002
        assert src.frame_index_at(t) == i
        want = clip["ref"][i] if i < 200 else pair["ref"][i - 200]
        np.testing.assert_array_equal(src.frame_at(t), want, err_msg=f"frame {i}")
    boundary_gap = (times[199] + times[200]) / 2                   # 0.5 s between the files
    assert src.frame_at(boundary_gap) is None
    src.close()


def test_correction_shifts_every_frame_time_and_the_tolerance_can_be_set(clip, cache):
    src = VideoSource(VideoConfig(clip["video"], clip["times_path"], frame_times_correction=-2.5,
                                  max_frame_distance_s=0.1), cache_dir=cache)
    times = clip["times"] - 2.5
    assert np.allclose(src.times, times) and src.max_distance == 0.1
    assert src.frame_index_at(times[50] + 0.01) == 50
    assert src.frame_index_at(times[99] + 0.09) == 99   # into the 1 s gap, within 0.1 s
    assert src.frame_index_at(times[99] + 0.2) is None  # in the 1 s gap, beyond 0.1 s of any frame
    np.testing.assert_array_equal(src.frame_at(times[50]), clip["ref"][50])
    src.close()


def test_a_spec_entry_opens_like_a_config(clip, cache):
    spec = {"name": "side", "video_paths": [str(clip["video"])], "frame_times_paths": [str(clip["times_path"])],
            "correction": 1.0, "max_frame_distance_s": None}
    src = VideoSource(spec, cache_dir=cache)
    assert src.name == "side" and src.frame_index_at(float(clip["times"][7]) + 1.0) == 7
    src.close()


def test_output_size_scales_frames(clip, cache):
    src = source(clip, cache)
    src.set_output_size((160, 120))
    assert src.frame(3).shape == (120, 160, 3)
    src.close()


# ------------------------------------------------------------------ the worker: coalescing, prefetch, cache
def _recorder():
    done, ev = [], threading.Event()

    def on_frame(i):
        done.append(i)
        ev.set()
    return done, ev, on_frame


def test_requests_coalesce_only_the_newest_is_decoded(clip, cache):
    done, _, on_frame = _recorder()
    src = source(clip, cache, on_frame=on_frame)
    wanted = [int(i) for i in np.random.default_rng(2).permutation(np.arange(5, 195, 10))]
    for i in wanted:                    # a burst, as under key repeat
        src.request(i)
    last = wanted[-1]
    assert src.wait_for(last, 20)
    np.testing.assert_array_equal(src.cached(last), clip["ref"][last])
    assert last in done and len(set(done) & set(wanted)) <= 4, done  # the stale ones were dropped
    src.close()


def test_a_stale_request_never_lands_after_the_newest(clip, cache):
    # The panel shows cached(want) only; a frame finished for an old request
    # must not be reported as the newest one.
    done, _, on_frame = _recorder()
    src = source(clip, cache, on_frame=on_frame)
    src.request(190)
    src.request(12)
    assert src.wait_for(12, 20)
    src.request(None)                   # cursor in a gap: nothing wanted
    assert src.cached(12) is not None and done[-1] == 12
    src.close()


def test_prefetch_decodes_hints_ahead_and_keeps_frames_before_a_target(clip, cache):
    done, ev, on_frame = _recorder()
    src = source(clip, cache, on_frame=on_frame)
    src.request(130)
    src.prefetch([131, 170, 60])        # next frame, next page, previous page
    for i in (130, 131, 170, 60):
        assert src.wait_for(i, 20), i
        np.testing.assert_array_equal(src.cached(i), clip["ref"][i])
    for i in (126, 127, 128, 129):      # decoded on the way to 130: steps back are free
        np.testing.assert_array_equal(src.cached(i), clip["ref"][i])
    src.close()


def test_playback_decodes_forward_without_seeking(clip, cache):
    src = source(clip, cache)
    src.frame(41)
    seeks = src.stats()["seeks"]
    for i in range(42, 79):
        src.request(i)
        assert src.wait_for(i, 10)
    assert src.stats()["seeks"] == seeks
    src.close()


def test_the_cache_stays_within_its_memory_bound(clip, cache):
    src = source(clip, cache, cache_mb=1.0)  # a 320x240 RGB frame is 225 KiB
    for i in range(0, 60, 3):
        src.frame(i)
    assert src.stats()["cache_bytes"] <= 2 ** 20 and src.stats()["cache_frames"] == 4
    src.close()


def test_the_index_is_cached_and_rebuilt_when_the_file_changes(clip, cache, tmp_path):
    import shutil

    video = Path(shutil.copy(clip["video"], tmp_path / "copy.mp4"))
    cfg = VideoConfig(video, clip["times_path"])
    VideoSource(cfg, cache_dir=cache).close()
    files = list(cache.glob("*.npz"))
    assert len(files) == 1
    VideoSource(cfg, cache_dir=cache).close()
    assert list(cache.glob("*.npz")) == files
    mtime = video.stat().st_mtime_ns
    os.utime(video, ns=(1, 1))          # another mtime: another file, as far as the cache knows
    VideoSource(cfg, cache_dir=cache).close()
    assert len(list(cache.glob("*.npz"))) == 2
    os.utime(video, ns=(mtime, mtime))
    files[0].write_bytes(b"not an index")  # a damaged cache entry is rebuilt, not trusted
    src = VideoSource(cfg, cache_dir=cache)
    np.testing.assert_array_equal(src.frame(45), clip["ref"][45])
    src.close()
    assert files[0].stat().st_size > 100


# ------------------------------------------------------------------ validation
def _save(tmp_path, name, arr) -> Path:
    p = tmp_path / name
    np.save(p, np.asarray(arr))
    return p


def test_frame_times_must_be_finite(clip, tmp_path):
    t = clip["times"].copy()
    t[17] = np.nan
    p = _save(tmp_path, "nan.npy", t)
    with pytest.raises(LoupeConfigError, match=r"nan\.npy: frame time 17 is not finite"):
        VideoSource(VideoConfig(clip["video"], p))


def test_frame_times_must_be_strictly_increasing(clip, tmp_path):
    t = clip["times"].copy()
    t[30] = t[29]
    p = _save(tmp_path, "flat.npy", t)
    with pytest.raises(LoupeConfigError, match=r"flat\.npy: frame times must be strictly increasing: t\[29\]"):
        VideoSource(VideoConfig(clip["video"], p))


def test_as_many_frame_times_as_frames(clip, tmp_path, cache):
    t = np.concatenate([clip["times"], clip["times"][-1] + np.arange(1, 31) / FPS])
    p = _save(tmp_path, "long.npy", t)
    with pytest.raises(VideoError, match=r"a\.mp4: 200 frames but .*long\.npy has 230 frame times"):
        VideoSource(VideoConfig(clip["video"], p), cache_dir=cache)
    p = _save(tmp_path, "short.npy", clip["times"][:150])
    with pytest.raises(VideoError, match=r"200 frames but .*short\.npy has 150"):
        VideoSource(VideoConfig(clip["video"], p), cache_dir=cache)


def test_a_truncated_tail_is_accepted_and_reported(clip, tmp_path, cache):
    extra = clip["times"][-1] + np.arange(1, 4) / FPS
    p = _save(tmp_path, "tail.npy", np.concatenate([clip["times"], extra]))   # recording stopped mid-write
    src = VideoSource(VideoConfig(clip["video"], p), cache_dir=cache)
    assert src.n_frames == 200 and "3 frame times without a frame" in src.warnings[0]
    assert src.frame_index_at(float(extra[1])) is None
    src.close()
    p = _save(tmp_path, "cut.npy", clip["times"][:200 - MAX_TAIL_FRAMES])
    src = VideoSource(VideoConfig(clip["video"], p), cache_dir=cache)
    assert src.n_frames == 200 - MAX_TAIL_FRAMES and "frames without a time" in src.warnings[0]
    src.close()


def test_lists_of_videos_and_frame_times_must_have_equal_lengths(clip, pair):
    with pytest.raises(LoupeConfigError, match="1 files for 2 videos"):
        VideoSource(VideoConfig([clip["video"], pair["video"]], [clip["times_path"]]))
    with pytest.raises(LoupeConfigError, match="both be lists or both single"):
        VideoSource(VideoConfig([clip["video"]], clip["times_path"]))
    spec = {"name": "x", "video_paths": [str(clip["video"]), str(pair["video"])],
            "frame_times_paths": [str(clip["times_path"])]}
    with pytest.raises(LoupeConfigError, match="1 files for 2 videos"):
        VideoSource(spec)


def test_a_missing_video_or_times_file_is_named(clip, tmp_path):
    with pytest.raises(LoupeConfigError, match=r"nope\.mp4: no such file"):
        VideoSource(VideoConfig(tmp_path / "nope.mp4", clip["times_path"]))
    with pytest.raises(LoupeConfigError, match=r"nope\.npy: no such file"):
        VideoSource(VideoConfig(clip["video"], tmp_path / "nope.npy"))


def test_a_file_that_is_not_a_video_is_named(clip, tmp_path, cache):
    bad = tmp_path / "notes.mp4"
    bad.write_bytes(b"these are not the frames you are looking for\n" * 200)
    with pytest.raises(VideoError, match=r"notes\.mp4: cannot open as a video"):
        VideoSource(VideoConfig(bad, clip["times_path"]), cache_dir=cache)
    p = _save(tmp_path, "grid_times.npy", np.zeros((2, 2)))
    with pytest.raises(LoupeConfigError, match=r"grid_times\.npy: frame times must be 1-D"):
        VideoSource(VideoConfig(clip["video"], p), cache_dir=cache)


def test_a_truncated_file_is_named(clip, tmp_path, cache):
    data = clip["video"].read_bytes()
    cut = tmp_path / "cut.mp4"                 # index at the front, frames cut off: too few frames
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoError, match=r"cut\.mp4"):
        VideoSource(VideoConfig(cut, clip["times_path"]), cache_dir=cache)
    tail_index = make_video(tmp_path / "moov_last.mp4", 50, faststart=False)
    raw = tail_index.read_bytes()
    tail_index.write_bytes(raw[: len(raw) // 2])  # index at the end, gone
    with pytest.raises(VideoError, match=r"moov_last\.mp4: cannot open as a video"):
        VideoSource(VideoConfig(tail_index, _save(tmp_path, "t50.npy", clip["times"][:50])), cache_dir=cache)


def test_damaged_frames_are_reported_not_raised_by_the_worker(clip, tmp_path, cache):
    data = bytearray(clip["video"].read_bytes())
    rng = np.random.default_rng(0)
    start = len(data) // 3
    data[start:start + len(data) // 3] = rng.integers(0, 256, len(data) // 3, dtype=np.uint8).tobytes()
    bad = tmp_path / "noise.mp4"
    bad.write_bytes(bytes(data))
    done, _, on_frame = _recorder()
    src = VideoSource(VideoConfig(bad, clip["times_path"]), cache_dir=cache, on_frame=on_frame)
    for i in (100, 5):
        src.request(i)
        assert src.wait_for(i, 20)
    # Either a (concealed) picture or an error naming the file; the worker lives on.
    assert src.cached(5) is not None
    err = src.error_at(100)
    assert err is None or "noise.mp4" in err
    src.close()


# ------------------------------------------------------------------ the real video in shared/data
@pytest.mark.skipif(not (SHARED / "openfield_m3v1.mp4").is_file(), reason="../shared/data is absent (a user's clone)")
def test_real_video_frames_around_its_sparse_keyframes(tmp_path, cache):
    path = SHARED / "openfield_m3v1.mp4"
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        pts = np.sort([p.pts for p in c.demux(s) if p.size])
        tb = float(s.time_base)
    rng = np.random.default_rng(3)
    times = 100.0 + pts * tb + rng.uniform(-0.004, 0.004, len(pts))     # derived from the packets, with jitter
    np.save(tmp_path / "of_times.npy", times)
    src = VideoSource(VideoConfig(path, tmp_path / "of_times.npy"), cache_dir=cache)
    keys = src._files[0].index.keyframes
    assert len(keys) == 12 and src.n_frames == 2330
    probe = {int(i) for i in rng.integers(0, 2330, 12)}
    for k in keys[1:6]:
        probe |= {int(k) - 1, int(k), int(k) + 1}
    ref = reference_frames(path, keep=probe)
    for i in sorted(probe, key=lambda _: rng.random()):
        np.testing.assert_array_equal(src.frame_at(times[i] + 0.005), ref[i], err_msg=f"frame {i}")
    src.close()
