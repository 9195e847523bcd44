"""Never lose an edit: journal, recovery, sibling/writeback saves, conflicts, SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

from loupe_tui.core.labels import IntervalLabelSchema, IntervalLabelSet, journal_path_for, sibling_path
from loupe_tui.errors import LabelFileError, LoupeConfigError

REPO = Path(__file__).resolve().parents[2]
ORIGINAL = "start_s,end_s,label,note\n0,30,W,\n30,60,N2,spindle\n"


@pytest.fixture
def night(tmp_path) -> Path:
    p = tmp_path / "night1.csv"
    p.write_text(ORIGINAL)
    return p


def spans(ls):
    return [(r.start, r.end, r.label) for r in ls]


def test_journal_is_created_on_first_edit_only(night):
    ls = IntervalLabelSet.load(night)
    assert not journal_path_for(night).exists()
    ls.add(60, 90, "REM")
    lines = journal_path_for(night).read_text().splitlines()
    header, entry = json.loads(lines[0]), json.loads(lines[1])
    assert header["base"]["name"] == "night1.csv" and header["base"]["size"] == len(ORIGINAL)
    assert len(header["base"]["sha256"]) == 64 and entry["op"] == "add"
    ls.close()


def test_reopen_replays_journal_and_says_so(night):
    ls = IntervalLabelSet.load(night, durable=False)
    ls.add(60, 90, "REM")
    ls.clear_range(0, 10)
    ls.add(100, 110, "W")
    ls.undo()
    expected = spans(ls)
    ls.close()                               # no save: as after a crash
    again = IntervalLabelSet.load(night)
    assert spans(again) == expected
    assert again.recovered_edits == 4 and again.has_unsaved_edits
    assert "recovered 4 unsaved edit(s)" in again.recovery_message
    assert again.can_redo                    # the history came back too
    again.redo()
    assert spans(again)[-1] == (100, 110, "W")
    again.undo(), again.undo()
    assert spans(again) == [(0, 30, "W"), (30, 60, "N2"), (60, 90, "REM")]
    assert night.read_text() == ORIGINAL     # the source was never written
    again.close()


def test_save_writes_sibling_clears_journal_and_next_open_loads_it(night):
    ls = IntervalLabelSet.load(night)
    ls.add(60, 90, "REM")
    assert ls.save() == sibling_path(night) == night.with_name("night1.scored.csv")
    assert not journal_path_for(night).exists() and not ls.has_unsaved_edits
    assert night.read_text() == ORIGINAL
    assert sorted(p.name for p in night.parent.iterdir()) == ["night1.csv", "night1.scored.csv"]
    ls.add(90, 120, "W")                     # a new journal against the saved file
    ls.close()
    again = IntervalLabelSet.load(night)
    assert spans(again)[-2:] == [(60, 90, "REM"), (90, 120, "W")] and again.recovered_edits == 1
    assert "opened night1.scored.csv" in again.messages[0] and again.save_path == sibling_path(night)
    again.save()
    again.close()
    third = IntervalLabelSet.load(night)
    assert "opened night1.scored.csv" in third.messages[0] and third.recovery_message is None
    assert len(third) == 4
    third.close()


def test_an_original_edited_after_the_save_is_flagged_loudly(night):
    ls = IntervalLabelSet.load(night)
    ls.add(60, 90, "REM")
    sib = ls.save()
    ls.close()
    quiet = IntervalLabelSet.load(night)          # original older than the save: the usual message
    assert not any("changed after" in m for m in quiet.messages)
    quiet.close()
    night.write_text(ORIGINAL + "60,90,N3,\n")  # someone edits the original later
    st = sib.stat()
    os.utime(night, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    again = IntervalLabelSet.load(night)
    assert spans(again)[-1] == (60, 90, "REM")   # still the user's saved work
    note = [m for m in again.messages if "changed after" in m]
    assert note == [f"{night}: note: night1.csv changed after your last save to night1.scored.csv; opened "
                    "your saved work (night1.scored.csv); the original is untouched (saves go to "
                    "night1.scored.csv); compare them if the change was meant for you"]
    again.close()
    assert night.read_text().endswith("60,90,N3,\n")


def test_writeback_saves_to_source_and_save_to_source_needs_it(night):
    ls = IntervalLabelSet.load(night)
    with pytest.raises(LoupeConfigError, match="writeback is not enabled"):
        ls.save_to_source()
    with pytest.raises(LoupeConfigError, match="original labels file"):
        ls.save_as(night)
    ls.close()
    wb = IntervalLabelSet.load(night, writeback=True)
    wb.add(60, 90, "REM")
    assert wb.save_to_source() == night
    assert night.read_text().endswith("60,90,REM,\n") and not sibling_path(night).exists()
    wb.close()


def test_save_refuses_to_overwrite_a_file_changed_by_another_program(night):
    ls = IntervalLabelSet.load(night, writeback=True)
    ls.add(60, 90, "REM")
    night.write_text(ORIGINAL + "200,230,W,\n")
    with pytest.raises(LabelFileError, match="changed on disk since it was loaded.*save_as"):
        ls.save()
    assert night.read_text().endswith("200,230,W,\n")
    ls.save_as(night.with_name("mine.csv"))
    assert IntervalLabelSet.read(night.with_name("mine.csv")).ends[-1] == 90
    ls.close()
    # a sibling that appears meanwhile is protected too
    ls = IntervalLabelSet.load(night.with_name("mine.csv"))
    ls.add(300, 330, "W")
    sibling_path(ls.source_path).write_text("start_s,end_s,label\n")
    with pytest.raises(LabelFileError, match="mine.scored.csv: changed on disk"):
        ls.save()
    ls.close()


def test_journal_against_a_changed_base_is_refused_and_kept(night):
    ls = IntervalLabelSet.load(night)
    ls.add(60, 90, "REM")
    ls.close()
    night.write_text(ORIGINAL.replace("spindle", "edited elsewhere"))
    jp = journal_path_for(night)
    with pytest.raises(LabelFileError) as exc:
        IntervalLabelSet.load(night)
    msg = str(exc.value)
    assert msg.startswith(str(jp)) and "has changed since" in msg and "kept" in msg and "\n" not in msg
    assert jp.exists()


def test_torn_last_entry_is_dropped_damaged_middle_is_an_error(night):
    ls = IntervalLabelSet.load(night)
    ls.add(60, 90, "REM")
    ls.add(90, 120, "W")
    ls.close()
    jp = journal_path_for(night)
    good = jp.read_bytes()
    jp.write_bytes(good + b'{"op":"add","h":[[4,[],[[120.0')        # killed mid-write
    again = IntervalLabelSet.load(night)
    assert again.recovered_edits == 2 and "incomplete last entry" in again.recovery_message
    again.add(120, 150, "N1")                                        # appends after the cut
    again.close()
    assert IntervalLabelSet.load(night).recovered_edits == 3
    lines = good.split(b"\n")
    jp.write_bytes(b"\n".join([lines[0], b"{broken", *lines[1:]]))
    with pytest.raises(LabelFileError, match=r"loupe-journal:2: damaged journal line"):
        IntervalLabelSet.load(night)


def test_save_marker_makes_a_crash_after_rename_harmless(night):
    ls = IntervalLabelSet.load(night)
    ls.add(60, 90, "REM")
    jp = journal_path_for(night)
    pending = jp.read_bytes()
    target = ls.save()
    ls.close()
    import hashlib
    marker = {"op": "save", "target": target.name, "sha256": hashlib.sha256(target.read_bytes()).hexdigest()}
    # The process died after the rename, before deleting the journal:
    jp.write_bytes(pending + (json.dumps(marker) + "\n").encode())
    again = IntervalLabelSet.load(night)
    assert again.recovered_edits == 0 and len(again) == 3 and not jp.exists()
    again.close()
    # ... or before the rename: the marker does not match, the edits are replayed.
    sibling_path(night).unlink()
    jp.write_bytes(pending + (json.dumps({**marker, "sha256": "0" * 64}) + "\n").encode())
    again = IntervalLabelSet.load(night)
    assert again.recovered_edits == 1 and spans(again)[-1] == (60, 90, "REM")
    again.close()


def test_new_file_starts_empty_and_saves_to_its_own_path(tmp_path):
    p = tmp_path / "new.htsv"
    schema = IntervalLabelSchema(start_col="onset", end_col="offset", label_col="stage")
    ls = IntervalLabelSet.load(p, schema)
    assert len(ls) == 0 and ls.save_path == p
    ls.add(0, 30, "W")
    ls.close()
    again = IntervalLabelSet.load(p, schema)
    assert again.recovered_edits == 1 and spans(again) == [(0, 30, "W")]
    again.save()
    assert p.read_text() == "onset\toffset\tstage\tnote\n0.0\t30.0\tW\t\n"
    again.close()
    assert IntervalLabelSet.load(p, schema).save_path == sibling_path(p)   # now it is an original
    with pytest.raises(LabelFileError, match="a new labels file must be .csv"):
        IntervalLabelSet.load(tmp_path / "nope.txt")


def test_journal_for_a_new_file_refuses_a_file_that_appeared(tmp_path):
    p = tmp_path / "new.csv"
    ls = IntervalLabelSet.load(p)
    ls.add(0, 30, "W")
    ls.close()
    p.write_text("start_s,end_s,label\n0,10,N1\n")
    with pytest.raises(LabelFileError, match="not yet created.*has changed since"):
        IntervalLabelSet.load(p)


def test_from_frame_with_journal(tmp_path):
    df = pl.DataFrame({"start_s": [0.0], "end_s": [30.0], "label": ["W"]})
    jp = tmp_path / "edits.loupe-journal"
    ls = IntervalLabelSet.from_frame(df, journal=jp)
    ls.add(30, 60, "N2")
    with pytest.raises(LoupeConfigError, match="save_as"):
        ls.save()
    ls.close()
    again = IntervalLabelSet.from_frame(df, journal=jp)
    assert again.recovered_edits == 1 and spans(again) == [(0, 30, "W"), (30, 60, "N2")]
    again.close()
    with pytest.raises(LabelFileError, match="different DataFrame"):
        IntervalLabelSet.from_frame(df.with_columns(pl.lit("N1").alias("label")), journal=jp)


def test_a_second_open_for_editing_is_refused(night):
    first = IntervalLabelSet.load(night)
    first.add(60, 90, "REM")
    with pytest.raises(LabelFileError, match="open for editing elsewhere"):
        IntervalLabelSet.load(night)
    first.close()
    IntervalLabelSet.load(night).close()


def test_durable_modes(night):
    with pytest.raises(LoupeConfigError, match="durable='yes'"):
        IntervalLabelSet.load(night, durable="yes")
    ls = IntervalLabelSet.load(night, durable="background")
    for k in range(50):
        ls.add(100 + 10 * k, 105 + 10 * k, "W")
    ls.close()                                   # waits for the last background sync
    assert IntervalLabelSet.load(night).recovered_edits == 50


def test_batch_and_atomic_save_leave_no_temp_files(night):
    ls = IntervalLabelSet.load(night, durable=True)
    with ls.batch():
        for k in range(20):
            ls.add(100 + 10 * k, 105 + 10 * k, "W")
    ls.save()
    ls.close()
    assert sorted(p.name for p in night.parent.iterdir()) == ["night1.csv", "night1.scored.csv"]


WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {repo!r})
    from loupe_tui.core.labels import IntervalLabelSet
    ls = IntervalLabelSet.load(sys.argv[1], durable={{"1": True, "0": False}}.get(sys.argv[2], sys.argv[2]))
    print("ready", flush=True)
    for k in range(1_000_000):
        ls.add(k * 10.0, k * 10.0 + 5.0, "N2" if k % 3 else "REM", note=f"edit {{k}}")
        if k % 7 == 6:
            ls.undo()
            ls.redo()
        print(k, flush=True)
""")


