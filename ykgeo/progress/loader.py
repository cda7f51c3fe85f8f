"""Reading layers for progress figures and counting one target on them.

:class:`Loader` reads each layer's history once per report and hands out its
snapshots (cached per date and knowledge horizon) until the layer is released;
:func:`count_target` counts one target on a snapshot (:func:`ykgeo.progress.count.evaluate`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from ykgeo.errors import StoreError
from ykgeo.layers import LayerSpec, TargetPlan, TargetSpec, parse_plan
from ykgeo.progress.chainage import EQUATION_FIELDS, chainage_fields, find_field
from ykgeo.progress.count import Evaluation, evaluate
from ykgeo.progress.geometry import Townships
from ykgeo.progress.history import LayerHistory
from ykgeo.progress.model import ProgressSettings
from ykgeo.store import PlanVersion, Store, stamp
from ykgeo.store.plans import pick_version

__all__ = [
    "TOWNSHIP_LAYER",
    "Counted",
    "Loader",
    "count_target",
    "counting_fields",
    "land_specs",
    "plan_fields",
    "polygon_layers",
]

#: The reference layer of township polygons.
TOWNSHIP_LAYER = "townships"


def counting_fields(spec: LayerSpec, targets: Iterable[TargetSpec] = ()) -> frozenset[str]:
    """The fields of ``spec`` that counting ``targets`` on it reads; the others need not be read.

    The layer's roles (id, name, township, ledger area, status with its completion and
    planned dates), the chainage fields (stations, 断链, road, carriageway) and each
    target's summed field and filter fields.
    """
    names = {spec.id_field, spec.name_field, spec.township_field, spec.ledger_area_field}
    if spec.status is not None:
        status = spec.status
        names |= {status.field, status.date_field, status.planned_date_field}
    names |= chainage_fields(spec)
    for target in targets:
        names |= {target.field, *target.filter}
    return frozenset(names - {""})


def plan_fields(
    plan: TargetPlan, spec: LayerSpec, extra: Iterable[TargetSpec] = ()
) -> frozenset[str]:
    """:func:`counting_fields` of every target of ``plan`` on ``spec`` (and ``extra``): one read serves them all."""
    return counting_fields(spec, [*(t for t in plan.targets if t.layer == spec.key), *extra])


class Loader:
    """Reads each layer's history once and hands out snapshots (cached per date and horizon).

    ``remember_shares=False`` for figures of one date: township shares are then not kept
    per shape for later dates. A snapshot asked for with ``fields`` has those fields of
    the layer at least (:func:`plan_fields`); without, every field. A layer held with
    fewer fields than asked for is read again with both.
    """

    def __init__(self, store: Store, *, remember_shares: bool = True) -> None:
        self.store = store
        self._remember_shares = remember_shares
        self._histories: dict[str, LayerHistory] = {}
        self._snapshots: dict[tuple[str, dt.date, dt.datetime], gpd.GeoDataFrame] = {}
        self._towns: Townships | None = None
        self._since: dict[tuple[str, dt.date, dt.datetime, tuple[str, ...]], pd.Series] = {}
        self._towns_at: dict[tuple[dt.date, dt.datetime], tuple[Townships, list[str]]] = {}
        self._keys = set(store.layer_keys())
        self._versions: dict[int, list[PlanVersion]] = {}
        self._plans: dict[tuple[int, int], TargetPlan] = {}

    def plan(
        self, year: int, day: dt.date, horizon: dt.datetime
    ) -> tuple[TargetPlan, PlanVersion, str]:
        """The plan of ``year`` as it applied on ``day`` as known at ``horizon`` (see Store.plan)."""
        if year not in self._versions:
            versions = self.store.plan_versions(year)
            if not versions:
                self.store.plan(year)  # raises the store's message naming the years with a plan
            self._versions[year] = versions
        version, note = pick_version(self._versions[year], day, stamp(horizon))
        key = (year, version.version)
        if key not in self._plans:
            self._plans[key] = parse_plan(
                version.text,
                name=f"{self.store.path.name}:{year} 第 {version.version} 版",
                layers=self.store.layers,
                year=year,
            )
        return self._plans[key], version, note

    def has(self, key: str) -> bool:
        return key in self._keys

    def history(
        self,
        key: str,
        day: dt.date,
        horizon: dt.datetime,
        *,
        fields: Collection[str] | None = None,
    ) -> LayerHistory:
        """The layer's history, read again when the one held does not reach ``day`` or lacks ``fields``.

        ``fields`` None asks for every field of the layer.
        """
        held = self._histories.get(key)
        if held is None or not held.covers(day, horizon) or not held.holds(fields):
            if key not in self._keys:
                spec = self.store.spec(key)
                msg = f"项目库 {self.store.path.name} 中没有图层 {spec.name_zh}（{key}）"
                raise StoreError(msg)
            unknown_at = (day, horizon)
            if held is not None:
                if held.bound is not None:  # as far back as both
                    unknown_at = (min(day, held.bound[0]), min(horizon, held.bound[1]))
                if held.holds(fields):
                    fields = held.fields  # the snapshots held keep their fields
                else:  # the snapshots held lack fields: they go; the layer is read with both
                    self._snapshots = {k: v for k, v in self._snapshots.items() if k[0] != key}
                    fields = (
                        None if fields is None or held.fields is None else held.fields | set(fields)
                    )
            held = LayerHistory.read(self.store, key, unknown_at=unknown_at, fields=fields)
            self._histories[key] = held
        return held

    def snapshot(
        self,
        key: str,
        day: dt.date,
        horizon: dt.datetime,
        *,
        fields: Collection[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Layer ``key`` at ``day`` as known at ``horizon``, with ``fields`` at least (None: every field)."""
        hist = self.history(key, day, horizon, fields=fields)
        k = (key, day, horizon)
        if k not in self._snapshots:
            self._snapshots[k] = hist.snapshot(day, horizon)
        return self._snapshots[k]

    def counted_since(
        self, key: str, day: dt.date, horizon: dt.datetime, statuses: Sequence[str]
    ) -> pd.Series:
        """Per feature, the day its status last entered ``statuses`` (:meth:`LayerHistory.counted_since`)."""
        k = (key, day, horizon, tuple(statuses))
        if k not in self._since:
            held = self.history(key, day, horizon, fields=())  # the status index: any fields do
            self._since[k] = held.counted_since(day, horizon, statuses)
        return self._since[k]

    def release(self, key: str) -> None:
        """Forget layer ``key`` (history, snapshots, status dates, township shares): it is read again if asked for."""
        self._histories.pop(key, None)
        self._snapshots = {k: v for k, v in self._snapshots.items() if k[0] != key}
        self._since = {k: v for k, v in self._since.items() if k[0] != key}
        for towns, _ in self._towns_at.values():
            towns.forget()  # the shares of its shapes, kept in case the layer came again

    def townships(self, day: dt.date, horizon: dt.datetime) -> tuple[Townships, list[str]]:
        """Township polygons at ``day``; the current ones when the layer was loaded later than that."""
        if (day, horizon) not in self._towns_at:
            self._towns_at[(day, horizon)] = self._read_townships(day, horizon)
        towns, notes = self._towns_at[(day, horizon)]
        return towns, list(notes)

    def _read_townships(self, day: dt.date, horizon: dt.datetime) -> tuple[Townships, list[str]]:
        notes: list[str] = []
        if not self.has(TOWNSHIP_LAYER):
            notes.append("项目库没有镇街图层（townships），镇街按台账“所属镇街”字段归属")
            return Townships([], []), notes
        spec = self.store.spec(TOWNSHIP_LAYER)
        fields = counting_fields(spec)
        gdf = self.snapshot(TOWNSHIP_LAYER, day, horizon, fields=fields)
        if gdf.empty:
            gdf = self.history(TOWNSHIP_LAYER, day, horizon, fields=fields).current
            if gdf.empty:
                notes.append("镇街图层为空，镇街按台账“所属镇街”字段归属")
            else:
                notes.append(f"镇街图层在 {day} 尚未入库，按现有镇街界线归属")
        towns = Townships.from_layer(gdf, spec)
        towns.remember = self._remember_shares
        if self._towns is not None and towns.same_as(self._towns):
            return self._towns, notes
        self._towns = towns
        return towns, notes


