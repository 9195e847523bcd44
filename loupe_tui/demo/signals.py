"""EEG + EMG at 1 kHz that follow the hidden schedule, written to zarr in blocks.

Each sample is a mix of filtered-noise bands whose amplitudes are set per
epoch by the state (and cross-faded over 2 s at epoch borders, so there are
no clicks):

* NREM: strong 0.5-4 Hz delta (stronger early in the light phase, as sleep
  pressure is high), sigma-band spindles, low tonic EMG.
* REM: dominant 6-9 Hz theta, delta small, EMG nearly flat (atonia) with
  brief twitches.
* Wake: low-amplitude mixed fast EEG with some theta, high tonic EMG with
  movement bursts.

Memory is bounded by one block of 2^20 samples per band whatever the length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loupe_tui.demo import _dsp
from loupe_tui.demo._store import BlockWriter
from loupe_tui.demo.schedule import EPOCH_S, LIGHT_PHASE_S, NREM, REM, WAKE, Hypnogram

FS = 1000.0
CHUNK = 1 << 20  # samples per zarr chunk and per generation block (~17.5 min)
DRIVE_STEP = 10  # the delta/theta drives for the spikes are kept at 100 Hz
# Values are rounded to 1/8 uV: far below the ~2 uV amplifier noise floor, but
# the zeroed low mantissa bits let the default zstd compressor work.
QUANTUM_UV = 0.125

BANDS = ("bg", "delta", "theta", "fast", "sigma", "emg")
# RMS amplitude in uV of each band per state (Wake, NREM, REM). Sigma is
# carried by the spindle events; emg is the tonic level under the bursts.
AMPLITUDE_UV = {
    "bg": (16.0, 20.0, 13.0),
    "delta": (12.0, 75.0, 10.0),
    "theta": (22.0, 8.0, 48.0),
    "fast": (9.0, 3.0, 6.0),
    "sigma": (0.0, 0.0, 0.0),
    "emg": (30.0, 9.0, 2.5),
}
CROSSFADE_S = 2.0


def _band_filters(fs: float) -> list[np.ndarray]:
    """The SOS cascade of each band, scaled to unit RMS output."""
    designs = [
        # Pink background: staggered pole/zero pairs give ~1/f power.
        np.stack([_dsp.pole_zero(0.5, 1.6, fs), _dsp.pole_zero(5.0, 16.0, fs), _dsp.pole_zero(50.0, 160.0, fs)]),
        np.stack([_dsp.highpass(0.5, fs), _dsp.lowpass(3.0, fs)]),
        np.stack([_dsp.bandpass(7.5, fs, 3.0), _dsp.bandpass(7.5, fs, 3.0)]),
        np.stack([_dsp.highpass(20.0, fs), _dsp.lowpass(80.0, fs)]),
        np.stack([_dsp.bandpass(12.5, fs, 5.0), _dsp.bandpass(12.5, fs, 5.0)]),
        np.stack([_dsp.highpass(15.0, fs), _dsp.lowpass(300.0, fs)]),
    ]
    out = []
    for sos in designs:
        sos = sos.copy()
        sos[0, :3] /= _dsp.sos_rms_gain(sos)
        out.append(sos)
    return out


def _sleep_pressure(t_s: np.ndarray) -> np.ndarray:
    """NREM delta scale by time of day: high at lights-on, lowest at lights-off."""
    zt = (t_s % (2 * LIGHT_PHASE_S)) / LIGHT_PHASE_S  # 0..2 (light then dark)
    return np.where(zt < 1.0, 1.35 - 0.5 * zt, 0.85 + 0.5 * (zt - 1.0))


def epoch_gains(hyp: Hypnogram, rng: np.random.Generator) -> np.ndarray:
    """Amplitude of every band in every epoch, (n_epochs, 6) float64."""
    table = np.array([AMPLITUDE_UV[b] for b in BANDS]).T  # (3 states, 6 bands)
    gains = table[hyp.states.astype(np.int64)]
    # Epoch-to-epoch variability, as real EEG power fluctuates within a bout.
    gains *= np.exp(0.12 * rng.standard_normal(gains.shape))
    centre = (np.arange(hyp.n_epochs) + 0.5) * hyp.epoch_s
    gains[:, 1] *= np.where(hyp.states == NREM, _sleep_pressure(centre), 1.0)
    return gains


@dataclass(frozen=True)
class Events:
    """Envelope events on the sample grid, sorted by start."""

    starts: np.ndarray  # int64 sample index
    lengths: np.ndarray  # int64 samples
    amps: np.ndarray  # float64 uV (or gain)

    def overlapping(self, i0: int, i1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        max_len = int(self.lengths.max()) if self.lengths.size else 0
        lo = int(np.searchsorted(self.starts, i0 - max_len))
        hi = int(np.searchsorted(self.starts, i1))
        return self.starts[lo:hi], self.lengths[lo:hi], self.amps[lo:hi]


def _draw_events(hyp: Hypnogram, rng: np.random.Generator, state: int, rate_per_epoch: float,
                 dur_s: tuple[float, float], amp: Callable[[int], np.ndarray], fs: float) -> Events:
    epochs = np.flatnonzero(hyp.states == state)
    counts = rng.poisson(rate_per_epoch, epochs.size)
    ep = np.repeat(epochs, counts)
    t = (ep + rng.random(ep.size)) * hyp.epoch_s
    order = np.argsort(t, kind="stable")
    starts = np.round(t[order] * fs).astype(np.int64)
    lengths = np.maximum(np.round(rng.uniform(*dur_s, ep.size) * fs).astype(np.int64), 2)
    return Events(starts, lengths, amp(ep.size))


def draw_events(hyp: Hypnogram, rng: np.random.Generator, fs: float = FS) -> dict[str, Events]:
    """Spindles (NREM), movement bursts (Wake) and twitches (REM)."""
    tonic_wake = AMPLITUDE_UV["emg"][WAKE]
    return {
        # ~5 spindles/min of 0.5-1.5 s; amplitude multiplies the unit sigma band.
        "spindles": _draw_events(hyp, rng, NREM, 0.35, (0.5, 1.5), lambda n: rng.uniform(30.0, 55.0, n), fs),
        "bursts": _draw_events(hyp, rng, WAKE, 0.5, (0.3, 2.5),
                               lambda n: tonic_wake * np.exp(rng.normal(0.3, 0.5, n)), fs),
        "twitches": _draw_events(hyp, rng, REM, 1.0, (0.03, 0.15), lambda n: rng.uniform(8.0, 30.0, n), fs),
    }


def write_eeg(store: Path, hyp: Hypnogram, seed: int, progress: Callable[[str], None], fs: float = FS) -> np.ndarray:
    """Generate EEG/EMG for the whole schedule into ``store`` group ``eeg``.

    Parameters
    ----------
    store : Path
        Zarr store directory (created if missing).
    hyp : Hypnogram
        The hidden schedule.
    seed : int
        Base seed; the noise and event streams are derived from it.
    progress : callable
        Receives one progress line per ~10 % done.
    fs : float
        Sample rate in Hz.

    Returns
    -------
    ndarray, float32 (2, n_samples // 10 + 1)
        Unit-RMS delta and theta bands at 100 Hz, for coupling spikes to them.
    """
    n_total = int(round(hyp.duration_s * fs))
    spe = int(round(EPOCH_S * fs))
    noise_rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    event_rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    gains = epoch_gains(hyp, event_rng)
    events = draw_events(hyp, event_rng, fs)
    filters = _band_filters(fs)
    sos = np.concatenate(filters)
    bounds = np.cumsum([0] + [len(f) for f in filters]).astype(np.int64)
    zi = np.zeros((len(sos), 2))
    drive = np.zeros((2, n_total // DRIVE_STEP + 1), dtype=np.float32)
    half = int(CROSSFADE_S * fs / 2)

    writer = None
    n_blocks = -(-n_total // CHUNK)
    reported = 0
    for b, i0 in enumerate(range(0, n_total, CHUNK)):
        n = min(CHUNK, n_total - i0)
        # Uniform, not Gaussian, white noise: 5x cheaper to draw, and every
        # band filter averages many samples, so its output is Gaussian anyway
        # (central limit theorem). Scaled to unit variance.
        noise = noise_rng.random((6, n), dtype=np.float32)
        noise -= 0.5
        noise *= np.float32(np.sqrt(12.0))
        spindle_env = np.zeros(n, np.float32)
        emg_env = np.zeros(n, np.float32)
        _dsp.add_hann_events(spindle_env, i0, *events["spindles"].overlapping(i0, i0 + n))
        _dsp.add_hann_events(emg_env, i0, *events["bursts"].overlapping(i0, i0 + n))
        _dsp.add_hann_events(emg_env, i0, *events["twitches"].overlapping(i0, i0 + n))
        block = np.empty((2, n), np.float32)
        _dsp.synth_block(noise, sos, bounds, zi, gains, i0, spe, half, spindle_env, emg_env,
                         block[0], block[1], drive, DRIVE_STEP)
        del noise, spindle_env, emg_env
        np.multiply(np.round(block * (1 / QUANTUM_UV)), QUANTUM_UV, out=block)
        if writer is None:
            writer = BlockWriter(
                store, "eeg", "data", block, n_total, fs, CHUNK,
                coords={"channel": np.array(["EEG", "EMG"], dtype=object)},
                attrs={"units": "uV", "fs": fs, "long_name": "EEG (frontal-parietal) and nuchal EMG",
                       "quantum_uV": QUANTUM_UV},
                group_attrs={"fs": fs, "epoch_s": EPOCH_S, "source": "loupe-tui demo (synthetic)",
                             "description": "mouse EEG + EMG driven by a hidden Wake/NREM/REM schedule"},
            )
        else:
            writer.write(i0, block)
        if (b + 1) * 10 // n_blocks > reported or b + 1 == n_blocks:
            reported = (b + 1) * 10 // n_blocks
            progress(f"signals: {i0 + n:,}/{n_total:,} samples ({100 * (i0 + n) // n_total} %)")
    return drive
