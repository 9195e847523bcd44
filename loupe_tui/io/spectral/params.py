"""Parameters of the spectral views (issue 13), validated on construction.

Defaults follow the two anchors:

* rodent epochs (shorter than 30 s): AccuSleePy's spectrogram, a window of
  ``max(5 s, epoch)`` stepped by one epoch, multitaper with time-bandwidth
  ``NW = 2`` and 3 tapers, shown 0-30 Hz;
* human 30 s epochs: YASA's ``plot_spectrogram``, a 30 s multitaper window,
  0.5-25 Hz (its colour limits, the 2.5/97.5 percentiles, are the view's
  business, not this module's).

Band tables (``lo <= f < hi``, Hz):

* human: YASA's ``bandpower`` defaults without gamma: delta 0.5-4, theta 4-8,
  alpha 8-12, sigma 12-16, beta 16-30;
* rodent: delta 0.5-4, theta 6-10 (the usual mouse/rat hippocampal theta, the
  numerator of the REM theta/delta ratio), alpha 10-13, sigma 10-15 (mouse
  spindles), beta 15-30. Rodents have no alpha rhythm of their own; the band is
  kept so that both tables name the same five bands, and it overlaps sigma.
  Overlap is allowed: each band is integrated on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

from loupe_tui.errors import LoupeConfigError

HUMAN_BANDS = MappingProxyType({
    "delta": (0.5, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 12.0),
    "sigma": (12.0, 16.0), "beta": (16.0, 30.0),
})
RODENT_BANDS = MappingProxyType({
    "delta": (0.5, 4.0), "theta": (6.0, 10.0), "alpha": (10.0, 13.0),
    "sigma": (10.0, 15.0), "beta": (15.0, 30.0),
})
#: Epochs at least this long get the human defaults.
HUMAN_EPOCH_S = 30.0
METHODS = ("multitaper", "welch")


@dataclass(frozen=True)
class SpectralParams:
    """How a spectrogram, band powers and the EMG level are estimated.

    Parameters
    ----------
    method : ``"multitaper"`` (DPSS tapers, periodograms averaged) or ``"welch"``
        (Hann sub-segments of ``welch_segment_s`` with 50 % overlap, averaged).
    window_s : length of one spectral window (s).
    step_s : distance between window centres (s); one epoch in the defaults.
    fmin, fmax : frequencies kept in the spectrogram (Hz, both included).
    nw : multitaper time-half-bandwidth product.
    n_tapers : number of DPSS tapers (at most ``2 * nw``; more leak).
    welch_segment_s : Welch sub-segment length (s), at most ``window_s``.
    detrend : subtract each segment's mean before tapering (scipy's
        ``detrend="constant"``, its default).
    bands : band name -> ``(lo, hi)`` Hz, integrated over ``lo <= f < hi``.
    emg_band : ``(lo, hi)`` Hz of the EMG level's band-pass.
    page_window_s : window (s) of the page view's finer columns, computed on the fly for short
        windows (default ``min(window_s, 2)``: 0.5 Hz bins; a 5 s window over 0.2 s columns would
        smear a 10 s page into a blur). Not part of the cache's identity.
    """

    method: str = "multitaper"
    window_s: float = 5.0
    step_s: float = 4.0
    fmin: float = 0.0
    fmax: float = 30.0
    nw: float = 2.0
    n_tapers: int = 3
    welch_segment_s: float = 2.5
    detrend: bool = True
    bands: Mapping[str, tuple[float, float]] = field(default_factory=lambda: RODENT_BANDS, hash=False)
    emg_band: tuple[float, float] = (20.0, 50.0)
    page_window_s: float | None = None

    def __post_init__(self):
        def bad(name: str, problem: str) -> LoupeConfigError:
            return LoupeConfigError(f"{name}: {problem}")

        def positive(name: str, v) -> None:
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
                raise bad(name, f"must be a positive number of seconds, got {v!r}")

        if self.method not in METHODS:
            raise bad("method", f"must be 'multitaper' or 'welch', got {self.method!r}")
        positive("window_s", self.window_s)
        positive("step_s", self.step_s)
        positive("welch_segment_s", self.welch_segment_s)
        check_band("fmin/fmax", (self.fmin, self.fmax), allow_zero=True)
        if not isinstance(self.nw, (int, float)) or not self.nw > 0:
            raise bad("nw", f"must be a positive time-bandwidth product, got {self.nw!r}")
        if not isinstance(self.n_tapers, int) or isinstance(self.n_tapers, bool) or self.n_tapers < 1:
            raise bad("n_tapers", f"must be a whole number >= 1, got {self.n_tapers!r}")
        if self.n_tapers > 2 * self.nw:
            raise bad("n_tapers", f"{self.n_tapers} tapers leak with nw={self.nw}: use at most 2*nw")
        if self.method == "welch" and self.welch_segment_s > self.window_s:
            raise bad("welch_segment_s",
                      f"{self.welch_segment_s} s is longer than window_s ({self.window_s} s)")
        if not isinstance(self.bands, Mapping) or not self.bands:
            raise bad("bands", "must be a non-empty mapping of name -> (lo, hi) Hz")
        for name, edges in self.bands.items():
            check_band(f"bands[{name!r}]", edges, allow_zero=True)
        check_band("emg_band", self.emg_band, allow_zero=False)
        if self.page_window_s is None:
            object.__setattr__(self, "page_window_s", min(float(self.window_s), 2.0))
        positive("page_window_s", self.page_window_s)
        # A read-only copy: the caller's dict cannot change a frozen params later.
        bands = {str(k): (float(v[0]), float(v[1])) for k, v in self.bands.items()}
        object.__setattr__(self, "bands", MappingProxyType(bands))
        object.__setattr__(self, "emg_band", (float(self.emg_band[0]), float(self.emg_band[1])))

    @classmethod
    def defaults(cls, epoch_s: float, **overrides) -> SpectralParams:
        """The anchors' defaults for ``epoch_s`` (rodent below 30 s, human from 30 s).

        Any field can be overridden by keyword.
        """
        positive = isinstance(epoch_s, (int, float)) and math.isfinite(epoch_s) and epoch_s > 0
        if not positive:
            raise LoupeConfigError(f"epoch_s: must be a positive number of seconds, got {epoch_s!r}")
        epoch_s = float(epoch_s)
        if epoch_s < HUMAN_EPOCH_S:
            window = max(5.0, epoch_s)
            base = dict(window_s=window, step_s=epoch_s, fmin=0.0, fmax=30.0, bands=RODENT_BANDS)
        else:
            window = epoch_s
            base = dict(window_s=window, step_s=epoch_s, fmin=0.5, fmax=25.0, bands=HUMAN_BANDS)
        # Welch: 4 s sub-segments (YASA's bandpower) when the window holds two of them.
        base.update(method="multitaper", nw=2.0, n_tapers=3, welch_segment_s=min(4.0, window / 2))
        base.update(overrides)
        return cls(**base)

    def identity(self) -> dict:
        """What the cached spectrogram depends on (JSON-able; the cache key and meta)."""
        return {"method": self.method, "window_s": float(self.window_s), "step_s": float(self.step_s),
                "fmin": float(self.fmin), "fmax": float(self.fmax), "nw": float(self.nw),
                "n_tapers": int(self.n_tapers), "welch_segment_s": float(self.welch_segment_s),
                "detrend": bool(self.detrend), "bands": {k: list(v) for k, v in self.bands.items()}}

    def with_(self, **changes) -> SpectralParams:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)


def check_band(name: str, edges, allow_zero: bool) -> None:
    try:
        lo, hi = (float(v) for v in edges)
    except (TypeError, ValueError):
        raise LoupeConfigError(f"{name}: must be a pair (lo, hi) in Hz, got {edges!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or (lo == 0 and not allow_zero) or hi <= lo:
        low = ">= 0" if allow_zero else "> 0"
        raise LoupeConfigError(f"{name}: needs {low} lo < hi in Hz, got ({lo:g}, {hi:g})")
