"""Sleep stages in EDF+ annotations <-> interval labels: the stage map, read and write.

A stage annotation is ``Sleep stage X`` (any case) or ``Movement time``, as
Sleep-EDF and the AASM-scored sets (HMC, ...) write them. Its *code* is
``X`` (``W``, ``1``..``4``, ``R``, ``?``, ``N1``..``N3``, or whatever token a
file uses), or ``Movement time``. The stage map turns codes into label names:

=============  ==========  ==========  ===================================
code           ``aasm``    ``rk``      note
=============  ==========  ==========  ===================================
W, R           W, R        W, R
1, 2           N1, N2      S1, S2      R&K stages
3, 4           N3, N3      S3, S4      R&K's S3 and S4 are AASM's N3
N1, N2, N3     N1, N2, N3  S1, S2, N3  AASM stages (N3 has no R&K name)
Movement time  Art         MT          Art: aasm_human's unscorable state
?              (unscored)  (unscored)  no interval
=============  ==========  ==========  ===================================

The ``aasm`` names are the states of the bundled ``aasm_human`` keymap
(W, N1, N2, N3, R, Art), so a hypnogram opens with that keymap's keys and
colours. A code missing from the map is used as the name (``Sleep stage U``
-> ``U``). ``--stages CODE=NAME`` pairs override single entries (an empty
NAME means unscored): the codes name themselves, so, unlike a ``.txt``
hypnogram's numbers, they need no whole new mapping.

Reading: each stage annotation is an interval from its onset for its
duration; one without a duration (or with duration 0) lasts until the next
stage annotation (the last one until the recording ends; without a
recording, it is left out, with a warning). Touching intervals of one stage
merge. Stage annotations of different stages that overlap are an error
naming the first overlap: two scorings in one file, say, cannot be told
apart. Other annotations (lights off, arousals, events) are not labels: they
are counted and said. A file written by ``loupe-tui labels convert`` (EDF+
equipment code ``loupe-tui``) holds labels only: every annotation with a
duration is a label, so labels of any name come back.

Writing: a label named like a stage is written as that stage's text
(``N2`` -> ``Sleep stage N2``, ``S4`` -> ``Sleep stage 4``, ``Art`` ->
``Movement time``), any other label as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from loupe_tui.core.labels.edf_annotations import Annotation, EdfAnnotations
from loupe_tui.errors import LabelFileError, LoupeConfigError, join_names, printable

STAGE_PREFIX = "sleep stage "
MOVEMENT = "Movement time"
#: The EDF+ equipment code of our exports: their annotations are all labels.
EXPORT_EQUIPMENT = "loupe-tui"
NAME_STYLES = ("aasm", "rk")
#: code -> (aasm name, rk name); None = unscored. AASM codes first: they are preferred when writing.
STAGE_CODES: dict[str, tuple[str | None, str | None]] = {
    "W": ("W", "W"), "N1": ("N1", "S1"), "N2": ("N2", "S2"), "N3": ("N3", "N3"), "R": ("R", "R"),
    "1": ("N1", "S1"), "2": ("N2", "S2"), "3": ("N3", "S3"), "4": ("N3", "S4"),
    MOVEMENT: ("Art", "MT"), "?": (None, None),
}
#: Touching within this many seconds (onsets are written with few decimals).
TOLERANCE_S = 1e-3


@dataclass(frozen=True)
class EdfStageOptions:
    """How to read sleep stages from EDF+ annotations.

    Parameters
    ----------
    names : {"aasm", "rk"}
        Default names: AASM (W N1 N2 N3 R Art) or R&K (W S1 S2 S3 S4 R MT).
    stages : mapping or pairs of (code, name or None)
        Overrides of single codes (``{"4": "S4", "Movement time": "MT", "?": "U"}``);
        None (or an empty name) marks unscored.
    """

    names: str = "aasm"
    stages: tuple[tuple[str, str | None], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.names not in NAME_STYLES:
            raise LoupeConfigError(f"stage names {self.names!r}: use one of {', '.join(NAME_STYLES)}")
        pairs = self.stages.items() if isinstance(self.stages, Mapping) else self.stages
        object.__setattr__(self, "stages", tuple((str(k).strip(), str(v).strip() or None if v is not None else None)
                                                 for k, v in pairs))

    def stage_map(self) -> dict[str, str | None]:
        """Code (case-folded) -> name, overrides applied."""
        col = NAME_STYLES.index(self.names)
        out = {code.casefold(): names[col] for code, names in STAGE_CODES.items()}
        out.update({_code_key(code): name for code, name in self.stages})
        return out


def _code_key(code: str) -> str:
    """``Sleep stage 4`` and ``4`` are one code, in any case."""
    key = code.strip().casefold()
    return key[len(STAGE_PREFIX):].strip() if key.startswith(STAGE_PREFIX) else key


def stage_code(text: str) -> str | None:
    """The stage code of an annotation text (``Sleep stage N2`` -> ``N2``), None if not a stage."""
    t = text.strip()
    if t.casefold().startswith(STAGE_PREFIX) and t[len(STAGE_PREFIX):].strip():
        return t[len(STAGE_PREFIX):].strip()
    return MOVEMENT if t.casefold() == MOVEMENT.casefold() else None


@dataclass
class StageIntervals:
    """Intervals read from a file's annotations, and what was left out (for messages)."""

    starts: list[float]
    ends: list[float]
    labels: list[str]
    n_annotations: int
    n_stages: int = 0
    n_unscored: int = 0
    others: list[str] = field(default_factory=list)
    export: bool = False
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What the annotations held and what became labels, on one line."""
        what = "labels (a loupe-tui export)" if self.export else "sleep stages"
        line = f"{self.n_annotations} annotations: {self.n_stages} {what} -> {len(self.starts)} intervals"
        if self.n_unscored:
            line += f" ({self.n_unscored} unscored: no interval)"
        if self.others:
            names = list(dict.fromkeys(self.others))
            shown = join_names(names[:3]) + (", ..." if len(names) > 3 else "")
            why = "events without a duration" if self.export else "not sleep stages"
            line += f"; {len(self.others)} other annotation(s) left out ({why}: {shown})"
        if not self.n_stages:
            line += "; no sleep stages, so no labels"
        return line


def stage_intervals(found: EdfAnnotations, path: str, options: EdfStageOptions | None = None) -> StageIntervals:
    """The labels in ``found``, the annotations of ``path`` (see the module doc).

    Raises
    ------
    LabelFileError
        Stage annotations of different stages overlap; the one line names the
        file and the first overlap.
    """
    options = options or EdfStageOptions()
    stages = options.stage_map()
    export = found.equipment == EXPORT_EQUIPMENT
    out = StageIntervals([], [], [], len(found.annotations), export=export, warnings=list(found.warnings))
    picked: list[tuple[Annotation, str | None]] = []
    used: set[str] = set()
    for a in found.annotations:
        code = stage_code(a.text)
        if code is None and not (export and a.duration):
            out.others.append(a.text)
            continue
        if code is None:               # an export's label that is not a stage: its text is its name
            picked.append((a, a.text))
            continue
        key = _code_key(code)
        used.add(key)
        picked.append((a, stages.get(key, code)))
    out.n_stages = len(picked)
    unused = [c for c, _ in options.stages if _code_key(c) not in used]
    if unused and picked:
        out.warnings.append(f"--stages: no stage annotation has the code {join_names(unused)}")
    ends = _ends(picked, found.end_s)
    lost = [a for (a, name), end in zip(picked, ends) if end is None and name is not None]
    if lost:
        out.warnings.append(f"stage annotation {lost[0].text!r} at {lost[0].onset:g} s has no duration and "
                            "nothing after it ends it (no later stage, no recorded data): left out")
    for (a, name), end in zip(picked, ends):
        if name is None:
            out.n_unscored += 1
        elif end is not None:
            _add(out, a, name, end, path)
    if found.end_s is not None and out.ends and out.ends[-1] > found.end_s + TOLERANCE_S:
        out.warnings.append(f"labels run past the end of the recorded data ({found.end_s:g} s) to "
                            f"{out.ends[-1]:g} s (kept)")
    return out


def _ends(picked: Sequence[tuple[Annotation, str | None]], end_s: float | None) -> list[float | None]:
    """Each stage's end: onset + duration; without one, the next stage's onset, else the data's end."""
    ends: list[float | None] = []
    for k, (a, _) in enumerate(picked):
        if a.duration:
            ends.append(a.onset + a.duration)
            continue
        nxt = next((b.onset for b, _ in picked[k + 1:] if b.onset > a.onset), None)
        if nxt is None and end_s is not None and end_s > a.onset:
            nxt = end_s
        ends.append(nxt)
    return ends


