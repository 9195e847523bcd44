"""Agreement between scorers (``core/labels/agreement.py``), sleep statistics
(``core/labels/sleep_stats.py``) and ``loupe-tui labels compare``.

The kappas, the confusion matrix and precision/recall/F1 are written in numpy
in the core; scikit-learn (a test-time reference here, never imported by the
core) checks them on random scorings and on real expert hypnograms from
``../shared/data``, whose second scorer is a deterministic perturbation.
"""

from __future__ import annotations

import ast
import csv
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

from loupe_tui.core.labels import IntervalLabelSet
from loupe_tui.core.labels.agreement import compare, epoch_grid, fleiss_kappa
from loupe_tui.core.labels.edf_stages import EdfStageOptions
from loupe_tui.core.labels.sleep_stats import sleep_statistics
from loupe_tui.errors import LoupeConfigError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
YASA = DATA / "yasa_hypno_30s.txt"
SLEEP_EDF = DATA / "edf" / "SC4001EC-Hypnogram.edf"
HMC = DATA / "edf" / "hmc_SN001_hypnogram.edf"
real = pytest.mark.skipif(not DATA.exists(), reason=f"real data not present at {DATA} (../shared/data)")
EXCLUDED = {None, "Art", "MT", "?", "Unscored"}


def labels_from_epochs(states, epoch: float = 30.0, t0: float = 0.0) -> IntervalLabelSet:
    """One interval per run of equal states; None is no label."""
    rows: list[list] = []
    for k, s in enumerate(states):
        if s is None:
            continue
        a, b = t0 + k * epoch, t0 + (k + 1) * epoch
        if rows and rows[-1][2] == s and rows[-1][1] == a:
            rows[-1][1] = b
        else:
            rows.append([a, b, s])
    return labels_from_rows(rows)


def labels_from_rows(rows) -> IntervalLabelSet:
    df = pl.DataFrame({"start_s": [float(r[0]) for r in rows], "end_s": [float(r[1]) for r in rows],
                       "label": [r[2] for r in rows]}, schema={"start_s": pl.Float64, "end_s": pl.Float64,
                                                               "label": pl.String})
    return IntervalLabelSet.from_frame(df)


def epochs_of(labels: IntervalLabelSet, epoch: float = 30.0) -> list:
    """Per-epoch states of epoch-aligned labels, straight from the rows (not through the grid)."""
    out = [None] * round(float(labels.ends[-1]) / epoch)
    for r in labels:
        for k in range(round(r.start / epoch), round(r.end / epoch)):
            out[k] = r.label
    return out


NEIGHBOUR = {"W": "N1", "N1": "N2", "N2": "N1", "N3": "N2", "R": "N2"}


def second_scorer(epochs: list) -> list:
    """A deterministic second scoring: some transitions called an epoch late, every 23rd epoch
    a neighbouring stage, and three epochs of artifact."""
    out = list(epochs)
    for k in range(1, len(epochs)):
        if epochs[k] != epochs[k - 1] and k % 3 == 0:
            out[k] = epochs[k - 1]
    for k in range(0, len(out), 23):
        out[k] = NEIGHBOUR.get(out[k], out[k])
    out[40:43] = ["Art"] * 3
    return out


def check_against_sklearn(a_epochs: list, b_epochs: list, result) -> None:
    """Every number of a two-file ``result`` equals scikit-learn's on the epochs both scored."""
    keep = [x not in EXCLUDED and y not in EXCLUDED for x, y in zip(a_epochs, b_epochs)]
    y1 = [x for x, k in zip(a_epochs, keep) if k]
    y2 = [y for y, k in zip(b_epochs, keep) if k]
    states = list(result.grid.states)
    assert result.n_compared == len(y1)
    pair = result.pairs[0]
    np.testing.assert_array_equal(pair.confusion, confusion_matrix(y1, y2, labels=states))
    assert result.kappa == pytest.approx(cohen_kappa_score(y1, y2, labels=states), abs=1e-12)
    assert result.accuracy == pytest.approx(accuracy_score(y1, y2), abs=1e-12)
    p, r, f, s = precision_recall_fscore_support(y1, y2, labels=states, zero_division=np.nan)
    np.testing.assert_allclose(pair.precision, p, equal_nan=True)
    np.testing.assert_allclose(pair.recall, r, equal_nan=True)
    np.testing.assert_allclose(pair.f1, f, equal_nan=True)
    np.testing.assert_array_equal(pair.support, s)


