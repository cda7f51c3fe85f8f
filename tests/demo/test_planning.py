"""The demo's planning data (issue 11): the industrial-land register, the 2021/2022 亩均 tables and the 2023 draft."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ykgeo.demo import build_demo
from ykgeo.plan import read_mujun_table, store_candidates
from ykgeo.store import DEMO_STORE, Store

TABLES = DEMO_STORE.parent / "mujun"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_demo(tmp_path_factory.mktemp("demo-plan") / "yongkang-demo.gpkg")


def test_the_shipped_tables_are_what_the_build_writes(built: Store) -> None:
    for year in (2021, 2022):
        name = f"亩均效益评价_{year}（示意）.csv"
        assert (built.path.parent / "mujun" / name).read_bytes() == (TABLES / name).read_bytes()


def test_the_tables_read_back_cleanly_and_carry_the_cases_a_planner_meets() -> None:
    t2021 = read_mujun_table(TABLES / "亩均效益评价_2021（示意）.csv", year=2021)
    t2022 = read_mujun_table(TABLES / "亩均效益评价_2022（示意）.csv", year=2022)
    assert t2021.frame["评价类别"].notna().all()  # the county's classes
    assert t2022.frame["评价类别"].isna().all()  # to be classified by the rules
    for table in (t2021, t2022):
        frame = table.frame
        no_code = frame["统一社会信用代码"].isna()
        assert no_code.sum() == 9  # eight found by their coordinates, one with nothing to go on
        assert (no_code & frame["经度"].notna()).sum() == 8


def test_the_register_holds_every_listed_parcel(built: Store) -> None:
    register = built.read_layer("industrial_parcels")
    listed = built.read_layer("low_efficiency_industrial", as_of=dt.date(2022, 1, 31))
    assert set(listed["统一社会信用代码"].dropna()) - set(register["统一社会信用代码"]) <= set(
        listed.loc[listed.index.str.endswith(("900", "901", "902")), "统一社会信用代码"]
    )  # only the deliberate duplicates are not in the register
    assert len(register) > 2 * len(listed)
    assert register["数据来源"].str.contains("示意").all()


def test_evaluations_are_loaded_in_time_order_and_classified(built: Store) -> None:
    years = built.evaluation_years()
    assert years["year"].tolist() == [2021, 2022]
    log = built.edit_log()
    assert log[
        "recorded_at"
    ].is_monotonic_increasing  # plans, evaluations and features in time order
    classes = built.evaluation(2022)["类别"].value_counts()
    assert classes["D"] == round(0.05 * classes.sum())  # the illustrative rule: D is the bottom 5 %
    assert (built.evaluation(2022)["类别来源"] == "按规则计算").all()
    assert (built.evaluation(2021)["类别来源"] == "县评价").all()


def test_the_2023_draft_is_a_rollover_with_filled_land_targets(built: Store) -> None:
    assert built.plan_years() == [2022, 2023]
    first, filled = built.plan_versions(2023)
    assert "结转" in first.note and "示意" in filled.note
    plan = built.plan(2023)
    assert plan.is_draft and "示意" in plan.name_zh
    target = plan.target("low_efficiency_remediation")
    assert target.value == 2000 and sum(target.township_values.values()) == 2000
    assert not plan.target("reservoir_safety").value_set
    carried = [c for c in plan.carried_over if c.target == "low_efficiency_remediation"]
    layer = built.read_layer("low_efficiency_industrial", as_of=dt.date(2022, 12, 31))
    assert {c.id for c in carried} == set(layer.index[layer["状态"] != "已完成"])
    # a date in 2022 still uses the 2022 plan; 2023 dates use the draft
    assert (
        built.plan(2022, as_of=dt.date(2022, 12, 31)).target("low_efficiency_remediation").value
        == 5000
    )


def test_the_demos_2023_candidates(built: Store) -> None:
    cl = store_candidates(built, year=2023, target="low_efficiency_remediation")
    groups = cl.table["分组"].tolist()
    assert groups == sorted(groups, key=["D类", "连续C类", "结转（其他）"].index)
    assert cl.cut is not None and cl.table["累计面积（亩）"].iloc[cl.cut - 1] >= 2000
    assert cl.table["累计面积（亩）"].iloc[cl.cut - 2] < 2000
    assert len(cl.unmatched_firms) > 0  # the renting firms are listed, not dropped
    assert pd.Series(cl.table["地块编号"]).is_unique
