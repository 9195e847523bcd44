"""Fixtures of the cohort tests: a real S3 server (moto's), recordings in its bucket, private caches.

The server is moto's ``ThreadedMotoServer`` on a free port of 127.0.0.1, started by the tests and
stopped at the end; everything talks to it over HTTP as to any S3 endpoint (s3fs, botocore, zarr).
"""

from __future__ import annotations

import os

import pytest

from cohort_helpers import S3Server


@pytest.fixture(scope="session")
def aws_env():
    """Credentials for the fake server (moto accepts any), set for the whole session so that the
    Dask workers the tests start inherit them."""
    keys = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def s3_server(aws_env):
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def s3(s3_server):
    """The S3 server with one empty bucket, ``lab`` (emptied again for every test)."""
    s3_server.reset()
    s3_server.fs().mkdir("lab")
    return s3_server


@pytest.fixture
def own_s3(aws_env):
    """An S3 server of this test's own (it may stop it), with an empty bucket ``lab``."""
    server = S3Server()
    server.fs().mkdir("lab")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    """This machine's cache and the remote labels folder, fresh for each test."""
    monkeypatch.setenv("LOUPE_TUI_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LOUPE_TUI_LABELS", str(tmp_path / "labels"))
    monkeypatch.delenv("LOUPE_TUI_SHARED_CACHE", raising=False)
    return tmp_path
