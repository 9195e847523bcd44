"""The session spec: what the GL window must draw, as JSON (the LoadSession payload).

The terminal app resolves its configs (names, order, colours, styles) and
:func:`build_spec` writes them down with the place of every source, so the
window draws exactly what the app resolved without re-validating anything.
:func:`open_spec` (render side) opens those sources and their pyramids.

Spec layout (all JSON)::

    {"version": 1, "pyramid_cache": DIR, "span": [t_start, t_end],
     "panels": [PANEL, ...],                          # top to bottom
     "states": [[name, [r, g, b, a]], ...],           # hypnogram rows, in order
     "videos": [{"name", "video_paths", "frame_times_paths", "correction", "max_frame_distance_s"}],
     "events": [{"cls", "times": NPY, "color", "line_style", "line_width"}],
     "spectral": [SPECTRAL, ...],                     # spectral views (optional; issue 13)
     "options": {...}}                                # initial SetViewOption values

    traces/dense PANEL: {"kind", "source": SRC, "names", "colors", "order_values",
                         "overlays": [{"source": SRC, "color"}], "markers": [...],
                         "gain", "step", "traces_per_page", "units"}
                    (dense: every trace, before ``step``; the window applies step and pages)
    zip PANEL:      {"kind": "zip", "on", "members": [{"source": SRC, "color", "units"}],
                     "rows": [{"title", "members": [[member, channel], ...]}]}
    heatmap PANEL:  {"kind": "heatmap", "source": SRC, "title", "cmap", "vmin", "vmax", "decim_method"}
    raster PANEL:   {"kind": "raster", "title", "data": NPZ (times, rows, colors), "row_labels"}
    SRC:            {"array": {"path", "group", "variable", "isel", "dims"}, "time": {"n", "t0", "fs"|"times"},
                     "dims", "order", "names", "fingerprint"}
    SPECTRAL:       {"source": SRC (every channel), "channel": int|null, "emg_channel": int|null,
                     "params": SpectralParams.identity(), "page_window_s", "emg_band": [lo, hi],
                     "epoch_s", "names": [eeg|null, emg|null], "cmap"}
                    (the window opens the cached estimates beside the pyramids, building them if missing)

See ``docs/protocol.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from loupe_tui.config import GlobalEventsConfig, HeatmapConfig, RasterConfig, TraceConfig, Zip, VideoConfig
from loupe_tui.core.colors import LABEL_SHADING_ALPHA, RGBA, parse_color
from loupe_tui.io.filters import FilterChain, FilteredSource
from loupe_tui.io.pyramid import Pyramid, default_cache_dir
from loupe_tui.io.source import TimeAxis
from loupe_tui.io.spectral import SpectralParams
from loupe_tui.io.spectral.cache import EmgLevel, Spectrogram, open_or_build
from loupe_tui.io.xarray_layout import other_dims, sort_order
from loupe_tui.io.xarray_source import XarraySource
from loupe_tui.spec_sources import describe_array, describe_time, open_array, open_time, save_array

SPEC_VERSION = 1
DEFAULT_OPTIONS: dict[str, Any] = {
    "label_overlays": {"visible": True, "alpha": LABEL_SHADING_ALPHA},
    "label_strip": {"visible": True},
    "hypnogram": {"visible": True, "zoom": False},
}


def build_spec(configs, *, labels_states_colors, videos=None, global_events=None, options=None,
               cache_dir, pyramid_cache=None, spectral=None, epoch_s=None) -> dict:
    """Describe the view for the GL window (JSON-able).

    Parameters
    ----------
    configs : list of TraceConfig, HeatmapConfig, RasterConfig, Zip
        Already validated, in top-to-bottom order.
    labels_states_colors : mapping or StateConfig
        ``{state: colour}`` in hypnogram order, or a
        :class:`~loupe_tui.core.states.StateConfig` (its states and colours).
    videos : list of VideoConfig, optional
    global_events : GlobalEventsConfig, optional
    options : dict, optional
        Initial view options ``{target: {option: value}}`` (see ``SetViewOption``).
    cache_dir : path
        Session cache: in-memory arrays, irregular time axes, markers and
        events are written here once (by content hash).
    pyramid_cache : path, optional
        Pyramid cache shared by both processes (default :func:`default_cache_dir`); the
        spectral estimates are cached in its ``spectral/`` folder.
    spectral : list of SpectrogramConfig, optional
        Spectral views (spectrogram, band powers, EMG level), drawn below the panels.
    epoch_s : float, optional
        The session's epoch (s); required with ``spectral`` (the estimates' step).

    Returns
    -------
    dict
        The spec (see the module docstring); send it as ``LoadSession(spec)``.
    """
    cache_dir = Path(cache_dir)
    panels: list[dict] = []
    spans: list[tuple[float, float]] = []
    for cfg in configs:
        if isinstance(cfg, TraceConfig):
            panels.append(_trace_panel(cfg, cache_dir))
            spans.append(_span(cfg.time_axis))
        elif isinstance(cfg, Zip):
            panels.append(_zip_panel(cfg, cache_dir))
            spans += [_span(c.time_axis) for c in cfg.configs]
        elif isinstance(cfg, HeatmapConfig):
            panels += [_heatmap_panel(p, cache_dir) for p in cfg.panels()]
            spans.append(_span(cfg.time_axis))
        elif isinstance(cfg, RasterConfig):
            for p in cfg.panels():
                panels.append(_raster_panel(p, cache_dir))
                if len(p.times):
                    spans.append((float(np.min(p.times)), float(np.max(p.times))))
        else:
            raise TypeError(f"build_spec: cannot show {type(cfg).__name__}")
    spans += [_span(cfg.source.time) for cfg in spectral or []]
    opts = {k: dict(v) for k, v in DEFAULT_OPTIONS.items()}
    for target, vals in (options or {}).items():
        opts.setdefault(target, {}).update(vals)
    return {
        "version": SPEC_VERSION,
        "pyramid_cache": str(pyramid_cache or default_cache_dir()),
        "span": [min(s[0] for s in spans), max(s[1] for s in spans)] if spans else [0.0, 1.0],
        "panels": panels,
        "states": [[name, list(rgba)] for name, rgba in _state_colors(labels_states_colors)],
        "videos": [_video(v) for v in (videos or [])],
        "events": _events(global_events, cache_dir) if global_events is not None else [],
        "spectral": _spectral(spectral or [], epoch_s, cache_dir),
        "options": opts,
    }


def _span(axis: TimeAxis) -> tuple[float, float]:
    first = axis.first
    return float(first), float(axis.t_end)


def _state_colors(arg) -> list[tuple[str, RGBA]]:
    if hasattr(arg, "states") and hasattr(arg, "colors"):
        colors = arg.colors
        return [(s, tuple(colors[s])) for s in arg.states if s in colors]
    return [(str(k), parse_color(v, where=f"state {k!r} colour")) for k, v in dict(arg).items()]


def _source(src: XarraySource, dims, order, cache_dir: Path) -> dict:
    return {"array": describe_array(src.data_array, cache_dir), "time": describe_time(src.time, cache_dir),
            "dims": list(dims), "order": [int(i) for i in order], "names": list(src.names),
            "fingerprint": src.fingerprint}


def _jsonable(values) -> list | None:
    if values is None:
        return None
    return [v.item() if isinstance(v, np.generic) else (v if isinstance(v, (int, float, str)) else str(v))
            for v in np.asarray(values).tolist()]


def _trace_panel(cfg: TraceConfig, cache_dir: Path) -> dict:
    step = int(cfg.step) if cfg.mode == "dense" else 1
    if step > 1:
        # A dense TraceConfig keeps only every step-th trace. The window is given them all
        # and applies ``step`` itself (an option the Dense dialog changes), so that a
        # smaller step can show traces the config left out and step is applied once.
        cfg = replace(cfg, step=1)
    dims, order = other_dims(cfg.data), cfg.trace_order()
    overlays = [{"source": _source(s, dims, order, cache_dir), "color": list(c)}
                for s, c in zip(cfg.overlay_sources(), cfg.overlay_rgba())]
    return {"kind": "dense" if cfg.mode == "dense" else "traces",
            "source": _source(cfg.source(), dims, order, cache_dir),
            "names": cfg.trace_names(), "colors": [list(c) for c in cfg.trace_colors()],
            "order_values": _jsonable(cfg.order_values()), "overlays": overlays,
            "markers": _markers(cfg, cache_dir), "gain": float(cfg.gain),
            "step": step, "traces_per_page": cfg.traces_per_page, "units": _units(cfg.data),
            "row_units": _row_units(cfg.data, order)}


def _units(da) -> str:
    """The data's unit (``attrs["units"]``, CF convention; also ``unit``), "" when unknown."""
    u = da.attrs.get("units", da.attrs.get("unit", ""))
    return u.strip() if isinstance(u, str) else ""


