"""The words of the 计划 page, the plan-year switch and the candidates, in 简体中文 and English (see :mod:`ykgeo.ui.i18n.messages`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["PLAN_MESSAGES"]

#: Message id → (简体中文, English), merged into :data:`ykgeo.ui.i18n.messages.MESSAGES`.
PLAN_MESSAGES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "page.plan": ("计划", "Plans"),
        "shell.year": ("计划年度", "Plan year"),
        "shell.year_help": (
            "切换年度时，数据截至日期改为今天（限于该年度内）。",
            "Switching the year sets the as-of date to today, kept within that year.",
        ),
        "shell.year_draft": ("{year}（草案）", "{year} (draft)"),
        "shell.year_none": ("{year}（无计划）", "{year} (no plan)"),
        "overview.no_plan_for_year": (
            "{year} 年没有目标计划，不借用其他年度的目标。有计划的年度：{years}。请在侧栏“计划年度”中切换。",
            "There is no plan for {year}; another year's targets are not used instead. "
            "Years with a plan: {years}. Switch the plan year in the sidebar.",
        ),
        "overview.share_note": (
            "列名中的“下达”：镇街目标由计划下达（任务分解）；“按比例推算”：全市目标按各镇街在图上所列要素的量分摊。",
            "“下达”: the plan gives each township its own target; “按比例推算”: the city target "
            "split in proportion to what each township has on the map.",
        ),
        "plan.title": ("年度目标计划", "Annual target plan"),
        "plan.no_plan": (
            "{year} 年还没有目标计划。有计划的年度：{years}。",
            "There is no plan for {year} yet. Years with a plan: {years}.",
        ),
        "plan.none": ("无", "none"),
        "plan.rollover": (
            "由 {old} 年计划结转生成 {new} 年草案",
            "Draft {new} from the {old} plan (rollover)",
        ),
        "plan.rolled": (
            "已生成 {year} 年计划草案，结转要素 {n} 个；请在“目标”表中填写目标值。",
            "The {year} draft is made, with {n} features carried over: fill in the values.",
        ),
        "plan.caption": (
            "{name}（{status}）　{version}",
            "{name} ({status})　{version}",
        ),
        "plan.tab_targets": ("目标与镇街目标", "Targets and township targets"),
        "plan.tab_history": ("调整记录", "Amendments"),
        "plan.tab_carried": ("结转", "Carried over"),
        "plan.tab_candidates": ("候选地块（亩均）", "Candidates (亩均)"),
        "plan.tab_files": ("导入导出", "Import and export"),
        "plan.read_only": ("{who}：只能查看计划。", "{who}: you can read the plan only."),
        "plan.edit_hint": (
            "修改目标值、单位、计入状态或序时节点（如 2023-06-30=40%），再在下方填写调整说明并保存；保存前会逐格校验。",
            "Change values, units, counted statuses or milestones (e.g. 2023-06-30=40%), then give "
            "the reason below and save; every cell is checked first.",
        ),
        "plan.townships_title": ("**镇街目标（任务分解下达）**", "**Township targets**"),
        "plan.townships_hint": (
            "某目标下达到镇街时，各镇街之和须等于全市目标值；空列按比例推算。",
            "Where a target is given per township the figures must add up to the city target; "
            "an empty column is split in proportion.",
        ),
        "plan.proportional_note": (
            "未列出的目标没有下达镇街目标：镇街目标按比例推算（全市目标按各镇街在图上所列要素的量分摊）。",
            "Targets not listed have no township figures: they are split in proportion "
            "(按比例推算) to what each township has on the map.",
        ),
        "plan.status": ("计划状态", "Plan status"),
        "plan.effective": ("自何日起适用", "Applies from"),
        "plan.note": ("调整说明（记入编辑日志）", "Reason (kept in the edit log)"),
        "plan.note_hint": ("如：市政府调减；永政办〔2023〕12号", "e.g. the city's decision no."),
        "plan.save": ("校验并保存", "Check and save"),
        "plan.need_note": ("请填写调整说明。", "Give the reason for the change."),
        "plan.saved": (
            "已保存：{year} 年计划第 {version} 版。",
            "Saved: the {year} plan, version {version}.",
        ),
        "plan.refused": (
            "未保存：发现 {n} 个问题（见下方），计划未作任何修改。",
            "Not saved: {n} problems (below); the plan is unchanged.",
        ),
        "plan.version_used": (
            "{as_of} 的进度（{knowledge}）按{label}统计。",
            "Progress on {as_of} ({knowledge}) counts against {label}.",
        ),
        "plan.version_differs": (
            "{as_of} 的进度（{knowledge}）按{label}统计；下面的表是现行的第 {current} 版。",
            "Progress on {as_of} ({knowledge}) counts against {label}; the tables below show "
            "version {current}, in force now.",
        ),
        "plan.no_carried": ("这一年的计划没有结转要素。", "This plan carries no features over."),
        "plan.download_xlsx": ("下载计划（Excel）", "Download the plan (Excel)"),
        "plan.download_toml": ("下载计划（TOML）", "Download the plan (TOML)"),
        "plan.download_template": ("下载 {year} 年目标模板", "Download the {year} template"),
        "plan.upload": ("导入计划文件（XLSX 或 TOML）", "Import a plan file (XLSX or TOML)"),
        "plan.import": ("校验并导入", "Check and import"),
        "candidates.no_area_targets": (
            "这一年的计划没有面积类目标。",
            "This plan has no area target.",
        ),
        "candidates.known_now": (
            "候选地块总是按现在所知排出（台账和亩均评价的最新记录，供今天决策），不随侧栏的“按当时所知”改变。",
            "Candidates are always ranked from what is known now (the latest ledgers and "
            "evaluations, for today's decision), whatever the sidebar's knowledge switch says.",
        ),
        "candidates.target": ("目标", "Target"),
        "candidates.map_caption": (
            "红色：线内（入选）；灰色：线外。地块按椭球面积计。",
            "Red: within the cut; grey: beyond it. Areas are ellipsoidal.",
        ),
        "candidates.xlsx": ("下载候选名单（Excel）", "Download the list (Excel)"),
        "candidates.geojson": ("下载候选地块（GeoJSON）", "Download the parcels (GeoJSON)"),
        "candidates.confirm": (
            "确认把线内 {n} 块纳入“{layer}”图层（{year} 年度名单，一次提交）",
            "Put the {n} parcels within the cut on “{layer}” ({year} list, one step)",
        ),
        "candidates.adopt": ("纳入名单（{n} 块）", "Adopt the list ({n} parcels)"),
        "candidates.adopted": (
            "已纳入“{layer}”：新增 {added}，更新 {updated}（数据版本 v{version}）。",
            "Adopted into “{layer}”: {added} added, {updated} updated (data version v{version}).",
        ),
    }
)
