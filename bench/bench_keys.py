"""Keystrokes per scored epoch (issue 14, "Measured, not promised"): a scripted scorer drives the app.

The scorer knows the truth (the demo's hidden hypnogram, ``truth_hypnogram.csv``)
and drives the real app, headless under Textual's ``App.run_test`` at 160x45 with
the spectral views open (as ``open --spectrogram EEG --emg EMG``: the
suggestions train), only through ``pilot.press``, until the labels equal the
truth on every epoch. It reads only what a person sees: the cursor's epoch,
the labels, and the suggestions the strip shows (``screen.suggestions.current``).
Each strategy starts from no labels (a new labels file), in a fresh app:

1. one key per epoch: the state hotkey of each epoch (auto-advance steps on);
2. one key per bout using selection: each bout of equal true state selected
   with the fewest keys the app offers, then its state key. The only keys
   that grow a selection are ``Shift+Right``/``Left`` (one epoch each; the
   first also starts the selection), and a state key on a selection labels it
   without advancing, so a bout of L >= 2 epochs costs L - 1 + 1 keys plus the
   ``.`` that steps to the next bout; a one-epoch bout is its state key;
3. with suggestions: by hand (1) until every state has the trainer's 20 scored
   epochs, then it waits (idle, as a person would: the status line says the
   suggestions are coming) until the strip shows them; then, at each epoch that
   still needs work, the run of equal suggestions holding it is accepted with
   ``Alt+R`` when every epoch the accept would label is right; where some are
   wrong it takes the cheaper of: walk forward (``;`` where the suggestion is
   right, the true state key where it is wrong: a *correction*) up to a wrong
   epoch and re-plan, or accept the run and go back to put the true state key
   on each wrong epoch, then ``Ctrl+U`` (next unscored) past the run. The
   trainer retrains in the background after edits as in the app (1 s after the
   last edit, at least every 5 s of editing); the scorer waits only when there
   are no suggestions, and plans with whatever the strip shows.

Navigation is counted too: the cheapest of ``.``/``,`` steps, ``Ctrl+U``,
``Home``/``End`` and a typed go-to (``g`` + elapsed seconds + Enter, every key
counted). Whatever is still wrong at the end (an ``Alt+R`` or ``;`` that met
suggestions newer than the ones the scorer read) is repaired the same way:
those keys count as ``repair`` keys and are in the total. Each row counts the
keys by kind (``state``, ``select``, ``nav``, ``hand``, ``accept_one`` (``;``),
``accept_run`` (``Alt+R``), ``correction``, ``repair``) with each kind's median
press time (``<kind>_p50_ms``); ``waits`` and ``waited_s`` are the scorer's
idle waits for suggestions, ``retrainings`` the trainings after the first.

Epochs: the session's grid (4 s from the recording's start). An epoch's true
state is the one that covers most of it (``targets_of``, the rule of ``labels
compare`` and the trainer), so a partial last epoch counts only when the truth
covers more than half of it, and is then scored as a whole grid epoch; epochs
with no true state must stay unscored. Done means: per epoch, the labels'
majority state equals the truth's (the demos' truths end on the grid: no
partial epoch).

Times: ``wall`` runs from the first key to the labels equalling the truth
(the scorer's own planning included, the app's start-up not). ``tool`` is the
time the app spent on the keys: the sum over keys of ``pilot.press`` (the key
sent through Textual's headless driver until the app and every widget of the
screen have processed all pending messages: key routing, the handler, the
label edit with its fsynced journal entry, the views' updates), so it leaves
out the scorer's planning and the waits for suggestions (``waited``); the
repaint runs on Textual's idle timer and is only partly inside it. ``key p50/
p95`` are per key of the same, ``handler`` the screen's own ``press_key`` time
(``MainScreen.key_ms``: keymap lookup, the action, the views' updates),
summed. ``unbound_key_p50_ms``, the reference: the same measure for a key
bound to nothing (F11, pressed 30 times before the strategy), the harness's
own cost per key; ``tool_less_unbound_s`` is ``tool`` less that for every key
(an estimate of what the app itself adds).

Size: full mode scores the 24 h demo (21,600 epochs) with strategy 3, and
strategies 1 and 2 on its first ``PART_HOURS`` hours only (each key through
Textual costs 40-200 ms: 21,600 of them would take half an hour or more on a busy
machine); their keys per epoch for the whole 24 h follow from the truth's
bouts by the same rule, in rows marked as computed, not measured. ``quick``:
the 1 h demo, strategy 3 on all 900 epochs, 1 and 2 on its first quarter hour.
The pyramids and spectral caches are built on the first run into
``$LOUPE_BENCH_DIR/keys-cache``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DIR = Path(os.environ.get("LOUPE_BENCH_DIR", "/tmp/loupe-tui-bench"))
EPOCH_S = 4.0
SIZE = (160, 45)
STATES = ("Wake", "NREM", "REM")
#: Hours of the demo that strategies 1 and 2 score (full mode, ``quick``).
PART_HOURS, QUICK_PART_HOURS = 1.0, 0.25
#: The reference key (bound to nothing: ``bench_tui``'s) and how often it is pressed before each strategy.
UNBOUND, UNBOUND_KEYS = "f11", 30
#: Seconds the app may take to build or open its pyramids and spectral caches.
READY_TIMEOUT_S = 1800.0
#: Seconds to wait for the first suggestions.
SUGGEST_TIMEOUT_S = 300.0
#: Seconds of waiting after which "not enough scored epochs" in the status line sends the scorer back to
#: scoring by hand (the trainer checks 1 s after the last edit; the first epoch has no features).
NOT_ENOUGH_S = 3.0
GOAL = 0.2


class Scorer:
    """Presses keys through the pilot and counts them; reads the cursor, the labels and the suggestions."""

    def __init__(self, pilot, truth: np.ndarray):
        self.pilot, self.screen = pilot, pilot.app.screen
        s = self.screen.session
        self.t0, self.n = s.t_start, s.n_epochs
        self.truth = truth
        keymap = self.screen.states
        self.state_key = {i: keymap.keys_for(name)[0] for i, name in enumerate(STATES)}
        self.action = {a: k[0] for a, k in keymap.action_keys.items() if k}
        self.kinds: Counter[str] = Counter()
        self.press_ms: list[float] = []
        self.kind_ms: dict[str, list[float]] = {}
        self.handler_ms: list[float] = []
        self.waits, self.waited_s = 0, 0.0

    # -- what a person sees ------------------------------------------------------------------
    def cursor(self) -> int:
        return self.screen.session.epoch_index()

    def labels(self) -> np.ndarray:
        """Each epoch's labelled state (codes of STATES, -1 none), by the same majority rule as the truth."""
        from loupe_tui.io.suggest import targets_of

        return np.asarray(targets_of(self.screen.session.labels, self.t0, EPOCH_S, self.n, STATES).codes)

    def suggested(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(codes, run_id)`` per epoch of the session's grid, in STATES codes; None before the first."""
        s = self.screen.suggestions.current
        if s is None:
            return None
        if abs(s.step_s - EPOCH_S) > 1e-9:
            raise RuntimeError(f"the suggestions' epochs are {s.step_s} s, the session's {EPOCH_S} s")
        lut = np.array([STATES.index(x) if x in STATES else -1 for x in s.states] + [-1])
        own = lut[np.where(np.asarray(s.codes) >= 0, s.codes, len(s.states))]
        j = np.round((self.t0 + np.arange(self.n) * EPOCH_S - s.first) / s.step_s).astype(np.int64)
        ok = (j >= 0) & (j < s.n_epochs)
        codes = np.where(ok, own[np.clip(j, 0, s.n_epochs - 1)], -1)
        # runs as Alt+R sees them: equal codes of the suggestions' own grid
        runs = np.concatenate([[0], np.cumsum(np.diff(np.asarray(s.codes)) != 0)])
        run_id = np.where(ok, runs[np.clip(j, 0, s.n_epochs - 1)], -1)
        return codes, run_id

    # -- keys ------------------------------------------------------------------------------
    async def press(self, key: str, kind: str) -> None:
        self.screen.key_ms.clear()
        t = time.perf_counter()
        await self.pilot.press(key)
        self.press_ms.append((time.perf_counter() - t) * 1e3)
        self.kind_ms.setdefault(kind, []).append(self.press_ms[-1])
        if self.screen.key_ms:
            self.handler_ms.append(self.screen.key_ms[-1])
        self.kinds[kind] += 1

    async def label(self, k: int, kind: str = "state") -> None:
        """The true state key (or Clear where the truth has none) on the cursor's epoch ``k``."""
        code = int(self.truth[k])
        await self.press(self.state_key[code] if code >= 0 else self.action["labels.clear"], kind)

    def nav_cost(self, k: int, c: int, labels: np.ndarray | None = None) -> tuple[int, str]:
        """The fewest keys from epoch ``c`` to epoch ``k`` and how."""
        if k == c:
            return 0, "here"
        best = [(abs(k - c), "step"), (2 + len(self._typed(k)), "typed")]
        if k == 0:
            best.append((1, "home"))
        if k == self.n - 1:
            best.append((1, "end"))
        if labels is not None and k > c and labels[k] < 0 and not (labels[c + 1:k] < 0).any():
            best.append((1, "unscored"))
        return min(best)

    def _typed(self, k: int) -> str:
        return f"{self.t0 + k * EPOCH_S:g}"

    async def goto(self, k: int, labels: np.ndarray | None = None) -> None:
        c = self.cursor()
        _, how = self.nav_cost(k, c, labels)
        if how == "step":
            key = self.action["nav.epoch_next" if k > c else "nav.epoch_prev"]
            for _ in range(abs(k - c)):
                await self.press(key, "nav")
        elif how == "typed":
            for key in (self.action["nav.goto_time"], *self._typed(k), "enter"):
                await self.press(key, "nav")
        elif how != "here":
            await self.press(self.action[{"home": "nav.start", "end": "nav.end",
                                          "unscored": "nav.next_unscored"}[how]], "nav")
        if self.cursor() != k:
            raise RuntimeError(f"navigation by {how} reached epoch {self.cursor()}, not {k}")

    async def repair(self, upto: int) -> None:
        """Whatever is wrong in the first ``upto`` epochs: go there, put the truth there."""
        for _ in range(upto + 10):
            wrong = np.flatnonzero(self.labels()[:upto] != self.truth[:upto])
            if not len(wrong):
                return
            c = self.cursor()
            ahead = wrong[wrong >= c]
            k = int(ahead[0] if len(ahead) else wrong[0])
            await self.goto(k)
            await self.label(k, "repair")
        raise RuntimeError("the labels never came to equal the truth")

    async def wait_for_suggestions(self, give_up_s: float | None = None) -> bool:
        """Wait until the strip shows suggestions (True); with ``give_up_s``, stop waiting (False) once
        that long has passed and the status line says the trainer has not enough scored epochs."""
        review = self.screen.suggestions
        if review.current is not None:
            return True
        self.waits += 1
        t = time.monotonic()
        try:
            while review.current is None:
                await self.pilot.pause(0.05)
                waited = time.monotonic() - t
                if give_up_s is not None and waited > give_up_s and (review.problem or "").startswith("not enough"):
                    return False
                if waited > SUGGEST_TIMEOUT_S:
                    raise RuntimeError(f"no suggestions within {SUGGEST_TIMEOUT_S:g} s ({review.problem})")
            return True
        finally:
            self.waited_s += time.monotonic() - t


# -- the strategies -----------------------------------------------------------------------------
async def one_per_epoch(sc: Scorer, upto: int) -> dict:
    for k in range(upto):
        if sc.truth[k] >= 0:
            await sc.goto(k)
            await sc.label(k)
    return {}


async def one_per_bout(sc: Scorer, upto: int) -> dict:
    extend = sc.action["sel.extend_next"]
    for a, b in bouts(sc.truth[:upto]):
        await sc.goto(a)
        for _ in range(b - a - 1):        # the first also starts the selection at the cursor's epoch
            await sc.press(extend, "select")
        await sc.label(a)                 # labels the selection (no advance), or the one epoch (advances)
    return {}


async def with_suggestions(sc: Scorer, upto: int) -> dict:
    from loupe_tui.io.suggest.model import MIN_PER_STATE

    review = sc.screen.suggestions
    k, seen = 0, np.zeros(len(STATES), int)
    while k < upto:
        if (seen >= MIN_PER_STATE).all():            # the trainer has enough (as far as the scorer knows)
            if await sc.wait_for_suggestions(give_up_s=NOT_ENOUGH_S):
                break
        if sc.truth[k] >= 0:                         # by hand; also when the status says "not enough"
            await sc.goto(k)
            await sc.label(k, "hand")
            seen[sc.truth[k]] += 1
        k += 1
    await sc.wait_for_suggestions()
    trained_before = review.trainer.trainings if review.trainer else 0
    shown = {id(review.current)}
    accept_run, accept_one = sc.action["suggest.accept_run"], sc.action["suggest.accept"]
    for _ in range(4 * upto + 10):
        labels = sc.labels()
        need = np.flatnonzero(labels[:upto] != sc.truth[:upto])
        if not len(need):
            break
        c = sc.cursor()
        ahead = need[need >= c]
        k = int(ahead[0] if len(ahead) else need[0])
        await sc.goto(k, labels)
        said = sc.suggested()
        if said is None:
            await sc.wait_for_suggestions()
            continue
        shown.add(id(review.current))
        codes, run_id = said
        if codes[k] < 0 or labels[k] >= 0:          # no suggestion here, or a wrong label: the true key
            await sc.label(k, "correction" if labels[k] >= 0 else "hand")
            continue
        run = np.flatnonzero((run_id == run_id[k]) & (np.arange(sc.n) < upto))
        todo = run[labels[run] < 0]                 # what Alt+R would label
        wrong = todo[sc.truth[todo] != codes[todo]]
        if len(todo) == 1:
            await (sc.press(accept_one, "accept_one") if not len(wrong) else sc.label(k, "correction"))
            continue
        walk = _walk_first(sc, k, int(run[-1]), wrong, labels)
        if walk:
            await (sc.press(accept_one, "accept_one") if sc.truth[k] == codes[k] else sc.label(k, "correction"))
            continue
        await sc.press(accept_run, "accept_run")
        after = sc.labels()                          # what it did (the suggestions may have changed)
        at = np.arange(upto)
        wrong = (after[:upto] != sc.truth[:upto]) & (after[:upto] >= 0) & (at >= run[0]) & (at <= sc.cursor())
        for m in np.flatnonzero(wrong)[::-1]:        # from behind: each true key steps on, away from the next
            await sc.goto(int(m))
            await sc.label(int(m), "correction")
    else:
        raise RuntimeError("the scorer with suggestions did not finish")
    await sc.repair(upto)
    trainings = (review.trainer.trainings if review.trainer else 0) - trained_before
    return {"retrainings": trainings, "suggestions_seen": len(shown)}


def _walk_first(sc: Scorer, k: int, end: int, wrong: np.ndarray, labels: np.ndarray) -> bool:
    """Whether walking forward from ``k`` (one key an epoch) beats accepting the run now and fixing the
    wrong epochs from behind: the cheapest split of the wrong epochs into walked and fixed-after."""
    if not len(wrong):
        return False
    fwd = wrong[wrong >= k]
    best_walk, best_accept = None, None
    for i in range(len(fwd) + 1):
        cost = int(fwd[i - 1] - k + 1) if i else 0
        rest = np.concatenate([wrong[wrong < k], fwd[i:]])
        p = int(fwd[i - 1]) + 1 if i else k
        if len(rest) or (labels[p:end + 1] < 0).any():
            cost += 1                                   # Alt+R
            cur = end + 1
            for m in sorted(rest.tolist(), reverse=True):
                cost += sc.nav_cost(m, cur)[0] + 1
                cur = m + 1
            if len(rest):
                cost += 1                               # Ctrl+U past the run
        if i == 0:
            best_accept = cost
        elif best_walk is None or cost < best_walk:
            best_walk = cost
    return best_walk is not None and best_walk < best_accept


def bouts(codes: np.ndarray) -> list[tuple[int, int]]:
    """``[a, b)`` of each run of equal true state (epochs without one left out)."""
    cut = np.flatnonzero(np.diff(codes) != 0) + 1
    a = np.concatenate([[0], cut])
    b = np.concatenate([cut, [len(codes)]])
    return [(int(x), int(y)) for x, y in zip(a, b) if codes[x] >= 0]


def bout_keys(codes: np.ndarray) -> int:
    """Strategy 2's keys on ``codes`` from epoch 0 with no labels: a bout of L epochs is L - 1 extensions
    and a state key, plus the step to the next bout after a selection (computed, for the extrapolation)."""
    keys, cur = 0, 0
    for a, b in bouts(codes):
        keys += abs(a - cur) + (b - a - 1) + 1
        cur = b - 1 if b - a > 1 else b
    return keys


# -- running ------------------------------------------------------------------------------------
async def _score(app, truth_path: Path, strategy, upto_epochs: int | None) -> dict:
    from loupe_tui.core.labels import IntervalLabelSet
    from loupe_tui.io.suggest import targets_of

    async with app.run_test(size=SIZE) as pilot:
        t = time.monotonic()
        screen = app.screen
        while not (screen.query_one("#traces")._pyramids and screen.spectral.opened):
            await pilot.pause(0.1)
            if time.monotonic() - t > READY_TIMEOUT_S:
                raise RuntimeError("pyramids or spectral views never ready")
        if not screen.spectral.views:
            raise RuntimeError(f"spectral views failed: {screen.status_bar.message}")
        await pilot.pause()
        ready_s = time.monotonic() - t
        s = screen.session
        truth = np.asarray(targets_of(IntervalLabelSet.read(truth_path), s.t_start, EPOCH_S, s.n_epochs,
                                      STATES).codes)
        upto = s.n_epochs if upto_epochs is None else min(upto_epochs, s.n_epochs)
        sc = Scorer(pilot, truth)
        unbound = []                                 # the harness's own cost: a key that nothing is bound to
        for _ in range(UNBOUND_KEYS):
            t = time.perf_counter()
            await pilot.press(UNBOUND)
            unbound.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        extra = await strategy(sc, upto)
        await sc.repair(upto)
        wall = time.perf_counter() - t
        assert (sc.labels()[:upto] == truth[:upto]).all()
        ms, ref = np.asarray(sc.press_ms), float(np.median(unbound))
        n_keys = len(ms)
        return {"keys": n_keys, "epochs": upto, "keys_per_epoch": round(n_keys / upto, 4),
                "wall_s": round(wall, 1), "tool_s": round(float(ms.sum()) / 1e3, 1),
                "tool_less_unbound_s": round(max(0.0, float(ms.sum()) - n_keys * ref) / 1e3, 1),
                "handler_s": round(sum(sc.handler_ms) / 1e3, 2),
                "key_p50_ms": round(float(np.median(ms)), 2), "key_p95_ms": round(float(np.percentile(ms, 95)), 2),
                "unbound_key_p50_ms": round(ref, 2), "waits": sc.waits, "waited_s": round(sc.waited_s, 1),
                **{f"{k}_keys": v for k, v in sorted(sc.kinds.items())},
                **{f"{k}_p50_ms": round(float(np.median(v)), 1) for k, v in sorted(sc.kind_ms.items())}, **extra,
                "truth_bouts": len(bouts(truth[:upto])), "startup_s": round(ready_s, 1)}


def run(quick: bool = False) -> dict:
    from loupe_tui.api import make_app
    from loupe_tui.config import SpectrogramConfig, TraceConfig
    from loupe_tui.core.labels import IntervalLabelSet
    from loupe_tui.demo import ensure_demo
    from loupe_tui.io.suggest import targets_of

    hours = 1.0 if quick else 24.0
    paths = ensure_demo(BENCH_DIR / ("demo1h" if quick else "demo24"), hours=hours, video_minutes=1.0,
                        progress=lambda line: None)
    cache = BENCH_DIR / "keys-cache"        # pyramids and spectral caches: built on the first run
    part = int((QUICK_PART_HOURS if quick else PART_HOURS) * 3600 / EPOCH_S)
    cases = (("1. one key per epoch", one_per_epoch, part), ("2. one key per bout, by selection", one_per_bout, part),
             ("3. with suggestions (Alt+R runs, corrections)", with_suggestions, None))
    rows = []
    load = [os.getloadavg()[0]]
    for what, strategy, upto in cases:
        with tempfile.TemporaryDirectory(prefix="bench-keys-") as tmp:
            traces = TraceConfig.from_path(paths.recording, group=paths.eeg_group)
            spectral = SpectrogramConfig(traces.data, channel="EEG", emg_channel="EMG")
            app = make_app([traces, spectral], interval_labels=Path(tmp) / "labels.csv",
                           state_definitions="rodent_sleep", window=False, epoch_len=EPOCH_S, cache_dir=cache,
                           title="bench keys")
            row = asyncio.run(_score(app, paths.truth, strategy, upto))
        load.append(os.getloadavg()[0])
        part_of = "" if upto is None else f", the first {upto * EPOCH_S / 3600:g} h"
        rows.append({"strategy": what + part_of, **row, "goal_keys_per_epoch": GOAL})
    truth = np.asarray(targets_of(IntervalLabelSet.read(paths.truth), 0.0, EPOCH_S,
                                  int(round(hours * 3600 / EPOCH_S)), STATES).codes)
    for row, keys in zip(rows, (int((truth[:part] >= 0).sum()), bout_keys(truth[:part]))):
        row["computed_keys"] = keys          # the rule the whole-recording rows use, on the part measured
    if part < len(truth):
        n = len(truth)
        for what, keys in (("1. one key per epoch", int((truth >= 0).sum())), ("2. one key per bout, by selection",
                                                                                bout_keys(truth))):
            rows.append({"strategy": f"{what}, all {hours:g} h: computed from the truth's bouts (not measured)",
                         "keys": keys, "epochs": n, "keys_per_epoch": round(keys / n, 4)})
    n_bouts = len(bouts(truth))
    notes = (f"{hours:g} h demo, {len(truth):,} epochs of {EPOCH_S:g} s, {n_bouts} bouts in the truth; "
             f"strategy 2 would cost 3 keys a bout ({3 * n_bouts / len(truth):.3f} keys per epoch) with a key that "
             f"grows the selection to the next state change of the suggestions (the app has none: Shift+Right "
             f"is one epoch); {os.cpu_count()} CPUs, load average {', '.join(f'{x:.2f}' for x in load)} "
             f"(before and after each strategy)")
    return {"title": f"keystrokes per scored epoch, scripted scorer through the app's keys, {hours:g} h demo",
            "results": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=1, default=str))
