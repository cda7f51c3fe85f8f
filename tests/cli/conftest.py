"""Fixtures of the command groups' tests, shared with the tests of the library behind each group."""

from __future__ import annotations

from tests.progress.conftest import make_store
from tests.raster.conftest import change_pair, classes_tif

__all__ = ["change_pair", "classes_tif", "make_store"]
