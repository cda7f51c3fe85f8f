"""导出 page: the current selection as GeoJSON, GeoPackage, zipped Shapefile (UTF-8/GBK) or KML; progress as XLSX."""

from __future__ import annotations

import streamlit as st

from ykgeo.errors import YkgeoError
from ykgeo.store import Store
from ykgeo.ui import data
from ykgeo.ui.shell import PageContext

__all__ = ["render"]

_ALL = "（全部镇街）"
_FORMATS = {
    "geojson": ("GeoJSON（RFC 7946，WGS84 经纬度）", "application/geo+json"),
    "gpkg": ("GeoPackage", "application/geopackage+sqlite3"),
    "shp-utf8": ("Shapefile（zip，UTF-8）", "application/zip"),
    "shp-gbk": ("Shapefile（zip，GBK，旧版 ArcGIS）", "application/zip"),
    "kml": ("KML", "application/vnd.google-earth.kml+xml"),
}
_MAX_EXPORT = 200_000


def _year(ctx: PageContext) -> int | None:
    years = data.plan_years(ctx.store_path, ctx.mtime_ns)
    if not years:
        return None
    return ctx.as_of.year if ctx.as_of.year in years else max(years)


def render(ctx: PageContext) -> None:
    """The export page."""
    st.title("导出数据")
    store = Store(ctx.store_path)
    counts = data.layer_counts(ctx.store_path, ctx.mtime_ns)
    keys = [k for k, n in counts.items() if n]
    if not keys:
        st.info("项目库是空的。")
        return
    st.subheader("要素（当前选择）")
    default = st.session_state.get("ykgeo_map_layers") or []
    if "ykgeo_export_layer" not in st.session_state and default and default[0] in keys:
        st.session_state["ykgeo_export_layer"] = default[0]
    towns = [_ALL, *data.township_names(ctx.store_path, ctx.mtime_ns)]
    if "ykgeo_export_township" not in st.session_state:
        chosen = st.session_state.get("ykgeo_map_township", _ALL)
        st.session_state["ykgeo_export_township"] = chosen if chosen in towns else _ALL
    cols = st.columns([2.5, 1.5, 2, 2.5])
    with cols[0]:
        key = st.selectbox(
            "图层",
            keys,
            format_func=lambda k: (
                f"{store.spec(k).theme} · {store.spec(k).name_zh}（{counts[k]:,}）"
            ),
            key="ykgeo_export_layer",
        )
    spec = store.spec(key)
    with cols[1]:
        township = st.selectbox("镇街", towns, key="ykgeo_export_township")
    with cols[2]:
        statuses = st.multiselect(
            "状态",
            list(spec.status.values) if spec.status else [],
            key=f"ykgeo_export_status_{key}",
            placeholder="全部状态",
            disabled=spec.status is None,
        )
    with cols[3]:
        fmt = st.selectbox(
            "格式", list(_FORMATS), format_func=lambda f: _FORMATS[f][0], key="ykgeo_export_format"
        )
    selection = data.selection_frame(
        ctx.store_path,
        ctx.mtime_ns,
        key,
        ctx.as_of_or_now,
        "" if township == _ALL else township,
        tuple(statuses) or None,
    )
    st.caption(f"截至 {ctx.as_of:%Y-%m-%d}，当前选择 {len(selection):,} 个要素。")
    if not len(selection):
        st.info("当前选择没有要素，无法导出。")
    elif len(selection) > _MAX_EXPORT:
        st.warning(f"一次最多导出 {_MAX_EXPORT:,} 个要素，请缩小选择。")
    else:
        base, _, enc = fmt.partition("-")
        encoding = "GBK" if enc == "gbk" else "UTF-8"
        try:
            name, content, n, notes = data.export_file(
                ctx.store_path,
                ctx.mtime_ns,
                key,
                ctx.as_of_or_now,
                "" if township == _ALL else township,
                tuple(statuses) or None,
                base,
                encoding,
            )
        except YkgeoError as err:
            st.error(err.message_zh)
        else:
            for note in notes:
                st.caption(note)
            st.download_button(
                f"下载 {name}（{n:,} 个要素，{len(content) / 1024:,.0f} KB）",
                data=content,
                file_name=name,
                mime=_FORMATS[fmt][1],
                type="primary",
                key="ykgeo_export_download",
            )
    st.subheader("进度表（Excel）")
    year = _year(ctx)
    if year is None:
        st.caption("项目库中没有年度目标计划。")
        return
    if st.button("生成进度表", key="ykgeo_export_xlsx_make"):
        try:
            st.session_state["ykgeo_export_xlsx"] = (
                ctx.as_of,
                data.progress_xlsx(ctx.store_path, ctx.mtime_ns, ctx.as_of, year),
            )
        except YkgeoError as err:
            st.error(err.message_zh)
    held = st.session_state.get("ykgeo_export_xlsx")
    if held and held[0] == ctx.as_of:
        st.download_button(
            f"下载 进度_{ctx.as_of:%Y%m%d}.xlsx",
            data=held[1],
            file_name=f"progress_{ctx.as_of:%Y%m%d}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="ykgeo_export_xlsx_download",
        )
