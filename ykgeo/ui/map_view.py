"""地图 page: every layer by theme, raster overlays, filters, zoom to a township, the selected feature and its history."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from ykgeo import maps
from ykgeo.errors import RasterError
from ykgeo.store import Store
from ykgeo.ui import data
from ykgeo.ui.assets import ASSET_URL
from ykgeo.ui.shell import PageContext, knowledge_banner

__all__ = ["render"]

_MAP_KEY = "ykgeo_map"
_SELECTED = "ykgeo_map_selected"
_TOWNSHIP = "ykgeo_map_township"
_LAYERS = "ykgeo_map_layers"
_STATUSES = "ykgeo_map_statuses"
_BASEMAP = "ykgeo_map_basemap"
_RASTERS = "ykgeo_map_rasters"
_FOCUS = "ykgeo_map_focus"


def _on_township_change() -> None:
    st.session_state[_FOCUS] = st.session_state.get(_FOCUS, 0) + 1


def _on_map_click() -> None:
    """A click on the map: select the feature, or narrow to the township of an aggregate."""
    value = st.session_state.get(_MAP_KEY) or {}
    selection = maps.parse_selection(value.get("last_object_clicked_tooltip"))
    if selection is None:
        return
    if selection.township:
        st.session_state[_TOWNSHIP] = selection.township
        _on_township_change()
    else:
        st.session_state[_SELECTED] = (selection.layer, selection.feature_id)


def _filters(
    ctx: PageContext, store: Store
) -> tuple[tuple[str, ...], str, tuple[str, ...] | None, str]:
    t = ctx.t
    counts = data.layer_counts(ctx.store_path, ctx.mtime_ns, ctx.as_of_or_now, ctx.knowledge)
    thematic = [k for k, n in counts.items() if n and not store.spec(k).reference]
    towns = data.township_names(ctx.store_path, ctx.mtime_ns)
    cols = st.columns([3, 1.3, 2, 1.6])
    with cols[0]:
        chosen = st.multiselect(
            t("common.layer"),
            thematic,
            default=thematic if _LAYERS not in st.session_state else None,
            format_func=lambda k: (
                f"{store.spec(k).theme} · {t.layer(store.spec(k))}（{counts[k]:,}）"
            ),
            key=_LAYERS,
            placeholder=t("map.layers_placeholder"),
        )
    with cols[1]:
        options = ["", *towns]  # "": every township
        if st.session_state.get(_TOWNSHIP) not in options:
            st.session_state[_TOWNSHIP] = ""
        township = st.selectbox(
            t("map.township"),
            options,
            format_func=lambda v: v or t("common.all_townships"),
            key=_TOWNSHIP,
            on_change=_on_township_change,
        )
    statuses: list[str] = []
    for key in chosen:
        spec = store.spec(key)
        if spec.status is not None:
            statuses += [s for s in spec.status.values if s not in statuses]
    with cols[2]:
        picked = st.multiselect(
            t("common.status"), statuses, key=_STATUSES, placeholder=t("common.all_statuses")
        )
    with cols[3]:
        basemaps = ctx.settings.basemap_choices(ctx.t.language)
        basemap = st.selectbox(
            t("map.basemap"), list(basemaps), format_func=basemaps.__getitem__, key=_BASEMAP
        )
    return tuple(chosen), str(township), tuple(picked) if picked else None, str(basemap)


def _rasters(ctx: PageContext) -> list[maps.RasterMapLayer]:
    """The raster overlays chosen (from ``rasters/`` beside the store), drawn for the map."""
    t = ctx.t
    files = data.raster_files(ctx.store_path)
    if not files:
        return []
    titles = {name: data.raster_title(path, mtime) for name, (path, mtime) in files.items()}
    if any(name not in files for name in st.session_state.get(_RASTERS) or []):
        st.session_state[_RASTERS] = [n for n in st.session_state[_RASTERS] if n in files]
    column, _ = st.columns([3, 4.9])
    chosen = column.multiselect(
        t("map.rasters"),
        list(files),
        format_func=lambda n: f"{n} · {titles[n] or t('map.raster_unreadable')}",
        key=_RASTERS,
        placeholder=t("map.rasters_placeholder"),
        help=t("map.rasters_help"),
    )
    out: list[maps.RasterMapLayer] = []
    with st.spinner(t("map.preparing_rasters")):
        for name in chosen:
            path, mtime_ns = files[name]
            try:
                out.append(data.raster_layer(path, mtime_ns, True, t.language))
            except RasterError as err:
                st.warning(t("map.raster_problem", name=name, problem=t.error(err)))
    return out


def _details(ctx: PageContext, store: Store) -> None:
    t = ctx.t
    selected = st.session_state.get(_SELECTED)
    st.subheader(t("map.details"))
    if not selected:
        st.caption(t("map.click_hint"))
        return
    key, feature_id = selected
    if key not in store.layer_keys():
        st.caption(t("map.layer_missing"))
        return
    spec = store.spec(key)
    frame = data.layer_frame(ctx.store_path, ctx.mtime_ns, key, ctx.as_of_or_now, ctx.knowledge)
    st.caption(f"{spec.theme} · {t.layer(spec)}")
    if feature_id not in frame.index:
        st.warning(t("map.feature_missing", as_of=f"{ctx.as_of:%Y-%m-%d}", fid=feature_id))
    else:
        row = frame.loc[feature_id]
        names = list(spec.field_names)
        values = [maps.display_value(row[f]) if f in row.index else "" for f in names]
        # the official measure, computed as on the map: area (亩, ellipsoidal) or length (km)
        measure = maps.feature_measures(frame.loc[[feature_id]], spec)
        if measure is not None:
            names.append(t("map.area_mu" if spec.geometry_type == "Polygon" else "map.length_km"))
            values.append(measure[0] or "")
        table = pd.DataFrame({t("map.field"): names, t("map.value"): values})
        with st.container(key="ykgeo_map_detail"):
            st.table(table.set_index(t("map.field")))
        st.caption(t("map.version", version=int(row["ykgeo_version"])))
        editable = ctx.can_edit and spec.status is not None and "edit" in ctx.pages
        if editable and st.button(t("map.edit_feature"), key="ykgeo_map_to_edit"):
            st.session_state["ykgeo_edit_target"] = (key, feature_id)
            st.switch_page(ctx.pages["edit"])
    st.markdown(t("common.history"))
    history = data.feature_history(ctx.store_path, ctx.mtime_ns, key, feature_id, t.language)
    if history.empty:
        st.caption(t("map.no_history"))
    else:
        st.dataframe(history, hide_index=True, width="stretch", height=260)


def render(ctx: PageContext) -> None:
    """The map page."""
    t = ctx.t
    store = Store(ctx.store_path)
    st.title(t("map.title"))
    knowledge_banner(ctx)
    keys, township, statuses, basemap = _filters(ctx, store)
    rasters = _rasters(ctx)
    settings = ctx.settings.map_settings(basemap=basemap, asset_url=ASSET_URL, language=t.language)
    with st.spinner(t("map.preparing")):
        layers, focus = data.map_layers(
            ctx.store_path,
            ctx.mtime_ns,
            ctx.as_of_or_now,
            ctx.knowledge,
            keys,
            township,
            statuses,
            settings,
        )
    notes = [f"{lay.name_zh}：{lay.note_zh}" for lay in layers if lay.note_zh]
    for note in notes:
        st.info(note, icon=":material/info:")
    # The selection is highlighted in the browser when clicked; it is not part of the map, so
    # a click reruns the page without rebuilding the map, which keeps its view as it is.
    m = maps.build_map(
        layers,
        settings=settings,
        focus=focus,
        focus_token=f"{township or 'all'}:{st.session_state.get(_FOCUS, 0)}",
        rasters=rasters,
    )
    left, right = st.columns([3, 1.25])
    with left:
        st_folium(
            m,
            key=_MAP_KEY,
            height=settings.height,
            use_container_width=True,
            returned_objects=["last_object_clicked_tooltip"],
            on_change=_on_map_click,
        )
        shown = sum(lay.count for lay in layers if lay.kind == "features")
        caption = t(
            "map.caption",
            as_of=f"{ctx.as_of:%Y-%m-%d}",
            shown=f"{shown:,}",
            basemap=ctx.settings.basemap_choices(t.language)[basemap],
        )
        if rasters:
            kb = sum(r.payload_bytes for r in rasters) / 1024
            caption += t("map.caption_rasters", n=len(rasters), kb=f"{kb:,.0f}")
        st.caption(caption)
    with right:
        _details(ctx, store)
