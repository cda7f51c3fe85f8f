"""What the briefing pack's static maps show: layers in EPSG:4549 with the app's status styles, legend rows, extents.

A map is described once as a :class:`MapSpec`: geometries already in EPSG:4549 (the 3°
Gauss–Krüger zone on CM 120°E, so that the scale bar is true: within 31 ppm in the
county), each layer with its style, and the legend. :mod:`ykgeo.report.draw` lays it
out and :mod:`ykgeo.report.paint` paints it, as vector PDF or as PNG. Status styles come
from :func:`ykgeo.maps.status_styles`, the styles of the app's map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.ops import polylabel

from ykgeo.crs import CGCS2000, GK_CM120, transform_geometries
from ykgeo.layers import LayerSpec

__all__ = [
    "INK",
    "LegendEntry",
    "MapLayer",
    "MapSpec",
    "Style",
    "TextAnchor",
    "TextStyle",
    "base_layers",
    "extent_of",
    "feature_layers",
    "gk_frame",
    "statuses_for",
    "to_gk",
    "township_labels",
]

#: One Leaflet CSS pixel drawn on paper, in points (a little under 0.75 pt so print stays light).
PT_PER_PX = 0.6
#: Polygons smaller than this on paper (points) also get a dot so they can be seen at city scale.
TINY_PT = 2.5
_UNKNOWN_COLOUR = "#9e9e9e"
INK = "#212121"
_RANK_ORDER = {"not_started": 0, "in_progress": 1, "done": 2}

Kind = Literal["polygon", "line", "point"]
TextAnchor = Literal["left", "center", "right"]


@dataclass(frozen=True, kw_only=True)
class Style:
    """How shapes are drawn: fill and outline colours (``#rrggbb``), opacities, width and dash in points.

    Lines use the outline (``stroke``, ``width``, ``dash``, ``stroke_opacity``); circles
    the fill (with ``fill_opacity``) and an outline without its own opacity.
    """

    fill: str | None = None
    fill_opacity: float = 1.0
    stroke: str | None = None
    width: float = 0.5
    dash: tuple[float, ...] = ()
    stroke_opacity: float = 1.0


@dataclass(frozen=True)
class TextStyle:
    """How a text is set: size in points, colour, which point of it (x, y) is, weight, a white halo."""

    size: float
    color: str = INK
    anchor: TextAnchor = "left"
    bold: bool = False
    halo: bool = False


@dataclass(frozen=True)
class MapLayer(Style):
    """Geometries (EPSG:4549) drawn with one style; points as dots of ``radius`` points."""

    kind: Kind
    geoms: npt.NDArray[np.object_]
    radius: float = 3.0


@dataclass(frozen=True)
class LegendEntry:
    """One row of the legend: a swatch and its label."""

    kind: Kind
    label: str
    fill: str | None = None
    stroke: str | None = None
    dash: tuple[float, ...] = ()


@dataclass(frozen=True)
class MapSpec:
    """Everything one map shows; coordinates in metres of EPSG:4549."""

    extent: tuple[float, float, float, float]
    layers: tuple[MapLayer, ...]
    legend: tuple[LegendEntry, ...]
    legend_title: str
    labels: tuple[tuple[float, float, str], ...] = ()
    #: Layers drawn before the labels (the rest after them): features must never hide under a label.
    labels_after: int = 0
    note: str = ""
    title: str = ""
    subtitle: str = ""
    panel: Literal["right", "bottom"] = "right"


def to_gk(geoms: Any, crs: Any = CGCS2000) -> npt.NDArray[np.object_]:
    """Geometries as a numpy array in EPSG:4549 (GK CM 120°E), from ``crs`` (default EPSG:4490)."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return arr
    ok = ~shapely.is_missing(arr)
    out = np.full(arr.shape, None, dtype=object)
    if ok.any():
        out[ok] = transform_geometries(arr[ok], crs, GK_CM120)
    return out


def gk_frame(gdf: gpd.GeoDataFrame) -> npt.NDArray[np.object_]:
    """The geometries of a store layer (EPSG:4490) in EPSG:4549."""
    return to_gk(gdf.geometry.to_numpy(), gdf.crs or CGCS2000)


def _px(value: Any, default: float) -> float:
    try:
        return float(value) * PT_PER_PX
    except (TypeError, ValueError):
        return default


def _dash(value: Any) -> tuple[float, ...]:
    if not value:
        return ()
    try:
        return tuple(float(v) * PT_PER_PX for v in str(value).replace(",", " ").split())
    except ValueError:
        return ()


def feature_layers(
    spec: LayerSpec,
    geoms_gk: npt.NDArray[np.object_],
    statuses: Sequence[Any],
    *,
    scale_hint: float | None = None,
) -> tuple[list[MapLayer], list[LegendEntry]]:
    """Map layers and legend rows for the features of one layer, coloured by status as in the app.

    Features are drawn not started first and done last, so the done ones stay on top.
    Polygons too small to see at ``scale_hint`` (points per metre) also get a dot.
    """
    from ykgeo.maps import status_styles

    styles, legend_rows, index = status_styles(spec)
    status_values = np.asarray([None if v is None else str(v) for v in statuses], dtype=object)
    kind: Kind = (
        "polygon"
        if spec.geometry_type == "Polygon"
        else "line"
        if spec.geometry_type == "LineString"
        else "point"
    )
    status = spec.status
    groups: list[tuple[int, int, str, npt.NDArray[np.object_]]] = []
    if status is None:
        groups.append((2, 0, "", geoms_gk))
    else:
        known = set(index)
        unknown = np.array([v not in known for v in status_values], dtype=bool)
        if unknown.any():
            groups.append((-1, 0, "（状态不明）", geoms_gk[unknown]))
        for value in status.values:
            mask = status_values == value
            if not mask.any():
                continue
            rank = (
                "done"
                if value in status.done
                else "in_progress"
                if value in status.in_progress
                else "not_started"
            )
            groups.append((_RANK_ORDER[rank], index[value], value, geoms_gk[mask]))
    groups.sort(key=lambda g: g[0])
    layers: list[MapLayer] = []
    counts: dict[int, int] = {}
    for _, style_index, _, geoms in groups:
        counts[style_index] = counts.get(style_index, 0) + len(geoms)
        style = styles[style_index]
        colour = style.get("fillColor") or style.get("color") or _UNKNOWN_COLOUR
        if kind == "polygon":
            layers.append(
                MapLayer(
                    "polygon",
                    geoms,
                    fill=style.get("fillColor", colour),
                    fill_opacity=max(float(style.get("fillOpacity", 0.45)), 0.55),
                    stroke=style.get("color", colour),
                    width=max(_px(style.get("weight"), 0.6), 0.5),
                )
            )
            if scale_hint is not None and len(geoms):
                b = shapely.bounds(geoms)
                size = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) * scale_hint
                tiny = geoms[size < TINY_PT]
                if tiny.size:
                    layers.append(
                        MapLayer(
                            "point",
                            shapely.point_on_surface(tiny),
                            fill=style.get("fillColor", colour),
                            stroke=style.get("color", colour),
                            width=0.3,
                            radius=1.6,
                        )
                    )
        elif kind == "line":
            layers.append(
                MapLayer(
                    "line",
                    geoms,
                    stroke=style.get("color", colour),
                    width=max(_px(style.get("weight"), 1.5), 0.8),
                    dash=_dash(style.get("dashArray")),
                    stroke_opacity=float(style.get("opacity", 1.0)),
                )
            )
        else:
            layers.append(
                MapLayer(
                    "point",
                    geoms,
                    fill=style.get("fillColor", colour),
                    stroke="#ffffff",
                    width=0.6,
                    radius=max(_px(style.get("radius"), 3.0), 2.4),
                )
            )
    legend: list[LegendEntry] = []
    if status is None:
        legend.append(LegendEntry(kind, f"{spec.name_zh}（{len(geoms_gk)}）", spec.style.color))
        return layers, legend
    if counts.get(0):
        legend.append(
            LegendEntry(kind, f"状态不明（{counts[0]}）", _UNKNOWN_COLOUR, _UNKNOWN_COLOUR)
        )
    for (label, _colour, _swatch), value in zip(legend_rows, status.values, strict=True):
        style = styles[index[value]]
        n = counts.get(index[value], 0)
        legend.append(
            LegendEntry(
                kind,
                f"{label}（{n}）",
                style.get("fillColor") or style.get("color"),
                style.get("color"),
                _dash(style.get("dashArray")) if kind == "line" else (),
            )
        )
    return layers, legend


