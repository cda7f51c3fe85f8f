"""``ykgeo plan …`` as a planner types it: template, import, list, show, history, export, rollover."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.conftest import app_parcel_frame
from tests.plan.conftest import APP_TOWNSHIPS, import_at_year_start, make_plan_store
from ykgeo.cli import main
from ykgeo.store import Store


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    store = make_plan_store(tmp_path / "项目库.gpkg")
    parcels = app_parcel_frame(60, seed=5)
    import_at_year_start(store, "low_efficiency_industrial", parcels, day=2)
    return str(store.path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_template_fill_import_show_and_history(
    store_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "目标模板.xlsx"
    code, out, _ = run(
        capsys, "plan", "template", "--year", "2023", "-o", str(template), "--store", store_path
    )
    assert code == 0 and "2023 年度目标模板" in out
    book = openpyxl.load_workbook(template)
    book["计划"]["B4"] = "正式"
    targets = book["目标"]
    for row in range(2, targets.max_row + 1):
        targets.cell(row=row, column=5).value = 100
    towns = book["镇街目标"]
    for row in range(2, towns.max_row + 1):
        towns.cell(row=row, column=2).value = (
            100 / len(APP_TOWNSHIPS) if row > 2 else 100 - 13 * (100 / 14)
        )
    filled = tmp_path / "2023年目标.xlsx"
    book.save(filled)
    code, out, err = run(
        capsys, "plan", "import", str(filled), "--user", "张三", "--store", store_path
    )
    assert code == 0, err
    assert "已导入 2023 年计划（正式" in out and "计划第 1 版" in out
    code, out, _ = run(capsys, "plan", "list", "--store", store_path)
    assert "2022" in out and "2023" in out
    code, out, _ = run(capsys, "plan", "show", "2023", "--store", store_path)
    assert "下达 14 个镇街" in out and "按比例推算" in out
    code, out, _ = run(capsys, "plan", "history", "2023", "--store", store_path)
    assert "首版" in out and "张三" in out
    export = tmp_path / "导出.toml"
    code, out, _ = run(capsys, "plan", "export", "2023", "-o", str(export), "--store", store_path)
    assert code == 0 and "year = 2023" in export.read_text(encoding="utf-8")


def test_a_refused_import_prints_every_problem_and_changes_nothing(
    store_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "有误.xlsx"
    assert run(capsys, "plan", "export", "2022", "-o", str(path), "--store", store_path)[0] == 0
    book = openpyxl.load_workbook(path)
    book["目标"]["E2"] = "五千"
    book["目标"]["C3"] = "没有这个图层"
    book.save(path)
    before = Path(store_path).read_bytes()
    code, _, err = run(capsys, "plan", "import", str(path), "--store", store_path)
    assert code == 1
    assert "工作表“目标”，第 2 行，E 列（目标值）：目标值“五千”不是数字" in err
    assert "工作表“目标”，第 3 行，C 列（图层）：图层“没有这个图层”不存在" in err
    assert "项目库未作任何修改" in err
    assert Path(store_path).read_bytes() == before


def test_rollover_drafts_next_year_with_the_carried_over_features(
    store_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "plan",
        "rollover",
        "--from",
        "2022",
        "--to",
        "2023",
        "--user",
        "张三",
        "--store",
        store_path,
    )
    assert code == 0, err
    assert "已由 2022 年计划生成 2023 年计划草案" in out and "整治低效工业用地" in out
    store = Store(store_path)
    draft = store.plan(2023)
    assert draft.is_draft and not any(t.value_set for t in draft.targets)
    carried = [c for c in draft.carried_over if c.target == "low_efficiency_remediation"]
    layer = store.read_layer("low_efficiency_industrial")
    assert {c.id for c in carried} == set(layer.index[layer["状态"] != "已完成"])
    # the draft's progress is counted but not rated; the table says the values are to fill
    code, out, _ = run(capsys, "progress", "--year", "2023", "--known-now", "--store", store_path)
    assert code == 0 and "待填" in out and "（草案）" in out
    # a second rollover to the same year is refused
    code, _, err = run(
        capsys, "plan", "rollover", "--from", "2022", "--to", "2023", "--store", store_path
    )
    assert code == 2 and "已有 2023 年的计划" in err


def test_a_year_without_plan_is_said_plainly(
    store_path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "progress", "--as-of", "2023-06-30", "--store", store_path)
    assert code == 2
    assert "项目库中没有 2023 年的目标计划（有计划的年度：2022）" in err
