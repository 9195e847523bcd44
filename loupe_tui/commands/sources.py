"""What ``open`` and ``snapshot`` show: one set of options and one builder for both.

``loupe-tui snapshot`` must draw what ``loupe-tui open`` shows for the same
files, so both register the options of :func:`add_source_arguments` and turn
them into configs with :func:`build_sources`: traces of DATA (a zarr store,
a netCDF file or a folder of npy pairs), heatmaps of its groups, a raster and
global events from parquet files, videos, labels and their columns. Videos
are checked before anything starts (:func:`check_videos`): a video that
cannot be decoded, or whose frame times do not fit it, is one error line.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from loupe_tui.errors import DataFileError, LoupeConfigError, one_line

SCHEMA_ROLES = {"start": "start_col", "end": "end_col", "duration": "duration_col", "label": "label_col",
                "note": "note_col", "extra": "extra_cols"}
#: How a role's column is named with ``--schema`` (for messages).
SCHEMA_FLAGS = {role: f"--schema {role}=COLUMN" for role in SCHEMA_ROLES}

#: Where the recipe for other array files lives (the "unknown format" error points there).
ARRAYS_RECIPE = "docs/data-inputs.md#arrays-in-npz-mat-or-other-files"


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """DATA and the options naming what to show beside it (shared by ``open`` and ``snapshot``)."""
    p.add_argument("data", metavar="DATA", help="zarr store, netCDF file, EDF/EDF+/BDF file, or folder of "
                                                "<name>_t.npy/<name>_y.npy; a zarr store or EDF/BDF file may "
                                                "be a URL (s3://bucket/rec.zarr, gs://, https://, any fsspec URL)")
    p.add_argument("--storage-option", action="append", default=[], metavar="KEY=VALUE",
                   help="an fsspec option for a URL DATA (endpoint_url=http://host:9000, anon=true, "
                        "config_kwargs.read_timeout=10); repeatable; others come from the environment "
                        "(AWS_*, FSSPEC_S3_*)")
    p.add_argument("--channels", metavar="LABEL,...",
                   help="EDF/BDF: the signals to show, in this order, by label or pattern (EEG*,EMG*); "
                        "one trace group per sampling rate")
    p.add_argument("--derive", action="append", default=[], metavar="NAME=A-B",
                   help="EDF/BDF: add signal NAME = A minus B (bipolar or re-referenced, e.g. C4-M1=C4-M1), "
                        "computed as it is read; repeatable")
    p.add_argument("--group", metavar="G", help="group of the zarr/netCDF store holding the traces "
                                                "(default: the root)")
    p.add_argument("--variable", metavar="V", help="variable to show (default: the only data variable)")
    p.add_argument("--dense", action="store_true", help="draw the traces on one axis (EEG style) in the GL window")
    p.add_argument("--heatmap", action="append", default=[], metavar="GROUP[:VARIABLE]",
                   help="also show a group of DATA as a heatmap (e.g. calcium:dff); repeatable")
    p.add_argument("--heatmap-split", metavar="COORD", help="one heatmap per value of this coordinate")
    p.add_argument("--heatmap-order", metavar="COORD", help="heatmap rows ordered by this coordinate")
    p.add_argument("--cmap", metavar="NAME", default="magma", help="heatmap colour map (default magma)")
    p.add_argument("--spectrogram", metavar="CHANNEL",
                   help="show the spectrogram and band powers of this channel (its name as listed; without "
                        "it, the app's palette offers the channels)")
    p.add_argument("--emg", metavar="CHANNEL", help="show the EMG level (log RMS of 20-50 Hz per epoch) of this channel")
    p.add_argument("--spectral-method", choices=("multitaper", "welch"), default=None,
                   help="spectrogram estimate (default multitaper; welch is cheaper)")
    p.add_argument("--labels", metavar="FILE", help="labels file (.csv, .htsv, .parquet, .txt, or an EDF+ "
                                                    "hypnogram .edf/.bdf); default DATA's sibling "
                                                    "<name>.labels.csv, else an EDF DATA's own sleep stages")
    p.add_argument("--compare", action="append", default=[], metavar="FILE",
                   help="another scorer's labels of this recording, read-only, for comparison (repeatable)")
    p.add_argument("--blind", action="store_true",
                   help="blind scoring: suggestions and --compare labels show only on epochs you have scored")
    p.add_argument("--schema", metavar="ROLE=COL,...",
                   help="label columns: start=,end=,duration=,label=,note=,extra=A+B ('none' drops a role); "
                        "default start_s,end_s,label,note, else guessed from the header (onset, duration, "
                        "description ... in any case)")
    p.add_argument("--video", nargs=2, action="append", metavar=("VIDEO", "TIMES"), default=[],
                   help="a video and its per-frame times (.npy, seconds; `loupe-tui video frame-times` makes "
                        "one); repeat for more videos; A.mp4,B.mp4 A.npy,B.npy plays files as one video")
    p.add_argument("--events", metavar="FILE", help="global events parquet (a 'time' column; lines across plots)")
    p.add_argument("--events-by", metavar="COL", help="style the global events per value of this column")
    p.add_argument("--raster", metavar="FILE", help="events parquet drawn as a raster (e.g. spikes)")
    p.add_argument("--raster-by", metavar="COL", default="unit_id", help="raster row column (default unit_id)")
    p.add_argument("--keymap", metavar="FILE_OR_NAME",
                   help="keymap file or bundled name (`loupe-tui keymap list`); default your keymap, else a "
                        "bundled keymap with the labels' states, else the labels' own states")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="decimation pyramid cache (default $LOUPE_TUI_CACHE/pyramids or ~/.cache/loupe-tui/pyramids)")


@dataclass
class Sources:
    """What the options name, validated.

    Attributes
    ----------
    data : Path
        DATA; for a URL, its last part (``rec.zarr``, for titles): the URL is :attr:`url`.
    configs : list
        TraceConfigs, then HeatmapConfigs, then the RasterConfig, top to bottom.
    videos : list of VideoConfig
    events : GlobalEventsConfig or None
    labels : Path
        ``--labels``, else DATA's sibling ``<name>.labels.csv`` (for a URL, the same name in
        its local labels folder: :mod:`loupe_tui.io.remote.labels`).
    labels_given : bool
    schema : IntervalLabelSchema or None
        The label columns (``--schema``, completed from the file's header).
    """

    data: Path
    configs: list
    videos: list
    events: Any
    labels: Path
    labels_given: bool
    schema: Any
    #: what the data files bend, one line each, already saying what was done (shown in the status line)
    warnings: list = field(default_factory=list)
    #: the recording's clock start (EDF header), None when unknown
    start: Any = None
    #: DATA's URL when it is one (``data`` is then its last part, for titles)
    url: str | None = None


def build_sources(args: argparse.Namespace, *, mode: str | None = None) -> Sources:
    """Everything the options of :func:`add_source_arguments` name, validated.

    ``mode`` overrides ``--dense`` (snapshot's ``--mode``).
    """
    from loupe_tui.config import GlobalEventsConfig, RasterConfig
    from loupe_tui.io.events import read_event_tables

    from loupe_tui.io.edf.recording import EDF_SUFFIXES
    from loupe_tui.io.remote.urls import is_url, parse_storage_options, url_name

    url = str(args.data) if is_url(str(args.data)) else None
    options = parse_storage_options(getattr(args, "storage_option", None))
    data = PurePosixPath(url_name(url)) if url else Path(args.data).expanduser()
    mode = mode or ("dense" if args.dense else "stacked")
    channels = [c.strip() for c in (getattr(args, "channels", None) or "").split(",") if c.strip()]
    derive = list(getattr(args, "derive", None) or [])
    edf = None
    if (data.suffix.lower() in EDF_SUFFIXES) if url else edf_input(data):
        edf = read_edf_input(url or data, channels, derive, options)
        configs = edf_configs(edf, mode)
    else:
        for flag, given in (("--channels", channels), ("--derive", derive)):
            if given:
                raise LoupeConfigError(f"{flag}: only for EDF/BDF files (DATA is {data.name})")
        configs = data_configs(url or data, args.group, args.variable, mode, options)
    configs += heatmap_configs(url or data, args.heatmap, args.heatmap_split, args.heatmap_order, args.cmap,
                               options)
    if args.raster:
        configs.append(RasterConfig.from_parquet(args.raster, time_col="time", order_by=args.raster_by))
    if getattr(args, "spectrogram", None) or getattr(args, "emg", None):
        from loupe_tui.config_spectral import spectral_config_for

        settings = {"method": args.spectral_method} if getattr(args, "spectral_method", None) else {}
        configs.append(spectral_config_for(configs, args.spectrogram, args.emg, ("--spectrogram", "--emg"),
                                           **settings))
    events = None
    if args.events:
        table = read_event_tables(args.events, required=["time", *([args.events_by] if args.events_by else [])])
        events = GlobalEventsConfig(table, style_events_on=args.events_by)
    elif edf is not None:
        events = edf_events(edf)
    labels = Path(args.labels).expanduser() if args.labels else data.with_name(data.stem + ".labels.csv")
    if url and not args.labels:
        labels = remote_labels(url)
    if edf is not None and not args.labels and edf_has_stages(edf) and not labels_exist(labels):
        # its own hypnogram: read-only, saves go to the usual sibling (a URL's: in its labels folder)
        labels = remote_stage_source(url, edf) if url else data
    return Sources(data, configs, video_configs(args.video), events, labels, bool(args.labels),
                   label_schema(labels, args.schema), warnings=list(edf.warnings) if edf else [],
                   start=edf.start if edf else None, url=url)


def remote_labels(url: str) -> Path:
    """The local labels file of a recording read from ``url`` (its folder made here)."""
    from loupe_tui.io.remote.labels import labels_path

    path = labels_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def remote_stage_source(url: str, edf) -> Path:
    """The local copy of a remote EDF's annotations that its own stages are read from as labels."""
    from loupe_tui.io.remote.labels import stage_source

    return stage_source(url, edf.file.annotations_only())


def edf_input(path: Path) -> bool:
    from loupe_tui.io.edf.recording import is_edf

    return path.is_file() and is_edf(path)


def read_edf_input(path: Path | str, channels: list[str], derive: list[str], storage_options=None):
    from loupe_tui.io.edf.recording import read_edf
    from loupe_tui.io.remote.files import read_edf_url
    from loupe_tui.io.remote.urls import is_url

    if is_url(str(path)):
        return read_edf_url(str(path), channels, derive, storage_options)
    return read_edf(path, channels=channels or None, derive=derive or None)


def edf_configs(edf, mode: str) -> list:
    """One TraceConfig per sampling rate of an opened EDF, fastest first (EEG before SpO2)."""
    from loupe_tui.config import TraceConfig

    groups = sorted(edf.groups.values(), key=lambda da: -float(da.attrs.get("sampling_rate", 0.0)))
    if not groups:
        raise DataFileError(f"{edf.path}: holds no data signals (annotations only: open it with --labels "
                            "beside a recording)")
    return [TraceConfig(da, mode=mode) for da in groups]


def edf_has_stages(edf) -> bool:
    from loupe_tui.core.labels.edf_stages import stage_code

    return any(stage_code(a.text) is not None for a in edf.annotations)


def labels_exist(labels: Path) -> bool:
    """Whether work on ``labels`` is on disk: the file, its saved sibling or its journal."""
    from loupe_tui.core.labels import journal_path_for, sibling_path

    return any(p.exists() for p in (labels, sibling_path(labels), journal_path_for(labels)))


def edf_events(edf):
    """The EDF+ annotations that are not sleep stages (those are labels) as global events styled by
    their text; None when there are none."""
    import polars as pl

    from loupe_tui.config import GlobalEventsConfig
    from loupe_tui.core.labels.edf_stages import stage_code

    table = edf.events()
    table = table.filter(pl.col("text").map_elements(lambda t: stage_code(t) is None, return_dtype=pl.Boolean))
    if not len(table):
        return None
    table = table.rename({"onset": "time"})
    return GlobalEventsConfig(table, style_events_on="text")


def parse_schema(spec: str | None):
    """``"start=onset,end=none,label=stage,extra=a+b"`` -> IntervalLabelSchema (None if no spec)."""
    if not spec:
        return None
    from loupe_tui.core.labels.schema import IntervalLabelSchema

    return IntervalLabelSchema(**schema_fields(spec))


def schema_fields(spec: str | None) -> dict:
    """``--schema``'s ``{IntervalLabelSchema field: column or None}`` ({} without a spec)."""
    kw: dict = {}
    for part in (spec or "").split(",") if spec else ():
        role, eq, col = part.partition("=")
        role = role.strip().lower()
        if not eq or role not in SCHEMA_ROLES:
            raise LoupeConfigError(f"--schema: {part!r} is not ROLE=COLUMN (roles: {', '.join(SCHEMA_ROLES)})")
        col = col.strip()
        if role == "extra":
            kw["extra_cols"] = tuple(c for c in col.split("+") if c)
        else:
            kw[SCHEMA_ROLES[role]] = None if col.lower() in ("none", "") else col
    return kw


def label_schema(labels: Path, spec: str | None):
    """The columns to read ``labels`` with: ``--schema``, and for the roles it does not name the
    legacy ones or those the header's names say (``onset, duration, description``)."""
    from loupe_tui.core.labels import sibling_path
    from loupe_tui.core.labels.formats import schema_for_file

    given = schema_fields(spec)
    header = labels if labels.exists() else sibling_path(labels)
    return schema_for_file(header, given, SCHEMA_FLAGS)


def data_configs(path: Path | str, group: str | None, variable: str | None, mode: str,
                 storage_options=None) -> list:
    """TraceConfigs for DATA: one for a store variable (a URL too), one per npy pair."""
    from loupe_tui.config import TraceConfig
    from loupe_tui.io.remote.urls import is_url

    if is_url(str(path)):
        from loupe_tui.config_validation import DataProblem
        from loupe_tui.io.xarray_open import open_variable

        da = open_variable(str(path), group=group, variable=variable, storage_options=storage_options)
        try:
            return [TraceConfig(da, mode=mode)]
        except DataProblem as exc:
            raise DataFileError(f"{path}: variable {da.name!r}: {exc.problem}") from None

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
    try:
        return [TraceConfig.from_path(path, group=group, variable=variable, mode=mode)]
    except DataFileError as exc:
        if str(exc).endswith("(unknown format)"):
            raise DataFileError(f"{exc}; arrays in .npz, .mat or other files: write them to a zarr store "
                                f"in a few lines of Python ({ARRAYS_RECIPE})") from None
        raise


def heatmap_configs(data: Path | str, specs: list[str], split_by: str | None, order_by: str | None,
                    cmap: str, storage_options=None) -> list:
    """One HeatmapConfig per ``--heatmap GROUP[:VARIABLE]`` of DATA's store (a URL too)."""
    if not specs:
        return []
    from loupe_tui.config import HeatmapConfig
    from loupe_tui.io.xarray_open import open_variable

    if isinstance(data, Path) and data.is_dir() and data.suffix != ".zarr" and any(data.glob("*_t.npy")):
        raise LoupeConfigError(f"--heatmap: {data} is a folder of npy pairs; heatmaps come from a group of "
                               "a zarr store or netCDF file")
    out = []
    for spec in specs:
        group, _, variable = spec.partition(":")
        da = open_variable(data, group=group.strip("/") or None, variable=variable or None,
                           storage_options=storage_options)
        try:
            out.append(HeatmapConfig(da, split_by=split_by, order_by=order_by, cmap=cmap))
        except LoupeConfigError as exc:
            raise LoupeConfigError(f"--heatmap {spec}: {exc}") from None
    return out


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


def check_videos(videos, cache_dir: str | Path | None = None, at: float | None = None) -> list[str]:
    """Open, index and decode every video as the GL window will; return what is worth a warning.

    Each video's first frame is decoded (and the frame at time ``at``, when
    given and the video has one there), so a file that opens but cannot be
    decoded is caught too. ``cache_dir`` is the pyramid cache: the keyframe
    index is kept beside it, where the window finds it.

    Raises
    ------
    DataFileError
        A video cannot be opened, indexed or decoded, or its frame count and
        frame times differ by more than a truncated tail (the message names
        the files).
    """
    if not videos:
        return []
    from render.video import VideoError, VideoSource

    index_dir = Path(cache_dir).parent / "video-index" if cache_dir is not None else None
    warnings: list[str] = []
    for v in videos:
        src = None
        try:
            src = VideoSource(v, cache_dir=index_dir)
            src.frame(0)
            if at is not None:
                src.frame_at(at)
            warnings += [f"video {src.name}: {w}" for w in src.warnings]
        except (VideoError, LoupeConfigError):
            raise
        except Exception as exc:   # a decoder failure that is not a VideoError still names the file
            raise DataFileError(f"{v.video_paths[0]}: cannot decode: {one_line(exc)}") from None
        finally:
            if src is not None:
                src.close()
    return warnings


def window_size(text: str, option: str = "--window-size") -> tuple[int, int]:
    """``"1600x900"`` -> ``(1600, 900)``; a one-line error naming ``option`` otherwise."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise LoupeConfigError(f"{option}: expected WxH (e.g. 1600x900), got {text!r}") from None
    if w < 200 or h < 150 or w > 8192 or h > 8192:
        raise LoupeConfigError(f"{option}: {text} is outside 200x150 .. 8192x8192")
    return w, h
