"""The terminal app's end of the link to the GL window: spawn, handshake, send, watch.

:class:`RenderLink` listens on a Unix socket in a private folder (0700, in
memory where there is one: :func:`loupe_tui.framebuffer.private_folder`),
starts the window as ``python -m render --connect SOCKET`` (stdin closed,
output to a log file, its own session: a child that reads the terminal would
steal the scorer's keys), exchanges Hello/Ready (a window of another protocol
version is refused), then sends the initial state. For terminal graphics
(``frames=True``) the window draws offscreen into the frame buffer file
``frames`` beside the socket (``--frames``); the folder goes with the window.

:meth:`RenderLink.send` never blocks the UI: messages wait in a queue that a
writer task flushes; a window or cursor message still waiting when a newer
one comes is dropped (:func:`loupe_tui.protocol.coalesce`). Events from the
window reach ``on_event`` on the asyncio loop; if the window dies, a
synthetic ``ErrorRaised(fatal=True)`` does. A watchdog pings the window
every :attr:`RenderLink.PING_INTERVAL_S`; a Ping unanswered for
:attr:`RenderLink.HANG_TIMEOUT_S` (a stopped or stuck window) sets the status
"GL window not responding" and delivers a non-fatal ``ErrorRaised``;
:meth:`RenderLink.restart` then kills it without waiting. Nothing here imports
a GUI toolkit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from loupe_tui import protocol as P
from loupe_tui.framebuffer import private_folder

RESTART_HINT = "F5 restarts"
#: Bytes of the window's log quoted when it fails to start.
LOG_TAIL = 600


def default_log_path() -> Path:
    """Where the window's output goes by default: ``render.log`` in the cache root
    (``$LOUPE_TUI_CACHE``, else ``$XDG_CACHE_HOME/loupe-tui``; see :func:`loupe_tui.core.paths.user_cache_dir`)."""
    from loupe_tui.core.paths import user_cache_dir

    return user_cache_dir() / "render.log"


class LinkUnavailable(Exception):
    """The GL window cannot run; the message is the human reason (shown in the status bar)."""


def display_available(env: dict | None = None) -> tuple[bool, str]:
    """Whether a GL window can be opened at all: ``(ok, reason)``.

    Only checks the environment (``DISPLAY`` / ``WAYLAND_DISPLAY``); a display
    that exists but cannot give GL is reported by the window itself.
    """
    env = os.environ if env is None else env
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return True, f"display {env.get('DISPLAY') or env.get('WAYLAND_DISPLAY')}"
    return False, "no display: DISPLAY and WAYLAND_DISPLAY are not set (ssh -X, or run under Xvfb)"


class RenderLink:
    """The GL window process seen from the terminal app.

    Parameters
    ----------
    on_event : callable(Message)
        Called on the asyncio loop for every event from the window (Ready,
        FrameDrawn, Clicked, Dragged, Scrolled, KeyPressed, SnapshotSaved,
        ErrorRaised, Closed), and with ``ErrorRaised(fatal=True)`` when the
        process dies.
    log_path : Path, optional
        The window's stdout/stderr (appended); default :func:`default_log_path`.
    env : dict, optional
        Environment of the window process (default: this process's).
    startup_timeout : float
        Seconds to wait for the window to connect and answer Hello.
    command : sequence of str, optional
        Command that starts the window, before ``--connect SOCKET`` (default
        ``[sys.executable, "-m", "render"]``; tests add ``--hidden``).
    size : (int, int), optional
        The window's size in pixels (``--size WxH``; default: the window's own);
        with ``frames``, the first frame's size.
    frames : bool
        Offscreen mode, for terminal graphics: the window stays hidden and
        writes its frames to :attr:`frames_path` (``--frames``).
    """

    #: Seconds between liveness Pings while the window runs.
    PING_INTERVAL_S = 2.0
    #: Seconds a Ping may stay unanswered before the window is reported as not responding.
    HANG_TIMEOUT_S = 5.0

    def __init__(self, on_event: Callable[[P.Message], None], *, log_path: Path | None = None,
                 env: dict | None = None, startup_timeout: float = 20.0, command: Sequence[str] | None = None,
                 size: tuple[int, int] | None = None, frames: bool = False):
        self.on_event = on_event
        self.log_path = Path(log_path) if log_path is not None else None
        self.env = dict(os.environ if env is None else env)
        self.startup_timeout = float(startup_timeout)
        self.command = list(command) if command is not None else [sys.executable, "-m", "render"]
        if size is not None:
            self.command += ["--size", f"{int(size[0])}x{int(size[1])}"]
        self.frames = bool(frames)
        self.ready: P.Ready | None = None
        self._status = "GL window: not started"
        self._proc: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: list[asyncio.Task] = []
        self._pending: list[P.Message] = []
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tmp: Path | None = None
        self._stopping = False
        self._closed_by_user = False
        self._ping_seq = 0
        self._gen = 0                          # which start() the reader/watchdog tasks belong to
        self._ping_sent: float | None = None   # monotonic time of the unanswered Ping
        self.hung = False                      # a Ping went unanswered for HANG_TIMEOUT_S

    # -- public ---------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self._writer is not None and self._proc is not None and self._proc.returncode is None

    @property
    def status(self) -> str:
        """One line for the status bar."""
        return self._status

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def frames_path(self) -> Path | None:
        """The frame buffer file of the running window (offscreen mode), else None."""
        return self._tmp / "frames" if self.frames and self._tmp is not None else None

    async def start(self, initial: list[P.Message]) -> P.Ready:
        """Spawn the window, handshake, and send ``initial`` (LoadSession, labels, window ...).

        Raises
        ------
        LinkUnavailable
            No display, the window failed to start or speaks another protocol.
        """
        ok, why = display_available(self.env)
        if not ok:
            self._status = why
            raise LinkUnavailable(why)
        self._loop = asyncio.get_running_loop()
        self._stopping = self._closed_by_user = False
        self._tmp = private_folder("loupe-gl-")
        sock = self._tmp / "link.sock"
        frames = ["--frames", str(self.frames_path)] if self.frames else []
        log = self.log_path or default_log_path()
        log.parent.mkdir(parents=True, exist_ok=True)
        connected: asyncio.Future = self._loop.create_future()

        def on_connect(reader, writer):
            if connected.done():
                writer.close()
            else:
                connected.set_result((reader, writer))

        server = await asyncio.start_unix_server(on_connect, path=str(sock))
        try:
            with open(log, "ab") as logf:
                self._proc = await asyncio.create_subprocess_exec(
                    *self.command, *frames, "--connect", str(sock), stdin=subprocess.DEVNULL, stdout=logf,
                    stderr=subprocess.STDOUT, start_new_session=True, env=self.env)
            reader, writer = await self._first(connected, log)
            writer.write(P.encode(P.Hello()))
            await writer.drain()
            ready = await self._handshake(reader, log)
        except BaseException:
            await self._kill()
            self._cleanup()
            raise
        finally:
            server.close()
        self.ready, self._writer = ready, writer
        self._wake = asyncio.Event()
        self._pending = list(initial)
        self._ping_sent, self.hung = None, False
        self._gen += 1
        self._tasks = [asyncio.create_task(self._read_events(reader, self._gen)), asyncio.create_task(self._write()),
                       asyncio.create_task(self._watchdog())]
        self._wake.set()
        self._status = self._ready_status()
        return ready

    def send(self, msg: P.Message) -> None:
        """Queue ``msg`` for the window; never blocks, drops it when not connected.

        Safe from other threads (it hops to the link's loop). A window or
        cursor message still queued is replaced by a newer one. The link
        keeps no copy of what it sent: a restarted window is given its full
        state by the caller (the TUI's bridge builds it from the Session and
        the view model).
        """
        if self._loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not self._loop:
            self._loop.call_soon_threadsafe(self._enqueue, msg)
        else:
            self._enqueue(msg)

    def _enqueue(self, msg: P.Message) -> None:
        if self._wake is None or not self.alive:
            return
        if msg.coalesce is not None:
            self._pending = [m for m in self._pending if m.coalesce != msg.coalesce]
        self._pending.append(msg)
        self._wake.set()

    async def restart(self, initial: list[P.Message]) -> P.Ready:
        """Stop the window if it runs, then start it again with ``initial``, the full state."""
        await self.stop()
        return await self.start(list(initial))

    async def stop(self) -> None:
        """Ask the window to quit, wait briefly, then kill it."""
        self._stopping = True
        self._gen += 1  # the running window's tasks no longer own the link
        if self.alive and not self.hung:  # a hung window cannot read Quit: kill it at once
            with contextlib.suppress(Exception):
                self._writer.write(P.encode(P.Quit()))
                await asyncio.wait_for(self._writer.drain(), 1.0)
        if self._proc is not None and self._proc.returncode is None and not self.hung:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._proc.wait(), 2.0)
        await self._kill()
        for t in self._tasks:
            t.cancel()
        self._tasks = []
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._cleanup()
        self.hung, self._ping_sent = False, None
        self._status = "GL window: stopped"

    # -- internals --------------------------------------------------------------
    async def _first(self, connected: asyncio.Future, log: Path):
        """The window's connection, or LinkUnavailable if it exits or times out first."""
        died = asyncio.ensure_future(self._proc.wait())
        done, _ = await asyncio.wait({connected, died}, timeout=self.startup_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if connected in done:
            died.cancel()
            return connected.result()
        died.cancel()
        if self._proc.returncode is not None:
            raise LinkUnavailable(f"GL window exited at start-up (code {self._proc.returncode}){_tail(log)}")
        raise LinkUnavailable(f"GL window did not connect within {self.startup_timeout:g} s{_tail(log)}")

    async def _handshake(self, reader: asyncio.StreamReader, log: Path) -> P.Ready:
        while True:
            try:
                line = await asyncio.wait_for(reader.readline(), self.startup_timeout)
            except asyncio.TimeoutError:
                raise LinkUnavailable(f"GL window did not answer within {self.startup_timeout:g} s{_tail(log)}") from None
            if not line:
                await asyncio.sleep(0.05)
                code = self._proc.returncode
                raise LinkUnavailable(f"GL window exited at start-up (code {code}){_tail(log)}")
            try:
                msg = P.decode(line)
            except P.ProtocolError as exc:
                raise LinkUnavailable(f"GL window: {exc}") from None
            if isinstance(msg, P.ErrorRaised) and msg.fatal:
                self._status = msg.message
                raise LinkUnavailable(msg.message)
            if isinstance(msg, P.Ready):
                if msg.version != P.PROTOCOL_VERSION:
                    why = (f"protocol mismatch: the GL window speaks version {msg.version}, this loupe-tui "
                           f"speaks {P.PROTOCOL_VERSION}; install the same loupe-tui version for both")
                    self._status = why
                    raise LinkUnavailable(why)
                return msg

    async def _write(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                batch, self._pending = P.coalesce(self._pending), []
                if batch and self._writer is not None:
                    self._writer.write(b"".join(P.encode(m) for m in batch))
                    await self._writer.drain()  # while we wait here, new messages coalesce in _pending
        except (ConnectionError, OSError):
            pass

    async def _read_events(self, reader: asyncio.StreamReader, gen: int) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                try:
                    msg = P.decode(line)
                except P.ProtocolError as exc:
                    msg = P.ErrorRaised(f"GL window sent garbage: {exc}")
                if isinstance(msg, P.Closed):
                    self._closed_by_user = True
                if isinstance(msg, P.Pong):
                    self._answered(msg)
                    continue
                self._deliver(msg)
        except (ConnectionError, OSError):
            pass
        await self._on_gone(gen)

    async def _watchdog(self) -> None:
        """Ping the window; report it as not responding when a Ping stays unanswered."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(self.PING_INTERVAL_S, self.HANG_TIMEOUT_S / 4))
            if not self.alive:
                return
            now = loop.time()
            if self._ping_sent is None:
                self._ping_seq += 1
                self._ping_sent = now
                self._enqueue(P.Ping(self._ping_seq))  # queued, never blocks: a stopped window cannot stall us
            elif not self.hung and now - self._ping_sent > self.HANG_TIMEOUT_S:
                self.hung = True
                waited = now - self._ping_sent
                self._status = f"GL window not responding ({RESTART_HINT})"
                self._deliver(P.ErrorRaised(f"not responding for {waited:.0f} s ({RESTART_HINT})"))

    def _answered(self, pong: P.Pong) -> None:
        if pong.seq != self._ping_seq:
            return
        self._ping_sent = None
        if self.hung and self.ready is not None:
            self.hung = False
            self._status = self._ready_status()

    def _ready_status(self) -> str:
        r = self.ready
        if self.frames:     # its size follows the terminal's: the bridge says it
            return f"GL offscreen: {_short_renderer(r.renderer)}"
        return f"GL: {_short_renderer(r.renderer)}, {r.width}x{r.height}"

    async def _on_gone(self, gen: int) -> None:
        proc = self._proc
        if proc is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(proc.wait(), 2.0)
        if gen != self._gen or self._stopping:
            # stop()/restart() took over (a wait_for that completes as it is cancelled can
            # swallow the cancellation): never touch the next window's socket or status
            return
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.hung, self._ping_sent = False, None
        code = None if proc is None else proc.returncode
        if self._closed_by_user:
            self._status = f"GL window closed ({RESTART_HINT})"
        else:
            self._status = f"GL window died (code {code}; {RESTART_HINT})"
            self._deliver(P.ErrorRaised(f"GL window exited unexpectedly (code {code})", fatal=True))
        for t in self._tasks:
            if t is not asyncio.current_task():
                t.cancel()
        self._cleanup()

    def _deliver(self, msg: P.Message) -> None:
        try:
            self.on_event(msg)
        except Exception as exc:  # the app's handler must not kill the link
            print(f"loupe-tui link: on_event raised {exc!r}", file=sys.stderr)

    async def _kill(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the group is just the window
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), 2.0)

    def _cleanup(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _short_renderer(renderer: str) -> str:
    """``"llvmpipe (LLVM 15.0.6, 256 bits)"`` -> ``"llvmpipe"``."""
    return renderer.split(" (")[0].strip() or "GL"


def _tail(log: Path) -> str:
    try:
        data = Path(log).read_bytes()[-LOG_TAIL:].decode(errors="replace").strip()
    except OSError:
        return ""
    lines = [ln for ln in data.splitlines() if ln.strip()]
    return f": {lines[-1]}" if lines else ""
