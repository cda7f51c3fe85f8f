"""Plans in a store, as the CLI and the app handle them: import a file, save an edit, export, template, history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ykgeo.errors import DataError
from ykgeo.layers import TargetPlan, parse_plan
from ykgeo.plan.files import (
    PlanDraft,
    plan_data,
    plan_from_draft,
    read_plan_file,
    write_plan_template,
    write_plan_xlsx,
)
from ykgeo.plan.history import describe_changes
from ykgeo.store import PlanVersion, Store, now

__all__ = [
    "default_plan_year",
    "export_plan",
    "import_plan_file",
    "plan_history",
    "plan_template",
    "save_plan_draft",
    "store_townships",
]

TOWNSHIP_LAYER = "townships"


def default_plan_year(store: Store, today: dt.date | None = None) -> int | None:
    """The year to show first: the latest adopted (正式) plan year up to today, else the latest
    plan year up to today, else the first one; None when the store has no plan."""
    years = store.plan_years()
    if not years:
        return None
    day = today or now().date()
    past = [y for y in years if y <= day.year]
    adopted = [y for y in past if not store.plan(y).is_draft]
    if adopted:
        return max(adopted)
    return max(past) if past else min(years)


def store_townships(store: Store) -> list[str]:
    """The names of the store's townships (its ``townships`` layer), in the layer's order."""
    if TOWNSHIP_LAYER not in store.layer_keys():
        return []
    spec = store.spec(TOWNSHIP_LAYER)
    if not spec.name_field:
        return []
    return [str(v) for v in store.read_layer(TOWNSHIP_LAYER)[spec.name_field].tolist()]


def import_plan_file(
    store: Store,
    path: Path | str,
    *,
    user: str,
    note: str = "",
    effective_date: dt.date | None = None,
    year: int | None = None,
    source_name: str | None = None,
) -> PlanVersion:
    """Check a plan file (XLSX or TOML) against the store and record it as a new version of its year.

    A year without a plan gets its first version; a year with one gets an amendment
    (计划调整) with ``note``. Nothing is written when the file has any problem.
    """
    name = source_name or Path(path).name
    plan = read_plan_file(
        path, layers=store.layers, townships=store_townships(store), year=year, source_name=name
    )
    return store.save_plan(
        plan, user=user, effective_date=effective_date, note=note, source=f"计划文件：{name}"
    )


def save_plan_draft(
    store: Store,
    draft: PlanDraft,
    *,
    user: str,
    note: str,
    effective_date: dt.date | None = None,
    source: str = "",
) -> PlanVersion:
    """Check an edited plan (the app's tables) and record it as an amendment; ValidationError lists every problem."""
    plan = plan_from_draft(draft, layers=store.layers, townships=store_townships(store))
    return store.save_plan(
        plan, user=user, effective_date=effective_date, note=note, source=source or "计划编辑"
    )


def _version_plan(store: Store, year: int, version: int | None) -> TargetPlan:
    if version is None:
        return store.plan(year)
    for v in store.plan_versions(year):
        if v.version == version:
            return parse_plan(
                v.text, name=f"{year} 第 {version} 版", layers=store.layers, year=year
            )
    have = "、".join(str(v.version) for v in store.plan_versions(year))
    msg = f"{year} 年计划没有第 {version} 版（有：{have}）"
    raise DataError(msg)


def export_plan(store: Store, year: int, path: Path | str, *, version: int | None = None) -> Path:
    """Write ``year``'s plan (the current version, or ``version``) as XLSX or TOML, by the file's extension."""
    out = Path(path)
    plan = _version_plan(store, year, version)
    if out.suffix.lower() == ".toml":
        out.write_text(plan.toml_text, encoding="utf-8")
    elif out.suffix.lower() == ".xlsx":
        write_plan_xlsx(plan_data(plan), out, layers=store.layers, townships=store_townships(store))
    else:
        msg = f"计划只能导出为 .xlsx 或 .toml（现为“{out.suffix or '无扩展名'}”）"
        raise DataError(msg)
    return out


def plan_template(store: Store, path: Path | str | None, *, year: int) -> bytes:
    """An Excel template for ``year``: last year's targets with the values left to fill, else one row per layer."""
    years = [y for y in store.plan_years() if y < year]
    base = store.plan(max(years)) if years else None
    return write_plan_template(
        Path(path) if path is not None else None,
        layers=store.layers,
        townships=store_townships(store),
        year=year,
        base=base,
    )


def plan_history(store: Store, year: int) -> pd.DataFrame:
    """The versions of ``year``'s plan: 版本, 录入时间, 操作人, 适用日期, 说明, 来源, 变化 (oldest first)."""
    rows = []
    previous: TargetPlan | None = None
    for v in store.plan_versions(year):
        plan = parse_plan(v.text, name=f"{year} 第 {v.version} 版", layers=store.layers, year=year)
        rows.append(
            {
                "版本": v.version,
                "录入时间": v.recorded_at,
                "操作人": v.user,
                "适用日期": v.effective_date.isoformat(),
                "状态": plan.status,
                "说明": v.note,
                "来源": v.source,
                "变化": "；".join(describe_changes(previous, plan)),
            }
        )
        previous = plan
    return pd.DataFrame(
        rows, columns=["版本", "录入时间", "操作人", "适用日期", "状态", "说明", "来源", "变化"]
    )
