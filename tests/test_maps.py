"""ykgeo.maps: the generated map HTML is offline, escaped, coloured by status, has a legend, and stays small."""

from __future__ import annotations

import base64
import io
import json
import re
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import APP_HOSTILE_NAME, app_parcel_frame, app_township_frame, app_write_landcover

from ykgeo import maps
from ykgeo.errors import RasterError
from ykgeo.layers import load_layers
from ykgeo.store import Store

LAYERS = load_layers()
PARCELS = LAYERS["low_efficiency_industrial"]
URL = re.compile(r"""(?:https?:)?//[^\s"'<>()\\]+""", re.IGNORECASE)
LOCAL = ("localhost", "127.0.0.1", "[::1]")
DATA_URL = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def _frames(store_path: Path) -> dict[str, gpd.GeoDataFrame]:
    store = Store(store_path)
    return {k: store.read_layer(k) for k in store.layer_keys() if store.count(k)}


def _html(frames: dict[str, gpd.GeoDataFrame], settings: maps.MapSettings | None = None) -> str:
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
    return _html(_frames(app_small_store))


def _external_urls(html: str) -> list[str]:
    found = []
    html = DATA_URL.sub("data:", html)  # base64 may hold "//": not a link
    for url in URL.findall(html):
        host = url.split("//", 1)[1].split("/", 1)[0].split(":", 1)[0].lower()
        if host not in LOCAL:
            found.append(url)
    return found


def test_map_html_references_nothing_outside_localhost(app_html: str) -> None:
    assert _external_urls(app_html) == []
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
    frames = _frames(app_small_store)
    settings = maps.MapSettings(online_basemaps=("osm", "amap"), tianditu_key="KEY123")
    html = _html(frames, settings)
    hosts = {u.split("//", 1)[1].split("/", 1)[0] for u in _external_urls(html)}
    assert "tile.openstreetmap.org" in hosts
    assert any("autonavi.com" in h for h in hosts)
    assert "KEY123" not in html  # 天地图 offered only when chosen or enabled
    html = _html(frames, maps.MapSettings(online_basemaps=("tianditu_vec",), tianditu_key="KEY123"))
    assert "T=vec_w" in html and "T=cva_w" in html and "tk=KEY123" in html
    assert "T=img_w" not in html


def test_hostile_names_stay_text(app_small_store: Path) -> None:
    frames = _frames(app_small_store)
    evil = "</script><script>alert(2)</script>"
    parcels = frames["low_efficiency_industrial"].copy()
    parcels.iloc[1, parcels.columns.get_loc("企业名称")] = evil
    parcels.iloc[2, parcels.columns.get_loc("备注")] = "' onmouseover='alert(3)"
    frames["low_efficiency_industrial"] = parcels
    html = _html(frames)
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


def _decode(layer: dict, feature: dict) -> list:
    """Python mirror of ykmap.js decodeFeatures for one geometry."""
    ox, oy = layer["origin"]
    scale = layer["scale"]

    def line(flat: list[int]) -> list[tuple[float, float]]:
        xy = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0)
        return [(ox + x / scale, oy + y / scale) for x, y in xy.tolist()]

    g = feature["g"]
    if layer["gtype"] == "Point":
        return [(ox + g[0] / scale, oy + g[1] / scale)]
    if layer["gtype"] == "MultiLineString":
        return [line(r) for r in g]
    return [[line(r) for r in poly] for poly in g]


def test_encoded_geometry_round_trips_to_a_tenth_of_a_metre(app_small_store: Path) -> None:
    frames = _frames(app_small_store)
    parcels = frames["low_efficiency_industrial"]
    prepared = maps.prepare_layer(parcels, PARCELS, tolerance_deg=0.0)
    meta = {"origin": prepared.origin, "scale": prepared.scale, "gtype": prepared.geometry_type}
    features = json.loads(prepared.features_json)
    for feature in features[:50]:
        polys = _decode(meta, feature)
        decoded = shapely.MultiPolygon([shapely.Polygon(p[0], p[1:]) for p in polys])
        original = parcels.loc[feature["i"]].geometry
        assert shapely.hausdorff_distance(decoded, original) < 1e-6


