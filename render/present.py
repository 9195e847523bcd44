"""Putting a drawn frame on the screen without a round trip to the X server.

With Mesa's software rasterisers (llvmpipe, softpipe: what draws over X
forwarding, and under Xvfb) ``glXSwapBuffers`` sends the back buffer with
``XPutImage`` and then forgets the window's size, so the first draw call of
the next frame asks the server again (``XGetGeometry``: a round trip, 30 ms
at 15 ms one way, on every frame). ``glXCopySubBufferMESA``
(GLX_MESA_copy_sub_buffer, which Mesa offers for these drivers) sends the
same pixels without that: it copies a rectangle of the back buffer to the
window and keeps what it knows of the window. It also sends exactly the
window's rows (a swap sends llvmpipe's buffer, padded to a multiple of 64
rows: 960 rows for a 900-row window) and keeps the back buffer as it was
(a later frame may send only part of it).

The price is resizes: Mesa then still draws into a buffer of the old size
until something tells it. :class:`CopySubBufferPresenter` does that on the
first frame after a resize event (and on the first frame): one swap (which
makes Mesa look again; it puts the last frame up once more), then the size
Mesa takes is read from the server, once before and once after Mesa reads
it. Only when both agree is the rectangle known to fit Mesa's buffer; until
then frames are presented with a plain swap, which is always safe.

Over a network X connection (``DISPLAY`` names a host: ``localhost:10.0``
from ``ssh -X``) a frame sends only what changed: the frame is read back
from the back buffer, :mod:`render.damage` compares it with the one the
window shows and plans fills and puts, and :mod:`render.xput` sends them
(``LOUPE_GL_PRESENT=damage`` or ``=full`` decides instead). Frames that
follow each other closely (playback, a held key) are never queued behind
each other: one may cross the link while the next is drawn, no more.

Everything here is public API: GLX through ``ctypes`` (``libGL``) and
glfw's native access (``glfwGetX11Display``, ``glfwGetGLXWindow``). Any
other platform, driver or failure falls back to :class:`SwapPresenter`,
which is what VisPy does; so does ``LOUPE_GL_PRESENT=swap``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import time

from render.canvas_size import CanvasSize
from render.damage import DamageTracker

log = logging.getLogger(__name__)

#: GL_RENDERER names of Mesa's software rasterisers, the ones that put every frame with XPutImage.
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe")
EXTENSION = b"GLX_MESA_copy_sub_buffer"
#: ``LOUPE_GL_PRESENT=swap`` presents with swaps whatever the driver (to compare, or to rule this out).
ENV = "LOUPE_GL_PRESENT"
#: How often a resize frame reads the size again when it changed under it (a drag in progress).
SIZE_TRIES = 3
#: A frame sent within this many seconds of the one before is part of a run (playback, a held
#: key): it is not left queued in the link, see CopySubBufferPresenter.present.
RUN_GAP_S = 0.25
#: Frames of a run that may be on their way at once (one crossing while the next is drawn).
FRAMES_IN_FLIGHT = 1


class SwapPresenter:
    """``canvas.swap_buffers()``: what any GL window does."""

    kind = "swap"

    def __init__(self, canvas):
        self.canvas = canvas

    def resized(self, event=None) -> None:
        pass

    def invalidate(self) -> None:
        pass

    def before_draw(self) -> None:
        pass

    def present(self) -> None:
        self.canvas.swap_buffers()


class CopySubBufferPresenter:
    """Presents with ``glXCopySubBufferMESA`` over the whole window; see the module.

    Parameters
    ----------
    canvas : vispy.app.Canvas
        Its resize event marks the size stale; ``swap_buffers`` is the safe way.
    size : CanvasSize
        The window's cached size; set here when the server says otherwise.
    copy_sub_buffer : callable(x, y, w, h)
        Puts a rectangle of the back buffer (GL coordinates) on the window.
    flush : callable(), optional
        Sends what the copies queued (``XFlush``), once a frame.
    read_back : callable(w, h) -> (h, w, 4) uint8, optional
        The back buffer as drawn, top row first. With ``damage`` and ``painter`` a frame sends
        only what changed since the last one (render/damage.py), through ``painter``
        (render/xput.py) instead of ``copy_sub_buffer``.
    damage : DamageTracker, optional
    painter : XPainter, optional
    clock : callable() -> float
        Monotonic seconds (tests give their own).
    framebuffer_size : callable() -> (w, h)
        Asks the server (a round trip: on the first frame and after resizes only).
    validate : callable()
        A GL call that makes Mesa look at the window again (a full clear).
    """

    kind = "copy_sub_buffer"

    def __init__(self, canvas, size: CanvasSize, copy_sub_buffer, framebuffer_size, validate, flush=None,
                 read_back=None, damage: DamageTracker | None = None, painter=None, clock=time.monotonic):
        self.canvas = canvas
        self._flush = flush or (lambda: None)
        self.size = size
        self._copy = copy_sub_buffer
        self._fb_size = framebuffer_size
        self._validate = validate
        self._known: tuple[int, int] | None = None   # the size of Mesa's buffer, when sure of it
        self._stale = True                           # first frame: learn the size Mesa draws at
        self._read_back = read_back
        self.painter = painter
        self.damage = damage if read_back is not None and painter is not None else None
        #: what the last frame sent: a Plan with damage, else None
        self.last_plan = None
        self._clock = clock
        self._last_sent = -1e9
        #: frames that waited for the link before the loop went on (runs of frames only)
        self.synced = 0
        self._fences: list[int] = []
        canvas.events.resize.connect(self.resized)

    def resized(self, event=None) -> None:
        """A resize event: the next frame makes Mesa look at the window again, unless the event
        names the size Mesa's buffer has (the ConfigureNotify of the map, or of a size set before)."""
        size = None if event is None else _ints(getattr(event, "physical_size", None) or event.size)
        if size is None or size != self._known:
            self._stale = True
            self.invalidate()

    def invalidate(self) -> None:
        """The window's pixels are not the last frame any more (exposed, resized): put all of the next."""
        if self.damage is not None:
            self.damage.invalidate()

    def before_draw(self) -> None:
        """On the first frame and after a resize: bring Mesa's buffer to the window's size, and learn it."""
        if not self._stale:
            return
        self._known = None
        for _ in range(SIZE_TRIES):
            # The only call that makes Mesa forget its buffer's size. It puts that buffer up once
            # more: the last frame after a resize; on the first frame glfw's 1x1 (render/loop.py).
            self.canvas.swap_buffers()
            before = _ints(self._fb_size())
            self._validate()                      # Mesa asks the server for the window's size here
            after = _ints(self._fb_size())
            if before == after:                   # so Mesa got this size too
                self._known = after
                break
        if after != self.size.physical:
            self.size.set_physical(after)
        self._stale = self._known is None         # unsure (a drag in progress): swap, try again next frame

    def present(self) -> None:
        if self._known is None:
            self.canvas.swap_buffers()            # always fits Mesa's buffer (and makes it look again)
            self._stale = True
            self.invalidate()
            self.last_plan = None
            return
        w, h = self._known
        if self.damage is not None:
            frame = self._read_back(w, h)
            self.last_plan = self.damage.update(frame)
            self.painter.send(frame, self.last_plan)
            now = self._clock()
            if now - self._last_sent < RUN_GAP_S and not self.last_plan.empty:
                # A run of frames (playback, a held key) on a slow link: one frame may be on its
                # way while the next is drawn, no more. Each frame of a run sends a fence (a
                # request whose reply comes once the server has read what came before it); the
                # loop goes on only once the frame before this one is through. So frames are
                # dropped (the next one shows the newest state) rather than queued behind each
                # other in ssh's buffers, and a key waits for at most two frames. A lone frame
                # never waits and sends no fence.
                self._fences.append(self.painter.fence())
                while len(self._fences) > FRAMES_IN_FLIGHT:
                    self.painter.wait(self._fences.pop(0))
                    self.synced += 1
                now = self._clock()
            else:
                for fence in self._fences:        # a run ended long ago: nobody waits for these
                    self.painter.forget(fence)
                self._fences.clear()
            self._last_sent = now
            return
        self._copy(0, 0, w, h)
        self._flush()                             # out now, before FrameDrawn is sent


