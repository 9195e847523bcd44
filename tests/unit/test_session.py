"""The scoring model, driven the way the keys drive it."""

from __future__ import annotations

import pytest

from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.core.session import Session


def spans(ls: IntervalLabelSet) -> list[tuple[float, float, str]]:
    names = ls.label_names
    return [(float(s), float(e), names[c]) for s, e, c in zip(ls.starts, ls.ends, ls.codes)]


@pytest.fixture
def s() -> Session:
    # 1 h of data, 4 s epochs, 40 s window.
    return Session(IntervalLabelSet(), t_start=0.0, t_end=3600.0, epoch_len=4.0, window_len=40.0)


def test_starts_at_the_beginning(s):
    assert (s.window_start, s.window_len, s.cursor) == (0.0, 40.0, 0.0)
    assert s.n_epochs == 900 and s.epoch_index() == 0 and s.state_at() is None


def test_default_window_follows_epoch_length():
    assert Session(IntervalLabelSet(), 0, 3600, epoch_len=4).window_len == 20
    assert Session(IntervalLabelSet(), 0, 3600, epoch_len=30).window_len == 30


def test_page_moves_window_and_cursor_together(s):
    s.step_epoch(2)
    ch = s.page(1)
    assert ch.window and ch.cursor
    assert (s.window_start, s.cursor) == (40.0, 48.0)
    s.page(-1)
    assert (s.window_start, s.cursor) == (0.0, 8.0)


def test_page_stops_at_the_ends(s):
    ch = s.page(-1)
    assert not ch.window and "start" in ch.message
    s.goto(3590)
    s.page(5)
    assert s.window_end == pytest.approx(3600.0)
    assert "end" in s.page(1).message


def test_labelling_advances_and_pages_when_leaving_the_window(s):
    for _ in range(10):
        s.label("NREM")
    # Ten 4 s epochs fill the 40 s window; the cursor moved on to the next page.
    assert spans(s.labels) == [(0.0, 40.0, "NREM")]
    assert s.cursor == 40.0 and s.window_start == 40.0


def test_auto_advance_off_keeps_cursor(s):
    s.toggle_auto_advance()
    s.label("Wake")
    s.label("REM")  # relabels the same epoch
    assert spans(s.labels) == [(0.0, 4.0, "REM")] and s.cursor == 0.0


def test_selection_by_epochs_labels_selection_and_clears_it(s):
    s.step_epoch(3)
    s.mark()
    s.extend_selection(2)
    assert s.selection == (12.0, 24.0)
    ch = s.label("REM")
    assert ch.labels is not None and ch.selection and s.selection is None
    assert spans(s.labels) == [(12.0, 24.0, "REM")]


def test_selection_fine_steps_and_crossing_the_anchor(s):
    s.step_epoch(5)  # cursor 20
    s.mark()  # [20, 24)
    s.extend_selection(dt=s.fine_step)  # free end 24.4
    assert s.selection == pytest.approx((20.0, 24.4))
    s.extend_selection(-2)  # free end 16.4: crosses the anchor at 20
    assert s.selection == pytest.approx((16.4, 20.0))


def test_zero_clears_epoch_or_selection(s):
    for _ in range(5):
        s.label("NREM")
    s.goto(8)
    s.clear()
    assert spans(s.labels) == [(0.0, 8.0, "NREM"), (12.0, 20.0, "NREM")]
    s.goto(0)
    s.mark()
    s.extend_selection(3)
    s.clear()
    assert spans(s.labels) == [(16.0, 20.0, "NREM")] and s.selection is None


def test_delete_last_removes_last_label_and_goes_back(s):
    s.label("Wake")
    s.label("NREM")
    assert s.cursor == 8.0
    s.delete_last()
    assert spans(s.labels) == [(0.0, 4.0, "Wake")] and s.cursor == 4.0
    s.delete_last()
    assert spans(s.labels) == [] and s.cursor == 0.0
    assert "no label" in s.delete_last().message


def test_undo_redo_bring_the_edit_into_view(s):
    s.label("REM")
    s.goto(2000)
    ch = s.undo()
    assert spans(s.labels) == [] and ch.labels is not None
    assert s.window_start <= 0.0 < s.window_end
    s.goto(2000)
    s.redo()
    assert spans(s.labels) == [(0.0, 4.0, "REM")]
    assert s.window_start <= 0.0 < s.window_end
    assert s.redo().message == "nothing to redo"


def test_goto_centres_and_snaps_to_epoch_grid(s):
    s.goto(1000.0)
    assert s.cursor == 1000.0
    assert s.window_start == 980.0 and s.window_start % s.epoch_len == 0


def test_window_resize_keeps_cursor_visible(s):
    s.goto(1000.0)
    s.set_window_len(10)
    assert s.window_start <= s.cursor < s.window_end
    s.zoom(1000)
    assert s.window_len == 3600.0 and s.window_start == 0.0


