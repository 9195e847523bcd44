"""Terminal graphics without Textual: the setting, asking the terminal, and the two encoders.

The terminal is a real pseudo-terminal: the test holds its other end and
answers the queries as kitty, a sixel terminal or a plain one would, or stays
silent.
"""

from __future__ import annotations

import os
import pty
import struct
import termios
import threading
import time

import fcntl
import numpy as np
import pytest

from loupe_tui.errors import LoupeConfigError
from loupe_tui.tui.graphics import detect_graphics, graphics_setting
from loupe_tui.tui.graphics import kitty, sixel
from loupe_tui.tui.graphics.detect import parse_answers
from loupe_tui.tui.terminal_frames import choose_graphics
from loupe_tui.xvfb import have_xvfb

from term_images import kitty_commands, kitty_image, sixel_images

KITTY_OK = b"\x1b_Gi=4011;OK\x1b\\"


def test_the_setting_comes_from_the_environment():
    assert graphics_setting({}) == "auto"
    assert graphics_setting({"LOUPE_TUI_GRAPHICS": " Kitty "}) == "kitty"
    with pytest.raises(LoupeConfigError, match="LOUPE_TUI_GRAPHICS='iterm': must be one of auto, kitty"):
        graphics_setting({"LOUPE_TUI_GRAPHICS": "iterm"})


def test_answers_are_read_among_other_bytes():
    a = parse_answers(b"x" + KITTY_OK + b"\x1b[6;20;10t\x1b[?62;4;22c")
    assert a.kitty and a.sixel and a.da1 and a.cell_px == (10, 20)
    a = parse_answers(b"\x1b_Gi=4011;ENOTSUPPORTED:no\x1b\\\x1b[?1;2c")
    assert not a.kitty and not a.sixel and a.da1 and a.cell_px is None
    assert parse_answers(b"") == parse_answers(b"\x1b[?64") == type(a)()


class Terminal:
    """The far end of a pty: records what the app asked and answers with ``reply`` (None: silence)."""

    def __init__(self, reply: bytes | None, pixels: tuple[int, int] = (0, 0)):
        self.main, self.child = pty.openpty()
        fcntl.ioctl(self.child, termios.TIOCSWINSZ, struct.pack("HHHH", 45, 160, *pixels))
        self.asked = b""
        self.reply = reply
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                data = os.read(self.main, 4096)
            except OSError:
                return
            self.asked += data
            if self.reply is not None and b"\x1b[c" in self.asked:
                os.write(self.main, self.reply)
                self.reply = None

    def detect(self, setting=None, timeout=0.3):
        return detect_graphics(setting, fd_in=self.child, fd_out=self.child, timeout=timeout, environ={})

    def close(self):
        os.close(self.child)
        os.close(self.main)
        self._thread.join(2)


@pytest.fixture
def terminal():
    made = []

    def make(reply, pixels=(0, 0)):
        made.append(Terminal(reply, pixels))
        return made[-1]
    yield make
    for t in made:
        t.close()


def test_kitty_is_chosen_when_the_terminal_answers_the_graphics_query(terminal):
    t = terminal(KITTY_OK + b"\x1b[6;18;9t\x1b[?62;22c")
    g = t.detect()
    assert (g.protocol, g.cell_px) == ("kitty", (9, 18))
    assert t.asked.startswith(b"\x1b_Gi=4011") and t.asked.endswith(b"\x1b[16t\x1b[c")


def test_sixel_when_the_attributes_list_it_and_the_pty_size_gives_the_cell(terminal):
    g = terminal(b"\x1b[?62;4;22c", pixels=(1600, 900)).detect()       # 160x45 cells in 1600x900 pixels
    assert (g.protocol, g.cell_px) == ("sixel", (10, 20))


def test_a_plain_terminal_answers_at_once_and_keeps_the_text_views(terminal):
    t0 = time.monotonic()
    g = terminal(b"\x1b[?1;2c").detect(timeout=5)
    assert g.protocol == "off" and "neither" in g.reason
    assert time.monotonic() - t0 < 2, "DA1's answer ends the wait"
    assert g.cell_px == (8, 16)


def test_a_silent_terminal_falls_back_after_the_timeout(terminal):
    t = terminal(None)
    t0 = time.monotonic()
    g = t.detect(timeout=0.3)
    assert g.protocol == "off" and "did not answer within 0.3 s" in g.reason
    assert 0.25 < time.monotonic() - t0 < 3
    forced = t.detect("sixel", timeout=0.2)         # forced: shown without asking (the cell size still asked)
    assert forced.protocol == "sixel" and forced.enabled


def test_off_asks_nothing(terminal):
    t = terminal(b"\x1b[?62;4c")
    g = t.detect("off")
    time.sleep(0.1)
    assert g.protocol == "off" and not g.enabled and t.asked == b""


def test_not_a_terminal(tmp_path):
    with open(tmp_path / "out", "w+b") as f:
        g = detect_graphics("auto", fd_in=f.fileno(), fd_out=f.fileno(), environ={})
    assert g.protocol == "off" and "not a terminal" in g.reason


