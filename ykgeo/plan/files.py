"""Year plans as the bureau writes them: an Excel workbook (or TOML), checked cell by cell, and written back.

A workbook has a sheet 计划 (年度, 计划名称, 状态, 来源), a sheet 目标 with one row per target
(目标键 or 目标名称, 图层, 计量方式, 目标值, 单位, 计入状态, 序时节点 …) and a sheet 镇街目标
with one row per township and one column per target (任务分解下达). Every problem is found
and reported at once, naming the sheet, the row and the column; nothing is written unless
the whole plan is right. The canonical form is the TOML text kept in the store
(:func:`ykgeo.layers.parse_plan` reads it back).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ykgeo.errors import DataError, ValidationError
from ykgeo.io.encoding import is_missing
from ykgeo.io.sheets import Sheet, column_letter, find_column, read_sheets, write_workbook
from ykgeo.layers import PLAN_ADOPTED, PLAN_DRAFT, LayerRegistry, TargetPlan, parse_plan
from ykgeo.plan.draft import (
    _ALIASES,
    _AREA_SOURCE_ZH,
    _AT_LEAST_ZH,
    _DEFAULT_UNIT,
    _PLAN_FIELDS,
    _SHEET_PLAN,
    _SHEET_TARGETS,
    _SHEET_TOWNS,
    _TOTAL_ROWS,
    _TOWNSHIP_RULE_ZH,
    MEASURE_ZH,
    TARGET_COLUMNS,
    PlanDraft,
    Where,
    _p,
    _text,
    check_plan,
)

__all__ = [
    "plan_data",
    "plan_from_draft",
    "plan_to_toml",
    "read_plan_file",
    "write_plan_template",
    "write_plan_xlsx",
]


# --- reading files ------------------------------------------------------------------------------


def _draft_from_workbook(sheets: Mapping[str, Sheet], source: str) -> PlanDraft:
    draft = PlanDraft(file=source)
    targets = next((s for n, s in sheets.items() if n == _SHEET_TARGETS), None)
    if targets is None:
        targets = next(
            (
                s
                for s in sheets.values()
                if find_column(s.columns, _ALIASES["key"]) or find_column(s.columns, ("目标名称",))
            ),
            None,
        )
    if targets is None:
        raise ValidationError(
            [
                _p(
                    source,
                    ("", None, ""),
                    "",
                    f"没有找到工作表“{_SHEET_TARGETS}”（现有：{'、'.join(sheets)}）",
                )
            ],
            file=source,
        )
    plan = sheets.get(_SHEET_PLAN)
    if plan is not None:
        for row, number in zip(plan.rows, plan.row_numbers, strict=True):
            label = _text(row[0]) if row else ""
            for name, zh in _PLAN_FIELDS:
                if label in (zh, name):
                    setattr(draft, name, row[1] if len(row) > 1 else None)
                    draft.plan_cells[name] = f"B{number}（{zh}）"
    found = {name: find_column(targets.columns, names) for name, names in _ALIASES.items()}
    for name, col in found.items():
        if col is not None:
            draft.target_columns[name] = f"{targets.letter(col)} 列（{col}）"
    for row, number in zip(targets.rows, targets.row_numbers, strict=True):
        item = {
            name: (row[targets.column_index(col)] if col else None) for name, col in found.items()
        }
        if all(is_missing(v) for v in item.values()):
            continue
        draft.targets.append(item)
        draft.target_rows.append((targets.name, number, ""))
    towns = sheets.get(_SHEET_TOWNS)
    if towns is not None and towns.columns:
        name_col = (
            find_column(towns.columns, ("镇街", "镇街名称", "乡镇", "乡镇（街道）", "单位"))
            or towns.columns[0]
        )
        ni = towns.column_index(name_col)
        for ci, ref in enumerate(towns.columns):
            if ci == ni or not ref:
                continue
            figures: dict[str, Any] = {}
            for row, number in zip(towns.rows, towns.row_numbers, strict=True):
                town = _text(row[ni])
                if not town or town in _TOTAL_ROWS or is_missing(row[ci]):
                    continue
                figures[town] = row[ci]
                draft.township_cells[(ref, town)] = (towns.name, number, "")
            if figures:
                draft.townships[ref] = figures
                draft.township_columns[ref] = f"{column_letter(ci + 1)} 列（{ref}）"
    return draft


def _draft_from_toml(text: str, source: str) -> PlanDraft:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValidationError(
            [_p(source, ("", None, ""), "", f"TOML 语法错误：{err}")], file=source
        ) from err
    draft = PlanDraft(
        file=source,
        plan_sheet="",
        year=raw.get("year"),
        name_zh=raw.get("name_zh"),
        status=raw.get("status", PLAN_ADOPTED),
        source_zh=raw.get("source_zh"),
        carried_over=list(raw.get("carried_over", [])),
    )
    draft.target_columns = {name: f"{name}（{zh}）" for name, zh in TARGET_COLUMNS}
    for n, t in enumerate(raw.get("targets", []), start=1):
        item = {name: t.get(name) for name, _ in TARGET_COLUMNS}
        draft.targets.append(item)
        label: Where = ("", None, f"第 {n} 个目标（{t.get('key', '无键')}）")
        draft.target_rows.append(label)
        ref = str(t.get("key") or t.get("name_zh") or n)
        if t.get("townships"):
            draft.townships[ref] = dict(t["townships"])
            draft.township_columns[ref] = "townships"
            for town in t["townships"]:
                draft.township_cells[(ref, town)] = label
    return draft


def read_plan_file(
    path: Path | str,
    *,
    layers: LayerRegistry,
    townships: Sequence[str],
    year: int | None = None,
    source_name: str | None = None,
) -> TargetPlan:
    """Read and check a plan file (XLSX or TOML); every problem is reported at once.

    Raises
    ------
    ValidationError
        Naming the sheet, row and column of each problem (TOML: the target and field).
    DataError
        The file cannot be read at all.
    """
    path = Path(path)
    source = source_name or path.name
    ext = path.suffix.lower()
    if ext == ".toml":
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            msg = f"{source}：文件不是 UTF-8 编码，请另存为 UTF-8"
            raise DataError(msg) from err
        except OSError as err:
            msg = f"{source}：文件无法读取（{err.strerror}）"
            raise DataError(msg) from err
        draft = _draft_from_toml(text, source)
    elif ext in (".xlsx", ".xlsm"):
        hint = [n for names in _ALIASES.values() for n in names]
        sheets = read_sheets(path, source=source, header_hint={_SHEET_TARGETS: hint})
        draft = _draft_from_workbook(sheets, source)
    else:
        msg = f"{source}：计划文件应为 .xlsx 或 .toml（现为“{ext or '无扩展名'}”）"
        raise DataError(msg)
    return plan_from_draft(draft, layers=layers, townships=townships, year=year)


def plan_from_draft(
    draft: PlanDraft, *, layers: LayerRegistry, townships: Sequence[str], year: int | None = None
) -> TargetPlan:
    """Check a draft and make the plan (ValidationError listing every problem)."""
    data, problems = check_plan(draft, layers=layers, townships=townships, year=year)
    if problems:
        raise ValidationError(problems, file=draft.file)
    text = plan_to_toml(data)
    return parse_plan(text, name=draft.file, layers=layers, year=data["year"])


# --- writing ------------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "nan"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(
        str(value), ensure_ascii=False
    )  # JSON escapes are valid TOML basic-string escapes


def _toml_key(key: Any) -> str:
    text = str(key)
    return text if re.match(r"^[A-Za-z0-9_-]+$", text) else json.dumps(text, ensure_ascii=False)


def plan_to_toml(data: Mapping[str, Any]) -> str:
    """The canonical TOML text of a plan (as :func:`check_plan` returns it, or :func:`plan_data`)."""
    lines = [
        "# 年度目标计划（由 ykgeo 生成；可用 ykgeo plan import 重新导入）",
        f"year = {_toml_value(data['year'])}",
        f"name_zh = {_toml_value(data['name_zh'])}",
        f"status = {_toml_value(data.get('status', PLAN_ADOPTED))}",
    ]
    if data.get("source_zh"):
        lines.append(f"source_zh = {_toml_value(data['source_zh'])}")
    for t in data["targets"]:
        lines += ["", "[[targets]]"]
        for name, _ in TARGET_COLUMNS:
            if name in t and t[name] not in (None, "", [], {}):
                lines.append(f"{name} = {_toml_value(t[name])}")
        if t.get("townships"):  # in one order whatever the source, so equal plans read equal
            lines.append("[targets.townships]")
            lines += [
                f"{_toml_key(k)} = {_toml_value(v)}" for k, v in sorted(t["townships"].items())
            ]
    for c in data.get("carried_over", []):
        lines += ["", "[[carried_over]]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in c.items()]
    return "\n".join(lines) + "\n"


def plan_data(plan: TargetPlan) -> dict[str, Any]:
    """A plan as canonical data (the inverse of :func:`plan_to_toml` + ``parse_plan``)."""
    targets = []
    for t in plan.targets:
        item: dict[str, Any] = {
            "key": t.key,
            "name_zh": t.name_zh,
            "layer": t.layer,
            "measure": t.measure,
            "unit": t.unit,
            "statuses": list(t.statuses),
            "area_source": t.area_source,
            "township_rule": t.township_rule,
            "at_least": t.at_least,
        }
        if t.value_set:
            item["value"] = int(t.value) if float(t.value).is_integer() else t.value
        if t.milestones:
            item["milestones"] = {d.isoformat(): v for d, v in t.milestones}
        if t.filter:
            item["filter"] = {k: list(v) for k, v in t.filter.items()}
        if t.field:
            item["field"] = t.field
        for name in ("name_en", "source_zh", "note_zh"):
            if getattr(t, name):
                item[name] = getattr(t, name)
        if t.township_values:
            item["townships"] = {
                k: (int(v) if float(v).is_integer() else v) for k, v in t.township_values.items()
            }
        targets.append(item)
    return {
        "year": plan.year,
        "name_zh": plan.name_zh,
        "status": plan.status,
        "source_zh": plan.source_zh,
        "targets": targets,
        "carried_over": [c.__dict__.copy() for c in plan.carried_over],
    }


def _cell(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "measure":
        return MEASURE_ZH.get(value, value)
    if name == "statuses":
        return "、".join(value)
    if name == "milestones":
        return "；".join(f"{d}={v * 100:g}%" for d, v in value.items())
    if name == "filter":
        return "；".join(f"{k}={'、'.join(v)}" for k, v in value.items())
    if name == "area_source":
        return _AREA_SOURCE_ZH.get(value, value)
    if name == "township_rule":
        return _TOWNSHIP_RULE_ZH.get(value, value)
    if name == "at_least":
        return _AT_LEAST_ZH.get(value, value)
    return value


_GUIDE = (
    ("计划/年度", "计划所属年度，如 2023。"),
    ("计划/状态", "正式 或 草案；草案的目标值可以暂空（进度只统计、不评级）。"),
    (
        "目标/目标键",
        "英文字母、数字和下划线组成的唯一代码，如 low_efficiency_remediation；沿用上年的键便于逐年对比。",
    ),
    ("目标/图层", "图层键或图层中文名，见“图层”工作表。"),
    (
        "目标/计量方式",
        "面积（亩，椭球面积）、个数、桩号里程（km）、长度（km）、字段求和（另填求和字段）。",
    ),
    ("目标/目标值", "非负数字，单位见“单位”列。"),
    (
        "目标/计入状态",
        "该图层的哪些状态计入完成，用顿号分隔，如 完工、验收；空则用图层的完成状态。",
    ),
    (
        "目标/序时节点",
        "截至某日应完成的比例，如 2023-06-30=40%；多个用分号分隔；空则按全年线性推算。",
    ),
    ("目标/筛选条件", "只统计字段取某些值的要素，如 年度任务=2023年建成。"),
    ("目标/面积口径", "几何椭球面积（默认）或 台账面积。"),
    ("目标/镇街归属", "按主体所在镇街（默认）或 按面积或长度分摊。"),
    ("目标/考核方向", "不少于（默认）或 不超过。"),
    (
        "镇街目标",
        "任务分解下达：每行一个镇街、每列一个目标（列名填目标键或目标名称）。某目标下达到镇街时，各镇街之和须等于全市目标值；未下达的目标按各镇街在图上所列要素的量按比例推算。",
    ),
)


def _layer_rows(layers: LayerRegistry) -> list[list[Any]]:
    rows = []
    for key, spec in layers.items():
        if spec.reference:
            continue
        rows.append(
            [
                key,
                spec.name_zh,
                spec.theme,
                {"Polygon": "面", "LineString": "线", "Point": "点"}[spec.geometry_type],
                "、".join(spec.status.values) if spec.status else "",
                "、".join(spec.status.done) if spec.status else "",
                "、".join(f.name for f in spec.fields if f.type in ("int", "float")),
            ]
        )
    return rows


def write_plan_xlsx(
    data: Mapping[str, Any],
    path: Path | str | None,
    *,
    layers: LayerRegistry,
    townships: Sequence[str],
) -> bytes:
    """Write a plan (canonical data) as the bureau's workbook; :func:`read_plan_file` reads it back."""
    targets = list(data["targets"])
    plan_rows = [
        ["年度", data.get("year")],
        ["计划名称", data.get("name_zh")],
        ["状态", data.get("status", PLAN_ADOPTED)],
        ["来源", data.get("source_zh") or None],
    ]
    target_rows = [[_cell(name, t.get(name)) for name, _ in TARGET_COLUMNS] for t in targets]
    town_header = ["镇街", *[t["key"] or t["name_zh"] for t in targets]]
    town_rows = [
        [town, *[(t.get("townships") or {}).get(town) for t in targets]] for town in townships
    ]
    sheets: dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]] = {
        _SHEET_PLAN: (["项目", "内容"], plan_rows),
        _SHEET_TARGETS: ([h for _, h in TARGET_COLUMNS], target_rows),
        _SHEET_TOWNS: (town_header, town_rows),
        "图层": (
            ["图层键", "图层名称", "专题", "几何", "状态词表", "完成状态", "数值字段"],
            _layer_rows(layers),
        ),
        "填写说明": (["项目", "说明"], [list(g) for g in _GUIDE]),
    }
    if data.get("carried_over"):
        sheets["结转"] = (
            ["目标键", "要素编号", "名称", "镇街", "状态", "数量"],
            [
                [
                    c.get("target"),
                    c.get("id"),
                    c.get("name"),
                    c.get("township"),
                    c.get("status"),
                    c.get("amount"),
                ]
                for c in data["carried_over"]
            ],
        )
    layer_choices = [k for k, s in layers.items() if not s.reference]
    return write_workbook(
        Path(path) if path is not None else None,
        sheets,
        widths={
            _SHEET_PLAN: [12, 60],
            _SHEET_TARGETS: [28, 24, 26, 10, 12, 8, 22, 40, 26, 14, 14, 16, 10, 30, 30, 40],
            _SHEET_TOWNS: [14, *[16] * len(targets)],
            "图层": [26, 18, 8, 6, 40, 20, 40],
            "填写说明": [18, 100],
        },
        choices={
            _SHEET_PLAN: {},
            _SHEET_TARGETS: {
                "图层": layer_choices,
                "计量方式": list(MEASURE_ZH.values()),
                "面积口径": list(_AREA_SOURCE_ZH.values()),
                "镇街归属": list(_TOWNSHIP_RULE_ZH.values()),
                "考核方向": list(_AT_LEAST_ZH.values()),
            },
        },
    )


