"""Keyboard and mouse in the GL window, turned into events for the terminal app.

Keys become :class:`~loupe_tui.protocol.KeyPressed` in canonical notation
(:mod:`loupe_tui.core.keys`), so a key typed here acts exactly as in the
terminal. glfw reports a typed character (Shift and layout applied) through
its char callback, but not when Ctrl or Alt is held; named keys and
Ctrl/Alt chords therefore come from the key callback, plain characters from
the char callback. Key repeat is kept (paging under a held key).

Mouse: a click gives ``Clicked(t)``, a drag ``Dragged(t0, t1)`` (several
with ``done=False`` while moving, coalesced to one per loop turn, then one
with ``done=True``), the wheel ``Scrolled(steps, modifiers, panel)``.

We install our own glfw callbacks over VisPy's: its key handling waits for a
char event that never comes for Ctrl chords and drops repeats.
"""

from __future__ import annotations

from collections.abc import Callable

import glfw

from loupe_tui import protocol as P
from loupe_tui.core.keys import make_key

NAMED = {
    glfw.KEY_ESCAPE: "escape", glfw.KEY_ENTER: "enter", glfw.KEY_KP_ENTER: "enter", glfw.KEY_TAB: "tab",
    glfw.KEY_BACKSPACE: "backspace", glfw.KEY_INSERT: "insert", glfw.KEY_DELETE: "delete",
    glfw.KEY_RIGHT: "right", glfw.KEY_LEFT: "left", glfw.KEY_DOWN: "down", glfw.KEY_UP: "up",
    glfw.KEY_PAGE_UP: "pageup", glfw.KEY_PAGE_DOWN: "pagedown", glfw.KEY_HOME: "home", glfw.KEY_END: "end",
    glfw.KEY_SPACE: "space", **{glfw.KEY_F1 + i: f"f{i + 1}" for i in range(24)},
}
MODIFIER_KEYS = {glfw.KEY_LEFT_SHIFT, glfw.KEY_RIGHT_SHIFT, glfw.KEY_LEFT_CONTROL, glfw.KEY_RIGHT_CONTROL,
                 glfw.KEY_LEFT_ALT, glfw.KEY_RIGHT_ALT, glfw.KEY_LEFT_SUPER, glfw.KEY_RIGHT_SUPER}
DRAG_PX = 3.0


def key_from_glfw(key: int, mods: int, key_name: str | None = None) -> str | None:
    """Canonical key for a glfw key event, or None when the char callback will report it.

    Parameters
    ----------
    key : glfw key code
    mods : glfw modifier bits
    key_name : what ``glfw.get_key_name`` says for a printable key (layout aware)
    """
    if key in MODIFIER_KEYS or key == glfw.KEY_UNKNOWN:
        return None
    ctrl, alt, shift = bool(mods & glfw.MOD_CONTROL), bool(mods & glfw.MOD_ALT), bool(mods & glfw.MOD_SHIFT)
    if key in NAMED:
        return make_key(NAMED[key], ctrl=ctrl, alt=alt, shift=shift)
    if not (ctrl or alt):
        return None  # a plain character: the char callback has it, with Shift and layout applied
    base = key_name or (chr(key).lower() if 32 < key < 128 else None)
    if not base:
        return None
    return make_key(base, ctrl=ctrl, alt=alt, shift=shift)


def key_from_char(codepoint: int) -> str | None:
    """Canonical key for a typed character (space is reported as a named key)."""
    ch = chr(codepoint)
    if ch == " " or not ch.isprintable():
        return None
    return make_key(ch)


