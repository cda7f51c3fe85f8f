"""The Streamlit app's pages: widgets and calls into ykgeo, nothing more (``app.py`` routes to them).

``app.py`` needs only :func:`app_title`, :func:`parse_settings`, :func:`build_pages` and
:func:`sidebar`; each page is a module here (:mod:`~ykgeo.ui.overview`,
:mod:`~ykgeo.ui.map_view`, :mod:`~ykgeo.ui.brief`, :mod:`~ykgeo.ui.edit`,
:mod:`~ykgeo.ui.importer`, :mod:`~ykgeo.ui.export`, :mod:`~ykgeo.ui.plan` with
:mod:`~ykgeo.ui.candidates`) over the shared :mod:`~ykgeo.ui.shell` (with the sign-in of
:mod:`~ykgeo.ui.account`), the guarded writes of :mod:`~ykgeo.ui.writes`, the cached loaders
of :mod:`~ykgeo.ui.data` and :mod:`~ykgeo.ui.plan_data` and the texts of
:mod:`~ykgeo.ui.i18n`. The web server around them (upload gate, sign-in cookie) is
:mod:`~ykgeo.ui.server`.

The names below are imported when first used: the server imports :mod:`ykgeo.ui.server`
to build itself, without loading the pages and their cached loaders; once Streamlit's
runtime has started, :mod:`ykgeo.ui.startup` imports the pages, before the server answers
its health check (so the first visitor does not pay for the imports).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["app_title", "build_pages", "parse_settings", "sidebar"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("ykgeo.ui.router"), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
