"""256-entry RGBA colour tables (LUTs) for heatmaps, and value -> colour mapping.

Every colormap name :data:`loupe_tui.config_validation.CMAP_NAMES` accepts is
built here from a compact anchor table, without matplotlib: each map lists
``index:RRGGBB`` anchors (LUT index 0-255) and the entries in between are
linearly interpolated. The anchors were picked from matplotlib's own data
(the 256-entry listed maps viridis, magma, inferno, plasma, cividis, turbo,
twilight; the segmented ones resampled to 256 entries as matplotlib does)
so that every entry is within 1 unit (0-255) of ``round(255 * matplotlib)``.
``gray``/``grays`` run black -> white; ``greys`` is matplotlib's ``Greys``
(white -> black). Any name takes ``_r`` for the reversed map.

Mapping follows matplotlib: with ``x = (v - vmin) / (vmax - vmin)`` the entry
is ``floor(256 * x)`` clipped to 0..255, so ``vmin`` and below get entry 0
and ``vmax`` and above entry 255. NaN gets the NaN colour
(:data:`DEFAULT_NAN_RGBA`, dark grey, or any colour the caller passes).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from loupe_tui.config_validation import CMAP_NAMES, check_cmap_name
from loupe_tui.core.colors import RGBA, parse_color
from loupe_tui.errors import LoupeConfigError

__all__ = ["CMAP_NAMES", "DEFAULT_NAN_RGBA", "TRANSPARENT", "lut", "map_values", "nan_rgba"]

#: Colour of NaN values: a solid dark grey, distinct from every map's ends and
#: from the (transparent) "no data" columns.
DEFAULT_NAN_RGBA: RGBA = (64, 64, 64, 255)
#: Colour of pixels with no data at all (outside the recording).
TRANSPARENT: RGBA = (0, 0, 0, 0)

# name -> "index:RRGGBB ..." anchors (generated once from matplotlib 3.11 data).
_ANCHORS: dict[str, str] = {
    "magma": (
        "0:000004 2:010106 12:06051a 25:140e36 32:1d1147 42:2c115f 48:36106b 58:471078 66:54137d "
        "74:601880 93:7e2482 120:aa337d 129:b83779 149:d8456c 156:e24d66 170:f1605d 179:f7705c 192:fc8961 "
        "205:fea16e 216:feb67c 235:fed89a 255:fcfdbf "
    ),
    "inferno": (
        "0:000004 2:010106 6:02020e 15:0a0722 26:180c3c 40:2f0a5b 48:3d0965 54:470b6a 64:57106e 88:7d1e6d "
        "110:a02a63 132:c13a50 144:d24644 166:ea632a 175:f1711f 189:f8890c 193:fa9008 199:fb9b06 "
        "202:fca108 209:fcae12 222:f9c72f 232:f5db4c 241:f1ec6d 246:f2f482 251:f6fa96 255:fcffa4 "
    ),
    "plasma": (
        "0:0d0887 7:20068f 23:3e049c 37:5502a4 45:6100a7 62:7b02a8 68:8405a7 78:920fa3 92:a51f99 "
        "123:c7427c 148:dd5e66 161:e76e5b 188:f79044 215:feb72d 229:fccd25 235:fbd724 250:f3f027 "
        "253:f1f525 255:f0f921 "
    ),
    "viridis": (
        "0:440154 8:470d60 23:482173 29:482979 50:414287 81:32648e 120:23898e 132:1f948c 139:1e9b8a "
        "151:21a685 157:25ac82 166:2fb47c 177:40bd72 190:5ac864 203:77d153 233:c5e021 239:d5e21a "
        "242:dde318 246:e7e419 251:f4e61e 255:fde725 "
    ),
    "cividis": (
        "0:00224e 20:003070 23:013271 28:123570 33:1c396f 44:2d416d 53:38476c 86:585e6d 134:828079 "
        "151:928d78 171:a69c74 191:bbad6d 219:d9c55c 233:e8d24f 244:f5dc41 251:fde334 255:fee838 "
    ),
    "twilight": (
        "0:e2d9e2 5:dcd9df 12:cdd3d8 22:b0c5cd 31:96b6c7 42:7ca2c2 48:7196c1 55:6888be 65:6172ba "
        "75:5f5bb2 81:5e4dab 90:5c379c 96:59298e 104:511a75 110:471461 116:3d114e 125:32123a 128:301437 "
        "133:361139 140:43123e 151:5f174a 156:6c1b4e 164:802350 172:922f50 177:9c3950 186:ab4b50 "
        "193:b55b53 201:bd6e5a 208:c37f64 216:c89275 221:cb9f83 234:d4bdad 244:ddd0ce 247:dfd4d6 "
        "251:e1d8dd 255:e2d9e2 "
    ),
    "turbo": (
        "0:30123b 6:372466 10:3b2f80 14:3f3b97 22:4451bf 27:455ed3 34:4771e9 41:4682f8 46:448ffe "
        "52:3d9efe 58:33adf7 61:2eb4f2 69:20c7df 73:1bd0d5 77:18d7ca 82:18e0bd 89:20eaac 94:2cf09e "
        "98:38f491 108:5dfc6f 119:88ff4e 123:96fe44 131:acfb38 137:bcf534 142:c8ef34 148:d7e535 "
        "155:e5d938 158:ebd339 164:f4c73a 170:faba39 177:fea933 183:fe992c 195:f9751d 202:f26014 "
        "208:eb500e 215:e14109 226:cc2b04 237:b21a01 242:a41301 255:7a0403 "
    ),
    "coolwarm": (
        "0:3b4cc0 11:485fd1 32:6282ea 42:6f92f3 63:8caffe 70:96b7ff 90:b1cbfc 104:c3d5f4 114:cedaeb "
        "127:dcdddd 148:efcfbf 167:f7bca1 183:f7a688 201:f08a6c 211:e9785d 229:d75445 236:cf453c "
        "245:c32e31 248:be242e 255:b40426 "
    ),
    "bwr": (
        "0:0000ff 127:fefeff 128:fffefe 255:ff0000 "
    ),
    "RdBu": (
        "0:67001f 26:b3192c 51:d6604d 71:ee9677 77:f4a683 100:fcd7c2 102:fddbc7 128:f6f7f7 153:d1e5f0 "
        "178:93c6de 203:4695c4 204:4393c3 225:276eb0 230:2065ab 255:053061 "
    ),
    "seismic": (
        "0:00004c 63:0000fd 64:0101ff 127:fdfdff 128:fffdfd 191:ff0101 255:800000 "
    ),
    "Blues": (
        "0:f7fbff 63:c7dbef 94:a0cbe2 126:6dafd7 152:4b98ca 175:3282be 187:2575b7 193:206fb4 223:08519c "
        "255:08306b "
    ),
    "Reds": (
        "0:fff5f0 31:fee1d3 64:fcbba1 97:fc9070 125:fb6d4d 157:f03f2e 160:ee3a2c 190:cc191e 220:a91016 "
        "223:a50f15 255:67000d "
    ),
    "Greens": (
        "0:f7fcf5 27:e8f6e3 31:e5f5e1 60:cbeac4 85:aedea7 95:a2d99c 113:88ce87 128:73c476 160:40aa5d "
        "191:238b45 220:03702e 223:006d2c 255:00441b "
    ),
    "greys": (
        "0:ffffff 30:f1f1f1 60:dcdcdc 95:bebebe 128:959595 184:5a5a5a 191:525252 223:252525 255:000000 "
    ),
    "gray": (
        "0:000000 255:ffffff "
    ),
    "hot": (
        "0:0b0000 93:ff0000 190:fffe00 255:ffffff "
    ),
}
_ALIASES = {"grays": "gray"}
_ANCHORS_LC = {k.lower(): v for k, v in _ANCHORS.items()}


def _from_anchors(spec: str) -> np.ndarray:
    idx, rgb = [], []
    for tok in spec.split():
        i, hexrgb = tok.split(":")
        idx.append(int(i))
        rgb.append([int(hexrgb[k:k + 2], 16) for k in (0, 2, 4)])
    rgb = np.asarray(rgb, dtype=np.float64)
    x = np.arange(256)
    out = np.empty((256, 4), np.uint8)
    for c in range(3):
        out[:, c] = np.round(np.interp(x, idx, rgb[:, c])).astype(np.uint8)
    out[:, 3] = 255
    return out


@functools.lru_cache(maxsize=64)
def _named(name: str) -> np.ndarray:
    canon = check_cmap_name("cmap", name)
    base, rev = (canon[:-2], True) if canon.lower().endswith("_r") else (canon, False)
    base = _ALIASES.get(base.lower(), base.lower())
    table = _from_anchors(_ANCHORS_LC[base])
    if rev:
        table = table[::-1].copy()
    table.flags.writeable = False
    return table


def lut(cmap: str | Callable | Sequence | np.ndarray = "magma") -> np.ndarray:
    """The ``(256, 4)`` uint8 RGBA table of a colormap.

    Parameters
    ----------
    cmap : str, callable, sequence of colours or array
        * a name from :data:`CMAP_NAMES` (case-insensitive, ``_r`` reverses);
        * a callable taking 256 positions in 0-1 and returning ``(256, 3|4)``
          floats in 0-1 (a matplotlib ``Colormap`` is such a callable) or
          integers 0-255;
        * a list of two or more colours (any form :func:`parse_color` reads:
          ``"#RRGGBB"``, ``(R, G, B)`` ...), evenly spaced and linearly
          interpolated; one colour gives a constant table;
        * a ``(256, 3|4)`` array (uint8 0-255, or floats 0-1).

    Returns
    -------
    ndarray
        ``(256, 4)`` uint8, entry 0 for ``vmin``, 255 for ``vmax``. Named
        tables are cached and read-only; copy before editing.

    Raises
    ------
    LoupeConfigError
        Unknown name, unreadable colour, or a callable/array of the wrong shape.
    """
    if isinstance(cmap, str):
        return _named(cmap)
    if isinstance(cmap, np.ndarray):
        return _as_table(cmap, "cmap array")
    if callable(cmap):
        try:
            values = np.asarray(cmap(np.linspace(0.0, 1.0, 256)))
        except Exception as exc:
            raise LoupeConfigError(f"cmap: callable failed on 256 positions: {exc}") from None
        return _as_table(values, "cmap callable")
    if isinstance(cmap, (list, tuple)) and cmap and all(isinstance(c, (str, list, tuple, np.ndarray)) for c in cmap):
        cols = np.asarray([parse_color(c.tolist() if isinstance(c, np.ndarray) else c, where=f"cmap[{i}]")
                           for i, c in enumerate(cmap)], dtype=np.float64)
        if len(cols) == 1:
            return np.tile(cols.astype(np.uint8), (256, 1))
        pos = np.linspace(0.0, 255.0, len(cols))
        x = np.arange(256)
        return np.stack([np.round(np.interp(x, pos, cols[:, c])) for c in range(4)], axis=1).astype(np.uint8)
    raise LoupeConfigError("cmap: must be a colormap name, a callable, a list of colours or a (256, 4) array, "
                           f"got {cmap!r}")


def _as_table(values: np.ndarray, what: str) -> np.ndarray:
    if values.shape not in ((256, 3), (256, 4)):
        raise LoupeConfigError(f"cmap: {what} must give shape (256, 3) or (256, 4), got {values.shape}")
    if values.dtype.kind == "f":
        if np.isnan(values).any() or values.min() < 0 or values.max() > 1:
            raise LoupeConfigError(f"cmap: {what} floats must lie in 0-1")
        values = np.round(values * 255.0)
    elif values.dtype.kind not in "iu" or values.min() < 0 or values.max() > 255:
        raise LoupeConfigError(f"cmap: {what} must hold floats 0-1 or integers 0-255")
    out = np.full((256, 4), 255, np.uint8)
    out[:, :values.shape[1]] = values.astype(np.uint8)
    return out


def nan_rgba(color: object = None) -> np.ndarray:
    """The NaN colour as a ``(4,)`` uint8 array: ``color`` parsed, or :data:`DEFAULT_NAN_RGBA`."""
    return np.asarray(DEFAULT_NAN_RGBA if color is None else parse_color(color, where="nan colour"), np.uint8)


def map_values(values: np.ndarray, vmin: float, vmax: float, table: np.ndarray,
               nan_color: object = None, out: np.ndarray | None = None) -> np.ndarray:
    """Colour every value through a LUT: ``(...)`` floats -> ``(..., 4)`` uint8.

    Parameters
    ----------
    values : float array of any shape.
    vmin, vmax : colour limits, ``vmin < vmax``; entry ``floor(256 * x)``
        of ``table`` with ``x = (v - vmin) / (vmax - vmin)``, clipped to 0..255
        (so values beyond the limits take the end colours; +-inf too).
    table : ``(256, 4)`` uint8 from :func:`lut`.
    nan_color : colour of NaN values (default :data:`DEFAULT_NAN_RGBA`).
    out : optional ``(..., 4)`` uint8 array to write into.

    Returns
    -------
    ndarray
        ``values.shape + (4,)`` uint8 RGBA.
    """
    vmin, vmax = float(vmin), float(vmax)
    if not (np.isfinite(vmin) and np.isfinite(vmax) and vmin < vmax):
        raise ValueError(f"colour limits need finite vmin < vmax, got {vmin}, {vmax}")
    v = np.asarray(values, dtype=np.float32)
    x = (v - np.float32(vmin)) * np.float32(256.0 / (vmax - vmin))
    nan = np.isnan(x)
    np.clip(x, 0, 255, out=x)
    x[nan] = 0
    idx = x.astype(np.uint8)  # floor: x >= 0 here
    if table.shape != (256, 4) or table.dtype != np.uint8:
        raise ValueError(f"map_values needs a (256, 4) uint8 table, got {table.shape} {table.dtype}")
    # One 32-bit word per RGBA entry: gathering words is ~4x faster than 4-byte rows.
    words = np.ascontiguousarray(table).view(np.uint32).reshape(256)
    rgba = words[idx].view(np.uint8).reshape(v.shape + (4,))
    if nan.any():
        rgba[nan] = nan_rgba(nan_color)
    if out is None:
        return rgba
    out[...] = rgba
    return out
