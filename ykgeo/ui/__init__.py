"""The Streamlit app's pages: widgets and calls into ykgeo, nothing more (``app.py`` routes to them).

``app.py`` needs only :func:`app_title`, :func:`parse_settings`, :func:`build_pages` and
:func:`sidebar`; each page is a module here (:mod:`~ykgeo.ui.overview`,
:mod:`~ykgeo.ui.map_view`, :mod:`~ykgeo.ui.brief`, :mod:`~ykgeo.ui.edit`,
:mod:`~ykgeo.ui.importer`, :mod:`~ykgeo.ui.export`) over the shared
:mod:`~ykgeo.ui.shell`, the cached loaders of :mod:`~ykgeo.ui.data` and the texts of
:mod:`~ykgeo.ui.i18n`.
"""

from __future__ import annotations

from ykgeo.ui.router import app_title, build_pages, parse_settings, sidebar

__all__ = ["app_title", "build_pages", "parse_settings", "sidebar"]
