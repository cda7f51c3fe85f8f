"""The progress engine: each target's figures for a date, per township and month, from the store's edit log.

The counting rules are described in :mod:`ykgeo.progress`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from ykgeo.errors import DataError, StoreError
from ykgeo.layers import LayerSpec, TargetPlan, TargetSpec, parse_plan
from ykgeo.progress.chainage import EQUATION_FIELDS, find_field
from ykgeo.progress.count import OUTSIDE_ZH, Evaluation, evaluate, rule_zh
from ykgeo.progress.geometry import Townships, neighbours
from ykgeo.progress.history import LayerHistory, data_version_at, end_of_day
from ykgeo.progress.model import (
    QUARTER_DAYS,
    SHARE_GIVEN_ZH,
    SHARE_PROPORTIONAL_ZH,
    ProgressReport,
    ProgressSettings,
    Rating,
    TargetProgress,
    forecast_year_end,
    milestone_fraction,
    rate,
    unit_decimals,
)
from ykgeo.store import TZ, PlanVersion, Store, now, stamp
from ykgeo.store.plans import pick_version

__all__ = ["TOWNSHIP_LAYER", "monthly_progress", "progress_report"]

#: The reference layer of township polygons.
TOWNSHIP_LAYER = "townships"


# --- loading ----------------------------------------------------------------------------------


class _Loader:
    """Reads each layer's history once and hands out snapshots (cached per date and horizon)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._histories: dict[str, LayerHistory] = {}
        self._snapshots: dict[tuple[str, dt.date, dt.datetime], gpd.GeoDataFrame] = {}
        self._towns: Townships | None = None
        self._since: dict[tuple[str, dt.date, dt.datetime, tuple[str, ...]], pd.Series] = {}
        self._towns_at: dict[tuple[dt.date, dt.datetime], tuple[Townships, list[str]]] = {}
        self._keys = set(store.layer_keys())
        self._near: dict[
            tuple[dt.date, dt.datetime], dict[str, dict[str, npt.NDArray[np.bool_]]]
        ] = {}
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

    def history(self, key: str, day: dt.date, horizon: dt.datetime) -> LayerHistory:
        """The layer's history, read (again, further back) when the one held does not reach ``day``."""
        held = self._histories.get(key)
        if held is None or not held.covers(day, horizon):
            if key not in self._keys:
                spec = self.store.spec(key)
                msg = f"项目库 {self.store.path.name} 中没有图层 {spec.name_zh}（{key}）"
                raise StoreError(msg)
            held = LayerHistory.read(self.store, key, unknown_at=(day, horizon))
            self._histories[key] = held
        return held

    def snapshot(self, key: str, day: dt.date, horizon: dt.datetime) -> gpd.GeoDataFrame:
        k = (key, day, horizon)
        if k not in self._snapshots:
            self._snapshots[k] = self.history(key, day, horizon).snapshot(day, horizon)
        return self._snapshots[k]

    def counted_since(
        self, key: str, day: dt.date, horizon: dt.datetime, statuses: Sequence[str]
    ) -> pd.Series:
        k = (key, day, horizon, tuple(statuses))
        if k not in self._since:
            self._since[k] = self.history(key, day, horizon).counted_since(day, horizon, statuses)
        return self._since[k]

    def neighbours(
        self, plan: TargetPlan, day: dt.date, horizon: dt.datetime
    ) -> dict[str, dict[str, npt.NDArray[np.bool_]]]:
        """Box neighbours among the polygon layers the plan counts (one spatial join per date)."""
        if (day, horizon) not in self._near:
            keys = sorted(
                {
                    t.layer
                    for t in plan.targets
                    if self.has(t.layer) and self.store.spec(t.layer).geometry_type == "Polygon"
                }
            )
            self._near[(day, horizon)] = neighbours(
                {k: self.snapshot(k, day, horizon).geometry.to_numpy() for k in keys}
            )
        return self._near[(day, horizon)]

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
        gdf = self.snapshot(TOWNSHIP_LAYER, day, horizon)
        if gdf.empty:
            gdf = self.history(TOWNSHIP_LAYER, day, horizon).current
            if gdf.empty:
                notes.append("镇街图层为空，镇街按台账“所属镇街”字段归属")
            else:
                notes.append(f"镇街图层在 {day} 尚未入库，按现有镇街界线归属")
        towns = Townships.from_layer(gdf, spec)
        if self._towns is not None and towns.same_as(self._towns):
            return self._towns, notes
        self._towns = towns
        return towns, notes


