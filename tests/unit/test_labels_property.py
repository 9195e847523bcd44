"""Property tests: edits against a dense reference model; save -> load identity."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from loupe_tui.core.labels import IntervalLabelSchema, IntervalLabelSet

TICKS = 40
LABELS = ["W", "N1", "N2"]

span = st.tuples(st.integers(0, TICKS - 1), st.integers(1, TICKS)).filter(lambda p: p[0] < p[1])
op = st.one_of(
    st.tuples(st.just("add"), span, st.sampled_from(range(len(LABELS)))),
    st.tuples(st.just("clear"), span, st.none()),
    st.tuples(st.just("undo"), st.none(), st.none()),
    st.tuples(st.just("redo"), st.none(), st.none()),
)


def runs(model: np.ndarray) -> list[tuple[float, float, str]]:
    """Maximal runs of equal labels in a per-tick array (-1 = unlabelled)."""
    out = []
    for t in range(TICKS):
        v = int(model[t])
        if v < 0:
            continue
        if out and out[-1][1] == t and out[-1][2] == LABELS[v]:
            out[-1] = (out[-1][0], t + 1.0, LABELS[v])
        else:
            out.append((float(t), t + 1.0, LABELS[v]))
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(op, max_size=30))
def test_edits_match_dense_reference_model(ops):
    ls = IntervalLabelSet()
    model = np.full(TICKS, -1)
    undo: list[np.ndarray] = []
    redo: list[np.ndarray] = []
    for kind, sp, lab in ops:
        if kind in ("add", "clear"):
            new = model.copy()
            new[sp[0]:sp[1]] = lab if kind == "add" else -1
            d = ls.add(sp[0], sp[1], LABELS[lab]) if kind == "add" else ls.clear_range(*sp)
            changed = not np.array_equal(new, model)
            assert bool(d) == changed
            if changed:            # no-op edits are not recorded in the history
                undo.append(model)
                redo.clear()
                model = new
        elif kind == "undo":
            d = ls.undo()
            assert (d is None) == (not undo)
            if undo:
                redo.append(model)
                model = undo.pop()
        else:
            d = ls.redo()
            assert (d is None) == (not redo)
            if redo:
                undo.append(model)
                model = redo.pop()
        assert np.all(ls.ends > ls.starts)
        assert np.all(ls.starts[1:] >= ls.ends[:-1])
        assert [(r.start, r.end, r.label) for r in ls] == runs(model)
        assert ls.can_undo == bool(undo) and ls.can_redo == bool(redo)


def ticks(ls: IntervalLabelSet) -> np.ndarray:
    out = np.full(TICKS, -1)
    for r in ls:
        out[int(r.start):int(r.end)] = LABELS.index(r.label)
    return out


noted_op = st.one_of(
    st.tuples(st.just("add"), span, st.sampled_from(range(len(LABELS))), st.sampled_from([None, "a", "b"])),
    st.tuples(st.just("clear"), span, st.none(), st.none()),
    st.tuples(st.just("merge"), st.none(), st.none(), st.none()),
    st.tuples(st.just("undo"), st.none(), st.none(), st.none()),
    st.tuples(st.just("redo"), st.none(), st.none(), st.none()),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(noted_op, max_size=25))
def test_edits_with_notes_keep_labels_per_tick_and_undo_exactly(ops):
    ls = IntervalLabelSet()
    model = np.full(TICKS, -1)
    states = [list(ls)]              # rows after each recorded edit, for exact undo checks
    pos = 0
    for kind, sp, lab, note in ops:
        if kind == "undo":
            if ls.undo() is not None:
                pos -= 1
                assert list(ls) == states[pos]
        elif kind == "redo":
            if ls.redo() is not None:
                pos += 1
                assert list(ls) == states[pos]
        else:
            if kind == "add":
                d = ls.add(sp[0], sp[1], LABELS[lab], note=note)
            elif kind == "clear":
                d = ls.clear_range(*sp)
            else:
                d = ls.merge_adjacent()
            if d:
                del states[pos + 1:]
                states.append(list(ls))
                pos += 1
        model = ticks(ls) if kind in ("undo", "redo", "merge") else model
        if kind in ("add", "clear"):
            model[sp[0]:sp[1]] = lab if kind == "add" else -1
        assert np.all(ls.ends > ls.starts) and np.all(ls.starts[1:] >= ls.ends[:-1])
        assert np.array_equal(ticks(ls), model)


# -- save -> load identity -------------------------------------------------------------------
note_text = st.text(alphabet="abc XYZ,;\"'\t\né€-", max_size=8)


@st.composite
def label_frames(draw):
    n = draw(st.integers(0, 12))
    gaps = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    lens = draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    starts, ends, t = [], [], draw(st.integers(-100, 100)) * 0.5
    for g, ln in zip(gaps, lens):
        t += g * 0.25
        starts.append(t)
        t += ln * 1.5
        ends.append(t)
    return pl.DataFrame({
        "onset": starts, "offset": ends,
        "stage": draw(st.lists(st.sampled_from(["W", "N1", "N2", "REM", "état"]), min_size=n, max_size=n)),
        "comment": draw(st.lists(st.none() | note_text, min_size=n, max_size=n)),
        "conf": draw(st.lists(st.none() | st.floats(0, 1, allow_nan=False), min_size=n, max_size=n)),
        "epoch_id": draw(st.lists(st.integers(-5, 10_000), min_size=n, max_size=n)),
    }, schema={"onset": pl.Float64, "offset": pl.Float64, "stage": pl.String, "comment": pl.String,
               "conf": pl.Float64, "epoch_id": pl.Int64})


SCHEMA = IntervalLabelSchema(start_col="onset", end_col="offset", label_col="stage", note_col="comment",
                             extra_cols=("conf",))


@settings(max_examples=40, deadline=None)
@given(label_frames(), st.sampled_from([".csv", ".htsv", ".parquet"]))
def test_save_then_load_is_identity(df, ext):
    ls = IntervalLabelSet.from_frame(df, SCHEMA)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"labels{ext}"
        ls.save_as(path)
        back = IntervalLabelSet.read(path, SCHEMA)
        out = back.to_frame()
    expect = df.sort("onset")
    assert out.columns == expect.columns
    if ext == ".parquet" or len(df):
        # text formats infer extras: a column that is all-null or whole numbers may change dtype
        assert out.select("onset", "offset", "stage", "comment").equals(
            expect.select("onset", "offset", "stage", "comment"))
    assert list(back) == list(ls)
    if ext == ".parquet":
        assert out.equals(expect)
