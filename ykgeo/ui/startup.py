"""The web server's start-up: the app's pages imported once, before the server says it is ready.

``app.py`` gives :func:`import_app` to ``st.App`` as its lifespan. Streamlit runs it after
its runtime has started and before the server accepts a connection (its health check
answers only then), so the first visitor's session finds the pages, their cached loaders
and the libraries they use (folium and its plugins, the progress engine) already imported:
the time moves from the first visit to the server's start. The modules that declare a
Streamlit component (streamlit-folium, :mod:`ykgeo.ui.assets`) are left to the session.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["import_app"]

logger = logging.getLogger(__name__)

#: What streamlit-folium imports, without streamlit-folium itself: it declares its component
#: when imported, and Streamlit serves a component's files only if it was declared while a
#: script runs, so the map page imports it in the session (folium's plugins are most of its cost).
_MAP_LIBRARIES = ("branca", "folium.elements", "folium.plugins", "jinja2")


@asynccontextmanager
async def import_app(app: Any) -> AsyncIterator[None]:
    """Import every page of the app (``st.App`` lifespan); nothing to undo on shutdown.

    Parameters
    ----------
    app
        The ``st.App`` starting (unused).
    """
    start = time.perf_counter()
    from ykgeo.ui.router import import_pages

    import_pages()
    for name in _MAP_LIBRARIES:
        importlib.import_module(name)
    logger.info("app pages imported in %.2f s", time.perf_counter() - start)
    yield
