"""The bundled keymaps name the states that real scoring files use."""

from pathlib import Path

import pytest

from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.core.states import StateConfig, bundled_keymap

YASA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "yasa_hypno_30s.txt"


@pytest.mark.skipif(not YASA.exists(), reason=f"real data not present at {YASA} (../shared/data)")
def test_every_stage_of_a_real_yasa_hypnogram_has_a_hotkey_and_colour_in_the_aasm_keymap():
    states = set(IntervalLabelSet.read(YASA).states())
    cfg = StateConfig.from_file(bundled_keymap("aasm_human"))
    assert states  # the file has stages
    assert states <= set(cfg.colors), states - set(cfg.colors)
    assert all(cfg.keys_for(s) for s in states)


def test_yasa_codes_map_onto_the_aasm_keymap(tmp_path):
    f = tmp_path / "h.txt"
    f.write_text("0\n1\n2\n3\n4\n-1\n-2\n")
    states = set(IntervalLabelSet.read(f).states())
    assert states == {"W", "N1", "N2", "N3", "R", "Art"}
    assert states <= set(StateConfig.from_file(bundled_keymap("aasm_human")).colors)
