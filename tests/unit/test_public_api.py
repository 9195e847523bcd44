"""Loupe's public names are importable from the package, as Loupe scripts expect."""

import subprocess
import sys

import loupe_tui

LOUPE_NAMES = ["TraceConfig", "HeatmapConfig", "RasterConfig", "Zip", "VideoConfig", "GlobalEventsConfig",
               "IntervalLabelSchema", "IntervalLabelSet", "StateConfig", "LoupeConfigError"]


def test_loupe_names_import_from_the_package():
    for name in LOUPE_NAMES:
        obj = getattr(loupe_tui, name)
        assert obj.__name__ == name
    assert issubclass(loupe_tui.LoupeConfigError, ValueError)


def test_import_is_lazy():
    code = "import sys, loupe_tui; print(sorted(m for m in ('xarray', 'polars', 'numba') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_name_is_an_attribute_error():
    try:
        loupe_tui.NoSuchThing
    except AttributeError as e:
        assert "NoSuchThing" in str(e)
    else:
        raise AssertionError("expected AttributeError")
