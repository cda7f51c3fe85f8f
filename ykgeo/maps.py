"""Folium maps of ykgeo layers that work on an intranet: offline assets, basemaps, status styles, legend.

What goes into a map is decided here, not in the pages:

* **No CDN.** Leaflet and ykgeo's map runtime (``ykgeo/assets``) are referenced under
  :attr:`MapSettings.asset_url`, which the app serves itself; folium's default CDN links
  (Leaflet, jQuery, Bootstrap, Font Awesome …) are replaced, never loaded. The default
  basemap is offline: no tiles, the city boundary, townships and the store's layers drawn
  as they are. Online basemaps (天地图 with a key, AMap, OpenStreetMap) appear only when
  the settings enable them.
* **Safe with hostile data.** Data reach the page only as JSON inside one ``<script>``,
  with ``<``, ``>``, ``&`` and ``'`` escaped; the runtime writes every value with
  ``textContent``. Nothing from the data is ever HTML.
* **A payload that does not grow with the store.** Styles are precomputed (a feature
  carries a style index, one JS function looks it up); coordinates are quantised to
  10⁻⁶° (≈ 0.1 m) and delta-encoded as integers; and a map never carries more than
  :attr:`MapSettings.vertex_budget` vertices and :attr:`MapSettings.feature_budget`
  features: layers that would exceed it are drawn aggregated by township (a choropleth of
  the share done with counts by status) until the planner narrows the view to a township,
  a status or a layer, when the features themselves are drawn.
* **AMap's GCJ-02 offset** is handled by shifting the display of the AMap tiles (a custom
  Leaflet tile layer laid out around GCJ(centre)), never the data; see ``ykmap.js``.
* **Rasters as evidence.** A raster (land cover, DEM …) is drawn by
  :func:`ykgeo.raster.raster_overlay` (reprojected to Web Mercator, coloured, with a legend)
  and carried as a compact PNG ``data:`` URL (:func:`prepare_raster`): an image layer the
  planner switches on and off in the layer control like any other, with its legend on the
  map, and nothing fetched from anywhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from ykgeo.layers import LayerSpec

if TYPE_CHECKING:
    from ykgeo.raster import RasterOverlay

__all__ = [
    "ASSET_DIR",
    "BASEMAPS",
    "BASEMAPS_EN",
    "RASTER_SUFFIXES",
    "MapLayer",
    "MapSettings",
    "RasterMapLayer",
    "Selection",
    "aggregate_layer",
    "basemap_names",
    "build_map",
    "display_value",
    "filter_features",
    "map_html",
    "parse_selection",
    "plan_map_layers",
    "prepare_layer",
    "prepare_raster",
    "raster_map_layer",
    "raster_sources",
    "safe_json",
    "status_styles",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: The files the map needs in the browser; the app serves this folder (see ``ykgeo.ui.assets``).
ASSET_DIR = Path(__file__).resolve().parent / "assets"

BasemapKey = Literal["offline", "tianditu_vec", "tianditu_img", "amap", "osm"]

#: Chinese names of the basemaps.
BASEMAPS: Mapping[str, str] = {
    "offline": "离线底图（市界、镇街、道路）",
    "tianditu_vec": "天地图 矢量",
    "tianditu_img": "天地图 影像",
    "amap": "高德地图（已纠正 GCJ-02 偏移）",
    "osm": "OpenStreetMap",
}
#: English names of the basemaps (the map in English).
BASEMAPS_EN: Mapping[str, str] = {
    "offline": "Offline basemap (boundary, townships, roads)",
    "tianditu_vec": "Tianditu vector",
    "tianditu_img": "Tianditu imagery",
    "amap": "AMap (GCJ-02 offset corrected)",
    "osm": "OpenStreetMap",
}
#: The words of the map runtime itself (layer control, legend, popups), by language.
_RUNTIME_TEXT: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "layers": "图层",
        "basemap": "底图",
        "legend": "图例",
        "hint": "详细信息与变更记录见地图右侧",
    },
    "en": {
        "layers": "Layers",
        "basemap": "Basemap",
        "legend": "Legend",
        "hint": "Details and change history beside the map",
    },
}
#: Extensions of the raster files a store's ``rasters/`` folder may offer.
RASTER_SUFFIXES = (".tif", ".tiff")
_DATA_URL = re.compile(r"data:image/png;base64,[A-Za-z0-9+/]*={0,2}")

_TIANDITU = "https://t{{s}}.tianditu.gov.cn/DataServer?T={layer}_w&x={{x}}&y={{y}}&l={{z}}&tk={key}"
_AMAP = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=7&x={x}&y={y}&z={z}"
_OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

#: Colours for statuses of a layer whose definition gives none: early → late.
_FALLBACK_STATUS_COLOURS = ("#b0bec5", "#f9a825", "#2e7d32", "#1565c0", "#6a1b9a")
#: Share-done classes of an aggregated layer.
_AGGREGATE_CLASSES = (
    (0.0, "0–20%"),
    (0.2, "20–40%"),
    (0.4, "40–60%"),
    (0.6, "60–80%"),
    (0.8, "80–100%"),
)
_REFERENCE_TOLERANCE_DEG = 5e-5  # ≈ 5 m: reference outlines (boundary, townships)
_DETAIL_TOLERANCE_DEG = 1e-6  # ≈ 0.1 m: drops only redundant vertices at the quantisation step
_KEY_FIELD_LIMIT = 4000  # above this many features a layer carries its key fields only


@dataclass(frozen=True)
class MapSettings:
    """How maps are built. Passed in, never global: every session may differ.

    Attributes
    ----------
    basemap
        The basemap shown first: ``offline`` (default), ``tianditu_vec``, ``tianditu_img``,
        ``amap`` or ``osm``.
    online_basemaps
        Online basemaps offered in the layer control besides the offline one; 天地图 needs
        ``tianditu_key`` too. Empty (the default) means the map never requests a tile.
    tianditu_key
        The 天地图 ``tk`` key of the bureau.
    asset_url
        URL prefix (ending in ``/``) under which :data:`ASSET_DIR` is served.
    feature_budget, vertex_budget
        At most this many features / coordinates drawn individually in one map; beyond,
        the largest layers are aggregated by township.
    coordinate_decimals
        Decimal places of degrees kept (6 ≈ 0.1 m).
    storage_key
        Browser ``sessionStorage`` key under which the map keeps its view and layer choice.
    height
        Height of the map in pixels.
    language
        ``zh`` (default) or ``en``: the words of the map's controls, the basemap names and
        the layer names (``LayerSpec.name_en`` when it has one). Data stay as they are.
    """

    basemap: str = "offline"
    online_basemaps: tuple[str, ...] = ()
    tianditu_key: str = ""
    asset_url: str = "assets/"
    feature_budget: int = 15_000
    vertex_budget: int = 250_000
    coordinate_decimals: int = 6
    storage_key: str = "ykgeo-map"
    height: int = 640
    language: str = "zh"


def basemap_names(language: str = "zh") -> Mapping[str, str]:
    """The basemaps' names in ``language`` (``zh`` or ``en``)."""
    return BASEMAPS_EN if language == "en" else BASEMAPS