@pytest.mark.parametrize("durable", [False, "background", True])
def test_sigkill_mid_stream_loses_no_acknowledged_edit(tmp_path, durable):
    path = tmp_path / "killed.csv"
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(repo=str(REPO)))
    mode = {True: "1", False: "0"}.get(durable, durable)
    proc = subprocess.Popen([sys.executable, str(script), str(path), mode],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        acked = -1
        while acked < 250:
            acked = int(proc.stdout.readline())
        os.kill(proc.pid, signal.SIGKILL)
        for line in proc.stdout.read().split():     # acks already in the pipe count too
            acked = int(line)
    finally:
        proc.kill()
        proc.wait()
    ls = IntervalLabelSet.load(path)
    assert ls.recovered_edits >= acked + 1
    for k in range(acked + 1):
        row = ls.at_time(k * 10.0 + 1)
        assert row is not None and row.note == f"edit {k}", k
    assert len(ls) in (acked + 1, acked + 2)        # at most the one edit in flight on top
    ls.close()


def test_undo_past_a_save_is_journaled_and_recovered(night):
    ls = IntervalLabelSet.load(night)
    ls.add(60, 90, "REM")
    ls.save()
    ls.undo()                                    # undoes an edit that is already saved
    assert len(ls) == 2 and ls.has_unsaved_edits
    ls.close()
    again = IntervalLabelSet.load(night)
    assert again.recovered_edits == 1 and spans(again) == [(0, 30, "W"), (30, 60, "N2")]
    assert again.can_undo                        # the recovered undo is itself undoable
    again.undo()
    assert spans(again)[-1] == (60, 90, "REM")
    again.close()


def test_txt_hypnogram_edits_save_to_a_csv_sibling(tmp_path):
    txt = tmp_path / "hypno.txt"
    txt.write_text("0\n0\n2\n2\n")
    ls = IntervalLabelSet.load(txt)
    ls.add(60, 90, "REM", note="check")
    assert ls.save() == tmp_path / "hypno.scored.csv"
    ls.close()
    assert txt.read_text() == "0\n0\n2\n2\n"
    again = IntervalLabelSet.load(txt)
    assert spans(again) == [(0, 60, "W"), (60, 90, "REM"), (90, 120, "N2")] and again.messages
    again.close()
    with pytest.raises(LoupeConfigError, match="read-only"):
        IntervalLabelSet.load(txt, writeback=True)


def test_a_journal_without_edits_is_discarded(night):
    jp = journal_path_for(night)
    jp.write_text(json.dumps({"loupe_journal": 1, "base": {"kind": "file", "name": "other.csv"}}) + "\n")
    ls = IntervalLabelSet.load(night)
    assert ls.recovered_edits == 0 and not jp.exists() and len(ls) == 2
    ls.close()
    jp.write_text("not json\n")
    with pytest.raises(LabelFileError, match=r"loupe-journal:1: damaged journal line"):
        IntervalLabelSet.load(night)
