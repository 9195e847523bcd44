"""Time series stored as ``<name>_t.npy`` / ``<name>_y.npy`` pairs (Loupe's legacy input).

* ``<name>_t.npy``: 1-D float seconds, strictly increasing.
* ``<name>_y.npy``: 1-D values, same length.

Pairs are matched by ``<name>``. Series order is the order of first
appearance of a name: in the list of files when files are given, or in the
folder listing sorted by file name when a folder is given (so ``b_y.npy``
before ``c_t.npy`` puts ``b`` first; in practice: sorted by name).

Colours come from a ``colors.json`` (``{"name": colour}``) or a
``colors.txt`` (one ``name colour`` per line; lines starting with ``#`` are
comments) in the folder, or from the ``colors`` argument, which wins. A
colour is ``#RRGGBB[AA]``, ``0xRRGGBB`` or ``R,G,B[,A]`` (in JSON also
``[R, G, B(, A)]``). A series without one gets the default trace colour of
its place, by the rule that colours the channels of a zarr or netCDF
variable (:func:`loupe_tui.validate.resolve_colors`, the default cycle): a
folder of N pairs is coloured like the same N series as channels of one store.

Arrays are memory-mapped; each pair becomes a one-channel
:class:`~loupe_tui.io.source.ArraySource` on its own time axis (regular when
the times are evenly spaced).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loupe_tui.core.colors import RGBA, cycle, parse_color
from loupe_tui.errors import DataFileError, LoupeConfigError
from loupe_tui.io.npyfile import load_1d_numbers
from loupe_tui.io.source import ArraySource
from loupe_tui.io.time_axis import InputProblem, axis_from_array
from loupe_tui.validate import resolve_colors

COLOR_FILES = ("colors.json", "colors.txt")


@dataclass(frozen=True)
class NpyPair:
    """The two files of one series."""

    name: str
    t_path: Path
    y_path: Path


@dataclass(eq=False)
class NpySeries:
    """One loaded series: its source (one channel named ``name``) and its colour.

    ``color`` is the one given (``colors`` argument or colour file), else the
    default trace colour of the series' place (see the module docstring).
    """

    name: str
    source: ArraySource
    color: RGBA


def find_npy_pairs(paths: str | Path | Sequence[str | Path]) -> list[NpyPair]:
    """Match ``_t``/``_y`` files of a folder (or of a list of files) by name.

    Raises
    ------
    DataFileError
        Missing folder/file, a file that is not ``*_t.npy``/``*_y.npy`` (list
        form), a name with only one of its two files, or no pairs at all.
    """
    if isinstance(paths, (str, Path)) and Path(paths).is_dir():
        folder = Path(paths)
        files = [folder / f for f in sorted(os.listdir(folder)) if f.endswith(("_t.npy", "_y.npy"))]
        where = str(folder)
    else:
        files = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
        where = str(files[0].parent) if files else "paths"
        for f in files:
            if not f.is_file():
                raise DataFileError(f"{f}: no such file")
            if not f.name.endswith(("_t.npy", "_y.npy")):
                raise DataFileError(f"{f}: expected a <name>_t.npy or <name>_y.npy file")
    found: dict[str, dict[str, Path]] = {}
    for f in files:
        name, kind = f.name[:-6], f.name[-5]
        found.setdefault(name, {})[kind] = f
    pairs = []
    for name, kinds in found.items():
        for have, need in (("t", "y"), ("y", "t")):
            if need not in kinds:
                raise DataFileError(f"{kinds[have]}: no matching {name}_{need}.npy")
        pairs.append(NpyPair(name, kinds["t"], kinds["y"]))
    if not pairs:
        raise DataFileError(f"{where}: no <name>_t.npy / <name>_y.npy pairs found")
    return pairs


def read_color_file(path: str | Path, names: Sequence[str] | None = None) -> dict[str, RGBA]:
    """Parse ``colors.json`` or ``colors.txt``; errors name the file (and line)."""
    path = Path(path)
    entries: list[tuple[str, object, int | None]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if path.suffix == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
        if not isinstance(obj, dict):
            raise DataFileError(f"{path}: expected an object {{\"name\": colour}}")
        entries = [(str(k), v, None) for k, v in obj.items()]
    else:
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            # Whole-line comments only: colours like "#ff0000" contain '#'.
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            if len(parts) != 2:
                raise DataFileError(f"{path}:{lineno}: expected '<name> <colour>', got {line!r}")
            entries.append((parts[0], parts[1].strip(), lineno))
    out: dict[str, RGBA] = {}
    for name, value, lineno in entries:
        where = f"{path}:{lineno}" if lineno else str(path)
        if names is not None and name not in names:
            raise DataFileError(f"{where}: no series named {name!r} (series: {', '.join(names)})")
        try:
            out[name] = parse_color(value, where=name)
        except LoupeConfigError as exc:
            raise DataFileError(f"{where}: {exc}") from None
    return out


def load_npy_pairs(paths: str | Path | Sequence[str | Path],
                   colors: Mapping[str, object] | None = None) -> list[NpySeries]:
    """Load every pair as a :class:`NpySeries`, in first-appearance order.

    Series ``i`` without a given colour gets the ``i``-th default trace
    colour, as channel ``i`` of a store does.

    Raises
    ------
    DataFileError
        See :func:`find_npy_pairs`; also unreadable files, arrays that are not
        1-D or not numeric, length mismatch, empty series, and non-finite or
        non-increasing times (the ``_t`` file is named).
    LoupeConfigError
        A bad colour in ``colors`` (named ``colors['name']``).
    """
    pairs = find_npy_pairs(paths)
    names = [p.name for p in pairs]
    table: dict[str, RGBA] = {}
    folder = pairs[0].t_path.parent
    present = [folder / f for f in COLOR_FILES if (folder / f).is_file()]
    if len(present) > 1:
        raise DataFileError(f"{folder}: both colors.json and colors.txt exist; keep one")
    if present:
        table.update(read_color_file(present[0], names))
    for name, value in (colors or {}).items():
        if name not in names:
            raise LoupeConfigError(f"colors[{name!r}]: no series of that name (series: {', '.join(names)})")
        table[name] = parse_color(value, where=f"colors[{name!r}]")
    # The traces' rule, not a copy of it: the channels of a store get these colours (TraceConfig.trace_colors).
    default = resolve_colors(len(pairs), color=None, hue_values=None, palette=None, default=cycle)
    return [NpySeries(p.name, _pair_source(p), table.get(p.name, default[i])) for i, p in enumerate(pairs)]


def _pair_source(pair: NpyPair) -> ArraySource:
    t = load_1d_numbers(pair.t_path)
    y = load_1d_numbers(pair.y_path)
    if len(t) != len(y):
        raise DataFileError(f"{pair.y_path}: {len(y)} values but {pair.t_path.name} has {len(t)} times")
    if len(t) == 0:
        raise DataFileError(f"{pair.t_path}: empty series")
    try:
        axis = axis_from_array(t)
    except InputProblem as exc:
        raise DataFileError(f"{pair.t_path}: {exc}") from None
    return ArraySource(y, axis, names=[pair.name], fingerprint=_fingerprint(pair))


def _fingerprint(pair: NpyPair) -> str:
    h = hashlib.blake2b(digest_size=16)
    for p in (pair.t_path, pair.y_path):
        st = p.stat()
        h.update(repr((str(p.resolve()), st.st_size, st.st_mtime_ns)).encode())
    return h.hexdigest()
