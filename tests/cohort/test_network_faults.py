"""The S3 server goes away while a scorer pages: a one-line error within seconds, what is cached
keeps drawing, scoring goes on and the labels are saved (they live on this machine)."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from cohort_helpers import recording, write_recording
from loupe_tui.cli import build_parser
from loupe_tui.commands import open as open_cmd
from loupe_tui.errors import DataFileError
from loupe_tui.io import pyramid as pyramid_module
from loupe_tui.io.remote import shared_pyramid
from loupe_tui.io.xarray_open import open_variable
from loupe_tui.prepare import prepare

#: What the issue allows between the server going away and the scorer being told.
DEADLINE_S = 10.0


@pytest.fixture
def prepared(own_s3, tmp_path, monkeypatch):
    """A 15 min recording at 250 Hz in the bucket, prepared into small lazily read chunks (64 KiB:
    65 s of level 0 each), opened as a second machine would (an empty cache of its own)."""
    monkeypatch.setattr(shared_pyramid, "CHUNK_BYTES", 64 << 10)
    monkeypatch.setattr(shared_pyramid, "EAGER_BYTES", 0)
    write_recording("s3://lab/m01.zarr", recording(900.0), own_s3.options, chunk=16384)
    assert prepare(["s3://lab/m01.zarr"], workers=0, storage_options=own_s3.options).failed == []
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "second"))
    return own_s3


def test_prepare_with_the_server_away_fails_each_recording_on_one_line(own_s3):
    own_s3.stop()
    t = time.perf_counter()
    report = prepare(["s3://lab/a.zarr"], workers=0, storage_options=own_s3.options)
    assert time.perf_counter() - t < DEADLINE_S
    assert [o.status for o in report.outcomes] == ["failed"]
    assert all("\n" not in o.error and "does not answer" in o.error for o in report.outcomes)


def test_server_stopped_while_scoring(prepared):
    """One line within seconds, what was read still draws, paging and scoring go on, labels are saved."""
    from loupe_tui.api import make_app

    kw = open_cmd.build_view_args(build_parser().parse_args(
        ["open", "s3://lab/m01.zarr", "--storage-option", f"endpoint_url={prepared.endpoint}",
         "--keymap", "rodent_sleep", "--no-window"]))
    src = kw["configs"][0].source()
    pyr = pyramid_module.Pyramid.open_or_build(src)
    assert pyr.shared_url is not None
    seen = pyr.window(100.0, 130.0, 800)
    assert seen.problem == "" and np.isfinite(seen.lo).all()
    app = make_app(**kw, **open_cmd.CLI_CONTEXT)

    async def score():
        async with app.run_test(size=(140, 42)) as pilot:
            for _ in range(500):
                await pilot.pause(0.02)
                if app.screen.query_one("#traces")._pyramids:
                    break
            s = app.screen.session
            s.goto(40.0)
            await pilot.press("w")                       # scored while the server is up
            prepared.stop()
            s.goto(700.0)                                # a page whose data was never read
            await pilot.press("]", "n")                  # paging and scoring go on
            await pilot.pause(0.3)
            assert app.is_running
            await pilot.press("ctrl+s")
            await pilot.pause(0.2)
            return [(float(a), s.labels.label_names[c]) for a, c in zip(s.labels.starts, s.labels.codes)]

    spans = asyncio.run(score())
    assert (40.0, "Wake") in spans and any(name == "NREM" and a >= 700.0 for a, name in spans)
    saved = "".join(p.read_text() for p in kw["interval_labels"].parent.glob("*.csv"))
    assert "Wake" in saved and "NREM" in saved, "the labels were saved on this machine"

    t = time.perf_counter()
    far = pyr.window(800.0, 830.0, 800)                  # a chunk never read: the server is needed
    assert time.perf_counter() - t < DEADLINE_S
    assert np.isnan(far.lo).all() and far.problem == pyr.problem
    assert "\n" not in far.problem and "level00: cannot read: the storage server does not answer" in far.problem
    again = pyr.window(100.0, 130.0, 800)                # what was read still draws
    np.testing.assert_array_equal(again.lo, seen.lo)
    assert again.problem == "" and pyr.problem == ""
    t = time.perf_counter()
    with pytest.raises(DataFileError, match=r"^s3://lab/m01.zarr: cannot read samples 150000:151000: "):
        src.read(150_000, 151_000)
    with pytest.raises(DataFileError, match=r"^s3://lab/m02.zarr: cannot open: the storage server does not answer"):
        open_variable("s3://lab/m02.zarr", storage_options=prepared.options)
    assert time.perf_counter() - t < 2 * DEADLINE_S
