"""A synthetic behaviour video: a mouse-like blob in an open field (PyAV, H.264).

The mouse explores while awake, lies curled and still in NREM (its outline
pulsing with breathing), and twitches in REM. Every frame carries its index
and its recording-clock time in bitmap digits (top-left), so tests can check
which frame a decoder returned (:func:`read_frame_index`).

Encoding mirrors real camera files: libx264, yuv420p, a keyframe every 250
frames and no scene-cut keyframes (random seeks are expensive), B-frames on
(x264's default, as in the reference video in ``shared/data``), so decoders
meet reordered pts/dts. The true capture times are in a separate
``*_frame_times.npy`` (float64 s, recording clock) with realistic jitter, a
clock drift and a few dropped frames; the file's own pts are a constant rate.

PyAV is imported only inside the writer, so importing this module (or
``loupe_tui``) never loads it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from loupe_tui.demo.schedule import NREM, REM, WAKE, Hypnogram

WIDTH, HEIGHT = 320, 240
FPS = 30
GOP = 250
START_S = 12.3  # the camera starts a little after the amplifier
ARENA = (8, 48, 312, 236)  # x0, y0, x1, y1; the band above holds the digits

# 3x5 bitmap glyphs, one string of 15 bits (row-major) per character.
_GLYPH_ROWS = {
    "0": ("111", "101", "101", "101", "111"), "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"), "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"), "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"), "7": ("111", "001", "010", "010", "010"),
    "8": ("111", "101", "111", "101", "111"), "9": ("111", "101", "111", "001", "111"),
    ".": ("000", "000", "000", "000", "010"),
}
GLYPHS = {c: np.array([[b == "1" for b in row] for row in rows]) for c, rows in _GLYPH_ROWS.items()}
SCALE = 3  # each glyph bit is a 3x3 block: its centre pixel survives H.264
_GLYPH_PIXELS = {c: np.where(np.kron(g, np.ones((SCALE, SCALE), bool)), 235, 16).astype(np.uint8)
                 for c, g in GLYPHS.items()}
PITCH = 4 * SCALE  # glyph width + one blank column
INDEX_DIGITS = 6
INDEX_ORIGIN = (4, 4)  # x, y of the frame-index row
TIME_ORIGIN = (4, 24)  # x, y of the time row ("SSSS.SSS" seconds)


def draw_text(y_plane: np.ndarray, x: int, y: int, text: str) -> None:
    """Draw ``text`` (digits and '.') white on black at ``(x, y)`` in a luma plane."""
    for k, ch in enumerate(text):
        x0 = x + k * PITCH
        y_plane[y : y + 5 * SCALE, x0 : x0 + 3 * SCALE] = _GLYPH_PIXELS[ch]


def read_text(y_plane: np.ndarray, x: int, y: int, n: int) -> str:
    """Read ``n`` glyphs drawn by :func:`draw_text` back from a (decoded) luma plane.

    Samples the centre pixel of each glyph bit and picks the nearest glyph,
    so mild compression noise does not matter.
    """
    out = []
    c = SCALE // 2
    for k in range(n):
        x0 = x + k * PITCH
        sample = y_plane[y + c : y + 5 * SCALE : SCALE, x0 + c : x0 + 3 * SCALE : SCALE] > 128
        best = min(GLYPHS, key=lambda ch: int(np.count_nonzero(GLYPHS[ch] != sample)))
        out.append(best)
    return "".join(out)


def read_frame_index(y_plane: np.ndarray) -> int:
    """The frame index drawn into a decoded frame (luma / gray plane, full size).

    Examples
    --------
    >>> frame = next(container.decode(video=0))            # doctest: +SKIP
    >>> read_frame_index(frame.to_ndarray(format="gray"))  # doctest: +SKIP
    0
    """
    return int(read_text(y_plane, *INDEX_ORIGIN, INDEX_DIGITS))


def make_frame_times(n_frames: int, rng: np.random.Generator, fps: float = FPS, start_s: float = START_S) -> np.ndarray:
    """Capture times of each encoded frame on the recording clock (float64 s).

    Nominal ``start + k / fps`` with a 40 ppm clock drift, ~1 ms jitter
    (clipped to +-4 ms, so times stay strictly increasing) and a dropped
    frame about every 4000 frames (slot ``k`` skipped, so the gap is doubled).
    """
    slots = np.arange(n_frames) + np.cumsum(rng.random(n_frames) < 1 / 4000)
    jitter = np.clip(rng.normal(0.0, 0.001, n_frames), -0.004, 0.004)
    return start_s + slots / fps * (1 + 40e-6) + jitter


class MouseModel:
    """Position and posture of the synthetic mouse, advanced frame by frame."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        x0, y0, x1, y1 = ARENA
        self.pos = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        self.vel = np.zeros(2)
        self.heading = 0.0
        self.curl = 0.0  # 0 stretched (awake), 1 curled (asleep)
        self.twitch = np.zeros(2)

    def step(self, state: int, t: float, dt: float) -> tuple[float, float, float, float, float, float]:
        """Advance by ``dt`` in ``state``; return ``(x, y, heading, a, b, curl)`` to draw."""
        rng = self.rng
        if state == WAKE:
            # Ornstein-Uhlenbeck velocity: smooth exploring paths, ~40 px/s.
            self.vel += -self.vel * dt / 1.0 + 55.0 * np.sqrt(dt) * rng.standard_normal(2)
        else:
            self.vel *= np.exp(-dt / 0.3)
        self.pos += self.vel * dt
        x0, y0, x1, y1 = ARENA
        margin = 20.0
        for k, (lo, hi) in enumerate(((x0 + margin, x1 - margin), (y0 + margin, y1 - margin))):
            if not lo <= self.pos[k] <= hi:  # bounce off the walls
                self.pos[k] = np.clip(self.pos[k], lo, hi)
                self.vel[k] = -self.vel[k]
        speed = float(np.hypot(*self.vel))
        if speed > 5.0:
            target = float(np.arctan2(self.vel[1], self.vel[0]))
            turn = (target - self.heading + np.pi) % (2 * np.pi) - np.pi
            self.heading += turn * min(1.0, dt * 6.0)
        target_curl = 0.0 if state == WAKE else 1.0
        self.curl += (target_curl - self.curl) * min(1.0, dt / 1.5)
        a = 18.0 - 6.0 * self.curl
        b = 8.0 + 3.0 * self.curl
        if state == NREM:  # slow regular breathing, ~2.5 Hz
            s = 1.0 + 0.05 * np.sin(2 * np.pi * 2.5 * t)
            a, b = a * s, b * s
        elif state == REM:  # irregular breathing and brief twitches
            s = 1.0 + 0.03 * np.sin(2 * np.pi * 3.5 * t + 0.7 * np.sin(2 * np.pi * 0.4 * t))
            a, b = a * s, b * s
            if rng.random() < dt * 1.5:
                self.twitch = rng.normal(0.0, 1.5, 2)
            self.twitch *= np.exp(-dt / 0.1)
        else:
            self.twitch[:] = 0.0
        return (float(self.pos[0] + self.twitch[0]), float(self.pos[1] + self.twitch[1]),
                self.heading, a, b, self.curl)


