"""``loupe-tui open DATA``: score files directly, without writing Python.

DATA is a zarr store or netCDF file (one variable of one group becomes the
traces) or a folder of ``<name>_t.npy`` / ``<name>_y.npy`` pairs. Labels,
videos, events and spikes are options. Everything is checked before the
screen changes; problems are one ``loupe-tui: error:`` line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from loupe_tui.errors import LoupeConfigError

EPILOG = """\
examples:
  loupe-tui open night1.zarr --group eeg --labels night1.csv --keymap rodent_sleep
  loupe-tui open rec.nc --variable lfp --labels scoring.htsv --schema start=onset,end=offset,label=stage
  loupe-tui open traces/ --keymap aasm_human --epoch 30 --no-window
  loupe-tui open rec.zarr --group eeg --video cam.mp4 cam_times.npy --events stims.parquet \\
      --raster spikes.parquet --raster-by unit_id
  loupe-tui open rec.zarr --video side1.mp4,side2.mp4 side1_t.npy,side2_t.npy --video top.mp4 top_t.npy

Without --labels, labels go to DATA's sibling <name>.labels.csv (created on the
first save; every edit is journaled before that). Saves never overwrite the
labels file you gave unless --writeback: they go to <stem>.scored<ext>.
Keys: press F1 or ? in the app; docs/tui.md lists every key.
"""

SCHEMA_ROLES = {"start": "start_col", "end": "end_col", "duration": "duration_col", "label": "label_col",
                "note": "note_col", "extra": "extra_cols"}


def register(sub) -> None:
    p = sub.add_parser("open", help="score a recording: zarr/netCDF store or folder of npy pairs",
                       description="Open a recording in the terminal scorer (and the GL window beside it).",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", metavar="DATA", help="zarr store, netCDF file, or folder of <name>_t.npy/<name>_y.npy")
    p.add_argument("--group", metavar="G", help="group of the zarr/netCDF store (default: the root)")
    p.add_argument("--variable", metavar="V", help="variable to show (default: the only data variable)")
    p.add_argument("--dense", action="store_true", help="draw the traces on one axis (EEG style) in the GL window")
    p.add_argument("--labels", metavar="FILE", help="labels file (.csv, .htsv, .parquet, .txt); default "
                                                    "DATA's sibling <name>.labels.csv")
    p.add_argument("--schema", metavar="ROLE=COL,...",
                   help="label columns: start=,end=,duration=,label=,note=,extra=A+B ('none' drops a role); "
                        "default start_s,end_s,label,note")
    p.add_argument("--writeback", action="store_true", help="let Ctrl+S overwrite the labels file itself")
    p.add_argument("--video", nargs=2, action="append", metavar=("VIDEO", "TIMES"), default=[],
                   help="a video and its per-frame times (.npy, seconds); repeat for more videos; "
                        "A.mp4,B.mp4 A.npy,B.npy plays files as one video")
    p.add_argument("--events", metavar="FILE", help="global events parquet (a 'time' column; lines across plots)")
    p.add_argument("--events-by", metavar="COL", help="style the global events per value of this column")
    p.add_argument("--raster", metavar="FILE", help="events parquet drawn as a raster (e.g. spikes)")
    p.add_argument("--raster-by", metavar="COL", default="unit_id",
                   help="raster row column (default unit_id)")
    p.add_argument("--keymap", metavar="FILE_OR_NAME", help="keymap file or bundled name (`loupe-tui keymap "
                                                            "list`); default the user's keymap")
    p.add_argument("--epoch", type=float, metavar="SECONDS",
                   help="scoring epoch (default: the grid of the labels, else 4)")
    p.add_argument("--window", type=float, metavar="SECONDS", dest="window_len", help="initial window length")
    p.add_argument("--no-window", action="store_true", help="no GL window: terminal views only (SSH, CI)")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="decimation pyramid cache (default $LOUPE_TUI_CACHE/pyramids or ~/.cache/loupe-tui/pyramids)")
    p.set_defaults(func=run)


def parse_schema(spec: str | None):
    """``"start=onset,end=none,label=stage,extra=a+b"`` -> IntervalLabelSchema (None if no spec)."""
    if not spec:
        return None
    from loupe_tui.core.labels.schema import IntervalLabelSchema

    kw: dict = {}
    for part in spec.split(","):
        role, eq, col = part.partition("=")
        role = role.strip().lower()
        if not eq or role not in SCHEMA_ROLES:
            raise LoupeConfigError(f"--schema: {part!r} is not ROLE=COLUMN (roles: {', '.join(SCHEMA_ROLES)})")
        col = col.strip()
        if role == "extra":
            kw["extra_cols"] = tuple(c for c in col.split("+") if c)
        else:
            kw[SCHEMA_ROLES[role]] = None if col.lower() in ("none", "") else col
    return IntervalLabelSchema(**kw)


def data_configs(path: Path, group: str | None, variable: str | None, dense: bool) -> list:
    """TraceConfigs for DATA: one for a store variable, one per npy pair."""
    from loupe_tui.config import TraceConfig

    mode = "dense" if dense else "stacked"
    if path.is_dir() and path.suffix != ".zarr" and any(path.glob("*_t.npy")):
        import numpy as np
        import xarray as xr

        from loupe_tui.io.npy_pairs import find_npy_pairs, load_npy_pairs

        out = []
        for pair, series in zip(find_npy_pairs(path), load_npy_pairs(path)):  # load validates
            y = np.load(pair.y_path, mmap_mode="r")
            t = np.load(pair.t_path, mmap_mode="r")
            da = xr.DataArray(y, dims=["time"], coords={"time": t}, name=pair.name)
            da.encoding["source"] = str(pair.y_path)
            out.append(TraceConfig(da, color=series.color, mode=mode))
        return out
    if not path.exists():
        raise LoupeConfigError(f"{path}: no such file or folder")
    return [TraceConfig.from_path(path, group=group, variable=variable, mode=mode)]


def video_configs(pairs) -> list:
    """``--video VIDEO TIMES`` pairs as VideoConfigs; comma-joined paths are one concatenated video."""
    from loupe_tui.config import VideoConfig

    out = []
    for video, times in pairs:
        vids, fts = video.split(","), times.split(",")
        if len(vids) != len(fts):
            raise LoupeConfigError(f"--video {video} {times}: {len(vids)} video files but {len(fts)} frame-times "
                                   "files (comma-separated lists must have equal length)")
        out.append(VideoConfig(vids, fts) if len(vids) > 1 else VideoConfig(video, times))
    return out


def build_view_args(args: argparse.Namespace) -> dict:
    """view()'s arguments from the command line (everything validated)."""
    import polars as pl

    from loupe_tui.config import GlobalEventsConfig, RasterConfig

    data = Path(args.data).expanduser()
    configs = data_configs(data, args.group, args.variable, args.dense)
    if args.raster:
        configs.append(RasterConfig.from_parquet(args.raster, time_col="time", order_by=args.raster_by))
    events = None
    if args.events:
        events = GlobalEventsConfig(pl.read_parquet(args.events), style_events_on=args.events_by)
    labels = Path(args.labels) if args.labels else data.with_name(data.stem + ".labels.csv")
    return dict(configs=configs, videos=video_configs(args.video) or None,
                interval_labels=labels, interval_label_schema=parse_schema(args.schema),
                interval_labels_writeback=bool(args.writeback), state_definitions=args.keymap,
                global_events=events, window=not args.no_window, epoch_len=args.epoch,
                window_len=args.window_len, title=data.name, cache_dir=args.cache_dir)


