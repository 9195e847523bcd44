"""Interval-label files: read ``.csv``/``.htsv``/``.parquet``/``.txt``/``.edf``, write the first three.

==========  ====  =====  =====================================================
extension   read  write  schema
==========  ====  =====  =====================================================
.csv        yes   yes    Loupe's legacy ``start_s,end_s,label,note`` by default
.htsv/.tsv  yes   yes    header-bearing TSV; any :class:`IntervalLabelSchema`
.parquet    yes   yes    any :class:`IntervalLabelSchema`; dtypes kept
.txt        yes   no     Visbrain or epoch-per-line hypnogram (read-only)
.edf/.bdf   yes   no     sleep stages in EDF+/BDF+ annotations (read-only;
                         ``labels convert`` exports EDF+: :mod:`.edf_export`)
==========  ====  =====  =====================================================

The read-only formats (:data:`READ_ONLY`) are sources: a save goes to a
``.scored.csv`` sibling (:func:`loupe_tui.core.labels.files.sibling_path`).

When only some columns are named, :func:`schema_for_file` guesses the others
from the header (``onset, duration, description`` in any case).

Every problem a user can cause raises a one-line
:class:`~loupe_tui.errors.LabelFileError` naming the file (and line or row);
polars/pyarrow exceptions never escape. Writes are atomic
(:func:`loupe_tui.core.fsutil.atomic_write_bytes`): a temp file in the same
directory, fsync, rename, fsync of the directory.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import polars as pl

from loupe_tui.core.fsutil import atomic_write_bytes
from loupe_tui.core.labels.edf_annotations import EdfAnnotations, read_edf_annotations, read_edf_annotations_file
from loupe_tui.core.labels.edf_stages import EdfStageOptions, stage_intervals
from loupe_tui.core.labels.frame import LabelTable, Where, table_from_frame
from loupe_tui.core.labels.hypnogram_txt import HypnogramOptions, read_hypnogram_text
from loupe_tui.core.labels.schema import LEGACY_SCHEMA, IntervalLabelSchema
from loupe_tui.errors import LabelFileError, LoupeConfigError, join_names

FORMATS = {".csv": "csv", ".htsv": "htsv", ".tsv": "htsv", ".parquet": "parquet", ".txt": "txt",
           ".edf": "edf", ".bdf": "edf"}
WRITABLE = ("csv", "htsv", "parquet")
#: Formats read as sources only: saves go to a ``.scored.csv`` sibling, never into them.
READ_ONLY = ("txt", "edf")


def format_of(path: str | Path, *, writing: bool = False) -> str:
    """The format of ``path`` by extension; LabelFileError if unknown (or not writable)."""
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise LabelFileError(f"{p}: unknown labels format {p.suffix or '(no extension)'!r} "
                             f"(known: {', '.join(FORMATS)})")
    if writing and fmt == "edf":
        raise LabelFileError(f"{p}: labels are never saved into an EDF/BDF file (a recording, read-only); "
                             "save as .csv, .htsv or .parquet, or export EDF+ annotations with "
                             "'loupe-tui labels convert LABELS OUT.edf'")
    if writing and fmt not in WRITABLE:
        raise LabelFileError(f"{p}: cannot write .txt hypnograms (read-only: they cannot hold notes "
                             "or extra columns); save as .csv, .htsv or .parquet")
    return fmt


def read_file_bytes(path: Path) -> tuple[bytes, os.stat_result]:
    """Content and stat of ``path``, read from one open file (so they agree)."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            return f.read(), st
    except FileNotFoundError:
        raise LabelFileError(f"{path}: no such labels file") from None
    except IsADirectoryError:
        raise LabelFileError(f"{path}: is a directory, not a labels file") from None
    except OSError as exc:
        raise LabelFileError(f"{path}: cannot read ({exc.strerror})") from None


