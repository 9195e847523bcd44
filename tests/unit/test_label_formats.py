"""Label file formats: round trips, hypnograms, and one-line errors for bad files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from loupe_tui.core.labels import IntervalLabelSchema, IntervalLabelSet
from loupe_tui.core.labels.formats import read_labels, write_labels
from loupe_tui.core.labels.hypnogram_txt import HypnogramOptions, detect_kind, parse_stages
from loupe_tui.errors import LabelFileError, LoupeConfigError

REPO = Path(__file__).resolve().parents[2]
YASA = REPO.parent / "shared" / "data" / "yasa_hypno_30s.txt"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return p


def error_of(path: Path, **kw) -> str:
    with pytest.raises(LabelFileError) as exc:
        read_labels(path, **kw)
    msg = str(exc.value)
    assert "\n" not in msg and str(path) in msg
    return msg


# -- round trips ---------------------------------------------------------------------------------
def test_legacy_csv_round_trip_is_byte_identical(tmp_path):
    text = "start_s,end_s,label,note\n0.0,30.0,W,\n30.0,60.5,N2,\"spindle, K-complex\"\n60.5,90.0,REM,é\n"
    p = write(tmp_path, "a.csv", text)
    ls = IntervalLabelSet.read(p)
    assert [r.note for r in ls] == [None, "spindle, K-complex", "é"]
    ls.save_as(tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_text() == text
    # whole-second files stay integers
    p = write(tmp_path, "c.csv", "start_s,end_s,label,note\n0,30,W,\n30,60,N2,\n")
    IntervalLabelSet.read(p).save_as(tmp_path / "d.csv")
    assert (tmp_path / "d.csv").read_text() == p.read_text()


def test_htsv_custom_schema_keeps_names_order_and_unlisted_columns(tmp_path):
    text = ("scorer\tonset\tstage\toffset\tconfidence\tepoch\n"
            "ab\t0.0\tW\t30.0\t0.9\t007\n"
            "cd\t30.0\tN2\t60.0\t\t008\n")
    p = write(tmp_path, "a.htsv", text)
    schema = IntervalLabelSchema(start_col="onset", end_col="offset", label_col="stage", note_col=None,
                                 extra_cols=("confidence",))
    ls = IntervalLabelSet.read(p, schema)
    assert ls.extra_cols == ("confidence", "scorer", "epoch")      # unlisted columns are kept too
    frame = ls.to_frame()
    assert frame.columns == ["scorer", "onset", "stage", "offset", "confidence", "epoch"]
    assert frame["confidence"].dtype == pl.Float64 and frame["epoch"].to_list() == ["007", "008"]
    ls.save_as(tmp_path / "b.htsv")
    assert (tmp_path / "b.htsv").read_text() == text


def test_schema_may_be_a_dict_and_anything_else_is_refused_by_name(tmp_path):
    p = write(tmp_path, "a.htsv", "onset\tdur\tstage\n0\t30\tW\n30\t30\tN2\n")
    as_dict = {"start_col": "onset", "end_col": None, "duration_col": "dur", "label_col": "stage"}
    for ls in (IntervalLabelSet.load(p, schema=as_dict), IntervalLabelSet.read(p, as_dict)):
        assert [(r.start, r.end, r.label) for r in ls] == [(0, 30, "W"), (30, 60, "N2")]
        ls.close()
    ls = IntervalLabelSet.read(p, as_dict)
    ls.save_as(tmp_path / "o.csv", schema={"note_col": None})
    assert (tmp_path / "o.csv").read_text().splitlines()[0] == "start_s,end_s,label"
    for call, param in [(lambda: IntervalLabelSet.load(p, schema="start_s"), "schema"),
                        (lambda: IntervalLabelSet.read(p, 3), "schema"),
                        (lambda: ls.save_as(tmp_path / "o2.csv", schema=3), "schema"),
                        (lambda: ls.to_frame(["start_s"]), "schema"),
                        (lambda: IntervalLabelSet.load(p, schema={"start": "onset"}), "unknown field")]:
        with pytest.raises(LoupeConfigError, match=param) as exc:
            call()
        assert "\n" not in str(exc.value) and "role_columns" not in str(exc.value)
    with pytest.raises(LoupeConfigError, match=r"schema: IntervalLabelSchema needs end_col or duration_col"):
        IntervalLabelSet.read(p, {"start_col": "onset", "end_col": None, "label_col": "stage"})


def test_an_explicit_output_schema_writes_every_column_it_names(tmp_path):
    p = write(tmp_path, "a.htsv", "onset\tduration\tstage\tscorer\n0\t30\tW\tab\n")
    ls = IntervalLabelSet.read(p, IntervalLabelSchema(start_col="onset", end_col=None, duration_col="duration",
                                                      label_col="stage", note_col=None))
    assert ls.to_frame().columns == ["onset", "duration", "stage", "scorer"]          # as read
    assert ls.to_frame(IntervalLabelSchema()).columns == ["start_s", "end_s", "label", "note", "scorer"]
    both = IntervalLabelSchema(start_col="onset", end_col="end", duration_col="duration", label_col="stage")
    assert ls.to_frame(both).columns == ["onset", "end", "duration", "stage", "note", "scorer"]
    with pytest.raises(LoupeConfigError, match="'scorer' is an extra column"):
        ls.to_frame(IntervalLabelSchema(note_col="scorer"))


def test_parquet_round_trip_keeps_dtypes(tmp_path):
    df = pl.DataFrame({
        "t": pl.Series([0, 30, 60], dtype=pl.Int32), "dur": pl.Series([30, 30, 15], dtype=pl.Int32),
        "stage": pl.Series([0, 2, 4], dtype=pl.Int8),
        "when": [dt.datetime(2024, 1, 1, 22), None, dt.datetime(2024, 1, 1, 23)],
        "flag": [True, False, None],
    })
    p = tmp_path / "a.parquet"
    df.write_parquet(p)
    schema = IntervalLabelSchema(start_col="t", end_col=None, duration_col="dur", label_col="stage",
                                 note_col=None)
    ls = IntervalLabelSet.read(p, schema)
    assert [r.label for r in ls] == ["0", "2", "4"] and ls.ends.tolist() == [30, 60, 75]
    ls.save_as(tmp_path / "b.parquet")
    assert pl.read_parquet(tmp_path / "b.parquet").equals(df)
    ls.add(75, 80.5, "REM")       # no longer fits the old dtypes: kept as float / text, never lost
    out = ls.to_frame()
    assert out["t"].dtype == pl.Int32 and out["dur"].dtype == pl.Float64
    assert out["stage"].to_list() == ["0", "2", "4", "REM"]


def test_end_and_duration_must_agree(tmp_path):
    schema = IntervalLabelSchema(duration_col="dur")
    ok = write(tmp_path, "ok.csv", "start_s,end_s,dur,label\n0,30,30.0000001,W\n30,40,10,N1\n")
    assert len(read_labels(ok, schema).starts) == 2
    bad = write(tmp_path, "bad.csv", "start_s,end_s,dur,label\n0,30,30,W\n30,40,11,N1\n")
    assert error_of(bad, schema=schema).startswith(f"{bad}:3: end_s 40.0 and dur 11.0 disagree")


def test_unsorted_rows_are_sorted_and_times_past_any_data_load(tmp_path):
    p = write(tmp_path, "a.csv", "start_s,end_s,label\n1e9,2e9,W\n-50,-10,N1\n")
    ls = IntervalLabelSet.read(p)
    assert ls.starts.tolist() == [-50, 1e9] and ls.ends.tolist() == [-10, 2e9]


def test_header_only_is_zero_labels_and_bom_and_blank_lines_are_fine(tmp_path):
    assert len(IntervalLabelSet.read(write(tmp_path, "h.csv", "start_s,end_s,label,note\n"))) == 0
    p = write(tmp_path, "b.csv", b"\xef\xbb\xbfstart_s,end_s,label\n\n0,1,W\n\n")
    assert [r.label for r in IntervalLabelSet.read(p)] == ["W"]


# -- bad files -------------------------------------------------------------------------------------
@pytest.mark.parametrize("content, expected", [
    ("start_s,end_s,label\n0,30,W\n50,40,N2\n", ":3: end 40.0 is before start 50.0"),
    ("start_s,end_s,label\n0,30,W\nabc,40,N2\n", ":3: start_s 'abc' is not a number"),
    ("start_s,end_s,label\n0,nan,W\n", ":2: end_s is nan"),
    ("start_s,end_s,label\n0,30,W\n-inf,40,N2\n", ":3: start_s is -inf"),
    ("start_s,end_s,label\n0,,W\n", ":2: end_s is empty"),
    ("start_s,end_s,label\n0,30,\n", ":2: label is empty"),
    ("start_s,end_s,label\n5,5,W\n", ":2: interval is empty"),
    ("start_s,end_s,label\n0,30,W\n\n20,40,N2\n", ":2: overlaps line 4: [0.0, 30.0) and [20.0, 40.0)"),
    ("start_s,stop,label\n0,30,W\n", ": missing column end_s (columns found: start_s, stop, label)"),
    ("a,a,b\n1,2,3\n", ":1: column 'a' appears twice"),
    ("start_s,end_s,label\n0,30,W,extra\n", ": cannot parse as CSV"),
    ("", ": file is empty (expected a header line such as start_s,end_s,label,note)"),
    ("  \n\n", ": file is empty"),
])
def test_bad_csv_files_give_one_line_errors(tmp_path, content, expected):
    p = write(tmp_path, "bad.csv", content)
    assert expected in error_of(p)


def test_missing_columns_lists_what_is_missing_and_what_exists(tmp_path):
    p = write(tmp_path, "a.htsv", "on\toff\tx\n0\t1\tW\n")
    msg = error_of(p)
    assert "missing columns start_s, label, end_s" in msg and "columns found: on, off, x" in msg


def test_binary_and_non_utf8_files(tmp_path):
    assert "binary data" in error_of(write(tmp_path, "g.csv", bytes(range(256)) * 4))
    msg = error_of(write(tmp_path, "l.csv", "start_s,end_s,label\n0,1,W\n1,2,caf".encode() + b"\xe9\n"))
    assert ":3: not UTF-8 text (byte 0xe9)" in msg
    assert "not a parquet file" in error_of(write(tmp_path, "g.parquet", b"hello"))
    assert "cannot read parquet" in error_of(write(tmp_path, "t.parquet", b"PAR1" + b"\x00" * 50 + b"PAR1"))
    assert "no such labels file" in error_of(tmp_path / "nope.csv")
    assert "unknown labels format '.xlsx'" in error_of(write(tmp_path, "a.xlsx", "x"))


def test_parquet_with_wrong_time_type(tmp_path):
    p = tmp_path / "a.parquet"
    pl.DataFrame({"start_s": [dt.datetime(2024, 1, 1)], "end_s": [1.0], "label": ["W"]}).write_parquet(p)
    assert "row 1" not in error_of(p) and "expected numbers (seconds)" in error_of(p)
    pl.DataFrame({"start_s": [0.0, 5.0], "end_s": [10.0, 20.0], "label": ["W", "N1"]}).write_parquet(p)
    assert f"{p}: row 1: overlaps row 2" in error_of(p)


def test_writing_txt_is_refused(tmp_path):
    ls = IntervalLabelSet()
    ls.add(0, 1, "W")
    with pytest.raises(LabelFileError, match="cannot write .txt"):
        ls.save_as(tmp_path / "x.txt")
    with pytest.raises(LabelFileError, match="cannot write .txt"):
        write_labels(tmp_path / "x.txt", ls.to_frame())


# -- .txt hypnograms ------------------------------------------------------------------------------------
VISBRAIN = "*Duration_sec\t150.0\n*Datafile\tUnspecified\nWake\t30.0\nN2\t90.5\nREM\t150.0\n"


def test_visbrain_bouts_start_where_the_previous_ended(tmp_path):
    ls = IntervalLabelSet.read(write(tmp_path, "v.txt", VISBRAIN))
    assert [(r.start, r.end, r.label) for r in ls] == [(0, 30, "Wake"), (30, 90.5, "N2"), (90.5, 150, "REM")]


@pytest.mark.parametrize("content, expected", [
    ("Wake\t30\nN2\t20\n", ":2: end 20.0 is before start 30.0"),
    ("Wake\t30\nN2\tlots\n", ":2: end time 'lots' is not a number"),
    ("*h\nWake\t30\nN2\t30\n", ":3: bout is empty"),
    ("Wake\t30\nN2\n", ":2: expected 'state<TAB>end_time'"),
])
def test_bad_visbrain_files(tmp_path, content, expected):
    p = write(tmp_path, "v.txt", content)
    assert expected in error_of(p, hypnogram=HypnogramOptions(kind="visbrain"))


def test_epoch_hypnogram_maps_merges_and_skips_unscored(tmp_path):
    p = write(tmp_path, "e.txt", "# comment\n0\n0\n2\n-2\n2\n4\n-1\n2.0\n\n")
    ls = IntervalLabelSet.read(p)
    assert [(r.start, r.end, r.label) for r in ls] == [
        (0, 60, "W"), (60, 90, "N2"), (120, 150, "N2"), (150, 180, "R"), (180, 210, "Art"), (210, 240, "N2")]
    custom = HypnogramOptions(epoch_s=4, stages={"0": "Wake", "1": "NREM", "2": "REM"}, t0=100)
    ls = IntervalLabelSet.read(write(tmp_path, "m.txt", "0\n1\n1\nREM\n"), hypnogram=custom)
    assert [(r.start, r.end, r.label) for r in ls] == [(100, 104, "Wake"), (104, 112, "NREM"), (112, 116, "REM")]


def test_epoch_hypnogram_errors(tmp_path):
    assert ":3: unknown stage code 7" in error_of(write(tmp_path, "a.txt", "0\n1\n7\n"))
    assert ":2: empty line inside" in error_of(write(tmp_path, "b.txt", "0\n\n1\n"))
    assert "cannot tell a Visbrain" in error_of(write(tmp_path, "c.txt", "0\nN2 30\nfoo bar baz\n"))


def test_txt_kind_detection_and_forcing(tmp_path):
    assert detect_kind(VISBRAIN) == "visbrain"
    assert detect_kind("W\t30\nN2\t60\n") == "visbrain"
    assert detect_kind("0\n1\n") == "epochs" and detect_kind("W\nN2\n") == "epochs"
    # Forcing "epochs" on a one-column file of numbers that could not be Visbrain anyway
    p = write(tmp_path, "f.txt", "W\t30\nN2\t60\n")
    with pytest.raises(LabelFileError, match=":1: expected one stage per line"):
        read_labels(p, hypnogram=HypnogramOptions(kind="epochs"))
    assert parse_stages("0=W, 1=N1,-2=,-1=-") == {"0": "W", "1": "N1", "-2": None, "-1": None}


@pytest.mark.skipif(not YASA.exists(), reason=f"real data not present at {YASA} (../shared/data)")
def test_real_yasa_hypnogram():
    ls = IntervalLabelSet.read(YASA)
    lines = [ln.strip() for ln in YASA.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 720
    per = ls.time_per_state()
    counts = {code: lines.count(code) for code in "01234"}
    assert per == {name: counts[code] * 30.0 for code, name in zip("01234", ["W", "N1", "N2", "N3", "R"])}
    assert ls.starts[0] == 0 and ls.ends[-1] == 720 * 30
    cov = ls.coverage()
    assert cov.n_gaps == 0 and cov.labelled_s == 21600
    assert all(a.label != b.label for a, b in zip(ls, list(ls)[1:]))   # equal stages were merged
    assert ls.at_time(0).label == {"0": "W", "1": "N1", "2": "N2", "3": "N3", "4": "R"}[lines[0]]
