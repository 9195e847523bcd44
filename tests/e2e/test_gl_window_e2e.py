"""End to end with the GL window: the real terminal app (Textual Pilot) starts the real
window process (``python -m render``) on a private Xvfb; the test pages and labels by
a key in the terminal, labels by a key typed into the window (XTest), saves, and checks
both the file written and the frame the window draws.

The display is always a private Xvfb, even when ``$DISPLAY`` is set: the test types
real keys and relies on focus following the pointer, which only holds without a
window manager. With ``CI`` set, a missing Xvfb fails the test instead of skipping it.
"""

from __future__ import annotations

import asyncio
import csv
import os
import sys
import time

import numpy as np
import pytest

import gl_harness
from gl_harness import FakeInput, spans, until
from loupe_tui import protocol as P
from loupe_tui.api import make_app
from loupe_tui.config import TraceConfig
from loupe_tui.demo import ensure_demo
from render.layout import compute_layout
from render.panels.hypnogram import WINDOW_RGBA, Hypnogram
from render.panels.labels import DEFAULT_ALPHA
from render.panels.marks import CURSOR_RGBA
from render.window import PANEL_RGBA

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XTest input needs X11")

TERMINAL = (140, 42)
HYP_BG = (14, 14, 18)        # the hypnogram's bar background (render.panels.hypnogram)
PROBE = ("F11", "f11")       # an unbound key: X keysym, canonical name


@pytest.fixture(scope="module")
def private_display():
    """Always a private Xvfb (even with $DISPLAY set): real key events need a known screen."""
    with gl_harness.private_display("the GL end-to-end test") as env:
        yield env


def blend(bg, rgb, alpha: float) -> np.ndarray:
    a = alpha / 255
    return np.round(np.array(bg[:3]) * (1 - a) + np.array(rgb[:3]) * a)


def close(got, want, atol: int = 2) -> bool:
    return bool(np.abs(np.asarray(got, int) - np.asarray(want, int)).max() <= atol)


def commonest(pixels: np.ndarray) -> np.ndarray:
    """The most frequent colour among ``(n, 3)`` pixels."""
    colors, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    return colors[np.argmax(counts)]


