"""Sending a frame's changes to the X window with core X requests (Xlib through ``ctypes``).

Used over a network X connection only (see :mod:`render.present`): the
frame is read back from GL, :mod:`render.damage` plans which rectangles to
put as pixels (``XPutImage``) and which to fill with one colour
(``XFillRectangles``), and :class:`XPainter` sends them on the connection
the GL context already uses, so the server takes them in order with
everything else. Nothing here waits for a reply on the frame path but
:meth:`XPainter.wait`, which the presenter calls only between frames that
follow each other closely (playback, a held key), on a fence sent a frame
earlier; the one other round trip (the window's visual) is taken when the
painter is made.

Only a 24-bit TrueColor visual with the usual masks (red 0xff0000, green
0xff00, blue 0xff) at 32 bits a pixel is painted this way; anything else
raises :class:`Unsupported` and the presenter keeps to Mesa's own puts.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

from render.damage import Plan

ZPIXMAP = 2


class Unsupported(RuntimeError):
    """The window's visual is not one this painter writes pixels for."""


class XImage(ctypes.Structure):
    """Xlib's XImage, the fields up to the masks (what the painter and the tests read)."""

    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.c_void_p), ("byte_order", ctypes.c_int),
                ("bitmap_unit", ctypes.c_int), ("bitmap_bit_order", ctypes.c_int), ("bitmap_pad", ctypes.c_int),
                ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int), ("bits_per_pixel", ctypes.c_int),
                ("red_mask", ctypes.c_ulong), ("green_mask", ctypes.c_ulong), ("blue_mask", ctypes.c_ulong)]


class _XWindowAttributes(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("border_width", ctypes.c_int), ("depth", ctypes.c_int), ("visual", ctypes.c_void_p),
                ("root", ctypes.c_ulong), ("class_", ctypes.c_int), ("bit_gravity", ctypes.c_int),
                ("win_gravity", ctypes.c_int), ("backing_store", ctypes.c_int),
                ("backing_planes", ctypes.c_ulong), ("backing_pixel", ctypes.c_ulong),
                ("save_under", ctypes.c_int), ("colormaps", ctypes.c_ulong), ("map_installed", ctypes.c_int),
                ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
                ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
                ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p)]


def _libx11():
    x = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(_XWindowAttributes)]
    x.XCreateGC.restype = ctypes.c_void_p
    x.XCreateGC.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_void_p]
    x.XFreeGC.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    x.XCreateImage.restype = ctypes.POINTER(XImage)
    x.XCreateImage.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_int,
                               ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint, ctypes.c_int, ctypes.c_int]
    x.XDestroyImage.argtypes = [ctypes.POINTER(XImage)]
    x.XPutImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p, ctypes.POINTER(XImage),
                            ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
    x.XSetForeground.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ulong]
    x.XFillRectangles.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_void_p,
                                  ctypes.c_int]
    x.XFlush.argtypes = [ctypes.c_void_p]
    x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return x


class _Fences:
    """``GetInputFocus`` requests whose replies mark how far the server has read, through XCB on
    Xlib's own connection (``XGetXCBConnection``; Xlib flushes its requests before XCB writes, so
    the order holds). XCB, unlike Xlib, can send a request without waiting for its reply."""

    def __init__(self, dpy: int):
        xlib_xcb = ctypes.CDLL(ctypes.util.find_library("X11-xcb") or "libX11-xcb.so.1")
        xlib_xcb.XGetXCBConnection.restype = ctypes.c_void_p
        xlib_xcb.XGetXCBConnection.argtypes = [ctypes.c_void_p]
        self.conn = xlib_xcb.XGetXCBConnection(dpy)
        if not self.conn:
            raise Unsupported("no XCB connection under this Xlib display")
        xcb = self.xcb = ctypes.CDLL(ctypes.util.find_library("xcb") or "libxcb.so.1")
        xcb.xcb_get_input_focus.restype = ctypes.c_uint        # the cookie: one unsigned int, by value
        xcb.xcb_get_input_focus.argtypes = [ctypes.c_void_p]
        xcb.xcb_get_input_focus_reply.restype = ctypes.c_void_p
        xcb.xcb_get_input_focus_reply.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_void_p]
        xcb.xcb_discard_reply.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        xcb.xcb_flush.argtypes = [ctypes.c_void_p]
        self.libc = ctypes.CDLL(None)
        self.libc.free.argtypes = [ctypes.c_void_p]
        self._keep = xlib_xcb

    def fence(self) -> int:
        seq = int(self.xcb.xcb_get_input_focus(self.conn))
        self.xcb.xcb_flush(self.conn)
        return seq

    def wait(self, seq: int) -> None:
        reply = self.xcb.xcb_get_input_focus_reply(self.conn, seq, None)
        if reply:
            self.libc.free(reply)

    def forget(self, seq: int) -> None:
        self.xcb.xcb_discard_reply(self.conn, seq)


