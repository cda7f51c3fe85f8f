"""Year plans in the store, bitemporal: every version is a row of the edit log, so a figure uses the plan as known then.

The plan of a year is kept like a feature: ``ykgeo_plans`` holds its current text, and
each version (the first load, every amendment 计划调整) is one edit-log row of the
pseudo-layer ``ykgeo_plans`` with feature id = the year, field ``plan``, the old and new
TOML text, who recorded it, when it was recorded and from when it applies. The plan
"as of" a date, as known at a moment, is the last version that applies by then
(``effective_date`` ≤ the date) and was recorded before the moment, ordered as the
feature history is: effective date, then recording order.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from ykgeo.errors import StoreError
from ykgeo.store.batch import LOG_TABLE, Batch, insert_log_rows
from ykgeo.store.dates import now, stamp

__all__ = [
    "PLAN_FIELD",
    "PLAN_LAYER",
    "PlanVersion",
    "insert_log_rows",
    "pick_version",
    "plan_versions",
    "write_plan_version",
]

#: The edit log's layer name for plan versions (also the name of the plans table).
PLAN_LAYER = "ykgeo_plans"
PLAN_FIELD = "plan"


@dataclass(frozen=True)
class PlanVersion:
    """One version of a year's plan: its text and who recorded it, when, from when it applies and why."""

    year: int
    version: int
    text: str
    effective_date: dt.date
    recorded_at: str
    user: str
    note: str = ""
    source: str = ""
    log_id: int = 0

    def label_zh(self) -> str:
        """计划第 2 版（2022-03-10 张三 录入，自 2022-03-10 起适用：任务分解下达）."""
        note = f"：{self.note}" if self.note else ""
        who = (
            f"{self.recorded_at[:10]} {self.user} 录入"
            if self.user
            else f"{self.recorded_at[:10]} 录入"
        )
        return (
            f"计划第 {self.version} 版（{who}，自 {self.effective_date.isoformat()} 起适用{note}）"
        )


def _rows(conn: sqlite3.Connection, year: int) -> list[tuple[object, ...]]:
    return conn.execute(
        f"SELECT log_id, new_text, effective_date, recorded_at, user, note, source, version "
        f"FROM {LOG_TABLE} WHERE layer = ? AND feature_id = ? AND field = ? ORDER BY log_id",
        (PLAN_LAYER, str(year), PLAN_FIELD),
    ).fetchall()


def plan_versions(conn: sqlite3.Connection, year: int) -> list[PlanVersion]:
    """Every version of ``year``'s plan in recording order (a store made before plans were
    versioned has its one plan as version 1, known since it was loaded, applying from 1 January)."""
    out = [
        PlanVersion(
            year=year,
            version=int(str(r[7])),
            text=str(r[1]),
            effective_date=dt.date.fromisoformat(str(r[2])),
            recorded_at=str(r[3]),
            user=str(r[4]),
            note=str(r[5] or ""),
            source=str(r[6] or ""),
            log_id=int(str(r[0])),
        )
        for r in _rows(conn, year)
    ]
    if out:
        return out
    legacy = conn.execute(
        f"SELECT plan_toml, loaded_at FROM {PLAN_LAYER} WHERE year = ?", (year,)
    ).fetchone()
    if legacy is None:
        return []
    return [PlanVersion(year, 1, str(legacy[0]), dt.date(year, 1, 1), str(legacy[1]), "")]


def pick_version(
    versions: Sequence[PlanVersion], day: dt.date | None, horizon: str | None
) -> tuple[PlanVersion, str]:
    """The version that applies at the end of ``day`` as known before ``horizon`` (None: now and latest).

    When no version was known by then (the plan was loaded later than the date asked
    about), the first version is used and the note says so: it is the same year's plan,
    never another year's.
    """
    if not versions:
        msg = "没有计划版本"
        raise StoreError(msg)
    known = [
        v
        for v in versions
        if (horizon is None or v.recorded_at < horizon) and (day is None or v.effective_date <= day)
    ]
    if known:
        best = max(known, key=lambda v: (v.effective_date, v.log_id, v.version))
        return best, ""
    first = versions[0]
    if horizon is not None and first.recorded_at >= horizon:
        note = (
            f"{first.year} 年计划于 {first.recorded_at[:10]} 才录入项目库，"
            f"统计日时尚不知道；按录入的第 1 版计划统计"
        )
    else:
        note = f"{first.year} 年计划自 {first.effective_date} 起适用；统计日之前按第 1 版计划统计"
    return first, note


def write_plan_version(
    conn: sqlite3.Connection,
    *,
    year: int,
    name_zh: str,
    text: str,
    user: str,
    effective_date: dt.date | None = None,
    note: str = "",
    source: str = "",
    recorded_at: dt.datetime | str | None = None,
) -> PlanVersion:
    """Add a version of ``year``'s plan inside the caller's write transaction (edit log + plans table).

    The first version applies from 1 January of the year unless told otherwise; an
    amendment from the day it is recorded (never earlier than 1 January of its year, so a
    change made before the year begins replaces the draft from the start). A text equal to the current version's is
    refused (nothing to record).
    """
    if not user.strip():
        msg = "修改计划必须记录操作人"
        raise StoreError(msg)
    versions = plan_versions(conn, year)
    when = recorded_at if isinstance(recorded_at, str) else stamp(recorded_at or now())
    batch = Batch(user=user, source=source or "计划", recorded_at=when)
    if versions and not _rows(conn, year):
        # a plan kept before plans were versioned: its version 1 goes into the log first
        legacy = versions[0]
        legacy_batch = Batch(user="（初始导入）", source="计划", recorded_at=legacy.recorded_at)
        legacy_batch.add(
            PLAN_LAYER, str(year), "insert", PLAN_FIELD, None, legacy.text, legacy.effective_date, 1
        )
        insert_log_rows(conn, legacy_batch)
    version = (versions[-1].version + 1) if versions else 1
    if versions and versions[-1].text == text:
        msg = f"{year} 年计划与现行版本相同，没有修改"
        raise StoreError(msg)
    day = effective_date or (
        dt.date(year, 1, 1) if not versions else dt.date.fromisoformat(when[:10])
    )
    # a year's plan applies within its year: a change made before the year applies from 1 January
    day = max(day, dt.date(year, 1, 1))
    old = versions[-1].text if versions else None
    batch.add(
        PLAN_LAYER,
        str(year),
        "insert" if not versions else "update",
        PLAN_FIELD,
        old,
        text,
        day,
        version,
        note,
    )
    conn.execute(
        f"INSERT OR REPLACE INTO {PLAN_LAYER} VALUES (?, ?, ?, ?)", (year, name_zh, text, when)
    )
    insert_log_rows(conn, batch)
    log_id = int(conn.execute("SELECT MAX(log_id) FROM " + LOG_TABLE).fetchone()[0])
    return PlanVersion(year, version, text, day, when, user, note, batch.source, log_id)