def _row_units(da, order) -> list[str] | None:
    """Each trace's unit when the data gives one per trace (a ``units`` coordinate along its one
    non-time dim, as EDF groups have: uV beside % beside mV), else None (the panel's ``units``)."""
    dims = other_dims(da)
    u = da.coords.get("units")
    if u is None or len(dims) != 1 or u.dims != (dims[0],):
        return None
    values = [str(v).strip() for v in np.asarray(u.values).tolist()]
    return [values[int(i)] for i in order]


def _markers(cfg: TraceConfig, cache_dir: Path) -> list[dict]:
    from loupe_tui.io.xarray_layout import trace_labels

    out = []
    labels = trace_labels(cfg.data, other_dims(cfg.data))
    names, order = cfg.trace_names(), cfg.trace_order()
    for m in cfg.sample_markers or []:
        if m.trace is None:
            row = None
        elif isinstance(m.trace, str) and m.trace in names:
            row = names.index(m.trace)
        else:
            flat = labels.index(m.trace) if isinstance(m.trace, str) else int(m.trace)
            row = order.index(flat)
        out.append({"samples": save_array(np.asarray(m.samples, np.int64), cache_dir), "row": row,
                    "color": list(m.rgba), "name": m.name or ""})
    return out


def _zip_panel(z: Zip, cache_dir: Path) -> dict:
    members = [{"source": _source(c.source(), other_dims(c.data), c.trace_order(), cache_dir), "color": list(rgba),
                "units": _units(c.data)}
               for c, rgba in zip(z.configs, z.config_colors())]
    rows = [{"title": f"{z.on}={_jsonable([key])[0]}", "members": [[int(ci), int(j)] for ci, j in pairs]}
            for key, pairs in z.groups()]
    return {"kind": "zip", "on": z.on, "members": members, "rows": rows}


