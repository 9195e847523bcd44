"""The agreement report in the app (issue 14): the labels against the other scorers and the suggestions.

The report is ``loupe-tui labels compare``'s, line for line: the same
:func:`~loupe_tui.core.labels.agreement.compare` on the session's epoch length, printed by the
same :func:`~loupe_tui.commands.labels_compare.compare_report`, with the labels as file A (the
reference). The others are each file opened with ``--compare`` and the suggestions
(:func:`~loupe_tui.io.suggest.suggestions_as_labels`, named ``suggestions``); with two or more
of them the report starts on all of them together (Fleiss' kappa), and keys ``1``..``n``
switch to each one alone. ``c`` writes the disagreeing intervals to a CSV beside the labels
file, as ``--csv`` does; Escape closes.

The action ``labels.agreement`` (Alt+G, the palette) opens it through
:class:`~loupe_tui.tui.openers.Openers`, with :meth:`AgreementReport.of`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from loupe_tui.commands.labels_compare import compare_report, write_disagreements
from loupe_tui.core.labels.agreement import Agreement, compare
from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.suggest import suggestions_as_labels

__all__ = ["AgreementReport", "Comparison", "NOTHING", "Report", "comparisons", "disagreements_path", "report"]

#: Disagreeing intervals listed in the report (the CSV has them all).
SHOW = 200
#: Said when there is no other scorer and no suggestion.
NOTHING = ("agreement report: nothing to compare the labels with (no other scorers' files: open --compare "
           "FILE; no suggestions yet)")


@dataclass(frozen=True)
class Comparison:
    """One choice of the report: the labels against ``others``, ``[(name, IntervalLabelSet)]``."""

    title: str
    slug: str                      # in the CSV's name
    others: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class Report:
    """The lines shown, and what they measured (None when the files cannot be compared)."""

    lines: tuple[str, ...]
    agreement: Agreement | None


def comparisons(compare_sets: Sequence, suggestions=None) -> list[Comparison]:
    """What the labels can be compared with: all together (two or more others), then each one.

    ``compare_sets``: ``[(name, IntervalLabelSet)]`` (``ScorerContext.compare``); ``suggestions``:
    a :class:`~loupe_tui.io.suggest.Suggestions` or None.
    """
    others = [(Path(str(name)).name, labels) for name, labels in compare_sets]
    if suggestions is not None:
        others.append(("suggestions", suggestions_as_labels(suggestions)))
    alone = [Comparison(f"against {name}", _slug(Path(name).stem), ((name, labels),)) for name, labels in others]
    return ([Comparison("all together", "all", tuple(others))] if len(others) > 1 else []) + alone


def report(labels, name: str, comparison: Comparison, epoch_s: float | None, show: int = SHOW) -> Report:
    """``labels compare``'s report of ``labels`` (named ``name``, the reference) against the comparison."""
    names = _distinct([name, *(n for n, _ in comparison.others)])
    try:
        result = compare([labels, *(ls for _, ls in comparison.others)], names, epoch_s)
    except LoupeConfigError as exc:
        return Report((str(exc),), None)
    return Report(tuple(compare_report(result, show)), result)


def disagreements_path(labels_path: Path, comparison: Comparison) -> Path:
    """Where ``c`` writes: beside the labels file, ``<stem>.disagreements.<slug>.csv``."""
    return labels_path.with_name(f"{labels_path.stem}.disagreements.{comparison.slug}.csv")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "other"


