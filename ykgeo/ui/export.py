"""导出 page: the current selection as GeoJSON, GeoPackage, zipped Shapefile (UTF-8/GBK) or KML; progress as XLSX."""

from __future__ import annotations

import streamlit as st

from ykgeo.errors import YkgeoError
from ykgeo.store import Store
from ykgeo.ui import data
from ykgeo.ui.i18n import literal
from ykgeo.ui.shell import PageContext, knowledge_banner

__all__ = ["render"]

#: Format → (message id of its name, MIME type).
_FORMATS = {
    "geojson": ("export.format_geojson", "application/geo+json"),
    "gpkg": ("export.format_gpkg", "application/geopackage+sqlite3"),
    "shp-utf8": ("export.format_shp_utf8", "application/zip"),
    "shp-gbk": ("export.format_shp_gbk", "application/zip"),
    "kml": ("export.format_kml", "application/vnd.google-earth.kml+xml"),
}
_MAX_EXPORT = 200_000
#: Coordinate systems offered for GeoPackage and Shapefile (message id of their names).
_CRS = {4490: "export.crs_4490", 4549: "export.crs_4549"}


def _year(ctx: PageContext) -> int | None:
    years = data.plan_years(ctx.store_path, ctx.mtime_ns)
    if not years:
        return None
    return ctx.as_of.year if ctx.as_of.year in years else max(years)


def render(ctx: PageContext) -> None:
    """The export page."""
    t = ctx.t
    st.title(t("export.title"))
    knowledge_banner(ctx)
    store = Store(ctx.store_path)
    counts = data.layer_counts(ctx.store_path, ctx.mtime_ns, ctx.as_of_or_now, ctx.knowledge)
    keys = [k for k, n in counts.items() if n]
    if not keys:
        st.info(t("export.empty_store"))
        return
    st.subheader(t("export.features"))
    default = st.session_state.get("ykgeo_map_layers") or []
    if "ykgeo_export_layer" not in st.session_state and default and default[0] in keys:
        st.session_state["ykgeo_export_layer"] = default[0]
    towns = ["", *data.township_names(ctx.store_path, ctx.mtime_ns)]  # "": every township
    if st.session_state.get("ykgeo_export_township") not in towns:
        chosen = st.session_state.get("ykgeo_map_township", "")
        st.session_state["ykgeo_export_township"] = chosen if chosen in towns else ""
    cols = st.columns([2.5, 1.5, 2, 2.5])
    with cols[0]:
        key = st.selectbox(
            t("common.layer"),
            keys,
            format_func=lambda k: (
                f"{t.theme(store.spec(k).theme)} · {t.layer(store.spec(k))}（{counts[k]:,}）"
            ),
            key="ykgeo_export_layer",
        )
    spec = store.spec(key)
    with cols[1]:
        township = st.selectbox(
            t("common.township"),
            towns,
            format_func=lambda v: v or t("common.all_townships"),
            key="ykgeo_export_township",
        )
    with cols[2]:
        statuses = st.multiselect(
            t("common.status"),
            list(spec.status.values) if spec.status else [],
            key=f"ykgeo_export_status_{key}",
            placeholder=t("common.all_statuses"),
            disabled=spec.status is None,
            select_all=False,
        )
    with cols[3]:
        fmt = st.selectbox(
            t("export.format"),
            list(_FORMATS),
            format_func=lambda f: t(_FORMATS[f][0]),
            key="ykgeo_export_format",
        )
    base, _, enc = fmt.partition("-")
    crs_column, area_column, _ = st.columns([2.5, 2.5, 3])
    crs = crs_column.selectbox(
        t("export.crs"),
        list(_CRS) if base in ("gpkg", "shp") else [4490],
        format_func=lambda c: t(_CRS[c]),
        key="ykgeo_export_crs",
        help=t("export.crs_help"),
    )
    area_mu = area_column.checkbox(
        t("export.area_mu"),
        value=True,
        key="ykgeo_export_area",
        disabled=spec.geometry_type != "Polygon",
        help=t("export.area_mu_help"),
    )
    # the selection: the same records, on the same date, as the map and the figures
    chosen = (
        ctx.store_path,
        ctx.mtime_ns,
        key,
        ctx.as_of_or_now,
        ctx.knowledge,
        township,
        tuple(statuses) or None,
    )
    selection = data.selection_frame(*chosen)
    st.caption(t("export.selection", as_of=f"{ctx.as_of:%Y-%m-%d}", n=f"{len(selection):,}"))
    if not len(selection):
        st.info(t("export.nothing"))
    elif len(selection) > _MAX_EXPORT:
        st.warning(t("export.too_many", n=f"{_MAX_EXPORT:,}"))
    else:
        encoding = "GBK" if enc == "gbk" else "UTF-8"
        try:
            with st.spinner(t("export.making")):
                name, content, n, notes = data.export_file(
                    *chosen,
                    base,
                    encoding,
                    int(crs),
                    bool(area_mu),
                    ctx.as_of,
                )
        except YkgeoError as err:
            st.error(t.error(err))
        else:
            for note in notes:
                st.caption(literal(note))
            st.download_button(
                t("export.download", name=name, n=f"{n:,}", kb=f"{len(content) / 1024:,.0f}"),
                data=content,
                file_name=name,
                mime=_FORMATS[fmt][1],
                type="primary",
                key="ykgeo_export_download",
            )
    st.subheader(t("export.progress"))
    year = _year(ctx)
    if year is None:
        st.caption(t("common.no_plan"))
        return
    if st.button(t("export.make_xlsx"), key="ykgeo_export_xlsx_make"):
        try:
            with st.spinner(t("export.making_xlsx")):
                content = data.progress_xlsx(
                    ctx.store_path, ctx.mtime_ns, ctx.as_of, year, ctx.knowledge
                )
            st.session_state["ykgeo_export_xlsx"] = (ctx.as_of, content)
        except YkgeoError as err:
            st.error(t.error(err))
    held = st.session_state.get("ykgeo_export_xlsx")
    if held and held[0] == ctx.as_of:
        st.download_button(
            t("export.download_xlsx", day=f"{ctx.as_of:%Y%m%d}"),
            data=held[1],
            file_name=f"progress_{ctx.as_of:%Y%m%d}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="ykgeo_export_xlsx_download",
        )
