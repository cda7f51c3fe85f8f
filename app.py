"""永康市国土空间项目进度 — Streamlit entry point: ``streamlit run app.py -- [--store PATH]``.

A router only: the pages, the shared sidebar and every setting live in ``ykgeo.ui``.
The sidebar is drawn here, outside the pages, so the as-of date, language and sign-in hold
on every page.
"""

import sys

import streamlit as st

from ykgeo.ui import app_title, build_pages, parse_settings, sidebar

st.set_page_config(page_title=app_title(), page_icon="🗺️", layout="wide")
settings = parse_settings(sys.argv[1:])
pages = build_pages(settings)
page = st.navigation(list(pages.values()))
sidebar(settings, pages)
page.run()
