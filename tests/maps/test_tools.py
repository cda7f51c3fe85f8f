"""The map's tools: measuring on the ellipsoid, what the browser reports back, search, and the tools' offline assets."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from tests.maps.conftest import LAYERS, PARCELS, external_urls, html_of, layer_frames
from ykgeo import maps
from ykgeo.crs import CGCS2000, GK_CM120
from ykgeo.store import Store


def _gk_square_4490(x: float, y: float, size: float) -> shapely.Geometry:
    square = gpd.GeoSeries([shapely.box(x, y, x + size, y + size)], crs=GK_CM120)
    return square.to_crs(CGCS2000).iloc[0]


def test_measure_gives_ellipsoidal_mu_and_km() -> None:
    # a 100 m × 100 m square on the central meridian of EPSG:4549 is 15 亩 to about 1e-6
    square = _gk_square_4490(500_000 - 50, 3_200_000, 100)
    result = maps.measure(square)
    assert result.kind == "area"
    assert result.area_mu == pytest.approx(15.0, rel=1e-5)
    assert result.length_km == pytest.approx(0.4, rel=1e-4)
    line = maps.measure(shapely.LineString([(120.0, 28.9), (120.0, 29.0)]))
    assert line.kind == "line" and line.area_mu == 0.0
    assert line.length_km == pytest.approx(11.088, abs=0.01)  # 0.1° of latitude at 29°N


def test_parse_drawing_reads_measurements_and_print_requests() -> None:
    polygon = {
        "type": "Polygon",
        "coordinates": [[[120, 28.9], [120.01, 28.9], [120.01, 28.91], [120, 28.9]]],
    }
    got = maps.parse_drawing(
        {"type": "Feature", "properties": {"yk": "measure", "n": 3}, "geometry": polygon}
    )
    assert isinstance(got, maps.Measurement) and got.nonce == 3 and got.area_mu > 0
    box = {
        "type": "Polygon",
        "coordinates": [[[120, 28.9], [120.1, 28.9], [120.1, 29], [120, 29], [120, 28.9]]],
    }
    request = maps.parse_drawing(
        {
            "type": "Feature",
            "properties": {"yk": "print", "n": 1, "hidden": ["reservoirs"]},
            "geometry": box,
        }
    )
    assert isinstance(request, maps.PrintRequest)
    assert request.bounds == (120.0, 28.9, 120.1, 29.0) and request.hidden == ("reservoirs",)
    for junk in (None, "x", {"properties": {"yk": "measure"}}, {"properties": {}, "geometry": box}):
        assert maps.parse_drawing(junk) is None


def test_search_by_id_and_name(app_small_store: Path) -> None:
    frames = layer_frames(app_small_store)
    hits = maps.search_features(frames, LAYERS, "dk000012")
    assert hits["id"].tolist()[:1] == ["DK000012"] and hits["layer"].iloc[0] == PARCELS.key
    by_name = maps.search_features(frames, LAYERS, "第12五金厂")
    assert "DK000012" in by_name["id"].tolist() and by_name["field"].iloc[0] == "企业名称"
    roads = maps.search_features(frames, LAYERS, "南四环")
    assert "DL-01" in roads["id"].tolist()
    assert maps.search_features(frames, LAYERS, "  ").empty
    assert Store(app_small_store).count(PARCELS.key) > 0


def test_tools_load_vendored_plugins_and_nothing_else(app_small_store: Path) -> None:
    frames = layer_frames(app_small_store)
    html = html_of(frames, maps.MapSettings(tools=("fullscreen", "measure", "print")))
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert sources == [
        "assets/leaflet/leaflet.js",
        "assets/leaflet-fullscreen/Control.FullScreen.min.js",
        "assets/leaflet-draw/leaflet.draw.js",
        "assets/ykmap.js",
    ]
    for src in sources:
        path = maps.ASSET_DIR / src.removeprefix("assets/")
        assert path.is_file()
        head = path.read_text(encoding="utf-8")[:400]
        assert (
            src.endswith("ykmap.js") or "leaflet.js" in src or "(c)" in head.lower()
        )  # licence header
    assert external_urls(html) == []
    # the plugins' images come from the app's own copy of the plugin
    assert "url('assets/leaflet-draw/images/spritesheet.svg')" in html
    assert '"tools":{"fullscreen":true,"measure":true,"print":true}' in html
    assert "control_scale" not in html and "imperial" not in html  # the runtime adds a metric scale
