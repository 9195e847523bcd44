"""Helpers of the cohort tests (imported as ``cohort_helpers``): the S3 server, small recordings."""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections import Counter

import numpy as np
import xarray as xr

FS = 250.0


class S3Server:
    """A running moto S3 server: its endpoint, the storage options that reach it, a bucket."""

    def __init__(self):
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)      # no line per request in the test log
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        self.served = Counter()          # bytes of response bodies by object key ("bucket/key")
        self.requests = Counter()        # requests by object key
        self._lock = threading.Lock()
        wsgi = self._server._server
        wsgi.app = _Counting(wsgi.app, self)
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.options = {"endpoint_url": self.endpoint}
        self.running = True
        self.reset()

    def reset(self) -> None:
        """Empty: no bucket (moto keeps its buckets in the process, across servers)."""
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")).close()

    def clear_counts(self) -> None:
        with self._lock:
            self.served.clear()
            self.requests.clear()

    def count(self, key: str, n: int, request: bool) -> None:
        with self._lock:
            self.served[key] += n
            self.requests[key] += int(request)

    def fs(self):
        from loupe_tui.io.remote.urls import filesystem

        return filesystem("s3://", self.options)[0]

    def stop(self) -> None:
        if self.running:
            self._server.stop()
            self.running = False


class _Counting:
    """WSGI middleware: counts the bytes the server sends back per object (what clients really read,
    whichever process they run in)."""

    def __init__(self, app, server: S3Server):
        self.app, self.server = app, server

    def __call__(self, environ, start_response):
        key = environ.get("PATH_INFO", "").lstrip("/")
        self.server.count(key, 0, True)
        for chunk in self.app(environ, start_response):
            self.server.count(key, len(chunk), False)
            yield chunk


def recording(seconds: float = 600.0, n_ch: int = 2, seed: int = 0, fs: float = FS) -> xr.DataArray:
    """A small EEG/EMG-like recording (float32, channels ``EEG``, ``EMG``, ``C2`` ...)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    x = rng.standard_normal((n_ch, n)).astype(np.float32)
    x[0] += (20 * np.sin(2 * np.pi * 2.0 * t)).astype(np.float32)
    names = ["EEG", "EMG"] + [f"C{i}" for i in range(2, n_ch)]
    return xr.DataArray(x, dims=("channel", "time"), coords={"channel": np.array(names[:n_ch], dtype=object), "time": t},
                        name="eeg", attrs={"units": "uV"})


def write_recording(url: str, da: xr.DataArray, options: dict | None = None, chunk: int = 32768) -> None:
    """Write ``da`` as a zarr store at ``url`` (a local path or an s3:// URL)."""
    da.to_dataset().to_zarr(url, storage_options=options if "://" in url else None, mode="w",
                            consolidated=False, encoding={da.name: {"chunks": (da.sizes["channel"], chunk)}})