# --- drawing ----------------------------------------------------------------------------------


def township_labels(
    names: Sequence[str],
    geoms_gk: npt.NDArray[np.object_],
    *,
    obstacles: npt.NDArray[np.object_] | None = None,
    clearance_m: float = 900.0,
) -> tuple[tuple[float, float, str], ...]:
    """A label for each township at a point inside it, clear of the features drawn over it.

    Without ``obstacles`` the label sits at the township's pole of inaccessibility. With
    them (the features of the map, EPSG:4549), it moves to the point of a grid over the
    township farthest from any feature, up to ``clearance_m``, keeping as close to the
    middle as that allows: in the crowded city centre a name is no longer hidden under dots.
    """
    tree = None
    if obstacles is not None:
        shapes = np.asarray(obstacles, dtype=object)
        shapes = shapes[~shapely.is_missing(shapes)] if shapes.size else shapes
        tree = shapely.STRtree(shapes) if shapes.size else None
    out = []
    for name, geom in zip(names, geoms_gk, strict=True):
        if geom is None or shapely.is_empty(geom):
            continue
        centre = polylabel(geom, tolerance=10.0) if geom.geom_type == "Polygon" else None
        if centre is None or not shapely.contains(geom, centre):
            centre = shapely.point_on_surface(geom)
        point = centre if tree is None else _clear_point(geom, centre, tree, clearance_m)
        out.append((float(point.x), float(point.y), str(name)))
    return tuple(out)


