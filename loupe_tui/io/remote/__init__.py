"""Recordings in object storage (or any fsspec URL) and the caches shared beside them.

* :mod:`~loupe_tui.io.remote.urls`: what a URL is, storage options (``--storage-option``,
  the environment), file systems whose retries and timeouts are bounded, one-line errors.
* :mod:`~loupe_tui.io.remote.signature`: a recording's *content* signature (object ETags
  and sizes; sizes and checksums of local files), the same on every machine.
* :mod:`~loupe_tui.io.remote.shared`: where a shared cache is (``<recording>.loupe/`` or a
  cache URL) and its entries' ``meta.json``.
* :mod:`~loupe_tui.io.remote.shared_pyramid`: pyramid levels as chunked zarr: published by
  ``loupe-tui prepare``, read lazily by ``open``.
* :mod:`~loupe_tui.io.remote.shared_spectral`: spectral cache entries, published and adopted.
* :mod:`~loupe_tui.io.remote.time_memo`: a remote recording's checked time axis, remembered.
* :mod:`~loupe_tui.io.remote.files`: one remote file read in byte ranges (EDF/BDF at a URL).
* :mod:`~loupe_tui.io.remote.labels`: where the labels of a remote recording live (locally).

fsspec (and s3fs, gcsfs ... for their protocols) are optional (the ``cohort`` extra); they
are imported only when a URL or a shared cache is used, so local files need none of them.
See ``docs/cohort.md``.
"""
