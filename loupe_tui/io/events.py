"""Event tables (spikes, behavioural marks, stimulus onsets) from parquet.

Used by ``RasterConfig`` and ``GlobalEventsConfig``. Events fit in memory
(one row per event), so they are plain polars DataFrames; this module loads
them with file-naming errors, turns a table into per-subplot raster arrays,
and resolves the line style of each global-event class.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from loupe_tui.core.colors import PALETTE, RGBA, parse_color
from loupe_tui.errors import DataFileError, one_line
from loupe_tui.validate import check_choice, check_number, fail, resolve_colors

PathLike = str | Path


def read_event_tables(paths: PathLike | Sequence[PathLike], required: Sequence[str] = ()) -> pl.DataFrame:
    """Read one parquet file or several, concatenated in the given order.

    Parameters
    ----------
    paths : a path or a list of paths.
    required : columns every file must have (checked per file before reading
        its rows, so the error names the file that lacks them).

    Returns
    -------
    polars.DataFrame
        The rows of all files; a column missing from some files (and not
        required) is filled with nulls there.

    Raises
    ------
    DataFileError
        No paths, a missing or unreadable file, a missing required column,
        or files whose columns have incompatible types.
    """
    plist = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else list(paths))]
    if not plist:
        raise DataFileError("paths: no parquet files given")
    frames = []
    for p in plist:
        if not p.is_file():
            raise DataFileError(f"{p}: no such file")
        try:
            schema = pl.read_parquet_schema(p)
        except Exception as exc:
            raise DataFileError(f"{p}: not a readable parquet file: {one_line(exc)}") from exc
        missing = [c for c in required if c not in schema]
        if missing:
            raise DataFileError(f"{p}: missing column(s) {', '.join(map(repr, missing))} "
                                f"(has: {', '.join(schema) or 'none'})")
        try:
            frames.append(pl.read_parquet(p))
        except Exception as exc:
            raise DataFileError(f"{p}: cannot read parquet rows: {one_line(exc)}") from exc
    if len(frames) == 1:
        return frames[0]
    try:
        return pl.concat(frames, how="diagonal_relaxed")
    except Exception as exc:
        raise DataFileError(f"{plist[0]} (+{len(plist) - 1} more): cannot concatenate files: {one_line(exc)}") from exc


@dataclass(eq=False)
class RasterPanel:
    """Arrays one raster subplot draws (one entry per event).

    Attributes
    ----------
    key : tuple of ``split_by`` values, or None without split.
    title : e.g. ``"dmd=1"``.
    times : float64 event times (s).
    rows : int32 row of each event (index into ``row_labels``).
    row_labels : the distinct ``order_by`` values of this subplot, sorted.
    colors : uint8 ``(n, 4)`` RGBA per event, alpha from ``alpha_by`` applied.
    """

    key: tuple | None
    title: str
    times: np.ndarray
    rows: np.ndarray
    row_labels: list
    colors: np.ndarray


def raster_panels(df: pl.DataFrame, time_col: str, order_by: str, split_by: Sequence[str],
                  colors: np.ndarray, alpha: np.ndarray | None) -> list[RasterPanel]:
    """Split an event table into :class:`RasterPanel` s.

    ``colors`` is ``(len(df), 4)`` uint8 and ``alpha`` an optional float
    factor per event (0-1) multiplied into the colour's alpha.
    """
    rgba = colors.copy()
    if alpha is not None:
        rgba[:, 3] = np.round(rgba[:, 3] * alpha).astype(np.uint8)
    times = df[time_col].cast(pl.Float64).to_numpy()
    # Rows as dense codes of order_by (sorted; nulls last), computed once in
    # polars/numpy: millions of spikes must not pass through a Python loop.
    col = df[order_by]
    cats = col.drop_nulls().unique().sort().to_list()
    codes = (col.rank("dense") - 1).fill_null(len(cats)).cast(pl.Int64).to_numpy()
    if col.null_count():
        cats.append(None)
    if not split_by:
        groups = [(None, np.arange(len(df)))]
    else:
        idx = df.select(split_by).with_row_index("__row").group_by(split_by, maintain_order=True) \
            .agg(pl.col("__row"))
        groups = sorted(((tuple(r[c] for c in split_by), np.asarray(r["__row"], dtype=np.int64))
                         for r in idx.iter_rows(named=True)), key=lambda g: _key(g[0]))
    panels = []
    for key, rows_idx in groups:
        present = np.unique(codes[rows_idx])  # the rows this subplot has, in order
        title = "" if key is None else ", ".join(f"{c}={v}" for c, v in zip(split_by, key))
        panels.append(RasterPanel(key=key, title=title, times=times[rows_idx],
                                  rows=np.searchsorted(present, codes[rows_idx]).astype(np.int32),
                                  row_labels=[cats[k] for k in present], colors=rgba[rows_idx]))
    return panels


def _key(v):
    # Numbers by value, then text, None last: odd data never crashes a sort.
    if isinstance(v, tuple):
        return tuple(_key(x) for x in v)
    if v is None:
        return (2, 0.0, "")
    if isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
        return (0, float(v), "")
    return (1, 0.0, str(v))


def event_colors(df: pl.DataFrame, *, color: object, hue: str | None, palette: object,
                 default: tuple[int, int, int, int]) -> np.ndarray:
    """``(len(df), 4)`` uint8 RGBA: ``color`` > ``hue``/``palette`` > ``default``.

    Vectorised: colours are resolved once per hue category (sorted), then
    spread to events, so millions of spikes cost one pass.
    """
    n = len(df)
    if hue is None:
        rgba = resolve_colors(1, color=color, hue_values=None, palette=palette, default=lambda i: default)
        return np.tile(np.asarray(rgba[0], dtype=np.uint8), (n, 1))
    col = df[hue]
    cats = col.drop_nulls().unique().sort().to_list()
    codes = (col.rank("dense") - 1).fill_null(len(cats)).cast(pl.Int64).to_numpy()
    if col.null_count():
        cats.append(None)
    table = resolve_colors(len(cats), color=color, hue_values=cats, palette=palette, default=lambda i: default,
                           hue_param=f"hue column {hue!r}")
    return np.asarray(table, dtype=np.uint8).reshape(-1, 4)[codes]


def event_alpha(df: pl.DataFrame, alpha_by: str | None, alpha_range: tuple[float, float]) -> np.ndarray | None:
    """Per-event opacity factor: ``alpha_by`` min..max mapped linearly onto ``alpha_range``.

    A constant column maps to the top of the range; missing values to the bottom.
    """
    if alpha_by is None:
        return None
    lo, hi = alpha_range
    v = df[alpha_by].cast(pl.Float64).to_numpy()
    ok = np.isfinite(v)
    if not ok.any():
        return np.full(len(v), lo, dtype=np.float32)
    vmin, vmax = float(v[ok].min()), float(v[ok].max())
    norm = np.ones_like(v) if vmax == vmin else (v - vmin) / (vmax - vmin)
    return np.where(ok, lo + norm * (hi - lo), lo).astype(np.float32)


# -- global event styles ----------------------------------------------------------

LINE_STYLES: tuple[str, ...] = ("solid", "dashed", "dotted", "dashdot", "dashdotdot")
EVENT_LIGHT_GRAY: RGBA = (200, 200, 200, 255)
EVENT_LINE_WIDTH = 1.5
EVENT_LINE_ALPHA = 200
_STYLE_KEYS = ("line_color", "line_style", "line_width", "line_alpha")


@dataclass(frozen=True)
class EventStyle:
    """How one class of global events is drawn.

    ``color`` carries the final alpha (``color[3] == line_alpha``).
    """

    color: RGBA
    line_style: str
    line_width: float
    line_alpha: int


def cycle_style(i: int) -> tuple[RGBA, str]:
    """Default colour and line style of the i-th event class.

    Styles vary fastest: the first five classes are light gray solid, dashed,
    dotted, dashdot, dashdotdot; the next five use the first palette colour
    with the same five styles, and so on. A (colour, style) pair repeats only
    after every palette colour has been used.
    """
    colours = (EVENT_LIGHT_GRAY, *PALETTE)
    k = i % (len(colours) * len(LINE_STYLES))
    return colours[k // len(LINE_STYLES)], LINE_STYLES[k % len(LINE_STYLES)]


def check_style_overrides(cls_value: object, overrides: object) -> dict[str, Any]:
    """Validate ``style_kwargs[cls_value]``; return the parsed fields."""
    where = f"style_kwargs[{cls_value!r}]"
    if not isinstance(overrides, Mapping):
        raise fail(where, f"must be a dict of style fields, got {overrides!r}")
    unknown = [k for k in overrides if k not in _STYLE_KEYS]
    if unknown:
        raise fail(where, f"unknown style field(s) {', '.join(map(repr, unknown))} (known: {', '.join(_STYLE_KEYS)})")
    out: dict[str, Any] = {}
    if "line_color" in overrides:
        out["line_color"] = parse_color(overrides["line_color"], where=f"{where}['line_color']",
                                        default_alpha=-1)
    if "line_style" in overrides:
        out["line_style"] = check_choice(f"{where}['line_style']", overrides["line_style"], LINE_STYLES)
    if "line_width" in overrides:
        out["line_width"] = check_number(f"{where}['line_width']", overrides["line_width"], gt=0)
    if "line_alpha" in overrides:
        a = overrides["line_alpha"]
        if isinstance(a, bool) or not isinstance(a, numbers.Real) or not 0 <= a <= 255:
            raise fail(f"{where}['line_alpha']", f"must be a number 0-255, got {a!r}")
        out["line_alpha"] = int(round(a))
    return out


def event_style(i: int, overrides: Mapping[str, Any]) -> EventStyle:
    """The final style of the i-th class: its overrides on top of the cycle defaults."""
    colour, style = cycle_style(i)
    if "line_color" in overrides:
        colour = overrides["line_color"]
    # An explicit alpha in the colour (#RRGGBBAA) counts unless line_alpha is given.
    alpha = overrides.get("line_alpha", colour[3] if 0 <= colour[3] and "line_color" in overrides else EVENT_LINE_ALPHA)
    return EventStyle(color=(colour[0], colour[1], colour[2], alpha),
                      line_style=overrides.get("line_style", style),
                      line_width=overrides.get("line_width", EVENT_LINE_WIDTH), line_alpha=alpha)


def natural_order(values: Sequence[object]) -> list:
    """Distinct values in the order people expect: numerically when every value is a
    number or a number written as text (``'2'`` before ``'10'``), else sorted as
    text; ``None`` (and NaN) last."""
    uniq = list(dict.fromkeys(values))
    missing = [v for v in uniq if v is None or (isinstance(v, float) and v != v)]
    rest = [v for v in uniq if not (v is None or (isinstance(v, float) and v != v))]
    nums = [_as_number(v) for v in rest]
    if all(n is not None for n in nums):
        order = sorted(range(len(rest)), key=lambda i: (nums[i], str(rest[i])))
        return [rest[i] for i in order] + missing
    try:
        return sorted(rest) + missing
    except TypeError:  # mixed types: compare as text
        return sorted(rest, key=str) + missing


def _as_number(v: object) -> float | None:
    if isinstance(v, numbers.Real):
        return float(v)
    if isinstance(v, str):
        try:
            x = float(v.strip())
        except ValueError:
            return None
        return x if np.isfinite(x) else None
    return None


def resolve_event_styles(df: pl.DataFrame, column: str | None, style_kwargs: object) -> dict[Any, EventStyle]:
    """Final :class:`EventStyle` per class of ``GlobalEventsConfig`` (classes in
    :func:`natural_order`; None without a column).

    ``style_kwargs`` without a column is ignored with a warning, as are
    overrides for classes absent from the data.
    """
    overrides: dict = {}
    if style_kwargs is not None and column is None:
        warnings.warn("GlobalEventsConfig: style_kwargs is ignored because style_events_on is None",
                      UserWarning, stacklevel=4)
    elif style_kwargs is not None:
        if not isinstance(style_kwargs, dict):
            raise fail("style_kwargs", f"must be a dict {{class value: {{style fields}}}}, got {style_kwargs!r}")
        overrides = {k: check_style_overrides(k, v) for k, v in style_kwargs.items()}
    classes = [None] if column is None else natural_order(df[column].unique().to_list())
    unknown = [k for k in overrides if k not in classes]
    if unknown:
        warnings.warn(f"GlobalEventsConfig: style_kwargs for class(es) {', '.join(map(repr, unknown))} "
                      f"not found in column {column!r}", UserWarning, stacklevel=4)
    return {c: event_style(i, overrides.get(c, {})) for i, c in enumerate(classes)}
