"""Small signal-processing kernels for the demo generator (numba, no scipy).

Filters are cascades of biquads in transposed direct form II whose state is
carried from block to block, so a signal generated in blocks is exactly the
signal that one long pass would give: no seams at block borders.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# One row per second-order section: b0, b1, b2, a0, a1, a2 (a0 == 1).
SOS = np.ndarray


def lowpass(fc: float, fs: float, q: float = 0.7071) -> np.ndarray:
    """RBJ-cookbook second-order low-pass section."""
    w = 2 * np.pi * fc / fs
    alpha = np.sin(w) / (2 * q)
    c = np.cos(w)
    b = np.array([(1 - c) / 2, 1 - c, (1 - c) / 2])
    a = np.array([1 + alpha, -2 * c, 1 - alpha])
    return np.concatenate((b / a[0], a / a[0]))


def highpass(fc: float, fs: float, q: float = 0.7071) -> np.ndarray:
    """RBJ-cookbook second-order high-pass section."""
    w = 2 * np.pi * fc / fs
    alpha = np.sin(w) / (2 * q)
    c = np.cos(w)
    b = np.array([(1 + c) / 2, -(1 + c), (1 + c) / 2])
    a = np.array([1 + alpha, -2 * c, 1 - alpha])
    return np.concatenate((b / a[0], a / a[0]))


def bandpass(fc: float, fs: float, q: float) -> np.ndarray:
    """RBJ-cookbook band-pass section (0 dB peak gain at ``fc``)."""
    w = 2 * np.pi * fc / fs
    alpha = np.sin(w) / (2 * q)
    c = np.cos(w)
    b = np.array([alpha, 0.0, -alpha])
    a = np.array([1 + alpha, -2 * c, 1 - alpha])
    return np.concatenate((b / a[0], a / a[0]))


def pole_zero(f_pole: float, f_zero: float, fs: float) -> np.ndarray:
    """First-order section with one real pole and one real zero.

    A few staggered pole/zero pairs approximate a 1/f (pink) slope between
    them, the usual shape of an EEG background spectrum.
    """
    zp = np.exp(-2 * np.pi * f_pole / fs)
    zz = np.exp(-2 * np.pi * f_zero / fs)
    return np.array([1.0, -zz, 0.0, 1.0, -zp, 0.0])


def sos_rms_gain(sos: np.ndarray, n_grid: int = 1 << 18) -> float:
    """RMS of the cascade's output for unit-variance white input.

    Computed from the frequency response, ``sqrt(mean |H(w)|^2)`` over
    ``[0, pi)``, so each band can be scaled to a known amplitude.
    """
    w = np.linspace(0, np.pi, n_grid, endpoint=False)
    z1 = np.exp(-1j * w)
    z2 = z1 * z1
    h = np.ones_like(z1)
    for b0, b1, b2, a0, a1, a2 in np.atleast_2d(sos):
        h *= (b0 + b1 * z1 + b2 * z2) / (a0 + a1 * z1 + a2 * z2)
    return float(np.sqrt(np.mean(np.abs(h) ** 2)))


@njit(cache=True, nogil=True)
def _cascade_step(x, sos, zi, first, last):
    for s in range(first, last):
        y = sos[s, 0] * x + zi[s, 0]
        zi[s, 0] = sos[s, 1] * x - sos[s, 4] * y + zi[s, 1]
        zi[s, 1] = sos[s, 2] * x - sos[s, 5] * y
        x = y
    return x


@njit(cache=True, nogil=True)
def synth_block(noise, sos, bounds, zi, epoch_gains, i0, spe, half, spindle_env, emg_env, eeg, emg, drive, drive_step):
    """Filter one block of white noise into bands and mix them into EEG/EMG.

    Parameters
    ----------
    noise : float32 (6, n)
        White noise for the bands bg, delta, theta, fast, sigma, emg.
    sos, bounds, zi :
        All sections stacked; band ``k`` uses rows ``bounds[k]:bounds[k+1]``.
        ``zi`` (rows, 2) is the filter state, updated in place.
    epoch_gains : float64 (n_epochs, 6)
        Amplitude of each band in each epoch (sigma: unused, see
        ``spindle_env``; emg: the tonic level).
    i0 : int
        Global index of the block's first sample.
    spe, half : int
        Samples per epoch; half-length of the raised-cosine cross-fade that
        smooths every epoch border (``half`` samples on each side).
    spindle_env, emg_env : float32 (n,)
        Event envelopes (spindle amplitude; EMG bursts/twitches added to tonic).
    eeg, emg : float32 (n,)
        Outputs.
    drive : float32 (2, n_total // drive_step + 1)
        Whole-recording array: the unit-RMS delta and theta bands every
        ``drive_step`` samples (global index ``i // drive_step``), so spikes
        can follow the same slow waves and theta as the EEG.
    """
    n = noise.shape[1]
    n_epochs = epoch_gains.shape[0]
    g = np.empty(6)
    for j in range(n):
        i = i0 + j
        e = i // spe
        pos = i - e * spe
        nb = e
        w_own = 1.0
        # Cross-fade with the neighbouring epoch near a border: weight 0.5 at
        # the border rising to 1 at ``half`` samples inside (raised cosine).
        if pos < half and e > 0:
            nb = e - 1
            w_own = 0.5 - 0.5 * np.cos(np.pi * (pos + half) / (2.0 * half))
        elif spe - pos <= half and e + 1 < n_epochs:
            nb = e + 1
            w_own = 0.5 - 0.5 * np.cos(np.pi * (spe - pos + half) / (2.0 * half))
        ee = min(e, n_epochs - 1)
        nb = min(nb, n_epochs - 1)
        for k in range(6):
            g[k] = w_own * epoch_gains[ee, k] + (1.0 - w_own) * epoch_gains[nb, k]
        bg = _cascade_step(noise[0, j], sos, zi, bounds[0], bounds[1])
        delta = _cascade_step(noise[1, j], sos, zi, bounds[1], bounds[2])
        theta = _cascade_step(noise[2, j], sos, zi, bounds[2], bounds[3])
        fast = _cascade_step(noise[3, j], sos, zi, bounds[3], bounds[4])
        sigma = _cascade_step(noise[4, j], sos, zi, bounds[4], bounds[5])
        carrier = _cascade_step(noise[5, j], sos, zi, bounds[5], bounds[6])
        eeg[j] = g[0] * bg + g[1] * delta + g[2] * theta + g[3] * fast + spindle_env[j] * sigma
        emg[j] = (g[5] + emg_env[j]) * carrier
        if i % drive_step == 0:
            drive[0, i // drive_step] = delta
            drive[1, i // drive_step] = theta


@njit(cache=True, nogil=True)
def add_hann_events(env, i0, starts, lengths, amps):
    """Add ``amp * hann(length)`` at each event's start to ``env`` (block at ``i0``)."""
    n = env.shape[0]
    for k in range(starts.shape[0]):
        s = starts[k] - i0
        m = lengths[k]
        a = amps[k]
        lo = max(s, 0)
        hi = min(s + m, n)
        for j in range(lo, hi):
            env[j] += a * (0.5 - 0.5 * np.cos(2.0 * np.pi * (j - s + 0.5) / m))


@njit(cache=True, nogil=True)
def exp_decay_filter(x, decay, state):
    """Causal first-order decay along the last axis, in place (calcium transients).

    ``decay`` is ``exp(-dt / tau)`` per row; ``state`` (one value per row)
    carries the filter from one block to the next.
    """
    for c in range(x.shape[0]):
        acc = state[c]
        a = decay[c]
        for j in range(x.shape[1]):
            acc = a * acc + x[c, j]
            x[c, j] = acc
        state[c] = acc
