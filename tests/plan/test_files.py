"""Plan workbooks and TOML: written the way a bureau does, read back cell by cell, every problem named."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests._sheets import HOSTILE_TEXTS, assert_no_formula
from tests.plan.conftest import APP_TOWNSHIPS
from ykgeo.errors import ValidationError
from ykgeo.layers import parse_plan
from ykgeo.plan import (
    export_plan,
    import_plan_file,
    plan_data,
    plan_history,
    plan_template,
    plan_to_toml,
    read_plan_file,
)
from ykgeo.store import Store

KEY = "low_efficiency_remediation"


def _with_townships(store: Store, path: Path, figures: dict[str, float]) -> Path:
    """Export the 2022 plan as XLSX and write township figures into column B of 镇街目标 as a person would."""
    export_plan(store, 2022, path)
    book = openpyxl.load_workbook(path)
    sheet = book["镇街目标"]
    assert sheet["B1"].value == KEY
    for row in range(2, sheet.max_row + 1):
        town = sheet.cell(row=row, column=1).value
        sheet.cell(row=row, column=2).value = figures.get(town)
    book.save(path)
    return path


def _split(total: float) -> dict[str, float]:
    each = round(total / len(APP_TOWNSHIPS), 2)
    out = {t: each for t in APP_TOWNSHIPS[:-1]}
    out[APP_TOWNSHIPS[-1]] = round(total - each * (len(APP_TOWNSHIPS) - 1), 2)
    return out


def test_xlsx_round_trip_keeps_every_rule(plan_store: Store, tmp_path: Path) -> None:
    original = plan_store.plan(2022)
    path = export_plan(plan_store, 2022, tmp_path / "2022年度目标.xlsx")
    back = read_plan_file(path, layers=plan_store.layers, townships=APP_TOWNSHIPS)
    assert plan_to_toml(plan_data(back)) == plan_to_toml(plan_data(original))
    assert [t.key for t in back.targets] == [t.key for t in original.targets]
    roads = back.target("road_completion")
    assert dict(roads.filter) == {"年度任务": ("2022年建成",)}
    assert back.target("industrial_transfer").area_source == "ledger"


def test_toml_export_is_the_store_text_and_reads_back(plan_store: Store, tmp_path: Path) -> None:
    path = export_plan(plan_store, 2022, tmp_path / "targets-2022.toml")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["year"] == 2022
    back = read_plan_file(path, layers=plan_store.layers, townships=APP_TOWNSHIPS)
    assert back.target(KEY).value == 5000


def test_township_targets_from_the_workbook(plan_store: Store, tmp_path: Path) -> None:
    figures = _split(5000)
    path = _with_townships(plan_store, tmp_path / "分解.xlsx", figures)
    plan = read_plan_file(path, layers=plan_store.layers, townships=APP_TOWNSHIPS)
    assert dict(plan.target(KEY).township_values) == pytest.approx(figures)
    assert not plan.target("unsupplied_digestion").township_values


def test_template_from_last_year_leaves_the_values_to_fill(
    plan_store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "目标模板.xlsx"
    plan_template(plan_store, path, year=2023)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:3] == ["计划", "目标", "镇街目标"]
    info = {r[0].value: r[1].value for r in book["计划"].iter_rows(min_row=2)}
    assert info["年度"] == 2023 and info["状态"] == "草案"
    header = [c.value for c in book["目标"][1]]
    rows = list(book["目标"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(plan_store.plan(2022).targets)
    assert all(r[header.index("目标值")] is None for r in rows)
    towns = [r[0] for r in book["镇街目标"].iter_rows(min_row=2, values_only=True)]
    assert towns == list(APP_TOWNSHIPS)
    # a draft with empty values reads back as a draft
    draft = read_plan_file(path, layers=plan_store.layers, townships=APP_TOWNSHIPS)
    assert draft.is_draft and not any(t.value_set for t in draft.targets)


def test_import_records_an_amendment_with_its_history(plan_store: Store, tmp_path: Path) -> None:
    path = _with_townships(plan_store, tmp_path / "分解.xlsx", _split(5000))
    version = import_plan_file(plan_store, path, user="张三", note="任务分解下达")
    assert version.version == 2
    history = plan_history(plan_store, 2022)
    assert list(history["版本"]) == [1, 2]
    assert history["说明"].iloc[1] == "任务分解下达" and history["操作人"].iloc[1] == "张三"
    assert "整治低效工业用地：下达到 14 个镇街" in history["变化"].iloc[1]


# --- bad input: Chinese messages naming sheet, row and column; nothing written ------------------


def _edit(store: Store, tmp_path: Path, changes: dict[tuple[str, str], Any]) -> Path:
    path = export_plan(store, 2022, tmp_path / "有误.xlsx")
    book = openpyxl.load_workbook(path)
    for (sheet, cell), value in changes.items():
        book[sheet][cell] = value
    book.save(path)
    return path


BAD_CELLS: dict[str, tuple[dict[tuple[str, str], Any], str]] = {
    "unknown layer": (
        {("目标", "C2"): "低效工业用地2"},
        r"工作表“目标”，第 2 行，C 列（图层）：图层“低效工业用地2”不存在",
    ),
    "unknown status": (
        {("目标", "G2"): "已完成、已验收"},
        r"工作表“目标”，第 2 行，G 列（计入状态）：状态“已验收”不在图层 低效工业用地 的状态词表中",
    ),
    "negative value": (
        {("目标", "E3"): -2600},
        r"工作表“目标”，第 3 行，E 列（目标值）：目标值 -2600 不能为负",
    ),
    "text value": (
        {("目标", "E4"): "两千六百"},
        r"工作表“目标”，第 4 行，E 列（目标值）：目标值“两千六百”不是数字",
    ),
    "duplicate key": (
        {("目标", "A5"): "stock_revitalisation"},
        r"工作表“目标”，第 5 行，A 列（目标键）：目标键“stock_revitalisation”重复（第 4 行已有）",
    ),
    "unknown target key": (
        {("镇街目标", "AL1"): "no_such_target", ("镇街目标", "AL2"): 10},
        r"工作表“镇街目标”，AL 列（no_such_target）：列“no_such_target”不是计划中的目标",
    ),
    "township not in store": (
        {("镇街目标", "A2"): "东城", ("镇街目标", "B2"): 100},
        r"工作表“镇街目标”，第 2 行，B 列（low_efficiency_remediation）：镇街“东城”不在项目库的镇街中（是否指“东城街道”？）",
    ),
    "sums differ": (
        {("镇街目标", "B2"): 4000, ("镇街目标", "B3"): 600},
        r"B 列（low_efficiency_remediation）：镇街目标合计 4,600.00 亩，与全市目标 5,000.00 亩 相差 -400.00 亩",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CELLS))
def test_bad_plan_is_refused_with_sheet_row_and_column(
    plan_store: Store, tmp_path: Path, case: str
) -> None:
    changes, message = BAD_CELLS[case]
    path = _edit(plan_store, tmp_path, changes)
    before = plan_store.path.read_bytes()
    with pytest.raises(ValidationError, match=message) as caught:
        import_plan_file(plan_store, path, user="张三", note="测试")
    assert all(p.file == "有误.xlsx" for p in caught.value.problems)
    assert plan_store.path.read_bytes() == before


def test_every_problem_is_reported_at_once(plan_store: Store, tmp_path: Path) -> None:
    changes: dict[tuple[str, str], Any] = {}
    for cells, _ in BAD_CELLS.values():
        if not any(sheet == "镇街目标" for sheet, _ in cells):
            changes.update(cells)
    path = _edit(plan_store, tmp_path, changes)
    with pytest.raises(ValidationError) as caught:
        read_plan_file(path, layers=plan_store.layers, townships=APP_TOWNSHIPS)
    # row 2 has an unknown layer, so its statuses cannot be checked: four problems in four cells
    assert len(caught.value.problems) == 4
    assert str(caught.value).startswith("有误.xlsx：校验未通过，共 4 个错误")


def test_toml_problems_name_the_target_and_field(plan_store: Store, tmp_path: Path) -> None:
    text = plan_store.plan(2022).toml_text.replace("value = 2600", "value = -1", 1)
    path = tmp_path / "targets-2022.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        ValidationError,
        match=r"要素 第 2 个目标（unsupplied_digestion），value（目标值）：目标值 -1 不能为负",
    ):
        read_plan_file(path, layers=plan_store.layers, townships=APP_TOWNSHIPS)


def test_text_cells_are_written_literally(plan_store: Store, tmp_path: Path) -> None:
    """Hostile names and notes of a plan stay text in the export and in next year's template."""
    name, target_name, note = HOSTILE_TEXTS[0], HOSTILE_TEXTS[1], HOSTILE_TEXTS[4]
    data = plan_data(plan_store.plan(2022))
    data["name_zh"] = name
    data["targets"][0].update(name_zh=target_name, note_zh=note)
    hostile = parse_plan(plan_to_toml(data), name="x", layers=plan_store.layers)
    plan_store.save_plan(hostile, user="张三")
    path = export_plan(plan_store, 2022, tmp_path / "literal.xlsx")
    cells = assert_no_formula(path, {name, target_name, note})
    assert {c.parent.title for c in cells} == {"计划", "目标"}
    # read back unchanged: the quote prefix is a style, not part of the value
    back = read_plan_file(path, layers=plan_store.layers, townships=APP_TOWNSHIPS)
    assert back.name_zh == name and back.targets[0].name_zh == target_name
    template = plan_template(plan_store, tmp_path / "模板.xlsx", year=2023)
    assert_no_formula(template, {target_name, note})