def _layer_name(spec: LayerSpec, language: str) -> str:
    return spec.name_en if language == "en" and spec.name_en else spec.name_zh


@dataclass(frozen=True)
class MapLayer:
    """One layer ready for the map: styles, legend and the encoded features (safe JSON).

    ``kind`` is ``features`` (drawn one by one), ``aggregate`` (by township) or
    ``reference`` (outlines drawn under everything, not clickable). ``name_zh`` is the name
    shown (the English one when the layer was prepared for an English map).
    """

    key: str
    name_zh: str
    theme: str
    kind: str
    geometry_type: str
    features_json: str
    fields: tuple[str, ...]
    tip: tuple[int, ...]
    styles: tuple[Mapping[str, Any], ...]
    legend: tuple[tuple[str, str, str], ...]
    count: int
    total: int
    vertices: int
    bounds: tuple[float, float, float, float] | None
    origin: tuple[float, float] = (0.0, 0.0)
    scale: int = 1_000_000
    labels: tuple[tuple[float, float, str], ...] = ()
    visible: bool = True
    note_zh: str = ""

    @property
    def payload_bytes(self) -> int:
        """Size of the encoded features in UTF-8."""
        return len(self.features_json.encode("utf-8"))


@dataclass(frozen=True)
class RasterMapLayer:
    """A raster ready for the map: an image overlay (a PNG ``data:`` URL), its bounds and legend.

    Attributes
    ----------
    key
        Key of the layer in the map (``raster:<file name>``), unique beside the vector layers.
    name
        Name in the layer control and the legend.
    theme
        Group of the layer control.
    image_url
        ``data:image/png;base64,…``: the image travels inside the map, nothing is fetched.
    bounds
        ``((south, west), (north, east))`` in degrees, as Leaflet places the image.
    legend
        ``(label, "#rrggbb", swatch)`` entries, as for the vector layers.
    visible
        Whether the overlay is on when the map opens (off by default; the planner's own
        switching in the layer control is kept across reruns).
    opacity
        Opacity of the image (0–1), so the features and basemap show through.
    categorical
        Drawn by class (True) or as a colour ramp.
    note
        A remark shown beside the layer's switch ("" for none).
    """

    key: str
    name: str
    theme: str
    image_url: str
    bounds: tuple[tuple[float, float], tuple[float, float]]
    legend: tuple[tuple[str, str, str], ...]
    visible: bool = False
    opacity: float = 0.7
    categorical: bool = True
    note: str = ""

    @property
    def payload_bytes(self) -> int:
        """Size of the image's data URL (what the overlay adds to the map's HTML)."""
        return len(self.image_url)


