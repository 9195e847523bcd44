"""Start-up, handshake and the event loop of the window process.

The loop never spins: it sleeps in ``glfw.wait_events_timeout`` until input
arrives or the socket reader posts an empty event (once per batch of
messages written together: one key, one frame), then applies every message
received (coalesced: under key-repeat only the newest window and cursor
count), and draws one frame only if something changed. It draws nothing
before the first messages, so a new window opens with one frame. Idle, the
process wakes once a second to notice a vanished terminal app. A decoded
video frame wakes it from the worker thread; while a video plays it wakes at
the video's next frame time (never spinning when paused).
"""

from __future__ import annotations

import os

from loupe_tui import protocol as P
from render.connection import Connection

IDLE_WAKE_S = 1.0
HELLO_TIMEOUT_S = 30.0


def handshake(conn: Connection) -> P.Hello | None:
    """Wait for Hello; refuse another protocol version (returns None after telling why)."""
    msg = conn.wait(HELLO_TIMEOUT_S)
    if not isinstance(msg, P.Hello):
        conn.send(P.ErrorRaised(f"expected Hello first, got {type(msg).__name__ if msg else 'nothing'}", fatal=True))
        return None
    if msg.version != P.PROTOCOL_VERSION:
        conn.send(P.ErrorRaised(
            f"protocol mismatch: the terminal app speaks version {msg.version}, this GL window speaks "
            f"{P.PROTOCOL_VERSION}; install the same loupe-tui version for both", fatal=True))
        return None
    return msg


def create_canvas(size: tuple[int, int], visible: bool):
    """The VisPy canvas on glfw; raises RuntimeError with a human reason when there is no display."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise RuntimeError("no display: DISPLAY and WAYLAND_DISPLAY are not set")
    from vispy import app

    try:
        app.use_app("glfw")
        # Created at 1x1 and hidden, then sized and shown: glfw clears and swaps a new window once
        # (to black), which over X forwarding would be a whole frame (6 MB at 1600x900) before the
        # first one drawn. No autoswap: the window presents its frames itself (render/present.py),
        # and a snapshot (drawn offscreen) must not put the back buffer on the screen.
        canvas = app.Canvas(size=(1, 1), title="loupe-tui", show=False, vsync=False, keys=None, autoswap=False)
        canvas.size = size
        if visible:
            canvas.show()
    except Exception as exc:
        msg = " ".join(str(exc).split())
        raise RuntimeError(f"no display: glfw could not open a GL window ({msg})") from exc
    return canvas


def gl_info() -> tuple[str, str]:
    from vispy.gloo import gl

    return str(gl.glGetParameter(gl.GL_RENDERER)), str(gl.glGetParameter(gl.GL_VERSION))


def run(sock_path: str, size: tuple[int, int] = (1600, 900), visible: bool = True,
        frames_path: str | None = None) -> int:
    """The window process: connect, handshake, open GL, loop until Quit or close. Returns the exit code.

    ``frames_path``: offscreen mode (:mod:`render.offscreen`): frames of ``size`` go to that frame
    buffer file instead of the (hidden) window.
    """
    conn = Connection(sock_path)
    if handshake(conn) is None:
        conn.close()
        return 2
    try:
        canvas = create_canvas(size, visible)
    except RuntimeError as exc:
        conn.send(P.ErrorRaised(str(exc), fatal=True))
        conn.close()
        return 3
    import glfw

    from render.input import InputRouter
    from render.offscreen import OffscreenFrames
    from render.present import make_presenter
    from render.window import Window

    window = Window(canvas, conn.send)
    handle = canvas._backend._id  # the glfw window (VisPy keeps it on its backend)
    renderer, version = gl_info()
    frames = None
    if frames_path is not None:
        try:
            frames = OffscreenFrames(frames_path, size)
        except (OSError, ValueError) as exc:     # a folder others can enter, a full /dev/shm ...
            conn.send(P.ErrorRaised(f"frame buffer {frames_path}: {exc}", fatal=True))
            conn.close()
            canvas.close()
            return 3
        window.set_frame_size(frames.size)
    else:
        window.presenter = make_presenter(canvas, handle, window.size, renderer)
    closing = []
    router = InputRouter(handle, window, conn.send, on_close=lambda: closing.append(True))
    conn.wake = glfw.post_empty_event
    window.wake = glfw.post_empty_event
    w, h = window.size.physical
    conn.send(P.Ready(renderer=renderer, gl_version=version, width=int(w), height=int(h), pid=os.getpid()))
    try:
        code = loop(conn, window, router, closing, frames)
    finally:
        window.video.close()
        if frames is not None:
            frames.close()
        conn.close()
        canvas.close()
    return code


def loop(conn: Connection, window, router, closing: list, frames=None) -> int:
    """Until Quit, a close, or the app gone; ``frames`` (:class:`render.offscreen.OffscreenFrames`):
    offscreen mode, frames go there."""
    import glfw

    while True:
        msgs = conn.drain()
        if not msgs and not window.needs_frame and not closing:
            glfw.wait_events_timeout(window.wait_timeout(IDLE_WAKE_S))
            msgs = conn.drain()
        else:
            glfw.poll_events()
        router.flush()
        if closing:
            conn.send(P.Closed())
            return 0
        for m in P.coalesce(msgs):
            if isinstance(m, P.Quit):
                return 0
            if isinstance(m, P.Ping):
                conn.send(P.Pong(m.seq))
            elif isinstance(m, P.Snapshot):
                _snapshot(conn, window, m, frames)
            elif isinstance(m, P.SetFrameSize):
                _frame_size(conn, window, m, frames)
            else:
                window.apply(m)
        window.tick()
        if window.needs_frame:
            ms = window.render_offscreen(frames) if frames is not None else window.render_frame()
            conn.send(P.FrameDrawn(window.state.seq, round(ms, 3)))
        elif window.report_only():  # the state of this seq is what the screen shows: nothing to draw
            conn.send(P.FrameDrawn(window.state.seq, round(window.last_draw_ms, 3)))
        if conn.closed and not msgs:
            return 0  # the terminal app is gone: nothing left to show


def _frame_size(conn: Connection, window, m: P.SetFrameSize, frames) -> None:
    if frames is None:
        conn.send(P.ErrorRaised("SetFrameSize: this window draws on screen (it was started without --frames)"))
        return
    try:
        if frames.set_size(m.width, m.height):
            window.set_frame_size(frames.size)
    except (OSError, ValueError) as exc:             # no room for a bigger frame buffer file
        conn.send(P.ErrorRaised(f"SetFrameSize {m.width}x{m.height}: {exc}"))


def _snapshot(conn: Connection, window, m: P.Snapshot, frames=None) -> None:
    try:
        pending = set(window.state.dirty)
        window.snapshot(m.path, frames)
        # The snapshot used the changes: show them on screen too, and report their seq. A snapshot
        # of what the screen shows already draws nothing more (over X, that would be a whole frame).
        if window.told and pending - {"seq"}:
            window.state.dirty.add("frame")
        if "seq" in pending:
            window.state.dirty.add("seq")
        conn.send(P.SnapshotSaved(m.path, m.seq))
    except Exception as exc:
        conn.send(P.ErrorRaised(f"snapshot {m.path}: {type(exc).__name__}: {exc}"))