def polygon_layers(loader: Loader, plan: TargetPlan) -> list[str]:
    """The polygon layers the plan counts that the store has: those checked against each other for overlaps."""
    return sorted(
        {
            t.layer
            for t in plan.targets
            if loader.has(t.layer) and loader.store.spec(t.layer).geometry_type == "Polygon"
        }
    )


def land_specs(store: Store, plan: TargetPlan, spec: LayerSpec) -> list[LayerSpec]:
    """Other polygon layers with area targets in the plan and the same theme: the land categories to cross-check."""
    out: list[LayerSpec] = []
    for t in plan.targets:
        other = store.spec(t.layer)
        if (
            t.measure == "area"
            and other.key != spec.key
            and other.geometry_type == "Polygon"
            and other.theme == spec.theme
            and all(o.key != other.key for o in out)
        ):
            out.append(other)
    return out


def _parent_specs(store: Store, spec: LayerSpec) -> list[LayerSpec]:
    """Layers holding 断链 equations for a chainage layer (e.g. road_projects for road_sections)."""
    out = []
    for key in store.layer_keys():
        other = store.spec(key)
        if other.key != spec.key and find_field(other, EQUATION_FIELDS):
            out.append(other)
    return out


@dataclass
class Counted:
    """One target counted at one date: its evaluation, the land layers it was cross-checked with, notes."""

    target: TargetSpec
    spec: LayerSpec
    evaluation: Evaluation
    others: list[LayerSpec]
    notes: list[str]