@dataclass(frozen=True)
class Selection:
    """What the planner clicked on the map: a feature, or a township of an aggregated layer."""

    layer: str = ""
    feature_id: str = ""
    township: str = ""


# --- JSON for a <script> -------------------------------------------------------------------

_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    ord("'"): "\\u0027",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def safe_json(value: Any) -> str:
    """JSON that is safe inside an HTML ``<script>``: no ``</script>``, no markup, no line separators.

    The characters escaped can only occur inside JSON strings, where ``\\uXXXX`` means the
    same character, so the data are unchanged for the JavaScript that reads them.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_SCRIPT_ESCAPES)


# --- styles -------------------------------------------------------------------------------


def _line_style(colour: str, weight: float, rank: str) -> dict[str, Any]:
    if rank == "done":
        return {"color": colour, "weight": weight * 1.6, "opacity": 0.95}
    if rank == "in_progress":
        return {"color": colour, "weight": weight, "opacity": 0.9, "dashArray": "10 6"}
    return {"color": colour, "weight": max(weight * 0.7, 1.5), "opacity": 0.85, "dashArray": "2 6"}


def status_styles(
    spec: LayerSpec,
) -> tuple[tuple[dict[str, Any], ...], tuple[tuple[str, str, str], ...], dict[str, int]]:
    """Leaflet styles, legend entries and the style index of every status of a layer.

    Index 0 is the style of a feature whose status is missing or unknown. Lines are
    solid and heavier when done, dashed when in progress and dotted when not started, so
    built road sections stand out from the rest.
    """
    st = spec.style
    kind = spec.geometry_type
    unknown_colour = "#9e9e9e"
    styles: list[dict[str, Any]] = []
    legend: list[tuple[str, str, str]] = []
    index: dict[str, int] = {}

    def style_for(colour: str, rank: str) -> dict[str, Any]:
        if kind == "LineString":
            out = _line_style(colour, st.weight, rank)
        elif kind == "Point":
            out = {
                "color": "#ffffff",
                "weight": 1.2,
                "fillColor": colour,
                "fillOpacity": 0.9,
                "radius": st.radius,
            }
        else:
            out = {
                "color": colour,
                "weight": st.weight,
                "opacity": 0.9,
                "fillColor": colour,
                "fillOpacity": st.fill_opacity,
            }
            if st.dash_array:
                out["dashArray"] = st.dash_array
        return out

    def swatch(rank: str) -> str:
        if kind == "LineString":
            return "line" if rank == "done" else "dash"
        return "point" if kind == "Point" else "fill"

    status = spec.status
    if status is None:
        styles.append(style_for(st.color, "done"))
        legend.append((spec.name_zh, st.color, swatch("done")))
        return tuple(styles), tuple(legend), index
    styles.append(style_for(unknown_colour, "not_started"))
    for i, value in enumerate(status.values):
        colour = (
            st.status_colors.get(value)
            or _FALLBACK_STATUS_COLOURS[min(i, len(_FALLBACK_STATUS_COLOURS) - 1)]
        )
        rank = (
            "done"
            if value in status.done
            else "in_progress"
            if value in status.in_progress
            else "not_started"
        )
        index[value] = len(styles)
        styles.append(style_for(colour, rank))
        legend.append((value, colour, swatch(rank)))
    return tuple(styles), tuple(legend), index


# --- geometry encoding --------------------------------------------------------------------


def _encode_geometries(
    geoms: np.ndarray, *, origin: tuple[float, float], scale: int
) -> tuple[str, list[Any]]:
    """Delta-encoded integer coordinates per feature, nested like GeoJSON (see ``ykmap.js``).

    Returns the GeoJSON geometry type every feature is drawn as and one nested list per
    geometry: a ring or line is a flat list ``[x0, y0, dx1, dy1, …]`` in units of
    ``1/scale`` degrees, ``x0, y0`` relative to ``origin``.
    """
    gtype, coords, offsets = shapely.to_ragged_array(geoms)
    q = np.rint((coords - np.asarray(origin)) * scale).astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    name = {
        shapely.GeometryType.POINT: "Point",
        shapely.GeometryType.LINESTRING: "MultiLineString",
        shapely.GeometryType.POLYGON: "MultiPolygon",
        shapely.GeometryType.MULTIPOINT: "MultiPoint",
        shapely.GeometryType.MULTILINESTRING: "MultiLineString",
        shapely.GeometryType.MULTIPOLYGON: "MultiPolygon",
    }[gtype]
    if gtype == shapely.GeometryType.POINT:
        return name, q.tolist()
    # every ring/line starts from the absolute position: reset the delta at each start
    ring_offsets = offsets[0]
    starts = ring_offsets[:-1]
    delta[starts] = q[starts]
    flat = delta.ravel().tolist()
    rings = [flat[2 * a : 2 * b] for a, b in _pairs(ring_offsets)]
    if gtype == shapely.GeometryType.MULTIPOINT:
        return name, [[q[i].tolist() for i in range(a, b)] for a, b in _pairs(ring_offsets)]
    if gtype == shapely.GeometryType.LINESTRING:
        return name, [[r] for r in rings]
    if gtype == shapely.GeometryType.MULTILINESTRING:
        return name, [rings[a:b] for a, b in _pairs(offsets[1])]
    if gtype == shapely.GeometryType.POLYGON:
        return name, [[rings[a:b]] for a, b in _pairs(offsets[1])]
    polys = [rings[a:b] for a, b in _pairs(offsets[1])]
    return name, [polys[a:b] for a, b in _pairs(offsets[2])]


def _pairs(offsets: np.ndarray) -> Iterable[tuple[int, int]]:
    return itertools.pairwise(offsets.tolist())


def _clean_geometries(
    gdf: gpd.GeoDataFrame, tolerance: float
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    geoms = gdf.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    gdf = gdf[keep]
    geoms = geoms[keep]
    if tolerance > 0 and len(geoms):
        simplified = shapely.simplify(geoms, tolerance, preserve_topology=True)
        bad = shapely.is_empty(simplified)
        geoms = np.where(bad, geoms, simplified)
    return gdf, geoms


def display_value(value: Any) -> str:
    """A value as planners read it: dates as YYYY-MM-DD, numbers with separators, "" for missing."""
    return _text(value) or ""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat() if not pd.isna(value) else None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if np.isnan(value):
            return None
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:,.0f}"
    if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value)
    return text[:200] if text else None


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float] | None:
    if not len(geoms):
        return None
    b = shapely.total_bounds(geoms)
    return (
        None if not np.all(np.isfinite(b)) else (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
    )


def _field_choice(spec: LayerSpec, count: int) -> tuple[list[str], list[int]]:
    """Fields carried in the map (all popup fields, or the key ones for big layers) and the tooltip ones."""
    key_fields = [spec.id_field, spec.name_field, spec.township_field]
    status = spec.status
    if status is not None:
        key_fields += [status.field, status.date_field, status.planned_date_field]
    key_fields = [f for f in dict.fromkeys(key_fields) if f]
    if count <= _KEY_FIELD_LIMIT:
        names = [f.name for f in spec.fields if f.popup or f.name in key_fields]
    else:
        names = [f for f in spec.field_names if f in key_fields]
    tip_names = [spec.township_field, status.field if status else "", spec.id_field]
    tips = [names.index(n) for n in tip_names if n and n in names]
    return names, tips


def prepare_layer(
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec,
    *,
    decimals: int = 6,
    tolerance_deg: float | None = None,
    visible: bool = True,
    language: str = "zh",
) -> MapLayer:
    """Encode a layer's features for the map: one style index, a title and the key fields each.

    ``gdf`` is in EPSG:4490 (as the store returns it). Reference layers are simplified to
    ≈ 5 m and drawn as outlines; others keep every vertex that matters at 0.1 m.
    ``language`` ``en`` names the layer by its ``name_en``.
    """
    kind = "reference" if spec.reference else "features"
    tolerance = (
        tolerance_deg
        if tolerance_deg is not None
        else _REFERENCE_TOLERANCE_DEG
        if spec.reference
        else _DETAIL_TOLERANCE_DEG
    )
    gdf, geoms = _clean_geometries(gdf, tolerance)
    styles, legend, index = status_styles(spec)
    if spec.reference and spec.geometry_type == "Polygon":
        styles = tuple(
            {
                **s,
                "fillOpacity": 0.0,
                "weight": 2.5 if spec.key == "city_boundary" else 1.2,
                "color": "#546e7a",
                "dashArray": "" if spec.key == "city_boundary" else "6 4",
            }
            for s in styles
        )
        legend = ((_layer_name(spec, language), "#546e7a", "outline"),)
    names, tips = _field_choice(spec, len(gdf))
    bounds = _bounds(geoms)
    scale = 10**decimals
    origin = (round(bounds[0], 2), round(bounds[1], 2)) if bounds else (0.0, 0.0)
    features: list[dict[str, Any]] = []
    gtype = {"Polygon": "MultiPolygon", "LineString": "MultiLineString", "Point": "Point"}[
        spec.geometry_type
    ]
    if len(geoms):
        gtype, encoded = _encode_geometries(geoms, origin=origin, scale=scale)
        ids = (
            gdf.index.astype(str).tolist()
            if spec.id_field not in gdf.columns
            else gdf[spec.id_field].astype(str).tolist()
        )
        status_values = (
            gdf[spec.status.field].tolist()
            if spec.status is not None and spec.status.field in gdf.columns
            else [None] * len(gdf)
        )
        titles = (
            gdf[spec.name_field].tolist()
            if spec.name_field and spec.name_field in gdf.columns
            else ids
        )
        columns = [gdf[n].tolist() if n in gdf.columns else [None] * len(gdf) for n in names]
        for row, fid in enumerate(ids):
            features.append(
                {
                    "i": fid,
                    "s": index.get(str(status_values[row]), 0),
                    "t": _text(titles[row]) or fid,
                    "p": [_text(col[row]) for col in columns],
                    "g": encoded[row],
                }
            )
    labels: tuple[tuple[float, float, str], ...] = ()
    if spec.key == "townships" and len(geoms) and spec.name_field in gdf.columns:
        points = shapely.point_on_surface(geoms)
        labels = tuple(
            (round(float(shapely.get_x(p)), 5), round(float(shapely.get_y(p)), 5), str(n))
            for p, n in zip(points, gdf[spec.name_field].tolist(), strict=True)
        )
    return MapLayer(
        key=spec.key,
        name_zh=_layer_name(spec, language),
        theme=spec.theme,
        kind=kind,
        geometry_type=gtype,
        features_json=safe_json(features),
        fields=tuple(names),
        tip=tuple(tips),
        styles=styles,
        legend=legend,
        count=len(features),
        total=len(features),
        vertices=int(shapely.get_num_coordinates(geoms).sum()) if len(geoms) else 0,
        bounds=bounds,
        origin=origin,
        scale=scale,
        labels=labels,
        visible=visible,
    )


def _township_of(geoms: np.ndarray, townships: gpd.GeoDataFrame, name_field: str) -> np.ndarray:
    """The township each geometry's representative point lies in ("" when outside all)."""
    points = shapely.point_on_surface(geoms)
    tree = shapely.STRtree(townships.geometry.to_numpy())
    pt_idx, tw_idx = tree.query(points, predicate="within")
    names = np.array(townships[name_field].astype(str).tolist(), dtype=object)
    out = np.full(len(geoms), "", dtype=object)
    out[pt_idx] = names[tw_idx]
    return out


