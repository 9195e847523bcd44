"""The GL window's frames shown in the terminal itself (kitty graphics or sixel), for SSH with no X.

Three parts:

* :func:`choose_graphics` decides, once and before Textual starts (it may
  ask the terminal: :func:`~loupe_tui.tui.graphics.detect_graphics`),
  whether frames go to the terminal: only with the GL window on, and then
  when there is no display and the terminal says it speaks kitty graphics or
  sixel, or when the setting (``open --graphics``, else
  ``LOUPE_TUI_GRAPHICS``) names a protocol. A terminal with a display
  nearby is not asked anything: the window opens there, as before.
* :class:`OffscreenDisplay` gives the offscreen window its GL context: the
  display when there is one, else a private Xvfb that exits by itself
  :attr:`~OffscreenDisplay.LINGER_S` seconds after its last client left, so
  that a scorer killed by an SSH hang-up leaves no server behind.
* :class:`TerminalFrames`, the main screen's side: a
  :class:`~loupe_tui.tui.widgets.frame_view.FrameView` in place of the
  braille preview (the preview comes back while the window is down), the
  widget's pixel size passed to the bridge, and on each ``FrameDrawn`` the
  newest frame read from the frame buffer file (only when it changed),
  encoded off the UI thread and shown. One encoding runs at a time; frames
  drawn meanwhile are skipped for the newest, so key repeat never queues
  images.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator, Mapping

from textual.widget import Widget

from loupe_tui.framebuffer import FrameReader
from loupe_tui.link import display_available
from loupe_tui.tui.graphics import ENV_VAR, TerminalGraphics, detect_graphics, graphics_setting
from loupe_tui.tui.widgets.frame_view import FrameView, encode_frame
from loupe_tui.xvfb import Xvfb, have_xvfb

#: What the app shows when the terminal is not asked (tests, ``--no-window``, headless runs).
NO_GRAPHICS = TerminalGraphics("off", reason="off (not asked)")


def choose_graphics(setting: str | None = None, window: bool = True, environ: Mapping[str, str] | None = None,
                    ask: Callable[[str], TerminalGraphics] = detect_graphics) -> TerminalGraphics:
    """Where the GL window's frames go: the terminal (kitty, sixel) or a window of their own ("off").

    Parameters
    ----------
    setting : str, optional
        ``auto``, ``kitty``, ``sixel`` or ``off`` (``open --graphics``, which the reasons then
        name); default ``LOUPE_TUI_GRAPHICS``, else ``auto``.
    window : bool
        The GL window is on (off: nothing to show, nothing asked).
    environ : mapping, optional
        Where ``DISPLAY`` is looked up (default ``os.environ``).
    ask : callable
        Asks the terminal (:func:`~loupe_tui.tui.graphics.detect_graphics`); must run before
        Textual reads the terminal.
    """
    env = os.environ if environ is None else environ
    named = f"{ENV_VAR}=" if setting is None else "--graphics "
    setting = graphics_setting(env if setting is None else {ENV_VAR: setting})
    if not window:
        return TerminalGraphics("off", reason="off (no GL window)")
    if setting == "off":
        return TerminalGraphics("off", reason=f"off ({named}off)")
    if setting == "auto":
        if display_available(dict(env))[0]:
            return TerminalGraphics("off", reason="off (a display is set: the GL window opens on it)")
        if not have_xvfb():
            return TerminalGraphics("off", reason="off (no display, and no Xvfb to draw offscreen: "
                                                  "apt-get install xvfb)")
    found = ask(setting)
    return TerminalGraphics(found.protocol, found.cell_px, found.reason.replace(f"{ENV_VAR}=", named))


class OffscreenDisplay:
    """The display the offscreen window draws on: this one when set, else a private Xvfb of its own.

    Parameters
    ----------
    environ : mapping, optional
        The app's environment (default ``os.environ``), given to the window.
    """

    #: Seconds a private Xvfb outlives its last client (a restart within them reuses it).
    LINGER_S = 30

    def __init__(self, environ: Mapping[str, str] | None = None):
        self._environ = dict(os.environ if environ is None else environ)
        self._xvfb: Xvfb | None = None

    def env(self) -> dict:
        """The window's environment; starts the Xvfb when needed (blocking: call it in a thread).

        Raises
        ------
        XvfbError
            No display, and Xvfb is missing or did not start.
        """
        if display_available(self._environ)[0]:
            return dict(self._environ)
        if self._xvfb is None or not self._xvfb.running:
            self._xvfb = Xvfb(linger=self.LINGER_S)
            self._xvfb.start()
        return self._xvfb.env(self._environ)

    @property
    def description(self) -> str:
        """Where frames are drawn, in a few words."""
        if self._xvfb is not None:
            return f"no display: drawn on a private Xvfb ({self._xvfb.display})"
        return f"drawn offscreen on display {self._environ.get('DISPLAY') or self._environ.get('WAYLAND_DISPLAY')}"

    def stop(self) -> None:
        if self._xvfb is not None:
            self._xvfb.stop()
            self._xvfb = None


class TerminalFrames:
    """The main screen's side of terminal graphics.

    Parameters
    ----------
    graphics : TerminalGraphics
        What the terminal shows; "off" makes every method a no-op (the text views stay).
    frames_path : callable
        The running window's frame buffer file, or None (the bridge's).
    set_frame_size : callable((w, h))
        Tells the window the widget's pixel size (the bridge's).
    on_error : callable(str)
        Shows a problem in the status line.
    """

    def __init__(self, graphics: TerminalGraphics, frames_path: Callable[[], os.PathLike | None],
                 set_frame_size: Callable[[tuple[int, int]], None], on_error: Callable[[str], None]):
        self.graphics = graphics
        self._frames_path, self._set_frame_size, self._on_error = frames_path, set_frame_size, on_error
        self.view: FrameView | None = None
        self._text: Widget | None = None          # the braille preview FrameView stands in for
        self._reader: FrameReader | None = None
        self._busy = self._again = False
        self._showing: bool | None = None         # the FrameView is shown (None: not decided yet)

    @property
    def enabled(self) -> bool:
        return self.graphics.enabled

    def widgets(self) -> Iterator[Widget]:
        """What to compose after the text preview: the FrameView, when frames go to the terminal."""
        if self.enabled:
            self.view = FrameView(self.graphics, id="frame")
            yield self.view

    def mount(self, text_preview: Widget) -> None:
        """Show the FrameView instead of ``text_preview`` (it says what it waits for meanwhile)."""
        self._text = text_preview
        if self.enabled:
            self.show_frames(True)

    def set_message(self, text: str) -> None:
        if self.view is not None:
            self.view.set_message(text)

    def resized(self, pixel_size: tuple[int, int]) -> None:
        """The FrameView's pixel size changed: frames are drawn at it from now on."""
        self._set_frame_size(pixel_size)

    def show_frames(self, on: bool) -> None:
        """The FrameView (``on``: the window draws) or the text preview (the window is down)."""
        view, text = self.view, self._text
        if view is None or text is None or self._showing is on:
            return
        self._showing = on
        text.display = not on
        if on:
            view.set_message("waiting for the GL window's first frame")
            view.display = True
        else:                                      # its image leaves the terminal first, then the widget
            view.clear_frame()
            view.call_after_refresh(lambda: setattr(view, "display", self._showing))

    # -- frames ---------------------------------------------------------------------------
    def frame_drawn(self) -> None:
        """The window published a frame: show the newest one (nothing when it did not change)."""
        if not self._showing:
            return
        if self._busy:
            self._again = True                     # the running pump takes the newest when it is done
            return
        self._busy = True
        self.view.run_worker(self._pump(), group="terminal-frames", exit_on_error=False)

    async def _pump(self) -> None:
        view = self.view
        try:
            while True:
                self._again = False
                frame = self._newest()
                if frame is not None and self._showing:
                    seq, rgb = frame
                    cells, px, protocol = view.cells, view.pixel_size, self.graphics.protocol
                    src = rgb[:px[1], :px[0]] if protocol == "sixel" else rgb   # sixel: never past the cells
                    encoded = await asyncio.to_thread(encode_frame, protocol, src, *cells, view.image_id)
                    same_box = (view.cells, view.pixel_size) == (cells, px)    # else the widget encodes again
                    if self._showing:
                        view.show_frame(rgb, seq, encoded if same_box else None)
                if not self._again:
                    return
        except Exception as exc:  # noqa: BLE001 - a frame that cannot be shown must not stop scoring
            self._on_error(f"terminal graphics: {type(exc).__name__}: {exc}")
        finally:
            self._busy = False

    def _newest(self):
        """``(seq, pixels)`` of the newest frame when it is one not read yet, else None."""
        path = self._frames_path()
        if path is None:
            return None
        reader = self._reader
        if reader is None or reader.path != path or reader.replaced():
            if reader is not None:
                reader.close()
            self._reader = reader = None
            try:
                self._reader = reader = FrameReader(path)
            except (OSError, ValueError):           # not written yet, or between two windows
                return None
        if not reader.changed():
            return None
        return reader.read(copy=True)