def _land_specs(store: Store, plan: TargetPlan, spec: LayerSpec) -> list[LayerSpec]:
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
class _Counted:
    target: TargetSpec
    spec: LayerSpec
    evaluation: Evaluation
    others: list[LayerSpec]
    notes: list[str]


def _count(
    loader: _Loader,
    plan: TargetPlan,
    target: TargetSpec,
    day: dt.date,
    horizon: dt.datetime,
    settings: ProgressSettings,
    *,
    detail: bool,
) -> _Counted:
    store = loader.store
    spec = store.spec(target.layer)
    layer = loader.snapshot(target.layer, day, horizon)
    since = loader.counted_since(target.layer, day, horizon, target.statuses)
    towns, notes = loader.townships(day, horizon)
    others_specs = (
        [o for o in _land_specs(store, plan, spec) if loader.has(o.key)]
        if target.measure == "area"
        else []
    )
    others = [(o, loader.snapshot(o.key, day, horizon)) for o in others_specs] if detail else []
    parents = (
        {
            p.key: (p, loader.snapshot(p.key, day, horizon))
            for p in _parent_specs(store, spec)
            if loader.has(p.key)
        }
        if target.measure == "chainage_km"
        else {}
    )
    near = (
        loader.neighbours(plan, day, horizon).get(target.layer)
        if detail and spec.geometry_type == "Polygon"
        else None
    )  # one join for all layers pays off when the cross-category overlaps are wanted
    ev = evaluate(
        target,
        spec,
        layer,
        since,
        towns,
        year=plan.year,
        as_of=day,
        ctx=settings.context(),
        others=others,
        parents=parents,
        detail=detail,
        near=near,
    )
    return _Counted(target, spec, ev, others_specs, notes)


# --- summaries --------------------------------------------------------------------------------


def _township_order(alloc: pd.DataFrame, names: Sequence[str]) -> list[str]:
    extra = sorted(
        set(alloc["township"].astype(str)) - set(names), key=lambda s: (s == OUTSIDE_ZH, s)
    )
    return [*names, *extra]


class _Sums:
    """Sums of allocation rows per township in a fixed order (one index lookup for all sums)."""

    def __init__(self, alloc: pd.DataFrame, order: list[str]) -> None:
        self.n = len(order)
        self.town = pd.Index(order).get_indexer(pd.Index(alloc["township"].astype(str)))
        self.columns = {c: alloc[c].to_numpy(dtype="float64") for c in ("amount", "pipeline")}

    def __call__(self, mask: npt.NDArray[np.bool_], column: str) -> npt.NDArray[np.float64]:
        values = self.columns[column]
        return np.bincount(self.town[mask], weights=values[mask], minlength=self.n).astype(
            "float64"
        )


