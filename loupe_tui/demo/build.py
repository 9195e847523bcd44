"""Build the demo recording once and reuse it: manifest, temp dir, atomic rename.

A build writes everything into a sibling temp directory and writes the
manifest last; only then is the directory renamed into place. A killed build
therefore never leaves a half demo that looks complete, and its leftovers are
removed by the next build.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from loupe_tui.core.paths import default_demo_dir
from loupe_tui.demo import extras, signals, video
from loupe_tui.demo._store import consolidate, stored_bytes
from loupe_tui.demo.schedule import STATES, make_schedule, write_bouts_csv
from loupe_tui.errors import LoupeConfigError, file_error

# Bump whenever the content of a demo changes, so old caches are rebuilt.
DEMO_VERSION = 1
MANIFEST = "manifest.json"
KEYMAP = "rodent_sleep"
MIN_HOURS, MAX_HOURS = 0.02, 72.0

FILES = {
    "recording": "recording.zarr",
    "spikes": "spikes.parquet",
    "video": "video.mp4",
    "frame_times": "video_frame_times.npy",
    "labels": "labels.csv",
    "truth": "truth_hypnogram.csv",
}


@dataclass(frozen=True)
class DemoPaths:
    """Where the parts of a built demo are.

    Attributes
    ----------
    root : Path
        The demo directory.
    recording : Path
        Zarr store; open with ``xr.open_zarr(recording, group=eeg_group)``.
    eeg_group, calcium_group : str
        Groups in ``recording``: ``data`` (channel, time) EEG/EMG at 1 kHz and
        ``dff`` (cell, time) calcium at 10 Hz.
    spikes : Path
        Parquet events: time, unit_id, region, snr.
    video, frame_times : Path
        H.264 mp4 and its per-frame recording-clock times (float64 ``.npy``).
    labels : Path
        Partial human-like scoring (``start_s,end_s,label,note``).
    truth : Path
        The hidden schedule in the same schema.
    manifest : Path
        Version, parameters, sizes and build times.
    keymap : str
        Name of the bundled keymap that scores these labels.
    built : bool
        True when this call built the demo, False when the cache was reused.
    """

    root: Path
    recording: Path
    eeg_group: str
    calcium_group: str
    spikes: Path
    video: Path
    frame_times: Path
    labels: Path
    truth: Path
    manifest: Path
    keymap: str = KEYMAP
    built: bool = field(default=False, compare=False)


def _paths(root: Path, built: bool) -> DemoPaths:
    return DemoPaths(root=root, eeg_group="eeg", calcium_group="calcium", manifest=root / MANIFEST,
                     built=built, **{k: root / v for k, v in FILES.items()})


def _stderr(line: str) -> None:
    print(f"loupe-tui demo: {line}", file=sys.stderr, flush=True)


def _read_manifest(root: Path) -> dict | None:
    try:
        return json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_current(root: Path, params: dict) -> bool:
    m = _read_manifest(root)
    return (m is not None and m.get("version") == DEMO_VERSION and m.get("params") == params
            and all((root / name).exists() for name in FILES.values()))


def ensure_demo(out: str | Path | None = None, *, hours: float = 24.0, rebuild: bool = False, seed: int = 0,
                video_minutes: float = 20.0, progress: Callable[[str], None] | None = None) -> DemoPaths:
    """Return the demo recording, building it first if needed.

    Parameters
    ----------
    out : path, optional
        Demo directory; default :func:`default_demo_dir`.
    hours : float
        Recording length (0.02-72 h); tests use small values.
    rebuild : bool
        Build even if a current demo with the same parameters exists.
    seed : int
        Seed of every random stream (the demo is deterministic).
    video_minutes : float
        Length of the behaviour video from its start at 12.3 s.
    progress : callable, optional
        Receives progress lines; default prints them to stderr.

    Returns
    -------
    DemoPaths
        ``built`` tells whether this call built it.

    Raises
    ------
    LoupeConfigError
        Bad ``hours``/``video_minutes``, or ``out`` is a directory that holds
        something other than a demo (it is never overwritten).
    """
    progress = progress or _stderr
    root = Path(out).expanduser() if out is not None else default_demo_dir()
    if not MIN_HOURS <= float(hours) <= MAX_HOURS:
        raise LoupeConfigError(f"--hours: {hours} is outside {MIN_HOURS}-{MAX_HOURS}")
    if not 0 < float(video_minutes) <= 120:
        raise LoupeConfigError(f"video_minutes: {video_minutes} is outside (0, 120]")
    params = {"hours": float(hours), "seed": int(seed), "video_minutes": float(video_minutes)}
    if root.exists() and not root.is_dir():
        raise file_error(LoupeConfigError, root, "exists and is not a directory; choose another --out")
    if not rebuild and _is_current(root, params):
        return _paths(root, built=False)
    try:
        if root.exists() and any(root.iterdir()) and _read_manifest(root) is None:
            raise file_error(LoupeConfigError, root,
                             "exists and is not a loupe-tui demo directory; choose another --out")
        root.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(root)
        tmp = root.parent / f".{root.name}.building-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
    except OSError as exc:
        raise _cannot_create(root, exc) from None
    try:
        build_demo(tmp, params, progress)
        _swap_into_place(tmp, root)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and exc.filename is not None and _inside(exc.filename, root.parent):
            raise _cannot_create(root, exc) from None
        raise
    return _paths(root, built=True)


def _cannot_create(root: Path, exc: OSError) -> LoupeConfigError:
    """``--out`` cannot be written (a file in its path, no such parent, read-only ...): one line."""
    where = f" ({exc.filename})" if exc.filename and Path(exc.filename) != root else ""
    return file_error(LoupeConfigError, root, f"cannot create the demo directory: "
                                              f"{exc.strerror or exc}{where}; choose another --out")


def _inside(path: str | os.PathLike, parent: Path) -> bool:
    try:
        Path(path).resolve().relative_to(parent.resolve())
    except (ValueError, OSError):
        return False
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(root: Path) -> None:
    """Remove temp/old directories that builds killed before finishing left behind."""
    for pattern in (f".{root.name}.building-*", f".{root.name}.old-*"):
        for p in root.parent.glob(pattern):
            pid = p.name.rsplit("-", 1)[-1]
            if not pid.isdigit() or not _pid_alive(int(pid)) or int(pid) == os.getpid():
                shutil.rmtree(p, ignore_errors=True)


def _swap_into_place(tmp: Path, root: Path) -> None:
    old = root.parent / f".{root.name}.old-{os.getpid()}"
    if root.exists():
        os.rename(root, old)
    os.rename(tmp, root)
    shutil.rmtree(old, ignore_errors=True)


def build_demo(dest: Path, params: dict, progress: Callable[[str], None]) -> dict:
    """Write every demo file into ``dest`` (an empty directory), manifest last.

    The video is encoded in a thread while the signals are generated: the
    numba kernels run without the GIL and so does most of x264's work, so on
    2 cores the two mostly overlap (the video is the longer of the two).

    Returns
    -------
    dict
        The manifest that was written.
    """
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    hours, seed = params["hours"], params["seed"]
    paths = {k: dest / v for k, v in FILES.items()}
    hyp = make_schedule(hours, seed)
    write_bouts_csv(paths["truth"], hyp.bouts())
    progress(f"schedule: {hyp.n_epochs:,} epochs of {hyp.epoch_s:g} s, "
             + ", ".join(f"{k} {v:.0%}" for k, v in hyp.fractions().items()))

    video_result: dict = {}

    def encode_video() -> None:
        t0 = time.perf_counter()
        try:
            video_result["frames"] = video.write_video(paths["video"], paths["frame_times"], hyp, seed,
                                                       params["video_minutes"] * 60.0, progress)
        except BaseException as exc:  # re-raised in the main thread
            video_result["error"] = exc
        video_result["s"] = time.perf_counter() - t0

    worker = threading.Thread(target=encode_video, name="demo-video", daemon=True)
    worker.start()
    try:
        t0 = time.perf_counter()
        drive = signals.write_eeg(paths["recording"], hyp, seed, progress)
        timings["signals"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        n_spikes = extras.write_spikes(paths["spikes"], hyp, drive, seed, progress)
        del drive
        timings["spikes"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        extras.write_calcium(paths["recording"], hyp, seed, progress)
        consolidate(paths["recording"])
        timings["calcium"] = time.perf_counter() - t0
        label_info = extras.write_partial_labels(paths["labels"], hyp, seed)
    finally:
        worker.join()
    if "error" in video_result:
        raise video_result["error"]
    timings["video"] = video_result["s"]
    n_frames = _check_video(paths["video"], paths["frame_times"])
    timings["total"] = time.perf_counter() - t_start

    manifest = {
        "version": DEMO_VERSION,
        "params": params,
        "files": FILES,
        "keymap": KEYMAP,
        "states": list(STATES),
        "epoch_s": hyp.epoch_s,
        "stats": {
            "n_epochs": hyp.n_epochs,
            "state_fractions": hyp.fractions(),
            "n_spikes": n_spikes,
            "video_frames": n_frames,
            "labels_scored_s": label_info["scored_s"],
            "label_disagreement_epochs": label_info["disagreements"],
        },
        "bytes": {k: stored_bytes(p) for k, p in paths.items()},
        "build_s": {k: round(v, 2) for k, v in timings.items()},
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    # Written last and atomically: its presence marks a complete build.
    tmp = dest / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, dest / MANIFEST)
    progress(f"built in {timings['total']:.1f} s")
    return manifest


def _check_video(path: Path, times_path: Path) -> int:
    """Count the video's frames (from packets, cheap) and match them to the frame times."""
    import av

    with av.open(str(path)) as container:
        n = sum(1 for p in container.demux(video=0) if p.size)
    n_times = len(np.load(times_path, mmap_mode="r"))
    if n != n_times:
        raise RuntimeError(f"{path}: {n} frames but {n_times} frame times")  # a bug, not a user error
    return n


