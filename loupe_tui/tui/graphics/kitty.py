"""Frames as kitty graphics protocol commands (kitty, Ghostty, WezTerm, Konsole).

One frame is one image, sent whole as raw RGB compressed with zlib (``f=24,
o=z``) and base64-encoded in chunks of 4096 bytes, as the protocol requires.
Raw RGB through zlib beats PNG on the GL window's frames (flat panels, sharp
lines): a 1280x720 page of the demo is 104.6 KB at zlib level 6 against
111.4 KB as a level-6 PNG (and 129.5 KB as textual-image's level-2 PNG), and
takes 19 ms to compress instead of 29 ms; level 9 saves another 10 % for
three times the time. Each frame replaces the last: the same image id and
placement id (``a=T,i=..,p=1``), the cursor left where it was (``C=1``), and
the terminal's replies off (``q=2``) because the app's input parser would
take them for keys. ``c``/``r`` fit the image to the widget's cells whatever
the real cell size, so a wrong guess of the cell's pixels blurs, never
misplaces.
"""

from __future__ import annotations

import base64
import zlib

import numpy as np

APC, ST = "\x1b_G", "\x1b\\"
CHUNK = 4096                      # base64 bytes per command (the protocol's limit)
LEVEL = 6                         # zlib level: see the module docstring
#: The capability query: a 1x1 image the terminal only checks (``a=q``) and answers ``OK``.
QUERY = f"{APC}i=4011,s=1,v=1,a=q,t=d,f=24;AAAA{ST}"


def transmit(rgb: np.ndarray, image_id: int, cols: int, rows: int, *, placement_id: int = 1,
             level: int = LEVEL) -> str:
    """Commands that show ``rgb`` ((h, w, 3 or 4) uint8) in ``cols`` x ``rows`` cells at the cursor."""
    h, w, ch = rgb.shape
    fmt = {3: 24, 4: 32}[ch]
    data = base64.standard_b64encode(zlib.compress(np.ascontiguousarray(rgb).data, level)).decode("ascii")
    keys = f"a=T,f={fmt},o=z,s={w},v={h},c={cols},r={rows},i={image_id},p={placement_id},C=1,q=2"
    out = []
    for start in range(0, len(data), CHUNK):
        more = int(start + CHUNK < len(data))
        out.append(f"{APC}{keys},m={more};{data[start:start + CHUNK]}{ST}" if start == 0
                   else f"{APC}m={more},q=2;{data[start:start + CHUNK]}{ST}")
    return "".join(out)


def delete(image_id: int) -> str:
    """The command that removes image ``image_id``, its placements and its data."""
    return f"{APC}a=d,d=I,i={image_id},q=2{ST}"
