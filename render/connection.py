"""The window's end of the link: a Unix socket read by a thread.

The reader thread decodes lines into messages and hands them to the GL loop
in *batches*: everything the terminal app wrote together (one key's
``ApplyLabelDiff`` + ``SetCursor``, or the whole state of a new window) is
one batch, queued at once and followed by one wake-up of the loop
(``glfw.post_empty_event``, safe from any thread). So the loop, which draws
after applying what it drained, draws one frame per key, never a frame
between two messages of one write. A batch ends when the socket has nothing
more to read at a line boundary; a line cut in two (the app is still
writing) is waited for. A single message is queued as soon as its line is
in, as before. The loop drains the queue: every batch since the last frame.
"""

from __future__ import annotations

import collections
import queue
import socket
import threading
import time
from collections.abc import Callable

from loupe_tui import protocol as P

RECV_BYTES = 1 << 16
#: A batch is handed over once this big or this old, even while the app keeps writing
#: (20,000 queued messages after a stop must not wait for the end of the stream).
BATCH_MAX_BYTES = 32 << 20
BATCH_MAX_S = 0.25


class Connection:
    """Client socket to the terminal app.

    Parameters
    ----------
    path : str
        The Unix socket the terminal app listens on.
    """

    def __init__(self, path: str):
        self.path = path
        self.closed = False
        self.wake: Callable[[], None] = lambda: None
        self.batches = 0           # batches handed to the loop (tests)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()   # lists of messages; None: the end
        self._held: collections.deque = collections.deque()      # the rest of a batch wait() split
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(path)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="link-reader", daemon=True)
        self._thread.start()

    # -- reader thread ------------------------------------------------------------
    def _read(self) -> None:
        buf = bytearray()
        try:
            while True:
                data = self._sock.recv(RECV_BYTES)
                if not data:
                    break
                buf += data
                eof = self._read_rest(buf)
                cut = buf.rfind(b"\n") + 1
                if cut:
                    self._publish(bytes(buf[:cut]))
                    del buf[:cut]
                if eof:
                    break
        except OSError:
            pass
        finally:
            self.closed = True
            self._queue.put(None)  # sentinel: the other end is gone
            self.wake()

    def _read_rest(self, buf: bytearray) -> bool:
        """Read on while more is there at once or a line is cut; True at end of stream."""
        start = time.monotonic()
        while len(buf) < BATCH_MAX_BYTES and time.monotonic() - start < BATCH_MAX_S:
            if buf.endswith(b"\n"):
                try:
                    data = self._sock.recv(RECV_BYTES, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    return False          # a line boundary and nothing more: the batch is whole
            else:
                data = self._sock.recv(RECV_BYTES)   # the app is mid-write: the rest is coming
            if not data:
                return True
            buf += data
        return False

    def _publish(self, chunk: bytes) -> None:
        batch = []
        for line in chunk.split(b"\n"):
            if not line.strip():
                continue
            try:
                batch.append(P.decode(line))
            except P.ProtocolError as exc:
                self.send(P.ErrorRaised(str(exc)))
        if batch:
            self._queue.put(batch)
            self.batches += 1
            self.wake()

    # -- the GL thread ------------------------------------------------------------
    def wait(self, timeout: float) -> P.Message | None:
        """Block for the next message (start-up only, before the GL loop runs)."""
        if not self._held:
            try:
                batch = self._queue.get(timeout=timeout)
            except queue.Empty:
                return None
            if batch is None:
                return None
            self._held.extend(batch)
        return self._held.popleft()

    def drain(self) -> list[P.Message]:
        """Every message received so far, in order, without blocking (whole batches only)."""
        out = list(self._held)
        self._held.clear()
        while True:
            try:
                batch = self._queue.get_nowait()
            except queue.Empty:
                return out
            if batch is not None:
                out.extend(batch)

    def send(self, msg: P.Message) -> None:
        """Send one event; a broken link is noted, never raised."""
        data = P.encode(msg)
        with self._lock:
            try:
                self._sock.sendall(data)
            except OSError:
                self.closed = True

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
