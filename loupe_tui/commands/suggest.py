"""``loupe-tui suggest REC --out FILE``: a suggested state for every epoch.

Two methods (``--method``). ``classifier`` (the default) learns from the
epochs scored so far; ``yasa`` stages human PSG in 30 s epochs with YASA's
pretrained classifiers (the optional extra ``loupe-tui[yasa]``;
:mod:`loupe_tui.io.suggest.yasa_staging`), from ``--eeg`` and optionally
``--eog`` and ``--emg``, without reading any labels. The default never
depends on what is installed: the same command gives the same kind of
suggestions on every machine, and YASA is one flag away (the errors that
meet a human scorer first say so).

For the classifier, the recording is read as ``open`` reads it (:func:`~loupe_tui.commands.sources.build_sources`:
a zarr store, netCDF file, EDF/BDF or npy folder, ``--group``, ``--channels``
...); the features come from the spectral views' cache of the ``--spectrogram``
(EEG) and ``--emg`` channels, built on first use and shared with the app. A
model is trained on the recording's scored epochs (and on other scored
recordings, ``--train-on REC:LABELS``) and writes, per epoch,
``start_s,end_s,state,confidence`` as CSV (``state`` and ``confidence``
empty where the epoch's features are missing). The labels are only read: the
saved work (``<stem>.scored<ext>`` when it exists, as ``open`` loads), never
written. See ``docs/suggestions.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loupe_tui.errors import LoupeConfigError

#: This command's options that say how REC is read (as ``open``'s), and which channels.
READ_OPTIONS = ("group", "variable", "channels", "derive", "schema", "cache_dir")
SPECTRAL_OPTIONS = ("spectrogram", "emg", "spectral_method")
#: What --method yasa does not use, and why (one line each).
NOT_FOR_YASA = {"labels": "YASA's classifiers are pretrained: no labels are read (compare its suggestions "
                          "with yours by `loupe-tui labels compare LABELS OUT`)",
                "train_on": "YASA's classifiers are pretrained: nothing is trained",
                "states": "YASA suggests W, N1, N2, N3 and R",
                "spectral_method": "YASA computes its own features"}

EPILOG = """\
examples:
  loupe-tui suggest rec.zarr --group eeg --spectrogram EEG --emg EMG --out rec.suggestions.csv
  loupe-tui suggest night.edf --labels night.csv --spectrogram Fpz-Cz --epoch 30 --out night-sugg.csv
  loupe-tui suggest m2.zarr --group eeg --spectrogram EEG --emg EMG --out m2.csv \\
      --train-on m1.zarr:m1.labels.csv --states Wake,NREM,REM
  loupe-tui suggest night.edf --method yasa --eeg C4-M1 --eog E1-M2 --emg Chin --out night-yasa.csv

