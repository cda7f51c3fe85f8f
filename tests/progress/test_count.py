"""Counting rules on small stores: statuses, measures, chainage with 断链, earlier years."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pytest

from tests.progress.conftest import (
    D,
    add,
    line,
    parcel,
    point,
    set_status,
    square,
)
from ykgeo.area import area_mu
from ykgeo.progress import (
    ProgressSettings,
    progress_report,
)
from ykgeo.store import Store

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
