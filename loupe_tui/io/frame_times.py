"""Video frame-time files (``.npy``, one time in seconds per frame).

Only the times are checked here; decoding the video is the render side's job.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from loupe_tui.errors import DataFileError
from loupe_tui.io.npyfile import load_1d_numbers


def load_frame_times(path: str | Path) -> np.ndarray:
    """Load one frame-times file as float64 and check it.

    Raises
    ------
    DataFileError
        Missing or unreadable file, not 1-D, not numeric, empty, NaN/inf, or
        not strictly increasing (the first bad index is given).
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file")
    if path.suffix.lower() != ".npy":
        raise DataFileError(f"{path}: frame times must be a .npy file (1-D float seconds)")
    raw = load_1d_numbers(path, "frame times")
    if raw.size == 0:
        raise DataFileError(f"{path}: no frame times (empty array)")
    t = np.asarray(raw, dtype=np.float64)
    finite = np.isfinite(t)
    if not finite.all():
        k = int(np.argmin(finite))
        raise DataFileError(f"{path}: frame time {k} is not finite ({float(t[k])})")
    bad = np.diff(t) <= 0
    if bad.any():
        k = int(np.argmax(bad))
        raise DataFileError(f"{path}: frame times must be strictly increasing: "
                            f"t[{k}]={float(t[k])!r} >= t[{k + 1}]={float(t[k + 1])!r}")
    return t


def concat_frame_times(paths: Sequence[str | Path]) -> tuple[np.ndarray, list[int]]:
    """Frame times of several files played as one video, and the frame count of each.

    Each file must start after the previous one ends.
    """
    parts, counts = [], []
    for i, p in enumerate(paths):
        t = load_frame_times(p)
        if parts and not t[0] > parts[-1][-1]:
            raise DataFileError(f"{p}: first frame time {float(t[0])!r} is not after the previous file's last "
                                f"({float(parts[-1][-1])!r}); files must be in time order")
        parts.append(t)
        counts.append(len(t))
    return np.concatenate(parts), counts