class InputRouter:
    """Installs glfw callbacks on the window and turns input into messages.

    Parameters
    ----------
    handle : glfw window
    window : render.window.Window
        For hit testing (``where``) and redraw requests.
    emit : callable(Message)
    on_close : callable()
        The user closed the window.
    """

    def __init__(self, handle, window, emit: Callable[[P.Message], None], on_close: Callable[[], None]):
        self.handle, self.window, self.emit, self.on_close = handle, window, emit, on_close
        self._press: tuple[float, float, str, float | None, int] | None = None  # x, y, target, t, button
        self._dragging = False
        self._pending_drag: P.Dragged | None = None
        self._pos: tuple[float, float] | None = None  # from motion events: in order with the clicks
        glfw.set_key_callback(handle, self._on_key)
        glfw.set_char_callback(handle, self._on_char)
        glfw.set_mouse_button_callback(handle, self._on_button)
        glfw.set_cursor_pos_callback(handle, self._on_motion)
        glfw.set_scroll_callback(handle, self._on_scroll)
        glfw.set_window_close_callback(handle, lambda _h: self.on_close())
        glfw.set_window_refresh_callback(handle, lambda _h: self.window.state.dirty.add("expose"))

    def _pixels(self, x: float, y: float) -> tuple[float, float]:
        r = self.window.size.ratio  # kept from resize events: no X round trip per motion event
        return x * r, y * r

    def _on_key(self, _h, key, scancode, action, mods):
        if action not in (glfw.PRESS, glfw.REPEAT):
            return
        name = None
        if key not in NAMED and mods & (glfw.MOD_CONTROL | glfw.MOD_ALT):
            try:
                name = glfw.get_key_name(key, scancode)
            except Exception:
                name = None
        k = key_from_glfw(key, mods, name)
        if k is not None:
            self.emit(P.KeyPressed(k))

    def _on_char(self, _h, codepoint):
        k = key_from_char(codepoint)
        if k is not None:
            self.emit(P.KeyPressed(k))

    def _where(self) -> tuple[float, float]:
        # The last motion event, not glfw.get_cursor_pos: after a burst of queued events the
        # pointer may already be elsewhere than where this press or release happened.
        return self._pos if self._pos is not None else self._pixels(*glfw.get_cursor_pos(self.handle))

    def _on_button(self, _h, button, action, mods):
        x, y = self._where()
        if action == glfw.PRESS:
            target, t = self.window.where(x, y)
            self._press, self._dragging = (x, y, target, t, button + 1), False
            return
        if action != glfw.RELEASE or self._press is None:
            return
        x0, _, target, t0, btn = self._press
        self._press = None
        if self._dragging:
            self._pending_drag = None
            t1 = self.window.time_at(x)
            self.emit(P.Dragged(min(t0, t1), max(t0, t1), True))
        elif t0 is not None:
            self.emit(P.Clicked(t0, btn, target))

    def _on_motion(self, _h, x, y):
        x, y = self._pos = self._pixels(x, y)
        if self._press is None:
            return
        x0, _, target, t0, btn = self._press
        if t0 is None or target in ("hypnogram", "video:0") or btn != 1:
            return
        if self._dragging or abs(x - x0) >= DRAG_PX:
            self._dragging = True
            t1 = self.window.time_at(x)
            self._pending_drag = P.Dragged(min(t0, t1), max(t0, t1), False)

    def _on_scroll(self, _h, dx, dy):
        x, y = self._where()
        target, _ = self.window.where(x, y)
        mods = tuple(m for m, keys in (("ctrl", (glfw.KEY_LEFT_CONTROL, glfw.KEY_RIGHT_CONTROL)),
                                       ("alt", (glfw.KEY_LEFT_ALT, glfw.KEY_RIGHT_ALT)),
                                       ("shift", (glfw.KEY_LEFT_SHIFT, glfw.KEY_RIGHT_SHIFT)))
                     if any(glfw.get_key(self.handle, k) == glfw.PRESS for k in keys))
        # Wheel down (dy < 0) and right (dx > 0) move forward in time.
        self.emit(P.Scrolled(float(dx - dy), mods, target))

    def flush(self) -> None:
        """Send the newest in-progress drag (once per loop turn)."""
        if self._pending_drag is not None:
            self.emit(self._pending_drag)
            self._pending_drag = None
