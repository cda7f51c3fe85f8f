"""A QGIS project (.qgz) over a store: layers styled as in the app, grouped by theme, and a print layout."""

from __future__ import annotations

import datetime as dt
import os
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyproj import CRS

from ykgeo.errors import DataError
from ykgeo.layers import LayerSpec
from ykgeo.store import Store
from ykgeo.store.styles import LABEL_FONT, qml_element

__all__ = ["BASEMAP_GROUP", "QgisProject", "write_qgis_project"]

#: The first group of the layer tree: the offline basemap of the app (boundary, townships …).
BASEMAP_GROUP = "底图（离线）"
_PROJECT_EPSG = 4549  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
_STORE_EPSG = 4490
_CGCS2000_ELLIPSOID = "EPSG:1024"
_QGIS_VERSION = "3.22.16-Białowieża"
_PAGE_MM = (420.0, 297.0)  # A3 landscape
_MAP_MM = (10.0, 24.0, 272.0, 248.0)  # x, y, width, height
# QgsLayoutItemRegistry item types
_PAGE, _MAP, _PICTURE, _LABEL, _LEGEND, _SCALEBAR = 65638, 65639, 65640, 65641, 65642, 65646
_GEOMETRY = {"Polygon": "Polygon", "LineString": "Line", "Point": "Point"}


@dataclass(frozen=True)
class QgisProject:
    """What :func:`write_qgis_project` wrote."""

    path: Path
    layers: int
    groups: tuple[str, ...]
    store_source: str


def _srs(parent: ET.Element, epsg: int) -> None:
    crs = CRS.from_epsg(epsg)
    srs = ET.SubElement(parent, "spatialrefsys")
    ET.SubElement(srs, "wkt").text = crs.to_wkt("WKT2_2019")
    ET.SubElement(srs, "srid").text = str(epsg)
    ET.SubElement(srs, "authid").text = f"EPSG:{epsg}"
    ET.SubElement(srs, "description").text = crs.name
    ET.SubElement(srs, "geographicflag").text = "true" if crs.is_geographic else "false"


def _uuid(name: str) -> str:
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"ykgeo:layout:{name}")) + "}"


def _item(
    parent: ET.Element, kind: int, name: str, box: Sequence[float], z: int, **attrs: str
) -> ET.Element:
    x, y, w, h = box
    return ET.SubElement(
        parent,
        "LayoutItem",
        {
            "type": str(kind),
            "id": name,
            "uuid": _uuid(name),
            "templateUuid": _uuid(name),
            "position": f"{x:g},{y:g},mm",
            "positionOnPage": f"{x:g},{y:g},mm",
            "size": f"{w:g},{h:g},mm",
            "zValue": str(z),
            "visibility": "1",
            "frame": "false",
            "background": "false",
            "opacity": "1",
            "referencePoint": "0",
            "itemRotation": "0",
            "positionLock": "false",
            "excludeFromExports": "0",
            "blendMode": "0",
            **attrs,
        },
    )


def _font(size: float, *, bold: bool = False) -> str:
    return f"{LABEL_FONT},{size:g},-1,5,{75 if bold else 50},0,0,0,0,0"


def _label(
    parent: ET.Element,
    name: str,
    text: str,
    box: Sequence[float],
    z: int,
    *,
    size: float,
    bold: bool = False,
    centred: bool = False,
) -> None:
    item = _item(
        parent, _LABEL, name, box, z, labelText=text, htmlState="0",
        halign="4" if centred else "1", valign="32", marginX="0", marginY="0",
    )  # fmt: skip
    ET.SubElement(
        item, "LabelFont", description=_font(size, bold=bold), style="Bold" if bold else ""
    )
    ET.SubElement(item, "FontColor", red="33", green="33", blue="33", alpha="255")


def _map_extent(bounds: Sequence[float], width_mm: float, height_mm: float) -> dict[str, str]:
    """The bounds (EPSG:4549) grown 4 % and to the map frame's shape."""
    x0, y0, x1, y1 = bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = max(x1 - x0, 1.0) * 1.04, max(y1 - y0, 1.0) * 1.04
    if w / h > width_mm / height_mm:
        h = w * height_mm / width_mm
    else:
        w = h * width_mm / height_mm
    return {
        "xmin": f"{cx - w / 2:.3f}",
        "ymin": f"{cy - h / 2:.3f}",
        "xmax": f"{cx + w / 2:.3f}",
        "ymax": f"{cy + h / 2:.3f}",
    }


