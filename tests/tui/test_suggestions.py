"""Suggestions in the app (issue 14): the trainer starts once the spectral views are open, the strip
shows them, the review keys accept (one undo step for many) and jump, the GL window is sent the layers,
and keys stay fast while the model trains."""

from __future__ import annotations

import time

import numpy as np
import pytest

from loupe_tui import protocol as P
from loupe_tui.api import make_app
from loupe_tui.config import SpectrogramConfig, TraceConfig
from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.io.suggest import LabelSnapshot, sidecar_path
from loupe_tui.tui.suggestions import BLIND_RESEND_S, disagreements, layer_runs, revealed_epochs, unscored
from tui_helpers import FakeLink, GAP, WRONG, SIZE, screen_text, sync, wait_ready



@pytest.fixture
def review_app(demo, pyramid_cache, scored):
    def make(**kw):
        traces = TraceConfig.from_path(demo.recording, group=demo.eeg_group)
        spectral = SpectrogramConfig(traces.data, channel="EEG", emg_channel="EMG")
        args = dict(interval_labels=scored, state_definitions="rodent_sleep", window=False,
                    cache_dir=pyramid_cache, title="demo")
        args.update(kw)
        return make_app([traces, spectral], **args)
    return make


async def wait_suggestions(pilot, timeout: float = 90.0):
    await wait_ready(pilot)
    review = pilot.app.screen.suggestions
    t = time.monotonic()
    while review.current is None:
        await pilot.pause(0.05)
        assert time.monotonic() - t < timeout, f"no suggestions came ({review.problem})"
    await pilot.pause()
    return review


def cursor_epoch(screen) -> tuple[float, float]:
    return screen.session.epoch_bounds()


# -- pure helpers ---------------------------------------------------------------------------------
def test_layer_runs_merge_equal_state_and_confidence():
    codes = np.array([0, 0, 0, 1, -1, 1, 1])
    conf = np.array([0.91, 0.92, 0.70, 0.99, np.nan, 0.99, 1.0])
    starts, ends, names, c = layer_runs(codes, conf, 10.0, 4.0, ("Wake", "NREM"))
    assert names == ("Wake", "Wake", "NREM", "NREM")
    assert starts == (10.0, 18.0, 22.0, 30.0) and ends == (18.0, 22.0, 26.0, 38.0)
    assert c == (0.9, 0.7, 1.0, 1.0)


def test_unscored_and_disagreements():
    starts, ends = np.array([0.0, 10.0]), np.array([4.0, 12.0])
    a = np.array([0.0, 4.0, 8.0, 11.0])
    assert unscored(starts, ends, a, a + 4).tolist() == [False, True, False, False]
    x, y, z = np.array([0, 1, -1, 2]), np.array([0, 2, 1, 2]), np.array([1, 1, 1, 2])
    assert disagreements([x, y], [(0, 1)]).tolist() == [False, True, False, False]
    assert disagreements([x, y, z], [(0, 1), (0, 2)]).tolist() == [True, True, False, False]