def _add(out: StageIntervals, a: Annotation, name: str, end: float, path: str) -> None:
    """Append ``[a.onset, end)`` as ``name``: merged into the last interval when they touch or overlap
    with one name; LabelFileError when it starts inside an interval of another name."""
    start = a.onset
    if out.ends and start < out.ends[-1] - TOLERANCE_S:
        if out.labels[-1] != name:
            raise LabelFileError(
                f"{path}: stage annotations overlap: {printable(a.text)!r} at {start:g} s starts inside the "
                f"{printable(out.labels[-1])!r} interval {out.starts[-1]:g}-{out.ends[-1]:g} s (two scorings "
                "in one file? labels cannot overlap)")
        out.ends[-1] = max(out.ends[-1], end)
        return
    if out.ends and start <= out.ends[-1] + TOLERANCE_S:
        start = out.ends[-1]           # touching: rounded onsets leave no sliver of a gap
        if out.labels[-1] == name:
            out.ends[-1] = max(out.ends[-1], end)
            return
    out.starts.append(start)
    out.ends.append(end)
    out.labels.append(name)


def stage_text(name: str, options: EdfStageOptions | None = None) -> str:
    """The annotation text a label is written as: its stage's text, or the name as it is.

    The overrides first (with ``--stages 4=S4``, ``S4`` is written as ``Sleep stage 4``), then
    both name styles, AASM codes before R&K ones: ``N1`` -> ``Sleep stage N1``, ``S1`` ->
    ``Sleep stage 1``, ``Art`` and ``MT`` -> ``Movement time``.
    """
    pairs = [*(options.stages if options else ()),
             *((code, names[0]) for code, names in STAGE_CODES.items()),
             *((code, names[1]) for code, names in reversed(STAGE_CODES.items()))]
    code = next((c for c, n in pairs if n == name), None)
    if code is None:
        return name
    stripped = code.strip()
    if stripped.casefold().startswith(STAGE_PREFIX):
        stripped = stripped[len(STAGE_PREFIX):].strip()
    return MOVEMENT if stripped.casefold() == MOVEMENT.casefold() else f"Sleep stage {stripped}"
