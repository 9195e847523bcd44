"""Bad inputs through the real command line: one ``loupe-tui: error:`` line, exit 2.

Every case runs ``python -m loupe_tui ...`` as a subprocess on a broken file
and checks the contract of docs/architecture.md (Errors): exit status 2,
stderr is exactly one line starting ``loupe-tui: error:``, the line names the
file (or the argument) and says the problem, and no traceback is printed.

Commands used: ``labels info`` / ``labels convert`` (label files), ``keymap
check`` (keymaps), ``open DATA --no-window`` and ``snapshot`` where the error
is raised before the app or the window starts (data files, frame times,
arguments). Each case is one test id.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

OPENING = "loupe-tui: opening "
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


# -- fixtures: one good recording, broken copies of it -------------------------

def _dataset(n=2000, fs=100.0, t=None):
    import xarray as xr

    x = np.random.default_rng(0).standard_normal((2, n)).astype("f4")
    t = np.arange(n) / fs if t is None else t
    return xr.Dataset({"eeg": (("channel", "time"), x)}, coords={"time": t, "channel": ["a", "b"]})


def _zarr(path: Path, ds=None) -> Path:
    (ds if ds is not None else _dataset()).to_zarr(path, mode="w", consolidated=False,
                                                   encoding={"time": {"chunks": (500,)}})
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bad")
    _zarr(root / "good.zarr")
    _dataset().to_netcdf(root / "good.nc")
    return root


def _chunk_files(var: Path) -> list[Path]:
    return sorted(p for p in var.rglob("*") if p.is_file() and p.name not in ("zarr.json", ".zarray", ".zattrs"))


def _copy_zarr(base: Path, tmp: Path) -> Path:
    dst = tmp / "rec.zarr"
    shutil.copytree(base / "good.zarr", dst)
    return dst


# Each builder gets (base, tmp) and returns (argv, words): the command line and
# words the error line must contain (the file's name is checked separately).

def zarr_time_chunk_deleted(base, tmp):
    z = _copy_zarr(base, tmp)
    _chunk_files(z / "time")[1].unlink()       # read as the fill value: time jumps back
    return ["open", str(z), "--no-window"], ["time"]


def zarr_time_chunk_corrupt(base, tmp):
    z = _copy_zarr(base, tmp)
    _chunk_files(z / "time")[0].write_bytes(b"\x00garbage" * 7)
    return ["open", str(z), "--no-window"], []


def zarr_data_chunks_corrupt(base, tmp):
    """Data chunks are read first by snapshot's colour limits (before any window)."""
    z = tmp / "rec.zarr"
    _dataset().to_zarr(z, mode="w", consolidated=False, encoding={"eeg": {"chunks": (2, 500)}})
    for f in _chunk_files(z / "eeg"):
        f.write_bytes(b"junk" * 9)
    return ["snapshot", str(z), "--window", "0", "10", "--out", str(tmp / "o.png")], ["cannot read"]


def zarr_metadata_corrupt(base, tmp):
    z = _copy_zarr(base, tmp)
    (z / "eeg" / "zarr.json").write_text('{"zarr_format": 3, "node_type": "arr')
    return ["open", str(z), "--no-window"], []


def zarr_v2_zarray_corrupt(base, tmp):
    z = tmp / "rec.zarr"
    _dataset().to_zarr(z, mode="w", consolidated=False, zarr_format=2)
    (z / "eeg" / ".zarray").write_text('{"chunks": [2, ')
    return ["open", str(z), "--no-window"], []


def zarr_v2_time_chunk_deleted(base, tmp):
    z = tmp / "rec.zarr"
    _dataset().to_zarr(z, mode="w", consolidated=False, zarr_format=2, encoding={"time": {"chunks": (500,)}})
    (z / "time" / "2").unlink()
    return ["open", str(z), "--no-window"], ["time"]


def zarr_root_metadata_missing(base, tmp):
    z = _copy_zarr(base, tmp)
    (z / "zarr.json").unlink()
    return ["open", str(z), "--no-window"], []


def zarr_unreadable(base, tmp):
    z = _copy_zarr(base, tmp)
    (z / "zarr.json").write_bytes(os.urandom(64))
    return ["snapshot", str(z), "--window", "0", "10", "--out", str(tmp / "o.png")], []


def netcdf_truncated(base, tmp):
    p = tmp / "rec.nc"
    data = (base / "good.nc").read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return ["open", str(p), "--no-window"], []


