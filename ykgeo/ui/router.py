"""The app's pages for ``st.navigation``: each runs the shared sidebar, then its page."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from ykgeo.ui import edit, export, importer, map_view, overview
from ykgeo.ui.settings import AppSettings, parse_settings
from ykgeo.ui.shell import PageContext, current_context, sidebar

__all__ = ["build_pages", "parse_settings", "sidebar"]

_PAGES: tuple[tuple[str, str, str, Callable[[PageContext], None]], ...] = (
    ("overview", "总览", ":material/dashboard:", overview.render),
    ("map", "地图", ":material/map:", map_view.render),
    ("edit", "编辑", ":material/edit:", edit.render),
    ("import", "导入", ":material/upload_file:", importer.render),
    ("export", "导出", ":material/download:", export.render),
)


def build_pages(settings: AppSettings) -> dict[str, st.Page]:
    """One ``st.Page`` per page of the app, by key, in menu order (总览 first and default).

    Each page reads the context the shared sidebar made in this run (``app.py`` draws the
    sidebar once, outside the pages, so its widgets keep their values across pages).
    """
    pages: dict[str, st.Page] = {}

    def runner(render: Callable[[PageContext], None]) -> Callable[[], None]:
        def run() -> None:
            render(current_context())

        run.__name__ = render.__module__.rsplit(".", 1)[-1]
        return run

    for n, (key, title, icon, render) in enumerate(_PAGES):
        pages[key] = st.Page(runner(render), title=title, icon=icon, url_path=key, default=(n == 0))
    return pages


def page_titles() -> Sequence[str]:
    """The Chinese titles of the pages, in menu order."""
    return [title for _, title, _, _ in _PAGES]