# ------------------------------------------------------------------ against scikit-learn

@pytest.mark.parametrize("seed", range(8))
def test_random_scorings_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    names = ["W", "N1", "N2", "N3", "R", "Art"]
    n = int(rng.integers(50, 400))
    a = rng.choice(names, n, p=[0.2, 0.1, 0.4, 0.15, 0.1, 0.05]).tolist()
    b = [rng.choice(names) if rng.random() < 0.3 else s for s in a]
    if seed % 2:                                    # a state only one file uses, and one nobody scores
        b = ["N3" if s == "N1" else s for s in b]
    a = [None if rng.random() < 0.03 else s for s in a]
    result = compare([labels_from_epochs(a), labels_from_epochs(b)], ["a", "b"])
    check_against_sklearn(a, b, result)


def test_kappa_is_nan_when_chance_agreement_is_certain():
    result = compare([labels_from_epochs(["N2"] * 10), labels_from_epochs(["N2"] * 10)], ["a", "b"])
    assert result.accuracy == 1.0 and np.isnan(result.kappa)
    with warnings.catch_warnings():                    # scikit-learn says NaN too, and warns
        warnings.simplefilter("ignore")
        assert np.isnan(cohen_kappa_score(["N2"] * 10, ["N2"] * 10))


@real
@pytest.mark.parametrize("path", [YASA, SLEEP_EDF, HMC], ids=["yasa", "sleep-edf", "hmc"])
def test_real_hypnograms_against_a_perturbed_copy_match_sklearn(path):
    a = IntervalLabelSet.read(path)
    a_epochs = epochs_of(a)
    b_epochs = second_scorer(a_epochs)
    result = compare([a, labels_from_epochs(b_epochs)], [path.name, "second"])
    assert result.grid.epoch_s == 30.0 and result.grid.n_epochs == len(a_epochs)
    check_against_sklearn(a_epochs, b_epochs, result)
    assert 0.5 < result.kappa < 0.99
    assert result.epochs_per_state()[1, len(result.grid.states)] == 3          # the artifact, counted


@real
def test_yasa_epochs_from_the_raw_codes():
    # The grid's epochs of the YASA file are its lines (codes 0..4 -> W N1 N2 N3 R).
    codes = np.loadtxt(YASA, dtype=int)
    grid = epoch_grid([IntervalLabelSet.read(YASA), IntervalLabelSet.read(YASA)], ["a", "b"])
    assert grid.states == ("W", "N1", "N2", "N3", "R")
    np.testing.assert_array_equal(grid.codes[0], codes)


# ------------------------------------------------------------------ Fleiss' kappa

# Wikipedia's worked example ("Fleiss' kappa"): 10 subjects, 14 raters, 5 categories; kappa 0.210.
WIKIPEDIA = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]


def test_fleiss_kappa_of_the_wikipedia_table():
    # By hand: P_i = (sum of squares - 14) / (14 * 13), numerators 182 46 56 80 60 84 44 32 52 52, so
    # P-bar = 688 / 1820 = 0.378; column totals 20 28 39 21 32 of 140, so P_e = 4170 / 19600 = 0.213.
    p_bar, p_e = 688 / 1820, 4170 / 19600
    assert fleiss_kappa(np.array(WIKIPEDIA)) == pytest.approx((p_bar - p_e) / (1 - p_e), abs=1e-12)
    assert round(fleiss_kappa(np.array(WIKIPEDIA)), 3) == 0.210          # the page's value


