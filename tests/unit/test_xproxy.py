"""The X proxy of the remote-display benchmark (loupe_tui/xproxy.py): counts, compresses, throttles, names X requests.

Throttling is checked on a plain TCP echo server on 127.0.0.1 (a known payload
must take the time the link allows); the X side on a synthetic byte stream fed
in every possible split, and on the real GL window drawing through the proxy
in front of a private Xvfb (with ``CI`` set a missing Xvfb fails, as the GL
tests do).
"""

from __future__ import annotations

import os
import socket
import statistics
import struct
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from loupe_tui.xproxy import (
    LOCALHOST,
    SSH_PACKET,
    TO_CLIENT,
    TO_SERVER,
    UNTHROTTLED,
    Link,
    XProxy,
    XServer,
    _XParser,
    parse_link,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "render"))
from gl_harness import STATES, Harness, in_ci, labels_message, sine_traces  # noqa: E402


# -- a TCP echo server on 127.0.0.1 --------------------------------------------------------
class Echo:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((LOCALHOST, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    @staticmethod
    def _echo(c):
        with c:
            while True:
                try:
                    d = c.recv(1 << 16)
                except OSError:
                    return
                if not d:
                    return
                c.sendall(d)

    def close(self):
        self.sock.close()


@pytest.fixture
def echo():
    e = Echo()
    yield e
    e.close()


@pytest.fixture
def proxy(echo):
    with XProxy(echo.port, lifetime_s=120) as p:
        yield p


def connect(p: XProxy) -> socket.socket:
    s = socket.create_connection((LOCALHOST, p.port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exactly(s: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(min(1 << 16, n - len(buf)))
        assert d, "connection closed early"
        buf += d
    return bytes(buf)


def send_and_echo(p: XProxy, payload: bytes) -> float:
    """Seconds from sending ``payload`` to its last byte back (a reader thread receives meanwhile)."""
    with connect(p) as s:
        got: list[bytes] = []
        t_end = []
        r = threading.Thread(target=lambda: (got.append(recv_exactly(s, len(payload))), t_end.append(time.monotonic())))
        r.start()
        t = time.monotonic()
        s.sendall(payload)
        r.join(60)
        assert got and got[0] == payload
        return t_end[0] - t


# -- throttling and counting on the echo server -----------------------------------------------
def test_the_proxy_listens_on_127_0_0_1_only_at_6000_plus_its_display(proxy):
    assert proxy._listener.getsockname() == (LOCALHOST, 6000 + proxy.display_number)
    assert proxy.display == f"127.0.0.1:{proxy.display_number}"
    assert proxy.env({"DISPLAY": ":0", "WAYLAND_DISPLAY": "w"}) == {"DISPLAY": proxy.display}


def test_a_payload_takes_the_time_the_bandwidth_and_delay_allow(proxy):
    n = 400_000
    payload = os.urandom(n)
    proxy.set_link(Link(8e6, 50.0), UNTHROTTLED)          # 8 Mbit/s + 50 ms towards the server only
    ev = proxy.mark("bulk")
    took = send_and_echo(proxy, payload)
    expected = n * 8 / 8e6 + 0.050                        # 0.45 s
    assert expected * 0.97 <= took <= expected + 0.35, (took, expected)
    assert proxy.wait_quiet(0.1, timeout=10)
    [st] = proxy.stats("bulk")
    assert st is ev
    assert st.bytes == {TO_SERVER: n, TO_CLIENT: n}
    assert expected * 0.97 <= st.last_byte_s <= expected + 0.35
    assert st.first_s[TO_SERVER] >= 0.045                 # nothing arrives before the delay


def test_each_direction_has_its_own_one_way_delay(proxy):
    proxy.set_link(Link(None, 60.0), Link(None, 40.0))
    with connect(proxy) as s:
        rtts = []
        for _ in range(8):
            t = time.monotonic()
            s.sendall(b"ping")
            assert recv_exactly(s, 4) == b"ping"
            rtts.append(time.monotonic() - t)
    assert 0.098 <= statistics.median(rtts) <= 0.16, rtts


def test_unthrottled_adds_no_delay_worth_measuring(proxy):
    with connect(proxy) as s:
        rtts = []
        for _ in range(20):
            t = time.monotonic()
            s.sendall(b"x" * 100)
            recv_exactly(s, 100)
            rtts.append(time.monotonic() - t)
    assert statistics.median(rtts) < 0.01, rtts


def test_a_compressed_link_spends_its_bandwidth_on_the_zlib_bytes(proxy):
    n = 500_000
    proxy.set_link(Link(1e6, 0.0, compressed=True), UNTHROTTLED)   # raw: 4 s at 1 Mbit/s
    proxy.mark("zeros")
    took = send_and_echo(proxy, bytes(n))
    [st] = proxy.stats("zeros")
    assert st.bytes[TO_SERVER] == n
    assert st.zlib[TO_SERVER] < 5000
    assert took < 0.5 + st.zlib[TO_SERVER] * 8 / 1e6, took


def test_zlib_bytes_are_ssh_c_packets_one_stream_per_direction(proxy):
    rnd, zeros = os.urandom(100_000), bytes(100_000)
    proxy.mark("random")
    send_and_echo(proxy, rnd)
    proxy.wait_quiet(0.1)
    proxy.mark("zeros")
    send_and_echo(proxy, zeros)
    proxy.wait_quiet(0.1)
    r, z = proxy.stats("random")[0], proxy.stats("zeros")[0]
    # incompressible: a little more than the bytes (stored blocks + a sync flush per 16 KiB packet)
    assert r.bytes[TO_SERVER] <= r.zlib[TO_SERVER] <= r.bytes[TO_SERVER] * 1.01
    assert r.zlib[TO_SERVER] == r.zlib[TO_CLIENT] or abs(r.zlib[TO_SERVER] - r.zlib[TO_CLIENT]) < 200
    # zeros: about 1000x smaller, but every packet costs its flush
    assert z.zlib[TO_SERVER] < 3000
    assert z.zlib[TO_SERVER] >= 4 * (100_000 // SSH_PACKET)


def test_zlib_accounting_is_the_stream_ssh_would_send():
    data = bytes(range(256)) * 300
    c = zlib.compressobj(1)
    want = sum(len(c.compress(data[i:i + SSH_PACKET])) + len(c.flush(zlib.Z_SYNC_FLUSH))
               for i in range(0, len(data), SSH_PACKET))
    from loupe_tui.xproxy import _Compressor

    assert _Compressor().size(data) == want


def test_it_stops_closes_and_refuses_extra_connections(echo):
    p = XProxy(echo.port, max_connections=1, lifetime_s=60)
    p.start()
    a = connect(p)
    a.sendall(b"hi")
    assert recv_exactly(a, 2) == b"hi"
    b = connect(p)                          # over the cap: closed at once
    b.settimeout(5)
    assert b.recv(10) == b""
    assert p.refused == 1
    p.stop()
    a.settimeout(5)
    assert a.recv(10) == b""
    with pytest.raises(OSError):
        connect(p)
    time.sleep(0.5)
    assert not [t for t in threading.enumerate() if t.name.startswith("xproxy-")]


def test_it_stops_by_itself_after_its_lifetime(echo):
    p = XProxy(echo.port, lifetime_s=0.3)
    p.start()
    time.sleep(1.0)
    with pytest.raises(OSError):
        connect(p)


def test_link_descriptions_parse():
    assert parse_link("20M+15") == Link(20e6, 15.0)
    assert parse_link("100m") == Link(100e6, 0.0)
    assert parse_link("20M+15z") == Link(20e6, 15.0, compressed=True)
    assert parse_link("none") == UNTHROTTLED
    assert Link(20e6, 15).describe() == "20 Mbit/s + 15 ms"


# -- naming X requests and replies -------------------------------------------------------------
def x_streams():
    """A client and a server byte stream, each in two parts, with what they hold."""
    c1 = b"l\0" + struct.pack("<HHHH2x", 11, 0, 18, 16) + b"MIT-MAGIC-COOKIE-1\0\0" + bytes(16)
    c1 += struct.pack("<BxHI", 3, 2, 0x200001)                              # 1 GetWindowAttributes
    name = b"MIT-SHM"
    c1 += struct.pack("<BxHH2x", 98, (8 + 8) // 4, len(name)) + name + b"\0"  # 2 QueryExtension
    pixels = bytes(4 * 64 * 10)
    body = struct.pack("<IIHHhhBB2x", 1, 2, 64, 10, 0, 0, 0, 24) + pixels
    c2 = struct.pack("<BBHI", 72, 2, 0, (8 + len(body)) // 4) + body         # 3 PutImage as a big request
    c2 += struct.pack("<BBHI", 130, 3, 2, 7)                                   # 4 MIT-SHM PutImage (major 130)
    c2 += struct.pack("<BxHI", 14, 2, 0x200001)                               # 5 GetGeometry
    s1 = struct.pack("<BxHHH", 1, 11, 0, 2) + bytes(8)                         # setup reply, 8 more bytes
    s1 += struct.pack("<BBHI", 1, 0, 1, 3) + bytes(24) + bytes(12)              # reply to 1, 12 more bytes
    s1 += struct.pack("<BxHI", 1, 2, 0) + bytes([1, 130, 64, 128]) + bytes(20)  # reply to 2: present at 130
    s2 = struct.pack("<BxH", 12, 2) + bytes(28)                                # an Expose event
    s2 += struct.pack("<BBHI", 35, 0, 3, 2) + bytes(24) + bytes(8)              # a generic event, 8 more bytes
    s2 += struct.pack("<BBH", 0, 8, 5) + bytes(28)                             # BadMatch on 5
    return c1, s1, c2, s2


@pytest.mark.parametrize("step", [1, 3, 7, 4096])
def test_requests_replies_errors_and_events_are_named_in_any_split(step):
    from loupe_tui.xproxy import EventStats

    proxy = XProxy(0)
    parser = _XParser(proxy)
    ev = EventStats("x", 0.0)
    c1, s1, c2, s2 = x_streams()
    for feed, data in ((parser.feed_client, c1), (parser.feed_server, s1), (parser.feed_client, c2),
                       (parser.feed_server, s2)):
        for i in range(0, len(data), step):
            feed(data[i:i + step], ev)
    assert not parser.broken
    assert dict(ev.requests) == {"GetWindowAttributes": 1, "QueryExtension": 1, "PutImage": 1,
                                 "MIT-SHM:PutImage": 1, "GetGeometry": 1}
    assert dict(ev.replies) == {"GetWindowAttributes": 1, "QueryExtension": 1}
    assert dict(ev.errors) == {"GetGeometry (error 8)": 1}
    assert ev.x_events == 2
    assert proxy.extensions == {130: "MIT-SHM"}


def test_a_stream_that_is_not_x_is_given_up_on_and_still_counted(proxy):
    proxy.mark("not x")
    send_and_echo(proxy, b"GET / HTTP/1.0\r\n\r\n")
    proxy.wait_quiet(0.1)
    [st] = proxy.stats("not x")
    assert st.bytes[TO_SERVER] == st.bytes[TO_CLIENT] == 18
    assert any("connection setup starts with 0x47" in p for p in proxy.parse_problems()), proxy.parse_problems()


# -- the real GL window through the proxy ---------------------------------------------------------
@pytest.fixture
def x_server():
    try:
        xs = XServer((1024, 768))
        xs.start()
    except RuntimeError as exc:
        if in_ci():
            pytest.fail(f"the X proxy test needs Xvfb: {exc}")
        pytest.skip(f"no Xvfb: {exc}")
    yield xs
    xs.stop()


@pytest.mark.slow
def test_the_gl_window_draws_through_the_proxy_and_every_frame_crosses_it(x_server, tmp_path):
    from loupe_tui import protocol as P
    from loupe_tui.config import TraceConfig
    from loupe_tui.viewspec import build_spec

    w, h = 320, 240
    with XProxy(x_server.display, lifetime_s=300) as px:
        # the X server listens on no TCP port: the proxy, on 127.0.0.1, is the only way in
        with pytest.raises(OSError):
            socket.create_connection((LOCALHOST, 6000 + int(x_server.display[1:])), timeout=2).close()
        # whole frames (not only what changed, render/damage.py): this test is about the proxy
        win = Harness(px.env() | {"LOUPE_GL_PRESENT": "full"}, tmp_path, size=(w, h), hidden=False)
        opened = px.mark("open")
        try:
            win.start([])
            spec = build_spec([TraceConfig(sine_traces(tmp_path))], labels_states_colors=STATES,
                              cache_dir=tmp_path / "c", pyramid_cache=tmp_path / "p")
            win.send(P.LoadSession(spec), P.SetStateColors(STATES), labels_message([(0.0, 8.0, "NREM")]),
                     P.SetWindow(0.0, 20.0, 1), P.SetCursor(0.0, 1))
            win.wait_for(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 1)
            assert px.wait_quiet(0.5, timeout=30)
            assert opened.connections >= 1 and opened.bytes[TO_CLIENT] > 0
            assert opened.requests["QueryExtension"] > 0 and opened.replies["QueryExtension"] > 0

            px.set_link(Link(20e6, 5.0))
            flip = px.mark("page flip")
            n = len(win.events)
            win.send(P.SetWindow(20.0, 40.0, 2), P.SetCursor(20.0, 2))
            win.wait_for(lambda m: isinstance(m, P.FrameDrawn) and m.seq == 2, since=n)
            assert px.wait_quiet(0.5, timeout=30)
            st = px.stats("page flip")[0]
            assert st is flip
            # llvmpipe puts the whole window (4 bytes a pixel) with PutImage: no shared memory over TCP
            assert st.bytes[TO_SERVER] >= w * h * 4
            assert st.requests["PutImage"] >= 1
            assert not any(k.startswith("MIT-SHM") for k in st.requests)
            assert 0 < st.zlib[TO_SERVER] < st.bytes[TO_SERVER]
            # the frame's bytes at 20 Mbit/s, plus the delay, bound the time to the last byte from below
            assert st.last_byte_s >= st.bytes[TO_SERVER] * 8 / 20e6 + 0.005
            assert not px.parse_problems()
        finally:
            win.close()
