"""``SpectrogramConfig``: the spectral views of one recording (issue 13), beside Loupe's configs.

A config names the channel whose spectrogram and band powers are shown (the
EEG) and, optionally, the channel whose level is shown (the EMG), by name or
by position: real recordings call them ``Fpz-Cz``, ``C3-A1`` or ``Channel1``,
so nothing here guesses from names. Every estimate parameter defaults to the
anchors' choices for the session's epoch (:meth:`SpectralParams.defaults`):
AccuSleePy's for rodent epochs under 30 s, YASA's for 30 s human epochs.
See ``docs/spectral.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from loupe_tui.config_validation import data_problem
from loupe_tui.errors import LoupeConfigError
from loupe_tui.io.spectral import SpectralParams
from loupe_tui.io.spectral.cache import EmgLevel, Spectrogram, open_or_build_emg, open_or_build_spectrogram
from loupe_tui.io.xarray_layout import other_dims, trace_labels
from loupe_tui.io.xarray_source import XarraySource, check_data_array, time_axis_of
from loupe_tui.validate import check_choice, fail

#: Colour maps a spectrogram may use (the GL window's and the terminal's tables share them).
SPECTRAL_CMAPS = ("viridis", "magma", "inferno", "plasma", "turbo", "gray")
#: The SpectralParams fields a config may set (the rest follow from the epoch).
PARAM_FIELDS = ("method", "window_s", "step_s", "fmin", "fmax", "nw", "n_tapers", "welch_segment_s",
                "detrend", "bands", "page_window_s")


@dataclass(eq=False)
class SpectrogramConfig:
    """The spectrogram, band powers and EMG level of channels of ``data``.

    Parameters
    ----------
    data : xarray.DataArray
        The recording (a time dim and one channel dim; only the chosen channels are read).
    channel : str or int, optional
        The channel of the spectrogram and band powers (a name, or a position in the
        channel order). May be None when ``emg_channel`` is given.
    emg_channel : str or int, optional
        The channel whose level (log10 RMS of ``emg_band``, per epoch) is shown.
    window_s, step_s, fmin, fmax, method, nw, n_tapers, welch_segment_s, detrend, bands, page_window_s
        See :class:`~loupe_tui.io.spectral.SpectralParams`; None: the default for the
        session's epoch (``step_s`` is one epoch).
    emg_band : (lo, hi) Hz
    cmap : str
        One of ``SPECTRAL_CMAPS``.
    """

    data: xr.DataArray = field(repr=False)
    channel: Any = None
    emg_channel: Any = None
    window_s: float | None = None
    step_s: float | None = None
    fmin: float | None = None
    fmax: float | None = None
    method: str | None = None
    nw: float | None = None
    n_tapers: int | None = None
    welch_segment_s: float | None = None
    detrend: bool | None = None
    bands: Any = None
    page_window_s: float | None = None
    emg_band: tuple[float, float] = (20.0, 50.0)
    cmap: str = "viridis"

    def __post_init__(self):
        data_problem(check_data_array, self.data)
        dims = other_dims(self.data)
        if len(dims) > 1:
            raise fail("data", f"needs one channel dim besides time, got {len(dims)}: {dims}")
        self._time = data_problem(time_axis_of, self.data)
        if self._time.fs is None:
            raise fail("data", "spectral views need a sample rate; this recording has irregular sample times")
        labels = [str(x) for x in trace_labels(self.data, dims)]
        self._source = XarraySource(self.data, self._time, dims, names=labels,
                                    where=self.data.encoding.get("source", "data"))
        self._eeg = _channel("channel", self.channel, labels)
        self._emg = _channel("emg_channel", self.emg_channel, labels)
        if self._eeg is None and self._emg is None:
            raise fail("channel", f"give channel= (spectrogram) or emg_channel= (EMG level); "
                                  f"channels: {', '.join(labels)}")
        check_choice("cmap", self.cmap, SPECTRAL_CMAPS)
        if self.method is not None:
            check_choice("method", self.method, ("multitaper", "welch"))
        SpectralParams(emg_band=self.emg_band)         # one-line errors for a bad band, now
        self.params(4.0 if self.step_s is None else float(self.step_s))  # and for the other values

    @property
    def source(self) -> XarraySource:
        return self._source

    @property
    def channels(self) -> tuple[int | None, int | None]:
        """(spectrogram channel, EMG channel) as positions in ``source``."""
        return self._eeg, self._emg

    @property
    def names(self) -> tuple[str | None, str | None]:
        n = self._source.names
        return (None if self._eeg is None else n[self._eeg], None if self._emg is None else n[self._emg])

    def params(self, epoch_s: float) -> SpectralParams:
        """The estimate's parameters for a session of ``epoch_s`` epochs."""
        given = {k: getattr(self, k) for k in PARAM_FIELDS if getattr(self, k) is not None}
        try:
            return SpectralParams.defaults(epoch_s, emg_band=tuple(self.emg_band), **given)
        except TypeError as exc:  # a value of the wrong kind that the dataclass cannot take
            raise LoupeConfigError(f"SpectrogramConfig: {exc}") from None

    def open(self, epoch_s: float, cache_dir=None, progress: Callable | None = None,
             cancel: Callable[[], bool] | None = None) -> SpectralViews:
        """Open (building when missing) the cached estimates; ``progress(fraction, message)``."""
        params = self.params(epoch_s)
        eeg_name, emg_name = self.names

        def part(name, what):
            if progress is None:
                return None
            return lambda frac, msg: progress(frac, f"{name}: {what}")

        spec = emg = None
        if self._eeg is not None:
            spec = open_or_build_spectrogram(self._source, self._eeg, params, cache_dir,
                                             part(eeg_name, "spectrogram"), cancel)
        if self._emg is not None:
            emg = open_or_build_emg(self._source, self._emg, float(epoch_s), tuple(params.emg_band), cache_dir,
                                    part(emg_name, "EMG level"), cancel)
        return SpectralViews(spec, emg, eeg_name, emg_name, self.cmap, float(epoch_s))