class XPainter:
    """Puts and fills on one X window.

    Parameters
    ----------
    dpy : int
        The ``Display*`` the GL context uses (``glfw.get_x11_display()``).
    window : int
        The X window (``glfw.get_x11_window(handle)``).
    """

    def __init__(self, dpy: int, window: int):
        self.x = _libx11()
        self.dpy, self.window = dpy, window
        attrs = _XWindowAttributes()
        if not self.x.XGetWindowAttributes(dpy, window, ctypes.byref(attrs)):
            raise Unsupported("the window's attributes could not be read")
        self.visual, self.depth = attrs.visual, attrs.depth
        self.gc = self.x.XCreateGC(dpy, window, 0, None)
        self._xcb = _Fences(dpy)
        self._image = None            # an XImage over the frame's array, re-made when the array changes
        self._image_of: tuple | None = None
        self._colour: int | None = None
        probe = self._make_image(np.zeros((1, 1, 4), np.uint8))
        im = probe.contents
        ok = (self.depth == 24 and im.bits_per_pixel == 32 and im.red_mask == 0xFF0000
              and im.green_mask == 0xFF00 and im.blue_mask == 0xFF)
        what = (self.depth, im.bits_per_pixel, hex(im.red_mask), hex(im.green_mask), hex(im.blue_mask))
        self._drop(probe)
        if not ok:
            raise Unsupported(f"visual depth {what[0]}, {what[1]} bits a pixel, masks {what[2:]}")

    def _make_image(self, frame: np.ndarray):
        h, w = frame.shape[:2]
        img = self.x.XCreateImage(self.dpy, self.visual, self.depth, ZPIXMAP, 0, frame.ctypes.data, w, h, 32,
                                  int(frame.strides[0]))
        if not img:
            raise Unsupported("XCreateImage failed")
        return img

    def _drop(self, img) -> None:
        img.contents.data = None          # the pixels are numpy's: XDestroyImage frees the struct only
        self.x.XDestroyImage(img)

    def send(self, frame: np.ndarray, plan: Plan) -> None:
        """Send ``plan``'s requests; ``frame`` (top row first, B G R X bytes) holds the pixels to put."""
        if len(plan.puts):
            key = (frame.ctypes.data, frame.shape, frame.strides)
            if self._image_of != key:
                if self._image is not None:
                    self._drop(self._image)
                self._image, self._image_of = self._make_image(frame), key
            put = self.x.XPutImage
            for x, y, w, h in plan.put_list():
                put(self.dpy, self.window, self.gc, self._image, x, y, x, y, w, h)
        for colour, rects in plan.fill_groups():
            if colour != self._colour:
                self.x.XSetForeground(self.dpy, self.gc, colour)
                self._colour = colour
            rects = np.ascontiguousarray(rects)      # Plan's rectangles are laid out as XRectangle
            self.x.XFillRectangles(self.dpy, self.window, self.gc, rects.ctypes.data, len(rects))
        self.x.XFlush(self.dpy)   # on its way now, before FrameDrawn is sent; no reply awaited

    def fence(self) -> int:
        """Ask for a reply that comes once the server has taken everything sent so far, without
        waiting for it; returns its number for :meth:`wait` or :meth:`forget`."""
        return self._xcb.fence()

    def wait(self, fence: int) -> None:
        """Block until ``fence``'s reply is here: what was sent before it has crossed the link."""
        self._xcb.wait(fence)

    def forget(self, fence: int) -> None:
        self._xcb.forget(fence)

    def close(self) -> None:
        if self._image is not None:
            self._drop(self._image)
            self._image = None
        if self.gc:
            self.x.XFreeGC(self.dpy, self.gc)
            self.gc = None
