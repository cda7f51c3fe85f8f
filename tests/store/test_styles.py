"""Layer styles in the store's ``layer_styles``: QML and SLD from layers/*.toml, as QGIS itself reads them."""

from __future__ import annotations

import shutil
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

from ykgeo.errors import StoreError
from ykgeo.layers import LayerSpec, load_layers
from ykgeo.store import DEMO_STORE, Edit, Store, layer_qml, layer_sld

LAYERS = load_layers()
PARCELS = "low_efficiency_industrial"
#: The columns the QGIS layer_styles table has (as QGIS 3.22 creates it).
QGIS_COLUMNS = [
    "id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
    "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
]  # fmt: skip
SE = "{http://www.opengis.net/se}"
OGC = "{http://www.opengis.net/ogc}"


def _rgba(colour: str, alpha: float) -> str:
    h = colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{round(alpha * 255)}"


def _expected_colours(spec: LayerSpec) -> list[tuple[str, str]]:
    """(status value, colour) as the TOML gives them, then QGIS's "all other values" in grey."""
    assert spec.status is not None
    return [(v, spec.style.status_colors[v]) for v in spec.status.values] + [("", "#9e9e9e")]


def _styles(path: Path) -> dict[str, tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT f_table_name, f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, owner "
            "FROM layer_styles"
        ).fetchall()
    return {r[0]: r for r in rows}


def _parcels() -> gpd.GeoDataFrame:
    boxes = [shapely.box(500000 + 300 * i, 3198000, 500100 + 300 * i, 3198100) for i in range(3)]
    return gpd.GeoDataFrame(
        {
            "地块编号": ["P1", "P2", "P3"],
            "企业名称": ["永康市甲五金有限公司", "永康市乙五金有限公司", "永康市丙五金有限公司"],
            "所属镇街": ["东城街道"] * 3,
            "状态": ["未启动", "推进中", "已完成"],
        },
        geometry=boxes,
        crs=4549,
    ).to_crs(4490)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    store = Store.create(tmp_path / "s.gpkg", layers=LAYERS)
    store.import_features(PARCELS, _parcels(), user="测试", source="测试")
    return store


# --- the table ------------------------------------------------------------------------------


def test_a_new_store_has_a_default_style_for_every_layer_in_qgis_table_shape(store: Store) -> None:
    with sqlite3.connect(store.path) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(layer_styles)")]
        contents = conn.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchone()
    assert columns == QGIS_COLUMNS
    assert contents == ("attributes",)  # registered, so GDAL and QGIS list and read it
    rows = _styles(store.path)
    assert set(rows) == set(store.layer_keys())
    for key, (_, geom, name, qml, sld, default, owner) in rows.items():
        assert (geom, name, default, owner) == ("geom", "ykgeo", 1, "ykgeo"), key
        assert ET.fromstring(qml.split("\n", 1)[1]).tag == "qgis"
        assert ET.fromstring(sld.split("\n", 1)[1]).get("version") == "1.1.0"


