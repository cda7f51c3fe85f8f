"""Next year's candidates: D first, then C two years running, then the other carried-over parcels; cut at the target."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest

from tests._sheets import HOSTILE_TEXTS, assert_no_formula
from tests.plan.builders import CANDIDATE_LAYER, CANDIDATE_TARGET, add_candidate_data, square
from ykgeo.errors import StoreError
from ykgeo.io import read_vector
from ykgeo.plan import (
    adopt_candidates,
    candidates_to_geojson,
    candidates_to_xlsx,
    store_candidates,
)
from ykgeo.store import Store

KEY = CANDIDATE_TARGET
LAYER = CANDIDATE_LAYER


@pytest.fixture
def store(plan_store: Store, tmp_path: Path) -> Store:
    """Four parcels on the 2022 list, six in the register, two evaluations and a 2023 plan of 40 亩."""
    return add_candidate_data(plan_store, tmp_path)


def test_ranking_groups_order_and_cut(store: Store) -> None:
    cl = store_candidates(store, year=2023, target=KEY, as_of=dt.date(2022, 12, 31))
    table = cl.table
    # D (2022): L1 0.6 then Z2 1.2; C in 2021 and 2022: Z3 2.5 (60 亩) then L2 3.5; other carried: L3
    assert list(table["地块编号"]) == ["L1", "Z2", "Z3", "L2", "L3"]
    assert list(table["分组"]) == ["D类", "D类", "连续C类", "连续C类", "结转（其他）"]
    # 100 m squares in GK CM 120°E: 15 亩 each (ellipsoidal area within a few ppm of the plane's)
    assert list(table["面积（亩）"]) == pytest.approx([15.0, 15.0, 60.0, 15.0, 15.0], rel=1e-5)
    assert list(table["累计面积（亩）"]) == pytest.approx(
        [15.0, 30.0, 90.0, 105.0, 120.0], rel=1e-5
    )
    assert cl.cut == 3 and list(table["入选"]) == ["是", "是", "是", "否", "否"]
    assert cl.selected_mu == pytest.approx(90.0)
    assert "划线在第 3 位（累计 90.00 亩 ≥ 目标 40.00 亩）" in cl.summary_zh()
    # Z4 was C only once, Z5 is an A firm, Z1 and Z6 are land already on the list: none are candidates
    assert not set(table["地块编号"]) & {"Z1", "Z4", "Z5", "Z6", "L4"}
    assert list(cl.unmatched_firms["企业名称"]) == ["租用厂房的壬厂"]
    assert table.loc[table["地块编号"] == "Z3", "匹配方式"].item() == "信用代码"


def test_a_larger_value_moves_the_cut_or_is_not_reached(store: Store) -> None:
    assert store_candidates(store, year=2023, target=KEY, value=100.0).cut == 4
    unreachable = store_candidates(store, year=2023, target=KEY, value=500.0)
    assert unreachable.cut is None and "达不到目标 500.00 亩" in unreachable.summary_zh()


def test_the_list_is_written_as_xlsx_and_geojson(store: Store, tmp_path: Path) -> None:
    cl = store_candidates(store, year=2023, target=KEY)
    candidates_to_xlsx(cl, tmp_path / "候选.xlsx")
    book = openpyxl.load_workbook(tmp_path / "候选.xlsx")
    assert book.sheetnames == ["候选地块", "未对应企业", "未评价地块", "说明"]
    header = [c.value for c in book["候选地块"][1]]
    first = [c.value for c in book["候选地块"][2]]
    assert first[header.index("地块编号")] == "L1"
    assert first[header.index("面积（亩）")] == pytest.approx(15.0, rel=1e-5)
    notes = {r[0]: r[1] for r in book["说明"].iter_rows(min_row=2, values_only=True)}
    assert "示意" in notes["分类规则"] and notes["目标值"] == 40
    path = candidates_to_geojson(cl, tmp_path / "候选.geojson")
    back = read_vector(path).gdf
    assert list(back["地块编号"]) == list(cl.table["地块编号"])


def test_hostile_firm_names_stay_text_in_the_candidates_workbook(
    plan_store: Store, tmp_path: Path
) -> None:
    # the register's owners of Z2 (D class) and Z3 (C twice) are on the list; firm 9 of the
    # evaluation matches no parcel
    owners = {"Z2": HOSTILE_TEXTS[0], "Z3": HOSTILE_TEXTS[1]}
    store = add_candidate_data(
        plan_store, tmp_path, owners=owners, firm_names={9: HOSTILE_TEXTS[3]}
    )
    cl = store_candidates(store, year=2023, target=KEY)
    hostile = {*owners.values(), HOSTILE_TEXTS[3]}
    assert hostile <= {*cl.table["企业名称"], *cl.unmatched_firms["企业名称"]}
    path = candidates_to_xlsx(cl, tmp_path / "候选.xlsx")
    cells = assert_no_formula(path, hostile)
    assert {c.parent.title for c in cells} == {"候选地块", "未对应企业"}
    # the store keeps the values as given
    assert HOSTILE_TEXTS[3] in set(store.evaluation(2022)["企业名称"])
    assert store.read_layer("industrial_parcels").loc["Z2", "权利人"] == HOSTILE_TEXTS[0]


def test_adopting_puts_the_list_on_the_layer_in_one_step(store: Store) -> None:
    cl = store_candidates(store, year=2023, target=KEY)
    adopted_on = dt.date(2022, 12, 28)  # the list is settled before the year starts
    summary = adopt_candidates(store, cl, user="张三", effective_date=adopted_on)
    assert (summary.added, summary.updated) == (2, 1)  # Z2 and Z3 added; L1 due by the end of 2023
    layer = store.read_layer(LAYER)
    assert {"Z2", "Z3"} <= set(layer.index)
    assert layer.loc["Z2", "状态"] == "未启动"
    assert layer.loc["Z2", "计划完成日期"].date() == dt.date(2023, 12, 31)
    assert layer.loc["Z2", "亩均税收分类"] == "D" and layer.loc["Z3", "亩均税收分类"] == "C"
    assert layer.loc["L1", "计划完成日期"].date() == dt.date(2023, 12, 31)
    log = store.edit_log(layer=LAYER)
    assert log["batch_id"].iloc[-3:].nunique() == 1  # one transaction: 2 inserts + 1 update
    assert sorted(log["action"].iloc[-3:]) == ["insert", "insert", "update"]
    # the register parcels now on the list are no longer fresh candidates
    again = store_candidates(store, year=2023, target=KEY)
    assert list(again.table["地块编号"]) == ["L1", "Z2", "Z3", "L2", "L3"]
    assert set(again.table["来源"]) == {"结转（低效工业用地）"}, again.table[["地块编号", "来源"]]


def test_adoption_is_all_or_nothing(store: Store) -> None:
    cl = store_candidates(store, year=2023, target=KEY)
    # someone adds a feature with a register parcel's id meanwhile: the whole adoption is refused
    clash = gpd.GeoDataFrame(
        {"地块编号": ["Z3"], "企业名称": ["他厂"], "所属镇街": ["东城街道"], "状态": ["未启动"]},
        geometry=[square(9)],
        crs=4490,
    )
    store.import_features(LAYER, clash, user="李四", source="测试")
    before = store.path.read_bytes()
    with pytest.raises(StoreError, match="已有编号 Z3 的要素"):
        adopt_candidates(store, cl, user="张三")
    assert store.path.read_bytes() == before


def test_without_last_years_evaluation_there_is_no_list(plan_store: Store) -> None:
    with pytest.raises(StoreError, match="没有 2021 年的亩均效益评价"):
        store_candidates(plan_store, year=2022, target=KEY, value=10.0)
