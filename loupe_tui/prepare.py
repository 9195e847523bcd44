"""Prepare a cohort: pyramids, spectral caches, suggestions and time axes of many recordings, as Dask tasks.

``loupe_tui.prepare(recordings, client=...)`` (and ``loupe-tui prepare``) builds, for each
recording, what ``open`` would otherwise build on a scorer's machine, and publishes it to
the recording's shared cache (``<recording>.loupe/`` beside it, or ``cache_url``), where
every scorer's ``open`` finds it (:mod:`loupe_tui.io.remote.shared`). The per-recording
work is the code ``open`` runs: :func:`~loupe_tui.io.pyramid.build_pyramid` and
:meth:`~loupe_tui.config.SpectrogramConfig.open`, into a scratch folder, then copied out
as chunked zarr. Heatmaps (``heatmaps``) get their min/max and mean pyramids the same way;
suggestions (``suggest``) are made and published by :mod:`loupe_tui.prepare_suggest`.
Nothing is written into a recording.

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
from loupe_tui.prepare_sources import heatmap_sources, recording_configs, spectral_config, wanted_spectral

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
    heatmaps : tuple of str
        ``GROUP[:VARIABLE]`` of the stores shown as heatmaps (``open --heatmap``): their
        min/max and mean pyramids; ``heatmap_split``, ``heatmap_order`` as ``open``'s.
    suggest : str or None
        Also make suggestions: ``"classifier"`` (trained on ``train_on``) or ``"yasa"``
        (YASA's pretrained staging of ``spectrogram``, ``eog`` and ``emg``; 30 s epochs).
    train_on : tuple
        Scored recordings of the lab: ``"REC:LABELS"`` or ``(REC, LABELS)`` each.
    states : tuple of str or None
        The states to suggest (default: those the ``train_on`` labels use, less artifacts).
    eog : str or None
        YASA's EOG channel.
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
    heatmaps: tuple[str, ...] = ()
    heatmap_split: str | None = None
    heatmap_order: str | None = None
    suggest: str | None = None
    train_on: tuple = ()
    states: tuple[str, ...] | None = None
    eog: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What happened to one recording: ``status`` is ``prepared``, ``current`` or ``failed``;
    ``built`` names what was built and published; ``suggestions`` what became of them
    (``current``, ``classifier 1,350 epochs``, ``failed``; empty when not asked); ``error`` is
    the failure's one line."""

    recording: str
    status: str
    seconds: float
    built: tuple[str, ...] = ()
    error: str = ""
    suggestions: str = ""


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
        rows = [("recording", "status", "time", "built", "suggestions")]
        rows += [(o.recording, o.status, f"{o.seconds:.1f} s", ", ".join(o.built) or "-", o.suggestions or "-")
                 for o in self.outcomes]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
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
    training = _training(opts)
    outcomes: dict[int, Outcome] = {}

    def done(i: int, outcome: Outcome) -> None:
        outcomes[i] = outcome
        if progress is not None:
            progress(len(outcomes), len(recordings), outcome)

    if client is None and scheduler is None and workers == 0:
        for i, rec in enumerate(recordings):
            done(i, prepare_recording(rec, opts, training))
        return PrepareReport([outcomes[i] for i in range(len(recordings))], time.perf_counter() - t0, 1)
    client, owned = _client(client, scheduler, workers, len(recordings))
    try:
        n_workers = max(1, len(client.nthreads()))
        _run_on(client, recordings, opts, training, done)
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


def _training(opts: PrepareOptions):
    """Check the suggestion options; for the classifier, read the scored recordings (here, once)."""
    from loupe_tui.prepare_suggest import METHODS, YASA, parse_train_on, training_set

    if opts.suggest is None:
        for name in ("train_on", "states", "eog"):
            if getattr(opts, name):
                raise LoupeConfigError(f"--{name.replace('_', '-')}: only with --suggest")
        return None
    if opts.suggest not in METHODS:
        raise LoupeConfigError(f"--suggest-method: {opts.suggest!r}: choose {' or '.join(METHODS)}")
    if opts.suggest == YASA:
        if opts.train_on or opts.states:
            raise LoupeConfigError("--train-on/--states: not used by --suggest-method yasa (YASA's classifiers are "
                                   "pretrained: nothing is trained)")
        if not opts.spectrogram:
            raise LoupeConfigError("--suggest-method yasa: name the EEG channel (--spectrogram CHANNEL)")
        if abs(opts.epoch_s - 30.0) > 1e-9:
            raise LoupeConfigError(f"--epoch {opts.epoch_s:g}: --suggest-method yasa stages 30 s epochs only")
        return None
    if opts.eog:
        raise LoupeConfigError("--eog: only --suggest-method yasa uses an EOG channel")
    if not (opts.spectrogram or opts.emg):
        raise LoupeConfigError("--suggest: name the EEG channel (--spectrogram CHANNEL), the EMG channel "
                               "(--emg CHANNEL) or both: the classifier's features are their spectral estimates")
    scored = []
    for spec in opts.train_on:
        rec, labels = parse_train_on(spec)
        configs, _ = recording_configs(rec, group=opts.group, variable=opts.variable,
                                       storage_options=opts.storage_options, channels=opts.channels,
                                       derive=opts.derive)
        scored.append((f"{rec}:{labels}", spectral_config(configs, opts), labels))
    return training_set(scored, opts.epoch_s, opts.states)


