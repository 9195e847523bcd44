"""Per-epoch features for the suggestions, from the spectral cache.

For each epoch of the spectral cache's grid (epoch ``k`` is
``[first + k * step, first + (k + 1) * step)``):

* the log10 band powers of the EEG (delta, theta, alpha, sigma, beta, as the
  cache names them), log10 theta/delta, and the EMG level (log10 RMS);
* the same values of the epochs 1 and 2 before and after (sleep states last
  many epochs, and a state change shows in the neighbours);

so 7 base values and 35 features for the rodent defaults with both channels.

**Standardised per recording** with robust z-scores: ``(x - median) / (IQR /
1.349)`` over every epoch of the recording with a finite value (scored or
not). The trees themselves do not care (a monotone transform of a feature
changes no split), but standardising puts recordings with different gains,
electrodes and amplifiers on one scale, so that other scored recordings can
be trained on with this one. Median and IQR rather than mean and SD because a
few artifact epochs (a cable knock is 100x the usual power) would move a mean
and inflate an SD for the whole recording. The median depends on the
recording's mix of states (a night that is 70 % wake has a higher median
EMG); AccuSleep's mixture z-scoring avoids this with labelled calibration
epochs, at the price of needing them before anything is standardised.

**Missing values**: an epoch whose own values are not all finite (NaN
samples, a gap, outside the channel's data) gets no suggestion and is never
trained on (:attr:`EpochFeatures.valid`). A missing *neighbour* (the first
two and last two epochs, an epoch beside a gap) stays NaN: the gradient
boosting model learns which side of each split missing values go, so nothing
is imputed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loupe_tui.errors import LoupeConfigError

#: The feature set's version: part of every sidecar's identity, bumped when features change.
FEATURES_VERSION = 1
#: Neighbours in time: offsets in epochs (0 is the epoch itself).
OFFSETS = (0, -1, 1, -2, 2)
#: The band powers used, in this order, when the spectrogram has them.
BANDS = ("delta", "theta", "alpha", "sigma", "beta")
#: IQR of a normal distribution in SDs: robust z-scores are on the SD scale.
IQR_TO_SD = 1.349


@dataclass(frozen=True, eq=False)
class EpochFeatures:
    """The standardised features of every epoch of one recording.

    Attributes
    ----------
    values : ndarray, float32 (n_epochs, n_features)
        Read-only; NaN where a neighbour is missing.
    names : tuple of str
        Feature names (``"delta"``, ``"delta[-1]"``, ...).
    valid : ndarray of bool (n_epochs,)
        The epoch's own values are all finite: it may be suggested and trained on.
    first, step_s : float
        The grid.
    fingerprint : str
        The recording's fingerprint (the spectral cache's).
    identity : str
        A digest of what the features were computed from (cache entries and the feature set).
    """

    values: np.ndarray
    names: tuple[str, ...]
    valid: np.ndarray
    first: float
    step_s: float
    fingerprint: str
    identity: str

    @property
    def n_epochs(self) -> int:
        return self.values.shape[0]

    def epoch_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end time (s) of every epoch."""
        starts = self.first + np.arange(self.n_epochs) * self.step_s
        return starts, starts + self.step_s


def epoch_features(spectrogram=None, emg=None) -> EpochFeatures:
    """The features of every epoch from an opened spectral cache.

    Parameters
    ----------
    spectrogram : loupe_tui.io.spectral.cache.Spectrogram, optional
        Its band powers (``.bands``: EpochSeries of log10 power, and the theta/delta ratio).
    emg : loupe_tui.io.spectral.cache.EmgLevel, optional
        Log10 RMS per epoch.

    Both are what ``SpectrogramConfig.open(epoch_s)`` returns
    (``SpectralViews.spectrogram``, ``.emg``); at least one is needed, and when both are
    given they must share the grid.

    Raises
    ------
    LoupeConfigError
        Neither is given, or their grids differ.
    """
    columns: dict[str, np.ndarray] = {}
    grids = []
    sources = []
    if spectrogram is not None:
        for name in BANDS:
            if name in spectrogram.bands:
                columns[name] = np.asarray(spectrogram.bands[name].values, np.float64)
        if "theta/delta" in spectrogram.bands:
            with np.errstate(divide="ignore", invalid="ignore"):
                columns["log theta/delta"] = np.log10(np.asarray(spectrogram.bands["theta/delta"].values,
                                                                 np.float64))
        grids.append((float(spectrogram.first), float(spectrogram.step_s)))
        sources.append(Path(spectrogram.path).name)
    if emg is not None:
        columns["EMG"] = np.asarray(emg.values, np.float64)
        grids.append((float(emg.first), float(emg.step_s)))
        sources.append(Path(emg.path).name)
    if not columns:
        raise LoupeConfigError("suggestions need the EEG's spectrogram, the EMG's level, or both")
    (first, step), *others = grids
    for f, s in others:
        if abs(f - first) > 1e-6 or abs(s - step) > 1e-9:
            raise LoupeConfigError(f"suggestions: the spectrogram's epochs ({first:g} + k * {step:g} s) and the "
                                   f"EMG's ({f:g} + k * {s:g} s) are on different grids")
    n = max(len(v) for v in columns.values())
    base = np.full((n, len(columns)), np.nan, np.float64)
    for j, v in enumerate(columns.values()):
        base[: len(v), j] = v
    base[~np.isfinite(base)] = np.nan
    base = robust_z(base)
    valid = np.isfinite(base).all(axis=1)
    values = np.empty((n, len(columns) * len(OFFSETS)), np.float32)
    names = []
    for i, off in enumerate(OFFSETS):
        values[:, i * len(columns): (i + 1) * len(columns)] = shifted(base, off)
        names += [c if off == 0 else f"{c}[{off:+d}]" for c in columns]
    values.flags.writeable = False
    valid.flags.writeable = False
    fingerprint = _fingerprint(spectrogram, emg)
    ident = hashlib.blake2b(json.dumps({"features": FEATURES_VERSION, "offsets": OFFSETS, "names": names,
                                        "cache": sources}).encode(), digest_size=16).hexdigest()
    return EpochFeatures(values, tuple(names), valid, first, step, fingerprint, ident)


def robust_z(x: np.ndarray) -> np.ndarray:
    """Each column as ``(x - median) / (IQR / 1.349)`` over its finite values (NaN stays NaN;
    a constant column is only centred)."""
    out = np.array(x, np.float64, copy=True)
    for j in range(out.shape[1]):
        col = out[:, j]
        finite = col[np.isfinite(col)]
        if not len(finite):
            continue
        q1, med, q3 = np.percentile(finite, [25, 50, 75])
        scale = (q3 - q1) / IQR_TO_SD
        if not scale > 0:
            scale = 1.0
        out[:, j] = (col - med) / scale
    return out


def shifted(x: np.ndarray, offset: int) -> np.ndarray:
    """``out[k] = x[k + offset]``, NaN where ``k + offset`` is outside the recording."""
    out = np.full_like(x, np.nan)
    n = len(x)
    if offset >= 0:
        out[: max(0, n - offset)] = x[offset:]
    else:
        out[-offset:] = x[: n + offset]
    return out


def _fingerprint(spectrogram, emg) -> str:
    if spectrogram is not None:
        return str(spectrogram.source.fingerprint)
    try:
        return str(json.loads((Path(emg.path) / "meta.json").read_text())["fingerprint"])
    except (OSError, ValueError, KeyError):
        return ""


__all__ = ["BANDS", "EpochFeatures", "FEATURES_VERSION", "OFFSETS", "epoch_features", "robust_z", "shifted"]
