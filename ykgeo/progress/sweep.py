"""Counting a whole plan at one date, one layer at a time: a report on a million parcels holds one layer's geometries.

A full report counts every target of the plan on its layer's snapshot, and checks
each land category against the others for overlaps (reported, never deducted).
Holding every layer's snapshot for those checks would hold every geometry at once
(about 1.3 GB for a million parcels). :func:`count_plan` instead takes the layers
one after another: it counts the targets of a layer, keeps what the cross-category
checks need (:class:`_Kept`: ids, statuses, boxes and each geometry's WKB, a third
of the memory of the geometries) and lets the layer go. At the end the boxes of all
land layers give the candidate pairs in one spatial join (as before) and only the
features whose box meets a box of another category are made geometries again; the
others stand in the spatial indexes as boxes of the same extent, so every index,
every query and every pair comes out exactly as with the whole layers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from ykgeo.crs import CGCS2000
from ykgeo.layers import LayerSpec, TargetPlan, TargetSpec
from ykgeo.progress.geometry import cross_overlaps, neighbours
from ykgeo.progress.loader import Counted, Loader, count_target, land_specs, polygon_layers
from ykgeo.progress.model import ProgressSettings

__all__ = ["count_plan"]

_POLYGONAL = (3, 6)


@dataclass
class _Kept:
    """What the cross-category checks need of a land layer once its own targets are counted."""

    spec: LayerSpec
    ids: npt.NDArray[np.object_]
    status: npt.NDArray[np.object_]
    bounds: npt.NDArray[np.float64]  # (n, 4); NaN where there is no geometry
    usable: npt.NDArray[np.bool_]  # a geometry that is neither missing nor empty
    polygonal: npt.NDArray[np.bool_]
    wkb: npt.NDArray[np.object_]

    @classmethod
    def of(cls, gdf: gpd.GeoDataFrame, spec: LayerSpec) -> _Kept:
        geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
        status = (
            gdf[spec.status.field].astype(object).to_numpy()
            if spec.status is not None and spec.status.field in gdf
            else np.full(len(gdf), None, dtype=object)
        )
        return cls(
            spec=spec,
            ids=np.asarray(gdf.index.astype(str).tolist(), dtype=object),
            status=status,
            bounds=layer_bounds(geoms),
            usable=~(shapely.is_missing(geoms) | shapely.is_empty(geoms)),
            polygonal=np.isin(shapely.get_type_id(geoms), _POLYGONAL),
            wkb=np.asarray(shapely.to_wkb(geoms), dtype=object),
        )

    def geometries(self, real: npt.NDArray[np.bool_]) -> npt.NDArray[np.object_]:
        """The geometries where ``real``; elsewhere a box of the same extent (missing and empty ones as they were).

        A spatial index keeps boxes only, so one built on these is the index of the
        layer itself; a query finds the same candidates, and the exact tests are made
        on real geometries as long as ``real`` covers every feature a query can meet.
        """
        out = np.empty(len(self.wkb), dtype=object)
        boxed = self.usable & ~real
        b = self.bounds[boxed]
        out[boxed] = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
        out[~boxed] = shapely.from_wkb(self.wkb[~boxed])
        return out


def layer_bounds(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
    """Each geometry's box (minx, miny, maxx, maxy); NaN for missing and empty geometries."""
    return np.asarray(shapely.bounds(geoms), dtype="float64")


def _needs_cross(loader: Loader, plan: TargetPlan, target: TargetSpec) -> list[LayerSpec]:
    """The land layers ``target`` is cross-checked with (none unless it counts area)."""
    if target.measure != "area" or not loader.has(target.layer):
        return []
    spec = loader.store.spec(target.layer)
    return [o for o in land_specs(loader.store, plan, spec) if loader.has(o.key)]


def count_plan(
    loader: Loader,
    plan: TargetPlan,
    targets: Sequence[TargetSpec],
    day: dt.date,
    horizon: dt.datetime,
    settings: ProgressSettings,
) -> list[Counted]:
    """Count ``targets`` at ``day`` as known at ``horizon`` with every detail, one layer at a time.

    Same figures, lists and overlaps as counting each target with all land layers
    at hand; only one land layer's geometries are held at a time.
    """
    polygons = set(polygon_layers(loader, plan))
    groups: dict[str, list[int]] = {}
    for i, target in enumerate(targets):
        groups.setdefault(target.layer, []).append(i)
    needed: set[str] = set()
    for target in targets:
        others = _needs_cross(loader, plan, target)
        if others:
            needed |= {target.layer, *(o.key for o in others)}
    order = [*groups, *sorted(needed - set(groups))]
    out: list[Counted | None] = [None] * len(targets)
    kept: dict[str, _Kept] = {}
    for key in order:
        near = None
        if key in polygons:
            bounds = layer_bounds(loader.snapshot(key, day, horizon).geometry.to_numpy())
            near = neighbours({key: bounds})[key]
        for i in groups.get(key, []):
            out[i] = count_target(
                loader, plan, targets[i], day, horizon, settings, detail=True, near=near
            )
        if key in needed and loader.has(key):
            kept[key] = _Kept.of(loader.snapshot(key, day, horizon), loader.store.spec(key))
        if key in polygons:
            loader.release(key)
    counted = [c for c in out if c is not None]
    if kept:
        _cross_check(counted, kept, settings)
    return counted


def _cross_check(
    counted: list[Counted], kept: dict[str, _Kept], settings: ProgressSettings
) -> None:
    """Add the cross-category overlaps to each area target's overlaps (as counting them with the layers at hand)."""
    keys = sorted(kept)
    near = neighbours({k: kept[k].bounds for k in keys})
    geoms = {}
    for k in keys:  # real geometries for the features whose box meets one of another layer
        real = np.zeros(len(kept[k].ids), dtype=bool)
        for o in keys:
            if o != k:
                real |= near[k][o]
        geoms[k] = kept[k].geometries(real)
    rules = settings.context().overlaps
    for c in counted:
        ev = c.evaluation
        if not c.others or c.target.measure != "area" or c.spec.key not in kept:
            continue
        mine = kept[c.spec.key]
        rows = ev.positions if ev.positions is not None else np.arange(len(mine.ids))
        others = [
            (
                o,
                gpd.GeoDataFrame(
                    {o.status.field if o.status is not None else "_status": kept[o.key].status},
                    geometry=gpd.GeoSeries(
                        geoms[o.key], index=pd.Index(kept[o.key].ids), crs=CGCS2000
                    ),
                    index=pd.Index(kept[o.key].ids),
                    crs=CGCS2000,
                ),
            )
            for o in c.others
        ]
        extra = cross_overlaps(
            c.spec,
            ev.features["id"].to_numpy(dtype=object),
            ev.features["status"].to_numpy(dtype=object),
            geoms[c.spec.key][rows],
            (mine.usable & mine.polygonal)[rows],
            others,
            rules,
            near={k: v[rows] for k, v in near[c.spec.key].items()},
        )
        if len(extra):
            ev.overlaps = pd.concat([ev.overlaps, extra], ignore_index=True)