def test_fleiss_kappa_of_three_files_by_hand():
    # Epochs: W W W | N2 N2 N1 | N2 N2 N2 | R N2 R. Per epoch P_i = 1, 1/3, 1, 1/3 -> P-bar 2/3;
    # shares W 3/12, N1 1/12, N2 6/12, R 2/12 -> P_e = 50/144; kappa = (2/3 - 25/72) / (47/72) = 23/47.
    files = [["W", "N2", "N2", "R"], ["W", "N2", "N2", "N2"], ["W", "N1", "N2", "R"]]
    result = compare([labels_from_epochs(f) for f in files], ["a", "b", "c"])
    assert result.kappa_name == "Fleiss' kappa"
    assert result.kappa == pytest.approx(23 / 47, abs=1e-12)
    assert result.accuracy == 0.5                          # all three agree on 2 of 4 epochs
    assert [p.other for p in result.pairs] == ["b", "c"]    # each against the first
    assert result.pairs[1].kappa == pytest.approx(cohen_kappa_score(files[0], files[2]))


def test_fleiss_kappa_matches_statsmodels():
    inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
    rng = np.random.default_rng(3)
    for _ in range(5):
        ratings = rng.integers(0, 4, size=(60, 5))
        table, _ = inter_rater.aggregate_raters(ratings, n_cat=4)
        assert fleiss_kappa(table) == pytest.approx(inter_rater.fleiss_kappa(table, method="fleiss"))
    assert fleiss_kappa(np.array(WIKIPEDIA)) == pytest.approx(inter_rater.fleiss_kappa(np.array(WIKIPEDIA)))


# ------------------------------------------------------------------ artifact, unscored, names

def test_artifact_and_unscored_epochs_are_left_out_and_counted():
    a = ["W", "Art", "N2", "N2", None, "?", "R", "R", "N2", "N2"]
    b = ["W", "N2", "MT", "N2", "N2", "N2", "Unscored", "R", "N3", "N2"]
    result = compare([labels_from_epochs(a), labels_from_epochs(b)], ["a", "b"])
    assert result.compared.tolist() == [True, False, False, True, False, False, False, True, True, True]
    check_against_sklearn(a, b, result)
    counts = result.epochs_per_state()                   # states..., artifact, unscored
    k = len(result.grid.states)
    assert counts[0, k:].tolist() == [1, 2] and counts[1, k:].tolist() == [1, 1]
    assert result.grid.excluded == ({"Art": "artifact", "?": "unscored"},
                                    {"MT": "artifact", "Unscored": "unscored"})
    assert "Art" not in result.grid.states and "MT" not in result.grid.states


def test_rk_against_aasm_names_are_mapped():
    aasm = ["W", "N1", "N2", "N3", "N3", "R", "W", "Art"]
    rk = ["Wake", "S1", "S2", "S3", "S4", "REM", "W", "MT"]
    result = compare([labels_from_epochs(aasm), labels_from_epochs(rk)], ["aasm", "rk"])
    assert result.grid.states == ("W", "N1", "N2", "N3", "R")
    assert result.accuracy == 1.0 and result.kappa == 1.0 and result.n_compared == 7
    assert result.grid.renamed == ({}, {"Wake": "W", "S1": "N1", "S2": "N2", "S3": "N3", "S4": "N3", "REM": "R"})


def test_files_with_the_same_names_are_compared_as_they_are():
    # Two R&K scorings keep S3 and S4 apart; two rodent scorings keep their names.
    a = labels_from_epochs(["W", "S1", "S3", "S4", "R"])
    b = labels_from_epochs(["W", "S1", "S4", "S4", "R"])
    result = compare([a, b], ["a", "b"])
    assert result.grid.states == ("W", "S1", "S3", "S4", "R") and result.grid.renamed == ({}, {})
    assert result.accuracy == 0.8
    # One R&K file without S4 still reads as R&K: nothing to map to AASM.
    c = labels_from_epochs(["W", "S1", "S3", "S3", "R"])
    assert compare([a, c], ["a", "c"]).grid.states == ("W", "S1", "S3", "S4", "R")
    mice = compare([labels_from_epochs(["Wake", "NREM", "REM"]), labels_from_epochs(["W", "NREM", "R"])], ["x", "y"])
    assert mice.grid.states == ("Wake", "NREM", "REM") and mice.accuracy == 1.0


