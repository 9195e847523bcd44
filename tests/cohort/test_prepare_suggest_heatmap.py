"""``prepare --suggest`` and ``prepare --heatmap``: suggestions and heatmap pyramids in the shared cache,
made once, skipped when current, and found by a second machine's ``open`` without training or building."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import xarray as xr

from cohort_helpers import recording, write_recording
from loupe_tui.cli import build_parser, main
from loupe_tui.commands import open as open_cmd
from loupe_tui.config import SpectrogramConfig
from loupe_tui.io.remote.shared_suggest import find_shared_suggestions
from loupe_tui.prepare import prepare

STATES = ("Wake", "NREM", "REM")


def open_args(url, s3, *more):
    return build_parser().parse_args(["open", url, "--storage-option", f"endpoint_url={s3.endpoint}",
                                      "--keymap", "rodent_sleep", "--no-window", *more])


@pytest.fixture
def scored(tmp_path):
    """A scored recording of the lab, on this machine: 600 s, states in 40 s runs (50 epochs each)."""
    rec = tmp_path / "lab" / "scored.zarr"
    write_recording(str(rec), recording(600.0, seed=9))
    rows = [f"{a},{a + 40},{STATES[i % 3]}" for i, a in enumerate(range(0, 600, 40))]
    labels = tmp_path / "lab" / "scored.labels.csv"
    labels.write_text("start_s,end_s,label\n" + "\n".join(rows) + "\n")
    return f"{rec}:{labels}"


def test_help_and_bad_suggest_options_are_one_line(capsys, tmp_path):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["prepare", "--help"])
    out = capsys.readouterr().out
    for opt in ("--suggest", "--suggest-method", "--train-on", "--states", "--eog", "--heatmap", "--heatmap-split"):
        assert opt in out, opt
    rec = str(tmp_path / "r.zarr")
    for argv, why in ((["--train-on", "a:b"], "--train-on: only with --suggest"),
                      (["--suggest"], "--suggest: name the EEG channel (--spectrogram CHANNEL)"),
                      (["--suggest", "--emg", "EMG"], "--suggest: name scored recordings of the lab to train on"),
                      (["--suggest-method", "yasa"], "--suggest-method yasa: name the EEG channel"),
                      (["--suggest-method", "yasa", "--spectrogram", "EEG", "--epoch", "4"],
                       "--epoch 4: --suggest-method yasa stages 30 s epochs only")):
        assert main(["prepare", rec, "--workers", "0", *argv]) == 2
        errors = [ln for ln in capsys.readouterr().err.splitlines() if "error" in ln]
        assert len(errors) == 1 and errors[0].startswith("loupe-tui: error: " + why), errors


def spectral_views(kw):
    cfg = next(c for c in kw["configs"] if isinstance(c, SpectrogramConfig))
    return cfg, cfg.open(4.0)


def test_prepare_suggest_publishes_skips_and_a_second_machine_finds_them(s3, scored, tmp_path, monkeypatch, capsys):
    urls = ["s3://lab/s/m1.zarr", "s3://lab/s/m2.zarr"]
    for i, url in enumerate(urls):
        write_recording(url, recording(600.0, seed=i), s3.options)
    argv = ["prepare", *urls, "--workers", "0", "--storage-option", f"endpoint_url={s3.endpoint}",
            "--spectrogram", "EEG", "--emg", "EMG", "--suggest", "--train-on", scored]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["recording", "status", "time", "built", "suggestions"]
    assert out.count("classifier 148 epochs") == 2 and "2 prepared" in out
    for url in urls:
        entries = s3.fs().ls(url.removeprefix("s3://") + ".loupe/suggestions", detail=False)
        assert len(entries) == 1                       # one content key; the recording untouched
        assert not s3.fs().exists(url.removeprefix("s3://") + "/suggestions")

    assert main(argv) == 0                             # a second run: all current
    out = capsys.readouterr().out
    assert "0 prepared, 2 already current" in out and out.count(" current ") == 2

    # a second machine: its own empty cache, nothing scored; the views are adopted, the suggestions found
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "second"))
    import loupe_tui.io.suggest.model as model

    monkeypatch.setattr(model, "train_and_predict", lambda *a, **k: pytest.fail("trained on the second machine"))
    kw = open_cmd.build_view_args(open_args(urls[0], s3, "--spectrogram", "EEG", "--emg", "EMG"))
    cfg, views = spectral_views(kw)
    made = find_shared_suggestions(cfg.source, views.spectrogram, views.emg, states=STATES)
    assert made is not None and made.from_sidecar and made.states == STATES
    assert made.n_train == 148 and made.step_s == 4.0 and (np.asarray(made.codes) >= 0).sum() == 148
    # what the suggestions were made from must match: other views, other states -> none
    assert find_shared_suggestions(cfg.source, views.spectrogram, None) is None       # EEG only: other features
    assert find_shared_suggestions(cfg.source, views.spectrogram, views.emg, states=("W", "N1")) is None
    assert find_shared_suggestions(cfg.source, cfg.open(2.0).spectrogram, cfg.open(2.0).emg) is None


def test_a_rewritten_recording_never_gets_stale_suggestions(s3, scored, tmp_path):
    write_recording("s3://lab/m.zarr", recording(600.0, seed=1), s3.options)
    opts = dict(workers=0, storage_options=s3.options, spectrogram="EEG", emg="EMG", suggest="classifier",
                train_on=(scored,))
    assert prepare(["s3://lab/m.zarr"], **opts).outcomes[0].suggestions == "classifier 148 epochs"
    write_recording("s3://lab/m.zarr", recording(600.0, seed=2), s3.options)     # new content
    from loupe_tui.io.xarray_open import open_variable

    cfg = SpectrogramConfig(open_variable("s3://lab/m.zarr", storage_options=s3.options), channel="EEG",
                            emg_channel="EMG")
    views = cfg.open(4.0, cache_dir=tmp_path / "fresh")
    assert find_shared_suggestions(cfg.source, views.spectrogram, views.emg) is None
    assert prepare(["s3://lab/m.zarr"], **opts).outcomes[0].suggestions == "classifier 148 epochs"   # remade
    assert find_shared_suggestions(cfg.source, views.spectrogram, views.emg) is not None


def test_the_app_opens_views_whose_shared_suggestions_are_found(s3, scored, tmp_path, monkeypatch):
    """The scorer's app (a second machine) opens the spectral views from the shared cache; the
    suggestions prepared for them are found from those very views."""
    from loupe_tui.api import make_app

    write_recording("s3://lab/a.zarr", recording(600.0, seed=3), s3.options)
    assert not prepare(["s3://lab/a.zarr"], workers=0, storage_options=s3.options, spectrogram="EEG", emg="EMG",
                       suggest="classifier", train_on=(scored,)).failed
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "second"))
    kw = open_cmd.build_view_args(open_args("s3://lab/a.zarr", s3, "--spectrogram", "EEG", "--emg", "EMG"))
    app = make_app(**kw, **open_cmd.CLI_CONTEXT)

    async def opened():
        async with app.run_test(size=(140, 42)) as pilot:
            spectral = app.screen.spectral
            for _ in range(500):
                await pilot.pause(0.02)
                if spectral.opened:
                    break
            assert spectral.opened and spectral.views
            v = spectral.views[0]
            found = await asyncio.to_thread(find_shared_suggestions, spectral.configs[0].source, v.spectrogram,
                                            v.emg, app.screen.states.states)
            review = app.screen.suggestions          # and the app shows them, with nothing scored here
            for _ in range(500):
                await pilot.pause(0.02)
                if review.current is not None:
                    break
            shown = review.current
            assert review.shared and "from the shared cache" in app.screen.status_bar.message
            assert len(app.screen.session.labels) == 0 and review.trainer.trainings == 0
            return found, shown

    made, shown = asyncio.run(opened())
    assert made is not None and made.n_train == 148 and made.n_epochs == 150
    assert shown is not None and shown.n_train == 148 and shown.codes.tolist() == made.codes.tolist()


@pytest.mark.parametrize("broken", ["missing", "raises"])
def test_a_missing_or_broken_yasa_is_one_line_per_recording(s3, monkeypatch, capsys, broken):
    from loupe_tui.io.suggest import yasa_staging

    if broken == "missing":
        monkeypatch.setattr(yasa_staging, "missing_packages", lambda: ["yasa"])
    else:
        monkeypatch.setattr(yasa_staging, "stage", lambda *a: (_ for _ in ()).throw(RuntimeError("bad model\nfile")))
    urls = ["s3://lab/y1.zarr", "s3://lab/y2.zarr"]
    for i, url in enumerate(urls):
        write_recording(url, recording(300.0, seed=i), s3.options)
    assert main(["prepare", *urls, "--workers", "0", "--storage-option", f"endpoint_url={s3.endpoint}",
                 "--spectrogram", "EEG", "--suggest-method", "yasa"]) == 1
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if "error" in ln]
    why = ("--suggest-method yasa needs the yasa extra (yasa not installed): pip install 'loupe-tui[yasa]'"
           if broken == "missing" else "RuntimeError: bad model file")
    assert lines == [f"loupe-tui: error: {u}: suggestions: {why}" for u in urls], err
    assert "Traceback" not in err and "2 failed" in out
    assert out.count("pyramid 2 ch, spectrogram EEG") == 2          # the rest was built and published
    assert all(s3.fs().exists(u.removeprefix("s3://") + ".loupe/pyramids") for u in urls)


@pytest.mark.slow
def test_prepare_stages_with_yasa_and_open_finds_it(s3, tmp_path, monkeypatch):
    pytest.importorskip("yasa")
    write_recording("s3://lab/psg.zarr", recording(900.0, seed=4), s3.options)
    report = prepare(["s3://lab/psg.zarr"], workers=0, storage_options=s3.options, spectrogram="EEG",
                     suggest="yasa", epoch_s=30.0)
    assert report.outcomes[0].suggestions == "yasa 30 epochs", report.outcomes[0]
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "second"))
    kw = open_cmd.build_view_args(open_args("s3://lab/psg.zarr", s3, "--spectrogram", "EEG", "--epoch", "30"))
    cfg = next(c for c in kw["configs"] if isinstance(c, SpectrogramConfig))
    views = cfg.open(30.0)
    made = find_shared_suggestions(cfg.source, views.spectrogram, views.emg)
    assert made is not None and made.states == ("W", "N1", "N2", "N3", "R") and made.model.startswith("YASA")
    assert find_shared_suggestions(cfg.source, views.spectrogram, None, method="yasa",
                                   yasa_channels=("EEG", None, None)) is not None
    assert find_shared_suggestions(cfg.source, views.spectrogram, None, yasa_channels=("EEG", None, "EMG")) is None
    assert find_shared_suggestions(cfg.source, views.spectrogram, None, method="classifier") is None
    assert prepare(["s3://lab/psg.zarr"], workers=0, storage_options=s3.options, spectrogram="EEG",
                   suggest="yasa", epoch_s=30.0).outcomes[0].status == "current"


# ------------------------------------------------------------------ heatmaps
def write_heatmaps(url, options, seconds=600.0, fs=100.0):
    """``calcium/dff`` (12 cells, some NaN: the mean pyramid keeps counts) and ``calcium/raw`` (none)."""
    rng = np.random.default_rng(5)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    dff = rng.standard_normal((12, n)).astype(np.float32)
    dff[3, 1000:5000] = np.nan
    raw = rng.standard_normal((12, n)).astype(np.float32)
    ds = xr.Dataset({"dff": (("cell", "time"), dff), "raw": (("cell", "time"), raw)},
                    coords={"time": t, "cell": np.arange(12), "depth": ("cell", rng.uniform(0, 500, 12)),
                            "region": ("cell", np.array([1, 3] * 6))})
    ds.to_zarr(url, group="calcium", storage_options=options, mode="a", consolidated=False,
               encoding={v: {"chunks": (12, 16384)} for v in ("dff", "raw")})
    return ds


def test_prepared_heatmap_pyramids_are_read_lazily_by_a_second_machine(s3, tmp_path, monkeypatch):
    from loupe_tui.config import HeatmapConfig
    from loupe_tui.io.mean_pyramid import MeanPyramid
    from loupe_tui.io.pyramid import Pyramid
    from loupe_tui.io.remote import shared_pyramid
    from render.prep.heatmap import HeatmapRenderer

    monkeypatch.setattr(shared_pyramid, "CHUNK_BYTES", 64 << 10)     # several chunks, read lazily
    monkeypatch.setattr(shared_pyramid, "EAGER_BYTES", 0)
    write_recording("s3://lab/h.zarr", recording(600.0), s3.options)
    write_heatmaps("s3://lab/h.zarr", s3.options)
    opts = dict(workers=0, storage_options=s3.options, heatmaps=("calcium:dff", "calcium:raw"),
                heatmap_split="region", heatmap_order="depth")
    report = prepare(["s3://lab/h.zarr"], **opts)
    assert report.outcomes[0].built == ("pyramid 2 ch", "heatmap calcium:dff (2 panels)",
                                        "heatmap calcium:raw (2 panels)"), report.outcomes[0]
    assert prepare(["s3://lab/h.zarr"], **opts).outcomes[0].status == "current"

    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "second"))
    kw = open_cmd.build_view_args(open_args("s3://lab/h.zarr", s3, "--heatmap", "calcium:dff", "--heatmap",
                                            "calcium:raw", "--heatmap-split", "region", "--heatmap-order", "depth"))
    panels = [p for c in kw["configs"] if isinstance(c, HeatmapConfig) for p in c.panels()]
    assert len(panels) == 4
    for panel in panels:
        src = panel.source
        means = MeanPyramid.open_or_build(src)
        assert means.shared_url is not None and "-mean" in means.shared_url
        assert Pyramid.open(src).shared_url is not None
        ref = MeanPyramid.build(src, tmp_path / "reference")           # a local build, to compare
        assert (ref.counts is not None) == (means.counts is not None)
        for t0, t1, n in ((0.0, 600.0, 700), (30.0, 90.0, 300), (12.0, 15.0, 200), (0.0, 2.0, 700)):
            a, b = means.window(t0, t1, n), ref.window(t0, t1, n)
            assert a.level == b.level
            np.testing.assert_array_equal(a.edges, b.edges)
            np.testing.assert_allclose(a.mean, b.mean, rtol=1e-6, equal_nan=True)
        renderer = HeatmapRenderer(panel)                               # the heatmap's own path
        renderer.prepare(("peak", "mean"))
        np.testing.assert_allclose(renderer.values(0.0, 600.0, 500, "mean").values,
                                   ref.window(0.0, 600.0, 500).mean, rtol=1e-6, equal_nan=True)
    assert any(p.counts is not None for p in (MeanPyramid.open(q.source) for q in panels))
    built = [p.name for p in (tmp_path / "second" / "pyramids").glob("*") if p.name != "spectral"]
    assert built == [], "no local pyramid was built"
