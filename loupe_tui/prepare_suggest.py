"""The suggestions step of ``loupe-tui prepare --suggest``: suggestions for a whole cohort, shared.

Two methods, the kernels of ``loupe-tui suggest`` (no second implementation):

* ``classifier``: :func:`~loupe_tui.io.suggest.train_and_predict`, trained on *other* scored
  recordings of the lab (``--train-on REC:LABELS``) and none of this recording's epochs: what a
  scorer sees before scoring anything. The scored recordings are read once, where ``prepare``
  runs (:func:`training_set`: their labels are files of that machine), and their features and
  targets travel to every task.
* ``yasa``: YASA's pretrained staging of human PSG in 30 s epochs
  (:func:`~loupe_tui.io.suggest.yasa_staging.stage`) of the EEG (``--spectrogram``), and the
  ``--eog`` and ``--emg`` channels when named. Without the ``yasa`` extra each recording fails
  on one line naming it.

Each task publishes its recording's suggestions to the shared cache
(:mod:`loupe_tui.io.remote.shared_suggest`), keyed by the recording's content and every
parameter, and skips an entry that is already there (:func:`suggest_recording`).
:func:`yasa_channels` (YASA's channels, read as ``open`` reads the recording) is here so that
``loupe-tui suggest --method yasa`` and ``prepare`` read them the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loupe_tui.errors import LoupeConfigError

CLASSIFIER, YASA = "classifier", "yasa"
METHODS = (CLASSIFIER, YASA)


@dataclass(frozen=True, eq=False)
class TrainingSet:
    """The scored recordings a cohort's classifier is trained on, read once.

    Attributes
    ----------
    states : tuple of str
        The states suggested, in code order.
    extra : tuple of (EpochFeatures, EpochTargets)
        Each scored recording's features and targets (``train_and_predict``'s ``extra``).
    ids : tuple of str
        Per scored recording, what its suggestions depend on: its content fingerprint and its
        targets' digest (part of every shared entry's key).
    counts : mapping
        Scored epochs with features per state, all recordings together.
    """

    states: tuple[str, ...]
    extra: tuple
    ids: tuple[str, ...]
    counts: Mapping[str, int]


def parse_train_on(spec) -> tuple[str, str]:
    """``REC:LABELS`` (as ``suggest --train-on``; REC a path or a URL) or a ``(REC, LABELS)`` pair."""
    from loupe_tui.io.remote.urls import is_url

    if not isinstance(spec, str):
        rec, labels = spec
        return str(rec), str(labels)
    for i, ch in enumerate(spec):
        rec, labels = spec[:i], spec[i + 1:]
        if ch != ":" or not labels or labels.startswith("//"):      # "//": a URL's scheme
            continue
        if is_url(rec) or Path(rec).expanduser().exists():
            return rec, labels
    raise LoupeConfigError(f"--train-on {spec}: expected REC:LABELS (a recording, a path or URL, and its scored "
                           "labels file)")


def training_set(scored: Sequence[tuple[str, object, str]], epoch_s: float,
                 states: Sequence[str] | None = None, cache_dir=None) -> TrainingSet:
    """Read the scored recordings: ``(what to call it, its SpectrogramConfig, its labels file)`` each.

    The labels' saved work (``<stem>.scored<ext>`` when it exists) is read, as ``open`` and
    ``suggest`` do; the features come from this machine's spectral cache (built on first use).
    ``states`` default: every state the labels use, less artifact-like ones (the app's rule).

    Raises
    ------
    LoupeConfigError
        A labels file is missing, or a state lacks scored epochs (one line, for the whole run).
    """
    from loupe_tui.core.labels import IntervalLabelSet, sibling_path
    from loupe_tui.core.labels.sleep_stats import excluded_kind
    from loupe_tui.io.remote.shared_spectral import adopt_shared
    from loupe_tui.io.suggest import NotEnoughLabels, epoch_features, targets_of
    from loupe_tui.io.suggest.model import check_enough

    if not scored:
        raise LoupeConfigError("--suggest: name scored recordings of the lab to train on (--train-on REC:LABELS), "
                               "or stage human PSG with --suggest-method yasa")
    read = []
    for what, cfg, labels_path in scored:
        path = Path(labels_path).expanduser()
        source = sibling_path(path) if sibling_path(path).exists() else path
        if not source.exists():
            raise LoupeConfigError(f"--train-on {what}: {path}: no such labels file")
        adopt_shared([cfg.source], cache_dir)        # prepared before: its spectral entries, not rebuilt
        views = cfg.open(epoch_s, cache_dir=cache_dir)
        features = epoch_features(views.spectrogram, views.emg)
        read.append((cfg, features, IntervalLabelSet.read(source)))
    if states is None:
        found = []
        for _, f, labels in read:
            found += targets_of(labels, f.first, f.step_s, f.n_epochs).states
        states = [s for s in dict.fromkeys(found) if excluded_kind(s) is None]
    states = tuple(states)
    extra, ids, counts = [], [], dict.fromkeys(states, 0)
    for cfg, f, labels in read:
        t = targets_of(labels, f.first, f.step_s, f.n_epochs, states)
        extra.append((f, t))
        ids.append(f"{cfg.source.content_fingerprint or f.identity}:{t.content_hash()}")
        n = np.bincount(t.codes[(t.codes >= 0) & f.valid], minlength=len(states))
        for s, c in zip(states, n):
            counts[s] += int(c)
    try:
        check_enough(counts)
    except NotEnoughLabels as exc:
        raise LoupeConfigError(f"--suggest: {exc} (in the --train-on recordings); score more epochs of those "
                               "states or add scored recordings") from None
    return TrainingSet(states, tuple(extra), tuple(ids), counts)


def suggest_recording(configs: list, spectral_cfg, inputs: tuple, method: str, epoch_s: float,
                      training: TrainingSet | None, root, scratch: Path,
                      channels: tuple[str | None, str | None, str | None] = (None, None, None)) -> str:
    """Make and publish one recording's suggestions unless a current entry is there (the task's step).

    Parameters
    ----------
    configs : list
        The recording's TraceConfigs (YASA reads its channels from them).
    spectral_cfg : SpectrogramConfig
        Its spectral views' config: its source's content fingerprint keys the entry.
    inputs : (dict or None, dict or None)
        The ``meta.json`` of the spectrogram and EMG entries asked for (the classifier's key).
    method, epoch_s, training
        ``"classifier"`` (with its :class:`TrainingSet`) or ``"yasa"``; the epoch.
    root : SharedRoot
        Where to publish.
    scratch : Path
        This task's cache folder: the spectral views are opened there (adopted from ``root``
        when published before).
    channels : (eeg, eog, emg)
        YASA's channels by name.

    Returns
    -------
    str
        What the summary table says: ``current``, or ``classifier 1,350 epochs``.
    """
    from loupe_tui.io.remote import shared_suggest as shared
    from loupe_tui.io.suggest.model import MODEL_KIND
    from loupe_tui.io.suggest.sidecar import SidecarKey

    content_key = spectral_cfg.source.content_fingerprint
    if method == YASA:
        from importlib.metadata import version

        from loupe_tui.io.suggest import yasa_staging

        yasa_staging.require_yasa("--suggest-method yasa")
        what = shared.yasa_inputs(*channels)
        model, states, extra = f"yasa {version('yasa')}", yasa_staging.STATES, ()
    else:
        if training is None:
            raise LoupeConfigError("the classifier needs its training set (--train-on), read by prepare()")
        what = shared.classifier_inputs(*inputs)
        model, states, extra = MODEL_KIND, training.states, training.ids
    name = shared.entry_name(what, model, states, extra, epoch_s)
    if shared.read_entry(root, content_key, name) is not None:
        return "current"
    if method == YASA:
        made = yasa_staging.stage(*yasa_channels(configs, *channels))
    else:
        made = _classify(spectral_cfg, content_key, epoch_s, training, root, scratch)
    key = SidecarKey(content_key, what, made.first, made.step_s, made.n_epochs, made.labels_hash,
                     tuple(made.states), made.model, tuple(extra))
    shared.publish_suggestions(root, content_key, name, made, key)
    return f"{method} {int((np.asarray(made.codes) >= 0).sum()):,} epochs"


def _classify(cfg, content_key: str, epoch_s: float, training: TrainingSet, root, scratch: Path):
    """The classifier's suggestions for every epoch, trained on the scored recordings only."""
    from loupe_tui.io.remote.shared_spectral import adopt_spectral
    from loupe_tui.io.suggest import EpochTargets, epoch_features, train_and_predict

    adopt_spectral(cfg.source, root, content_key, scratch)      # published before: read, not rebuilt
    views = cfg.open(epoch_s, cache_dir=scratch)
    features = epoch_features(views.spectrogram, views.emg)
    none = np.full(features.n_epochs, -1, np.int16)
    none.flags.writeable = False
    return train_and_predict(features, EpochTargets(none, training.states), list(training.extra))


