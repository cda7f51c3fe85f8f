"""The app's pages for ``st.navigation``: each runs the shared sidebar, then its page.

A page's module is imported when the page first runs, so a visit to one page does not
import the others (the 地图 page never loads the briefing pack or the importer).
:func:`import_pages` imports them all at once: the server calls it at start-up, before it
answers its health check, so the first visitor finds them imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

import streamlit as st

from ykgeo.ui.i18n import MESSAGES, session_texts
from ykgeo.ui.settings import AppSettings, parse_settings
from ykgeo.ui.shell import PageContext, current_context, sidebar

__all__ = ["app_title", "build_pages", "import_pages", "parse_settings", "sidebar"]

#: Key (also the URL path), message id of the title, icon and page module (in ykgeo.ui), in menu order.
_PAGES: tuple[tuple[str, str, str, str], ...] = (
    ("overview", "page.overview", ":material/dashboard:", "overview"),
    ("map", "page.map", ":material/map:", "map_view"),
    ("plan", "page.plan", ":material/event_note:", "plan"),
    ("brief", "page.brief", ":material/picture_as_pdf:", "brief"),
    ("edit", "page.edit", ":material/edit:", "edit"),
    ("import", "page.import", ":material/upload_file:", "importer"),
    ("export", "page.export", ":material/download:", "export"),
)


def _page_render(module: str) -> Callable[[PageContext], None]:
    """The ``render`` function of a page module of ``ykgeo.ui`` (imported on first use)."""
    render: Callable[[PageContext], None] = importlib.import_module(f"ykgeo.ui.{module}").render
    return render


def import_pages() -> None:
    """Import every page's module (and what it imports): the server does it once at start-up."""
    for _, _, _, module in _PAGES:
        _page_render(module)


def app_title() -> str:
    """The app's name in this session's language (the browser tab's title)."""
    return session_texts()("app.title")


def build_pages(settings: AppSettings) -> dict[str, st.Page]:
    """One ``st.Page`` per page of the app, by key, in menu order (总览 first and default).

    Titles are in this session's language; a page is known by its URL path, so switching
    the language keeps the page. Each page reads the context the shared sidebar made in
    this run (``app.py`` draws the sidebar once, outside the pages, so its widgets keep
    their values across pages). A page's module is imported when the page runs.
    """
    t = session_texts()
    pages: dict[str, st.Page] = {}

    def runner(module: str) -> Callable[[], None]:
        def run() -> None:
            _page_render(module)(current_context())

        run.__name__ = module
        return run

    for n, (key, title, icon, module) in enumerate(_PAGES):
        pages[key] = st.Page(
            runner(module), title=t(title), icon=icon, url_path=key, default=(n == 0)
        )
    return pages


def page_titles() -> Sequence[str]:
    """The Chinese titles of the pages, in menu order."""
    return [MESSAGES[title][0] for _, title, _, _ in _PAGES]
