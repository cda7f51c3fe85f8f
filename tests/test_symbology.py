"""Tests for ykgeo.symbology: one symbol per status from the layer TOML, read by the web map and the QGIS styles."""

from __future__ import annotations

from tests._builders import layer_toml
from ykgeo.layers import load_layers, parse_layer
from ykgeo.maps import status_styles
from ykgeo.symbology import (
    FALLBACK_STATUS_COLOURS,
    REFERENCE_OUTLINE_COLOUR,
    UNKNOWN_STATUS_COLOUR,
    field_alias,
    label_visible,
    layer_symbols,
)

LAYERS = load_layers()


def test_parcels_take_their_status_colours_from_the_toml_in_vocabulary_order() -> None:
    spec = LAYERS["low_efficiency_industrial"]
    symbols = layer_symbols(spec)
    assert [s.value for s in symbols] == ["未启动", "推进中", "已完成", None]
    assert [s.colour for s in symbols[:-1]] == [
        spec.style.status_colors[v] for v in spec.status.values
    ]
    assert symbols[-1].colour == UNKNOWN_STATUS_COLOUR and symbols[-1].label == "其他或未填"
    assert {s.kind for s in symbols} == {"fill"}
    assert all(s.fill_opacity == spec.style.fill_opacity for s in symbols)


def test_roads_built_solid_and_heavier_under_construction_dashed_not_started_dotted() -> None:
    spec = LAYERS["road_projects"]
    by_value = {s.value: s for s in layer_symbols(spec)}
    built, building, planned = by_value["建成"], by_value["在建"], by_value["前期"]
    assert built.dash_px == () and built.width_px == spec.style.weight * 1.6
    assert building.dash_px == (10.0, 6.0) and building.width_px == spec.style.weight
    assert planned.dash_px == (2.0, 6.0)
    assert built.kind == building.kind == "line"


def test_reference_layers_are_outlines_boundary_solid_townships_dashed() -> None:
    (boundary,) = layer_symbols(LAYERS["city_boundary"])
    (towns,) = layer_symbols(LAYERS["townships"])
    for sym in (boundary, towns):
        assert not sym.has_fill and sym.stroke_colour == REFERENCE_OUTLINE_COLOUR
    assert boundary.dash_px == () and boundary.width_px == 2.5
    assert towns.dash_px == (6.0, 4.0) and towns.width_px == 1.2


def test_a_layer_without_colours_gets_the_early_to_late_ramp() -> None:
    text = layer_toml(
        "wells",
        name_zh="水井",
        theme="水利",
        geometry_type="Point",
        id_field="编号",
        fields=["编号", "状态"],
        statuses=("规划", "施工", "完工"),
    )
    symbols = layer_symbols(parse_layer(text, name="wells.toml"))
    assert [s.colour for s in symbols[:3]] == list(FALLBACK_STATUS_COLOURS[:3])
    assert symbols[0].kind == "marker" and symbols[0].stroke_colour == "#ffffff"


def test_the_web_map_draws_the_same_symbols() -> None:
    for key, spec in LAYERS.items():
        styles, legend, index = status_styles(spec)
        symbols = layer_symbols(spec)
        if spec.status is None:
            assert (
                styles[0]["fillColor" if spec.geometry_type != "LineString" else "color"]
                == symbols[0].colour
            )
            continue
        assert [row[1] for row in legend] == [s.colour for s in symbols[:-1]], key
        assert styles[0].get("fillColor", styles[0]["color"]) == UNKNOWN_STATUS_COLOUR, key
        assert list(index) == list(spec.status.values)


def test_aliases_add_the_unit_only_when_the_name_lacks_it() -> None:
    schools = LAYERS["schools"]
    assert field_alias(schools.field("班级数")) == "班级数（班）"
    assert (
        field_alias(LAYERS["low_efficiency_industrial"].field("用地面积（亩）")) == "用地面积（亩）"
    )
    assert field_alias(LAYERS["low_efficiency_industrial"].field("状态")) == "状态"


def test_labels_on_the_name_field_except_the_one_city_boundary() -> None:
    assert label_visible(LAYERS["low_efficiency_industrial"])
    assert label_visible(LAYERS["townships"])
    assert not label_visible(LAYERS["city_boundary"])
