"""Crash-safe file writes and cheap change detection, shared by every writer.

* :func:`atomic_write_bytes`: temp file in the same directory, fsync, rename
  over the target, fsync of the directory. Readers and crashes see the old
  file or the new one, never a mix. Used for labels, keymaps, and the
  keymap converter.
* :func:`fsync_dir`: make a rename/create/unlink in a directory survive a
  power loss (journal, pyramid cache, atomic writes).
* :func:`tree_signature`: ``(relative path, size, mtime_ns, inode)`` of every
  file under a directory, hashed; any rewritten file changes it. Used as the
  identity of a zarr variable's chunk files (pyramid cache key).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from loupe_tui.errors import LoupeError


def fsync_dir(directory: str | Path) -> None:
    """fsync a directory so a rename/create/unlink in it survives power loss (POSIX).

    Silently does nothing where directories cannot be opened or synced
    (Windows, some network filesystems).
    """
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse directory fsync
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes,
                       before_rename: Callable[[Path], None] | None = None, *,
                       error: type[LoupeError] | None = None) -> os.stat_result:
    """Write ``data`` to ``path`` atomically; return the stat of the new file.

    A uniquely named temp file beside ``path`` is written and fsync'ed, given
    the mode of the file it replaces (if any), renamed over ``path``, and the
    directory is fsync'ed. ``before_rename(tmp)`` runs between the fsync and
    the rename (the label journal writes its save marker there).

    Raises
    ------
    error
        When given, an ``OSError`` becomes ``error("<path>: cannot write (<reason>)")``;
        otherwise the ``OSError`` propagates. The temp file is removed either way.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = None
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with open(fd, "wb") as f:
            f.write(data)
            f.flush()
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
            st = os.fstat(f.fileno())
        if before_rename is not None:
            before_rename(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if error is None:
            raise
        raise error(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)
    return st


def tree_signature(root: str | Path) -> bytes:
    """A digest of ``(relative path, size, mtime_ns, inode)`` of every file under ``root``.

    Walks with :func:`os.scandir` (one ``stat`` per file, usually served from
    the directory entry cache), so thousands of chunk files cost a few ms.
    Any file created, deleted, rewritten in place or replaced by a rename
    changes the result. A missing ``root`` gives a fixed value.
    """
    import hashlib

    h = hashlib.blake2b(digest_size=16)
    entries: list[tuple[str, int, int, int]] = []
    stack = [(str(root), "")]
    while stack:
        d, rel = stack.pop()
        try:
            it = os.scandir(d)
        except (FileNotFoundError, NotADirectoryError):
            continue
        with it:
            for e in it:
                name = f"{rel}{e.name}"
                if e.is_dir(follow_symlinks=False):
                    stack.append((e.path, name + "/"))
                    continue
                try:
                    st = e.stat()
                except FileNotFoundError:  # deleted while walking
                    continue
                entries.append((name, st.st_size, st.st_mtime_ns, st.st_ino))
    entries.sort()
    h.update(repr(entries).encode())
    return h.digest()
