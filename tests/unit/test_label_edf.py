"""Sleep stages in EDF+/BDF+ annotations as labels, and labels exported as EDF+ annotations.

Real hypnograms made by other software (../shared/data/edf: Sleep-EDF's R&K
``SC4001EC-Hypnogram.edf``, HMC's AASM ``hmc_SN001_hypnogram.edf``), files
written here with edfio, and broken ones. What is checked is what a scorer
would notice: which intervals and names open, what is said about the
annotations left out, that the source is never written, and that an export
opens in edfio (as in EDFbrowser and MNE) with the same intervals.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import edfio
import numpy as np
import pytest

from loupe_tui.cli import main
from loupe_tui.core.labels import IntervalLabelSet, sibling_path
from loupe_tui.core.labels.edf_annotations import read_edf_annotations, read_edf_annotations_file
from loupe_tui.core.labels.edf_export import encode_edf_annotations
from loupe_tui.core.labels.edf_stages import EdfStageOptions, stage_text
from loupe_tui.core.labels.formats import format_of
from loupe_tui.errors import LabelFileError, LoupeConfigError

EDF_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "edf"
real = pytest.mark.skipif(not EDF_DIR.exists(), reason=f"real data not present at {EDF_DIR} (../shared/data)")
SLEEP_EDF = EDF_DIR / "SC4001EC-Hypnogram.edf"
HMC = EDF_DIR / "hmc_SN001_hypnogram.edf"


def write_edf(path: Path, annotations, *, seconds: int = 0, start=dt.datetime(2001, 2, 3, 22, 30)) -> Path:
    """An EDF+C file with these (onset, duration or None, text) annotations, and ``seconds`` of one
    1 Hz signal (0: an annotations-only file, like Sleep-EDF's hypnograms)."""
    signals = [edfio.EdfSignal(np.zeros(seconds), 1, label="EEG")] if seconds else []
    edf = edfio.Edf(signals, starttime=start.time(), recording=edfio.Recording(startdate=start.date()),
                    annotations=[edfio.EdfAnnotation(o, d, t) for o, d, t in annotations])
    edf.write(path)
    return path


def rows(labels) -> list[tuple[float, float, str]]:
    return [(r.start, r.end, r.label) for r in labels]


# -- real hypnograms ------------------------------------------------------------------------------
@real
def test_sleep_edf_rk_hypnogram_opens_with_aasm_names_and_sleep_starting_at_30630_s():
    labels = IntervalLabelSet.read(SLEEP_EDF)
    got = rows(labels)
    assert got[0] == (0.0, 30630.0, "W") and got[1] == (30630.0, 30750.0, "N1")
    assert set(labels.time_per_state()) == {"W", "N1", "N2", "N3", "R"}     # the aasm_human keymap's states
    assert got[-1][1] == 79500.0                      # then 'Sleep stage ?' (6900 s): unscored, no interval
    assert sum(e - s for s, e, _ in got) == 79500.0   # no gaps: every stage but '?' became time
    assert len(labels.messages) == 1
    assert "EDF+C, 154 annotations: 154 sleep stages -> 113 intervals (1 unscored" in labels.messages[0]


@real
def test_sleep_edf_keeps_rk_stage_names_when_asked():
    rk = IntervalLabelSet.read(SLEEP_EDF, hypnogram=EdfStageOptions(names="rk"))
    aasm = IntervalLabelSet.read(SLEEP_EDF)
    per_rk, per_aasm = rk.time_per_state(), aasm.time_per_state()
    assert set(per_rk) == {"W", "S1", "S2", "S3", "S4", "R"}
    assert per_rk["S3"] + per_rk["S4"] == per_aasm["N3"] == 6600.0     # S3 and S4 are N3
    assert len(rk) == 153 and len(aasm) == 113                          # S3|S4 neighbours merge as N3


@real
def test_hmc_aasm_hypnogram_says_which_annotations_are_not_stages():
    labels = IntervalLabelSet.read(HMC)
    assert labels.time_per_state() == {"W": 4530.0, "N1": 3270.0, "N2": 12900.0, "N3": 690.0, "R": 4230.0}
    assert rows(labels)[:2] == [(0.0, 240.0, "W"), (240.0, 480.0, "N1")]   # 30 s epochs, merged
    msg = labels.messages[0]
    assert "856 annotations: 854 sleep stages -> 99 intervals" in msg
    assert "2 other annotation(s) left out (not sleep stages: Lights off@@EEG F4-A1, Lights on@@EEG Fpz-Cz)" in msg


@real
def test_labels_info_reports_the_left_out_annotations(capsys):
    assert main(["labels", "info", str(HMC)]) == 0
    out = capsys.readouterr().out
    assert "intervals   99" in out and "states      W, N1, N2, N3, R" in out
    assert "note        " in out and "2 other annotation(s) left out" in out


@real
def test_our_annotation_reader_reads_what_the_edf_data_reader_reads():
    """Core reads EDF+ annotations itself (core imports nothing from loupe_tui.io): both
    readers must agree on every real file, or one of them has drifted."""
    from loupe_tui.io.edf.reader import EdfFile

    files = sorted(p for p in EDF_DIR.rglob("*") if p.suffix.lower() in (".edf", ".bdf"))
    assert len(files) >= 6
    for p in files:
        with EdfFile(p) as f:
            theirs = [(a.onset, a.duration, a.text) for a in f.annotations]
            kind, start = f.header.kind, f.header.start
        ours = read_edf_annotations_file(p)
        assert [(a.onset, a.duration, a.text) for a in ours.annotations] == theirs, p.name
        assert (ours.kind, ours.start) == (kind, start), p.name


@real
def test_files_without_stages_open_as_empty_labels_and_say_so():
    # Empty, not an error: a recording nobody scored yet is what a scorer opens to score it.
    for name in ("multiple_annotation_chans.bdf", "MB0400FU.EDF", "short_psg.edf"):
        labels = IntervalLabelSet.read(EDF_DIR / name)
        assert len(labels) == 0
        assert labels.messages[0].endswith("no sleep stages, so no labels"), name
    assert "10 other annotation(s) left out" in IntervalLabelSet.read(
        EDF_DIR / "multiple_annotation_chans.bdf").messages[0]


# -- the stage map --------------------------------------------------------------------------------
def test_stage_codes_are_read_in_any_case_and_overridden_one_by_one(tmp_path):
    p = write_edf(tmp_path / "h.edf", [(0, 30, "sleep stage w"), (30, 30, "Sleep stage 4"), (60, 30, "Sleep stage ?"),
                                       (90, 30, "Movement time"), (120, 30, "Sleep stage U")])
    assert rows(IntervalLabelSet.read(p)) == [
        (0, 30, "W"), (30, 60, "N3"), (90, 120, "Art"), (120, 150, "U")]
    opts = EdfStageOptions(stages={"?": "Unscored", "Movement time": "MT", "Sleep stage 4": "S4", "X": "Y"})
    labels = IntervalLabelSet.read(p, hypnogram=opts)
    assert rows(labels) == [(0, 30, "W"), (30, 60, "S4"), (60, 90, "Unscored"), (90, 120, "MT"), (120, 150, "U")]
    assert any("--stages: no stage annotation has the code X" in m for m in labels.messages)
    with pytest.raises(LoupeConfigError, match="stage names 'iso'"):
        EdfStageOptions(names="iso")


def test_stage_annotations_without_duration_last_until_the_next_stage(tmp_path):
    ann = [(0, None, "Sleep stage W"), (5, None, "Lights off"), (30, None, "Sleep stage 2"),
           (90, None, "Sleep stage ?"), (120, None, "Sleep stage R")]
    with_data = IntervalLabelSet.read(write_edf(tmp_path / "a.edf", ann, seconds=200))
    assert rows(with_data) == [(0, 30, "W"), (30, 90, "N2"), (120, 200, "R")]     # the last: to the data's end
    alone = IntervalLabelSet.read(write_edf(tmp_path / "b.edf", ann))
    assert rows(alone) == [(0, 30, "W"), (30, 90, "N2")]
    assert any("'Sleep stage R' at 120 s has no duration and nothing after it ends it" in m
               for m in alone.messages)


def test_overlapping_stages_are_an_error_naming_the_first_overlap(tmp_path):
    p = write_edf(tmp_path / "two.edf", [(0, 30, "Sleep stage W"), (30, 30, "Sleep stage N2"),
                                         (45, 30, "Sleep stage N3"), (90, 30, "Sleep stage R"),
                                         (95, 5, "Sleep stage W")])
    with pytest.raises(LabelFileError) as exc:
        IntervalLabelSet.read(p)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(f"{p}: stage annotations overlap: 'Sleep stage N3' at 45 s")
    assert "'N2' interval 30-60 s" in msg
    # The same stage twice (one hypnogram in two annotation signals) is no conflict: it merges.
    same = write_edf(tmp_path / "same.edf", [(0, 30, "Sleep stage W"), (0, 30, "Sleep stage W"),
                                             (15, 30, "Sleep stage W"), (45.0004, 30, "Sleep stage N1")])
    assert rows(IntervalLabelSet.read(same)) == [(0, 45, "W"), (45, 75.0004, "N1")]


# -- broken files ---------------------------------------------------------------------------------
def test_broken_tals_and_stages_past_the_data_are_warnings(tmp_path):
    good = write_edf(tmp_path / "g.edf", [(0, 30, "Sleep stage W"), (30, 60, "Sleep stage N2")], seconds=40)
    data = bytearray(good.read_bytes())
    at = data.index(b"+0\x1530\x14Sleep stage W\x14\x00")
    data[at:at + 5] = b"\x01zz\x02\x07"            # record 1's stage TAL made unreadable
    broken = tmp_path / "b.edf"
    broken.write_bytes(bytes(data))
    labels = IntervalLabelSet.read(broken)
    assert rows(labels) == [(30, 90, "N2")]
    assert any("1 data record(s) hold annotation bytes that are not valid TALs (left out)" in m
               for m in labels.messages)
    assert any("labels run past the end of the recorded data (40 s) to 90 s (kept)" in m for m in labels.messages)


@pytest.mark.parametrize("content, problem", [
    (b"", "file is empty (not an EDF or BDF file)"),
    (b"start_s,end_s,label\n0,30,W\n", "not an EDF or BDF file (27 bytes, shorter than the 256-byte header)"),
    (b"1" * 300, "not an EDF or BDF file (version field b'11111111'"),
    (b"0       " + b" " * 244 + b"99  " + b" " * 100, "header announces 99 signals, which do not fit"),
])
def test_files_that_are_not_edf_are_one_line_errors_naming_the_file(tmp_path, content, problem):
    p = tmp_path / "x.EDF"
    p.write_bytes(content)
    with pytest.raises(LabelFileError) as exc:
        IntervalLabelSet.read(p)
    assert str(exc.value).startswith(f"{p}: {problem}") and "\n" not in str(exc.value)


# -- a source, never written ----------------------------------------------------------------------
def test_scoring_an_edf_saves_to_the_scored_csv_and_never_touches_the_edf(tmp_path):
    src = write_edf(tmp_path / "night.BDF", [(0, 30, "Sleep stage W"), (30, 30, "Sleep stage N1")], seconds=60)
    before = src.read_bytes()
    assert format_of(src) == "edf" and sibling_path(src) == tmp_path / "night.scored.csv"
    ls = IntervalLabelSet.load(src, durable=False)
    assert ls.save_path == tmp_path / "night.scored.csv" and "2 sleep stages -> 2 intervals" in ls.messages[0]
    ls.add(60, 90, "R")
    ls.close()
    ls = IntervalLabelSet.load(src, durable=False)              # the edit comes back from the journal
    assert ls.recovered_edits == 1 and rows(ls)[-1] == (60, 90, "R")
    ls.save()
    ls.close()
    assert src.read_bytes() == before
    again = IntervalLabelSet.load(src, durable=False)
    assert rows(again) == [(0, 30, "W"), (30, 60, "N1"), (60, 90, "R")]
    assert "opened night.scored.csv" in again.messages[0]
    again.close()
    with pytest.raises(LoupeConfigError, match="EDF/BDF files are read-only; writeback needs"):
        IntervalLabelSet.load(src, writeback=True)
    with pytest.raises(LabelFileError, match="never saved into an EDF/BDF file"):
        again.save_as(tmp_path / "copy.edf")


# -- export ---------------------------------------------------------------------------------------
def test_stage_names_are_written_as_sleep_edf_texts():
    assert [stage_text(n) for n in ("W", "N1", "N3", "R", "S1", "S4", "Art", "MT", "NREM")] == [
        "Sleep stage W", "Sleep stage N1", "Sleep stage N3", "Sleep stage R", "Sleep stage 1", "Sleep stage 4",
        "Movement time", "Movement time", "NREM"]
    assert stage_text("REM", EdfStageOptions(stages={"R": "REM"})) == "Sleep stage R"


def test_csv_to_edf_to_csv_keeps_every_interval_and_edfio_reads_the_same(tmp_path, capsys):
    csv = tmp_path / "night.csv"
    csv.write_text("start_s,end_s,label,note\n0,30,W,\n30,90.25,N2,spindle\n90.25,120,Art,\n"
                   "150,180,R,\n180,210.5,NREM,\n")
    out = tmp_path / "night.edf"
    assert main(["labels", "convert", str(csv), str(out)]) == 0
    said = capsys.readouterr().out
    assert "wrote 5 intervals" in said and "01.01.85 00.00.00 (EDF+'s anonymous date" in said
    assert "left out (EDF+ holds one text per annotation): 1 note(s)" in said
    theirs = edfio.read_edf(out)
    assert [(a.onset, a.onset + a.duration, a.text) for a in theirs.annotations] == [
        (0, 30, "Sleep stage W"), (30, 90.25, "Sleep stage N2"), (90.25, 120, "Movement time"),
        (150, 180, "Sleep stage R"), (180, 210.5, "NREM")]
    assert theirs.num_signals == 0 and theirs.startdate == dt.date(1985, 1, 1)
    back = tmp_path / "back.csv"
    assert main(["labels", "convert", str(out), str(back)]) == 0
    assert rows(IntervalLabelSet.read(back)) == rows(IntervalLabelSet.read(csv)) == rows(IntervalLabelSet.read(out))
    assert main(["labels", "convert", str(csv), str(out)]) == 2            # never overwritten unasked
    assert "night.edf: exists; pass --force to overwrite it" in capsys.readouterr().err


@real
def test_an_edf_hypnogram_exports_with_its_own_start_and_reads_back_alike(tmp_path):
    out = tmp_path / "sc.edf"
    assert main(["labels", "convert", str(SLEEP_EDF), str(out), "--stage-names", "rk"]) == 0
    theirs = edfio.read_edf(out)
    assert theirs.startdate == dt.date(1989, 4, 24) and theirs.starttime == dt.time(16, 13)
    assert theirs.annotations[1].text == "Sleep stage 1"
    back = IntervalLabelSet.read(out, hypnogram=EdfStageOptions(names="rk"))
    assert rows(back) == rows(IntervalLabelSet.read(SLEEP_EDF, hypnogram=EdfStageOptions(names="rk")))


def test_export_refusals(tmp_path, capsys):
    csv = tmp_path / "a.csv"
    csv.write_text("start_s,end_s,label\n0,30,W\n")
    rec = write_edf(tmp_path / "rec.edf", [(0, 30, "Sleep stage W")], seconds=30)
    before = rec.read_bytes()
    assert main(["labels", "convert", str(csv), str(rec), "--force"]) == 2
    assert "rec.edf: is a recording (1 signals); not overwriting it, even with --force" in capsys.readouterr().err
    assert rec.read_bytes() == before
    assert main(["labels", "convert", str(csv), str(tmp_path / "a.bdf")]) == 2
    assert "exported as EDF+ (.edf), not BDF" in capsys.readouterr().err
    assert main(["labels", "info", str(csv), "--stage-names", "rk"]) == 2
    assert "--stage-names: " in capsys.readouterr().err
    ann_only = write_edf(tmp_path / "old.edf", [(0, 30, "Sleep stage W")])
    assert main(["labels", "convert", str(csv), str(ann_only), "--force"]) == 0     # annotations only: replaced
    with pytest.raises(LabelFileError, match="no intervals to write"):
        encode_edf_annotations("x.edf", [], [], [])
    with pytest.raises(LabelFileError, match="holds a control byte"):
        encode_edf_annotations("x.edf", [0.0], [1.0], ["a\x14b"])


def test_export_bytes_read_by_our_reader_and_edfio_alike():
    data = encode_edf_annotations("x.edf", [0.1, 30.1, 1e5], [30.1, 60.3, 1e5 + 0.7], ["W", "N1", "é"],
                                  start=dt.datetime(2020, 5, 6, 7, 8, 9))
    theirs = edfio.read_edf(io.BytesIO(data))
    mine = read_edf_annotations(data, "x.edf")
    assert mine.start == theirs.startdatetime.replace(tzinfo=None) == dt.datetime(2020, 5, 6, 7, 8, 9)
    assert [(a.onset, a.duration, a.text) for a in mine.annotations] == [
        (a.onset, a.duration, a.text) for a in theirs.annotations] == [
        (0.1, 30.0, "Sleep stage W"), (30.1, 60.3 - 30.1, "Sleep stage N1"), (1e5, 1e5 + 0.7 - 1e5, "é")]
