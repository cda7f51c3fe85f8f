"""A real ``ykgeo serve`` on a copy of the demo store, started as a user would, for the client tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import app_add_hostile, stop_process
from ykgeo.store import DEMO_STORE


@dataclass(frozen=True)
class Server:
    """A running ``ykgeo serve``: its base URL and the store it serves."""

    url: str
    store: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(folder: Path, *extra: str, prepare: Callable[[Path], None] | None = None) -> Iterator[Server]:
    store = folder / "store.gpkg"
    shutil.copy(DEMO_STORE, store)
    if prepare is not None:
        prepare(store)
    port = _free_port()
    log = (folder / "serve.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ykgeo.cli",
            "serve",
            "--port",
            str(port),
            "--store",
            str(store),
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/?f=json", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.close()
                    pytest.fail(
                        f"ykgeo serve did not start: {(folder / 'serve.log').read_text()[-2000:]}"
                    )
                time.sleep(0.3)
        yield Server(url, store)
    finally:
        stop_process(proc, timeout=20)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``ykgeo serve`` with its defaults: the layers now, unless a request sends ``datetime``."""
    yield from _serve(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def server_2022_09_30(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``ykgeo serve --as-of 2022-09-30``: for clients that send no ``datetime`` (GDAL, QGIS)."""
    yield from _serve(tmp_path_factory.mktemp("serve-asof"), "--as-of", "2022-09-30")


@pytest.fixture(scope="module")
def server_hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``ykgeo serve`` on the demo store plus parcel ``XSS-0001`` named ``<img src=x onerror=alert(1)>``."""
    yield from _serve(tmp_path_factory.mktemp("serve-hostile"), prepare=app_add_hostile)
