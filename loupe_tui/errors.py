"""Error types that reach the user.

Every error a user can cause (a bad file, a bad argument, a bad keymap) is a
:class:`LoupeError`. Its message is one line that names the file or the
parameter and the problem; the command line prints it without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class LoupeError(Exception):
    """Base class of every user-facing error."""


class LoupeConfigError(LoupeError, ValueError):
    """A config, argument, state definition or keymap is invalid.

    Loupe-compatible name: scripts written for Loupe catch this.
    """


class LabelFileError(LoupeError):
    """A labels file (or its journal) cannot be read or written."""


class DataFileError(LoupeError):
    """A data file (zarr, netCDF, npy, parquet, video) cannot be used."""


def file_error(cls: type[LoupeError], path: str | Path, problem: str, line: int | None = None) -> LoupeError:
    """Build an error whose one-line message is ``<path>[:line]: <problem>``."""
    where = f"{path}:{line}" if line is not None else f"{path}"
    return cls(f"{where}: {problem}")
