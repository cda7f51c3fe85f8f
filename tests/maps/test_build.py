"""The folium map: nothing outside localhost, basemaps only when enabled, data as text, styles, selection, English."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from tests.conftest import (
    APP_HOSTILE_NAME,
)
from tests.maps.conftest import (
    LAYERS,
    PARCELS,
    config_of,
    external_urls,
    html_of,
    layer_frames,
)
from ykgeo import maps


def test_map_html_references_nothing_outside_localhost(app_html: str) -> None:
    assert external_urls(app_html) == []
    for name in ("jsdelivr", "cdnjs", "jquery", "bootstrap", "fontawesome", "unpkg", "googleapis"):
        assert name not in app_html.lower()


def test_scripts_come_from_the_asset_url_and_exist(app_html: str) -> None:
    sources = re.findall(r'<script src="([^"]+)"', app_html)
    assert sources == ["assets/leaflet/leaflet.js", "assets/ykmap.js"]
    for src in sources:
        assert (maps.ASSET_DIR / src.removeprefix("assets/")).is_file()
    assert "<link" not in app_html  # stylesheets are inline
    assert ".leaflet-container" in app_html


def test_online_basemaps_only_when_enabled(app_small_store: Path) -> None:
    frames = layer_frames(app_small_store)
    settings = maps.MapSettings(online_basemaps=("osm", "amap"), tianditu_key="KEY123")
    html = html_of(frames, settings)
    hosts = {u.split("//", 1)[1].split("/", 1)[0] for u in external_urls(html)}
    assert "tile.openstreetmap.org" in hosts
    assert any("autonavi.com" in h for h in hosts)
    assert "KEY123" not in html  # 天地图 offered only when chosen or enabled
    html = html_of(
        frames, maps.MapSettings(online_basemaps=("tianditu_vec",), tianditu_key="KEY123")
    )
    assert "T=vec_w" in html and "T=cva_w" in html and "tk=KEY123" in html
    assert "T=img_w" not in html


def test_hostile_names_stay_text(app_small_store: Path) -> None:
    frames = layer_frames(app_small_store)
    evil = "</script><script>alert(2)</script>"
    parcels = frames["low_efficiency_industrial"].copy()
    parcels.iloc[1, parcels.columns.get_loc("企业名称")] = evil
    parcels.iloc[2, parcels.columns.get_loc("备注")] = "' onmouseover='alert(3)"
    frames["low_efficiency_industrial"] = parcels
    html = html_of(frames)
    assert APP_HOSTILE_NAME not in html
    assert evil not in html
    assert "onmouseover='" not in html
    assert "alert(2)" in html  # still there, as escaped text
    assert r"\u003cimg src=x onerror=alert(1)\u003e" in html
    # only the two asset scripts and the map's own script element
    assert html.count("<script") == 4
    # the JSON decodes back to the original text
    config = json.loads(re.search(r"YK\.init\(map_\w+, (\{.*\})\);", html).group(1))
    names = [f["t"] for layer in config["layers"] for f in layer["features"]]
    assert APP_HOSTILE_NAME in names and evil in names


def test_runtime_writes_data_as_text_only() -> None:
    source = (maps.ASSET_DIR / "ykmap.js").read_text(encoding="utf-8")
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)
    assert "innerHTML" not in source
    assert "insertAdjacentHTML" not in source
    assert "textContent" in source


def test_status_colours_and_legend(app_html: str) -> None:
    config = json.loads(re.search(r"YK\.init\(map_\w+, (\{.*\})\);", app_html).group(1))
    by_key = {layer["key"]: layer for layer in config["layers"]}
    parcels = by_key["low_efficiency_industrial"]
    colours = PARCELS.style.status_colors
    assert [e[0] for e in parcels["legend"]] == ["未启动", "推进中", "已完成"]
    assert [e[1] for e in parcels["legend"]] == [colours[s] for s in ("未启动", "推进中", "已完成")]
    for value, colour in colours.items():
        assert colour in app_html
        idx = [e[0] for e in parcels["legend"]].index(value) + 1
        assert parcels["styles"][idx]["fillColor"] == colour
    # every feature carries the index of its status's style
    statuses = {f["i"]: f["s"] for f in parcels["features"]}
    assert set(statuses.values()) <= {1, 2, 3}
    # styles are precomputed once per status, not per feature
    assert app_html.count('"fillColor"') < 40
    # roads: built sections solid and heavier, the rest dashed
    sections = by_key["road_sections"]
    built = sections["styles"][sections["legend"].index(["已建成", "#2e7d32", "line"]) + 1]
    building = sections["styles"][[e[0] for e in sections["legend"]].index("施工中") + 1]
    assert "dashArray" not in built and "dashArray" in building
    assert built["weight"] > building["weight"]
    # the legend control is part of the runtime the map loads
    assert "yk-legend" in (maps.ASSET_DIR / "ykmap.js").read_text(encoding="utf-8")
    # layers are grouped by theme for the layer control
    assert {layer["theme"] for layer in config["layers"]} >= {"土地", "水利", "交通", "参考"}


def test_filter_by_township_and_status(app_small_store: Path) -> None:
    frames = layer_frames(app_small_store)
    parcels = frames["low_efficiency_industrial"]
    towns = frames["townships"]
    area = towns[towns["镇街名称"] == "古山镇"].geometry.iloc[0]
    some = maps.filter_features(parcels, PARCELS, statuses=["已完成"], area=area)
    assert len(some) > 0
    assert set(some["状态"]) == {"已完成"}
    assert shapely.intersects(some.geometry.to_numpy(), area).all()
    expected = parcels[(parcels["状态"] == "已完成") & parcels.intersects(area)]
    assert sorted(some.index) == sorted(expected.index)


def test_focus_and_selection_in_config(app_small_store: Path) -> None:
    frames = layer_frames(app_small_store)
    layers = maps.plan_map_layers(frames, LAYERS, settings=maps.MapSettings())
    m = maps.build_map(
        layers,
        settings=maps.MapSettings(),
        focus=(120.0, 28.8, 120.1, 28.9),
        focus_token="古山镇:3",
        selected=maps.Selection(layer="low_efficiency_industrial", feature_id="DK000001"),
    )
    config = json.loads(re.search(r"YK\.init\(map_\w+, (\{.*\})\);", maps.map_html(m)).group(1))
    assert config["view"] == {"bounds": [[28.8, 120.0], [28.9, 120.1]], "token": "古山镇:3"}
    assert config["selected"] == {"layer": "low_efficiency_industrial", "id": "DK000001"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('yk:{"layer":"ponds","id":"P-1"}', maps.Selection(layer="ponds", feature_id="P-1")),
        ('yk:{"township":"古山镇"}', maps.Selection(township="古山镇")),
        ("yk:not json", None),
        ("低效工业用地 DK000001", None),
        (None, None),
        ('yk:["x"]', None),
    ],
)
def test_parse_selection(value: object, expected: maps.Selection | None) -> None:
    assert maps.parse_selection(value) == expected


def test_safe_json_escapes_markup_but_keeps_the_value() -> None:
    value = {"a": "</script><b>&'\u2028"}
    text = maps.safe_json(value)
    assert "<" not in text and ">" not in text and "&" not in text and "'" not in text
    assert "\u2028" not in text
    assert json.loads(text) == value


def test_english_map_words_and_layer_names(app_small_store: Path) -> None:
    settings = maps.MapSettings(language="en")
    html = html_of(layer_frames(app_small_store), settings)
    config = config_of(html)
    assert config["text"]["legend"] == "Legend" and config["text"]["layers"] == "Layers"
    names = {layer["key"]: layer["name"] for layer in config["layers"]}
    assert names["low_efficiency_industrial"] == PARCELS.name_en
    assert config["basemaps"][0]["name"] == maps.BASEMAPS_EN["offline"]
    # the data stay as they are
    parcels = next(x for x in config["layers"] if x["key"] == "low_efficiency_industrial")
    assert [e[0] for e in parcels["legend"]] == ["未启动", "推进中", "已完成"]
    assert config_of(html_of(layer_frames(app_small_store)))["text"]["legend"] == "图例"


def test_official_area_and_length_in_the_payload() -> None:
    """A 100 m × 100 m square (GK, EPSG:4549) stored in EPSG:4490 shows 15.00 亩; a 1 km line 1.000 km."""
    from ykgeo.ui.i18n import MESSAGES

    x, y = 505_000.0, 3_200_000.0
    square = gpd.GeoDataFrame(
        {"地块编号": ["SQ-1"], "企业名称": ["方块厂"], "状态": ["推进中"]},
        geometry=[shapely.box(x, y, x + 100, y + 100)],
        crs=4549,
    ).to_crs(4490)
    roads = LAYERS["road_sections"]
    line = gpd.GeoDataFrame(
        {roads.id_field: ["L-1"]},
        geometry=[shapely.LineString([(x, y), (x + 1000, y)])],
        crs=4549,
    ).to_crs(4490)
    html = html_of({"low_efficiency_industrial": square, "road_sections": line})
    by_key = {layer["key"]: layer for layer in config_of(html)["layers"]}
    parcels = by_key["low_efficiency_industrial"]
    area_label, length_label = MESSAGES["map.area_mu"][0], MESSAGES["map.length_km"][0]
    assert parcels["fields"][-1] == area_label == "面积（亩，椭球）"
    assert parcels["features"][0]["p"][-1] == "15.00"
    assert len(parcels["fields"]) - 1 in parcels["tip"]  # in the tooltip, not only the popup
    assert '"15.00"' in html
    sections = by_key["road_sections"]
    assert sections["fields"][-1] == length_label
    assert sections["features"][0]["p"][-1] == "1.000"
    # the same measure for the details beside the map, labelled from the message table in English
    assert maps.feature_measures(square, PARCELS) == ["15.00"]
    assert maps.measure_label(PARCELS, "en") == MESSAGES["map.area_mu"][1]
    assert maps.measure_label(roads, "en") == MESSAGES["map.length_km"][1] == "Length (km)"
    english = config_of(
        html_of({"low_efficiency_industrial": square}, maps.MapSettings(language="en"))
    )
    assert english["layers"][0]["fields"][-1] == "Area (mu, ellipsoidal)"
    # points have no measure; a frame without CRS gets none rather than a guess
    assert maps.measure_label(LAYERS["schools"]) is None
    assert maps.feature_measures(square.set_crs(None, allow_override=True), PARCELS) is None
