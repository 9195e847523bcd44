"""``loupe-tui prepare REC... | --list FILE``: build a cohort's caches on Dask, for every scorer.

Each recording's pyramid (and, when asked, its heatmaps' pyramids, its spectral cache and its
suggestions) is built by the code ``open`` (and ``suggest``) runs and published to a shared
cache beside it (``<recording>.loupe/``) or under ``--cache-url``; ``open`` then reads those
instead of building its own. One recording is one Dask task, on a ``LocalCluster`` of
this machine or the cluster at ``--scheduler``. A recording that fails is one
``loupe-tui: error:`` line and the others go on; the summary table goes to stdout; the exit
status is 1 when any failed. See ``docs/cohort.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from loupe_tui.errors import LoupeConfigError

EPILOG = """\
examples:
  loupe-tui prepare s3://lab/mice/m01.zarr s3://lab/mice/m02.zarr --spectrogram EEG1 --emg EMG
  loupe-tui prepare --list cohort.txt --workers 2          # one recording (path or URL) per line
  loupe-tui prepare --list cohort.txt --scheduler tcp://10.0.0.5:8786 --cache-url s3://lab/loupe-cache
  loupe-tui prepare /srv/psg/*.edf --channels "EEG*,EMG*" --spectrogram "EEG Fpz-Cz" --epoch 30
  loupe-tui prepare --list mice.txt --spectrogram EEG --emg EMG --suggest --train-on m01.zarr:m01.labels.csv
  loupe-tui prepare /srv/psg/*.edf --spectrogram C4-M1 --eog E1-M2 --suggest-method yasa
  loupe-tui prepare s3://lab/m01.zarr --heatmap calcium:dff --heatmap-split region

Shared caches go beside each recording (<recording>.loupe/) unless --cache-url names one
root for all; with --cache-url, scorers set LOUPE_TUI_SHARED_CACHE to it. Recordings are
never written to. What is already prepared and current is skipped, so a second run is quick.
Give prepare the --group/--variable/--channels/--derive (and --heatmap ...) that scorers
open with: a cache is for the traces it was built from. --suggest trains on the --train-on
recordings (none of the cohort's own epochs), so that open shows suggestions before anything
is scored; --suggest-method yasa stages human PSG in 30 s epochs (pip install 'loupe-tui[yasa]').
"""


def register(sub) -> None:
    p = sub.add_parser("prepare", help="build the caches of many recordings on Dask, for every scorer",
                       description="Build pyramids (and spectral caches) of recordings as Dask tasks and "
                                   "publish them beside the recordings, so that open starts at once.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("recordings", nargs="*", metavar="REC", help="zarr stores, netCDF or EDF/BDF files: "
                                                                "paths or URLs (s3://, gs://, https://)")
    p.add_argument("--list", metavar="FILE", help="read recordings from FILE, one per line (# comments; - is "
                                                  "stdin)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask cluster of this scheduler "
                                                          "(tcp://host:8786); default a LocalCluster here")
    p.add_argument("--workers", type=int, metavar="N",
                   help="LocalCluster worker processes (default: one per core, at most one per recording); "
                        "0: in this process, without Dask")
    p.add_argument("--cache-url", metavar="URL", help="publish under this root instead of beside each recording")
    p.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE",
                   help="an fsspec option for the URLs (endpoint_url=..., anon=true); repeatable")
    p.add_argument("--group", metavar="G", help="group of the zarr/netCDF stores holding the traces")
    p.add_argument("--variable", metavar="V", help="variable of the traces (default: the only one with time)")
    p.add_argument("--channels", metavar="LABEL,...", help="EDF/BDF: the signals, as open --channels")
    p.add_argument("--derive", action="append", default=[], metavar="NAME=A-B", help="EDF/BDF: as open --derive")
    p.add_argument("--spectrogram", metavar="CHANNEL", help="also build the spectrogram and band powers of this "
                                                            "channel")
    p.add_argument("--emg", metavar="CHANNEL", help="also build the EMG level of this channel")
    p.add_argument("--spectral-method", choices=("multitaper", "welch"), default=None,
                   help="spectrogram estimate (default multitaper)")
    p.add_argument("--epoch", type=float, default=None, metavar="SECONDS",
                   help="scoring epoch: the spectral estimates' step (default 4, as open without labels; 30 with "
                        "--suggest-method yasa)")
    p.add_argument("--heatmap", action="append", default=[], metavar="GROUP[:VARIABLE]",
                   help="also build the pyramids (min/max and mean) of this heatmap, as open --heatmap; repeatable")
    p.add_argument("--heatmap-split", metavar="COORD", help="as open --heatmap-split")
    p.add_argument("--heatmap-order", metavar="COORD", help="as open --heatmap-order")
    p.add_argument("--suggest", action="store_true",
                   help="also make suggestions (needs --spectrogram and/or --emg): a classifier trained on the "
                        "--train-on recordings")
    p.add_argument("--suggest-method", choices=("classifier", "yasa"), default=None,
                   help="classifier (default with --suggest) or yasa: YASA's pretrained human PSG staging of "
                        "--spectrogram (the EEG), --eog and --emg in 30 s epochs (implies --suggest)")
    p.add_argument("--train-on", action="append", default=[], metavar="REC:LABELS",
                   help="a scored recording of the lab (path or URL) and its labels file, to train on; repeatable")
    p.add_argument("--states", metavar="NAME,...", help="the states to suggest (default: those the --train-on "
                                                        "labels use, less artifacts)")
    p.add_argument("--eog", metavar="CHANNEL", help="--suggest-method yasa: an EOG channel (improves the staging)")
    p.add_argument("--scratch", metavar="DIR", help="where a worker builds before publishing (default: the "
                                                    "system's temp folder)")
    p.set_defaults(func=run)


def read_list(path: str) -> list[str]:
    """The recordings of a ``--list`` file: one per line, blank lines and ``#`` comments skipped."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).expanduser().read_text()
    except OSError as exc:
        raise LoupeConfigError(f"--list {path}: cannot read ({exc.strerror or exc})") from None
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def run(args: argparse.Namespace) -> int:
    from loupe_tui.io.remote.urls import parse_storage_options
    from loupe_tui.prepare import FAILED, prepare

    recordings = list(args.recordings) + (read_list(args.list) if args.list else [])
    if not recordings:
        raise LoupeConfigError("prepare: name recordings (REC ...) or --list FILE")
    if args.workers is not None and args.workers < 0:
        raise LoupeConfigError(f"--workers: must be 0 or more, got {args.workers}")
    method = args.suggest_method or ("classifier" if args.suggest else None)
    epoch = args.epoch if args.epoch is not None else 30.0 if method == "yasa" else 4.0
    states = tuple(s.strip() for s in args.states.split(",") if s.strip()) if args.states else None
    options = dict(cache_url=args.cache_url, storage_options=parse_storage_options(args.storage_option),
                   group=args.group, variable=args.variable, derive=tuple(args.derive), epoch_s=epoch,
                   channels=tuple(c.strip() for c in (args.channels or "").split(",") if c.strip()),
                   spectrogram=args.spectrogram, emg=args.emg, spectral_method=args.spectral_method,
                   scratch=args.scratch, heatmaps=tuple(args.heatmap), heatmap_split=args.heatmap_split,
                   heatmap_order=args.heatmap_order, suggest=method, train_on=tuple(args.train_on), states=states,
                   eog=args.eog)
    where = args.scheduler or ("this process" if args.workers == 0 else "a LocalCluster")
    _say(f"preparing {len(recordings)} recording{'s' if len(recordings) != 1 else ''} on {where} ...")
    start = time.perf_counter()

    def progress(done: int, total: int, outcome) -> None:
        if outcome.status == FAILED:
            print(f"loupe-tui: error: {outcome.error}", file=sys.stderr, flush=True)
            return
        left = (time.perf_counter() - start) / done * (total - done)
        parts = list(outcome.built) + ([f"suggestions {outcome.suggestions}"] if outcome.suggestions else [])
        what = f" ({', '.join(parts)})" if parts else ""
        eta = f"; about {left:.0f} s to go" if done < total else ""
        _say(f"[{done}/{total}] {outcome.recording}: {outcome.status} in {outcome.seconds:.1f} s{what}{eta}")

    report = prepare(recordings, workers=args.workers, scheduler=args.scheduler, progress=progress, **options)
    print(report.table())
    return 1 if report.failed else 0


def _say(text: str) -> None:
    print(f"loupe-tui: {text}", file=sys.stderr, flush=True)
