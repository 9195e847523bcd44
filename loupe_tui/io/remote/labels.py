"""Where the labels of a recording read from a URL live: on this machine, in a folder per URL.

A local recording's labels default to its sibling ``<name>.labels.csv``; a bucket is not
a place to save a scorer's work to (it may be read-only, shared, or away when the save
comes). So ``open s3://lab/m01.zarr`` keeps its labels (the file, its saved sibling and
the edit journal) in ``$LOUPE_TUI_LABELS/<host and path>-<hash>/m01.labels.csv``
(``$XDG_DATA_HOME/loupe-tui/labels/...``, ``~/.local/share/loupe-tui/labels/...`` when
unset): data, not cache, so nothing prunes it. ``--labels`` names any other place.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath

from loupe_tui.io.remote.urls import url_name

LABELS_ENV = "LOUPE_TUI_LABELS"


def labels_root() -> Path:
    """``$LOUPE_TUI_LABELS``, else ``$XDG_DATA_HOME/loupe-tui/labels`` (``~/.local/share/...``)."""
    env = os.environ.get(LABELS_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "loupe-tui" / "labels"


def labels_folder(url: str) -> Path:
    """The folder of one URL's labels: readable (the URL's text, made safe) and unique (a hash)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", str(url).split("://", 1)[-1].rstrip("/"))[-80:].strip("_")
    digest = hashlib.blake2b(str(url).rstrip("/").encode(), digest_size=6).hexdigest()
    return labels_root() / f"{readable}-{digest}"


def labels_path(url: str) -> Path:
    """The default labels file of the recording at ``url``: ``<folder>/<stem>.labels.csv``."""
    return labels_folder(url) / f"{PurePosixPath(url_name(url)).stem}.labels.csv"