def _background(rng: np.random.Generator) -> np.ndarray:
    y = np.full((HEIGHT, WIDTH), 60, np.uint8)
    x0, y0, x1, y1 = ARENA
    # A static floor texture: costs nothing to encode after the first frame
    # but keeps the image from looking flat.
    tex = rng.normal(0.0, 4.0, (y1 - y0, x1 - x0))
    ramp = np.linspace(-8, 8, x1 - x0)[None, :]  # uneven lighting
    y[y0:y1, x0:x1] = np.clip(175 + tex + ramp, 0, 255).astype(np.uint8)
    y[:44, :110] = 16
    return y


def _draw_ellipse(y_plane: np.ndarray, cx: float, cy: float, a: float, b: float, angle: float, value: float) -> None:
    r = int(np.ceil(max(a, b))) + 2
    xs0, xs1 = max(int(cx) - r, 0), min(int(cx) + r + 1, y_plane.shape[1])
    ys0, ys1 = max(int(cy) - r, 0), min(int(cy) + r + 1, y_plane.shape[0])
    yy, xx = np.mgrid[ys0:ys1, xs0:xs1]
    dx, dy = xx - cx, yy - cy
    c, s = np.cos(angle), np.sin(angle)
    u, v = dx * c + dy * s, -dx * s + dy * c
    rho = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    alpha = np.clip((1.0 - rho) * min(a, b) / 1.2 + 0.5, 0.0, 1.0)  # ~1 px soft edge
    patch = y_plane[ys0:ys1, xs0:xs1]
    patch[...] = (patch * (1.0 - alpha) + value * alpha).astype(np.uint8)


