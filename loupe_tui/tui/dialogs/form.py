"""A small keyboard-only form dialog that the view dialogs are built from.

A :class:`FormDialog` is a modal screen showing rows of :class:`Field` s
(numbers, text, colours, choices, check boxes). Tab / Shift+Tab move between
fields, Enter applies, Escape cancels. Apply validates every field and shows
what is wrong *under its row* (never an exception); only a valid form is
dismissed, with the result dataclass the subclass builds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from loupe_tui.core.colors import parse_color
from loupe_tui.errors import LoupeConfigError

R = TypeVar("R")

__all__ = ["Field", "FormDialog", "KeyCheckbox", "KeySelect", "parse_field"]


@dataclass(frozen=True)
class Field:
    """One input of a form.

    Attributes
    ----------
    key : str
        Name of the value in :meth:`FormDialog.values`.
    label : str
        Short label shown before the widget.
    kind : {"float", "int", "text", "color", "choice", "bool"}
    value : object
        Initial value (a colour may be any form ``parse_color`` reads).
    lo, hi : float, optional
        Inclusive bounds (numbers).
    gt : float, optional
        Exclusive lower bound (e.g. a gain must be > 0).
    optional : bool
        A blank number means None ("automatic").
    choices : sequence of (label, value)
        For ``"choice"``.
    placeholder : str
        Hint shown in an empty text field.
    """

    key: str
    label: str
    kind: str = "float"
    value: Any = None
    lo: float | None = None
    hi: float | None = None
    gt: float | None = None
    optional: bool = False
    choices: tuple[tuple[str, Any], ...] = ()
    placeholder: str = ""


class KeyCheckbox(Checkbox, inherit_bindings=False):
    """A check box toggled by Space only, so that Enter applies the form."""

    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False)]


class KeySelect(Select, inherit_bindings=False):
    """A drop-down opened by Space/Up/Down only, so that Enter applies the form."""

    BINDINGS = [Binding("down,space,up", "show_overlay", "Show menu", show=False)]


def _allowed(field: Field) -> str:
    """``"between 0 and 255"``, ``"more than 0 and at most 1"``, ``"at least 1"`` ..."""
    lower = (f"more than {field.gt:g}" if field.gt is not None
             else f"at least {field.lo:g}" if field.lo is not None else "")
    if field.hi is None:
        return lower
    if field.gt is None and field.lo is not None:
        return f"between {field.lo:g} and {field.hi:g}"
    return f"{lower} and at most {field.hi:g}" if lower else f"at most {field.hi:g}"


def parse_field(field: Field, raw: Any) -> Any:
    """The typed value of ``field`` from its widget's ``raw`` value.

    Raises
    ------
    ValueError
        With a sentence for the user ("must be a number between 0 and 255").
    """
    if field.kind in ("choice", "bool"):
        return raw
    text = str(raw).strip()
    if field.kind == "text":
        return text
    if not text:
        if field.optional:
            return None
        raise ValueError("needs a value")
    if field.kind == "color":
        try:
            return parse_color(text, where="colour")
        except LoupeConfigError as exc:
            raise ValueError(str(exc).removeprefix("colour").strip(" :") or "is not a colour") from None
    try:
        value: float | int = int(text) if field.kind == "int" else float(text)
    except ValueError:
        raise ValueError("must be a whole number" if field.kind == "int" else "must be a number") from None
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if ((field.gt is not None and not value > field.gt) or (field.lo is not None and value < field.lo)
            or (field.hi is not None and value > field.hi)):
        raise ValueError(f"must be {_allowed(field)}")
    return value


def _shown(field: Field) -> str:
    v = field.value
    if v is None:
        return ""
    if field.kind == "color":
        r, g, b, a = parse_color(v)
        return f"#{r:02x}{g:02x}{b:02x}" + ("" if a == 255 else f"{a:02x}")
    return f"{v:g}" if isinstance(v, float) else str(v)


class FormDialog(ModalScreen[R], Generic[R]):
    """Base of the view dialogs: rows of fields, inline errors, Enter/Escape.

    Subclasses set :attr:`TITLE_TEXT` and implement :meth:`rows` and
    :meth:`make_result`; :meth:`check` adds cross-field errors and
    :meth:`on_field_changed` reacts to edits.
    """

    TITLE_TEXT = "Settings"
    HELP_TEXT = "Tab/Shift+Tab: move   Space: tick / open list   Enter: apply   Esc: cancel"

    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog > #form {
        width: auto; min-width: 50; max-width: 110; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    FormDialog .title { text-style: bold; width: 1fr; content-align: center middle; padding-bottom: 1; }
    FormDialog #rows { height: auto; max-height: 30; }
    FormDialog .row { height: auto; width: auto; }
    FormDialog .row > .row-label { width: 20; padding: 1 1 0 0; }
    FormDialog .row > Label.field-label { padding: 1 0 0 1; }
    FormDialog .row > Input { width: 14; }
    FormDialog .row > Input.-wide { width: 28; }
    FormDialog .row > KeySelect { width: 26; }
    FormDialog .row > KeyCheckbox { width: auto; }
    FormDialog .error { color: $error; height: auto; padding-left: 20; }
    FormDialog .error.-empty { display: none; }
    FormDialog #buttons { height: auto; width: auto; padding-top: 1; }
    FormDialog .help { color: $text-muted; height: 1; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("enter", "apply", "Apply")]

    def __init__(self) -> None:
        super().__init__()
        self._rows = self.rows()
        self.fields: dict[str, Field] = {f.key: f for _, fs in self._rows for f in fs}
        self._widgets: dict[str, Widget] = {}
        self._row_of: dict[str, int] = {f.key: i for i, (_, fs) in enumerate(self._rows) for f in fs}

    # -- to implement -------------------------------------------------------------------
    def rows(self) -> list[tuple[str, list[Field]]]:
        """``[(row label, [fields])]`` in display order."""
        raise NotImplementedError

    def make_result(self, values: dict[str, Any]) -> R:
        """The result dataclass from valid ``values``."""
        raise NotImplementedError

    def check(self, values: dict[str, Any]) -> dict[str, str]:
        """Cross-field errors ``{field key: message}`` (default none)."""
        return {}

    def on_field_changed(self, key: str, value: Any) -> None:
        """Called when the user edits field ``key`` (raw widget value)."""

    def first_focus(self) -> str | None:
        """Key of the field to focus first (default: the first)."""
        return None

    # -- building -----------------------------------------------------------------------
    def _widget(self, i: int, f: Field) -> Widget:
        wid = f"f{i}"
        if f.kind == "bool":
            return KeyCheckbox(f.label, bool(f.value), id=wid)
        if f.kind == "choice":
            values = [v for _, v in f.choices]
            return KeySelect(list(f.choices), value=f.value if f.value in values else values[0],
                          allow_blank=False, id=wid)
        classes = "-wide" if f.kind in ("text", "color") else ""
        return Input(_shown(f), placeholder=f.placeholder or ("auto" if f.optional else ""), id=wid,
                     classes=classes)

    def compose(self) -> ComposeResult:
        n = 0
        with Vertical(id="form"):
            yield Label(self.TITLE_TEXT, classes="title")
            with VerticalScroll(id="rows"):
                for r, (label, fields) in enumerate(self._rows):
                    with Horizontal(classes="row"):
                        yield Label(label, classes="row-label")
                        for f in fields:
                            if f.kind != "bool" and len(fields) > 1:
                                yield Label(f.label, classes="field-label")
                            w = self._widget(n, f)
                            self._widgets[f.key] = w
                            n += 1
                            yield w
                    yield Static("", id=f"err{r}", classes="error -empty")
            with Horizontal(id="buttons"):
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")
            yield Static(self.HELP_TEXT, classes="help")

    def on_mount(self) -> None:
        key = self.first_focus()
        target = self._widgets.get(key) if key else next(iter(self._widgets.values()), None)
        if target is not None:
            target.focus()

    # -- values ---------------------------------------------------------------------------
    def raw(self, key: str) -> Any:
        """The widget value of field ``key`` as it is now (text, bool or choice)."""
        return self._widgets[key].value  # type: ignore[attr-defined]

    def set_raw(self, key: str, value: Any) -> None:
        """Put ``value`` into field ``key``'s widget (formatted like the initial value)."""
        w, f = self._widgets[key], self.fields[key]
        if isinstance(w, Input):
            w.value = _shown(Field(f.key, f.label, f.kind, value))
        else:
            w.value = value  # type: ignore[attr-defined]

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """``(values, errors)``: typed values of the valid fields, messages of the others."""
        values, errors = {}, {}
        for key, f in self.fields.items():
            try:
                values[key] = parse_field(f, self.raw(key))
            except ValueError as exc:
                errors[key] = f"{f.label}: {exc}"
        if not errors:
            errors = self.check(values)
        return values, errors

    def show_errors(self, errors: dict[str, str]) -> None:
        by_row: dict[int, list[str]] = {}
        for key, msg in errors.items():
            by_row.setdefault(self._row_of.get(key, 0), []).append(msg)
        for r in range(len(self._rows)):
            box = self.query_one(f"#err{r}", Static)
            box.update("; ".join(by_row.get(r, [])))
            box.set_class(r not in by_row, "-empty")

    @property
    def error_text(self) -> str:
        """Every error shown now, one per line (empty when none)."""
        return "\n".join(str(s.content) for s in self.query(".error") if str(s.content))

    # -- keys -----------------------------------------------------------------------------
    def action_apply(self) -> None:
        values, errors = self.values()
        self.show_errors(errors)
        if errors:
            self.app.bell()
            return
        self.dismiss(self.make_result(values))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_apply() if event.button.id == "apply" else self.action_cancel()

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self, event: Any) -> None:
        for key, w in self._widgets.items():
            if w is event.control:
                self.on_field_changed(key, event.value)


def choices(values: Sequence[Any], labels: Sequence[str] | None = None) -> tuple[tuple[str, Any], ...]:
    """``(label, value)`` pairs for a choice field."""
    return tuple(zip(labels or [str(v) for v in values], values))