def _summarise(
    counted: _Counted,
    *,
    as_of: dt.date,
    year: int,
    town_names: Sequence[str],
    township: str | None,
    settings: ProgressSettings,
) -> TargetProgress:
    target, spec, ev = counted.target, counted.spec, counted.evaluation
    alloc = ev.allocation
    order = _township_order(alloc, town_names)
    cls = alloc["class"].to_numpy()
    dates = alloc["since"].to_numpy()
    done_mask = cls == "done"
    start = np.datetime64(dt.date(year, 1, 1), "ns")
    cut = np.datetime64(as_of - dt.timedelta(days=QUARTER_DAYS), "ns")
    sums = _Sums(alloc, order)
    done = sums(done_mask, "amount")
    in_prog = sums(cls == "in_progress", "amount")
    not_started = sums(cls == "not_started", "amount")
    pipeline = sums(cls == "in_progress", "pipeline")
    carried = sums(done_mask & ~np.isnat(dates) & (dates < start), "amount")
    ago = sums(done_mask & ~np.isnat(dates) & (dates <= cut), "amount")
    outstanding = in_prog + not_started
    forecast, projection = forecast_year_end(
        done,
        carried=carried,
        done_quarter_ago=ago,
        pipeline=pipeline,
        outstanding=outstanding,
        as_of=as_of,
        year=year,
        settings=settings,
    )
    fraction = milestone_fraction(target.milestones, year, as_of)
    started = as_of >= dt.date(year, 1, 1)
    stock = done + outstanding
    share = stock / stock.sum() if stock.sum() > 0 else np.zeros_like(stock)
    if target.township_values:  # 任务分解下达: the plan's own figure for each township
        implied = np.array([float(target.township_values.get(n, 0.0)) for n in order])
        basis = SHARE_GIVEN_ZH
    else:  # the city target split in proportion to what each township has on the map
        implied = target.value * share
        basis = SHARE_PROPORTIONAL_ZH
    city_done = done.sum()
    ratings = [
        rate(d, f, t, t * fraction, settings=settings, at_least=target.at_least, started=started)
        for d, f, t in zip(done, forecast, implied, strict=True)
    ]
    by_town = pd.DataFrame(
        {
            "镇街": order,
            "done": done,
            "in_progress": in_prog,
            "not_started": not_started,
            "pct_of_city": done / city_done * 100.0 if city_done > 0 else np.zeros_like(done),
            "target_share": implied,
            "pct_of_share": np.where(
                implied > 0, done / np.where(implied > 0, implied, 1) * 100.0, np.nan
            ),
            "pipeline": pipeline,
            "forecast": forecast,
            "rating": ratings,
            "share_basis": basis,
        }
    )
    features, overlaps = ev.features, ev.overlaps
    mism, area_mism = ev.township_mismatches, ev.area_mismatches
    if township is not None:
        keep = by_town["镇街"] == township
        by_town = by_town[keep.to_numpy()].reset_index(drop=True)
        ids = set(
            alloc.loc[(alloc["township"].astype(str) == township).to_numpy(), "id"].astype(str)
        )
        features = features[features["id"].astype(str).isin(ids).to_numpy()].reset_index(drop=True)
        overlaps = overlaps[
            (
                overlaps["id_a"].astype(str).isin(ids) | overlaps["id_b"].astype(str).isin(ids)
            ).to_numpy()
        ].reset_index(drop=True)
        mism = mism[mism["id"].astype(str).isin(ids).to_numpy()].reset_index(drop=True)
        area_mism = area_mism[area_mism["id"].astype(str).isin(ids).to_numpy()].reset_index(
            drop=True
        )
        sel = keep.to_numpy()
        t_done, t_prog, t_not = done[sel].sum(), in_prog[sel].sum(), not_started[sel].sum()
        t_fore, t_pipe, t_proj = forecast[sel].sum(), pipeline[sel].sum(), projection[sel].sum()
        rating: Rating = ratings[int(np.flatnonzero(sel)[0])] if sel.any() else "none"
    else:
        t_done, t_prog, t_not = done.sum(), in_prog.sum(), not_started.sum()
        t_fore, t_pipe, t_proj = forecast.sum(), pipeline.sum(), projection.sum()
        rating = rate(
            t_done,
            t_fore,
            target.value,
            target.value * fraction,
            settings=settings,
            at_least=target.at_least,
            started=started,
        )
    value = target.value
    return TargetProgress(
        key=target.key,
        name_zh=target.name_zh,
        unit=target.unit,
        layer=target.layer,
        measure=target.measure,
        target=value,
        done=float(t_done),
        in_progress=float(t_prog),
        not_started=float(t_not),
        pct=float(t_done / value * 100.0) if value > 0 else float("nan"),
        remaining=float(max(value - t_done, 0.0)),
        forecast=float(t_fore),
        forecast_pct=float(t_fore / value * 100.0) if value > 0 else float("nan"),
        rating=rating,
        milestone_expected=float(value * fraction),
        milestone_fraction=fraction,
        rule_zh=rule_zh(target, spec, year=year, others=counted.others),
        by_township=by_town,
        features=features,
        overlaps=overlaps,
        township_mismatches=mism,
        area_mismatches=area_mism,
        warnings=tuple(dict.fromkeys([*counted.notes, *ev.warnings])),
        pipeline=float(t_pipe),
        run_rate_projection=float(t_proj),
        at_least=target.at_least,
        decimals=unit_decimals(target.unit, target.measure),
        share_basis=basis,
        value_set=target.value_set,
    )