def render_frame(base: np.ndarray, index: int, t: float, pose: tuple) -> np.ndarray:
    """One yuv420p frame (as PyAV's ``(h * 3 / 2, w)`` array) for ``pose``."""
    x, y, heading, a, b, curl = pose
    frame = np.empty((HEIGHT * 3 // 2, WIDTH), np.uint8)
    luma = frame[:HEIGHT]
    luma[...] = base
    _draw_ellipse(luma, x, y, a, b, heading, 45)
    head = (1.0 - curl) * (a + 2.0) + curl * (a - 4.0)  # the head tucks in when curled
    _draw_ellipse(luma, x + head * np.cos(heading), y + head * np.sin(heading), 6.5, 5.0, heading, 40)
    draw_text(luma, *INDEX_ORIGIN, f"{index:0{INDEX_DIGITS}d}")
    draw_text(luma, *TIME_ORIGIN, f"{min(t, 9999.999):08.3f}")
    frame[HEIGHT:] = 128  # grey image: neutral chroma
    return frame


def write_video(path: Path, times_path: Path, hyp: Hypnogram, seed: int, duration_s: float,
                progress: Callable[[str], None]) -> int:
    """Encode the video and save its frame times.

    Parameters
    ----------
    path : Path
        Output ``.mp4``.
    times_path : Path
        Output ``.npy``: one float64 recording-clock time per encoded frame.
    hyp : Hypnogram
        The hidden schedule (the mouse's behaviour follows it).
    seed : int
        Base seed.
    duration_s : float
        Wanted video length; clipped so the video ends inside the recording.
    progress : callable
        Receives progress lines.

    Returns
    -------
    int
        Number of frames encoded (== ``len(np.load(times_path))``).
    """
    import av  # heavy; only the demo builder needs it

    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    duration_s = max(0.0, min(duration_s, hyp.duration_s - START_S - 1.0))
    n_frames = int(duration_s * FPS)
    times = make_frame_times(n_frames, rng)
    base = _background(rng)
    mouse = MouseModel(rng)
    states = hyp.state_at(times)
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        container.metadata["comment"] = "loupe-tui demo: synthetic mouse; frame index and recording time drawn top-left"
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        # One x264 thread: the signals use the other core meanwhile, and
        # x264's frame threads cost more CPU than they save at 320x240.
        stream.codec_context.thread_count = 1
        stream.options = {"preset": "veryfast", "crf": "23", "x264-params": f"keyint={GOP}:min-keyint={GOP}:scenecut=0"}
        prev_t = times[0] - 1 / FPS if n_frames else 0.0
        step = max(1, n_frames // 5)
        for i in range(n_frames):
            pose = mouse.step(int(states[i]), float(times[i]), float(times[i] - prev_t))
            prev_t = times[i]
            frame = av.VideoFrame.from_ndarray(render_frame(base, i, float(times[i]), pose), format="yuv420p")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
            if (i + 1) % step == 0:
                progress(f"video: {i + 1:,}/{n_frames:,} frames")
        for packet in stream.encode():
            container.mux(packet)
    np.save(times_path, times)
    return n_frames
