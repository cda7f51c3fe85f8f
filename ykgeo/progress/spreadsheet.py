"""Progress reports as CSV and XLSX: the summary, township and monthly tables and the feature lists behind them.

Text from the data stays text in every cell (:mod:`ykgeo.io.sheets`: no formulas); figures
are rounded as in :mod:`ykgeo.progress.output`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ykgeo.errors import DataError
from ykgeo.io.sheets import csv_frame, xlsx_bytes

if TYPE_CHECKING:
    from ykgeo.progress.model import ProgressReport

from ykgeo.progress.output import RATING_ZH, display_width, month_rows, target_json, township_rows

__all__ = ["report_to_csv", "report_to_xlsx"]


def _summary_frame(report: ProgressReport) -> pd.DataFrame:
    rows = []
    for r in report.rows:
        j = target_json(r)
        rows.append(
            {
                "目标键": r.key,
                "目标": r.name_zh,
                "单位": r.unit,
                "年度目标": j["target"],
                "已完成": j["done"],
                "完成率（%）": j["pct"],
                "序时进度": j["milestone_expected"],
                "推进中": j["in_progress"],
                "未启动": j["not_started"],
                "尚差": j["remaining"],
                "年底预测": j["forecast"],
                "预测完成率（%）": j["forecast_pct"],
                "评级": RATING_ZH.get(r.rating, r.rating),
                "统计口径": r.rule_zh,
            }
        )
    return pd.DataFrame(rows)


def _township_frame(report: ProgressReport) -> pd.DataFrame:
    rows = []
    for r in report.rows:
        for t in township_rows(r):
            rows.append(
                {
                    "目标键": r.key,
                    "目标": r.name_zh,
                    "单位": r.unit,
                    "镇街": t["township"],
                    "已完成": t["done"],
                    "占全市（%）": t["pct"],
                    "推进中": t["in_progress"],
                    "未启动": t["not_started"],
                    "分解目标": t["target_share"],
                    "分解依据": t["share_basis"],
                    "在途（加权）": t["pipeline"],
                    "年底预测": t["forecast"],
                    "评级": RATING_ZH.get(t["rating"], t["rating"]),
                }
            )
    return pd.DataFrame(rows)


def _month_frame(report: ProgressReport) -> pd.DataFrame:
    rows = []
    for r in report.rows:
        for m in month_rows(report, r):
            rows.append(
                {
                    "目标键": r.key,
                    "目标": r.name_zh,
                    "单位": r.unit,
                    "月份": m["month"],
                    "日期": m["date"],
                    "累计完成": m["done"],
                    "序时目标": m["milestone"],
                    "完成率（%）": m["pct"],
                    "推进中": m["in_progress"],
                    "未启动": m["not_started"],
                }
            )
    return pd.DataFrame(rows)


def report_to_csv(report: ProgressReport, *, by: str | None = None) -> str:
    """The report as CSV text with Chinese headers (write it with ``utf-8-sig`` for Excel)."""
    if by is None:
        frame = _summary_frame(report)
    elif by == "township":
        frame = _township_frame(report)
    elif by == "month":
        frame = _month_frame(report)
    else:
        msg = f"--by 只能是 township 或 month（现为 {by}）"
        raise DataError(msg)
    return csv_frame(frame).to_csv(index=False, lineterminator="\n")


_FEATURE_ZH = {
    "id": "要素编号",
    "name": "名称",
    "township": "所在镇街",
    "ledger_township": "台账镇街",
    "status": "状态",
    "class_zh": "统计类别",
    "status_date": "状态日期",
    "planned_date": "计划完成日期",
    "area_mu": "椭球面积（亩）",
    "ledger_area_mu": "台账面积（亩）",
    "side_factor": "幅别系数",
    "raw_amount": "自身数量",
    "overlap_deduction": "重叠扣除",
    "amount": "计入数量",
}
_OVERLAP_ZH = {
    "kind": "类型",
    "layer_a": "图层甲",
    "id_a": "要素甲",
    "status_a": "甲状态",
    "layer_b": "图层乙",
    "id_b": "要素乙",
    "status_b": "乙状态",
    "overlap": "重叠量",
    "overlap_unit": "单位",
    "deducted": "已扣除",
    "deducted_from": "扣自",
}
_MISMATCH_ZH = {
    "id": "要素编号",
    "name": "名称",
    "ledger_township": "台账镇街",
    "township": "实际所在镇街",
    "share_in_ledger_township": "在台账镇街内的比例",
}
_AREA_ZH = {
    "id": "要素编号",
    "name": "名称",
    "ledger_area_mu": "台账面积（亩）",
    "area_mu": "椭球面积（亩）",
    "difference_mu": "差值（亩）",
    "difference_pct": "差异（%）",
}


def _detail_frame(report: ProgressReport, attr: str, names: dict[str, str]) -> pd.DataFrame:
    frames = []
    for r in report.rows:
        frame = getattr(r, attr)
        if frame.empty:
            continue
        cols = [c for c in names if c in frame.columns]
        out = frame[cols].rename(columns=names).copy()
        for c in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[c]):
                out[c] = out[c].dt.date
            elif pd.api.types.is_float_dtype(out[c]):
                out[c] = out[c].round(4)
        out.insert(0, "目标", r.name_zh)
        out.insert(0, "目标键", r.key)
        frames.append(out)
    if not frames:
        return pd.DataFrame({"目标键": [], "目标": []})
    return pd.concat(frames, ignore_index=True)


def report_to_xlsx(report: ProgressReport, path: Path | str | None = None) -> bytes:
    """The report as an Excel workbook (one sheet per view, Chinese headers, numbers as numbers).

    Sheets: 总表, 分镇街, 逐月 (when the report has monthly figures), 要素明细, 重叠,
    镇街不符, 面积差异, 说明. Returns the file's bytes and writes them to ``path`` if given.
    Text from the data that looks like a formula stays text (:func:`ykgeo.io.xlsx_bytes`).
    """

    sheets: list[tuple[str, pd.DataFrame]] = [
        ("总表", _summary_frame(report)),
        ("分镇街", _township_frame(report)),
    ]
    if report.monthly:
        sheets.append(("逐月", _month_frame(report)))
    sheets += [
        ("要素明细", _detail_frame(report, "features", _FEATURE_ZH)),
        ("重叠", _detail_frame(report, "overlaps", _OVERLAP_ZH)),
        ("镇街不符", _detail_frame(report, "township_mismatches", _MISMATCH_ZH)),
        ("面积差异", _detail_frame(report, "area_mismatches", _AREA_ZH)),
    ]
    notes = [
        ("计划", report.plan_name),
        ("计划版本", report.plan_version),
        ("统计日", report.as_of.isoformat()),
        ("数据截至", report.known_at.isoformat(timespec="seconds")),
        ("数据版本", report.data_version.label_zh()),
        *[(f"口径：{r.name_zh}", r.rule_zh) for r in report.rows],
        *[("说明", w) for w in report.warnings],
        *[(f"警告：{r.name_zh}", w) for r in report.rows for w in r.warnings],
    ]
    sheets.append(("说明", pd.DataFrame(notes, columns=["项目", "内容"])))
    data = xlsx_bytes(sheets, width=display_width)  # text from the data never becomes a formula
    if path is not None:
        Path(path).write_bytes(data)
    return data
