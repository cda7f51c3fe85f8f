"""The app's pages for ``st.navigation``: each runs the shared sidebar, then its page."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from ykgeo.ui import brief, edit, export, importer, map_view, overview, plan
from ykgeo.ui.i18n import MESSAGES, session_texts
from ykgeo.ui.settings import AppSettings, parse_settings
from ykgeo.ui.shell import PageContext, current_context, sidebar

__all__ = ["app_title", "build_pages", "parse_settings", "sidebar"]

#: Key (also the URL path), message id of the title, icon and page function, in menu order.
_PAGES: tuple[tuple[str, str, str, Callable[[PageContext], None]], ...] = (
    ("overview", "page.overview", ":material/dashboard:", overview.render),
    ("map", "page.map", ":material/map:", map_view.render),
    ("plan", "page.plan", ":material/event_note:", plan.render),
    ("brief", "page.brief", ":material/picture_as_pdf:", brief.render),
    ("edit", "page.edit", ":material/edit:", edit.render),
    ("import", "page.import", ":material/upload_file:", importer.render),
    ("export", "page.export", ":material/download:", export.render),
)


def app_title() -> str:
    """The app's name in this session's language (the browser tab's title)."""
    return session_texts()("app.title")


def build_pages(settings: AppSettings) -> dict[str, st.Page]:
    """One ``st.Page`` per page of the app, by key, in menu order (总览 first and default).

    Titles are in this session's language; a page is known by its URL path, so switching
    the language keeps the page. Each page reads the context the shared sidebar made in
    this run (``app.py`` draws the sidebar once, outside the pages, so its widgets keep
    their values across pages).
    """
    t = session_texts()
    pages: dict[str, st.Page] = {}

    def runner(render: Callable[[PageContext], None]) -> Callable[[], None]:
        def run() -> None:
            render(current_context())

        run.__name__ = render.__module__.rsplit(".", 1)[-1]
        return run

    for n, (key, title, icon, render) in enumerate(_PAGES):
        pages[key] = st.Page(
            runner(render), title=t(title), icon=icon, url_path=key, default=(n == 0)
        )
    return pages


def page_titles() -> Sequence[str]:
    """The Chinese titles of the pages, in menu order."""
    return [MESSAGES[title][0] for _, title, _, _ in _PAGES]
