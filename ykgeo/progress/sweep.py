"""Counting a whole plan at one date, one layer at a time: a report on a million parcels holds one layer's geometries.

A full report counts every target of the plan on its layer's snapshot, and checks
each land category against the others for overlaps (reported, never deducted).
Holding every layer's snapshot for those checks would hold every geometry at once
(about 1.3 GB for a million parcels). :func:`count_plan` instead takes the layers
one after another: it counts the targets of a layer, keeps what the cross-category
checks need (:class:`_Kept`: ids, statuses, boxes, and the geometries of the few
features that can meet another category) and lets the layer go.

Which features can meet another category is known before any layer is read: every
box a feature has had (:func:`ykgeo.store.boxes.feature_boxes`, from the R-tree and
the log) is joined once with those of the other categories (:class:`_Candidates`).
A feature whose box at the date lies inside the boxes it has had (always, unless the
R-tree is stale) and that meets no other category's boxes cannot overlap one; it
stands in the spatial indexes as a line across the same extent (the box's diagonal,
:func:`ykgeo.progress.geometry.extents`), so every index, every query and every pair
comes out exactly as with the whole layers. Should a box lie
outside (a stale R-tree, a write meanwhile), the pairs are found from the boxes at
the date instead and the geometries still missing are read again.
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
from ykgeo.errors import StoreError
from ykgeo.layers import LayerSpec, TargetPlan, TargetSpec
from ykgeo.progress.count import texts
from ykgeo.progress.geometry import cross_overlaps, extents, neighbours
from ykgeo.progress.loader import (
    Counted,
    Loader,
    count_target,
    land_specs,
    plan_fields,
    polygon_layers,
)
from ykgeo.progress.model import ProgressSettings
from ykgeo.store.boxes import feature_boxes

__all__ = ["count_plan"]

_POLYGONAL = (3, 6)


@dataclass
class _Candidates:
    """Per land layer, the ids whose boxes (any state) meet boxes of each other land layer."""

    ids: dict[str, pd.Index]  # unique feature ids of each layer, in the order of ``boxes``
    boxes: dict[str, npt.NDArray[np.float64]]  # the union of each id's boxes, (n, 4)
    near: dict[str, dict[str, npt.NDArray[np.bool_]]]  # layer → other layer → mask over ``ids``

    @classmethod
    def read(cls, loader: Loader, keys: Sequence[str]) -> _Candidates | None:
        """One box join of every box the layers' features have had; None if a layer has no R-tree."""
        ids: dict[str, pd.Index] = {}
        boxes: dict[str, npt.NDArray[np.float64]] = {}
        for key in keys:
            got = feature_boxes(loader.store.path, loader.store.spec(key))
            if got is None:
                return None
            index = pd.Index(got[0], dtype=object)
            if index.is_unique:  # one box per feature (no geometry in the log)
                ids[key], boxes[key] = index, got[1]
                continue
            frame = pd.DataFrame(got[1], columns=["minx", "miny", "maxx", "maxy"], index=index)
            union = frame.groupby(level=0).agg(
                {"minx": "min", "miny": "min", "maxx": "max", "maxy": "max"}
            )
            ids[key] = pd.Index(union.index, dtype=object)
            boxes[key] = union.to_numpy(dtype="float64")
        return cls(ids, boxes, neighbours(boxes))

    def rows(
        self, key: str, ids: npt.NDArray[np.object_], bounds: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        """Positions of a snapshot's features among the ids, and whether each one's box lies inside theirs.

        A feature without a usable geometry (NaN box) counts as inside: it meets nothing.
        """
        pos = self.ids[key].get_indexer(pd.Index(ids, dtype=object))
        held = self.boxes[key][np.maximum(pos, 0)]
        inside = (
            (pos >= 0)
            & (bounds[:, 0] >= held[:, 0])
            & (bounds[:, 1] >= held[:, 1])
            & (bounds[:, 2] <= held[:, 2])
            & (bounds[:, 3] <= held[:, 3])
        )
        return pos, inside | np.isnan(bounds).any(axis=1)

    def done(self, key: str) -> None:
        """Let go of the ids and boxes of layer ``key`` once its rows are placed (the masks stay)."""
        self.ids[key] = pd.Index([], dtype=object)
        self.boxes[key] = np.zeros((0, 4))

    def mask(self, key: str, other: str, pos: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Which rows (``pos`` from :meth:`rows`) have a box meeting one of layer ``other``."""
        return self.near[key][other][np.maximum(pos, 0)] & (pos >= 0)


@dataclass
class _Kept:
    """What the cross-category checks need of a land layer once its own targets are counted."""

    spec: LayerSpec
    ids: npt.NDArray[np.object_]
    status: npt.NDArray[np.object_]
    bounds: npt.NDArray[np.float64]  # (n, 4); NaN where there is no geometry
    usable: npt.NDArray[np.bool_]  # a geometry that is neither missing nor empty
    polygonal: npt.NDArray[np.bool_]
    geoms: npt.NDArray[np.object_]  # the geometry where ``held`` or not usable, else None
    held: npt.NDArray[np.bool_]
    pos: npt.NDArray[np.int64]  # rows among the candidates' ids (−1: none)

    @classmethod
    def of(
        cls,
        gdf: gpd.GeoDataFrame,
        spec: LayerSpec,
        bounds: npt.NDArray[np.float64],
        real: npt.NDArray[np.bool_],
        pos: npt.NDArray[np.int64],
    ) -> _Kept:
        geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
        status = (
            gdf[spec.status.field].astype(object).to_numpy()
            if spec.status is not None and spec.status.field in gdf
            else np.full(len(gdf), None, dtype=object)
        )
        usable = np.asarray(~np.isnan(bounds).any(axis=1), dtype=bool)
        held = real & usable
        kept = np.full(len(geoms), None, dtype=object)
        kept[held | ~usable] = geoms[held | ~usable]
        return cls(
            spec=spec,
            ids=texts(gdf.index),
            status=status,
            bounds=bounds,
            usable=usable,
            polygonal=np.isin(shapely.get_type_id(geoms), _POLYGONAL),
            geoms=kept,
            held=held,
            pos=pos,
        )

    def add(self, gdf: gpd.GeoDataFrame, rows: npt.NDArray[np.bool_]) -> None:
        """Hold the geometries of ``rows`` too, taken from ``gdf`` (the layer read again)."""
        at = gdf.index.get_indexer(pd.Index(self.ids[rows], dtype=object))
        if (at < 0).any():
            msg = f"图层 {self.spec.name_zh} 在统计期间被修改，请重新统计"
            raise StoreError(msg)
        self.geoms[rows] = np.asarray(gdf.geometry.to_numpy(), dtype=object)[at]
        self.held |= rows

    def geometries(self) -> npt.NDArray[np.object_]:
        """The geometries held; a line across the same extent for the others (missing and empty ones as they were).

        A spatial index keeps extents only, so one built on these is the index of the
        layer itself; a query finds the same candidates, and the exact tests are made
        on real geometries as long as every feature a query can meet is held (a
        stand-in is never one: it is not polygonal, and no query meets its extent).
        """
        out = self.geoms.copy()
        boxed = self.usable & ~self.held
        out[boxed] = extents(self.bounds[boxed])
        return out


def layer_bounds(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
    """Each geometry's box (minx, miny, maxx, maxy); NaN for missing and empty geometries."""
    return np.asarray(shapely.bounds(geoms), dtype="float64").reshape(-1, 4)


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
    at hand; only one land layer's geometries are held at a time, and of the
    others only those that can meet another land category.
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
    # the fields counting reads, the same for every read of a layer here (one read each)
    fields = {key: plan_fields(plan, loader.store.spec(key)) for key in order}
    candidates = _Candidates.read(loader, sorted(needed)) if len(needed) > 1 else None
    out: list[Counted | None] = [None] * len(targets)
    kept: dict[str, _Kept] = {}
    for key in order:
        near: dict[str, npt.NDArray[np.bool_]] | None = None
        bounds = np.zeros((0, 4))
        ids = np.zeros(0, dtype=object)
        placed: tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]] | None = None
        if key in polygons or key in needed:
            gdf = loader.snapshot(key, day, horizon, fields=fields[key])
            bounds = layer_bounds(gdf.geometry.to_numpy())
            ids = texts(gdf.index)
            if candidates is not None and key in needed:
                placed = candidates.rows(key, ids, bounds)
                candidates.done(key)
        if key in polygons:
            if candidates is not None and placed is not None and placed[1].all():
                near = {key: candidates.mask(key, key, placed[0])}
            else:  # the boxes at the date (a box outside those read, or no land cross-check)
                near = neighbours({key: bounds})[key]
        for i in groups.get(key, []):
            out[i] = count_target(
                loader, plan, targets[i], day, horizon, settings, detail=True, near=near
            )
        if key in needed and loader.has(key):
            if candidates is None or placed is None:  # every geometry held: the boxes at the date
                pos, real = np.full(len(ids), -1), np.ones(len(ids), dtype=bool)
            else:
                pos, inside = placed
                real = ~inside
                for other in needed - {key}:
                    real |= candidates.mask(key, other, pos)
                if not inside.all():
                    candidates = None  # a box outside those read: the boxes at the date decide
            kept[key] = _Kept.of(
                loader.snapshot(key, day, horizon, fields=fields[key]),
                loader.store.spec(key),
                bounds,
                real,
                pos,
            )
        if key in polygons:
            loader.release(key)
    counted = [c for c in out if c is not None]
    if kept:
        meets = _near(loader, kept, candidates, (day, horizon), fields)
        _cross_check(counted, kept, meets, settings)
    return counted


