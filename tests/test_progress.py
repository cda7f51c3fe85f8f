"""Progress figures on small hand-built stores whose right answers are known.

Geometry is built in EPSG:4549 (GK 3° CM 120°E, metres) near the central
meridian, where a 100 m × 100 m square is 15 亩 on the ellipsoid to better than
1e-6, then transformed to EPSG:4490 as the store keeps it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import itertools
import json
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from _builders import (
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

from ykgeo.area import area_mu
from ykgeo.errors import LayerError, YkgeoError
from ykgeo.progress import (
    ProgressSettings,
    add_cli,
    changes_between,
    forecast_year_end,
    milestone_fraction,
    monthly_progress,
    progress_report,
    rate,
    report_to_csv,
    report_to_json,
    report_to_table,
    report_to_xlsx,
)
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


# --- known answers of the geometry itself ------------------------------------------------------


def test_square_is_15_mu() -> None:
    got = area_mu(gpd.GeoSeries([square(0, 0), square(3000, 2000)], crs=4490))
    assert got.to_numpy() == pytest.approx([15.0, 15.0], rel=1e-6)


# --- counting rules ------------------------------------------------------------------------------


def test_counting_rules_statuses_filter_measures(make_store: Callable[..., Store]) -> None:
    store = make_store()
    add(
        store,
        "parcels",
        [
            parcel(
                "P1",
                square(100, 100),
                类别="甲",
                **{"楼面积（m²）": 1000.0},
                **{"台账面积（亩）": 16.0},
            ),
            parcel(
                "P2",
                square(300, 100, 200),
                类别="乙",
                **{"楼面积（m²）": 2000.0},
                **{"台账面积（亩）": 60.0},
            ),
            parcel("P3", square(600, 100), 类别="甲", **{"楼面积（m²）": 4000.0}),
            parcel(
                "P4",
                square(900, 100),
                类别="甲",
                **{"楼面积（m²）": 8000.0},
                **{"台账面积（亩）": 15.0},
            ),
        ],
    )
    set_status(store, "parcels", "P1", "已完成", day="2022-02-10")
    set_status(store, "parcels", "P2", "已完成", day="2022-03-10")
    set_status(store, "parcels", "P3", "推进中", day="2022-03-01")
    report = progress_report(store, as_of=D("2022-06-30"))

    area = report.row("area_t")
    assert area.done == pytest.approx(15.0 + 60.0, rel=1e-6)  # P1 + P2 (200 m square = 60 亩)
    assert area.in_progress == pytest.approx(15.0, rel=1e-6)  # P3
    assert area.not_started == pytest.approx(15.0, rel=1e-6)  # P4
    assert area.pct == pytest.approx(75.0 / 1200 * 100, rel=1e-6)
    assert area.remaining == pytest.approx(1200 - 75.0, rel=1e-6)
    assert set(area.features.loc[area.features["class"] == "done", "id"]) == {"P1", "P2"}
    assert area.unit == "亩"

    # ledger area where the plan says so (P2's ledger is 60, P1's 16)
    assert report.row("area_ledger").done == pytest.approx(76.0)
    # filter 类别 = 甲: only P1 done
    assert report.row("area_class_a").done == pytest.approx(15.0, rel=1e-6)
    assert set(report.row("area_class_a").features["id"]) == {"P1", "P3", "P4"}
    # count
    count = report.row("count_t")
    assert (count.done, count.in_progress, count.not_started) == (2.0, 1.0, 1.0)
    # field_sum over the statuses the target lists (推进中 and 已完成)
    floor = report.row("floor_t")
    assert floor.done == pytest.approx(1000 + 2000 + 4000)
    assert floor.in_progress == 0.0
    assert floor.not_started == pytest.approx(8000)
    assert "推进中" in floor.rule_zh and "楼面积（m²）" in floor.rule_zh
    # the rule sentence says what was counted
    assert "已完成" in area.rule_zh and "椭球面积" in area.rule_zh and "重叠" in area.rule_zh
    # the ledger/computed area check: P2 ledger 60 vs 60 ok, P1 16 vs 15 (6.7 %) ok at 10 %
    assert area.area_mismatches.empty
    strict = progress_report(
        store,
        as_of=D("2022-06-30"),
        targets=["area_t"],
        settings=ProgressSettings(area_tolerance=0.05),
    )
    assert list(strict.row("area_t").area_mismatches["id"]) == ["P1"]
    assert strict.row("area_t").area_mismatches["difference_mu"].iloc[0] == pytest.approx(
        1.0, rel=1e-5
    )


def test_done_in_an_earlier_year_does_not_count(make_store: Callable[..., Store]) -> None:
    store = make_store()
    add(
        store,
        "parcels",
        [parcel("OLD", square(100, 100)), parcel("NEW", square(300, 100))],
        day="2021-06-01",
    )
    set_status(store, "parcels", "OLD", "已完成", day="2021-11-20")
    set_status(store, "parcels", "NEW", "已完成", day="2022-01-20")
    row = progress_report(store, as_of=D("2022-03-31"), targets=["area_t"]).row("area_t")
    assert row.done == pytest.approx(15.0, rel=1e-6)
    classes = dict(zip(row.features["id"], row.features["class"], strict=True))
    assert classes == {"OLD": "done_earlier", "NEW": "done"}
    assert row.not_started == 0.0 and row.in_progress == 0.0


def test_length_and_chainage_with_chain_equation(make_store: Callable[..., Store]) -> None:
    store = make_store()
    # road R1 with a long chain of 20 m at K1+100
    add(
        store,
        "roads",
        [
            {
                "项目编号": "R1",
                "项目名称": "测试路",
                "断链": "K1+100=K1+080",
                "建设阶段": "在建",
                "geometry": line((-1500, 0), (1500, 0)),
            }
        ],
    )
    add(
        store,
        "sections",
        [
            # 2 020 m of road across the equation, 1 000 m in each township plus 20 m of long chain
            {
                "路段编号": "S1",
                "所属项目": "R1",
                "起点桩号": "K0+000",
                "终点桩号": "K2+000",
                "状态": "未开工",
                "geometry": line((-1000, 0), (1020, 0)),
            },
            # left half of K2+000~K2+500, then the right half: counted once in full
            {
                "路段编号": "S2",
                "所属项目": "R1",
                "起点桩号": "K2+000",
                "终点桩号": "K2+500",
                "线位": "左幅",
                "状态": "未开工",
                "geometry": line((1020, 5), (1520, 5)),
            },
            {
                "路段编号": "S3",
                "所属项目": "R1",
                "起点桩号": "K2+000",
                "终点桩号": "K2+500",
                "线位": "右幅",
                "状态": "未开工",
                "geometry": line((1020, -5), (1520, -5)),
            },
            # a section re-recorded over built ground: no length twice
            {
                "路段编号": "S4",
                "所属项目": "R1",
                "起点桩号": "K1+500",
                "终点桩号": "K1+900",
                "状态": "未开工",
                "geometry": line((420, 0), (820, 0)),
            },
            # unbuilt
            {
                "路段编号": "S5",
                "所属项目": "R1",
                "起点桩号": "K2+500",
                "终点桩号": "K3+000",
                "状态": "施工中",
                "geometry": line((1520, 0), (2020, 0)),
            },
        ],
    )
    set_status(store, "sections", "S1", "已建成", day="2022-03-01")
    set_status(store, "sections", "S2", "已建成", day="2022-04-01")
    set_status(store, "sections", "S3", "已建成", day="2022-05-01")
    set_status(store, "sections", "S4", "已建成", day="2022-06-01")
    report = progress_report(store, as_of=D("2022-06-30"), targets=["km_t", "len_t"])
    km = report.row("km_t")
    assert km.done == pytest.approx(2.020 + 0.5)
    feats = km.features.set_index("id")
    assert feats.loc["S1", "amount"] == pytest.approx(2.020)
    assert feats.loc["S2", "amount"] == pytest.approx(0.25)  # half width
    assert feats.loc["S3", "amount"] == pytest.approx(0.25)
    assert feats.loc["S4", "amount"] == pytest.approx(0.0)
    assert feats.loc["S4", "overlap_deduction"] == pytest.approx(0.4)
    assert km.in_progress == pytest.approx(0.5)
    assert "断链" in km.rule_zh
    # split by length across the two townships: S1 lies 1000 m in 西镇 and 1020 m in 东镇
    towns = km.by_township.set_index("镇街")
    assert towns.loc["西镇", "done"] == pytest.approx(2.020 * 1000 / 2020, rel=1e-4)
    assert towns["done"].sum() == pytest.approx(km.done)
    # geodesic length: S1 2.02 km + S2 0.5 + S3 0.5 (parallel, not overlapping) + S4 inside S1 → deducted
    length = report.row("len_t")
    assert length.done == pytest.approx(2.02 + 0.5 + 0.5, rel=1e-5)
    assert length.features.set_index("id").loc["S4", "overlap_deduction"] == pytest.approx(
        0.4, rel=1e-5
    )


def test_bad_chainage_falls_back_to_geometry_with_warning(make_store: Callable[..., Store]) -> None:
    store = make_store()
    add(
        store,
        "sections",
        [
            {
                "路段编号": "S1",
                "起点桩号": "K0+000",
                "终点桩号": "起点",
                "状态": "未开工",
                "geometry": line((100, 0), (600, 0)),
            }
        ],
    )
    set_status(store, "sections", "S1", "已建成", day="2022-03-01")
    row = progress_report(store, as_of=D("2022-03-31"), targets=["km_t"]).row("km_t")
    assert row.done == pytest.approx(0.5, rel=1e-5)
    assert any("桩号无法换算" in w and "S1" in w for w in row.warnings)


def test_point_count_majority(make_store: Callable[..., Store]) -> None:
    store = make_store()
    add(
        store,
        "sites",
        [
            {"编号": "W1", "状态": "在建", "所属镇街": "西镇", "geometry": point(-200, 0)},
            {"编号": "E1", "状态": "在建", "所属镇街": "西镇", "geometry": point(300, 0)},
            {"编号": "X1", "状态": "在建", "geometry": point(9000, 0)},
        ],
    )
    set_status(store, "sites", "W1", "完工", day="2022-04-01")
    set_status(store, "sites", "E1", "完工", day="2022-04-02")
    row = progress_report(store, as_of=D("2022-04-30"), targets=["site_t"]).row("site_t")
    towns = row.by_township.set_index("镇街")
    assert towns.loc["西镇", "done"] == 1 and towns.loc["东镇", "done"] == 1
    assert towns.loc["（镇街范围外）", "in_progress"] == 1
    assert list(row.township_mismatches["id"]) == ["E1"]


# --- as-of reproducibility ---------------------------------------------------------------------


def test_as_of_is_reproducible_and_corrections_show_with_known_at(
    make_store: Callable[..., Store],
) -> None:
    store = make_store()
    add(
        store,
        "parcels",
        [
            parcel("A", square(100, 100)),
            parcel("B", square(300, 100)),
            parcel("C", square(500, 100)),
        ],
    )
    set_status(store, "parcels", "A", "已完成", day="2022-08-15")
    set_status(store, "parcels", "B", "推进中", day="2022-09-01")
    asked_then = report_to_json(progress_report(store, as_of=D("2022-09-30")))
    row_then = progress_report(store, as_of=D("2022-09-30"), targets=["area_t"]).row("area_t")
    assert row_then.done == pytest.approx(15.0, rel=1e-6)

    # later edits: C done in October; a back-dated correction recorded in November says B was done on 20 September;
    # A's geometry is re-measured in December, dated December
    set_status(store, "parcels", "C", "已完成", day="2022-10-10")
    set_status(store, "parcels", "B", "已完成", day="2022-09-20", recorded="2022-11-05")
    store.update_feature(
        "parcels",
        "A",
        {"geometry": square(100, 100, 200)},
        user=USER,
        expected_version=None,
        effective_date=D("2022-12-01"),
        recorded_at=at("2022-12-01"),
    )

    asked_later = report_to_json(progress_report(store, as_of=D("2022-09-30")))
    assert asked_later == asked_then  # same figures, same data version
    # with what is known now, the correction shows: A and B done by 30 September
    now_row = progress_report(
        store, as_of=D("2022-09-30"), targets=["area_t"], known_at=at("2023-01-01")
    ).row("area_t")
    assert now_row.done == pytest.approx(30.0, rel=1e-6)
    # and the year end sees C and A's new geometry (60 亩)
    end = progress_report(store, as_of=D("2022-12-31"), targets=["area_t"]).row("area_t")
    assert end.done == pytest.approx(60.0 + 15.0 + 15.0, rel=1e-6)


def test_monthly_matches_report_at_month_ends(make_store: Callable[..., Store]) -> None:
    store = make_store()
    add(store, "parcels", [parcel(f"M{i}", square(200 * i, 100)) for i in range(6)])
    for i, month in enumerate([1, 2, 2, 4, 7, 7]):
        set_status(store, "parcels", f"M{i}", "已完成", day=f"2022-{month:02d}-15")
    set_status(store, "parcels", "M3", "推进中", day="2022-05-10")  # regressed in May
    months = monthly_progress(store, "area_t", year=2022)
    assert list(months["month"]) == [f"2022-{m:02d}" for m in range(1, 13)]
    expected = [15, 45, 45, 60, 45, 45, 75, 75, 75, 75, 75, 75]
    assert months["done"].to_numpy() == pytest.approx(expected, rel=1e-6)
    for _, r in months.iloc[[0, 3, 4, 6]].iterrows():
        rep = progress_report(store, as_of=r["date"], targets=["area_t"]).row("area_t")
        assert rep.done == pytest.approx(r["done"], rel=1e-12)
        assert rep.milestone_expected == pytest.approx(r["milestone"])
    assert months["milestone"].iloc[2] == pytest.approx(300.0)  # 25 % of 1200 at the end of March
    by_town = monthly_progress(store, "area_t", year=2022, by_township=True)
    assert set(by_town["镇街"]) == {"西镇", "东镇"}
    assert by_town.groupby("month")["done"].sum().to_numpy() == pytest.approx(expected, rel=1e-6)


def test_history_snapshot_is_the_stores_read_layer(make_store: Callable[..., Store]) -> None:
    from ykgeo._progress_history import LayerHistory, end_of_day

    store = make_store()
    add(store, "parcels", [parcel("A", square(100, 100)), parcel("B", square(300, 100))])
    set_status(store, "parcels", "A", "已完成", day="2022-03-01")
    set_status(store, "parcels", "B", "推进中", day="2022-04-01", recorded="2022-06-01")
    store.delete_features(
        "parcels", ["A"], user=USER, effective_date=D("2022-05-01"), recorded_at=at("2022-05-01")
    )
    hist = LayerHistory.read(store, "parcels")
    for day in ("2022-02-01", "2022-03-31", "2022-04-30", "2022-05-31", "2022-06-30"):
        for horizon in (end_of_day(D(day)), at("2023-01-01")):
            ours = hist.snapshot(D(day), horizon)
            theirs = store.read_layer("parcels", as_of=D(day), known_at=horizon)
            pd.testing.assert_frame_equal(pd.DataFrame(ours), pd.DataFrame(theirs))


def test_status_dates_and_carried_work(make_store: Callable[..., Store]) -> None:
    store = make_store()
    add(
        store,
        "parcels",
        [parcel("OLD", square(100, 100), **{"楼面积（m²）": 500.0})],
        day="2021-06-01",
    )
    set_status(store, "parcels", "OLD", "推进中", day="2021-09-01")
    add(
        store,
        "parcels",
        [
            parcel("RUN", square(300, 100), **{"楼面积（m²）": 100.0}),
            parcel("INS", square(500, 100), "推进中", **{"楼面积（m²）": 10.0}),
            parcel("BACK", square(700, 100), **{"楼面积（m²）": 1.0}),
        ],
        day="2022-01-10",
    )
    set_status(store, "parcels", "RUN", "推进中", day="2022-03-01")
    set_status(store, "parcels", "RUN", "已完成", day="2022-04-01")  # still counted: since 1 March
    set_status(store, "parcels", "BACK", "推进中", day="2022-02-01")
    set_status(store, "parcels", "BACK", "未启动", day="2022-03-01")
    set_status(store, "parcels", "BACK", "推进中", day="2022-05-01")  # counted again from 1 May
    row = progress_report(store, as_of=D("2022-06-30"), targets=["floor_t"]).row("floor_t")
    dates = dict(zip(row.features["id"], row.features["status_date"], strict=True))
    assert dates["RUN"] == pd.Timestamp("2022-04-01")  # a done status takes its 完成日期
    assert dates["INS"] == pd.Timestamp("2022-01-10")  # inserted in a counted status
    assert dates["BACK"] == pd.Timestamp("2022-05-01")
    assert dates["OLD"] == pd.Timestamp("2021-09-01")  # under way since last year: still counts
    assert row.done == pytest.approx(611.0)
    # the run rate leaves out what was under way before the year: (611 − 500) / 181 days
    assert row.run_rate_projection == pytest.approx(111 / 181 * 184, rel=1e-9)


# --- overlaps ----------------------------------------------------------------------------------


def test_overlapping_done_squares_counted_once(make_store: Callable[..., Store]) -> None:
    store = make_store()
    # two 100 m squares overlapping by 50 m × 100 m (7.5 亩), and a third touching one edge only
    add(
        store,
        "parcels",
        [
            parcel("O1", square(100, 100)),
            parcel("O2", square(150, 100)),
            parcel("O3", square(250, 100)),
        ],
    )
    set_status(store, "parcels", "O1", "已完成", day="2022-02-01")
    set_status(store, "parcels", "O2", "已完成", day="2022-03-01")
    set_status(store, "parcels", "O3", "已完成", day="2022-03-02")
    row = progress_report(store, as_of=D("2022-03-31"), targets=["area_t"]).row("area_t")
    assert row.done == pytest.approx(15 + 7.5 + 15, rel=1e-6)
    feats = row.features.set_index("id")
    assert feats.loc["O1", "overlap_deduction"] == pytest.approx(0.0)
    assert feats.loc["O2", "overlap_deduction"] == pytest.approx(7.5, rel=1e-5)  # completed later
    same = row.overlaps[row.overlaps["kind"] == "同图层"]
    assert len(same) == 1  # touching O2/O3 is not an overlap
    assert same["overlap"].iloc[0] == pytest.approx(7.5, rel=1e-5)
    assert bool(same["deducted"].iloc[0]) and same["deducted_from"].iloc[0] == "O2"
    assert row.by_township["done"].sum() == pytest.approx(row.done)
    assert "只计一次" in row.rule_zh
    # counts are not reduced by overlaps, only reported
    assert (
        progress_report(store, as_of=D("2022-03-31"), targets=["count_t"]).row("count_t").done == 3
    )


def test_overlap_across_categories_is_reported_not_deducted(
    make_store: Callable[..., Store],
) -> None:
    store = make_store()
    add(store, "parcels", [parcel("L1", square(100, 100))])
    add(store, "transfer", [parcel("T1", square(100, 150))])  # half of L1 (7.5 亩)
    set_status(store, "parcels", "L1", "已完成", day="2022-02-01")
    set_status(store, "transfer", "T1", "已完成", day="2022-02-02")
    report = progress_report(store, as_of=D("2022-03-31"), targets=["area_t", "transfer_t"])
    a, t = report.row("area_t"), report.row("transfer_t")
    assert a.done == pytest.approx(15.0, rel=1e-6) and t.done == pytest.approx(15.0, rel=1e-6)
    cross = a.overlaps[a.overlaps["kind"] == "跨类别"]
    assert list(zip(cross["id_a"], cross["layer_b"], cross["id_b"], strict=True)) == [
        ("L1", "transfer", "T1")
    ]
    assert cross["overlap"].iloc[0] == pytest.approx(7.5, rel=1e-5)
    assert not cross["deducted"].iloc[0]
    assert "测试出让" in a.rule_zh  # the rule names the other category


# --- townships -----------------------------------------------------------------------------------


def test_township_split_vs_majority(make_store: Callable[..., Store]) -> None:
    store = make_store()
    # 100 m square: 70 m in 东镇 (x ≥ 0), 30 m in 西镇 → 10.5 亩 and 4.5 亩
    add(
        store,
        "parcels",
        [
            parcel("X", square(-30, 100), 所属镇街="西镇"),
            parcel("Y", square(1000, 100), 所属镇街="东镇"),
        ],
    )
    set_status(store, "parcels", "X", "已完成", day="2022-02-01")
    report = progress_report(store, as_of=D("2022-02-28"), targets=["area_t", "area_split"])
    major = report.row("area_t").by_township.set_index("镇街")
    assert major.loc["东镇", "done"] == pytest.approx(15.0, rel=1e-6)
    assert major.loc["西镇", "done"] == 0.0
    split = report.row("area_split").by_township.set_index("镇街")
    assert split.loc["东镇", "done"] == pytest.approx(10.5, rel=1e-4)
    assert split.loc["西镇", "done"] == pytest.approx(4.5, rel=1e-4)
    assert split["done"].sum() == pytest.approx(15.0, rel=1e-6)
    assert (
        "split" in report.row("area_split").rule_zh and "majority" in report.row("area_t").rule_zh
    )
    # ledger township 西镇 but most of X lies in 东镇
    mism = report.row("area_t").township_mismatches
    assert list(mism["id"]) == ["X"]
    assert mism["township"].iloc[0] == "东镇"
    assert mism["share_in_ledger_township"].iloc[0] == pytest.approx(0.3, rel=1e-4)
    # one township only
    east = progress_report(
        store, as_of=D("2022-02-28"), targets=["area_split"], township="东镇"
    ).row("area_split")
    assert east.done == pytest.approx(10.5, rel=1e-4)
    assert list(east.by_township["镇街"]) == ["东镇"]
    with pytest.raises(YkgeoError, match="没有名为"):
        progress_report(store, as_of=D("2022-02-28"), township="北镇")


def test_no_township_layer_uses_ledger_names(make_store: Callable[..., Store]) -> None:
    store = make_store(townships=False)
    add(store, "parcels", [parcel("Z", square(100, 100), 所属镇街="芝英镇")])
    set_status(store, "parcels", "Z", "已完成", day="2022-02-01")
    report = progress_report(store, as_of=D("2022-02-28"), targets=["area_t"])
    assert list(report.row("area_t").by_township["镇街"]) == ["芝英镇"]
    assert any("townships" in w or "镇街图层" in w for w in report.warnings)


# --- forecast and rating -------------------------------------------------------------------------


def _linear_store(make_store: Callable[..., Store], months_done: int, listed: int = 15) -> Store:
    """100 亩 a month: one 100 亩 parcel done on the 15th of each month, ``listed`` parcels on the map (all in 西镇)."""
    store = make_store()
    side = (100 * 10000 / 15) ** 0.5  # a square of exactly 100 亩
    add(
        store,
        "parcels",
        [parcel(f"L{m:02d}", square(-5000 + 300 * m, 1000, side)) for m in range(1, listed + 1)],
    )
    for m in range(1, months_done + 1):
        set_status(store, "parcels", f"L{m:02d}", "已完成", day=f"2022-{m:02d}-15")
    return store


def test_forecast_linear_history(make_store: Callable[..., Store]) -> None:
    store = _linear_store(make_store, 6)
    row = progress_report(store, as_of=D("2022-06-30"), targets=["area_t"]).row("area_t")
    assert row.done == pytest.approx(600.0, rel=1e-6)
    assert row.forecast == pytest.approx(1200.0, rel=0.02)  # 600 / (181/365) = 1210
    assert row.forecast == pytest.approx(600 * 365 / 181, rel=1e-6)
    three = progress_report(
        store,
        as_of=D("2022-06-30"),
        targets=["area_t"],
        settings=ProgressSettings(run_rate="last_3_months"),
    ).row("area_t")
    assert three.forecast == pytest.approx(
        600 + 300 / 91 * 184, rel=1e-6
    )  # Apr–Jun: 300 in 91 days
    # the rating: 600 done ≥ 50 % milestone (600) → green
    assert row.milestone_expected == pytest.approx(600.0, rel=1e-3)
    assert row.rating == "green"


def test_forecast_pipeline_and_cap(make_store: Callable[..., Store]) -> None:
    store = _linear_store(make_store, 3)
    # L04–L06 in progress, planned for November: pipeline 300 × 0.8 = 240
    for m in (4, 5, 6):
        set_status(
            store,
            "parcels",
            f"L{m:02d}",
            "推进中",
            day="2022-04-01",
            extra={"计划完成日期": "2022-11-30"},
        )
    row = progress_report(store, as_of=D("2022-04-10"), targets=["area_t"]).row("area_t")
    assert row.pipeline == pytest.approx(240.0, rel=1e-6)
    projection = 300 / 100 * 265  # 3 per day for the 265 days left
    assert row.forecast == pytest.approx(300 + max(projection, 240.0), rel=1e-6)
    assert row.forecast == pytest.approx(1095.0, rel=1e-6)
    # capped at what the map lists: with 10 parcels listed, 1000
    capped = progress_report(
        _linear_store(make_store, 3, listed=10), as_of=D("2022-04-10"), targets=["area_t"]
    )
    assert capped.row("area_t").forecast == pytest.approx(1000.0, rel=1e-6)
    # the cap: at most what is listed
    f, _ = forecast_year_end(
        [300.0],
        carried=[0.0],
        done_quarter_ago=[0.0],
        pipeline=[0.0],
        outstanding=[100.0],
        as_of=D("2022-04-10"),
        year=2022,
        settings=ProgressSettings(),
    )
    assert f[0] == pytest.approx(400.0)
    f, _ = forecast_year_end(
        [300.0],
        carried=[0.0],
        done_quarter_ago=[0.0],
        pipeline=[0.0],
        outstanding=[0.0],
        as_of=D("2022-04-10"),
        year=2022,
        settings=ProgressSettings(cap_to_listed=False),
    )
    assert f[0] == pytest.approx(1095.0)  # layers whose features are entered only when done
    # too early in the year: no extrapolation, pipeline only
    f, p = forecast_year_end(
        [50.0],
        carried=[0.0],
        done_quarter_ago=[0.0],
        pipeline=[80.0],
        outstanding=[500.0],
        as_of=D("2022-01-10"),
        year=2022,
        settings=ProgressSettings(),
    )
    assert (f[0], p[0]) == (130.0, 0.0)


def test_milestones_and_rating_colours() -> None:
    ms = (
        (D("2022-03-31"), 0.25),
        (D("2022-06-30"), 0.5),
        (D("2022-09-30"), 0.75),
        (D("2022-12-31"), 1.0),
    )
    assert milestone_fraction(ms, 2022, D("2022-03-31")) == pytest.approx(0.25)
    assert milestone_fraction(ms, 2022, D("2022-12-31")) == pytest.approx(1.0)
    assert 0.25 < milestone_fraction(ms, 2022, D("2022-05-15")) < 0.5
    # no milestones: linear through the year
    assert milestone_fraction((), 2022, D("2022-07-02")) == pytest.approx(183 / 365)
    # percentages are accepted
    assert milestone_fraction(((D("2022-06-30"), 40.0),), 2022, D("2022-06-30")) == pytest.approx(
        0.4
    )
    # a milestone of 0 until September (culture sites)
    late = ((D("2022-09-30"), 0.0), (D("2022-11-30"), 1.0))
    assert milestone_fraction(late, 2022, D("2022-08-01")) == 0.0
    s = ProgressSettings()
    assert rate(600, 700, 1200, 600, settings=s) == "green"  # on the curve
    assert rate(500, 1200, 1200, 600, settings=s) == "green"  # forecast reaches the target
    assert rate(500, 1100, 1200, 600, settings=s) == "amber"  # ≥ 90 %
    assert rate(500, 1000, 1200, 600, settings=s) == "red"
    assert rate(0, 0, 0, 0, settings=s) == "none"
    assert rate(10, 90, 100, 50, settings=s, at_least=False) == "green"
    assert rate(10, 105, 100, 50, settings=s, at_least=False) == "amber"
    assert rate(500, 1000, 1200, 600, settings=ProgressSettings(amber_ratio=0.8)) == "amber"
    with pytest.raises(YkgeoError, match="pipeline_probability"):
        ProgressSettings(pipeline_probability=1.5)


def test_rating_in_report(make_store: Callable[..., Store]) -> None:
    store = _linear_store(make_store, 3)
    row = progress_report(store, as_of=D("2022-09-30"), targets=["area_t"]).row("area_t")
    # 300 done by September, expected 900; forecast 300 + 300/273×92 ≈ 401 → red
    assert row.rating == "red"
    assert row.milestone_expected == pytest.approx(900.0)


# --- changes -------------------------------------------------------------------------------------


def test_changes_between_categories(make_store: Callable[..., Store]) -> None:
    store = make_store()
    add(
        store,
        "parcels",
        [
            parcel("A", square(100, 100)),
            parcel("B", square(300, 100), "已完成", 完成日期="2022-01-05"),
            parcel("C", square(500, 100)),
            parcel("D", square(700, 100), **{"台账面积（亩）": 10.0}),
        ],
    )
    set_status(store, "parcels", "C", "推进中", day="2022-02-01")
    # between 1 March and 31 March:
    set_status(store, "parcels", "A", "已完成", day="2022-03-10")
    store.update_feature(
        "parcels",
        "B",
        {"状态": "推进中", "完成日期": None},
        user="李四",
        expected_version=None,
        effective_date=D("2022-03-11"),
        recorded_at=at("2022-03-11"),
    )
    store.update_feature(
        "parcels",
        "D",
        {"台账面积（亩）": 16.0, "geometry": square(700, 100, 120)},
        user=USER,
        expected_version=None,
        effective_date=D("2022-03-12"),
        recorded_at=at("2022-03-12"),
    )
    add(store, "parcels", [parcel("E", square(900, 100))], day="2022-03-13")
    store.delete_features(
        "parcels", ["C"], user=USER, effective_date=D("2022-03-14"), recorded_at=at("2022-03-14")
    )
    frame = changes_between(store, D("2022-03-01"), D("2022-03-31"), layers=["parcels"])
    got = sorted(zip(frame["id"], frame["change"], strict=True))
    assert got == [
        ("A", "newly_done"),
        ("B", "regressed"),
        ("C", "removed"),
        ("D", "remeasured"),
        ("E", "added"),
    ]
    b = frame[frame["id"] == "B"].iloc[0]
    assert (b["old_status"], b["new_status"], b["recorded_by"]) == ("已完成", "推进中", "李四")
    d = frame[frame["id"] == "D"].iloc[0]
    assert d["old_measure"] == pytest.approx(15.0, rel=1e-6) and d["new_measure"] == pytest.approx(
        21.6, rel=1e-6
    )
    assert (d["old_ledger_area"], d["new_ledger_area"]) == (10.0, 16.0)
    assert frame[frame["id"] == "A"].iloc[0]["effective_dates"] == "2022-03-10"
    # nothing happened in February for A–E but C's status change
    feb = changes_between(store, D("2022-01-31"), D("2022-02-28"), layers=["parcels"])
    assert list(zip(feb["id"], feb["change"], strict=True)) == [("C", "status_changed")]


# --- outputs -------------------------------------------------------------------------------------


def _sample_report(make_store: Callable[..., Store]) -> Any:
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


def test_json_keys_are_stable(make_store: Callable[..., Store]) -> None:
    _, report = _sample_report(make_store)
    data = report_to_json(report)
    assert list(data) == [
        "as_of",
        "year",
        "plan_name",
        "known_at",
        "data_version",
        "township",
        "warnings",
        "targets",
    ]
    assert data["as_of"] == "2022-02-28"
    assert set(data["data_version"]) == {"log_id", "recorded_at", "store", "label"}
    first = data["targets"][0]
    assert list(first) == [
        "key",
        "name_zh",
        "unit",
        "layer",
        "measure",
        "target",
        "done",
        "in_progress",
        "not_started",
        "pct",
        "remaining",
        "forecast",
        "forecast_pct",
        "rating",
        "milestone_expected",
        "rule_zh",
        "warnings",
        "townships",
    ]
    assert list(first["townships"][0]) == [
        "township",
        "done",
        "in_progress",
        "not_started",
        "pct",
        "forecast",
        "rating",
        "target_share",
        "pct_of_share",
        "pipeline",
    ]
    assert first["key"] == "area_t" and first["target"] == 1200 and first["done"] == 30.0
    json.dumps(data, ensure_ascii=False)  # serialisable
    # township rows add up to the city figure as printed (balanced rounding)
    for t in data["targets"]:
        assert sum(r["done"] for r in t["townships"]) == pytest.approx(t["done"], abs=1e-9)
    split = data["targets"][1]
    assert {r["township"]: r["done"] for r in split["townships"]} == {"西镇": 4.5, "东镇": 25.5}
    months = report_to_json(report, by="month")["targets"][0]["months"]
    assert [m["month"] for m in months][:2] == ["2022-01", "2022-02"]


def _display_cells(line: str) -> list[str]:
    """The characters of a line by display column (a CJK character fills two columns)."""
    cells: list[str] = []
    for ch in line:
        cells.extend([ch, ch] if unicodedata.east_asian_width(ch) in ("W", "F") else [ch])
    return cells


def _tables(text: str) -> list[tuple[list[str], str, list[str]]]:
    """(header, dashed rule, rows) of every table in a text block."""
    lines = text.splitlines()
    out = []
    for i, ln in enumerate(lines):
        if ln and set(ln) <= {"-", " "}:
            rows = []
            for row in lines[i + 1 :]:
                if not row or row.startswith(("【", "注")):
                    break
                rows.append(row)
            out.append((lines[i - 1], ln, rows))
    return out


def test_table_alignment_with_cjk(make_store: Callable[..., Store]) -> None:
    _, report = _sample_report(make_store)
    for by in (None, "township", "month"):
        tables = _tables(report_to_table(report, by=by))
        assert tables
        for header, rule, rows in tables:
            spans = [(m.start(), m.end()) for m in re.finditer(r"-+", rule)]
            gaps = {c for (_, b), (a, _) in itertools.pairwise(spans) for c in range(b, a)}
            for line in [header, *rows]:
                cells = _display_cells(line)
                # nothing spills into the two blank columns between columns
                assert all(cells[c] == " " for c in gaps if c < len(cells)), line
                # every row is exactly as wide as its rule, up to a trailing left-aligned cell
                assert len(cells) <= spans[-1][1]
            # numbers are right-aligned: each numeric cell ends on its rule's last column
            for row in rows:
                cells = _display_cells(row)
                for a, b in spans[1:-1]:
                    text = "".join(cells[a:b]).strip()
                    if re.fullmatch(r"[\d,.%—-]+", text):
                        assert cells[b - 1] != " ", (row, a, b)
    summary = _tables(report_to_table(report))[0]
    assert summary[0].split() == [
        "目标", "单位", "年度目标", "已完成", "完成率", "序时进度", "推进中", "未启动", "尚差",
        "年底预测", "预测完成率", "评级",
    ]  # fmt: skip
    assert summary[2][0].startswith("整治测试地块 ")
    assert "30.00" in summary[2][0] and "1,200" in summary[2][0]
    by_town = report_to_table(report, by="township")
    assert "【整治测试地块】" in by_town and "合计" in by_town and "西镇" in by_town


def test_csv_and_xlsx(make_store: Callable[..., Store], tmp_path: Path) -> None:
    _, report = _sample_report(make_store)
    csv_text = report_to_csv(report)
    frame = pd.read_csv(io.StringIO(csv_text))
    assert list(frame.columns[:5]) == ["目标键", "目标", "单位", "年度目标", "已完成"]
    assert frame.loc[frame["目标键"] == "area_t", "已完成"].iloc[0] == pytest.approx(30.0)
    by_town = pd.read_csv(io.StringIO(report_to_csv(report, by="township")))
    assert set(by_town["镇街"]) == {"西镇", "东镇"}
    out = tmp_path / "进度.xlsx"
    data = report_to_xlsx(report, out)
    assert out.read_bytes() == data
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "总表",
        "分镇街",
        "逐月",
        "要素明细",
        "重叠",
        "镇街不符",
        "面积差异",
        "说明",
    ]
    ws = wb["总表"]
    header = [c.value for c in ws[1]]
    done_col = header.index("已完成")
    values = {
        ws.cell(row=r, column=1).value: ws.cell(row=r, column=done_col + 1).value
        for r in range(2, ws.max_row + 1)
    }
    assert values["area_t"] == pytest.approx(30.0)
    assert isinstance(values["count_t"], int | float) and values["count_t"] == 2
    feats = wb["要素明细"]
    assert [c.value for c in feats[1]][:4] == ["目标键", "目标", "要素编号", "名称"]


# --- command line ------------------------------------------------------------------------------


def _cli(argv: list[str]) -> tuple[int, str, str]:
    """Run a registered command the way ykgeo.cli does (YkgeoError → message on stderr, exit 2)."""
    parser = argparse.ArgumentParser(prog="ykgeo")
    sub = parser.add_subparsers(dest="command", required=True)
    add_cli(sub)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            args = parser.parse_args(argv)
            try:
                code = int(args.func(args))
            except YkgeoError as exc:
                print(f"错误：{exc}", file=sys.stderr)
                code = 2
        except SystemExit as exc:  # argparse errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def test_layers_as_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI opens stores with the default layer definitions: point them at this test's."""
    monkeypatch.setattr("ykgeo.layers.DEFAULT_LAYER_DIR", tmp_path / "layers")


