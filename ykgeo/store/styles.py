"""QGIS (QML) and SLD styles of the layers, written to a GeoPackage's ``layer_styles`` table as QGIS does."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ykgeo.layers import LayerSpec
from ykgeo.symbology import LayerSymbol, field_alias, label_visible, layer_symbols

__all__ = [
    "LABEL_FONT",
    "STYLE_NAME",
    "STYLE_OWNER",
    "StyleRow",
    "layer_qml",
    "layer_sld",
    "missing_styles",
    "qml_element",
    "style_rows",
    "write_layer_styles",
]

#: The name and owner of the styles ykgeo writes; a GIS user's own styles are never touched.
STYLE_NAME = "ykgeo"
STYLE_OWNER = "ykgeo"
#: Label font: Noto Sans CJK SC (Debian fonts-noto-cjk); Qt falls back to the system's CJK font elsewhere.
LABEL_FONT = "Noto Sans CJK SC"
#: Labels of the thematic layers appear from this scale on (1:25 000 and larger); townships always.
LABEL_MIN_SCALE = 25000
_PX_MM = 25.4 / 96  # one CSS pixel of the web map, in millimetres
_QGIS_VERSION = "3.22.16-Białowieża"  # the oldest QGIS these styles are tested with (Debian 12)
_GEOMETRY_CODES = {"Point": "0", "LineString": "1", "Polygon": "2"}
#: Columns of the store that are not in the layer definitions, with their Chinese names.
SYSTEM_ALIASES = {"fid": "要素序号", "ykgeo_version": "版本号"}
_LAYER_STYLES_DDL = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""
_SE = "http://www.opengis.net/se"
_OGC = "http://www.opengis.net/ogc"
_SLD = "http://www.opengis.net/sld"


def _rgba(colour: str, alpha: float = 1.0) -> str:
    h = colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _mm(px: float) -> str:
    return f"{px * _PX_MM:.4g}"


# --- QML ----------------------------------------------------------------------------------


def _options(layer: ET.Element, props: dict[str, str]) -> None:
    """Symbol-layer properties in both forms QGIS reads: ``<Option>`` (3.x) and ``<prop>`` (older)."""
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in props.items():
        ET.SubElement(options, "Option", name=key, type="QString", value=value)
    for key, value in props.items():
        ET.SubElement(layer, "prop", k=key, v=value)


def _symbol_layer(symbol: ET.Element, cls: str, props: dict[str, str]) -> None:
    layer = ET.SubElement(
        symbol, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"}
    )
    _options(layer, props)


def _line_props(
    colour: str, opacity: float, width_px: float, dash_px: Sequence[float]
) -> dict[str, str]:
    return {
        "line_color": _rgba(colour, opacity),
        "line_style": "solid",
        "line_width": _mm(width_px),
        "line_width_unit": "MM",
        "capstyle": "flat" if dash_px else "round",
        "joinstyle": "round",
        "use_custom_dash": "1" if dash_px else "0",
        "customdash": ";".join(_mm(d) for d in dash_px) if dash_px else "5;2",
        "customdash_unit": "MM",
    }


def _symbol_xml(name: str, sym: LayerSymbol) -> ET.Element:
    symbol = ET.Element(
        "symbol", name=name, type=sym.kind, alpha="1", clip_to_extent="1", force_rhr="0"
    )
    if sym.kind == "line":
        _symbol_layer(
            symbol,
            "SimpleLine",
            _line_props(sym.colour, sym.stroke_opacity, sym.width_px, sym.dash_px),
        )
    elif sym.kind == "marker":
        _symbol_layer(
            symbol,
            "SimpleMarker",
            {
                "name": "circle",
                "color": _rgba(sym.colour, sym.fill_opacity),
                "outline_color": _rgba(sym.stroke_colour),
                "outline_style": "solid",
                "outline_width": _mm(sym.width_px),
                "outline_width_unit": "MM",
                "size": _mm(2 * sym.radius_px),
                "size_unit": "MM",
                "scale_method": "diameter",
            },
        )
    else:
        # SimpleFill draws only Qt's fixed dashes: a dashed outline is a SimpleLine of its own
        _symbol_layer(
            symbol,
            "SimpleFill",
            {
                "color": _rgba(sym.colour, sym.fill_opacity),
                "style": "solid" if sym.has_fill else "no",
                "outline_color": _rgba(sym.stroke_colour, sym.stroke_opacity),
                "outline_style": "no" if sym.dash_px else "solid",
                "outline_width": _mm(sym.width_px),
                "outline_width_unit": "MM",
                "joinstyle": "round",
            },
        )
        if sym.dash_px:
            _symbol_layer(
                symbol,
                "SimpleLine",
                _line_props(sym.stroke_colour, sym.stroke_opacity, sym.width_px, sym.dash_px),
            )
    return symbol


def _renderer(spec: LayerSpec) -> ET.Element:
    symbols = layer_symbols(spec)
    common = {"symbollevels": "0", "forceraster": "0", "enableorderby": "0"}
    if spec.status is None:
        renderer = ET.Element("renderer-v2", {"type": "singleSymbol", **common})
        ET.SubElement(renderer, "symbols").append(_symbol_xml("0", symbols[0]))
        return renderer
    renderer = ET.Element(
        "renderer-v2", {"type": "categorizedSymbol", "attr": spec.status.field, **common}
    )
    categories = ET.SubElement(renderer, "categories")
    holder = ET.SubElement(renderer, "symbols")
    for i, sym in enumerate(symbols):
        # value "" is QGIS's "all other values" category: the missing or unknown statuses
        ET.SubElement(
            categories,
            "category",
            value=sym.value or "",
            label=sym.label,
            symbol=str(i),
            render="true",
        )
        holder.append(_symbol_xml(str(i), sym))
    return renderer


def _labeling(spec: LayerSpec) -> ET.Element:
    town = spec.key == "townships"
    labeling = ET.Element("labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    text = ET.SubElement(
        settings,
        "text-style",
        fieldName=spec.name_field,
        isExpression="0",
        fontFamily=LABEL_FONT,
        fontSize="10" if town else "8",
        fontSizeUnit="Point",
        fontWeight="75" if town else "50",
        namedStyle="Bold" if town else "Regular",
        textColor="38,50,56,255" if town else "33,33,33,255",
        textOpacity="1",
    )
    ET.SubElement(
        text,
        "text-buffer",
        bufferDraw="1",
        bufferSize="0.8",
        bufferSizeUnits="MM",
        bufferColor="255,255,255,255",
        bufferOpacity="0.85",
    )
    ET.SubElement(settings, "text-format", multilineAlign="3", wrapChar="", autoWrapLength="0")
    # polygons: horizontal around the centroid (0) / over it (1); lines: parallel (2); points: cartographic (6)
    placement = {"Polygon": "0" if town else "1", "LineString": "2", "Point": "6"}[
        spec.geometry_type
    ]
    ET.SubElement(
        settings,
        "placement",
        placement=placement,
        dist="1",
        distUnits="MM",
        placementFlags="10",
        centroidInside="1",
        fitInPolygonOnly="0",
        priority="9" if town else "5",
    )
    ET.SubElement(
        settings,
        "rendering",
        scaleVisibility="0" if town else "1",
        # QGIS 3.22 reads scaleMax as the minimum scale (the most zoomed-out one labels show at)
        scaleMin="0",
        scaleMax="0" if town else str(LABEL_MIN_SCALE),
        obstacle="1",
        drawLabels="1",
        displayAll="0",
        labelPerPart="0",
        mergeLines="1" if spec.geometry_type == "LineString" else "0",
        limitNumLabels="0",
        maxNumLabels="2000",
        upsidedownLabels="0",
        zIndex="0",
    )
    return labeling


def _columns(spec: LayerSpec, columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    return ["fid", *spec.field_names, "ykgeo_version"]


def qml_element(
    spec: LayerSpec, *, columns: Sequence[str] | None = None, read_only: bool = False
) -> ET.Element:
    """The QGIS style of a layer as an XML element (``<qgis>``), for a QML file or a project's ``<maplayer>``.

    Parameters
    ----------
    spec
        The layer definition: renderer (categorised by status with the map's colours, or one
        symbol), labels on its name field and Chinese field aliases.
    columns
        The table's columns in order (default: the store's: ``fid``, the layer's fields,
        ``ykgeo_version``); aliases are given for each.
    read_only
        Mark the layer read-only (the store's tables: edits go through ykgeo and its log).
    """
    labelled = label_visible(spec)
    root = ET.Element(
        "qgis",
        version=_QGIS_VERSION,
        styleCategories="AllStyleCategories",
        labelsEnabled="1" if labelled else "0",
        readOnly="1" if read_only else "0",
        hasScaleBasedVisibilityFlag="0",
        minScale="0",
        maxScale="0",
    )
    flags = ET.SubElement(root, "flags")
    for name, value in (
        ("Identifiable", "1"),
        ("Removable", "1"),
        ("Searchable", "1"),
        ("Private", "0"),
    ):
        ET.SubElement(flags, name).text = value
    root.append(_renderer(spec))
    if labelled:
        root.append(_labeling(spec))
    names = _columns(spec, columns)
    aliases = {f.name: field_alias(f) for f in spec.fields} | SYSTEM_ALIASES
    config = ET.SubElement(root, "fieldConfiguration")
    alias_el = ET.SubElement(root, "aliases")
    for i, name in enumerate(names):
        ET.SubElement(config, "field", name=name, configurationFlags="None")
        ET.SubElement(alias_el, "alias", field=name, name=aliases.get(name, name), index=str(i))
    ET.SubElement(root, "previewExpression").text = f'"{spec.name_field or spec.id_field}"'
    ET.SubElement(root, "layerGeometryType").text = _GEOMETRY_CODES[spec.geometry_type]
    return root


def layer_qml(
    spec: LayerSpec, *, columns: Sequence[str] | None = None, read_only: bool = False
) -> str:
    """The QML document of a layer's style (see :func:`qml_element`)."""
    root = qml_element(spec, columns=columns, read_only=read_only)
    ET.indent(root, " ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode"
    )


# --- SLD (Symbology Encoding 1.1) ---------------------------------------------------------


def _se(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{_SE}}}{tag}", attrs)
    if text is not None:
        el.text = text
    return el