def aggregate_layer(
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec,
    townships: gpd.GeoDataFrame,
    *,
    township_name_field: str,
    decimals: int = 6,
    visible: bool = True,
    language: str = "zh",
) -> MapLayer:
    """A layer too large for one map, drawn as township polygons: share done and counts by status.

    A feature belongs to the township its representative point lies in. Clicking a
    township asks the app to show that township's features.
    """
    _, geoms = _clean_geometries(gdf, 0.0)
    gdf = gdf[
        ~(shapely.is_missing(gdf.geometry.to_numpy()) | shapely.is_empty(gdf.geometry.to_numpy()))
    ]
    where = (
        _township_of(geoms, townships, township_name_field)
        if len(geoms)
        else np.array([], dtype=object)
    )
    status = spec.status
    statuses = list(status.values) if status else []
    values = (
        gdf[status.field].astype(str).to_numpy()
        if status and status.field in gdf.columns
        else np.full(len(gdf), "")
    )
    frame = pd.DataFrame({"township": where, "status": values})
    counts = frame.groupby(["township", "status"]).size().unstack(fill_value=0)
    tw, tw_geoms = _clean_geometries(townships, _REFERENCE_TOLERANCE_DEG)
    done_colour = "#2e7d32"
    if status and status.done:
        done_colour = spec.style.status_colors.get(status.done[0], done_colour)
    styles = tuple(
        {
            "color": "#37474f",
            "weight": 1.0,
            "opacity": 0.8,
            "fillColor": done_colour,
            "fillOpacity": 0.1 + 0.16 * i,
        }
        for i in range(len(_AGGREGATE_CLASSES))
    )
    share_text = "Share done" if language == "en" else "已完成占比"
    legend = tuple(
        (f"{share_text} {label}", done_colour, "fill") for _, label in _AGGREGATE_CLASSES
    )
    names = tw[township_name_field].astype(str).tolist()
    bounds = _bounds(tw_geoms)
    origin = (round(bounds[0], 2), round(bounds[1], 2)) if bounds else (0.0, 0.0)
    scale = 10**decimals
    gtype, encoded = (
        _encode_geometries(tw_geoms, origin=origin, scale=scale)
        if len(tw_geoms)
        else ("MultiPolygon", [])
    )
    fields = ("Features" if language == "en" else "要素总数", *statuses)
    features = []
    for row, name in enumerate(names):
        per = counts.loc[name] if name in counts.index else pd.Series(dtype="int64")
        total = int(per.sum())
        done = int(sum(int(per.get(s, 0)) for s in (status.done if status else ())))
        share = done / total if total else 0.0
        cls = max(i for i, (lo, _) in enumerate(_AGGREGATE_CLASSES) if share >= lo)
        features.append(
            {
                "i": name,
                "s": cls,
                "t": f"{name}（{_layer_name(spec, language)}）",
                "p": [f"{total:,}", *[f"{int(per.get(s, 0)):,}" for s in statuses]],
                "g": encoded[row],
            }
        )
    outside = int((where == "").sum())
    if language == "en":
        note = f"{len(gdf):,} features, shown by township; click a township to see them"
        if outside:
            note += f" ({outside:,} outside every township)"
    else:
        note = f"要素 {len(gdf):,} 个，按镇街汇总显示；点击镇街查看地块"
        if outside:
            note += f"（{outside:,} 个不在任何镇街内）"
    return MapLayer(
        key=spec.key,
        name_zh=_layer_name(spec, language),
        theme=spec.theme,
        kind="aggregate",
        geometry_type=gtype,
        features_json=safe_json(features),
        fields=fields,
        tip=tuple(range(len(fields))),
        styles=styles,
        legend=legend,
        count=len(features),
        total=len(gdf),
        vertices=int(shapely.get_num_coordinates(tw_geoms).sum()) if len(tw_geoms) else 0,
        bounds=bounds,
        origin=origin,
        scale=scale,
        visible=visible,
        note_zh=note,
    )


