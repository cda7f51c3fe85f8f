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
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ykgeo.errors import DataError, Problem, ValidationError
from ykgeo.io.encoding import coerce_field_value, is_missing, normalise_name
from ykgeo.io.sheets import Sheet, column_letter, find_column, read_sheets, write_workbook
from ykgeo.layers import (
    PLAN_ADOPTED,
    PLAN_DRAFT,
    PLAN_STATUSES,
    LayerRegistry,
    TargetPlan,
    parse_plan,
)

__all__ = [
    "MEASURE_ZH",
    "TARGET_COLUMNS",
    "PlanDraft",
    "check_plan",
    "plan_data",
    "plan_from_draft",
    "plan_to_toml",
    "read_plan_file",
    "write_plan_template",
    "write_plan_xlsx",
]

#: Target fields in the 目标 sheet, in column order: (field, Chinese header).
TARGET_COLUMNS: tuple[tuple[str, str], ...] = (
    ("key", "目标键"),
    ("name_zh", "目标名称"),
    ("layer", "图层"),
    ("measure", "计量方式"),
    ("value", "目标值"),
    ("unit", "单位"),
    ("statuses", "计入状态"),
    ("milestones", "序时节点"),
    ("filter", "筛选条件"),
    ("field", "求和字段"),
    ("area_source", "面积口径"),
    ("township_rule", "镇街归属"),
    ("at_least", "考核方向"),
    ("name_en", "英文名称"),
    ("source_zh", "来源"),
    ("note_zh", "说明"),
)
_HEADER = dict(TARGET_COLUMNS)
_ALIASES: Mapping[str, tuple[str, ...]] = {
    "key": ("目标键", "键", "key", "指标代码"),
    "name_zh": ("目标名称", "目标", "指标名称", "指标", "name_zh"),
    "layer": ("图层", "layer"),
    "measure": ("计量方式", "计量", "measure"),
    "value": ("目标值", "年度目标", "全年目标", "目标数", "value"),
    "unit": ("单位", "unit"),
    "statuses": ("计入状态", "状态", "statuses"),
    "milestones": ("序时节点", "节点", "里程碑", "milestones"),
    "filter": ("筛选条件", "筛选", "filter"),
    "field": ("求和字段", "field"),
    "area_source": ("面积口径", "area_source"),
    "township_rule": ("镇街归属", "township_rule"),
    "at_least": ("考核方向", "at_least"),
    "name_en": ("英文名称", "name_en"),
    "source_zh": ("来源", "依据", "source_zh"),
    "note_zh": ("说明", "备注", "note_zh"),
}
MEASURE_ZH = {
    "area": "面积",
    "count": "个数",
    "chainage_km": "桩号里程",
    "length_km": "长度",
    "field_sum": "字段求和",
}
_DEFAULT_UNIT = {"area": "亩", "count": "个", "chainage_km": "km", "length_km": "km"}
_AREA_SOURCE_ZH = {"geometry": "几何椭球面积", "ledger": "台账面积"}
_TOWNSHIP_RULE_ZH = {"majority": "按主体所在镇街", "split": "按面积或长度分摊"}
_AT_LEAST_ZH = {True: "不少于", False: "不超过"}
_SHEET_PLAN, _SHEET_TARGETS, _SHEET_TOWNS = "计划", "目标", "镇街目标"
_PLAN_FIELDS = (
    ("year", "年度"),
    ("name_zh", "计划名称"),
    ("status", "状态"),
    ("source_zh", "来源"),
)
_TOTAL_ROWS = {"合计", "总计", "全市", "小计"}
_SPLIT = re.compile(r"[、,，;；/\n]+")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


#: Where a cell is: (worksheet, row as Excel numbers it, or a label such as “第 2 个目标”).
Where = tuple[str, int | None, str]


@dataclass
class PlanDraft:
    """A plan as a person wrote it (cells, not yet checked), with where each cell came from.

    ``targets`` holds one dict per target with the fields of :data:`TARGET_COLUMNS`;
    ``townships`` maps each target reference (key or name as written) to its township
    figures. ``where_*`` give the sheet/row/column labels for messages.
    """

    file: str
    year: Any = None
    name_zh: Any = None
    status: Any = PLAN_ADOPTED
    source_zh: Any = None
    targets: list[dict[str, Any]] = field(default_factory=list)
    target_rows: list[Where] = field(default_factory=list)
    target_columns: dict[str, str] = field(default_factory=dict)
    townships: dict[str, dict[str, Any]] = field(default_factory=dict)
    township_cells: dict[tuple[str, str], Where] = field(default_factory=dict)
    township_columns: dict[str, str] = field(default_factory=dict)
    plan_cells: dict[str, str] = field(default_factory=dict)
    plan_sheet: str = "计划"
    carried_over: list[dict[str, Any]] = field(default_factory=list)


