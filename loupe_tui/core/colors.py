"""Colour parsing shared by state definitions, configs and keymaps.

Accepted forms (Loupe's): ``[R, G, B]``, ``[R, G, B, A]`` (0-255 ints),
``"#RRGGBB"``, ``"#RRGGBBAA"``, ``"0xRRGGBB"``, ``"R,G,B[,A]"``, and a few
common names. Everything resolves to an ``(R, G, B, A)`` tuple of ints 0-255.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from loupe_tui.errors import LoupeConfigError

RGBA = tuple[int, int, int, int]

NAMED: dict[str, RGBA] = {
    "red": (230, 25, 75, 255), "green": (60, 180, 75, 255), "blue": (0, 130, 200, 255),
    "yellow": (255, 225, 25, 255), "orange": (245, 130, 48, 255), "purple": (145, 30, 180, 255),
    "cyan": (70, 240, 240, 255), "magenta": (240, 50, 230, 255), "white": (255, 255, 255, 255),
    "black": (0, 0, 0, 255), "gray": (128, 128, 128, 255), "grey": (128, 128, 128, 255),
    "lightgray": (200, 200, 200, 255), "pink": (250, 190, 212, 255), "teal": (0, 128, 128, 255),
    "brown": (170, 110, 40, 255),
}

# A categorical palette for traces (the default cycle; also hue groups, overlays and
# events) on the dark background. Every colour is at least 21.5 CIEDE2000 from every
# state colour of the bundled keymaps, so a trace never melts into the label shading
# or strip under it (tests/render/test_trace_colors.py): the saturated blues, greens,
# ambers, pinks, violets and cyans belong to states, so traces take cream, teal, lime,
# orange-red, lilac, brown, peach, mustard, sage and olive (pairwise >= 15).
PALETTE: tuple[RGBA, ...] = (
    (248, 240, 200, 255), (40, 144, 160, 255), (208, 248, 0, 255), (240, 80, 8, 255),
    (248, 200, 248, 255), (160, 128, 72, 255), (240, 176, 152, 255), (176, 184, 8, 255),
    (88, 144, 112, 255), (112, 144, 0, 255),
)

#: Default opacity (0-255) of the label shading over plots: faint, so that traces keep
#: their colour; the label strip above the plots shows the states at full strength.
LABEL_SHADING_ALPHA = 32

# Saturated, mutually distinct colours for states a keymap does not know (no greys:
# a grey reads as "Artifact" or "unscored").
STATE_PALETTE: tuple[RGBA, ...] = (
    (255, 127, 14, 255), (214, 39, 40, 255), (148, 103, 189, 255), (23, 190, 207, 255),
    (188, 189, 34, 255), (140, 86, 75, 255), (255, 225, 25, 255), (0, 128, 128, 255),
    (230, 25, 75, 255), (60, 180, 75, 255), (0, 130, 200, 255), (245, 130, 48, 255),
    (145, 30, 180, 255), (70, 240, 240, 255), (240, 50, 230, 255), (170, 110, 40, 255),
)


def distinct_color(name: str, taken: Sequence[RGBA] = (), min_distance: float = 120.0) -> RGBA:
    """A colour for ``name`` from :data:`STATE_PALETTE`, the same every time for the same
    name and ``taken``, and at least ``min_distance`` (RGB) from every colour in ``taken``
    (the keymap's) when the palette has one."""
    import zlib

    start = zlib.crc32(name.encode()) % len(STATE_PALETTE)
    for k in range(len(STATE_PALETTE)):
        c = STATE_PALETTE[(start + k) % len(STATE_PALETTE)]
        if all(sum((a - b) ** 2 for a, b in zip(c[:3], t[:3])) >= min_distance ** 2 for t in taken):
            return c
    return STATE_PALETTE[start]


_HEX = re.compile(r"^(?:#|0x)([0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def parse_color(value: object, *, where: str = "colour", default_alpha: int = 255) -> RGBA:
    """Parse one colour; raise :class:`LoupeConfigError` naming ``where`` on failure.

    Parameters
    ----------
    value : str or sequence of 3-4 numbers
    where : what is being parsed, for the error message (e.g. ``"label_colors['REM']"``)
    default_alpha : alpha used when the value has none
    """
    if isinstance(value, str):
        s = value.strip()
        m = _HEX.match(s)
        if m:
            h = m.group(1)
            rgb = [int(h[i:i + 2], 16) for i in range(0, len(h), 2)]
            return _tuple(rgb, default_alpha)
        if s.lower() in NAMED:
            r, g, b, _ = NAMED[s.lower()]
            return (r, g, b, default_alpha)
        if "," in s:
            try:
                parts = [float(p) for p in s.split(",")]
            except ValueError:
                parts = None
            if parts is not None:
                return _from_numbers(parts, where, default_alpha)
        raise LoupeConfigError(
            f"{where}: cannot read colour {value!r} (use #RRGGBB, #RRGGBBAA, 0xRRGGBB, 'R,G,B[,A]' or [R, G, B(, A)])")
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        try:
            parts = [float(p) for p in value]
        except (TypeError, ValueError):
            raise LoupeConfigError(f"{where}: colour {value!r} must hold numbers") from None
        return _from_numbers(parts, where, default_alpha)
    raise LoupeConfigError(f"{where}: cannot read colour {value!r}")


def _from_numbers(parts: list[float], where: str, default_alpha: int) -> RGBA:
    if len(parts) not in (3, 4):
        raise LoupeConfigError(f"{where}: a colour needs 3 or 4 components, got {len(parts)}")
    if any(p != p or p < 0 or p > 255 for p in parts):
        raise LoupeConfigError(f"{where}: colour components must be between 0 and 255, got {parts}")
    return _tuple([int(round(p)) for p in parts], default_alpha)


def _tuple(rgb: list[int], default_alpha: int) -> RGBA:
    if len(rgb) == 3:
        rgb = [*rgb, default_alpha]
    return (rgb[0], rgb[1], rgb[2], rgb[3])


def to_hex(c: RGBA) -> str:
    """``(R, G, B, A)`` -> ``#RRGGBBAA`` (``#RRGGBB`` when fully opaque)."""
    r, g, b, a = c
    return f"#{r:02x}{g:02x}{b:02x}" + ("" if a == 255 else f"{a:02x}")


def cycle(i: int) -> RGBA:
    """The i-th colour of :data:`PALETTE`, cycling."""
    return PALETTE[i % len(PALETTE)]


# -- perceptual colour difference ---------------------------------------------------------
def srgb_to_lab(c: Sequence[float]) -> tuple[float, float, float]:
    """CIELAB (D65 white) of an sRGB colour given as 0-255 components (alpha ignored)."""
    def linear(v: float) -> float:
        v = v / 255.0
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(float(v)) for v in c[:3])
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1.0 / 3.0) if t > (6.0 / 29.0) ** 3 else t / (3 * (6.0 / 29.0) ** 2) + 4.0 / 29.0

    fx, fy, fz = f(x), f(y), f(z)
    return 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)


