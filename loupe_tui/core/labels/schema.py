"""Which user-named columns of a labels table mean what.

:class:`IntervalLabelSchema` is Loupe's schema (same fields, same defaults):
it maps the user's column names onto the roles *start*, *end*, *duration*,
*label*, *note* and *extra*. :class:`FrameLayout` remembers how a table that
was read looked (column order, roles, dtypes) so that writing it back
reproduces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from loupe_tui.errors import LoupeConfigError

#: Roles a column can play; ``extra`` columns are carried along unchanged.
ROLES = ("start", "end", "duration", "label", "note")

#: ``end`` and ``start + duration`` may differ by this much (seconds) and still
#: agree: durations written by other tools are often rounded to microseconds.
AGREE_ABS_TOL = 1e-6
AGREE_REL_TOL = 1e-9


@dataclass(frozen=True)
class IntervalLabelSchema:
    """User column names for the roles of an interval-labels table.

    Rows are half-open intervals ``[start, end)`` in seconds.

    Parameters
    ----------
    start_col : str
        Column holding interval starts (seconds).
    end_col : str or None
        Column holding interval ends. At least one of ``end_col`` and
        ``duration_col`` must be given; when a file has both columns they
        must agree on every row.
    duration_col : str or None
        Column holding interval durations (``end - start``).
    label_col : str
        Column holding the state label.
    note_col : str or None
        Optional free-text note column (a file may lack it).
    extra_cols : tuple of str
        Further columns to show in the label table. Columns of a file that the
        schema does not name are kept too (after these), so nothing is lost.

    The default is Loupe's legacy CSV schema ``start_s,end_s,label,note``.
    """

    start_col: str = "start_s"
    end_col: str | None = "end_s"
    duration_col: str | None = None
    label_col: str = "label"
    note_col: str | None = "note"
    extra_cols: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        extras = self.extra_cols
        if isinstance(extras, str):
            extras = tuple(c.strip() for c in extras.split(",") if c.strip())
        object.__setattr__(self, "extra_cols", tuple(extras))
        for name in ("start_col", "label_col"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise LoupeConfigError(f"IntervalLabelSchema.{name} must be a non-empty column name")
        for name in ("end_col", "duration_col", "note_col"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, str) or not v):
                raise LoupeConfigError(f"IntervalLabelSchema.{name} must be a column name or None")
        if self.end_col is None and self.duration_col is None:
            raise LoupeConfigError("IntervalLabelSchema needs end_col or duration_col (or both)")
        names = [n for n in (*self.role_columns().values(), *self.extra_cols)]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise LoupeConfigError(f"IntervalLabelSchema: column {dupes[0]!r} is used for two roles")

    def role_columns(self) -> dict[str, str]:
        """``{role: user column name}`` for the roles this schema names."""
        named = {"start": self.start_col, "end": self.end_col, "duration": self.duration_col,
                 "label": self.label_col, "note": self.note_col}
        return {r: c for r, c in named.items() if c is not None}

    def describe(self) -> str:
        """One-line summary, e.g. ``start_s,end_s,label,note``."""
        return ",".join([*self.role_columns().values(), *self.extra_cols])


#: Loupe's legacy CSV schema: ``start_s,end_s,label,note``.
LEGACY_SCHEMA = IntervalLabelSchema()


def as_schema(value: object, param: str = "schema") -> IntervalLabelSchema | None:
    """``value`` as a schema: None, an :class:`IntervalLabelSchema`, or a dict of its fields.

    ``{"start_col": "onset", "end_col": None, "duration_col": "dur"}`` is
    ``IntervalLabelSchema(**dict)``. Anything else raises a one-line
    :class:`LoupeConfigError` naming ``param``.
    """
    if value is None or isinstance(value, IntervalLabelSchema):
        return value
    if isinstance(value, dict):
        fields = ("start_col", "end_col", "duration_col", "label_col", "note_col", "extra_cols")
        unknown = [k for k in value if k not in fields]
        if unknown:
            raise LoupeConfigError(f"{param}: unknown field(s) {', '.join(map(repr, unknown))} "
                                   f"(fields: {', '.join(fields)})")
        try:
            return IntervalLabelSchema(**value)
        except LoupeConfigError as exc:
            raise LoupeConfigError(f"{param}: {exc}") from None
    raise LoupeConfigError(f"{param}: must be an IntervalLabelSchema or a dict of its fields "
                           f"(start_col, end_col, ...), got {type(value).__name__} {value!r}")


@dataclass(frozen=True)
class FrameLayout:
    """How a table looked when it was read: column order, role and dtype of each.

    Writing a labels set with the schema it was read with reproduces this
    layout (same column order, same dtypes where the values allow).
    """

    columns: tuple[str, ...]
    roles: tuple[str, ...]          # one of ROLES or "extra"
    dtypes: tuple[pl.DataType, ...]

    def dtype_of_role(self, role: str) -> pl.DataType | None:
        for r, d in zip(self.roles, self.dtypes):
            if r == role:
                return d
        return None

    def dtype_of_column(self, name: str) -> pl.DataType | None:
        for c, d in zip(self.columns, self.dtypes):
            if c == name:
                return d
        return None

    def has_role(self, role: str) -> bool:
        return role in self.roles


def column_order(schema: IntervalLabelSchema, layout: FrameLayout | None,
                 extra_cols: Iterable[str], any_notes: bool, all_roles: bool = False) -> list[tuple[str, str]]:
    """The ``(column, role)`` list to write for ``schema``.

    Keeps the order of ``layout`` (mapping each role to the schema's name for
    it), drops roles the schema does not name, and adds what is missing: an
    end or duration column only if neither is present, a note column when the
    set is new (no layout), the file had one, or some interval has a note.
    With ``all_roles`` (an output schema asked for explicitly) every role the
    schema names is written, missing ones added at their usual place
    (``start, end, duration, label, note``), an empty note column included.
    """
    names = schema.role_columns()
    extras = list(extra_cols)
    clash = [(r, c) for r, c in names.items() if c in extras]
    if clash:
        raise LoupeConfigError(f"column {clash[0][1]!r} is an extra column of these labels and cannot "
                               f"also be the {clash[0][0]} column; choose another name")
    out: list[tuple[str, str]] = []
    if layout is not None:
        for col, role in zip(layout.columns, layout.roles):
            if role == "extra":
                if col in extras:
                    out.append((col, "extra"))
            elif role in names:
                out.append((names[role], role))
    present = {r for _, r in out}

    def insert_after(role: str, after: tuple[str, ...]) -> None:
        pos = 0
        for k, (_, r) in enumerate(out):
            if r in after:
                pos = k + 1
        out.insert(pos, (names[role], role))
        present.add(role)

    if "start" not in present:
        insert_after("start", ())
    if all_roles:
        for role in ("end", "duration"):
            if role in names and role not in present:
                insert_after(role, ("start", "end"))
    elif not present & {"end", "duration"}:
        for role in ("end", "duration"):
            if role in names and (layout is None or role == "end" or "end" not in names):
                insert_after(role, ("start", "end"))
    if "label" not in present:
        insert_after("label", ("start", "end", "duration"))
    if "note" in names and "note" not in present and (all_roles or layout is None or any_notes):
        insert_after("note", ("label",))
    for col in extras:
        if (col, "extra") not in out:
            out.append((col, "extra"))
    return out
