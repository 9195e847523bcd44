"""``loupe-tui open DATA``: score files directly, without writing Python.

DATA is a zarr store or netCDF file (one variable of one group becomes the
traces) or a folder of ``<name>_t.npy`` / ``<name>_y.npy`` pairs. Heatmaps,
labels, videos, events and spikes are options, shared with ``snapshot``
(:mod:`loupe_tui.commands.sources`). Everything is checked before the screen
changes, videos included; problems are one ``loupe-tui: error:`` line.
Labels that name their states open without ``--keymap``
(:mod:`loupe_tui.core.keymap_choice`); the status line says where the
states came from. An EDF's header start lets times show on the clock:
``--time clock`` starts that way (a flag, not remembered between runs),
Ctrl+W or ``:time`` switches while scoring.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loupe_tui.commands.sources import (add_source_arguments, build_sources, check_videos, parse_schema,
                                       video_configs, window_size)
from loupe_tui.errors import LoupeConfigError

__all__ = ["register", "add_graphics_argument", "add_time_argument", "time_arguments", "build_view_args",
           "parse_schema", "video_configs", "open_demo", "run"]

EPILOG = """\
examples:
  loupe-tui open night1.zarr --group eeg --labels night1.csv --keymap rodent_sleep
  loupe-tui open rec.nc --variable lfp --labels scoring.htsv --schema start=onset,end=offset,label=stage
  loupe-tui open traces/ --keymap aasm_human --epoch 30 --no-window
  loupe-tui open rec.zarr --group eeg --video cam.mp4 cam_times.npy --events stims.parquet \\
      --raster spikes.parquet --raster-by unit_id
  loupe-tui open rec.zarr --video side1.mp4,side2.mp4 side1_t.npy,side2_t.npy --video top.mp4 top_t.npy
  loupe-tui open rec.zarr --group eeg --heatmap calcium:dff --heatmap-split region --heatmap-order depth_um
  loupe-tui open eog.zarr --labels hypno.txt     # states: a bundled keymap that has them (aasm_human)
  loupe-tui open rec.zarr --group eeg --graphics kitty   # the GL window's frames in this terminal
  loupe-tui open night.edf --labels night-hypnogram.edf --time clock   # times on the clock (23:14:30)

