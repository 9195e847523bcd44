"""What ``loupe-tui prepare`` opens of a recording, as ``open`` opens it (a cache is for what it shows).

* :func:`recording_configs`: the TraceConfigs of a zarr store, netCDF or EDF/BDF file (a path
  or a URL), and its warnings;
* :func:`heatmap_sources`: the panels of ``--heatmap GROUP[:VARIABLE]``, split and ordered alike;
* :func:`spectral_config`, :func:`wanted_spectral`: the spectral views of ``--spectrogram`` /
  ``--emg`` and what their cache entries say.

``opts`` is a :class:`~loupe_tui.prepare.PrepareOptions`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from loupe_tui.errors import DataFileError, LoupeConfigError, one_line


def recording_configs(recording: str, *, group: str | None = None, variable: str | None = None,
                      storage_options: Mapping | None = None, channels: Sequence[str] = (),
                      derive: Sequence[str] = (), mode: str = "stacked") -> tuple[list, list[str]]:
    """The TraceConfigs ``open`` shows for a recording (a path or a URL), and its warnings.

    A zarr store or netCDF file gives one (its variable); an EDF/BDF file one per sampling
    rate, fastest first. A URL is read lazily through fsspec: a zarr store chunk by chunk,
    an EDF/BDF file in ranged reads of the records a window needs.
    """
    from loupe_tui.config import TraceConfig
    from loupe_tui.io.edf.recording import EDF_SUFFIXES, is_edf, read_edf
    from loupe_tui.io.remote.files import read_edf_url
    from loupe_tui.io.remote.urls import is_url, local_path
    from loupe_tui.io.xarray_open import open_variable

    remote = is_url(recording)
    edf = (Path(recording.split("?")[0]).suffix.lower() in EDF_SUFFIXES if remote
           else Path(local_path(recording)).is_file() and is_edf(local_path(recording)))
    if not edf:
        if channels or derive:
            raise LoupeConfigError(f"--channels/--derive: only for EDF/BDF files ({recording} is not one)")
        if not remote and Path(recording).is_dir() and Path(recording).suffix != ".zarr" \
                and any(Path(recording).glob("*_t.npy")):
            raise DataFileError(f"{recording}: a folder of npy pairs is not prepared (each pair is one small "
                                "series; open builds its pyramid in moments)")
        da = open_variable(recording, group=group, variable=variable, storage_options=storage_options)
        try:
            return [TraceConfig(da, mode=mode)], []
        except LoupeConfigError as exc:
            raise DataFileError(f"{recording}: variable {da.name!r}: {one_line(exc)}") from None
    if group or variable:
        raise LoupeConfigError(f"--group/--variable: only for zarr stores and netCDF files ({recording} is EDF)")
    if remote:
        rec = read_edf_url(recording, list(channels), list(derive), storage_options)
    else:
        rec = read_edf(local_path(recording), channels=list(channels) or None, derive=list(derive) or None)
    groups = sorted(rec.groups.values(), key=lambda da: -float(da.attrs.get("sampling_rate", 0.0)))
    if not groups:
        raise DataFileError(f"{recording}: holds no data signals")
    return [TraceConfig(da, mode=mode) for da in groups], list(rec.warnings)


def heatmap_sources(recording: str, opts) -> list[tuple[str, list]]:
    """``(GROUP[:VARIABLE], its panels' sources)`` of every ``opts.heatmaps``, as ``open --heatmap``
    shows them (split and ordered alike: a panel's pyramids are keyed by its rows)."""
    if not opts.heatmaps:
        return []
    from loupe_tui.config import HeatmapConfig
    from loupe_tui.io.xarray_open import open_variable

    out = []
    for spec in opts.heatmaps:
        group, _, variable = spec.partition(":")
        da = open_variable(recording, group=group.strip("/") or None, variable=variable or None,
                           storage_options=opts.storage_options)
        try:
            cfg = HeatmapConfig(da, split_by=opts.heatmap_split, order_by=opts.heatmap_order)
        except LoupeConfigError as exc:
            raise DataFileError(f"{recording}: --heatmap {spec}: {one_line(exc)}") from None
        out.append((spec, [p.source for p in cfg.panels()]))
    return out


def spectral_config(configs: list, opts):
    """The SpectrogramConfig of ``opts.spectrogram``/``opts.emg`` among a recording's configs."""
    from loupe_tui.config_spectral import spectral_config_for

    settings = {"method": opts.spectral_method} if opts.spectral_method else {}
    return spectral_config_for(configs, opts.spectrogram, opts.emg, ("--spectrogram", "--emg"), **settings)


def wanted_spectral(cfg, opts) -> dict[str, dict]:
    """The ``meta.json`` essentials of the spectral entries asked for, by kind."""
    from loupe_tui.io.spectral.cache import FORMAT_VERSION

    params, (eeg, emg) = cfg.params(opts.epoch_s), cfg.channels
    wanted = {}
    if eeg is not None:
        wanted["spectrogram"] = {"format": FORMAT_VERSION, "kind": "spectrogram", "channel": eeg,
                                 "params": params.identity()}
    if emg is not None:
        wanted["emg"] = {"format": FORMAT_VERSION, "kind": "emg", "channel": emg, "epoch_s": float(opts.epoch_s),
                         "band": [float(b) for b in params.emg_band]}
    return wanted