def test_payload_for_100k_parcels_stays_small() -> None:
    parcels = app_parcel_frame(100_000, seed=7)
    towns = app_township_frame()
    frames = {"townships": towns, "low_efficiency_industrial": parcels}
    start = time.perf_counter()
    html = _html(frames)
    seconds = time.perf_counter() - start
    size = len(html.encode("utf-8"))
    assert size < 5 * 1024 * 1024, size
    assert size < 200 * 1024  # aggregated by township: far less than the budget
    assert seconds < 20
    config = json.loads(re.search(r"YK\.init\(map_\w+, (\{.*\})\);", html).group(1))
    parcels_layer = next(x for x in config["layers"] if x["key"] == "low_efficiency_industrial")
    assert parcels_layer["kind"] == "aggregate"
    assert parcels_layer["total"] == 100_000
    totals = sum(int(f["p"][0].replace(",", "")) for f in parcels_layer["features"])
    assert totals == 100_000
    # narrowed to one township the parcels themselves are drawn, still within the budget
    area = towns.geometry.iloc[3]
    one = maps.filter_features(parcels, PARCELS, area=area)
    html = _html({"townships": towns, "low_efficiency_industrial": one})
    assert len(html.encode("utf-8")) < 5 * 1024 * 1024
    config = json.loads(re.search(r"YK\.init\(map_\w+, (\{.*\})\);", html).group(1))
    drawn = next(x for x in config["layers"] if x["key"] == "low_efficiency_industrial")
    assert drawn["kind"] == "features" and drawn["count"] == len(one) > 5000


def test_budget_keeps_small_layers_detailed() -> None:
    parcels = app_parcel_frame(2_000, seed=3)
    settings = maps.MapSettings(feature_budget=1_000)
    frames = {"townships": app_township_frame(), "low_efficiency_industrial": parcels}
    layers = maps.plan_map_layers(
        frames,
        LAYERS,
        settings=settings,
        townships=frames["townships"],
        township_name_field="镇街名称",
    )
    kinds = {lay.key: lay.kind for lay in layers}
    assert kinds == {"townships": "reference", "low_efficiency_industrial": "aggregate"}
    layers = maps.plan_map_layers(frames, LAYERS, settings=maps.MapSettings(), townships=None)
    assert {lay.key: lay.kind for lay in layers}["low_efficiency_industrial"] == "features"


def test_filter_by_township_and_status(app_small_store: Path) -> None:
    frames = _frames(app_small_store)
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
    frames = _frames(app_small_store)
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


# --- raster overlays --------------------------------------------------------------------------


def _config(html: str) -> dict:
    return json.loads(re.search(r"YK\.init\(map_\w+, (\{.*\})\);", html).group(1))


@pytest.fixture(scope="module")
def app_raster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("app_raster")
    return app_write_landcover(folder / "rasters" / "landcover_test.tif", label=APP_HOSTILE_NAME)


def test_raster_overlay_is_in_the_map_offline_with_its_legend(
    app_small_store: Path, app_raster: Path
) -> None:
    from PIL import Image

    raster = maps.prepare_raster(app_raster)
    assert raster.key == "raster:landcover_test.tif" and raster.name == "地类（测试）"
    assert raster.visible is False  # off unless chosen
    assert [e[0] for e in raster.legend] == ["耕地", "林地", APP_HOSTILE_NAME]
    assert [e[1] for e in raster.legend] == ["#f3e07a", "#1b7a3e", "#d9412b"]
    settings = maps.MapSettings()
    frames = _frames(app_small_store)
    layers = maps.plan_map_layers(frames, LAYERS, settings=settings)
    html = maps.map_html(maps.build_map(layers, settings=settings, rasters=[raster]))
    # offline: the image travels inside the map as a PNG data URL, nothing else is linked
    assert _external_urls(html) == []
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["assets/leaflet/leaflet.js", "assets/ykmap.js"]
    config = _config(html)
    (overlay,) = config["rasters"]
    assert overlay["key"] == raster.key and overlay["visible"] is False
    assert overlay["url"].startswith("data:image/png;base64,")
    png = base64.b64decode(overlay["url"].split(",", 1)[1])
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    assert image.size[0] == 200 or image.size[1] == 200  # never upsampled beyond the source
    colours = {c[:3] for n, c in image.getcolors(1 << 16) if c[3] == 255}
    assert colours == {(243, 224, 122), (27, 122, 62), (217, 65, 43)}  # classes kept exactly
    # reprojected for display: the bounds are the raster's in lat/lon, Leaflet order
    (south, west), (north, east) = overlay["bounds"]
    assert south == pytest.approx(28.78, abs=1e-6) and north == pytest.approx(29.06, abs=1e-6)
    assert west == pytest.approx(119.90, abs=1e-6) and east == pytest.approx(120.30, abs=1e-6)
    # the legend text is in the page, as JSON text only (escaped), and decodes unchanged
    assert "耕地" in html and "林地" in html
    assert APP_HOSTILE_NAME not in html
    assert r"\u003cimg src=x onerror=alert(1)\u003e" in html
    assert overlay["legend"] == [list(e) for e in raster.legend]
    assert html.count("<script") == 4
    # chosen by the planner: on when the map opens
    shown = maps.prepare_raster(app_raster, visible=True, language="en")
    config = _config(maps.map_html(maps.build_map([], settings=settings, rasters=[shown])))
    assert config["rasters"][0]["visible"] is True and config["rasters"][0]["theme"] == "Rasters"