def _ogc(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, f"{{{_OGC}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _param(parent: ET.Element, name: str, value: str) -> None:
    _se(parent, "SvgParameter", value, name=name)


def _stroke(
    parent: ET.Element, colour: str, opacity: float, width_px: float, dash_px: Sequence[float]
) -> None:
    stroke = _se(parent, "Stroke")
    _param(stroke, "stroke", colour)
    _param(stroke, "stroke-opacity", f"{opacity:g}")
    _param(stroke, "stroke-width", f"{width_px:g}")
    _param(stroke, "stroke-linejoin", "round")
    if dash_px:
        _param(stroke, "stroke-dasharray", " ".join(f"{d:g}" for d in dash_px))


def _fill(parent: ET.Element, colour: str, opacity: float) -> None:
    fill = _se(parent, "Fill")
    _param(fill, "fill", colour)
    _param(fill, "fill-opacity", f"{opacity:g}")


def _sld_symbolizer(rule: ET.Element, sym: LayerSymbol) -> None:
    if sym.kind == "line":
        _stroke(
            _se(rule, "LineSymbolizer"), sym.colour, sym.stroke_opacity, sym.width_px, sym.dash_px
        )
    elif sym.kind == "marker":
        graphic = _se(_se(rule, "PointSymbolizer"), "Graphic")
        mark = _se(graphic, "Mark")
        _se(mark, "WellKnownName", "circle")
        _fill(mark, sym.colour, sym.fill_opacity)
        _stroke(mark, sym.stroke_colour, 1.0, sym.width_px, ())
        _se(graphic, "Size", f"{2 * sym.radius_px:g}")
    else:
        polygon = _se(rule, "PolygonSymbolizer")
        if sym.has_fill:
            _fill(polygon, sym.colour, sym.fill_opacity)
        _stroke(polygon, sym.stroke_colour, sym.stroke_opacity, sym.width_px, sym.dash_px)


def _sld_filter(rule: ET.Element, field: str, symbol: LayerSymbol, values: Sequence[str]) -> None:
    filt = _ogc(rule, "Filter")
    if symbol.value is not None:
        equal = _ogc(filt, "PropertyIsEqualTo")
        _ogc(equal, "PropertyName", field)
        _ogc(equal, "Literal", symbol.value)
        return
    # the unknown statuses, spelt out: not every SLD reader knows ElseFilter (QGIS 3.22 does not)
    either = _ogc(filt, "Or")
    _ogc(_ogc(either, "PropertyIsNull"), "PropertyName", field)
    none_of = _ogc(_ogc(either, "Not"), "Or") if len(values) > 1 else _ogc(either, "Not")
    for value in values:
        equal = _ogc(none_of, "PropertyIsEqualTo")
        _ogc(equal, "PropertyName", field)
        _ogc(equal, "Literal", value)


def layer_sld(spec: LayerSpec) -> str:
    """The layer's style as an SLD 1.1 document (Symbology Encoding), for GeoServer, ArcGIS and others."""
    ET.register_namespace("se", _SE)
    ET.register_namespace("ogc", _OGC)
    ET.register_namespace("", _SLD)
    root = ET.Element(f"{{{_SLD}}}StyledLayerDescriptor", version="1.1.0")
    named = ET.SubElement(root, f"{{{_SLD}}}NamedLayer")
    _se(named, "Name", spec.key)
    user = ET.SubElement(named, f"{{{_SLD}}}UserStyle")
    _se(user, "Name", spec.name_zh)
    fts = _se(user, "FeatureTypeStyle")
    for sym in layer_symbols(spec):
        rule = _se(fts, "Rule")
        _se(rule, "Name", sym.label)
        _se(_se(rule, "Description"), "Title", sym.label)
        if spec.status is not None:
            _sld_filter(rule, spec.status.field, sym, spec.status.values)
        _sld_symbolizer(rule, sym)
    if label_visible(spec):
        town = spec.key == "townships"
        rule = _se(fts, "Rule")
        _se(rule, "Name", "标注")
        if not town:
            _se(rule, "MaxScaleDenominator", str(LABEL_MIN_SCALE))
        text = _se(rule, "TextSymbolizer")
        _ogc(_se(text, "Label"), "PropertyName", spec.name_field)
        font = _se(text, "Font")
        _param(font, "font-family", LABEL_FONT)
        _param(font, "font-size", "13" if town else "11")
        halo = _se(text, "Halo")
        _se(halo, "Radius", "2")
        _fill(halo, "#ffffff", 0.85)
        _fill(text, "#263238" if town else "#212121", 1.0)
    ET.indent(root, " ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --- the layer_styles table ---------------------------------------------------------------


@dataclass(frozen=True)
class StyleRow:
    """One row of ``layer_styles``: a table's default style."""

    table: str
    geometry_column: str
    qml: str
    sld: str
    description: str


def style_rows(
    specs: Iterable[LayerSpec],
    *,
    geometry_column: str = "geom",
    columns: dict[str, Sequence[str]] | None = None,
    read_only: bool = False,
) -> list[StyleRow]:
    """The default style of each layer, for :func:`write_layer_styles`."""
    return [
        StyleRow(
            table=spec.key,
            geometry_column=geometry_column,
            qml=layer_qml(spec, columns=(columns or {}).get(spec.key), read_only=read_only),
            sld=layer_sld(spec),
            description=f"{spec.name_zh}：ykgeo 按图层定义生成（状态配色与应用一致）",
        )
        for spec in specs
    ]


def write_layer_styles(
    conn: sqlite3.Connection, rows: Iterable[StyleRow], *, update_time: str, replace: bool = True
) -> int:
    """Write styles to ``layer_styles`` (created and registered as QGIS does) as the tables' defaults.

    Only rows named and owned ``ykgeo`` are replaced; a style a GIS user saved stays, and
    stays the default if it was (QGIS takes the newest default). With ``replace=False``
    a table that already has a ykgeo style keeps it. Returns the number of rows written.
    The caller commits (the store writes them in its own transaction).
    """
    conn.execute(_LAYER_STYLES_DDL)
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
        "VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS 图层样式', ?)",
        (update_time,),
    )
    written = 0
    for row in rows:
        existing = conn.execute(
            "SELECT id FROM layer_styles WHERE f_table_name = ? AND styleName = ? AND owner = ?",
            (row.table, STYLE_NAME, STYLE_OWNER),
        ).fetchall()
        if existing and not replace:
            continue
        conn.execute(
            "DELETE FROM layer_styles WHERE f_table_name = ? AND styleName = ? AND owner = ?",
            (row.table, STYLE_NAME, STYLE_OWNER),
        )
        others_default = conn.execute(
            "SELECT 1 FROM layer_styles WHERE f_table_name = ? AND useAsDefault", (row.table,)
        ).fetchone()
        conn.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
            "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
            "VALUES ('', '', ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
            (
                row.table,
                row.geometry_column,
                STYLE_NAME,
                row.qml,
                row.sld,
                0 if others_default else 1,
                row.description,
                STYLE_OWNER,
                update_time,
            ),
        )
        written += 1
    return written


def missing_styles(conn: sqlite3.Connection, tables: Iterable[str]) -> list[str]:
    """Those of ``tables`` that have no ykgeo style yet (all of them when there is no ``layer_styles``)."""
    wanted = list(tables)
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'"
    ).fetchone()
    if not has_table:
        return wanted
    styled = {
        r[0]
        for r in conn.execute(
            "SELECT f_table_name FROM layer_styles WHERE styleName = ? AND owner = ?",
            (STYLE_NAME, STYLE_OWNER),
        )
    }
    return [t for t in wanted if t not in styled]