def filter_features(
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec,
    *,
    statuses: Sequence[str] | None = None,
    area: Any = None,
) -> gpd.GeoDataFrame:
    """Features of a layer with one of ``statuses`` (None: any) that intersect ``area`` (a shapely geometry)."""
    out = gdf
    if statuses is not None and spec.status is not None and spec.status.field in out.columns:
        out = out[out[spec.status.field].isin(list(statuses))]
    if area is not None and len(out):
        geoms = out.geometry.to_numpy()
        tree = shapely.STRtree(geoms)
        hits = np.unique(tree.query(area, predicate="intersects"))
        out = out.iloc[np.sort(hits)]
    return out


def plan_map_layers(
    frames: Mapping[str, gpd.GeoDataFrame],
    specs: Mapping[str, LayerSpec],
    *,
    settings: MapSettings,
    townships: gpd.GeoDataFrame | None = None,
    township_name_field: str = "",
) -> list[MapLayer]:
    """Prepare every layer of ``frames`` within the map's budgets.

    Reference layers are always drawn (simplified). Thematic layers are drawn feature by
    feature, smallest first, while the running totals stay within the feature and vertex
    budgets; the layers that do not fit are aggregated by township (they need
    ``townships``; without it they are left out with a note).
    """
    out: list[MapLayer] = []
    sizes: dict[str, tuple[int, int]] = {}
    for key, gdf in frames.items():
        spec = specs[key]
        if spec.reference:
            continue
        geoms = gdf.geometry.to_numpy()
        sizes[key] = (len(gdf), int(shapely.get_num_coordinates(geoms).sum()) if len(geoms) else 0)
    detailed: set[str] = set()
    features_left, vertices_left = settings.feature_budget, settings.vertex_budget
    for key, (n, v) in sorted(sizes.items(), key=lambda kv: (kv[1][1], kv[0])):
        if n <= features_left and v <= vertices_left:
            detailed.add(key)
            features_left -= n
            vertices_left -= v
    for key, gdf in frames.items():
        spec = specs[key]
        if spec.reference or key in detailed:
            out.append(
                prepare_layer(
                    gdf, spec, decimals=settings.coordinate_decimals, language=settings.language
                )
            )
        elif townships is not None and len(townships) and township_name_field:
            out.append(
                aggregate_layer(
                    gdf,
                    spec,
                    townships,
                    township_name_field=township_name_field,
                    decimals=settings.coordinate_decimals,
                    language=settings.language,
                )
            )
        else:
            logger.warning("layer %s too large for one map and no townships to aggregate by", key)
    return out


