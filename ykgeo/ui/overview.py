"""总览 page: a one-line summary, one card per target, the changes since a compare date, the township table and the monthly chart."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import streamlit as st

from ykgeo.errors import YkgeoError
from ykgeo.progress.frames import (
    RATING_RULE,
    compare_reports,
    feature_table,
    frame_to_xlsx,
    rating_summary,
    target_name,
    township_matrix,
)
from ykgeo.progress.output import format_figure
from ykgeo.ui import data
from ykgeo.ui.i18n import Texts, literal
from ykgeo.ui.shell import PageContext, knowledge_banner

__all__ = ["RATING_ZH", "format_amount", "render"]

#: Rating → (label, colour) as shown on the cards and in the township table.
RATING_ZH: dict[str, tuple[str, str]] = {
    "green": ("绿：可完成", "#2e7d32"),
    "amber": ("黄：需关注", "#f9a825"),
    "red": ("红：难完成", "#c62828"),
    "none": ("不评级", "#9e9e9e"),
}
_RATING_BG = {"green": "#c8e6c9", "amber": "#fff3c4", "red": "#ffcdd2", "none": "#eeeeee"}
_SINCE = "ykgeo_overview_since"
_RED_ONLY = "ykgeo_overview_red_only"
_ROW_PX = 35
#: Cards of a row are as tall as the tallest, so rows line up.
_CARD_CSS = (
    "<style>"
    ".st-key-ykgeo_cards [data-testid='stHorizontalBlock'] {align-items: stretch;}"
    ".st-key-ykgeo_cards [data-testid='stColumn'] > [data-testid='stVerticalBlock'],"
    ".st-key-ykgeo_cards [data-testid='stColumn'] > [data-testid='stVerticalBlock']"
    " > [data-testid='stLayoutWrapper'],"
    ".st-key-ykgeo_cards [class*='st-key-ykgeo_card_'] {height: 100%;}"
    "</style>"
)


def format_amount(value: float, decimals: int) -> str:
    """A figure as shown on the cards: the one format of every output (``12,345.67``, — for NaN)."""
    return format_figure(value, decimals)


def _plan_year(ctx: PageContext) -> int | None:
    """The plan year of the as-of date; None when that year has no plan (never another year's)."""
    years = data.plan_years(ctx.store_path, ctx.mtime_ns)
    return ctx.as_of.year if ctx.as_of.year in years else None


def _table_height(rows: int) -> int:
    """Pixels for a table that shows every row without an inner scroll bar."""
    return (rows + 1) * _ROW_PX + 3


def _download(frame: pd.DataFrame, name: str, key: str, t: Texts, *, index: bool = False) -> None:
    st.download_button(
        t("common.download_xlsx"),
        data=frame_to_xlsx(frame, sheet=name, index=index),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        on_click="ignore",
        key=key,
    )


def _feature_dialog(row: Any, as_of: dt.date, names_en: dict[str, str], t: Texts) -> None:
    """The features behind a figure, in a dialog where the user clicked."""
    name = target_name(row, t.language, names_en)
    st.caption(t("overview.drill_as_of", as_of=f"{as_of:%Y-%m-%d}", n=f"{len(row.features):,}"))
    table = feature_table(row, language=t.language)
    config: dict[str, Any] = {}
    for col in table.columns:
        sample = table[col].dropna()
        if pd.api.types.is_float_dtype(table[col]):
            places = 2 if "亩" in col or "mu" in col else row.decimals
            config[col] = st.column_config.NumberColumn(format=f"%.{places}f")
        elif len(sample) and isinstance(sample.iloc[0], dt.date):
            config[col] = st.column_config.DateColumn(format="YYYY-MM-DD")
    with st.container(key="ykgeo_overview_drill"):
        st.markdown(f"**{literal(name)}**")
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            height=440,
            column_config=config,
            row_height=_ROW_PX,
        )
        st.caption(literal(row.rule_zh))
        _download(table, f"{name}_{as_of:%Y%m%d}", "ykgeo_overview_drill_xlsx", t)


