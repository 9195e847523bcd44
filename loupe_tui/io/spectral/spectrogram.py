"""Short-time power spectra and per-epoch band powers, read block by block.

One column per window of :mod:`~loupe_tui.io.spectral.grid` (one per epoch in
the defaults). Each column is a one-sided power spectral density scaled as
scipy's ``scaling="density"``: ``|rfft(w * x)|**2 / (fs * sum(w**2))``, doubled
except at 0 Hz and Nyquist, with ``x`` the segment minus its mean when
``detrend``. No zero padding: bins are ``fs / n`` apart.

* multitaper: the mean of the periodograms of the window under each of the
  ``n_tapers`` DPSS tapers (``scipy.signal.windows.dpss(n, nw)``, symmetric,
  unit energy); plain averaging, not Thomson's adaptive weights;
* Welch: the mean of the periodograms of periodic-Hann sub-segments of
  ``welch_segment_s``, 50 % overlap (``noverlap = nperseg // 2``), from the
  window's first sample; samples after the last whole sub-segment are unused.

A window touching a NaN (or infinite) sample gives a NaN column, and so does
one that runs past the recording or crosses a gap of a segmented axis.
Samples are read ``block_samples`` (plus one window) at a time, so memory is
bounded by a block and its windows, never by the recording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numba
import numpy as np
import scipy.fft as sfft
from scipy.signal.windows import dpss, hann

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.source import TraceSource
from loupe_tui.io.spectral.grid import groups, window_grid
from loupe_tui.io.spectral.params import SpectralParams

Progress = Callable[[float, str], None]
#: Samples read at once (float32 in, float64 copy: 24 MB; zarr reads 2 M samples 1.7x faster than 1 M).
DEFAULT_BLOCK = 1 << 21
#: Tapered segments transformed at once (bytes): fits in a core's L2 with the FFT's output.
_BATCH_BYTES = 1 << 20


def spectrogram(source: TraceSource, channel: int, params: SpectralParams,
                t0: float | None = None, t1: float | None = None,
                progress: Progress | None = None, *, log: bool = True,
                block_samples: int = DEFAULT_BLOCK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Power spectral density per window of one channel.

    Parameters
    ----------
    source, channel : the trace and its channel index.
    params : window, step, method and frequency range.
    t0, t1 : the epochs to cover, ``[t0, t1)`` (default: the whole recording);
        windows may read samples outside it (a 5 s window over a 4 s epoch).
    progress : called as ``progress(fraction, message)`` after each block.
    log : True: ``log10`` of the density as float32; False: the density as float64.
    block_samples : samples per read (the memory bound).

    Returns
    -------
    times : float64 ``(n_windows,)``, the centre of each window (s).
    freqs : float64 ``(n_freq,)``, the bins in ``[fmin, fmax]``.
    power : ``(n_freq, n_windows)``; NaN columns for invalid windows.
    """
    return drain(spectrogram_steps(source, channel, params, t0, t1, progress, log=log,
                                   block_samples=block_samples))


