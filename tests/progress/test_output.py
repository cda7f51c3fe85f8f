"""The report as JSON with stable keys, aligned CJK tables, CSV and XLSX."""

from __future__ import annotations

import io
import itertools
import json
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.progress.conftest import (
    sample_report,
)
from ykgeo.progress import (
    report_to_csv,
    report_to_json,
    report_to_table,
    report_to_xlsx,
)
from ykgeo.report import RATING_ZH, format_figure, format_pct, format_target
from ykgeo.store import Store

# --- outputs -------------------------------------------------------------------------------------


def test_json_keys_are_stable(make_store: Callable[..., Store]) -> None:
    _, report = sample_report(make_store)
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
        "plan_version",
        "plan_status",
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
        "value_set",
        "share_basis",
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
        "share_basis",
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
    _, report = sample_report(make_store)
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
    _, report = sample_report(make_store)
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


# --- figures as printed (the briefing pack's names for them) ---------------------------------


def test_formatting_is_the_cli_format() -> None:
    assert format_figure(1234.5, 2) == "1,234.50"
    assert format_figure(4.33, 3) == "4.330"
    assert format_figure(942300.0, 0) == "942,300"
    assert format_figure(None, 2) == "—"
    assert format_figure(float("nan"), 2) == "—"
    assert format_pct(38.44) == "38.4%"
    assert format_pct(None) == "—"
    assert format_target(5000.0, 2) == "5,000"
    assert format_target(2.5, 0) == "2.5"
    assert RATING_ZH["green"] == "绿"
