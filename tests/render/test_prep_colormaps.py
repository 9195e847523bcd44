"""Colour tables: matplotlib's values, names, reversal, custom maps, value mapping and NaN."""

from __future__ import annotations

import numpy as np
import pytest

from loupe_tui.config_validation import CMAP_NAMES
from loupe_tui.errors import LoupeConfigError
from loupe_tui.colormaps import DEFAULT_NAN_RGBA, lut, map_values, nan_rgba

# round(255 * matplotlib) at LUT entries 0, 37, 64, 128, 173, 200, 255 (matplotlib 3.11 data;
# segmented maps resampled to 256 entries as matplotlib does). None of these are all anchors.
INDICES = [0, 37, 64, 128, 173, 200, 255]
MATPLOTLIB = {
    "magma": [(0, 0, 4), (36, 18, 83), (81, 18, 124), (183, 55, 121), (243, 101, 92), (253, 152, 105), (252, 253, 191)],
    "inferno": [(0, 0, 4), (41, 11, 85), (87, 16, 110), (188, 55, 84), (239, 110, 33), (251, 157, 7), (252, 255, 164)],
    "plasma": [(13, 8, 135), (85, 2, 164), (126, 3, 168), (204, 71, 120), (239, 124, 81), (251, 161, 57), (240, 249, 33)],
    "viridis": [(68, 1, 84), (70, 51, 127), (59, 82, 139), (33, 145, 140), (58, 186, 118), (112, 207, 87), (253, 231, 37)],
    "cividis": [(0, 34, 78), (35, 60, 110), (67, 78, 108), (125, 124, 120), (168, 158, 115), (196, 180, 104), (254, 232, 56)],
    "twilight": [(226, 217, 226), (135, 171, 196), (98, 117, 186), (48, 20, 55), (148, 49, 80), (188, 107, 89), (226, 217, 226)],
    "turbo": [(48, 18, 59), (71, 120, 240), (40, 188, 235), (164, 252, 60), (252, 179, 54), (244, 102, 23), (122, 4, 3)],
    "coolwarm": [(59, 76, 192), (104, 138, 239), (141, 176, 254), (221, 220, 220), (247, 180, 151), (240, 139, 110), (180, 4, 38)],
    "bwr": [(0, 0, 255), (74, 74, 255), (128, 128, 255), (255, 254, 254), (255, 164, 164), (255, 110, 110), (255, 0, 0)],
    "RdBu": [(103, 0, 31), (194, 56, 58), (229, 131, 104), (246, 247, 247), (160, 204, 226), (79, 155, 199), (5, 48, 97)],
    "seismic": [(0, 0, 76), (0, 0, 180), (1, 1, 255), (255, 253, 253), (255, 73, 73), (238, 0, 0), (128, 0, 0)],
    "Blues": [(247, 251, 255), (218, 232, 246), (198, 219, 239), (106, 174, 214), (52, 132, 191), (26, 104, 174), (8, 48, 107)],
    "Reds": [(255, 245, 240), (254, 218, 202), (252, 187, 161), (251, 105, 74), (224, 44, 38), (193, 22, 27), (103, 0, 13)],
    "Greens": [(247, 252, 245), (224, 243, 219), (199, 233, 192), (115, 196, 118), (52, 157, 83), (25, 131, 62), (0, 68, 27)],
    "greys": [(255, 255, 255), (236, 236, 236), (217, 217, 217), (149, 149, 149), (101, 101, 101), (70, 70, 70), (0, 0, 0)],
    "gray": [(0, 0, 0), (37, 37, 37), (64, 64, 64), (128, 128, 128), (173, 173, 173), (200, 200, 200), (255, 255, 255)],
    "hot": [(11, 0, 0), (108, 0, 0), (179, 0, 0), (255, 92, 0), (255, 210, 0), (255, 255, 38), (255, 255, 255)],
}


@pytest.mark.parametrize("name", sorted(MATPLOTLIB))
def test_matches_matplotlib_within_one_unit(name):
    got = lut(name)[INDICES, :3].astype(int)
    assert np.abs(got - np.array(MATPLOTLIB[name])).max() <= 1, name
    assert (lut(name)[:, 3] == 255).all()