def drain(steps):
    """Run a ``*_steps`` generator to its end; its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def spectrogram_steps(source: TraceSource, channel: int, params: SpectralParams,
                      t0: float | None = None, t1: float | None = None,
                      progress: Progress | None = None, *, log: bool = True, block_samples: int = DEFAULT_BLOCK):
    """:func:`spectrogram` as a generator: yields ``(last sample read, fraction done)`` after each
    block and returns its result, so that one pass over a recording can feed several estimates
    (:func:`loupe_tui.io.spectral.cache.open_or_build`)."""
    grid = window_grid(source.time, params.window_s, params.step_s, t0, t1)
    fs = grid.fs
    if params.fmax > fs / 2:
        raise LoupeConfigError(f"fmax: {params.fmax:g} Hz is above the Nyquist frequency "
                               f"({fs / 2:g} Hz) of a {fs:g} Hz source")
    tapers, seg_len, seg_step = _tapers(params, fs, grid.length)
    all_freqs = np.fft.rfftfreq(seg_len, 1 / fs)
    keep = (all_freqs >= params.fmin - 1e-9) & (all_freqs <= params.fmax + 1e-9)
    freqs = all_freqs[keep]
    out = np.full((len(freqs), len(grid)), np.nan, np.float64)
    n_total = max(1, int(grid.valid.sum()))
    done = 0
    sel = np.flatnonzero(keep)
    for k0, k1, i0, i1 in groups(grid, block_samples):
        x = source.read(i0, i1, [channel])[0].astype(np.float64)
        ks = np.arange(k0, k1)[grid.valid[k0:k1]]
        starts = grid.starts[ks] - i0
        good = _finite_windows(x, starts, grid.length)
        if good.any():
            psd = _psd(x, starts[good], grid.length, tapers, seg_len, seg_step, fs, params.detrend, sel)
            out[:, ks[good]] = psd.T
        done += len(ks)
        if progress is not None:
            progress(done / n_total, "spectrogram")
        yield i1, done / n_total
    if not log:
        return grid.centres, freqs, out
    with np.errstate(divide="ignore", invalid="ignore"):
        return grid.centres, freqs, np.log10(out).astype(np.float32)


def _tapers(params: SpectralParams, fs: float, n: int) -> tuple[np.ndarray, int, int]:
    """``(tapers (k, seg_len), seg_len, seg_step)``: one segment per window for
    multitaper, sub-segments for Welch."""
    if params.method == "multitaper":
        if n <= 2 * params.nw:
            raise LoupeConfigError(f"window_s: {n} samples are too few for nw={params.nw}")
        return np.atleast_2d(dpss(n, params.nw, Kmax=params.n_tapers)), n, n
    seg = int(round(params.welch_segment_s * fs))
    if seg < 2 or seg > n:
        raise LoupeConfigError(f"welch_segment_s: {params.welch_segment_s} s gives {seg} samples; "
                               f"need 2 to {n} (the window)")
    return hann(seg, sym=False)[None, :], seg, seg - seg // 2


def _psd(x: np.ndarray, starts: np.ndarray, length: int, tapers: np.ndarray, seg_len: int, seg_step: int,
         fs: float, detrend: bool, sel: np.ndarray) -> np.ndarray:
    """One-sided density ``(n_windows, len(sel))`` of the ``length``-sample windows of ``x`` at ``starts``:
    the mean over tapers and sub-segments, at the rfft bins ``sel``.

    The tapered segments come from one numba pass over ``x`` (no copy of the windows first),
    go through ``scipy.fft`` (pocketfft: 2.5x numpy's FFT on 5000-sample windows) all tapers in
    one call, and are squared only at the kept bins (151 of 2501 at the rodent defaults)."""
    n_bins = seg_len // 2 + 1
    n_seg = (length - seg_len) // seg_step + 1
    acc = np.zeros((len(starts), len(sel)))
    scale = 1.0 / (tapers ** 2).sum(axis=1)  # (k,)
    # A batch of windows at a time: its tapered segments (k x batch x seg_len float64) stay in
    # the cache between the taper pass and the FFT (all of a block's at once: 0.8 s more a day).
    batch = max(1, _BATCH_BYTES // (8 * len(tapers) * seg_len))
    buf = np.empty((len(tapers), min(batch, len(starts)), seg_len))
    for b0 in range(0, len(starts), batch):
        b1 = min(len(starts), b0 + batch)
        part = buf[:, : b1 - b0]
        for s in range(n_seg):
            _tapered(x, starts[b0:b1] + s * seg_step, tapers, detrend, part)
            spec = sfft.rfft(part, axis=2)[:, :, sel]  # (k, n_win, kept)
            acc[b0:b1] += np.einsum("kwf,k->wf", spec.real ** 2 + spec.imag ** 2, scale)
    acc /= fs * n_seg * len(tapers)
    # doubled except at 0 Hz and (even length) Nyquist
    double = (sel > 0) & ((sel < n_bins - 1) | bool(seg_len % 2))
    acc[:, double] *= 2
    return acc


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _tapered(x, starts, tapers, detrend, out):
    """``out[k, w, :] = (x[starts[w]:starts[w] + n] - mean) * tapers[k]`` (mean 0 unless ``detrend``)."""
    n = tapers.shape[1]
    for w in range(starts.shape[0]):
        s0 = starts[w]
        mean = 0.0
        if detrend:
            for i in range(n):
                mean += x[s0 + i]
            mean /= n
        for k in range(tapers.shape[0]):
            for i in range(n):
                out[k, w, i] = (x[s0 + i] - mean) * tapers[k, i]


@numba.njit(nogil=True, cache=True, boundscheck=False)
def _finite_windows(x, starts, n):
    """Whether each window ``x[starts[w]:starts[w] + n]`` holds finite samples only."""
    ok = np.ones(starts.shape[0], np.bool_)
    for w in range(starts.shape[0]):
        s0 = starts[w]
        for i in range(n):
            v = x[s0 + i]
            if not (v - v == 0.0):   # NaN or infinite
                ok[w] = False
                break
    return ok


@dataclass(frozen=True)
class BandPower:
    """Band powers per epoch.

    ``absolute[b, k]`` is band ``names[b]`` in epoch ``k`` (density x Hz, i.e.
    signal units squared); ``relative`` divides by the power from the lowest
    band edge to the highest; ``theta_delta`` is theta / delta absolute power
    (None when either band is missing). NaN where the window was invalid.
    """

    times: np.ndarray
    names: tuple[str, ...]
    absolute: np.ndarray
    relative: np.ndarray
    theta_delta: np.ndarray | None


def band_power_from_psd(times: np.ndarray, freqs: np.ndarray, power: np.ndarray,
                        bands) -> BandPower:
    """Integrate a linear density ``(n_freq, n_times)`` over each band, ``lo <= f < hi``.

    A rectangle sum (bins are evenly spaced): adjacent bands share no bin and
    the band powers of a partition add up to the total.
    """
    df = float(freqs[1] - freqs[0]) if len(freqs) > 1 else 0.0
    names = tuple(bands)
    absolute = np.stack([power[(freqs >= lo) & (freqs < hi)].sum(axis=0) * df
                         for lo, hi in bands.values()])
    lo_all = min(lo for lo, _ in bands.values())
    hi_all = max(hi for _, hi in bands.values())
    total = power[(freqs >= lo_all) & (freqs < hi_all)].sum(axis=0) * df
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = absolute / total
        td = absolute[names.index("theta")] / absolute[names.index("delta")] \
            if {"theta", "delta"} <= set(names) else None
    return BandPower(times, names, absolute, relative, td)


def band_power(source: TraceSource, channel: int, params: SpectralParams,
               t0: float | None = None, t1: float | None = None,
               progress: Progress | None = None, *, block_samples: int = DEFAULT_BLOCK) -> BandPower:
    """Band powers of ``params.bands`` per window (per epoch when ``step_s`` is the epoch).

    Uses the spectrogram's window and method over the bands' whole range,
    whatever ``fmin``/``fmax`` say (those are the display's).
    """
    lo_all = min(lo for lo, _ in params.bands.values())
    hi_all = max(hi for _, hi in params.bands.values())
    fs = source.time.fs or 0.0
    if source.time.times is None and hi_all > fs / 2:
        raise LoupeConfigError(f"bands: {hi_all:g} Hz is above the Nyquist frequency ({fs / 2:g} Hz) "
                               f"of a {fs:g} Hz source")
    wide = replace(params, fmin=lo_all, fmax=hi_all)
    times, freqs, power = spectrogram(source, channel, wide, t0, t1, progress,
                                      log=False, block_samples=block_samples)
    return band_power_from_psd(times, freqs, power, params.bands)
