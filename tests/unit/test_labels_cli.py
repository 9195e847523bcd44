"""``loupe-tui labels info`` and ``labels convert``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from loupe_tui.cli import main

HTSV = "onset\tduration\tstage\tscorer\n0\t30\tW\tab\n30\t60\tN2\tab\n120\t30\tREM\tcd\n"
COLS = ["--start-col", "onset", "--end-col", "none", "--duration-col", "duration", "--label-col", "stage"]


@pytest.fixture
def htsv(tmp_path) -> Path:
    p = tmp_path / "scoring.htsv"
    p.write_text(HTSV)
    return p


def test_info_prints_summary(htsv, capsys):
    assert main(["labels", "info", str(htsv), *COLS]) == 0
    out = capsys.readouterr().out
    assert "intervals   3" in out and "states      W, N2, REM" in out
    assert "  N2      0:01:00   50.0%" in out
    assert "span        0:00:00 .. 0:02:30 (0:02:30)" in out
    assert "coverage    0:02:00 labelled (80.0% of span)" in out
    assert "gaps        1, total 0:00:30, largest 0:00:30 at 0:01:30-0:02:00" in out


def test_info_errors_are_one_line_with_status_2(htsv, tmp_path, capsys):
    odd = tmp_path / "odd.htsv"   # no column name says which role it plays: nothing to guess
    odd.write_text("t\tlen\twhat\n0\t30\tW\n")
    assert main(["labels", "info", str(odd)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("loupe-tui: error: ") and "\n" not in err
    assert "odd.htsv: no start column: no 'start_s' and no other name that says it (columns: t, len, what)" in err
    assert "--start-col NAME" in err
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01garbage")
    assert main(["labels", "info", str(bad)]) == 2
    assert "binary data" in capsys.readouterr().err


def test_convert_keeps_columns_and_refuses_txt_and_overwrites(htsv, tmp_path, capsys):
    out = tmp_path / "scoring.parquet"
    assert main(["labels", "convert", str(htsv), str(out), *COLS]) == 0
    df = pl.read_parquet(out)
    assert df.columns == ["onset", "duration", "stage", "scorer"]
    assert df["duration"].to_list() == [30, 60, 30] and df["scorer"].to_list() == ["ab", "ab", "cd"]
    assert main(["labels", "convert", str(htsv), str(out), *COLS]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["labels", "convert", str(htsv), str(tmp_path / "x.txt"), *COLS]) == 2
    assert "cannot write .txt" in capsys.readouterr().err
    legacy = tmp_path / "legacy.csv"
    assert main(["labels", "convert", str(out), str(legacy), "--legacy", *COLS]) == 0
    assert legacy.read_text().splitlines()[:2] == ["start_s,end_s,label,note,scorer", "0,30,W,,ab"]


def test_convert_hypnogram_with_custom_stages(tmp_path):
    txt = tmp_path / "h.txt"
    txt.write_text("0\n0\n1\n2\n-2\n")
    out = tmp_path / "h.csv"
    assert main(["labels", "convert", str(txt), str(out), "--epoch", "20", "--stages=0=Wake,1=NREM,2=REM,-2="]) == 0
    assert out.read_text() == "start_s,end_s,label,note\n0.0,40.0,Wake,\n40.0,60.0,NREM,\n60.0,80.0,REM,\n"


@pytest.mark.parametrize("flags", [[], ["--legacy"], ["--out-schema", "legacy"]])
def test_visbrain_to_csv_has_the_legacy_note_column(tmp_path, flags):
    vb = tmp_path / "vb.txt"
    vb.write_text("*Duration_sec\t60.0\nW\t30.0\nN2\t60.0\n")
    out = tmp_path / "out.csv"
    assert main(["labels", "convert", str(vb), str(out), *flags]) == 0
    assert out.read_text().splitlines() == ["start_s,end_s,label,note", "0.0,30.0,W,", "30.0,60.0,N2,"]


def test_convert_names_output_columns(htsv, tmp_path, capsys):
    # Custom .htsv -> Loupe-legacy .csv is one flag (plus IN's schema).
    legacy = tmp_path / "legacy.csv"
    assert main(["labels", "convert", str(htsv), str(legacy), *COLS, "--legacy"]) == 0
    assert pl.read_csv(legacy).columns == ["start_s", "end_s", "label", "note", "scorer"]
    # Rename single columns, keeping the rest of IN's schema.
    out = tmp_path / "renamed.htsv"
    assert main(["labels", "convert", str(htsv), str(out), *COLS, "--out-start-col", "t0",
                 "--out-end-col", "t1", "--out-duration-col", "none", "--out-note-col", "comment"]) == 0
    assert out.read_text().splitlines()[:2] == ["t0\tt1\tstage\tcomment\tscorer", "0\t30\tW\t\tab"]
    # --legacy plus renames: legacy base, one column renamed.
    out = tmp_path / "legacy2.csv"
    assert main(["labels", "convert", str(htsv), str(out), *COLS, "--legacy", "--out-label-col", "state"]) == 0
    assert pl.read_csv(out).columns == ["start_s", "end_s", "state", "note", "scorer"]
    bad = tmp_path / "bad.csv"
    assert main(["labels", "convert", str(htsv), str(bad), *COLS, "--out-duration-col", "none"]) == 2
    err = capsys.readouterr().err
    assert "output columns: IntervalLabelSchema needs end_col or duration_col" in err and not bad.exists()
    assert main(["labels", "convert", str(htsv), str(bad), *COLS, "--out-label-col", "scorer"]) == 2
    assert "'scorer' is an extra column" in capsys.readouterr().err


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["labels", "convert", "--help"])
    text = capsys.readouterr().out
    for flag in ("--start-col", "--end-col", "--duration-col", "--label-col", "--note-col", "--extra-cols",
                 "--txt-kind", "--epoch", "--stages", "--t0", "--legacy", "--force", "--out-schema",
                 "--out-start-col", "--out-end-col", "--out-duration-col", "--out-label-col", "--out-note-col"):
        assert flag in text
