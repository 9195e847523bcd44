"""Which pixels the terminal can show: kitty graphics, sixel, or none (the text views).

The terminal is asked, not guessed from ``$TERM`` (which SSH, tmux and
terminals that copy xterm's name all blur): one write sends the kitty
graphics query (a 1x1 image the terminal only checks, ``a=q``), the cell
size query (``CSI 16 t``, answered ``CSI 6 ; height ; width t``) and the
primary device attributes query (DA1, ``CSI c``). Every terminal answers DA1,
and answers in order, so DA1's answer ends the wait: a terminal without
kitty graphics costs one round trip, not a timeout. DA1's answer also lists
attribute 4 when the terminal draws sixels. A terminal that answers nothing
(a pipe, a dumb serial line) is given ``timeout`` seconds, then the text
views are used.

This must run before the Textual app starts: once it runs, Textual's input
thread reads the terminal and would take the answers for keys. While it
waits, the terminal is put in cbreak mode without echo, so the answers are
not echoed; a key typed during those milliseconds is lost.

``LOUPE_TUI_GRAPHICS`` (or ``setting``) forces the choice: ``auto`` (the
default) asks, ``kitty`` and ``sixel`` use that protocol without asking
(the cell size is still asked for), ``off`` asks nothing and keeps the text
views.

Cell size in pixels, in order: the pty's window size (``TIOCGWINSZ``, which
``ssh`` forwards from the client's terminal), the answer to ``CSI 16 t``,
else 8x16.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import sys
import termios
import time
from dataclasses import dataclass
from typing import Mapping

from loupe_tui.errors import LoupeConfigError
from loupe_tui.tui.graphics import kitty

ENV_VAR = "LOUPE_TUI_GRAPHICS"
SETTINGS = ("auto", "kitty", "sixel", "off")
DEFAULT_CELL = (8, 16)
TIMEOUT_S = 0.5
CELL_QUERY, DA1_QUERY = "\x1b[16t", "\x1b[c"

_KITTY_REPLY = re.compile(rb"\x1b_Gi=4011;([^\x1b]*)\x1b\\")
_CELL_REPLY = re.compile(rb"\x1b\[6;(\d+);(\d+)t")
_DA1_REPLY = re.compile(rb"\x1b\[\?([\d;]*)c")


@dataclass(frozen=True)
class TerminalGraphics:
    """What the terminal shows: ``protocol`` ("kitty", "sixel" or "off"), its cell size, and why."""

    protocol: str = "off"
    cell_px: tuple[int, int] = DEFAULT_CELL      # (width, height) of one cell in pixels
    reason: str = ""

    @property
    def enabled(self) -> bool:
        return self.protocol != "off"


@dataclass(frozen=True)
class Answers:
    """What the terminal said to the queries."""

    kitty: bool = False                   # the kitty graphics query was answered OK
    sixel: bool = False                   # DA1 lists attribute 4
    da1: bool = False                     # DA1 was answered at all
    cell_px: tuple[int, int] | None = None


def graphics_setting(environ: Mapping[str, str] | None = None) -> str:
    """The ``LOUPE_TUI_GRAPHICS`` setting (``auto`` when unset); a bad value is a LoupeConfigError."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "").strip().lower() or "auto"
    if value not in SETTINGS:
        raise LoupeConfigError(f"{ENV_VAR}={value!r}: must be one of {', '.join(SETTINGS)}")
    return value


def parse_answers(data: bytes) -> Answers:
    """Read the terminal's answers (in any order, among other bytes)."""
    k = _KITTY_REPLY.search(data)
    d = _DA1_REPLY.search(data)
    c = _CELL_REPLY.search(data)
    cell = (int(c.group(2)), int(c.group(1))) if c and int(c.group(1)) > 0 and int(c.group(2)) > 0 else None
    return Answers(kitty=bool(k and k.group(1) == b"OK"), sixel=bool(d and b"4" in d.group(1).split(b";")),
                   da1=d is not None, cell_px=cell)


def window_cell_px(fd: int) -> tuple[int, int] | None:
    """The cell size the pty reports (TIOCGWINSZ's pixel fields), or None when it reports none."""
    try:
        rows, cols, xpix, ypix = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return None
    if rows and cols and xpix >= cols and ypix >= rows:
        return xpix // cols, ypix // rows
    return None


def ask(fd_in: int, fd_out: int, query: str, timeout: float = TIMEOUT_S) -> bytes:
    """Write ``query`` and return what the terminal answers, up to DA1's answer or ``timeout``."""
    saved = termios.tcgetattr(fd_in) if os.isatty(fd_in) else None
    if saved is not None:
        mode = termios.tcgetattr(fd_in)
        mode[3] &= ~(termios.ICANON | termios.ECHO)     # cbreak, no echo: answers are read, not shown
        mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        termios.tcsetattr(fd_in, termios.TCSANOW, mode)
    got = b""
    try:
        os.write(fd_out, query.encode("ascii"))
        end = time.monotonic() + timeout
        while not _DA1_REPLY.search(got) and (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([fd_in], [], [], left)
            if not ready:
                break
            chunk = os.read(fd_in, 4096)
            if not chunk:
                break
            got += chunk
    finally:
        if saved is not None:
            termios.tcsetattr(fd_in, termios.TCSANOW, saved)
    return got


def detect_graphics(setting: str | None = None, *, fd_in: int | None = None, fd_out: int | None = None,
                    timeout: float = TIMEOUT_S, environ: Mapping[str, str] | None = None) -> TerminalGraphics:
    """Ask the terminal (``fd_in``/``fd_out``, default stdin/stdout) what it can show.

    ``setting`` is one of :data:`SETTINGS` (default: ``LOUPE_TUI_GRAPHICS``,
    else ``auto``). Call it before the Textual app runs.
    """
    setting = graphics_setting(environ) if setting is None else setting
    if setting not in SETTINGS:
        raise LoupeConfigError(f"graphics: {setting!r} must be one of {', '.join(SETTINGS)}")
    if setting == "off":
        return TerminalGraphics("off", DEFAULT_CELL, f"off ({ENV_VAR}=off)")
    if fd_in is None or fd_out is None:
        try:
            fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
        except (AttributeError, ValueError, OSError):      # replaced or closed streams: no terminal
            fd_in = fd_out = -1
    if not (fd_in >= 0 and fd_out >= 0 and os.isatty(fd_in) and os.isatty(fd_out)):
        if setting == "auto":
            return TerminalGraphics("off", DEFAULT_CELL, "off (not a terminal)")
        return TerminalGraphics(setting, DEFAULT_CELL, f"{setting} ({ENV_VAR}={setting}; not a terminal)")
    query = (kitty.QUERY if setting == "auto" else "") + CELL_QUERY + DA1_QUERY
    answers = parse_answers(ask(fd_in, fd_out, query, timeout))
    cell = window_cell_px(fd_out) or answers.cell_px or DEFAULT_CELL
    if setting != "auto":
        return TerminalGraphics(setting, cell, f"{setting} ({ENV_VAR}={setting})")
    if answers.kitty:
        return TerminalGraphics("kitty", cell, "kitty graphics (the terminal answered the query)")
    if answers.sixel:
        return TerminalGraphics("sixel", cell, "sixel (the terminal lists it in its attributes)")
    if answers.da1:
        return TerminalGraphics("off", cell, "off (the terminal shows neither kitty graphics nor sixel)")
    return TerminalGraphics("off", cell, f"off (the terminal did not answer within {timeout:g} s)")