def write_plan_template(
    path: Path | str | None,
    *,
    layers: LayerRegistry,
    townships: Sequence[str],
    year: int,
    base: TargetPlan | None = None,
) -> bytes:
    """An Excel template for ``year``: the targets of ``base`` (last year's) with the values left to fill.

    Without a base plan the 目标 sheet has one example row per layer with a status
    vocabulary (area layers measured in 亩), to be kept, changed or deleted.
    """
    if base is not None:
        data = plan_data(base)
        for t in data["targets"]:
            t.pop("value", None)
            t.pop("townships", None)
            t.pop("milestones", None)
        data.update(year=year, name_zh=f"{year}年度目标", status=PLAN_DRAFT, carried_over=[])
    else:
        targets = []
        for key, spec in layers.items():
            if spec.reference or spec.status is None:
                continue
            measure = "area" if spec.geometry_type == "Polygon" else "count"
            targets.append(
                {
                    "key": key,
                    "name_zh": spec.name_zh,
                    "layer": key,
                    "measure": measure,
                    "unit": _DEFAULT_UNIT[measure],
                    "statuses": list(spec.status.done),
                }
            )
        data = {
            "year": year,
            "name_zh": f"{year}年度目标",
            "status": PLAN_DRAFT,
            "targets": targets,
        }
    return write_plan_xlsx(data, path, layers=layers, townships=townships)