def read_labels(path: str | Path, schema: IntervalLabelSchema | None = None,
                hypnogram: HypnogramOptions | None = None) -> LabelTable:
    """Read and validate a labels file.

    Parameters
    ----------
    path : the file; its extension picks the format
    schema : column names; None means the legacy schema (also for htsv/parquet)
    hypnogram : options for ``.txt`` files (:class:`HypnogramOptions`: kind, epoch length, stage
        mapping) or for ``.edf``/``.bdf`` files (:class:`EdfStageOptions`: stage names and map)

    An EDF/BDF file is memory-mapped and only its annotation bytes are read.
    """
    p = Path(path)
    if format_of(p) == "edf":
        return edf_table(read_edf_annotations_file(p), p, hypnogram)
    data, _ = read_file_bytes(p)
    return parse_labels(data, p, schema, hypnogram)


def parse_labels(data: bytes, path: Path, schema: IntervalLabelSchema | None = None,
                 hypnogram: HypnogramOptions | EdfStageOptions | None = None) -> LabelTable:
    """Like :func:`read_labels` for content already read (``path`` names it in messages)."""
    fmt = format_of(path)
    if fmt == "edf":
        return edf_table(read_edf_annotations(data, str(path)), path, hypnogram)
    if fmt == "parquet":
        return _parquet(data, path, schema or LEGACY_SCHEMA)
    text = _decode(data, path)
    if fmt == "txt":
        starts, ends, labels, lines = read_hypnogram_text(text, str(path), hypnogram)
        df = pl.DataFrame({"start_s": starts, "end_s": ends, "label": labels},
                          schema={"start_s": pl.Float64, "end_s": pl.Float64, "label": pl.String})
        return table_from_frame(df, LEGACY_SCHEMA, Where(str(path), lines))
    return _delimited(text, path, schema or LEGACY_SCHEMA, "," if fmt == "csv" else "\t")


def edf_table(found: EdfAnnotations, path: Path, options: EdfStageOptions | None = None) -> LabelTable:
    """The sleep-stage labels of an EDF/BDF file's annotations, in the legacy columns; what was
    left out and any warnings are in the table's ``messages``, one line each naming the file."""
    if options is not None and not isinstance(options, EdfStageOptions):
        raise LoupeConfigError(f"{path}: an EDF/BDF file takes stage options (EdfStageOptions), "
                               f"not {type(options).__name__}")
    got = stage_intervals(found, str(path), options)
    df = pl.DataFrame({"start_s": got.starts, "end_s": got.ends, "label": got.labels},
                      schema={"start_s": pl.Float64, "end_s": pl.Float64, "label": pl.String})
    table = table_from_frame(df, LEGACY_SCHEMA, Where(str(path)))
    table.messages = [f"{path}: {found.kind}, {got.summary()}", *(f"{path}: {w}" for w in got.warnings)]
    return table


def _decode(data: bytes, path: Path) -> str:
    if b"\x00" in data[:65536] or data.startswith(b"PAR1"):
        raise LabelFileError(f"{path}: binary data, not a text labels file")
    if data.startswith(b"\xef\xbb\xbf"):   # Excel writes a UTF-8 BOM
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LabelFileError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                             "re-save the file as UTF-8") from None


def _delimited(text: str, path: Path, schema: IntervalLabelSchema, sep: str) -> LabelTable:
    lines = text.splitlines()
    nonblank = [k for k, ln in enumerate(lines, start=1) if ln.strip()]
    if not nonblank:
        raise LabelFileError(f"{path}: file is empty (expected a header line such as "
                             f"{schema.describe()})")
    header = [h.strip().strip('"') for h in lines[nonblank[0] - 1].split(sep)]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise LabelFileError(f"{path}:{nonblank[0]}: column {dupes[0]!r} appears twice in the header")
    try:
        df = pl.read_csv(io.BytesIO(text.encode("utf-8")), separator=sep, infer_schema=False,
                         skip_rows=nonblank[0] - 1)
    except Exception as exc:
        raise LabelFileError(f"{path}: cannot parse as {'CSV' if sep == ',' else 'TSV'} "
                             f"({_first_line(exc)})") from None
    # Blank lines come back as all-null rows: drop them, and map rows to lines.
    if df.width:
        df = df.filter(~pl.all_horizontal(pl.all().is_null()))
    data_lines = nonblank[1:]
    where = Where(str(path), data_lines if len(data_lines) == df.height else None)
    claimed = set(schema.role_columns().values())
    df = df.with_columns([_infer(df[c]) for c in df.columns if c not in claimed])
    return table_from_frame(df, schema, where)


