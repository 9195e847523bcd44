"""The videos, stacked in the right column, each locked to the cursor.

One slot per video of the session: its name, then its frame at the cursor
(one texture each), or why there is none: "no frame at this time" when no
frame time is within the tolerance, "opening...", or the error of a broken
file (the other panels draw on). The frame-step target has a yellow frame.

Frames are decoded off the GL thread (:class:`render.video.VideoSource`, one
worker each); the window polls :meth:`VideoPanel.poll` and draws again when
one arrives. Frames are decoded at the size they are drawn (never larger than
the file's) and drawn pixel for pixel, or blown up by a whole factor, so the
picture is the decoder's own pixels.
"""

from __future__ import annotations

import math
import threading
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from loupe_tui import protocol as P
from loupe_tui.errors import one_line
from render.layout import Rect
from render.panels.base import Frame
from render.visuals.image import ImageQuad
from render.visuals.rects import Rects

PLACEHOLDER_RGBA = (20, 20, 24, 255)
TARGET_RGBA = (235, 200, 40, 255)
TITLE_H = 16
SLOT_GAP = 6
DIM = 0.35            # opacity of the previous frame while the cursor's frame decodes (paused only)
READ_AHEAD_S = 0.25   # while playing, decode this far ahead (in recording time)


@dataclass
class Placement:
    """Where one video slot goes: title anchor, image rectangle, decode size, blow-up factor."""

    title: tuple[float, float]
    area: Rect
    image: Rect
    out_size: tuple[int, int]
    scale: int


def place_slots(rect: Rect, sizes: list[tuple[int, int]]) -> list[Placement]:
    """Stack one slot per video size ``(w, h)`` in ``rect``; images fit, centred, on whole pixels."""
    n = len(sizes)
    if not n:
        return []
    slot_h = (rect.h - SLOT_GAP * (n - 1)) / n
    out = []
    for i, (w, h) in enumerate(sizes):
        top = rect.y + i * (slot_h + SLOT_GAP)
        area = Rect(rect.x + 4, top + TITLE_H, max(rect.w - 8, 1), max(slot_h - TITLE_H - 4, 1))
        fit = min(area.w / w, area.h / h)
        if fit >= 1:
            scale, out_size = int(fit), (w, h)
        else:
            scale, out_size = 1, (max(int(w * fit), 1), max(int(h * fit), 1))
        dw, dh = out_size[0] * scale, out_size[1] * scale
        x = math.floor(area.x + (area.w - dw) / 2)
        y = math.floor(area.y + (area.h - dh) / 2)
        out.append(Placement((rect.x + rect.w / 2, top + TITLE_H / 2), area, Rect(x, y, dw, dh), out_size, scale))
    return out


@dataclass(eq=False)
class VideoSlot:
    """One video: its source once opened, what it shows, and why not."""

    spec: dict
    source: object = None            # VideoSource
    error: str | None = None
    opening: bool = False
    quad: ImageQuad | None = None
    shown: int | None = None         # frame index in the texture
    want: int | None = None          # frame index at the cursor (None: no frame at this time)
    status: str = ""
    place: Placement | None = None
    sized: bool = False              # placed with the source's own size (known once opened)
    hints: tuple = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return str(self.spec.get("name") or "video")


