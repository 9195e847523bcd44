"""FrameView in a headless app: what it draws for a frame, decoded back into pixels.

The widget's output goes through Textual's rendering: its lines, as the
compositor writes them, carry the image. These tests read those lines (the
escape sequences the terminal would get) and decode them as a terminal
would. ``tests/e2e/test_terminal_graphics_pty.py`` checks the same through a
real pty, bytes as written.
"""

from __future__ import annotations

import asyncio
import functools

import numpy as np
from textual.app import App
from textual.geometry import Region
from textual.screen import ModalScreen
from textual.widgets import Static

from loupe_tui.tui.graphics import TerminalGraphics
from loupe_tui.tui.widgets.frame_view import FrameView

from term_images import cursor_moves, kitty_commands, kitty_image, sixel_images

SIZE = (60, 20)


def run(test):
    """Run an async test body in its own event loop (as the other Pilot tests do)."""
    @functools.wraps(test)
    def sync():
        asyncio.run(test())
    return sync


class FrameApp(App):
    CSS = "FrameView { height: 12; } #below { height: 1fr; }"

    def __init__(self, graphics: TerminalGraphics):
        super().__init__()
        self.graphics = graphics
        self.sizes: list[tuple[int, int]] = []

    def compose(self):
        yield Static("a line above", id="above")
        yield FrameView(self.graphics, id="frame")
        yield Static("", id="below")

    def on_frame_view_pixel_size_changed(self, event: FrameView.PixelSizeChanged) -> None:
        self.sizes.append(event.pixel_size)


class Dialog(ModalScreen):
    def compose(self):
        yield Static("a dialog")


def drawn(view: FrameView) -> str:
    """What the widget's lines carry besides cells (its last line's zero-width segments)."""
    lines = view.render_lines(Region(0, 0, *view.size))
    return "".join(seg.text for line in lines for seg in line if seg.control)


def record(view: FrameView) -> list[str]:
    """Everything the widget's lines carry besides cells, each time Textual renders it (a recorder
    around the public render_lines; it changes nothing)."""
    calls: list[str] = []
    render = view.render_lines

    def recorded(crop: Region):
        lines = render(crop)
        calls.append("".join(seg.text for line in lines for seg in line if seg.control))
        return lines
    view.render_lines = recorded
    return calls


def page(w: int, h: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = np.full((h, w, 3), (18, 18, 24), np.uint8)
    a[h // 4: h // 2] = (40, 50, 40)
    for x in rng.integers(0, w, 40):                       # spikes, a trace, a label span
        a[h // 4: h // 2, x] = 255
    a[np.clip((h * 0.8 + 10 * np.sin(np.arange(w) / 7)).astype(int), 0, h - 1), np.arange(w)] = (230, 230, 160)
    a[:4, w // 3: w // 2] = (70, 110, 200)
    return a


@run
async def test_kitty_frame_decodes_to_the_frame_pixel_for_pixel():
    app = FrameApp(TerminalGraphics("kitty", (8, 16)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one(FrameView)
        assert view.pixel_size == (60 * 8, 12 * 16) and app.sizes == [(480, 192)]
        assert drawn(view) == "", "no frame yet: no graphics"
        rgb = page(*view.pixel_size)
        assert view.show_frame(rgb, seq=3)
        out = drawn(view)
        assert out.startswith("\x1b7") and out.endswith("\x1b8"), "the cursor is put back"
        assert cursor_moves(out) == [(0, 1)], "placed at the widget's top-left cell"
        (cmd,) = kitty_commands(out)
        assert cmd["keys"]["c"] == "60" and cmd["keys"]["r"] == "12" and cmd["keys"]["C"] == "1"
        assert cmd["keys"]["i"] == str(view.image_id) and cmd["keys"]["p"] == "1"
        assert np.array_equal(kitty_image(cmd), rgb)
        assert view.seq == 3
        assert not view.show_frame(rgb.copy(), seq=4), "the same pixels: nothing to send"
        assert view.seq == 4


@run
async def test_sixel_frame_decodes_within_its_palette_and_stays_inside_the_widget():
    app = FrameApp(TerminalGraphics("sixel", (10, 20)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one(FrameView)
        w, h = view.pixel_size
        assert (w, h) == (600, 240)
        rgb = page(w + 40, h + 30)                         # larger than the widget: cropped to it
        assert view.show_frame(rgb)
        out = drawn(view)
        assert cursor_moves(out) == [(0, 1)] and out.startswith("\x1b7") and out.endswith("\x1b8")
        (img,) = sixel_images(out)
        assert img.shape == (h, w, 3)
        assert np.abs(img - rgb[:h, :w].astype(np.int16)).max() <= 3


@run
async def test_sixel_leaves_the_screens_last_row_out():
    class Bottom(App):
        def compose(self):
            yield FrameView(TerminalGraphics("sixel", (8, 16)))
    app = Bottom()
    async with app.run_test(size=(20, 6)) as pilot:
        await pilot.pause()
        view = app.query_one(FrameView)
        assert view.cells == (20, 5) and view.pixel_size == (160, 80)


@run
async def test_graphics_off_draws_nothing():
    app = FrameApp(TerminalGraphics("off"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one(FrameView)
        assert not view.show_frame(page(*view.pixel_size))
        assert drawn(view) == ""
        assert "waiting for the GL window" in "".join(s.text for s in view.render_lines(Region(0, 0, 60, 1))[0])


@run
async def test_a_dialog_removes_the_kitty_image_and_closing_it_sends_it_again():
    app = FrameApp(TerminalGraphics("kitty", (8, 16)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one(FrameView)
        view.show_frame(page(*view.pixel_size))
        assert kitty_commands(drawn(view))[0]["keys"]["a"] == "T"
        calls = record(view)
        await app.push_screen(Dialog())
        await pilot.pause()
        removal = "".join(calls)                           # drawn as the dialog's dimmed background
        assert [c["keys"] for c in kitty_commands(removal)] == [{"a": "d", "d": "I", "i": str(view.image_id),
                                                                 "q": "2"}]
        assert drawn(view) == "", "removed once"
        calls.clear()
        app.pop_screen()
        await pilot.pause()
        assert "T" in [c["keys"]["a"] for c in kitty_commands("".join(calls))], "sent again"
        view.release()
        assert kitty_commands(drawn(view))[0]["keys"]["a"] == "d"


@run
async def test_a_new_pixel_size_is_announced():
    app = FrameApp(TerminalGraphics("kitty", (8, 16)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.resize_terminal(80, 20)
        await pilot.pause()
        assert app.sizes[-1] == (80 * 8, 12 * 16)