def _near(
    loader: Loader,
    kept: dict[str, _Kept],
    candidates: _Candidates | None,
    at: tuple[dt.date, dt.datetime],
    fields: dict[str, frozenset[str]],
) -> dict[str, dict[str, npt.NDArray[np.bool_]]]:
    """Per layer and other layer, the rows whose box meets one of the other's; every such row held.

    From the candidates' join when every box lay inside those read, else from one
    join of the boxes at the date, reading a layer again for geometries not held.
    """
    keys = sorted(kept)
    if candidates is not None:
        return {k: {o: candidates.mask(k, o, kept[k].pos) for o in keys if o != k} for k in keys}
    near = neighbours({k: kept[k].bounds for k in keys})
    for k in keys:
        wanted = np.zeros(len(kept[k].ids), dtype=bool)
        for o in keys:
            if o != k:
                wanted |= near[k][o]
        missing = wanted & kept[k].usable & ~kept[k].held
        if missing.any():
            kept[k].add(loader.snapshot(k, *at, fields=fields[k]), missing)
            loader.release(k)
    return near


def _frame(kept: _Kept, geoms: npt.NDArray[np.object_]) -> gpd.GeoDataFrame:
    """A kept layer as the cross check reads another category: status and geometry by feature id."""
    spec = kept.spec
    index = pd.Index(kept.ids)
    return gpd.GeoDataFrame(
        {spec.status.field if spec.status is not None else "_status": kept.status},
        geometry=gpd.GeoSeries(geoms, index=index, crs=CGCS2000),
        index=index,
        crs=CGCS2000,
    )


