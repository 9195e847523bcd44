"""``loupe-tui labels compare A B [C ...]``: agreement between scorings of one recording.

Reads each file as ``labels info`` does, puts them on one epoch grid and prints
what sleep labs report (:mod:`loupe_tui.core.labels.agreement`): accuracy,
Cohen's or Fleiss' kappa, per-state precision/recall/F1, the confusion matrix,
time per state, and the intervals where they disagree (``--csv`` writes them).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from loupe_tui.commands.labels import hypnogram_from_args, schema_from_args
from loupe_tui.core.timefmt import format_time
from loupe_tui.errors import LoupeConfigError

_COMPARE_EPILOG = """\
An epoch's state is the state covering most of it (unscored if none). Epochs
that are artifact (Art, Artifact, Artefact, MT, Movement, Movement time) or
unscored (?, Unscored, Unknown, Not scored, no label) in any file are left out
of every number and counted per file. When the files name stages differently,
R&K is read as AASM (S1 -> N1, S2 -> N2, S3 and S4 -> N3, REM -> R, Wake -> W).

examples:
  loupe-tui labels compare scorer1.csv scorer2.csv
  loupe-tui labels compare SC4001EC-Hypnogram.edf rescored.csv --csv disagreements.csv
  loupe-tui labels compare a.txt b.txt c.txt --epoch 30          # Fleiss' kappa
