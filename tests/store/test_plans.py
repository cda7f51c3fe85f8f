"""Year plans in the store are bitemporal: each version is an edit-log row, a past figure uses the plan known then."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from tests._builders import PARCEL_STATUSES, build_store, field, layer_toml, plan_toml, target_toml
from ykgeo.errors import StoreError
from ykgeo.layers import parse_plan
from ykgeo.store import TZ, Store
from ykgeo.store.plans import PLAN_LAYER

LAYER = layer_toml(
    "parcels",
    name_zh="地块",
    theme="土地",
    geometry_type="Polygon",
    id_field="编号",
    fields=[field("编号", required=True), field("状态", required=True)],
    statuses=PARCEL_STATUSES,
)


def _plan(value: float, year: int = 2022) -> str:
    return plan_toml(
        year,
        f"{year}年度目标",
        target_toml("t1", name_zh="整治", layer="parcels", measure="count", value=value, unit="个"),
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return build_store(tmp_path / "s.gpkg", {"parcels": LAYER}, _plan(10))


def _at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


def test_the_first_version_is_in_the_edit_log_and_applies_from_january(store: Store) -> None:
    (version,) = store.plan_versions(2022)
    assert (version.version, version.effective_date, version.user) == (
        1,
        dt.date(2022, 1, 1),
        "项目库创建",
    )
    log = store.edit_log(layer=PLAN_LAYER)
    assert list(log["action"]) == ["insert"] and list(log["feature_id"]) == ["2022"]
    assert store.data_version().log_id == int(log["log_id"].iloc[0])


def test_an_amendment_applies_from_its_date_as_known_then(store: Store) -> None:
    v1 = store.plan_versions(2022)[0]
    amended = parse_plan(_plan(8), name="x", layers=store.layers)
    v2 = store.save_plan(
        amended,
        user="张三",
        effective_date=dt.date(2022, 7, 15),
        note="市政府调减",
        recorded_at=_at("2022-07-20"),
    )
    assert v2.version == 2 and v2.note == "市政府调减"
    assert store.plan(2022).target("t1").value == 8  # current
    # a figure for 30 June uses 10, whenever it is asked
    assert store.plan(2022, as_of=dt.date(2022, 6, 30)).target("t1").value == 10
    assert (
        store.plan(2022, as_of=dt.date(2022, 6, 30), known_at=_at("2023-01-05")).target("t1").value
        == 10
    )
    # 17 July: the amendment applied already, but was recorded on the 20th
    assert store.plan(2022, as_of=dt.date(2022, 7, 17)).target("t1").value == 10
    assert (
        store.plan(2022, as_of=dt.date(2022, 7, 17), known_at=_at("2022-07-21")).target("t1").value
        == 8
    )
    assert store.plan(2022, as_of=dt.date(2022, 9, 30)).target("t1").value == 8
    version, note = store.plan_version(2022, as_of=dt.date(2022, 9, 30))
    assert version.version == 2 and note == ""
    assert "第 2 版" in version.label_zh() and "张三" in version.label_zh()
    log = store.edit_log(layer=PLAN_LAYER)
    assert list(log["action"]) == ["insert", "update"]
    assert log["old_value"].iloc[1] == v1.text and log["user"].iloc[1] == "张三"


def test_a_plan_recorded_later_than_the_date_falls_back_to_its_first_version(
    tmp_path: Path,
) -> None:
    store = build_store(
        tmp_path / "s.gpkg",
        {"parcels": LAYER},
        _plan(10),
        meta={"created_at": "2022-03-01T10:00:00+08:00"},
    )
    plan_version, note = store.plan_version(2022, as_of=dt.date(2022, 1, 31))
    assert plan_version.version == 1
    assert "2022-03-01" in note and "第 1 版" in note


def test_saving_the_same_text_again_is_refused_and_changes_nothing(store: Store) -> None:
    before = store.path.read_bytes()
    with pytest.raises(StoreError, match="没有修改"):
        store.save_plan(store.plan(2022), user="张三")
    assert store.path.read_bytes() == before


def test_a_year_without_plan_names_the_years_that_have_one(store: Store) -> None:
    with pytest.raises(StoreError, match=r"没有 2023 年的目标计划（有计划的年度：2022）"):
        store.plan(2023)


def test_a_new_year_is_added_as_its_own_first_version(store: Store) -> None:
    store.save_plan(parse_plan(_plan(5, 2023), name="x", layers=store.layers), user="李四")
    assert store.plan_years() == [2022, 2023]
    assert [v.version for v in store.plan_versions(2023)] == [1]
    assert store.plan_versions(2023)[0].effective_date == dt.date(2023, 1, 1)


def test_a_store_from_before_versioned_plans_reads_its_plan_as_version_one(store: Store) -> None:
    conn = sqlite3.connect(store.path)
    with conn:
        conn.execute("DELETE FROM ykgeo_edit_log WHERE layer = ?", (PLAN_LAYER,))
    conn.close()
    (legacy,) = store.plan_versions(2022)
    assert legacy.version == 1 and legacy.effective_date == dt.date(2022, 1, 1)
    store.save_plan(parse_plan(_plan(9), name="x", layers=store.layers), user="张三")
    log = store.edit_log(layer=PLAN_LAYER)
    assert list(log["action"]) == ["insert", "update"]  # the old plan was put in the log first
    assert [v.version for v in store.plan_versions(2022)] == [1, 2]


def test_a_change_made_before_the_year_begins_applies_from_january(store: Store) -> None:
    draft = parse_plan(_plan(5, 2023), name="x", layers=store.layers)
    store.save_plan(draft, user="张三", recorded_at=_at("2022-12-20"))
    filled = parse_plan(_plan(7, 2023), name="x", layers=store.layers)
    version = store.save_plan(filled, user="张三", recorded_at=_at("2022-12-28"))
    assert version.effective_date == dt.date(2023, 1, 1)
    assert store.plan(2023).target("t1").value == 7
    assert store.plan(2023, as_of=dt.date(2023, 6, 30)).target("t1").value == 7
