"""The server's start-up imports every page, but not the modules that declare Streamlit components."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Run in a fresh interpreter: the app's lifespan entered as ``st.App`` enters it, then the modules it left imported.
_START = """
import asyncio, json, sys
from ykgeo.ui.startup import import_app

async def start():
    async with import_app(None):
        return sorted(
            m for m in sys.modules
            if m.startswith(("ykgeo.ui", "streamlit_folium", "folium", "streamlit.emojis"))
        )

print(json.dumps(asyncio.run(start())))
"""


def test_start_up_imports_every_page_but_no_component() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _START], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    imported = set(json.loads(done.stdout.splitlines()[-1]))
    pages = ("overview", "map_view", "plan", "brief", "edit", "importer", "export")
    assert {f"ykgeo.ui.{page}" for page in pages} <= imported
    assert "folium.plugins" in imported  # what streamlit-folium needs, imported beforehand
    assert "streamlit.emojis" in imported  # what st.set_page_config's icon is checked against
    # Streamlit serves a component's files only if it was declared while a script runs: the
    # map's component (streamlit-folium) and the map's assets are declared in the first session.
    assert "streamlit_folium" not in imported
    assert "ykgeo.ui.assets" not in imported


_OPEN = """
import asyncio, json
from ykgeo.layers import _registry_from_texts_cached
from ykgeo.ui.startup import import_app

async def start():
    async with import_app(None):
        return _registry_from_texts_cached.cache_info().currsize

print(json.dumps(asyncio.run(start())))
"""


def test_start_up_opens_the_store_and_survives_a_missing_one(tmp_path: Path) -> None:
    from tests.conftest import app_build_store

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    store = app_build_store(tmp_path / "store.gpkg", parcels=20)
    for path, parsed in ((store, 1), (tmp_path / "missing.gpkg", 0)):
        done = subprocess.run(
            [sys.executable, "-c", _OPEN, "--store", str(path)],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        # the store's layer definitions parsed once, before any session asks for them
        assert json.loads(done.stdout.splitlines()[-1]) == parsed
    assert "missing.gpkg not opened at start" in done.stderr