def _p(file: str, where: Where, column: str, message: str, code: str = "plan") -> Problem:
    sheet, row, label = where
    return Problem(code, message, file=file, sheet=sheet, row=row, feature=label, column=column)


# --- reading cells --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if is_missing(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return (
        unicodedata.normalize("NFKC", str(value)).strip()
        if not isinstance(value, str)
        else value.strip()
    )


def _items(value: Any) -> list[str]:
    return [p.strip() for p in _SPLIT.split(_text(value)) if p.strip()]


def _number(value: Any) -> tuple[bool, float | None]:
    ok, parsed = coerce_field_value(value, "float")
    return ok, parsed


def _milestones(value: Any, year: int | None) -> tuple[dict[str, float], str]:
    """``2022-03-31=15%；2022-06-30=40%`` → {date: fraction}; "" or a message."""
    if isinstance(value, Mapping):
        return {str(k): float(v) for k, v in value.items()}, ""
    out: dict[str, float] = {}
    for part in _items(value):
        m = re.match(r"^(.+?)\s*[=:：]\s*([\d.]+)\s*(%?)$", part)
        if not m:
            return {}, f"“{part}”应写成“日期=比例”，如 2022-06-30=40%"
        ok, day = coerce_field_value(m.group(1), "date")
        if not ok or day is None:
            return {}, f"“{m.group(1)}”不是日期（YYYY-MM-DD）"
        if year is not None and day.year != year:
            return {}, f"节点日期 {day} 不在 {year} 年内"
        fraction = float(m.group(2)) / (100.0 if m.group(3) or float(m.group(2)) > 1 else 1.0)
        if not 0 <= fraction <= 1:
            return {}, f"节点比例 {m.group(2)}{m.group(3)} 应在 0～100% 之间"
        out[day.isoformat()] = fraction
    return dict(sorted(out.items())), ""


def _filter(value: Any) -> tuple[dict[str, list[str]], str]:
    """``年度任务=2022年建成；类型=A、B`` → {field: [values]}."""
    if isinstance(value, Mapping):
        return {
            str(k): list(v) if isinstance(v, list | tuple) else [str(v)] for k, v in value.items()
        }, ""
    out: dict[str, list[str]] = {}
    for part in re.split(r"[;；\n]+", _text(value)):
        if not part.strip():
            continue
        name, sep, rest = part.partition("=")
        if not sep or not name.strip() or not rest.strip():
            return {}, f"“{part}”应写成“字段=值”，多个值用顿号分隔"
        out[name.strip()] = [v.strip() for v in re.split(r"[、,，|]+", rest) if v.strip()]
    return out, ""


def _choice(value: Any, table: Mapping[Any, str], default: Any) -> tuple[bool, Any]:
    text = _text(value)
    if not text:
        return True, default
    for key, zh in table.items():
        if text in (str(key), zh) or normalise_name(text) == normalise_name(str(key)):
            return True, key
    return False, text


# --- checking -----------------------------------------------------------------------------------


def _resolve_layer(text: str, layers: LayerRegistry) -> str | None:
    if text in layers:
        return text
    for key, spec in layers.items():
        if text in (spec.name_zh, spec.name_en) or normalise_name(text) == normalise_name(key):
            return key
    return None


def _suggest_township(name: str, townships: Sequence[str]) -> str:
    hits = [
        t
        for t in townships
        if t.startswith(name) or name.startswith(t.removesuffix("街道").removesuffix("镇"))
    ]
    return f"（是否指“{hits[0]}”？）" if len(hits) == 1 else ""


