"""Where the labels of a recording read from a URL live: on this machine, in a folder per URL.

A local recording's labels default to its sibling ``<name>.labels.csv``; a bucket is not
a place to save a scorer's work to (it may be read-only, shared, or away when the save
comes). So ``open s3://lab/m01.zarr`` keeps its labels (the file, its saved sibling and
the edit journal) in ``$LOUPE_TUI_LABELS/<host and path>-<hash>/m01.labels.csv``
(``$XDG_DATA_HOME/loupe-tui/labels/...``, ``~/.local/share/loupe-tui/labels/...`` when
unset): data, not cache, so nothing prunes it. ``--labels`` names any other place.

A remote EDF+ file's own sleep stages are its labels, as a local file's are: its annotation
signals (read in ranged requests, remembered in this machine's cache: see
:mod:`loupe_tui.io.remote.files`) are written once into that folder as an annotations-only
EDF+ file of the recording's name (:func:`stage_source`), which opens read-only like the local
file, its saves going to ``<name>.scored.csv`` beside it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath

from loupe_tui.core.fsutil import atomic_write_bytes
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


def stage_source(url: str, annotations_only: bytes) -> Path:
    """The local read-only labels source of a remote EDF's own sleep stages: ``<folder>/<name>``,
    holding ``annotations_only`` (the file's header and annotation signals).

    Written when missing, and again when the recording's annotations changed while no work
    rests on the old ones (no saved sibling, no journal); otherwise left as it is: the
    scorer's saved labels and journal refer to it."""
    from loupe_tui.core.labels import journal_path_for, sibling_path

    path = labels_folder(url) / url_name(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    work = sibling_path(path).exists() or journal_path_for(path).exists()
    if not path.exists() or (not work and path.read_bytes() != annotations_only):
        atomic_write_bytes(path, annotations_only)
    return path
