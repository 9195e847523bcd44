"""Prepare a cohort: pyramids, spectral caches and time axes of many recordings, as Dask tasks.

``loupe_tui.prepare(recordings, client=...)`` (and ``loupe-tui prepare``) builds, for each
recording, what ``open`` would otherwise build on a scorer's machine, and publishes it to
the recording's shared cache (``<recording>.loupe/`` beside it, or ``cache_url``), where
every scorer's ``open`` finds it (:mod:`loupe_tui.io.remote.shared`). The per-recording
work is the code ``open`` runs: :func:`~loupe_tui.io.pyramid.build_pyramid` and
:meth:`~loupe_tui.config.SpectrogramConfig.open`, into a scratch folder, then copied out
as chunked zarr. Nothing is written into a recording.

One recording is one task (:func:`prepare_recording`), run on a ``distributed.LocalCluster``
of this machine by default, or on any Dask cluster (``client=``, ``scheduler=``). A task
never raises: a recording that fails (a bad file, no permission) comes back as a failed
:class:`Outcome` with its one-line error, and the others go on. A recording whose shared
entries are current (same content fingerprint, same format) is skipped after reading a
listing and a few metadata objects, so running ``prepare`` again is quick.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import sys
import tempfile
import time
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from loupe_tui.errors import DataFileError, LoupeConfigError, LoupeError, one_line

#: Status of a recording after :func:`prepare`.
PREPARED, CURRENT, FAILED = "prepared", "current", "failed"


@dataclass(frozen=True)
class PrepareOptions:
    """What to prepare and where; the same for every recording of a run.

    Attributes
    ----------
    cache_url : str or None
        Publish under this root (a URL or a path) instead of beside each recording
        (``open`` finds it through ``$LOUPE_TUI_SHARED_CACHE``).
    storage_options : mapping
        fsspec options for the recordings' URLs and the cache URL.
    group, variable : str or None
        The traces of a zarr/netCDF store, as ``open --group/--variable``.
    channels, derive : tuple of str
        EDF/BDF signals, as ``open --channels/--derive``.
    spectrogram, emg : str or None
        Build the spectrogram (and band powers) of this channel, the EMG level of that
        one, as ``open --spectrogram/--emg``; None: no spectral cache.
    epoch_s : float
        The scoring epoch: the spectral estimates' step (``open --epoch``; 4 s by default).
    spectral_method : str or None
        ``"multitaper"`` (default) or ``"welch"``.
    scratch : str or None
        Folder a task builds in before publishing (default: the system's temp folder).
    """

    cache_url: str | None = None
    storage_options: Mapping = field(default_factory=dict)
    group: str | None = None
    variable: str | None = None
    channels: tuple[str, ...] = ()
    derive: tuple[str, ...] = ()
    spectrogram: str | None = None
    emg: str | None = None
    epoch_s: float = 4.0
    spectral_method: str | None = None
    scratch: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one recording: ``status`` is ``prepared``, ``current`` or ``failed``;
    ``built`` names what was built and published; ``error`` is the failure's one line."""

    recording: str
    status: str
    seconds: float
    built: tuple[str, ...] = ()
    error: str = ""


@dataclass
class PrepareReport:
    """Every recording's :class:`Outcome`, in the order given, and the run's wall time."""

    outcomes: list[Outcome]
    seconds: float
    workers: int

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def table(self) -> str:
        """The summary table: one row per recording, then the totals."""
        rows = [("recording", "status", "time", "built")]
        rows += [(o.recording, o.status, f"{o.seconds:.1f} s", ", ".join(o.built) or "-") for o in self.outcomes]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append(f"{self.count(PREPARED)} prepared, {self.count(CURRENT)} already current, "
                     f"{self.count(FAILED)} failed, in {self.seconds:.1f} s on {self.workers} worker"
                     f"{'s' if self.workers != 1 else ''}")
        return "\n".join(lines)


Progress = Callable[[int, int, Outcome], None]


def prepare(recordings: Sequence[str], client=None, *, workers: int | None = None, scheduler: str | None = None,
            progress: Progress | None = None, **options) -> PrepareReport:
    """Prepare ``recordings`` (paths or URLs) for scoring: one Dask task per recording.

    Parameters
    ----------
    recordings : sequence of str
        Zarr stores, netCDF files, EDF/BDF files; local paths or fsspec URLs.
    client : distributed.Client, optional
        Run on this client's cluster (any Dask deployment: dask-jobqueue, Kubernetes ...).
    workers : int, optional
        Without ``client`` or ``scheduler``: the ``LocalCluster``'s worker processes
        (default: one per core, at most one per recording). ``0`` runs every task in this
        process, one after another, without Dask.
    scheduler : str, optional
        The address of a running Dask scheduler (``tcp://host:8786``) to connect to.
    progress : callable(done, total, outcome), optional
        Called as each recording finishes, in the order they finish.
    **options
        The fields of :class:`PrepareOptions` (``cache_url``, ``storage_options``,
        ``spectrogram``, ``emg``, ``epoch_s`` ...).

    Returns
    -------
    PrepareReport
        Never raises for a recording that fails: see ``report.failed``.
    """
    opts = PrepareOptions(**options)
    recordings = [str(r) for r in recordings]
    if not recordings:
        raise LoupeConfigError("prepare: no recordings given")
    t0 = time.perf_counter()
    outcomes: dict[int, Outcome] = {}

    def done(i: int, outcome: Outcome) -> None:
        outcomes[i] = outcome
        if progress is not None:
            progress(len(outcomes), len(recordings), outcome)

    if client is None and scheduler is None and workers == 0:
        for i, rec in enumerate(recordings):
            done(i, prepare_recording(rec, opts))
        return PrepareReport([outcomes[i] for i in range(len(recordings))], time.perf_counter() - t0, 1)
    client, owned = _client(client, scheduler, workers, len(recordings))
    try:
        n_workers = max(1, len(client.nthreads()))
        _run_on(client, recordings, opts, done)
    finally:
        for thing in owned:
            thing.close()
    return PrepareReport([outcomes[i] for i in range(len(recordings))], time.perf_counter() - t0, n_workers)


def _client(client, scheduler: str | None, workers: int | None, n_tasks: int):
    """The client to run on, and what this call started (to close when done)."""
    if client is not None:
        return client, []
    if importlib.util.find_spec("distributed") is None:
        raise LoupeConfigError("prepare: running on Dask needs distributed (pip install 'loupe-tui[cohort]'), "
                               "or workers=0 (--workers 0) to prepare in this process")
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            c = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise LoupeConfigError(f"--scheduler {scheduler}: cannot connect ({one_line(exc)})") from None
        return c, [c]
    n = workers or max(1, min(os.cpu_count() or 1, n_tasks))
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    c = Client(cluster)
    return c, [c, cluster]


def _run_on(client, recordings: list[str], opts: PrepareOptions, done: Callable[[int, Outcome], None]) -> None:
    from distributed import as_completed

    futures = client.map(prepare_recording, recordings, opts=opts, pure=False, retries=0,
                         key=[f"loupe-prepare-{i}-{time.time_ns()}" for i in range(len(recordings))])
    index = {f.key: i for i, f in enumerate(futures)}
    for fut in as_completed(futures):
        i = index[fut.key]
        try:
            outcome = fut.result()
        except Exception as exc:        # the task's worker died (out of memory, killed): still one line
            outcome = Outcome(recordings[i], FAILED, 0.0, error=f"{recordings[i]}: the worker was lost "
                                                                f"({type(exc).__name__}: {one_line(exc)})")
        done(i, outcome)
        fut.release()


# ------------------------------------------------------------------ one recording (a Dask task)
def prepare_recording(recording: str, opts: PrepareOptions | None = None) -> Outcome:
    """Prepare one recording (the Dask task): build and publish what its shared cache lacks.

    Never raises: a failure is an :class:`Outcome` with ``status="failed"`` and a one-line
    ``error`` naming the recording.
    """
    opts = opts or PrepareOptions()
    t0 = time.perf_counter()
    scratch = None
    try:
        scratch = Path(tempfile.mkdtemp(prefix="loupe-prepare-", dir=opts.scratch))
        built = _prepare(recording, opts, scratch)
        status = PREPARED if built else CURRENT
        return Outcome(recording, status, time.perf_counter() - t0, tuple(built))
    except LoupeError as exc:
        msg = one_line(exc)
        msg = msg if recording in msg else f"{recording}: {msg}"
        return Outcome(recording, FAILED, time.perf_counter() - t0, error=msg)
    except Exception as exc:            # anything else a file can make a library raise: still one line
        return Outcome(recording, FAILED, time.perf_counter() - t0,
                       error=f"{recording}: {type(exc).__name__}: {one_line(exc)}")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _prepare(recording: str, opts: PrepareOptions, scratch: Path) -> list[str]:
    from loupe_tui.io.pyramid import Pyramid, build_pyramid, cache_key, shared_meta
    from loupe_tui.io.remote import time_memo
    from loupe_tui.io.remote.shared_pyramid import is_current, publish_pyramid

    configs, _ = recording_configs(recording, group=opts.group, variable=opts.variable,
                                   storage_options=opts.storage_options, channels=opts.channels, derive=opts.derive)
    root = target_root(recording, opts)
    built: list[str] = []
    for cfg in configs:
        src = cfg.source()
        fingerprint = src.content_fingerprint
        if fingerprint is None:
            raise DataFileError(f"{recording}: no stored content to key a shared cache by")
        key = cache_key(fingerprint)
        memo = time_memo.remote_key(src.data_array)
        if memo is not None:
            time_memo.publish(root, memo, src.time)
        if is_current(root, key, shared_meta(src, fingerprint)):
            continue
        pyr = Pyramid.open(src, scratch, shared=False) or build_pyramid(src, scratch, durable=False)
        publish_pyramid(pyr.path, root, key, {"fingerprint": fingerprint})
        built.append(f"pyramid {src.n_channels} ch" + (f" ({cfg.data.name})" if len(configs) > 1 else ""))
    if opts.spectrogram or opts.emg:
        built += _prepare_spectral(configs, opts, root, scratch)
    return built


def _prepare_spectral(configs: list, opts: PrepareOptions, root, scratch: Path) -> list[str]:
    from loupe_tui.config_spectral import spectral_config_for
    from loupe_tui.io.remote.shared_spectral import is_published, publish_spectral
    from loupe_tui.io.spectral.cache import FORMAT_VERSION

    settings = {"method": opts.spectral_method} if opts.spectral_method else {}
    cfg = spectral_config_for(configs, opts.spectrogram, opts.emg, ("--spectrogram", "--emg"), **settings)
    params, (eeg, emg) = cfg.params(opts.epoch_s), cfg.channels
    wanted = []
    if eeg is not None:
        wanted.append({"format": FORMAT_VERSION, "kind": "spectrogram", "channel": eeg, "params": params.identity()})
    if emg is not None:
        wanted.append({"format": FORMAT_VERSION, "kind": "emg", "channel": emg, "epoch_s": float(opts.epoch_s),
                       "band": [float(b) for b in params.emg_band]})
    key = cfg.source.content_fingerprint
    if all(is_published(root, key, w) for w in wanted):
        return []
    views = cfg.open(opts.epoch_s, cache_dir=scratch)
    built = []
    if views.spectrogram is not None:
        publish_spectral(views.spectrogram.path, root, key)
        built.append(f"spectrogram {views.eeg_name}")
    if views.emg is not None:
        publish_spectral(views.emg.path, root, key)
        built.append(f"EMG level {views.emg_name}")
    return built


def target_root(recording: str, opts: PrepareOptions):
    """Where a recording's entries are published: ``opts.cache_url``, else beside it."""
    from loupe_tui.io.remote.shared import SharedRoot, beside
    from loupe_tui.io.remote.urls import is_url

    url = opts.cache_url or beside(recording)
    return SharedRoot(url, dict(opts.storage_options) if is_url(url) else {})


# ------------------------------------------------------------------ opening a recording
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


class _CallableModule(types.ModuleType):
    """``loupe_tui.prepare`` names both this module and its function: once the module is imported,
    the package's attribute is the module (Python's import system sets it), so calling the
    module calls :func:`prepare`."""

    def __call__(self, *args, **kwargs) -> PrepareReport:
        return prepare(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