def check_plan(
    draft: PlanDraft,
    *,
    layers: LayerRegistry,
    townships: Sequence[str],
    year: int | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """Check a written plan against the store's layers and townships.

    Returns the plan as canonical TOML data and every problem found (empty when it can be
    loaded). Checked: year, status, target keys (present, well-formed, unique), layer,
    measure, value (a number ≥ 0; blank only in a draft), statuses of the layer's
    vocabulary, milestones, filters, the field to sum, the ledger area, township names
    (those of the store) and that township figures add up to the city figure.
    """
    f = draft.file
    problems: list[Problem] = []
    where_plan: Where = (draft.plan_sheet, None, "")
    ok, y = coerce_field_value(draft.year if draft.year is not None else year, "int")
    if not ok or y is None or not 2000 <= y <= 2100:
        problems.append(
            _p(
                f,
                where_plan,
                draft.plan_cells.get("year", "年度"),
                f"年度“{_text(draft.year)}”应为 2000～2100 之间的整数",
            )
        )
        y = year
    if year is not None and y is not None and y != year:
        problems.append(
            _p(
                f,
                where_plan,
                draft.plan_cells.get("year", "年度"),
                f"文件中的年度 {y} 与指定的 {year} 不一致",
            )
        )
    status = _text(draft.status) or PLAN_ADOPTED
    if status not in PLAN_STATUSES:
        problems.append(
            _p(
                f,
                where_plan,
                draft.plan_cells.get("status", "状态"),
                f"状态“{status}”应为 {'或'.join(PLAN_STATUSES)}",
            )
        )
    out: dict[str, Any] = {
        "year": y,
        "name_zh": _text(draft.name_zh) or f"{y}年度目标",
        "status": status,
        "source_zh": _text(draft.source_zh),
        "targets": [],
    }
    keys: dict[str, Where] = {}
    by_ref: dict[str, dict[str, Any]] = {}
    cols = draft.target_columns
    for t, where in zip(draft.targets, draft.target_rows, strict=True):
        col = lambda name: cols.get(name, _HEADER[name])  # noqa: E731
        item: dict[str, Any] = {}
        key = _text(t.get("key"))
        name = _text(t.get("name_zh"))
        if not key:
            problems.append(
                _p(
                    f,
                    where,
                    col("key"),
                    "目标键为空（用英文字母、数字和下划线，如 low_efficiency_remediation）",
                )
            )
        elif not _KEY.match(key):
            problems.append(
                _p(f, where, col("key"), f"目标键“{key}”只能用英文字母、数字和下划线，且以字母开头")
            )
        elif key in keys:
            first = keys[key]
            problems.append(
                _p(
                    f,
                    where,
                    col("key"),
                    f"目标键“{key}”重复（第 {first[1]} 行已有）"
                    if first[1]
                    else f"目标键“{key}”重复（{first[2]}已有）",
                )
            )
        else:
            keys[key] = where
        if not name:
            problems.append(_p(f, where, col("name_zh"), "目标名称为空"))
        item["key"], item["name_zh"] = key, name
        layer_text = _text(t.get("layer"))
        layer = _resolve_layer(layer_text, layers) if layer_text else None
        if layer is None:
            listed = "、".join(f"{k}（{s.name_zh}）" for k, s in layers.items() if not s.reference)
            problems.append(
                _p(
                    f,
                    where,
                    col("layer"),
                    f"图层“{layer_text}”不存在（可用：{listed}）" if layer_text else "图层为空",
                )
            )
        item["layer"] = layer
        ok, measure = _choice(
            t.get("measure"),
            MEASURE_ZH,
            "area" if layer and layers[layer].geometry_type == "Polygon" else "count",
        )
        if not ok:
            problems.append(
                _p(
                    f,
                    where,
                    col("measure"),
                    f"计量方式“{measure}”应为 {'、'.join(MEASURE_ZH.values())} 之一",
                )
            )
        item["measure"] = measure
        ok, value = _number(t.get("value"))
        if not ok:
            problems.append(_p(f, where, col("value"), f"目标值“{_text(t.get('value'))}”不是数字"))
        elif value is not None and value < 0:
            problems.append(_p(f, where, col("value"), f"目标值 {value:g} 不能为负"))
        elif value is None and status == PLAN_ADOPTED:
            problems.append(
                _p(
                    f,
                    where,
                    col("value"),
                    "目标值为空（正式计划每项都要有目标值；尚未定的请把计划状态设为草案）",
                )
            )
        if ok and value is not None:
            item["value"] = int(value) if float(value).is_integer() else value
        item["unit"] = _text(t.get("unit")) or _DEFAULT_UNIT.get(str(measure), "")
        if not item["unit"]:
            problems.append(_p(f, where, col("unit"), "单位为空"))
        spec = layers[layer] if layer else None
        statuses = (
            _items(t.get("statuses"))
            if not isinstance(t.get("statuses"), list)
            else list(t["statuses"])
        )
        if spec is not None and spec.status is not None:
            bad = [s for s in statuses if s not in spec.status.values]
            if bad:
                problems.append(
                    _p(
                        f,
                        where,
                        col("statuses"),
                        f"状态“{'、'.join(bad)}”不在图层 {spec.name_zh} 的状态词表中（{'、'.join(spec.status.values)}）",
                    )
                )
            item["statuses"] = statuses or list(spec.status.done)
        milestones, err = _milestones(t.get("milestones"), y)
        if err:
            problems.append(_p(f, where, col("milestones"), err))
        if milestones:
            item["milestones"] = milestones
        flt, err = _filter(t.get("filter"))
        if err:
            problems.append(_p(f, where, col("filter"), err))
        if spec is not None:
            for fname in flt:
                if fname not in spec.field_names:
                    problems.append(
                        _p(f, where, col("filter"), f"筛选字段“{fname}”不在图层 {spec.name_zh} 中")
                    )
        if flt:
            item["filter"] = flt
        sum_field = _text(t.get("field"))
        if measure == "field_sum":
            if spec is not None and sum_field not in spec.field_names:
                problems.append(
                    _p(
                        f,
                        where,
                        col("field"),
                        f"按字段求和须填写图层 {spec.name_zh} 的字段（现为“{sum_field}”）",
                    )
                )
            item["field"] = sum_field
        ok, area_source = _choice(t.get("area_source"), _AREA_SOURCE_ZH, "geometry")
        if not ok:
            problems.append(
                _p(
                    f,
                    where,
                    col("area_source"),
                    f"面积口径“{area_source}”应为 {'或'.join(_AREA_SOURCE_ZH.values())}",
                )
            )
        elif area_source == "ledger" and spec is not None and not spec.ledger_area_field:
            problems.append(
                _p(
                    f,
                    where,
                    col("area_source"),
                    f"图层 {spec.name_zh} 没有台账面积字段，不能用台账面积",
                )
            )
        item["area_source"] = area_source
        ok, rule = _choice(t.get("township_rule"), _TOWNSHIP_RULE_ZH, "majority")
        if not ok:
            problems.append(
                _p(
                    f,
                    where,
                    col("township_rule"),
                    f"镇街归属“{rule}”应为 {'或'.join(_TOWNSHIP_RULE_ZH.values())}",
                )
            )
        item["township_rule"] = rule
        raw_least = t.get("at_least")
        ok, least = (
            _choice(raw_least, _AT_LEAST_ZH, True)
            if not isinstance(raw_least, bool)
            else (True, raw_least)
        )
        if not ok:
            problems.append(
                _p(f, where, col("at_least"), f"考核方向“{least}”应为 不少于 或 不超过")
            )
        item["at_least"] = least
        for text_field in ("name_en", "source_zh", "note_zh"):
            if _text(t.get(text_field)):
                item[text_field] = _text(t.get(text_field))
        out["targets"].append(item)
        for ref in (key, name):
            if ref:
                by_ref.setdefault(ref, item)
    _check_townships(draft, by_ref, townships, problems)
    out["carried_over"] = [dict(c) for c in draft.carried_over]
    if not out["targets"]:
        problems.append(_p(f, (_SHEET_TARGETS, None, ""), "", "计划中没有任何目标"))
    return out, problems


def _check_townships(
    draft: PlanDraft,
    by_ref: Mapping[str, dict[str, Any]],
    townships: Sequence[str],
    problems: list[Problem],
) -> None:
    f = draft.file
    where_sheet: Where = (_SHEET_TOWNS, None, "")
    known = set(townships)
    for ref, figures in draft.townships.items():
        column = draft.township_columns.get(ref, ref)
        item = by_ref.get(ref)
        if item is None:
            problems.append(
                _p(f, where_sheet, column, f"列“{ref}”不是计划中的目标（填目标键或目标名称）")
            )
            continue
        values: dict[str, float] = {}
        bad = False
        for town, raw in figures.items():
            cell = draft.township_cells.get((ref, town), where_sheet)
            if town not in known:
                if not known:
                    problems.append(_p(f, cell, column, "项目库没有镇街图层，不能下达镇街目标"))
                else:
                    problems.append(
                        _p(
                            f,
                            cell,
                            column,
                            f"镇街“{town}”不在项目库的镇街中{_suggest_township(town, townships)}（有：{'、'.join(townships)}）",
                        )
                    )
                bad = True
                continue
            ok, value = _number(raw)
            if not ok:
                problems.append(_p(f, cell, column, f"“{_text(raw)}”不是数字"))
                bad = True
            elif value is not None and value < 0:
                problems.append(_p(f, cell, column, f"{value:g} 不能为负"))
                bad = True
            elif value is not None:
                values[town] = value
        if bad or not values:
            continue
        total = math.fsum(values.values())
        city = item.get("value")
        unit = item.get("unit", "")
        if city is None:
            problems.append(
                _p(
                    f,
                    where_sheet,
                    column,
                    f"已下达镇街目标（合计 {total:,.2f} {unit}），但全市目标值为空",
                )
            )
            continue
        tolerance = 0.005 if unit not in ("个", "座", "条", "处", "套") else 1e-9
        if abs(total - float(city)) > tolerance:
            diff = total - float(city)
            problems.append(
                _p(
                    f,
                    where_sheet,
                    column,
                    f"镇街目标合计 {total:,.2f} {unit}，与全市目标 {float(city):,.2f} {unit} 相差 {diff:+,.2f} {unit}",
                )
            )
            continue
        item["townships"] = {t: (int(v) if float(v).is_integer() else v) for t, v in values.items()}


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
        if t.get("townships"):
            lines.append("[targets.townships]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in t["townships"].items()]
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
