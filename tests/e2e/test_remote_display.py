"""The real app on a display forwarded like ssh -X (through the X proxy on 127.0.0.1): the window opens at a
size that fits the link, the status line says it is remote, and the ssh -C tip comes once (issue 11)."""

from __future__ import annotations

import asyncio
import os

import pytest

from gl_harness import until
from loupe_tui.api import make_app
from loupe_tui.config import TraceConfig
from loupe_tui.demo import ensure_demo
from loupe_tui.display import REMOTE_SIZE
from loupe_tui.xproxy import XProxy, XServer


@pytest.fixture
def forwarded(tmp_path):
    try:
        xs = XServer((1600, 1000))
        xs.start()
    except RuntimeError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the remote display test needs Xvfb: {exc}")
        pytest.skip(f"no Xvfb: {exc}")
    try:
        with XProxy(xs.display, lifetime_s=300) as px:
            yield px
    finally:
        xs.stop()


def test_a_forwarded_display_gets_a_window_that_fits_the_link(forwarded, tmp_path, monkeypatch):
    for k in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("DISPLAY", forwarded.display)          # 127.0.0.1:M, M >= 10: as sshd forwards X11
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    demo = ensure_demo(tmp_path / "demo", hours=0.05, video_minutes=0.05, progress=lambda line: None)
    app = make_app([TraceConfig.from_path(demo.recording, group=demo.eeg_group)], interval_labels=demo.labels,
                   state_definitions="rodent_sleep", window=True, cache_dir=tmp_path / "pyr", title="remote")
    app.context.link_log = tmp_path / "render.log"
    seen = {}

    async def scenario() -> None:
        async with app.run_test(size=(140, 42)) as pilot:
            main, bridge = app.main, app.main.bridge
            bar = main.query_one("#status")
            try:
                await until(pilot, lambda: bridge.alive and bridge.last_draw_ms is not None, "window ready", 60,
                            lambda: (tmp_path / "render.log").read_text()[-500:])
                ready = bridge.link.ready
                seen.update(size=(ready.width, ready.height), message=bar.message, line=bar.text.splitlines()[1])
                await pilot.press("f5")                         # a restart: the tip is not repeated
                await until(pilot, lambda: bridge.alive and "restarting" not in bar.message, "restart", 60)
                seen["after_restart"] = bar.message
            finally:
                await bridge.stop()

    asyncio.run(scenario())
    assert seen["size"] == REMOTE_SIZE
    assert "remote display" in seen["message"] and "ssh -C" in seen["message"] and "1024x576" in seen["message"]
    assert f"remote display {forwarded.display}" in seen["line"]
    assert "ssh -C" not in seen["after_restart"]
