"""A layer too large for one map drawn by township: which township each feature lies in, counts by status.

A feature belongs to the township its representative point (:func:`shapely.point_on_surface`)
lies within. From a layer read lean (:class:`ykgeo.store.LayerEnvelopes`) most features are
placed by their envelope alone, with the same answer: the representative point lies
inside the feature, hence inside its envelope, so an envelope inside one township's
interior and touching no other township puts the point there. The test runs on a grid
of cells labelled once per map (a cell inside exactly one township's interior and
touching no other carries that township), so it is a few array lookups per feature; the
features near a boundary, and any whose envelope the store does not give, have their
geometry decoded and their point placed as :func:`aggregate_layer` does.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from ykgeo.layers import LayerSpec
from ykgeo.maps.payload import (
    _REFERENCE_TOLERANCE_DEG,
    MapLayer,
    _bounds,
    _clean_geometries,
    _encode_geometries,
    _layer_name,
    safe_json,
)
from ykgeo.store import LayerEnvelopes

__all__ = ["aggregate_envelopes", "aggregate_layer", "filter_envelopes"]

#: Share-done classes of an aggregated layer.
_AGGREGATE_CLASSES = (
    (0.0, "0–20%"),
    (0.2, "20–40%"),
    (0.4, "40–60%"),
    (0.6, "60–80%"),
    (0.8, "80–100%"),
)
#: Cells a side of the grid that places features by their envelopes (over the townships' extent).
_GRID_CELLS = 128


def _township_of(geoms: np.ndarray, townships: gpd.GeoDataFrame, name_field: str) -> np.ndarray:
    """The township each geometry's representative point lies in ("" when outside all)."""
    points = shapely.point_on_surface(geoms)
    tree = shapely.STRtree(townships.geometry.to_numpy())
    pt_idx, tw_idx = tree.query(points, predicate="within")
    names = np.array(townships[name_field].astype(str).tolist(), dtype=object)
    out = np.full(len(geoms), "", dtype=object)
    out[pt_idx] = names[tw_idx]
    return out


def _interior_cells(
    towns: npt.NDArray[np.object_], cells: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]] | None:
    """Cell edges (x, y) over the townships and each cell's township: its index, or -1.

    A cell carries township ``k`` when ``k`` contains it properly (the closed cell lies in
    ``k``'s interior) and no other township intersects it.
    """
    minx, miny, maxx, maxy = shapely.total_bounds(towns)
    if not (np.isfinite([minx, miny, maxx, maxy]).all() and maxx > minx and maxy > miny):
        return None
    xs = np.linspace(minx, maxx, cells + 1)
    ys = np.linspace(miny, maxy, cells + 1)
    ii, jj = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
    boxes = shapely.box(xs[ii].ravel(), ys[jj].ravel(), xs[ii + 1].ravel(), ys[jj + 1].ravel())
    tree = shapely.STRtree(boxes)
    _, touched = tree.query(towns, predicate="intersects")
    town, inside = tree.query(towns, predicate="contains_properly")
    label = np.full(cells * cells, -1, dtype=np.int64)
    label[inside] = town
    label[np.bincount(touched, minlength=cells * cells) != 1] = -1
    return xs, ys, label.reshape(cells, cells)


def _township_by_envelope(
    bounds: npt.NDArray[np.float64], towns: npt.NDArray[np.object_]
) -> npt.NDArray[np.int64]:
    """The township (index into ``towns``) of each envelope that lies within one township's cells, else -1."""
    out = np.full(len(bounds), -1, dtype=np.int64)
    grid = _interior_cells(towns, _GRID_CELLS) if len(bounds) else None
    if grid is None:
        return out
    xs, ys, label = grid
    n = _GRID_CELLS
    known = np.isfinite(bounds).all(axis=1)
    # the cells holding each corner: xs[i] <= x < xs[i + 1] (same numbers as the cells' boxes)
    i0 = np.searchsorted(xs, bounds[:, 0], side="right") - 1
    j0 = np.searchsorted(ys, bounds[:, 1], side="right") - 1
    i1 = np.searchsorted(xs, bounds[:, 2], side="right") - 1
    j1 = np.searchsorted(ys, bounds[:, 3], side="right") - 1
    ok = known & (i0 >= 0) & (j0 >= 0) & (i1 < n) & (j1 < n) & (i1 - i0 <= 1) & (j1 - j0 <= 1)
    rows = np.flatnonzero(ok)
    a0, b0, a1, b1 = i0[rows], j0[rows], i1[rows], j1[rows]
    first = label[a0, b0]
    same = (first >= 0) & (label[a1, b0] == first) & (label[a0, b1] == first)
    same &= label[a1, b1] == first
    out[rows[same]] = first[same]
    return out