def _say(text: str) -> None:
    print(f"loupe-tui: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from loupe_tui.api import make_app

    _say(f"opening {args.data} ...")
    app = make_app(**build_view_args(args), window_switch="--no-window")
    app.run()
    _report(app.labels)
    return 0


def _report(labels) -> None:
    if labels.has_unsaved_edits and labels.journal_path is not None:
        print(f"unsaved label edits are kept in {labels.journal_path} and come back when you open "
              f"{labels.source_path.name} again")


def open_demo(paths, window: bool = True) -> int:
    """``loupe-tui demo``: the demo's EEG/EMG, spikes, video and labels with the rodent_sleep keymap."""
    from loupe_tui.api import make_app
    from loupe_tui.config import RasterConfig, TraceConfig, VideoConfig

    _say(f"opening the demo in {paths.root} ...")
    configs = [TraceConfig.from_path(paths.recording, group=paths.eeg_group),
               RasterConfig.from_parquet(paths.spikes, time_col="time", order_by="unit_id", split_by="region",
                                         alpha_by="snr")]
    app = make_app(configs, videos=[VideoConfig(paths.video, paths.frame_times, name="behaviour")],
                   interval_labels=paths.labels, state_definitions=paths.keymap, window=window,
                   title=f"demo ({paths.root.name})", window_switch="--no-window")
    app.run()
    _report(app.labels)
    return 0
