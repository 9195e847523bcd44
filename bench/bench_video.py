"""Video: opening, decoding, random jumps, page flips and playback in the GL window.

Videos (built once under ``$LOUPE_BENCH_DIR/video``, default ``/tmp/loupe-tui-bench``):

* ``openfield``: the real H.264 640x480 yuv444p video in ``../shared/data``
  (2330 frames, a keyframe about every 200), frame times from its packet
  timestamps with +-3 ms jitter;
* ``1080p``: a generated 1920x1080 H.264 long-GOP video (keyframe every 250
  frames, B-frames, moving texture), 1500 frames (50 s);
* ``1 h``: the openfield packets remuxed 47 times end to end (109,510
  frames, 61 min): opening it builds the keyframe index.

Rows:

* ``open``: building the keyframe index (demux, no decode) cold, then from the cache.
* ``decode``: sequential decode speed (frames/s), alone and with conversion to
  the panel's RGB size; the decoder's memory (RSS growth of this process
  over a run of random jumps, with the frame cache it includes).
* ``random jump``: a frame far from the last one, cold: VideoSource.frame
  (seek to the keyframe at or before, decode forward, convert) beside
  ``limit``: plain PyAV seeking to the same keyframe and decoding up to the
  frame, which is what any exact seek must cost.
* ``page flip``: the GL window (1600x900, traces + the video), 10 s pages,
  the user reading each page for ``READ_S``: time from SetWindow to the
  traces' FrameDrawn, and how much later the video frame was on screen (0
  when the prefetched frame came with the traces; target < 50 ms).
* ``playback``: 1x for 3 s: window frames per second (the video's rate is
  about 30) and, in-process, the share of frames decoded after they were due.

``quick`` (smoke run): its own small media under ``$LOUPE_BENCH_DIR/video-quick``
(the 1080p video 320 frames at 10 fps with a keyframe every 60, the long
one 3 openfields end to end), fewer frames and jumps; in the window only the 1080p video, 2 page flips
after 0.75 s of reading and 1 s of playback.

Benchmarks measure; they assert nothing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_ROOT = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
BENCH_DIR = BENCH_ROOT / "video"
OPENFIELD = ROOT.parent / "shared" / "data" / "openfield_m3v1.mp4"
SIZE = (1600, 900)
PAGE_S = 10.0
READ_S = 1.5
QUICK_READ_S = 0.75
HD_FRAMES, HD_GOP = 1500, 250
LONG_REPEATS = 47
# quick: 32 s at 10 fps (3 pages of 10 s, so the page flips run), encoded ultrafast
QUICK_HD_FRAMES, QUICK_HD_GOP, QUICK_HD_RATE, QUICK_LONG_REPEATS = 320, 60, 10, 3


# ------------------------------------------------------------------ media
def _times_from_packets(path: Path, dest: Path, start: float = 0.0, seed: int = 0) -> Path:
    import av

    if dest.exists():
        return dest
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        pts = np.sort(np.fromiter((p.pts for p in c.demux(s) if p.size), np.int64))
        tb = float(s.time_base)
    t = start + (pts - pts[0]) * tb + np.random.default_rng(seed).uniform(-0.003, 0.003, len(pts))
    np.save(dest, t)
    return dest


def _make_hd(dest: Path, progress, frames: int = HD_FRAMES, gop: int = HD_GOP, rate: int = 30,
             preset: str = "superfast") -> Path:
    import av

    from loupe_tui.demo.video import draw_text

    if dest.exists():
        return dest
    w, h = 1920, 1080
    rng = np.random.default_rng(0)
    tex = (rng.normal(128, 40, (h // 8 + 40, w // 8 + 80)).clip(0, 255)).astype(np.uint8)
    tex = np.kron(tex, np.ones((8, 8), np.uint8))  # 8-pixel blocks: texture an encoder must work for
    tmp = dest.with_suffix(".part.mp4")
    t0 = time.perf_counter()
    with av.open(str(tmp), "w") as c:
        s = c.add_stream("libx264", rate=rate)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.options = {"preset": preset, "crf": "23",
                     "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=3"}
        for i in range(frames):
            yuv = np.full((h * 3 // 2, w), 128, np.uint8)
            dx, dy = (3 * i) % 320, int(120 + 100 * np.sin(i / 40))
            yuv[:h] = tex[dy:dy + h, dx:dx + w]
            draw_text(yuv[:h], 40, 40, f"{i:06d}")
            f = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
            if (i + 1) % 150 == 0:
                progress(f"1080p: {i + 1}/{frames} frames ({time.perf_counter() - t0:.0f} s)")
        for p in s.encode():
            c.mux(p)
    tmp.rename(dest)
    return dest


def _make_long(src: Path, dest: Path, repeats: int = LONG_REPEATS) -> Path:
    import av

    if dest.exists():
        return dest
    tmp = dest.with_suffix(".part.mp4")
    with av.open(str(src)) as ic, av.open(str(tmp), "w", options={"movflags": "+faststart"}) as oc:
        ist = ic.streams.video[0]
        packets = [p for p in ic.demux(ist) if p.size]
        ost = oc.add_stream_from_template(ist)
        span = max(p.pts for p in packets) - min(p.pts for p in packets) + (packets[1].dts - packets[0].dts)
        for r in range(repeats):
            for p in packets:
                q = av.Packet(bytes(p))
                q.pts, q.dts, q.is_keyframe, q.time_base, q.stream = (p.pts + r * span, p.dts + r * span,
                                                                      p.is_keyframe, p.time_base, ost)
                oc.mux(q)
    tmp.rename(dest)
    return dest


def ensure_media(progress, quick: bool = False) -> dict:
    d = BENCH_ROOT / "video-quick" if quick else BENCH_DIR
    d.mkdir(parents=True, exist_ok=True)
    media = {}
    if OPENFIELD.is_file():
        media["openfield"] = (OPENFIELD, _times_from_packets(OPENFIELD, d / "openfield_times.npy", 5.0))
        if quick:
            long = _make_long(OPENFIELD, d / "long.mp4", QUICK_LONG_REPEATS)
            media[f"{QUICK_LONG_REPEATS}x openfield"] = (long, _times_from_packets(long, d / "long_times.npy", 5.0))
        else:
            long = _make_long(OPENFIELD, d / "long1h.mp4")
            media["1 h"] = (long, _times_from_packets(long, d / "long1h_times.npy", 5.0))
    if quick:
        hd = _make_hd(d / "hd1080.mp4", progress, QUICK_HD_FRAMES, QUICK_HD_GOP, QUICK_HD_RATE, "ultrafast")
    else:
        hd = _make_hd(d / "hd1080.mp4", progress)
    media["1080p"] = (hd, _times_from_packets(hd, d / "hd1080_times.npy", 5.0))
    return media


# ------------------------------------------------------------------ in-process
def rss_anon_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stats(a) -> dict:
    a = np.asarray(a, float)
    return {"median_ms": round(float(np.median(a)), 2), "p95_ms": round(float(np.percentile(a, 95)), 2)}


def open_rows(name: str, video: Path, times: Path) -> dict:
    from loupe_tui.config import VideoConfig
    from render.video import VideoSource

    with tempfile.TemporaryDirectory() as idx:
        t = time.perf_counter()
        src = VideoSource(VideoConfig(video, times), cache_dir=idx)
        cold = time.perf_counter() - t
        src.close()
        t = time.perf_counter()
        src = VideoSource(VideoConfig(video, times), cache_dir=idx)
        warm = time.perf_counter() - t
        src.close()
    return {"case": f"open {name}", "frames": src.n_frames, "index_cold_s": round(cold, 3),
            "index_cached_s": round(warm, 4), "keyframes": len(src._files[0].index.keyframes)}


def _limit_ms(video: Path, index, targets) -> list[float]:
    """Plain PyAV: seek to the keyframe at or before each target, decode up to it (no conversion)."""
    import av

    out = []
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        for pk in c.demux(s):  # load in-band parameter sets, as the decoder does
            if pk.decode():
                break
        for k in targets:
            want = int(index.pts[k])
            t = time.perf_counter()
            c.seek(int(index.pts[index.keyframes[index.keyframe_before(k)]]), stream=s, backward=True)
            for f in c.decode(s):
                if f.pts is not None and f.pts >= want:
                    break
            out.append((time.perf_counter() - t) * 1000)
    return out


def decode_rows(name: str, video: Path, times: Path, quick: bool) -> list[dict]:
    from loupe_tui.config import VideoConfig
    from render.panels.video import place_slots
    from render.layout import compute_layout
    from render.video import VideoSource
    from render.video_decode import to_rgb

    rows = []
    idx = tempfile.mkdtemp()
    try:
        rss0 = rss_anon_mb()
        src = VideoSource(VideoConfig(video, times), cache_dir=idx)
        panel = place_slots(compute_layout(*SIZE, []).video, [src.native_size])[0].out_size
        dec = src._files[0].decoder
        n = min(src.n_frames, 60 if quick else 400)
        t = time.perf_counter()
        for k in range(n):
            dec.decode(k)
        fps = n / (time.perf_counter() - t)
        t = time.perf_counter()
        for k in range(n):
            to_rgb(dec.decode(k)[1], panel)
        fps_rgb = n / (time.perf_counter() - t)
        rng = np.random.default_rng(0)
        targets = [int(i) for i in rng.integers(0, src.n_frames, 6 if quick else 40)]
        src.set_output_size(panel)
        jumps = []
        for k in targets:
            src._cache.clear()      # cold: nothing decoded is kept
            dec.forget_position()   # and the decoder seeks, as the limit does
            t = time.perf_counter()
            src.frame(k)
            jumps.append((time.perf_counter() - t) * 1000)
        limit = _limit_ms(video, src._files[0].index, targets)
        # A warm run of jumps for memory: the decoder stays open, the cache fills.
        for k in rng.integers(0, src.n_frames, 20):
            src.frame(int(k))
        mem = rss_anon_mb() - rss0
        cache_mb = src.stats()["cache_bytes"] / 2 ** 20
        late = _playback_late(src, quick)
        src.close()
    finally:
        shutil.rmtree(idx, ignore_errors=True)
    rows.append({"case": f"decode {name}", "size": f"{src.native_size[0]}x{src.native_size[1]}",
                 "sequential_fps": round(fps), "fps_with_rgb_at_panel_size": round(fps_rgb),
                 "panel_size": f"{panel[0]}x{panel[1]}", "decoder_rss_mb": round(mem), "of_which_cache_mb": round(cache_mb)})
    rows.append({"case": f"random jump {name}", **_stats(jumps), **{f"limit_{k}": v for k, v in _stats(limit).items()}})
    rows.append({"case": f"playback sim {name} 1x", "frames_late_pct": round(100 * late, 1)})
    return rows


def _playback_late(src, quick: bool) -> float:
    """Request frames at their due times (1x, reading ahead like the panel); share not decoded when due."""
    from render.panels.video import VideoPanel

    start = src.n_frames // 3
    n = min(180, src.n_frames - start - 1)
    if quick:  # one second of the video
        n = min(n, max(int(np.searchsorted(src.times, src.times[start] + 1.0)) - start, 2))
    src.frame(start)
    t0_rec, t0_wall = src.times[start], time.perf_counter()
    late = 0
    for k in range(start, start + n):
        due = t0_wall + (src.times[k] - t0_rec)
        while time.perf_counter() < due:
            time.sleep(0.001)
        if src.cached(k) is None:
            late += 1
        src.request(k)
        src.prefetch(VideoPanel._hints(src, k, float(src.times[k]), PAGE_S, True, None))
    return late / n


# ------------------------------------------------------------------ the GL window
async def _gl(media: dict, quick: bool, env: dict, root: Path) -> list[dict]:
    import xarray as xr

    from loupe_tui import protocol as P
    from loupe_tui.config import TraceConfig, VideoConfig
    from loupe_tui.link import RenderLink
    from loupe_tui.viewspec import build_spec

    inbox: asyncio.Queue = asyncio.Queue()
    link = RenderLink(inbox.put_nowait, env=env, log_path=root / "render.log",
                      command=[sys.executable, "-m", "render", "--size", f"{SIZE[0]}x{SIZE[1]}"])
    rows = []
    seq = 0
    read_s = QUICK_READ_S if quick else READ_S
    events: list[tuple[float, P.Message]] = []

    async def pump(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            try:
                m = await asyncio.wait_for(inbox.get(), left)
            except asyncio.TimeoutError:
                return
            events.append((time.perf_counter(), m))

    async def until(pred, timeout=60.0):
        end = time.perf_counter() + timeout
        while True:
            m = await asyncio.wait_for(inbox.get(), max(end - time.perf_counter(), 0.01))
            events.append((time.perf_counter(), m))
            if pred(m):
                return m

    await link.start([])
    try:
        for name in ("1080p",) if quick else ("openfield", "1080p"):  # quick: the video that is always there
            if name not in media:
                continue
            video, times_path = media[name]
            t = np.load(times_path)
            fs, dur = 100.0, float(t[-1]) + 20
            n = int(dur * fs)
            x = np.arange(n) / fs
            da = xr.DataArray(np.stack([np.sin(2 * np.pi * 0.5 * x), np.cos(2 * np.pi * 1.3 * x)]).astype(np.float32),
                              dims=("channel", "time"), coords={"channel": ["a", "b"], "time": x}, name="sig")
            spec = build_spec([TraceConfig(da)], labels_states_colors={"Wake": [0, 200, 0, 255]},
                              videos=[VideoConfig(video, times_path, name=name)], cache_dir=root / "session",
                              pyramid_cache=root / "pyr")
            seq += 1
            t0 = float(t[0])
            link.send(P.LoadSession(spec))
            link.send(P.SetWindow(t0, t0 + PAGE_S, seq))
            link.send(P.SetCursor(t0 + 3.0, seq))
            link.send(P.Snapshot(str(root / "warm.npy"), seq))   # waits for the video to open and draw
            await until(lambda m: isinstance(m, P.SnapshotSaved))
            flips, lags = [], []
            pages = int((t[-1] - t0) // PAGE_S) - 1
            for p in range(1, min(pages, 2 if quick else 12) + 1):
                await pump(read_s)                                    # the user reads the page
                seq += 1
                s = seq
                w0 = t0 + p * PAGE_S
                sent = time.perf_counter()
                link.send(P.SetWindow(w0, w0 + PAGE_S, s))
                link.send(P.SetCursor(w0 + 3.0, s))
                await until(lambda m: isinstance(m, P.FrameDrawn) and m.seq == s)
                first = events[-1][0]
                await pump(0.4 if name == "openfield" else read_s)   # a late video frame draws again
                later = [ts for ts, m in events if ts > first and isinstance(m, P.FrameDrawn) and m.seq == s]
                flips.append((first - sent) * 1000)
                lags.append((later[-1] - first) * 1000 if later else 0.0)
            lag = np.asarray(lags)
            rows.append({"case": f"page flip {name} (read {read_s} s)", "traces_" + "median_ms": round(float(np.median(flips)), 1),
                         "video_lag_median_ms": round(float(np.median(lag)), 1), "video_lag_max_ms": round(float(lag.max()), 1),
                         "flips_over_50ms": int((lag > 50).sum()), "flips": len(lag)})
            # Playback at 1x from the middle of a page.
            seq += 1
            link.send(P.SetCursor(t0 + 2.0, seq))
            link.send(P.SetWindow(t0, t0 + PAGE_S, seq))
            await pump(0.5 if quick else 1.0)
            n0 = len(events)
            play_s = 1.0 if quick else 3.0
            link.send(P.VideoCommand("play", 0, 1.0))
            await pump(play_s)
            link.send(P.VideoCommand("pause", 0))
            drawn = [m for _, m in events[n0:] if isinstance(m, P.FrameDrawn)]
            await pump(0.5)
            n1 = len(events)
            await pump(0.5 if quick else 1.5)
            idle = sum(isinstance(m, P.FrameDrawn) for _, m in events[n1:])
            rows.append({"case": f"playback {name} 1x in the window", "window_fps": round(len(drawn) / play_s, 1),
                         "video_fps": round(1 / float(np.median(np.diff(t))), 1),
                         "frames_drawn_while_paused": idle})
    finally:
        await link.stop()
    return rows


def run(quick: bool = False) -> dict:
    say = lambda s: print(f"   {s}", file=sys.stderr, flush=True)  # noqa: E731
    media = ensure_media(say, quick)
    rows = []
    for name, (video, times) in media.items():
        rows.append(open_rows(name, video, times))
    for name in ("openfield", "1080p"):
        if name in media:
            rows += decode_rows(name, *media[name], quick)
    from loupe_tui.xvfb import display_env

    root = Path(tempfile.mkdtemp(prefix="bench-video-"))
    try:
        with display_env() as env:
            rows += asyncio.run(_gl(media, quick, env, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    notes = ("limit = plain PyAV seek to the keyframe at or before + decode to the frame; "
             "video_lag = video frame on screen after the traces' frame (0: it came with them)")
    if "openfield" not in media:
        notes += "; ../shared/data absent: openfield and 1 h rows skipped"
    return {"title": "Video: index, decode, random jumps, page flips, playback", "results": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