def _cross_check(
    counted: list[Counted],
    kept: dict[str, _Kept],
    near: dict[str, dict[str, npt.NDArray[np.bool_]]],
    settings: ProgressSettings,
) -> None:
    """Add the cross-category overlaps to each area target's overlaps (as counting them with the layers at hand)."""
    geoms = {k: kept[k].geometries() for k in kept}
    trees = {k: shapely.STRtree(g) for k, g in geoms.items()}  # each built once, not per target
    frames = {k: _frame(kept[k], geoms[k]) for k in kept}
    rules = settings.context().overlaps
    for c in counted:
        ev = c.evaluation
        if not c.others or c.target.measure != "area" or c.spec.key not in kept:
            continue
        mine = kept[c.spec.key]
        rows = ev.positions if ev.positions is not None else np.arange(len(mine.ids))
        others = [(o, frames[o.key]) for o in c.others if o.key in frames]
        extra = cross_overlaps(
            c.spec,
            ev.features["id"].to_numpy(dtype=object),
            ev.features["status"].to_numpy(dtype=object),
            geoms[c.spec.key][rows],
            (mine.usable & mine.polygonal)[rows],
            others,
            rules,
            near={k: v[rows] for k, v in near[c.spec.key].items()},
            trees=trees,
        )
        if len(extra):
            ev.overlaps = pd.concat([ev.overlaps, extra], ignore_index=True)
