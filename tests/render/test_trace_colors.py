"""Default trace colours stay apart from every state colour of the bundled keymaps (CIEDE2000).

The shading and the label strip are drawn in state colours; a trace of the same
colour disappears into them (the old default blue was aasm_human's N2 blue).
The difference formula is checked first against the published test pairs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loupe_tui.config import DENSE_COLOR
from loupe_tui.core.colors import PALETTE, ciede2000, color_difference, cycle
from loupe_tui.core.states import StateConfig

KEYMAPS = sorted((Path(__file__).resolve().parents[2] / "keymaps").glob("*.toml"))
MIN_DE = 20.0

# Sharma, Wu and Dalal, "The CIEDE2000 color-difference formula: implementation notes,
# supplementary test data, and mathematical observations", Color Res. Appl. 30 (2005), Table 1:
# L1, a1, b1, L2, a2, b2, dE00.
SHARMA_PAIRS = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


@pytest.mark.parametrize("row", SHARMA_PAIRS)
def test_ciede2000_reproduces_the_published_pairs(row):
    lab1, lab2, want = row[:3], row[3:6], row[6]
    assert ciede2000(lab1, lab2) == pytest.approx(want, abs=5e-5)
    assert ciede2000(lab2, lab1) == pytest.approx(want, abs=5e-5)   # symmetric


def test_srgb_conversion_is_the_d65_one():
    assert color_difference((255, 255, 255), (255, 255, 255)) == 0.0
    assert color_difference((0, 0, 0), (255, 255, 255)) == pytest.approx(100.0, abs=1e-3)


def _state_colors() -> list[tuple[str, tuple]]:
    out = []
    for path in KEYMAPS:
        sc = StateConfig.from_file(path)
        out += [(f"{path.stem}:{s}", sc.colors[s]) for s in sc.states]
    return out


def test_default_trace_colours_are_far_from_every_bundled_state_colour():
    states = _state_colors()
    assert len(KEYMAPS) >= 3 and len(states) >= 15
    defaults = {**{f"cycle({i})": cycle(i) for i in range(len(PALETTE))}, "dense": DENSE_COLOR}
    close = [(name, state, round(color_difference(c, s), 1)) for name, c in defaults.items() for state, s in states
             if color_difference(c, s) < MIN_DE]
    assert not close, f"trace colours within CIEDE2000 {MIN_DE} of a state colour: {close}"


def test_default_trace_colours_are_told_apart_from_each_other():
    worst = min(color_difference(a, b) for i, a in enumerate(PALETTE) for b in PALETTE[i + 1:])
    assert worst >= 15.0