# --- rasters --------------------------------------------------------------------------------


def raster_sources(store_path: str | Path) -> dict[str, Path]:
    """The rasters a store offers for its map: ``*.tif`` / ``*.tiff`` in ``rasters/`` beside the store file.

    By file name, sorted; an empty mapping when the folder does not exist.
    """
    folder = Path(store_path).parent / "rasters"
    if not folder.is_dir():
        return {}
    files = [f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in RASTER_SUFFIXES]
    return {f.name: f for f in sorted(files, key=lambda f: f.name)}


def raster_title(path: str | Path) -> str:
    """A raster's title for a picker: its first band's description, else its file name ("" if unreadable)."""
    import rasterio

    try:
        with rasterio.open(path) as ds:
            description = (ds.descriptions[0] or "") if ds.descriptions else ""
    except (rasterio.errors.RasterioError, OSError):
        return ""
    return description or Path(path).stem


def _compact_png(rgba: np.ndarray, *, exact: bool) -> bytes:
    """The image as a small palette PNG.

    ``exact`` (a categorical raster): its own colours, unchanged, when there are at most
    256. Otherwise (a colour ramp such as a DEM) the colours are reduced by octree
    quantisation: a mean change of about 2/255 per channel, and a PNG about four times
    smaller (the demo DEM: 0.80 → 0.20 MB).
    """
    from PIL import Image

    h, w, _ = rgba.shape
    flat = np.ascontiguousarray(rgba, dtype=np.uint8).reshape(-1, 4)
    flat = np.where(flat[:, 3:4] == 0, 0, flat).astype(np.uint8)  # one fully transparent colour
    colours, index = np.unique(flat.view(np.uint32).ravel(), return_inverse=True)
    out = io.BytesIO()
    if exact and len(colours) <= 256:
        image = Image.frombytes("P", (w, h), index.astype(np.uint8).tobytes())
        image.putpalette(colours.view(np.uint8).tobytes(), rawmode="RGBA")
    else:
        image = Image.frombytes("RGBA", (w, h), flat.tobytes()).quantize(
            colors=256, method=Image.Quantize.FASTOCTREE
        )
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def raster_map_layer(
    overlay: RasterOverlay,
    *,
    key: str,
    name: str | None = None,
    theme: str = "栅格",
    visible: bool = False,
    opacity: float = 0.7,
    compact: bool = True,
) -> RasterMapLayer:
    """A raster overlay (from :func:`ykgeo.raster.raster_overlay`) as a layer of the map.

    The image is re-encoded as a palette PNG (``compact``; classes keep their exact colours)
    and carried as a ``data:`` URL: an offline map never fetches it. The legend is the
    overlay's, as filled swatches.
    """
    png = _compact_png(overlay.rgba, exact=overlay.categorical) if compact else overlay.png_bytes
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    (south, west), (north, east) = overlay.bounds
    return RasterMapLayer(
        key=f"raster:{key}",
        name=name or overlay.name_zh,
        theme=theme,
        image_url=url,
        bounds=((float(south), float(west)), (float(north), float(east))),
        legend=tuple((str(label), str(colour), "fill") for label, colour in overlay.legend),
        visible=visible,
        opacity=min(max(float(opacity), 0.0), 1.0),
        categorical=overlay.categorical,
    )


