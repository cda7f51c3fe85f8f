"""The web server's start-up: the app's pages imported once, before the server says it is ready.

``app.py`` gives :func:`import_app` to ``st.App`` as its lifespan. Streamlit runs it after
its runtime has started and before the server accepts a connection (its health check
answers only then), so the first visitor's session finds the pages, their cached loaders
and the libraries they use (folium and its plugins, the progress engine) already imported,
and Python's map of modules to files already made: the time moves from the first visit to
the server's start. It also opens the store once (layer definitions parsed, a crashed
write undone). The modules that declare a Streamlit component (streamlit-folium,
:mod:`ykgeo.ui.assets`) are left to the session.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["import_app"]

logger = logging.getLogger(__name__)

#: What streamlit-folium imports, without streamlit-folium itself: it declares its component
#: when imported, and Streamlit serves a component's files only if it was declared while a
#: script runs, so the map page imports it in the session (folium's plugins are most of its cost).
#: And Streamlit's emoji table, which ``st.set_page_config(page_icon=…)`` checks the icon
#: against on a session's first run (0.1–0.2 s to import).
_LIBRARIES = ("branca", "folium.elements", "folium.plugins", "jinja2", "streamlit.emojis")


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
    for name in _LIBRARIES:
        importlib.import_module(name)
    # Streamlit looks at the call stack (inspect.stack) once per process, on the first element
    # a session draws, and Python's inspect then maps every module loaded to its file
    # (0.1–0.2 s): made here, the map is kept and the session adds only modules loaded since.
    inspect.stack()
    _open_store(sys.argv[1:])
    logger.info("app pages imported in %.2f s", time.perf_counter() - start)
    yield


def _open_store(argv: list[str]) -> None:
    """Open the app's store once: a write a crash left half done is undone, the layers parsed.

    The layer definitions it carries are parsed once per process (cached by their text),
    so the first visitor's session does not pay for it. A store that cannot be opened is
    left to the pages, which say what is wrong.
    """
    from ykgeo.errors import YkgeoError
    from ykgeo.store import Store
    from ykgeo.ui.settings import parse_settings

    path = parse_settings(argv).store_path
    try:
        Store(path)
    except YkgeoError as err:
        logger.warning("store %s not opened at start: %s", path, err)
