"""Suggestions in a shared cache: made by ``prepare --suggest``, shown by ``open`` before anything is scored.

Layout, under the recording's content key (see :mod:`loupe_tui.io.remote.shared`)::

    <root>/suggestions/<content key>/<method>-<id>.parquet

Each entry is the file a sidecar is (:func:`~loupe_tui.io.suggest.sidecar.sidecar_bytes`): a row
per epoch, and in its footer the :class:`~loupe_tui.io.suggest.sidecar.SidecarKey`, whose
``fingerprint`` is the content key and ``features`` what the suggestions were made from
(:func:`classifier_inputs`: the spectral entries, by their machine-independent
:func:`~loupe_tui.io.remote.shared_spectral.entry_id`; :func:`yasa_inputs`: YASA's channels).
``<id>`` hashes every parameter (:func:`entry_name`: inputs, model, states, the scored recordings
trained on, epoch), and a rewritten recording has another content key, so a stale entry is never
read. Entries are small (about 140 kB a day of 4 s epochs), so they are not chunked: one file,
written in one request (an object ``PUT`` is atomic; in a local folder, a temporary file renamed).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from loupe_tui.io.remote.shared import SharedRoot, shared_roots
from loupe_tui.io.remote.urls import is_url, join, local_path, remote_error

#: Part of every entry's name: bumped when what a name covers changes.
FORMAT = 1
FOLDER = "suggestions"
SUFFIX = ".parquet"


def classifier_inputs(spectrogram_meta: Mapping | None, emg_meta: Mapping | None) -> str:
    """What the classifier's features are made from: the feature set and the spectral entries
    (their ``meta.json``, as :func:`~loupe_tui.io.remote.shared_spectral.entry_id` takes it)."""
    from loupe_tui.io.remote.shared_spectral import entry_id
    from loupe_tui.io.suggest.features import FEATURES_VERSION

    def one(meta):
        return entry_id(dict(meta)) if meta is not None else "-"

    return f"classifier features v{FEATURES_VERSION} spectrogram={one(spectrogram_meta)} emg={one(emg_meta)}"


def yasa_inputs(eeg: str, eog: str | None = None, emg: str | None = None) -> str:
    """What YASA's staging is made from: its channels by name."""
    return f"yasa eeg={eeg} eog={eog or '-'} emg={emg or '-'}"


def entry_name(inputs: str, model: str, states: Sequence[str], extra: Sequence[str], epoch_s: float) -> str:
    """``<method>-<hash of every parameter>``: the entry's file name without its suffix."""
    what = json.dumps([FORMAT, inputs, model, list(states), list(extra), float(epoch_s)])
    return f"{inputs.split(' ', 1)[0]}-{hashlib.blake2b(what.encode(), digest_size=12).hexdigest()}"


def publish_suggestions(root: SharedRoot, content_key: str, name: str, suggestions, key) -> str:
    """Write one entry (``suggestions`` and their ``SidecarKey``) at once; returns its URL.

    Raises
    ------
    DataFileError
        The cache cannot be written (one line naming it).
    """
    from loupe_tui.core.fsutil import atomic_write_bytes
    from loupe_tui.io.suggest.sidecar import sidecar_bytes

    data = sidecar_bytes(suggestions, key)
    url = root.child(FOLDER, content_key, name + SUFFIX)
    try:
        if is_url(root.url):
            fs, path = root.fs()
            fs.pipe_file(join(path, FOLDER, content_key, name + SUFFIX), data)
        else:
            target = Path(local_path(url))
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(target, data)
    except Exception as exc:
        raise remote_error(url, exc, "cannot write the shared suggestions") from exc
    return url


def read_entry(root: SharedRoot, content_key: str, name: str):
    """``(SidecarKey, Suggestions)`` of one entry, or None when missing, unreadable or not this
    content's."""
    from loupe_tui.io.suggest.sidecar import read_sidecar

    fs, path = root.fs()
    try:
        data = fs.cat_file(join(path, FOLDER, content_key, name + SUFFIX))
    except Exception:            # none, or the server is away: none here
        return None
    found = read_sidecar(io.BytesIO(data))
    if found is None or found[0].fingerprint != content_key:
        return None
    return found


def find_shared_suggestions(source, spectrogram=None, emg=None, states: Sequence[str] | None = None,
                            cache_url: str | None = None, method: str | None = None,
                            yasa_channels: tuple[str, str | None, str | None] | None = None):
    """The newest current shared suggestions for a recording opened with these spectral views.

    Parameters
    ----------
    source : XarraySource or None
        The spectral views' source (``SpectrogramConfig.source``), which knows its recording
        (``origin``) and content; None: ``spectrogram.source``.
    spectrogram, emg : Spectrogram, EmgLevel, optional
        The opened views (``SpectralViews.spectrogram``, ``.emg``): classifier suggestions are
        taken only when made from the same spectral entries (channels, parameters, epoch).
        YASA's are taken when their epoch is the views' (30 s).
    states : sequence of str, optional
        Take only suggestions whose states are all among these (the keymap's).
    cache_url : str, optional
        A shared cache to look in first (as ``prepare --cache-url``); then
        ``$LOUPE_TUI_SHARED_CACHE`` and beside the recording.
    method : ``"classifier"`` or ``"yasa"``, optional
        Take only this method's suggestions (default: either, the newest).
    yasa_channels : (eeg, eog, emg), optional
        Take YASA's only when staged from these channels (names; None for one not used).

    Returns
    -------
    Suggestions or None
        ``from_sidecar`` is True; ``n_train`` counts the other recordings' epochs trained on
        (0 for YASA). None when no shared cache has a current entry (a root that does not exist
        costs one request; the content fingerprint is computed only when one does).
    """
    source = source if source is not None else getattr(spectrogram, "source", None)
    origin = getattr(source, "origin", None)
    if origin is None or (spectrogram is None and emg is None):
        return None
    roots = [r for r in shared_roots(origin, getattr(source, "storage_options", None), cache_url) if r.exists()]
    content_key = source.content_fingerprint if roots else None
    if content_key is None:
        return None
    inputs = classifier_inputs(_view_meta(spectrogram), _view_meta(emg))
    step = float((spectrogram if spectrogram is not None else emg).step_s)
    for root in roots:
        fs, path = root.fs()
        try:
            names = fs.ls(join(path, FOLDER, content_key), detail=False)
        except Exception:        # none there, or the server is away
            continue
        best = None
        for p in sorted(names):
            name = str(p).rstrip("/").rsplit("/", 1)[-1]
            if not name.endswith(SUFFIX):
                continue
            found = read_entry(root, content_key, name[:-len(SUFFIX)])
            if found is None:
                continue
            key, made = found
            if abs(key.step_s - step) > 1e-9 or (key.features.startswith("classifier") and key.features != inputs):
                continue
            if method is not None and not key.features.startswith(method + " "):
                continue
            if yasa_channels is not None and key.features.startswith("yasa ") \
                    and key.features != yasa_inputs(*yasa_channels):
                continue
            if states is not None and not set(key.states) <= set(states):
                continue
            if best is None or made.made_at > best.made_at:
                best = made
        if best is not None:
            return best
    return None


def _view_meta(view) -> dict | None:
    """The local ``meta.json`` of an opened spectral entry (None for no view or an unreadable one)."""
    if view is None:
        return None
    try:
        return json.loads((Path(view.path) / "meta.json").read_text())
    except (OSError, ValueError, AttributeError):
        return None


__all__ = ["classifier_inputs", "entry_name", "find_shared_suggestions", "publish_suggestions", "read_entry",
           "yasa_inputs"]
