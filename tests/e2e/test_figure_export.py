"""F12 saves a figure from the app: the real GL window's frame as PNG and the terminal's view as SVG."""

from __future__ import annotations

import asyncio
import struct
import zlib

import numpy as np
import pytest

import gl_harness
from gl_harness import until
from loupe_tui.api import make_app
from loupe_tui.config import TraceConfig
from loupe_tui.demo import ensure_demo


def png_pixels(path) -> tuple[int, int, np.ndarray]:
    """Width, height and the raw (filtered) scanline bytes of a PNG (no imaging library here)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), np.uint8)
    assert raw.size % h == 0 and raw.size // h in (1 + 3 * w, 1 + 4 * w)
    return w, h, raw


@pytest.fixture(scope="module")
def private_display():
    with gl_harness.private_display("the figure export test") as env:
        yield env


def test_f12_writes_the_windows_frame_and_the_terminal_view(private_display, tmp_path, monkeypatch):
    for k in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("DISPLAY", private_display["DISPLAY"])
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    out = tmp_path / "figures"
    out.mkdir()
    monkeypatch.chdir(out)
    demo = ensure_demo(tmp_path / "demo", hours=0.05, video_minutes=0.05, progress=lambda line: None)
    app = make_app([TraceConfig.from_path(demo.recording, group=demo.eeg_group)], interval_labels=demo.labels,
                   state_definitions="rodent_sleep", window=True, cache_dir=tmp_path / "pyramids", title="night 1")
    app.context.link_log = tmp_path / "render.log"
    seen = {}

    async def scenario() -> None:
        async with app.run_test(size=(140, 42)) as pilot:
            screen = app.main
            bridge = screen.bridge
            status = lambda: screen.query_one("#status").message   # noqa: E731
            try:
                await until(pilot, lambda: bridge.alive and bridge.last_draw_ms is not None, "GL window ready", 45)
                await pilot.press("]", "f12")
                seen["first"] = status()
                await until(pilot, lambda: "frame saved to" in status(), "the window's PNG", 20, status)
                seen["saved"] = status()
                await pilot.press("f12")                     # a second figure of the same window: a new name
                await until(pilot, lambda: "night_1-0h00m20s-2.png" in status(), "second figure", 20, status)
            finally:
                await bridge.stop()

    asyncio.run(scenario())
    assert "terminal view saved to" in seen["first"] and "night_1-0h00m20s.png" in seen["first"]
    assert sorted(p.name for p in out.iterdir()) == ["night_1-0h00m20s-2.png", "night_1-0h00m20s-2.svg",
                                                     "night_1-0h00m20s.png", "night_1-0h00m20s.svg"]
    w, h, pixels = png_pixels(out / "night_1-0h00m20s.png")
    assert h > 300 and w > 500 and np.unique(pixels).size > 20          # a drawn frame, not a blank one
    svg = (out / "night_1-0h00m20s.svg").read_text()
    assert svg.startswith("<svg") and "0:00:20" in svg                # the terminal's view, at the paged window
