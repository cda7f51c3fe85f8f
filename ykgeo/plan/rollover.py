"""The turn of the year: draft next year's plan from this year's, with the unfinished features carried over (结转)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ykgeo.errors import StoreError
from ykgeo.layers import PLAN_DRAFT, TargetPlan, parse_plan
from ykgeo.plan.files import plan_data, plan_to_toml
from ykgeo.progress import progress_report
from ykgeo.store import PlanVersion, Store, known_now

__all__ = ["Rollover", "rollover_and_save", "rollover_plan"]


@dataclass(frozen=True, eq=False)
class Rollover:
    """A drafted plan and, per target, what was carried over (count and amount in the target's unit)."""

    plan_text: str
    from_year: int
    to_year: int
    as_of: dt.date
    carried: pd.DataFrame  # 目标键, 目标, 单位, 结转个数, 结转数量
    notes: tuple[str, ...]


def _shift_year(text: str, old: int, new: int) -> str:
    return re.sub(rf"(?<!\d){old}(?!\d)", str(new), text)


def rollover_plan(
    store: Store,
    *,
    from_year: int,
    to_year: int,
    as_of: dt.date | None = None,
) -> Rollover:
    """Draft ``to_year``'s plan from ``from_year``'s, as a 草案 with the values to be filled.

    Same targets (keys, layers, measures, statuses, rules); milestone dates move to the
    new year (same share by the same day); a year in a filter value moves too
    (年度任务 = 2022年建成 → 2023年建成), with a note; township figures are dropped.
    Every feature of a target's layer that is in progress or not started at the end of
    ``from_year`` (as known now) is listed as carried over, with its amount in the
    target's unit.
    """
    if to_year <= from_year:
        msg = f"结转的目标年度 {to_year} 应晚于 {from_year}"
        raise StoreError(msg)
    if to_year in store.plan_years():
        msg = f"项目库中已有 {to_year} 年的计划，不能再结转生成（可导出后修改再导入）"
        raise StoreError(msg)
    base: TargetPlan = store.plan(from_year)
    day = as_of or dt.date(from_year, 12, 31)
    report = progress_report(store, as_of=day, year=from_year, known_at=known_now())
    data = plan_data(base)
    notes: list[str] = []
    for t in data["targets"]:
        t.pop("value", None)
        t.pop("townships", None)
        if "milestones" in t:
            shifted = {}
            for d, v in t["milestones"].items():
                old = dt.date.fromisoformat(d)
                try:
                    new = old.replace(year=to_year)
                except ValueError:  # 29 February
                    new = dt.date(to_year, 2, 28)
                shifted[new.isoformat()] = v
            t["milestones"] = shifted
        if "filter" in t:
            new_filter = {
                k: [_shift_year(v, from_year, to_year) for v in vs] for k, vs in t["filter"].items()
            }
            if new_filter != t["filter"]:
                notes.append(f"{t['name_zh']}：筛选条件中的 {from_year} 已改为 {to_year}，请核对")
            t["filter"] = new_filter
    carried_rows = []
    summary = []
    for row in report.rows:
        feats = row.features
        mask = feats["class"].isin(["in_progress", "not_started"]).to_numpy()
        part = feats[mask]
        amount = np.where(
            np.isfinite(part["raw_amount"].to_numpy(dtype="float64")),
            part["raw_amount"].to_numpy(dtype="float64"),
            0.0,
        )
        for (_, f), a in zip(part.iterrows(), amount, strict=True):
            carried_rows.append(
                {
                    "target": row.key,
                    "id": str(f["id"]),
                    "name": "" if pd.isna(f["name"]) else str(f["name"]),
                    "township": "" if pd.isna(f["township"]) else str(f["township"]),
                    "status": "" if pd.isna(f["status"]) else str(f["status"]),
                    "amount": round(float(a), 6),
                }
            )
        summary.append(
            {
                "目标键": row.key,
                "目标": row.name_zh,
                "单位": row.unit,
                "结转个数": int(mask.sum()),
                "结转数量": float(amount.sum()),
            }
        )
    data.update(
        year=to_year,
        name_zh=_shift_year(base.name_zh, from_year, to_year)
        if str(from_year) in base.name_zh
        else f"{to_year}年度目标",
        status=PLAN_DRAFT,
        source_zh=f"由 {from_year} 年计划结转生成（{day.isoformat()} 未完成的要素列为结转）；目标值待填",
        carried_over=carried_rows,
    )
    return Rollover(
        plan_text=plan_to_toml(data),
        from_year=from_year,
        to_year=to_year,
        as_of=day,
        carried=pd.DataFrame(summary),
        notes=tuple(notes),
    )


def rollover_and_save(
    store: Store,
    *,
    from_year: int,
    to_year: int,
    user: str,
    as_of: dt.date | None = None,
    recorded_at: dt.datetime | None = None,
) -> tuple[Rollover, PlanVersion]:
    """:func:`rollover_plan`, then record the draft as the first version of ``to_year``'s plan."""
    result = rollover_plan(store, from_year=from_year, to_year=to_year, as_of=as_of)
    plan = parse_plan(result.plan_text, name=f"{to_year} 草案", layers=store.layers, year=to_year)
    version = store.save_plan(
        plan,
        user=user,
        note=f"由 {from_year} 年计划结转生成的草案",
        source="计划结转",
        recorded_at=recorded_at,
    )
    return result, version