def make_presenter(canvas, handle, size: CanvasSize, renderer: str, env=None):
    """The presenter for this window: copy-sub-buffer on Mesa's software rasterisers on X11, else
    swap; putting only what changed when the X connection is a network socket (see ``wants_damage``)."""
    env = os.environ if env is None else env
    mode = env.get(ENV, "")
    if mode == "swap":
        return SwapPresenter(canvas)
    if not any(r in renderer.lower() for r in SOFTWARE_RENDERERS):
        return SwapPresenter(canvas)
    try:
        copy, flush = _glx_copy_sub_buffer(handle)
    except Exception as exc:  # noqa: BLE001 - any failure: present as VisPy does
        log.info("presenting with swaps: %s", exc)
        return SwapPresenter(canvas)
    import glfw
    from vispy.gloo import gl

    def validate():
        gl.glDisable(gl.GL_SCISSOR_TEST)
        gl.glClear(gl.GL_COLOR_BUFFER_BIT)

    size_fn = lambda: glfw.get_framebuffer_size(handle)  # noqa: E731
    if wants_damage(env.get("DISPLAY", ""), mode):
        try:
            from render.xput import XPainter

            painter = XPainter(glfw.get_x11_display(), glfw.get_x11_window(handle))
            return CopySubBufferPresenter(canvas, size, copy, size_fn, validate, flush,
                                          read_back=BackBufferReader(), damage=DamageTracker(), painter=painter)
        except Exception as exc:  # noqa: BLE001 - an unusual visual or GL: whole frames, as before
            log.info("putting whole frames: %s", exc)
    return CopySubBufferPresenter(canvas, size, copy, size_fn, validate, flush)