def prepare_raster(
    path: str | Path,
    *,
    visible: bool = False,
    max_size: int = 1024,
    bounds_4490: tuple[float, float, float, float] | None = None,
    opacity: float = 0.7,
    language: str = "zh",
) -> RasterMapLayer:
    """A raster file drawn for the map: reprojected, coloured, legend, at most ``max_size`` pixels a side.

    The layer's key is the file name, its name the raster's title (band description);
    in the layer control it sits under 栅格 (``Rasters`` in English).

    Raises
    ------
    RasterError
        The file is not a readable, georeferenced raster, or does not overlap ``bounds_4490``.
    """
    from ykgeo.raster import raster_overlay

    path = Path(path)
    overlay = raster_overlay(path, bounds_4490=bounds_4490, max_size=max_size)
    return raster_map_layer(
        overlay,
        key=path.name,
        theme="Rasters" if language == "en" else "栅格",
        visible=visible,
        opacity=opacity,
    )


# --- the folium map -----------------------------------------------------------------------


def _basemaps(settings: MapSettings) -> list[dict[str, Any]]:
    names = basemap_names(settings.language)
    out: list[dict[str, Any]] = [{"id": "offline", "name": names["offline"], "tiles": []}]
    online = set(settings.online_basemaps)
    if settings.tianditu_key:
        key = settings.tianditu_key
        for bid, base, labels in (("tianditu_vec", "vec", "cva"), ("tianditu_img", "img", "cia")):
            if bid in online or settings.basemap == bid:
                out.append(
                    {
                        "id": bid,
                        "name": names[bid],
                        "tiles": [
                            {
                                "url": _TIANDITU.format(layer=layer, key=key),
                                "subdomains": "01234567",
                                "maxNativeZoom": 18,
                                "attribution": "天地图",
                            }
                            for layer in (base, labels)
                        ],
                    }
                )
    if "amap" in online or settings.basemap == "amap":
        out.append(
            {
                "id": "amap",
                "name": names["amap"],
                "gcj02": True,
                "tiles": [
                    {
                        "url": _AMAP,
                        "subdomains": "1234",
                        "maxNativeZoom": 18,
                        "attribution": "高德地图",
                    }
                ],
            }
        )
    if "osm" in online or settings.basemap == "osm":
        out.append(
            {
                "id": "osm",
                "name": names["osm"],
                "tiles": [
                    {
                        "url": _OSM,
                        "subdomains": "abc",
                        "maxNativeZoom": 19,
                        "attribution": "© OpenStreetMap",
                    }
                ],
            }
        )
    return out


@lru_cache(maxsize=1)
def _inline_css() -> str:
    css = [
        (ASSET_DIR / "leaflet" / "leaflet.css").read_text(encoding="utf-8"),
        (ASSET_DIR / "ykmap.css").read_text(encoding="utf-8"),
    ]
    text = re.sub(r"/\*.*?\*/", "", "\n".join(css), flags=re.DOTALL)  # comments carry URLs
    return "<style>" + text.replace("</", "<\\/") + "</style>"


def _raster_config(raster: RasterMapLayer) -> dict[str, Any]:
    if not _DATA_URL.fullmatch(raster.image_url):
        msg = f"raster layer {raster.key}: the image must be a PNG data URL"
        raise ValueError(msg)
    return {
        "key": raster.key,
        "name": raster.name,
        "theme": raster.theme,
        "url": raster.image_url,
        "bounds": [list(raster.bounds[0]), list(raster.bounds[1])],
        "legend": [list(e) for e in raster.legend],
        "visible": raster.visible,
        "opacity": raster.opacity,
        "categorical": raster.categorical,
        "note": raster.note,
    }