def _layout(root: ET.Element, *, title: str, note: str, bounds: Sequence[float]) -> None:
    layouts = ET.SubElement(root, "Layouts")
    layout = ET.SubElement(
        layouts,
        "Layout",
        name=f"{title} 示意图",
        units="mm",
        printResolution="300",
        worldFileMap="",
    )
    pages = ET.SubElement(layout, "PageCollection")
    page = _item(pages, _PAGE, "page", (0, 0, *_PAGE_MM), 0, background="true")
    ET.SubElement(page, "BackgroundColor", red="255", green="255", blue="255", alpha="255")
    mx, my, mw, mh = _MAP_MM
    map_item = _item(
        layout, _MAP, "map", _MAP_MM, 1, frame="true", background="true", keepLayerSet="false",
        drawCanvasItems="true", mapRotation="0", followPreset="false", followPresetName="",
        isTemporal="0", labelMargin="0,mm",
    )  # fmt: skip
    ET.SubElement(map_item, "Extent", _map_extent(bounds, mw, mh))
    ET.SubElement(map_item, "FrameColor", red="117", green="117", blue="117", alpha="255")
    ET.SubElement(map_item, "LayerSet")
    _label(layout, "title", title, (10, 6, 400, 14), 2, size=22, bold=True, centred=True)
    legend = _item(
        layout, _LEGEND, "legend", (mx + mw + 4, my, _PAGE_MM[0] - mx - mw - 14, mh), 3,
        map_uuid=_uuid("map"), title="图例", resizeToContents="0", columnCount="3", splitLayer="1",
        equalColumnWidth="0", symbolWidth="5", symbolHeight="3", legendFilterByMap="1",
        background="true", frame="true", boxSpace="2", columnSpace="2", wrapChar="",
    )  # fmt: skip
    styles = ET.SubElement(legend, "styles")
    for name, size, bold, margins in (
        ("title", 12, True, {"marginBottom": "2"}),
        ("group", 10, True, {"marginTop": "2.5"}),
        ("subgroup", 8.5, False, {"marginTop": "1.5"}),
        ("symbol", 8, False, {"marginTop": "1"}),
        ("symbolLabel", 8, False, {"marginTop": "1", "marginLeft": "1.5"}),
    ):
        style = ET.SubElement(
            styles, "style", {"name": name, "alignment": "1", "indent": "0", **margins}
        )
        ET.SubElement(
            style, "styleFont", description=_font(size, bold=bold), style="Bold" if bold else ""
        )
    scalebar = _item(
        layout, _SCALEBAR, "scalebar", (mx + 4, my + mh - 14, 80, 10), 4, mapUuid=_uuid("map"),
        style="Single Box", unitType="km", unitLabel="km", numMapUnitsPerScaleBarUnit="1",
        numSegments="4", numSegmentsLeft="0", numUnitsPerSegment="2", segmentSizeMode="0",
        height="2", labelBarSpace="2", background="true",
    )  # fmt: skip
    ET.SubElement(
        scalebar, "text-style", fontFamily=LABEL_FONT, fontSize="8", fontSizeUnit="Point",
        textColor="33,33,33,255", textOpacity="1",
    )  # fmt: skip
    # QGIS's own north arrow, named relative to its SVG folders: found on any installation
    _item(
        layout, _PICTURE, "north_arrow", (mx + mw - 18, my + 4, 14, 18), 5, mapUuid=_uuid("map"),
        file="arrows/NorthArrow_02.svg", mode="2", northMode="0", northOffset="0", resizeMode="0",
        anchorPoint="0", pictureRotation="0", pictureWidth="14", pictureHeight="18",
        svgFillColor="33,33,33,255", svgBorderColor="33,33,33,255", svgBorderWidth="0.2",
    )  # fmt: skip
    _label(layout, "note", note, (10, my + mh + 3, 400, 16), 6, size=9)


def _store_source(store: Path, project: Path) -> str:
    """The store's path as QGIS writes it in a project with relative paths (else absolute)."""
    try:
        rel = os.path.relpath(store.resolve(), project.resolve().parent)
    except ValueError:  # another drive (Windows)
        return store.resolve().as_posix()
    rel = Path(rel).as_posix()
    return rel if rel.startswith("..") else f"./{rel}"


