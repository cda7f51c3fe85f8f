"""计划 page: the year's targets and township targets (editors change them, viewers read), amendments, rollover, candidates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from ykgeo import plan as planning
from ykgeo.auth import User
from ykgeo.layers import PLAN_STATUSES
from ykgeo.store import PlanVersion, Store, now
from ykgeo.ui import candidates, plan_data
from ykgeo.ui.i18n import literal
from ykgeo.ui.shell import PageContext, knowledge_banner
from ykgeo.ui.uploads import saved_upload
from ykgeo.ui.writes import write_as_editor

__all__ = ["render"]

_DONE = "ykgeo_plan_done"
_TARGET_COLUMNS = (
    "目标键",
    "目标名称",
    "图层",
    "计量方式",
    "目标值",
    "单位",
    "计入状态",
    "序时节点",
    "说明",
)


def _problems(problems: Any, t: Any) -> None:
    """Every problem, where it is and what is wrong, as text (a planner copies it into a reply)."""
    st.error(t("plan.refused", n=len(problems)))
    lines = [f"- {literal(p.where_zh())}：{literal(p.message_zh)}" for p in problems]
    with st.container(key="ykgeo_plan_problems"):
        st.markdown("\n".join(lines))


def _record(ctx: PageContext, save: Callable[[Store, User], PlanVersion]) -> None:
    """Run a save as the editor the users file says the user is now (:func:`write_as_editor`).

    Every problem, the busy store or the error on the page (the tables keep what was
    typed), else the new version and a rerun.
    """
    t = ctx.t
    version = write_as_editor(ctx, save, problems=lambda found: _problems(found, t))
    if version is None:
        return
    st.session_state[_DONE] = t("plan.saved", year=version.year, version=version.version)
    st.rerun()


def _targets_frame(data: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for item in data["targets"]:
        rows.append(
            {
                "目标键": item["key"],
                "目标名称": item["name_zh"],
                "图层": item["layer"],
                "计量方式": planning.MEASURE_ZH.get(item["measure"], item["measure"]),
                "目标值": float(item["value"]) if "value" in item else None,
                "单位": item["unit"],
                "计入状态": "、".join(item.get("statuses", [])),
                "序时节点": "；".join(
                    f"{d}={v * 100:g}%" for d, v in item.get("milestones", {}).items()
                ),
                "说明": item.get("note_zh", ""),
            }
        )
    frame = pd.DataFrame(rows, columns=list(_TARGET_COLUMNS))
    frame["目标值"] = pd.to_numeric(frame["目标值"], errors="coerce").astype("float64")
    return frame


def _townships_frame(data: dict[str, Any], towns: list[str]) -> pd.DataFrame:
    columns = {
        item["key"]: item
        for item in data["targets"]
        if item["measure"] == "area" or item.get("townships")
    }
    frame = pd.DataFrame(index=pd.Index(towns, name="镇街"))
    for key, item in columns.items():
        frame[key] = [
            float(item.get("townships", {}).get(town))
            if town in item.get("townships", {})
            else None
            for town in towns
        ]
    return frame.astype("float64")


def _edited_draft(
    data: dict[str, Any], targets: pd.DataFrame, towns: pd.DataFrame, status: str
) -> planning.PlanDraft:
    """The edited tables as a written plan, with cell labels as the app shows them."""
    draft = planning.PlanDraft(
        file="计划表格",
        year=data["year"],
        name_zh=data["name_zh"],
        status=status,
        source_zh=data.get("source_zh"),
        carried_over=list(data.get("carried_over", [])),
    )
    originals = {item["key"]: item for item in data["targets"]}
    for n, row in enumerate(targets.to_dict(orient="records"), start=1):
        item = dict(originals.get(row["目标键"], {}))
        item.update(
            name_zh=row["目标名称"],
            value=None if pd.isna(row["目标值"]) else row["目标值"],
            unit=row["单位"],
            statuses=row["计入状态"],
            milestones=row["序时节点"],
            note_zh=row["说明"],
        )
        item.pop("townships", None)
        draft.targets.append(item)
        draft.target_rows.append(("目标", n, ""))
    draft.target_columns = {
        "value": "“目标值”列",
        "unit": "“单位”列",
        "statuses": "“计入状态”列",
        "milestones": "“序时节点”列",
    }
    for key in towns.columns:
        figures = {str(town): v for town, v in towns[key].items() if not pd.isna(v)}
        if figures:
            draft.townships[str(key)] = figures
            draft.township_columns[str(key)] = f"“{key}”列"
            for n, town in enumerate(towns.index, start=1):
                if str(town) in figures:
                    draft.township_cells[(str(key), str(town))] = ("镇街目标", n, str(town))
    return draft


def _editor(ctx: PageContext, year: int, info: Any) -> None:
    t = ctx.t
    data = info.data
    towns = plan_data.township_names(ctx.store_path, ctx.mtime_ns)
    st.caption(t("plan.edit_hint"))
    targets = st.data_editor(
        _targets_frame(data),
        hide_index=True,
        width="stretch",
        num_rows="fixed",
        disabled=["目标键", "图层", "计量方式"],
        column_config={"目标值": st.column_config.NumberColumn(min_value=0.0, format="%.2f")},
        key=f"ykgeo_plan_targets_{year}_{info.version}",
    )
    st.markdown(t("plan.townships_title"))
    st.caption(t("plan.townships_hint"))
    town_table = st.data_editor(
        _townships_frame(data, towns),
        width="stretch",
        num_rows="fixed",
        column_config={
            k: st.column_config.NumberColumn(min_value=0.0, format="%.2f")
            for k in _townships_frame(data, towns).columns
        },
        key=f"ykgeo_plan_towns_{year}_{info.version}",
    )
    with st.form(f"ykgeo_plan_save_{year}_{info.version}"):
        cols = st.columns([1, 1, 3])
        status = cols[0].selectbox(
            t("plan.status"), list(PLAN_STATUSES), index=list(PLAN_STATUSES).index(data["status"])
        )
        effective = cols[1].date_input(t("plan.effective"), value=now().date(), format="YYYY-MM-DD")
        note = cols[2].text_input(t("plan.note"), placeholder=t("plan.note_hint"))
        submitted = st.form_submit_button(t("plan.save"), type="primary")
    if not submitted:
        return
    if not note.strip():
        st.error(t("plan.need_note"))
        return
    draft = _edited_draft(data, targets, town_table, status)
    _record(
        ctx,
        lambda store, user: planning.save_plan_draft(
            store,
            draft,
            user=user.name,
            effective_date=effective if isinstance(effective, dt.date) else None,
            note=note.strip(),
            source="网页计划编辑",
        ),
    )


def _viewer(ctx: PageContext, info: Any) -> None:
    t = ctx.t
    st.dataframe(_targets_frame(info.data), hide_index=True, width="stretch", key="ykgeo_plan_view")
    towns = plan_data.township_names(ctx.store_path, ctx.mtime_ns)
    frame = _townships_frame(info.data, towns)
    given = [c for c in frame.columns if frame[c].notna().any()]
    st.markdown(t("plan.townships_title"))
    if given:
        st.dataframe(frame[given], width="stretch", key="ykgeo_plan_view_towns")
    st.caption(t("plan.proportional_note"))


def _history(ctx: PageContext, year: int) -> None:
    frame = plan_data.history(ctx.store_path, ctx.mtime_ns, year)
    st.dataframe(frame, hide_index=True, width="stretch", key="ykgeo_plan_history")


def render(ctx: PageContext) -> None:
    """The plan page for the year chosen in the sidebar."""
    t = ctx.t
    st.title(t("plan.title"))
    knowledge_banner(ctx)
    done = st.session_state.pop(_DONE, None)
    if done:
        st.success(done)
    year = ctx.as_of.year
    years = sorted(plan_data.plan_statuses(ctx.store_path, ctx.mtime_ns))
    if year not in years:
        st.info(t("plan.no_plan", year=year, years="、".join(map(str, years)) or t("plan.none")))
        if (
            ctx.can_edit
            and (year - 1) in years
            and st.button(
                t("plan.rollover", old=year - 1, new=year),
                type="primary",
                key="ykgeo_plan_rollover",
            )
        ):
            rolled = write_as_editor(
                ctx,
                lambda store, user: planning.rollover_and_save(
                    store, from_year=year - 1, to_year=year, user=user.name
                ),
            )
            if rolled is None:
                return
            result, _ = rolled
            st.session_state[_DONE] = t(
                "plan.rolled", year=year, n=int(result.carried["结转个数"].sum())
            )
            st.rerun()
        return
    info = plan_data.plan_info(ctx.store_path, ctx.mtime_ns, year)
    st.caption(
        t(
            "plan.caption",
            name=literal(info.data["name_zh"]),
            status=info.data["status"],
            version=literal(info.label),
        )
    )
    _version_used(ctx, year, info)
    tabs = st.tabs(
        [
            t("plan.tab_targets"),
            t("plan.tab_history"),
            t("plan.tab_carried"),
            t("plan.tab_candidates"),
            t("plan.tab_files"),
        ]
    )
    with tabs[0]:
        if ctx.can_edit:
            _editor(ctx, year, info)
        else:
            who = t("common.read_only_user") if ctx.user else t("common.not_signed_in")
            st.caption(t("plan.read_only", who=who))
            _viewer(ctx, info)
    with tabs[1]:
        _history(ctx, year)
    with tabs[2]:
        carried = pd.DataFrame(info.data.get("carried_over", []))
        if carried.empty:
            st.caption(t("plan.no_carried"))
        else:
            st.dataframe(
                carried.rename(
                    columns={
                        "target": "目标键",
                        "id": "要素编号",
                        "name": "名称",
                        "township": "镇街",
                        "status": "状态",
                        "amount": "数量",
                    }
                ),
                hide_index=True,
                width="stretch",
            )
    with tabs[3]:
        candidates.render(ctx, year, info)
    with tabs[4]:
        _files(ctx, year, info)


def _version_used(ctx: PageContext, year: int, info: Any) -> None:
    """Which version the date's figures count against under the sidebar's 按当时所知 / 按现在所知."""
    t = ctx.t
    used = plan_data.version_used(ctx.store_path, ctx.mtime_ns, year, ctx.as_of, ctx.knowledge)
    day, knowledge = f"{ctx.as_of:%Y-%m-%d}", t(f"knowledge.{ctx.knowledge}")
    with st.container(key="ykgeo_plan_version_used"):
        if used.version == info.version:
            st.caption(
                t("plan.version_used", as_of=day, knowledge=knowledge, label=literal(used.label))
            )
        else:
            st.info(
                t(
                    "plan.version_differs",
                    as_of=day,
                    knowledge=knowledge,
                    label=literal(used.label),
                    current=info.version,
                )
            )
        if used.note:
            st.caption(literal(used.note))


def _files(ctx: PageContext, year: int, info: Any) -> None:
    t = ctx.t
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        t("plan.download_xlsx"),
        plan_data.plan_xlsx(ctx.store_path, ctx.mtime_ns, year),
        file_name=f"{year}年度目标.xlsx",
        key="ykgeo_plan_xlsx",
    )
    c2.download_button(
        t("plan.download_toml"),
        info.text.encode("utf-8"),
        file_name=f"targets-{year}.toml",
        key="ykgeo_plan_toml",
    )
    c3.download_button(
        t("plan.download_template", year=year + 1),
        plan_data.template_xlsx(ctx.store_path, ctx.mtime_ns, year + 1),
        file_name=f"{year + 1}年度目标模板.xlsx",
        key="ykgeo_plan_template",
    )
    if not ctx.can_edit:
        return
    upload = st.file_uploader(t("plan.upload"), type=["xlsx", "toml"], key="ykgeo_plan_upload")
    note = st.text_input(t("plan.note"), key="ykgeo_plan_upload_note")
    if st.button(t("plan.import"), disabled=upload is None, key="ykgeo_plan_import"):
        assert upload is not None

        def imported(store: Store, user: User) -> PlanVersion:
            assert upload is not None
            with saved_upload(
                upload.name, upload.getvalue(), limit_mb=ctx.settings.upload_limit_mb
            ) as path:
                return planning.import_plan_file(
                    store, path, user=user.name, note=note.strip(), source_name=upload.name
                )

        _record(ctx, imported)
