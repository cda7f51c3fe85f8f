"""The store's own records beside its layers: year plans, versioned through the edit log, and 亩均 evaluations.

A mixin of :class:`ykgeo.store.Store` (which provides ``path``, ``layers``, ``_read`` and
``_write``); the records themselves are kept by :mod:`ykgeo.store.plans` and
:mod:`ykgeo.store.evaluations`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pandas as pd

from ykgeo.errors import StoreError
from ykgeo.layers import LayerRegistry, TargetPlan, parse_plan
from ykgeo.store.dates import end_of_day, stamp
from ykgeo.store.evaluations import read_evaluation, read_evaluation_years, write_evaluation
from ykgeo.store.plans import (
    PLAN_LAYER,
    PlanVersion,
    pick_version,
    plan_versions,
    write_plan_version,
)

__all__ = ["StoreRecords"]


class StoreRecords:
    """Plans and 亩均 evaluations of :class:`ykgeo.store.Store` (a mixin: the store provides the rest)."""

    path: Path
    layers: LayerRegistry

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _write(
        self, *, source: str = "", user: str = ""
    ) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def plan(
        self,
        year: int,
        *,
        as_of: dt.date | None = None,
        known_at: dt.datetime | None = None,
    ) -> TargetPlan:
        """The target plan of ``year``: the current version, or as it applied on ``as_of`` as known at ``known_at``.

        Plans are bitemporal like features (see :mod:`ykgeo.store.plans`): with ``as_of``
        the version is the last one applying by the end of that day and recorded before
        ``known_at`` (default: the end of ``as_of``), so a figure for a past date uses the
        plan as it was known then. Raises StoreError naming the years that have a plan
        when ``year`` has none.
        """
        version, _ = self.plan_version(year, as_of=as_of, known_at=known_at)
        return parse_plan(
            version.text, name=f"{self.path.name}:{PLAN_LAYER}", layers=self.layers, year=year
        )

    def plan_version(
        self,
        year: int,
        *,
        as_of: dt.date | None = None,
        known_at: dt.datetime | None = None,
    ) -> tuple[PlanVersion, str]:
        """The version of ``year``'s plan :meth:`plan` uses, and a note when it had to take the first one."""
        versions = self.plan_versions(year)
        if not versions:
            have = "、".join(str(y) for y in self.plan_years()) or "无"
            msg = f"项目库中没有 {year} 年的目标计划（有计划的年度：{have}）"
            raise StoreError(msg, message_en=f"the store has no plan for {year}")
        if as_of is None and known_at is None:
            return max(versions, key=lambda v: (v.effective_date, v.log_id, v.version)), ""
        horizon = known_at or (end_of_day(as_of) if as_of else None)
        return pick_version(versions, as_of, stamp(horizon) if horizon else None)

    def plan_versions(self, year: int) -> list[PlanVersion]:
        """Every version of ``year``'s plan, in the order they were recorded."""
        with self._read() as conn:
            return plan_versions(conn, year)

    def plan_years(self) -> list[int]:
        """Years that have a target plan in the store."""
        with self._read() as conn:
            return [int(r[0]) for r in conn.execute(f"SELECT year FROM {PLAN_LAYER} ORDER BY year")]

    def save_plan(
        self,
        plan: TargetPlan,
        *,
        user: str = "系统",
        effective_date: dt.date | None = None,
        note: str = "",
        source: str = "",
        recorded_at: dt.datetime | None = None,
    ) -> PlanVersion:
        """Record a new version of ``plan.year``'s plan through the edit log (who, when, from when, why).

        The first version of a year applies from 1 January; later ones (计划调整) from
        ``effective_date``, by default the day they are recorded. Returns the version.
        """
        with self._write(source=f"保存 {plan.year} 年目标计划", user=user) as conn:
            return write_plan_version(
                conn,
                year=plan.year,
                name_zh=plan.name_zh,
                text=plan.toml_text,
                user=user,
                effective_date=effective_date,
                note=note,
                source=source,
                recorded_at=recorded_at,
            )

    def evaluation_years(self) -> pd.DataFrame:
        """The 亩均 evaluation years loaded: year, source, user, recorded_at, rows, rules, rules_toml."""
        with self._read() as conn:
            return read_evaluation_years(conn)

    def evaluation(self, year: int) -> pd.DataFrame:
        """One year's 亩均 evaluation as loaded and classified (see :mod:`ykgeo.store.evaluations`)."""
        with self._read() as conn:
            return read_evaluation(conn, year)

    def save_evaluation(
        self,
        year: int,
        frame: pd.DataFrame,
        *,
        source: str,
        user: str,
        rules_zh: str,
        rules_toml: str,
        replace: bool = False,
        recorded_at: dt.datetime | None = None,
        summary: Mapping[str, Any] | None = None,
    ) -> int:
        """Store one year's classified evaluation in one transaction (refused when loaded already, unless ``replace``)."""
        with self._write(source=f"导入 {year} 年亩均评价（{source}）", user=user) as conn:
            return write_evaluation(
                conn,
                year=year,
                frame=frame,
                source=source,
                user=user,
                rules_zh=rules_zh,
                rules_toml=rules_toml,
                replace=replace,
                recorded_at=recorded_at,
                summary=dict(summary or {}),
            )
