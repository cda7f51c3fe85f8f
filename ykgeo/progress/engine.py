"""The progress engine: each target's figures for a date, per township and month, from the store's edit log.

The counting rules are described in :mod:`ykgeo.progress`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ykgeo.errors import DataError
from ykgeo.layers import TargetPlan, TargetSpec
from ykgeo.progress.count import OUTSIDE_ZH, rule_zh, texts
from ykgeo.progress.geometry import Townships
from ykgeo.progress.history import data_version_at, end_of_day
from ykgeo.progress.loader import TOWNSHIP_LAYER, Counted, Loader, count_target
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
from ykgeo.progress.sweep import count_plan
from ykgeo.store import TZ, Store, now
from ykgeo.store.collector import collector_paused

__all__ = ["TOWNSHIP_LAYER", "monthly_progress", "progress_report"]


# --- summaries --------------------------------------------------------------------------------


def _township_order(alloc: pd.DataFrame, names: Sequence[str]) -> list[str]:
    extra = sorted(
        set(pd.unique(texts(alloc["township"]))) - set(names), key=lambda s: (s == OUTSIDE_ZH, s)
    )
    return [*names, *extra]


class _Sums:
    """Sums of allocation rows per township in a fixed order (one index lookup for all sums)."""

    def __init__(self, alloc: pd.DataFrame, order: list[str]) -> None:
        self.n = len(order)
        codes, names = pd.factorize(texts(alloc["township"]))
        at = {name: i for i, name in enumerate(order)}
        self.town = np.asarray([at.get(n, -1) for n in names], dtype=np.int64)[codes]
        self.columns = {c: alloc[c].to_numpy(dtype="float64") for c in ("amount", "pipeline")}

    def __call__(self, mask: npt.NDArray[np.bool_], column: str) -> npt.NDArray[np.float64]:
        values = self.columns[column]
        return np.bincount(self.town[mask], weights=values[mask], minlength=self.n).astype(
            "float64"
        )


def _summarise(
    counted: Counted,
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
    with collector_paused():  # millions of short-lived objects at a million parcels, no cycles
        return _report(
            store,
            as_of=as_of,
            year=year or as_of.year,
            known_at=known_at,
            targets=targets,
            township=township,
            settings=settings or ProgressSettings(),
            with_monthly=with_monthly,
        )


def _report(
    store: Store,
    *,
    as_of: dt.date,
    year: int,
    known_at: dt.datetime | None,
    targets: Sequence[str] | None,
    township: str | None,
    settings: ProgressSettings,
    with_monthly: bool,
) -> ProgressReport:
    if known_at is not None and known_at.tzinfo is None:
        known_at = known_at.replace(tzinfo=TZ)  # as the store reads naive times
    horizon = known_at or end_of_day(as_of)
    loader = Loader(store, remember_shares=with_monthly)
    plan, version, plan_note = loader.plan(year, as_of, horizon)
    chosen = _select(plan, targets)
    towns, notes = loader.townships(as_of, horizon)
    if plan_note:
        notes = [plan_note, *notes]
    if township is not None:
        _check_township(township, towns)
    rows = [
        _summarise(
            counted,
            as_of=as_of,
            year=year,
            town_names=towns.names,
            township=township,
            settings=settings,
        )
        for counted in count_plan(loader, plan, chosen, as_of, horizon, settings)
    ]
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
    loader: Loader,
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
        counted = count_target(loader, plan, target, day, horizon, settings, detail=False)
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
    with collector_paused():
        plan = store.plan(year)
        return _monthly(
            Loader(store),
            plan,
            plan.target(target_key),
            year=year,
            known_at=known_at,
            by_township=by_township,
            settings=settings or ProgressSettings(),
        )
