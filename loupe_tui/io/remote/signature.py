"""A recording's content signature: what its stored bytes are, the same on every machine.

A shared cache must match the recording on every scorer's machine, so it cannot be
keyed by a path, an mtime or an inode (the local cache is: that is cheap and right for
one machine). :func:`content_signature` digests, for the objects that hold a variable
and its ``time`` array (every chunk and metadata object of a zarr store; the whole file
of an EDF or netCDF file), their path *inside the store*, their size and:

* in object storage, the object's ETag (or the store's checksum: ``md5Hash``,
  ``crc32c``), read from one listing (one request per 1000 objects), no data read;
* on a local or network file system, a blake2b checksum of the bytes. Reading a whole
  recording costs what a pyramid build's read pass costs, so the result is remembered
  per machine under ``<cache>/content-signatures/``, keyed by the files' paths, sizes,
  mtimes and inodes: a file changed in any way is checksummed again.

Over plain HTTP(S), which cannot list a store, the metadata objects' ETags (and the
samples that :class:`~loupe_tui.io.xarray_source.XarraySource` hashes) stand in for the
chunks': a store rewritten chunk by chunk behind unchanged metadata would not be seen.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from loupe_tui.core.fsutil import atomic_write_bytes, tree_signature
from loupe_tui.core.paths import user_cache_dir
from loupe_tui.io.remote.urls import filesystem, is_url, remote_error
from loupe_tui.io.xarray_layout import TIME

#: Listing fields that identify an object's bytes, in order of preference.
VERSION_FIELDS = ("ETag", "etag", "md5Hash", "crc32c", "content_md5")
_BLOCK = 8 << 20


def variable_dirs(source: str, da) -> list[str] | None:
    """The store folders of a DataArray's variable and its time array (``["eeg/raw", "eeg/time"]``),
    from what :func:`~loupe_tui.io.xarray_open.open_variable` left in its encoding; None for a
    single file or an array opened otherwise (the whole store or file is signed then)."""
    group = da.encoding.get("loupe_group")
    if group is None or da.name is None or (not is_url(source) and not os.path.isdir(source)):
        return None
    prefix = "/".join(p for p in str(group).split("/") if p)
    return [f"{prefix}/{name}".lstrip("/") for name in (str(da.name), TIME)]


def content_signature(source: str, variable_dirs: list[str] | None,
                      storage_options: Mapping | None = None) -> bytes:
    """Digest of the bytes under ``source`` (a URL or a local path).

    Parameters
    ----------
    source : str
        The store or file.
    variable_dirs : list of str or None
        Folders of the store that hold the variable and its time array (``"eeg/raw"``,
        ``"eeg/time"``); None: all of ``source`` (a single file, or a whole store).
    storage_options : mapping, optional
        For a URL.
    """
    if is_url(source):
        return _remote_signature(source, variable_dirs, storage_options)
    return _local_signature(source, variable_dirs)


def _remote_signature(url: str, dirs: list[str] | None, options: Mapping | None) -> bytes:
    fs, root = filesystem(url, options)
    root = root.rstrip("/")
    h = hashlib.blake2b(digest_size=16)
    try:
        if fs.isfile(root):
            entries = {"": fs.info(root)}
        else:
            entries = {}
            for d in dirs if dirs is not None else [""]:
                prefix = f"{root}/{d}".rstrip("/")
                for name, info in fs.find(prefix, detail=True).items():
                    entries[name[len(root):].lstrip("/")] = info
            if not entries:      # a file system that cannot list (HTTP): the metadata objects' identities
                for m in ("zarr.json", ".zgroup", ".zmetadata", ".zarray", ".zattrs"):
                    for d in dirs or [""]:
                        key = f"{d}/{m}".lstrip("/")
                        if fs.exists(f"{root}/{key}"):
                            entries[key] = fs.info(f"{root}/{key}")
    except Exception as exc:
        raise remote_error(url, exc, "cannot list the recording's objects") from exc
    for name in sorted(entries):
        info = entries[name]
        version = next((str(info[f]) for f in VERSION_FIELDS if info.get(f)), None)
        if version is None:       # no ETag (memory://, a local mount through fsspec): the bytes
            version = hashlib.blake2b(fs.cat_file(f"{root}/{name}".rstrip("/")), digest_size=16).hexdigest()
        h.update(repr((name, int(info.get("size") or 0), version.strip('"'))).encode())
    return h.digest()


def _local_signature(source: str, dirs: list[str] | None) -> bytes:
    root = Path(source)
    parts = [root] if root.is_file() or dirs is None else [root / d for d in dirs]
    stamp = hashlib.blake2b(digest_size=16)
    for p in parts:
        stamp.update(os.path.abspath(p).encode())
        stamp.update(tree_signature(p) if p.is_dir() else repr(_stat(p)).encode())
    memo = user_cache_dir() / "content-signatures" / stamp.hexdigest()
    try:
        return bytes.fromhex(memo.read_text().strip())
    except (OSError, ValueError):
        pass
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file())
        for f in files:
            rel = f.relative_to(root).as_posix() if f != root else ""
            h.update(repr((rel, f.stat().st_size, _checksum(f))).encode())
    digest = h.digest()
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(memo, digest.hex().encode())
    except OSError:                  # a read-only cache only costs the next checksum
        pass
    return digest


def _stat(p: Path) -> tuple:
    try:
        st = p.stat()
    except OSError:
        return ()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _checksum(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()
