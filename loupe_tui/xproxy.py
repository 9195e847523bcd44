"""A byte-counting, throttling proxy for an X connection, all on 127.0.0.1.

For measuring what the GL window costs over X forwarding (issue 11) without
an ssh server. :class:`XProxy` listens on ``127.0.0.1:6000+M``, so a client
started with ``DISPLAY=127.0.0.1:M`` talks X over TCP through it, and
forwards every connection to a real X server: its Unix socket (a private
:class:`XServer`, the default) or a TCP port on 127.0.0.1. Nothing listens
on, or connects to, any other address.

What it measures, per *event* (the caller marks where one begins:
``proxy.mark("page flip")``, sends the message, ``proxy.wait_quiet()``,
``proxy.stats()``):

* bytes each way, as the client and the server wrote them;
* the same bytes compressed as ``ssh -C`` sends them: one zlib stream per
  direction shared by every connection, as one ssh connection carries every
  forwarded X connection, fed in pieces of at most 16 KiB (OpenSSH's packet
  size for X11 channels), flushed after each: ``zlib`` at level 1 with
  ``Z_SYNC_FLUSH`` (the measure issue 11 sets its goals in) and
  ``zlib_ssh`` at level 6 with ``Z_PARTIAL_FLUSH``, what OpenSSH really
  does (``ssh_level=None`` turns that one off); ssh's packet headers,
  padding and MACs are not counted;
* when the first and the last byte of the event reached the other side;
* the X requests by name (core opcodes; extension requests as
  ``EXTENSION:minor``, their major opcodes learnt from the
  ``QueryExtension`` replies that pass), the replies by the request they
  answer (each is a request that waited for the server: a round trip, unless
  the client pipelined it), errors and X events.

The link can be throttled, separately each way (:class:`Link`): a bandwidth
in bits/s and a one-way delay. With ``compressed=True`` the bandwidth is
spent on the zlib bytes, as over ``ssh -C`` (the compression then runs on
the forwarding path, as ssh's does). The model is a queue in front of a
wire of that rate, followed by a fixed delay; TCP slow start and the
window limit of a real path are not modelled.

Threads: one accept thread; per connection a reader and a writer thread
each way; one zlib thread per direction. The number of connections is
capped, queued bytes are bounded (a reader waits when the wire is
behind), every thread is a daemon, and the proxy stops on :meth:`stop`, at
the end of a ``with`` block, or by itself after ``lifetime_s``.

Run as ``python -m loupe_tui.xproxy`` to start a private X server with a
proxy in front of it and print the proxy's display (see ``--help``).
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import random
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field

from loupe_tui.xvfb import Xvfb

LOCALHOST = "127.0.0.1"
X_TCP_BASE = 6000
#: ssh sends forwarded X data in packets of at most this many bytes (OpenSSH: CHAN_X11_PACKET_DEFAULT).
SSH_PACKET = 16 * 1024
TO_SERVER, TO_CLIENT = "to_server", "to_client"
DIRECTIONS = (TO_SERVER, TO_CLIENT)

#: Core X11 request names by major opcode (X11 protocol, chapter 9 and appendix B).
CORE_REQUESTS = {
    1: "CreateWindow", 2: "ChangeWindowAttributes", 3: "GetWindowAttributes", 4: "DestroyWindow",
    5: "DestroySubwindows", 6: "ChangeSaveSet", 7: "ReparentWindow", 8: "MapWindow", 9: "MapSubwindows",
    10: "UnmapWindow", 11: "UnmapSubwindows", 12: "ConfigureWindow", 13: "CirculateWindow", 14: "GetGeometry",
    15: "QueryTree", 16: "InternAtom", 17: "GetAtomName", 18: "ChangeProperty", 19: "DeleteProperty",
    20: "GetProperty", 21: "ListProperties", 22: "SetSelectionOwner", 23: "GetSelectionOwner",
    24: "ConvertSelection", 25: "SendEvent", 26: "GrabPointer", 27: "UngrabPointer", 28: "GrabButton",
    29: "UngrabButton", 30: "ChangeActivePointerGrab", 31: "GrabKeyboard", 32: "UngrabKeyboard", 33: "GrabKey",
    34: "UngrabKey", 35: "AllowEvents", 36: "GrabServer", 37: "UngrabServer", 38: "QueryPointer",
    39: "GetMotionEvents", 40: "TranslateCoordinates", 41: "WarpPointer", 42: "SetInputFocus",
    43: "GetInputFocus", 44: "QueryKeymap", 45: "OpenFont", 46: "CloseFont", 47: "QueryFont",
    48: "QueryTextExtents", 49: "ListFonts", 50: "ListFontsWithInfo", 51: "SetFontPath", 52: "GetFontPath",
    53: "CreatePixmap", 54: "FreePixmap", 55: "CreateGC", 56: "ChangeGC", 57: "CopyGC", 58: "SetDashes",
    59: "SetClipRectangles", 60: "FreeGC", 61: "ClearArea", 62: "CopyArea", 63: "CopyPlane", 64: "PolyPoint",
    65: "PolyLine", 66: "PolySegment", 67: "PolyRectangle", 68: "PolyArc", 69: "FillPoly",
    70: "PolyFillRectangle", 71: "PolyFillArc", 72: "PutImage", 73: "GetImage", 74: "PolyText8",
    75: "PolyText16", 76: "ImageText8", 77: "ImageText16", 78: "CreateColormap", 79: "FreeColormap",
    80: "CopyColormapAndFree", 81: "InstallColormap", 82: "UninstallColormap", 83: "ListInstalledColormaps",
    84: "AllocColor", 85: "AllocNamedColor", 86: "AllocColorCells", 87: "AllocColorPlanes", 88: "FreeColors",
    89: "StoreColors", 90: "StoreNamedColor", 91: "QueryColors", 92: "LookupColor", 93: "CreateCursor",
    94: "CreateGlyphCursor", 95: "FreeCursor", 96: "RecolorCursor", 97: "QueryBestSize", 98: "QueryExtension",
    99: "ListExtensions", 100: "ChangeKeyboardMapping", 101: "GetKeyboardMapping", 102: "ChangeKeyboardControl",
    103: "GetKeyboardControl", 104: "Bell", 105: "ChangePointerControl", 106: "GetPointerControl",
    107: "SetScreenSaver", 108: "GetScreenSaver", 109: "ChangeHosts", 110: "ListHosts", 111: "SetAccessControl",
    112: "SetCloseDownMode", 113: "KillClient", 114: "RotateProperties", 115: "ForceScreenSaver",
    116: "SetPointerMapping", 117: "GetPointerMapping", 118: "SetModifierMapping", 119: "GetModifierMapping",
    127: "NoOperation",
}
#: Minor opcode names of a few extensions (the rest are reported as ``NAME:minor``).
EXTENSION_REQUESTS = {
    "MIT-SHM": {0: "QueryVersion", 1: "Attach", 2: "Detach", 3: "PutImage", 4: "GetImage", 5: "CreatePixmap",
                6: "AttachFd", 7: "CreateSegment"},
    "BIG-REQUESTS": {0: "Enable"},
}
QUERY_EXTENSION = 98


@dataclass(frozen=True)
class Link:
    """One direction of the emulated link.

    Parameters
    ----------
    bits_per_s : float or None
        Bandwidth; None for no limit.
    delay_ms : float
        One-way delay added to every byte.
    compressed : bool
        Spend the bandwidth on the zlib level-1 bytes (``ssh -C``), not the raw ones.
    """

    bits_per_s: float | None = None
    delay_ms: float = 0.0
    compressed: bool = False

    @property
    def unlimited(self) -> bool:
        return self.bits_per_s is None and self.delay_ms <= 0 and not self.compressed

    def describe(self) -> str:
        if self.bits_per_s is None and self.delay_ms <= 0:
            return "unthrottled" + (", zlib-1" if self.compressed else "")
        rate = "unlimited" if self.bits_per_s is None else f"{self.bits_per_s / 1e6:g} Mbit/s"
        return f"{rate} + {self.delay_ms:g} ms" + (", zlib-1" if self.compressed else "")


UNTHROTTLED = Link()


@dataclass
class EventStats:
    """What one marked event sent over the X connection(s); times in seconds after the mark."""

    name: str
    t0: float
    bytes: dict = field(default_factory=lambda: dict.fromkeys(DIRECTIONS, 0))
    zlib: dict = field(default_factory=lambda: dict.fromkeys(DIRECTIONS, 0))
    zlib_ssh: dict = field(default_factory=lambda: dict.fromkeys(DIRECTIONS, 0))
    first_s: dict = field(default_factory=lambda: dict.fromkeys(DIRECTIONS))
    last_s: dict = field(default_factory=lambda: dict.fromkeys(DIRECTIONS))
    requests: collections.Counter = field(default_factory=collections.Counter)
    replies: collections.Counter = field(default_factory=collections.Counter)
    errors: collections.Counter = field(default_factory=collections.Counter)
    x_events: int = 0
    connections: int = 0   # X connections opened during the event

    @property
    def last_byte_s(self) -> float | None:
        """Seconds from the mark to the last byte delivered either way (None: no traffic)."""
        lasts = [v for v in self.last_s.values() if v is not None]
        return max(lasts) if lasts else None

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes.values())

    @property
    def total_zlib(self) -> int:
        return sum(self.zlib.values())

    def to_dict(self) -> dict:
        return {"name": self.name, "bytes": dict(self.bytes), "zlib": dict(self.zlib),
                "zlib_ssh": dict(self.zlib_ssh), "first_s": dict(self.first_s), "last_s": dict(self.last_s),
                "last_byte_s": self.last_byte_s,
                "requests": dict(self.requests), "replies": dict(self.replies), "errors": dict(self.errors),
                "round_trips": sum(self.replies.values()), "x_events": self.x_events,
                "connections": self.connections}


class _Compressor:
    """One direction's compressed stream: zlib at ``level``, flushed after every ssh packet.

    The default (level 1, ``Z_SYNC_FLUSH``) is the measure the goals of issue
    11 are set in; OpenSSH's own ``ssh -C`` deflates at level 6 with
    ``Z_PARTIAL_FLUSH`` (packet.c), which the proxy also counts (``zlib_ssh``).
    """

    def __init__(self, level: int = 1, flush: int = zlib.Z_SYNC_FLUSH):
        self._z = zlib.compressobj(level)
        self._flush = flush
        self._lock = threading.Lock()

    def size(self, data: bytes) -> int:
        n = 0
        with self._lock:
            for i in range(0, len(data), SSH_PACKET):
                n += len(self._z.compress(data[i:i + SSH_PACKET])) + len(self._z.flush(self._flush))
        return n


class _XParser:
    """Follows one X connection's two byte streams well enough to name requests and replies.

    The client's stream: the connection setup (12 bytes + padded auth name and
    data), then requests of ``4 * length`` bytes (``length`` 0: BIG-REQUESTS,
    the real length follows in 4 bytes). The server's: the setup reply
    (``8 + 4 * length`` bytes), then 32-byte errors and events, and replies and
    generic events of ``32 + 4 * length`` bytes. Each request gets the next
    sequence number; a reply or error carries the low 16 bits of the one it
    answers. On anything that does not parse the parser gives up on that
    connection (counting bytes goes on) and says so in :attr:`broken`.
    """

    MAX_PENDING = 65536

    def __init__(self, proxy: XProxy):
        self.proxy = proxy
        self.order = "<"
        self.broken = ""
        # client -> server
        self._c_buf = b""
        self._c_skip = 0
        self._c_setup_done = False
        self._seq = 0
        self._pending: collections.deque = collections.deque()   # (seq, name), in order
        self._query_names: dict[int, str] = {}                    # seq16 -> extension queried
        # server -> client
        self._s_buf = b""
        self._s_skip = 0
        self._s_setup_done = False

    # -- client -> server ------------------------------------------------------
    def feed_client(self, data: bytes, ev: EventStats) -> None:
        if self.broken:
            return
        try:
            self._feed_client(data, ev)
        except (struct.error, ValueError, IndexError) as exc:
            self._give_up(f"request stream: {exc}")

    def _feed_client(self, data: bytes, ev: EventStats) -> None:
        i, n = 0, len(data)
        while i < n:
            if self._c_skip:
                k = min(self._c_skip, n - i)
                self._c_skip -= k
                i += k
                continue
            if not self._c_setup_done:
                need = 12
                self._c_buf, i, ok = _gather(self._c_buf, data, i, need)
                if not ok:
                    return
                h = self._c_buf
                if h[0:1] == b"B":
                    self.order = ">"
                elif h[0:1] == b"l":
                    self.order = "<"
                else:
                    raise ValueError(f"connection setup starts with {h[0]:#x}")
                na, nd = struct.unpack(self.order + "HH", h[6:10])
                self._c_skip = _pad4(na) + _pad4(nd)
                self._c_buf = b""
                self._c_setup_done = True
                continue
            # a request: 4 bytes, 8 with BIG-REQUESTS
            self._c_buf, i, ok = _gather(self._c_buf, data, i, 4)
            if not ok:
                return
            major = self._c_buf[0]
            (length,) = struct.unpack(self.order + "H", self._c_buf[2:4])
            head = 4
            if length == 0:
                self._c_buf, i, ok = _gather(self._c_buf, data, i, 8)
                if not ok:
                    return
                (length,) = struct.unpack(self.order + "I", self._c_buf[4:8])
                head = 8
            size = 4 * length
            if size < head:
                raise ValueError(f"request {major} of {size} bytes")
            if major == QUERY_EXTENSION:   # small: keep it whole for the extension's name
                self._c_buf, i, ok = _gather(self._c_buf, data, i, size)
                if not ok:
                    return
                (nlen,) = struct.unpack(self.order + "H", self._c_buf[4:6])
                self._query_names[(self._seq + 1) & 0xFFFF] = self._c_buf[8:8 + nlen].decode("latin-1")
                self._c_skip = 0
            else:
                self._c_skip = size - len(self._c_buf)
            minor = self._c_buf[1]
            self._c_buf = b""
            self._seq += 1
            name = self.proxy.request_name(major, minor)
            ev.requests[name] += 1
            self._pending.append((self._seq & 0xFFFF, name))
            if len(self._pending) > self.MAX_PENDING:
                self._pending.popleft()

    # -- server -> client ------------------------------------------------------
    def feed_server(self, data: bytes, ev: EventStats) -> None:
        if self.broken:
            return
        try:
            self._feed_server(data, ev)
        except (struct.error, ValueError, IndexError) as exc:
            self._give_up(f"reply stream: {exc}")

    def _feed_server(self, data: bytes, ev: EventStats) -> None:
        i, n = 0, len(data)
        while i < n:
            if self._s_skip:
                k = min(self._s_skip, n - i)
                self._s_skip -= k
                i += k
                continue
            if not self._s_setup_done:
                self._s_buf, i, ok = _gather(self._s_buf, data, i, 8)
                if not ok:
                    return
                (length,) = struct.unpack(self.order + "H", self._s_buf[6:8])
                self._s_skip = 4 * length
                self._s_buf = b""
                self._s_setup_done = True
                continue
            self._s_buf, i, ok = _gather(self._s_buf, data, i, 32)
            if not ok:
                return
            h = self._s_buf
            kind = h[0] & 0x7F
            (seq16,) = struct.unpack(self.order + "H", h[2:4])
            extra = 0
            if kind == 1:            # reply
                (extra,) = struct.unpack(self.order + "I", h[4:8])
                name = self._answered(seq16)
                ev.replies[name] += 1
                if name == "QueryExtension" and seq16 in self._query_names:
                    ext = self._query_names.pop(seq16)
                    if h[8]:         # present: learn its major opcode
                        self.proxy.learn_extension(h[9], ext)
            elif kind == 0:          # error
                name = self._answered(seq16)
                ev.errors[f"{name} (error {h[1]})"] += 1
            else:                    # an event; a generic event (35) has a length too
                if kind == 35:
                    (extra,) = struct.unpack(self.order + "I", h[4:8])
                ev.x_events += 1
            self._s_buf = b""
            self._s_skip = 4 * extra

    def _give_up(self, why: str) -> None:
        self.broken = why
        self.proxy.parse_problem(why)

    def _answered(self, seq16: int) -> str:
        """The name of the request with sequence number ``seq16``; earlier ones are done."""
        while self._pending and self._pending[0][0] != seq16:
            self._pending.popleft()
        return self._pending[0][1] if self._pending else "?"


def _gather(buf: bytes, data: bytes, i: int, need: int) -> tuple[bytes, int, bool]:
    """Append to ``buf`` from ``data[i:]`` until it holds ``need`` bytes: (buf, new i, complete)."""
    if len(buf) >= need:
        return buf, i, True
    take = min(need - len(buf), len(data) - i)
    buf += data[i:i + take]
    return buf, i + take, len(buf) >= need


def _pad4(n: int) -> int:
    return (n + 3) & ~3


class _Wire:
    """One direction of the emulated link, shared by every connection (as one ssh connection is)."""

    def __init__(self):
        self.link = UNTHROTTLED
        self.free_at = 0.0
        self.lock = threading.Lock()
        self.compressor = _Compressor()

    def deliver_at(self, now: float, nbytes: int) -> float:
        """When ``nbytes`` read at ``now`` reach the other end."""
        link = self.link
        with self.lock:
            start = max(now, self.free_at)
            done = start + (8.0 * nbytes / link.bits_per_s if link.bits_per_s else 0.0)
            self.free_at = done
        return done + link.delay_ms / 1000.0


class _Pipe:
    """One direction of one connection: a reader (counts, parses, times) and a writer (delivers on time)."""

    def __init__(self, proxy: XProxy, conn: _Connection, direction: str, src: socket.socket, dst: socket.socket):
        self.proxy, self.conn, self.direction, self.src, self.dst = proxy, conn, direction, src, dst
        self._q: collections.deque = collections.deque()
        self._cond = threading.Condition()
        self._queued = 0
        self._eof = False
        self._dead = False     # the writer could not deliver: stop reading
        self.threads = [threading.Thread(target=self._read, daemon=True, name=f"xproxy-{direction}-read"),
                        threading.Thread(target=self._write, daemon=True, name=f"xproxy-{direction}-write")]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    @property
    def busy(self) -> bool:
        return bool(self._q) or self._queued > 0

    def _read(self) -> None:
        p = self.proxy
        wire = p._wires[self.direction]
        try:
            while not p._stopping.is_set() and not self._dead:
                try:
                    data = self.src.recv(1 << 16)
                except OSError:
                    break
                if not data:
                    break
                now = time.monotonic()
                ev = p._current
                with p._lock:
                    p._last_activity = now
                    ev.bytes[self.direction] += len(data)
                    if self.direction == TO_SERVER:
                        self.conn.parser.feed_client(data, ev)
                    else:
                        self.conn.parser.feed_server(data, ev)
                link = wire.link
                if link.compressed:   # on the path, as ssh compresses
                    wire_bytes = wire.compressor.size(data)
                    with p._lock:
                        ev.zlib[self.direction] += wire_bytes
                else:
                    wire_bytes = len(data)
                p._zq[self.direction].put((ev, data, not link.compressed))
                at = wire.deliver_at(now, wire_bytes) if not link.unlimited else now
                with self._cond:
                    while self._queued > p.max_queued_bytes and not p._stopping.is_set():
                        self._cond.wait(0.1)
                    self._q.append((at, data, ev))
                    self._queued += len(data)
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    def _write(self) -> None:
        p = self.proxy
        try:
            while True:
                with self._cond:
                    while not self._q and not self._eof and not p._stopping.is_set():
                        self._cond.wait(0.2)
                    if p._stopping.is_set() or (not self._q and self._eof):
                        break
                    at, data, ev = self._q[0]
                wait = at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                try:
                    self.dst.sendall(data)
                except OSError:
                    break
                now = time.monotonic()
                with self._cond:
                    self._q.popleft()
                    self._queued -= len(data)
                    self._cond.notify_all()
                with p._lock:
                    p._last_activity = now
                    rel = now - ev.t0
                    if ev.first_s[self.direction] is None:
                        ev.first_s[self.direction] = rel
                    ev.last_s[self.direction] = rel
        finally:
            self._dead = True
            with contextlib.suppress(OSError):
                self.dst.shutdown(socket.SHUT_WR)
            with contextlib.suppress(OSError):
                self.src.shutdown(socket.SHUT_RD)   # wakes the reader if it waits on a live peer
            self.conn.pipe_done()


class _Connection:
    def __init__(self, proxy: XProxy, client: socket.socket, server: socket.socket):
        self.proxy, self.client, self.server = proxy, client, server
        self.parser = _XParser(proxy)
        self._done = 0
        self._lock = threading.Lock()
        self.pipes = [_Pipe(proxy, self, TO_SERVER, client, server), _Pipe(proxy, self, TO_CLIENT, server, client)]

    def start(self) -> None:
        for p in self.pipes:
            p.start()

    def pipe_done(self) -> None:
        with self._lock:
            self._done += 1
            last = self._done == len(self.pipes)
        if last:
            self.close()

    def close(self) -> None:
        for s in (self.client, self.server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()
        self.proxy._forget(self)


class XProxy:
    """A byte-counting, throttling TCP proxy in front of an X server (see the module docstring).

    Parameters
    ----------
    upstream : str or int
        The X server: a display on this machine (``":42"``, its Unix socket),
        the path of a Unix socket, or a TCP port on 127.0.0.1.
    display : int, optional
        The proxy's display number M (it listens on 127.0.0.1:6000+M); by
        default a free one is picked at random.
    max_connections : int
        Connections beyond this many at once are refused.
    max_queued_bytes : int
        Bytes a direction may hold before its reader waits (the wire's backlog).
    lifetime_s : float or None
        Stop by itself after this many seconds (None: only on :meth:`stop`).
    ssh_level : int or None
        zlib level of the ``zlib_ssh`` count (OpenSSH: 6); None: not counted.
    """

    def __init__(self, upstream: str | int, *, display: int | None = None, max_connections: int = 16,
                 max_queued_bytes: int = 64 << 20, lifetime_s: float | None = 3600.0, ssh_level: int | None = 6):
        self.upstream = upstream
        self.display_number = display
        self.max_connections = int(max_connections)
        self.max_queued_bytes = int(max_queued_bytes)
        self.lifetime_s = lifetime_s
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._conns: list[_Connection] = []
        self._wires = {d: _Wire() for d in DIRECTIONS}
        self._ssh = {d: _Compressor(ssh_level, zlib.Z_PARTIAL_FLUSH) if ssh_level else None for d in DIRECTIONS}
        self._zq = {d: queue.Queue(maxsize=1024) for d in DIRECTIONS}
        self._zthreads = [threading.Thread(target=self._zlib_loop, args=(d,), daemon=True, name=f"xproxy-zlib-{d}")
                          for d in DIRECTIONS]
        self._extensions: dict[int, str] = {}
        self._problems: list[str] = []
        self._events: list[EventStats] = []
        self._current = self._new_event("(before the first mark)")
        self._last_activity = time.monotonic()
        self.refused = 0

    # -- set-up -------------------------------------------------------------------
    @property
    def display(self) -> str:
        """The proxy's display name for ``DISPLAY`` (``127.0.0.1:M``)."""
        return f"{LOCALHOST}:{self.display_number}"

    @property
    def port(self) -> int:
        return X_TCP_BASE + int(self.display_number)

    def start(self) -> str:
        """Listen on 127.0.0.1:6000+M; returns the display (``"127.0.0.1:M"``)."""
        if self._listener is not None:
            return self.display
        numbers = [self.display_number] if self.display_number is not None else \
            random.Random().sample(range(1000, 9000), 20)
        err: OSError | None = None
        for m in numbers:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((LOCALHOST, X_TCP_BASE + m))
                s.listen(16)
            except OSError as exc:
                s.close()
                err = exc
                continue
            self._listener, self.display_number = s, m
            break
        if self._listener is None:
            raise OSError(f"xproxy: no free port to listen on ({err})")
        self._listener.settimeout(0.2)
        self._deadline = None if self.lifetime_s is None else time.monotonic() + float(self.lifetime_s)
        for t in self._zthreads:
            t.start()
        self._accept_thread = threading.Thread(target=self._accept, daemon=True, name="xproxy-accept")
        self._accept_thread.start()
        return self.display

    def env(self, base: dict | None = None) -> dict:
        """``base`` (default ``os.environ``) with DISPLAY set to the proxy and no Wayland."""
        env = dict(os.environ if base is None else base)
        env["DISPLAY"] = self.display
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def set_link(self, to_server: Link = UNTHROTTLED, to_client: Link | None = None) -> None:
        """Throttle each direction (``to_client`` defaults to ``to_server``); takes effect for new bytes."""
        self.drain()   # the zlib streams see every byte in order across the change
        self._wires[TO_SERVER].link = to_server
        self._wires[TO_CLIENT].link = to_server if to_client is None else to_client

    @property
    def link(self) -> tuple[Link, Link]:
        return self._wires[TO_SERVER].link, self._wires[TO_CLIENT].link

    def stop(self) -> None:
        """Close every connection and the listener; threads end within a fraction of a second."""
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            c.close()
        for d in DIRECTIONS:
            with contextlib.suppress(queue.Full):
                self._zq[d].put_nowait(None)
        threads = [self._accept_thread] + self._zthreads + [t for c in conns for p in c.pipes for t in p.threads]
        for t in threads:
            if t is not None and t.is_alive() and t is not threading.current_thread():
                t.join(2.0)

    def __enter__(self) -> XProxy:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- events -------------------------------------------------------------------
    def mark(self, name: str) -> EventStats:
        """Start a new event: every byte read from now on counts for ``name``."""
        with self._lock:
            self._current = self._new_event(name)
            return self._current

    def _new_event(self, name: str) -> EventStats:
        ev = EventStats(name=name, t0=time.monotonic())
        self._events.append(ev)
        if len(self._events) > 10000:      # bounded: the oldest go (but the first)
            del self._events[1:1000]
        return ev

    def stats(self, name: str | None = None) -> list[EventStats]:
        """The events so far (or those called ``name``), with the zlib bytes of every byte read."""
        self.drain()
        with self._lock:
            return [e for e in self._events if name is None or e.name == name]

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until the zlib accounting has caught up with every byte read."""
        end = time.monotonic() + timeout
        while any(q.unfinished_tasks for q in self._zq.values()) and time.monotonic() < end:
            time.sleep(0.005)

    def busy(self) -> bool:
        """True while some byte read has not been delivered yet."""
        with self._lock:
            conns = list(self._conns)
        return any(p.busy for c in conns for p in c.pipes)

    def idle_for(self) -> float:
        """Seconds since a byte was last read or delivered (0 while bytes wait on the wire)."""
        if self.busy():
            return 0.0
        return time.monotonic() - self._last_activity

    def wait_quiet(self, quiet_s: float = 0.5, timeout: float = 60.0) -> bool:
        """Wait until nothing was read or delivered for ``quiet_s``, counted from this call at the
        earliest; False on ``timeout``. (Counted from the last byte alone, a frame flushed just now
        but not read by the proxy's thread yet would look like a quiet link that already was.)"""
        start = time.monotonic()
        end = start + timeout
        while time.monotonic() < end:
            left = quiet_s - min(self.idle_for(), time.monotonic() - start)
            if left <= 0:
                return True
            time.sleep(min(max(left, 0.005), 0.05))
        return False

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._conns)

    def parse_problems(self) -> list[str]:
        """Why the X parser gave up on a connection, for each one it did (bytes are still counted)."""
        return list(self._problems)

    def parse_problem(self, why: str) -> None:
        if len(self._problems) < 100:
            self._problems.append(why)

    # -- X names ------------------------------------------------------------------
    def request_name(self, major: int, minor: int) -> str:
        if major < 128:
            return CORE_REQUESTS.get(major, f"core:{major}")
        ext = self._extensions.get(major)
        if ext is None:
            return f"ext{major}:{minor}"
        return f"{ext}:{EXTENSION_REQUESTS.get(ext, {}).get(minor, minor)}"

    def learn_extension(self, major: int, name: str) -> None:
        self._extensions[major] = name

    @property
    def extensions(self) -> dict[int, str]:
        """Extensions the clients asked for that the server has: major opcode -> name."""
        return dict(self._extensions)

    # -- internals ----------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stopping.is_set():
            if self._deadline is not None and time.monotonic() > self._deadline:
                threading.Thread(target=self.stop, daemon=True).start()
                return
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                full = len(self._conns) >= self.max_connections
            if full:
                self.refused += 1
                client.close()
                continue
            try:
                server = self._connect_upstream()
            except OSError:
                client.close()
                continue
            for s in (client, server):
                s.settimeout(None)
                if s.family == socket.AF_INET:
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, client, server)
            with self._lock:
                self._conns.append(conn)
                self._current.connections += 1
            conn.start()

    def _connect_upstream(self) -> socket.socket:
        up = self.upstream
        if isinstance(up, int):
            s = socket.create_connection((LOCALHOST, up), timeout=10)
            return s
        path = up
        if isinstance(up, str) and up.startswith(":"):
            path = f"/tmp/.X11-unix/X{up[1:].split('.')[0]}"
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(str(path))
        except OSError:
            s.close()
            raise
        return s

    def _forget(self, conn: _Connection) -> None:
        with self._lock:
            if conn in self._conns:
                self._conns.remove(conn)

    def _zlib_loop(self, direction: str) -> None:
        q = self._zq[direction]
        comp, ssh = self._wires[direction].compressor, self._ssh[direction]
        while True:
            item = q.get()
            try:
                if item is None:
                    return
                ev, data, level1 = item
                n = comp.size(data) if level1 else 0
                n_ssh = ssh.size(data) if ssh is not None else 0
                with self._lock:
                    ev.zlib[direction] += n
                    ev.zlib_ssh[direction] += n_ssh
            finally:
                q.task_done()


