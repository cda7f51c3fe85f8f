"""Presenting progress reports: JSON with stable keys and aligned Chinese tables (CSV and XLSX: :mod:`ykgeo.progress.spreadsheet`).

Figures are rounded here and only here, to the unit's decimals; township rows are
rounded with :func:`ykgeo.units.balanced_round` so that they add up to the city
total as printed. Every printed table (the text table here, the briefing pack's
tables) formats its cells with :func:`format_cells`, so a figure reads the same
everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ykgeo.errors import DataError
from ykgeo.units import balanced_round, format_number

if TYPE_CHECKING:
    from ykgeo.progress.model import ProgressReport, TargetProgress

__all__ = [
    "RATING_ZH",
    "SUMMARY_HEADER",
    "TOWNSHIP_KEYS",
    "VALUE_TO_FILL_ZH",
    "changes_to_table",
    "display_width",
    "format_cells",
    "format_figure",
    "format_pct",
    "format_target",
    "month_rows",
    "render_table",
    "report_to_json",
    "report_to_table",
    "summary_cells",
    "target_json",
    "township_rows",
]

RATING_ZH = {"green": "绿", "amber": "黄", "red": "红", "none": "不考核"}
_MEASURE_ZH = {
    "area": "面积",
    "count": "个数",
    "chainage_km": "桩号里程",
    "length_km": "长度",
    "field_sum": "字段求和",
}


# --- numbers ----------------------------------------------------------------------------------


def _round(value: float, decimals: int) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    out = round(float(value) + 0.0, decimals)
    return 0.0 if out == 0 else out


def _balanced(values: Sequence[float], decimals: int) -> list[float]:
    arr = np.nan_to_num(np.asarray(values, dtype="float64"))
    if not len(arr):
        return []
    return [float(v) for v in balanced_round(np.maximum(arr, 0.0), decimals)]


def township_rows(row: TargetProgress) -> list[dict[str, Any]]:
    """The township rows of a target, rounded and balanced column by column (every output's township figures)."""
    bt = row.by_township
    d = row.decimals
    cols = {
        c: _balanced(bt[c].tolist(), d)
        for c in ("done", "in_progress", "not_started", "forecast", "target_share", "pipeline")
    }
    pct = _balanced(bt["pct_of_city"].tolist(), 1) if row.done > 0 else [0.0] * len(bt)
    out = []
    for i, name in enumerate(bt["镇街"].tolist()):
        share = bt["pct_of_share"].iloc[i]
        out.append(
            {
                "township": name,
                "done": cols["done"][i],
                "in_progress": cols["in_progress"][i],
                "not_started": cols["not_started"][i],
                "pct": pct[i],
                "forecast": cols["forecast"][i],
                "rating": bt["rating"].iloc[i],
                "target_share": cols["target_share"][i],
                "pct_of_share": _round(float(share), 1),
                "pipeline": cols["pipeline"][i],
                "share_basis": row.share_basis,
            }
        )
    return out


def target_json(row: TargetProgress) -> dict[str, Any]:
    d = row.decimals
    return {
        "key": row.key,
        "name_zh": row.name_zh,
        "unit": row.unit,
        "layer": row.layer,
        "measure": row.measure,
        "target": _round(row.target, max(d, 3)) if row.value_set else None,
        "done": _round(row.done, d),
        "in_progress": _round(row.in_progress, d),
        "not_started": _round(row.not_started, d),
        "pct": _round(row.pct, 1),
        "remaining": _round(row.remaining, d),
        "forecast": _round(row.forecast, d),
        "forecast_pct": _round(row.forecast_pct, 1),
        "rating": row.rating,
        "milestone_expected": _round(row.milestone_expected, d),
        "rule_zh": row.rule_zh,
        "warnings": list(row.warnings),
        "townships": township_rows(row),
        "value_set": row.value_set,
        "share_basis": row.share_basis,
    }


def report_to_json(report: ProgressReport, *, by: str | None = None) -> dict[str, Any]:
    """The report as a JSON-ready dict with stable keys.

    Keys: ``as_of``, ``year``, ``plan_name``, ``plan_version`` (which version of the plan the
    figures use, as known then), ``plan_status`` (正式/草案), ``known_at``, ``data_version``
    (log_id, recorded_at, store, label), ``township``, ``warnings`` and
    ``targets``: [{key, name_zh, unit, layer, measure, target (null while a draft's value
    is to fill), value_set, share_basis (下达 or 按比例推算), done,
    in_progress, not_started, pct, remaining, forecast, forecast_pct, rating,
    milestone_expected, rule_zh, warnings, townships: [{township, done,
    in_progress, not_started, pct, forecast, rating, target_share,
    pct_of_share, pipeline, share_basis}]}]; with ``by="month"`` each target also has
    ``months``: [{month, date, done, in_progress, not_started, milestone, pct}].

    Figures are rounded to the unit's decimals (``TargetProgress.decimals``), ``pct``
    to 0.1; a township's ``pct`` is its share of the city's done (the township
    rows of each column are balanced so they add up to the city figure), its
    ``pct_of_share`` the share of its implied target (``target_share``). ``pct``,
    ``forecast_pct`` are null and ``rating`` is ``"none"`` for a target of 0.
    """
    dv = report.data_version
    targets = []
    for row in report.rows:
        item = target_json(row)
        if by == "month":
            item["months"] = month_rows(report, row)
        targets.append(item)
    return {
        "as_of": report.as_of.isoformat(),
        "year": report.year,
        "plan_name": report.plan_name,
        "known_at": report.known_at.isoformat(timespec="seconds"),
        "data_version": {
            "log_id": dv.log_id,
            "recorded_at": dv.recorded_at,
            "store": dv.store_name,
            "label": dv.label_zh(),
        },
        "township": report.township,
        "warnings": list(report.warnings),
        "targets": targets,
        "plan_version": report.plan_version,
        "plan_status": report.plan_status,
    }


def month_rows(report: ProgressReport, row: TargetProgress) -> list[dict[str, Any]]:
    frame = report.monthly.get(row.key)
    if frame is None:
        msg = "逐月统计需要在生成报告时指定 with_monthly=True（命令行 --by month）"
        raise DataError(msg)
    d = row.decimals
    return [
        {
            "month": r["month"],
            "date": r["date"].isoformat(),
            "done": _round(r["done"], d),
            "in_progress": _round(r["in_progress"], d),
            "not_started": _round(r["not_started"], d),
            "milestone": _round(r["milestone"], d),
            "pct": _round(r["pct"], 1),
        }
        for r in frame.to_dict(orient="records")
    ]


# --- tables -----------------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: East Asian wide and fullwidth characters count 2."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
        for c in text
    )