def test_next_unscored_skips_scored_runs(s):
    for _ in range(6):
        s.label("NREM")  # epochs 0-5
    s.goto(32)
    s.label("REM")  # epoch 8; epochs 6 and 7 unscored
    s.goto(0)
    s.next_unscored()
    assert s.epoch_index() == 6
    s.next_unscored()
    assert s.epoch_index() == 7
    s.next_unscored()
    assert s.epoch_index() == 9
    s.next_unscored(-1)
    assert s.epoch_index() == 7


def test_next_unscored_says_when_there_is_none():
    s = Session(IntervalLabelSet(), 0, 40, epoch_len=4)
    s.toggle_auto_advance()
    s.mark()
    s.extend_selection(9)
    s.label("Wake")
    before = s.epoch_index()
    assert before == 9  # the cursor sits at the last selected epoch
    assert "no unscored" in s.next_unscored().message
    assert s.epoch_index() == before


def test_next_state_change_and_with_state(s):
    s.toggle_auto_advance()
    s.select(0, 40)
    s.label("NREM")
    s.select(40, 52)
    s.label("REM")
    s.select(60, 80)
    s.label("NREM")
    s.goto(5)
    s.next_state_change()
    assert s.cursor == 40
    s.next_state_change()
    assert s.cursor == 52  # REM ends in a gap
    s.next_state_change()
    assert s.cursor == 60
    s.next_state_change(-1)
    assert s.cursor == 52
    s.goto(0)
    s.next_with_state("REM")
    assert s.cursor == 40
    assert "no REM" in s.next_with_state("REM").message


def test_labels_past_the_data_are_reachable():
    ls = IntervalLabelSet()
    ls.add(0, 7200, "NREM")  # 2 h of labels over 1 h of data
    s = Session(ls, 0, 3600, epoch_len=4)
    assert s.span == (0.0, 7200.0)
    s.goto(7000)
    assert s.cursor == 7000 and s.state_at() == "NREM"
    assert s.scored_fraction() == pytest.approx(1.0)


def test_notes_need_a_label(s):
    assert "label the epoch first" in s.set_note("odd").message
    s.toggle_auto_advance()
    s.label("REM")
    ch = s.set_note("twitches")
    assert ch.labels is not None and s.labels.at_time(1.0).note == "twitches"


def test_scored_fraction(s):
    s.select(0, 360)
    s.label("Wake")
    assert s.scored_fraction() == pytest.approx(0.1)


def test_next_with_note_text(s):
    s.toggle_auto_advance()
    for t, note in ((8, "Twitch at onset"), (100, None), (200, "twitch again"), (300, "artifact")):
        s.goto(t)
        s.label("REM")
        if note:
            s.set_note(note)
    s.goto(0)
    s.next_with_note("twitch")
    assert s.epoch_index() == 2
    s.next_with_note("twitch")
    assert s.epoch_index() == 50
    assert "no note with 'twitch'" in s.next_with_note("twitch").message
    s.next_with_note("TWITCH", -1)
    assert s.epoch_index() == 2


def test_find_filters_by_state_note_and_extra():
    ls = IntervalLabelSet.from_frame(
        __import__("polars").DataFrame({"start_s": [0.0, 4.0, 8.0], "end_s": [4.0, 8.0, 12.0],
                                        "label": ["NREM", "REM", "NREM"], "note": [None, "odd", "Odd one"],
                                        "scorer": ["ab", "cd", "ab"]}))
    assert ls.find(state="NREM").tolist() == [0, 2]
    assert ls.find(note="odd").tolist() == [1, 2]
    assert ls.find(state="NREM", note="odd", scorer="AB").tolist() == [2]
    assert ls.find(state="Wake").tolist() == []
    with pytest.raises(Exception, match="no extra column 'confidence'"):
        ls.find(confidence=1)


def test_guess_epoch_len_from_label_boundaries():
    import numpy as np

    g = Session.guess_epoch_len
    assert g(np.arange(0, 300, 30.0), np.arange(30, 330, 30.0), 0.0) == 30.0
    assert g(np.arange(0, 80, 8.0), np.arange(4, 84, 8.0), 0.0) == 4.0
    assert g(np.arange(12, 92, 8.0) + 0.5, np.arange(16, 96, 8.0) + 0.5, 0.5) == 4.0  # anchored at t_start
    assert g(np.array([0.0, 1.3, 7.7, 9.1]), np.array([1.3, 7.7, 9.1, 9.9]), 0.0, default=4.0) == 4.0
    assert g(np.array([]), np.array([]), 0.0, default=30.0) == 30.0