def _infer(s: pl.Series) -> pl.Series:
    """Extra text columns become Int64/Float64 only when that writes back the very same text."""
    present = s.drop_nulls()
    if present.len() == 0:
        return s
    for dtype in (pl.Int64, pl.Float64):
        cast = s.cast(dtype, strict=False)
        if cast.null_count() == s.null_count() and (cast.drop_nulls().cast(pl.String) == present).all():
            return cast
    return s


def _parquet(data: bytes, path: Path, schema: IntervalLabelSchema) -> LabelTable:
    if not data:
        raise LabelFileError(f"{path}: file is empty (not a parquet file)")
    if not (data.startswith(b"PAR1") and data.endswith(b"PAR1")):
        raise LabelFileError(f"{path}: not a parquet file (no PAR1 magic bytes)")
    try:
        df = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:
        raise LabelFileError(f"{path}: cannot read parquet ({_first_line(exc)})") from None
    return table_from_frame(df, schema, Where(str(path)))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


# -- which column is which: guessed from the header -------------------------------------
#: Column names (lower case, units and separators stripped: ``Onset (s)`` -> ``onset``)
#: that say a column's role. Names that other tools write: MNE/BIDS ``onset, duration,
#: description/trial_type``, EDF+ ``onset, duration, annotation``, ``start, end, label``.
ROLE_NAMES: dict[str, frozenset[str]] = {
    "start": frozenset({"start", "start_time", "starttime", "begin", "onset", "tstart", "t_start"}),
    "end": frozenset({"end", "end_time", "endtime", "stop", "stop_time", "offset", "tend", "t_end"}),
    "duration": frozenset({"duration", "dur", "length"}),
    "label": frozenset({"label", "state", "stage", "sleep_stage", "description", "annotation", "trial_type",
                        "score", "class"}),
    "note": frozenset({"note", "notes", "comment", "comments"}),
}
_ROLE_FIELD = {"start": "start_col", "end": "end_col", "duration": "duration_col", "label": "label_col",
               "note": "note_col"}
_UNITS = re.compile(r"(?:[ _]?[(\[](?:s|sec|secs|seconds)[)\]]|_(?:s|sec|secs|seconds))$")


def role_of(column: str) -> str | None:
    """The role a column name says it has (``"Onset (s)"`` -> ``"start"``), or None."""
    key = _UNITS.sub("", column.strip().lower().replace("-", "_").replace(" ", "_")).strip("_")
    return next((role for role, names in ROLE_NAMES.items() if key in names), None)


def header_columns(path: str | Path) -> list[str] | None:
    """The column names of a ``.csv``/``.htsv``/``.parquet`` labels file, or None when it
    has none (a ``.txt`` hypnogram, an EDF) or cannot be read (its reader says why)."""
    p = Path(path)
    try:
        fmt = format_of(p)
        if fmt == "parquet":
            return list(pl.read_parquet_schema(p))
        if fmt in READ_ONLY:
            return None
        with open(p, "rb") as f:
            head = f.read(65536)
    except Exception:
        return None
    if b"\x00" in head:
        return None
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    line = next((ln for ln in text.splitlines() if ln.strip()), None)
    if line is None:
        return None
    return [h.strip().strip('"') for h in line.split("," if fmt == "csv" else "\t")]


