"""永康市国土空间项目进度 — Streamlit entry point: ``streamlit run app.py -- [--store PATH]``.

One file, read twice. ``streamlit run`` first imports it as a module to build the web
server (``app``: Streamlit's upload limit at the app's cap, uploads only from sessions
that may import, the sign-in cookie; see :mod:`ykgeo.ui.server`) and, as it starts, imports
the pages once (:mod:`ykgeo.ui.startup`). Each session then runs
it as its script (``__main__``): a router only, the pages, the shared sidebar and every
setting live in ``ykgeo.ui``. The sidebar is drawn here, outside the pages, so the as-of
date, language and sign-in hold on every page.
"""

import sys
from pathlib import Path

import streamlit as st

if __name__ == "__main__":
    from ykgeo.ui import app_title, build_pages, parse_settings, sidebar

    st.set_page_config(page_title=app_title(), page_icon="🗺️", layout="wide")
    settings = parse_settings(sys.argv[1:])
    pages = build_pages(settings)
    page = st.navigation(list(pages.values()))
    sidebar(settings, pages)
    page.run()
else:
    from ykgeo.ui.server import server_parts
    from ykgeo.ui.startup import import_app

    parts = server_parts(sys.argv[1:])
    app = st.App(
        Path(__file__), middleware=parts.middleware, routes=parts.routes, lifespan=import_app
    )
