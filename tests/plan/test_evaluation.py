"""亩均 evaluations: tables as counties send them, classified by rules kept as data, joined to parcels, stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from tests._builders import gk_square
from tests.plan.conftest import import_at_year_start
from ykgeo.errors import LayerError, StoreError, ValidationError
from ykgeo.io import write_workbook
from ykgeo.plan.evaluation import credit_code_valid, import_evaluation, read_mujun_table
from ykgeo.plan.rules import classify, load_rules, parse_rules
from ykgeo.store import Store

#: A point of Yongkang in EPSG:4549 (120°E, 28.9°N).
YONGKANG_4549 = (500_000.0, 3_198_185.8)
HEADER = ["统一社会信用代码", "企业名称", "亩均税收（万元/亩）", "亩均增加值（万元/亩）",
          "单位能耗增加值（万元/吨标煤）", "用地面积（亩）", "评价类别"]  # fmt: skip
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def code(n: int) -> str:
    """A well-formed 统一社会信用代码 (GB 32100 check character) numbered ``n``."""
    head = f"9133078400{n:07d}"
    total = sum(_ALPHABET.index(c) * w for c, w in zip(head, _WEIGHTS, strict=True))
    return head + _ALPHABET[(31 - total % 31) % 31]


def write_table(
    path: Path, rows: list[list[Any]], *, header: list[str] = HEADER, title: bool = True
) -> Path:
    """An evaluation table as a county sends it: a title row above the header."""
    body = [header, *rows] if title else rows
    head = ["2022年度工业企业亩均效益综合评价结果"] if title else header
    write_workbook(path, {"评价结果": (head, body)})
    return path


ONE_INDICATOR = """
name_zh = "测试规则"
[default]
method = "rank"
classes = { A = 0.25, B = 0.45, C = 0.25, D = 0.05 }
cap = 3.0
[[default.indicators]]
column = "亩均税收"
weight = 100
[years.2023]
method = "score"
classes = { A = 150, B = 100, C = 50, D = 0 }
"""


def test_codes_check_character() -> None:
    assert credit_code_valid(code(1)) and not credit_code_valid(
        code(1)[:-1] + "0" if code(1)[-1] != "0" else code(1)[:-1] + "1"
    )


def test_rank_classes_have_the_rule_shares_and_keep_the_county_class(tmp_path: Path) -> None:
    rows = [[code(i), f"企业{i}", float(i), None, None, 10.0, None] for i in range(1, 21)]
    rows[0][6] = "A类（优先发展类）"  # the county's own class is kept even for the lowest figure
    table = read_mujun_table(write_table(tmp_path / "t.xlsx", rows), year=2022)
    out = classify(table.frame, parse_rules(ONE_INDICATOR, name="r.toml", year=2022))
    assert list(out["类别来源"]).count("县评价") == 1
    assert out.loc[0, "类别"] == "A"
    computed = out[out["类别来源"] == "按规则计算"].sort_values("亩均税收")
    # 20 firms by rank: top 5 A, next 9 B, next 5 C, bottom 1 D; the bottom one is the firm
    # the county classed A itself, so no computed firm is D
    assert list(computed["类别"]) == ["C"] * 5 + ["B"] * 9 + ["A"] * 5


def test_score_classes_per_year_and_mean_score_for_missing_figures(tmp_path: Path) -> None:
    rules = parse_rules(ONE_INDICATOR, name="r.toml", year=2023)
    assert rules.method == "score"
    frame = pd.DataFrame(
        {
            "统一社会信用代码": [code(1), code(2), code(3), code(4)],
            "亩均税收": [20.0, 10.0, 2.0, np.nan],
            "评价类别": [None] * 4,
        }
    )
    out = classify(frame, rules)
    # mean = 32/3; scores = 100 × value / mean: 187.5, 93.75, 18.75; the missing one gets their mean 100
    assert list(out["得分"].round(2)) == [187.5, 93.75, 18.75, 100.0]
    assert list(out["类别"]) == ["A", "C", "D", "B"]


def test_the_shipped_rules_are_illustrative_and_say_so() -> None:
    rules = load_rules(year=2022)
    assert rules.illustrative and "示意" in rules.describe_zh()
    assert [i.column for i in rules.indicators] == ["亩均税收", "亩均增加值", "单位能耗增加值"]
    assert rules.candidates.persistent_c_years == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ONE_INDICATOR.replace('method = "rank"', 'method = "top"'), "method"),
        (ONE_INDICATOR.replace("D = 0.05", "D = 0.5"), "之和须为 1"),
        (ONE_INDICATOR.replace('column = "亩均税收"', 'column = "利润"'), "不是评价表的数值列"),
    ],
)
def test_broken_rules_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(LayerError, match=message):
        parse_rules(text, name="r.toml", year=2022)


def test_bad_tables_name_every_problem_by_sheet_row_and_column(tmp_path: Path) -> None:
    rows = [
        [code(1), "甲", 3.5, 40, 1.2, 20, "D"],
        [code(2), "乙", "暂无", 40, 1.2, 20, None],
        [code(1), "丙", 2.0, 30, 1.0, 15, None],
        [code(4), "丁", 2.0, 30, 1.0, -5, "E类"],
    ]
    path = write_table(tmp_path / "有误.xlsx", rows)
    with pytest.raises(ValidationError) as caught:
        read_mujun_table(path, year=2022)
    text = str(caught.value)
    assert "共 4 个错误" in text
    assert "工作表“评价结果”，第 4 行，C 列（亩均税收（万元/亩））：“暂无”不是数字" in text
    assert (
        "第 5 行，A 列（统一社会信用代码）：统一社会信用代码 " + code(1) + " 重复（第 3、5 行）"
        in text
    )
    assert "第 6 行，F 列（用地面积（亩））：-5 不能为负" in text
    assert "第 6 行，G 列（评价类别）：评价类别“E类”不是 A、B、C、D 之一" in text


# --- in a store ---------------------------------------------------------------------------------


@pytest.fixture
def store(plan_store: Store) -> Store:
    """The planning store with four register parcels of firms 1–4 (100 m squares, 15 亩 each)."""
    parcels = gpd.GeoDataFrame(
        {
            "宗地代码": [f"330784001001GB0000{i}" for i in range(1, 5)],
            "权利人": [f"企业{i}" for i in range(1, 5)],
            "统一社会信用代码": [code(1), code(2), None, code(4)],
            "所属镇街": ["东城街道"] * 4,
            "地类编码": ["0601"] * 4,
        },
        geometry=[gk_square(300 * i, 0, origin=YONGKANG_4549) for i in range(1, 5)],
        crs=4490,
    )
    import_at_year_start(plan_store, "industrial_parcels", parcels, day=3)
    return plan_store


def test_import_joins_by_code_then_location_and_lists_what_matched_nothing(
    store: Store, tmp_path: Path
) -> None:
    parcel_3 = store.read_layer("industrial_parcels").geometry.iloc[2]
    inside = shapely.point_on_surface(parcel_3)
    header = [*HEADER, "经度", "纬度"]
    rows = [
        [code(1), "企业1", 1.0, 10, 0.5, 15, None, None, None],
        [code(2), "企业2", 8.0, 50, 1.5, 15, None, None, None],
        [None, "企业3", 4.0, 30, 1.0, 15, None, inside.x, inside.y],  # no code: found by location
        [
            code(9),
            "租用厂房的企业",
            6.0,
            40,
            1.2,
            3,
            "C",
            None,
            None,
        ],  # rents: no parcel of its own
    ]
    path = write_table(tmp_path / "2022年亩均评价.xlsx", rows, header=header)
    result = import_evaluation(store, path, year=2022, user="张三")
    assert (result.rows, result.by_code, result.by_location) == (4, 2, 1)
    assert list(result.unmatched["企业名称"]) == ["租用厂房的企业"]
    assert list(result.unmatched_parcels["地块编号"]) == ["330784001001GB00004"]  # firm 4 not evaluated
    assert sum(result.classes.values()) == 4 and result.computed == 3
    stored = store.evaluation(2022)
    assert list(stored["企业名称"]) == ["企业1", "企业2", "企业3", "租用厂房的企业"]
    assert stored["行号"].tolist() == [3, 4, 5, 6]
    years = store.evaluation_years()
    assert years["year"].tolist() == [2022] and years["user"].iloc[0] == "张三"
    log = store.edit_log(layer="ykgeo_mujun")
    # the load's summary is one JSON document in the log's text column
    assert log["feature_id"].tolist() == ["2022"]
    assert json.loads(log["new_value"].iloc[0])["rows"] == 4


def test_a_year_loaded_already_is_refused_and_nothing_changes(store: Store, tmp_path: Path) -> None:
    rows = [[code(1), "企业1", 1.0, 10, 0.5, 15, "D"]]
    path = write_table(tmp_path / "t.xlsx", rows)
    import_evaluation(store, path, year=2022, user="张三")
    before = store.path.read_bytes()
    with pytest.raises(
        StoreError, match=r"2022 年的亩均评价已于 .* 由 张三 从 t\.xlsx 导入，本次未导入"
    ):
        import_evaluation(store, path, year=2022, user="李四")
    assert store.path.read_bytes() == before
    replaced = import_evaluation(store, path, year=2022, user="李四", replace=True)
    assert replaced.rows == 1 and store.evaluation_years()["user"].iloc[0] == "李四"


def test_a_refused_table_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_table(tmp_path / "t.xlsx", [[code(1), "企业1", "很高", 10, 0.5, 15, None]])
    before = store.path.read_bytes()
    with pytest.raises(ValidationError, match="不是数字"):
        import_evaluation(store, path, year=2022, user="张三")
    assert store.path.read_bytes() == before


def test_a_csv_in_gbk_with_gk_coordinates_is_read(store: Store, tmp_path: Path) -> None:
    parcel = store.read_layer("industrial_parcels").geometry.iloc[2]
    pt = shapely.point_on_surface(parcel)
    from pyproj import Transformer

    east, north = Transformer.from_crs(4490, 4528, always_xy=True).transform(pt.x, pt.y)
    csv = (
        "统一社会信用代码,企业名称,亩均税收,用地面积,评价类别,X坐标,Y坐标\n"
        + f",企业3,4.5,15,C,{north:.2f},{east:.2f}\n"
    )
    path = tmp_path / "评价.csv"
    path.write_bytes(csv.encode("gbk"))
    result = import_evaluation(store, path, year=2021, user="张三")
    assert (result.by_code, result.by_location) == (0, 1)