@dataclass(eq=False)
class SpectralViews:
    """What the spectral views draw from, opened: see :mod:`loupe_tui.io.spectral.cache`."""

    spectrogram: Spectrogram | None
    emg: EmgLevel | None
    eeg_name: str | None
    emg_name: str | None
    cmap: str
    epoch_s: float


def spectral_channels(configs) -> list[tuple[str, Any, int]]:
    """``(name shown, TraceConfig, position in its data)`` of every channel of ``configs`` (the
    TraceConfigs and Zips) that a spectrogram or EMG level can be shown for: regularly sampled,
    one channel dim."""
    from loupe_tui.config import TraceConfig, Zip

    out = []
    for cfg in configs:
        members = cfg.configs if isinstance(cfg, Zip) else [cfg] if isinstance(cfg, TraceConfig) else []
        for tc in members:
            if tc.time_axis.fs is None or len(other_dims(tc.data)) > 1:
                continue
            out += [(name, tc, int(pos)) for name, pos in zip(tc.trace_names(), tc.trace_order())]
    return out


def spectral_config_for(configs, channel: str | None = None, emg_channel: str | None = None,
                        flags: tuple[str, str] = ("channel", "emg_channel"), **settings) -> SpectrogramConfig:
    """The SpectrogramConfig of the channels named ``channel`` and ``emg_channel`` among those of
    ``configs`` (:func:`spectral_channels`); ``flags`` name the two in errors (``--spectrogram``)."""
    found = {name: (tc, pos) for name, tc, pos in spectral_channels(configs)}
    for flag, name in zip(flags, (channel, emg_channel)):
        if name is not None and name not in found:
            raise fail(flag, f"no channel named {name!r}; channels: {', '.join(found) or 'none'}")
    picked = [found[n] for n in (channel, emg_channel) if n is not None]
    if not picked:
        raise fail(flags[0], "name the spectrogram's channel, the EMG's, or both")
    if len({id(tc.data) for tc, _ in picked}) > 1:
        raise fail(flags[1], f"{emg_channel!r} and {channel!r} are in different arrays (different sampling "
                             "rates); show the spectrogram and the EMG level of one array")
    tc = picked[0][0]
    return SpectrogramConfig(tc.data, channel=None if channel is None else found[channel][1],
                             emg_channel=None if emg_channel is None else found[emg_channel][1], **settings)


def _channel(param: str, value, labels: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if not 0 <= int(value) < len(labels):
            raise fail(param, f"channel {int(value)} is out of range: the recording has {len(labels)} "
                              f"({', '.join(labels)})")
        return int(value)
    if isinstance(value, str):
        if value in labels:
            return labels.index(value)
        raise fail(param, f"no channel named {value!r}; channels: {', '.join(labels)}")
    raise fail(param, f"must be a channel name or position, got {value!r}")
