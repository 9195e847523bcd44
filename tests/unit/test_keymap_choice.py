"""Which states labels are scored with when no keymap was given (issue 10, item 2)."""

from __future__ import annotations

import pytest

from loupe_tui.core.colors import color_difference
from loupe_tui.core.keymap_choice import choose_states, covering_keymap, states_from_labels
from loupe_tui.core.states import StateConfig
from loupe_tui.errors import LoupeConfigError

AASM = ["W", "N1", "N2", "N3", "R"]


@pytest.fixture(autouse=True)
def no_user_keymap(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "loupe-tui"


def test_a_bundled_keymap_that_has_the_labels_states_is_chosen_and_named():
    got = choose_states(AASM, guess=True, switch="--keymap")
    assert got.states.source.name == "aasm_human.toml" and got.states.keys_for("N2") == ("2",)
    assert got.note.startswith("states from the bundled keymap aasm_human") and "--keymap" in got.note
    rodent = choose_states(["Wake", "NREM", "REM"], guess=True, switch="--keymap")
    assert rodent.states.source.name == "rodent_sleep.toml"
    assert covering_keymap(["Wake", "REM"])[0] == "rodent_sleep"
    assert covering_keymap(["Wake", "Groom"]) is None


def test_states_from_the_labels_get_keys_1_to_9_and_distinct_colours():
    names = ["sleep", "awake", "mixed"] + [f"s{i}" for i in range(9)]
    got = choose_states(names, guess=True, switch="--keymap")
    st = got.states
    assert st.states == names
    assert [st.keys_for(n) for n in names[:9]] == [(str(i),) for i in range(1, 10)]
    assert st.keys_for(names[9]) == () and names[9] in st.colors       # after the ninth: colour only
    cols = [st.colors[n] for n in names]
    assert min(color_difference(a, b) for i, a in enumerate(cols[:9]) for b in cols[i + 1:9]) > 20
    assert min(color_difference(a, b) for i, a in enumerate(cols) for b in cols[i + 1:]) > 10
    assert got.note.startswith("states from the labels") and "1 sleep, 2 awake, 3 mixed" in got.note
    assert st.lookup("1") == ("state", "sleep") and st.lookup("0")[0] == "action"   # 0 still clears


def test_a_keymap_given_wins_and_says_which_label_states_it_lacks():
    got = choose_states(AASM, "rodent_sleep", guess=True, switch="--keymap")
    assert got.states.source.name == "rodent_sleep.toml"
    assert "W, N1, N2, N3, R are not in rodent_sleep.toml" in got.note
    assert choose_states(["Wake"], "rodent_sleep", guess=True).note is None
    own = choose_states(AASM, keymap={"w": "W"}, label_colors={"W": "#ff0000"}, guess=True)
    assert own.states.states == ["W"]


def test_the_users_keymap_wins_over_any_guess(no_user_keymap):
    no_user_keymap.mkdir(parents=True)
    (no_user_keymap / "keymap.toml").write_text('[states.Wake]\nkeys = ["w"]\ncolor = "#00ff00"\n')
    got = choose_states(AASM, guess=True, switch="--keymap")
    assert got.states.states == ["Wake"] and "are not in keymap.toml" in got.note


def test_without_a_guess_the_error_speaks_the_callers_language():
    with pytest.raises(LoupeConfigError) as py:
        choose_states(AASM)                              # view(): Loupe's rule, no guess
    assert 'state_definitions="aasm_human" has the labels\' states' in str(py.value)
    assert "--keymap" not in str(py.value)
    with pytest.raises(LoupeConfigError) as cli:
        choose_states([], guess=True, switch="--keymap")   # nothing to guess from
    msg = str(cli.value)
    assert "pass --keymap FILE_OR_NAME (bundled: aasm_human, behaviour, rodent_sleep)" in msg
    assert "keymap=" not in msg and "label_colors=" not in msg and "\n" not in msg


def test_states_from_labels_needs_a_state_and_an_empty_config_has_none():
    with pytest.raises(LoupeConfigError):
        states_from_labels([])
    empty = StateConfig.empty()
    assert empty.states == [] and empty.lookup("w") is None and empty.key_to_action
