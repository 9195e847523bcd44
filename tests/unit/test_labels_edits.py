"""IntervalLabelSet edits, queries and diffs (in memory, no files)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from loupe_tui.core.labels import IntervalLabelSchema, IntervalLabelSet, LabelDiff, LabelRow
from loupe_tui.errors import LoupeConfigError


def spans(ls: IntervalLabelSet) -> list[tuple[float, float, str]]:
    return [(r.start, r.end, r.label) for r in ls]


@pytest.fixture
def three() -> IntervalLabelSet:
    ls = IntervalLabelSet()
    ls.add(0, 30, "W")
    ls.add(30, 60, "N2")
    ls.add(90, 120, "REM")
    return ls


def test_add_to_empty_returns_diff():
    ls = IntervalLabelSet()
    d = ls.add(0, 30, "W")
    assert isinstance(d, LabelDiff) and d
    assert d.removed == () and d.added == (LabelRow(0.0, 30.0, "W"),)
    assert (d.t0, d.t1) == (0.0, 30.0)
    assert spans(ls) == [(0, 30, "W")]


def test_add_inside_splits_and_replaces(three):
    d = three.add(10, 20, "REM")
    assert spans(three) == [(0, 10, "W"), (10, 20, "REM"), (20, 30, "W"), (30, 60, "N2"), (90, 120, "REM")]
    assert d.removed == (LabelRow(0.0, 30.0, "W"),)
    assert (d.t0, d.t1) == (0.0, 30.0)


def test_add_across_several_intervals_replaces_covered_parts(three):
    three.add(20, 100, "N3")
    assert spans(three) == [(0, 20, "W"), (20, 100, "N3"), (100, 120, "REM")]


def test_add_merges_with_touching_same_label_neighbours(three):
    three.add(60, 90, "N2")
    assert spans(three) == [(0, 30, "W"), (30, 90, "N2"), (90, 120, "REM")]
    three.add(90, 120, "N2")      # replaces REM and merges on the left
    assert spans(three) == [(0, 30, "W"), (30, 120, "N2")]


def test_add_same_label_over_itself_is_a_noop(three):
    d = three.add(5, 25, "W")
    assert not d and math.isnan(d.t0)
    three.undo()                  # the no-op was not recorded: undo reverts the last real add
    assert spans(three)[-1] == (30, 60, "N2")


def test_a_noted_epoch_does_not_merge_with_unnoted_neighbours():
    ls = IntervalLabelSet()
    ls.add(0, 30, "N2", note="spindles")
    ls.add(30, 60, "N2")
    ls.add(60, 90, "N2")
    assert list(ls) == [LabelRow(0.0, 30.0, "N2", "spindles"), LabelRow(30.0, 90.0, "N2")]


def test_a_note_inside_a_bout_stays_on_its_epoch():
    ls = IntervalLabelSet()
    ls.add(0, 40, "NREM")
    ls.add(8, 12, "NREM", note="spindle")
    assert list(ls) == [LabelRow(0.0, 8.0, "NREM"), LabelRow(8.0, 12.0, "NREM", "spindle"),
                        LabelRow(12.0, 40.0, "NREM")]
    assert ls.find(note="spindle").tolist() == [1]


def test_relabelling_with_the_same_label_keeps_the_note():
    ls = IntervalLabelSet()
    ls.add(0, 30, "N2", note="spindles")
    assert not ls.add(0, 30, "N2")
    assert not ls.add(10, 20, "N2")
    assert list(ls) == [LabelRow(0.0, 30.0, "N2", "spindles")]
    ls.add(0, 30, "N3")                       # a different label replaces it, note and all
    assert list(ls) == [LabelRow(0.0, 30.0, "N3")]


def test_conflicting_notes_do_not_merge():
    ls = IntervalLabelSet()
    ls.add(0, 30, "N2", note="a")
    ls.add(30, 60, "N2", note="b")
    assert [(r.start, r.note) for r in ls] == [(0, "a"), (30, "b")]
    ls.add(10, 20, "N2", note="c")    # inside "a": splits instead of merging
    assert [(r.start, r.end, r.note) for r in ls] == [(0, 10, "a"), (10, 20, "c"), (20, 30, "a"), (30, 60, "b")]


def test_extras_follow_the_same_merge_rule():
    ls = IntervalLabelSet(extra_cols=("scorer",))
    ls.add(0, 30, "W", scorer="ab")
    ls.add(30, 60, "W", scorer="ab")
    ls.add(60, 90, "W")
    ls.add(90, 120, "W", scorer="cd")
    assert [(r.start, r.end, r.extras) for r in ls] == [(0, 60, ("ab",)), (60, 90, (None,)), (90, 120, ("cd",))]
    with pytest.raises(LoupeConfigError, match="unknown extra column 'nope'"):
        ls.add(0, 1, "W", nope=1)


def test_clear_range_splits_straddling_intervals(three):
    d = three.clear_range(20, 100)
    assert spans(three) == [(0, 20, "W"), (100, 120, "REM")]
    assert (d.t0, d.t1) == (0.0, 120.0)
    assert not three.clear_range(60, 90)   # nothing there
    assert three.undo() and spans(three)[1] == (30, 60, "N2")


def test_merge_adjacent_merges_runs_and_undoes():
    df = pl.DataFrame({"start_s": [0.0, 10, 20, 30, 40, 50], "end_s": [10.0, 20, 30, 40, 50, 60],
                       "label": ["W", "W", "W", "N2", "W", "W"], "note": [None, None, "x", None, "a", "a"]})
    ls = IntervalLabelSet.from_frame(df)
    d = ls.merge_adjacent()
    assert [(r.start, r.end, r.note) for r in ls] == [(0, 20, None), (20, 30, "x"), (30, 40, None), (40, 60, "a")]
    assert len(d.hunks) == 2
    ls.undo()
    assert len(ls) == 6 and ls.to_frame().equals(df)
    ls.redo()
    assert len(ls) == 4


def test_update_cell_by_user_and_canonical_names():
    schema = IntervalLabelSchema(start_col="on", end_col="off", label_col="stage", note_col="comment",
                                 extra_cols=("conf",))
    df = pl.DataFrame({"on": [0.0, 30.0], "off": [30.0, 60.0], "stage": ["W", "N1"],
                       "comment": [None, None], "conf": [0.5, 0.9]})
    ls = IntervalLabelSet.from_frame(df, schema)
    ls.update_cell(0, "stage", "N2")
    ls.update_cell(1, "label", "N3")
    ls.update_cell(1, "comment", "check")
    ls.update_cell(0, "conf", 1.0)
    ls.update_cell(1, "off", 75.0)
    ls.update_cell(1, "duration", 20.0)
    assert list(ls) == [LabelRow(0.0, 30.0, "N2", None, (1.0,)), LabelRow(30.0, 50.0, "N3", "check", (0.9,))]
    with pytest.raises(LoupeConfigError, match="would overlap row 1"):
        ls.update_cell(0, "end", 40.0)
    with pytest.raises(LoupeConfigError, match="end .* must be after start"):
        ls.update_cell(0, "start", 30.0)
    with pytest.raises(LoupeConfigError, match="unknown column 'x'"):
        ls.update_cell(0, "x", 1)
    for _ in range(6):
        assert ls.undo()
    assert ls.to_frame().equals(df)


def test_delete_and_index_errors(three):
    three.delete(-1)
    assert spans(three) == [(0, 30, "W"), (30, 60, "N2")]
    with pytest.raises(IndexError):
        three.delete(5)
    three.undo()
    assert len(three) == 3


def test_undo_redo_stack_semantics(three):
    assert three.can_undo and not three.can_redo
    three.add(0, 120, "N2")
    d = three.undo()
    assert d.op == "undo" and spans(three) == [(0, 30, "W"), (30, 60, "N2"), (90, 120, "REM")]
    assert three.can_redo
    assert three.redo().op == "redo" and spans(three) == [(0, 120, "N2")]
    three.undo()
    three.add(200, 210, "W")          # a new edit drops the redo stack
    assert not three.can_redo and three.redo() is None
    while three.undo():
        pass
    assert len(three) == 0 and three.undo() is None


def test_edit_validation():
    ls = IntervalLabelSet(IntervalLabelSchema(note_col=None))
    for args, msg in [((5, 5, "W"), "end must be after start"), ((5, 1, "W"), "end must be after start"),
                      ((float("nan"), 1, "W"), "finite"), ((0, float("inf"), "W"), "finite"),
                      (("x", 1, "W"), "not a number"), ((0, 1, " "), "label cannot be empty")]:
        with pytest.raises(LoupeConfigError, match=msg):
            ls.add(*args)
    with pytest.raises(LoupeConfigError, match="no note column"):
        ls.add(0, 1, "W", note="hi")


def test_lookups_are_half_open(three):
    assert three.at_time(0).label == "W"
    assert three.at_time(29.999).label == "W"
    assert three.at_time(30).label == "N2"
    assert three.at_time(60) is None and three.index_at(75) is None
    assert three.at_time(-1) is None and three.at_time(120) is None
    assert three.index_at(119.5) == 2


def test_visible_in_and_arrays(three):
    assert [r.label for r in three.visible_in(25, 95)] == ["W", "N2", "REM"]
    assert [r.label for r in three.visible_in(30, 90)] == ["N2"]     # [30,90) touches neither W nor REM
    v = three.visible_arrays(25, 95)
    assert v.first_index == 0 and v.labels == ["W", "N2", "REM"]
    assert v.starts.tolist() == [0, 30, 90] and v.names[v.codes[1]] == "N2"
    with pytest.raises(ValueError):
        v.starts[0] = 5.0                 # renderers get read-only views
    three.add(0, 120, "N3")
    assert v.starts.tolist() == [0, 30, 90]   # an edit never changes a view already handed out


def test_states_time_and_coverage(three):
    assert three.states() == ("W", "N2", "REM")
    assert three.time_per_state() == {"W": 30.0, "N2": 30.0, "REM": 30.0}
    cov = three.coverage()
    assert (cov.t0, cov.t1, cov.labelled_s, cov.n_gaps, cov.gap_total_s) == (0, 120, 90, 1, 30)
    assert cov.largest_gap == (60.0, 90.0)
    cov = three.coverage(-10, 200)
    assert cov.n_gaps == 3 and cov.gap_total_s == 120 and cov.largest_gap == (120.0, 200.0)
    three.delete(0)
    assert three.states() == ("N2", "REM")


def test_to_frame_uses_user_columns_and_is_rebuilt_after_edits():
    schema = IntervalLabelSchema(start_col="t0", end_col=None, duration_col="dur", label_col="state",
                                 note_col=None, extra_cols=("who",))
    ls = IntervalLabelSet(schema)
    ls.add(0, 30, "W", who="me")
    f1 = ls.to_frame()
    assert f1.columns == ["t0", "dur", "state", "who"]
    ls.add(30, 45, "N1")
    assert ls.to_frame().rows() == [(0.0, 30.0, "W", "me"), (30.0, 15.0, "N1", None)]


def test_large_set_stays_sorted_and_edits_are_local():
    n = 20_000
    starts = np.arange(n) * 30.0
    df = pl.DataFrame({"start_s": starts, "end_s": starts + 20, "label": ["W", "N2"] * (n // 2)})
    ls = IntervalLabelSet.from_frame(df)
    d = ls.add(15_010.0, 15_040.0, "REM")
    assert (d.t0, d.t1) == (15_000.0, 15_050.0)
    assert np.all(ls.starts[1:] >= ls.ends[:-1]) and np.all(ls.ends > ls.starts)
    assert ls.at_time(15_010).label == "REM"


def test_from_frame_validates_like_a_file():
    df = pl.DataFrame({"start_s": [0.0, 10.0], "end_s": [20.0, 30.0], "label": ["W", "N1"]})
    with pytest.raises(LoupeConfigError, match=r"^DataFrame: row 1: overlaps row 2"):
        IntervalLabelSet.from_frame(df)
    with pytest.raises(LoupeConfigError, match="polars DataFrame"):
        IntervalLabelSet.from_frame({"start_s": [0.0]})