def _heatmap_panel(p, cache_dir: Path) -> dict:
    da = p.source.data_array
    dims = other_dims(da)
    return {"kind": "heatmap", "source": _source(p.source, dims, _source_order(p.source, dims), cache_dir),
            "title": p.title, "cmap": p.cmap, "vmin": float(p.vmin), "vmax": float(p.vmax),
            "decim_method": p.decim_method}


def _source_order(src: XarraySource, dims) -> list[int]:
    # The source's row order is private to it; the names it exposes are in that
    # order, so recover the order from them.
    from loupe_tui.io.xarray_layout import trace_labels

    labels = trace_labels(src.data_array, dims)
    pos = {name: i for i, name in enumerate(labels)}
    if all(n in pos for n in src.names) and len(set(labels)) == len(labels):
        return [pos[n] for n in src.names]
    return sort_order(len(labels), None, False)


def _raster_panel(p, cache_dir: Path) -> dict:
    packed = np.concatenate([np.asarray(p.times, np.float64).view(np.uint8),
                             np.asarray(p.rows, np.int32).view(np.uint8),
                             np.asarray(p.colors, np.uint8).ravel()])
    return {"kind": "raster", "title": p.title, "n": int(len(p.times)), "data": save_array(packed, cache_dir),
            "row_labels": _jsonable(p.row_labels) or []}


