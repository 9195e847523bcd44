"""Polars frame <-> validated interval columns.

:func:`table_from_frame` checks a user table against an
:class:`IntervalLabelSchema` (columns present, times numeric and finite,
end after start, end and duration agreeing, no overlaps) and returns sorted
columns plus the :class:`FrameLayout` to write it back with.
:func:`frame_from_store` is the way back, casting each column to the dtype it
had when read whenever the values allow it (never losing a value to a cast).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from loupe_tui.core.labels.schema import (AGREE_ABS_TOL, AGREE_REL_TOL, FrameLayout, IntervalLabelSchema,
                                          column_order)
from loupe_tui.core.labels.store import IntervalStore
from loupe_tui.errors import LabelFileError, LoupeError, join_names, printable

#: Largest time (s) a labels file may hold: 1e15 s is 31 million years, far past
#: any recording (epoch seconds are 1.7e9), and far from float overflow.
MAX_TIME_S = 1e15


@dataclass(frozen=True)
class Where:
    """Names rows in messages: ``night1.csv:14`` (text line) or ``x.parquet: row 13``."""

    source: str
    lines: Sequence[int] | None = None   # file line of each row, when known

    def row_name(self, r: int) -> str:
        return f"line {self.lines[r]}" if self.lines is not None else f"row {r + 1}"

    def at(self, r: int | None = None) -> str:
        if r is None:
            return self.source
        if self.lines is not None:
            return f"{self.source}:{self.lines[r]}"
        return f"{self.source}: row {r + 1}"


@dataclass
class LabelTable:
    """Validated intervals, sorted by start, with the layout they were read in."""

    starts: np.ndarray
    ends: np.ndarray
    codes: np.ndarray
    names: list[str]
    notes: list
    extra_cols: tuple[str, ...]
    extras: list[list]
    layout: FrameLayout
    schema: IntervalLabelSchema
    #: What reading noticed or left out, one line each naming the file (an EDF's other annotations).
    messages: list[str] = field(default_factory=list)

    def to_store(self) -> IntervalStore:
        return IntervalStore.from_columns(self.starts, self.ends, self.codes, self.names, self.notes,
                                          self.extras, self.extra_cols)


def table_from_frame(df: pl.DataFrame, schema: IntervalLabelSchema, where: Where,
                     error: type[LoupeError] = LabelFileError) -> LabelTable:
    """Validate ``df`` against ``schema``; raise ``error`` with a one-line message naming the row."""

    def fail(problem: str, r: int | None = None) -> LoupeError:
        return error(f"{where.at(r)}: {printable(problem)}")  # file contents never break the line

    cols = df.columns
    roles = {r: c for r, c in schema.role_columns().items() if c in cols}
    missing = [c for r, c in schema.role_columns().items() if r in ("start", "label") and c not in cols]
    if "end" not in roles and "duration" not in roles:
        missing += [c for c in (schema.end_col, schema.duration_col) if c]
    missing += [c for c in schema.extra_cols if c not in cols]
    if missing:
        found = join_names(cols)
        raise fail(f"missing column{'s' if len(missing) > 1 else ''} {join_names(missing)} "
                   f"(columns found: {found}); pass a schema that names your columns")

    starts, start_dtype = _times(df[roles["start"]], fail)
    dtypes = {"start": start_dtype}
    ends = durs = None
    if "end" in roles:
        ends, dtypes["end"] = _times(df[roles["end"]], fail)
    if "duration" in roles:
        durs, dtypes["duration"] = _times(df[roles["duration"]], fail)
        neg = np.flatnonzero(durs < 0)
        if len(neg):
            raise fail(f"{roles['duration']} {durs[neg[0]]} is negative", int(neg[0]))
        if ends is not None:
            bad = np.flatnonzero(np.abs(starts + durs - ends)
                                 > AGREE_ABS_TOL + AGREE_REL_TOL * np.abs(ends))
            if len(bad):
                r = int(bad[0])
                raise fail(f"{roles['end']} {ends[r]} and {roles['duration']} {durs[r]} disagree "
                           f"(start {starts[r]} + duration = {starts[r] + durs[r]})", r)
        else:
            ends = starts + durs
    back = np.flatnonzero(ends < starts)
    if len(back):
        r = int(back[0])
        raise fail(f"end {ends[r]} is before start {starts[r]}", r)
    empty = np.flatnonzero(ends == starts)
    if len(empty):
        r = int(empty[0])
        raise fail(f"interval is empty (start = end = {starts[r]})", r)

    label_raw = df[roles["label"]]
    labels = label_raw.cast(pl.String, strict=False)
    bad = np.flatnonzero((labels.is_null() | (labels.str.strip_chars() == "")).to_numpy())
    if len(bad):
        raise fail(f"{roles['label']} is empty", int(bad[0]))
    dtypes["label"] = label_raw.dtype
    notes = None
    if "note" in roles:
        dtypes["note"] = df[roles["note"]].dtype
        notes = df[roles["note"]].cast(pl.String, strict=False)

    order = np.argsort(starts, kind="stable")
    s_sorted, e_sorted = starts[order], ends[order]
    over = np.flatnonzero(e_sorted[:-1] > s_sorted[1:])
    if len(over):
        a, b = int(order[over[0]]), int(order[over[0] + 1])
        raise fail(f"overlaps {where.row_name(b)}: [{starts[a]}, {ends[a]}) and [{starts[b]}, {ends[b]}); "
                   "fix the file (overlapping intervals are refused, not silently dropped)", a)

    claimed = set(roles.values())
    extra_cols = tuple(schema.extra_cols) + tuple(c for c in cols if c not in claimed
                                                  and c not in schema.extra_cols)
    idx = pl.Series(order)
    lab_sorted = labels.gather(idx)
    names = lab_sorted.unique(maintain_order=True)
    codes = lab_sorted.replace_strict(names, pl.int_range(len(names), eager=True),
                                      return_dtype=pl.Int32).to_numpy()
    role_of = {c: r for r, c in roles.items()}
    layout = FrameLayout(
        columns=tuple(cols),
        roles=tuple(role_of.get(c, "extra") for c in cols),
        dtypes=tuple(dtypes.get(role_of[c]) if c in role_of else df[c].dtype for c in cols))
    return LabelTable(
        starts=s_sorted, ends=e_sorted, codes=codes, names=names.to_list(),
        notes=notes.gather(idx).to_list() if notes is not None else [None] * len(order),
        extra_cols=extra_cols, extras=[df[c].gather(idx).to_list() for c in extra_cols],
        layout=layout, schema=schema)


def _times(s: pl.Series, fail) -> tuple[np.ndarray, pl.DataType]:
    """Column of seconds as float64, plus the dtype to write it back with."""
    name = s.name
    if s.dtype == pl.String:
        raw = s.str.strip_chars()
        vals = raw.cast(pl.Float64, strict=False)
        bad = np.flatnonzero((vals.is_null() & raw.is_not_null()).to_numpy())
        if len(bad):
            raise fail(f"{name} {raw[int(bad[0])]!r} is not a number", int(bad[0]))
        ints = raw.cast(pl.Int64, strict=False)
        dtype = pl.Int64 if ints.null_count() == raw.null_count() else pl.Float64
    elif s.dtype.is_numeric():
        vals, dtype = s.cast(pl.Float64), s.dtype
    else:
        raise fail(f"column {name} has type {s.dtype}, expected numbers (seconds)")
    nulls = np.flatnonzero(vals.is_null().to_numpy())
    if len(nulls):
        raise fail(f"{name} is empty", int(nulls[0]))
    arr = vals.to_numpy().astype(np.float64, copy=False)
    nonfinite = np.flatnonzero(~np.isfinite(arr))
    if len(nonfinite):
        raise fail(f"{name} is {arr[nonfinite[0]]} (times must be finite numbers)", int(nonfinite[0]))
    huge = np.flatnonzero(np.abs(arr) > MAX_TIME_S)
    if len(huge):  # 1e308 is finite, but spans and sums of such times overflow to inf
        raise fail(f"{name} is {arr[huge[0]]:g}, beyond {MAX_TIME_S:g} s (times must be seconds)", int(huge[0]))
    return arr, dtype


def frame_from_store(store: IntervalStore, schema: IntervalLabelSchema,
                     layout: FrameLayout | None, all_roles: bool = False) -> pl.DataFrame:
    """The intervals as a polars frame with ``schema``'s column names (layout order and dtypes).

    ``all_roles``: write every column the schema names (see :func:`column_order`).
    """
    any_notes = any(n is not None for n in store.notes)
    series = []
    for col, role in column_order(schema, layout, store.extra_cols, any_notes, all_roles):
        dtype = None
        if layout is not None:
            dtype = layout.dtype_of_role(role) if role != "extra" else layout.dtype_of_column(col)
            if dtype is None and role in ("end", "duration"):
                dtype = layout.dtype_of_role("start")   # a derived time column looks like the start
        if role == "start":
            s = _time_back(pl.Series(col, store.starts), dtype)
        elif role == "end":
            s = _time_back(pl.Series(col, store.ends), dtype)
        elif role == "duration":
            s = _time_back(pl.Series(col, store.ends - store.starts), dtype)
        elif role == "label":
            s = _cast_back(pl.Series(col, store.names, pl.String).gather(store.codes), dtype)
        elif role == "note":
            s = _cast_back(pl.Series(col, store.notes, pl.String), dtype)
        else:
            s = _values(col, store.extras[store.extra_cols.index(col)], dtype)
        series.append(s)
    return pl.DataFrame(series)


def _time_back(s: pl.Series, dtype: pl.DataType | None) -> pl.Series:
    if dtype is None or dtype == pl.Float64 or not dtype.is_numeric():
        return s
    if dtype.is_integer():
        v = s.to_numpy()
        if not np.all(v == np.round(v)):
            return s    # an edit made a fractional time: keep float rather than truncate
    return _cast_back(s, dtype)


def _cast_back(s: pl.Series, dtype: pl.DataType | None) -> pl.Series:
    if dtype is None or s.dtype == dtype:
        return s
    try:
        return s.cast(dtype, strict=True)
    except Exception:  # the values no longer fit the old dtype: keep them as they are
        return s


def _values(name: str, values: list, dtype: pl.DataType | None) -> pl.Series:
    try:
        return pl.Series(name, values, dtype=dtype, strict=True)
    except Exception:
        # Mixed or foreign values (e.g. text typed into a number column):
        # keep every value, as text, rather than nulling what does not fit.
        return pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)
