"""Where every frame of a video file is: presentation timestamps and keyframes.

Built once by demuxing the file (packets are read, never decoded: about half
a second for an hour of video) and cached on disk beside the decimation
pyramids (``<cache>/video-index/``), keyed by the file's path, size and
modification time. Frame ``k`` of a file is the ``k``-th smallest packet pts
(display order); to show it, the decoder seeks to the keyframe at or before it
and decodes forward.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from loupe_tui.core.paths import user_cache_dir
from loupe_tui.errors import DataFileError, one_line

INDEX_VERSION = 1


class VideoError(DataFileError):
    """A video file that cannot be opened, indexed or decoded (the message names the file)."""


def default_index_dir() -> Path:
    """``<cache>/video-index`` beside ``<cache>/pyramids`` (see :func:`loupe_tui.core.paths.user_cache_dir`)."""
    return user_cache_dir() / "video-index"


@dataclass(eq=False)
class VideoIndex:
    """Frames and keyframes of one video file.

    Attributes
    ----------
    path : Path
    pts : int64 array
        Presentation timestamp of every frame, in display order (strictly increasing).
    keyframes : int64 array
        Display positions of the keyframes (sorted; the first frame is always one).
    time_base : Fraction
    width, height : int
    codec, pix_fmt : str
    rate : float
        Frames per second the file claims (informative; frame choice uses the frame times).
    """

    path: Path
    pts: np.ndarray
    keyframes: np.ndarray
    time_base: Fraction
    width: int
    height: int
    codec: str
    pix_fmt: str
    rate: float

    @property
    def n_frames(self) -> int:
        return len(self.pts)

    def keyframe_before(self, k: int) -> int:
        """Position in :attr:`keyframes` of the last keyframe at or before frame ``k``."""
        return max(int(np.searchsorted(self.keyframes, k, side="right")) - 1, 0)

    def frame_of_pts(self, pts: int | None) -> int:
        """Display position of the frame with this pts, or -1 if no frame has it."""
        if pts is None:
            return -1
        i = int(np.searchsorted(self.pts, pts))
        return i if i < len(self.pts) and self.pts[i] == pts else -1


def av_reason(exc: BaseException) -> str:
    """FFmpeg's reason without the errno and the path (the message names the file already)."""
    reason = getattr(exc, "strerror", None)
    return str(reason) if reason else one_line(exc)


def _fingerprint(path: Path) -> str:
    st = path.stat()
    key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|v{INDEX_VERSION}"
    return hashlib.sha1(key.encode()).hexdigest()[:20]


def open_index(path: str | Path, cache_dir: str | Path | None = None) -> VideoIndex:
    """The index of ``path``, from the cache or built (and cached) by demuxing.

    Raises
    ------
    VideoError
        Missing, unreadable or corrupt file, no video stream, no frames, or
        frames without timestamps.
    """
    path = Path(path)
    if not path.is_file():
        raise VideoError(f"{path}: no such video file")
    cache = Path(cache_dir) if cache_dir is not None else default_index_dir()
    cached = cache / f"{_fingerprint(path)}.npz"
    if cached.is_file():
        try:
            return _load(path, cached)
        except Exception:  # a damaged cache file is rebuilt, never trusted
            pass
    index = build_index(path)
    try:
        _save(index, cached)
    except OSError:
        pass  # a read-only cache costs a rebuild next time, nothing else
    return index


def build_index(path: str | Path) -> VideoIndex:
    """Demux ``path`` (no decoding) and list its frames' timestamps and keyframes."""
    import av

    path = Path(path)
    try:
        container = av.open(str(path))
    except Exception as exc:
        raise VideoError(f"{path}: cannot open as a video: {av_reason(exc)}") from exc
    try:
        if not container.streams.video:
            raise VideoError(f"{path}: no video stream")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        pts, keys = [], []
        try:
            for pk in container.demux(stream):
                if pk.size == 0:
                    continue
                t = pk.pts if pk.pts is not None else pk.dts
                if t is None:
                    raise VideoError(f"{path}: frames without timestamps (remux it, e.g. ffmpeg -i IN -c copy OUT.mp4)")
                pts.append(t)
                keys.append(pk.is_keyframe)
        except VideoError:
            raise
        except Exception as exc:
            if not pts:
                raise VideoError(f"{path}: cannot read video packets: {av_reason(exc)}") from exc
            # A damaged tail: keep the frames before it (the frame-count check reports the rest).
        if not pts:
            raise VideoError(f"{path}: no video frames")
        p = np.asarray(pts, np.int64)
        order = np.argsort(p, kind="stable")
        p_sorted = p[order]
        if np.any(np.diff(p_sorted) == 0):
            raise VideoError(f"{path}: several frames share a timestamp (remux it, e.g. ffmpeg -i IN -c copy OUT.mp4)")
        key_pos = np.sort(np.searchsorted(p_sorted, p[np.asarray(keys, bool)]))
        if not len(key_pos) or key_pos[0] != 0:
            key_pos = np.concatenate([[0], key_pos])  # decoding from the start always works
        rate = float(stream.average_rate or stream.guessed_rate or 0)
        return VideoIndex(path, p_sorted, key_pos.astype(np.int64), Fraction(stream.time_base), int(ctx.width),
                          int(ctx.height), str(ctx.name), str(ctx.pix_fmt or ""), rate)
    finally:
        container.close()


def _save(index: VideoIndex, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    meta = np.array([INDEX_VERSION, index.time_base.numerator, index.time_base.denominator, index.width,
                     index.height], np.int64)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, pts=index.pts, keyframes=index.keyframes, meta=meta,
                     strings=np.array([index.codec, index.pix_fmt]), rate=np.array([index.rate]))
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(path: Path, src: Path) -> VideoIndex:
    with np.load(src, allow_pickle=False) as z:
        meta = z["meta"]
        if int(meta[0]) != INDEX_VERSION:
            raise ValueError("old index")
        codec, pix_fmt = (str(s) for s in z["strings"])
        return VideoIndex(path, z["pts"], z["keyframes"], Fraction(int(meta[1]), int(meta[2])), int(meta[3]),
                          int(meta[4]), codec, pix_fmt, float(z["rate"][0]))
