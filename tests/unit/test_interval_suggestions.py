"""Suggestions read per label interval (``io/suggest/intervals.py``): the vectorised reading
agrees with a plain loop over every interval and epoch, and known cases read as a person would."""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
import pytest

from loupe_tui.io.suggest import Suggestions, interval_suggestions

STATES = ("Wake", "NREM", "REM")


def make_suggestions(codes, confidence, first=0.0, step=4.0, states=STATES) -> Suggestions:
    return Suggestions(tuple(states), np.asarray(codes, np.int8), np.asarray(confidence, np.float32), first, step,
                       0, MappingProxyType({}), 0.0, 0.0, "")


def slow_reading(sugg: Suggestions, starts, ends):
    """Per interval, every epoch's overlap added to its candidate: the definition, one at a time."""
    n_states = len(sugg.states)
    codes, confs, shares = [], [], []
    for a, b in zip(starts, ends):
        weight = [0.0] * (n_states + 1)
        conf = [0.0] * n_states
        for k in range(sugg.n_epochs):
            e0, e1 = sugg.first + k * sugg.step_s, sugg.first + (k + 1) * sugg.step_s
            overlap = max(0.0, min(b, e1) - max(a, e0)) / sugg.step_s
            c = int(sugg.codes[k])
            weight[c if c >= 0 else n_states] += overlap
            if c >= 0:
                conf[c] += overlap * float(sugg.confidence[k])
        order = sorted(range(n_states + 1), key=lambda s: weight[s], reverse=True)
        best, second = order[0], order[1]
        if best < n_states and weight[best] > 1e-6 and weight[best] - weight[second] > 1e-6:
            codes.append(best)
            confs.append(conf[best] / weight[best])
            shares.append(weight[best] / sum(weight))
        else:
            codes.append(-1)
            confs.append(math.nan)
            shares.append(0.0)
    return np.array(codes), np.array(confs), np.array(shares)


def test_an_interval_gets_the_state_suggested_for_most_of_it_and_their_mean_confidence():
    #             epochs: 0 [0,4)   1 [4,8)   2 [8,12)  3 [12,16)  4 [16,20)  5 [20,24)
    sugg = make_suggestions([1, 1, 2, -1, -1, 0], [0.9, 0.7, 0.6, np.nan, np.nan, 0.95])
    starts = np.array([0.0, 2.0, 6.0, 12.0, 14.0, 20.0, 30.0])
    ends = np.array([8.0, 12.0, 10.0, 20.0, 22.0, 20.0, 34.0])
    got = interval_suggestions(sugg, starts, ends)
    # [0, 8): NREM twice; [2, 12): NREM 1.5 epochs vs REM 1; [6, 10): NREM half, REM half: a tie;
    # [12, 20): no suggestion at all; [14, 22): none 1.5 epochs vs Wake 0.5: none wins;
    # [20, 20) is empty; [30, 34) is off the grid
    assert got.codes.tolist() == [1, 1, -1, -1, -1, -1, -1]
    assert got.confidence[0] == pytest.approx(0.8)
    # weighted by overlap: half of epoch 0 at 0.9, all of epoch 1 at 0.7
    assert got.confidence[1] == pytest.approx((0.5 * 0.9 + 0.7) / 1.5)
    assert got.share[:2].tolist() == pytest.approx([1.0, 0.6])
    assert np.isnan(got.confidence[2:]).all() and (got.share[2:] == 0).all()


def test_the_vectorised_reading_matches_the_slow_loop_on_random_data():
    rng = np.random.default_rng(7)
    n = 300
    codes = rng.integers(-1, 3, n)
    conf = np.where(codes >= 0, rng.uniform(0.34, 1.0, n), np.nan)
    sugg = make_suggestions(codes, conf, first=10.0, step=4.0)
    # epoch-aligned intervals (many ties and whole epochs) and arbitrary ones, some past either end
    k0 = rng.integers(-5, n + 5, 200)
    aligned_a = 10.0 + 4.0 * k0
    aligned_b = aligned_a + 4.0 * rng.integers(0, 6, 200)
    free_a = rng.uniform(-20.0, 10.0 + 4.0 * n + 20.0, 400)
    free_b = free_a + rng.exponential(10.0, 400)
    starts, ends = np.concatenate([aligned_a, free_a]), np.concatenate([aligned_b, free_b])
    got = interval_suggestions(sugg, starts, ends)
    want_codes, want_conf, want_share = slow_reading(sugg, starts, ends)
    assert got.codes.tolist() == want_codes.tolist()
    np.testing.assert_allclose(got.confidence, want_conf, rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(got.share, want_share, rtol=1e-5)
    assert (got.codes == -1).sum() > 50 and (got.codes >= 0).sum() > 300     # both kinds were exercised
    # read among many more (in several chunks), each interval reads the same
    many = interval_suggestions(sugg, np.concatenate([np.tile(free_a, 100), starts]),
                                np.concatenate([np.tile(free_b, 100), ends]))
    assert many.codes[-len(starts):].tolist() == want_codes.tolist()
    np.testing.assert_allclose(many.confidence[-len(starts):], want_conf, rtol=1e-5, equal_nan=True)


def test_no_epochs_or_no_intervals_read_as_no_suggestion():
    empty = make_suggestions([], [])
    got = interval_suggestions(empty, np.array([0.0, 5.0]), np.array([4.0, 9.0]))
    assert got.codes.tolist() == [-1, -1] and np.isnan(got.confidence).all()
    none = interval_suggestions(make_suggestions([0, 1], [0.9, 0.9]), np.zeros(0), np.zeros(0))
    assert len(none.codes) == len(none.confidence) == len(none.share) == 0

