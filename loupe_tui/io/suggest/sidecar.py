"""Suggestions kept on disk beside the labels, never in them.

``night1.csv`` -> ``night1.suggestions.parquet`` (:func:`sidecar_path`): one
row per epoch, ``start_s``, ``end_s``, ``state`` (null where there is no
suggestion) and ``confidence``. The parquet file's metadata (key
``loupe-tui-suggestions``, JSON) says what the rows were computed from
(:class:`SidecarKey`): the recording's fingerprint, the epoch grid, the
features' identity (spectral cache entries and feature set), the content hash
of the per-epoch targets trained on, the states, the model and any other
recordings trained on. A sidecar whose key differs from the current one is
stale: :func:`suggestions_for` trains again and replaces it. The key is read
from the parquet footer alone, so checking costs well under a millisecond
of reading (no rows).

Writes are atomic (:func:`loupe_tui.core.fsutil.atomic_write_bytes`): a
crash leaves the old sidecar or the new one. Labels files are never written
here.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from loupe_tui.core.fsutil import atomic_write_bytes
from loupe_tui.errors import DataFileError
from loupe_tui.io.suggest.features import EpochFeatures
from loupe_tui.io.suggest.model import MODEL_KIND, Suggestions, train_and_predict
from loupe_tui.io.suggest.targets import EpochTargets

FORMAT_VERSION = 1
SUFFIX = ".suggestions.parquet"
META_KEY = b"loupe-tui-suggestions"


def sidecar_path(labels_path: str | Path) -> Path:
    """``night1.csv`` -> ``night1.suggestions.parquet`` beside it (from the labels file named
    when opening, not its ``.scored`` sibling, so the name stays put across saves)."""
    p = Path(labels_path)
    return p.with_name(p.stem + SUFFIX)


@dataclass(frozen=True)
class SidecarKey:
    """What a sidecar's suggestions were computed from; equal keys mean a fresh sidecar."""

    fingerprint: str
    features: str
    first: float
    step_s: float
    n_epochs: int
    labels_hash: str
    states: tuple[str, ...]
    model: str = MODEL_KIND
    extra: tuple[str, ...] = ()
    format: int = FORMAT_VERSION

    @classmethod
    def of(cls, features: EpochFeatures, targets: EpochTargets,
           extra: list[tuple[EpochFeatures, EpochTargets]] = ()) -> SidecarKey:
        return cls(features.fingerprint, features.identity, float(features.first), float(features.step_s),
                   int(features.n_epochs), targets.content_hash(), tuple(targets.states),
                   extra=tuple(f"{f.identity}:{t.content_hash()}" for f, t in extra))

    def to_json(self) -> dict:
        d = asdict(self)
        d["states"], d["extra"] = list(self.states), list(self.extra)
        return d

    @classmethod
    def from_json(cls, d: dict) -> SidecarKey:
        d = dict(d)
        d["states"], d["extra"] = tuple(d["states"]), tuple(d["extra"])
        return cls(**d)


def write_sidecar(path: str | Path, suggestions: Suggestions, key: SidecarKey) -> Path:
    """Write ``suggestions`` and their ``key`` to ``path`` atomically.

    Raises
    ------
    DataFileError
        The folder cannot be written (one line naming the file).
    """
    path = Path(path)
    atomic_write_bytes(path, sidecar_bytes(suggestions, key), error=DataFileError)
    return path


def sidecar_bytes(suggestions: Suggestions, key: SidecarKey) -> bytes:
    """The parquet file of ``suggestions`` and their ``key`` (what :func:`write_sidecar` writes;
    shared caches keep the same file: :mod:`loupe_tui.io.remote.shared_suggest`)."""
    starts = suggestions.first + np.arange(suggestions.n_epochs) * suggestions.step_s
    meta = {"key": key.to_json(), "n_train": suggestions.n_train, "train_counts": dict(suggestions.train_counts),
            "train_seconds": suggestions.train_seconds, "made_at": suggestions.made_at}
    table = pa.table({
        "start_s": pa.array(starts, pa.float64()),
        "end_s": pa.array(starts + suggestions.step_s, pa.float64()),
        "state": pa.DictionaryArray.from_arrays(
            pa.array(suggestions.codes, pa.int8(), mask=np.asarray(suggestions.codes) < 0),
            pa.array(suggestions.states, pa.string())),
        "confidence": pa.array(suggestions.confidence, pa.float32(), from_pandas=True),
    }).replace_schema_metadata({META_KEY: json.dumps(meta).encode()})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def read_key(path: str | Path) -> SidecarKey | None:
    """The key of the sidecar at ``path`` (its footer only), or None if missing, damaged or
    of another format."""
    meta = _meta(lambda: pq.read_schema(path).metadata)
    return None if meta is None else meta[0]


def read_sidecar(path) -> tuple[SidecarKey, Suggestions] | None:
    """The key and suggestions of the sidecar at ``path`` (or in a binary file object), or None
    if missing or unreadable."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException):
        return None
    found = _meta(lambda: table.schema.metadata)
    if found is None:
        return None
    key, meta = found
    try:
        state = table.column("state").combine_chunks()
        if isinstance(state, pa.DictionaryArray):
            state = state.dictionary_decode()
        names = state.to_pylist()
        lookup = {s: i for i, s in enumerate(key.states)}
        codes = np.array([lookup.get(s, -1) if s is not None else -1 for s in names], np.int8)
        confidence = table.column("confidence").to_numpy(zero_copy_only=False).astype(np.float32)
    except (KeyError, pa.ArrowException):
        return None
    if len(codes) != key.n_epochs:
        return None
    codes.flags.writeable = False
    confidence.flags.writeable = False
    return key, Suggestions(key.states, codes, confidence, key.first, key.step_s, int(meta["n_train"]),
                            MappingProxyType(dict(meta["train_counts"])), float(meta["train_seconds"]), float(meta["made_at"]),
                            key.labels_hash, key.model, from_sidecar=True)


def suggestions_for(features: EpochFeatures, targets: EpochTargets, sidecar: str | Path | None,
                    extra: list[tuple[EpochFeatures, EpochTargets]] = ()) -> tuple[Suggestions, str | None]:
    """The suggestions for these labels: read from a fresh ``sidecar``, else trained (and the
    sidecar written). ``Suggestions.from_sidecar`` says which.

    Returns
    -------
    (Suggestions, problem)
        ``problem`` is None, or one line saying why the sidecar could not be written (the
        suggestions are good; only keeping them for the next session failed).

    Raises
    ------
    NotEnoughLabels
        Training was needed and a state lacks scored epochs.
    """
    key = SidecarKey.of(features, targets, extra)
    if sidecar is not None and read_key(sidecar) == key:
        found = read_sidecar(sidecar)
        if found is not None and found[0] == key:
            return found[1], None
    made = train_and_predict(features, targets, extra)
    if sidecar is not None:
        try:
            write_sidecar(sidecar, made, key)
        except DataFileError as exc:
            return made, str(exc)
    return made, None


def _meta(get) -> tuple[SidecarKey, dict] | None:
    try:
        raw = (get() or {}).get(META_KEY)
        if raw is None:
            return None
        meta = json.loads(raw)
        key = SidecarKey.from_json(meta["key"])
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None
    return (key, meta) if key.format == FORMAT_VERSION else None


__all__ = ["SUFFIX", "SidecarKey", "read_key", "read_sidecar", "sidecar_bytes", "sidecar_path", "suggestions_for",
           "write_sidecar"]
