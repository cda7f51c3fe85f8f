"""导入 page: upload a file, choose the layer, read the validation report, then import (all or nothing) or cancel."""

from __future__ import annotations

import streamlit as st

from ykgeo.errors import DataError, YkgeoError
from ykgeo.store import Store
from ykgeo.ui import data
from ykgeo.ui.shell import PageContext
from ykgeo.ui.uploads import ACCEPTED_TYPES, saved_upload
from ykgeo.validate import validate_file

__all__ = ["render"]

_REPORT = "ykgeo_import_report"
_DONE = "ykgeo_import_done"
_MODES = {"upsert": "更新已有、新增其余（按编号）", "append": "只新增（编号已存在则拒绝）"}


def _boundary(ctx: PageContext, store: Store) -> object:
    if "city_boundary" not in store.layer_keys():
        return None
    frame = data.layer_frame(ctx.store_path, ctx.mtime_ns, "city_boundary", None)
    return frame.geometry.union_all() if len(frame) else None


def render(ctx: PageContext) -> None:
    """The import page."""
    st.title("导入数据")
    if not ctx.can_edit:
        who = "您当前为只读用户" if ctx.user else "您尚未登录"
        st.info(f"{who}：只有“编辑”角色的用户可以导入数据。", icon=":material/lock:")
        return
    done = st.session_state.pop(_DONE, None)
    if done:
        st.success(done)
    store = Store(ctx.store_path)
    keys = store.layer_keys()
    st.caption(
        f"支持 GeoPackage、Shapefile（zip 压缩）、GeoJSON、KML、XLSX/CSV（经纬度或 WKT 列），不超过 {ctx.settings.upload_limit_mb} MB。"
        "先校验，全部通过后才能导入；导入要么全部写入，要么一条不写。"
    )
    cols = st.columns([2, 2])
    with cols[0]:
        key = st.selectbox(
            "导入到图层",
            keys,
            format_func=lambda k: f"{store.spec(k).theme} · {store.spec(k).name_zh}（{k}）",
            key="ykgeo_import_layer",
        )
    with cols[1]:
        mode = st.selectbox(
            "导入方式", list(_MODES), format_func=_MODES.__getitem__, key="ykgeo_import_mode"
        )
    upload = st.file_uploader("选择文件", type=list(ACCEPTED_TYPES), key="ykgeo_import_file")
    repair = st.checkbox("修复无效几何（make_valid，每处修复都会列出）", key="ykgeo_import_repair")
    if st.button("校验", type="primary", disabled=upload is None, key="ykgeo_import_check"):
        assert upload is not None
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
                )
        except DataError as err:
            st.session_state.pop(_REPORT, None)
            st.error(err.message_zh)
            return
        st.session_state[_REPORT] = (key, mode, upload.name, report)
    held = st.session_state.get(_REPORT)
    if not held:
        return
    held_key, held_mode, name, report = held
    spec = store.spec(held_key)
    st.subheader(f"校验报告：{name} → {spec.name_zh}")
    n = 0 if report.gdf is None else len(report.gdf)
    c1, c2, c3 = st.columns(3)
    c1.metric("要素", f"{n:,}")
    c2.metric("错误", len(report.errors))
    c3.metric("警告", len(report.warnings))
    for note in report.notes_zh:
        st.caption(note)
    if report.problems:
        st.dataframe(
            report.to_frame(), hide_index=True, width="stretch", key="ykgeo_import_problems"
        )
    if not report.ok:
        st.error(
            f"有 {len(report.errors)} 个错误，不能导入。请修改文件后重新上传校验。项目库未作任何修改。"
        )
        if st.button("清除报告", key="ykgeo_import_clear"):
            st.session_state.pop(_REPORT, None)
            st.rerun()
        return
    st.success(f"校验通过：{n:,} 个要素可以导入到 {spec.name_zh}。")
    go, cancel = st.columns([1, 1])
    if cancel.button("取消", key="ykgeo_import_cancel"):
        st.session_state.pop(_REPORT, None)
        st.rerun()
    if go.button("导入到项目库", type="primary", key="ykgeo_import_go"):
        assert ctx.user is not None and report.gdf is not None
        try:
            summary = Store(ctx.store_path).import_features(
                held_key, report.gdf, user=ctx.user.name, source=f"网页导入：{name}", mode=held_mode
            )
        except YkgeoError as err:
            st.error(f"导入失败，项目库未作任何修改：{err.message_zh}")
            return
        st.session_state.pop(_REPORT, None)
        st.session_state[_DONE] = (
            f"已导入 {name}：新增 {summary.added:,}，更新 {summary.updated:,}，未变 {summary.unchanged:,}"
            f"（{summary.data_version and '数据版本 v' + str(summary.data_version)}）。"
        )
        st.rerun()