def schema_for_file(path: str | Path, given: dict | None = None,
                    flags: dict[str, str] | None = None) -> IntervalLabelSchema | None:
    """The schema to read ``path`` with when only some columns (``given``) were named.

    The named columns on top of the legacy ``start_s,end_s,label,note`` when
    the file has those; otherwise every role not given is guessed from the
    header (:data:`ROLE_NAMES`, any case): start and label must each be one
    column, end and/or duration at least one, a note at most one. Other
    columns are carried along as extras. Returns None (the legacy schema)
    when nothing was given and the file has the legacy columns, or has no
    header to read (the reader then says what is wrong).

    Parameters
    ----------
    given : ``{field: column or None}`` of :class:`IntervalLabelSchema` fields the user named
    flags : ``{role: how to name it}`` for messages (``{"label": "--label-col NAME"}``);
        default the schema's field names

    Raises
    ------
    LabelFileError
        A role is ambiguous (``stage`` and ``state``) or missing; the one line
        lists the columns and how to name the right one.
    """
    given = dict(given or {})
    base = IntervalLabelSchema(**given) if given else None
    cols = header_columns(path)
    if cols is None or _fits(base or LEGACY_SCHEMA, cols):
        return base
    fixed = {role: given[f] for role, f in _ROLE_FIELD.items() if f in given}
    free = [c for c in cols if c not in fixed.values() and c not in given.get("extra_cols", ())]
    found: dict[str, list[str]] = {role: [] for role in _ROLE_FIELD if role not in fixed}
    for c in free:
        role = role_of(c)
        if role in found:
            found[role].append(c)

    def how(role: str) -> str:
        return (flags or {}).get(role) or f"{_ROLE_FIELD[role]}="

    listed = join_names(cols)
    for role, cands in found.items():
        if len(cands) > 1:
            raise LabelFileError(f"{path}: cannot tell which column is the {role}: "
                                 f"{' or '.join(repr(c) for c in cands)} (columns: {listed}); "
                                 f"name it with {how(role)}")
    for role in ("start", "label"):
        if role in found and not found[role]:
            legacy = getattr(LEGACY_SCHEMA, _ROLE_FIELD[role])
            raise LabelFileError(f"{path}: no {role} column: no {legacy!r} and no other name that says it "
                                 f"(columns: {listed}); name it with {how(role)}")
    roles = {**fixed, **{r: c[0] if c else None for r, c in found.items()}}
    if roles.get("end") is None and roles.get("duration") is None:
        raise LabelFileError(f"{path}: no end or duration column: no {LEGACY_SCHEMA.end_col!r} and no other "
                             f"name that says it (columns: {listed}); name one with {how('end')} or "
                             f"{how('duration')}")
    kw = {_ROLE_FIELD[r]: c for r, c in roles.items()}
    if "extra_cols" in given:
        kw["extra_cols"] = given["extra_cols"]
    return IntervalLabelSchema(**kw)


def _fits(schema: IntervalLabelSchema, cols: list[str]) -> bool:
    need_time = [c for c in (schema.end_col, schema.duration_col) if c]
    return (schema.start_col in cols and schema.label_col in cols and any(c in cols for c in need_time)
            and all(c in cols for c in schema.extra_cols))


def encode_labels(frame: pl.DataFrame, fmt: str) -> bytes:
    """Serialise a frame in a writable format (``csv``, ``htsv``, ``parquet``)."""
    if fmt == "parquet":
        buf = io.BytesIO()
        frame.write_parquet(buf)
        return buf.getvalue()
    if fmt in ("csv", "htsv"):
        return frame.write_csv(separator="," if fmt == "csv" else "\t").encode("utf-8")
    raise LabelFileError(f"cannot write labels as {fmt!r} (writable: {', '.join(WRITABLE)})")


def write_labels(path: str | Path, frame: pl.DataFrame) -> None:
    """Write ``frame`` atomically in the format of ``path``'s extension (refuses ``.txt`` and ``.edf``)."""
    p = Path(path)
    atomic_write_bytes(p, encode_labels(frame, format_of(p, writing=True)), error=LabelFileError)
