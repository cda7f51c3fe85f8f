"""What the map's tools report back: a shape to measure on the ellipsoid, or a view to print; and search.

The map runtime (``ykmap.js``) hands a drawn shape or the current view to Python the way
streamlit-folium returns drawings (``last_active_drawing``: a GeoJSON feature). Nothing is
computed in the browser: :func:`measure` gives the official figures with
:mod:`ykgeo.area` (ellipsoidal 亩 and geodesic km on CGCS2000).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import shape

from ykgeo.area import area_mu, length_km
from ykgeo.crs import CGCS2000
from ykgeo.layers import LayerSpec
from ykgeo.maps.payload import status_styles

__all__ = [
    "Measurement",
    "PrintRequest",
    "feature_colours",
    "measure",
    "parse_drawing",
    "search_features",
]


@dataclass(frozen=True)
class Measurement:
    """A shape measured on the CGCS2000 ellipsoid: a line's length, or an area and its perimeter."""

    kind: str  # "line" or "area"
    length_km: float
    area_mu: float
    vertices: int
    nonce: int = 0


@dataclass(frozen=True)
class PrintRequest:
    """The view to print: its bounds (lon/lat), the layers hidden in the map, the basemap and size."""

    bounds: tuple[float, float, float, float]
    hidden: tuple[str, ...]
    basemap: str
    zoom: float
    nonce: int = 0


def measure(geometry: shapely.Geometry) -> Measurement:
    """The ellipsoidal length (km) of a line, or area (亩) and perimeter (km) of a polygon, in EPSG:4490."""
    series = gpd.GeoSeries([geometry], crs=CGCS2000)
    kind = "area" if geometry.geom_type in ("Polygon", "MultiPolygon") else "line"
    return Measurement(
        kind=kind,
        length_km=float(length_km(series).iloc[0]),
        area_mu=float(area_mu(series).iloc[0]) if kind == "area" else 0.0,
        vertices=int(shapely.get_num_coordinates(geometry)),
    )


def parse_drawing(value: Any) -> Measurement | PrintRequest | None:
    """What the map reported in ``last_active_drawing``: a measurement, a print request, or None."""
    if not isinstance(value, Mapping):
        return None
    props = value.get("properties")
    geometry = value.get("geometry")
    if not isinstance(props, Mapping) or not isinstance(geometry, Mapping):
        return None
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    if geom.is_empty:
        return None
    nonce = int(props.get("n") or 0) if str(props.get("n", "0")).isdigit() else 0
    if props.get("yk") == "measure" and geom.geom_type in ("LineString", "Polygon"):
        return Measurement(**{**measure(geom).__dict__, "nonce": nonce})
    if props.get("yk") == "print":
        hidden = props.get("hidden") or []
        return PrintRequest(
            bounds=tuple(float(v) for v in geom.bounds),  # type: ignore[arg-type]
            hidden=tuple(str(h) for h in hidden) if isinstance(hidden, list) else (),
            basemap=str(props.get("basemap") or ""),
            zoom=float(props.get("zoom") or 0),
            nonce=nonce,
        )
    return None


def search_features(
    frames: Mapping[str, gpd.GeoDataFrame],
    specs: Mapping[str, LayerSpec],
    query: str,
    *,
    limit: int = 50,
) -> pd.DataFrame:
    """Features whose id, name or any 名称/单位 field contains ``query`` (case-insensitive), best first.

    Matches on the id come first, then on the name, then on other fields. Returns columns
    layer, layer_name, id, name, township, field (where it matched), minx, miny, maxx, maxy.
    """
    columns = [
        "layer",
        "layer_name",
        "id",
        "name",
        "township",
        "field",
        "minx",
        "miny",
        "maxx",
        "maxy",
    ]
    text = query.strip().casefold()
    if not text:
        return pd.DataFrame(columns=columns)
    found: list[pd.DataFrame] = []
    for key, gdf in frames.items():
        spec = specs[key]
        if spec.reference or gdf.empty:
            continue
        fields = _search_fields(spec, gdf.columns)
        ids = pd.Series(gdf.index.astype(str), index=gdf.index)
        rank = pd.Series(99, index=gdf.index)
        where = pd.Series("", index=gdf.index)
        for n, (name, values) in enumerate([("id", ids), *[(f, gdf[f]) for f in fields]]):
            hit = values.astype(str).str.casefold().str.contains(text, regex=False) & (rank == 99)
            rank[hit] = n
            where[hit] = spec.id_field if name == "id" else name
        hits = gdf[rank < 99]
        if hits.empty:
            continue
        bounds = shapely.bounds(hits.geometry.to_numpy())
        names = (
            hits[spec.name_field].astype(str)
            if spec.name_field in hits.columns
            else ids[hits.index]
        )
        towns = (
            hits[spec.township_field].astype(str)
            if spec.township_field and spec.township_field in hits.columns
            else pd.Series("", index=hits.index)
        )
        found.append(
            pd.DataFrame(
                {
                    "layer": key,
                    "layer_name": spec.name_zh,
                    "id": hits.index.astype(str),
                    "name": names.to_numpy(),
                    "township": towns.to_numpy(),
                    "field": where[hits.index].to_numpy(),
                    "minx": bounds[:, 0],
                    "miny": bounds[:, 1],
                    "maxx": bounds[:, 2],
                    "maxy": bounds[:, 3],
                    "_rank": rank[hits.index].to_numpy(),
                }
            )
        )
    if not found:
        return pd.DataFrame(columns=columns)
    out = pd.concat(found, ignore_index=True).sort_values(["_rank", "layer", "id"], kind="stable")
    return out.drop(columns="_rank").head(limit).reset_index(drop=True)


def _search_fields(spec: LayerSpec, present: Sequence[str]) -> list[str]:
    """The name field first, then every other text field called …名称 or …单位 (企业名称, 项目名称 …)."""
    out = [spec.name_field] if spec.name_field in present else []
    for f in spec.fields:
        if f.name in present and f.name not in out and f.name.endswith(("名称", "单位", "企业")):
            out.append(f.name)
    return out


def feature_colours(frame: gpd.GeoDataFrame, spec: LayerSpec) -> list[str | None]:
    """Each feature's colour on the map (its status colour), as ``#rrggbb``, for exports that carry styles."""
    styles, _, index = status_styles(spec)
    field = spec.status.field if spec.status is not None else ""
    values = frame[field].tolist() if field in frame.columns else [None] * len(frame)
    out: list[str | None] = []
    for value in values:
        style = styles[index.get(str(value), 0)] if value is not None else styles[0]
        colour = style.get("fillColor") or style.get("color")
        if spec.status is None:
            colour = spec.style.color
        out.append(str(colour) if colour else None)
    return out
