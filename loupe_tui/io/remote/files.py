"""One remote file read in byte ranges: how an EDF/BDF file is read from a URL.

An EDF's data records sit at known offsets, so a window needs one ranged GET of the
records it covers (:mod:`loupe_tui.io.edf.reader` reads a file object with ``read_at``
when it has one). :class:`RemoteFile` has no position shared between threads: the app's
preview, the pyramid build and the spectral prefetch read at once.
"""

from __future__ import annotations

from collections.abc import Mapping

from loupe_tui.io.remote.urls import STORAGE_OPTIONS_KEY, filesystem, remote_error


class RemoteFile:
    """A read-only binary file at ``url``: ``read_at(pos, n)`` (thread-safe), ``size``, ``name``.

    ``seek``/``read`` are there for readers that need them; they share one position.
    """

    def __init__(self, url: str, storage_options: Mapping | None = None):
        self.name = url
        self._fs, self._path = filesystem(url, storage_options)
        try:
            self.size = int(self._fs.size(self._path))
        except Exception as exc:
            raise remote_error(url, exc, "cannot open") from exc
        self._pos = 0

    def read_at(self, pos: int, n: int) -> bytes:
        """Bytes ``[pos, pos + n)`` (fewer at the end of the file); one ranged request."""
        end = min(self.size, int(pos) + int(n))
        if end <= pos:
            return b""
        try:
            return self._fs.cat_file(self._path, start=int(pos), end=end)
        except Exception as exc:
            raise remote_error(self.name, exc) from exc

    def seek(self, pos: int, whence: int = 0) -> int:
        self._pos = int(pos) if whence == 0 else self._pos + int(pos) if whence == 1 else self.size + int(pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1) -> bytes:
        n = self.size - self._pos if n is None or n < 0 else n
        out = self.read_at(self._pos, n)
        self._pos += len(out)
        return out

    def close(self) -> None:
        pass


def read_edf_url(url: str, channels=None, derive=None, storage_options: Mapping | None = None):
    """:func:`~loupe_tui.io.edf.recording.read_edf` of the EDF/BDF file at ``url``, read in ranges;
    its groups carry the storage options (for the GL window and the content signature)."""
    from loupe_tui.io.edf.recording import read_edf

    rec = read_edf(RemoteFile(url, storage_options), channels=channels or None, derive=derive or None, name=url)
    for da in rec.groups.values():
        da.encoding[STORAGE_OPTIONS_KEY] = dict(storage_options or {})
    return rec