def test_the_qml_categorises_by_status_with_the_toml_colours_and_aliases_every_column() -> None:
    spec = LAYERS[PARCELS]
    root = ET.fromstring(layer_qml(spec).split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer is not None
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "状态"
    categories = [(c.get("value"), c.get("symbol")) for c in renderer.iter("category")]
    fills = {
        s.get("name"): next(o.get("value") for o in s.iter("Option") if o.get("name") == "color")
        for s in renderer.iter("symbol")
    }
    expected = _expected_colours(spec)
    assert [v for v, _ in categories] == [v for v, _ in expected]
    for (value, symbol), (_, colour) in zip(categories, expected, strict=True):
        assert fills[symbol] == _rgba(colour, spec.style.fill_opacity), value
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert set(aliases) == {"fid", "ykgeo_version", *spec.field_names}
    assert aliases["fid"] == "要素序号" and aliases["状态"] == "状态"
    text = root.find("labeling/settings/text-style")
    assert text is not None and text.get("fieldName") == spec.name_field == "企业名称"


def test_road_lines_built_solid_under_construction_dashed_in_qml_and_sld() -> None:
    spec = LAYERS["road_projects"]
    root = ET.fromstring(layer_qml(spec).split("\n", 1)[1])
    by_symbol = {s.get("name"): s for s in root.iter("symbol")}
    dashes = {}
    for category in root.iter("category"):
        options = {
            o.get("name"): o.get("value") for o in by_symbol[category.get("symbol")].iter("Option")
        }
        dashes[category.get("value")] = options["use_custom_dash"]
    assert dashes["建成"] == "0" and dashes["在建"] == "1" and dashes["前期"] == "1"
    sld = ET.fromstring(layer_sld(spec).split("\n", 1)[1])
    rules = {r.find(f"{SE}Name").text: r for r in sld.iter(f"{SE}Rule")}
    assert rules["建成"].find(f".//{SE}SvgParameter[@name='stroke-dasharray']") is None
    assert rules["在建"].find(f".//{SE}SvgParameter[@name='stroke-dasharray']").text == "10 6"
    assert rules["建成"].find(f".//{OGC}Literal").text == "建成"
    # the unknown statuses are spelt out (QGIS 3.22 reads no ElseFilter)
    other = rules["其他或未填"]
    assert other.find(f".//{OGC}PropertyIsNull") is not None
    assert {lit.text for lit in other.iter(f"{OGC}Literal")} == {"前期", "在建", "建成"}
    assert rules["标注"].find(f".//{SE}MaxScaleDenominator").text == "25000"


def test_townships_and_boundary_are_outlines() -> None:
    for key, dashed in (("townships", True), ("city_boundary", False)):
        root = ET.fromstring(layer_qml(LAYERS[key]).split("\n", 1)[1])
        renderer = root.find("renderer-v2")
        assert renderer is not None and renderer.get("type") == "singleSymbol"
        fill = {
            o.get("name"): o.get("value")
            for o in root.find(".//layer[@class='SimpleFill']").iter("Option")
        }
        assert fill["style"] == "no"
        line = root.find(".//layer[@class='SimpleLine']")
        assert (line is not None) == dashed, key
    assert (
        ET.fromstring(layer_qml(LAYERS["city_boundary"]).split("\n", 1)[1]).find("labeling") is None
    )


# --- old stores, users' own styles ----------------------------------------------------------------


def _drop_styles(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE layer_styles")
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'layer_styles'")


def test_a_store_made_before_styles_gets_them_with_its_next_write(store: Store) -> None:
    _drop_styles(store.path)
    store.apply_edits([Edit(PARCELS, "P1", {"状态": "推进中"})], user="测试")
    assert set(_styles(store.path)) == {PARCELS}
    assert store.write_styles() == len(store.layer_keys())
    assert set(_styles(store.path)) == set(store.layer_keys())


def test_a_refused_write_leaves_an_old_store_without_styles_exactly_as_it_was(store: Store) -> None:
    _drop_styles(store.path)
    before = store.path.read_bytes()
    with pytest.raises(StoreError, match="P9"):
        store.apply_edits([Edit(PARCELS, "P9", {"状态": "推进中"})], user="测试")
    assert store.path.read_bytes() == before


def test_write_styles_keeps_a_gis_users_own_default_style(store: Store) -> None:
    with sqlite3.connect(store.path) as conn:
        conn.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "styleName, styleQML, styleSLD, useAsDefault, description, owner) "
            "VALUES ('', '', ?, 'geom', '我的样式', '<qgis/>', '', 1, '', '')",
            (PARCELS,),
        )
        conn.execute(
            "UPDATE layer_styles SET useAsDefault = 0 WHERE owner = 'ykgeo' AND f_table_name = ?",
            (PARCELS,),
        )
    store.write_styles()
    with sqlite3.connect(store.path) as conn:
        rows = conn.execute(
            "SELECT styleName, useAsDefault FROM layer_styles WHERE f_table_name = ? ORDER BY styleName",
            (PARCELS,),
        ).fetchall()
    assert sorted(rows) == [("ykgeo", 0), ("我的样式", 1)]


# --- QGIS itself ----------------------------------------------------------------------------------


def test_qgis_opens_every_demo_layer_styled_as_the_definitions_say(
    qgis: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    path = tmp_path / "demo.gpkg"
    shutil.copy(DEMO_STORE, path)
    store = Store(path)
    seen = qgis(do="layers", path=str(path), layers=store.layer_keys())
    for key in store.layer_keys():
        spec, layer = store.spec(key), seen[key]
        assert layer["valid"] and layer["crs"] == "EPSG:4490", key
        assert layer["count"] == store.count(key), key
        assert layer["aliases"]["fid"] == "要素序号", key
        for f in spec.fields:
            assert layer["aliases"][f.name].startswith(f.name), (key, f.name)
        if spec.status is None:
            assert layer["renderer"] == "singleSymbol", key
            continue
        assert (
            layer["renderer"] == "categorizedSymbol" and layer["attribute"] == spec.status.field
        ), key
        got = [(c["value"], c["colour"]) for c in layer["categories"]]
        assert got == _expected_colours(spec), key
        assert [c["label"] for c in layer["categories"]][:-1] == list(spec.status.values)
        if spec.name_field and key != "city_boundary":
            assert layer["labels"] and layer["label_field"] == spec.name_field, key
    roads = {c["value"]: c["layers"][0] for c in seen["road_projects"]["categories"]}
    assert roads["建成"]["use_custom_dash"] == "0" and roads["在建"]["use_custom_dash"] == "1"
    towns = seen["townships"]["symbol"]["layers"]
    assert towns[0]["style"] == "no" and towns[1]["use_custom_dash"] == "1"
    assert seen["schools"]["aliases"]["班级数"] == "班级数（班）"


def test_qgis_renders_the_low_efficiency_layer_in_status_colours(
    qgis: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    """Draw the parcels with QGIS; the PNG (test-output/qgis/) was looked at when this was written."""
    from PIL import Image

    out = Path(__file__).resolve().parents[2] / "test-output" / "qgis"
    out.mkdir(parents=True, exist_ok=True)
    png = out / "low_efficiency_industrial.png"
    answer = qgis(do="render", path=str(DEMO_STORE), layers=[PARCELS, "townships"], png=str(png))
    assert answer == {"saved": True, "valid": [True, True]}
    image = Image.open(png).convert("RGB")
    colours = {c for _, c in image.getcolors(maxcolors=1_000_000)}
    # each status colour, as QGIS blends it (55 % over white), is on the map
    spec = LAYERS[PARCELS]
    for value, colour in spec.style.status_colors.items():
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        blended = tuple(round(255 + (c - 255) * spec.style.fill_opacity) for c in rgb)
        assert any(
            all(abs(a - b) <= 3 for a, b in zip(blended, px, strict=True)) for px in colours
        ), value
