"""地图 page: every layer by theme, filters, zoom to a township, the selected feature and its history."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from ykgeo import maps
from ykgeo.store import Store
from ykgeo.ui import data
from ykgeo.ui.assets import ASSET_URL
from ykgeo.ui.shell import PageContext

__all__ = ["render"]

_ALL = "（全部镇街）"
_MAP_KEY = "ykgeo_map"
_SELECTED = "ykgeo_map_selected"
_TOWNSHIP = "ykgeo_map_township"
_LAYERS = "ykgeo_map_layers"
_STATUSES = "ykgeo_map_statuses"
_BASEMAP = "ykgeo_map_basemap"
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
    counts = data.layer_counts(ctx.store_path, ctx.mtime_ns)
    thematic = [k for k, n in counts.items() if n and not store.spec(k).reference]
    towns = data.township_names(ctx.store_path, ctx.mtime_ns)
    cols = st.columns([3, 1.3, 2, 1.6])
    with cols[0]:
        chosen = st.multiselect(
            "图层",
            thematic,
            default=thematic if _LAYERS not in st.session_state else None,
            format_func=lambda k: (
                f"{store.spec(k).theme} · {store.spec(k).name_zh}（{counts[k]:,}）"
            ),
            key=_LAYERS,
            placeholder="选择图层",
        )
    with cols[1]:
        options = [_ALL, *towns]
        if st.session_state.get(_TOWNSHIP) not in options:
            st.session_state[_TOWNSHIP] = _ALL
        township = st.selectbox(
            "镇街（缩放并筛选）", options, key=_TOWNSHIP, on_change=_on_township_change
        )
    statuses: list[str] = []
    for key in chosen:
        spec = store.spec(key)
        if spec.status is not None:
            statuses += [s for s in spec.status.values if s not in statuses]
    with cols[2]:
        picked = st.multiselect("状态", statuses, key=_STATUSES, placeholder="全部状态")
    with cols[3]:
        basemaps = ctx.settings.basemap_choices()
        basemap = st.selectbox(
            "底图", list(basemaps), format_func=basemaps.__getitem__, key=_BASEMAP
        )
    return (
        tuple(chosen),
        "" if township == _ALL else str(township),
        tuple(picked) if picked else None,
        str(basemap),
    )


def _details(ctx: PageContext, store: Store) -> None:
    selected = st.session_state.get(_SELECTED)
    st.subheader("要素详情")
    if not selected:
        st.caption("点击地图上的要素，在此查看其属性和变更记录。")
        return
    key, feature_id = selected
    if key not in store.layer_keys():
        st.caption("所选要素的图层不在本项目库中。")
        return
    spec = store.spec(key)
    frame = data.layer_frame(ctx.store_path, ctx.mtime_ns, key, ctx.as_of_or_now)
    st.caption(f"{spec.theme} · {spec.name_zh}")
    if feature_id not in frame.index:
        st.warning(f"截至 {ctx.as_of:%Y-%m-%d}，该图层中没有要素 {feature_id}。")
    else:
        row = frame.loc[feature_id]
        values = [maps.display_value(row[f]) if f in row.index else "" for f in spec.field_names]
        table = pd.DataFrame({"字段": list(spec.field_names), "值": values})
        with st.container(key="ykgeo_map_detail"):
            st.table(table.set_index("字段"))
        st.caption(f"版本 {int(row['ykgeo_version'])}")
        editable = ctx.can_edit and spec.status is not None and "edit" in ctx.pages
        if editable and st.button("编辑此要素", key="ykgeo_map_to_edit"):
            st.session_state["ykgeo_edit_target"] = (key, feature_id)
            st.switch_page(ctx.pages["edit"])
    st.markdown("**变更记录**")
    history = data.feature_history(ctx.store_path, ctx.mtime_ns, key, feature_id)
    if history.empty:
        st.caption("暂无记录")
    else:
        st.dataframe(history, hide_index=True, width="stretch", height=260)


def render(ctx: PageContext) -> None:
    """The map page."""
    store = Store(ctx.store_path)
    st.title("项目地图")
    keys, township, statuses, basemap = _filters(ctx, store)
    settings = ctx.settings.map_settings(basemap=basemap, asset_url=ASSET_URL)
    layers, focus = data.map_layers(
        ctx.store_path, ctx.mtime_ns, ctx.as_of_or_now, keys, township, statuses, settings
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
        st.caption(
            f"截至 {ctx.as_of:%Y-%m-%d} · 显示要素 {shown:,} 个 · 底图：{ctx.settings.basemap_choices()[basemap]}"
            " · 镇街界线为示意"
        )
    with right:
        _details(ctx, store)
