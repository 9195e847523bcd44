"""The frame buffer file that carries the GL window's pixels to the terminal app.

Pixels cross between the two processes for one purpose only: terminal
graphics (kitty, sixel) over plain SSH, where the render process draws
offscreen and the terminal app shows its frames. They never travel over the
message socket: the render process writes each frame into this file, a
memory-mapped file of fixed layout in the session's private folder, and the
terminal app reads the newest complete one. Pure numpy and mmap; no import of
the app or of the GL stack, so both processes use it.

Layout (little-endian, every field aligned to its size)::

    file header, 64 bytes
      0  magic      8s   b"LOUPEFB\\0"
      8  version    u32  FORMAT_VERSION
     12  slots      u32  number of pixel slots (3)
     16  max_w      u32  pixels
     20  max_h      u32
     24  channels   u32  3 (RGB) or 4 (RGBA)
     28  (unused)   u32
     32  latest     u64  slot of the newest complete frame + 1 (0: none yet)
     40  (unused)   24 bytes
    then per slot a 32-byte slot header
      0  gen        u64  seqlock: odd while the writer fills the slot
      8  seq        u64  the frame's sequence number (the writer's ``seq``)
     16  width      u32
     20  height     u32
     24  stride     u32  bytes per row (max_w * channels)
     28  (unused)   u32
    then per slot max_h rows of ``stride`` bytes.

Why it never shows a torn frame: the writer fills a slot that is not the
newest (three slots, round robin), bumping the slot's ``gen`` to odd before
and to even after, then publishes the slot in ``latest``. A reader takes
``latest``, reads the slot's ``gen``, its header and pixels, and reads
``gen`` again: equal and even, the frame is whole; otherwise it retries.
``read()`` returns a view into the mapping (no copy); that view stays whole
until the writer comes back round to its slot, two frames later, and
:meth:`FrameReader.intact` says whether it still is (check it after using
the view, as the seqlock does), or ``read(copy=True)`` copies and checks in
one go. The stores are plain numpy stores, in program order on x86-64; the
test ``tests/unit/test_framebuffer.py`` hammers a writer and a reader in two
processes.

Where the file lives: :func:`private_folder` makes a folder only the user
can enter (0700), in ``$XDG_RUNTIME_DIR`` or ``/dev/shm`` when there is one
(memory, not disk: a frame a page flip is written and never kept), else in
the temporary folder. :class:`FrameWriter` refuses a folder that others can
enter.
"""

from __future__ import annotations

import mmap
import os
import stat
import tempfile
from pathlib import Path

import numpy as np

MAGIC = b"LOUPEFB\0"
FORMAT_VERSION = 1
SLOTS = 3
FILE_HEADER = 64
SLOT_HEADER = 32
_LATEST = 32          # byte offset of ``latest`` in the file header


def private_folder(prefix: str = "loupe-") -> Path:
    """Make a new folder only this user can enter (0700), preferably in memory.

    ``$XDG_RUNTIME_DIR`` (a per-user tmpfs on systemd systems), else
    ``/dev/shm``, else the system's temporary folder.
    """
    for base in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if base and os.path.isdir(base) and os.access(base, os.W_OK | os.X_OK):
            break
    else:
        base = None
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    os.chmod(folder, 0o700)   # mkdtemp makes it 0700 already; say so for umask-free readers
    return folder


def file_size(max_w: int, max_h: int, channels: int = 3) -> int:
    """Bytes of a frame buffer file for frames up to ``max_w`` x ``max_h``."""
    return FILE_HEADER + SLOTS * (SLOT_HEADER + max_w * max_h * channels)


def _check_private(folder: Path) -> None:
    st = folder.stat()
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO) or st.st_uid != os.getuid():
        raise PermissionError(f"{folder}: the frame buffer's folder must be private (0700, owned by this user)")


