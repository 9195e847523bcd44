"""Numba kernels of the min/max pyramid (single core, no ``parallel``).

NaN handling without a NaN check: every running extreme starts at ``+inf``
(min) / ``-inf`` (max) and is updated with ``v if v < lo else lo``. A NaN
``v`` compares false and is skipped, and that compare-and-select is exactly
``vminps``/``vmaxps``, so LLVM vectorises the loops without ``fastmath``.
A bin that saw no number ends with ``lo > hi`` (``+inf > -inf``), which no
real data can give (``lo <= v <= hi``); it is stored as NaN, the gap marker.
Infinities are missing samples too, like NaN (a run of them is drawn as a
gap): ``+inf`` never lowers the running minimum nor ``-inf`` raises the
maximum by the compares above, and the two remaining cases are excluded by
one more compare each (``v > -inf`` for the minimum, ``v < inf`` for the
maximum), which still vectorises.

Lo and hi live in separate arrays: storing them interleaved as ``(..., 2)``
pairs stopped LLVM from vectorising (1.7 vs 2.4 G samples/s measured).

The bin sizes are module constants, so the inner loops have a fixed trip
count and are unrolled; they are part of the cache format version.
"""

from __future__ import annotations

import numba
import numpy as np

#: Samples per bin at level 0.
BIN0 = 4
#: Bins of level ``k`` per bin of level ``k + 1``.
FACTOR = 8
#: Samples per chunk in :func:`levels01` (multiple of ``BIN0 * FACTOR``): the
#: level-0 output of one chunk (2 x 4 KiB) is still in L1 when level 1 reads it.
_CHUNK = 4096

_JIT = dict(nogil=True, cache=True, boundscheck=False)


@numba.njit(**_JIT)
def _samples_row(x, lo, hi):
    """Bins of ``BIN0`` samples of 1-D ``x`` into ``lo/hi`` (the last bin may be short).

    Callers pass slices rather than offsets: with ``x[i0 + k]`` indexing LLVM
    stopped vectorising (1.2 vs 2.3 G samples/s measured).
    """
    inf = np.float32(np.inf)
    nan = np.float32(np.nan)
    n = x.shape[0]
    nfull = n // BIN0
    for b in range(nfull):
        mn = inf
        mx = -inf
        for k in range(BIN0):
            v = x[b * BIN0 + k]
            mn = v if (v < mn) & (v > -inf) else mn
            mx = v if (v > mx) & (v < inf) else mx
        bad = mn > mx
        lo[b] = nan if bad else mn
        hi[b] = nan if bad else mx
    if nfull * BIN0 < n:
        mn = inf
        mx = -inf
        for i in range(nfull * BIN0, n):
            v = x[i]
            mn = v if (v < mn) & (v > -inf) else mn
            mx = v if (v > mx) & (v < inf) else mx
        bad = mn > mx
        lo[nfull] = nan if bad else mn
        hi[nfull] = nan if bad else mx


@numba.njit(**_JIT)
def _bins_row(lo_in, hi_in, lo, hi):
    """Groups of ``FACTOR`` bins of 1-D ``lo_in/hi_in`` into ``lo/hi`` (last group may be short)."""
    inf = np.float32(np.inf)
    nan = np.float32(np.nan)
    n = lo_in.shape[0]
    nfull = n // FACTOR
    for b in range(nfull):
        mn = inf
        mx = -inf
        for k in range(FACTOR):
            v = lo_in[b * FACTOR + k]
            mn = v if v < mn else mn
            w = hi_in[b * FACTOR + k]
            mx = w if w > mx else mx
        bad = mn > mx
        lo[b] = nan if bad else mn
        hi[b] = nan if bad else mx
    if nfull * FACTOR < n:
        mn = inf
        mx = -inf
        for i in range(nfull * FACTOR, n):
            v = lo_in[i]
            mn = v if v < mn else mn
            w = hi_in[i]
            mx = w if w > mx else mx
        bad = mn > mx
        lo[nfull] = nan if bad else mn
        hi[nfull] = nan if bad else mx