def test_runtime_draws_rasters_as_switchable_image_layers() -> None:
    source = (maps.ASSET_DIR / "ykmap.js").read_text(encoding="utf-8")
    assert "L.imageOverlay" in source and "cfg.rasters" in source
    assert 'createPane("ykRaster")' in source  # under the features, above the tiles


def test_raster_payload_stays_small(app_raster: Path, tmp_path: Path) -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import from_bounds

    # a 3000 x 3000 float DEM in GK CM 120°E: drawn at most 1024 px a side, as a ramp
    dem = tmp_path / "dem.tif"
    y, x = np.mgrid[0:3000, 0:3000]
    z = (200 + 150 * np.sin(x / 300) * np.cos(y / 400) + x / 20).astype("float32")
    with rasterio.open(
        dem, "w", driver="GTiff", width=3000, height=3000, count=1, dtype="float32",
        crs="EPSG:4549", transform=from_bounds(480_000, 3_180_000, 510_000, 3_210_000, 3000, 3000),
    ) as dst:  # fmt: skip
        dst.write(z, 1)
        dst.update_tags(YKGEO_KIND="dem")
    raster = maps.prepare_raster(dem)
    assert not raster.categorical
    assert len(raster.legend) == 5
    png = base64.b64decode(raster.image_url.split(",", 1)[1])
    from PIL import Image

    assert max(Image.open(io.BytesIO(png)).size) <= 1024
    assert raster.payload_bytes < 1_000_000, raster.payload_bytes
    # a raster off the display area is refused with a clear message
    with pytest.raises(RasterError, match="没有重叠"):
        maps.prepare_raster(app_raster, bounds_4490=(100.0, 20.0, 100.1, 20.1))


def test_raster_sources_are_the_tifs_beside_the_store(app_raster: Path, tmp_path: Path) -> None:
    store = app_raster.parent.parent / "store.gpkg"
    (app_raster.parent / "notes.csv").write_text("x", encoding="utf-8")
    assert list(maps.raster_sources(store)) == ["landcover_test.tif"]
    assert maps.raster_title(app_raster) == "地类（测试）"
    assert maps.raster_sources(tmp_path / "store.gpkg") == {}
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff")
    assert maps.raster_title(broken) == ""


def test_english_map_words_and_layer_names(app_small_store: Path) -> None:
    settings = maps.MapSettings(language="en")
    html = _html(_frames(app_small_store), settings)
    config = _config(html)
    assert config["text"]["legend"] == "Legend" and config["text"]["layers"] == "Layers"
    names = {layer["key"]: layer["name"] for layer in config["layers"]}
    assert names["low_efficiency_industrial"] == PARCELS.name_en
    assert config["basemaps"][0]["name"] == maps.BASEMAPS_EN["offline"]
    # the data stay as they are
    parcels = next(x for x in config["layers"] if x["key"] == "low_efficiency_industrial")
    assert [e[0] for e in parcels["legend"]] == ["未启动", "推进中", "已完成"]
    assert _config(_html(_frames(app_small_store)))["text"]["legend"] == "图例"


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
    html = _html({"low_efficiency_industrial": square, "road_sections": line})
    by_key = {layer["key"]: layer for layer in _config(html)["layers"]}
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
    english = _config(_html({"low_efficiency_industrial": square}, maps.MapSettings(language="en")))
    assert english["layers"][0]["fields"][-1] == "Area (mu, ellipsoidal)"
    # points have no measure; a frame without CRS gets none rather than a guess
    assert maps.measure_label(LAYERS["schools"]) is None
    assert maps.feature_measures(square.set_crs(None, allow_override=True), PARCELS) is None
