"""URLs, storage options and file systems whose failures are quick and one line long.

A recording may be named by any fsspec URL (``s3://bucket/rec.zarr``, ``gs://...``,
``https://host/rec.zarr``, ``memory://...``). Storage options come, in this order of
precedence, from ``--storage-option KEY=VALUE`` (:func:`parse_storage_options`), from
fsspec's own environment variables (``FSSPEC_S3_ENDPOINT_URL=...``, or
``FSSPEC_S3='{"endpoint_url": ...}'``) and from the protocol's library (the ``AWS_*``
variables and ``~/.aws`` for s3fs, ``GOOGLE_APPLICATION_CREDENTIALS`` for gcsfs).

**Bounded failures.** A scorer whose network goes away must be told within seconds,
not after the libraries' default retries (s3fs + botocore: 11 s for a refused
connection, minutes for a silent one). :func:`filesystem` therefore gives each protocol
it knows short timeouts and no retries (:data:`S3_DEFAULTS`, :data:`HTTP_TIMEOUTS`,
:data:`RETRIES`) unless the options set their own. Measured: against a stopped S3 server a
read fails in about 10 ms (with the libraries' defaults: 11 s;
tests/cohort/test_network_faults.py); against one that accepts connections and never
answers, opening a store fails after 3.6 s (S3) or 3.0 s (HTTP).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from loupe_tui.errors import DataFileError, LoupeConfigError, one_line

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
#: Attempts of the file system's own retry loop (s3fs: 5 by default, and its loop is nested: a
#: read made 2 x 2 attempts). One: a request that fails is reported, and the next window or
#: page asks again; ``--storage-option retries=3`` brings s3fs's retries of timeouts and
#: throttling back for a flaky link.
RETRIES = 1
#: botocore's settings for s3 (seconds): one attempt (its retries sleep up to 2 s before trying
#: a server that refused the connection again). A silent server costs a read two requests
#: (a HEAD for the size, then the GET) x 3 s; a refused connection a few milliseconds.
S3_DEFAULTS: dict[str, Any] = {"config_kwargs": {"connect_timeout": 3, "read_timeout": 3,
                                                 "retries": {"total_max_attempts": 1, "mode": "standard"}}}
#: aiohttp's timeouts for http(s) (seconds; the default is 5 minutes in total).
HTTP_TIMEOUTS = {"connect": 3.0, "sock_read": 3.0}
#: Where :func:`~loupe_tui.io.xarray_open.open_variable` leaves a remote array's storage
#: options, in the DataArray's encoding (for the GL window and the content signature).
STORAGE_OPTIONS_KEY = "loupe_storage_options"
#: What the optional dependencies are called, for the message when they are missing.
EXTRA = "pip install 'loupe-tui[cohort]'"


def is_url(text: object) -> bool:
    """Whether ``text`` is a URL with a scheme other than ``file`` (``s3://``, ``https://``, ...)."""
    m = _SCHEME.match(str(text)) if isinstance(text, str) else None
    return m is not None and m.group(1).lower() != "file"


def local_path(text: str) -> str:
    """``file:///data/rec.zarr`` -> ``/data/rec.zarr``; anything else unchanged."""
    return text[len("file://"):] if text.lower().startswith("file://") else text


def protocol_of(url: str) -> str:
    m = _SCHEME.match(url)
    return m.group(1).lower() if m else "file"


def url_name(url: str) -> str:
    """The last part of a URL's path (``rec.zarr`` for ``s3://bucket/data/rec.zarr/``)."""
    path = _SCHEME.sub("", str(url)).split("?", 1)[0].rstrip("/")
    return PurePosixPath(path).name or path


def join(url: str, *parts: str) -> str:
    """``url`` with ``parts`` appended as path segments (one ``/`` between each)."""
    out = str(url).rstrip("/")
    for p in parts:
        out += "/" + str(p).strip("/")
    return out


def parse_storage_options(pairs: Sequence[str] | None, flag: str = "--storage-option") -> dict[str, Any]:
    """``["endpoint_url=http://h:9000", "config_kwargs.read_timeout=10", "anon=true"]`` -> a dict.

    Values are read as JSON when they parse (numbers, ``true``/``false``, ``null``, lists,
    objects), else kept as text; a dotted key makes nested dicts.
    """
    out: dict[str, Any] = {}
    for pair in pairs or ():
        key, eq, text = str(pair).partition("=")
        key = key.strip()
        if not eq or not key:
            raise LoupeConfigError(f"{flag}: expected KEY=VALUE, got {pair!r}")
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        *outer, last = key.split(".")
        d = out
        for k in outer:
            if not isinstance(d.setdefault(k, {}), dict):
                raise LoupeConfigError(f"{flag}: {key!r} sets inside {k!r}, which already has a value")
            d = d[k]
        d[last] = value
    return out


def merge(base: Mapping, over: Mapping) -> dict:
    """``over`` on top of ``base``, dicts merged key by key (a deep copy)."""
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else copy.deepcopy(v)
    return out


def require_fsspec(what: str) -> None:
    """Raise a one-line error naming the extra to install when fsspec is missing."""
    if importlib.util.find_spec("fsspec") is None:
        raise LoupeConfigError(f"{what}: reading URLs and shared caches needs fsspec ({EXTRA})")


def filesystem(url: str, storage_options: Mapping | None = None, asynchronous: bool = False):
    """``(fs, path)`` for ``url``, with bounded timeouts and retries (see the module docstring).

    ``storage_options`` may hold ``retries`` (the file system's own retry loop), which is
    set on the instance rather than passed to it.
    """
    require_fsspec(url)
    import fsspec

    protocol = protocol_of(url)
    opts = dict(storage_options or {})
    retries = int(opts.pop("retries", RETRIES))
    if protocol in ("s3", "s3a"):
        opts = merge(S3_DEFAULTS, opts)
    elif protocol in ("http", "https"):
        opts = _with_http_timeouts(opts)
    # Listings are what a content signature and a shared cache's state are read from: never stale.
    opts.setdefault("use_listings_cache", False)
    if protocol in ("file", "local"):      # a shared cache on a local or mounted file system
        opts.setdefault("auto_mkdir", True)
    if asynchronous:
        opts["asynchronous"] = True
    _require_protocol(url, protocol)
    try:
        fs, path = fsspec.url_to_fs(url, **opts)
    except ValueError as exc:    # an unknown protocol, a malformed URL
        raise LoupeConfigError(f"{url}: {one_line(exc)}") from None
    if hasattr(fs, "retries"):
        fs.retries = retries
    return fs, path


def _require_protocol(url: str, protocol: str) -> None:
    """A one-line error when the library of ``protocol`` (s3fs, gcsfs ...) is not installed."""
    from fsspec.registry import known_implementations, registry

    known = known_implementations.get(protocol)
    if protocol in registry or known is None:
        return
    package = known["class"].split(".", 1)[0]
    if importlib.util.find_spec(package) is None:
        raise LoupeConfigError(f"{url}: {known.get('err') or f'{protocol}:// needs the {package} package'}")


def _with_http_timeouts(opts: dict) -> dict:
    import aiohttp

    client = dict(opts.get("client_kwargs") or {})
    client.setdefault("timeout", aiohttp.ClientTimeout(total=None, **HTTP_TIMEOUTS))
    return {**opts, "client_kwargs": client}


def zarr_store(url: str, storage_options: Mapping | None = None, read_only: bool = True):
    """A zarr store on ``url`` (read-only by default) over a bounded file system."""
    from zarr.storage import FsspecStore

    fs, path = filesystem(url, storage_options, asynchronous=True)
    if not fs.async_impl:
        from fsspec.implementations.asyn_wrapper import AsyncFileSystemWrapper

        fs = AsyncFileSystemWrapper(fs, asynchronous=True)
    return FsspecStore(fs, path=path, read_only=read_only)


def failure(exc: BaseException) -> str:
    """Why a remote operation failed, in a few words: a lost connection says so plainly."""
    names = {c.__name__ for c in type(exc).__mro__}
    text = one_line(exc)
    if names & {"EndpointConnectionError", "ConnectionError", "ClientConnectorError", "ConnectTimeoutError",
                "ReadTimeoutError", "ServerDisconnectedError", "TimeoutError", "ConnectionRefusedError"}:
        return f"the storage server does not answer ({text})"
    if isinstance(exc, PermissionError) or names & {"NoCredentialsError", "AccessDenied"}:
        return f"no permission ({text})"
    if isinstance(exc, FileNotFoundError):
        return "no such object"
    return text


def remote_error(url: str, exc: BaseException, doing: str = "cannot read") -> DataFileError:
    """A one-line :class:`DataFileError` naming ``url`` and why it failed."""
    return DataFileError(f"{url}: {doing}: {failure(exc)}")