# -- a private X server for the proxy ---------------------------------------------------
class XServer(Xvfb):
    """A private Xvfb reached only through its Unix socket, with MIT-SHM off.

    Over X forwarding, shared memory never works (the client's segment is
    on another machine), so every frame of a software-rendered GL window
    crosses the wire as PutImage. Here the proxy reaches the server through
    its Unix socket, where MIT-SHM would succeed and hide those bytes, so the
    extension is turned off: the client falls back to PutImage as it does
    over ssh. The server listens on no TCP port (``-nolisten tcp``): the
    proxy is the only way in over TCP, and it listens on 127.0.0.1 only.

    Parameters
    ----------
    size : (w, h)
        Screen size.
    mit_shm : bool
        Keep MIT-SHM on (for a local comparison).
    """

    def __init__(self, size: tuple[int, int] = (1920, 1080), *, mit_shm: bool = False, timeout: float = 10.0):
        super().__init__(size, timeout, extra_args=() if mit_shm else ("-extension", "MIT-SHM"))
        self.mit_shm = mit_shm

    @property
    def socket_path(self) -> str:
        return f"/tmp/.X11-unix/X{(self.display or ':').lstrip(':')}"


def parse_link(text: str) -> Link:
    """``"20M+15"`` (Mbit/s + ms one way), ``"100M"``, ``"+15"``, ``"none"``; a ``z`` suffix: over zlib-1."""
    t = text.strip().lower()
    compressed = t.endswith("z")
    t = t.rstrip("z")
    if t in ("", "none", "0"):
        return Link(compressed=compressed)
    rate, _, delay = t.partition("+")
    bits = float(rate.rstrip("m")) * 1e6 if rate else None
    return Link(bits, float(delay or 0), compressed)


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m loupe_tui.xproxy",
                                 description="Start a private Xvfb behind a byte-counting proxy on 127.0.0.1 and "
                                             "print what went through it once a second.")
    ap.add_argument("--link", default="none", help="both directions, e.g. 20M+15 (Mbit/s + ms), 20M+15z (zlib-1)")
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--seconds", type=float, default=600.0, help="stop after this long (default 600)")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    with XServer((w, h)) as xs, XProxy(xs.display, lifetime_s=args.seconds + 5) as px:
        px.set_link(parse_link(args.link))
        print(f"DISPLAY={px.display}  (server {xs.display}, link {px.link[0].describe()})", flush=True)
        end = time.monotonic() + args.seconds
        prev = px.mark(time.strftime("%H:%M:%S"))
        try:
            while time.monotonic() < end:
                time.sleep(1.0)
                ev = px.mark(time.strftime("%H:%M:%S"))
                px.drain()
                if prev.total_bytes:
                    print(f"{prev.name}: {prev.bytes[TO_SERVER]:,} B to the server, {prev.bytes[TO_CLIENT]:,} B "
                          f"to the client, zlib-1 {prev.total_zlib:,} B, {sum(prev.replies.values())} replies",
                          flush=True)
                prev = ev
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
