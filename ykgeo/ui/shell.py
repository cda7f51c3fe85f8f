"""What every page shares, written once: the sidebar (language, store, as-of date, sign-in) and the page context."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from ykgeo.auth import User
from ykgeo.errors import StoreError
from ykgeo.layers import PLAN_DRAFT
from ykgeo.progress.knowledge import KNOWLEDGE, Knowledge, default_knowledge
from ykgeo.store import now, store_change_key
from ykgeo.ui import data, plan_data
from ykgeo.ui.account import signed_in_user
from ykgeo.ui.i18n import Texts, language_switch, literal
from ykgeo.ui.settings import AppSettings

__all__ = ["PageContext", "clamp_to_year", "current_context", "knowledge_banner", "sidebar"]

_CONTEXT_KEY = "ykgeo_context"


@dataclass(frozen=True)
class PageContext:
    """What a page needs: settings, the store and its version, the as-of date, the user and the words.

    ``t`` gives the session's words: ``ctx.t("map.title")`` (see :mod:`ykgeo.ui.i18n`).
    """

    settings: AppSettings
    store_path: str
    mtime_ns: int
    as_of: dt.date
    user: User | None
    pages: Mapping[str, Any] = field(default_factory=dict)
    t: Texts = field(default_factory=Texts)
    knowledge: Knowledge = "then"

    @property
    def can_edit(self) -> bool:
        """Whether the signed-in user may change the store."""
        return self.user is not None and self.user.can_edit

    @property
    def as_of_or_now(self) -> dt.date | None:
        """The as-of date for reading layers (None when it is today or later: read as now)."""
        return None if self.as_of >= now().date() else self.as_of


_AS_OF = "ykgeo_as_of"
_YEAR = "ykgeo_plan_year"


def clamp_to_year(day: dt.date, year: int) -> dt.date:
    """``day`` moved into ``year`` (1 January or 31 December when it lies outside)."""
    return min(max(day, dt.date(year, 1, 1)), dt.date(year, 12, 31))


def _default_as_of(year: int | None) -> dt.date:
    """Today, clamped into the plan year shown first."""
    today = now().date()
    return today if year is None else clamp_to_year(today, year)


def _year_changed() -> None:
    """The year switch moved: the as-of date becomes today, clamped into the chosen year."""
    st.session_state[_AS_OF] = clamp_to_year(now().date(), int(st.session_state[_YEAR]))


def _year_switch(store_key: str, mtime_ns: int, t: Texts) -> None:
    """The plan-year switch above the date: it follows the date, and choosing a year moves the date."""
    statuses = plan_data.plan_statuses(store_key, mtime_ns)
    if not isinstance(st.session_state.get(_AS_OF), dt.date):
        st.session_state[_AS_OF] = _default_as_of(
            plan_data.default_year(store_key, mtime_ns, now().date())
        )
    shown = st.session_state[_AS_OF].year
    options = sorted({*statuses, shown, now().year})
    st.session_state[_YEAR] = shown

    def label(year: int) -> str:
        if year not in statuses:
            return t("shell.year_none", year=year)
        if statuses[year] == PLAN_DRAFT:
            return t("shell.year_draft", year=year)
        return str(year)

    st.sidebar.selectbox(
        t("shell.year"),
        options,
        format_func=label,
        key=_YEAR,
        on_change=_year_changed,
        help=t("shell.year_help"),
    )


def _knowledge_key(as_of: dt.date) -> str:
    # one switch per year, so each year starts on its own default (a closed year: 按当时所知)
    return f"ykgeo_knowledge_{as_of.year}"


def _knowledge_switch(as_of: dt.date, t: Texts) -> Knowledge:
    key = _knowledge_key(as_of)
    if st.session_state.get(key) not in KNOWLEDGE:
        st.session_state[key] = default_knowledge(as_of)
    choice: Knowledge = st.sidebar.radio(
        t("shell.knowledge"),
        KNOWLEDGE,
        format_func=lambda k: t(f"knowledge.{k}"),
        key=key,
        horizontal=True,
        help=t("shell.knowledge_help"),
    )
    return choice


def _switch_knowledge(key: str, knowledge: Knowledge) -> None:
    st.session_state[key] = knowledge


def knowledge_banner(ctx: PageContext) -> None:
    """Say when records made after the date would change what the page shows, with a switch."""
    if ctx.as_of >= now().date():
        return
    late = data.late_records(ctx.store_path, ctx.mtime_ns, ctx.as_of)
    if not late.count:
        return
    t = ctx.t
    day = f"{ctx.as_of:%Y-%m-%d}"
    other: Knowledge = "now" if ctx.knowledge == "then" else "then"
    with st.container(key="ykgeo_knowledge_banner"):
        text, button = st.columns([5, 1.4], vertical_alignment="center")
        if ctx.knowledge == "then":
            text.warning(t("knowledge.banner_then", n=f"{late.count:,}", as_of=day))
        else:
            text.info(t("knowledge.banner_now", n=f"{late.count:,}", as_of=day))
        button.button(
            t(f"knowledge.switch_{other}"),
            key="ykgeo_knowledge_switch",
            on_click=_switch_knowledge,
            args=(_knowledge_key(ctx.as_of), other),
        )


def sidebar(settings: AppSettings, pages: Mapping[str, Any] | None = None) -> PageContext:
    """Draw the shared sidebar and return the context every page gets."""
    t = language_switch()
    path = settings.store_path
    try:
        mtime_ns = store_change_key(path)  # follows commits still in the WAL too
    except FileNotFoundError:
        st.error(t("shell.no_store", path=path))
        st.stop()
    key = str(path)
    try:
        name = data.store_name(key, mtime_ns)
        st.sidebar.markdown(t("shell.store", name=name))  # t() shows values literally
        st.sidebar.caption(literal(path.name))
        _year_switch(key, mtime_ns, t)
    except StoreError as err:
        st.error(t.error(err))
        st.stop()
    as_of = st.sidebar.date_input(
        t("shell.as_of"),
        min_value=dt.date(2000, 1, 1),
        max_value=dt.date(2100, 12, 31),
        format="YYYY-MM-DD",
        key=_AS_OF,
        help=t("shell.as_of_help"),
    )
    if not isinstance(as_of, dt.date):
        as_of = _default_as_of(plan_data.default_year(key, mtime_ns, now().date()))
    knowledge = _knowledge_switch(as_of, t)
    user = signed_in_user(settings, t)
    context = PageContext(
        settings=settings,
        store_path=key,
        mtime_ns=mtime_ns,
        as_of=as_of,
        user=user,
        pages=dict(pages or {}),
        t=t,
        knowledge=knowledge,
    )
    st.session_state[_CONTEXT_KEY] = context
    return context


def current_context() -> PageContext:
    """The context :func:`sidebar` made earlier in this run (this session's, not a global)."""
    context: PageContext = st.session_state[_CONTEXT_KEY]
    return context