def wants_damage(display: str, mode: str = "") -> bool:
    """Put only changed rectangles when the frame's bytes cross a network socket: an X display named
    with a host (``localhost:10.0`` from ssh, ``lab-pc:0``, ``127.0.0.1:5``). On a local socket the
    server takes a whole frame through shared memory, and reading the frame back would only cost.
    ``LOUPE_GL_PRESENT=damage`` or ``=full`` decides instead."""
    if mode in ("damage", "full"):
        return mode == "damage"
    host, sep, _ = display.rpartition(":")
    return bool(sep) and host not in ("", "unix") and not display.startswith("/")


class BackBufferReader:
    """``(w, h) -> (h, w, 4) uint8``: the back buffer as drawn, top row first (the X window's
    order: ``GL_MESA_pack_invert`` where offered, else flipped here), in B, G, R, A bytes (the
    software rasteriser's own order and the X server's pixel words: no conversion). Two arrays in
    turn, none allocated per frame: the damage tracker holds the last one while the next is read."""

    GL_BGRA = 0x80E1
    GL_UNSIGNED_BYTE = 0x1401
    GL_PACK_ALIGNMENT = 0x0D05
    GL_PACK_INVERT_MESA = 0x8758
    GL_EXTENSIONS = 0x1F03

    def __init__(self):
        libgl = ctypes.CDLL(ctypes.util.find_library("GL") or "libGL.so.1")
        self._read = libgl.glReadPixels
        self._read.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                               ctypes.c_void_p]
        self._read.restype = None
        self._store = libgl.glPixelStorei
        self._store.argtypes = [ctypes.c_uint, ctypes.c_int]
        libgl.glGetString.restype = ctypes.c_char_p
        libgl.glGetString.argtypes = [ctypes.c_uint]
        self.inverts = b"GL_MESA_pack_invert" in (libgl.glGetString(self.GL_EXTENSIONS) or b"").split()
        self._bufs: list = []
        self._scratch = None
        self._turn = 0

    def __call__(self, w: int, h: int):
        import numpy as np

        if not self._bufs or self._bufs[0].shape != (h, w, 4):
            self._bufs = [np.empty((h, w, 4), np.uint8), np.empty((h, w, 4), np.uint8)]
            self._scratch = None if self.inverts else np.empty((h, w, 4), np.uint8)
        self._turn ^= 1
        buf = self._bufs[self._turn]
        target = buf if self.inverts else self._scratch
        self._store(self.GL_PACK_ALIGNMENT, 4)
        if self.inverts:
            self._store(self.GL_PACK_INVERT_MESA, 1)
        self._read(0, 0, w, h, self.GL_BGRA, self.GL_UNSIGNED_BYTE, target.ctypes.data)
        if self.inverts:
            self._store(self.GL_PACK_INVERT_MESA, 0)
        else:
            np.copyto(buf, target[::-1])
        return buf


def _glx_copy_sub_buffer(handle):
    """``copy(x, y, w, h)`` and ``flush()`` for the glfw window ``handle``; raises when the GLX
    extension is missing."""
    import glfw

    dpy = glfw.get_x11_display()
    drawable = glfw.get_glx_window(handle)
    if not dpy or not drawable:
        raise RuntimeError("not an X11 window with a GLX drawable")
    libgl = ctypes.CDLL(ctypes.util.find_library("GL") or "libGL.so.1")
    libx11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    libx11.XDefaultScreen.argtypes = [ctypes.c_void_p]
    libx11.XDefaultScreen.restype = ctypes.c_int
    libgl.glXQueryExtensionsString.argtypes = [ctypes.c_void_p, ctypes.c_int]
    libgl.glXQueryExtensionsString.restype = ctypes.c_char_p
    exts = libgl.glXQueryExtensionsString(dpy, libx11.XDefaultScreen(dpy)) or b""
    if EXTENSION not in exts.split():
        raise RuntimeError(f"{EXTENSION.decode()} is not offered")
    libgl.glXGetProcAddressARB.argtypes = [ctypes.c_char_p]
    libgl.glXGetProcAddressARB.restype = ctypes.c_void_p
    addr = libgl.glXGetProcAddressARB(b"glXCopySubBufferMESA")
    if not addr:
        raise RuntimeError("glXCopySubBufferMESA not found")
    fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int)(addr)

    libx11.XFlush.argtypes = [ctypes.c_void_p]

    def copy(x: int, y: int, w: int, h: int) -> None:
        fn(dpy, drawable, int(x), int(y), int(w), int(h))

    def flush() -> None:
        # Out now, not at the loop's next turn: the frame is on its way before FrameDrawn is sent
        # (a swap flushes by itself; this does not wait for the server).
        libx11.XFlush(dpy)

    copy.keepalive = flush.keepalive = (libgl, libx11, fn)  # the function pointer lives with the closures
    return copy, flush


def _ints(wh) -> tuple[int, int]:
    return int(wh[0]), int(wh[1])
