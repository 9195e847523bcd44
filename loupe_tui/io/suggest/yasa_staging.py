"""Human sleep staging by YASA's pretrained classifiers (the optional extra ``loupe-tui[yasa]``).

For human PSG in 30 s epochs nothing needs to be scored first: YASA's
``SleepStaging`` (Vallat & Walker, eLife 2021) ships LightGBM classifiers
trained on thousands of nights inside its wheel, so it runs offline. It
stages one EEG channel, better with an EOG and an EMG channel too, and gives
the probability of each stage per epoch; the largest is the confidence. The
stages are renamed to the ``aasm_human`` keymap's (:data:`STAGE_NAMES`:
``WAKE`` -> ``W``, ``REM`` -> ``R``), and the result is the same immutable
:class:`~loupe_tui.io.suggest.model.Suggestions` the trained classifier
gives (``n_train`` 0, no ``train_counts``, ``labels_hash`` empty: nothing was
trained on the person's labels).

**What it needs.** Channels in volts (the unit is read from the recording:
uV, mV, V), sampled at :data:`MIN_FS` (100 Hz) or more: every channel is
resampled to 100 Hz as YASA does (``Raw.resample(100, npad="auto")``, each
channel at its own rate, so an EMG at 200 Hz goes with an EEG at 256 Hz). At
least one whole 30 s epoch; YASA itself warns under 5 minutes (its features
are smoothed over 7.5 min and scaled over the whole recording).

**The grid** is the recording's: epoch ``k`` is ``[first + 30 k, first +
30 (k + 1))`` from the EEG's first sample, whole epochs only (a last partial
epoch is not staged), as YASA cuts it and as the spectral cache does.

**Missing samples** (NaN, or the gaps of an EDF+D) are filled with the
channel's median before filtering (a NaN would spread through YASA's filter
to the whole channel), and an epoch with any missing sample in any channel
gets no suggestion (code -1). Its neighbours are still staged; the filled
stretch enters their smoothed features.

**Versions.** The classifiers are joblib pickles of lightgbm 3.x
``LGBMClassifier`` objects (text model ``version=v3``) holding a
scikit-learn 0.24.2 ``LabelEncoder`` (its only state: the class names
``N1 N2 N3 R W``). Unpickling them under any scikit-learn that runs on
Python 3.11 warns ``InconsistentVersionWarning`` for that ``LabelEncoder``;
no version both loads them silently and runs YASA 0.8 (which needs
scikit-learn >= 1.6.1). With scikit-learn 1.6.1 and 1.9.1, lightgbm 4.6.0
and 4.7.0, every shipped classifier gives exactly the probabilities of the
bare LightGBM booster rebuilt from its text model (the test checks it), so
that one warning (:data:`PICKLE_WARNING`, matched by its message) is
silenced and no other; the extra is capped at the versions checked. Other
versions move the probabilities a little through the *features*, not the
model: antropy 0.2.1 corrected an off-by-one in its Higuchi fractal
dimension (the classifiers were trained with the old one), which changed one
epoch of 360 on the DREAMS excerpts (``docs/suggestions.md``).

The staging runs on one thread (threadpoolctl), as the classifier does, so it
never competes with a UI for the other cores. The first call in a process
also compiles antropy's numba functions (about 6 s).
"""

from __future__ import annotations

import importlib.util
import math
import time
import warnings
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from threadpoolctl import threadpool_limits

from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.source import TraceSource
from loupe_tui.io.suggest.model import Suggestions

#: How to get what this module needs.
EXTRA = "pip install 'loupe-tui[yasa]'"
#: The packages the extra brings that staging imports (directly or through YASA).
PACKAGES = ("yasa", "lightgbm", "mne", "antropy", "lspopt")
#: The states suggested, in code order: the ``aasm_human`` keymap's names.
STATES = ("W", "N1", "N2", "N3", "R")
#: YASA's stage names (``yasa.Hypnogram``'s) -> the keymap's.
STAGE_NAMES = {"WAKE": "W", "N1": "N1", "N2": "N2", "N3": "N3", "REM": "R"}
#: YASA's epoch (s): its classifiers know no other.
EPOCH_S = 30.0
#: Lowest sample rate taken: YASA's classifiers were trained on 100 Hz data.
MIN_FS = 100.0
#: The rate YASA computes its features at.
YASA_FS = 100.0
#: The one warning silenced while staging (see the module docstring).
PICKLE_WARNING = r"Trying to unpickle estimator LabelEncoder from version 0\.24\.2 "
#: Channel unit -> microvolts per unit.
MICROVOLTS = {"uv": 1.0, "µv": 1.0, "μv": 1.0, "microvolt": 1.0, "microvolts": 1.0,
              "mv": 1e3, "millivolt": 1e3, "millivolts": 1e3, "v": 1e6, "volt": 1e6, "volts": 1e6, "nv": 1e-3}