def test_delete_last_restores_what_the_label_replaced():
    ls = IntervalLabelSet()
    ls.add(0, 40, "NREM")  # from the file, not this session
    s = Session(ls, 0, 3600, epoch_len=4)
    s.goto(8)
    s.label("REM")
    assert spans(ls) == [(0.0, 8.0, "NREM"), (8.0, 12.0, "REM"), (12.0, 40.0, "NREM")]
    s.delete_last()
    assert spans(ls) == [(0.0, 40.0, "NREM")] and s.cursor == 8.0
    s.undo()  # the deletion itself is one undoable edit
    assert spans(ls)[1] == (8.0, 12.0, "REM")


def test_delete_last_skips_labels_that_were_undone():
    ls = IntervalLabelSet()
    ls.add(0, 40, "NREM")
    s = Session(ls, 0, 3600, epoch_len=4)
    s.goto(8)
    s.label("REM")
    s.undo()
    assert "no label made" in s.delete_last().message
    assert spans(ls) == [(0.0, 40.0, "NREM")]  # the file's NREM is untouched


def test_delete_last_after_merged_epochs_takes_back_one_epoch():
    s = Session(IntervalLabelSet(), 0, 3600, epoch_len=4)
    s.label("NREM")
    s.label("NREM")
    s.label("NREM")
    assert spans(s.labels) == [(0.0, 12.0, "NREM")]
    s.delete_last()
    assert spans(s.labels) == [(0.0, 8.0, "NREM")] and s.cursor == 8.0


def test_note_on_an_epoch_inside_a_bout_marks_that_epoch_only():
    s = Session(IntervalLabelSet(), 0, 3600, epoch_len=4)
    for _ in range(10):
        s.label("NREM")
    s.goto(20)
    s.set_note("spindle burst")
    assert spans(s.labels) == [(0.0, 20.0, "NREM"), (20.0, 24.0, "NREM"), (24.0, 40.0, "NREM")]
    s.goto(0)
    s.next_with_note("spindle")
    assert s.epoch_index() == 5
    s.set_note("")  # clearing the note joins the bout again
    assert spans(s.labels) == [(0.0, 40.0, "NREM")]


def test_note_on_a_selection_notes_only_its_labelled_parts():
    s = Session(IntervalLabelSet(), 0, 3600, epoch_len=4)
    s.toggle_auto_advance()
    s.select(0, 8)
    s.label("Wake")
    s.select(12, 20)
    s.label("REM")
    s.select(4, 16)
    s.set_note("check")
    rows = [(r.start, r.end, r.label, r.note) for r in s.labels]
    assert rows == [(0.0, 4.0, "Wake", None), (4.0, 8.0, "Wake", "check"),
                    (12.0, 16.0, "REM", "check"), (16.0, 20.0, "REM", None)]
    assert s.undo().labels is not None and [r.note for r in s.labels] == [None, None]


def test_stepping_reaches_labels_before_the_data():
    ls = IntervalLabelSet()
    ls.add(-40, 0, "Wake")  # scored before the recording started
    s = Session(ls, 0, 3600, epoch_len=4)
    s.goto(-20)
    s.step_epoch(-1)
    assert s.cursor == -24.0 and s.state_at() == "Wake"
    s.goto(-40)
    assert "first epoch" in s.step_epoch(-1).message


def test_undo_and_redo_name_exactly_what_changed():
    # Ctrl+U, r r r, Ctrl+Z: the bout 3:02:04-3:02:16 shrinks by its last epoch; only that epoch is named.
    s = Session(IntervalLabelSet(), t_start=0.0, t_end=86_400.0, epoch_len=4.0)
    s.goto(3 * 3600 + 2 * 60 + 4.0)
    for _ in range(3):
        s.label("REM")
    assert s.undo().message == "undid: REM 3:02:12–3:02:16"
    assert s.redo().message == "redid: REM 3:02:12–3:02:16"
    s.undo()
    s.undo()
    assert s.undo().message == "undid: REM 3:02:04–3:02:08"
    # relabelling inside a bout names the new state's span, and clearing names each gap it left
    s.goto(100.0)
    s.mark()
    s.extend_selection(3)
    s.label("NREM")
    s.goto(104.0)
    s.label("Wake")
    assert s.undo().message == "undid: Wake 0:01:44–0:01:48"
    s.goto(100.0)
    s.mark()
    s.extend_selection(1)
    assert s.clear().labels is not None
    assert s.undo().message == "undid: clear 0:01:40–0:01:48"


def test_a_note_says_where_it_went(s):
    assert s.set_note("spindle").message == "no label here to note: label the epoch first"
    s.label("NREM")
    s.step_epoch(-1)
    assert s.set_note("spindle").message == "note 'spindle' set on 0:00:00–0:00:04"
    assert s.set_note("spindle").message == "note 'spindle' set on 0:00:00–0:00:04 (it was already)"
    assert s.set_note("").message == "note cleared on 0:00:00–0:00:04"
