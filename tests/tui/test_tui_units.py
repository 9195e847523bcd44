"""The pure parts of the terminal app: command parsing, drawing helpers, bridge messages, view()."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from loupe_tui import protocol as P
from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.core.session import Session
from loupe_tui.core.states import StateConfig
from loupe_tui.errors import LoupeConfigError
from loupe_tui.tui import bridge as bridge_mod
from loupe_tui.tui.bridge import messages_for
from loupe_tui.tui.colon import complete, parse
from loupe_tui.tui.help import help_rows
from loupe_tui.tui.widgets.draw import braille_rows, dominant_codes, present_codes, range_columns
from loupe_tui.tui.widgets.footer import footer_text
from tui_helpers import SIZE, sync, wait_ready


def test_parse_commands_and_aliases():
    assert parse(":goto 3:25:10").name == "goto" and parse("g 10").arg == "10"
    assert parse("jump REM").arg == "REM" and parse("/spindle").name == "find"
    assert parse("w").name == "w" and parse("w out.csv").arg == "out.csv" and parse("q!").name == "q!"
    with pytest.raises(LoupeConfigError, match="needs a time"):
        parse("goto")
    with pytest.raises(LoupeConfigError, match="unknown command"):
        parse("frob")
    with pytest.raises(LoupeConfigError, match="takes no argument"):
        parse("unscored 3")


def test_complete_commands_then_states():
    assert complete("ju", [])[0] == "jump "
    line, cands = complete("e", [])
    assert "epoch" in cands and "export" in cands
    assert complete("jump r", ["Wake", "REM", "NREM"])[0] == "jump REM"
    assert complete("label ", ["Wake", "REM"])[1] == ["Wake", "REM"]


def test_state_columns_keep_short_states_visible():
    starts, ends, codes = np.array([0.0, 100.0, 104.0]), np.array([100.0, 104.0, 400.0]), np.array([0, 1, 0])
    dom = dominant_codes(starts, ends, codes, 0.0, 400.0, 4)
    pres = present_codes(starts, ends, codes, 2, 0.0, 400.0, 4)
    assert dom.tolist() == [0, 0, 0, 0]
    assert pres[1].tolist() == [False, True, False, False]           # the 4 s state is still there
    assert dominant_codes(starts, ends, codes, 400.0, 500.0, 2).tolist() == [-1, -1]


def test_braille_draws_min_max_columns():
    lo = np.array([0.0, 0.0, np.nan, np.nan])
    hi = np.array([1.0, 0.0, np.nan, np.nan])
    top, bot = range_columns(lo, hi, 0.0, 1.0, 4)
    assert top.tolist()[:2] == [0.0, 1.0] and bot.tolist()[:2] == [3.0, 3.0] and np.isnan(top[2])
    rows = braille_rows(top, bot, 1)
    assert len(rows) == 1 and len(rows[0]) == 2 and rows[0][1] == " "
    # left dot column rows 0-3 (0x01 0x02 0x04 0x40), right one rows 1-3 (joined to the left's middle)
    assert ord(rows[0][0]) == 0x2800 + 0x47 + (0x10 | 0x20 | 0x80)


def test_footer_and_help_come_from_the_keymap():
    st = StateConfig({"Wake": ["w"], "Sleep": ["s"]}, {"Wake": "#00ff00", "Sleep": "#0000ff"},
                     {"nav.page_next": ["l"]})
    text = footer_text(st).plain
    assert "w  Wake" in text and "s  Sleep" in text and " l  next" in text
    narrow = footer_text(st, 40).plain                       # whole entries go, least important first
    assert len(narrow) <= 40 and narrow.rstrip().endswith("quit") and "…" not in narrow
    assert "w  Wake" in narrow and "next" not in narrow
    rows = dict(help_rows(st))
    assert ("w", "Wake") in rows["States (label the selection, or the cursor epoch and advance)"]
    assert ("l", "Next page (one window forward)") in rows["Navigation"]
    assert any(k.startswith(":goto") for k, _ in rows["Commands (type : first)"])


def test_messages_for_a_change():
    s = Session(IntervalLabelSet(), 0.0, 100.0, epoch_len=4.0)
    ch = s.label("Wake") | s.page(1)
    msgs = messages_for(ch, s, seq=7)
    kinds = [type(m).__name__ for m in msgs]
    assert kinds == ["ApplyLabelDiff", "SetWindow", "SetCursor"]
    assert msgs[0].added == ((0.0, 4.0, "Wake"),) and msgs[1].seq == 7
    assert messages_for(s.mark(), s, 8)[-1] == P.SetSelection(s.selection[0], s.selection[1])


class FakeLink:
    instances: list = []
    fail = False

    def __init__(self, on_event, *, log_path=None, env=None, startup_timeout=20.0, size=None):
        self.on_event, self.sent, self.initial = on_event, [], None
        FakeLink.instances.append(self)

    async def start(self, initial):
        if FakeLink.fail:
            raise bridge_mod.LinkUnavailable("no display (DISPLAY is not set)")
        self.initial = list(initial)
        return P.Ready(renderer="fake")

    async def restart(self, initial):
        return await self.start(initial)

    def send(self, msg):
        self.sent.append(msg)

    alive = True
    status = "GL window: fake"

    async def stop(self):
        self.alive = False


class FakeUnavailable(Exception):
    pass


@sync
async def test_window_starts_in_a_worker_and_is_told_every_change(new_app, monkeypatch):
    monkeypatch.setattr(bridge_mod, "RenderLink", FakeLink)
    monkeypatch.setattr(bridge_mod, "LinkUnavailable", FakeUnavailable)
    monkeypatch.setattr(bridge_mod.Bridge, "initial", lambda self, s, st, o: [P.LoadSession({}), P.SetCursor(0.0)])
    FakeLink.instances, FakeLink.fail = [], False
    app = new_app(window=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        await pilot.pause(0.05)
        link = FakeLink.instances[-1]
        assert isinstance(link.initial[0], P.LoadSession)
        await pilot.press("]", "r", "h")
        kinds = [type(m).__name__ for m in link.sent]
        assert "SetWindow" in kinds and "ApplyLabelDiff" in kinds and "SetViewOption" in kinds
        assert "GL window: fake" in app.screen.query_one("#status").text
        await pilot.press("ctrl+q", "n")                     # unsaved edits: quit without saving
        await pilot.pause()
    assert link.alive is False


@sync
async def test_an_unavailable_window_leaves_the_terminal_views_working(new_app, monkeypatch):
    monkeypatch.setattr(bridge_mod, "RenderLink", FakeLink)
    monkeypatch.setattr(bridge_mod, "LinkUnavailable", FakeUnavailable)
    monkeypatch.setattr(bridge_mod.Bridge, "initial", lambda self, s, st, o: [])
    FakeLink.fail = True
    try:
        app = new_app(window=True)
        async with app.run_test(size=SIZE) as pilot:
            await wait_ready(pilot)
            await pilot.pause(0.05)
            assert "unavailable (no display" in app.screen.query_one("#status").text
            await pilot.press("]")
            assert app.screen.session.window_start == 20.0
    finally:
        FakeLink.fail = False


def test_view_refuses_bare_arrays_and_missing_states(tmp_path, monkeypatch):
    from loupe_tui.api import make_context
    from loupe_tui.config import TraceConfig

    da = xr.DataArray(np.zeros((1, 100), np.float32), dims=("ch", "time"), coords={"time": np.arange(100) / 10})
    with pytest.raises(LoupeConfigError, match="bare xarray.DataArray"):
        make_context(da, state_definitions="rodent_sleep")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    with pytest.raises(LoupeConfigError, match="no state definitions"):
        make_context(TraceConfig(da))
    with pytest.raises(LoupeConfigError, match="writeback"):
        make_context(TraceConfig(da), keymap={"w": "Wake"}, label_colors={"Wake": "#00ff00"},
                     interval_labels_writeback=True)
    ctx = make_context(TraceConfig(da), keymap={"w": "Wake"}, label_colors={"Wake": "#00ff00"})
    assert ctx.session.t_end == pytest.approx(10.0) and ctx.session.epoch_len == 4.0


@pytest.mark.parametrize("cursor", [370.0, 370.1, 371.9, 374.0, 379.3])
def test_axis_markers_never_garble_tick_labels(cursor):
    import re

    from loupe_tui.tui.widgets.draw import ViewState
    from loupe_tui.tui.widgets.hypnogram import Hypnogram
    from loupe_tui.tui.widgets.trace_preview import TracePreview

    view = ViewState(368.0, 388.0, cursor, None, 4.0, 0.0, (0.0, 720.0))
    prev = TracePreview()
    prev.set_events(np.array([376.05]))
    rows = {"preview": prev._axis_row(view, 130, 140).text}
    hyp = Hypnogram()
    hyp._view = view
    rows["hypnogram"] = hyp._axis((360.0, 400.0), 130, np.zeros(130, bool), 140).text
    for name, text in rows.items():
        assert "▲" in text, name
        for mark, label in re.findall(r"([┴▲▼])([^─▲▼┴ ]*)", text):   # every tick label is whole
            assert mark != "┴" or label, (name, text)
            assert not label or re.fullmatch(r"\d+:\d\d(:\d\d(\.\d)?)?", label), (name, label, text)
        assert not re.search(r"[\d:][▲▼┴]", text), (name, text)           # no marker inside a label


def test_a_restarted_window_is_told_every_view_setting_from_the_two_models():
    from loupe_tui.tui.bridge import full_state
    from loupe_tui.tui.view import DenseSettings, FocusTarget, ViewModel

    s = Session(IntervalLabelSet(), 0.0, 100.0, epoch_len=4.0)
    s.label("Wake")
    s.page(1)
    st = StateConfig({"Wake": ["w"]}, {"Wake": "#00ff00"})
    view = ViewModel(focus_source=[FocusTarget("trace:EEG", "EEG", "EEG"), FocusTarget("dense", "dense traces")],
                     videos=["side", "top"])
    base = {(type(m).__name__, getattr(m, "target", None)) for m in full_state(s, view, st)}
    assert ("SetFocus", "EEG") not in base and ("SetViewOption", "dense") not in base   # nothing asked for yet
    view.y_zoom(2.0)
    view.focus(1)
    view.set_dense(DenseSettings(3.0, 2, 10, 1))
    view.toggle_video(1)
    view.toggle_hypnogram()
    msgs = full_state(s, view, st)
    opts = {(m.target, tuple(sorted(m.options.items()))) for m in msgs if isinstance(m, P.SetViewOption)}
    assert ("trace:EEG", (("yzoom", 2.0),)) in opts
    assert ("dense", (("gain", 3.0), ("page", 1), ("step", 2), ("traces_per_page", 10))) in opts
    assert ("video:1", (("visible", False),)) in opts and ("hypnogram", (("visible", False), ("zoom", False))) in opts
    assert msgs[-1] == P.SetFocus("dense")
    labels = next(m for m in msgs if isinstance(m, P.SetLabels))
    window = next(m for m in msgs if isinstance(m, P.SetWindow))
    assert labels.labels == ("Wake",) and (window.t0, window.t1) == (s.window_start, s.window_end)


def test_figure_names_keep_a_dotted_title(tmp_path):
    from loupe_tui.tui.figures import figure_base, with_ext

    base = figure_base(tmp_path, "night.edf", 3760.0)
    assert with_ext(base, ".png").name == "night.edf-1h02m40s.png"     # not night.png beside night.edf-....svg
    with_ext(base, ".png").write_bytes(b"")
    assert figure_base(tmp_path, "night.edf", 3760.0).name == "night.edf-1h02m40s-2"