# -- in the app ---------------------------------------------------------------------------------------
@sync
async def test_suggestions_train_show_accept_and_jump(review_app, scored, demo):
    truth = IntervalLabelSet.read(demo.truth)
    app = review_app(compare_labels=[demo.truth])
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        link = screen.bridge.link = FakeLink()
        review = await wait_suggestions(pilot)
        s = review.current
        assert s.states == ("Wake", "NREM", "REM")             # the keymap's, without Artifact
        assert sidecar_path(scored).exists()                   # kept beside the labels file

        # the strips: suggested, and the other scorer by its file name
        text = screen_text(app)
        assert "suggest" in text and "truth_hy" in text
        strip = screen.suggestion_strip
        assert strip.display and strip.styles.height.value == 2

        # the GL window was sent the suggestions as a layer (runs merged)
        layers = [m for m in link.sent if isinstance(m, P.SetLabelLayer)]
        assert layers and layers[-1].name == "suggestions" and layers[-1].title == "suggested"
        assert len(layers[-1].starts) < s.n_epochs and set(layers[-1].labels) <= set(s.states)
        names = [m.name for m in screen.suggestions.layer_messages()]
        assert names == ["suggestions", "compare:0"]

        # accept and advance: the gap's first epoch gets its suggestion, the cursor moves on
        screen.run_safely(lambda: screen.session.set_window_len(240))      # the window holds the gap
        screen.run_safely(lambda: screen.session.goto(GAP[0]))
        await pilot.press("semicolon")
        await pilot.pause()
        assert screen.session.labels.at_time(GAP[0] + 1).label == "NREM"
        assert cursor_epoch(screen)[0] == GAP[0] + 4

        # accept the window: the rest of the gap in one edit, one undo step
        n_undo = len(screen.session.labels.starts)
        await pilot.press("alt+a")
        await pilot.pause()
        ls = screen.session.labels
        a = np.arange(GAP[0], GAP[1], 4.0)
        assert not unscored(ls.starts, ls.ends, a, a + 4).any()
        assert ls.at_time(GAP[1] - 1).label == "NREM"
        await pilot.press("ctrl+z")
        await pilot.pause()
        ls = screen.session.labels
        assert unscored(ls.starts, ls.ends, a[1:], a[1:] + 4).all()      # all of it back: one step
        assert ls.at_time(GAP[0] + 1).label == "NREM"                     # the single accept stays
        assert len(ls.starts) == n_undo

        # the disagreement jump: labels REM at WRONG, the truth (and the model) say NREM
        screen.run_safely(lambda: screen.session.goto_epoch(0))
        await pilot.press("alt+d")
        await pilot.pause()
        t = cursor_epoch(screen)[0]
        assert t <= WRONG[0]
        k = review.index(t)
        said = {screen.session.labels.at_time(t + 1).label, truth.at_time(t + 1).label, s.state_at(k)[0]}
        assert len(said) > 1, said
        while cursor_epoch(screen)[0] < WRONG[0]:
            await pilot.press("alt+d")
            await pilot.pause()
        assert cursor_epoch(screen)[0] == WRONG[0]

        # the unsure jump: with a threshold of 1, the first epoch whose confidence is below it
        screen.run_safely(lambda: review.set_threshold("1"))
        screen.run_safely(lambda: screen.session.goto_epoch(0))
        j0 = review.index(cursor_epoch(screen)[0])
        await pilot.press("alt+n")
        await pilot.pause()
        k = review.index(cursor_epoch(screen)[0])
        low = np.flatnonzero((s.codes >= 0) & (s.confidence < 1.0))
        assert k == int(low[low > j0][0])


@sync
async def test_accept_run_is_one_undo_step_and_moves_past_the_run(review_app):
    app = review_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        review = await wait_suggestions(pilot)
        screen.run_safely(lambda: screen.session.goto(GAP[0] + 20))
        await pilot.press("alt+r")
        await pilot.pause()
        ls = screen.session.labels
        a = np.arange(GAP[0], GAP[1], 4.0)
        assert not unscored(ls.starts, ls.ends, a, a + 4).any()
        s, j = review.current, review.index(GAP[0] + 20)
        end = j
        while end < s.n_epochs and s.codes[end] == s.codes[j]:
            end += 1
        assert cursor_epoch(screen)[0] == pytest.approx(s.first + end * s.step_s)
        await pilot.press("ctrl+z")
        await pilot.pause()
        ls = screen.session.labels
        assert unscored(ls.starts, ls.ends, a, a + 4).all()


@sync
async def test_too_few_scored_epochs_is_said_once(review_app, tmp_path, demo):
    few = tmp_path / "few.csv"
    labels = IntervalLabelSet.read(demo.truth)
    labels.clear_range(0, 400)                    # leaves too few Wake/REM epochs
    labels.save_as(few)
    app = review_app(interval_labels=few)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_ready(pilot)
        t = time.monotonic()
        while screen.suggestions.problem is None:
            await pilot.pause(0.05)
            assert time.monotonic() - t < 90
        assert "needed" in screen.status_bar.message and "no suggestions yet" in screen.status_bar.message
        await pilot.press("w")                       # an edit: retrains, still too few: not said again
        trainings = screen.suggestions.trainer.trainings
        await pilot.pause(1.6)                       # past the trainer's 1 s debounce
        assert screen.suggestions.trainer.trainings == trainings          # nothing trained
        assert "no suggestions yet" not in screen.status_bar.message
        await pilot.press("semicolon")
        await pilot.pause()
        assert "no suggestions" in screen.status_bar.message