Without --labels, labels go to DATA's sibling <name>.labels.csv (created on the
first save; every edit is journaled before that). Saves never overwrite the
labels file you gave unless --writeback: they go to <stem>.scored<ext>.
States: --keymap, else your keymap (`loupe-tui keymap init`), else a bundled
keymap that has every state of the labels, else the labels' own states with
hotkeys 1-9; the status line says which. Videos are checked (opened, indexed,
frame count against frame times) before the screen changes.
Keys: press F1 or ? in the app; docs/tui.md lists every key.
"""


def register(sub) -> None:
    p = sub.add_parser("open", help="score a recording: zarr/netCDF store or folder of npy pairs",
                       description="Open a recording in the terminal scorer (and the GL window beside it).",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_source_arguments(p)
    p.add_argument("--writeback", action="store_true", help="let Ctrl+S overwrite the labels file itself")
    p.add_argument("--epoch", type=float, metavar="SECONDS",
                   help="scoring epoch (default: the grid of the labels, else 4)")
    p.add_argument("--window", type=float, metavar="SECONDS", dest="window_len", help="initial window length")
    p.add_argument("--no-window", action="store_true", help="no GL window: terminal views only (SSH, CI)")
    p.add_argument("--window-size", metavar="WxH", help="GL window size (default 1600x900; 1024x576 on a "
                   "display forwarded over SSH)")
    p.add_argument("--suggest", choices=("classifier", "yasa", "off"), default="classifier",
                   help="scoring suggestions (with --spectrogram): a classifier trained on the epochs you score "
                        "(default); yasa: YASA's pretrained staging of human PSG in 30 s epochs of the "
                        "--spectrogram channel, with --emg and --eog (pip install 'loupe-tui[yasa]'); off")
    p.add_argument("--eog", metavar="CHANNEL", help="--suggest yasa: an EOG channel (improves the staging)")
    add_graphics_argument(p)
    add_time_argument(p)
    p.set_defaults(func=run)


def add_time_argument(p: argparse.ArgumentParser) -> None:
    """``--time``, shared by ``open`` and ``snapshot``."""
    p.add_argument("--time", choices=("elapsed", "clock"), default="elapsed",
                   help="show and read times since the start of the data (elapsed, the default) or on the "
                        "clock from the EDF header's start (clock: 23:14:30; Ctrl+W or :time switches while "
                        "scoring). Data without a start opens in elapsed time, with a note")


def time_arguments(args: argparse.Namespace, src) -> tuple[dict, list[str]]:
    """``clock_start``/``time_display`` for make_context from ``--time`` and the data's start, and the
    notes for the status bar (the data's warnings; ``--time clock`` without a start)."""
    notes = list(src.warnings)
    mode = getattr(args, "time", "elapsed")
    if mode == "clock" and src.start is None:
        notes.append(f"--time clock: {src.data.name} has no start date and time, so times are elapsed")
        mode = "elapsed"
    return dict(clock_start=src.start, time_display=mode), notes


def add_graphics_argument(p: argparse.ArgumentParser) -> None:
    """``--graphics``, shared by ``open`` and ``demo``."""
    p.add_argument("--graphics", choices=("auto", "kitty", "sixel", "off"), default=None,
                   help="show the GL window's frames in this terminal: auto (with no display, when the "
                        "terminal answers that it draws kitty graphics or sixel), kitty, sixel (even with a "
                        "display), off (default: $LOUPE_TUI_GRAPHICS, else auto)")


def build_view_args(args: argparse.Namespace) -> dict:
    """view()'s arguments from the command line (everything validated)."""
    suggest, eog = getattr(args, "suggest", "classifier"), getattr(args, "eog", None)
    if suggest == "yasa":
        from loupe_tui.io.suggest.yasa_staging import require_yasa

        require_yasa("--suggest yasa")
        if not args.spectrogram:
            raise LoupeConfigError("--suggest yasa: name the EEG to stage with --spectrogram CHANNEL")
    elif eog:
        raise LoupeConfigError("--eog: only --suggest yasa uses an EOG channel")
    src = build_sources(args)
    times, notes = time_arguments(args, src)
    return dict(configs=src.configs, videos=src.videos or None,
                interval_labels=src.labels, interval_label_schema=src.schema,
                interval_labels_writeback=bool(args.writeback), state_definitions=args.keymap,
                global_events=src.events, window=not args.no_window, epoch_len=args.epoch,
                window_len=args.window_len, title=src.data.name, cache_dir=args.cache_dir,
                window_size=window_size(args.window_size) if args.window_size else None,
                graphics=args.graphics, notes=notes,
                compare_labels=[Path(f).expanduser() for f in getattr(args, "compare", [])] or None,
                blind=bool(getattr(args, "blind", False)), suggest=suggest, suggest_eog=eog, **times)


#: How the command line asks make_context to name its switches and to guess states.
CLI_CONTEXT = dict(window_switch="--no-window", guess_states=True, keymap_switch="--keymap")


def _say(text: str) -> None:
    print(f"loupe-tui: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from loupe_tui.api import make_app

    _say(f"opening {args.data} ...")
    kw = build_view_args(args)
    for warning in check_videos(kw["videos"], args.cache_dir):
        _say(f"warning: {warning}")
    app = make_app(**kw, **CLI_CONTEXT)
    app.run()
    _report(app.labels)
    return 0


def _report(labels) -> None:
    if labels.has_unsaved_edits and labels.journal_path is not None:
        print(f"unsaved label edits are kept in {labels.journal_path} and come back when you open "
              f"{labels.source_path.name} again")


def open_demo(paths, window: bool = True, graphics: str | None = None) -> int:
    """``loupe-tui demo``: the demo's EEG/EMG, calcium heatmap, spikes, video and labels (rodent_sleep keymap)."""
    from loupe_tui.api import make_app

    _say(f"opening the demo in {paths.root} ...")
    configs, videos = demo_configs(paths)
    check_videos(videos)
    app = make_app(configs, videos=videos, interval_labels=paths.labels, state_definitions=paths.keymap,
                   window=window, title=f"demo ({paths.root.name})", window_switch="--no-window",
                   graphics=graphics)
    app.run()
    _report(app.labels)
    return 0


def demo_configs(paths) -> tuple[list, list]:
    """The demo's panels, top to bottom (EEG/EMG traces, the calcium heatmap split by region and
    ordered by depth, the spike raster split by region), and its video."""
    from loupe_tui.config import HeatmapConfig, RasterConfig, TraceConfig, VideoConfig
    from loupe_tui.io.xarray_open import open_variable

    calcium = open_variable(paths.recording, group=paths.calcium_group, variable="dff")
    configs = [TraceConfig.from_path(paths.recording, group=paths.eeg_group),
               HeatmapConfig(calcium, split_by="region", order_by="depth_um"),
               RasterConfig.from_parquet(paths.spikes, time_col="time", order_by="unit_id", split_by="region",
                                         alpha_by="snr")]
    return configs, [VideoConfig(paths.video, paths.frame_times, name="behaviour")]
