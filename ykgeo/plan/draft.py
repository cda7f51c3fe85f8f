"""A plan as a person wrote it (cells of a workbook, a TOML file, the app's tables), and its check.

:func:`check_plan` finds every problem of a written plan at once: year, status, target
keys (present, well-formed, unique), layer, measure, value (a number ≥ 0; blank only in a
draft), statuses of the layer's vocabulary, milestones, filters, the field to sum, the
ledger area, township names (those of the store) and that township figures add up to
the city figure. Each problem names where it is: sheet, row and column.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ykgeo.errors import Problem
from ykgeo.io.encoding import coerce_field_value, is_missing, normalise_name
from ykgeo.layers import (
    PLAN_ADOPTED,
    PLAN_STATUSES,
    LayerRegistry,
)

__all__ = [
    "MEASURE_ZH",
    "TARGET_COLUMNS",
    "PlanDraft",
    "Where",
    "check_plan",
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

        def flag(name: str, message: str, where: Where = where, col: Any = col) -> None:
            problems.append(_p(f, where, col(name), message))

        item: dict[str, Any] = {}
        key = _text(t.get("key"))
        name = _text(t.get("name_zh"))
        if not key:
            flag("key", "目标键为空（用英文字母、数字和下划线，如 low_efficiency_remediation）")
        elif not _KEY.match(key):
            problems.append(
                _p(f, where, col("key"), f"目标键“{key}”只能用英文字母、数字和下划线，且以字母开头")
            )
        elif key in keys:
            first = keys[key]
            flag(
                "key",
                f"目标键“{key}”重复（第 {first[1]} 行已有）"
                if first[1]
                else f"目标键“{key}”重复（{first[2]}已有）",
            )
        else:
            keys[key] = where
        if not name:
            flag("name_zh", "目标名称为空")
        item["key"], item["name_zh"] = key, name
        layer_text = _text(t.get("layer"))
        layer = _resolve_layer(layer_text, layers) if layer_text else None
        if layer is None:
            listed = "、".join(f"{k}（{s.name_zh}）" for k, s in layers.items() if not s.reference)
            flag(
                "layer", f"图层“{layer_text}”不存在（可用：{listed}）" if layer_text else "图层为空"
            )
        item["layer"] = layer
        ok, measure = _choice(
            t.get("measure"),
            MEASURE_ZH,
            "area" if layer and layers[layer].geometry_type == "Polygon" else "count",
        )
        if not ok:
            flag("measure", f"计量方式“{measure}”应为 {'、'.join(MEASURE_ZH.values())} 之一")
        item["measure"] = measure
        ok, value = _number(t.get("value"))
        if not ok:
            flag("value", f"目标值“{_text(t.get('value'))}”不是数字")
        elif value is not None and value < 0:
            flag("value", f"目标值 {value:g} 不能为负")
        elif value is None and status == PLAN_ADOPTED:
            flag("value", "目标值为空（正式计划每项都要有目标值；尚未定的请把计划状态设为草案）")
        if ok and value is not None:
            item["value"] = int(value) if float(value).is_integer() else value
        item["unit"] = _text(t.get("unit")) or _DEFAULT_UNIT.get(str(measure), "")
        if not item["unit"]:
            flag("unit", "单位为空")
        spec = layers[layer] if layer else None
        statuses = (
            _items(t.get("statuses"))
            if not isinstance(t.get("statuses"), list)
            else list(t["statuses"])
        )
        if spec is not None and spec.status is not None:
            bad = [s for s in statuses if s not in spec.status.values]
            if bad:
                flag(
                    "statuses",
                    f"状态“{'、'.join(bad)}”不在图层 {spec.name_zh} 的状态词表中（{'、'.join(spec.status.values)}）",
                )
            item["statuses"] = statuses or list(spec.status.done)
        milestones, err = _milestones(t.get("milestones"), y)
        if err:
            flag("milestones", err)
        if milestones:
            item["milestones"] = milestones
        flt, err = _filter(t.get("filter"))
        if err:
            flag("filter", err)
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
                flag("field", f"按字段求和须填写图层 {spec.name_zh} 的字段（现为“{sum_field}”）")
            item["field"] = sum_field
        ok, area_source = _choice(t.get("area_source"), _AREA_SOURCE_ZH, "geometry")
        if not ok:
            flag(
                "area_source", f"面积口径“{area_source}”应为 {'或'.join(_AREA_SOURCE_ZH.values())}"
            )
        elif area_source == "ledger" and spec is not None and not spec.ledger_area_field:
            flag("area_source", f"图层 {spec.name_zh} 没有台账面积字段，不能用台账面积")
        item["area_source"] = area_source
        ok, rule = _choice(t.get("township_rule"), _TOWNSHIP_RULE_ZH, "majority")
        if not ok:
            flag("township_rule", f"镇街归属“{rule}”应为 {'或'.join(_TOWNSHIP_RULE_ZH.values())}")
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