def _video(v: VideoConfig) -> dict:
    return {"name": v.name, "video_paths": [str(p) for p in v.video_paths],
            "frame_times_paths": [str(p) for p in v.frame_times_paths],
            "correction": float(v.frame_times_correction), "max_frame_distance_s": v.max_frame_distance_s}


def _events(ev: GlobalEventsConfig, cache_dir: Path) -> list[dict]:
    return [{"cls": _jsonable([cls])[0] if cls is not None else None,
             "times": save_array(np.asarray(times, np.float64), cache_dir), "color": list(style.color),
             "line_style": style.line_style, "line_width": float(style.line_width)}
            for cls, style, times in ev.events()]


def _spectral(configs, epoch_s, cache_dir: Path) -> list[dict]:
    if configs and epoch_s is None:
        raise ValueError("build_spec: spectral views need the session's epoch_s")
    out = []
    for cfg in configs:
        src = cfg.source
        dims = other_dims(src.data_array)
        params = cfg.params(float(epoch_s))
        eeg, emg = cfg.channels
        out.append({"source": _source(src, dims, _source_order(src, dims), cache_dir),
                    "channel": eeg, "emg_channel": emg, "params": params.identity(),
                    "page_window_s": float(params.page_window_s), "emg_band": list(params.emg_band),
                    "epoch_s": float(epoch_s), "names": list(cfg.names), "cmap": cfg.cmap})
    return out


# ------------------------------------------------------------------ render side
@dataclass(eq=False)
class OpenSource:
    """One source of a panel, opened: its lazy reader and min/max pyramid."""

    source: XarraySource
    pyramid: Pyramid

    @property
    def names(self) -> list[str]:
        return self.source.names


@dataclass(eq=False)
class OpenSpectral:
    """A spectral entry of the spec, opened: the recording and its cached estimates."""

    spec: dict
    source: Any               # the XarraySource, or what the window reads it through
    spectrogram: Spectrogram | None
    emg: EmgLevel | None

    @property
    def eeg_name(self) -> str | None:
        return self.spec.get("names", [None, None])[0]

    @property
    def emg_name(self) -> str | None:
        return self.spec.get("names", [None, None])[1]


@dataclass(eq=False)
class OpenPanel:
    """A panel of the spec with its sources opened (``sources[0]`` is the main one)."""

    kind: str
    spec: dict
    sources: list[OpenSource] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    spectral: OpenSpectral | None = None    # the spectral panels' estimates


@dataclass(eq=False)
class OpenSession:
    """Everything the window draws from, opened from a spec by :func:`open_spec`."""

    panels: list[OpenPanel]
    states: list[tuple[str, RGBA]]
    span: tuple[float, float]
    events: list[dict]
    videos: list[dict]
    options: dict
    spectral: list[OpenSpectral] = field(default_factory=list)


def open_reader(desc: dict) -> XarraySource:
    """Open one SRC of a spec as a lazy reader (no pyramid)."""
    da = open_array(desc["array"])
    return XarraySource(da, open_time(desc["time"]), desc["dims"], order=desc["order"], names=desc["names"],
                        where=str(desc["array"].get("path")), fingerprint=desc.get("fingerprint"))


def open_source(desc: dict, pyramid_cache: str | Path, progress: Callable | None = None) -> OpenSource:
    """Open one SRC of a spec: the array (lazy), its time axis and its pyramid (built if missing)."""
    src = open_reader(desc)
    return OpenSource(src, Pyramid.open_or_build(src, pyramid_cache, progress=progress))


