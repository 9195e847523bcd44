"""Which parts of a frame changed, and the cheapest X requests that show them.

Over X forwarding every pixel put crosses the network (4 bytes a pixel, no
shared memory). A state key changes a label band and the cursor; a page flip
changes the plot area but not the hypnogram, the names or the video. Rather
than have every panel guess what it changed (and get it wrong one day), the
presenter reads the drawn frame back from the GL back buffer (local memory
with Mesa's software rasteriser: a few ms) and compares it with the frame
the window shows, in bands of 4 rows. Only the columns of a band holding a
changed pixel are sent, so what the window shows is always exactly the frame
drawn: the same pixels a whole put would give.

Much of what changes is flat: label shading behind the traces, the gaps
between raster ticks, panel backgrounds. A run of changed columns that is
one colour over the whole band is sent as a filled rectangle (8 bytes in a
``PolyFillRectangle``, batched per colour) instead of its pixels (16 bytes a
column); the rest is put as pixels (``PutImage``). Runs repeated by the next
band grow down into taller rectangles.

Pure numpy: :class:`DamageTracker` keeps the frame on screen and turns a new
one into a :class:`Plan`; :func:`plan_frame` does the geometry. Frames are
``(h, w, 4)`` uint8 in the window's row order (top row first) and byte order
(B, G, R, X: one little-endian word ``0xXXRRGGBB`` a pixel, the X server's
pixel value once the top byte is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Height in pixels of the bands a frame is compared in. Within a band, changed columns are found
#: exactly: a cursor line or a label band costs its own width.
BAND = 4
#: A flat run this many columns wide or more is filled, not put.
MIN_FILL = 2
#: At most this many put rectangles a frame; beyond, runs in a band are joined across ever wider gaps.
MAX_PUTS = 1024
#: The colour bits of a pixel word (the top byte is alpha or padding, which the window ignores).
RGB_MASK = np.uint32(0x00FFFFFF)
#: X request bytes: PutImage's header, and per rectangle and per colour of a PolyFillRectangle
#: (with the ChangeGC that sets its colour).
PUT_HEADER, FILL_RECT, FILL_COLOUR = 24, 8, 12 + 16

Rect = tuple[int, int, int, int]   # x, y, w, h


RECT_DTYPE = np.dtype([("x", "<i2"), ("y", "<i2"), ("w", "<u2"), ("h", "<u2")])   # Xlib's XRectangle


def _no_rects() -> np.ndarray:
    return np.zeros(0, RECT_DTYPE)


@dataclass
class Plan:
    """What to send, in the frame's coordinates (x right, y down from the top row): ``puts``,
    rectangles of pixels, and ``fills``, rectangles of one colour each (``fill_colours``, the
    pixel values, in runs: the fills are sorted by colour). Rectangles are ``RECT_DTYPE`` arrays,
    laid out as Xlib's ``XRectangle`` so that they go to Xlib as they are."""

    puts: np.ndarray = field(default_factory=_no_rects)
    fills: np.ndarray = field(default_factory=_no_rects)
    fill_colours: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    whole: bool = False           # the window's pixels were unknown: this plan covers all of it

    @property
    def empty(self) -> bool:
        return not len(self.puts) and not len(self.fills)

    def put_list(self) -> list[Rect]:
        return [tuple(int(v) for v in r) for r in self.puts.tolist()]

    def fill_groups(self) -> list[tuple[int, np.ndarray]]:
        """``(colour, rectangles)`` per colour, in order."""
        if not len(self.fills):
            return []
        starts = np.flatnonzero(np.r_[True, self.fill_colours[1:] != self.fill_colours[:-1]])
        ends = np.r_[starts[1:], len(self.fills)]
        return [(int(self.fill_colours[a]), self.fills[a:b]) for a, b in zip(starts, ends)]

    def fill_dict(self) -> dict[int, list[Rect]]:
        return {c: sorted(tuple(int(v) for v in r) for r in rs.tolist()) for c, rs in self.fill_groups()}

    def put_pixels(self) -> int:
        return int((self.puts["w"].astype(np.int64) * self.puts["h"]).sum())

    def request_bytes(self) -> int:
        """The bytes these requests put on the X connection (32 bits a pixel)."""
        n_colours = len(self.fill_groups())
        return (PUT_HEADER * len(self.puts) + 4 * self.put_pixels()
                + FILL_RECT * len(self.fills) + FILL_COLOUR * n_colours)

    def apply(self, shown: np.ndarray, frame: np.ndarray) -> None:
        """Do to ``shown`` what the X server does with these requests (tests, and nothing else)."""
        for x, y, w, h in self.put_list():
            shown[y:y + h, x:x + w] = frame[y:y + h, x:x + w]
        for colour, rects in self.fill_groups():
            for x, y, w, h in rects.tolist():
                region = frame[y:y + h, x:x + w]
                if not (_words(region) == colour).all():
                    raise AssertionError(f"fill {colour:06x} at {(x, y, w, h)} is not flat in the frame")
                shown[y:y + h, x:x + w] = region


