"""Planning: year plans the bureau writes (XLSX/TOML), amendments, the turn of the year, 亩均 evaluations and candidates.

Modules: :mod:`~ykgeo.plan.draft` (a plan as written, checked with every problem named by
sheet, row and column), :mod:`~ykgeo.plan.files` (the plan workbook and TOML: reading,
writing, templates), :mod:`~ykgeo.plan.plans` (plans in a
store: import, edit, export, history), :mod:`~ykgeo.plan.history` (what changed between
versions), :mod:`~ykgeo.plan.rollover` (next year's draft with the carried-over features),
:mod:`~ykgeo.plan.rules` and :mod:`~ykgeo.plan.evaluation` (亩均效益评价: rules kept as data,
tables read, classified, joined to parcels and stored), :mod:`~ykgeo.plan.candidates` and
:mod:`~ykgeo.plan.worklist` (next year's remediation candidates: ranking, the cut, the
list written out and adopted into the target's layer), :mod:`~ykgeo.plan.project` (a new
store for the bureau's own data: ``ykgeo init``).
"""

from __future__ import annotations

from ykgeo.plan.candidates import GROUPS_ZH, CandidateList, candidate_layer_spec, rank_candidates
from ykgeo.plan.draft import MEASURE_ZH, TARGET_COLUMNS, PlanDraft, check_plan
from ykgeo.plan.evaluation import (
    EvaluationImport,
    import_evaluation,
    join_evaluation,
    read_mujun_table,
)
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
    default_plan_year,
    export_plan,
    import_plan_file,
    plan_history,
    plan_template,
    save_plan_draft,
    store_townships,
)
from ykgeo.plan.project import InitSummary, init_store
from ykgeo.plan.rollover import Rollover, rollover_and_save, rollover_plan
from ykgeo.plan.rules import CLASSES, MujunRules, classify, load_rules, parse_rules
from ykgeo.plan.worklist import (
    adopt_candidates,
    candidates_to_geojson,
    candidates_to_xlsx,
    store_candidates,
)

__all__ = [
    "CLASSES",
    "GROUPS_ZH",
    "MEASURE_ZH",
    "TARGET_COLUMNS",
    "CandidateList",
    "EvaluationImport",
    "InitSummary",
    "MujunRules",
    "PlanDraft",
    "Rollover",
    "adopt_candidates",
    "candidate_layer_spec",
    "candidates_to_geojson",
    "candidates_to_xlsx",
    "check_plan",
    "classify",
    "default_plan_year",
    "describe_changes",
    "describe_versions",
    "export_plan",
    "import_evaluation",
    "import_plan_file",
    "init_store",
    "join_evaluation",
    "load_rules",
    "parse_rules",
    "plan_data",
    "plan_from_draft",
    "plan_history",
    "plan_template",
    "plan_to_toml",
    "rank_candidates",
    "read_mujun_table",
    "read_plan_file",
    "rollover_and_save",
    "rollover_plan",
    "save_plan_draft",
    "store_candidates",
    "store_townships",
    "write_plan_template",
    "write_plan_xlsx",
]