def write_qgis_project(
    store: Store,
    path: Path | str,
    *,
    title: str | None = None,
    printed_on: dt.date | None = None,
) -> QgisProject:
    """Write a QGIS project over ``store``: open it in QGIS 3.22 or later.

    The layers read the store directly (path relative to the project, as QGIS keeps it) and
    are read-only there: edits go through ykgeo and its edit log. They carry the same style
    as the store's ``layer_styles`` (the app's status colours, labels, Chinese aliases), are
    grouped by theme in the app's order with the offline basemap layers (the reference
    layers) first in the tree and drawn underneath, and those with features are shown. The
    project CRS is EPSG:4549 (CGCS2000 GK CM 120°E) and measurements use the CGCS2000
    ellipsoid. A print layout (A3 landscape) has the title, map, legend of what the map
    shows, scale bar, north arrow and the 示意 note.

    Parameters
    ----------
    store
        The store the project reads.
    path
        The ``.qgz`` to write (replaced only once complete).
    title
        The layout title (default: the store's name).
    printed_on
        The date in the note (default: QGIS fills in the printing date).
    """
    path = Path(path)
    if path.suffix.lower() != ".qgz":
        raise DataError(f"{path.name}：QGIS 项目文件名应以 .qgz 结尾")
    title = title or store.name_zh
    source = _store_source(store.path, path)
    specs = [store.spec(k) for k in store.layer_keys()]
    counts = {s.key: store.count(s.key) for s in specs}
    ids = {s.key: f"ykgeo_{s.key}" for s in specs}
    basemap = [s for s in specs if s.reference]
    themes: dict[str, list[LayerSpec]] = {}
    for spec in specs:
        if not spec.reference:
            themes.setdefault(spec.theme, []).append(spec)
    groups = [(BASEMAP_GROUP, basemap), *themes.items()]

    root = ET.Element("qgis", projectname=title, version=_QGIS_VERSION)
    ET.SubElement(root, "title").text = title
    _srs(ET.SubElement(root, "projectCrs"), _PROJECT_EPSG)
    tree = ET.SubElement(root, "layer-tree-group")
    for name, members in groups:
        group = ET.SubElement(
            tree, "layer-tree-group", name=name, checked="Qt::Checked", expanded="1"
        )
        for spec in members:
            ET.SubElement(
                group, "layer-tree-layer", id=ids[spec.key], name=spec.name_zh, providerKey="ogr",
                source=f"{source}|layername={spec.key}", expanded="0",
                checked="Qt::Checked" if counts[spec.key] else "Qt::Unchecked",
            )  # fmt: skip
    # drawn top first: the themes in tree order, the basemap underneath as in the app
    order = ET.SubElement(tree, "custom-order", enabled="1")
    for spec in [s for _, members in groups[1:] for s in members] + basemap:
        ET.SubElement(order, "item").text = ids[spec.key]
    layers = ET.SubElement(root, "projectlayers")
    for spec in specs:
        style = qml_element(spec, read_only=True)
        layer = ET.SubElement(
            layers, "maplayer", type="vector", geometry=_GEOMETRY[spec.geometry_type],
            readOnly="1", labelsEnabled=style.get("labelsEnabled", "0"), minScale="0", maxScale="0",
            hasScaleBasedVisibilityFlag="0", styleCategories="AllStyleCategories",
        )  # fmt: skip
        ET.SubElement(layer, "id").text = ids[spec.key]
        ET.SubElement(layer, "datasource").text = f"{source}|layername={spec.key}"
        ET.SubElement(layer, "layername").text = spec.name_zh
        _srs(ET.SubElement(layer, "srs"), _STORE_EPSG)
        ET.SubElement(layer, "provider", encoding="UTF-8").text = "ogr"
        ET.SubElement(layer, "abstract").text = spec.description_zh
        layer.extend(list(style))
    properties = ET.SubElement(root, "properties")
    paths = ET.SubElement(properties, "Paths")
    ET.SubElement(paths, "Absolute", type="bool").text = "false"
    srs = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(srs, "ProjectionsEnabled", type="int").text = "1"
    ET.SubElement(
        ET.SubElement(properties, "Measure"), "Ellipsoid", type="QString"
    ).text = _CGCS2000_ELLIPSOID
    units = ET.SubElement(properties, "Measurement")
    ET.SubElement(units, "DistanceUnits", type="QString").text = "meters"
    ET.SubElement(units, "AreaUnits", type="QString").text = "m2"

    bounds = (
        store.layer_bounds("city_boundary", crs=_PROJECT_EPSG)
        if "city_boundary" in counts
        else None
    )
    when = printed_on.isoformat() if printed_on else "[% format_date(now(), 'yyyy-MM-dd') %]"
    note = (
        f"示意图，不作权属、界线依据。镇街界线为示意，非法定界线。数据：项目库 {store.path.name}"
        f"（打开时读取的当前数据）；打印日期 {when}；坐标系 CGCS2000 / 3° 高斯-克吕格 120°E（EPSG:4549）。"
    )
    _layout(
        root, title=title, note=note, bounds=bounds or (480000.0, 3180000.0, 540000.0, 3225000.0)
    )
    ET.indent(root, " ")
    text = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.writing")
    try:
        with zipfile.ZipFile(staged, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(path.with_suffix(".qgs").name, text.encode("utf-8"))
        staged.replace(path)
    finally:
        staged.unlink(missing_ok=True)
    return QgisProject(path, len(specs), tuple(name for name, _ in groups), source)
