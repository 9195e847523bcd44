"""Decoding one video file at a frame: seek to the keyframe at or before it, decode forward.

:class:`FileDecoder` keeps its container open and remembers where its decoder
is, so the next frame (playback, a step forward, a target further on in the
same group of pictures) costs one decode instead of a seek. Frames are
identified by their pts (:class:`~render.video_index.VideoIndex`), never by
counting, so B-frame reordering and seeks that land early cannot shift them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

import numpy as np

from render.video_index import VideoError, VideoIndex, av_reason

# Called while decoding towards a frame with the position just decoded; returns
# the frame now wanted (the same, a newer target, or None to give up).
Check = Callable[[int], "int | None"]


class FileDecoder:
    """Frames of one file, in display order, by position.

    Parameters
    ----------
    index : VideoIndex
    threads : int
        Decoder threads (0: FFmpeg chooses).
    """

    def __init__(self, index: VideoIndex, threads: int = 0):
        self.index = index
        self.threads = threads
        self.pos = -1              # display position of the last frame decoded (-1: none / just seeked)
        self.frames_decoded = 0    # total, for benchmarks
        self.seeks = 0
        self._start = 0            # display position of the keyframe decoding started from
        self._container = None
        self._stream = None
        self._frames: Iterator | None = None

    # -- low level -------------------------------------------------------------
    def _open(self) -> None:
        import av

        path = self.index.path
        try:
            self._container = av.open(str(path))
            self._stream = self._container.streams.video[0]
        except Exception as exc:
            self.close()
            raise VideoError(f"{path}: cannot open as a video: {av_reason(exc)}") from exc
        self._stream.thread_type = "AUTO"
        if self.threads:
            self._stream.codec_context.thread_count = self.threads

    def _prime(self) -> None:
        # Some encoders put parameter sets only in the first keyframe (the
        # reference video does); a decoder that seeks straight past it paints
        # green. Decoding up to the first frame loads them; flushes keep them.
        try:
            for packet in self._container.demux(self._stream):
                if packet.decode() or packet.size == 0:
                    return
        except Exception:
            return

    def _seek(self, j: int) -> None:
        """Point the decoder at keyframe ``j`` of the index (``-1``: the start of the file)."""
        if self._container is None or j < 0:
            self.close()
            self._open()
            if j >= 0:
                self._prime()
        if j >= 0:
            target = int(self.index.pts[self.index.keyframes[j]])
            try:
                self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
            except Exception:
                self.close()
                self._open()  # some files cannot seek: decode from the start
        self.seeks += 1
        self.pos = -1
        self._start = int(self.index.keyframes[j]) if j >= 0 else 0
        self._frames = self._decode()

    def _decode(self) -> Iterator:
        stream = self._stream
        try:
            for packet in self._container.demux(stream):
                try:
                    frames = packet.decode()
                except Exception:  # a damaged packet: skip it, the frames that need it fail later
                    continue
                yield from frames
        except Exception:
            return  # a damaged tail ends the file here

    def _next(self) -> tuple[int, object] | None:
        """The next decoded frame we can place: ``(position, av.VideoFrame)``, or None at the end."""
        for frame in self._frames:
            self.frames_decoded += 1
            k = self.index.frame_of_pts(frame.pts)
            if k >= 0:
                self.pos = k
                return k, frame
        self._frames = iter(())
        return None

    def close(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except Exception:
                pass
        self._container = self._stream = self._frames = None
        self.pos = -1

    def forget_position(self) -> None:
        """The next frame asked for is reached by a seek, whatever was decoded before (benchmarks)."""
        self._frames = None
        self.pos = -1

    # -- frames ----------------------------------------------------------------
    def reachable(self, k: int) -> bool:
        """True if decoding on from where the decoder is reaches ``k`` without a seek being cheaper."""
        return self._frames is not None and 0 <= self.pos < k and \
            self.index.keyframes[self.index.keyframe_before(k)] <= self.pos

    def decode(self, k: int, keep_before: int = 0, check: Check | None = None):
        """Decode frame ``k`` (display position).

        Parameters
        ----------
        k : int
        keep_before : int
            Also return up to this many frames decoded just before ``k``
            (free: they were decoded on the way), for steps backwards.
        check : callable(position) -> int or None, optional
            Asked after every frame on the way: the frame wanted now. Another
            frame reachable from here becomes the new ``k``; None (or one
            that is not) stops decoding.

        Returns
        -------
        (k, frame, before) or None
            The frame reached (``av.VideoFrame``) and ``[(position, frame)]``
            before it, or None when ``check`` stopped it.

        Raises
        ------
        VideoError
            The frame cannot be decoded (damaged data, or the file ends first).
        """
        if not 0 <= k < self.index.n_frames:
            raise VideoError(f"{self.index.path}: no frame {k} (the file has {self.index.n_frames})")
        if not self.reachable(k):
            self._seek(self.index.keyframe_before(k))
        recent: deque = deque(maxlen=keep_before)
        restarts = 0
        while True:
            got = self._next()
            if got is None or got[0] > k:
                # The file ended, or the seek landed after k (a demuxer that seeks
                # by dts, damaged data): try once more from the keyframe before.
                if restarts:
                    raise VideoError(f"{self.index.path}: frame {k} cannot be decoded (damaged data?)")
                restarts += 1
                self._seek(self.index.keyframe_before(k) - 1)
                recent.clear()
                continue
            pos, frame = got
            if pos == k:
                return k, frame, list(recent)
            if pos >= self._start:  # leading frames of an open GOP may lack their references
                recent.append((pos, frame))
            if check is not None:
                want = check(pos)
                if want is None:
                    return None
                if want != k:
                    if want == pos and pos >= self._start:
                        return pos, frame, list(recent)[:-1]
                    if not self.reachable(want):
                        return None
                    k = want


def to_rgb(frame, size: tuple[int, int] | None = None) -> np.ndarray:
    """``(h, w, 3)`` uint8 RGB of an ``av.VideoFrame``, scaled to ``size = (w, h)`` when given."""
    if size is None or (size[0] == frame.width and size[1] == frame.height):
        return frame.to_ndarray(format="rgb24")
    return frame.to_ndarray(format="rgb24", width=int(size[0]), height=int(size[1]), interpolation="AREA")