--method classifier (the default): every state needs at least 20 scored epochs
(in REC's labels and any --train-on recordings together); otherwise the error
says which states lack how many. Without --epoch, the epoch is the grid the
labels were scored on (else 4 s).
--method yasa: human PSG, 30 s epochs, channels at 100 Hz or more; nothing
needs scoring first. Needs pip install 'loupe-tui[yasa]'.
"""


def register(sub) -> None:
    p = sub.add_parser("suggest", help="suggest a state for every epoch (from the epochs scored so far, or YASA)",
                       description="Train a classifier on the scored epochs of a recording (EEG band powers, "
                                   "theta/delta and EMG level per epoch, and their neighbours), or stage human "
                                   "PSG with YASA's pretrained classifiers (--method yasa), and write a "
                                   "suggested state and its confidence for every epoch as CSV.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", metavar="REC", help="zarr store, netCDF file, EDF/EDF+/BDF file, or folder of "
                                               "<name>_t.npy/<name>_y.npy (as for open)")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="CSV to write: start_s,end_s,state,confidence per epoch")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.add_argument("--method", choices=("classifier", "yasa"), default="classifier",
                   help="classifier (default): trained on the epochs scored so far; yasa: YASA's pretrained "
                        "human PSG staging, 30 s epochs (pip install 'loupe-tui[yasa]')")
    p.add_argument("--labels", metavar="FILE", help="the scored labels (default REC's sibling <name>.labels.csv, "
                                                    "else an EDF REC's own sleep stages); its saved "
                                                    "<stem>.scored sibling is read when there is one")
    p.add_argument("--schema", metavar="ROLE=COL,...", help="label columns, as for open (default: legacy, "
                                                             "else guessed from the header)")
    p.add_argument("--epoch", type=float, metavar="SECONDS",
                   help="epoch length (default: the labels' grid, else 4)")
    p.add_argument("--spectrogram", "--eeg", dest="spectrogram", metavar="CHANNEL",
                   help="the EEG channel (classifier: its band powers and theta/delta; yasa: the one staged)")
    p.add_argument("--eog", metavar="CHANNEL", help="yasa: an EOG channel (improves the staging)")
    p.add_argument("--emg", metavar="CHANNEL",
                   help="the EMG channel (classifier: its level per epoch; yasa: improves the staging)")
    p.add_argument("--spectral-method", choices=("multitaper", "welch"), default=None,
                   help="spectrogram estimate (default multitaper, as the app's)")
    p.add_argument("--states", metavar="NAME,...",
                   help="the states to suggest (default: every state the labels use); epochs scored with "
                        "another state (an artifact) are not trained on")
    p.add_argument("--train-on", action="append", default=[], metavar="REC2:LABELS2",
                   help="also train on another scored recording (same channels and epoch); repeatable")
    g = p.add_argument_group("reading REC (as for open)")
    g.add_argument("--group", metavar="G", help="group of the zarr/netCDF store holding the traces")
    g.add_argument("--variable", metavar="V", help="variable (default: the only data variable)")
    g.add_argument("--channels", metavar="LABEL,...", help="EDF/BDF: the signals to read, by label or pattern")
    g.add_argument("--derive", action="append", default=[], metavar="NAME=A-B",
                   help="EDF/BDF: add signal NAME = A minus B; repeatable")
    g.add_argument("--cache-dir", metavar="DIR",
                   help="cache (default $LOUPE_TUI_CACHE/pyramids or ~/.cache/loupe-tui/pyramids; the spectral "
                        "features are kept in its spectral/ folder, shared with the app)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.method == "yasa":
        return _run_yasa(args)
    from loupe_tui.io.suggest import NotEnoughLabels, epoch_features, targets_of, train_and_predict

    out = _out_path(args)
    if args.eog:
        raise LoupeConfigError("--eog: only --method yasa uses an EOG channel")
    if not (args.spectrogram or args.emg):
        raise LoupeConfigError("name the EEG channel (--spectrogram CHANNEL), the EMG channel "
                               f"(--emg CHANNEL) or both; {_channel_list(args)}")
    states = _states(args.states)
    others = [(spec, *_train_on(spec)) for spec in args.train_on]
    rec = _Recording.open(args, Path(args.data).expanduser(), args.labels)
    if _same_file(out, rec.labels_path) or _same_file(out, rec.read_from):
        raise LoupeConfigError(f"--out {out}: is the labels file; suggestions are never written into labels")
    epoch = args.epoch if args.epoch is not None else rec.guess_epoch()
    if not epoch > 0:
        raise LoupeConfigError(f"--epoch: must be a positive number of seconds, got {epoch:g}")
    features = epoch_features(*rec.spectral(epoch, args.cache_dir))
    targets = targets_of(rec.labels, features.first, features.step_s, features.n_epochs, states)
    extra = []
    for spec, data, labels in others:
        other = _Recording.open(args, data, str(labels), flag=f"--train-on {spec}")
        f = epoch_features(*other.spectral(epoch, args.cache_dir))
        extra.append((f, targets_of(other.labels, f.first, f.step_s, f.n_epochs, targets.states)))
    try:
        made = train_and_predict(features, targets, extra)
    except NotEnoughLabels as exc:
        hint = "; score more epochs of those states" + ("" if extra else ", or add scored recordings "
                                                                         "with --train-on REC:LABELS")
        if abs(epoch - 30.0) < 1e-9:
            hint += "; or stage human PSG with YASA's pretrained classifiers: --method yasa --eeg CHANNEL"
        raise LoupeConfigError(f"{exc} (in {rec.read_from.name}{' and --train-on' if extra else ''}){hint}") \
            from None
    _write_csv(out, made)
    _report(out, made, rec, extra)
    return 0


def _run_yasa(args: argparse.Namespace) -> int:
    """``--method yasa``: YASA's pretrained staging of ``--eeg`` (``--eog``, ``--emg``), no labels read."""
    from loupe_tui.commands.sources import build_sources
    from loupe_tui.io.suggest.yasa_staging import EPOCH_S, require_yasa, stage

    require_yasa("--method yasa")
    out = _out_path(args)
    for name, why in NOT_FOR_YASA.items():
        if getattr(args, name):
            raise LoupeConfigError(f"--{name.replace('_', '-')}: not used by --method yasa; {why}")
    if args.epoch is not None and abs(args.epoch - EPOCH_S) > 1e-9:
        raise LoupeConfigError(f"--epoch {args.epoch:g}: --method yasa stages 30 s epochs only (its classifiers "
                               "know no other)")
    if not args.spectrogram:
        raise LoupeConfigError(f"--method yasa: name the EEG channel (--eeg CHANNEL); {_channel_list(args)}")
    data = Path(args.data).expanduser()
    src = build_sources(_source_namespace(args, data, None, ()))
    if _same_file(out, data):
        raise LoupeConfigError(f"--out {out}: is REC itself")
    channels = _yasa_channels(src.configs, args)
    made = stage(*channels)
    _write_csv(out, made)
    print(f"wrote {made.n_epochs:,} epochs of {made.step_s:g} s to {out} (start_s,end_s,state,confidence)")
    print(f"staged by {made.model} from "
          + ", ".join(f"{c.kind.upper()} {c.name} at {c.fs:g} Hz" for c in channels if c is not None)
          + f" in {made.train_seconds:.2f} s")
    print(_suggested_line(made, "with missing samples"))
    return 0


def _yasa_channels(configs, args: argparse.Namespace) -> list:
    """The ``--eeg``, ``--eog`` and ``--emg`` channels read whole (None for one not named)."""
    from loupe_tui.prepare_suggest import yasa_channels

    return yasa_channels(configs, args.spectrogram, args.eog, args.emg,
                         note=lambda text: print(f"note: {text}", file=sys.stderr))


def _out_path(args: argparse.Namespace) -> Path:
    out = Path(args.out).expanduser()
    if out.is_dir():
        raise LoupeConfigError(f"--out {out}: is a folder; name a .csv file")
    if out.exists() and not args.force:
        raise LoupeConfigError(f"--out {out}: exists; pass --force to overwrite it")
    return out


class _Recording:
    """One recording and its labels, read as ``open`` reads them."""

    def __init__(self, src, labels, labels_path: Path, read_from: Path):
        self.src, self.labels, self.labels_path, self.read_from = src, labels, labels_path, read_from

    @classmethod
    def open(cls, args: argparse.Namespace, data: Path, labels: str | None, flag: str = "") -> _Recording:
        from loupe_tui.commands.sources import build_sources
        from loupe_tui.core.labels import IntervalLabelSet, journal_path_for, sibling_path

        ns = _source_namespace(args, data, labels, SPECTRAL_OPTIONS)
        src = build_sources(ns)
        path = src.labels
        read_from = sibling_path(path) if sibling_path(path).exists() else path   # the saved work, as open loads
        if not read_from.exists():
            if src.labels_given:
                raise LoupeConfigError(f"{flag}: {path}: no such labels file" if flag
                                       else f"--labels {path}: no such labels file")
            raise LoupeConfigError(f"{path}: no such labels file (REC's default); name the labels with "
                                   "--labels FILE")
        if journal_path_for(path).exists():
            print(f"note: {journal_path_for(path).name}: unsaved edits of {path.name} are not used "
                  "(save them in the app first)", file=sys.stderr)
        return cls(src, IntervalLabelSet.read(read_from, src.schema), path, read_from)

    def guess_epoch(self) -> float:
        from loupe_tui.core.session import Session

        return Session.guess_epoch_len(self.labels.starts, self.labels.ends, self._config().source.time.first)

    def spectral(self, epoch: float, cache_dir):
        """(spectrogram, EMG level) of the named channels, from the cache (built on first use)."""
        said = []

        def progress(frac: float, what: str) -> None:
            if not said and frac < 1.0:
                said.append(what)
                print(f"{self.src.data.name}: computing the spectral features (kept in the cache for next "
                      "time) ...", file=sys.stderr, flush=True)

        views = self._config().open(epoch, cache_dir=cache_dir, progress=progress)
        return views.spectrogram, views.emg

    def _config(self):
        from loupe_tui.config import SpectrogramConfig

        found = [c for c in self.src.configs if isinstance(c, SpectrogramConfig)]
        return found[-1]


def _channel_list(args: argparse.Namespace) -> str:
    """``channels: EEG, EMG`` of REC, to say what --spectrogram/--emg may name (best effort)."""
    from loupe_tui.commands.sources import build_sources
    from loupe_tui.config_spectral import spectral_channels
    from loupe_tui.errors import LoupeError

    try:
        src = build_sources(_source_namespace(args, Path(args.data).expanduser(), None, ()))
    except (LoupeError, OSError):
        return "REC's channels could not be listed"
    return f"channels: {', '.join(name for name, _, _ in spectral_channels(src.configs)) or 'none'}"


def _source_namespace(args: argparse.Namespace, data: Path, labels: str | None, more: tuple) -> argparse.Namespace:
    """The arguments ``build_sources`` takes: ``open``'s whole option set at its defaults, then
    this command's reading options (and ``more`` of its options) over them."""
    from loupe_tui.commands.sources import add_source_arguments

    full = argparse.ArgumentParser(add_help=False)
    add_source_arguments(full)
    ns = full.parse_args(["--", str(data)])
    for name in READ_OPTIONS + more:
        setattr(ns, name, getattr(args, name))
    ns.labels = labels
    return ns


def _states(spec: str | None):
    if spec is None:
        return None
    states = tuple(dict.fromkeys(s.strip() for s in spec.split(",") if s.strip()))
    if not states:
        raise LoupeConfigError("--states: name at least one state (e.g. Wake,NREM,REM)")
    return states


def _train_on(spec: str) -> tuple[Path, Path]:
    """``REC2:LABELS2`` -> the two paths: split at the first ``:`` after which REC2 exists."""
    for i, ch in enumerate(spec):
        if ch == ":" and Path(spec[:i]).expanduser().exists():
            return Path(spec[:i]).expanduser(), Path(spec[i + 1:]).expanduser()
    if ":" not in spec:
        raise LoupeConfigError(f"--train-on {spec}: expected REC:LABELS (a recording and its labels file)")
    raise LoupeConfigError(f"--train-on {spec}: {spec.split(':', 1)[0]}: no such recording")


def _write_csv(out: Path, made) -> None:
    import numpy as np
    import polars as pl

    from loupe_tui.core.fsutil import atomic_write_bytes
    from loupe_tui.errors import DataFileError

    starts = made.first + np.arange(made.n_epochs) * made.step_s
    confidence = np.round(made.confidence.astype(np.float64), 4)
    frame = pl.DataFrame({"start_s": starts, "end_s": starts + made.step_s,
                          "state": pl.Series(made.labels().tolist(), dtype=pl.String),
                          "confidence": pl.Series(confidence, nan_to_null=True)})
    atomic_write_bytes(out, frame.write_csv().encode(), error=DataFileError)


def _report(out: Path, made, rec: _Recording, extra: list) -> None:
    scored = int(sum(made.train_counts.values()))
    where = rec.read_from.name + (f" and {len(extra)} other recording(s)" if extra else "")
    print(f"wrote {made.n_epochs:,} epochs of {made.step_s:g} s to {out} (start_s,end_s,state,confidence)")
    fitted = f", fitted on a random {made.n_train:,} of them" if made.n_train < scored else ""
    print(f"trained on {scored:,} scored epochs of {where} ("
          + ", ".join(f"{s} {n:,}" for s, n in made.train_counts.items())
          + f"{fitted}) in {made.train_seconds:.2f} s")
    print(_suggested_line(made, "without features"))


def _suggested_line(made, unsuggested: str) -> str:
    """``suggested Wake 468, NREM 697, REM 183; 2 epoch(s) <unsuggested> (no suggestion); confidence
    median 1.000, 2 below 0.8``."""
    import numpy as np

    codes = np.asarray(made.codes)
    n = np.bincount(codes[codes >= 0], minlength=len(made.states))
    line = "suggested " + ", ".join(f"{s} {int(c):,}" for s, c in zip(made.states, n))
    missing = int((codes < 0).sum())
    if missing:
        line += f"; {missing:,} epoch(s) {unsuggested} (no suggestion)"
    conf = made.confidence[np.isfinite(made.confidence)]
    if len(conf):
        line += f"; confidence median {np.median(conf):.3f}, {int((conf < 0.8).sum()):,} below 0.8"
    return line


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
