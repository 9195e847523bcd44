"""Interval-label files: read ``.csv``/``.htsv``/``.parquet``/``.txt``, write the first three.

==========  ====  =====  =====================================================
extension   read  write  schema
==========  ====  =====  =====================================================
.csv        yes   yes    Loupe's legacy ``start_s,end_s,label,note`` by default
.htsv/.tsv  yes   yes    header-bearing TSV; any :class:`IntervalLabelSchema`
.parquet    yes   yes    any :class:`IntervalLabelSchema`; dtypes kept
.txt        yes   no     Visbrain or epoch-per-line hypnogram (read-only)
==========  ====  =====  =====================================================

Every problem a user can cause raises a one-line
:class:`~loupe_tui.errors.LabelFileError` naming the file (and line or row);
polars/pyarrow exceptions never escape. Writes are atomic
(:func:`loupe_tui.core.fsutil.atomic_write_bytes`): a temp file in the same
directory, fsync, rename, fsync of the directory.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import polars as pl

from loupe_tui.core.fsutil import atomic_write_bytes
from loupe_tui.core.labels.frame import LabelTable, Where, table_from_frame
from loupe_tui.core.labels.hypnogram_txt import HypnogramOptions, read_hypnogram_text
from loupe_tui.core.labels.schema import LEGACY_SCHEMA, IntervalLabelSchema
from loupe_tui.errors import LabelFileError

FORMATS = {".csv": "csv", ".htsv": "htsv", ".tsv": "htsv", ".parquet": "parquet", ".txt": "txt"}
WRITABLE = ("csv", "htsv", "parquet")


def format_of(path: str | Path, *, writing: bool = False) -> str:
    """The format of ``path`` by extension; LabelFileError if unknown (or not writable)."""
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise LabelFileError(f"{p}: unknown labels format {p.suffix or '(no extension)'!r} "
                             f"(known: {', '.join(FORMATS)})")
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
    hypnogram : options for ``.txt`` files (kind, epoch length, stage mapping)
    """
    p = Path(path)
    data, _ = read_file_bytes(p)
    return parse_labels(data, p, schema, hypnogram)


def parse_labels(data: bytes, path: Path, schema: IntervalLabelSchema | None = None,
                 hypnogram: HypnogramOptions | None = None) -> LabelTable:
    """Like :func:`read_labels` for content already read (``path`` names it in messages)."""
    fmt = format_of(path)
    if fmt == "parquet":
        return _parquet(data, path, schema or LEGACY_SCHEMA)
    text = _decode(data, path)
    if fmt == "txt":
        starts, ends, labels, lines = read_hypnogram_text(text, str(path), hypnogram)
        df = pl.DataFrame({"start_s": starts, "end_s": ends, "label": labels},
                          schema={"start_s": pl.Float64, "end_s": pl.Float64, "label": pl.String})
        return table_from_frame(df, LEGACY_SCHEMA, Where(str(path), lines))
    return _delimited(text, path, schema or LEGACY_SCHEMA, "," if fmt == "csv" else "\t")


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
    """Write ``frame`` atomically in the format of ``path``'s extension (refuses ``.txt``)."""
    p = Path(path)
    atomic_write_bytes(p, encode_labels(frame, format_of(p, writing=True)), error=LabelFileError)