class _YkInit(MacroElement):
    """Starts ykgeo's map runtime on the folium map with one JSON configuration."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "YK.init({{ this._parent.get_name() }}, {{ this.config_json }});\n"
        "{% endmacro %}"
    )

    def __init__(self, config_json: str) -> None:
        super().__init__()
        self._name = "YkInit"
        self.config_json = config_json


def build_map(
    layers: Sequence[MapLayer],
    *,
    settings: MapSettings,
    bounds: tuple[float, float, float, float] | None = None,
    focus: tuple[float, float, float, float] | None = None,
    focus_token: str = "",
    selected: Selection | None = None,
    rasters: Sequence[RasterMapLayer] = (),
) -> folium.Map:
    """The folium map of prepared layers, with offline assets and no CDN link.

    Parameters
    ----------
    layers
        From :func:`plan_map_layers` / :func:`prepare_layer` / :func:`aggregate_layer`.
    rasters
        Image overlays from :func:`prepare_raster` / :func:`raster_map_layer`, drawn under
        the features, each with its own switch in the layer control and its legend.
    bounds
        (min lon, min lat, max lon, max lat) shown first; default: all layers.
    focus, focus_token
        A view to fit once (e.g. a township chosen by the planner); a new token means a new
        request, an old one lets the map keep the view the planner left.
    selected
        The feature to highlight.
    """
    if bounds is None:
        boxes = [lay.bounds for lay in layers if lay.bounds]
        if boxes:
            arr = np.asarray(boxes)
            bounds = (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())
    view_box = focus or bounds or (119.88, 28.75, 120.35, 29.10)
    centre = ((view_box[1] + view_box[3]) / 2, (view_box[0] + view_box[2]) / 2)
    m = folium.Map(
        location=centre,
        zoom_start=11,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
        max_zoom=20,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    base = settings.asset_url
    m.default_js = [("leaflet", f"{base}leaflet/leaflet.js"), ("ykmap", f"{base}ykmap.js")]
    # Stylesheets inline (≈ 17 kB): streamlit-folium loads linked CSS only after the map
    # script has run, and Leaflet measures tooltips and labels before the CSS applies.
    m.default_css = []
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(Element(_inline_css()), name="ykgeo_css")
    basemaps = _basemaps(settings)
    basemap = settings.basemap if any(b["id"] == settings.basemap for b in basemaps) else "offline"
    token = focus_token or "initial"
    config_parts = [
        '{"storageKey":',
        safe_json(settings.storage_key),
        ',"basemap":',
        safe_json(basemap),
        ',"basemaps":',
        safe_json(basemaps),
        ',"view":',
        safe_json(
            {
                "bounds": [[view_box[1], view_box[0]], [view_box[3], view_box[2]]],
                "token": token,
            }
        ),
        ',"selected":',
        safe_json(
            {"layer": selected.layer, "id": selected.feature_id}
            if selected and selected.layer
            else None
        ),
        ',"text":',
        safe_json(_RUNTIME_TEXT.get(settings.language, _RUNTIME_TEXT["zh"])),
        ',"rasters":',
        safe_json([_raster_config(r) for r in rasters]),
        ',"layers":[',
    ]
    for n, lay in enumerate(layers):
        if n:
            config_parts.append(",")
        meta = {
            "key": lay.key,
            "name": lay.name_zh,
            "theme": lay.theme,
            "kind": lay.kind,
            "gtype": lay.geometry_type,
            "fields": list(lay.fields),
            "tip": list(lay.tip),
            "styles": list(lay.styles),
            "legend": [list(e) for e in lay.legend],
            "count": lay.count,
            "total": lay.total,
            "origin": list(lay.origin),
            "scale": lay.scale,
            "labels": [list(x) for x in lay.labels] or None,
            "visible": lay.visible,
            "note": lay.note_zh,
            "selectable": lay.kind != "reference",
            "interactive": lay.kind != "reference",
        }
        text = safe_json(meta)
        config_parts.append(text[:-1] + ',"features":' + lay.features_json + "}")
    config_parts.append("]}")
    _YkInit("".join(config_parts)).add_to(m)
    return m


def map_html(m: folium.Map) -> str:
    """The standalone HTML of a map (what the unit tests and the benchmark look at)."""
    return str(m.get_root().render())


def parse_selection(value: Any) -> Selection | None:
    """The selection the map reported through streamlit-folium (``"yk:{json}"``), or None."""
    if not isinstance(value, str) or not value.startswith("yk:"):
        return None
    try:
        data = json.loads(value[3:])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if "township" in data:
        return Selection(township=str(data["township"]))
    if "layer" in data and "id" in data:
        return Selection(layer=str(data["layer"]), feature_id=str(data["id"]))
    return None
