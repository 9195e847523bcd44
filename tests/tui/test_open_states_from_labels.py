"""``loupe-tui open DATA --labels FILE`` without ``--keymap`` opens (issue 10, item 2).

On real data: YASA's EOG (``yasa_eog_rem_256hz.npz``, written to a zarr
store as docs/data-inputs.md says) and YASA's expert hypnogram
(``yasa_hypno_30s.txt``: W/N1/N2/N3/R). The hypnogram is copied next to the
store, since opening labels journals edits beside them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from loupe_tui.cli import build_parser, main
from loupe_tui.commands.open import CLI_CONTEXT, build_view_args
from tui_helpers import SIZE, sync, wait_ready

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
NPZ, HYPNO = SHARED / "yasa_eog_rem_256hz.npz", SHARED / "yasa_hypno_30s.txt"
pytestmark = pytest.mark.skipif(not (NPZ.exists() and HYPNO.exists()),
                                reason=f"real data not present at {SHARED} (../shared/data)")


@pytest.fixture(scope="module")
def eog(tmp_path_factory) -> Path:
    """The real EOG as a zarr store (the recipe of docs/data-inputs.md)."""
    import xarray as xr

    z = np.load(NPZ)
    data, fs = z["data"], float(z["sf"])
    da = xr.DataArray(data.astype("float32"), dims=("channel", "time"),
                      coords={"channel": z["chan"].astype(object), "time": np.arange(data.shape[1]) / fs},
                      name="eog", attrs={"units": "uV"})
    path = tmp_path_factory.mktemp("eog") / "eog.zarr"
    da.to_dataset().to_zarr(path, mode="w", consolidated=False)
    return path


@pytest.fixture
def user(tmp_path, monkeypatch):
    """A new user: no keymap of their own, a private cache."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture
def hypno(user) -> Path:
    dst = user / "yasa_hypno_30s.txt"
    shutil.copy(HYPNO, dst)
    return dst


def run_open(argv, monkeypatch):
    """``loupe-tui open ...`` up to the app (which is not run); (status, context)."""
    got = {}

    class NoRun:
        def __init__(self, ctx):
            got["ctx"] = ctx
            self.labels = ctx.session.labels

        def run(self):
            pass

    monkeypatch.setattr("loupe_tui.tui.app.LoupeApp", NoRun)
    code = main(["open", *map(str, argv), "--no-window"])
    if "ctx" in got:
        got["ctx"].labels.close()
    return code, got.get("ctx")


def test_hypnogram_opens_with_the_bundled_keymap_that_has_its_states(eog, hypno, monkeypatch, capsys):
    code, ctx = run_open([eog, "--labels", hypno], monkeypatch)
    assert code == 0, capsys.readouterr().err
    assert ctx.states.source.name == "aasm_human.toml"
    assert ctx.states.keys_for("R") == ("r", "5") and ctx.session.epoch_len == 30.0
    assert len(ctx.labels) == 49 and ctx.labels.states() == ("W", "N1", "N2", "N3", "R")
    note = [m for m in ctx.labels.messages if "aasm_human" in m]
    assert note == ["states from the bundled keymap aasm_human (it has the labels' states W, N1, N2, N3, R); "
                    "--keymap chooses another"]


def test_a_keymap_given_wins(eog, hypno, monkeypatch, capsys):
    code, ctx = run_open([eog, "--labels", hypno, "--keymap", "rodent_sleep"], monkeypatch)
    assert code == 0 and ctx.states.source.name == "rodent_sleep.toml"
    assert any("are not in rodent_sleep.toml" in m for m in ctx.labels.messages)


def test_labels_no_keymap_has_bring_their_own_states(eog, user, monkeypatch, capsys):
    labels = user / "mine.csv"
    labels.write_text("start_s,end_s,label,note\n0,30,quiet,\n30,60,active,\n60,90,quiet,\n")
    code, ctx = run_open([eog, "--labels", labels], monkeypatch)
    assert code == 0, capsys.readouterr().err
    assert ctx.states.states == ["quiet", "active"]
    assert ctx.states.lookup("1") == ("state", "quiet") and ctx.states.lookup("2") == ("state", "active")
    assert ctx.states.colors["quiet"] != ctx.states.colors["active"]
    assert any(m.startswith("states from the labels") and "1 quiet, 2 active" in m for m in ctx.labels.messages)


def test_nothing_to_go_by_is_a_command_line_error(eog, user, monkeypatch, capsys):
    code, _ = run_open([eog], monkeypatch)            # no labels, no keymap anywhere
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and err.startswith("loupe-tui: error: no state definitions")
    assert "--keymap FILE_OR_NAME (bundled: aasm_human, behaviour, rodent_sleep)" in err
    assert "keymap=" not in err and "label_colors" not in err


@sync
async def test_the_status_line_says_where_the_states_came_from_and_keys_score(eog, user, monkeypatch):
    from loupe_tui.api import make_app

    labels = user / "mine.csv"
    labels.write_text("start_s,end_s,label,note\n0,30,quiet,\n30,60,active,\n")
    args = build_parser().parse_args(["open", str(eog), "--labels", str(labels), "--no-window"])
    app = make_app(**build_view_args(args), **CLI_CONTEXT)
    async with app.run_test(size=SIZE) as pilot:
        await wait_ready(pilot)
        status = app.screen.query_one("#status").message
        assert "states from the labels" in status and "1 quiet, 2 active" in status
        s = app.screen.session
        await pilot.press("end")                       # past the labels: an unscored epoch
        t = s.cursor
        await pilot.press("2")
        assert s.labels.at_time(t) is not None and s.labels.at_time(t).label == "active"
    app.labels.close()
