"""The EMG level per epoch: log10 RMS of a zero-phase band-pass (AccuSleep's EMG feature).

AccuSleep band-passes the EMG at 20-50 Hz, zero-phase, and takes the log of
the RMS of each epoch. Here the filter is a Butterworth band-pass
(``scipy.signal.butter(order, band, "bandpass", output="sos")``) run forwards
and backwards (``sosfiltfilt``, :mod:`loupe_tui.io.zero_phase`'s: scipy's
result, five times faster), and the log is base 10.

Block-wise, the same as filtering the whole recording: each block of epochs is
filtered together with ``pad`` samples on each side, ``pad`` being long enough
for the filter's slowest pole to decay by 1e-12 (plus ``sosfiltfilt``'s own
padding), so what lies beyond the padding no longer shows in the epochs. At
the recording's two ends the block reaches the real end, and ``sosfiltfilt``
extends the signal there as it does on the whole recording (odd extension of
``3 * (2 * n_sections + 1)`` samples, steady-state initial conditions). So the
result matches a whole-signal ``sosfiltfilt`` everywhere, ends included, to
rounding.

A NaN sample or a gap of a segmented axis ends a run: each run of finite,
gap-free samples is filtered on its own, as if it were a whole recording (a
run too short for ``sosfiltfilt``'s padding is left NaN). An epoch touching a
NaN, a gap or the outside of the recording is NaN.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy.signal import butter

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.source import TraceSource
from loupe_tui.io.spectral.grid import groups, window_grid
from loupe_tui.io.spectral.params import check_band
from loupe_tui.io.spectral.spectrogram import DEFAULT_BLOCK, Progress, drain
from loupe_tui.io.zero_phase import default_padlen, filter_padding, finite_runs, sosfiltfilt


def emg_level(source: TraceSource, channel: int, epoch_s: float,
              band: tuple[float, float] = (20.0, 50.0), order: int = 4,
              t0: float | None = None, t1: float | None = None,
              progress: Progress | None = None, *,
              block_samples: int = DEFAULT_BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """log10 RMS of the band-passed channel in each epoch of ``[t0, t1)``.

    Parameters
    ----------
    epoch_s : epoch length (s); epoch ``k`` is ``[t0 + k * epoch_s, ...)``.
    band : ``(lo, hi)`` Hz of the band-pass; ``hi`` below Nyquist.
    order : Butterworth order per band edge (the band-pass has ``2 * order`` poles).
    block_samples : samples of epochs filtered at once (plus the padding).

    Returns
    -------
    times : float64 epoch centres (s); level : float32 ``log10(rms)``, NaN where undefined.
    """
    return drain(emg_level_steps(source, channel, epoch_s, band, order, t0, t1, progress,
                                 block_samples=block_samples))


def emg_level_steps(source: TraceSource, channel: int, epoch_s: float,
                    band: tuple[float, float] = (20.0, 50.0), order: int = 4,
                    t0: float | None = None, t1: float | None = None,
                    progress: Progress | None = None, *, block_samples: int = DEFAULT_BLOCK):
    """:func:`emg_level` as a generator: yields ``(last sample read, fraction done)`` after each
    block and returns its result (see :func:`~loupe_tui.io.spectral.spectrogram.spectrogram_steps`)."""
    if not isinstance(epoch_s, (int, float)) or not math.isfinite(epoch_s) or epoch_s <= 0:
        raise LoupeConfigError(f"epoch_s: must be a positive number of seconds, got {epoch_s!r}")
    check_band("band", band, allow_zero=False)
    if not isinstance(order, int) or isinstance(order, bool) or not 1 <= order <= 12:
        raise LoupeConfigError(f"order: must be a whole number from 1 to 12, got {order!r}")
    grid = window_grid(source.time, epoch_s, epoch_s, t0, t1)
    fs = grid.fs
    if band[1] >= fs / 2:
        raise LoupeConfigError(f"band: {band[1]:g} Hz is not below the Nyquist frequency "
                               f"({fs / 2:g} Hz) of a {fs:g} Hz source")
    sos = butter(order, band, btype="bandpass", output="sos", fs=fs)
    pad = filter_padding(sos)
    min_run = default_padlen(sos) + 1
    axis, n = source.time, source.n_samples
    level = np.full(len(grid), np.nan, np.float64)
    n_total = max(1, int(grid.valid.sum()))
    done = 0
    for k0, k1, i0, i1 in groups(grid, block_samples):
        r0, r1 = max(0, i0 - pad), min(n, i1 + pad)
        x = source.read(r0, r1, [channel])[0].astype(np.float64)
        y = np.full_like(x, np.nan)
        for a, b in finite_runs(x, axis.gaps_in(r0, r1) - r0):
            if b - a >= min_run:
                y[a:b] = sosfiltfilt(sos, x[a:b])
        ks = np.arange(k0, k1)[grid.valid[k0:k1]]
        level[ks] = _rms(y, grid.starts[ks] - r0, grid.length)  # NaN if any sample is NaN
        done += len(ks)
        if progress is not None:
            progress(done / n_total, "EMG level")
        yield r1, done / n_total
    with np.errstate(divide="ignore", invalid="ignore"):
        return grid.centres, np.log10(level).astype(np.float32)



@numba.njit(nogil=True, cache=True, boundscheck=False)
def _rms(y, starts, n):
    """RMS of ``y[s:s + n]`` for each ``s`` of ``starts`` (no copy of the windows)."""
    out = np.empty(starts.shape[0])
    for w in range(starts.shape[0]):
        acc = 0.0
        for i in range(starts[w], starts[w] + n):
            acc += y[i] * y[i]
        out[w] = np.sqrt(acc / n)
    return out
