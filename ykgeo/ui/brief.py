"""汇报 page: the briefing pack (PDF) for the as-of date, the whole city or one township, optionally with the changes since a date."""

from __future__ import annotations

import datetime as dt
import time

import streamlit as st

from ykgeo.errors import YkgeoError
from ykgeo.ui import data
from ykgeo.ui.shell import PageContext, knowledge_banner

__all__ = ["render"]

_TOWNSHIP = "ykgeo_brief_township"
_SINCE = "ykgeo_brief_since"
#: (the pack's parameters, the PDF, seconds taken) of the last pack this session made.
_HELD = "ykgeo_brief_pdf"


def render(ctx: PageContext) -> None:
    """The briefing page: choose the scope, make the pack on request (it takes seconds), download it."""
    t = ctx.t
    st.title(t("brief.title"))
    knowledge_banner(ctx)  # the pack counts the records the pages count: say which are left out
    st.caption(t("brief.intro"))
    if not data.plan_years(ctx.store_path, ctx.mtime_ns):
        st.warning(t("common.no_plan"))
        return
    st.markdown(t("brief.as_of", as_of=f"{ctx.as_of:%Y-%m-%d}"))
    st.caption(t(f"brief.knowledge.{ctx.knowledge}"))  # the pack reads what the pages read
    towns = ["", *data.township_names(ctx.store_path, ctx.mtime_ns)]  # "": the whole city
    if st.session_state.get(_TOWNSHIP) not in towns:
        st.session_state[_TOWNSHIP] = ""
    since_held = st.session_state.get(_SINCE)
    if isinstance(since_held, dt.date) and since_held >= ctx.as_of:
        st.session_state[_SINCE] = None  # the as-of date moved before it
    scope_column, since_column, _ = st.columns([1.6, 2.2, 3])
    township = scope_column.selectbox(
        t("brief.scope"),
        towns,
        format_func=lambda v: v or t("brief.whole_city"),
        key=_TOWNSHIP,
    )
    since = since_column.date_input(
        t("brief.since"),
        value=None,
        min_value=dt.date(2000, 1, 1),
        max_value=ctx.as_of - dt.timedelta(days=1),
        format="YYYY-MM-DD",
        key=_SINCE,
    )
    params = (
        ctx.store_path,
        ctx.mtime_ns,
        ctx.as_of,
        str(township) or None,
        since if isinstance(since, dt.date) else None,
        ctx.knowledge,
    )
    if st.button(t("brief.make"), type="primary", key="ykgeo_brief_make"):
        started = time.perf_counter()
        try:
            with st.spinner(t("brief.making"), show_time=True):
                content = data.brief_pdf(*params)
        except YkgeoError as err:
            st.session_state.pop(_HELD, None)
            st.error(t.error(err))
            return
        st.session_state[_HELD] = (params, content, time.perf_counter() - started)
    held = st.session_state.get(_HELD)
    if not held:
        return
    if held[0] != params:
        st.caption(t("brief.stale"))
        return
    _, content, seconds = held
    scope = township or t("brief.whole_city")
    name = f"{t('brief.file_stem')}_{ctx.as_of:%Y%m%d}_{scope}.pdf"
    st.success(t("brief.ready", kb=f"{len(content) / 1024:,.0f}", seconds=f"{seconds:.1f}"))
    st.download_button(
        t("brief.download", name=name),
        data=content,
        file_name=name,
        mime="application/pdf",
        on_click="ignore",
        icon=":material/download:",
        key="ykgeo_brief_download",
    )
