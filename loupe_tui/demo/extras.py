"""The demo's other sources: spike events, a calcium heatmap and partial labels.

All follow the same hidden schedule as the EEG; spikes are also coupled to
the EEG's own slow waves (NREM down states) and theta (CA1 units), through
the 100 Hz band drives that :func:`loupe_tui.demo.signals.write_eeg` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from loupe_tui.demo import _dsp
from loupe_tui.demo._store import BlockWriter
from loupe_tui.demo.schedule import NREM, REM, STATES, WAKE, Hypnogram, states_to_bouts, write_bouts_csv

DRIVE_FS = 100.0
REFRACTORY_S = 0.0015

# name: (region, count, rate Hz (median), state gains Wake/NREM/REM, delta coupling, theta coupling)
UNIT_CLASSES = {
    "cortex_rs": ("cortex", 14, 0.5, (1.0, 0.7, 1.1), 1.2, 0.0),
    "cortex_fs": ("cortex", 3, 3.0, (1.0, 0.9, 1.2), 1.0, 0.0),
    "ca1_pyr": ("CA1", 11, 0.4, (1.0, 0.8, 1.5), 0.0, 0.8),
    "ca1_int": ("CA1", 2, 3.0, (1.0, 0.7, 1.8), 0.0, 1.0),
}


def _coupling(drive: np.ndarray, mask: np.ndarray, k: float) -> np.ndarray:
    # exp(k x) of a unit-RMS Gaussian band has mean exp(k^2 / 2): divide it
    # out so coupling shapes the rate without changing its mean.
    if k == 0.0:
        return np.ones(drive.shape, np.float32)
    return np.where(mask, np.exp(k * drive - 0.5 * k * k), 1.0).astype(np.float32)


def _poisson_times(rate: np.ndarray, dt: float, rng: np.random.Generator) -> np.ndarray:
    """Event times of an inhomogeneous Poisson process with piecewise-constant ``rate``.

    Time rescaling: uniform points in the integrated rate, mapped back
    through its cumulative sum. Cost O(bins + events), not O(bins x draws).
    """
    cum = np.cumsum(rate * dt, dtype=np.float64)
    total = float(cum[-1])
    u = np.sort(rng.uniform(0.0, total, rng.poisson(total)))
    idx = np.searchsorted(cum, u)
    idx = np.minimum(idx, rate.size - 1)
    frac = 1.0 - (cum[idx] - u) / np.maximum(rate[idx] * dt, 1e-12)
    t = (idx + np.clip(frac, 0.0, 1.0)) * dt
    keep = np.concatenate(([True], np.diff(t) >= REFRACTORY_S))
    return t[keep]


def write_spikes(path: Path, hyp: Hypnogram, drive: np.ndarray, seed: int, progress: Callable[[str], None]) -> int:
    """Write ``spikes.parquet`` (time, unit_id, region, snr), sorted by time.

    Parameters
    ----------
    path : Path
        Output parquet file.
    hyp : Hypnogram
        The hidden schedule.
    drive : float32 (2, n)
        Unit-RMS delta and theta bands at 100 Hz from the EEG generator.
    seed : int
        Base seed.
    progress : callable
        Receives progress lines.

    Returns
    -------
    int
        Number of spikes written.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 4]))
    n_bins = min(drive.shape[1], int(round(hyp.duration_s * DRIVE_FS)))
    bins_per_epoch = int(round(hyp.epoch_s * DRIVE_FS))
    regions = sorted({c[0] for c in UNIT_CLASSES.values()})
    units = []  # (region index, rates per state, delta coupling, theta coupling, snr)
    for region, count, rate_hz, gains, k_delta, k_theta in UNIT_CLASSES.values():
        for _ in range(count):
            base = rate_hz * float(np.exp(0.5 * rng.standard_normal()))
            rates = (base * np.asarray(gains) * np.exp(0.25 * rng.standard_normal(3))).astype(np.float32)
            units.append((regions.index(region), rates, k_delta, k_theta, rng.uniform(3.0, 12.0)))
    times = [[] for _ in units]
    snrs = [[] for _ in units]
    # One hour of 100 Hz bins at a time keeps memory small whatever the length.
    block = 3600 * int(DRIVE_FS)
    for b0 in range(0, n_bins, block):
        b1 = min(b0 + block, n_bins)
        e0, e1 = b0 // bins_per_epoch, -(-b1 // bins_per_epoch)
        off = e0 * bins_per_epoch
        state = np.repeat(hyp.states[e0:e1], bins_per_epoch)[b0 - off : b1 - off]
        nrem = state == NREM
        # Positive slow-wave peaks of the surface EEG are cortical down states:
        # coupling to -delta silences units there. Theta only exists outside NREM.
        delta_mod = {k: _coupling(-drive[0, b0:b1], nrem, k) for k in {u[2] for u in units}}
        theta_mod = {k: _coupling(drive[1, b0:b1], ~nrem, k) for k in {u[3] for u in units}}
        for u, (_, rates, k_delta, k_theta, snr) in enumerate(units):
            rate = rates[state] * delta_mod[k_delta] * theta_mod[k_theta]
            t = _poisson_times(rate, 1.0 / DRIVE_FS, rng) + b0 / DRIVE_FS
            times[u].append(t)
            snrs[u].append(np.round(snr * np.exp(0.08 * rng.standard_normal(t.size)), 1).astype(np.float32))
    unit_ids = np.concatenate([np.full(sum(map(len, ts)), u, np.int32) for u, ts in enumerate(times)])
    t = np.concatenate([np.concatenate(ts) for ts in times])
    order = np.argsort(t, kind="stable")
    unit_ids = unit_ids[order]
    region_idx = np.asarray([u[0] for u in units], np.int32)[unit_ids]
    table = pa.table({
        "time": pa.array(t[order]),
        "unit_id": pa.array(unit_ids),
        "region": pa.array(regions).take(pa.array(region_idx)),
        "snr": pa.array(np.concatenate([np.concatenate(s) for s in snrs])[order]),
    })
    table = table.replace_schema_metadata({
        "description": "synthetic sorted spikes; time in s on the recording clock",
        "units": "time: s, snr: peak amplitude / noise sd",
    })
    # Sorted float64 times share their high bytes: byte-stream-split (which
    # needs dictionary encoding off for that column) lets zstd squeeze them;
    # the file is ~25 % smaller than with default encodings.
    pq.write_table(table, path, compression="zstd", use_dictionary=["unit_id", "region", "snr"],
                   use_byte_stream_split=["time"], row_group_size=1 << 20)
    progress(f"spikes: {t.size:,} events from {len(units)} units")
    return int(t.size)