def render_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, align: Sequence[str] | None = None
) -> str:
    """Rows aligned in columns (``align`` per column: ``l`` or ``r``), CJK counted as two columns."""
    all_rows = [list(header), *[list(r) for r in rows]]
    widths = [max(display_width(r[i]) for r in all_rows) for i in range(len(header))]
    align = align or ["l"] + ["r"] * (len(header) - 1)
    lines = []
    for n, row in enumerate(all_rows):
        cells = []
        for cell, width, a in zip(row, widths, align, strict=True):
            pad = " " * (width - display_width(cell))
            cells.append(cell + pad if a == "l" else pad + cell)
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- figures as printed -----------------------------------------------------------------------

#: Row keys (of :func:`report_to_json` items, township and month rows) printed as percentages.
_PERCENT_KEYS = frozenset({"pct", "forecast_pct", "pct_of_share"})
#: Row keys printed as they are (names, months).
_TEXT_KEYS = frozenset({"township", "month", "key", "name_zh", "unit", "layer"})


def format_figure(value: float | None, decimals: int) -> str:
    """A figure as printed: ``12,345.67`` at the unit's decimals; ``—`` when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_number(float(value), decimals)


def format_pct(value: float | None) -> str:
    """A percentage as printed (one decimal): ``45.6%``; ``—`` when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):.1f}%"


#: How a draft target whose value is not decided yet is shown.
VALUE_TO_FILL_ZH = "待填"


def format_target(value: float, decimals: int) -> str:
    """A plan target: whole numbers without decimals (``5,000``), others at the unit's decimals."""
    return format_number(float(value), 0 if float(value).is_integer() else max(decimals, 1))


def format_cells(item: Mapping[str, Any], keys: Sequence[str], decimals: int) -> list[str]:
    """The printed cells of one table row: ``item[key]`` for each key, in order.

    Percentages (``pct``, ``forecast_pct``, ``pct_of_share``) with one decimal, ``rating``
    in Chinese (绿/黄/红/不考核), names and months as they are, every other value as a
    figure at ``decimals``. Used by every printed table, so a figure reads the same in
    the terminal and in the briefing pack.
    """
    cells = []
    for key in keys:
        value = item[key]
        if key in _PERCENT_KEYS:
            cells.append(format_pct(value))
        elif key == "rating":
            cells.append(RATING_ZH.get(value, value))
        elif key in _TEXT_KEYS:
            cells.append(str(value))
        else:
            cells.append(format_figure(value, decimals))
    return cells


#: The columns of the summary table: one row per target (:func:`summary_cells`).
SUMMARY_HEADER = (
    "目标",
    "单位",
    "年度目标",
    "已完成",
    "完成率",
    "序时进度",
    "推进中",
    "未启动",
    "尚差",
    "年底预测",
    "预测完成率",
    "评级",
)
_SUMMARY_KEYS = (
    "done",
    "pct",
    "milestone_expected",
    "in_progress",
    "not_started",
    "remaining",
    "forecast",
    "forecast_pct",
    "rating",
)


def summary_cells(row: TargetProgress, item: Mapping[str, Any]) -> list[str]:
    """The printed summary row of a target (:data:`SUMMARY_HEADER`); ``item`` is its :func:`report_to_json` entry."""
    return [
        row.name_zh,
        row.unit,
        format_target(row.target, row.decimals) if row.value_set else VALUE_TO_FILL_ZH,
        *format_cells(item, _SUMMARY_KEYS, row.decimals),
    ]


