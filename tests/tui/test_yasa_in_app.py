"""YASA's pretrained staging as the app's suggestions (issue 14: human PSG in 30 s epochs): ``open
--suggest yasa`` shows them before anything is scored, ``;`` accepts them, and without the extra the
app says what to install."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from loupe_tui.api import make_app
from loupe_tui.cli import build_parser
from loupe_tui.commands.open import CLI_CONTEXT, build_view_args
from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.suggest import yasa_staging
from loupe_tui.io.suggest.yasa_staging import EXTRA, Channel, missing_packages, stage
from tui_helpers import SIZE, sync, wait_ready

DREAMS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "edf" / "dreams"


@pytest.fixture(scope="module")
def extra():
    missing = missing_packages()
    if missing and os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI must install the yasa extra ({EXTRA}): {', '.join(missing)} missing")
    if missing:
        pytest.skip(f"the yasa extra is not installed ({', '.join(missing)}): {EXTRA}")


@pytest.fixture(scope="module")
def psg(tmp_path_factory):
    """DREAMS excerpt 1 (30 min of C3-A1 at 100 Hz, read from ../shared/data) as a lab's EDF."""
    from edfio import Edf, EdfSignal

    src = DREAMS / "excerpt1.txt"
    if not src.exists():
        pytest.skip(f"the DREAMS excerpts are not under {DREAMS}")
    with open(src) as f:
        assert f.readline().strip() == "[C3-A1]"
        x = np.loadtxt(f)
    path = tmp_path_factory.mktemp("psg") / "excerpt1.edf"
    Edf([EdfSignal(x, sampling_frequency=100.0, label="C3-A1", physical_dimension="uV")]).write(path)
    return path


def open_app(psg, tmp_path, *extra_args):
    args = build_parser().parse_args(["open", str(psg), "--spectrogram", "C3-A1", "--epoch", "30", "--no-window",
                                      "--keymap", "aasm_human", "--labels", str(tmp_path / "scored.csv"),
                                      "--cache-dir", str(tmp_path / "cache"), *extra_args])
    return make_app(**build_view_args(args), **CLI_CONTEXT)


@sync
async def test_open_suggest_yasa_stages_before_anything_is_scored(extra, psg, tmp_path):
    from edfio import read_edf

    edf = read_edf(psg)
    expected = stage(Channel("C3-A1", "eeg", edf.signals[0].data, 100.0, 0.0))
    app = open_app(psg, tmp_path, "--suggest", "yasa")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_ready(pilot)
        review = screen.suggestions
        t = time.monotonic()
        while review.current is None:
            await pilot.pause(0.1)
            assert time.monotonic() - t < 120, f"no suggestions: {review.problem}"
        s = review.current
        assert review.trainer is None and len(screen.session.labels) == 0
        assert s.n_epochs == 60 and s.step_s == 30.0 and s.model.startswith("YASA")
        assert s.codes.tolist() == expected.codes.tolist()
        assert "YASA staging" in screen.status_bar.message
        # the review keys work on them as on the classifier's: accept three epochs from the start
        for _ in range(3):
            await pilot.press("semicolon")
            await pilot.pause()
        labels = screen.session.labels
        got = [labels.at_time(30 * k + 1).label for k in range(3)]
        assert got == [s.states[c] for c in s.codes[:3]]
        assert screen.session.epoch_bounds()[0] == 90.0


def test_open_suggest_yasa_needs_an_eeg_and_eog_needs_yasa(extra, psg, tmp_path):
    with pytest.raises(LoupeConfigError, match=r"--suggest yasa: name the EEG to stage with --spectrogram"):
        build_view_args(build_parser().parse_args(["open", str(psg), "--suggest", "yasa"]))
    with pytest.raises(LoupeConfigError, match=r"--eog: only --suggest yasa"):
        build_view_args(build_parser().parse_args(["open", str(psg), "--eog", "C3-A1"]))


@sync
async def test_without_the_extra_the_palette_choice_says_what_to_install(psg, tmp_path, monkeypatch):
    # The extra is installed here (CI installs it); its absence is what missing_packages() reports,
    # so that is what stands in for an environment without it.
    monkeypatch.setattr(yasa_staging, "missing_packages", lambda: ["lightgbm", "yasa"])
    app = open_app(psg, tmp_path, "--suggest", "off")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_ready(pilot)
        choices = dict(app.palette_choices())
        assert "YASA staging of C3-A1" in choices
        choices["YASA staging of C3-A1"]()
        await pilot.pause()
        assert screen.status_bar.message == (f"YASA staging needs the yasa extra (lightgbm, yasa not installed): "
                                             f"{EXTRA}")
        assert screen.suggestions.current is None
