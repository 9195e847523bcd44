"""Fuzzing every label reader: any bytes or text give labels or a LabelFileError, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loupe_tui.core.labels import IntervalLabelSchema, IntervalLabelSet
from loupe_tui.errors import LabelFileError

SCHEMA = IntervalLabelSchema(start_col="start", end_col="end", label_col="state", extra_cols=("scorer",))
EXTS = [".csv", ".htsv", ".parquet", ".txt"]

# Text that looks like label files: headers, numbers, separators, odd values.
TOKENS = st.sampled_from(["start_s", "end_s", "label", "note", "start", "end", "state", "scorer", "0", "4",
                          "30", "-1", "1e308", "inf", "nan", "NaN", "W", "N2", "REM", "*", "\t", ",", "\n",
                          "\"", "é", "", "3.5", "-2", "1,2", "x", "Art"])
LABELISH = st.lists(TOKENS, max_size=60).map("".join)


def _read(data: bytes, ext: str, schema) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"labels{ext}"
        p.write_bytes(data)
        try:
            ls = IntervalLabelSet.read(p, schema)
        except LabelFileError as exc:
            msg = str(exc)
            assert "\n" not in msg and str(p) in msg  # one line naming the file
            return
        # Whatever loads is a valid label set: sorted, non-overlapping, start < end.
        s, e = ls.starts, ls.ends
        assert (s[1:] >= e[:-1]).all() and (e > s).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.sampled_from(EXTS), st.booleans())
def test_random_bytes(data, ext, with_schema):
    _read(data, ext, SCHEMA if with_schema and ext in (".htsv", ".parquet") else None)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LABELISH, st.sampled_from([".csv", ".htsv", ".txt"]), st.booleans())
def test_label_like_text(text, ext, with_schema):
    _read(text.encode("utf-8"), ext, SCHEMA if with_schema and ext == ".htsv" else None)


def test_a_column_name_with_a_newline_still_gives_a_one_line_error(tmp_path):
    # Found by the fuzzer: a quoted CSV header holding a newline was quoted raw.
    p = tmp_path / "labels.csv"
    p.write_text('"\nstart_s"\n1\n')
    try:
        IntervalLabelSet.read(p)
    except LabelFileError as exc:
        assert "\n" not in str(exc) and "\\nstart_s" in str(exc)
    else:
        raise AssertionError("expected a LabelFileError")