@pytest.mark.usefixtures("test_layers_as_default")
def test_cli_progress_json_and_changes(make_store: Callable[..., Store], tmp_path: Path) -> None:
    store, _ = _sample_report(make_store)
    code, out, err = _cli(
        [
            "progress",
            "--as-of",
            "2022-02-28",
            "--store",
            str(store.path),
            "--format",
            "json",
            "--target",
            "area_t",
        ]
    )
    assert code == 0, err
    data = json.loads(out)
    assert [t["key"] for t in data["targets"]] == ["area_t"]
    assert data["targets"][0]["done"] == 30.0
    code, out, _ = _cli(
        ["progress", "--as-of", "2022-02-28", "--store", str(store.path), "--by", "township"]
    )
    assert code == 0 and "西镇" in out
    code, out, _ = _cli(
        [
            "progress",
            "--as-of",
            "2022/02/28",
            "--store",
            str(store.path),
            "--by",
            "month",
            "--target",
            "area_t",
        ]
    )
    assert code == 0 and "2022-02" in out
    xlsx = tmp_path / "out.xlsx"
    code, _, _ = _cli(
        [
            "progress",
            "--as-of",
            "2022-02-28",
            "--store",
            str(store.path),
            "--format",
            "xlsx",
            "-o",
            str(xlsx),
        ]
    )
    assert code == 0 and xlsx.exists()
    code, out, _ = _cli(
        [
            "changes",
            "--since",
            "2022-01-31",
            "--until",
            "2022-02-28",
            "--store",
            str(store.path),
            "--format",
            "json",
        ]
    )
    assert code == 0
    assert {(c["id"], c["change"]) for c in json.loads(out)["changes"]} == {
        ("X", "newly_done"),
        ("Y", "newly_done"),
        ("Z", "status_changed"),
    }


