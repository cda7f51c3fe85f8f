"""A map layer's payload, compact and script-safe: status styles, delta-encoded coordinates, fields (by township: :mod:`ykgeo.maps.aggregate`)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ykgeo.area import area_mu, length_km
from ykgeo.layers import LayerSpec
from ykgeo.symbology import REFERENCE_OUTLINE_COLOUR, LayerSymbol, layer_symbols

__all__ = [
    "MEASURE_LABELS",
    "MapLayer",
    "display_value",
    "feature_measures",
    "filter_features",
    "leaflet_style",
    "measure_label",
    "prepare_layer",
    "safe_json",
    "status_styles",
]

_REFERENCE_TOLERANCE_DEG = 5e-5  # ≈ 5 m: reference outlines (boundary, townships)
_DETAIL_TOLERANCE_DEG = 1e-6  # ≈ 0.1 m: drops only redundant vertices at the quantisation step
_KEY_FIELD_LIMIT = 4000  # above this many features a layer carries its key fields only
#: Labels of the measure computed for each feature, by language: (polygon area, line length).
#: The same words as ``map.area_mu`` / ``map.length_km`` of the app's message table.
MEASURE_LABELS: Mapping[str, tuple[str, str]] = {
    "zh": ("面积（亩，椭球）", "长度（km）"),
    "en": ("Area (mu, ellipsoidal)", "Length (km)"),
}


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


def _dash_text(dash_px: tuple[float, ...]) -> str:
    return " ".join(f"{d:g}" for d in dash_px)


def leaflet_style(symbol: LayerSymbol) -> dict[str, Any]:
    """The Leaflet path options of a symbol (:mod:`ykgeo.symbology`, shared with the QGIS styles)."""
    out: dict[str, Any]
    if symbol.kind == "line":
        out = {"color": symbol.colour, "weight": symbol.width_px, "opacity": symbol.stroke_opacity}
    elif symbol.kind == "marker":
        return {
            "color": symbol.stroke_colour,
            "weight": symbol.width_px,
            "fillColor": symbol.colour,
            "fillOpacity": symbol.fill_opacity,
            "radius": symbol.radius_px,
        }
    else:
        out = {
            "color": symbol.stroke_colour,
            "weight": symbol.width_px,
            "opacity": symbol.stroke_opacity,
            "fillColor": symbol.colour,
            "fillOpacity": symbol.fill_opacity,
        }
    if symbol.dash_px:
        out["dashArray"] = _dash_text(symbol.dash_px)
    return out


def status_styles(
    spec: LayerSpec,
) -> tuple[tuple[dict[str, Any], ...], tuple[tuple[str, str, str], ...], dict[str, int]]:
    """Leaflet styles, legend entries and the style index of every status of a layer.

    Index 0 is the style of a feature whose status is missing or unknown. The symbols are
    :func:`ykgeo.symbology.layer_symbols` (the same as the QGIS styles written to the store):
    lines solid and heavier when done, dashed in progress and dotted not started, so built
    road sections stand out from the rest.
    """
    symbols = layer_symbols(spec)

    def swatch(symbol: LayerSymbol) -> str:
        if symbol.kind == "line":
            return "line" if symbol.rank == "done" else "dash"
        return "point" if symbol.kind == "marker" else "fill"

    if spec.status is None:
        (only,) = symbols
        return (leaflet_style(only),), ((only.label, only.colour, swatch(only)),), {}
    *by_status, unknown = symbols
    styles = [leaflet_style(unknown)]
    legend: list[tuple[str, str, str]] = []
    index: dict[str, int] = {}
    for symbol in by_status:
        index[str(symbol.value)] = len(styles)
        styles.append(leaflet_style(symbol))
        legend.append((symbol.label, symbol.colour, swatch(symbol)))
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


def measure_label(spec: LayerSpec, language: str = "zh") -> str | None:
    """Label of the measure computed for a layer's features: area for polygons, length for lines, else None."""
    area, length = MEASURE_LABELS.get(language, MEASURE_LABELS["zh"])
    return {"Polygon": area, "LineString": length}.get(spec.geometry_type)


def feature_measures(gdf: gpd.GeoDataFrame, spec: LayerSpec) -> list[str | None] | None:
    """Each feature's official measure as displayed: 亩 on the ellipsoid (2 decimals) or km (3 decimals).

    Polygons get :func:`ykgeo.area.area_mu`, lines :func:`ykgeo.area.length_km`, computed for
    all features at once. None for a point layer, or for a frame without a CRS (an area is
    never guessed); a feature without geometry gets None.
    """
    if measure_label(spec) is None or gdf.crs is None:
        return None
    geoms = gdf.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out: list[str | None] = [None] * len(gdf)
    if not keep.any():
        return out
    present = gdf.geometry[keep]
    if spec.geometry_type == "Polygon":
        values, pattern = area_mu(present).to_numpy(), "{:,.2f}"
    else:
        values, pattern = length_km(present).to_numpy(), "{:,.3f}"
    for row, value in zip(np.flatnonzero(keep).tolist(), values.tolist(), strict=True):
        out[row] = pattern.format(value) if np.isfinite(value) else None
    return out


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
    if spec.reference and spec.geometry_type == "Polygon":  # outlines (see ykgeo.symbology)
        legend = ((_layer_name(spec, language), REFERENCE_OUTLINE_COLOUR, "outline"),)
    names, tips = _field_choice(spec, len(gdf))
    # The official measure (area or length) of every feature that can be pointed at: the last
    # field, in the tooltip too; once per layer, on the geometries as stored (not as drawn).
    label = measure_label(spec, language)
    measures = None if spec.reference or label in names else feature_measures(gdf, spec)
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
                    "p": [_text(col[row]) for col in columns]
                    + ([] if measures is None else [measures[row]]),
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
    if measures is not None and label:
        tips.append(len(names))
        names.append(label)
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