def netcdf_garbage(base, tmp):
    p = tmp / "rec.nc"
    p.write_bytes(os.urandom(4096))
    return ["snapshot", str(p), "--window", "0", "10", "--out", str(tmp / "o.png")], []


def time_not_monotonic(base, tmp):
    t = np.arange(2000) / 100.0
    t[700], t[701] = t[701], t[700]
    return ["open", str(_zarr(tmp / "rec.zarr", _dataset(t=t))), "--no-window"], ["time"]


def time_with_nan(base, tmp):
    t = np.arange(2000) / 100.0
    t[1234] = np.nan
    return ["open", str(_zarr(tmp / "rec.zarr", _dataset(t=t))), "--no-window"], ["time"]


def time_with_inf(base, tmp):
    t = np.arange(2000) / 100.0
    t[-1] = np.inf
    return ["open", str(_zarr(tmp / "rec.zarr", _dataset(t=t))), "--no-window"], ["time"]


def empty_array(base, tmp):
    return ["open", str(_zarr(tmp / "rec.zarr", _dataset(n=0))), "--no-window"], []


def data_path_missing(base, tmp):
    return ["open", str(tmp / "nowhere.zarr"), "--no-window"], ["no such"]


def snapshot_path_missing(base, tmp):
    return ["snapshot", str(tmp / "nowhere.zarr"), "--window", "0", "1", "--out", str(tmp / "o.png")], []


def snapshot_zero_window(base, tmp):
    return ["snapshot", str(base / "good.zarr"), "--window", "10", "10", "--out", str(tmp / "o.png")], \
        ["--window", "after"]


# -- label files ---------------------------------------------------------------

def _labels_case(name: str, body: bytes | str, words=(), command="info"):
    def build(base, tmp):
        p = tmp / name
        p.write_bytes(body if isinstance(body, bytes) else body.encode())
        if command == "info":
            return ["labels", "info", str(p)], list(words)
        if command == "convert":
            return ["labels", "convert", str(p), str(tmp / "out.parquet")], list(words)
        return ["open", str(base / "good.zarr"), "--no-window", "--keymap", "rodent_sleep", "--labels", str(p),
                "--cache-dir", str(tmp / "cache")], list(words)
    build.__name__ = f"labels_{command}"
    return build


HDR = "start_s,end_s,label,note\n"

LABEL_CASES = {
    "labels_end_before_start": _labels_case("a.csv", HDR + "0,4,W,\n8,6,N2,\n", ["end"]),
    "labels_overlapping_rows": _labels_case("a.csv", HDR + "0,10,W,\n5,15,N2,\n", ["overlap"]),
    "labels_missing_column": _labels_case("a.csv", "start_s,label\n0,W\n", ["end_s"]),
    # (onset,offset,stage is read: those names say their roles; these say nothing)
    "labels_wrong_columns": _labels_case("a.csv", "t0,t1,what\n0,4,W\n", ["start_s"]),
    "labels_mixed_types_in_time": _labels_case("a.csv", HDR + "0,4,W,\nfour,8,N2,\n", []),
    "labels_empty_file": _labels_case("a.csv", "", []),
    "labels_binary_garbage": _labels_case("a.csv", bytes(range(256)) * 8, []),
    "labels_binary_garbage_parquet": _labels_case("a.parquet", os.urandom(2048), []),
    "labels_huge_1e308": _labels_case("a.csv", HDR + "0,4,W,\n1e308,inf,N2,\n", []),
    "labels_huge_1e308_finite": _labels_case("a.csv", HDR + "0,4,W,\n1e308,1.7e308,N2,\n", ["1e+308"]),
    "labels_convert_huge": _labels_case("a.csv", HDR + "-1.7e308,4,W,\n", ["e+308"], "convert"),
    "labels_inf_start": _labels_case("a.csv", HDR + "-inf,4,W,\n", []),
    "labels_nan_time": _labels_case("a.csv", HDR + "0,4,W,\nnan,8,N2,\n", []),
    "labels_non_utf8": _labels_case("a.csv", HDR.encode() + b"0,4,W\xe9\xff,\n", []),
    "labels_convert_overlap": _labels_case("a.csv", HDR + "0,10,W,\n5,15,N2,\n", ["overlap"], "convert"),
    "labels_convert_garbage": _labels_case("a.htsv", os.urandom(1024), [], "convert"),
    "labels_open_end_before_start": _labels_case("a.csv", HDR + "0,4,W,\n8,6,N2,\n", ["end"], "open"),
    "labels_open_non_utf8": _labels_case("a.csv", HDR.encode() + b"0,4,\xff\xfe,\n", [], "open"),
}


