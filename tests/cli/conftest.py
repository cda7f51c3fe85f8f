"""Fixtures of the command groups' tests, shared with the tests of the library behind each group."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.progress.conftest import make_store
from tests.raster.conftest import change_pair, classes_tif
from ykgeo.store import DEMO_STORE

__all__ = ["change_pair", "classes_tif", "make_store"]


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    """A copy of the demo store to run commands on."""
    if not DEMO_STORE.exists():
        pytest.fail("the demo store data/gis/yongkang-demo.gpkg is missing")
    path = tmp_path / "store.gpkg"
    shutil.copy(DEMO_STORE, path)
    return path
