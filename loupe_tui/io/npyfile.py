"""Reading a 1-D numeric ``.npy`` file (npy trace pairs, video frame times), memory-mapped."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from loupe_tui.errors import DataFileError


def load_1d_numbers(path: Path, what: str = "") -> np.ndarray:
    """The array in ``path``, memory-mapped; one-line :class:`DataFileError` if it
    is unreadable, not 1-D or not numeric. ``what`` names it in messages
    (``"frame times"`` gives ``"<path>: frame times must be 1-D ..."``)."""
    subject = f"{what} " if what else ""
    try:
        a = np.load(path, mmap_mode="r", allow_pickle=False)
    except Exception as exc:
        raise DataFileError(f"{path}: not a readable .npy file: {' '.join(str(exc).split())}") from exc
    if a.ndim != 1:
        raise DataFileError(f"{path}: {subject}must be 1-D, got shape {a.shape}")
    if a.dtype.kind not in "iuf":
        raise DataFileError(f"{path}: {subject}must hold numbers, got dtype {a.dtype}")
    return a