def ciede2000(lab1: Sequence[float], lab2: Sequence[float]) -> float:
    """CIEDE2000 colour difference of two CIELAB colours (kL = kC = kH = 1).

    The formula as written out by Sharma, Wu and Dalal (Color Res. Appl. 30, 2005),
    whose test pairs it reproduces to 1e-4. About 1 is a just-noticeable difference;
    20 or more reads as clearly different colours.
    """
    import math

    L1, a1, b1 = (float(v) for v in lab1)
    L2, a2, b2 = (float(v) for v in lab2)
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2.0
    g = 0.5 * (1.0 - math.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360.0 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360.0 if c2p else 0.0
    dlp, dcp = L2 - L1, c2p - c1p
    if c1p * c2p == 0.0:
        dhp = 0.0
    else:
        dhp = h2p - h1p
        if dhp > 180.0:
            dhp -= 360.0
        elif dhp < -180.0:
            dhp += 360.0
    dHp = 2.0 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2.0))
    lp, cp = (L1 + L2) / 2.0, (c1p + c2p) / 2.0
    if c1p * c2p == 0.0:
        hp = h1p + h2p
    elif abs(h1p - h2p) <= 180.0:
        hp = (h1p + h2p) / 2.0
    else:
        hp = (h1p + h2p + 360.0) / 2.0 if h1p + h2p < 360.0 else (h1p + h2p - 360.0) / 2.0
    t = (1.0 - 0.17 * math.cos(math.radians(hp - 30.0)) + 0.24 * math.cos(math.radians(2.0 * hp))
         + 0.32 * math.cos(math.radians(3.0 * hp + 6.0)) - 0.20 * math.cos(math.radians(4.0 * hp - 63.0)))
    d_theta = 30.0 * math.exp(-(((hp - 275.0) / 25.0) ** 2))
    rc = 2.0 * math.sqrt(cp ** 7 / (cp ** 7 + 25.0 ** 7))
    sl = 1.0 + 0.015 * (lp - 50.0) ** 2 / math.sqrt(20.0 + (lp - 50.0) ** 2)
    sc = 1.0 + 0.045 * cp
    sh = 1.0 + 0.015 * cp * t
    rt = -math.sin(math.radians(2.0 * d_theta)) * rc
    return math.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dHp / sh) ** 2 + rt * (dcp / sc) * (dHp / sh))


def color_difference(c1: Sequence[float], c2: Sequence[float]) -> float:
    """CIEDE2000 difference of two sRGB colours given as 0-255 components."""
    return ciede2000(srgb_to_lab(c1), srgb_to_lab(c2))