def filter_envelopes(
    envelopes: LayerEnvelopes, spec: LayerSpec, *, statuses: list[str] | tuple[str, ...] | None
) -> LayerEnvelopes:
    """The features with one of ``statuses`` (None: any), as :func:`ykgeo.maps.filter_features` selects them."""
    field = spec.status.field if spec.status is not None else ""
    if statuses is None or not field or field not in envelopes.fields.columns:
        return envelopes
    return envelopes.take(envelopes.fields[field].isin(list(statuses)).to_numpy())


def aggregate_envelopes(
    envelopes: LayerEnvelopes,
    spec: LayerSpec,
    townships: gpd.GeoDataFrame,
    *,
    township_name_field: str,
    decimals: int = 6,
    visible: bool = True,
    language: str = "zh",
) -> MapLayer:
    """:func:`aggregate_layer` of a layer read lean: the same layer, mostly without decoding geometries.

    ``envelopes`` must hold the layer's status field (when it has one).
    """
    names = np.array(townships[township_name_field].astype(str).tolist(), dtype=object)
    by_box = _township_by_envelope(envelopes.bounds, townships.geometry.to_numpy())
    placed = by_box >= 0
    where = np.full(len(envelopes), "", dtype=object)
    where[placed] = names[by_box[placed]]
    keep = placed.copy()  # a placed feature has a non-empty geometry (its header says so)
    rest = np.flatnonzero(~placed)
    if len(rest):
        geoms = envelopes.geometries(rest)
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        keep[rest[present]] = True
        if present.any():
            where[rest[present]] = _township_of(geoms[present], townships, township_name_field)
    status = spec.status
    values = (
        envelopes.fields[status.field].iloc[np.flatnonzero(keep)].astype(str).to_numpy()
        if status and status.field in envelopes.fields.columns
        else np.full(int(keep.sum()), "")
    )
    return _aggregate(
        where[keep],
        values,
        spec,
        townships,
        township_name_field=township_name_field,
        decimals=decimals,
        visible=visible,
        language=language,
    )


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
    values = (
        gdf[status.field].astype(str).to_numpy()
        if status and status.field in gdf.columns
        else np.full(len(gdf), "")
    )
    return _aggregate(
        where,
        values,
        spec,
        townships,
        township_name_field=township_name_field,
        decimals=decimals,
        visible=visible,
        language=language,
    )


def _aggregate(
    where: np.ndarray,
    values: np.ndarray,
    spec: LayerSpec,
    townships: gpd.GeoDataFrame,
    *,
    township_name_field: str,
    decimals: int,
    visible: bool,
    language: str,
) -> MapLayer:
    """The township layer from each feature's township (``where``) and status text (``values``)."""
    status = spec.status
    statuses = list(status.values) if status else []
    # features by township (rows) and status text (columns), as a group-by would count them
    tw_codes, tw_names = pd.factorize(where)
    st_codes, st_names = pd.factorize(values)
    cells = np.bincount(
        tw_codes * len(st_names) + st_codes, minlength=len(tw_names) * len(st_names)
    )
    counts = pd.DataFrame(
        cells.reshape(len(tw_names), len(st_names)), index=tw_names, columns=st_names
    )
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
        note = f"{len(where):,} features, shown by township; click a township to see them"
        if outside:
            note += f" ({outside:,} outside every township)"
    else:
        note = f"要素 {len(where):,} 个，按镇街汇总显示；点击镇街查看地块"
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
        total=len(where),
        vertices=int(shapely.get_num_coordinates(tw_geoms).sum()) if len(tw_geoms) else 0,
        bounds=bounds,
        origin=origin,
        scale=scale,
        visible=visible,
        note_zh=note,
    )
