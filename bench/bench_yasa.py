"""YASA's pretrained staging (issue 14, human PSG) against the DREAMS experts.

Data: the six DREAMS Spindles excerpts in ``../shared/data/edf/dreams`` (30 min
of one EEG channel each, 100 or 200 Hz, read from there: their licence allows
test use only, so nothing is copied). The experts scored 5 s epochs; an
epoch of 30 s takes the stage of most of its six (R&K numbers read as AASM:
S3 and S4 -> N3), a tie leaves it out. Each excerpt is staged by
:func:`loupe_tui.io.suggest.yasa_staging.stage` (one thread), the way
``loupe-tui suggest --method yasa`` and ``open --suggest yasa`` do.

Reported per excerpt and pooled: accuracy and Cohen's kappa against the
expert (scikit-learn's), the share of the commonest stage (what "always say
it" would score), and the time to stage (the first call in a process also
compiles antropy's numba code: reported apart).

``quick``: excerpts 1 and 2 only.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DREAMS = ROOT.parent / "shared" / "data" / "edf" / "dreams"
#: excerpt -> (channel, Hz), from each file's first line and the data README.
EXCERPTS = {1: ("C3-A1", 100.0), 2: ("CZ-A1", 200.0), 4: ("CZ-A1", 200.0), 5: ("CZ-A1", 200.0),
            6: ("CZ-A1", 200.0), 8: ("CZ-A1", 200.0)}
#: The DREAMS hypnograms' numbers (R&K) as AASM stages.
STAGES = {5: "W", 4: "R", 3: "N1", 2: "N2", 1: "N3", 0: "N3"}


def excerpt(n: int) -> tuple[np.ndarray, str, float]:
    name, fs = EXCERPTS[n]
    with open(DREAMS / f"excerpt{n}.txt") as f:
        if f.readline().strip() != f"[{name}]":
            raise ValueError(f"{DREAMS / f'excerpt{n}.txt'}: expected channel {name}")
        return np.loadtxt(f), name, fs


def expert(n: int) -> list[str | None]:
    """The expert's stage of each 30 s epoch (most of its six 5 s epochs; None on a tie)."""
    h = np.loadtxt(DREAMS / f"Hypnogram_excerpt{n}.txt", skiprows=1).astype(int)
    out = []
    for k in range(len(h) // 6):
        names, counts = np.unique([STAGES.get(int(v), "?") for v in h[6 * k: 6 * k + 6]], return_counts=True)
        top = np.flatnonzero(counts == counts.max())
        out.append(str(names[top[0]]) if len(top) == 1 and names[top[0]] != "?" else None)
    return out


def _scores(truth, said) -> dict:
    from sklearn.metrics import accuracy_score, cohen_kappa_score

    _, counts = np.unique(truth, return_counts=True)
    return {"epochs": len(truth), "accuracy": round(float(accuracy_score(truth, said)), 3),
            "kappa": round(float(cohen_kappa_score(truth, said)), 3),
            "commonest_share": round(float(counts.max() / counts.sum()), 3)}


def run(quick: bool = False) -> dict:
    from loupe_tui.io.suggest.yasa_staging import Channel, missing_packages, stage

    missing = missing_packages()
    if missing:
        raise SystemExit(f"bench_yasa needs the yasa extra ({', '.join(missing)} missing): "
                         "pip install 'loupe-tui[yasa]'")
    if not (DREAMS / "excerpt1.txt").exists():
        raise SystemExit(f"bench_yasa: the DREAMS excerpts are not under {DREAMS}")
    rows, all_truth, all_said = [], [], []
    warm = None
    for i, n in enumerate((1, 2) if quick else EXCERPTS):
        x, name, fs = excerpt(n)
        if i == 0:                              # the process's first call compiles antropy's numba code
            t = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                stage(Channel(name, "eeg", x, fs, 0.0))
            warm = time.perf_counter() - t
        t = time.perf_counter()
        made = stage(Channel(name, "eeg", x, fs, 0.0))
        seconds = time.perf_counter() - t
        pairs = [(e, s) for e, s in zip(expert(n), made.labels()) if e is not None and s is not None]
        truth, said = [p[0] for p in pairs], [p[1] for p in pairs]
        all_truth += truth
        all_said += said
        rows.append({"excerpt": n, "channel": f"{name} {fs:g} Hz", **_scores(truth, said),
                     "stage_s": round(seconds, 2)})
    rows.append({"excerpt": "pooled", "channel": "", **_scores(all_truth, all_said),
                 "stage_s": round(sum(r["stage_s"] for r in rows), 2)})
    return {"title": "YASA staging (pretrained, EEG only) against the DREAMS experts, 30 s epochs",
            "results": rows,
            "notes": f"first call in the process {warm:.1f} s (antropy's numba compilation and the first "
                     f"staging); the experts' 5 s epochs grouped to 30 s by majority"}