def test_published_end_points_exactly():
    assert tuple(lut("viridis")[0, :3]) == (68, 1, 84)
    assert tuple(lut("viridis")[255, :3]) == (253, 231, 37)
    assert tuple(lut("magma")[0, :3]) == (0, 0, 4)
    assert tuple(lut("magma")[255, :3]) == (252, 253, 191)


def test_viridis_every_entry_against_an_independent_copy():
    # vispy ships matplotlib's 256-entry viridis table: every entry, not only anchors.
    from vispy.color.colormap import _viridis_data
    ref = np.round(np.asarray(_viridis_data) * 255)
    assert np.abs(lut("viridis")[:, :3] - ref).max() <= 1


@pytest.mark.parametrize("name", CMAP_NAMES)
def test_every_accepted_name_builds_and_reverses(name):
    t = lut(name)
    assert t.shape == (256, 4) and t.dtype == np.uint8
    np.testing.assert_array_equal(lut(name + "_r"), t[::-1])
    np.testing.assert_array_equal(lut(name.upper()), t)  # case-insensitive, like the config


def test_gray_aliases_and_greys_direction():
    np.testing.assert_array_equal(lut("grays"), lut("gray"))
    np.testing.assert_array_equal(lut("gray")[:, 0], np.arange(256))
    np.testing.assert_array_equal(lut("Greys")[[0, 255], :3], [[255] * 3, [0] * 3])


def test_named_tables_are_read_only():
    with pytest.raises(ValueError):
        lut("magma")[0, 0] = 1


def test_unknown_name_is_a_config_error():
    with pytest.raises(LoupeConfigError, match="unknown colormap"):
        lut("jet")


def test_list_of_colours_interpolates_evenly():
    t = lut(["#000000", (255, 0, 0), "#0000ff80"])
    assert tuple(t[0]) == (0, 0, 0, 255)
    assert tuple(t[255]) == (0, 0, 255, 128)
    assert abs(int(t[64, 0]) - 128) <= 1  # halfway to red
    assert tuple(lut(["#102030"])[17]) == (16, 32, 48, 255)


def test_callable_and_array():
    t = lut(lambda x: np.stack([x, 1 - x, np.zeros_like(x)], axis=1))
    assert tuple(t[0]) == (0, 255, 0, 255) and tuple(t[255]) == (255, 0, 0, 255)
    arr = np.zeros((256, 3), np.uint8)
    arr[:, 2] = 7
    assert tuple(lut(arr)[5]) == (0, 0, 7, 255)
    with pytest.raises(LoupeConfigError):
        lut(lambda x: np.zeros((10, 3)))
    with pytest.raises(LoupeConfigError):
        lut((255, 0, 0))  # a colour is not a colormap


def test_map_values_matches_brute_force_floor_rule():
    rng = np.random.default_rng(3)
    v = rng.uniform(-1.5, 2.5, size=(7, 300)).astype(np.float32)
    v[0, :5] = [np.nan, np.inf, -np.inf, 0.0, 1.0]
    table = lut("plasma")
    vmin, vmax = 0.0, 1.0
    got = map_values(v, vmin, vmax, table)
    for (i, j), x in np.ndenumerate(v):
        if np.isnan(x):
            want = DEFAULT_NAN_RGBA
        else:
            k = int(np.floor(256 * (np.clip(x, -10, 10) - vmin) / (vmax - vmin)))
            want = table[min(max(k, 0), 255)]
        assert tuple(got[i, j]) == tuple(want), (i, j, x)
    assert tuple(got[0, 4]) == tuple(table[255])  # vmax -> last entry
    assert tuple(got[0, 3]) == tuple(table[0])  # vmin -> first entry


def test_nan_colour_is_configurable_and_distinct():
    v = np.array([np.nan, 0.5])
    out = map_values(v, 0, 1, lut("magma"), nan_color="#ff00ff")
    assert tuple(out[0]) == (255, 0, 255, 255)
    assert tuple(nan_rgba()) == DEFAULT_NAN_RGBA
    for name in ("magma", "viridis", "inferno", "plasma"):
        assert not (lut(name) == np.asarray(DEFAULT_NAN_RGBA, np.uint8)).all(axis=1).any()


def test_map_values_rejects_bad_limits():
    with pytest.raises(ValueError):
        map_values(np.zeros(3), 1.0, 1.0, lut("magma"))