def _run_on(client, recordings: list[str], opts: PrepareOptions, training,
            done: Callable[[int, Outcome], None]) -> None:
    from distributed import as_completed

    if training is not None:       # sent to each worker once, not with every task
        training = client.scatter(training, broadcast=True, hash=False)
    futures = client.map(prepare_recording, recordings, opts=opts, training=training, pure=False, retries=0,
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
def prepare_recording(recording: str, opts: PrepareOptions | None = None, training=None) -> Outcome:
    """Prepare one recording (the Dask task): build and publish what its shared cache lacks.

    ``training``: the classifier's :class:`~loupe_tui.prepare_suggest.TrainingSet` when
    ``opts.suggest`` is ``"classifier"``. Never raises: a failure is an :class:`Outcome` with
    ``status="failed"`` and a one-line ``error`` naming the recording. When only the
    suggestions fail (no ``yasa`` extra on the worker), what was built is still published and
    listed.
    """
    opts = opts or PrepareOptions()
    t0 = time.perf_counter()
    scratch = None
    try:
        scratch = Path(tempfile.mkdtemp(prefix="loupe-prepare-", dir=opts.scratch))
        built, suggested, problem = _prepare(recording, opts, scratch, training)
        if problem:
            return Outcome(recording, FAILED, time.perf_counter() - t0, tuple(built), f"{recording}: {problem}",
                           "failed")
        status = PREPARED if built or suggested not in ("", "current") else CURRENT
        return Outcome(recording, status, time.perf_counter() - t0, tuple(built), suggestions=suggested)
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


def _prepare(recording: str, opts: PrepareOptions, scratch: Path, training) -> tuple[list[str], str, str]:
    """``(built, suggestions, problem)``: what was published, what became of the suggestions, and
    why they failed ("" when they did not). Anything else that fails raises."""
    from loupe_tui.io.remote import time_memo

    configs, _ = recording_configs(recording, group=opts.group, variable=opts.variable,
                                   storage_options=opts.storage_options, channels=opts.channels, derive=opts.derive)
    root = target_root(recording, opts)
    built: list[str] = []
    for cfg in configs:
        src = cfg.source()
        memo = time_memo.remote_key(src.data_array)
        if memo is not None:
            time_memo.publish(root, memo, src.time)
        if _publish_pyramids(recording, src, root, scratch, mean=False):
            built.append(f"pyramid {src.n_channels} ch" + (f" ({cfg.data.name})" if len(configs) > 1 else ""))
    for spec, sources in heatmap_sources(recording, opts):
        if any([_publish_pyramids(recording, src, root, scratch, mean=True) for src in sources]):   # every panel
            built.append(f"heatmap {spec}" + (f" ({len(sources)} panels)" if len(sources) > 1 else ""))
    if not (opts.spectrogram or opts.emg):
        return built, "", ""
    cfg = spectral_config(configs, opts)
    wanted = wanted_spectral(cfg, opts)
    built += _prepare_spectral(cfg, wanted, opts, root, scratch)
    if opts.suggest is None:
        return built, "", ""
    from loupe_tui.prepare_suggest import suggest_recording

    try:
        done = suggest_recording(configs, cfg, (wanted.get("spectrogram"), wanted.get("emg")), opts.suggest,
                                 opts.epoch_s, training, root, scratch, (opts.spectrogram, opts.eog, opts.emg))
    except LoupeError as exc:
        return built, "failed", f"suggestions: {one_line(exc)}"
    except Exception as exc:        # a broken extra (YASA, its models): one line, the rest is published
        return built, "failed", f"suggestions: {type(exc).__name__}: {one_line(exc)}"
    return built, done, ""


def _publish_pyramids(recording: str, src, root, scratch: Path, mean: bool) -> bool:
    """Build and publish the min/max pyramid of ``src`` (and, ``mean``, its mean pyramid) unless
    current there; whether anything was."""
    from loupe_tui.io.mean_pyramid import MeanPyramid, mean_cache_key, shared_mean_meta
    from loupe_tui.io.pyramid import Pyramid, build_pyramid, cache_key, shared_meta
    from loupe_tui.io.remote.shared_pyramid import is_current, publish_mean_pyramid, publish_pyramid

    fingerprint = src.content_fingerprint
    if fingerprint is None:
        raise DataFileError(f"{recording}: no stored content to key a shared cache by")
    did = False
    if not is_current(root, cache_key(fingerprint), shared_meta(src, fingerprint)):
        pyr = Pyramid.open(src, scratch, shared=False) or build_pyramid(src, scratch, durable=False)
        publish_pyramid(pyr.path, root, cache_key(fingerprint), {"fingerprint": fingerprint})
        did = True
    if mean and not is_current(root, mean_cache_key(fingerprint), shared_mean_meta(src, fingerprint)):
        means = MeanPyramid.open(src, scratch, shared=False) or MeanPyramid.build(src, scratch)
        publish_mean_pyramid(means.path, root, mean_cache_key(fingerprint), {"fingerprint": fingerprint})
        did = True
    return did


def _prepare_spectral(cfg, wanted: dict, opts: PrepareOptions, root, scratch: Path) -> list[str]:
    from loupe_tui.io.remote.shared_spectral import is_published, publish_spectral

    key = cfg.source.content_fingerprint
    if all(is_published(root, key, w) for w in wanted.values()):
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


class _CallableModule(types.ModuleType):
    """``loupe_tui.prepare`` names both this module and its function: once the module is imported,
    the package's attribute is the module (Python's import system sets it), so calling the
    module calls :func:`prepare`."""

    def __call__(self, *args, **kwargs) -> PrepareReport:
        return prepare(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