@numba.njit(**_JIT)
def levels01(x, lo0, hi0, lo1, hi1):
    """Level 0 (``BIN0`` samples) and level 1 (``BIN0 * FACTOR``) of a block.

    ``x`` is ``(n_ch, m)`` float32; outputs are ``(n_ch, ceil(m / bin))``.
    Only the block's last bin may be short, so callers feed blocks whose
    length is a multiple of ``BIN0 * FACTOR`` except for the final one.
    Level 1 is made chunk by chunk from level 0 while it is still in cache:
    only level 0 ever reads raw samples.
    """
    m = x.shape[1]
    for c in range(x.shape[0]):
        for s in range(0, m, _CHUNK):
            e = min(s + _CHUNK, m)
            b0 = s // BIN0
            b1 = (e + BIN0 - 1) // BIN0
            _samples_row(x[c, s:e], lo0[c, b0:b1], hi0[c, b0:b1])
            g0 = s // (BIN0 * FACTOR)
            _bins_row(lo0[c, b0:b1], hi0[c, b0:b1], lo1[c, g0:], hi1[c, g0:])


@numba.njit(**_JIT)
def reduce_bins(lo_in, hi_in, lo, hi):
    """Next level up: groups of ``FACTOR`` bins, ``(n_ch, m)`` -> ``(n_ch, ceil(m / FACTOR))``."""
    for c in range(lo_in.shape[0]):
        _bins_row(lo_in[c], hi_in[c], lo[c], hi[c])


@numba.njit(**_JIT)
def columns(lo, hi, chans, edges, out_lo, out_hi):
    """Per pixel column min/max: column ``j`` of channel ``chans[i]`` reduces
    ``lo/hi[chans[i], edges[j]:edges[j + 1]]``; an empty or all-NaN column is NaN.

    Used on a pyramid level (bins) and on raw samples (``lo is hi``).
    """
    inf = np.float32(np.inf)
    nan = np.float32(np.nan)
    n_px = edges.shape[0] - 1
    for i in range(chans.shape[0]):
        lr = lo[chans[i]]
        hr = hi[chans[i]]
        for j in range(n_px):
            mn = inf
            mx = -inf
            for k in range(edges[j], edges[j + 1]):
                v = lr[k]
                mn = v if (v < mn) & (v > -inf) else mn
                w = hr[k]
                mx = w if (w > mx) & (w < inf) else mx
            bad = mn > mx
            out_lo[i, j] = nan if bad else mn
            out_hi[i, j] = nan if bad else mx


def warmup() -> None:
    """Compile (or load from numba's on-disk cache) every kernel signature in use.

    Call once in a worker at start-up so the first page flip does not pay for
    JIT compilation.
    """
    x = np.zeros((1, 64), np.float32)
    lo0, hi0 = np.empty((1, 16), np.float32), np.empty((1, 16), np.float32)
    lo1, hi1 = np.empty((1, 2), np.float32), np.empty((1, 2), np.float32)
    levels01(x, lo0, hi0, lo1, hi1)
    levels01(x[:, 1:33], lo0, hi0, lo1, hi1)  # non-contiguous views (builder tails)
    reduce_bins(lo0, hi0, lo1, hi1)
    reduce_bins(lo0[:, 1:], hi0[:, 1:], lo1, hi1)
    edges = np.array([0, 4, 16], np.int64)
    chans = np.zeros(1, np.int64)
    out_lo, out_hi = np.empty((1, 2), np.float32), np.empty((1, 2), np.float32)
    columns(x, x, chans, edges, out_lo, out_hi)  # raw samples
    ro = np.zeros((2, 1, 16), np.float32)
    ro.flags.writeable = False  # pyramid levels are read-only memmaps
    columns(ro[0], ro[1], chans, edges, out_lo, out_hi)