def count_target(
    loader: Loader,
    plan: TargetPlan,
    target: TargetSpec,
    day: dt.date,
    horizon: dt.datetime,
    settings: ProgressSettings,
    *,
    detail: bool,
    near: Mapping[str, npt.NDArray[np.bool_]] | None = None,
    others: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]] = (),
) -> Counted:
    """Count ``target`` on its layer as it stood at ``day`` as known at ``horizon``.

    ``near`` (:func:`ykgeo.progress.geometry.neighbours` of the layer's rows) and
    ``others`` (the land layers to cross-check, as :func:`land_specs` names them)
    are passed on to :func:`~ykgeo.progress.count.evaluate`; :func:`ykgeo.progress.sweep.count_plan`
    gives the cross-checks later, from what it keeps of each layer.
    """
    store = loader.store
    spec = store.spec(target.layer)
    layer = loader.snapshot(
        target.layer, day, horizon, fields=plan_fields(plan, spec, extra=(target,))
    )
    since = loader.counted_since(target.layer, day, horizon, target.statuses)
    towns, notes = loader.townships(day, horizon)
    others_specs = (
        [o for o in land_specs(store, plan, spec) if loader.has(o.key)]
        if target.measure == "area"
        else []
    )
    parents = (
        {
            p.key: (p, loader.snapshot(p.key, day, horizon, fields=plan_fields(plan, p)))
            for p in _parent_specs(store, spec)
            if loader.has(p.key)
        }
        if target.measure == "chainage_km"
        else {}
    )
    ev = evaluate(
        target,
        spec,
        layer,
        since,
        towns,
        year=plan.year,
        as_of=day,
        ctx=settings.context(),
        others=others if detail else (),
        parents=parents,
        detail=detail,
        near=near if detail and spec.geometry_type == "Polygon" else None,
    )
    return Counted(target, spec, ev, others_specs, notes)