class VideoPanel:
    """Every video of the session in the video column.

    Parameters
    ----------
    videos : list of dict
        The spec's video entries.
    wake : callable, optional
        Called (from worker threads) when a frame or an opened video is ready.
    index_dir : path, optional
        Keyframe index cache (default ``<cache>/video-index``).
    """

    # "position" ("right" or "below") is read by the window's layout.
    OPTIONS = ("visible", "speed", "step_target", "position")

    def __init__(self, videos: list[dict], wake: Callable[[], None] | None = None, index_dir=None):
        self.videos = videos
        self.wake = wake
        self.index_dir = index_dir
        self.rect: Rect | None = None
        self.slots = [VideoSlot(dict(v)) for v in videos]
        # Per-video settings sent by the TUI (SetViewOption video / video:N).
        self.settings: list[dict] = [{"visible": True, "speed": 1.0} for _ in videos]
        self._bg = Rects()
        self._marks = Rects()
        self._arrived = threading.Event()
        self._messages: list[P.Message] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # -- opening ----------------------------------------------------------------
    def open(self) -> None:
        """Open every video in its own thread (indexing may take a moment); errors land in the slot."""
        for slot in self.slots:
            slot.opening = True
            t = threading.Thread(target=self._open, args=(slot,), name=f"open:{slot.name}", daemon=True)
            self._threads.append(t)
            t.start()

    def _open(self, slot: VideoSlot) -> None:
        try:
            from render.video import VideoSource

            src = VideoSource(slot.spec, on_frame=lambda i: self._on_frame(slot, i), cache_dir=self.index_dir)
            slot.source = src
            for w in src.warnings:
                self._say(P.ErrorRaised(f"video {slot.name}: {w}"))
        except Exception as exc:
            slot.error = one_line(exc)
            self._say(P.ErrorRaised(f"video {slot.name}: {slot.error}"))
        slot.opening = False
        self._on_frame(slot, None)

    def _on_frame(self, slot: VideoSlot, i: int | None) -> None:
        # Only the frame at the cursor (or an opened video) is worth a redraw;
        # prefetched frames wait quietly in the cache.
        if i is None or i == slot.want:
            self._arrived.set()
            if self.wake is not None:
                self.wake()

    def _say(self, msg: P.Message) -> None:
        with self._lock:
            self._messages.append(msg)

    def take_messages(self) -> list[P.Message]:
        """Events for the terminal app gathered since the last call (errors, warnings)."""
        with self._lock:
            out, self._messages = self._messages, []
        return out

    def poll(self) -> bool:
        """True once after a frame was decoded or a video opened (then the window draws again)."""
        if self._arrived.is_set():
            self._arrived.clear()
            return True
        return False

    def close(self) -> None:
        for s in self.slots:
            if s.source is not None:
                s.source.close()

    # -- options ------------------------------------------------------------------
    def targets(self) -> list[str]:
        return ["video"] + [f"video:{i}" for i in range(len(self.videos))]

    def set_option(self, target: str, options: dict) -> list[str]:
        """Store ``visible``/``speed``/``step_target``/``position`` for one video (``video:N``) or all
        (``video``); returns unknown keys."""
        unknown = [k for k in options if k not in self.OPTIONS]
        which = range(len(self.videos)) if target == "video" else [int(target.split(":", 1)[1])]
        for i in which:
            self.settings[i].update({k: v for k, v in options.items() if k in self.OPTIONS})
        if "visible" in options:
            self.set_rect(self.rect)
        return unknown

    def visible(self, i: int) -> bool:
        return bool(self.settings[i].get("visible", True))

    @property
    def step_target(self) -> int:
        return int(self.settings[0].get("step_target", 0)) if self.settings else 0

    @property
    def speed(self) -> float:
        return float(self.settings[0].get("speed", 1.0)) if self.settings else 1.0

    def target_at(self, x: float, y: float) -> str:
        """``video:N`` under canvas pixel ``(x, y)``."""
        for i, s in enumerate(self.slots):
            if s.place is not None and self.visible(i) and s.place.area.y - TITLE_H <= y < s.place.area.y1:
                return f"video:{i}"
        return "video"

    # -- layout ---------------------------------------------------------------------
    def set_rect(self, rect: Rect | None) -> None:
        self.rect = rect
        for s in self.slots:
            s.place = None
        if rect is None:
            return
        self._bg.set(np.array([(rect.x, rect.y, rect.x1, rect.y1)], np.float32), PLACEHOLDER_RGBA)
        shown = [s for i, s in enumerate(self.slots) if self.visible(i)]
        sizes = [s.source.native_size if s.source is not None else (640, 480) for s in shown]
        for s, p in zip(shown, place_slots(rect, sizes)):
            s.place = p
            s.sized = s.source is not None
            if s.source is not None:
                s.source.set_output_size(p.out_size)
                s.shown = None  # the texture has the old size
        self._marks.set(np.zeros((0, 4)), TARGET_RGBA)

    # -- per frame -----------------------------------------------------------------
    def update(self, cursor: float | None, t0: float, t1: float, playing: bool = False,
               epoch: tuple[float, float] | None = None) -> None:
        """Choose, request and upload the frame at ``cursor`` of every visible video; hint what comes next."""
        for i, s in enumerate(self.slots):
            src = s.source
            if src is not None and not s.sized and self.rect is not None and self.visible(i):
                self.set_rect(self.rect)  # opened since the last layout: it now knows its size
            if src is None or s.place is None:
                s.status = "opening..." if s.opening else (s.error or "")
                continue
            s.want = k = None if cursor is None else src.frame_index_at(cursor)
            if k is None:
                s.status = "no frame at this time"
                src.request(None)
            else:
                img = src.cached(k)
                if img is not None:
                    if s.shown != k:
                        if s.quad is None:
                            s.quad = ImageQuad()
                        s.quad.set_image(img)
                        s.shown = k
                    s.status = ""
                elif src.error_at(k):
                    s.status = src.error_at(k)
                else:
                    src.request(k)
                    s.status = "" if playing else "decoding..."
            hints = self._hints(src, k, cursor, t1 - t0, playing, epoch)
            if hints != s.hints:
                s.hints = hints
                src.prefetch(hints)

    @staticmethod
    def _hints(src, k: int | None, cursor: float | None, window: float, playing: bool, epoch) -> tuple:
        if cursor is None:
            return ()
        if playing:
            n = max(2, int(READ_AHEAD_S * src.rate))
            return tuple(range(k + 1, k + 1 + n)) if k is not None else ()
        # Paused: the next frame (a step forward), then where a page flip or an
        # epoch step lands, then the previous frame (usually kept already).
        at = src.frame_index_at
        out = [k + 1 if k is not None else None, at(cursor + window), at(cursor - window)]
        if epoch is not None and epoch[0] > 0:
            length, start = epoch
            e = math.floor((cursor - start) / length + 1e-9)
            out += [at(start + (e + 1) * length), at(start + (e - 1) * length)]
        out.append(k - 1 if k else None)
        return tuple(i for i in out if i is not None)

    def step_time(self, video: int, cursor: float | None, n: int) -> float | None:
        """Time of the frame ``n`` frames from ``cursor`` in video ``video`` (None: no such video or cursor)."""
        src = self.slots[video].source if 0 <= video < len(self.slots) else None
        if src is None or cursor is None or not n:
            return None
        if n > 0:
            i = int(np.searchsorted(src.times, cursor + 1e-9, side="right")) + n - 1
        else:
            i = int(np.searchsorted(src.times, cursor - 1e-9, side="left")) + n
        return float(src.times[min(max(i, 0), src.n_frames - 1)])

    def pending(self) -> bool:
        """A visible video waits for the frame at the cursor."""
        return any(s.place is not None and s.want is not None and s.shown != s.want and s.source is not None
                   and not s.source.error_at(s.want) for s in self.slots)

    def view_key(self, cursor: float | None) -> tuple:
        """What the column would show at ``cursor`` now: per video, opening or its error, or the frame
        at the cursor and whether it is decoded (or failed). A decoded frame that leaves this as the
        last frame saw it (a prefetched one, or the one already shown) is no reason to draw."""
        out = []
        for s in self.slots:
            src = s.source
            if src is None:
                out.append((s.opening, s.error))
                continue
            k = None if cursor is None else src.frame_index_at(cursor)
            out.append((s.sized, k, k is not None and src.cached(k) is not None, k is not None and src.error_at(k)))
        return tuple(out)

    def wait_opened(self, timeout: float = 30.0) -> None:
        """Block until every video is opened (or failed)."""
        for t in self._threads:
            t.join(timeout)

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Block until every visible video's frame at the cursor is decoded (snapshots)."""
        for s in self.slots:
            if s.place is not None and s.source is not None and s.want is not None:
                s.source.wait_for(s.want, timeout)

    def next_change_in(self, cursor: float, speed: float) -> float | None:
        """Seconds of wall time until the step target's next frame, playing at ``speed``."""
        i = min(self.step_target, len(self.slots) - 1)
        src = self.slots[i].source if i >= 0 else None
        if src is None:
            return None
        j = int(np.searchsorted(src.times, cursor, side="right"))
        if j >= src.n_frames:
            return None
        return (float(src.times[j]) - cursor) / max(speed, 1e-6)

    # -- drawing ----------------------------------------------------------------------
    def draw(self, frame: Frame) -> None:
        if self.rect is None:
            return
        frame.whole()
        self._bg.draw(frame.size)
        target = self.step_target
        marks = []
        for i, s in enumerate(self.slots):
            p = s.place
            if p is None:
                continue
            if i == target and len(self.slots) > 1:
                im = p.image
                marks += [(im.x - 2, im.y - 2, im.x1 + 2, im.y), (im.x - 2, im.y1, im.x1 + 2, im.y1 + 2),
                          (im.x - 2, im.y, im.x, im.y1), (im.x1, im.y, im.x1 + 2, im.y1)]
            if s.quad is not None and s.shown is not None and s.want is not None:
                frame.viewport(p.image)
                s.quad.draw(alpha=1.0 if s.shown == s.want or not s.status else DIM)
                frame.whole()
        if marks:
            self._marks.set(np.array(marks, np.float32), TARGET_RGBA)
            self._marks.draw(frame.size)

    def texts(self) -> list[tuple[str, float, float]]:
        if self.rect is None:
            return []
        if not self.slots:
            return [("no video", self.rect.x + self.rect.w / 2, self.rect.y + self.rect.h / 2)]
        out = []
        for s in self.slots:
            if s.place is None:
                continue
            out.append((s.name, *s.place.title))
            if s.status:
                a = s.place.area
                width = max(int(a.w / 6), 12)
                lines = [ln for part in s.status.split("\n") for ln in textwrap.wrap(part, width)][:6]
                cy = a.y + a.h / 2
                out += [(ln, a.x + a.w / 2, cy + 13 * (j - (len(lines) - 1) / 2)) for j, ln in enumerate(lines)]
        if not out:
            out.append(("videos hidden (Ctrl+Shift+N shows video N)", self.rect.x + self.rect.w / 2,
                        self.rect.y + self.rect.h / 2))
        return out


VideoPlaceholder = VideoPanel  # the name of the panel before videos were drawn