# -- keymaps -------------------------------------------------------------------

def _keymap_case(name: str, body: str | bytes, words=()):
    def build(base, tmp):
        p = tmp / name
        p.write_bytes(body if isinstance(body, bytes) else body.encode())
        return ["keymap", "check", str(p)], list(words)
    return build


KEYMAP_CASES = {
    "keymap_toml_syntax_error": _keymap_case("k.toml", '[states.W]\nkeys = ["w"\ncolor = "#ff0000"\n', []),
    "keymap_json_syntax_error": _keymap_case("k.json", '[{"name": "W", "key": "w",', []),
    "keymap_key_clash": _keymap_case("k.toml", '[states.W]\nkeys = ["w"]\n[states.N]\nkeys = ["w"]\n', ["w"]),
    "keymap_clash_with_action": _keymap_case(
        "k.toml", '[states.W]\nkeys = ["w"]\n[actions]\n"label.undo" = ["w"]\n', ["w"]),
    "keymap_unknown_action": _keymap_case(
        "k.toml", '[states.W]\nkeys = ["w"]\n[actions]\n"no.such.action" = ["x"]\n', ["no.such.action"]),
    "keymap_empty_file": _keymap_case("k.toml", "", []),
    "keymap_binary": _keymap_case("k.toml", bytes(range(256)), []),
    "keymap_missing": lambda base, tmp: (["keymap", "check", str(tmp / "none.toml")], []),
    "keymap_bad_colour": _keymap_case("k.toml", '[states.W]\nkeys = ["w"]\ncolor = "#zz0000"\n', ["colo"]),
}


# -- video frame times -----------------------------------------------------------

def _video_case(times, words=(), command="open", video_bytes=b"\x00" * 64):
    def build(base, tmp):
        v = tmp / "cam.mp4"
        v.write_bytes(video_bytes)
        ft = tmp / "cam_t.npy"
        if isinstance(times, bytes):
            ft.write_bytes(times)
        else:
            np.save(ft, times)
        if command == "open":
            return ["open", str(base / "good.zarr"), "--no-window", "--video", str(v), str(ft)], list(words)
        return ["snapshot", str(base / "good.zarr"), "--window", "0", "5", "--video", str(v), str(ft),
                "--out", str(tmp / "o.png")], list(words)
    return build


VIDEO_CASES = {
    "frame_times_not_increasing": _video_case(np.array([0.0, 0.1, 0.1, 0.3]), ["increasing"]),
    "frame_times_decreasing_snapshot": _video_case(np.array([0.0, 0.2, 0.1]), ["increasing"], "snapshot"),
    "frame_times_2d": _video_case(np.zeros((3, 4)), ["1-D"]),
    "frame_times_empty": _video_case(np.zeros(0), ["empty"]),
    "frame_times_nan": _video_case(np.array([0.0, np.nan, 0.2]), ["finite"]),
    "frame_times_strings": _video_case(np.array(["a", "b"]), []),
    "frame_times_corrupt_npy": _video_case(b"\x93NUMPY garbage", []),
    "video_file_missing": lambda base, tmp: (["open", str(base / "good.zarr"), "--no-window", "--video",
                                              str(tmp / "none.mp4"), str(tmp / "none_t.npy")], []),
    "video_list_lengths_differ": lambda base, tmp: (
        ["open", str(base / "good.zarr"), "--no-window", "--video", "a.mp4,b.mp4", "a.npy"], ["--video"]),
}


CASES = {
    "zarr_time_chunk_deleted": zarr_time_chunk_deleted,
    "zarr_time_chunk_corrupt": zarr_time_chunk_corrupt,
    "zarr_data_chunks_corrupt_snapshot": zarr_data_chunks_corrupt,
    "zarr_metadata_corrupt": zarr_metadata_corrupt,
    "zarr_v2_zarray_corrupt": zarr_v2_zarray_corrupt,
    "zarr_v2_time_chunk_deleted": zarr_v2_time_chunk_deleted,
    "zarr_root_metadata_missing": zarr_root_metadata_missing,
    "zarr_unreadable_snapshot": zarr_unreadable,
    "netcdf_truncated": netcdf_truncated,
    "netcdf_garbage_snapshot": netcdf_garbage,
    "time_not_monotonic": time_not_monotonic,
    "time_with_nan": time_with_nan,
    "time_with_inf": time_with_inf,
    "empty_array": empty_array,
    "data_path_missing": data_path_missing,
    "snapshot_path_missing": snapshot_path_missing,
    "snapshot_zero_window": snapshot_zero_window,
    **LABEL_CASES,
    **KEYMAP_CASES,
    **VIDEO_CASES,
}


