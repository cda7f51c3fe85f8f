"""Stores for the planning tests: the shipped layers, the 2022 plan and the 14 townships (a grid)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import APP_TOWNSHIPS, app_township_frame
from ykgeo.layers import load_plan
from ykgeo.store import TZ, Store

__all__ = ["APP_TOWNSHIPS", "import_at_year_start", "make_plan_store"]


def import_at_year_start(store: Store, key: str, frame: object, *, day: int = 2) -> None:
    """Import ``frame`` into ``key`` as the year's opening ledger (effective 1 January, recorded on ``day``)."""
    store.import_features(
        key,
        frame,  # type: ignore[arg-type]
        user="测试",
        source="测试数据",
        effective_date=dt.date(2022, 1, 1),
        recorded_at=dt.datetime(2022, 1, day, 9, tzinfo=TZ),
    )


def make_plan_store(path: Path) -> Store:
    """A store with the shipped layers, the 2022 plan and the 14 townships, all recorded on 2022-01-01."""
    store = Store.create(
        path, plans=[load_plan(2022)], meta={"created_at": "2022-01-01T08:00:00+08:00"}
    )
    store.import_features(
        "townships",
        app_township_frame(),
        user="测试",
        source="测试数据",
        effective_date=dt.date(2022, 1, 1),
        recorded_at=dt.datetime(2022, 1, 1, 9, tzinfo=TZ),
    )
    return store


@pytest.fixture(scope="session")
def plan_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_plan_store(tmp_path_factory.mktemp("plan-store") / "plan.gpkg").path


@pytest.fixture
def plan_store(plan_store_template: Path, tmp_path: Path) -> Store:
    """A fresh copy of the planning test store."""
    path = tmp_path / "store.gpkg"
    path.write_bytes(plan_store_template.read_bytes())
    return Store(path)
