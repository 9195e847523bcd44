"""Read-only ``.txt`` hypnograms: Visbrain bouts and epoch-per-line stages.

* Visbrain: one bout per line, ``state<TAB>end_time``; lines starting with
  ``*`` are headers (``*Duration_sec 21600``). Each bout starts where the
  previous one ended, the first at 0.
* Epoch per line (YASA, many scoring tools): one stage per fixed-length epoch,
  as a code (``0``..``4``, ``-1``, ``-2``) or a name (``N2``). Codes map to
  names through a stage mapping (YASA's by default). Consecutive equal stages
  become one interval; unscored epochs become no interval.

Lines starting with ``#`` are comments in both. The two are told apart by
content (one token per line vs two); :class:`HypnogramOptions` can force one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from loupe_tui.errors import LabelFileError, LoupeConfigError

#: YASA's integer stages; ``None`` = unscored (no interval).
YASA_STAGES: tuple[tuple[str, str | None], ...] = (
    ("0", "W"), ("1", "N1"), ("2", "N2"), ("3", "N3"), ("4", "R"), ("-1", "Art"), ("-2", None))

KINDS = ("auto", "visbrain", "epochs")


@dataclass(frozen=True)
class HypnogramOptions:
    """How to read a ``.txt`` hypnogram.

    Parameters
    ----------
    kind : {"auto", "visbrain", "epochs"}
        ``auto`` tells them apart by content.
    epoch_s : float
        Epoch length in seconds (epoch-per-line files).
    stages : mapping or pairs of (code, name or None)
        Stage code -> label; ``None`` marks unscored epochs. Tokens that are
        not codes in the mapping and are not numbers are used as labels as-is.
    t0 : float
        Start time of the first epoch (epoch-per-line files).
    """

    kind: str = "auto"
    epoch_s: float = 30.0
    stages: tuple[tuple[str, str | None], ...] = field(default=YASA_STAGES)
    t0: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise LoupeConfigError(f"hypnogram kind {self.kind!r}: use one of {', '.join(KINDS)}")
        if not (isinstance(self.epoch_s, (int, float)) and math.isfinite(self.epoch_s) and self.epoch_s > 0):
            raise LoupeConfigError(f"epoch length {self.epoch_s!r}: must be a positive number of seconds")
        if not math.isfinite(self.t0):
            raise LoupeConfigError(f"t0 {self.t0!r}: must be a finite number of seconds")
        pairs = self.stages.items() if isinstance(self.stages, Mapping) else self.stages
        object.__setattr__(self, "stages", tuple((_code(str(k)), v) for k, v in pairs))

    def stage_map(self) -> dict[str, str | None]:
        return dict(self.stages)


def parse_stages(text: str) -> dict[str, str | None]:
    """``"0=W,1=N1,-2="`` -> ``{"0": "W", "1": "N1", "-2": None}`` (empty or ``-`` = unscored)."""
    out: dict[str, str | None] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        code, sep, name = item.partition("=")
        if not sep or not code.strip():
            raise LoupeConfigError(f"--stages {item!r}: expected CODE=NAME (e.g. 0=W,1=N1,-2=)")
        name = name.strip()
        out[code.strip()] = None if name in ("", "-") else name
    if not out:
        raise LoupeConfigError("--stages: no CODE=NAME pairs given")
    return out


def _code(token: str) -> str:
    """Normalise numeric codes so ``2``, ``2.0`` and ``+2`` all find stage ``2``."""
    try:
        f = float(token)
    except ValueError:
        return token
    return str(int(f)) if math.isfinite(f) and f == int(f) else token


def _data_lines(text: str) -> list[tuple[int, str]]:
    return [(k, ln.strip()) for k, ln in enumerate(text.splitlines(), start=1)
            if ln.strip() and not ln.lstrip().startswith(("#", "*"))]


def _split_bout(line: str) -> list[str]:
    return line.split("\t") if "\t" in line else line.rsplit(None, 1)


def detect_kind(text: str) -> str | None:
    """``"visbrain"``, ``"epochs"`` or None when the content fits neither."""
    if any(ln.lstrip().startswith("*") for ln in text.splitlines()):
        return "visbrain"
    lines = [ln for _, ln in _data_lines(text)]
    if all(len(ln.split()) == 1 for ln in lines):
        return "epochs"
    if all(len(p := _split_bout(ln)) == 2 and _is_number(p[1]) for ln in lines):
        return "visbrain"
    return None


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


Bouts = tuple[list[float], list[float], list[str], list[int]]   # starts, ends, labels, lines


def read_hypnogram_text(text: str, path: str, options: HypnogramOptions | None = None) -> Bouts:
    """Intervals of a ``.txt`` hypnogram; LabelFileError names the file and line."""
    options = options or HypnogramOptions()
    kind = options.kind if options.kind != "auto" else detect_kind(text)
    if kind is None:
        raise LabelFileError(f"{path}: cannot tell a Visbrain hypnogram (state<TAB>end per line) from an "
                             "epoch-per-line one (one stage per line); force the kind (--txt-kind)")
    if kind == "visbrain":
        return _visbrain(text, path)
    return _epochs(text, path, options)


def _visbrain(text: str, path: str) -> Bouts:
    starts, ends, labels, lines = [], [], [], []
    prev = 0.0
    for k, line in _data_lines(text):
        parts = _split_bout(line)
        if len(parts) != 2 or not parts[0].strip():
            raise LabelFileError(f"{path}:{k}: expected 'state<TAB>end_time', got {line!r}")
        state, end_s = parts[0].strip(), parts[1].strip()
        try:
            end = float(end_s)
        except ValueError:
            raise LabelFileError(f"{path}:{k}: end time {end_s!r} is not a number") from None
        if not math.isfinite(end):
            raise LabelFileError(f"{path}:{k}: end time is {end} (times must be finite numbers)")
        if end < prev:
            raise LabelFileError(f"{path}:{k}: end {end} is before start {prev}")
        if end == prev:
            raise LabelFileError(f"{path}:{k}: bout is empty (it ends where it starts, {end})")
        starts.append(prev)
        ends.append(end)
        labels.append(state)
        lines.append(k)
        prev = end
    return starts, ends, labels, lines


def _epochs(text: str, path: str, options: HypnogramOptions) -> Bouts:
    stages = options.stage_map()
    known = ", ".join(f"{c}={n if n is not None else '(unscored)'}" for c, n in stages.items())
    starts, ends, labels, lines = [], [], [], []
    all_lines = text.splitlines()
    last = max((k for k, _ in _data_lines(text)), default=0)
    epoch = 0
    for k, raw in enumerate(all_lines[:last], start=1):
        line = raw.strip()
        if line.startswith(("#", "*")):
            continue
        if not line:
            raise LabelFileError(f"{path}:{k}: empty line inside an epoch-per-line hypnogram "
                                 "(every line is one epoch)")
        if len(line.split()) != 1:
            raise LabelFileError(f"{path}:{k}: expected one stage per line, got {line!r}")
        code = _code(line)
        if code in stages:
            name = stages[code]
        elif _is_number(line):
            raise LabelFileError(f"{path}:{k}: unknown stage code {line} (known: {known}; set the "
                                 "mapping with --stages)")
        else:
            name = line
        t0 = options.t0 + epoch * options.epoch_s
        t1 = options.t0 + (epoch + 1) * options.epoch_s
        epoch += 1
        if name is None:
            continue
        if labels and labels[-1] == name and ends[-1] == t0:
            ends[-1] = t1
        else:
            starts.append(t0)
            ends.append(t1)
            labels.append(name)
            lines.append(k)
    return starts, ends, labels, lines
