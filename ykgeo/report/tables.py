"""The briefing pack's long tables: changes since the last briefing, data problems, and the appendix of features."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from reportlab.platypus import CondPageBreak, Flowable, Spacer

from ykgeo.progress import TargetProgress
from ykgeo.progress.output import format_figure, format_pct
from ykgeo.report.data import Pack, numeral
from ykgeo.report.pdf import BODY_WIDTH, FRAME_PAD, Heading, para, table
from ykgeo.store import end_of_day

__all__ = ["appendix_section", "changes_section", "problems_section"]

_CLASS_ORDER = {"done": 0, "in_progress": 1, "not_started": 2, "done_earlier": 3, "done_later": 4}


def _change_rows(pack: Pack) -> pd.DataFrame:
    frame = pack.changes if pack.changes is not None else pd.DataFrame()
    if frame.empty or pack.report.township is None:
        return frame
    keep = set()
    for row in pack.report.rows:
        keep |= {(row.layer, str(i)) for i in row.features["id"].astype(str)}
    mask = [(lay, str(i)) in keep for lay, i in zip(frame["layer"], frame["id"], strict=True)]
    return frame[np.asarray(mask, dtype=bool)].reset_index(drop=True)


def _measure_text(value: Any, unit: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return format_figure(float(value), 3 if unit == "km" else 2)


def _changes_knowledge(pack: Pack) -> str:
    """Which records both dates are read with: each day's own, or everything known at the pack's horizon."""
    report = pack.report
    if report.known_at <= end_of_day(report.as_of):
        return "各按当日已录入的数据"
    return f"两日均按截至 {report.known_at:%Y-%m-%d %H:%M} 已录入的数据，含补录"


def changes_section(pack: Pack, number: int) -> list[Flowable]:
    st = pack.styles
    frame = _change_rows(pack)
    since = pack.since
    assert since is not None
    scope = "（仅本镇街要素）" if pack.report.township else ""
    out: list[Flowable] = [
        Heading(
            f"{numeral(number)}、{since:%Y年%m月%d日}以来的变化{scope}",
            st.h1,
            level=0,
            key="changes",
        ),
        para(
            f"比较 {since.isoformat()} 日终与 {pack.report.as_of.isoformat()} 日终的项目库状态"
            f"（{_changes_knowledge(pack)}）。",
            st.small,
        ),
    ]
    if frame.empty:
        out.append(para("这段时间内没有变化。", st.body))
        return out
    kinds = ["新增", "删除", "新完成", "退回未完成", "状态变化", "重新测量"]
    pivot = frame.groupby(["layer_name", "change_zh"]).size().unstack(fill_value=0)
    rows = [
        [
            str(layer),
            *[str(int(pivot.loc[layer].get(k, 0))) for k in kinds],
            str(int(pivot.loc[layer].sum())),
        ]
        for layer in pivot.index
    ]
    out.append(
        table(
            ["图层", *kinds, "合计"],
            rows,
            [170, 70, 70, 70, 80, 70, 70, 70],
            pack.fonts,
            align=["LEFT", *["RIGHT"] * 7],
            size=8,
        )
    )
    out.append(Spacer(1, 8))
    detail = []
    for r in frame.to_dict(orient="records"):
        detail.append(
            [
                r["layer_name"],
                r["id"],
                "" if r["name"] is None or pd.isna(r["name"]) else str(r["name"]),
                r["change_zh"],
                "" if r["old_status"] is None else str(r["old_status"]),
                "" if r["new_status"] is None else str(r["new_status"]),
                _measure_text(r["old_measure"], r["measure_unit"]),
                _measure_text(r["new_measure"], r["measure_unit"]),
                str(r["measure_unit"] or ""),
                " ".join(
                    str(r["effective_dates"] or "").replace("、", " ").replace(",", " ").split()
                ),
                str(r["recorded_by"] or ""),
            ]
        )
    out.append(
        table(
            [
                "图层",
                "编号",
                "名称",
                "变化",
                "原状态",
                "新状态",
                "原面积/长度",
                "新面积/长度",
                "单位",
                "发生日期",
                "录入人",
            ],
            detail,
            [86, 70, 136, 52, 48, 48, 58, 58, 26, 62, 126],
            pack.fonts,
            align=["LEFT"] * 6 + ["RIGHT", "RIGHT", "LEFT", "LEFT", "LEFT"],
            size=7.2,
            wrap=(2, 10),
            wrap_words=(9,),
        )
    )
    return out


def _collect(
    rows: Sequence[TargetProgress], attr: str, key_columns: Sequence[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Rows of one problem table across targets, each once, with the targets it affects."""
    frames = []
    for row in rows:
        frame = getattr(row, attr)
        if len(frame):
            frame = frame.copy()
            frame["layer"] = row.layer
            frame["target"] = row.name_zh
            frames.append(frame)
    if not frames:
        return pd.DataFrame(), []
    allrows = pd.concat(frames, ignore_index=True)
    keys = [c for c in key_columns if c in allrows.columns]
    targets = allrows.groupby(keys, sort=False)["target"].agg(lambda s: "、".join(dict.fromkeys(s)))
    unique = allrows.drop_duplicates(subset=keys).set_index(keys)
    unique["targets"] = targets
    return unique.reset_index(), keys