def _select(plan: TargetPlan, keys: Sequence[str] | None) -> list[TargetSpec]:
    if not keys:
        return list(plan.targets)
    return [plan.target(k) for k in dict.fromkeys(keys)]


def progress_report(
    store: Store,
    *,
    as_of: dt.date,
    year: int | None = None,
    known_at: dt.datetime | None = None,
    targets: Sequence[str] | None = None,
    township: str | None = None,
    settings: ProgressSettings | None = None,
    with_monthly: bool = False,
) -> ProgressReport:
    """Progress of the plan's targets at the end of ``as_of``.

    Parameters
    ----------
    store
        The project store (its plan of ``year`` and its layers).
    as_of
        The date of the figures (end of that day).
    year
        The plan year (default: the year of ``as_of``). Asking after the year
        end gives the year's final figures (completions dated in the year).
    known_at
        What the store knew at this moment (default: the end of ``as_of``, so
        the figures never change when asked again later; pass
        :func:`ykgeo.store.now` to include later corrections).
    targets
        Target keys to report, in this order (default: all of the plan); an
        unknown key raises :class:`ykgeo.errors.LayerError` naming the known ones.
    township
        Restrict the figures to one township (the plan target stays the city's;
        the rating is against the township's implied share).
    settings
        Thresholds and choices (:class:`ProgressSettings`).
    with_monthly
        Also compute the cumulative figures at each month end (``report.monthly``).

    Returns
    -------
    ProgressReport
        One :class:`TargetProgress` per target (figures unrounded, in the
        target's unit) with its township table, the features behind each figure,
        the overlaps, and the lists of ledger-township and ledger-area
        mismatches; ``rule_zh`` says how it was counted. ``data_version`` is the
        last log entry known at ``known_at``, so it too stays the same whenever
        the report is asked again.

    Raises
    ------
    StoreError
        No plan for ``year`` in the store, or a target's layer missing from it.
    LayerError
        An unknown target key.
    DataError
        An unknown township name, or settings out of range.
    """
    settings = settings or ProgressSettings()
    year = year or as_of.year
    if known_at is not None and known_at.tzinfo is None:
        known_at = known_at.replace(tzinfo=TZ)  # as the store reads naive times
    horizon = known_at or end_of_day(as_of)
    loader = _Loader(store)
    plan, version, plan_note = loader.plan(year, as_of, horizon)
    chosen = _select(plan, targets)
    towns, notes = loader.townships(as_of, horizon)
    if plan_note:
        notes = [plan_note, *notes]
    if township is not None:
        _check_township(township, towns)
    rows = []
    for target in chosen:
        counted = _count(loader, plan, target, as_of, horizon, settings, detail=True)
        rows.append(
            _summarise(
                counted,
                as_of=as_of,
                year=year,
                town_names=towns.names,
                township=township,
                settings=settings,
            )
        )
    monthly = {}
    if with_monthly:
        for target in chosen:
            monthly[target.key] = _monthly(
                loader,
                plan,
                target,
                year=year,
                known_at=known_at,
                by_township=False,
                settings=settings,
            )
    return ProgressReport(
        as_of=as_of,
        year=year,
        plan_name=plan.name_zh,
        plan_version=version.label_zh(),
        plan_status=plan.status,
        data_version=data_version_at(store, horizon),
        known_at=horizon,
        rows=tuple(rows),
        township=township,
        settings=settings,
        monthly=monthly,
        warnings=tuple(notes),
    )


