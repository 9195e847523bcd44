"""The GL window over X forwarding: bytes and time per event through a throttling X proxy (issue 11).

The window runs as the terminal app runs it (``python -m render --connect``,
driven through :class:`~loupe_tui.link.RenderLink` with the messages the
app's bridge builds), but its ``DISPLAY`` is :class:`loupe_tui.xproxy.XProxy`
on 127.0.0.1, in front of a private Xvfb (:class:`loupe_tui.xproxy.XServer`:
reached through its Unix socket, MIT-SHM off, as shared memory never works
over ssh). Mesa llvmpipe renders in the window's process, so every frame
crosses the X connection.

Setup: the 24 h demo (``loupe_tui.demo.ensure_demo``, cached under
``$LOUPE_BENCH_DIR/demo24`` like ``bench_pageflip``'s: 1 min of video from
12.3 s) with its EEG/EMG, calcium heatmap, spike raster, video and partial
labels, the rodent_sleep keymap, default label shading, a 20 s window and
4 s epochs. Windows of 1600x900 and 1024x576. The window pages between
20-40 s and 40-60 s, where the video has frames and the labels a boundary.

Events, each measured from the message sent to the last byte of X traffic
it caused (the proxy is quiet for 0.6 s after the window reported the frame
and the proxy read its first byte):

* ``window open``: from RenderLink.start (LoadSession and the full state,
  then the full state again, as ``Bridge.start`` sends them) to the last
  byte after the first frames;
* ``page flip``: SetWindow + SetCursor (``Session.page``);
* ``state key``: ApplyLabelDiff + SetCursor (``Session.label`` on the
  cursor epoch, auto-advance on), always a different state;
* ``cursor step``: SetCursor one epoch back (``Session.step_epoch(-1)``);
* ``idle``: 5 s with nothing sent;
* ``playback`` (unthrottled and both 20 Mbit/s links, after the rounds):
  the video played at 1x for 5 s; frames drawn per second and the bytes
  they sent, a state key half-way (message to its FrameDrawn) and the pause
  (message to the last byte it caused).

Each is run at four links (both directions alike): unthrottled, 100 Mbit/s
+ 15 ms, 20 Mbit/s + 15 ms one way, and 20 Mbit/s + 15 ms with the link
carrying zlib level 1 (the measure issue 11's goals use for ``ssh -C``).
Bytes are medians over every link of the events that drew one frame
(bytes do not depend on the link); ``zlib_*`` is the same bytes
compressed as the proxy models ``ssh -C`` (one stream per direction, 16 KiB
packets, level 1, a sync flush per packet) and ``zlib6_ssh_total`` as
OpenSSH really does it (level 6, partial flush). X requests are counted by
opcode on the client's stream; ``round_trips`` is the number of replies
(requests that waited for the server). ``frames_mean`` is the FrameDrawn
per event over every link: an event drew two frames when the window drew
the first message of a pair (ApplyLabelDiff, SetWindow) before the second
(SetCursor) arrived; ``bytes_to_server_mean`` counts those too.

``quick`` (smoke run): the 1 h demo (``$LOUPE_BENCH_DIR/demo1h``), one
640x360 window, unthrottled and 20 Mbit/s + 15 ms, one round of events,
2 s of idle.

The reference, when ``pyqtgraph`` and a Qt binding are installed
(``pip install pyqtgraph PySide6-Essentials``, or the ``bench`` extra):
the same demo drawn the way Loupe draws it (``bench/pyqtgraph_remote.py``:
traces as PlotDataItems, labels as LinearRegionItems, heatmap ImageItem,
raster scatter, video in a QLabel, hypnogram overview), in a subprocess with
``QT_QPA_PLATFORM=xcb`` on the same proxy, MIT-SHM off, so Qt's backing
store crosses the link as PutImage of each repainted region. One window per
size, opened unthrottled, then ``PYQTGRAPH_ROUNDS`` rounds of the same
events (the same Session calls, their messages turned into what Loupe does)
on each link in turn; measured with the same marks and quiet rule, reported
as rows with ``who=pyqtgraph`` under the ``who=loupe-tui GL`` ones (no
playback). Quick: one round, unthrottled. Not installed, or Qt cannot
start: a note says so and the GL rows stand alone.

Terminal-graphics bytes per flip are ``bench_terminal_graphics``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
WINDOW_S, EPOCH_S = 20.0, 4.0
PAGES = (20.0, 40.0)        # the window alternates between these starts (video and a label boundary)
QUIET_S = 0.6               # no X traffic for this long after the frame: the event is over
EVENT_TIMEOUT_S = 120.0
PLAY_LINKS = ("unthrottled", "20M+15ms", "20M+15ms zlib")   # where playback is measured
GL, PYQTGRAPH = "loupe-tui GL", "pyqtgraph"   # the ``who`` of a row
PYQTGRAPH_ROUNDS = 3        # rounds per link of the pyqtgraph window (its events are slower; the run stays short)
NAMED = ("GetWindowAttributes", "GetGeometry", "GetInputFocus", "InternAtom", "QueryExtension", "PutImage")


def links(quick: bool) -> list[tuple[str, object]]:
    from loupe_tui.xproxy import Link

    out = [("unthrottled", Link()), ("100M+15ms", Link(100e6, 15.0)), ("20M+15ms", Link(20e6, 15.0)),
           ("20M+15ms zlib", Link(20e6, 15.0, compressed=True))]
    return [out[0], out[2]] if quick else out


def sizes(quick: bool) -> list[tuple[int, int]]:
    return [(640, 360)] if quick else [(1600, 900), (1024, 576)]


class Scene:
    """The demo as the terminal app would show it: configs, states, view, and a fresh Session on demand."""

    def __init__(self, quick: bool):
        from loupe_tui.api import make_context
        from loupe_tui.commands.open import demo_configs
        from loupe_tui.core.labels import IntervalLabelSet
        from loupe_tui.demo import ensure_demo

        hours = 1.0 if quick else 24.0
        self.paths = ensure_demo(BENCH_DIR / ("demo1h" if quick else "demo24"), hours=hours, video_minutes=1.0,
                                 progress=lambda line: None)
        self.work = BENCH_DIR / ("remote-quick" if quick else "remote")
        self.work.mkdir(parents=True, exist_ok=True)
        configs, videos = demo_configs(self.paths)
        # The labels are read into memory (no journal): the cached demo is never edited.
        self._read = lambda: IntervalLabelSet.read(self.paths.labels)
        self.ctx = make_context(configs, videos=videos, interval_labels=self._read(),
                                state_definitions=self.paths.keymap, window=True, epoch_len=EPOCH_S,
                                window_len=WINDOW_S, cache_dir=self.work / "pyramids", title="bench")
        self.states = self.ctx.states
        self.hours = hours

    def session(self):
        from loupe_tui.core.session import Session

        s0 = self.ctx.session
        s = Session(self._read(), s0.t_start, s0.t_end, epoch_len=EPOCH_S, window_len=WINDOW_S)
        s.window_start = s.cursor = PAGES[0]
        return s

    def initial(self, session) -> list:
        """What ``Bridge.start`` gives a new window: LoadSession and the full state."""
        from loupe_tui.tui.bridge import Bridge

        return Bridge(self.ctx, lambda m: None).initial(session, self.ctx.view_model(), self.states)

    def full_state(self, session) -> list:
        """What ``Bridge.start`` sends again once the window is up (edits made while it started)."""
        from loupe_tui.tui.bridge import full_state

        return full_state(session, self.ctx.view_model(), self.states)


async def _started(ev, grace_s: float = 0.5) -> None:
    """Wait (at most ``grace_s``) until the proxy has read the event's first byte to the server.

    The window writes a frame to the X connection before it reports FrameDrawn, but the proxy's
    reader threads need the GIL this coroutine holds to count it; with no round trip in the frame
    nothing else has made them count yet, and the quiet check would end the event at once.
    """
    end = time.monotonic() + grace_s
    while not ev.bytes["to_server"] and time.monotonic() < end:
        await asyncio.sleep(0.005)


async def _quiet(proxy, quiet_s: float = QUIET_S, timeout: float = EVENT_TIMEOUT_S) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        left = quiet_s - proxy.idle_for()
        if left <= 0:
            return True
        await asyncio.sleep(min(max(left, 0.01), 0.05))
    return False


def _page(session):
    """A page flip: to the other of the two pages."""
    to = PAGES[1] if session.window_start < (PAGES[0] + PAGES[1]) / 2 else PAGES[0]
    return session.page(int(round((to - session.window_start) / WINDOW_S)))


def _state_key(session, states: list):
    """A state key on the cursor epoch: always a state other than the one it has (auto-advance on)."""
    now = session.state_at()
    new = next(s for s in states[states.index(now) + 1:] + states if s != now) if now in states else states[0]
    return session.label(new)


async def _run_window(scene: Scene, proxy, size: tuple[int, int], plan: list, rounds: int, idle_s: float,
                      warm_only: bool = False, play_s: float = 0.0) -> list[dict]:
    """One window: opened on the first link of ``plan``, ``rounds`` rounds of events on each link
    (``(name, Link)``) in turn, then ``idle_s`` of idle; a dict per measured event."""
    from loupe_tui import protocol as P
    from loupe_tui.link import RenderLink
    from loupe_tui.tui.bridge import messages_for

    frames: list[tuple[float, P.FrameDrawn]] = []
    inbox: asyncio.Queue = asyncio.Queue()

    def on_event(m):
        if isinstance(m, P.FrameDrawn):
            frames.append((time.monotonic(), m))
        inbox.put_nowait(m)

    cmd = [sys.executable, "-m", "render", "--size", f"{size[0]}x{size[1]}"]
    link = RenderLink(on_event, env=proxy.env(), log_path=scene.work / "render.log", command=cmd,
                      startup_timeout=120.0)
    session = scene.session()
    states = list(scene.states.states)
    seq = 0
    out: list[dict] = []
    link_name = plan[0][0]
    proxy.set_link(plan[0][1])

    async def until(pred, timeout=EVENT_TIMEOUT_S):
        end = time.monotonic() + timeout
        while True:
            m = await asyncio.wait_for(inbox.get(), max(end - time.monotonic(), 0.01))
            if isinstance(m, P.ErrorRaised) and m.fatal:
                raise RuntimeError(f"the window failed: {m.message} (see {scene.work / 'render.log'})")
            if pred(m):
                return m

    def record(ev, name: str) -> None:
        n_frames = sum(1 for t, _ in frames if t >= ev.t0)
        d = ev.to_dict()
        d.update(who=GL, event=name, link=link_name, size=f"{size[0]}x{size[1]}", frames=n_frames,
                 draw_ms=[f.draw_ms for t, f in frames if t >= ev.t0])
        out.append(d)

    async def playing(link_name: str) -> None:
        """Video playback for ``play_s`` on this link, a state key half-way, then pause."""
        nonlocal seq
        n0 = len(frames)
        played = proxy.mark("(playing)")
        t0 = time.monotonic()
        link.send(P.VideoCommand("play", value=1.0))
        await asyncio.sleep(play_s / 2)
        seq += 1
        key_seq = seq
        t_key = time.monotonic()
        for m in messages_for(state_key(), session, seq):
            link.send(m)
        await until(lambda m: isinstance(m, P.FrameDrawn) and m.seq == key_seq)
        key_ms = 1000 * (time.monotonic() - t_key)
        await asyncio.sleep(max(t0 + play_s - time.monotonic(), 0.0))
        paused = proxy.mark("(paused)")
        link.send(P.VideoCommand("pause"))
        await asyncio.sleep(0.05)
        if not await _quiet(proxy):
            raise RuntimeError("playback: the X connection did not go quiet after the pause")
        proxy.drain()
        n_frames = sum(1 for t, _ in frames[n0:] if t - t0 <= play_s)
        out.append({"who": GL, "event": "playback", "link": link_name, "size": f"{size[0]}x{size[1]}",
                    "play_s": play_s,
                    "frames_per_s": round(n_frames / play_s, 1),
                    "mb_per_s": round(played.bytes["to_server"] / 1e6 / play_s, 2),
                    "mbit_per_s": round(played.bytes["to_server"] * 8 / 1e6 / play_s, 1),
                    "key_to_frame_ms": round(key_ms, 1),
                    "pause_to_last_byte_ms": None if paused.last_byte_s is None else round(1000 * paused.last_byte_s)})
        # back to the page the rounds expect, the cursor on the window's first epoch, and the window
        # told the whole state again (as after a restart): the playback clock left it elsewhere
        session.goto(session.window_start)
        for m in scene.full_state(session):
            link.send(m)
        await asyncio.sleep(0.5)
        await _quiet(proxy)
        proxy.drain()

    async def event(name: str, change) -> None:
        nonlocal seq
        seq += 1
        msgs = messages_for(change, session, seq)
        ev = proxy.mark(name)
        for m in msgs:
            link.send(m)
        if any(isinstance(m, (P.SetCursor, P.SetWindow)) for m in msgs):
            await until(lambda m: isinstance(m, P.FrameDrawn) and m.seq == seq)
            await _started(ev)
        if not await _quiet(proxy):
            raise RuntimeError(f"{name}: the X connection did not go quiet within {EVENT_TIMEOUT_S:g} s")
        proxy.drain()
        if not name.startswith("("):
            record(ev, name)

    def page():
        return _page(session)

    def state_key():
        return _state_key(session, states)

    ev = proxy.mark("window open")
    await link.start(scene.initial(session))
    for m in scene.full_state(session):      # as Bridge.start does
        link.send(m)
    try:
        await until(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 0, timeout=600.0)
        await _started(ev)
        if not await _quiet(proxy):
            raise RuntimeError("window open: the X connection did not go quiet")
        proxy.drain()
        record(ev, "window open")
        # warm-up (shaders, text atlas, video decoder), not measured
        await event("(warm-up)", page())
        await event("(warm-up)", state_key())
        await event("(warm-up)", session.step_epoch(-1))
        await event("(warm-up)", page())
        if warm_only:
            return []
        for link_name, lk in plan:
            proxy.set_link(lk)
            for _ in range(rounds):
                # the cursor is on the window's first epoch: two state keys move it on two epochs,
                # two steps back bring it home, so every page flip keeps it in the window
                await event("page flip", page())
                await event("state key", state_key())
                await event("state key", state_key())
                await event("cursor step", session.step_epoch(-1))
                await event("cursor step", session.step_epoch(-1))
            if play_s and link_name in PLAY_LINKS:   # last on the link: playback leaves the clock elsewhere
                await playing(link_name)
        ev = proxy.mark("idle")
        await asyncio.sleep(idle_s)
        proxy.drain()
        record(ev, "idle")
        return out
    finally:
        proxy.mark("(stop)")
        await link.stop()


async def _run_pyqtgraph(scene: Scene, proxy, size: tuple[int, int], plan: list, rounds: int,
                         idle_s: float) -> tuple[list[dict], dict]:
    """Loupe's way (``bench/pyqtgraph_remote.py``: pyqtgraph in Qt, on X through the proxy): one window,
    opened on the first link of ``plan``, the same warm-up, rounds and idle as :func:`_run_window`
    on each link in turn, the same messages turned into what Loupe does with them. Returns the
    records and what the window said when it was ready."""
    from loupe_tui import protocol as P
    from loupe_tui.tui.bridge import messages_for

    import pyqtgraph_remote as PQ

    session = scene.session()
    states = list(scene.states.states)
    first = scene.full_state(session)
    colors = next(m.colors for m in first if isinstance(m, P.SetStateColors))
    sl = next(m for m in first if isinstance(m, P.SetLabels))
    # the cursor visits epoch starts on both pages: their video frames are decoded up front
    visit = [PAGES[0] + k * EPOCH_S for k in range(int(round((PAGES[1] + WINDOW_S - PAGES[0]) / EPOCH_S)))]
    cfg = PQ.config(scene.paths, size, list(zip(sl.starts, sl.ends, sl.labels)), colors,
                    (session.window_start, session.window_end), session.cursor, visit)
    tag = f"{size[0]}x{size[1]}"
    cfg_path = scene.work / f"pyqtgraph-{tag}.json"
    cfg_path.write_text(json.dumps(cfg))
    log_path = scene.work / "pyqtgraph.log"
    out: list[dict] = []
    seq = 0
    link_name = plan[0][0]
    proxy.set_link(plan[0][1])

    def convert(msgs) -> list:
        cmds = []
        for m in msgs:
            if isinstance(m, P.ApplyLabelDiff):
                cmds.append(["labels", [list(r) for r in m.removed], [list(r) for r in m.added]])
            elif isinstance(m, P.SetWindow):
                cmds.append(["window", m.t0, m.t1])
            elif isinstance(m, P.SetCursor):
                cmds.append(["cursor", m.t])
        return cmds

    def log_tail() -> str:
        try:
            lines = [x for x in log_path.read_text(errors="replace").splitlines() if x.strip()]
        except OSError:
            return ""
        return lines[-1][:300] if lines else ""

    async def reply(timeout=EVENT_TIMEOUT_S) -> dict:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"the pyqtgraph window exited ({log_tail() or 'no message'}; see {log_path})")
        return json.loads(line)

    def record(ev, name: str, r: dict | None = None) -> None:
        d = ev.to_dict()
        d.update(who=PYQTGRAPH, event=name, link=link_name, size=tag, frames=0 if name == "idle" else 1,
                 draw_ms=[r["draw_ms"]] if r and "draw_ms" in r else [],
                 unmatched_labels=(r or {}).get("unmatched_labels", 0))
        out.append(d)

    async def event(name: str, change) -> None:
        nonlocal seq
        seq += 1
        cmd = json.dumps({"seq": seq, "msgs": convert(messages_for(change, session, seq))}) + "\n"
        ev = proxy.mark(name)
        proc.stdin.write(cmd.encode())
        await proc.stdin.drain()
        while True:
            r = await reply()
            if r.get("drawn") == seq:
                break
        await _started(ev)
        if not await _quiet(proxy):
            raise RuntimeError(f"pyqtgraph {name}: the X connection did not go quiet within {EVENT_TIMEOUT_S:g} s")
        proxy.drain()
        if not name.startswith("("):
            record(ev, name, r)

    ev = proxy.mark("window open")
    with open(log_path, "ab") as logf:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(PQ.__file__)), str(cfg_path), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=logf, env=PQ.environment(proxy.display), start_new_session=True,
            limit=1 << 20)
    try:
        ready = await reply(timeout=600.0)
        await _started(ev)
        if not await _quiet(proxy):
            raise RuntimeError("pyqtgraph window open: the X connection did not go quiet")
        proxy.drain()
        record(ev, "window open")
        for change in (_page(session), _state_key(session, states), session.step_epoch(-1), _page(session)):
            await event("(warm-up)", change)
        for link_name, lk in plan:
            proxy.set_link(lk)
            for _ in range(rounds):
                await event("page flip", _page(session))
                await event("state key", _state_key(session, states))
                await event("state key", _state_key(session, states))
                await event("cursor step", session.step_epoch(-1))
                await event("cursor step", session.step_epoch(-1))
        ev = proxy.mark("idle")
        await asyncio.sleep(idle_s)
        proxy.drain()
        record(ev, "idle")
        return out, ready
    finally:
        proxy.mark("(stop)")
        with contextlib.suppress(Exception):
            proc.stdin.write(b'{"quit": true}\n')
            await asyncio.wait_for(proc.stdin.drain(), 5.0)
        try:
            await asyncio.wait_for(proc.wait(), 10.0)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 9)
            await proc.wait()


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _rows(records: list[dict], link_names: list[str], idle_s: float) -> list[dict]:
    """One row per (size, event, who), the pyqtgraph row under the GL one. Bytes and requests do
    not depend on the link, so they are pooled over every link's events: the median of the events
    that drew one frame (the usual case; ``*_mean`` and ``frames_mean`` include the events that drew
    two). Times are per link."""
    rows = []
    order = ("window open", "page flip", "state key", "cursor step", "idle")
    whos = list(dict.fromkeys(r.get("who", GL) for r in records))
    for size in dict.fromkeys(r["size"] for r in records):
        for name in order:
            for who in whos:
                every = [r for r in records if r["size"] == size and r["event"] == name and r.get("who", GL) == who]
                if not every:
                    continue
                drew = name in ("page flip", "state key", "cursor step")
                one = [r for r in every if r["frames"] == 1] if drew else []
                base = one or every
                row = {"who": who, "size": size, "event": name + (f" ({idle_s:g} s)" if name == "idle" else ""),
                       "n": len(every), "n_one_frame": len(one)}
                for key in ("bytes", "zlib"):
                    for d in ("to_server", "to_client"):
                        row[f"{key}_{d}"] = _median([r[key][d] for r in base])
                tot = _median([sum(r["bytes"].values()) for r in base])
                ztot = _median([sum(r["zlib"].values()) for r in base])
                row["zlib_ratio"] = round(tot / ztot, 1) if ztot else None
                row["zlib6_ssh_total"] = _median([sum(r["zlib_ssh"].values()) for r in base])
                for ln in link_names:
                    t = _median([r["last_byte_s"] for r in every if r["link"] == ln])
                    row[f"ms_{ln.replace(' ', '_')}"] = None if t is None or name == "idle" else round(1000 * t, 1)
                row["round_trips"] = _median([r["round_trips"] for r in base])
                for op in NAMED:
                    row[op] = _median([r["requests"].get(op, 0) for r in base])
                row["extension_requests"] = _median([sum(v for k, v in r["requests"].items() if ":" in k)
                                                     for r in base])
                row["frames_mean"] = round(statistics.fmean(r["frames"] for r in every), 2)
                row["bytes_to_server_mean"] = round(statistics.fmean(r["bytes"]["to_server"] for r in every))
                rows.append(row)
        for r in records:
            if r["size"] == size and r["event"] == "playback":
                rows.append({k: v for k, v in r.items() if k != "event"} | {"event": f"playback ({r['link']})"})
    return rows


def _top_requests(records: list[dict], size: str, name: str, k: int = 6) -> str:
    """The requests that waited for a reply in a one-frame ``name`` event, per event."""
    from collections import Counter

    rs = [r for r in records if r["size"] == size and r["event"] == name and r["frames"] == 1
          and r.get("who", GL) == GL]
    if not rs:
        return ""
    c: Counter = Counter()
    for r in rs:
        c.update(r["replies"])
    return ", ".join(f"{n} {v / len(rs):.3g}" for n, v in c.most_common(k))


def _x_server(stack) -> tuple[str, str]:
    """The X server behind the proxy: a private Xvfb (MIT-SHM off), else ``$DISPLAY`` with a caveat."""
    from loupe_tui.xproxy import XServer

    try:
        return stack.enter_context(XServer((1920, 1080))).display, ""
    except RuntimeError as exc:
        display = os.environ.get("DISPLAY", "")
        if not display.startswith(":"):
            raise RuntimeError(f"bench remote needs Xvfb or a local DISPLAY: {exc}") from None
        return display, (f"no Xvfb ({exc}): measured through the proxy in front of {display}, whose MIT-SHM "
                         "(if on) carries frames outside the proxy, so pixel bytes may be missing")


def _pyqtgraph_rounds(scene: Scene, proxy, quick: bool, lk: list, idle_s: float, loads: list) -> tuple[list, str]:
    """pyqtgraph (Loupe's way) through the same proxy, when it is installed: a window per size, the
    links in turn (quick: one round, unthrottled). Returns its records and the note about it; a
    failure is a note, not an error (the GL figures stand on their own)."""
    import pyqtgraph_remote as PQ

    why = PQ.available()
    if why:
        what = "not installed in the venv" if "ImportError" in why or "ModuleNotFound" in why else "skipped"
        return [], f"pyqtgraph (Loupe's way) on the same link: {what} ({why}; {PQ.PIP})"
    records: list[dict] = []
    ready: dict = {}
    plan, rounds = (lk[:1], 1) if quick else (lk, PYQTGRAPH_ROUNDS)
    try:
        for size in sizes(quick):
            before = os.getloadavg()[0]
            recs, ready = asyncio.run(_run_pyqtgraph(scene, proxy, size, plan, rounds, idle_s))
            records += recs
            loads.append((f"pyqtgraph {size[0]}x{size[1]}", round(before, 2), round(os.getloadavg()[0], 2)))
    except Exception as exc:   # a Qt that cannot reach X (xcb plugin's libraries missing ...), a crash
        why = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        if "plugin" in why:
            why += (" (Qt's xcb plugin needs, on Debian: libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 "
                    "libxkbcommon-x11-0)")
        return records, f"pyqtgraph (Loupe's way): failed, {why}"
    flips = [r for r in records if r["event"] == "page flip"]
    put = _median([r["requests"].get("PutImage", 0) for r in flips])
    unmatched = max([r.get("unmatched_labels", 0) for r in records] or [0])
    shm = sorted({k for r in records for k in r["requests"] if k.startswith("MIT-SHM")})
    note = (f"pyqtgraph (Loupe's way, bench/pyqtgraph_remote.py; {ready.get('binding', '?')} Qt "
            f"{ready.get('qt', '?')} on {ready.get('platform', '?')}, QT_XCB_NO_MITSHM=1, so its backing store "
            f"goes out as PutImage of the repainted region: {put} PutImage per page flip"
            f"{', MIT-SHM requests seen: ' + ', '.join(shm) if shm else ', no MIT-SHM request'}): "
            "EEG/EMG as one PlotDataItem each over the whole recording in memory (peak auto-downsampling, "
            "clip to view, y auto-ranged), the heatmap as an ImageItem and the raster as a '|' ScatterPlotItem "
            "of the window's samples (set on each page), a LinearRegionItem per label on every plot (alpha 60, "
            "every one removed and added again after an edit, as Loupe redraws its labels: an edit repaints the "
            "visible part of the interval it splits), an InfiniteLine "
            "cursor per plot, the video frame at the cursor in a QLabel and a hypnogram overview plot; "
            "no toolbar, slider or status text; a page flip paints the plots twice (the new range is applied "
            "in the first paint, then the clipped, re-downsampled curves are repainted), so it sends more "
            "than the window's area; its 'window open' (first link only) includes loading the "
            f"demo into memory ({ready.get('load_s', '?')} s) and starting Qt; {rounds} round(s) per link"
            + (", unthrottled only" if quick else "")
            + (f"; WARNING: {unmatched} removed label span(s) did not match its labels" if unmatched else ""))
    return records, note


def run(quick: bool = False) -> dict:
    from loupe_tui.xproxy import XProxy

    t_setup = time.perf_counter()
    scene = Scene(quick)
    setup_s = time.perf_counter() - t_setup
    rounds = 1 if quick else 5
    idle_s = 2.0 if quick else 5.0
    lk = links(quick)
    records: list[dict] = []
    loads = []
    with contextlib.ExitStack() as stack:
        server, caveat = _x_server(stack)
        proxy = stack.enter_context(XProxy(server, lifetime_s=7200.0))
        if quick:   # one window: opened unthrottled, then a round of events on each link
            plans = [lk]
        else:       # a window per link (each opening is measured); the first one of the run warms caches
            asyncio.run(_run_window(scene, proxy, sizes(quick)[0], lk[:1], 0, 0.0, warm_only=True))
            plans = [[x] for x in lk]
        for size in sizes(quick):
            for plan in plans:
                before = os.getloadavg()[0]
                records += asyncio.run(_run_window(scene, proxy, size, plan, rounds, idle_s,
                                                   play_s=2.0 if quick else 5.0))
                loads.append((f"{size[0]}x{size[1]} {plan[0][0]}", round(before, 2), round(os.getloadavg()[0], 2)))
        pg_records, pg_note = _pyqtgraph_rounds(scene, proxy, quick, lk, idle_s, loads)
        records += pg_records
        problems = proxy.parse_problems()
        extensions = sorted(proxy.extensions.values())
    link_names = [n for n, _ in lk]
    rows = _rows(records, link_names, idle_s)
    size0 = f"{sizes(quick)[0][0]}x{sizes(quick)[0][1]}"
    notes = (f"{scene.hours:g} h demo, {WINDOW_S:g} s window, {EPOCH_S:g} s epochs, default shading; "
             f"ms_* = ms from the message sent to the last X byte delivered, median of {rounds} flips and "
             f"{2 * rounds} keys/steps per link (both directions throttled alike; 'zlib' links carry the zlib-1 "
             f"bytes); bytes/zlib/requests: medians over every link of the events that drew one frame "
             f"(frames_mean > 1: the window sometimes drew the first message of a pair before the second "
             f"arrived); round_trips = replies; "
             f"replies per page flip at {size0}: {_top_requests(records, size0, 'page flip')}; "
             f"extensions asked for: {', '.join(extensions)}; "
             f"load average (1 min) before/after each window: {loads}; set-up {setup_s:.1f} s; "
             "playback: the demo's video played at 1x for play_s, frames drawn per second and what they sent, "
             "a state key half-way (message to its FrameDrawn, which a frame in a run sends once the link has "
             "taken it) and the pause (message to the last byte); "
             f"{pg_note}; "
             "terminal-graphics bytes per flip: bench_terminal_graphics")
    if caveat:
        notes += f"; {caveat}"
    if problems:
        notes += f"; request parsing gave up on a connection: {problems} (bytes still counted)"
    out = {"title": "GL window over X forwarding: bytes and time per event through a throttling X proxy",
           "results": rows, "notes": notes}
    if not quick:
        out["records"] = records      # every event, for a closer look (--json)
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1, default=str))
