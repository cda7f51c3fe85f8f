"""The demo store's headline figures as the README quotes them, computed from the store (never typed by hand)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ykgeo.area import area_mu
from ykgeo.layers import parse_plan
from ykgeo.plan import join_evaluation, store_candidates
from ykgeo.progress import format_figure, format_target, progress_report
from ykgeo.store import Store

__all__ = ["FIGURE_DATES", "NEXT_YEAR", "figures_table", "planning_table"]

#: The dates the README quotes: the half-year review and the year end.
FIGURE_DATES = (dt.date(2022, 6, 30), dt.date(2022, 12, 31))


def figures_table(store: Store) -> str:
    """A Markdown table of every 2022 target at :data:`FIGURE_DATES`, as ``ykgeo progress`` counts them.

    The figures are the progress engine's (overlaps deducted, each target's own rule) at
    the unit's decimals, the same as the app, the CLI, the XLSX and the PDF.
    """
    reports = [progress_report(store, as_of=day, year=2022) for day in FIGURE_DATES]
    head = " | ".join(f"{d:%Y-%m-%d}" for d in FIGURE_DATES)
    lines = [
        f"| target | 目标 | value | {head} | met |",
        "|---|---|---:|" + "---:|" * len(FIGURE_DATES) + ":-:|",
    ]
    for rows in zip(*(r.rows for r in reports), strict=True):
        first, last = rows[0], rows[-1]
        figures = " | ".join(format_figure(r.done, r.decimals) for r in rows)
        if last.target <= 0:
            met = "—"
        else:
            met = "yes" if (last.done >= last.target) == last.at_least else "no"
        lines.append(
            f"| `{first.key}` | {first.name_zh} | {format_target(first.target, first.decimals)} "
            f"{first.unit} | {figures} | {met} |"
        )
    return "\n".join(lines) + "\n"


#: The year of the demo's draft plan (rolled over from 2022).
NEXT_YEAR = 2023
_REGISTER = "industrial_parcels"
_REMEDIATION = "low_efficiency_remediation"


def _counts(values: pd.Series) -> dict[str, int]:
    """How often each value occurs, most frequent first, keyed by the value as text."""
    return {str(k): int(v) for k, v in values.value_counts().items()}


def _classes(counts: dict[str, int]) -> str:
    return "、".join(f"{c} {counts.get(c, 0):,}" for c in "ABCD")


def planning_table(store: Store) -> str:
    """A Markdown table of the demo's planning data: the register, each 亩均 evaluation and the 2023 draft.

    Areas are ellipsoidal 亩; the evaluation rows are matched to the register as
    ``ykgeo mujun import`` matches them (credit code, then the row's coordinates); the
    candidates are those of ``ykgeo candidates --year 2023 --target low_efficiency_remediation``.
    """
    register = store.read_layer(_REGISTER)
    lines = ["| part | 内容 | figures |", "|---|---|---|"]
    lines.append(
        f"| `{_REGISTER}` | {store.spec(_REGISTER).name_zh} | "
        f"{len(register):,} 宗，{format_figure(float(area_mu(register).sum()), 2)} 亩 |"
    )
    loads = store.evaluation_years()
    for year, source, recorded in zip(
        loads["year"].astype(int), loads["source"], loads["recorded_at"], strict=True
    ):
        table = store.evaluation(int(year))
        matched, unmatched = join_evaluation(register, table)
        how = _counts(matched["匹配方式"])
        given = "、".join(f"{k} {v:,}" for k, v in _counts(table["类别来源"]).items())
        lines.append(
            f"| `ykgeo_mujun` {year} | {year} 年亩均效益评价（{source}，{str(recorded)[:10]} 导入） | "
            f"{len(table):,} 家：{_classes(_counts(table['类别']))}（{given}）；"
            f"按信用代码对上宗地 {how.get('信用代码', 0):,} 家，按坐标 {how.get('位置', 0):,} 家，"
            f"未对上 {len(unmatched):,} 家 |"
        )
    for version in store.plan_versions(NEXT_YEAR):
        plan = parse_plan(version.text, name=version.label_zh(), layers=store.layers)
        to_fill = sum(1 for t in plan.targets if not t.value_set)
        towns = "；".join(
            f"{t.name_zh} {format_figure(t.value, 0)} {t.unit}下达到 {len(t.township_values)} 个镇街"
            for t in plan.targets
            if t.township_values
        )
        lines.append(
            f"| `ykgeo_plans` {NEXT_YEAR} 第 {version.version} 版 | {version.label_zh()} | "
            f"{plan.status}；{len(plan.targets)} 项目标，{to_fill} 项待填；结转要素 "
            f"{len(plan.carried_over):,} 个{('；' + towns) if towns else ''} |"
        )
    cl = store_candidates(store, year=NEXT_YEAR, target=_REMEDIATION)
    lines.append(f"| 候选地块 {NEXT_YEAR} | `ykgeo candidates` | {cl.summary_zh()} |")
    return "\n".join(lines) + "\n"
