"""总览 page: one card per target, the township table and the cumulative monthly chart."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from ykgeo.errors import YkgeoError
from ykgeo.ui import data
from ykgeo.ui.i18n import Texts
from ykgeo.ui.shell import PageContext, knowledge_banner, md_escape

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
_FEATURE_COLUMNS = (
    "id",
    "name",
    "township",
    "ledger_township",
    "status",
    "class",
    "status_date",
    "planned_date",
    "area_mu",
    "ledger_area_mu",
    "amount",
)


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


def _card(row: Any, as_of_label: str, t: Texts) -> None:
    rating = row.rating if row.rating in RATING_ZH else "none"
    label, colour = t(f"rating.{rating}"), RATING_ZH[rating][1]
    with st.container(border=True, key=f"ykgeo_card_{row.key}"):
        st.markdown(f"**{md_escape(row.name_zh)}**")
        done = format_amount(row.done, row.decimals)
        target = format_amount(row.target, row.decimals)
        st.markdown(
            f"<span class='yk-done'>{done}</span> / {target} {md_escape(row.unit)}",
            unsafe_allow_html=True,
        )
        pct = 0.0 if math.isnan(row.pct) else row.pct
        st.progress(
            min(max(pct / 100.0, 0.0), 1.0),
            text=t("overview.done_pct", pct=format_amount(row.pct, 1)),
        )
        forecast = t(
            "overview.forecast",
            forecast=format_amount(row.forecast, row.decimals),
            pct=format_amount(row.forecast_pct, 1),
        )
        st.markdown(
            f"<span style='color:{colour};font-weight:700'>● {label}</span>{forecast}",
            unsafe_allow_html=True,
        )
        st.caption(
            t(
                "overview.pipeline",
                in_progress=format_amount(row.in_progress, row.decimals),
                not_started=format_amount(row.not_started, row.decimals),
                as_of=as_of_label,
                expected=format_amount(row.milestone_expected, row.decimals),
            )
        )
        if st.button(
            t("overview.drill_button", n=f"{len(row.features):,}"), key=f"ykgeo_detail_{row.key}"
        ):
            st.session_state[_DETAIL] = row.key


def _drill_down(report: Any, t: Texts) -> None:
    """The features behind the figure whose 查看构成 button was pressed last."""
    key = st.session_state.get(_DETAIL)
    rows = [r for r in report.rows if r.key == key]
    if not rows:
        return
    row = rows[0]
    with st.container(border=True, key="ykgeo_overview_drill"):
        head, close = st.columns([6, 1])
        head.markdown(
            t("overview.drill_title", name=md_escape(row.name_zh), as_of=f"{report.as_of:%Y-%m-%d}")
        )
        if close.button(t("overview.close"), key="ykgeo_detail_close"):
            st.session_state.pop(_DETAIL, None)
            st.rerun()
        st.caption(row.rule_zh)
        table = row.features.rename(columns={c: t(f"column.{c}") for c in _FEATURE_COLUMNS})
        st.dataframe(table, hide_index=True, width="stretch", height=320)


def _township_table(report: Any, t: Texts) -> None:
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
        st.caption(t("overview.no_township_targets"))
        return
    table = pd.DataFrame(cells).fillna("—")
    rating = pd.DataFrame(colours).reindex(index=table.index, columns=table.columns).fillna("none")
    styled = table.style.apply(
        lambda _: rating.map(lambda r: f"background-color: {_RATING_BG.get(r, '#ffffff')}"),
        axis=None,
    )
    st.dataframe(styled, width="stretch")
    st.caption(t("overview.township_legend"))


def _monthly_chart(ctx: PageContext, report: Any) -> None:
    rows = [r for r in report.rows]
    if not rows:
        return
    names = {r.key: f"{r.name_zh}（{r.unit}）" for r in rows}
    t = ctx.t
    key = st.selectbox(
        t("overview.target"), list(names), format_func=names.__getitem__, key="ykgeo_overview_chart"
    )
    frame = data.monthly(ctx.store_path, ctx.mtime_ns, key, report.year, ctx.knowledge)
    if frame.empty:
        st.caption(t("overview.no_monthly"))
        return
    chart = frame.set_index("month")[["done", "milestone"]].rename(
        columns={"done": t("overview.cumulative"), "milestone": t("overview.milestone")}
    )
    st.line_chart(chart, height=300)


def render(ctx: PageContext) -> None:
    """The overview page."""
    t = ctx.t
    st.title(t("overview.title"))
    knowledge_banner(ctx)
    year = _plan_year(ctx)
    if year is None:
        st.warning(t("overview.no_plan"))
        return
    try:
        with st.spinner(t("overview.computing")):
            report = data.progress(ctx.store_path, ctx.mtime_ns, ctx.as_of, year, ctx.knowledge)
    except YkgeoError as err:
        st.error(t.error(err))
        return
    head, link = st.columns([5, 1.4], vertical_alignment="bottom")
    head.caption(
        t(
            "overview.caption",
            plan=md_escape(report.plan_name),
            as_of=f"{report.as_of:%Y-%m-%d}",
            version=md_escape(report.data_version.label_zh()),
        )
    )
    if "brief" in ctx.pages:
        link.page_link(
            ctx.pages["brief"], label=t("overview.brief_link"), icon=":material/picture_as_pdf:"
        )
    for warning in report.warnings:
        st.warning(warning)
    as_of_label = t("overview.as_of_label", month=report.as_of.month, day=report.as_of.day)
    columns = st.columns(3)
    for n, row in enumerate(report.rows):
        with columns[n % 3]:
            _card(row, as_of_label, t)
    _drill_down(report, t)
    st.subheader(t("overview.townships"))
    _township_table(report, t)
    st.subheader(t("overview.monthly"))
    _monthly_chart(ctx, report)