def _clear_point(
    geom: Any, centre: Any, tree: shapely.STRtree, clearance_m: float, steps: int = 15
) -> Any:
    """The point of a grid over ``geom`` (inside it) with the most room from the features, then the most central."""
    x0, y0, x1, y1 = shapely.bounds(geom)
    xs, ys = np.meshgrid(np.linspace(x0, x1, steps), np.linspace(y0, y1, steps))
    grid = shapely.points(xs.ravel(), ys.ravel())
    inner = shapely.buffer(geom, -min(x1 - x0, y1 - y0) * 0.08)
    grid = grid[shapely.contains(inner if not inner.is_empty else geom, grid)]
    candidates = np.concatenate([[centre], grid])
    _, distance = tree.query_nearest(candidates, return_distance=True, all_matches=False)
    room = np.minimum(distance, clearance_m)
    score = room - 0.05 * shapely.distance(candidates, centre)
    return candidates[int(np.argmax(score))]


def base_layers(
    boundary_gk: npt.NDArray[np.object_],
    towns_gk: npt.NDArray[np.object_],
    *,
    focus: npt.NDArray[np.bool_] | None = None,
) -> tuple[list[MapLayer], list[MapLayer]]:
    """The reference layers below and above the features: township fills and outlines, the city boundary.

    With ``focus`` (one township in an atlas page) the other townships are greyed.
    """
    below: list[MapLayer] = []
    above: list[MapLayer] = []
    if towns_gk.size:
        if focus is not None and focus.any():
            below.append(MapLayer("polygon", towns_gk[~focus], fill="#eeeeee", fill_opacity=1.0))
            below.append(MapLayer("polygon", towns_gk[focus], fill="#ffffff", fill_opacity=1.0))
        else:
            below.append(MapLayer("polygon", towns_gk, fill="#ffffff", fill_opacity=1.0))
        above.append(MapLayer("line", towns_gk, stroke="#757575", width=0.6, dash=(3.0, 2.0)))
        if focus is not None and focus.any():
            above.append(MapLayer("line", towns_gk[focus], stroke="#c62828", width=1.6))
    if boundary_gk.size:
        above.append(MapLayer("line", boundary_gk, stroke=INK, width=1.4))
    return below, above


def extent_of(
    geoms_gk: npt.NDArray[np.object_], *, margin: float = 0.04, minimum_m: float = 2000.0
) -> tuple[float, float, float, float]:
    """Bounds of ``geoms_gk`` with a margin, at least ``minimum_m`` across."""
    arr = np.asarray(geoms_gk, dtype=object)
    arr = arr[~shapely.is_missing(arr)] if arr.size else arr
    if arr.size == 0:
        from ykgeo.crs import YONGKANG_BOUNDS

        lo = to_gk([shapely.box(*YONGKANG_BOUNDS)])[0]
        return tuple(float(v) for v in shapely.bounds(lo))  # type: ignore[return-value]
    b = shapely.total_bounds(arr)
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    half_w = max(b[2] - b[0], minimum_m) * (0.5 + margin)
    half_h = max(b[3] - b[1], minimum_m) * (0.5 + margin)
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h)


def statuses_for(features: pd.DataFrame, ids: Sequence[str]) -> list[Any]:
    """The engine's status of each id (None when the engine does not list it)."""
    lookup = dict(zip(features["id"].astype(str), features["status"], strict=False))
    return [lookup.get(str(i)) for i in ids]