def problems_section(pack: Pack, number: int) -> list[Flowable]:
    st, report, store = pack.styles, pack.report, pack.store
    out: list[Flowable] = [
        Heading(f"{numeral(number)}、影响统计的数据问题", st.h1, level=0, key="problems")
    ]

    def layer_name(key: Any) -> str:
        text = str(key)
        return store.layers[text].name_zh if text in store.layers else text

    notes = list(
        dict.fromkeys(
            [*report.warnings, *[f"{r.name_zh}：{w}" for r in report.rows for w in r.warnings]]
        )
    )
    out.append(para(f"{number}.1 统计说明（{len(notes)} 条）", st.h3))
    out += [para(f"· {n}", st.small) for n in notes] or [para("无。", st.body)]

    overlaps, _ = _collect(report.rows, "overlaps", ["kind", "layer_a", "id_a", "layer_b", "id_b"])
    out.append(para(f"{number}.2 要素重叠（{len(overlaps)} 处）", st.h3))
    if len(overlaps):
        out.append(
            para(
                "同图层重叠的面积只计一次（先完成的要素保留，后完成的扣除）；跨类别重叠只报告，不扣除。",
                st.small,
            )
        )
        rows = [
            [
                r["kind"],
                layer_name(r["layer_a"]),
                str(r["id_a"]),
                str(r["status_a"]),
                layer_name(r["layer_b"]),
                str(r["id_b"]),
                str(r["status_b"]),
                format_figure(r["overlap"], 3 if r["overlap_unit"] == "km" else 2),
                str(r["overlap_unit"]),
                f"是（{r['deducted_from']}）" if bool(r["deducted"]) else "否",
                r["targets"],
            ]
            for r in overlaps.to_dict(orient="records")
        ]
        out.append(
            table(
                [
                    "类型",
                    "图层 A",
                    "要素 A",
                    "状态 A",
                    "图层 B",
                    "要素 B",
                    "状态 B",
                    "重叠量",
                    "单位",
                    "已扣除",
                    "影响目标",
                ],
                rows,
                [40, 78, 66, 44, 78, 66, 44, 50, 26, 74, 192],
                pack.fonts,
                align=["LEFT"] * 7 + ["RIGHT", "LEFT", "LEFT", "LEFT"],
                size=7.2,
                wrap=(10,),
            )
        )
    else:
        out.append(para("未发现重叠。", st.body))

    towns, _ = _collect(report.rows, "township_mismatches", ["layer", "id"])
    out.append(para(f"{number}.3 台账镇街与图上位置不符（{len(towns)} 个）", st.h3))
    if len(towns):
        rows = [
            [
                layer_name(r["layer"]),
                str(r["id"]),
                "" if r["name"] is None or pd.isna(r["name"]) else str(r["name"]),
                str(r["ledger_township"]),
                str(r["township"]),
                format_pct(float(r["share_in_ledger_township"]) * 100.0)
                if pd.notna(r["share_in_ledger_township"])
                else "—",
                r["targets"],
            ]
            for r in towns.to_dict(orient="records")
        ]
        out.append(
            table(
                [
                    "图层",
                    "编号",
                    "名称",
                    "台账镇街",
                    "图上所在镇街",
                    "在台账镇街内占比",
                    "影响目标",
                ],
                rows,
                [96, 78, 170, 70, 80, 76, 188],
                pack.fonts,
                align=["LEFT"] * 5 + ["RIGHT", "LEFT"],
                size=7.2,
                wrap=(2, 6),
            )
        )
    else:
        out.append(para("未发现。", st.body))

    areas, _ = _collect(report.rows, "area_mismatches", ["layer", "id"])
    tolerance = format_pct(report.settings.area_tolerance * 100.0)
    out.append(para(f"{number}.4 台账面积与图形面积相差超过 {tolerance}（{len(areas)} 个）", st.h3))
    if len(areas):
        rows = [
            [
                layer_name(r["layer"]),
                str(r["id"]),
                "" if r["name"] is None or pd.isna(r["name"]) else str(r["name"]),
                format_figure(r["ledger_area_mu"], 2),
                format_figure(r["area_mu"], 2),
                format_figure(r["difference_mu"], 2),
                format_pct(r["difference_pct"]),
                r["targets"],
            ]
            for r in areas.to_dict(orient="records")
        ]
        out.append(
            table(
                [
                    "图层",
                    "编号",
                    "名称",
                    "台账面积（亩）",
                    "图形面积（亩）",
                    "差值（亩）",
                    "差值比例",
                    "影响目标",
                ],
                rows,
                [96, 78, 160, 68, 68, 60, 50, 188],
                pack.fonts,
                align=["LEFT"] * 3 + ["RIGHT"] * 4 + ["LEFT"],
                size=7.2,
                wrap=(2, 7),
            )
        )
    else:
        out.append(para("未发现。", st.body))
    return out


