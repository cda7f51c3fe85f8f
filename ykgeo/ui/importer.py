"""导入 page: upload a file, choose the layer, read the validation report, then import (all or nothing) or cancel."""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from ykgeo.errors import DataError, StoreError, YkgeoError
from ykgeo.io import ValidationReport, list_layers, validate_file
from ykgeo.store import Store
from ykgeo.ui import data
from ykgeo.ui.account import writer
from ykgeo.ui.i18n import literal
from ykgeo.ui.read_options import RECHECK_KEY, offer_suggested_crs, read_options
from ykgeo.ui.shell import PageContext
from ykgeo.ui.uploads import ACCEPTED_TYPES, saved_upload

__all__ = ["render"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_REPORT = "ykgeo_import_report"
_DONE = "ykgeo_import_done"
_MODES = ("upsert", "append", "replace")
_REPLACE_OK = "ykgeo_import_replace_ok"
_SHOWN = 50
#: The source written to the edit log (the log is the bureau's record: always Chinese).
_WEB_SOURCE = "网页导入：{name}"


def _boundary(ctx: PageContext, store: Store) -> object:
    if "city_boundary" not in store.layer_keys():
        return None
    frame = data.layer_frame(ctx.store_path, ctx.mtime_ns, "city_boundary", None)
    return frame.geometry.union_all() if len(frame) else None


def render(ctx: PageContext) -> None:
    """The import page."""
    t = ctx.t
    st.title(t("import.title"))
    if not ctx.can_edit:
        who = t("common.read_only_user") if ctx.user else t("common.not_signed_in")
        st.info(t("import.read_only", who=who), icon=":material/lock:")
        return
    done = st.session_state.pop(_DONE, None)
    if done:
        st.success(done)
    try:
        store = Store(ctx.store_path)
    except StoreError as err:
        st.error(t.error(err))
        return
    keys = store.layer_keys()
    st.caption(t("import.intro", limit=ctx.settings.upload_limit_mb))
    cols = st.columns([2, 2])
    with cols[0]:
        key = st.selectbox(
            t("import.layer"),
            keys,
            format_func=lambda k: f"{store.spec(k).theme} · {t.layer(store.spec(k))}（{k}）",
            key="ykgeo_import_layer",
        )
    with cols[1]:
        mode = st.selectbox(
            t("import.mode"),
            list(_MODES),
            format_func=lambda m: t(f"import.mode_{m}"),
            key="ykgeo_import_mode",
        )
    upload = st.file_uploader(t("import.file"), type=list(ACCEPTED_TYPES), key="ykgeo_import_file")
    layers: list[str] = []
    if upload is not None:
        try:
            with saved_upload(
                upload.name, upload.getvalue(), limit_mb=ctx.settings.upload_limit_mb
            ) as path:
                layers = list_layers(path, source_name=upload.name)
        except DataError:
            layers = []  # the check below says what is wrong with the file
    options = read_options(t, layers)
    repair = st.checkbox(t("import.repair"), key="ykgeo_import_repair")
    clicked = st.button(
        t("import.check"), type="primary", disabled=upload is None, key="ykgeo_import_check"
    )
    if (clicked or st.session_state.pop(RECHECK_KEY, False)) and upload is not None:
        spec = store.spec(key)
        try:
            with saved_upload(
                upload.name, upload.getvalue(), limit_mb=ctx.settings.upload_limit_mb
            ) as path:
                report = validate_file(
                    path,
                    spec,
                    boundary=_boundary(ctx, store),
                    repair=repair,
                    source_name=upload.name,
                    **options.as_kwargs(),
                    townships=data.township_names(ctx.store_path, ctx.mtime_ns),
                )
        except DataError as err:
            st.session_state.pop(_REPORT, None)
            st.error(t.error(err))
            return
        except Exception as err:
            logger.exception("import check of %s failed", upload.name)
            st.session_state.pop(_REPORT, None)
            st.error(t("import.unexpected", name=upload.name, kind=type(err).__name__))
            return
        st.session_state[_REPORT] = (key, mode, upload.name, report)
    held = st.session_state.get(_REPORT)
    if not held:
        return
    held_key, held_mode, name, report = held
    spec = store.spec(held_key)
    st.subheader(t("import.report", name=name, layer=t.layer(spec)))
    n = 0 if report.gdf is None else len(report.gdf)
    c1, c2, c3 = st.columns(3)
    c1.metric(t("import.features"), f"{n:,}")
    c2.metric(t("import.errors"), len(report.errors))
    c3.metric(t("import.warnings"), len(report.warnings))
    for note in report.notes_zh:
        st.caption(literal(note))
    _file_problems(t, report)
    if report.problems:
        st.dataframe(
            report.to_frame(), hide_index=True, width="stretch", key="ykgeo_import_problems"
        )
    if not report.ok:
        st.error(t("import.refused", n=len(report.errors)))
        if st.button(t("import.clear"), key="ykgeo_import_clear"):
            st.session_state.pop(_REPORT, None)
            st.rerun()
        return
    st.success(t("import.passed", n=f"{n:,}", layer=t.layer(spec)))
    removals = _confirm_removals(ctx, store, held_key, report) if held_mode == "replace" else None
    go, cancel = st.columns([1, 1])
    if cancel.button(t("import.cancel"), key="ykgeo_import_cancel"):
        st.session_state.pop(_REPORT, None)
        st.rerun()
    blocked = bool(removals) and not st.session_state.get(_REPLACE_OK)
    if go.button(t("import.go"), type="primary", key="ykgeo_import_go", disabled=blocked):
        user = writer(ctx.settings, ctx.user, t)  # the role as the users file says now
        if user is None or report.gdf is None:
            return
        try:
            summary = Store(
                ctx.store_path, busy_timeout_s=ctx.settings.write_wait_s
            ).import_features(
                held_key,
                report.gdf,
                user=user.name,
                source=_WEB_SOURCE.format(name=name),
                mode=held_mode,
                confirmed_removals=removals,
            )
        except YkgeoError as err:
            st.error(t("import.failed", problem=t.error(err)))
            return
        st.session_state.pop(_REPORT, None)
        st.session_state.pop(_REPLACE_OK, None)
        version = (
            t("import.data_version", version=summary.data_version)
            if summary.data_version
            else summary.data_version
        )
        done = t(
            "import.done",
            name=name,
            added=f"{summary.added:,}",
            updated=f"{summary.updated:,}",
            unchanged=f"{summary.unchanged:,}",
            version=version,
        )
        if summary.removed:
            done += " " + t(
                "import.done_removed", removed=f"{summary.removed:,}", batch=summary.batch_id
            )
        st.session_state[_DONE] = done
        st.rerun()


def _confirm_removals(
    ctx: PageContext, store: Store, key: str, report: ValidationReport
) -> list[str] | None:
    """Replace mode: name the features it deletes and ask for a tick before the import may run."""
    t = ctx.t
    if report.gdf is None:
        return None
    spec = store.spec(key)
    removals = store.removals(key, report.gdf[spec.id_field].astype(str))
    if not removals:
        st.info(t("import.replace_none", layer=t.layer(spec)))
        return removals
    with st.container(border=True, key="ykgeo_import_removals"):
        st.warning(t("import.replace_warning", layer=t.layer(spec), n=f"{len(removals):,}"))
        shown: str = literal("、".join(removals[:_SHOWN]))
        if len(removals) > _SHOWN:
            shown += " " + t("import.replace_more", n=f"{len(removals) - _SHOWN:,}")
        st.caption(shown)
        st.checkbox(t("import.replace_confirm", n=f"{len(removals):,}"), key=_REPLACE_OK)
    return removals


def _file_problems(t: Any, report: ValidationReport) -> None:
    """Problems with the whole file in full (a table cell would cut them off), and the likely CRS."""
    for problem in report.errors:
        if not problem.feature and not problem.field:
            st.error(f"{t('import.file_problem')}{literal(problem.message_zh)}")
    if report.crs_suggestions:
        offer_suggested_crs(t, report.crs_suggestions)