@sync
async def test_keys_stay_fast_while_the_model_trains(review_app):
    """Key handling (press_key) while the trainer retrains after every edit: p95 printed, loosely bounded."""
    app = review_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        review = await wait_suggestions(pilot)
        trained = review.trainer.trainings
        screen.key_ms.clear()
        for i in range(60):
            await pilot.press("n" if i % 2 else "w", "comma")   # an edit (retrain asked) and a step back
            review.trainer.submit(LabelSnapshot.of(screen.session.labels), now=True)   # train at once
        t = time.monotonic()
        while review.trainer.trainings == trained and time.monotonic() - t < 30:
            await pilot.pause(0.05)
        p95 = float(np.percentile(screen.key_ms, 95))
        print(f"keypress p95 while training: {p95:.2f} ms over {len(screen.key_ms)} keys")
        assert review.trainer.trainings > trained
        assert p95 < 50


# -- blind scoring ------------------------------------------------------------------------------------
def test_revealed_epochs_need_half_of_the_epoch_labelled():
    starts, ends = np.array([0.0, 6.0, 13.0]), np.array([4.0, 9.0, 16.0])
    # epochs [0,4) all, [4,8) 2 s, [8,12) 1 s, [12,16) 3 s, [16,20) none
    assert revealed_epochs(starts, ends, 0.0, 4.0, 5).tolist() == [True, True, False, True, False]
    assert revealed_epochs(np.array([]), np.array([]), 0.0, 4.0, 3).tolist() == [False] * 3


def overlaps(layer, a, b) -> bool:
    return any(s < b and e > a for s, e in zip(layer.starts, layer.ends))


@sync
async def test_blind_mode_shows_others_only_where_the_person_has_scored(review_app, demo):
    app = review_app(compare_labels=[demo.truth], blind=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        link = screen.bridge.link = FakeLink()
        review = await wait_suggestions(pilot)
        assert "blind" in screen.status_bar.message
        layers = {m.name: m for m in review.layer_messages()}
        assert set(layers) == {"suggestions", "compare:0"}
        for layer in layers.values():              # the unscored gap: nothing of the others shown
            assert not overlaps(layer, *GAP) and overlaps(layer, 0, GAP[0])

        # the terminal strips: hidden (no state) over the gap, shown before it
        rows = review.strip_rows(GAP[0] - 40, GAP[1], 50)
        ts = GAP[0] - 40 + (np.arange(50) + 0.5) * ((GAP[1] - GAP[0] + 40) / 50)
        in_gap = (ts >= GAP[0]) & (ts < GAP[1])
        for row in rows:
            assert all(s is None for s, g in zip(row.states, in_gap) if g)
            assert all(s is not None for s, g in zip(row.states, in_gap) if not g)

        # accepting is off; the labels are untouched
        screen.run_safely(lambda: screen.session.set_window_len(240))
        screen.run_safely(lambda: screen.session.goto(GAP[0]))
        for key in ("semicolon", "alt+a", "alt+r"):
            await pilot.press(key)
            await pilot.pause()
            assert "blind scoring" in screen.status_bar.message
            assert screen.session.labels.at_time(GAP[0] + 1) is None

        # the person scores the gap's first epoch: the others show there, in the GL window a moment later
        link.sent.clear()
        await pilot.press("n")
        await pilot.pause(BLIND_RESEND_S + 0.3)
        sent = {m.name: m for m in link.sent if isinstance(m, P.SetLabelLayer)}
        assert set(sent) == {"suggestions", "compare:0"}
        for layer in sent.values():
            assert overlaps(layer, GAP[0], GAP[0] + 4) and not overlaps(layer, GAP[0] + 4, GAP[1])
        row = review.strip_rows(GAP[0], GAP[0] + 8, 2)[0]
        assert row.states[0] == "NREM" and row.states[1] is None

        # the disagreement jump stays on scored epochs: none is in the rest of the gap
        screen.run_safely(lambda: screen.session.goto(GAP[0] + 4))
        await pilot.press("alt+d")
        await pilot.pause()
        t = cursor_epoch(screen)[0]
        assert t >= GAP[1] or (t == GAP[0] + 4 and "(blind)" in screen.status_bar.message)

        # the agreement report would tell the others' scoring: refused while blind
        await pilot.press("alt+g")
        await pilot.pause()
        assert "blind scoring: the agreement report" in screen.status_bar.message
        assert app.screen is screen

        # Alt+H: everything shows in both windows
        link.sent.clear()
        await pilot.press("alt+h")
        await pilot.pause()
        assert not review.blind and "blind scoring off" in screen.status_bar.message
        sent = {m.name: m for m in link.sent if isinstance(m, P.SetLabelLayer)}
        assert all(overlaps(layer, GAP[0] + 4, GAP[1]) for layer in sent.values())
        assert review.strip_rows(GAP[0] + 4, GAP[1], 4)[0].states[-1] == "NREM"
