"""Where the GL window will appear: a local display, or one forwarded over SSH.

Over X forwarding every frame crosses the network (Mesa renders on the
server and sends the whole window with XPutImage: 6.1 MB for 1600x900), so a
remote display gets a smaller default window whose height is a multiple of
64 (llvmpipe pads the rows it sends to one), and the user is told once that
``ssh -C`` cuts the bytes about 40x (see docs/performance.md, "Remote
display"). Pure: reads only the environment it is given.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

#: The GL window's size on a local display, and on a forwarded one (9 x 64 rows: nothing padded).
LOCAL_SIZE = (1600, 900)
REMOTE_SIZE = (1024, 576)
#: sshd's X11DisplayOffset: forwarded displays start at localhost:10.
SSH_DISPLAY_OFFSET = 10

_X_DISPLAY = re.compile(r"^(?P<host>[^:]*):(?P<num>\d+)(\.\d+)?$")


@dataclass(frozen=True)
class DisplayInfo:
    """``name`` (the DISPLAY or WAYLAND_DISPLAY value), ``remote``, and ``why`` in a few words."""

    name: str
    remote: bool
    why: str

    @property
    def default_size(self) -> tuple[int, int]:
        return REMOTE_SIZE if self.remote else LOCAL_SIZE


def describe_display(env: dict | None = None) -> DisplayInfo | None:
    """The display a window would open on, and whether it is remote; None without one.

    Remote: an X display on another host (``lab-pc:0``), or on localhost /
    127.0.0.1 / ::1 at display 10 or above, as sshd forwards X11
    (``localhost:10.0``). Local: ``:0``, ``unix:0``, a socket path (XQuartz),
    any Wayland display, and localhost below display 10.
    """
    env = os.environ if env is None else env
    if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY"):
        return DisplayInfo(env["WAYLAND_DISPLAY"], False, "Wayland")
    name = env.get("DISPLAY") or ""
    if not name:
        return None
    m = _X_DISPLAY.match(name)
    if m is None or name.startswith("/"):
        return DisplayInfo(name, False, "local socket")
    host, num = m.group("host"), int(m.group("num"))
    if host in ("", "unix"):
        return DisplayInfo(name, False, "local")
    if host in ("localhost", "127.0.0.1", "::1", "[::1]"):
        if num >= SSH_DISPLAY_OFFSET:
            return DisplayInfo(name, True, "forwarded by ssh -X")
        return DisplayInfo(name, False, "local over TCP")
    return DisplayInfo(name, True, f"on {host}")


def remote_hint(info: DisplayInfo, size: tuple[int, int]) -> str:
    """The one-time word to a user whose window is forwarded."""
    return (f"GL window on a remote display ({info.name}, {info.why}): {size[0]}x{size[1]} to spare the link; "
            "`ssh -C` cuts its bytes about 40x (open --window-size WxH for another size)")