def test_page_label_in_terminal_and_window_save_and_frame(private_display, tmp_path, monkeypatch):
    for k in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("DISPLAY", private_display["DISPLAY"])   # the app's link starts the window here
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    demo = ensure_demo(tmp_path / "demo", hours=0.1, video_minutes=0.1, progress=lambda line: None)
    labels_path = tmp_path / "labels.csv"                          # a new labels file
    app = make_app([TraceConfig.from_path(demo.recording, group=demo.eeg_group)], interval_labels=labels_path,
                   state_definitions="rodent_sleep", window=True, cache_dir=tmp_path / "pyramids", title="e2e")
    app.context.link_log = log = tmp_path / "render.log"
    frame_path = tmp_path / "frame.npy"
    fake = FakeInput(private_display["DISPLAY"])
    result = {}

    async def scenario() -> None:
        async with app.run_test(size=TERMINAL) as pilot:
            screen = app.main
            session, bridge, states = screen.session, screen.bridge, screen.states
            events: list[P.Message] = []
            dispatch = bridge.on_event

            def tee(msg):   # every event from the window, on its way from the bridge to the screen
                events.append(msg)
                return dispatch(msg)

            bridge.on_event = tee

            def why() -> str:
                tail = log.read_text(errors="replace")[-600:] if log.exists() else "(no render.log)"
                return f"status:\n{screen.status_bar.text}\nevents: {events[-8:]}\nrender.log: {tail}"

            try:
                # The window starts (a worker, after the pyramid): Ready, status "GL: ...", a frame drawn.
                await until(pilot, lambda: bridge.alive and bridge.last_draw_ms is not None
                            and "GL: " in screen.status_bar.text, "GL window ready", 45, why)
                ready = bridge.link.ready
                result["pid"] = ready.pid
                assert ready.version == P.PROTOCOL_VERSION and f"{ready.width}x{ready.height}" in screen.status_bar.text
                epoch, page = session.epoch_len, session.window_len
                assert (session.window_start, session.cursor) == (0.0, 0.0)

                # Page in the terminal, label the cursor epoch REM by a terminal key (auto-advance moves on).
                await pilot.press("]")
                assert (session.window_start, session.cursor) == (page, page)
                await pilot.press("r")
                rem = (page, page + epoch, "REM")
                assert spans(session.labels) == [rem] and session.cursor == page + epoch

                # Label the next epoch Wake by a key typed into the GL window (pointer over it: focus follows).
                # The window's layout (one plot panel: its weight does not matter); without a window
                # manager the window sits at (0, 0), so window pixels are screen pixels.
                lay = compute_layout(ready.width, ready.height, [(1.0, 0.0)])
                data = lay.data
                fake.move(int(data.x + data.w / 2), int(data.y + data.h / 2))
                assert states.lookup(PROBE[1]) is None, "the probe key must do nothing"
                probed = lambda: any(isinstance(m, P.KeyPressed) and m.key == PROBE[1] for m in events)  # noqa: E731
                end = time.monotonic() + 20
                while not probed():              # until a key typed there reaches the app
                    assert time.monotonic() < end, f"no key from the window reached the app. {why()}"
                    fake.key(PROBE[0])
                    stop = time.monotonic() + 1.0
                    while not probed() and time.monotonic() < stop:
                        await pilot.pause(0.05)
                n = len(events)
                fake.key("w")
                wake = (page + epoch, page + 2 * epoch, "Wake")
                await until(pilot, lambda: len(session.labels) == 2, "Wake typed in the window", 10, why)
                assert [m.key for m in events[n:] if isinstance(m, P.KeyPressed)] == ["w"]
                assert spans(session.labels) == [rem, wake] and session.cursor == page + 2 * epoch

                # Save with the terminal's key; the status names the file written.
                await pilot.press("ctrl+s")
                await until(pilot, lambda: not session.labels.has_unsaved_edits, "saved", 10, why)
                assert f"saved {session.labels.save_path}" in screen.status_bar.text
                result["saved"], result["schema"] = session.labels.save_path, session.labels.schema

                # Ask the window for its frame (after every message the app sent before).
                bridge.send(P.Snapshot(str(frame_path), 4242))
                await until(pilot, lambda: any(isinstance(m, P.SnapshotSaved) and m.seq == 4242 for m in events),
                            "snapshot", 15, why)
                assert not [m for m in events if isinstance(m, P.ErrorRaised)], why()
                result.update(lay=lay, size=(ready.width, ready.height), rem=rem, wake=wake, page=page,
                              window=(session.window_start, session.window_end), cursor=session.cursor,
                              colors={s: states.color_for(s) for s in ("REM", "Wake")},
                              span=(session.t_start, session.t_end), n_states=len(states.states),
                              row_nrem=list(states.states).index("NREM"))

                # Quit by key: the window is closed with the app.
                await pilot.press("ctrl+q")
                await until(pilot, lambda: not bridge.alive, "window closed on quit", 10, why)
            finally:
                if bridge.link is not None and bridge.link.alive:
                    await bridge.stop()

    try:
        asyncio.run(scenario())
    finally:
        fake.close()
    with pytest.raises(ProcessLookupError):
        os.kill(result["pid"], 0)

    # The file written holds both labels at their times.
    with open(result["saved"], newline="") as f:
        rows = list(csv.DictReader(f))
    sc = result["schema"]
    got = [(float(r[sc.start_col]), float(r[sc.end_col]), r[sc.label_col]) for r in rows]
    assert got == [result["rem"], result["wake"]], rows

    # The frame: label strip, overlays, cursor, and the hypnogram's window mark.
    img = np.load(frame_path)[..., :3].astype(int)
    lay, (t0, t1) = result["lay"], result["window"]
    assert img.shape[:2] == result["size"][::-1]
    data, strip = lay.data, lay.strip

    def x_of(t: float) -> float:
        return data.x + (t - t0) / (t1 - t0) * data.w

    rem_rgb, wake_rgb = (np.array(result["colors"][s][:3]) for s in ("REM", "Wake"))
    (r0, r1, _), (w0, w1, _) = result["rem"], result["wake"]
    strip_row = img[int(strip.y + strip.h / 2)]
    cols = lambda a, b: slice(int(np.ceil(x_of(a))) + 1, int(x_of(b)) - 1)  # noqa: E731 - inside a span
    assert (np.abs(strip_row[cols(r0, r1)] - rem_rgb) <= 1).all(), "REM's keymap colour over its epoch in the strip"
    assert (np.abs(strip_row[cols(w0, w1)] - wake_rgb) <= 1).all(), "Wake's colour over its epoch in the strip"
    rest = strip_row[cols(w1, t1)]
    assert (np.abs(rest - np.array(PANEL_RGBA[:3])) <= 1).all(), "nothing labelled after the Wake epoch"
    # Overlays: the commonest colour of the plot area in each span is the background under the state's shade.
    plot = img[int(data.y):int(data.y1)]
    assert close(commonest(plot[:, cols(r0, r1)]), blend(PANEL_RGBA, rem_rgb, DEFAULT_ALPHA))
    assert close(commonest(plot[:, cols(w0, w1)]), blend(PANEL_RGBA, wake_rgb, DEFAULT_ALPHA))
    assert close(commonest(plot[:, cols(w1, t1)]), PANEL_RGBA[:3])
    # The cursor: one yellow line at the cursor time (pixel i is centred at i + 0.5).
    yellow = (plot[:, int(data.x):int(data.x1)] == CURSOR_RGBA[:3]).all(axis=-1).sum(axis=0)
    line = data.x + np.nonzero(yellow > 0.8 * plot.shape[0])[0]
    assert len(line) and abs(line.mean() + 0.5 - x_of(result["cursor"])) <= 1.0, (line, x_of(result["cursor"]))
    # The hypnogram marks the paged window (not where it started): in the NREM row, empty of labels.
    hyp = Hypnogram(result["span"])
    hyp.set_rect(lay.hypnogram)
    bars, (a, b) = hyp.bars, result["span"]
    y = int(bars.y + (result["row_nrem"] + 0.5) * bars.h / result["n_states"])
    hx = lambda t: int(bars.x + (t - a) / (b - a) * bars.w)  # noqa: E731
    inside = img[y, hx(t0 + 0.7 * (t1 - t0))]
    assert close(inside, blend(HYP_BG, WINDOW_RGBA, WINDOW_RGBA[3])), inside
    for t in (t0 - 0.5 * result["page"], t1 + 2 * result["page"]):   # the window before paging, and later
        assert close(img[y, hx(t)], HYP_BG, 1), (t, img[y, hx(t)])