@real
def test_sleep_edf_read_as_rk_and_as_aasm_agree_completely():
    aasm = IntervalLabelSet.read(SLEEP_EDF)
    rk = IntervalLabelSet.read(SLEEP_EDF, hypnogram=EdfStageOptions(names="rk"))
    result = compare([aasm, rk], ["aasm", "rk"])
    assert result.grid.renamed[1] == {"S1": "N1", "S2": "N2", "S3": "N3", "S4": "N3"}
    assert (result.accuracy, result.kappa, result.n_compared) == (1.0, 1.0, 2650)
    assert result.disagreements == ()


# ------------------------------------------------------------------ the epoch grid

def test_an_epoch_takes_the_state_that_covers_most_of_it():
    a = labels_from_epochs(["N2"] * 6)
    b = labels_from_rows([(0, 20, "N2"), (20, 40, "N1"),       # epoch 0: N2 20 s, N1 10 s -> N2
                          (40, 60, "N3"),                       # epoch 1: N1 10 s, N3 20 s -> N3
                          (60, 70, "R"),                        # epoch 2: R 10 s, unlabelled 20 s -> unscored
                          (90, 105, "W"), (105, 120, "N2"),     # epoch 3: a tie -> unscored
                          (120, 136, "Art"), (136, 150, "N2"),  # epoch 4: artifact
                          (150, 180, "N2")])
    grid = epoch_grid([a, b], ["a", "b"], 30.0)
    assert [grid.state_of(c) for c in grid.codes[1].tolist()] == ["N2", "N3", "unscored", "unscored",
                                                                   "artifact", "N2"]


def test_epoch_length_from_the_files_or_given():
    thirty = labels_from_epochs(["W", "N2", "N2", "R"])
    twenty = labels_from_epochs(["W", "N2", "N2", "R", "R", "W"], epoch=20.0)
    assert epoch_grid([thirty, thirty], ["a", "b"]).epoch_s == 30.0
    assert epoch_grid([thirty, twenty], ["a", "b"]).epoch_s == 10.0    # both grids fit 10 s
    assert epoch_grid([thirty, twenty], ["a", "b"], 60.0).n_epochs == 2
    odd = labels_from_rows([(0, 7.3, "W"), (7.3, 19.1, "N2"), (19.1, 33.3, "R")])
    with pytest.raises(LoupeConfigError, match=r"cannot tell the scoring epoch of a, b: .*--epoch SECONDS"):
        epoch_grid([odd, odd], ["a", "b"])
    with pytest.raises(LoupeConfigError, match="b: no labels to compare"):
        epoch_grid([thirty, labels_from_rows([])], ["a", "b"])
    for bad in (-5, 0, float("nan"), "30", True):
        with pytest.raises(LoupeConfigError, match="epoch length .*: must be a positive number of seconds"):
            epoch_grid([thirty, thirty], ["a", "b"], bad)
    assert epoch_grid([thirty, thirty], ["a", "b"], np.int64(60)).n_epochs == 2


def test_disagreements_are_runs_with_one_state_per_file():
    a = ["W", "W", "W", "N2", "N2", "R", "R", "N2", "N2"]
    b = ["W", "N1", "N1", "N3", "N2", "R", "W", "Art", "N3"]
    result = compare([labels_from_epochs(a), labels_from_epochs(b)], ["a", "b"])
    got = [(d.start, d.end, d.n_epochs, d.states) for d in result.disagreements]
    assert got == [(30.0, 90.0, 2, ("W", "N1")), (90.0, 120.0, 1, ("N2", "N3")), (180.0, 210.0, 1, ("R", "W")),
                   (240.0, 270.0, 1, ("N2", "N3"))]      # the artifact epoch breaks the last run


# ------------------------------------------------------------------ sleep statistics

