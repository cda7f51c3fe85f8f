"""The web map's HTML built from small stores: helpers and the map of the app's small store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest

from ykgeo import maps
from ykgeo.layers import load_layers
from ykgeo.store import Store

LAYERS = load_layers()
PARCELS = LAYERS["low_efficiency_industrial"]
URL = re.compile(r"""(?:https?:)?//[^\s"'<>()\\]+""", re.IGNORECASE)
LOCAL = ("localhost", "127.0.0.1", "[::1]")
DATA_URL = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def layer_frames(store_path: Path) -> dict[str, gpd.GeoDataFrame]:
    store = Store(store_path)
    return {k: store.read_layer(k) for k in store.layer_keys() if store.count(k)}


def html_of(frames: dict[str, gpd.GeoDataFrame], settings: maps.MapSettings | None = None) -> str:
    settings = settings or maps.MapSettings()
    layers = maps.plan_map_layers(
        frames,
        LAYERS,
        settings=settings,
        townships=frames.get("townships"),
        township_name_field="镇街名称",
    )
    return maps.map_html(maps.build_map(layers, settings=settings))


@pytest.fixture(scope="module")
def app_html(app_small_store: Path) -> str:
    return html_of(layer_frames(app_small_store))


def external_urls(html: str) -> list[str]:
    found = []
    html = DATA_URL.sub("data:", html)  # base64 may hold "//": not a link
    for url in URL.findall(html):
        host = url.split("//", 1)[1].split("/", 1)[0].split(":", 1)[0].lower()
        if host not in LOCAL:
            found.append(url)
    return found


def config_of(html: str) -> dict:
    return json.loads(re.search(r"YK\.init\(map_\w+, (\{.*\})\);", html).group(1))