def plan_frame(prev: np.ndarray | None, cur: np.ndarray, band: int = BAND, min_fill: int = MIN_FILL,
               max_puts: int = MAX_PUTS) -> Plan:
    """The requests that turn a window showing ``prev`` (None: unknown pixels) into ``cur``."""
    if prev is not None and prev.shape != cur.shape:
        raise ValueError(f"frames differ in shape: {prev.shape} and {cur.shape}")
    h, w = cur.shape[:2]
    nb = -(-h // band)
    pad = nb * band - h
    words = _words(cur)
    if pad:
        words = np.pad(words, ((0, pad), (0, 0)), mode="edge")   # repeating the last row keeps flatness
    bands = words.reshape(nb, band, w)
    if prev is None:
        changed = np.ones((nb, w), bool)
    else:
        diff = _words(prev) != _words(cur)
        if pad:
            diff = np.pad(diff, ((0, pad), (0, 0)))
        changed = diff.reshape(nb, band, w).any(axis=1)
    top = bands[:, 0, :]
    cand = changed & (bands == top[:, None, :]).all(axis=1)      # changed and one colour down the band

    # runs of candidate columns of one colour, along each band
    same = np.zeros_like(cand)
    same[:, 1:] = cand[:, 1:] & cand[:, :-1] & (top[:, 1:] == top[:, :-1])
    r, c0, c1 = _runs_of(cand, same)
    keep = (c1 - c0) >= min_fill
    r, c0, c1 = r[keep], c0[keep], c1[keep]
    colour = top[r, c0]
    put_cells = changed.copy()
    if len(r):
        cover = np.zeros((nb, w + 1), np.int32)
        np.add.at(cover, (r, c0), 1)
        np.add.at(cover, (r, c1), -1)
        put_cells &= np.cumsum(cover, axis=1)[:, :w] == 0
    b0, b1, c0, c1, colour = _grow(r, c0, c1, colour)
    order = np.argsort(colour, kind="stable")
    fills = _rects(c0[order], b0[order], b1[order], c1[order], band, h)

    gap = 0
    while True:
        cont = np.zeros_like(put_cells)
        cont[:, 1:] = put_cells[:, 1:] & put_cells[:, :-1]
        pr, p0, p1 = _runs_of(put_cells, cont)
        if gap:
            pr, p0, p1 = _join(pr, p0, p1, gap)
        pb0, pb1, p0, p1, _ = _grow(pr, p0, p1, np.zeros(len(pr), np.uint32))
        if len(p0) <= max_puts or gap >= w:
            break
        gap = max(1, gap * 2)
    return Plan(puts=_rects(p0, pb0, pb1, p1, band, h), fills=fills, fill_colours=colour[order],
                whole=prev is None)


def _runs_of(cells: np.ndarray, continues: np.ndarray):
    """``(band, c0, c1)`` of the runs of set ``cells`` (end exclusive); a cell with ``continues``
    set belongs to the run of the cell before it."""
    starts = cells & ~continues
    br, bc = np.nonzero(starts)
    flat = cells.ravel()
    ends = flat & ~np.r_[continues.ravel()[1:], False]
    er, ec = np.divmod(np.flatnonzero(ends), cells.shape[1])
    return br, bc, ec + 1


def _join(r, c0, c1, gap: int):
    """Runs of one band closer than ``gap`` cells are one."""
    if len(r) < 2:
        return r, c0, c1
    new = np.r_[True, (r[1:] != r[:-1]) | (c0[1:] - c1[:-1] > gap)]
    idx = np.flatnonzero(new)
    last = np.r_[idx[1:], len(r)] - 1
    return r[idx], c0[idx], c1[last]


def _grow(r, c0, c1, colour):
    """Runs repeated (same columns and colour) by consecutive bands become one:
    ``(band0, band1, c0, c1, colour)``, band1 exclusive."""
    if not len(r):
        e = np.zeros(0, np.int64)
        return e, e, e, e, np.zeros(0, np.uint32)
    order = np.lexsort((r, colour, c1, c0))
    r, c0, c1, colour = r[order], c0[order], c1[order], colour[order]
    new = np.r_[True, (c0[1:] != c0[:-1]) | (c1[1:] != c1[:-1]) | (colour[1:] != colour[:-1]) | (r[1:] != r[:-1] + 1)]
    idx = np.flatnonzero(new)
    last = np.r_[idx[1:], len(r)] - 1
    return r[idx], r[last] + 1, c0[idx], c1[idx], colour[idx]


def _rects(c0, b0, b1, c1, band: int, h: int) -> np.ndarray:
    out = np.empty(len(c0), RECT_DTYPE)
    out["x"] = c0
    out["y"] = b0 * band
    out["w"] = c1 - c0
    out["h"] = np.minimum(b1 * band, h) - b0 * band
    return out


def _words(frame: np.ndarray) -> np.ndarray:
    """One integer a pixel (its colour: ``0xRRGGBB`` for B, G, R, X bytes), so a pixel compares in
    one operation and a flat run's value is its fill colour."""
    if frame.ndim == 3 and frame.shape[2] == 4 and frame.dtype == np.uint8 and frame.strides[2] == 1 \
            and frame.strides[1] == 4:
        return frame.view(np.uint32)[..., 0] & RGB_MASK
    out = np.zeros(frame.shape[:2], np.uint32)
    for i in range(min(frame.shape[2], 3)):
        out |= frame[..., i].astype(np.uint32) << (8 * i)
    return out


class DamageTracker:
    """The frame the window shows, and the plan that shows a new one.

    ``update(frame)`` returns the :class:`Plan` from what the window shows to
    ``frame`` (all of it, as fills and puts, the first time, after
    :meth:`invalidate` or at a new size) and takes ``frame`` as what the
    window shows from then on. The caller must not change ``frame`` while it
    is held (the read-back alternates two arrays).
    """

    def __init__(self, band: int = BAND, min_fill: int = MIN_FILL, max_puts: int = MAX_PUTS):
        self.band, self.min_fill, self.max_puts = band, min_fill, max_puts
        self._shown: np.ndarray | None = None
        self.last: Plan | None = None

    def invalidate(self) -> None:
        """The window's pixels are no longer known (exposed, resized, or put some other way)."""
        self._shown = None

    def update(self, frame: np.ndarray) -> Plan:
        prev, self._shown = self._shown, frame
        if prev is not None and prev.shape != frame.shape:
            prev = None
        self.last = plan_frame(prev, frame, self.band, self.min_fill, self.max_puts)
        return self.last
