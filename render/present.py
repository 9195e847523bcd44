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

from render.canvas_size import CanvasSize

log = logging.getLogger(__name__)

#: GL_RENDERER names of Mesa's software rasterisers, the ones that put every frame with XPutImage.
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe")
EXTENSION = b"GLX_MESA_copy_sub_buffer"
#: ``LOUPE_GL_PRESENT=swap`` presents with swaps whatever the driver (to compare, or to rule this out).
ENV = "LOUPE_GL_PRESENT"
#: How often a resize frame reads the size again when it changed under it (a drag in progress).
SIZE_TRIES = 3


class SwapPresenter:
    """``canvas.swap_buffers()``: what any GL window does."""

    kind = "swap"

    def __init__(self, canvas):
        self.canvas = canvas

    def resized(self, event=None) -> None:
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
    framebuffer_size : callable() -> (w, h)
        Asks the server (a round trip: on the first frame and after resizes only).
    validate : callable()
        A GL call that makes Mesa look at the window again (a full clear).
    """

    kind = "copy_sub_buffer"

    def __init__(self, canvas, size: CanvasSize, copy_sub_buffer, framebuffer_size, validate):
        self.canvas = canvas
        self.size = size
        self._copy = copy_sub_buffer
        self._fb_size = framebuffer_size
        self._validate = validate
        self._known: tuple[int, int] | None = None   # the size of Mesa's buffer, when sure of it
        self._stale = True                           # first frame: learn the size Mesa draws at
        canvas.events.resize.connect(self.resized)

    def resized(self, event=None) -> None:
        """A resize event: the next frame makes Mesa look at the window again, unless the event
        names the size Mesa's buffer has (the ConfigureNotify of the map, or of a size set before)."""
        size = None if event is None else _ints(getattr(event, "physical_size", None) or event.size)
        if size is None or size != self._known:
            self._stale = True

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
            return
        w, h = self._known
        self._copy(0, 0, w, h)


def make_presenter(canvas, handle, size: CanvasSize, renderer: str):
    """The presenter for this window: copy-sub-buffer on Mesa's software rasterisers on X11, else swap."""
    if os.environ.get(ENV) == "swap":
        return SwapPresenter(canvas)
    if not any(r in renderer.lower() for r in SOFTWARE_RENDERERS):
        return SwapPresenter(canvas)
    try:
        copy = _glx_copy_sub_buffer(handle)
    except Exception as exc:  # noqa: BLE001 - any failure: present as VisPy does
        log.info("presenting with swaps: %s", exc)
        return SwapPresenter(canvas)
    import glfw
    from vispy.gloo import gl

    def validate():
        gl.glDisable(gl.GL_SCISSOR_TEST)
        gl.glClear(gl.GL_COLOR_BUFFER_BIT)

    return CopySubBufferPresenter(canvas, size, copy, lambda: glfw.get_framebuffer_size(handle), validate)


def _glx_copy_sub_buffer(handle):
    """``copy(x, y, w, h)`` for the glfw window ``handle``; raises when the GLX extension is missing."""
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
        # Out now, not at the loop's next turn: the frame is on its way before FrameDrawn is sent
        # (a swap flushes by itself; this does not wait for the server).
        libx11.XFlush(dpy)

    copy.keepalive = (libgl, libx11, fn)  # the function pointer lives as long as the closure
    return copy


def _ints(wh) -> tuple[int, int]:
    return int(wh[0]), int(wh[1])
