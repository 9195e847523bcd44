"""Data records to physical float32 in one pass (numba): what a pyramid build reads from an EDF.

``recs`` is a block of whole records as the file holds them (int16 samples
for EDF, bytes for BDF), ``offsets`` each signal's first sample in a record,
``n`` the samples per record the signals share. Samples ``[skip, skip +
count)`` of the block's run of each signal go to ``out[k]`` as ``digital *
gain + shift`` (float32 arithmetic for EDF's 16-bit samples, which float32 holds
exactly; float64 for BDF's 24 bits). One pass over the bytes, record by record,
no temporaries, where numpy's strided multiply-then-add made three.
"""

from __future__ import annotations

import numba
import numpy as np

#: fastmath: the multiply-add may be fused (a last-bit difference, invisible on screen) and vectorised
_JIT = dict(cache=True, nogil=True, boundscheck=False, fastmath=True)


@numba.njit(**_JIT)
def scale_edf(recs, offsets, n, gains, shifts, skip, count, out):
    # record by record, signal by signal, a run of contiguous samples each: sequential reads that
    # numba vectorises (int16 -> float32, multiply-add)
    n_sig = offsets.shape[0]
    r = skip // n
    c0 = skip - r * n
    i = 0
    while i < count:
        m = min(n - c0, count - i)
        for k in range(n_sig):
            g = np.float32(gains[k])
            s = np.float32(shifts[k])
            src = recs[r, offsets[k] + c0:offsets[k] + c0 + m]
            dst = out[k, i:i + m]
            for j in range(m):
                dst[j] = np.float32(src[j]) * g + s
        i += m
        r += 1
        c0 = 0


@numba.njit(**_JIT)
def scale_bdf(recs, offsets, n, gains, shifts, skip, count, out):
    n_sig = offsets.shape[0]
    r = skip // n
    c0 = skip - r * n
    i = 0
    while i < count:
        m = min(n - c0, count - i)
        for k in range(n_sig):
            g = gains[k]
            s = shifts[k]
            b = 3 * (offsets[k] + c0)
            for j in range(m):
                v = np.int32(recs[r, b]) | (np.int32(recs[r, b + 1]) << 8) | (np.int32(recs[r, b + 2]) << 16)
                if v >= 0x800000:
                    v -= 0x1000000
                out[k, i + j] = np.float32(v * g + s)
                b += 3
        i += m
        r += 1
        c0 = 0