def _check_township(township: str, towns: Townships) -> None:
    if township in towns.names or township == OUTSIDE_ZH or not towns.names:
        return  # with no township polygons, attribution is by ledger names: any name may be asked
    msg = f"没有名为“{township}”的镇街（可选：{'、'.join(towns.names)}）"
    raise DataError(msg)


# --- months -----------------------------------------------------------------------------------


def _month_ends(year: int, today: dt.date) -> list[dt.date]:
    ends = [dt.date(year, m, calendar.monthrange(year, m)[1]) for m in range(1, 13)]
    out = [d for d in ends if d <= today]
    if dt.date(year, 1, 1) <= today < dt.date(year, 12, 31) and (not out or out[-1] < today):
        out.append(today)
    return out


def _monthly(
    loader: _Loader,
    plan: TargetPlan,
    target: TargetSpec,
    *,
    year: int,
    known_at: dt.datetime | None,
    by_township: bool,
    settings: ProgressSettings,
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for day in _month_ends(year, now().date()):
        horizon = known_at or end_of_day(day)
        then, _, _ = loader.plan(year, day, horizon)
        target = next((t for t in then.targets if t.key == target.key), target)
        counted = _count(loader, plan, target, day, horizon, settings, detail=False)
        alloc = counted.evaluation.allocation
        milestone = target.value * milestone_fraction(target.milestones, year, day)
        label = (
            f"{day:%Y-%m}"
            if day.day == calendar.monthrange(day.year, day.month)[1]
            else f"{day:%Y-%m}（至{day:%d}日）"
        )
        if by_township:
            towns, _ = loader.townships(day, horizon)
            order = _township_order(alloc, towns.names)
            cls = alloc["class"].to_numpy()
            sums = _Sums(alloc, order)
            for name, d, p, n in zip(
                order,
                sums(cls == "done", "amount"),
                sums(cls == "in_progress", "amount"),
                sums(cls == "not_started", "amount"),
                strict=True,
            ):
                rows.append(
                    {
                        "month": label,
                        "date": day,
                        "镇街": name,
                        "done": d,
                        "in_progress": p,
                        "not_started": n,
                    }
                )
        else:
            cls = alloc["class"].to_numpy()
            done = float(alloc.loc[cls == "done", "amount"].sum())
            rows.append(
                {
                    "month": label,
                    "date": day,
                    "done": done,
                    "in_progress": float(alloc.loc[cls == "in_progress", "amount"].sum()),
                    "not_started": float(alloc.loc[cls == "not_started", "amount"].sum()),
                    "milestone": milestone,
                    "target": target.value,
                    "pct": done / target.value * 100.0 if target.value > 0 else float("nan"),
                }
            )
    columns = (
        ["month", "date", "镇街", "done", "in_progress", "not_started"]
        if by_township
        else ["month", "date", "done", "in_progress", "not_started", "milestone", "target", "pct"]
    )
    return pd.DataFrame(rows, columns=columns)


def monthly_progress(
    store: Store,
    target_key: str,
    *,
    year: int,
    known_at: dt.datetime | None = None,
    by_township: bool = False,
    settings: ProgressSettings | None = None,
) -> pd.DataFrame:
    """Cumulative progress of one target at each month end of ``year`` (up to today).

    Each month end is counted exactly as :func:`progress_report` counts it for
    that date (same knowledge horizon: the end of that day unless ``known_at``
    is given), from one read of the layer and its log. Columns: month, date,
    done, in_progress, not_started, milestone (what the milestone curve
    expects by then), target, pct; with ``by_township`` one row per month and
    township (month, date, 镇街, done, in_progress, not_started). In the current
    year the last row is today (month label ``2022-10（至15日）``).
    """
    settings = settings or ProgressSettings()
    plan = store.plan(year)
    target = plan.target(target_key)
    return _monthly(
        _Loader(store),
        plan,
        target,
        year=year,
        known_at=known_at,
        by_township=by_township,
        settings=settings,
    )
