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

# A categorical palette with good contrast on a dark background (used to cycle
# colours for hue groups, overlays and events).
PALETTE: tuple[RGBA, ...] = (
    (31, 119, 180, 255), (255, 127, 14, 255), (44, 160, 44, 255), (214, 39, 40, 255),
    (148, 103, 189, 255), (140, 86, 75, 255), (227, 119, 194, 255), (188, 189, 34, 255),
    (23, 190, 207, 255), (127, 127, 127, 255),
)

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