def manifest_of(paths: DemoPaths) -> dict:
    """The manifest of a built demo (as written by :func:`build_demo`)."""
    m = _read_manifest(paths.root)
    if m is None:
        raise file_error(LoupeConfigError, paths.manifest, "missing or unreadable")
    return m


def describe(paths: DemoPaths) -> list[tuple[str, Path | str, str]]:
    """One ``(name, where, what it is)`` row per part of the demo, for printing.

    ``where`` is a path for files and the keymap's name for the keymap.
    """
    m = manifest_of(paths)
    hours = m["params"]["hours"]
    stats = m["stats"]
    return [
        ("recording", paths.recording,
         f"zarr store: group '{paths.eeg_group}' = data (channel: EEG, EMG; time) float32 uV at 1000 Hz, "
         f"{hours:g} h; group '{paths.calcium_group}' = dff (cell: 40; time) at 10 Hz, coords depth_um, region"),
        ("spikes", paths.spikes, f"parquet: {stats['n_spikes']:,} spikes; columns time (s), unit_id, region, snr"),
        ("video", paths.video, f"H.264 mp4, {video.WIDTH}x{video.HEIGHT}, {video.FPS} fps, keyframe every "
                               f"{video.GOP} frames, {stats['video_frames']:,} frames; frame index drawn top-left"),
        ("frame_times", paths.frame_times, f"float64 .npy: recording-clock time (s) of each video frame, "
                                           f"from {video.START_S} s, with jitter"),
        ("labels", paths.labels, f"partial scoring of the first {stats['labels_scored_s'] / 3600:g} h "
                                 f"(start_s,end_s,label,note), a few epochs disagree with the truth"),
        ("truth", paths.truth, "the hidden Wake/NREM/REM schedule that generated everything (same schema)"),
        ("keymap", paths.keymap, "bundled keymap to score with (Wake/NREM/REM hotkeys)"),
    ]

