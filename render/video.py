"""PyAV-decoded video on the recording clock: frame choice, decoding worker, cache, prefetch.

:class:`VideoSource` is one video of the session (one file, or several files
played as one with their frame times concatenated). It is usable alone::

    src = VideoSource(VideoConfig("cam.mp4", "cam_times.npy"))
    src.frame_index_at(125.0)     # nearest frame within the tolerance, or None
    src.frame_at(125.0)           # (h, w, 3) uint8 RGB, or None

Frame choice follows the frame times (the data's clock), never the encoded
frame rate: the frame whose time is nearest ``t``, if it is within
``max_frame_distance_s`` (default 0.55 x the median frame interval).

The GL window uses the asynchronous side: :meth:`VideoSource.request` names
the frame wanted now (newer requests replace older ones: only the newest is
decoded), :meth:`VideoSource.prefetch` the frames likely wanted next (next and
previous page, the next frames while playing); one worker thread per video
decodes them into a memory-bounded cache and calls ``on_frame``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loupe_tui.config import VideoConfig
from loupe_tui.errors import one_line
from render.video_cache import FrameCache
from render.video_decode import FileDecoder, to_rgb
from render.video_index import VideoError, VideoIndex, open_index

__all__ = ["VideoSource", "VideoError", "video_config", "MAX_TAIL_FRAMES", "MAX_DISTANCE_FACTOR"]

MAX_DISTANCE_FACTOR = 0.55   # default tolerance, times the median frame interval
MAX_TAIL_FRAMES = 10         # frame count and frame times may differ by this much (a recording cut mid-write)
DEFAULT_CACHE_MB = 256
KEEP_BEFORE = 4              # frames before a target kept on the way (free steps backwards)


def video_config(config: VideoConfig | dict) -> VideoConfig:
    """A :class:`VideoConfig` from itself or from a session spec's video entry (validated again)."""
    if isinstance(config, VideoConfig):
        return config
    d = dict(config)
    vids, fts = d["video_paths"], d["frame_times_paths"]
    if isinstance(vids, (list, tuple)) and isinstance(fts, (list, tuple)) and len(vids) == 1 and len(fts) == 1:
        vids, fts = vids[0], fts[0]
    return VideoConfig(vids, fts, frame_times_correction=float(d.get("correction") or 0.0),
                       max_frame_distance_s=d.get("max_frame_distance_s"), name=d.get("name"))


@dataclass(eq=False)
class _File:
    index: VideoIndex
    decoder: FileDecoder
    offset: int      # global position of its first frame
    n: int           # frames used (frame count and frame times agree on these)