def _distinct(names: list[str]) -> list[str]:
    """The names, a repeated one numbered (``labels.csv (2)``): the report and the CSV tell them apart."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


class AgreementReport(ModalScreen[str | None]):
    """The agreement report: a choice line, the report (scrollable), a status line.

    Keys: ``1``..``n`` (or Tab / Shift+Tab) choose what the labels are compared with, ``c`` writes
    the disagreeing intervals to a CSV (an earlier one of the same comparison is replaced), Escape
    (or ``q``) closes; it dismisses with what the last CSV written was and where (None: none written).

    Parameters
    ----------
    labels : IntervalLabelSet
        The person's labels (the reference).
    name : str
        Their name in the report (the file's name).
    choices : list of Comparison
        From :func:`comparisons`; the first is shown first.
    epoch_s : float or None
        The epoch length of the comparison (None: from the files, as ``labels compare``).
    csv_beside : Path or None
        The labels file, beside which the CSV goes (None: the labels have no file).
    """

    DEFAULT_CSS = """
    AgreementReport { align: center middle; background: #000000 60%; }
    AgreementReport > #agreement-box {
        width: 110; max-width: 95%; height: 90%; border: round #6e8cff; background: #1c1c26; padding: 0 1;
    }
    AgreementReport #agreement-choices { height: auto; padding-bottom: 1; }
    AgreementReport #agreement-body { height: 1fr; overflow-x: auto; }
    AgreementReport #agreement-text { width: auto; }
    AgreementReport #agreement-status { height: auto; color: #a0a0b0; }
    """

    def __init__(self, labels, name: str, choices: list[Comparison], epoch_s: float | None,
                 csv_beside: Path | None):
        super().__init__()
        self.labels, self.labels_name, self.choices, self.epoch_s = labels, name, list(choices), epoch_s
        self.csv_beside = csv_beside
        self.index = 0
        self._reports: dict[int, Report] = {}
        self.said: str | None = None           # the last CSV written, for the status line once it closes

    @classmethod
    def of(cls, labels, compare_sets: Sequence, suggestions, epoch_s: float | None) -> AgreementReport | None:
        """The report of the person's ``labels`` against ``compare_sets`` (``[(name, IntervalLabelSet)]``)
        and ``suggestions`` (or None), on epochs of ``epoch_s``; None when there is nothing to compare."""
        choices = comparisons(compare_sets, suggestions)
        if not choices:
            return None
        path = labels.source_path or labels.save_path
        return cls(labels, path.name if path is not None else "labels", choices, epoch_s, path)

    @property
    def current(self) -> Report:
        """The report of the chosen comparison (computed once)."""
        if self.index not in self._reports:
            self._reports[self.index] = report(self.labels, self.labels_name, self.choices[self.index], self.epoch_s)
        return self._reports[self.index]

    @property
    def text(self) -> str:
        """The report shown now, as plain text."""
        return "\n".join(self.current.lines)

    def compose(self) -> ComposeResult:
        with Vertical(id="agreement-box"):
            yield Static(id="agreement-choices")
            with VerticalScroll(id="agreement-body"):
                yield Static(id="agreement-text")
            yield Static(id="agreement-status")

    def on_mount(self) -> None:
        self.show()
        self.query_one("#agreement-body").focus()

    def show(self) -> None:
        line = Text("Agreement of the labels ", style="bold")
        for i, c in enumerate(self.choices):
            line.append(f"  {i + 1} {c.title}" if len(self.choices) > 1 else c.title,
                        style="bold reverse" if i == self.index and len(self.choices) > 1 else "")
        self.query_one("#agreement-choices", Static).update(line)
        self.query_one("#agreement-text", Static).update(Text(self.text, no_wrap=True))
        self.query_one("#agreement-body", VerticalScroll).scroll_home(animate=False)
        self.status(self._keys_hint())

    def _keys_hint(self) -> str:
        pick = f"1-{len(self.choices)}: compare with   " if len(self.choices) > 1 else ""
        return f"{pick}c: disagreeing intervals to a CSV   Up/Down/PgUp/PgDn: scroll   Esc: close"

    def status(self, text: str, style: str = "") -> None:
        self.query_one("#agreement-status", Static).update(Text(text, style=style))

    def choose(self, index: int) -> None:
        """Show the report against ``choices[index]``."""
        if 0 <= index < len(self.choices) and index != self.index:
            self.index = index
            self.show()

    def write_csv(self) -> Path | None:
        """Write the shown comparison's disagreeing intervals beside the labels file; say where."""
        result = self.current.agreement
        if result is None:
            self.status("nothing compared: no CSV written", "bold #ff6b6b")
            return None
        if self.csv_beside is None:
            self.status("these labels have no file to write the CSV beside (export them first)", "bold #ff6b6b")
            return None
        out = disagreements_path(self.csv_beside, self.choices[self.index])
        try:
            write_disagreements(out, result)
        except LoupeConfigError as exc:
            self.status(str(exc), "bold #ff6b6b")
            return None
        self.said = f"wrote {len(result.disagreements)} disagreeing intervals to {out}"
        self.status(self.said, "bold #7ee787")
        return out

    def on_key(self, event) -> None:
        key, n = event.key, len(self.choices)
        if key in ("escape", "q"):
            self.dismiss(self.said)
        elif key.isdigit() and key != "0":
            self.choose(int(key) - 1)
        elif key in ("tab", "shift+tab"):
            self.choose((self.index + (1 if key == "tab" else -1)) % n)
        elif key == "c":
            self.write_csv()
        else:
            return                         # scrolling keys go on to the report's scroll view
        event.stop()
        event.prevent_default()
