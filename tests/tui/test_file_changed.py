"""A labels file changed on disk by another program while the app has it open.

Ctrl+S must not silently overwrite it: the status bar says why nothing was
saved (naming the file and how to write elsewhere), the file keeps the other
program's bytes, the edits stay in the journal, and export still writes them.
(The library-level refusal is tested in tests/unit/test_journal.py.)
"""

from __future__ import annotations

import os

from loupe_tui.core.labels import IntervalLabelSet, journal_path_for
from tui_helpers import SIZE, screen_text, sync, wait_ready


async def command(pilot, text: str) -> None:
    await pilot.press(":")
    pilot.app.screen.query_one("#command-line").value = text
    await pilot.press("enter")


def assert_refused(app, target) -> None:
    bar = app.screen.query_one("#status")
    assert bar.message.startswith("not saved: "), bar.message
    assert f"{target}: changed on disk since it was loaded" in bar.message
    assert "not overwriting it" in bar.message and "save_as" in bar.message
    assert "\n" not in bar.message
    assert "not saved: " in screen_text(app)               # on the screen, not only in the widget


async def edit_and_export(pilot, app, labels_file, changed_target, other_bytes: bytes) -> None:
    s = app.screen.session
    s.goto(400.0)
    await pilot.press("w")
    assert s.labels.at_time(401.0).label == "Wake"
    changed_target.write_bytes(other_bytes)            # another program writes the file
    os.utime(changed_target, ns=(1, 1))                 # even a different mtime alone must not fool it
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert_refused(app, changed_target)
    assert changed_target.read_bytes() == other_bytes  # untouched
    assert s.labels.has_unsaved_edits
    assert journal_path_for(labels_file).exists()      # the edit is still safe in the journal
    out = labels_file.parent / "mine.csv"
    await command(pilot, f"export {out}")
    bar = app.screen.query_one("#status")
    assert bar.message.startswith("exported "), bar.message
    assert IntervalLabelSet.read(out).at_time(401.0).label == "Wake"
    assert changed_target.read_bytes() == other_bytes


OTHER = b"start_s,end_s,label,note\n0,4,REM,written by another program\n"


@sync
async def test_ctrl_s_refuses_a_source_changed_on_disk_with_writeback(new_app, labels_file):
    app = new_app(interval_labels_writeback=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await edit_and_export(pilot, app, labels_file, labels_file, OTHER)


@sync
async def test_ctrl_s_refuses_a_sibling_that_appeared_on_disk(new_app, labels_file):
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        sibling = labels_file.with_name("labels.scored.csv")
        assert app.screen.session.labels.save_path == sibling and not sibling.exists()
        await edit_and_export(pilot, app, labels_file, sibling, OTHER)
        before = labels_file.read_bytes()
        await pilot.press("ctrl+s")                     # refused again: no retry overwrites it
        await pilot.pause()
        assert_refused(app, sibling)
        assert sibling.read_bytes() == OTHER and labels_file.read_bytes() == before
