"""Planning: year plans the bureau writes (XLSX/TOML), amendments, the turn of the year, 亩均 evaluations and candidates.

Modules: :mod:`~ykgeo.plan.draft` (a plan as written, checked with every problem named by
sheet, row and column), :mod:`~ykgeo.plan.files` (the plan workbook and TOML: reading,
writing, templates), :mod:`~ykgeo.plan.plans` (plans in a
store: import, edit, export, history), :mod:`~ykgeo.plan.history` (what changed between
versions), :mod:`~ykgeo.plan.rollover` (next year's draft with the carried-over features).
"""

from __future__ import annotations

from ykgeo.plan.draft import MEASURE_ZH, TARGET_COLUMNS, PlanDraft, check_plan
from ykgeo.plan.files import (
    plan_data,
    plan_from_draft,
    plan_to_toml,
    read_plan_file,
    write_plan_template,
    write_plan_xlsx,
)
from ykgeo.plan.history import describe_changes, describe_versions
from ykgeo.plan.plans import (
    export_plan,
    import_plan_file,
    plan_history,
    plan_template,
    save_plan_draft,
    store_townships,
)
from ykgeo.plan.rollover import Rollover, rollover_and_save, rollover_plan

__all__ = [
    "MEASURE_ZH",
    "TARGET_COLUMNS",
    "PlanDraft",
    "Rollover",
    "check_plan",
    "describe_changes",
    "describe_versions",
    "export_plan",
    "import_plan_file",
    "plan_data",
    "plan_from_draft",
    "plan_history",
    "plan_template",
    "plan_to_toml",
    "read_plan_file",
    "rollover_and_save",
    "rollover_plan",
    "save_plan_draft",
    "store_townships",
    "write_plan_template",
    "write_plan_xlsx",
]
