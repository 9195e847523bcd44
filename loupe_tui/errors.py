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


class DataFileError(LoupeConfigError):
    """A data file (zarr, netCDF, npy, parquet, video) cannot be used.

    A :class:`LoupeConfigError`, as in Loupe: scripts that catch
    ``LoupeConfigError`` around ``TraceConfig.from_path`` also catch a file
    whose time is not monotonic or that has no ``time`` dimension.
    """


def file_error(cls: type[LoupeError], path: str | Path, problem: str, line: int | None = None) -> LoupeError:
    """Build an error whose one-line message is ``<path>[:line]: <problem>``."""
    where = f"{path}:{line}" if line is not None else f"{path}"
    return cls(f"{where}: {problem}")


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (whitespace runs collapsed), or its type name."""
    return " ".join(str(exc).split()) or type(exc).__name__


def printable(text: object) -> str:
    """``text`` with control characters (newlines, tabs ...) shown escaped, so that a
    name read from a file can never break a one-line message."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def join_names(names) -> str:
    """``"a, b, c"`` for a message listing names: each once, in first-seen order; ``none`` if empty."""
    return ", ".join(dict.fromkeys(printable(n) for n in names)) or "none"
