"""The window's end of the link: a Unix socket read by a thread.

The reader thread decodes each line into a message, queues it and wakes the
GL loop (``glfw.post_empty_event``, safe from any thread), so the loop can
sleep in ``glfw.wait_events_timeout`` instead of polling. The loop drains the
queue: everything that arrived since the last frame, coalesced.
"""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Callable

from loupe_tui import protocol as P


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
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(path)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="link-reader", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        f = self._sock.makefile("rb")
        try:
            for line in f:
                try:
                    self._queue.put(P.decode(line))
                except P.ProtocolError as exc:
                    self.send(P.ErrorRaised(str(exc)))
                    continue
                self.wake()
        except OSError:
            pass
        finally:
            self.closed = True
            self._queue.put(None)  # sentinel: the other end is gone
            self.wake()

    def wait(self, timeout: float) -> P.Message | None:
        """Block for the next message (start-up only, before the GL loop runs)."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> list[P.Message]:
        """Every message received so far, in order, without blocking."""
        out = []
        while True:
            try:
                m = self._queue.get_nowait()
            except queue.Empty:
                return out
            if m is not None:
                out.append(m)

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
