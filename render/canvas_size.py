"""The canvas size, known from resize events: never asked of the X server on the frame path.

VisPy's ``canvas.size`` and ``canvas.physical_size`` ask glfw, which asks the
X server (``XGetWindowAttributes``: a ``GetWindowAttributes`` and a
``GetGeometry`` request, each waiting for its reply) on every read. Over X
forwarding each read costs a round trip (30 ms at 15 ms one way), and a frame
used to read them 16 times. :class:`CanvasSize` reads them once when the
window opens and then follows VisPy's resize event (glfw's window-size
callback, which carries both sizes), so the frame path only reads numbers.
"""

from __future__ import annotations


class CanvasSize:
    """Logical and framebuffer size of a canvas, kept current by its resize events.

    Parameters
    ----------
    canvas : vispy.app.Canvas, optional
        Read once here (two round trips), then followed through
        ``canvas.events.resize``. Without one, ``size`` (and
        ``physical``, default ``size``) are taken as given.
    """

    def __init__(self, canvas=None, size: tuple[int, int] | None = None,
                 physical: tuple[int, int] | None = None):
        if canvas is not None:
            size = canvas.size if size is None else size
            physical = canvas.physical_size if physical is None else physical
        if size is None:
            raise ValueError("CanvasSize needs a canvas or a size")
        self.size = _ints(size)
        self.physical = _ints(physical if physical is not None else size)
        if canvas is not None:
            canvas.events.resize.connect(self.on_resize)

    def on_resize(self, event) -> None:
        """VisPy's resize event: ``event.size`` (logical) and ``event.physical_size`` (framebuffer)."""
        self.size = _ints(event.size)
        self.physical = _ints(getattr(event, "physical_size", None) or event.size)

    def set_physical(self, physical) -> None:
        """The framebuffer size as the server gave it (the logical size keeps the ratio)."""
        r = self.ratio
        self.physical = _ints(physical)
        self.size = (int(round(self.physical[0] / r)), int(round(self.physical[1] / r)))

    @property
    def ratio(self) -> float:
        """Framebuffer pixels per logical pixel (1 on X11; 2 on a HiDPI screen that scales)."""
        return self.physical[0] / max(self.size[0], 1)

    def __repr__(self) -> str:
        return f"CanvasSize(size={self.size}, physical={self.physical})"


def _ints(wh) -> tuple[int, int]:
    return int(wh[0]), int(wh[1])
