"""The link to the real GL window: handshake, version refusal, coalescing, death and
restart, the no-display path, idle CPU, and input travelling back as events."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from gl_harness import STATES, FakeInput, Harness, labels_message, sine_traces
from loupe_tui import protocol as P
from loupe_tui.config import TraceConfig
from loupe_tui.link import LinkUnavailable, RenderLink, display_available
from loupe_tui.viewspec import build_spec

LABELS = [(0.0, 10.0, "Wake"), (10.0, 20.0, "REM"), (20.0, 30.0, "NREM")]


def initial_state(tmp_path) -> list[P.Message]:
    spec = build_spec([TraceConfig(sine_traces(tmp_path))], labels_states_colors=STATES,
                      cache_dir=tmp_path / "cache", pyramid_cache=tmp_path / "pyr")
    return [P.LoadSession(spec), P.SetStateColors(STATES), labels_message(LABELS), P.SetWindow(0.0, 30.0, 1),
            P.SetCursor(5.0, 1), P.SetSelection(None, None)]


def rem_in_strip(img: np.ndarray) -> bool:
    # 1000x600 window: strip at y=10, REM (10-20 s of a 0-30 s window) at x 315..526
    return bool((img[10, 330:510] == np.array(STATES["REM"][:3])).all())


@pytest.fixture
def harness(gl_env, tmp_path):
    h = Harness(gl_env, tmp_path)
    yield h
    h.close()


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_handshake_status_and_idle_cpu(harness, tmp_path):
    ready = harness.start(initial_state(tmp_path))
    assert ready.version == P.PROTOCOL_VERSION and ready.renderer and (ready.width, ready.height) == (1000, 600)
    assert harness.link.alive and harness.link.status.startswith("GL: ") and "1000x600" in harness.link.status
    harness.wait_for(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 1)
    time.sleep(0.5)
    n = len(harness.events)
    c0, t0 = cpu_seconds(ready.pid), time.monotonic()
    time.sleep(3.0)
    used = (cpu_seconds(ready.pid) - c0) / (time.monotonic() - t0)
    assert used < 0.02, f"idle window used {used:.1%} of a core"
    assert not [m for m in harness.events[n:] if isinstance(m, P.FrameDrawn)], "no redraw while nothing changed"


def test_burst_is_coalesced_and_a_killed_window_restarts_with_the_state(harness, tmp_path):
    initial = initial_state(tmp_path)
    ready = harness.start(initial)
    harness.wait_for(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 1)
    n = len(harness.events)
    harness.send(*[P.SetWindow(float(k), float(k) + 30.0, 100 + k) for k in range(1, 101)])
    harness.wait_for(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 200, since=n)
    frames = [m for m in harness.events[n:] if isinstance(m, P.FrameDrawn)]
    assert len(frames) <= 25, f"{len(frames)} frames for 100 window messages"
    assert frames[-1].seq == 200
    # Kill it: the app hears a fatal error, keeps working, and a restart restores everything.
    n = len(harness.events)
    os.kill(ready.pid, signal.SIGKILL)
    err = harness.wait_for(lambda m: isinstance(m, P.ErrorRaised) and m.fatal, since=n)
    assert "exited" in err.message and not harness.link.alive
    assert "F5" in harness.link.status
    harness.link.send(P.SetWindow(0.0, 30.0, 300))  # not delivered, and never raises
    ready2 = harness.restart(initial)  # the caller (the TUI's bridge) gives the full state again
    assert ready2.pid != ready.pid and harness.link.alive
    img = harness.snapshot()
    assert rem_in_strip(img), "labels and the window moved while the window was down are restored"
    cursor = (img[100:500, 104:738] == (255, 215, 0)).all(axis=-1).sum(axis=0)
    assert abs(104 + int(np.argmax(cursor)) - (104 + 5.0 / 30 * 634)) <= 1.5, "cursor restored"


def test_a_window_of_another_protocol_version_is_refused(tmp_path, gl_env):
    fake = tmp_path / "fake_window.py"
    fake.write_text(
        "import json, socket, sys\n"
        "s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[-1]); f = s.makefile('rwb')\n"
        "f.readline()\n"
        f"f.write(json.dumps({{'type': 'Ready', 'version': {P.PROTOCOL_VERSION + 1}}}).encode() + b'\\n'); f.flush()\n"
        "f.readline()\n")
    link = RenderLink(lambda m: None, env=gl_env, log_path=tmp_path / "log", command=[sys.executable, str(fake)])
    with pytest.raises(LinkUnavailable, match=f"protocol mismatch.*version {P.PROTOCOL_VERSION + 1}.*speaks {P.PROTOCOL_VERSION}"):
        asyncio.run(link.start([]))
    assert not link.alive


def test_the_window_refuses_an_app_of_another_protocol_version(tmp_path, gl_env):
    path = str(tmp_path / "s.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(1)
    proc = subprocess.Popen([sys.executable, "-m", "render", "--connect", path, "--hidden"], env=gl_env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server.settimeout(20)
        conn, _ = server.accept()
        f = conn.makefile("rwb")
        f.write(P.encode(P.Hello(version=P.PROTOCOL_VERSION + 7)))
        f.flush()
        conn.settimeout(20)
        msg = P.decode(f.readline())
        assert isinstance(msg, P.ErrorRaised) and msg.fatal and "protocol mismatch" in msg.message
        assert proc.wait(20) == 2
    finally:
        proc.kill()
        server.close()


def test_no_display_gives_the_reason(tmp_path, gl_env):
    env = {k: v for k, v in gl_env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    ok, why = display_available(env)
    assert not ok and "DISPLAY" in why
    link = RenderLink(lambda m: None, env=env, log_path=tmp_path / "log")
    with pytest.raises(LinkUnavailable, match="no display"):
        asyncio.run(link.start([]))
    assert link.status.startswith("no display")
    bogus = dict(env, DISPLAY=":29999")  # set, but nothing listens there
    link = RenderLink(lambda m: None, env=bogus, log_path=tmp_path / "log")
    with pytest.raises(LinkUnavailable, match="no display: glfw could not open"):
        asyncio.run(link.start([]))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XTest input needs X11")
def test_keys_and_mouse_in_the_window_reach_the_app(gl_env, tmp_path):
    h = Harness(gl_env, tmp_path, hidden=False)  # visible, at (0, 0) without a window manager
    fake = FakeInput(gl_env["DISPLAY"])
    try:
        h.start(initial_state(tmp_path))
        h.wait_for(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 1)
        fake.move(420, 300)  # over the plots: keyboard focus follows the pointer
        time.sleep(0.2)
        n = len(h.events)
        fake.key("bracketright")
        fake.key("Shift_L", "w")
        fake.key("Control_L", "s")
        fake.key("Next")
        h.wait_for(lambda m: isinstance(m, P.KeyPressed) and m.key == "pagedown", since=n)
        keys = [m.key for m in h.events[n:] if isinstance(m, P.KeyPressed)]
        assert keys == ["]", "W", "ctrl+s", "pagedown"]
        # data area of a 1000x600 window: x in [104, 738) for the window 0-30 s
        n = len(h.events)
        fake.move(421, 300)
        fake.button(1, True)
        fake.button(1, False)
        click = h.wait_for(lambda m: isinstance(m, P.Clicked), since=n)
        assert abs(click.t - 15.0) < 0.1 and click.panel.startswith("trace:")
        fake.move(200, 300)
        fake.button(1, True)
        fake.move(300, 300)
        fake.move(500, 300)
        fake.button(1, False)
        drag = h.wait_for(lambda m: isinstance(m, P.Dragged) and m.done, since=n)
        assert abs(drag.t0 - (200 - 104) / 634 * 30) < 0.1 and abs(drag.t1 - (500 - 104) / 634 * 30) < 0.1
        fake.button(5, True)  # wheel down: forward in time
        fake.button(5, False)
        wheel = h.wait_for(lambda m: isinstance(m, P.Scrolled), since=n)
        assert wheel.steps > 0 and wheel.panel.startswith("trace:")
    finally:
        fake.close()
        h.close()


def test_scrolled_names_its_panel():
    assert P.decode(P.encode(P.Scrolled(1.0, ("ctrl",), "trace:EEG"))).panel == "trace:EEG"