class _Mapped:
    """The mapping and typed views of its headers, shared by writer and reader."""

    def __init__(self, fd: int, size: int, writable: bool):
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
        self.mm = mmap.mmap(fd, size, mmap.MAP_SHARED, prot)
        buf = np.frombuffer(self.mm, dtype=np.uint8)
        if not writable:
            buf.flags.writeable = False
        self.buf = buf
        self.u32 = buf[:FILE_HEADER].view("<u4")
        self.latest = buf[_LATEST:_LATEST + 8].view("<u8")

    def layout(self) -> tuple[int, int, int]:
        return int(self.u32[4]), int(self.u32[5]), int(self.u32[6])     # max_w, max_h, channels

    def slot(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(gen and seq as u64[2], width, height, stride as u32[3], pixels as bytes) of slot ``i``."""
        max_w, max_h, ch = self.layout()
        start = FILE_HEADER + i * (SLOT_HEADER + max_w * max_h * ch)
        head = self.buf[start:start + SLOT_HEADER]
        return head[:16].view("<u8"), head[16:28].view("<u4"), self.buf[start + SLOT_HEADER:
                                                                           start + SLOT_HEADER + max_w * max_h * ch]

    def close(self) -> None:
        self.buf = self.u32 = self.latest = None
        try:
            self.mm.close()
        except BufferError:       # a caller still holds a view of a frame: the mapping goes with it
            pass


class FrameWriter:
    """Writes frames into a new frame buffer file (the render process's side).

    Parameters
    ----------
    path : path
        The file to create (replaced if it exists); its folder must be
        private (:func:`private_folder`).
    max_w, max_h : int
        The largest frame, in pixels; the file's size is fixed by them.
    channels : int
        3 (RGB, the default) or 4 (RGBA).
    """

    def __init__(self, path: str | os.PathLike, max_w: int, max_h: int, channels: int = 3):
        if channels not in (3, 4):
            raise ValueError(f"channels must be 3 or 4, not {channels}")
        if max_w < 1 or max_h < 1:
            raise ValueError(f"frame size must be positive, not {max_w}x{max_h}")
        self.path = Path(path)
        _check_private(self.path.parent)
        self.max_w, self.max_h, self.channels = int(max_w), int(max_h), int(channels)
        size = file_size(self.max_w, self.max_h, self.channels)
        tmp = self.path.with_name(f".{self.path.name}.new")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, size)
            self._m = _Mapped(fd, size, writable=True)
        finally:
            os.close(fd)
        b = self._m.buf
        b[:8] = np.frombuffer(MAGIC, np.uint8)
        self._m.u32[2:7] = (FORMAT_VERSION, SLOTS, self.max_w, self.max_h, self.channels)
        os.replace(tmp, self.path)    # a reader never opens a half-made header
        self._next = 0

    def write(self, rgb: np.ndarray, seq: int) -> None:
        """Publish one frame: ``rgb`` is (height, width, channels) uint8, at most max_h x max_w.

        ``seq`` names the frame (the newest window/cursor it shows, as in
        ``FrameDrawn``); readers see it with the pixels.
        """
        a = np.asarray(rgb)
        if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != self.channels:
            raise ValueError(f"a frame is (h, w, {self.channels}) uint8, not {a.shape} {a.dtype}")
        h, w = a.shape[:2]
        if not (0 < w <= self.max_w and 0 < h <= self.max_h):
            raise ValueError(f"frame {w}x{h} does not fit the buffer's {self.max_w}x{self.max_h}")
        m = self._m
        latest = int(m.latest[0]) - 1
        i = self._next if self._next != latest else (self._next + 1) % SLOTS
        self._next = (i + 1) % SLOTS
        gen_seq, dims, pixels = m.slot(i)
        gen_seq[0] += 1                                   # odd: being written
        stride = self.max_w * self.channels
        pixels.reshape(self.max_h, stride)[:h, :w * self.channels] = a.reshape(h, w * self.channels)
        gen_seq[1] = seq
        dims[:] = (w, h, stride)
        gen_seq[0] += 1                                   # even: whole
        m.latest[0] = i + 1

    def close(self) -> None:
        """Unmap the file (it stays on disk: the folder's owner removes it)."""
        if self._m is not None:
            self._m.close()
            self._m = None

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FrameReader:
    """Reads the newest complete frame of a frame buffer file (the terminal app's side).

    Raises ``ValueError`` when the file is not a frame buffer of this version.
    """

    RETRIES = 1000

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            st = os.fstat(fd)
            size, self._file_id = st.st_size, (st.st_dev, st.st_ino)
            if size < FILE_HEADER:
                raise ValueError(f"{self.path}: not a loupe frame buffer (too short)")
            self._m = _Mapped(fd, size, writable=False)
        finally:
            os.close(fd)
        m = self._m
        if bytes(m.buf[:8]) != MAGIC or int(m.u32[2]) != FORMAT_VERSION or int(m.u32[3]) != SLOTS:
            self.close()
            raise ValueError(f"{self.path}: not a loupe frame buffer of version {FORMAT_VERSION}")
        self.max_w, self.max_h, self.channels = m.layout()
        if size < file_size(self.max_w, self.max_h, self.channels):
            self.close()
            raise ValueError(f"{self.path}: frame buffer file cut short")
        self._last: tuple[int, int] | None = None     # (slot, gen) of the frame read last

    def replaced(self) -> bool:
        """Whether ``path`` no longer names the file mapped here (the writer made a bigger one, or it is gone).

        A writer whose frames outgrow its file writes a new one in its place
        (:meth:`FrameWriter.__init__` replaces it whole); this reader keeps
        the old mapping until it is closed, so open a new reader.
        """
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return True
        return (st.st_dev, st.st_ino) != self._file_id

    def changed(self) -> bool:
        """Whether a newer frame was published than the one read last (reads no pixels)."""
        i = int(self._m.latest[0]) - 1
        if i < 0:
            return False
        return self._last is None or (i, int(self._m.slot(i)[0][0])) != self._last

    def read(self, copy: bool = False) -> tuple[int, np.ndarray] | None:
        """The newest complete frame as ``(seq, pixels)``, or None before the first one.

        ``pixels`` is (height, width, channels) uint8: a read-only view into
        the file unless ``copy``; check :meth:`intact` after using a view.
        """
        m = self._m
        for _ in range(self.RETRIES):
            i = int(m.latest[0]) - 1
            if i < 0:
                return None
            gen_seq, dims, pixels = m.slot(i)
            g = int(gen_seq[0])
            if g & 1:
                continue                       # the writer came round to this slot meanwhile
            seq, (w, h, stride) = int(gen_seq[1]), (int(v) for v in dims)
            if not (0 < w <= self.max_w and 0 < h <= self.max_h):
                continue
            view = pixels.reshape(self.max_h, stride)[:h, :w * self.channels].reshape(h, w, self.channels)
            out = view.copy() if copy else view
            if int(gen_seq[0]) == g:
                self._last = (i, g)
                return seq, out
        raise TimeoutError(f"{self.path}: no whole frame after {self.RETRIES} tries (is the writer stuck?)")

    def intact(self) -> bool:
        """Whether the view returned by the last :meth:`read` still holds that frame."""
        if self._last is None:
            return False
        i, g = self._last
        return int(self._m.slot(i)[0][0]) == g

    def close(self) -> None:
        if self._m is not None:
            self._m.close()
            self._m = None

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
