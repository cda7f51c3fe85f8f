"""Targets and progress: what was delivered, where and by when, and whether the year's target will be met.

For any date (``as_of``) and each target of the year's plan this module counts,
in the target's own unit, what is done, in progress and not started, per
township and per month, from the store's bitemporal edit log: a figure for
2022-09-30 is the same whether asked on 1 October or a year later (pass
``known_at`` to see later corrections). It forecasts the year end, rates each
target green / amber / red against its milestone curve, explains every count in
one Chinese sentence (``rule_zh``) and lists the features behind every figure.

Counting rules (details in :func:`progress_report` and each row's ``rule_zh``):

* statuses: those the target lists count as done; the layer's other
  in-progress statuses are "in progress", the rest "not started". A feature that
  reached a final (done) status before 1 January of the plan year does not count.
* amounts: 亩 of ellipsoidal area (the ledger's area where the plan says
  ``area_source = "ledger"``), 个/座 by count, km of geodesic length, km along the
  road from 起点桩号/终点桩号 honouring 断链 (:mod:`ykgeo.chainage`), or the sum of a
  field (建筑面积, 套数).
* overlaps: found with an STRtree inside the layer and across the land
  categories of the same theme; inside a layer the ground is counted once (the
  feature completed first keeps it), across categories it is reported only.
* townships: from the store's ``townships`` layer, the township holding most of
  a feature (``majority``) or shares by area / length (``split``).
* forecast: done + max(run-rate projection, weighted pipeline), capped at what
  the map lists (:func:`forecast_year_end`); rating by :func:`rate`.
"""

from __future__ import annotations

from ykgeo.progress.changes import changes_between
from ykgeo.progress.cluster import progress_many
from ykgeo.progress.engine import monthly_progress, progress_report
from ykgeo.progress.knowledge import (
    KNOWLEDGE,
    Knowledge,
    LateRecords,
    default_knowledge,
    knowledge_horizon,
    late_records,
)
from ykgeo.progress.model import (
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
from ykgeo.progress.output import (
    RATING_ZH,
    VALUE_TO_FILL_ZH,
    format_figure,
    format_pct,
    format_target,
    report_to_json,
    report_to_table,
)
from ykgeo.progress.spreadsheet import report_to_csv, report_to_xlsx

__all__ = [
    "KNOWLEDGE",
    "RATING_ZH",
    "SHARE_GIVEN_ZH",
    "SHARE_PROPORTIONAL_ZH",
    "VALUE_TO_FILL_ZH",
    "Knowledge",
    "LateRecords",
    "ProgressReport",
    "ProgressSettings",
    "Rating",
    "TargetProgress",
    "changes_between",
    "default_knowledge",
    "forecast_year_end",
    "format_figure",
    "format_pct",
    "format_target",
    "knowledge_horizon",
    "late_records",
    "milestone_fraction",
    "monthly_progress",
    "progress_many",
    "progress_report",
    "rate",
    "report_to_csv",
    "report_to_json",
    "report_to_table",
    "report_to_xlsx",
    "unit_decimals",
]
