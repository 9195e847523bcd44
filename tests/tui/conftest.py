"""Fixtures for the terminal app's Pilot tests: a small demo recording and app factories."""

from __future__ import annotations

import shutil

import pytest

from loupe_tui.api import make_app
from loupe_tui.config import TraceConfig
from loupe_tui.demo import ensure_demo



@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """A 12-minute demo (EEG/EMG at 1 kHz, partial labels, a short video), built once."""
    return ensure_demo(tmp_path_factory.mktemp("demo") / "d", hours=0.2, video_minutes=0.5,
                       progress=lambda line: None)


@pytest.fixture(scope="session")
def pyramid_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("pyramids")


@pytest.fixture
def scored(tmp_path, demo):
    """The demo's truth as the person's labels, but for GAP (unscored) and WRONG (mis-scored)."""
    from loupe_tui.core.labels import IntervalLabelSet
    from tui_helpers import GAP, WRONG

    labels = IntervalLabelSet.read(demo.truth)
    labels.clear_range(*GAP)
    labels.add(*WRONG, "REM")
    path = tmp_path / "scored.csv"
    labels.save_as(path)
    return path


@pytest.fixture
def labels_file(tmp_path, demo):
    """A fresh copy of the demo's labels (so tests can save and journal)."""
    dst = tmp_path / "labels.csv"
    shutil.copy(demo.labels, dst)
    return dst


@pytest.fixture
def new_app(demo, pyramid_cache, labels_file):
    """``new_app(**view_kwargs)``: the app on the demo EEG, no GL window, rodent_sleep keymap."""

    def make(**kw):
        args = dict(interval_labels=labels_file, state_definitions="rodent_sleep", window=False,
                    cache_dir=pyramid_cache, title="demo")
        args.update(kw)
        return make_app([TraceConfig.from_path(demo.recording, group=demo.eeg_group)], **args)

    return make