def _head(report: ProgressReport) -> str:
    known = report.known_at.isoformat(timespec="seconds")
    where = f"　镇街：{report.township}" if report.township else ""
    draft = f"（{report.plan_status}）" if report.plan_status != "正式" else ""
    version = f"\n{report.plan_version}" if report.plan_version else ""
    return (
        f"{report.plan_name}{draft}{where}\n"
        f"统计日 {report.as_of.isoformat()}（按 {known} 前已录入的数据）　{report.data_version.label_zh()}"
        f"{version}"
    )


def _summary_rows(report: ProgressReport) -> tuple[list[str], list[list[str]]]:
    return list(SUMMARY_HEADER), [summary_cells(r, target_json(r)) for r in report.rows]


def report_to_table(report: ProgressReport, *, by: str | None = None) -> str:
    """The report as aligned text with Chinese headers: one row per target, or per township / month."""
    parts = [_head(report), ""]
    if by is None:
        header, rows = _summary_rows(report)
        align = ["l", "l"] + ["r"] * (len(header) - 3) + ["l"]
        parts.append(render_table(header, rows, align=align))
    elif by == "township":
        header = ["镇街", "已完成", "占全市", "推进中", "未启动", "分解目标", "年底预测", "评级"]
        for r in report.rows:
            parts.append(_block_title(r))
            trs = township_rows(r)
            total = {
                "township": "合计",
                "pct": 100.0 if r.done > 0 else 0.0,
                "rating": r.rating,
                **{k: sum(t[k] for t in trs) for k in _TOWNSHIP_SUMS},
            }
            rows = [format_cells(t, _TOWNSHIP_TEXT_KEYS, r.decimals) for t in [*trs, total]]
            parts.append(render_table(header, rows, align=["l"] + ["r"] * 6 + ["l"]))
            parts.append("")
    elif by == "month":
        header = ["月份", "累计完成", "序时目标", "完成率", "推进中", "未启动"]
        for r in report.rows:
            parts.append(_block_title(r))
            rows = [format_cells(m, _MONTH_KEYS, r.decimals) for m in month_rows(report, r)]
            parts.append(render_table(header, rows))
            parts.append("")
    else:
        msg = f"--by 只能是 township 或 month（现为 {by}）"
        raise DataError(msg)
    notes = [*report.warnings, *[f"{r.name_zh}：{w}" for r in report.rows for w in r.warnings]]
    if notes:
        parts.append("")
        parts.extend(f"注：{n}" for n in dict.fromkeys(notes))
    return "\n".join(parts).rstrip() + "\n"


#: The figures of a target's township rows as printed (the text table leaves out ``pct_of_share``).
TOWNSHIP_KEYS = (
    "township",
    "done",
    "pct",
    "in_progress",
    "not_started",
    "target_share",
    "pct_of_share",
    "forecast",
    "rating",
)
_TOWNSHIP_TEXT_KEYS = tuple(k for k in TOWNSHIP_KEYS if k != "pct_of_share")
_TOWNSHIP_SUMS = ("done", "in_progress", "not_started", "target_share", "forecast")
_MONTH_KEYS = ("month", "done", "milestone", "pct", "in_progress", "not_started")


def _block_title(r: TargetProgress) -> str:
    target = format_target(r.target, r.decimals) if r.value_set else VALUE_TO_FILL_ZH
    return (
        f"【{r.name_zh}】目标 {target} {r.unit}，已完成 {format_number(r.done, r.decimals)}，"
        f"评级 {RATING_ZH.get(r.rating, r.rating)}；分解目标：{r.share_basis}"
    )


def changes_to_table(
    frame: pd.DataFrame, *, since: dt.date, until: dt.date, inclusive: bool = False
) -> str:
    """The output of :func:`ykgeo.progress.changes_between` as an aligned Chinese table.

    ``inclusive``: ``since`` is the first day counted (the state before it is compared),
    and the heading says so.
    """
    start = f"{since.isoformat()}（含当天）起" if inclusive else since.isoformat()
    head = f"{start} 至 {until.isoformat()} 的变化：{len(frame)} 条"
    if frame.empty:
        return head + "\n"
    header = [
        "图层",
        "要素",
        "名称",
        "变化",
        "原状态",
        "新状态",
        "原量",
        "新量",
        "发生日期",
        "录入人",
    ]
    rows = []
    for r in frame.to_dict(orient="records"):
        unit = r["measure_unit"] or ""
        rows.append(
            [
                str(r["layer_name"]),
                str(r["id"]),
                str(r["name"] or ""),
                str(r["change_zh"]),
                str(r["old_status"] or "—"),
                str(r["new_status"] or "—"),
                "—" if _isnan(r["old_measure"]) else f"{r['old_measure']:,.2f}{unit}",
                "—" if _isnan(r["new_measure"]) else f"{r['new_measure']:,.2f}{unit}",
                str(r["effective_dates"] or ""),
                str(r["recorded_by"] or ""),
            ]
        )
    align = ["l"] * 6 + ["r", "r", "l", "l"]
    return head + "\n" + render_table(header, rows, align=align) + "\n"


def _isnan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
