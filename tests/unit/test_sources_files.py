"""npy pairs, parquet event tables, and the no-GUI-import rule for configs and loaders."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from loupe_tui.core.colors import cycle
from loupe_tui.errors import DataFileError, LoupeConfigError
from loupe_tui.io.events import read_event_tables
from loupe_tui.io.npy_pairs import find_npy_pairs, load_npy_pairs
from loupe_tui.io.source import TraceSource


def write_pair(folder, name, t, y=None):
    np.save(folder / f"{name}_t.npy", np.asarray(t))
    np.save(folder / f"{name}_y.npy", np.asarray(y if y is not None else np.arange(len(t), dtype=float)))


# -- npy pairs -------------------------------------------------------------------------------------

def test_folder_pairs_load_in_sorted_order_with_their_own_time_axes(tmp_path):
    write_pair(tmp_path, "emg", np.arange(50) / 10.0, np.arange(50) * 2.0)
    write_pair(tmp_path, "eeg", 1.0 + np.arange(100) / 250.0)
    write_pair(tmp_path, "lick", np.cumsum(np.linspace(0.1, 0.3, 20)))
    (tmp_path / "notes.npy").write_bytes(b"")  # unrelated files are ignored
    series = load_npy_pairs(tmp_path)
    assert [s.name for s in series] == ["eeg", "emg", "lick"]
    eeg, emg, lick = (s.source for s in series)
    assert isinstance(eeg, TraceSource) and eeg.names == ["eeg"]
    assert eeg.time.regular and eeg.time.fs == 250.0 and eeg.time.t0 == 1.0
    assert emg.time.fs == 10.0 and emg.read(2, 5).tolist() == [[4.0, 6.0, 8.0]]
    assert emg.read(0, 1).dtype == np.float32
    assert not lick.time.regular and len(lick.time.times) == 20
    assert [s.color for s in series] == [cycle(0), cycle(1), cycle(2)]  # the traces' default, by place
    assert eeg.fingerprint != emg.fingerprint


def test_file_list_keeps_first_appearance_order(tmp_path):
    write_pair(tmp_path, "b", np.arange(3.0))
    write_pair(tmp_path, "a", np.arange(3.0))
    pairs = find_npy_pairs([tmp_path / "b_y.npy", tmp_path / "a_t.npy", tmp_path / "b_t.npy", tmp_path / "a_y.npy"])
    assert [p.name for p in pairs] == ["b", "a"]


def test_colours_from_txt_json_and_argument(tmp_path):
    write_pair(tmp_path, "a", np.arange(3.0))
    write_pair(tmp_path, "b", np.arange(3.0))
    write_pair(tmp_path, "c", np.arange(3.0))
    (tmp_path / "colors.txt").write_text("# name colour\na #ff000080\nb 0x00ff00\n\nc 1, 2, 3\n")
    got = {s.name: s.color for s in load_npy_pairs(tmp_path, colors={"c": "#0000ff"})}
    assert got == {"a": (255, 0, 0, 128), "b": (0, 255, 0, 255), "c": (0, 0, 255, 255)}
    (tmp_path / "colors.txt").unlink()
    (tmp_path / "colors.json").write_text(json.dumps({"a": [1, 2, 3, 4], "b": "9,8,7"}))
    got = {s.name: s.color for s in load_npy_pairs(tmp_path)}
    assert got == {"a": (1, 2, 3, 4), "b": (9, 8, 7, 255), "c": cycle(2)}


@pytest.mark.parametrize("content, name, msg", [
    ("a #zzzzzz\n", "colors.txt", r"colors.txt:1: a: cannot read colour '#zzzzzz'"),
    ("a\n", "colors.txt", r"colors.txt:1: expected '<name> <colour>'"),
    ("x #ffffff\n", "colors.txt", r"colors.txt:1: no series named 'x' \(series: a\)"),
    ("{bad", "colors.json", r"colors.json:1: invalid JSON"),
    ('{"a": "300,0,0"}', "colors.json", r"colors.json: a: colour components must be between 0 and 255"),
])
def test_bad_colour_files_name_file_and_line(tmp_path, content, name, msg):
    write_pair(tmp_path, "a", np.arange(3.0))
    (tmp_path / name).write_text(content)
    with pytest.raises(DataFileError, match=msg):
        load_npy_pairs(tmp_path)


def test_colour_argument_errors(tmp_path):
    write_pair(tmp_path, "a", np.arange(3.0))
    with pytest.raises(LoupeConfigError, match=r"^colors\['z'\]: no series of that name"):
        load_npy_pairs(tmp_path, colors={"z": "red"})
    with pytest.raises(LoupeConfigError, match=r"^colors\['a'\]: cannot read colour"):
        load_npy_pairs(tmp_path, colors={"a": "rouge"})
    (tmp_path / "colors.txt").write_text("a red\n")
    (tmp_path / "colors.json").write_text("{}")
    with pytest.raises(DataFileError, match="both colors.json and colors.txt exist"):
        load_npy_pairs(tmp_path)


@pytest.mark.parametrize("t, y, msg", [
    (np.arange(5.0), np.arange(4.0), r"x_y.npy: 4 values but x_t.npy has 5 times"),
    (np.array([0.0, 1.0, 0.5]), None, r"x_t.npy: time must be strictly increasing: t\[1\]=1.0 >= t\[2\]=0.5"),
    (np.array([0.0, np.nan, 2.0]), None, r"x_t.npy: time has a non-finite value"),
    (np.zeros((2, 3)), np.zeros(6), r"x_t.npy: must be 1-D, got shape \(2, 3\)"),
    (np.arange(3.0), np.zeros((3, 1)), r"x_y.npy: must be 1-D"),
    (np.array([], dtype=float), np.array([], dtype=float), r"x_t.npy: empty series"),
    (np.array(["a", "b"]), np.arange(2.0), r"x_t.npy: must hold numbers"),
])
def test_bad_pairs_name_the_file(tmp_path, t, y, msg):
    write_pair(tmp_path, "x", t, y)
    with pytest.raises(DataFileError, match=msg):
        load_npy_pairs(tmp_path)


def test_unmatched_and_missing_pairs(tmp_path):
    np.save(tmp_path / "lonely_t.npy", np.arange(3.0))
    with pytest.raises(DataFileError, match=r"lonely_t.npy: no matching lonely_y.npy"):
        load_npy_pairs(tmp_path)
    (tmp_path / "lonely_t.npy").unlink()
    np.save(tmp_path / "other_y.npy", np.arange(3.0))
    with pytest.raises(DataFileError, match=r"other_y.npy: no matching other_t.npy"):
        find_npy_pairs(tmp_path)
    (tmp_path / "other_y.npy").unlink()
    with pytest.raises(DataFileError, match=r"no <name>_t.npy / <name>_y.npy pairs found"):
        find_npy_pairs(tmp_path)
    with pytest.raises(DataFileError, match=r"data.npy: expected a <name>_t.npy or <name>_y.npy file"):
        (tmp_path / "data.npy").write_bytes(b"")
        find_npy_pairs([tmp_path / "data.npy"])
    with pytest.raises(DataFileError, match=r"gone_t.npy: no such file"):
        find_npy_pairs([tmp_path / "gone_t.npy"])


def test_corrupt_npy_is_a_data_file_error(tmp_path):
    write_pair(tmp_path, "x", np.arange(3.0))
    (tmp_path / "x_y.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(DataFileError, match=r"x_y.npy: not a readable .npy file"):
        load_npy_pairs(tmp_path)


# -- parquet event tables ------------------------------------------------------------------------------

def test_read_one_or_many_parquet_files(tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    pl.DataFrame({"time": [1.0, 2.0], "unit": [1, 2]}).write_parquet(a)
    pl.DataFrame({"time": [3.0], "unit": [1.5], "extra": ["x"]}).write_parquet(b)
    assert read_event_tables(a).shape == (2, 2)
    both = read_event_tables([a, b], required=["time", "unit"])
    assert both["time"].to_list() == [1.0, 2.0, 3.0] and both["extra"].to_list() == [None, None, "x"]
    assert both.schema["unit"] == pl.Float64


def test_parquet_errors_name_the_file(tmp_path):
    a = tmp_path / "a.parquet"
    pl.DataFrame({"time": [1.0]}).write_parquet(a)
    with pytest.raises(DataFileError, match=r"a.parquet: missing column\(s\) 'unit' \(has: time\)"):
        read_event_tables([a], required=["time", "unit"])
    with pytest.raises(DataFileError, match=r"nope.parquet: no such file"):
        read_event_tables([a, tmp_path / "nope.parquet"])
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataFileError, match=r"bad.parquet: not a readable parquet file"):
        read_event_tables(tmp_path / "bad.parquet")
    with pytest.raises(DataFileError, match=r"^paths: no parquet files given"):
        read_event_tables([])
    c = tmp_path / "c.parquet"
    pl.DataFrame({"time": ["late"]}).write_parquet(c)
    # Relaxed concatenation turns mixed types into text; the config then says so.
    from loupe_tui.config import RasterConfig
    with pytest.raises(LoupeConfigError, match=r"^time_col: column 'time' must hold numbers"):
        RasterConfig.from_parquet([a, c], time_col="time", order_by="time")