class VideoSource:
    """A video on the recording clock, decoded on demand by its own worker thread.

    Parameters
    ----------
    config : VideoConfig or dict
        A config, or a session spec's video entry (``name``, ``video_paths``,
        ``frame_times_paths``, ``correction``, ``max_frame_distance_s``).
    cache_dir : path, optional
        Keyframe index cache (default ``<cache>/video-index``).
    cache_mb : float
        Memory for decoded frames.
    on_frame : callable(int), optional
        Called from the worker thread when frame ``i`` is decoded (or failed).
    threads : int
        Decoder threads per file (0: FFmpeg chooses).

    Attributes
    ----------
    name : str
    times : float64 array
        Time of every frame on the recording clock (corrected, concatenated).
    max_distance : float
        Tolerance of :meth:`frame_index_at` in seconds.
    warnings : list of str
        What was accepted but is worth saying (a truncated tail).

    Raises
    ------
    LoupeConfigError
        Bad config (lists of different lengths, missing files, frame times not
        finite or not strictly increasing; :class:`~loupe_tui.errors.DataFileError`
        names the file).
    VideoError
        A video file cannot be opened or indexed, or its frame count does not
        match its frame times.
    """

    def __init__(self, config: VideoConfig | dict, *, cache_dir: str | Path | None = None,
                 cache_mb: float = DEFAULT_CACHE_MB, on_frame=None, threads: int = 0):
        cfg = video_config(config)
        self.name = cfg.name
        self.on_frame = on_frame
        self.warnings: list[str] = []
        all_times = cfg.frame_times()
        self._files: list[_File] = []
        parts, start, offset = [], 0, 0
        for vpath, tpath, count in zip(cfg.video_paths, cfg.frame_times_paths, cfg.frame_counts):
            index = open_index(vpath, cache_dir)
            n = _usable_frames(index, Path(tpath), count, self.warnings)
            parts.append(all_times[start:start + n])
            self._files.append(_File(index, FileDecoder(index, threads), offset, n))
            start += count
            offset += n
        self.times = np.concatenate(parts)
        self._offsets = np.array([f.offset for f in self._files], np.int64)
        steps = np.diff(self.times)
        self.median_interval = float(np.median(steps)) if len(steps) else 1.0
        self.max_distance = float(cfg.max_frame_distance_s if cfg.max_frame_distance_s is not None
                                  else MAX_DISTANCE_FACTOR * self.median_interval)
        self._cache = FrameCache(int(cache_mb * 2 ** 20))
        self._size: tuple[int, int] | None = None
        self._failed: dict[int, str] = {}
        self._want: int | None = None
        self._hints: list[int] = []
        self._cond = threading.Condition()
        self._decode_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    # -- the clock -------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        return len(self.times)

    @property
    def native_size(self) -> tuple[int, int]:
        """``(width, height)`` of the (first) file."""
        ix = self._files[0].index
        return ix.width, ix.height

    @property
    def rate(self) -> float:
        """Frames per second of the frame times (1 / median interval)."""
        return 1.0 / self.median_interval if self.median_interval > 0 else 0.0

    def frame_index_at(self, t: float) -> int | None:
        """The frame whose time is nearest ``t``, or None when none is within :attr:`max_distance`."""
        times = self.times
        i = int(np.searchsorted(times, t))
        if i >= len(times) or (i > 0 and t - times[i - 1] <= times[i] - t):
            i -= 1
        return i if abs(times[i] - t) <= self.max_distance else None

    def time_of(self, i: int) -> float:
        return float(self.times[i])

    # -- synchronous frames (scripts, tests) ------------------------------------------
    def frame_at(self, t: float) -> np.ndarray | None:
        """RGB ``(h, w, 3)`` uint8 of the frame shown at time ``t``, or None when there is none.

        Blocks while it decodes. Raises :class:`VideoError` when the frame cannot be decoded.
        """
        i = self.frame_index_at(t)
        return None if i is None else self.frame(i)

    def frame(self, i: int) -> np.ndarray:
        """RGB of frame ``i`` (blocking; from the cache when it is there)."""
        got = self.cached(i)
        if got is not None:
            return got
        f = self._file_of(i)
        with self._decode_lock:
            k, av_frame, _ = f.decoder.decode(i - f.offset)
            rgb = to_rgb(av_frame, self._size)
        self._cache.put((i, self._size), rgb)
        return rgb

    # -- asynchronous frames (the GL window) ------------------------------------------
    def set_output_size(self, size: tuple[int, int] | None) -> None:
        """Decode to ``(width, height)`` from now on (None: the file's own size)."""
        size = None if size is None else (max(int(size[0]), 1), max(int(size[1]), 1))
        if size != self._size:
            self._size = size
            self._cache.clear()

    @property
    def output_size(self) -> tuple[int, int]:
        return self._size or self.native_size

    def cached(self, i: int) -> np.ndarray | None:
        """Frame ``i`` at the output size if it is decoded already (never blocks)."""
        return self._cache.get((i, self._size))

    def error_at(self, i: int) -> str | None:
        """Why frame ``i`` could not be decoded, if it could not."""
        return self._failed.get(i)

    def request(self, i: int | None) -> None:
        """Frame ``i`` is wanted now: the worker decodes it next (a newer request replaces it)."""
        with self._cond:
            self._want = i
            self._start_locked()
            self._cond.notify_all()

    def prefetch(self, frames) -> None:
        """Frames likely wanted soon, most likely first; replaces the previous hints."""
        hints = [int(i) for i in frames if i is not None and 0 <= i < self.n_frames]
        with self._cond:
            self._hints = list(dict.fromkeys(hints))
            self._start_locked()
            self._cond.notify_all()

    def wait_for(self, i: int, timeout: float = 10.0) -> bool:
        """Block until frame ``i`` is decoded or failed (tests, snapshots); False on timeout."""
        import time

        end = time.monotonic() + timeout
        with self._cond:
            while not self._have(i):
                left = end - time.monotonic()
                if left <= 0 or self._closed:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def stats(self) -> dict:
        """Decoder and cache counters (benchmarks)."""
        return {"frames_decoded": sum(f.decoder.frames_decoded for f in self._files),
                "seeks": sum(f.decoder.seeks for f in self._files),
                "cache_frames": len(self._cache), "cache_bytes": self._cache.nbytes}

    def close(self) -> None:
        """Stop the worker and close the files."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        with self._decode_lock:
            for f in self._files:
                f.decoder.close()
        self._cache.clear()

    # -- the worker ------------------------------------------------------------------
    def _file_of(self, i: int) -> _File:
        if not 0 <= i < self.n_frames:
            raise IndexError(f"{self.name}: no frame {i} (the video has {self.n_frames})")
        return self._files[int(np.searchsorted(self._offsets, i, side="right")) - 1]

    def _have(self, i: int) -> bool:
        return (i, self._size) in self._cache or i in self._failed

    def _start_locked(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name=f"video:{self.name}", daemon=True)
            self._thread.start()

    def _next_job_locked(self) -> tuple[int, bool] | None:
        if self._want is not None and not self._have(self._want):
            return self._want, True
        while self._hints:
            h = self._hints.pop(0)
            if not self._have(h):
                return h, False
        return None

    def _run(self) -> None:
        while True:
            with self._cond:
                job = None
                while not self._closed and (job := self._next_job_locked()) is None:
                    self._cond.wait()
                if self._closed:
                    return
            self._decode_job(*job)

    def _decode_job(self, i: int, is_target: bool) -> None:
        f = self._file_of(i)

        def check(pos: int) -> int | None:
            if self._closed:
                return None
            w = self._want
            if w is not None and w != i and not self._have(w):
                return w - f.offset if f.offset <= w < f.offset + f.n else None
            return i - f.offset

        size = self._size
        try:
            with self._decode_lock:
                if self._have(i):
                    return
                got = f.decoder.decode(i - f.offset, KEEP_BEFORE if is_target else 0, check)
                if got is None:
                    return  # a newer request took over
                k, av_frame, before = got
                self._cache.put((f.offset + k, size), to_rgb(av_frame, size))
                for pos, fr in before:
                    if (f.offset + pos, size) not in self._cache:
                        self._cache.put((f.offset + pos, size), to_rgb(fr, size))
                done = f.offset + k
        except Exception as exc:  # a broken file or frame is reported in its panel, never raised
            msg = str(exc) if isinstance(exc, VideoError) else f"{f.index.path}: {type(exc).__name__}: {one_line(exc)}"
            self._failed[i] = msg
            done = i
        with self._cond:
            self._cond.notify_all()
        if self.on_frame is not None:
            self.on_frame(done)


def _usable_frames(index: VideoIndex, times_path: Path, n_times: int, warnings: list[str]) -> int:
    """Frames of one file that have a time; a few missing at the end are accepted and reported."""
    n_video = index.n_frames
    if n_video == n_times:
        return n_video
    diff = abs(n_video - n_times)
    if diff > MAX_TAIL_FRAMES:
        raise VideoError(f"{index.path}: {n_video} frames but {times_path} has {n_times} frame times; "
                         f"they must match (a tail of up to {MAX_TAIL_FRAMES} frames may be missing)")
    what = "frames without a time" if n_video > n_times else "frame times without a frame"
    warnings.append(f"{index.path.name}: {n_video} frames, {n_times} frame times: "
                    f"the last {diff} {what} are ignored (truncated recording?)")
    return min(n_video, n_times)