KINDS = ("eeg", "eog", "emg")
_EPS = 1e-6


def missing_packages() -> list[str]:
    """The packages of the extra that are not installed (checked without importing them)."""
    return [p for p in PACKAGES if importlib.util.find_spec(p) is None]


def require_yasa(what: str = "YASA staging") -> None:
    """Raise a one-line :class:`LoupeConfigError` naming the extra when a package of it is missing."""
    missing = missing_packages()
    if missing:
        raise LoupeConfigError(f"{what} needs the yasa extra ({', '.join(missing)} not installed): {EXTRA}")


def microvolts_per(unit: str | None) -> float | None:
    """Microvolts in one ``unit`` (``"uV"`` 1, ``"mV"`` 1000, ``"V"`` 1e6); None for no unit.

    Raises
    ------
    LoupeConfigError
        A unit that is not a voltage.
    """
    if unit is None or not str(unit).strip():
        return None
    scale = MICROVOLTS.get(str(unit).strip().lower())
    if scale is None:
        raise LoupeConfigError(f"unit {unit!r} is not a voltage (uV, mV or V): YASA's classifiers need volts")
    return scale


@dataclass(frozen=True, eq=False)
class Channel:
    """One channel to stage: microvolts on a regular grid, NaN where a sample is missing.

    Attributes
    ----------
    name : str
    kind : str
        ``"eeg"``, ``"eog"`` or ``"emg"``.
    samples : ndarray of float64
        Sample ``i`` is at ``first + i / fs``.
    fs, first : float
    """

    name: str
    kind: str
    samples: np.ndarray
    fs: float
    first: float

    def __post_init__(self):
        if self.kind not in KINDS:
            raise LoupeConfigError(f"{self.name}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        check_rate(self.name, self.fs)

    @property
    def t_end(self) -> float:
        return self.first + len(self.samples) / self.fs


def check_rate(name: str, fs: float) -> None:
    """A one-line error for a channel sampled under :data:`MIN_FS`."""
    if not fs >= MIN_FS:
        raise LoupeConfigError(f"{name}: sampled at {fs:g} Hz; YASA's staging needs {MIN_FS:g} Hz or more "
                               "(its classifiers were trained on 100 Hz data)")


def read_channel(source: TraceSource, index: int, name: str, kind: str, unit: str | None = "uV",
                 where: str | None = None) -> Channel:
    """Channel ``index`` of ``source`` as a :class:`Channel` (read whole), gaps filled with NaN.

    ``unit`` is the channel's (:func:`microvolts_per`); None reads the values as microvolts.
    ``where`` begins the errors (default ``name``; a command says ``--eeg C3-A1``).

    Raises
    ------
    LoupeConfigError
        Irregular sample times, a rate under :data:`MIN_FS`, or a unit that is not a voltage.
    """
    where = where or name
    axis = source.time
    if axis.times is not None or axis.fs is None:
        raise LoupeConfigError(f"{where}: has irregular sample times; YASA's staging needs a sample rate")
    fs = float(axis.fs)
    check_rate(where, fs)      # before reading it all
    try:
        scale = microvolts_per(unit) or 1.0
    except LoupeConfigError as exc:
        raise LoupeConfigError(f"{where}: {exc}") from None
    x = np.asarray(source.read(0, axis.n, [index])[0], np.float64) * scale
    if axis.segments is not None and len(axis.segments) > 1:
        x = _on_regular_grid(x, axis.segments, fs, axis.t_end)
    return Channel(name, kind, x, fs, float(axis.first))


def _on_regular_grid(x: np.ndarray, segments: np.ndarray, fs: float, t_end: float) -> np.ndarray:
    """The runs of a segmented axis placed at their times on one regular grid, NaN in the gaps."""
    first = float(segments[0, 1])
    out = np.full(int(round((t_end - first) * fs)), np.nan)
    starts = np.r_[segments[:, 0], len(x)].astype(np.int64)
    for (i, t), i1 in zip(segments, starts[1:]):
        j = int(round((t - first) * fs))
        n = min(int(i1 - i), len(out) - j)
        if n > 0:
            out[j: j + n] = x[int(i): int(i) + n]
    return out


def stage(eeg: Channel, eog: Channel | None = None, emg: Channel | None = None) -> Suggestions:
    """YASA's stage and its probability for every 30 s epoch from ``eeg.first``.

    Parameters
    ----------
    eeg : Channel
        The EEG (YASA asks for a central one referenced to the mastoids, C4-M1 or C3-M2, or to Fpz).
    eog, emg : Channel, optional
        They improve the staging (YASA picks the classifier trained on the same channels).

    Returns
    -------
    Suggestions
        States :data:`STATES`; ``confidence`` the largest stage probability; -1 / NaN for an
        epoch with a missing sample.

    Raises
    ------
    LoupeConfigError
        The extra is not installed (one line naming it), no whole epoch, all samples missing,
        two channels of one name, or channels of the wrong kind.
    """
    require_yasa()
    t0 = time.perf_counter()
    channels = [c for c in (eeg, eog, emg) if c is not None]
    for c, kind in zip((eeg, eog, emg), KINDS):
        if c is not None and c.kind != kind:
            raise LoupeConfigError(f"{c.name}: given as the {kind.upper()} but is an {c.kind.upper()} channel")
    if len({c.name for c in channels}) < len(channels):
        raise LoupeConfigError("YASA staging: name different channels for the EEG, EOG and EMG")
    n_epochs = int(math.floor((eeg.t_end - eeg.first) / EPOCH_S + _EPS))
    if n_epochs < 1:
        raise LoupeConfigError(f"{eeg.name}: {eeg.t_end - eeg.first:g} s; YASA stages whole 30 s epochs: "
                               "the recording is shorter than one")
    missing = np.zeros(n_epochs, bool)
    data = []
    for c in channels:
        x = _aligned(c, eeg.first, n_epochs)
        gaps = np.isnan(x)
        if gaps.all():
            raise LoupeConfigError(f"{c.name}: no sample in the recording's epochs (all missing)")
        bounds = np.round(np.arange(n_epochs) * EPOCH_S * c.fs).astype(np.int64)
        missing |= np.add.reduceat(gaps, bounds) > 0
        data.append(np.where(gaps, np.median(x[~gaps]), x))
    with threadpool_limits(limits=1):
        proba = _yasa_proba(channels, data, n_epochs)
    best = np.argmax(proba, axis=1)
    codes = np.where(missing, -1, best).astype(np.int8)
    confidence = np.where(missing, np.nan, proba[np.arange(n_epochs), best]).astype(np.float32)
    codes.flags.writeable = False
    confidence.flags.writeable = False
    return Suggestions(STATES, codes, confidence, eeg.first, EPOCH_S, 0, MappingProxyType({}),
                       time.perf_counter() - t0, time.time(), "", model_name(channels))


def model_name(channels: list[Channel]) -> str:
    """What made the suggestions: ``YASA 0.8.1 SleepStaging eeg+eog (pretrained)``."""
    from importlib.metadata import version

    return f"YASA {version('yasa')} SleepStaging {'+'.join(c.kind for c in channels)} (pretrained)"


def _aligned(c: Channel, first: float, n_epochs: int) -> np.ndarray:
    """``c``'s samples over ``[first, first + n_epochs * 30)`` at its own rate, NaN outside it."""
    n = int(round(n_epochs * EPOCH_S * c.fs))
    shift = int(round((c.first - first) * c.fs))      # where c's first sample falls
    out = np.full(n, np.nan)
    lo, hi = max(0, shift), min(n, shift + len(c.samples))
    if hi > lo:
        out[lo:hi] = c.samples[lo - shift: hi - shift]
    return out


def _yasa_proba(channels: list[Channel], data: list[np.ndarray], n_epochs: int) -> np.ndarray:
    """``(n_epochs, 5)`` stage probabilities in :data:`STATES` order."""
    import mne
    import yasa
    from sklearn.exceptions import InconsistentVersionWarning

    n = int(round(n_epochs * EPOCH_S * YASA_FS))
    at_100 = []
    for c, x in zip(channels, data):
        if abs(c.fs - YASA_FS) > _EPS:
            raw = mne.io.RawArray(x[None] * 1e-6, mne.create_info([c.name], c.fs, [c.kind]), verbose=False)
            x = raw.resample(YASA_FS, npad="auto", verbose=False).get_data()[0] * 1e6
        at_100.append(np.pad(x[:n], (0, max(0, n - len(x))), mode="edge"))
    info = mne.create_info([c.name for c in channels], YASA_FS, [c.kind for c in channels])
    raw = mne.io.RawArray(np.vstack(at_100) * 1e-6, info, verbose=False)
    names = {f"{c.kind}_name": c.name for c in channels}
    staging = yasa.SleepStaging(raw, **names)
    # Scoped to the prediction (which loads the pickle). catch_warnings swaps the process's filter
    # list for its duration: another thread's own filter change in that second would be undone.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=PICKLE_WARNING, category=InconsistentVersionWarning)
        hypnogram = staging.predict()
    proba = hypnogram.proba.rename(columns=STAGE_NAMES)
    return proba[list(STATES)].to_numpy(np.float64)


__all__ = ["Channel", "EPOCH_S", "EXTRA", "MIN_FS", "PACKAGES", "PICKLE_WARNING", "STAGE_NAMES", "STATES",
           "check_rate", "microvolts_per", "missing_packages", "model_name", "read_channel", "require_yasa", "stage"]