@pytest.mark.usefixtures("test_layers_as_default")
def test_cli_through_ykgeo_main(
    make_store: Callable[..., Store], capsys: pytest.CaptureFixture[str]
) -> None:
    from ykgeo.cli import main

    store, _ = _sample_report(make_store)
    assert (
        main(["progress", "--as-of", "2022-02-28", "--store", str(store.path), "--format", "json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["targets"][0]["done"] == 30.0
    assert main(["progress", "--store", str(store.path), "--target", "no_such_target"]) == 2
    err = capsys.readouterr().err
    assert "没有目标 no_such_target" in err and "Traceback" not in err


@pytest.mark.usefixtures("test_layers_as_default")
def test_cli_bad_input(make_store: Callable[..., Store]) -> None:
    store, _ = _sample_report(make_store)
    code, out, err = _cli(
        [
            "progress",
            "--as-of",
            "2022-02-28",
            "--store",
            str(store.path),
            "--target",
            "no_such_target",
        ]
    )
    assert code == 2 and out == ""
    assert "没有目标 no_such_target" in err and "Traceback" not in err
    code, _, err = _cli(["progress", "--as-of", "2022-13-40", "--store", str(store.path)])
    assert code == 2 and "日期格式" in err
    code, _, err = _cli(["progress", "--as-of", "2021-05-01", "--store", str(store.path)])
    assert code == 2 and "2021" in err  # no plan for 2021
    code, _, err = _cli(["progress", "--store", str(store.path), "--format", "xlsx"])
    assert code == 2 and "-o" in err
    code, _, err = _cli(["progress", "--store", str(store.path.with_name("missing.gpkg"))])
    assert code == 2 and "找不到项目库" in err
    with pytest.raises(LayerError):
        progress_report(store, as_of=D("2022-02-28"), targets=["nope"])


# --- the shipped plan on the demo store ----------------------------------------------------------

#: Every target of ../shared/targets-2022.md that has a map layer: (suggested key, words of its Chinese
#: term, figure, unit, layer it is counted on).
SHIPPED_TARGETS = [
    ("low_efficiency_remediation", "低效工业用地", 5000, "亩", "low_efficiency_industrial"),
    ("unsupplied_digestion", "批而未供", 2600, "亩", "unsupplied_approved"),
    ("stock_revitalisation", "盘活存量", 2600, "亩", "stock_revitalisation"),
    ("low_efficiency_redevelopment", "再开发", 2600, "亩", "redevelopment"),
    ("industrial_transfer", "出让工业用地", 2000, "亩", "industrial_transfer"),
    ("land_consolidation", "土地综合整治", 6, "个", "land_consolidation"),
    ("state_factories_floor_area", "标准厂房", 2_000_000, "m²", "state_factories"),
    ("reservoir_safety", "水库", 16, "座", "reservoirs"),
    ("pond_safety", "山塘", 100, "座", "ponds"),
    ("water_supply", "供水", 2, "个", "water_supply"),
    (
        "road_completion",
        "建成道路",
        4,
        "个",
        "road_projects",
    ),  # the four roads 003 names as built in 2022
    (
        "road_construction",
        "实施",
        5,
        "个",
        "road_projects",
    ),  # 松石路, 华溪北路, 金武永磐 = S316, 金温, 方岩互通
    ("road_start", "开工道路", 3, "个", "road_projects"),  # 花园立交桥, 东永一线, 五金物流港一期
    ("renewal_blocks", "城市更新", 5, "个", "renewal_blocks"),
    ("village_redevelopment", "整村连片", 2, "个", "renewal_blocks"),  # 黄棠, 周塘
    ("urban_village_renovation", "城中村", 1, "个", "renewal_blocks"),  # 许码头 and others
    ("townscape_areas", "省级风貌区", 2, "个", "townscape_areas"),
    ("townscape_start", "风貌区建设", 3, "个", "townscape_areas"),  # the three 003 names
    ("park_design", "规划设计", 3, "个", "parks"),  # 市民中心, 塔山公园, 金胜山森林公园
    ("park_upgrade", "公园提升", 2, "个", "parks"),  # 香樟公园, 龙川公园
    ("culture_sites_start", "开工", 4, "个", "culture_sites"),  # 芝英, 方岩老街, 四方老厂区, 大寒山
    ("shangshan_protection_plan", "上山", 1, "个", "culture_sites"),
    ("huxi_park_design", "湖西", 1, "个", "culture_sites"),
    ("old_estates", "老旧小区", 3, "个", "old_estates"),
    ("feature_streets", "精品街", 2, "条", "feature_streets"),
    ("farmland", "高标准农田", 10000, "亩", "farmland_high_standard"),
    ("greening", "绿化", 3400, "亩", "greening"),
    ("mine_restoration", "矿山", 3, "处", "mine_restoration"),
    ("sewage_mains", "污水主管", 5.7, "km", "sewage_mains"),
    ("rural_sewage_terminals", "污水处理终端", 10, "个", "sewage_works"),
    ("sewage_plants", "污水处理厂", 3, "座", "sewage_works"),
    ("wetland_park", "湿地公园", 1, "个", "parks"),
    ("rental_housing", "租赁住房", 8400, "套", "rental_housing"),
    ("primary_schools", "小学", 6, "座", "schools"),
    ("kindergartens", "幼儿园", 5, "座", "schools"),
]


def _shipped_or_skip() -> tuple[Any, Store]:
    from ykgeo.layers import DEFAULT_LAYER_DIR, load_plan
    from ykgeo.store import DEMO_STORE

    ci = os.environ.get("CI", "").lower() == "true"
    missing = [
        p.name for p in (DEFAULT_LAYER_DIR / "targets-2022.toml", DEMO_STORE) if not p.exists()
    ]
    if missing:
        reason = f"shipped plan or demo store missing: {', '.join(missing)} (run `make demo`)"
        if ci:
            pytest.fail(reason)
        pytest.skip(reason)
    return load_plan(2022), Store(DEMO_STORE)


def _find(rows: Iterable[Any], key: str, words: str, layer: str) -> Any:
    rows = list(rows)
    for r in rows:
        if r.key == key:
            return r
    for r in rows:
        if r.layer == layer and words in r.name_zh:
            return r
    return None


def test_shipped_plan_on_demo_store() -> None:
    plan, store = _shipped_or_skip()
    report = progress_report(store, as_of=D("2022-12-31"), year=2022)
    # every target of the shipped plan is in the output with its plan figure
    assert [r.key for r in report.rows] == [t.key for t in store.plan(2022).targets]
    assert {t.key: t.value for t in plan.targets} == {r.key: r.target for r in report.rows}
    layers = set(store.layer_keys())
    missing = []
    for key, words, value, unit, layer in SHIPPED_TARGETS:
        if layer not in layers:
            missing.append(f"{key}: layer {layer} not in the demo store")
            continue
        row = _find(report.rows, key, words, layer)
        if row is None:
            missing.append(f"{key} ({words}) not in the report")
            continue
        assert row.target == value, key
        assert row.unit == unit, key
        assert row.layer == layer, key
    assert not missing, missing
    data = report_to_json(report)
    for t in data["targets"]:
        assert re.fullmatch(r"[a-z0-9_]+", t["key"])
        assert t["rating"] in {"green", "amber", "red", "none"}
        assert sum(r["done"] for r in t["townships"]) == pytest.approx(t["done"], abs=1e-9)
