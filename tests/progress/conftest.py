"""Small hand-built stores whose right answers are known, for the progress tests (and the progress CLI's).

Geometry is built in EPSG:4549 (GK 3° CM 120°E, metres) near the central
meridian, where a 100 m × 100 m square is 15 亩 on the ellipsoid to better than
1e-6, then transformed to EPSG:4490 as the store keeps it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from tests._builders import (
    PARCEL_STATUSES,
    WORKS_STATUSES,
    field,
    gk,
    gk_square,
    import_rows,
    layer_toml,
    load_registry_and_plan,
    plan_toml,
    target_toml,
    townships_toml,
)
from ykgeo.progress import progress_report
from ykgeo.store import TZ, Store

# --- layer definitions and plan, written to tmp_path -----------------------------------------

_PARCEL_FIELDS = [
    field("地块编号", required=True),
    "名称",
    "所属镇街",
    "类别",
    field("台账面积（亩）", "float", unit="亩"),
    field("楼面积（m²）", "float", unit="m²"),
    field("状态", required=True),
    field("计划完成日期", "date"),
    field("完成日期", "date"),
]


def _parcels_toml(key: str, name_zh: str, order: int) -> str:
    return layer_toml(
        key,
        name_zh=name_zh,
        theme="土地",
        order=order,
        geometry_type="Polygon",
        id_field="地块编号",
        name_field="名称",
        township_field="所属镇街",
        ledger_area_field="台账面积（亩）",
        statuses=PARCEL_STATUSES,
        date_field="完成日期",
        planned_date_field="计划完成日期",
        fields=_PARCEL_FIELDS,
    )


PARCELS_TOML = _parcels_toml("parcels", "测试地块", 10)
TRANSFER_TOML = _parcels_toml("transfer", "测试出让", 20)

TOWNSHIPS_TOML = townships_toml()

ROADS_TOML = layer_toml(
    "roads",
    name_zh="测试道路",
    theme="交通",
    order=30,
    geometry_type="LineString",
    id_field="项目编号",
    name_field="项目名称",
    statuses=("前期", "在建", "建成"),
    status_field="建设阶段",
    fields=[field("项目编号", required=True), "项目名称", "断链", field("建设阶段", required=True)],
)

SECTIONS_TOML = layer_toml(
    "sections",
    name_zh="测试路段",
    theme="交通",
    order=40,
    geometry_type="LineString",
    id_field="路段编号",
    name_field="路段名称",
    township_field="所属镇街",
    statuses=("未开工", "施工中", "已建成"),
    date_field="完成日期",
    planned_date_field="计划完成日期",
    fields=[
        field("路段编号", required=True),
        "所属项目",
        "路段名称",
        "起点桩号",
        "终点桩号",
        "线位",
        "所属镇街",
        field("状态", required=True),
        field("计划完成日期", "date"),
        field("完成日期", "date"),
    ],
)

SITES_TOML = layer_toml(
    "sites",
    name_zh="测试点位",
    theme="水利",
    order=50,
    geometry_type="Point",
    id_field="编号",
    name_field="名称",
    township_field="所属镇街",
    statuses=WORKS_STATUSES,
    date_field="完工日期",
    fields=[
        field("编号", required=True),
        "名称",
        "所属镇街",
        field("状态", required=True),
        field("完工日期", "date"),
    ],
)

_DONE = ["已完成"]
PLAN_TOML = plan_toml(
    2022,
    "测试计划",
    target_toml(
        "area_t", name_zh="整治测试地块", layer="parcels", measure="area", value=1200, unit="亩",
        statuses=_DONE,
        milestones={"2022-03-31": 0.25, "2022-06-30": 0.5, "2022-09-30": 0.75, "2022-12-31": 1.0},
    ),
    target_toml(
        "area_split", name_zh="整治测试地块（分摊）", layer="parcels", measure="area", value=100,
        unit="亩", statuses=_DONE, township_rule="split",
    ),
    target_toml(
        "area_ledger", name_zh="台账口径", layer="parcels", measure="area", value=100, unit="亩",
        statuses=_DONE, area_source="ledger",
    ),
    target_toml(
        "area_class_a", name_zh="甲类地块", layer="parcels", measure="area", value=30, unit="亩",
        statuses=_DONE, filter={"类别": ["甲"]},
    ),
    target_toml(
        "count_t", name_zh="地块个数", layer="parcels", measure="count", value=4, unit="个",
        statuses=_DONE,
    ),
    target_toml(
        "floor_t", name_zh="楼面积", layer="parcels", measure="field_sum", field="楼面积（m²）",
        value=10000, unit="m²", statuses=["推进中", "已完成"],
    ),
    target_toml(
        "transfer_t", name_zh="出让测试", layer="transfer", measure="area", value=50, unit="亩",
        statuses=_DONE,
    ),
    target_toml(
        "km_t", name_zh="建成里程", layer="sections", measure="chainage_km", value=3, unit="km",
        statuses=["已建成"], township_rule="split",
    ),
    target_toml(
        "len_t", name_zh="建成长度", layer="sections", measure="length_km", value=3, unit="km",
        statuses=["已建成"],
    ),
    target_toml(
        "site_t", name_zh="点位完工", layer="sites", measure="count", value=2, unit="座",
        statuses=["完工"],
    ),
)  # fmt: skip

LAYER_FILES = {
    "parcels": PARCELS_TOML,
    "transfer": TRANSFER_TOML,
    "townships": TOWNSHIPS_TOML,
    "roads": ROADS_TOML,
    "sections": SECTIONS_TOML,
    "sites": SITES_TOML,
}

# --- geometry helpers ----------------------------------------------------------------------------

E0, N0 = 500_000.0, 3_198_000.0  # on the central meridian 120°E, near Yongkang


def square(x: float, y: float, size: float = 100.0) -> shapely.Geometry:
    """A size × size square (metres in EPSG:4549) whose lower left corner is (E0 + x, N0 + y), in EPSG:4490."""
    return gk_square(x, y, size, origin=(E0, N0))


def line(*points: tuple[float, float]) -> shapely.Geometry:
    return gk(shapely.LineString([(E0 + a, N0 + b) for a, b in points]))


def point(x: float, y: float) -> shapely.Geometry:
    return gk(shapely.Point(E0 + x, N0 + y))


def at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


D = dt.date.fromisoformat
USER = "测试员"


# --- store fixtures ------------------------------------------------------------------------------


@pytest.fixture
def make_store(tmp_path: Path) -> Callable[..., Store]:
    registry, plan = load_registry_and_plan(tmp_path / "layers", LAYER_FILES, PLAN_TOML, year=2022)
    counter = iter(range(1000))

    def build(*, townships: bool = True) -> Store:
        store = Store.create(tmp_path / f"store{next(counter)}.gpkg", layers=registry, plans=[plan])
        if townships:
            # 西镇 = x ∈ [-5000, 0), 东镇 = x ∈ [0, 5000): two 5 km × 10 km townships meeting on the CM
            import_rows(
                store,
                "townships",
                {"代码": ["330784901", "330784902"], "镇街名称": ["西镇", "东镇"]},
                [
                    square(-5000, -5000, 5000).union(square(-5000, 0, 5000)),
                    square(0, -5000, 5000).union(square(0, 0, 5000)),
                ],
                user=USER,
                source="镇街",
                effective_date=D("2021-12-01"),
                recorded_at=at("2021-12-01"),
            )
        return store

    return build


def add(store: Store, key: str, rows: list[dict[str, Any]], *, day: str = "2022-01-01") -> None:
    geoms = [r.pop("geometry") for r in rows]
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=4490)
    store.import_features(
        key, gdf, user=USER, source="测试导入", effective_date=D(day), recorded_at=at(day, 9)
    )


def set_status(
    store: Store,
    key: str,
    fid: str,
    status: str,
    *,
    day: str,
    recorded: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    changes: dict[str, Any] = {store.spec(key).status.field: status, **(extra or {})}  # type: ignore[union-attr]
    date_field = store.spec(key).status.date_field  # type: ignore[union-attr]
    if date_field and status in store.spec(key).status.done:  # type: ignore[union-attr]
        changes.setdefault(date_field, day)
    edit(store, key, fid, changes, day=day, recorded=recorded)


def edit(
    store: Store,
    key: str,
    fid: str,
    changes: dict[str, Any],
    *,
    day: str,
    recorded: str | None = None,
) -> None:
    """Change fields of one feature, effective on ``day``, recorded at 17:00 on ``recorded`` (default: that day)."""
    store.update_feature(
        key,
        fid,
        changes,
        user=USER,
        expected_version=None,
        effective_date=D(day),
        recorded_at=at(recorded or day, 17),
    )


def parcel(
    fid: str, geom: shapely.Geometry, status: str = "未启动", **fields: Any
) -> dict[str, Any]:
    return {"地块编号": fid, "名称": f"地块{fid}", "状态": status, "geometry": geom, **fields}


def sample_report(make_store: Callable[..., Store]) -> Any:
    """A store with three parcels (two done in February) and its report for 2022-02-28."""
    store = make_store()
    add(
        store,
        "parcels",
        [
            parcel("X", square(-30, 100)),
            parcel("Y", square(1000, 100)),
            parcel("Z", square(-1000, 100)),
        ],
    )
    set_status(store, "parcels", "X", "已完成", day="2022-02-01")
    set_status(store, "parcels", "Y", "已完成", day="2022-02-03")
    set_status(store, "parcels", "Z", "推进中", day="2022-02-03")
    return store, progress_report(
        store, as_of=D("2022-02-28"), targets=["area_t", "area_split", "count_t"], with_monthly=True
    )