def _card(
    row: Any, ctx: PageContext, report: Any, gain: float | None, names_en: dict[str, str]
) -> None:
    t = ctx.t
    rating = row.rating if row.rating in RATING_ZH else "none"
    label, colour = t(f"rating.{rating}"), RATING_ZH[rating][1]
    unit = t.unit(row.unit)
    name = target_name(row, t.language, names_en)
    with st.container(border=True, key=f"ykgeo_card_{row.key}"):
        st.markdown(f"**{literal(name)}**")
        done = format_amount(row.done, row.decimals)
        target = format_amount(row.target, row.decimals)
        st.markdown(
            f"<span class='yk-done'>{done}</span> / {target} {literal(unit)}",
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
        as_of_label = t("overview.as_of_label", month=report.as_of.month, day=report.as_of.day)
        st.caption(
            t(
                "overview.pipeline",
                in_progress=format_amount(row.in_progress, row.decimals),
                not_started=format_amount(row.not_started, row.decimals),
                as_of=as_of_label,
                expected=format_amount(row.milestone_expected, row.decimals),
            )
        )
        if gain is not None:
            sign = "+" if gain >= 0 else "−"
            st.markdown(
                "<span class='yk-gain'>"
                + t(
                    "overview.gain",
                    since=f"{st.session_state[_SINCE]:%Y-%m-%d}",
                    gain=f"{sign}{format_amount(abs(gain), row.decimals)}",
                    unit=literal(unit),
                )
                + "</span>",
                unsafe_allow_html=True,
            )
        if st.button(
            t("overview.drill_button", n=f"{len(row.features):,}"), key=f"ykgeo_detail_{row.key}"
        ):
            st.dialog(t("overview.drill_title", name=name), width="large")(_feature_dialog)(
                row, report.as_of, names_en, t
            )


def _summary(report: Any, names_en: dict[str, str], t: Texts) -> None:
    summary = rating_summary(report)
    reds = [target_name(r, t.language, names_en) for r in report.rows if r.key in summary.red_keys]
    with st.container(key="ykgeo_overview_summary"):
        line: str = t(
            "overview.summary",
            green=summary.green,
            amber=summary.amber,
            red=summary.red,
            none=summary.none,
        )
        if reds:
            line += t("overview.summary_red", names="、".join(reds))  # t() shows them literally
        st.markdown(line)
        st.caption(RATING_RULE["en" if t.english else "zh"])


def _changes(ctx: PageContext, report: Any, since_report: Any, names_en: dict[str, str]) -> None:
    t = ctx.t
    _, changes = compare_reports(report, since_report, language=t.language, names_en=names_en)
    since = since_report.as_of
    st.subheader(t("overview.changes", since=f"{since:%Y-%m-%d}", as_of=f"{report.as_of:%Y-%m-%d}"))
    if changes.empty:
        st.caption(t("overview.no_changes"))
        return
    counts = changes.iloc[:, 5].value_counts()
    st.caption(literal(" · ".join(f"{k} {v:,}" for k, v in counts.items())))
    numeric = {c: st.column_config.NumberColumn(format="%.2f") for c in changes.columns[-3:]}
    with st.container(key="ykgeo_overview_changes"):
        st.dataframe(
            changes,
            hide_index=True,
            width="stretch",
            height=min(_table_height(len(changes)), 600),
            column_config=numeric,
        )
    _download(
        changes,
        t("overview.changes_file", since=f"{since:%Y%m%d}", as_of=f"{report.as_of:%Y%m%d}"),
        "ykgeo_overview_changes_xlsx",
        t,
    )


def _township_table(report: Any, names_en: dict[str, str], t: Texts) -> None:
    values, ratings, decimals = township_matrix(report, language=t.language, names_en=names_en)
    if values.empty:
        st.caption(t("overview.no_township_targets"))
        return
    styled = values.style.apply(
        lambda _: ratings.map(lambda r: f"background-color: {_RATING_BG.get(r, '#ffffff')}"),
        axis=None,
    ).format({c: f"{{:,.{d}f}}" for c, d in decimals.items()}, na_rep="—")
    with st.container(key="ykgeo_overview_townships"):
        st.dataframe(styled, width="stretch", height=_table_height(len(values)), row_height=_ROW_PX)
    st.caption(t("overview.township_legend"))
    st.caption(t("overview.share_note"))
    _download(
        values,
        t("overview.township_file", as_of=f"{report.as_of:%Y%m%d}"),
        "ykgeo_overview_townships_xlsx",
        t,
        index=True,
    )


def _monthly_chart(ctx: PageContext, report: Any, names_en: dict[str, str]) -> None:
    rows = list(report.rows)
    if not rows:
        return
    t = ctx.t
    names = {r.key: f"{target_name(r, t.language, names_en)}（{t.unit(r.unit)}）" for r in rows}
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


def _since(ctx: PageContext, column: Any) -> dt.date | None:
    held = st.session_state.get(_SINCE)
    if isinstance(held, dt.date) and held >= ctx.as_of:
        st.session_state[_SINCE] = None  # the as-of date moved before it
    since = column.date_input(
        ctx.t("overview.since"),
        value=None,
        min_value=dt.date(2000, 1, 1),
        max_value=ctx.as_of - dt.timedelta(days=1),
        format="YYYY-MM-DD",
        key=_SINCE,
        help=ctx.t("overview.since_help"),
    )
    return since if isinstance(since, dt.date) else None


def render(ctx: PageContext) -> None:
    """The overview page."""
    t = ctx.t
    st.title(t("overview.title"))
    knowledge_banner(ctx)
    year = _plan_year(ctx)
    if year is None:
        years = data.plan_years(ctx.store_path, ctx.mtime_ns)
        if not years:
            st.warning(t("overview.no_plan"))
        else:
            listed = "、".join(str(y) for y in years)
            st.info(t("overview.no_plan_for_year", year=ctx.as_of.year, years=listed))
        return
    head, since_column, red_column, link = st.columns(
        [4.2, 1.6, 1.2, 1.4], vertical_alignment="bottom"
    )
    since = _since(ctx, since_column)
    red_only = red_column.toggle(t("overview.red_only"), key=_RED_ONLY)
    try:
        with st.spinner(t("overview.computing")):
            report = data.progress(ctx.store_path, ctx.mtime_ns, ctx.as_of, year, ctx.knowledge)
            since_report = (
                data.progress(ctx.store_path, ctx.mtime_ns, since, year, ctx.knowledge)
                if since
                else None
            )
    except YkgeoError as err:
        st.error(t.error(err))
        return
    names_en = data.target_names_en(ctx.store_path, ctx.mtime_ns, year) if t.english else {}
    head.caption(
        t(
            "overview.caption",
            plan=literal(report.plan_name) if not t.english else t("overview.plan_en", year=year),
            as_of=f"{report.as_of:%Y-%m-%d}",
            version=literal(t.data_version(report.data_version)),
        )
    )
    if "brief" in ctx.pages:
        link.page_link(
            ctx.pages["brief"], label=t("overview.brief_link"), icon=":material/picture_as_pdf:"
        )
    for warning in report.warnings:
        st.warning(literal(warning))
    _summary(report, names_en, t)
    gains = compare_reports(report, since_report)[0] if since_report is not None else {}
    rows = [r for r in report.rows if not red_only or r.rating == "red"]
    st.markdown(_CARD_CSS, unsafe_allow_html=True)
    with st.container(key="ykgeo_cards"):
        for start in range(0, len(rows), 3):  # row by row, so the cards of a row line up
            columns = st.columns(3)
            for column, row in zip(columns, rows[start : start + 3], strict=False):
                with column:
                    _card(row, ctx, report, gains.get(row.key) if since_report else None, names_en)
    if red_only and not rows:
        st.caption(t("overview.no_red"))
    if since_report is not None:
        _changes(ctx, report, since_report, names_en)
    st.subheader(t("overview.townships"))
    _township_table(report, names_en, t)
    st.subheader(t("overview.monthly"))
    _monthly_chart(ctx, report, names_en)