def test_a_terminal_beside_a_display_or_without_a_window_is_not_asked(terminal):
    t = terminal(KITTY_OK + b"\x1b[?62;22c")
    ask = lambda setting: t.detect(setting)                          # noqa: E731
    g = choose_graphics(None, True, {"DISPLAY": ":0"}, ask)
    assert g.protocol == "off" and "a display is set" in g.reason
    g = choose_graphics("kitty", False, {}, ask)
    assert g.protocol == "off" and "no GL window" in g.reason
    g = choose_graphics(None, True, {"LOUPE_TUI_GRAPHICS": "off"}, ask)
    assert g.protocol == "off" and "LOUPE_TUI_GRAPHICS=off" in g.reason
    time.sleep(0.1)
    assert t.asked == b"", "no query reached the terminal"


@pytest.mark.skipif(not have_xvfb(), reason="with no display, frames are drawn on a private Xvfb")
def test_with_no_display_a_kitty_terminal_gets_the_frames(terminal):
    t = terminal(KITTY_OK + b"\x1b[?62;22c", pixels=(1280, 720))
    g = choose_graphics(None, True, {}, lambda setting: t.detect(setting))
    assert (g.protocol, g.cell_px) == ("kitty", (8, 16)) and "answered" in g.reason
    assert t.asked.startswith(b"\x1b_Gi=4011")


def test_a_forced_protocol_is_used_beside_a_display_and_named_as_it_was_forced(terminal):
    t = terminal(b"\x1b[?62;22c")                    # says nothing of sixel: forced anyway
    g = choose_graphics("sixel", True, {"DISPLAY": ":0"}, lambda setting: t.detect(setting))
    assert g.protocol == "sixel" and g.reason == "sixel (--graphics sixel)"
    assert not t.asked.startswith(b"\x1b_G"), "forced: only the cell size is asked"
    g = choose_graphics(None, True, {"DISPLAY": ":0", "LOUPE_TUI_GRAPHICS": "kitty"}, lambda s: t.detect(s))
    assert g.protocol == "kitty" and g.reason == "kitty (LOUPE_TUI_GRAPHICS=kitty)"
    with pytest.raises(LoupeConfigError, match="must be one of auto, kitty, sixel, off"):
        choose_graphics("iterm", True, {}, lambda s: t.detect(s))


def frame(h=70, w=90, seed=0) -> np.ndarray:
    """Flat panels, a gradient and noise: what a GL frame has."""
    rng = np.random.default_rng(seed)
    a = np.zeros((h, w, 3), np.uint8)
    a[:, :, 0] = np.linspace(0, 255, w, dtype=np.uint8)
    a[h // 2:, :, 1] = 200
    a[10:20, 5:60] = rng.integers(0, 256, (10, 55, 3), dtype=np.uint8)
    return a


def test_kitty_transmission_decodes_to_the_frame_exactly():
    big = np.random.default_rng(1).integers(0, 256, (200, 300, 3), dtype=np.uint8)   # incompressible
    text = kitty.transmit(big, 77, 40, 12)
    cmds = kitty_commands(text)
    assert len(cmds) == 1 and text.count("\x1b_G") > 10, "sent in chunks"
    assert all(len(c.split(";", 1)[1].removesuffix("\x1b\\")) <= kitty.CHUNK for c in text.split("\x1b_G")[1:])
    keys = cmds[0]["keys"]
    assert keys | {"m": "0"} == {"a": "T", "f": "24", "o": "z", "s": "300", "v": "200", "c": "40", "r": "12",
                                 "i": "77", "p": "1", "C": "1", "q": "2", "m": "0"}
    assert np.array_equal(kitty_image(cmds[0]), big)
    rgba = np.dstack([frame(), np.full((70, 90), 255, np.uint8)])
    assert np.array_equal(kitty_image(kitty_commands(kitty.transmit(rgba, 1, 9, 4))[0]), rgba)
    assert kitty_commands(kitty.delete(77))[0]["keys"] == {"a": "d", "d": "I", "i": "77", "q": "2"}


def test_sixel_decodes_to_the_frame_within_its_palette():
    a = frame()
    a[10:20, 5:60] = np.arange(55, dtype=np.uint8)[None, :, None] * 4     # a second gradient, no noise
    img = sixel_images(sixel.encode(a))[0]
    assert img.shape == a.shape and (img >= 0).all(), "every pixel drawn"
    idx, palette = sixel.quantize(a)
    assert len(palette) <= 256
    quantized = palette[idx].astype(np.int16)
    assert np.abs(img - quantized).max() <= 2, "the palette's percentages round by at most 2 levels"
    assert np.abs(img - a.astype(np.int16)).max() <= 4      # 256 colours are enough for two gradients


def test_a_sixel_of_few_colours_is_exact_and_run_length_coded():
    a = np.zeros((13, 500, 3), np.uint8)              # height not a multiple of 6: the last band is partial
    a[:, 250:] = (255, 0, 0)
    text = sixel.encode(a)
    assert np.array_equal(sixel_images(text)[0], a.astype(np.int16))
    assert len(text) < 200 and "!250" in text