def _date_text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(pd.Timestamp(value).date()) if not isinstance(value, str) else value[:10]


def appendix_section(pack: Pack, number: int) -> list[Flowable]:
    st = pack.styles
    out: list[Flowable] = [
        Heading(f"{numeral(number)}、附录：各目标的要素清单", st.h1, level=0, key="appendix"),
        para(
            "每个目标列出统计所用的全部要素：分类为“已完成（计入）”的要素的“计入量”之和即该目标的已完成数；"
            "“往年已完成”“次年完成”的要素不计入本年度。重叠扣除见“数据问题”。",
            st.small,
        ),
    ]
    for i, row in enumerate(pack.report.rows, start=1):
        f = row.features.copy()
        f["_order"] = f["class"].map(_CLASS_ORDER).fillna(9)
        f = f.sort_values(["_order", "township", "id"], kind="stable")
        d = row.decimals
        counted = int((f["class"] == "done").sum())
        has_area = row.measure == "area" or f["area_mu"].notna().any()
        deduct = bool((f["overlap_deduction"].fillna(0) > 0).any())
        header = ["编号", "名称", "镇街", "状态", "统计分类", "状态日期", "计划完成"]
        widths = [70, 168, 62, 52, 82, 58, 58]
        if has_area:
            header.append("面积（亩）")
            widths.append(58)
        if deduct:
            header.append("重叠扣除")
            widths.append(54)
        header.append(f"计入量（{row.unit}）")
        widths.append(68)
        scale = (BODY_WIDTH - 2 * FRAME_PAD) / sum(widths)
        widths = [w * min(scale, 1.0) for w in widths]
        rows = []
        for r in f.to_dict(orient="records"):
            cells = [
                str(r["id"]),
                "" if r["name"] is None or pd.isna(r["name"]) else str(r["name"]),
                str(r["township"] or ""),
                "" if r["status"] is None or pd.isna(r["status"]) else str(r["status"]),
                str(r["class_zh"]),
                _date_text(r["status_date"]),
                _date_text(r["planned_date"]),
            ]
            if has_area:
                cells.append(format_figure(r["area_mu"], 2) if pd.notna(r["area_mu"]) else "")
            if deduct:
                cells.append(format_figure(r["overlap_deduction"], d))
            cells.append(format_figure(r["amount"], d) if r["class"] == "done" else "")
            rows.append(cells)
        item = pack.items[row.key]
        out.append(CondPageBreak(90))
        out.append(
            Heading(
                f"{number}.{i} {row.name_zh}：共 {len(f)} 个要素，计入 {counted} 个，已完成 {format_figure(item['done'], d)} {row.unit}",
                st.h3,
                level=1,
                key=f"appendix-{row.key}",
            )
        )
        if rows:
            out.append(
                table(
                    header,
                    rows,
                    widths,
                    pack.fonts,
                    align=["LEFT"] * 7 + ["RIGHT"] * (len(header) - 7),
                    size=7.0,
                    wrap=(1,),
                )
            )
        else:
            out.append(para("没有要素。", st.body))
    return out