def test_sleep_statistics_of_a_constructed_hypnogram():
    # 13 epochs of 30 s: W W N1 N2 N2 W N2 N3 N3 R R W W
    hyp = labels_from_epochs(["W", "W", "N1", "N2", "N2", "W", "N2", "N3", "N3", "R", "R", "W", "W"])
    st = sleep_statistics(hyp)
    assert st.style.name == "aasm"
    assert (st.trt_s, st.tst_s) == (390.0, 240.0)
    assert st.efficiency == pytest.approx(240 / 390)
    assert (st.sleep_onset, st.sleep_onset_latency_s, st.rem_latency_s) == (60.0, 60.0, 210.0)
    assert (st.spt_s, st.waso_s) == (270.0, 30.0)
    assert st.stage_s == {"W": 150.0, "N1": 30.0, "N2": 90.0, "N3": 60.0, "R": 60.0}
    assert st.bouts == {"W": 3, "N1": 1, "N2": 2, "N3": 1, "R": 1}
    # Lights off at 30 s, on at 360 s: the TRT and the latency shrink, the rest stays.
    lit = sleep_statistics(hyp, lights_off=30.0, lights_on=360.0)
    assert (lit.trt_s, lit.tst_s, lit.sleep_onset_latency_s, lit.waso_s) == (330.0, 240.0, 30.0, 30.0)
    assert any("lights off to on" in line for line in lit.lines())


def test_sleep_statistics_artifact_unscored_rodent_rk_and_not_stages():
    # Artifact and a gap after sleep onset are neither sleep nor WASO.
    st = sleep_statistics(labels_from_epochs(["W", "N2", "Art", None, "W", "R", "W"]))
    assert (st.tst_s, st.waso_s, st.artifact_s, st.unscored_s, st.spt_s) == (60.0, 30.0, 30.0, 30.0, 150.0)
    assert st.rem_latency_s == 120.0
    mouse = sleep_statistics(labels_from_epochs(["Wake", "NREM", "NREM", "REM", "Wake", "NREM"], epoch=4.0))
    assert mouse.style.name == "rodent" and mouse.style.sleep == ("NREM", "REM")
    assert (mouse.tst_s, mouse.sleep_onset_latency_s, mouse.rem_latency_s, mouse.waso_s) == (16.0, 4.0, 8.0, 4.0)
    rk = sleep_statistics(labels_from_epochs(["W", "S1", "S3", "S4", "MT", "REM"]))
    assert rk.style.name == "rk" and rk.stage_s["S4"] == 30.0 and rk.tst_s == 120.0 and rk.artifact_s == 30.0
    assert sleep_statistics(labels_from_epochs(["W", "N2", "grooming"])) is None
    assert sleep_statistics(labels_from_epochs(["Art", "Art"])) is None
    nosleep = sleep_statistics(labels_from_epochs(["W", "W"]))
    assert nosleep.tst_s == 0 and nosleep.sleep_onset_latency_s is None and nosleep.rem_latency_s is None


@real
def test_sleep_statistics_of_the_yasa_hypnogram_from_its_raw_codes():
    codes = np.loadtxt(YASA, dtype=int)                 # 0 W, 1 N1, 2 N2, 3 N3, 4 R; 30 s epochs
    sleep = np.flatnonzero(codes > 0)
    first, last = sleep[0], sleep[-1]
    st = sleep_statistics(IntervalLabelSet.read(YASA))
    assert st.trt_s == 30.0 * len(codes)
    assert st.tst_s == 30.0 * len(sleep)
    assert st.sleep_onset_latency_s == 30.0 * first
    assert st.rem_latency_s == 30.0 * (np.flatnonzero(codes == 4)[0] - first)
    assert st.waso_s == 30.0 * np.count_nonzero(codes[first:last + 1] == 0)
    assert [st.stage_s[s] for s in ("W", "N1", "N2", "N3", "R")] == (30.0 * np.bincount(codes)).tolist()
    # Measured: TST 5:38:30, SE 94.0 %, SOL 5.5 min, REM latency 63.5 min, WASO 16 min.
    assert (st.tst_s, round(100 * st.efficiency, 1), st.sleep_onset_latency_s, st.rem_latency_s, st.waso_s) == (
        20310.0, 94.0, 330.0, 3810.0, 960.0)


