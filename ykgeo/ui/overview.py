"""总览 page: one card per target, the township table and the cumulative monthly chart."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from ykgeo.errors import YkgeoError
from ykgeo.ui import data
from ykgeo.ui.shell import PageContext, md_escape

__all__ = ["RATING_ZH", "format_amount", "render"]

#: Rating → (label, colour) as shown on the cards and in the township table.
RATING_ZH: dict[str, tuple[str, str]] = {
    "green": ("绿：可完成", "#2e7d32"),
    "amber": ("黄：需关注", "#f9a825"),
    "red": ("红：难完成", "#c62828"),
    "none": ("不评级", "#9e9e9e"),
}
_DETAIL = "ykgeo_overview_detail"
_RATING_BG = {"green": "#c8e6c9", "amber": "#fff3c4", "red": "#ffcdd2", "none": "#eeeeee"}
_FEATURE_COLUMNS = {
    "id": "编号",
    "name": "名称",
    "township": "镇街",
    "ledger_township": "台账镇街",
    "status": "状态",
    "class": "分类",
    "status_date": "状态日期",
    "planned_date": "计划完成",
    "area_mu": "面积（亩）",
    "ledger_area_mu": "台账面积（亩）",
    "amount": "计入量",
}


def format_amount(value: float, decimals: int) -> str:
    """A figure as shown on the cards: thousands separators, the target's decimals, — for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{decimals}f}"


def _plan_year(ctx: PageContext) -> int | None:
    years = data.plan_years(ctx.store_path, ctx.mtime_ns)
    if not years:
        return None
    if ctx.as_of.year in years:
        return ctx.as_of.year
    earlier = [y for y in years if y <= ctx.as_of.year]
    return max(earlier) if earlier else min(years)


def _card(row: Any, as_of_label: str) -> None:
    label, colour = RATING_ZH.get(row.rating, RATING_ZH["none"])
    with st.container(border=True, key=f"ykgeo_card_{row.key}"):
        st.markdown(f"**{md_escape(row.name_zh)}**")
        done = format_amount(row.done, row.decimals)
        target = format_amount(row.target, row.decimals)
        st.markdown(
            f"<span class='yk-done'>{done}</span> / {target} {md_escape(row.unit)}",
            unsafe_allow_html=True,
        )
        pct = 0.0 if math.isnan(row.pct) else row.pct
        st.progress(min(max(pct / 100.0, 0.0), 1.0), text=f"完成 {format_amount(row.pct, 1)}%")
        st.markdown(
            f"<span style='color:{colour};font-weight:700'>● {label}</span>"
            f" · 预计年末 {format_amount(row.forecast, row.decimals)}（{format_amount(row.forecast_pct, 1)}%）",
            unsafe_allow_html=True,
        )
        st.caption(
            f"推进中 {format_amount(row.in_progress, row.decimals)} · 未启动 "
            f"{format_amount(row.not_started, row.decimals)} · 按计划截至{as_of_label}应完成 "
            f"{format_amount(row.milestone_expected, row.decimals)}"
        )
        if st.button(f"查看构成（{len(row.features):,} 个要素）", key=f"ykgeo_detail_{row.key}"):
            st.session_state[_DETAIL] = row.key


def _drill_down(report: Any) -> None:
    """The features behind the figure whose 查看构成 button was pressed last."""
    key = st.session_state.get(_DETAIL)
    rows = [r for r in report.rows if r.key == key]
    if not rows:
        return
    row = rows[0]
    with st.container(border=True, key="ykgeo_overview_drill"):
        head, close = st.columns([6, 1])
        head.markdown(f"**{md_escape(row.name_zh)}：构成明细**（截至 {report.as_of:%Y-%m-%d}）")
        if close.button("关闭", key="ykgeo_detail_close"):
            st.session_state.pop(_DETAIL, None)
            st.rerun()
        st.caption(row.rule_zh)
        table = row.features.rename(columns=_FEATURE_COLUMNS)
        st.dataframe(table, hide_index=True, width="stretch", height=320)


def _township_table(report: Any) -> None:
    cells: dict[str, pd.Series] = {}
    colours: dict[str, pd.Series] = {}
    for row in report.rows:
        frame = row.by_township
        if frame is None or frame.empty or "镇街" not in frame.columns:
            continue
        idx = frame["镇街"].astype(str)
        title = f"{row.name_zh}（{row.unit}）"
        cells[title] = pd.Series(
            [
                f"{format_amount(d, row.decimals)}（{format_amount(p, 0)}%）"
                for d, p in zip(frame["done"], frame["pct_of_share"], strict=True)
            ],
            index=idx,
        )
        colours[title] = pd.Series(frame["rating"].astype(str).tolist(), index=idx)
    if not cells:
        st.caption("没有按镇街统计的目标。")
        return
    table = pd.DataFrame(cells).fillna("—")
    rating = pd.DataFrame(colours).reindex(index=table.index, columns=table.columns).fillna("none")
    styled = table.style.apply(
        lambda _: rating.map(lambda r: f"background-color: {_RATING_BG.get(r, '#ffffff')}"),
        axis=None,
    )
    st.dataframe(styled, width="stretch")
    st.caption(
        "单元格：完成量（占该镇街分解目标的百分比）；底色为评级：绿可完成、黄需关注、红难完成。"
    )


def _monthly_chart(ctx: PageContext, report: Any) -> None:
    rows = [r for r in report.rows]
    if not rows:
        return
    names = {r.key: f"{r.name_zh}（{r.unit}）" for r in rows}
    key = st.selectbox(
        "目标", list(names), format_func=names.__getitem__, key="ykgeo_overview_chart"
    )
    frame = data.monthly(ctx.store_path, ctx.mtime_ns, key, report.year)
    if frame.empty:
        st.caption("暂无月度数据。")
        return
    chart = frame.set_index("month")[["done", "milestone"]].rename(
        columns={"done": "累计完成", "milestone": "计划里程碑"}
    )
    st.line_chart(chart, height=300)


def render(ctx: PageContext) -> None:
    """The overview page."""
    st.title("年度目标总览")
    year = _plan_year(ctx)
    if year is None:
        st.warning("项目库中没有年度目标计划，无法统计进度。")
        return
    try:
        report = data.progress(ctx.store_path, ctx.mtime_ns, ctx.as_of, year)
    except YkgeoError as err:
        st.error(err.message_zh)
        return
    st.caption(
        f"{md_escape(report.plan_name)} · 截至 {report.as_of:%Y-%m-%d} · {md_escape(report.data_version.label_zh())}"
    )
    for warning in report.warnings:
        st.warning(warning)
    as_of_label = f"{report.as_of.month}月{report.as_of.day}日"
    columns = st.columns(3)
    for n, row in enumerate(report.rows):
        with columns[n % 3]:
            _card(row, as_of_label)
    _drill_down(report)
    st.subheader("各镇街进度")
    _township_table(report)
    st.subheader("逐月累计进度")
    _monthly_chart(ctx, report)
