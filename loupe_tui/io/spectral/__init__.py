"""Spectral estimates for the spectral views (issue 13): spectrograms, band
powers per epoch and the EMG level, computed block by block from a
:class:`~loupe_tui.io.source.TraceSource`. No UI and no cache here."""

from loupe_tui.io.spectral.emg import emg_level
from loupe_tui.io.spectral.params import HUMAN_BANDS, RODENT_BANDS, SpectralParams
from loupe_tui.io.spectral.spectrogram import BandPower, band_power, band_power_from_psd, spectrogram

__all__ = ["BandPower", "HUMAN_BANDS", "RODENT_BANDS", "SpectralParams", "band_power",
           "band_power_from_psd", "emg_level", "spectrogram"]
