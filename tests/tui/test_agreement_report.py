"""The agreement report in the app (issue 14): ``labels compare``'s report of the labels against the
compared scorers and the suggestions, opened from the palette or Alt+G; kappa checked against
scikit-learn on the same epochs; ``c`` writes the disagreements beside the labels file."""

from __future__ import annotations

import csv
import re
import time

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from textual.command import CommandList

from loupe_tui.api import make_app
from loupe_tui.commands.labels_compare import compare_report
from loupe_tui.config import SpectrogramConfig, TraceConfig
from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.core.labels.agreement import compare
from loupe_tui.core.labels.sleep_stats import excluded_kind
from loupe_tui.tui.dialogs.agreement import NOTHING, AgreementReport, comparisons, disagreements_path, report
from tui_helpers import GAP, WRONG, SIZE, sync, wait_ready



def shown_kappa(text: str) -> float:
    return float(re.search(r"^kappa +([-0-9.]+) ", text, re.M).group(1))


def shown_epochs(text: str) -> tuple[int, int]:
    """``(epochs on the grid, epochs compared)`` from the report's ``epochs`` line."""
    m = re.search(r"^epochs +(\d+) of .*; (\d+) compared$", text, re.M)
    return int(m.group(1)), int(m.group(2))


def state_at(labels, t: float) -> str | None:
    row = labels.at_time(t)
    return None if row is None or excluded_kind(row.label) is not None else row.label


def sklearn_kappa(a, b, mids) -> tuple[float, int]:
    """Cohen's kappa of two scorings read at the epochs' midpoints, over the epochs both scored."""
    pairs = [(x, y) for t in mids if (x := a(t)) is not None and (y := b(t)) is not None]
    return cohen_kappa_score([x for x, _ in pairs], [y for _, y in pairs]), len(pairs)


async def open_report(pilot, how: str = "alt+g") -> AgreementReport:
    app = pilot.app
    if how == "palette":
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"agreement report")
        for _ in range(100):
            await pilot.pause(0.05)
            cl = app.screen.query(CommandList)
            if cl and cl.first().option_count and str(cl.first().get_option_at_index(0).prompt).startswith(
                    "Agreement report"):
                break
        await pilot.press("enter")
    else:
        await pilot.press(how)
    for _ in range(100):
        await pilot.pause(0.05)
        if isinstance(app.screen, AgreementReport):
            await pilot.pause()
            return app.screen
    raise AssertionError(f"no agreement report; status: {app.main.status_bar.message}")


# -- pure parts -------------------------------------------------------------------------------------
def test_choices_all_together_first_then_each_one(demo):
    truth = IntervalLabelSet.read(demo.truth)
    assert comparisons([]) == []
    one = comparisons([("/x/truth.csv", truth)])
    assert [c.title for c in one] == ["against truth.csv"] and one[0].others[0][1] is truth
    two = comparisons([("truth.csv", truth), ("scorer 3", truth)])
    assert [c.title for c in two] == ["all together", "against truth.csv", "against scorer 3"]
    assert [c.slug for c in two] == ["all", "truth", "scorer_3"]
    assert disagreements_path(demo.labels, two[2]).name == "labels.disagreements.scorer_3.csv"


def test_report_is_the_cli_report_and_a_name_used_twice_is_numbered(demo):
    labels, truth = IntervalLabelSet.read(demo.labels), IntervalLabelSet.read(demo.truth)
    got = report(labels, "labels.csv", comparisons([("labels.csv", truth)])[0], 4.0)
    expected = compare_report(compare([labels, truth], ["labels.csv", "labels.csv (2)"], 4.0), 200)
    assert got.lines == tuple(expected) and got.agreement is not None
    empty = report(IntervalLabelSet(), "new.csv", comparisons([("t.csv", truth)])[0], 4.0)
    assert empty.agreement is None and empty.lines == ("new.csv: no labels to compare",)