CALCIUM_FS = 10.0
CALCIUM_CHUNK = 1 << 15  # ~55 min at 10 Hz: one chunk is (40 cells x 32768) float32 = 5 MB
N_CELLS = 40


def write_calcium(store: Path, hyp: Hypnogram, seed: int, progress: Callable[[str], None]) -> None:
    """Write group ``calcium``: ``dff`` (cell, time) at 10 Hz, with depth and region per cell.

    Each cell prefers a state (Wake, REM or NREM active, or none); its
    transients are Poisson events convolved with an exponential decay
    (tau 0.6-1.5 s, like GCaMP6s), plus noise. Written in time blocks with
    the decay state carried across blocks.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 5]))
    n_total = int(round(hyp.duration_s * CALCIUM_FS))
    depth = np.sort(rng.uniform(120.0, 520.0, N_CELLS)).round(1)
    region = np.where(depth < 320.0, "L2/3", "L5").astype(object)
    prefers = rng.choice(4, N_CELLS, p=[0.45, 0.15, 0.25, 0.15])  # Wake, NREM, REM, none
    base = rng.uniform(0.03, 0.15, N_CELLS)
    gains = np.full((N_CELLS, 3), 0.5)
    for c in range(N_CELLS):
        if prefers[c] < 3:
            gains[c, prefers[c]] = 4.0
        else:
            gains[c] = 1.0
    rates = base[:, None] * gains  # events/s per cell per state
    decay = np.exp(-1.0 / (rng.uniform(0.6, 1.5, N_CELLS) * CALCIUM_FS))
    noise_sd = rng.uniform(0.02, 0.05, N_CELLS)[:, None]
    state_fn = hyp.state_at
    filt_state = np.zeros(N_CELLS)
    writer = None
    for i0 in range(0, n_total, CALCIUM_CHUNK):
        n = min(CALCIUM_CHUNK, n_total - i0)
        st = state_fn((np.arange(i0, i0 + n) + 0.5) / CALCIUM_FS)
        lam = rates[:, st] / CALCIUM_FS
        events = rng.poisson(lam).astype(np.float64)
        events *= np.exp(rng.normal(-0.7, 0.4, events.shape))  # amplitude per event, dF/F
        _dsp.exp_decay_filter(events, decay, filt_state)
        dff = (events + noise_sd * rng.standard_normal(events.shape)).astype(np.float32)
        # Quantised to 1/1024 dF/F (far below the noise) so zstd compresses it.
        np.multiply(np.round(dff * 1024), 1 / 1024, out=dff)
        if writer is None:
            writer = BlockWriter(
                store, "calcium", "dff", dff, n_total, CALCIUM_FS, CALCIUM_CHUNK,
                coords={"cell": np.arange(N_CELLS, dtype=np.int32)},
                attrs={"units": "dF/F", "fs": CALCIUM_FS, "long_name": "calcium transients (synthetic GCaMP)"},
                group_attrs={"fs": CALCIUM_FS, "source": "loupe-tui demo (synthetic)",
                             "description": "dF/F of 40 cells; order by depth_um, split by region"},
            )
            _add_cell_coords(store, depth, region, prefers)
        else:
            writer.write(i0, dff)
    progress(f"calcium: {N_CELLS} cells x {n_total:,} samples at {CALCIUM_FS:g} Hz")


def _add_cell_coords(store: Path, depth: np.ndarray, region: np.ndarray, prefers: np.ndarray) -> None:
    import xarray as xr

    pref = np.array([(*STATES, "none")[p] for p in prefers], dtype=object)
    coords = xr.Dataset(coords={
        "depth_um": ("cell", depth, {"units": "um", "long_name": "imaging depth below pia"}),
        "region": ("cell", region),
        "preferred_state": ("cell", pref),
    })
    coords.to_zarr(store, group="calcium", mode="a", consolidated=False, zarr_format=3)


SCORED_HOURS = 3.0


def write_partial_labels(path: Path, hyp: Hypnogram, seed: int) -> dict:
    """Write ``labels.csv``: the first hours of the truth as a human would score them.

    Scores the first ``min(3 h, half the recording)``, merged into bouts,
    with a couple of notes and a few deliberate disagreements with the truth
    (a missed brief awakening, a REM onset scored late, an early wake call).

    Returns
    -------
    dict
        ``scored_s`` and ``disagreements`` (epoch indices that differ).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 6]))
    n = max(1, min(int(SCORED_HOURS * 3600 / hyp.epoch_s), hyp.n_epochs // 2))
    truth = hyp.states[:n]
    scored = truth.copy()
    bouts = [(int(s / hyp.epoch_s), int(e / hyp.epoch_s), STATES.index(lab))
             for s, e, lab in states_to_bouts(truth, hyp.epoch_s)]
    # Brief awakenings inside sleep are the classic miss.
    brief = [b for i, b in enumerate(bouts) if b[2] == WAKE and b[1] - b[0] <= 2 and 0 < i < len(bouts) - 1]
    for s, e, _ in [brief[i] for i in sorted(rng.choice(len(brief), min(2, len(brief)), replace=False))]:
        scored[s:e] = NREM
    # REM onsets are often called an epoch or two late.
    rems = [b for b in bouts if b[2] == REM and b[1] - b[0] > 4]
    for s, e, _ in rems[:2]:
        scored[s : s + 2] = NREM
    # Falling asleep called one epoch late (last NREM-candidate wake epoch).
    onsets = [b for i, b in enumerate(bouts) if b[2] == NREM and i > 0 and bouts[i - 1][2] == WAKE and b[1] - b[0] > 3]
    if onsets:
        scored[onsets[0][0]] = WAKE
    out = states_to_bouts(scored, hyp.epoch_s)
    notes = {}
    first_rem = next((i for i, b in enumerate(out) if b[2] == "REM"), None)
    if first_rem is not None:
        notes[first_rem] = "REM onset unclear, theta builds slowly"
    first_long_wake = next((i for i, b in enumerate(out) if b[2] == "Wake" and b[1] - b[0] >= 40), None)
    if first_long_wake is not None:
        notes[first_long_wake] = "exploring, checked on video"
    notes[len(out) - 1] = notes.get(len(out) - 1, "scored up to here")
    write_bouts_csv(path, out, notes)
    return {"scored_s": n * hyp.epoch_s, "disagreements": np.flatnonzero(scored != truth).tolist()}