def filter_source(source, names, chains: Mapping[str, FilterChain]) -> FilteredSource | None:
    """The filtered source whose pyramid draws long windows of filtered traces (display filters).

    One per panel source: every trace of ``source`` (named ``names``, in its channel order) that
    has a chain in ``chains`` (trace name -> chain) reads filtered; None when none has. The app
    builds ``Pyramid.open_or_build(filter_source(...), cache)`` and the window opens the same one:
    both make it here, so the fingerprints match.
    """
    picked = {i: chains[n] for i, n in enumerate(names) if n in chains}
    return FilteredSource(source, picked) if picked else None


def spectral_params(entry: Mapping) -> SpectralParams:
    """The :class:`SpectralParams` a spectral entry of the spec was built with (same cache key)."""
    ident = dict(entry["params"])
    ident["bands"] = {k: tuple(v) for k, v in ident["bands"].items()}
    return SpectralParams(**ident, page_window_s=entry.get("page_window_s"),
                          emg_band=tuple(entry.get("emg_band", (20.0, 50.0))))


def open_spectral(entry: Mapping, pyramid_cache: str | Path, progress: Callable | None = None,
                  reader: Callable | None = None) -> OpenSpectral:
    """Open one spectral entry: its source (no pyramid: the views read the spectral cache) and the
    cached spectrogram and EMG level in ``<pyramid_cache>/spectral`` (built here if missing).

    ``reader(source)``, when given, is what the estimates read the samples through (a short
    window's spectrogram is computed from them): the GL window passes a chunk cache."""
    src = open_reader(entry["source"])
    if reader is not None:
        src = reader(src)
    eeg, emg = (None if entry.get(k) is None else int(entry[k]) for k in ("channel", "emg_channel"))
    sg, level = open_or_build(src, eeg, emg, spectral_params(entry), float(entry["epoch_s"]), pyramid_cache,
                              progress)
    return OpenSpectral(dict(entry), src, sg, level)


def open_spec(spec: Mapping, progress: Callable | None = None, spectral_reader: Callable | None = None
              ) -> OpenSession:
    """Open every source of ``spec`` (render side).

    Parameters
    ----------
    spec : dict
        What :func:`build_spec` returned.
    progress : callable(fraction, message), optional
        Passed to pyramid and spectral builds (a missing cache is built here).
    spectral_reader : callable(source) -> source, optional
        What the spectral views read samples through (:func:`open_spectral`).
    """
    if spec.get("version") != SPEC_VERSION:
        raise ValueError(f"session spec version {spec.get('version')!r}, this window reads {SPEC_VERSION}")
    cache = spec.get("pyramid_cache") or default_cache_dir()
    panels = []
    for p in spec.get("panels", []):
        op = OpenPanel(p["kind"], dict(p))
        if p["kind"] in ("traces", "dense", "heatmap"):
            op.sources.append(open_source(p["source"], cache, progress))
            op.sources += [open_source(o["source"], cache, progress) for o in p.get("overlays", [])]
            op.arrays.update({f"marker{i}": np.load(m["samples"]) for i, m in enumerate(p.get("markers", []))})
        elif p["kind"] == "zip":
            op.sources += [open_source(m["source"], cache, progress) for m in p["members"]]
        elif p["kind"] == "raster":
            raw, n = np.load(p["data"]), int(p["n"])
            op.arrays.update(times=raw[: 8 * n].view(np.float64), rows=raw[8 * n: 12 * n].view(np.int32),
                             colors=raw[12 * n:].reshape(n, 4))
        panels.append(op)
    events = [dict(e, times=np.load(e["times"])) for e in spec.get("events", [])]
    states = [(str(s), tuple(int(x) for x in c)) for s, c in spec.get("states", [])]
    spectral = [open_spectral(e, cache, progress, spectral_reader) for e in spec.get("spectral", [])]
    return OpenSession(panels, states, tuple(spec.get("span", (0.0, 1.0))), events,
                       list(spec.get("videos", [])), dict(spec.get("options", {})), spectral)
