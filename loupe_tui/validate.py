"""Generic checks of user-given values, below every loader and config class.

Every check raises :class:`~loupe_tui.errors.LoupeConfigError` whose one-line
message starts with the parameter it is about (``"gain: must be > 0, got -1"``),
so a user sees at once which argument to fix. Used by :mod:`loupe_tui.io`
(event tables) and by :mod:`loupe_tui.config_validation` (the config
classes); it imports only :mod:`loupe_tui.core` and :mod:`loupe_tui.errors`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from loupe_tui.core.colors import PALETTE, RGBA, parse_color
from loupe_tui.errors import LoupeConfigError, join_names


def fail(param: str, problem: str) -> LoupeConfigError:
    """The error to raise for ``param``: ``"<param>: <problem>"``."""
    return LoupeConfigError(f"{param}: {problem}")


def check_choice(param: str, value: object, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise fail(param, f"must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")
    return value


def check_number(param: str, value: object, *, gt: float | None = None, ge: float | None = None,
                 le: float | None = None) -> float:
    """A finite real number within bounds (bools are refused: ``gain=True`` is a typo)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise fail(param, f"must be a finite number, got {value!r}")
    v = float(value)
    if gt is not None and not v > gt:
        raise fail(param, f"must be > {gt:g}, got {v:g}")
    if ge is not None and not v >= ge:
        raise fail(param, f"must be >= {ge:g}, got {v:g}")
    if le is not None and not v <= le:
        raise fail(param, f"must be <= {le:g}, got {v:g}")
    return v


def check_int(param: str, value: object, *, ge: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise fail(param, f"must be an integer >= {ge}{' or None' if allow_none else ''}, got {value!r}")
    if int(value) < ge:
        raise fail(param, f"must be >= {ge}, got {int(value)}")
    return int(value)


def check_bool(param: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise fail(param, f"must be True or False, got {value!r}")
    return value


def check_name(param: str, value: object, available: Sequence[str], what: str, allow_none: bool = True) -> str | None:
    """``value`` is None or one of ``available`` (listed in the error)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        raise fail(param, f"must be a {what} name (str), got {value!r}")
    if value not in available:
        raise fail(param, f"no {what} {value!r} (available: {join_names(available)})")
    return value


def as_list(value: object) -> list:
    """``None`` -> ``[]``, a list/tuple -> list, anything else -> ``[value]``."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def sorted_unique(values: Sequence[object]) -> list:
    """Distinct values, sorted when they can be (else in order of first appearance)."""
    seen = list(dict.fromkeys(values))
    try:
        return sorted(seen)
    except TypeError:
        return seen


# -- colours -----------------------------------------------------------------

def resolve_colors(n: int, *, color: object, hue_values: Sequence[Any] | None, palette: object,
                   default: Callable[[int], RGBA], hue_param: str = "hue") -> list[RGBA]:
    """One RGBA per item: ``color`` > ``hue`` + ``palette`` > ``default(i)``.

    Parameters
    ----------
    n : number of items (traces, events ...)
    color : single colour for all, or None
    hue_values : per-item category (length ``n``) or None when no hue
    palette : None (cycle :data:`PALETTE`), list of colours (cycled over the
        sorted hue categories) or dict ``{category: colour}``
    default : colour of item ``i`` when neither colour nor hue is given
    """
    if palette is not None and hue_values is None:
        raise fail("palette", f"needs {hue_param} (which values pick the colour)")
    pal = _palette(palette)
    if color is not None:
        c = parse_color(color, where="color")
        return [c] * n
    if hue_values is None:
        return [default(i) for i in range(n)]
    cats = sorted_unique(list(hue_values))
    if isinstance(pal, dict):
        missing = [c for c in cats if c not in pal]
        if missing:
            raise fail("palette", f"no colour for {hue_param} value(s) {', '.join(map(repr, missing[:5]))}")
        table = {c: pal[c] for c in cats}
    else:
        cycle_of = pal or list(PALETTE)
        table = {c: cycle_of[i % len(cycle_of)] for i, c in enumerate(cats)}
    return [table[v] for v in hue_values]


def _palette(palette: object) -> list[RGBA] | dict[Any, RGBA] | None:
    if palette is None:
        return None
    if isinstance(palette, Mapping):
        return {k: parse_color(v, where=f"palette[{k!r}]") for k, v in palette.items()}
    if isinstance(palette, (list, tuple)) and palette and not isinstance(palette[0], numbers.Real):
        return [parse_color(v, where=f"palette[{i}]") for i, v in enumerate(palette)]
    raise fail("palette", f"must be a list of colours or a dict {{value: colour}}, got {palette!r}")
