"""Decoders of what the app writes to draw pixels (imported as ``term_images``), for the tests.

Independent of the encoders in ``loupe_tui/tui/graphics``: they read the
escape sequences as a terminal would, so a test compares the pixels a
terminal would show with the frame that was sent.
"""

from __future__ import annotations

import base64
import re
import zlib

import numpy as np

_APC = re.compile(r"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")
_DCS = re.compile(r"\x1bP([0-9;]*)q(.*?)\x1b\\", re.S)
_MOVE = re.compile(r"\x1b\[(\d+);(\d+)H")


def kitty_commands(text: str) -> list[dict]:
    """Every kitty graphics command in ``text``: its keys, and ``payload`` (chunks joined) when it has one."""
    out: list[dict] = []
    open_cmd = None
    for m in _APC.finditer(text):
        keys = dict(kv.split("=", 1) for kv in m.group(1).split(",") if kv)
        payload = m.group(2) or ""
        if open_cmd is not None:                      # a continuation chunk: only m (and q)
            assert set(keys) <= {"m", "q"}, keys
            open_cmd["payload"] += payload
        else:
            open_cmd = {"keys": keys, "payload": payload}
            out.append(open_cmd)
        if keys.get("m", "0") == "0":
            open_cmd = None
    assert open_cmd is None, "a chunked transmission was not finished"
    return out


def kitty_image(cmd: dict) -> np.ndarray:
    """The pixels a kitty transmission carries ((v, s, 3 or 4) uint8)."""
    keys = cmd["keys"]
    data = base64.standard_b64decode(cmd["payload"])
    if keys.get("o") == "z":
        data = zlib.decompress(data)
    ch = {"24": 3, "32": 4}[keys["f"]]
    w, h = int(keys["s"]), int(keys["v"])
    return np.frombuffer(data, np.uint8).reshape(h, w, ch)


def sixel_images(text: str) -> list[np.ndarray]:
    """Every sixel image in ``text`` as (h, w, 3) uint8 RGB; pixels no colour set are -1 in all channels
    (int16)."""
    images = []
    for m in _DCS.finditer(text):
        body = m.group(2)
        size = re.match(r'"(\d+);(\d+);(\d+);(\d+)', body)
        w, h = int(size.group(3)), int(size.group(4))
        pixels = np.full((h, w, 3), -1, np.int16)
        palette: dict[int, tuple[int, int, int]] = {}
        i, x, y, color = size.end(), 0, 0, 0
        while i < len(body):
            c = body[i]
            if c == "#":
                n = re.match(r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?", body[i:])
                color = int(n.group(1))
                if n.group(2) is not None:
                    palette[color] = tuple(round(int(v) * 255 / 100) for v in n.group(2, 3, 4))
                i += n.end()
                continue
            if c == "$":
                x = 0
            elif c == "-":
                x, y = 0, y + 6
            elif c == "!":
                n = re.match(r"!(\d+)(.)", body[i:])
                _put(pixels, palette[color], x, y, ord(n.group(2)) - 63, int(n.group(1)))
                x += int(n.group(1))
                i += n.end()
                continue
            elif "?" <= c <= "~":
                _put(pixels, palette[color], x, y, ord(c) - 63, 1)
                x += 1
            i += 1
        images.append(pixels)
    return images


def _put(pixels: np.ndarray, rgb, x: int, y: int, bits: int, n: int) -> None:
    for r in range(6):
        if bits >> r & 1 and y + r < pixels.shape[0]:
            pixels[y + r, x:x + n] = rgb


def cursor_moves(text: str) -> list[tuple[int, int]]:
    """Every absolute cursor move in ``text`` as (x, y), 0-based."""
    return [(int(c) - 1, int(r) - 1) for r, c in _MOVE.findall(text)]