def run_cli(argv: list[str], tmp: Path, timeout: float = 60.0) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "cfg"), "LOUPE_TUI_CACHE": str(tmp / "cache")}
    env.pop("DISPLAY", None)  # a snapshot that got past its checks must not find a display
    return subprocess.run([sys.executable, "-m", "loupe_tui", *argv], cwd=tmp, env=env, capture_output=True,
                          text=True, errors="replace", stdin=subprocess.DEVNULL, timeout=timeout)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_is_one_error_line(case, base, tmp_path):
    argv, words = CASES[case](base, tmp_path)
    r = run_cli(argv, tmp_path)
    # `open` says "loupe-tui: opening DATA ..." first (progress while a big store
    # opens): that notice is allowed; apart from it stderr is the one error line.
    lines = [ln for ln in r.stderr.splitlines() if not ln.startswith(OPENING)]
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert len(lines) == 1, r.stderr
    line = lines[0]
    assert line.startswith("loupe-tui: error: "), line
    problem = line[len("loupe-tui: error: "):]
    # names the file: any path of the case (the error may name the data, labels,
    # keymap, video or times file: the one at fault), or the argument.
    paths = [a for a in argv if "/" in a and not a.endswith("o.png") and "cache" not in a]
    names = {Path(p).name for p in paths} | {a for a in argv if a.startswith("--")}
    assert any(n in problem for n in names) or any("--" in w for w in words), line
    for w in words:
        assert w.lower() in problem.lower(), (w, line)
    # says the problem: something after the file name
    after = problem.split(": ", 1)[1] if ": " in problem else ""
    assert len(after.strip()) >= 8, line


@pytest.mark.parametrize("case,culprit", [
    ("labels_end_before_start", "a.csv"), ("labels_open_end_before_start", "a.csv"),
    ("keymap_key_clash", "k.toml"), ("frame_times_not_increasing", "cam_t.npy"),
    ("frame_times_2d", "cam_t.npy"), ("netcdf_truncated", "rec.nc"), ("time_with_nan", "rec.zarr"),
])
def test_error_names_the_file_at_fault(case, culprit, base, tmp_path):
    argv, _ = CASES[case](base, tmp_path)
    r = run_cli(argv, tmp_path)
    assert r.returncode == 2 and culprit in r.stderr, r.stderr


# -- accepted inputs -----------------------------------------------------------

def test_unknown_states_are_accepted_with_distinct_colours(base, tmp_path):
    """A labels file whose states are not in the keymap opens: the states are
    listed, and get colours distinct from each other and from the keymap's."""
    p = tmp_path / "a.csv"
    p.write_text(HDR + "0,4,W,\n4,8,Zzz,\n8,12,Mystery,\n")
    r = run_cli(["labels", "info", str(p)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Zzz" in r.stdout and "Mystery" in r.stdout
    from loupe_tui.core.keymap_choice import choose_states
    from loupe_tui.tui.bridge import state_colors   # the colours the app and snapshot both send

    colors = state_colors(choose_states(["W", "Zzz", "Mystery"], "rodent_sleep").states, ("W", "Zzz", "Mystery"))
    assert {"Zzz", "Mystery"} <= set(colors)
    tuples = [tuple(round(c, 3) for c in colors[s][:3]) for s in ("Zzz", "Mystery")]
    assert tuples[0] != tuples[1]


def test_large_epoch_seconds_are_read(tmp_path):
    """Unix-epoch seconds (1.7e9) are times like any other; only absurd ones (> 1e15 s) are refused."""
    p = tmp_path / "a.csv"
    p.write_text(HDR + "1700000000,1700000004,W,\n1700000004,1700000008,N2,\n")
    r = run_cli(["labels", "info", str(p)], tmp_path)
    assert r.returncode == 0 and "intervals   2" in r.stdout, r.stderr
