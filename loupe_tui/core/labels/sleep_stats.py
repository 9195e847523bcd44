"""Sleep statistics of one hypnogram, and the stage names they (and agreement) know.

Stage names
-----------
Three styles of sleep-stage names are known, each with the synonyms that
map onto it (any case):

==========  ==================  =====================================================
style       stages              also read as
==========  ==================  =====================================================
``aasm``    W N1 N2 N3 R        Wake, Awake -> W; REM -> R; R&K S1 -> N1, S2 -> N2,
                                S3 and S4 -> N3 (the ``rk`` -> ``aasm`` column pairs
                                of :data:`~.edf_stages.STAGE_CODES`)
``rk``      W S1 S2 S3 S4 R     Wake, Awake -> W; REM -> R
``rodent``  Wake NREM REM       W, Awake -> Wake; NR, SWS -> NREM; R, PS -> REM
==========  ==================  =====================================================

Two more sets are not stages, and are left out of every statistic that
needs a stage (:data:`ARTIFACT_NAMES`, :data:`UNSCORED_NAMES`, any case):

* **artifact**: ``Art`` (YASA's -1, the ``aasm_human`` keymap), ``Artifact``,
  ``Artefact`` (the ``rodent_sleep`` keymap), ``MT``, ``Movement``,
  ``Movement time`` (R&K's movement time);
* **unscored**: ``?`` (Sleep-EDF), ``Unscored``, ``Unknown``, ``Not scored``;
  unlabelled time is unscored too.

A file's style is the one whose names cover most of its states, ties going
to the style whose own stage names it uses (``S3`` makes it ``rk``), then to
the order above. A file is a hypnogram only if its style covers every state
it has that is not artifact or unscored (``grooming`` makes it none).

Statistics (:func:`sleep_statistics`), after the AASM manual's definitions
----------------------------------------------------------------------------
* **TRT** (total recording time): lights off to lights on when given, else
  the span of the labels (first start to last end). Everything below is
  clipped to it.
* **TST** (total sleep time): time in sleep stages: every stage but wake
  (N1+N2+N3+R; S1..S4+R; NREM+REM).
* **Sleep efficiency**: TST / TRT.
* **Sleep onset**: the start of the first sleep stage (on an epoch-scored
  file, the first epoch of any sleep stage); **sleep onset latency** (SOL)
  is from the start of the TRT to it.
* **REM latency**: from sleep onset to the first REM (not from lights off).
* **SPT** (sleep period time): sleep onset to the end of the last sleep epoch.
* **WASO** (wake after sleep onset): wake inside the SPT. Artifact and
  unscored time there are not wake: they are reported on their own.
* Per stage: time, % of TST (sleep stages), % of TRT, and bouts (runs of
  touching intervals of the stage).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from loupe_tui.core.labels.edf_stages import STAGE_CODES
from loupe_tui.core.timefmt import format_time

ARTIFACT = "artifact"
UNSCORED = "unscored"
#: Names (case-folded) of states that are artifact, not a stage.
ARTIFACT_NAMES = frozenset({"art", "artifact", "artefact", "mt", "movement", "movement time"})
#: Names (case-folded) of states that mean "not scored".
UNSCORED_NAMES = frozenset({"?", "unscored", "unknown", "not scored"})
#: Intervals closer than this (seconds) touch.
TOUCH_S = 1e-6


@dataclass(frozen=True)
class StageStyle:
    """One way of naming sleep stages.

    Attributes
    ----------
    name : ``"aasm"``, ``"rk"`` or ``"rodent"``
    stages : the stage names, in the order reports list them
    wake, rem : the wake stage and the REM stage
    aliases : case-folded name -> stage name (the stages themselves included)
    """

    name: str
    stages: tuple[str, ...]
    wake: str
    rem: str
    aliases: dict[str, str]

    @property
    def sleep(self) -> tuple[str, ...]:
        """Stages that are sleep: all but wake."""
        return tuple(s for s in self.stages if s != self.wake)

    def canonical(self, name: str) -> str:
        """``name`` in this style (``S4`` -> ``N3`` in ``aasm``), or itself when unknown."""
        return self.aliases.get(name.strip().casefold(), name)


def _aliases(stages: Iterable[str], extra: dict[str, str]) -> dict[str, str]:
    return {**{s.casefold(): s for s in stages}, **{k.casefold(): v for k, v in extra.items()}}


_WAKE_WORDS = {"wake": "W", "awake": "W"}
#: R&K -> AASM, from the EDF stage map (MT is artifact, handled apart).
_RK_TO_AASM = {rk: aasm for aasm, rk in STAGE_CODES.values() if rk and aasm and rk.casefold() not in ARTIFACT_NAMES}
AASM = StageStyle("aasm", ("W", "N1", "N2", "N3", "R"), "W", "R",
                  _aliases(("W", "N1", "N2", "N3", "R"), {**_WAKE_WORDS, "rem": "R", **_RK_TO_AASM}))
RK = StageStyle("rk", ("W", "S1", "S2", "S3", "S4", "R"), "W", "R",
                _aliases(("W", "S1", "S2", "S3", "S4", "R"), {**_WAKE_WORDS, "rem": "R"}))
RODENT = StageStyle("rodent", ("Wake", "NREM", "REM"), "Wake", "REM",
                    _aliases(("Wake", "NREM", "REM"), {"w": "Wake", "awake": "Wake", "nr": "NREM", "sws": "NREM",
                                                       "r": "REM", "ps": "REM"}))
STYLES = (AASM, RK, RODENT)


def excluded_kind(name: str) -> str | None:
    """``"artifact"``, ``"unscored"`` or None (a state that may be a stage)."""
    key = name.strip().casefold()
    return ARTIFACT if key in ARTIFACT_NAMES else UNSCORED if key in UNSCORED_NAMES else None


def best_style(names: Iterable[str]) -> tuple[StageStyle | None, bool]:
    """The style that fits ``names`` best (see the module doc), and whether it covers all of them.

    Artifact and unscored names are ignored; ``(None, False)`` when no style knows any name.
    """
    keys = {n.strip().casefold() for n in names if excluded_kind(n) is None}
    if not keys:
        return None, False

    def fit(style: StageStyle) -> tuple[int, int]:
        own = {s.casefold() for s in style.stages} - {style.wake.casefold(), style.rem.casefold()}
        return len(keys & style.aliases.keys()), len(keys & own)

    style = max(STYLES, key=fit)       # max keeps the first of equals: the order of STYLES
    covered = fit(style)[0]
    return (style, covered == len(keys)) if covered else (None, False)


@dataclass(frozen=True)
class SleepStatistics:
    """The statistics a sleep lab reports for one hypnogram (definitions: the module doc).

    Times are seconds; latencies are None when there is no sleep (or no REM).
    """

    style: StageStyle
    t0: float
    t1: float
    tst_s: float
    sleep_onset: float | None
    rem_onset: float | None
    last_sleep_end: float | None
    waso_s: float
    stage_s: dict[str, float]
    bouts: dict[str, int]
    artifact_s: float
    unscored_s: float
    lights_given: bool = False

    @property
    def trt_s(self) -> float:
        return self.t1 - self.t0

    @property
    def efficiency(self) -> float:
        return self.tst_s / self.trt_s if self.trt_s > 0 else math.nan

    @property
    def sleep_onset_latency_s(self) -> float | None:
        return None if self.sleep_onset is None else self.sleep_onset - self.t0

    @property
    def rem_latency_s(self) -> float | None:
        return None if self.rem_onset is None or self.sleep_onset is None else self.rem_onset - self.sleep_onset

    @property
    def spt_s(self) -> float:
        return 0.0 if self.sleep_onset is None else self.last_sleep_end - self.sleep_onset

    def lines(self) -> list[str]:
        """The statistics as report lines (``labels info``)."""
        st = self.style
        span = "lights off to on" if self.lights_given else "the span of the labels"
        sol, rem = self.sleep_onset_latency_s, self.rem_latency_s
        rows = [("total recording time", format_time(self.trt_s), ""),
                ("total sleep time", format_time(self.tst_s), "+".join(st.sleep)),
                ("sleep efficiency", _pct(self.tst_s, self.trt_s), "TST / TRT"),
                ("sleep onset latency", "no sleep" if sol is None else format_time(sol),
                 "" if sol is None else f"to the first sleep epoch, at {format_time(self.sleep_onset)}"),
                ("REM latency", "no REM" if rem is None else format_time(rem), "from sleep onset"),
                ("sleep period time", format_time(self.spt_s), "sleep onset to the end of the last sleep epoch"),
                ("WASO", format_time(self.waso_s), f"{st.wake} after sleep onset, until the last sleep epoch")]
        out = [f"sleep statistics ({st.name} stages; {format_time(self.t0)} .. {format_time(self.t1)}, {span})"]
        out += [f"  {what:<20}  {value:>9}" + (f"   ({note})" if note else "") for what, value, note in rows]
        width = max(len(s) for s in (*st.stages, ARTIFACT, UNSCORED))
        out.append(f"  {'stage':<{width}}  {'time':>9}  {'% TST':>6}  {'% TRT':>6}  {'bouts':>5}")
        rows = [(s, self.stage_s[s], self.bouts[s]) for s in st.stages]
        rows += [(name, secs, None) for name, secs in ((ARTIFACT, self.artifact_s), (UNSCORED, self.unscored_s))
                 if secs > 0]
        for name, secs, bouts in rows:
            tst = _pct(secs, self.tst_s) if name in st.sleep else "-"
            out.append(f"  {name:<{width}}  {format_time(secs):>9}  {tst:>6}  {_pct(secs, self.trt_s):>6}  "
                       f"{'' if bouts is None else bouts:>5}")
        return out


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole > 0 else "-"


def sleep_statistics(labels, lights_off: float | None = None, lights_on: float | None = None
                     ) -> SleepStatistics | None:
    """Sleep statistics of ``labels`` (an :class:`~loupe_tui.core.labels.IntervalLabelSet`).

    Parameters
    ----------
    labels : IntervalLabelSet
        One hypnogram.
    lights_off, lights_on : float, optional
        The recording period (TRT) in the labels' seconds; by default the
        span of the labels.

    Returns
    -------
    SleepStatistics or None
        None when the states are not sleep stages (see the module doc) or
        there are no labels in the period.
    """
    names = [labels.label_names[c] for c in labels.codes.tolist()]
    style, all_stages = best_style(names)
    if style is None or not all_stages or not len(names):
        return None
    t0 = float(labels.starts[0]) if lights_off is None else float(lights_off)
    t1 = float(labels.ends[-1]) if lights_on is None else float(lights_on)
    starts = np.clip(np.asarray(labels.starts, float), t0, t1)
    ends = np.clip(np.asarray(labels.ends, float), t0, t1)
    keep = ends > starts
    if t1 <= t0 or not keep.any():
        return None
    starts, ends = starts[keep], ends[keep]
    kinds = [excluded_kind(n) or style.canonical(n) for n, k in zip(names, keep) if k]
    kinds_arr = np.array(kinds, dtype=object)
    length = ends - starts
    stage_s = {s: float(length[kinds_arr == s].sum()) for s in style.stages}
    sleep = np.isin(kinds_arr, style.sleep)
    onset = float(starts[sleep][0]) if sleep.any() else None
    last_end = float(ends[sleep][-1]) if sleep.any() else None
    rem = kinds_arr == style.rem
    waso = 0.0
    if onset is not None:
        wake = kinds_arr == style.wake
        waso = float((np.clip(ends[wake], onset, last_end) - np.clip(starts[wake], onset, last_end)).sum())
    # A bout starts wherever an interval does not continue the previous one's stage.
    new_bout = np.ones(len(kinds), dtype=bool)
    new_bout[1:] = (kinds_arr[1:] != kinds_arr[:-1]) | (starts[1:] - ends[:-1] > TOUCH_S)
    bouts = {s: int((new_bout & (kinds_arr == s)).sum()) for s in style.stages}
    return SleepStatistics(style, t0, t1, tst_s=float(length[sleep].sum()), sleep_onset=onset,
                           rem_onset=float(starts[rem][0]) if rem.any() else None, last_sleep_end=last_end,
                           waso_s=waso, stage_s=stage_s, bouts=bouts,
                           artifact_s=float(length[kinds_arr == ARTIFACT].sum()),
                           unscored_s=(t1 - t0) - float(length[kinds_arr != UNSCORED].sum()),
                           lights_given=lights_off is not None or lights_on is not None)
