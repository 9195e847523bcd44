"""``loupe-tui labels``: inspect, compare and convert interval-label files.

``labels info FILE`` summarises a file (intervals, states, time per state,
span, coverage, gaps, and the sleep statistics when the states are sleep
stages). ``labels compare A B [C ...]`` measures the agreement of two or more
scorings of one recording (:mod:`loupe_tui.core.labels.agreement`).
``labels convert IN OUT`` rewrites any readable format as any writable one,
or exports an EDF+ annotations file (``OUT.edf``). All read the files
themselves: they neither replay a journal nor load a ``.scored`` sibling, but
``info`` says when those exist, and what reading left out (an EDF's
annotations that are not sleep stages).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from loupe_tui.core.timefmt import format_time, parse_time
from loupe_tui.errors import LoupeConfigError

if TYPE_CHECKING:  # imported where used: `loupe-tui --help` must not load polars
    from loupe_tui.core.labels.schema import IntervalLabelSchema

_ROLE_FLAGS = ("start_col", "end_col", "duration_col", "label_col", "note_col")

_EPILOG = """\
formats (by extension): .csv (legacy columns start_s,end_s,label,note by default),
.htsv/.tsv (tab-separated with header), .parquet, .txt (read-only hypnogram:
Visbrain 'state<TAB>end_time' lines, or one stage per epoch per line), .edf/.bdf
(read-only: the sleep stages among an EDF+/BDF+ file's annotations, 'Sleep stage
W/1/2/3/4/R/?/N1/N2/N3' and 'Movement time'; convert writes .edf as EDF+ annotations).

examples:
  loupe-tui labels info night1.csv
  loupe-tui labels convert events.tsv events.csv        # columns onset, duration, description: guessed
  loupe-tui labels info scoring.htsv --start-col onset --duration-col duration --end-col none --label-col stage
  loupe-tui labels info hypno.txt --epoch 30 --stages 0=W,1=N1,2=N2,3=N3,4=REM
  loupe-tui labels convert hypno.txt hypno.csv
  loupe-tui labels info SC4001EC-Hypnogram.edf                      # R&K: S3 and S4 read as N3
  loupe-tui labels convert SC4001EC-Hypnogram.edf hypno.csv --stage-names rk --stages "Movement time=MT"
  loupe-tui labels convert night1.csv night1-annotations.edf        # EDF+ for EDFbrowser, MNE
  loupe-tui labels convert scoring.htsv scoring.parquet --start-col onset --label-col stage
  loupe-tui labels convert scoring.htsv scoring.csv --legacy --start-col onset --label-col stage
  loupe-tui labels convert a.csv b.htsv --out-start-col onset --out-end-col none --out-duration-col duration
"""


def _add_schema_args(p: argparse.ArgumentParser, *, txt_epoch: bool = True) -> None:
    g = p.add_argument_group("column schema (.csv/.htsv/.parquet input; default start_s,end_s,label,note, "
                             "else guessed from the header: onset/start, end/offset, duration, "
                             "label/state/stage/description, note, in any case)")
    g.add_argument("--start-col", metavar="NAME", help="interval start column, seconds (default start_s)")
    g.add_argument("--end-col", metavar="NAME",
                   help="interval end column (default end_s; 'none' if the file only has durations)")
    g.add_argument("--duration-col", metavar="NAME", help="duration column; must agree with the end column")
    g.add_argument("--label-col", metavar="NAME", help="state label column (default label)")
    g.add_argument("--note-col", metavar="NAME", help="note column (default note; 'none' for no notes)")
    g.add_argument("--extra-cols", metavar="A,B", help="extra columns to show first (others are kept anyway)")
    h = p.add_argument_group(".txt hypnograms (--stages: .edf/.bdf too)")
    h.add_argument("--txt-kind", choices=("auto", "visbrain", "epochs"), default="auto",
                   help="Visbrain bouts or one stage per epoch (default: tell by content)")
    if txt_epoch:
        h.add_argument("--epoch", type=float, default=30.0, metavar="SECONDS",
                       help="epoch length for epoch-per-line files (default 30)")
    h.add_argument("--stages", metavar="CODE=NAME,...",
                   help="stage codes; an empty name means unscored. .txt: the whole mapping (default YASA: "
                        "0=W,1=N1,2=N2,3=N3,4=R,-1=Art,-2= ; starting with a negative code? write "
                        "--stages=-1=Art,...). .edf/.bdf: single overrides of the codes X of 'Sleep stage X' "
                        "(W 1 2 3 4 R ? N1 N2 N3) and 'Movement time', e.g. '?=U,Movement time=MT'; an "
                        ".edf output writes NAME as 'Sleep stage CODE'")
    h.add_argument("--t0", type=float, default=0.0, metavar="SECONDS",
                   help="start time of the first epoch (default 0)")
    e = p.add_argument_group(".edf/.bdf sleep stages")
    e.add_argument("--stage-names", choices=("aasm", "rk"), default=None,
                   help="aasm (default): W N1 N2 N3 R, Art for movement time, the aasm_human keymap's "
                        "states (R&K stages 3 and 4 are N3); rk: W S1 S2 S3 S4 R MT")


def register(sub) -> None:
    p = sub.add_parser("labels", help="inspect, compare and convert interval-label files",
                       description="Inspect, compare and convert interval-label files.")
    lsub = p.add_subparsers(dest="labels_command", metavar="SUBCOMMAND")
    lsub.required = True
    info = lsub.add_parser("info", help="summarise a labels file", epilog=_EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="Print interval count, states, time per state (h:mm:ss and % of "
                                       "labelled time), total span, coverage and gaps, and, when the states "
                                       "are sleep stages (W N1 N2 N3 R, R&K's W S1..S4 R, or Wake NREM REM), "
                                       "the sleep statistics: total recording and sleep time, sleep "
                                       "efficiency, sleep onset and REM latency, WASO, time, % and bouts "
                                       "per stage.")
    info.add_argument("file", metavar="FILE", help="labels file (.csv, .htsv, .tsv, .parquet, .txt, .edf, .bdf)")
    g = info.add_argument_group("sleep statistics (printed when the states are sleep stages)")
    g.add_argument("--lights-off", type=_time_arg, metavar="TIME",
                   help="start of the total recording time, e.g. 8:30:00 (default: the first label's start)")
    g.add_argument("--lights-on", type=_time_arg, metavar="TIME",
                   help="end of the total recording time (default: the last label's end)")
    _add_schema_args(info)
    info.set_defaults(func=run_info)
    from loupe_tui.commands.labels_compare import register_compare

    register_compare(lsub, _add_schema_args)
    conv = lsub.add_parser("convert", help="convert a labels file to another format", epilog=_EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           description="Read IN (any format) and write OUT (.csv, .htsv, .tsv or "
                                       ".parquet, by extension), keeping column names, extra columns "
                                       "and notes. The column schema options describe IN; the output "
                                       "schema options (--legacy, --out-*) name OUT's columns. A .txt "
                                       "or .edf hypnogram has no columns of its own: it is written with "
                                       "the legacy columns start_s,end_s,label,note. An .edf OUT is an "
                                       "EDF+ annotations file (no signals): one annotation per interval, "
                                       "stage names as 'Sleep stage W/N1/N2/N3/R' (S1..S4 as 'Sleep stage "
                                       "1'..'4', Art and MT as 'Movement time'), other labels as they are; "
                                       "notes and extra columns are left out. Its start is IN's when IN "
                                       "is an EDF, else 01.01.85 00.00.00 (EDF+'s anonymous date).")
    conv.add_argument("input", metavar="IN", help="labels file to read")
    conv.add_argument("output", metavar="OUT", help="file to write (.txt and .bdf are refused)")
    conv.add_argument("--force", action="store_true",
                      help="overwrite OUT if it exists (never an EDF/BDF that holds recorded signals)")
    _add_schema_args(conv)
    o = conv.add_argument_group("output schema (default: IN's columns, as read)")
    o.add_argument("--out-schema", choices=("same", "legacy"), default=None,
                   help="same: IN's column names; legacy: Loupe's start_s,end_s,label,note "
                        "(extra columns kept after them)")
    o.add_argument("--legacy", dest="out_schema", action="store_const", const="legacy",
                   help="same as --out-schema legacy: write columns start_s,end_s,label,note (extras kept)")
    o.add_argument("--out-start-col", metavar="NAME", help="name of OUT's start column")
    o.add_argument("--out-end-col", metavar="NAME", help="name of OUT's end column ('none': no end column)")
    o.add_argument("--out-duration-col", metavar="NAME",
                   help="name of OUT's duration column ('none': no duration column)")
    o.add_argument("--out-label-col", metavar="NAME", help="name of OUT's label column")
    o.add_argument("--out-note-col", metavar="NAME", help="name of OUT's note column ('none': no notes)")
    conv.set_defaults(func=run_convert)


def _time_arg(text: str) -> float:
    try:
        return parse_time(text)
    except LoupeConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _none_words(given: dict) -> dict:
    for f in ("end_col", "duration_col", "note_col"):
        if f in given and given[f].lower() in ("none", ""):
            given[f] = None
    return given


#: How each role's column is named on this command line (for messages).
ROLE_FLAGS = {"start": "--start-col NAME", "end": "--end-col NAME", "duration": "--duration-col NAME",
              "label": "--label-col NAME", "note": "--note-col NAME"}


def schema_from_args(args: argparse.Namespace, path: str | Path) -> IntervalLabelSchema | None:
    """The schema to read ``path`` with: the column flags, and for the roles they do not
    name, the file's legacy columns or columns whose names say their role (guessed)."""
    from loupe_tui.core.labels.formats import schema_for_file

    flags = (*_ROLE_FLAGS, "extra_cols")
    given = {f: getattr(args, f) for f in flags if getattr(args, f, None) is not None}
    _none_words(given)
    if "extra_cols" in given:
        given["extra_cols"] = tuple(c.strip() for c in given["extra_cols"].split(",") if c.strip())
    return schema_for_file(path, given, ROLE_FLAGS)


def describe_schema(schema: IntervalLabelSchema) -> str:
    """``start=onset, duration=dur, label=stage`` (the roles that have a column)."""
    return ", ".join(f"{role}={col}" for role, col in schema.role_columns().items())


def output_schema_from_args(args: argparse.Namespace, labels, input_format: str) -> IntervalLabelSchema | None:
    """OUT's schema: None (IN's columns as read) unless --legacy/--out-schema/--out-* ask otherwise.

    The base is the legacy schema (``--legacy``, or a ``.txt`` input, which has
    no columns of its own) or IN's schema; ``--out-*`` flags rename on top.
    """
    import dataclasses

    from loupe_tui.core.labels.schema import IntervalLabelSchema

    given = _none_words({f: getattr(args, f"out_{f}") for f in _ROLE_FLAGS
                         if getattr(args, f"out_{f}", None) is not None})
    legacy = args.out_schema == "legacy" or (args.out_schema is None and input_format in ("txt", "edf"))
    if not legacy and not given:
        return None
    base = IntervalLabelSchema(extra_cols=labels.schema.extra_cols) if legacy else labels.schema
    try:
        return dataclasses.replace(base, **given)
    except LoupeConfigError as exc:
        raise LoupeConfigError(f"output columns: {exc}") from None


def hypnogram_from_args(args: argparse.Namespace, path: str | Path, strict: bool = True):
    """How to read ``path`` when it is a hypnogram: :class:`HypnogramOptions` for a .txt,
    :class:`EdfStageOptions` for an .edf/.bdf (None for other formats). ``strict``: --stage-names
    on a file that is not an EDF is an error (``compare`` checks its files together)."""
    from loupe_tui.core.labels.edf_stages import EdfStageOptions
    from loupe_tui.core.labels.formats import format_of
    from loupe_tui.core.labels.hypnogram_txt import YASA_STAGES, HypnogramOptions, parse_stages

    fmt = format_of(path)
    if args.stage_names is not None and fmt != "edf" and strict:
        raise LoupeConfigError(f"--stage-names: {path} is not an EDF/BDF file (it names EDF+ sleep stages)")
    if fmt == "edf":
        return EdfStageOptions(names=args.stage_names or "aasm",
                               stages=parse_stages(args.stages) if args.stages else ())
    if fmt == "txt":
        stages = parse_stages(args.stages) if args.stages else YASA_STAGES
        return HypnogramOptions(kind=args.txt_kind, epoch_s=30.0 if args.epoch is None else args.epoch,
                                stages=stages, t0=args.t0)
    return None


def run_info(args: argparse.Namespace) -> int:
    from loupe_tui.core.labels import IntervalLabelSet, journal_path_for, sibling_path
    from loupe_tui.core.labels.formats import format_of

    path = Path(args.file)
    schema = schema_from_args(args, path)
    labels = IntervalLabelSet.read(path, schema, hypnogram=hypnogram_from_args(args, path))
    per_state = labels.time_per_state()
    labelled = sum(per_state.values())
    cov = labels.coverage()
    out = [f"file        {path} ({format_of(path)}; columns {', '.join(labels.to_frame().columns)})"]
    if schema is not None:
        out.append(f"roles       {describe_schema(schema)}")
    out += [f"intervals   {len(labels)}", f"states      {', '.join(per_state) or '(none)'}"]
    if per_state:
        out.append("time per state (% of labelled time)")
        width = max(len(s) for s in per_state)
        for state, secs in per_state.items():
            out.append(f"  {state:<{width}}  {format_time(secs):>10}  {100 * secs / labelled:5.1f}%")
        out.append(f"span        {format_time(cov.t0)} .. {format_time(cov.t1)} ({format_time(cov.span_s)})")
        out.append(f"coverage    {format_time(cov.labelled_s)} labelled ({100 * cov.fraction:.1f}% of span)")
        if cov.n_gaps:
            g0, g1 = cov.largest_gap
            out.append(f"gaps        {cov.n_gaps}, total {format_time(cov.gap_total_s)}, largest "
                       f"{format_time(g1 - g0)} at {format_time(g0)}-{format_time(g1)}")
        else:
            out.append("gaps        none")
    from loupe_tui.core.labels.sleep_stats import sleep_statistics

    stats = sleep_statistics(labels, args.lights_off, args.lights_on)
    if stats is not None:
        out += stats.lines()
    elif args.lights_off is not None or args.lights_on is not None:
        out.append("note        no sleep statistics: the states are not sleep stages, or no label is between "
                   "--lights-off and --lights-on")
    out += [f"note        {m}" for m in labels.messages]
    for p, what in ((sibling_path(path), "saved scoring"), (journal_path_for(path), "unsaved edits")):
        if p.exists() and p != path:
            out.append(f"note        {p.name} exists ({what}); the scorer opens that work, not this file alone")
    print("\n".join(out))
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from loupe_tui.core.labels import IntervalLabelSet
    from loupe_tui.core.labels.formats import format_of

    src, dst = Path(args.input), Path(args.output)
    to_edf = format_of(dst) == "edf"
    if to_edf and dst.suffix.lower() != ".edf":
        raise LoupeConfigError(f"{dst}: labels are exported as EDF+ (.edf), not BDF")
    if not to_edf:
        format_of(dst, writing=True)
    if dst.resolve() == src.resolve():
        raise LoupeConfigError(f"{dst}: output is the input file; choose another output path")
    if dst.exists() and not args.force:
        raise LoupeConfigError(f"{dst}: exists; pass --force to overwrite it")
    if dst.exists():
        _refuse_recording(dst)
    schema = schema_from_args(args, src)
    reading = hypnogram_from_args(args, src)
    labels = IntervalLabelSet.read(src, schema, hypnogram=reading)
    for m in labels.messages:
        print(f"note: {m}")
    if to_edf:
        _export_edf(args, src, dst, labels, reading)
        return 0
    labels.save_as(dst, output_schema_from_args(args, labels, format_of(src)))
    print(f"wrote {len(labels)} intervals to {dst}" + (f" (read {src.name} as {describe_schema(schema)})"
                                                       if schema is not None else ""))
    return 0


def _refuse_recording(dst: Path) -> None:
    """--force never overwrites an EDF/BDF that holds recorded signals: that is data, not labels."""
    from loupe_tui.core.labels.edf_annotations import read_edf_annotations_file
    from loupe_tui.errors import LabelFileError

    if dst.suffix.lower() not in (".edf", ".bdf"):
        return
    try:
        n = read_edf_annotations_file(dst).data_signals
    except LabelFileError:
        return      # not an EDF/BDF at all: --force may replace it
    if n:
        raise LoupeConfigError(f"{dst}: is a recording ({n} signals); not overwriting it, even with --force")


def _export_edf(args: argparse.Namespace, src: Path, dst: Path, labels, reading) -> None:
    """Write ``labels`` as an EDF+ annotations file; the start is IN's when IN is an EDF."""
    from loupe_tui.core.labels.edf_annotations import read_edf_annotations_file
    from loupe_tui.core.labels.edf_export import ANONYMOUS_START, write_edf_annotations
    from loupe_tui.core.labels.edf_stages import EdfStageOptions
    from loupe_tui.core.labels.hypnogram_txt import parse_stages

    rows = list(labels)
    start = None
    if isinstance(reading, EdfStageOptions):      # the stage map IN was read with, both ways
        options, start = reading, read_edf_annotations_file(src).start
    elif args.stages and reading is None:         # (a .txt's --stages are YASA codes, not EDF+ ones)
        options = EdfStageOptions(stages=parse_stages(args.stages))
    else:
        options = None
    write_edf_annotations(dst, [r.start for r in rows], [r.end for r in rows], [r.label for r in rows],
                          start, options)
    when = (f"start {start:%d.%m.%Y %H:%M:%S} (from {src.name})" if start is not None else
            f"start {ANONYMOUS_START:%d.%m.%y %H.%M.%S} (EDF+'s anonymous date: {src.name} has no start)")
    notes = sum(1 for r in rows if r.note)
    left = ([f"{notes} note(s)"] if notes else []) + ([f"columns {', '.join(labels.extra_cols)}"]
                                                  if labels.extra_cols else [])
    print(f"wrote {len(rows)} intervals to {dst} as EDF+ annotations, {when}"
          + (f"; left out (EDF+ holds one text per annotation): {', '.join(left)}" if left else ""))