@real
def test_sleep_statistics_of_sleep_edf():
    st = sleep_statistics(IntervalLabelSet.read(SLEEP_EDF))
    assert st.sleep_onset == 30630.0                    # the README's "sleep starts at 30,630 s"
    assert st.tst_s == 58 * 30 + 250 * 30 + 220 * 30 + 125 * 30


# ------------------------------------------------------------------ the core stays numpy-only

def test_agreement_and_sleep_stats_import_only_numpy_and_loupe():
    for name in ("agreement.py", "sleep_stats.py"):
        tree = ast.parse((ROOT / "loupe_tui" / "core" / "labels" / name).read_text())
        mods = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        mods |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        tops = {m.split(".")[0] for m in mods}
        assert tops <= {"__future__", "math", "numbers", "collections", "dataclasses", "numpy", "loupe_tui"}, (
            name, tops)


# ------------------------------------------------------------------ the command, end to end

def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "loupe_tui", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def write_epochs_csv(path: Path, epochs: list) -> Path:
    labels_from_epochs(epochs).save_as(path)
    return path


@real
def test_compare_command_end_to_end(tmp_path):
    a_epochs = epochs_of(IntervalLabelSet.read(YASA))
    b_epochs = second_scorer(a_epochs)
    second = write_epochs_csv(tmp_path / "second.csv", b_epochs)
    out = tmp_path / "dis.csv"
    done = run_cli("labels", "compare", YASA, second, "--csv", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    keep = [x not in EXCLUDED and y not in EXCLUDED for x, y in zip(a_epochs, b_epochs)]
    y1 = [x for x, k in zip(a_epochs, keep) if k]
    y2 = [y for y, k in zip(b_epochs, keep) if k]
    assert f"kappa       {cohen_kappa_score(y1, y2):.3f} (Cohen's kappa)" in text
    assert f"accuracy    {100 * accuracy_score(y1, y2):.1f}%" in text
    assert "left out    3 epochs, artifact or unscored in some file (artifact: Art in B)" in text
    assert "per state (B against A as the reference)" in text and "% of each row" in text
    assert "time per state (from the epochs)" in text
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["start_s", "end_s", "epochs", "yasa_hypno_30s.txt", "second.csv"]
    assert f"disagreements {len(rows) - 1} intervals" in text
    assert sum(int(r[2]) for r in rows[1:]) == sum(x != y for x, y in zip(y1, y2))
    # --csv never overwrites without --force, nor a compared file.
    again = run_cli("labels", "compare", YASA, second, "--csv", out, cwd=tmp_path)
    assert again.returncode == 2 and "dis.csv: exists; pass --force to overwrite it" in again.stderr
    clash = run_cli("labels", "compare", YASA, second, "--csv", second, "--force", cwd=tmp_path)
    assert clash.returncode == 2 and "is one of the compared files" in clash.stderr
    three = run_cli("labels", "compare", YASA, second, second, cwd=tmp_path)
    assert three.returncode == 0 and "(Fleiss' kappa)" in three.stdout and "C against A" in three.stdout


def test_compare_command_errors_are_one_line(tmp_path):
    good = write_epochs_csv(tmp_path / "a.csv", ["W", "N2", "N2", "R"])
    missing = tmp_path / "nope.csv"
    for args, needle in [((good, missing), "nope.csv"), ((good,), "two or more label files"),
                         ((good, good, "--stage-names", "rk"), "--stage-names")]:
        done = run_cli("labels", "compare", *args, cwd=tmp_path)
        err = done.stderr.strip()
        assert done.returncode == 2 and err.startswith("loupe-tui: error: ") and "\n" not in err, err
        assert needle in err and "Traceback" not in err


@real
def test_info_prints_sleep_statistics(tmp_path):
    done = run_cli("labels", "info", YASA, cwd=tmp_path)
    assert done.returncode == 0
    assert "sleep statistics (aasm stages; 0:00:00 .. 6:00:00, the span of the labels)" in done.stdout
    assert "  sleep efficiency          94.0%   (TST / TRT)" in done.stdout
    plain = write_epochs_csv(tmp_path / "b.csv", ["grooming", "rest"])
    assert "sleep statistics" not in run_cli("labels", "info", plain, cwd=tmp_path).stdout
