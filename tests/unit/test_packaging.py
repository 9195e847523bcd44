"""pyproject's dependency floors admit no release that lacks an API the code uses."""

from __future__ import annotations

import importlib.metadata as md
import inspect
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]

# package -> (first release with what we use, what)
NEEDS = {
    "xarray": ("2025.7.1", "open_dataset(..., create_default_indexes=False)"),
    "zarr": ("3.0", "zarr.codecs and zarr_format=3 stores"),
    "textual": ("8.0", "Select.NULL (Select.BLANK before 8.0)"),
    "polars": ("1.0", "Series.replace_strict"),
    "numpy": ("1.26", "xarray's own floor"),
    "pillow": ("9.1", "Image.Quantize and Image.Dither (sixel's colours)"),
}


def _floors() -> dict[str, Version]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for dep in deps:
        req = Requirement(dep)
        lows = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=")]
        out[req.name.lower()] = max(lows) if lows else Version("0")
    return out


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_floor_is_at_least_the_first_release_with_the_api(name):
    first, what = NEEDS[name]
    assert _floors()[name] >= Version(first), f"{name} needs >= {first} for {what}"


def test_installed_versions_satisfy_the_floors_and_have_the_apis():
    for name, floor in _floors().items():
        assert Version(md.version(name)) >= floor, name
    import xarray as xr
    from textual.widgets import Select

    assert "create_default_indexes" in inspect.signature(xr.open_dataset).parameters
    assert hasattr(Select, "NULL")
