"""Getting real data in (issue 10, item 13).

* ``loupe-tui video frame-times VIDEO --out T.npy`` on the real open-field video;
* the npz recipe of docs/data-inputs.md, run as written on YASA's real EOG,
  and the "unknown format" error that points to it;
* ``labels convert``/``info`` guessing the columns of a non-legacy HTSV.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from loupe_tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
VIDEO, NPZ = SHARED / "openfield_m3v1.mp4", SHARED / "yasa_eog_rem_256hz.npz"
needs = {p: pytest.mark.skipif(not p.exists(), reason=f"real data not present at {p} (../shared/data)")
         for p in (VIDEO, NPZ)}


# -- video frame-times ------------------------------------------------------------------
@needs[VIDEO]
def test_frame_times_of_the_real_video_fit_it(tmp_path, capsys):
    from loupe_tui.config import VideoConfig
    from render.video import VideoSource

    out = tmp_path / "of_t.npy"
    assert main(["video", "frame-times", str(VIDEO), "--out", str(out), "--offset", "12.5"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("wrote 2,330 frame times of openfield_m3v1.mp4 (12.500 .. ") and "30.00 fps" in said
    t = np.load(out)
    assert t.dtype == np.float64 and len(t) == 2330 and t[0] == 12.5 and np.all(np.diff(t) > 0)
    assert np.median(np.diff(t)) == pytest.approx(1 / 30, rel=1e-3)
    src = VideoSource(VideoConfig(VIDEO, out), cache_dir=tmp_path / "index")
    try:
        assert src.n_frames == 2330 and not src.warnings          # the window takes it as it is
        assert src.frame_index_at(12.5 + 40.0) == pytest.approx(1200, abs=1)
    finally:
        src.close()


@needs[VIDEO]
def test_frame_times_errors_are_one_line(tmp_path, capsys):
    out = tmp_path / "t.npy"
    out.write_bytes(b"")
    assert main(["video", "frame-times", str(VIDEO), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == f"loupe-tui: error: {out}: exists; pass --force to overwrite it"
    assert main(["video", "frame-times", str(VIDEO), "--out", str(tmp_path / "t.csv")]) == 2
    assert "frame times are written as .npy" in capsys.readouterr().err
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(VIDEO.read_bytes()[:500_000])              # the index (moov) is at the end: cut off
    assert main(["video", "frame-times", str(bad), "--out", str(tmp_path / "c.npy")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"loupe-tui: error: {bad}: cannot open as a video") and "\n" not in err
    assert not (tmp_path / "c.npy").exists()


# -- arrays in .npz: the documented recipe -----------------------------------------------
def recipe() -> str:
    """The first Python block of docs/data-inputs.md's npz/mat section, as written."""
    text = (ROOT / "docs" / "data-inputs.md").read_text()
    section = text.split("## Arrays in .npz, .mat or other files", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@needs[NPZ]
def test_the_npz_recipe_runs_as_written_and_opens(tmp_path, monkeypatch):
    from loupe_tui.config import TraceConfig

    (tmp_path / NPZ.name).symlink_to(NPZ)        # the recipe reads it from the current folder
    monkeypatch.chdir(tmp_path)
    exec(compile(recipe(), "docs/data-inputs.md", "exec"), {})
    cfg = TraceConfig.from_path(tmp_path / "eog.zarr")
    assert cfg.trace_names() == ["LOC", "ROC"] and cfg.time_axis.n == 219_904
    assert cfg.time_axis.fs == pytest.approx(256.0)
    z = np.load(NPZ)
    got = cfg.source().read(1000, 1010)
    assert np.allclose(got, z["data"][:, 1000:1010].astype("f4"))


def test_the_docs_say_what_reads_mat_files_and_which_is_a_dependency():
    text = (ROOT / "docs" / "data-inputs.md").read_text()
    assert "scipy.io.loadmat" in text and "h5py is not a dependency" in text
    deps = (ROOT / "pyproject.toml").read_text().split("[project.optional-dependencies]")[0]
    assert "scipy" in deps and "h5py" not in deps      # scipy came with the spectral views (issue 13)


@needs[NPZ]
def test_an_unknown_format_points_to_the_recipe(tmp_path, capsys):
    code = main(["open", str(NPZ), "--keymap", "rodent_sleep", "--no-window", "--labels",
                 str(tmp_path / "l.csv")])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and err.startswith(f"loupe-tui: error: {NPZ}: not a zarr store or netCDF file")
    assert "docs/data-inputs.md#arrays-in-npz-mat-or-other-files" in err
    anchor = "arrays-in-npz-mat-or-other-files"    # the heading it points at exists (GitHub's anchor rule)
    heads = [re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
             for h in re.findall(r"^## (.*)$", (ROOT / "docs" / "data-inputs.md").read_text(), re.M)]
    assert anchor in heads


# -- labels: column roles guessed from the header ------------------------------------------
@pytest.mark.parametrize("header, roles", [
    ("onset\tduration\tdescription", {"start": "onset", "duration": "duration", "label": "description"}),
    ("Start\tEnd\tLabel\tscorer", {"start": "Start", "end": "End", "label": "Label"}),
    ("START\tEND\tSTATE\tNotes", {"start": "START", "end": "END", "label": "STATE", "note": "Notes"}),
    ("Onset (s)\tDuration (s)\tStage", {"start": "Onset (s)", "duration": "Duration (s)", "label": "Stage"}),
    ("start_time\tend_time\tduration\ttrial_type",
     {"start": "start_time", "end": "end_time", "duration": "duration", "label": "trial_type"}),
])
def test_convert_guesses_unambiguous_columns(header, roles, tmp_path, capsys):
    src = tmp_path / "scoring.htsv"
    cols = header.split("\t")
    rows = {"start": ["0", "30"], "end": ["30", "60"], "duration": ["30", "30"], "label": ["W", "N2"],
            "note": ["", "check"]}
    by_col = {c: rows[r] for r, c in roles.items()}
    lines = ["\t".join(by_col.get(c, ["x", "y"])[i] for c in cols) for i in range(2)]
    src.write_text(header + "\n" + "\n".join(lines) + "\n")
    out = tmp_path / "scoring.csv"
    assert main(["labels", "convert", str(src), str(out), "--legacy"]) == 0, capsys.readouterr().err
    said = capsys.readouterr().out
    assert all(f"{r}={c}" in said for r, c in roles.items())
    df = pl.read_csv(out)
    assert df.columns[:4] == ["start_s", "end_s", "label", "note"]
    assert df["start_s"].to_list() == [0, 30] and df["end_s"].to_list() == [30, 60]
    assert df["label"].to_list() == ["W", "N2"]


def test_ambiguous_columns_are_one_line_listing_them(tmp_path, capsys):
    src = tmp_path / "scoring.tsv"
    src.write_text("onset\tend\tstage\tstate\n0\t30\tW\tx\n")
    assert main(["labels", "convert", str(src), str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"loupe-tui: error: {src}: cannot tell which column is the label: 'stage' or 'state' "
                   "(columns: onset, end, stage, state); name it with --label-col NAME")
    assert main(["labels", "convert", str(src), str(tmp_path / "o.csv"), "--label-col", "state"]) == 0
    assert pl.read_csv(tmp_path / "o.csv")["state"].to_list() == ["x"]


def test_legacy_files_and_explicit_flags_are_read_as_before(tmp_path, capsys):
    legacy = tmp_path / "a.csv"
    legacy.write_text("start_s,end_s,label,note,stage\n0,4,W,,x\n")   # 'stage' would be ambiguous if guessed
    assert main(["labels", "info", str(legacy)]) == 0
    assert "states      W" in capsys.readouterr().out
    custom = tmp_path / "b.htsv"
    custom.write_text("t0\tt1\twhat\n0\t4\tW\n")
    assert main(["labels", "info", str(custom), "--start-col", "t0", "--end-col", "t1", "--label-col",
                 "what"]) == 0
    assert "roles       start=t0, end=t1, label=what" in capsys.readouterr().out


def test_open_guesses_the_columns_too_and_names_its_flag(tmp_path):
    from loupe_tui.commands.sources import label_schema
    from loupe_tui.errors import LabelFileError

    good = tmp_path / "ev.htsv"
    good.write_text("Onset\tDuration\tDescription\n0\t30\tW\n")
    s = label_schema(good, None)
    assert (s.start_col, s.end_col, s.duration_col, s.label_col) == ("Onset", None, "Duration", "Description")
    amb = tmp_path / "amb.htsv"
    amb.write_text("onset\toffset\tstage\tstate\n0\t30\tW\tx\n")
    with pytest.raises(LabelFileError, match=r"name it with --schema label=COLUMN$"):
        label_schema(amb, None)
    assert label_schema(amb, "label=stage").label_col == "stage"
