"""What changed between two versions of a year's plan, in words a planner reads (计划调整记录)."""

from __future__ import annotations

from collections.abc import Sequence

from ykgeo.layers import TargetPlan, TargetSpec
from ykgeo.units import format_number

__all__ = ["describe_changes", "describe_versions"]


def _value(t: TargetSpec) -> str:
    if not t.value_set:
        return "待填"
    decimals = 0 if float(t.value).is_integer() else 2
    return f"{format_number(t.value, decimals)} {t.unit}"


def describe_changes(old: TargetPlan | None, new: TargetPlan) -> list[str]:
    """The changes from ``old`` to ``new`` as short Chinese lines (the first version: what it holds)."""
    if old is None:
        towns = sum(1 for t in new.targets if t.township_values)
        head = f"首版：{len(new.targets)} 项目标（{new.status}）"
        if towns:
            head += f"，其中 {towns} 项下达到镇街"
        if new.carried_over:
            head += f"，结转要素 {len(new.carried_over)} 个"
        return [head]
    lines: list[str] = []
    if old.status != new.status:
        lines.append(f"计划状态：{old.status} → {new.status}")
    if old.name_zh != new.name_zh:
        lines.append(f"计划名称：{old.name_zh} → {new.name_zh}")
    before = {t.key: t for t in old.targets}
    after = {t.key: t for t in new.targets}
    for key, t in after.items():
        if key not in before:
            lines.append(f"新增目标：{t.name_zh} {_value(t)}")
            continue
        o = before[key]
        if (o.value_set, o.value) != (t.value_set, t.value) or o.unit != t.unit:
            lines.append(f"{t.name_zh}：{_value(o)} → {_value(t)}")
        if dict(o.township_values) != dict(t.township_values):
            if not o.township_values:
                lines.append(f"{t.name_zh}：下达到 {len(t.township_values)} 个镇街")
            elif not t.township_values:
                lines.append(f"{t.name_zh}：取消镇街下达，改按比例推算")
            else:
                changed = sorted(
                    n
                    for n in set(o.township_values) | set(t.township_values)
                    if o.township_values.get(n) != t.township_values.get(n)
                )
                lines.append(
                    f"{t.name_zh}：调整 {len(changed)} 个镇街的下达数（{'、'.join(changed[:5])}{'等' if len(changed) > 5 else ''}）"
                )
        for attr, label in (
            ("statuses", "计入状态"),
            ("milestones", "序时节点"),
            ("filter", "筛选条件"),
            ("layer", "图层"),
            ("measure", "计量方式"),
            ("name_zh", "名称"),
        ):
            if getattr(o, attr) != getattr(t, attr):
                lines.append(f"{t.name_zh}：{label}已修改")
    for key, t in before.items():
        if key not in after:
            lines.append(f"删除目标：{t.name_zh}")
    return lines or ["无实质变化"]


def describe_versions(plans: Sequence[TargetPlan]) -> list[list[str]]:
    """:func:`describe_changes` for each version against the one before it."""
    return [describe_changes(plans[i - 1] if i else None, p) for i, p in enumerate(plans)]