# ------------------------------------------------------------------ YASA's channels
def yasa_channels(configs, eeg: str, eog: str | None = None, emg: str | None = None,
                  flags: tuple[str, str, str] = ("--eeg", "--eog", "--emg"),
                  note: Callable[[str], None] | None = None) -> list:
    """The EEG, EOG and EMG channels named, read whole (None for one not named).

    ``note`` is told when a channel has no unit (it is read as microvolts).

    Raises
    ------
    LoupeConfigError
        A channel that is not there, or sampled under 100 Hz (before any is read).
    """
    from loupe_tui.config_spectral import spectral_channels
    from loupe_tui.io.suggest.yasa_staging import check_rate, read_channel
    from loupe_tui.io.xarray_layout import other_dims
    from loupe_tui.io.xarray_source import XarraySource

    found = {name: (tc, pos) for name, tc, pos in spectral_channels(configs)}
    named = [(flags[0], eeg, "eeg"), (flags[1], eog, "eog"), (flags[2], emg, "emg")]
    for flag, name, _ in named:
        if name is not None and name not in found:
            raise LoupeConfigError(f"{flag}: no channel named {name!r}; channels: {', '.join(found) or 'none'}")
        if name is not None:
            check_rate(f"{flag} {name}", float(found[name][0].time_axis.fs))   # before reading any
    channels = []
    for flag, name, kind in named:
        if name is None:
            channels.append(None)
            continue
        tc, pos = found[name]
        unit = unit_of(tc.data, pos)
        if unit is None and note is not None:
            note(f"{flag} {name}: the recording gives no unit; read as microvolts")
        source = XarraySource(tc.data, tc.time_axis, other_dims(tc.data))
        channels.append(read_channel(source, pos, name, kind, unit, where=f"{flag} {name}"))
    return channels


def unit_of(data, pos: int) -> str | None:
    """The unit of channel ``pos`` of ``data``: its ``units`` coordinate (EDF), else ``attrs["units"]``."""
    units = data.coords.get("units")
    if units is not None and units.ndim == 1 and pos < units.size:
        unit = str(units.values[pos])
    else:
        unit = data.attrs.get("units")
    return str(unit) if unit is not None and str(unit).strip() else None


__all__ = ["CLASSIFIER", "METHODS", "TrainingSet", "YASA", "parse_train_on", "suggest_recording", "training_set",
           "unit_of", "yasa_channels"]