# -- in the app ---------------------------------------------------------------------------------------
@sync
async def test_palette_opens_the_report_kappa_as_sklearn_and_the_csv(new_app, demo, labels_file):
    app = new_app(compare_labels=[demo.truth])
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        dialog = await open_report(pilot, "palette")
        text = dialog.text
        assert text.splitlines()[:2] == ["A           labels.csv (reference)", "B           truth_hypnogram.csv"]
        labels, truth = app.main.session.labels, IntervalLabelSet.read(demo.truth)
        n_epochs, n_compared = shown_epochs(text)
        mids = 2.0 + 4.0 * np.arange(n_epochs)                          # 4 s epochs from 0
        kappa, n = sklearn_kappa(lambda t: state_at(labels, t), lambda t: state_at(truth, t), mids)
        assert n_compared == n and 0 < n < n_epochs
        assert f"left out    {n_epochs - n} epochs" in text
        assert shown_kappa(text) == pytest.approx(kappa, abs=5e-4)
        assert dialog.current.agreement.kappa == pytest.approx(kappa, abs=1e-9)
        assert "(Cohen's kappa)" in text

        # c: every disagreeing interval, beside the labels file; said in the dialog, then in the status line
        await pilot.press("c")
        await pilot.pause()
        out = labels_file.with_name("labels.disagreements.truth_hypnogram.csv")
        rows = list(csv.reader(out.open()))
        assert rows[0] == ["start_s", "end_s", "epochs", "labels.csv", "truth_hypnogram.csv"]
        assert len(rows) - 1 == len(dialog.current.agreement.disagreements) > 0
        assert str(out) in str(dialog.query_one("#agreement-status").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main
        assert app.main.status_bar.message == f"wrote {len(rows) - 1} disagreeing intervals to {out}"


@sync
async def test_nothing_to_compare_is_one_status_line(new_app):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.press("alt+g")
        await pilot.pause()
        assert app.screen is app.main
        assert app.main.status_bar.message == NOTHING


@sync
async def test_labels_against_the_suggestions_and_all_together(demo, pyramid_cache, scored):
    traces = TraceConfig.from_path(demo.recording, group=demo.eeg_group)
    spectral = SpectrogramConfig(traces.data, channel="EEG", emg_channel="EMG")
    app = make_app([traces, spectral], interval_labels=scored, state_definitions="rodent_sleep", window=False,
                   cache_dir=pyramid_cache, title="demo", compare_labels=[demo.truth])
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        review = app.main.suggestions
        t = time.monotonic()
        while review.current is None:
            await pilot.pause(0.05)
            assert time.monotonic() - t < 90, f"no suggestions came ({review.problem})"
        s = review.current
        dialog = await open_report(pilot)
        assert [c.title for c in dialog.choices] == ["all together", "against truth_hypnogram.csv",
                                                     "against suggestions"]
        assert "(Fleiss' kappa)" in dialog.text and "C           suggestions" in dialog.text

        await pilot.press("3")
        await pilot.pause()
        text = dialog.text
        assert text.splitlines()[:2] == ["A           scored.csv (reference)", "B           suggestions"]
        labels = app.main.session.labels

        def suggested(t: float) -> str | None:
            k = int((t - s.first) // s.step_s)
            return s.state_at(k)[0] if 0 <= k < s.n_epochs else None
        n_epochs, n_compared = shown_epochs(text)
        mids = 2.0 + 4.0 * np.arange(n_epochs)
        kappa, n = sklearn_kappa(lambda t: state_at(labels, t), suggested, mids)
        assert n_compared == n and n < n_epochs                           # the gap is left out
        assert shown_kappa(text) == pytest.approx(kappa, abs=5e-4)
        assert f"left out    {n_epochs - n} epochs" in text

        await pilot.press("tab")                                          # on to the first again
        await pilot.pause()
        assert dialog.index == 0 and "(Fleiss' kappa)" in dialog.text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main