"""


def register_compare(lsub, add_schema_args) -> None:
    cmp = lsub.add_parser("compare", help="agreement between two or more scorings of one recording",
                          epilog=_COMPARE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
                          description="Compare scorings of one recording epoch by epoch: accuracy, Cohen's "
                                      "kappa (two files) or Fleiss' kappa (three or more), per state "
                                      "precision/recall/F1 and the confusion matrix of each file against the "
                                      "first (the reference), time per state in each file, and the intervals "
                                      "where they disagree.")
    cmp.add_argument("files", nargs="+", metavar="FILE", help="two or more labels files; the first is the reference")
    cmp.add_argument("--epoch", type=float, default=None, metavar="SECONDS",
                     help="epoch length of the comparison (default: the longest of 30, 20, 10, 5, 4, 2, 1 s the "
                          "files' boundaries fit); also that of epoch-per-line .txt files (default 30)")
    cmp.add_argument("--csv", metavar="OUT", help="write every disagreeing interval to OUT (.csv)")
    cmp.add_argument("--force", action="store_true", help="overwrite the --csv file if it exists")
    cmp.add_argument("--show", type=int, default=10, metavar="N",
                     help="disagreeing intervals to print (default 10; --csv writes them all)")
    add_schema_args(cmp, txt_epoch=False)
    cmp.set_defaults(func=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    from loupe_tui.core.labels import IntervalLabelSet
    from loupe_tui.core.labels.agreement import compare
    from loupe_tui.core.labels.formats import format_of

    paths = [Path(f) for f in args.files]
    if len(paths) < 2:
        raise LoupeConfigError(f"labels compare: give two or more label files to compare (got {paths[0]})")
    if args.stage_names is not None and not any(format_of(p) == "edf" for p in paths):
        raise LoupeConfigError("--stage-names: none of the files is an EDF/BDF file (it names EDF+ sleep stages)")
    out_csv = _csv_target(Path(args.csv), paths, args.force) if args.csv else None
    sets = [IntervalLabelSet.read(p, schema_from_args(args, p), hypnogram=hypnogram_from_args(args, p, strict=False))
            for p in paths]
    result = compare(sets, _display_names(paths), args.epoch)
    out = compare_report(result, max(0, args.show))
    out += [f"note        {m}" for labels in sets for m in labels.messages]
    print("\n".join(out))
    if out_csv is not None:
        write_disagreements(out_csv, result)
        print(f"wrote {len(result.disagreements)} disagreeing intervals to {out_csv}")
    return 0


def _display_names(paths: list[Path]) -> list[str]:
    """File names, or the paths as given where two files share a name."""
    names = [p.name for p in paths]
    return [p.name if names.count(p.name) == 1 else str(p) for p in paths]


def _csv_target(out: Path, inputs: list[Path], force: bool) -> Path:
    if any(out.resolve() == p.resolve() for p in inputs):
        raise LoupeConfigError(f"{out}: is one of the compared files; choose another --csv path")
    if out.exists() and not force:
        raise LoupeConfigError(f"{out}: exists; pass --force to overwrite it")
    if out.exists() and out.is_dir():
        raise LoupeConfigError(f"{out}: is a folder; --csv needs a file name")
    return out


def write_disagreements(out: Path, result) -> None:
    """Write every disagreeing interval of ``result`` (an :class:`~loupe_tui.core.labels.agreement.Agreement`)
    to the CSV ``out``: ``start_s, end_s, epochs`` and each file's state (``--csv``; the app's report too).

    Raises
    ------
    LoupeConfigError
        ``out`` cannot be written.
    """
    import csv
    import io

    from loupe_tui.core.fsutil import atomic_write_bytes

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["start_s", "end_s", "epochs", *result.grid.files])
    for d in result.disagreements:
        w.writerow([d.start, d.end, d.n_epochs, *d.states])
    try:
        atomic_write_bytes(out, buf.getvalue().encode())
    except OSError as exc:
        raise LoupeConfigError(f"{out}: cannot write ({exc.strerror or exc})") from None


def compare_report(result, show: int = 10) -> list[str]:
    """The lines ``labels compare`` prints for an :class:`~loupe_tui.core.labels.agreement.Agreement`;
    files are lettered A, B, C ... (A: the reference), ``show`` disagreements are listed."""
    g = result.grid
    letters = [chr(ord("A") + i) if i < 26 else f"F{i + 1}" for i in range(len(g.files))]
    out = [f"{letter:<11} {name}" + (" (reference)" if i == 0 else "")
           for i, (letter, name) in enumerate(zip(letters, g.files))]
    renamed = [f"{letter}: " + ", ".join(f"{a} -> {b}" for a, b in ren.items())
               for letter, ren in zip(letters, g.renamed) if ren]
    if renamed:
        out.append(f"names       renamed to compare them: {'; '.join(renamed)}")
    end = g.t0 + g.n_epochs * g.epoch_s
    out.append(f"epochs      {g.n_epochs} of {g.epoch_s:g} s, {format_time(g.t0)} .. {format_time(end)}; "
               f"{result.n_compared} compared")
    kinds = [f"{kind}: " + ", ".join(used) for kind in ("artifact", "unscored")
             if (used := [f"{name} in {letter}" for letter, ex in zip(letters, g.excluded)
                          for name, k in ex.items() if k == kind])]
    left = g.n_epochs - result.n_compared
    out.append("left out    " + (f"{left} epochs, artifact or unscored in some file" if left else "none")
               + (f" ({'; '.join(kinds)})" if kinds else ""))
    if result.n_compared:
        agree = round(result.accuracy * result.n_compared)
        everyone = "" if len(g.files) == 2 else f", all {len(g.files)} files"
        out += [f"accuracy    {100 * result.accuracy:.1f}% ({agree} of {result.n_compared} epochs agree{everyone})",
                f"kappa       {_num(result.kappa)} ({result.kappa_name})"]
        for pair, letter in zip(result.pairs, letters[1:]):
            if len(g.files) > 2:
                out.append(f"{letter} against A   accuracy {100 * pair.accuracy:.1f}%, Cohen's kappa "
                           f"{_num(pair.kappa)}")
            out += _pair_tables(pair, "A", letter)
    else:
        out.append("accuracy    nothing to compare: every epoch is artifact or unscored in some file")
    out += _time_table(result, letters)
    out += _disagreement_lines(result, letters, show)
    return out


def _num(x: float) -> str:
    return "-" if x != x else f"{x:.3f}"


def _pair_tables(pair, ref: str, other: str) -> list[str]:
    """Per-state precision/recall/F1 and the confusion matrix (counts, then % of each row)."""
    states = pair.states
    w = max(5, *(len(s) for s in states))
    out = [f"per state ({other} against {ref} as the reference)",
           f"  {'state':<{w}}  precision  recall     F1  epochs in {ref}  epochs in {other}"]
    predicted = pair.confusion.sum(axis=0)
    for k, s in enumerate(states):
        out.append(f"  {s:<{w}}  {_num(pair.precision[k]):>9}  {_num(pair.recall[k]):>6}  {_num(pair.f1[k]):>5}"
                   f"  {pair.support[k]:>11}  {predicted[k]:>11}")
    corner = f"{ref}\\{other}"
    w = max(w, len(corner))
    cw = max(6, *(len(s) for s in states))
    head = f"  {corner:<{w}}" + "".join(f"  {s:>{cw}}" for s in states)
    out += [f"confusion matrix (rows: {ref}, columns: {other}), epochs", head]
    out += [f"  {s:<{w}}" + "".join(f"  {n:>{cw}}" for n in row) for s, row in zip(states, pair.confusion.tolist())]
    out += [f"confusion matrix, % of each row (of {ref}'s epochs of that state)", head]
    out += [f"  {s:<{w}}" + "".join(f"  {'-' if p != p else f'{p:.1f}%':>{cw}}" for p in row)
            for s, row in zip(states, pair.row_percent.tolist())]
    return out


def _time_table(result, letters: list[str]) -> list[str]:
    """Time per state in each file, from its epochs (artifact and unscored rows when there are any)."""
    g = result.grid
    counts = result.epochs_per_state()
    rows = list(g.states) + ["artifact", "unscored"]
    w = max(len(r) for r in rows)
    out = ["time per state (from the epochs)", f"  {'state':<{w}}" + "".join(f"  {x:>9}" for x in letters)]
    for k, name in enumerate(rows):
        if k >= len(g.states) and not counts[:, k].any():
            continue
        out.append(f"  {name:<{w}}" + "".join(f"  {format_time(n * g.epoch_s):>9}" for n in counts[:, k].tolist()))
    return out


def _disagreement_lines(result, letters: list[str], show: int) -> list[str]:
    found = result.disagreements
    if not found:
        return ["disagreements none"]
    n = sum(d.n_epochs for d in found)
    shown = found[:show]
    which = "" if not shown else ": all" if len(shown) == len(found) else f"; the first {len(shown)}"
    out = [f"disagreements {len(found)} intervals, {n} epochs ({format_time(n * result.grid.epoch_s)}){which}"]
    w = max(len(s) for s in result.grid.states)
    for d in shown:
        states = "  ".join(f"{letter} {s:<{w}}" for letter, s in zip(letters, d.states)).rstrip()
        epochs = f"{d.n_epochs} epoch" + ("s" if d.n_epochs > 1 else "")
        out.append(f"  {format_time(d.start):>9} .. {format_time(d.end):<9} {epochs:<9} {states}")
    return out


