"""Bad videos stop ``snapshot`` and ``open`` with one error line (issue 10, item 6).

A snapshot used to exit 0 with the error drawn into the video panel; a batch
command must fail instead (status 2, the one ``loupe-tui: error:`` line), and
``open`` refuses the same video with the same line before the app starts.
On the real open-field video (``../shared/data/openfield_m3v1.mp4``, 2330
frames): frame times of the wrong length, and a copy whose frame data is
overwritten (it opens and indexes, but no frame decodes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
VIDEO = SHARED / "openfield_m3v1.mp4"
pytestmark = pytest.mark.skipif(not VIDEO.exists(), reason=f"real video not present at {VIDEO} (../shared/data)")
N_FRAMES = 2330


@pytest.fixture(scope="module")
def rec(tmp_path_factory) -> Path:
    import xarray as xr

    path = tmp_path_factory.mktemp("rec") / "rec.zarr"
    t = np.arange(100 * 90) / 100.0
    xr.DataArray(np.sin(t)[None].astype("f4"), dims=("channel", "time"),
                 coords={"time": t}, name="eeg").to_dataset().to_zarr(path, mode="w", consolidated=False)
    return path


def garbled(tmp: Path) -> Path:
    """The real video with its frame data overwritten: the header and index are intact."""
    data = bytearray(VIDEO.read_bytes())
    i, j = data.find(b"mdat"), data.find(b"moov")
    assert 0 < i < j
    data[i + 100:j - 100] = np.random.default_rng(1).integers(0, 256, j - 200 - i, dtype=np.uint8).tobytes()
    out = tmp / "garbled.mp4"
    out.write_bytes(bytes(data))
    return out


def run(argv, tmp: Path, timeout: float = 180) -> tuple[int, list[str]]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "cfg"), "LOUPE_TUI_CACHE": str(tmp / "cache")}
    try:
        r = subprocess.run([sys.executable, "-m", "loupe_tui", *map(str, argv)], cwd=tmp, env=env,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`loupe-tui {argv[0]}` still running after {timeout} s (did it start the app?)")
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, [ln for ln in r.stderr.splitlines() if not ln.startswith("loupe-tui: opening ")]


def both(rec: Path, video: Path, times: Path, tmp: Path) -> tuple[list[str], list[str]]:
    s_code, s_err = run(["snapshot", rec, "--window", "0", "60", "--cursor", "10", "--video", video, times,
                         "--out", tmp / "o.png"], tmp)
    assert s_code == 2 and len(s_err) == 1, (s_code, s_err)
    assert not (tmp / "o.png").exists()
    # open refuses before the app starts (the app would wait for keys until the timeout)
    o_code, o_err = run(["open", rec, "--keymap", "rodent_sleep", "--no-window", "--video", video, times,
                         "--labels", tmp / "l.csv"], tmp, timeout=60)
    assert o_code == 2 and len(o_err) == 1, (o_code, o_err)
    return s_err, o_err


def test_frame_times_of_the_wrong_length(rec, tmp_path):
    times = tmp_path / "cam_t.npy"
    np.save(times, np.arange(2000) / 30.0)
    s_err, o_err = both(rec, VIDEO, times, tmp_path)
    assert s_err == o_err == [f"loupe-tui: error: {VIDEO}: {N_FRAMES} frames but {times} has 2000 frame times; "
                              "they must match (a tail of up to 10 frames may be missing)"]


def test_a_video_whose_frames_cannot_be_decoded(rec, tmp_path):
    times = tmp_path / "cam_t.npy"
    np.save(times, np.arange(N_FRAMES) / 30.0)
    video = garbled(tmp_path)
    s_err, o_err = both(rec, video, times, tmp_path)
    assert s_err == o_err
    assert s_err[0].startswith(f"loupe-tui: error: {video}: ") and "decode" in s_err[0]


def test_a_truncated_tail_is_a_warning_and_the_snapshot_is_drawn(rec, tmp_path):
    import shutil

    if shutil.which("Xvfb") is None:
        pytest.skip("needs Xvfb to draw a frame")
    times = tmp_path / "cam_t.npy"
    np.save(times, np.arange(N_FRAMES - 3) / 30.0)    # a recording cut mid-write: accepted, said once
    code, err = run(["snapshot", rec, "--window", "0", "60", "--cursor", "10", "--video", VIDEO, times,
                     "--out", tmp_path / "o.png"], tmp_path)
    assert code == 0 and (tmp_path / "o.png").exists(), err
    assert err == ["loupe-tui: warning: video openfield_m3v1: openfield_m3v1.mp4: 2330 frames, 2327 frame times: "
                   "the last 3 frames without a time are ignored (truncated recording?)"]
