"""地图 page: layers by theme, rasters, filters, search, the selected feature and its history, measuring and printing."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ykgeo import maps
from ykgeo.errors import RasterError, YkgeoError
from ykgeo.layers import STATUS_GROUPS
from ykgeo.store import Store
from ykgeo.ui import data
from ykgeo.ui.i18n import literal
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
_FOCUS_BOUNDS = "ykgeo_map_focus_bounds"
_SEARCH = "ykgeo_map_search"
_HIT = "ykgeo_map_hit"
_LAST_TIP = "ykgeo_map_last_tip"
_LAST_DRAWING = "ykgeo_map_last_drawing"
_MEASURED = "ykgeo_map_measured"
_PRINT = "ykgeo_map_print"
_TOOLS = ("fullscreen", "measure", "print")
_MAP_HEIGHT = 600
#: The map page uses the height of the window: less padding above the title.
_PAGE_CSS = "<style>[data-testid='stMainBlockContainer']{padding-top:2.2rem}</style>"


def _on_township_change() -> None:
    st.session_state[_FOCUS] = st.session_state.get(_FOCUS, 0) + 1
    st.session_state.pop(_FOCUS_BOUNDS, None)


def _on_map_event() -> None:
    """A click on the map (select a feature, or narrow to a township) or a tool's result."""
    value = st.session_state.get(_MAP_KEY) or {}
    tip = value.get("last_object_clicked_tooltip")
    if tip != st.session_state.get(_LAST_TIP):
        st.session_state[_LAST_TIP] = tip
        selection = maps.parse_selection(tip)
        if selection is not None and selection.township:
            st.session_state[_TOWNSHIP] = selection.township
            _on_township_change()
        elif selection is not None:
            st.session_state[_SELECTED] = (selection.layer, selection.feature_id)
    drawing = value.get("last_active_drawing")
    if drawing and drawing != st.session_state.get(_LAST_DRAWING):
        st.session_state[_LAST_DRAWING] = drawing
        result = maps.parse_drawing(drawing)
        if isinstance(result, maps.Measurement):
            st.session_state[_MEASURED] = result
        elif isinstance(result, maps.PrintRequest):
            st.session_state[_PRINT] = result


def _on_search_pick() -> None:
    picked = st.session_state.get(_HIT)
    if not picked:
        return
    layer, fid, bounds = picked
    st.session_state[_SELECTED] = (layer, fid)
    chosen = list(st.session_state.get(_LAYERS) or [])
    if layer not in chosen:
        st.session_state[_LAYERS] = [*chosen, layer]
    st.session_state[_TOWNSHIP] = ""
    st.session_state[_FOCUS] = st.session_state.get(_FOCUS, 0) + 1
    st.session_state[_FOCUS_BOUNDS] = bounds


def _filters(ctx: PageContext, store: Store) -> tuple[tuple[str, ...], str, tuple[str, ...], str]:
    t = ctx.t
    counts = data.layer_counts(ctx.store_path, ctx.mtime_ns, ctx.as_of_or_now, ctx.knowledge)
    thematic = [k for k, n in counts.items() if n and not store.spec(k).reference]
    towns = data.township_names(ctx.store_path, ctx.mtime_ns)
    cols = st.columns([3, 1.3, 1.6, 1.6])
    with cols[0]:
        if _LAYERS in st.session_state:
            st.session_state[_LAYERS] = [k for k in st.session_state[_LAYERS] if k in thematic]
        chosen = st.multiselect(
            t("common.layer"),
            thematic,
            default=thematic if _LAYERS not in st.session_state else None,
            format_func=lambda k: (
                f"{t.theme(store.spec(k).theme)} · {t.layer(store.spec(k))}（{counts[k]:,}）"
            ),
            key=_LAYERS,
            placeholder=t("map.layers_placeholder"),
            select_all=False,
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
    with cols[2]:
        groups = st.multiselect(
            t("common.status"),
            list(STATUS_GROUPS),
            format_func=lambda g: STATUS_GROUPS[g][1 if t.english else 0],
            key=_STATUSES,
            placeholder=t("common.all_statuses"),
            help=t("map.status_help"),
            select_all=False,
        )
    with cols[3]:
        basemaps = ctx.settings.basemap_choices(ctx.t.language)
        basemap = st.selectbox(
            t("map.basemap"), list(basemaps), format_func=basemaps.__getitem__, key=_BASEMAP
        )
    return tuple(chosen), str(township), tuple(groups), str(basemap)


def _rasters(ctx: PageContext, column: Any) -> list[maps.RasterMapLayer]:
    """The raster overlays chosen (from ``rasters/`` beside the store), drawn for the map."""
    t = ctx.t
    files = data.raster_files(ctx.store_path)
    if not files:
        return []
    titles = {name: data.raster_title(path, mtime) for name, (path, mtime) in files.items()}
    if any(name not in files for name in st.session_state.get(_RASTERS) or []):
        st.session_state[_RASTERS] = [n for n in st.session_state[_RASTERS] if n in files]
    chosen = column.multiselect(
        t("map.rasters"),
        list(files),
        format_func=lambda n: f"{n} · {titles[n] or t('map.raster_unreadable')}",
        key=_RASTERS,
        placeholder=t("map.rasters_placeholder"),
        help=t("map.rasters_help"),
        select_all=False,
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


def _search(ctx: PageContext, column: Any) -> None:
    """Search every layer shown by 编号, 名称, 企业名称 or 项目名称; a pick selects and zooms to it."""
    t = ctx.t
    query = column.text_input(
        t("map.search"), key=_SEARCH, placeholder=t("map.search_placeholder")
    ).strip()
    if not query:
        return
    hits = data.search(ctx.store_path, ctx.mtime_ns, ctx.as_of_or_now, ctx.knowledge, query)
    if hits.empty:
        column.caption(t("map.search_none"))
        return
    boxes = hits[["minx", "miny", "maxx", "maxy"]].to_numpy(dtype="float64")
    options = [
        (str(layer), str(fid), (float(b[0]), float(b[1]), float(b[2]), float(b[3])))
        for layer, fid, b in zip(hits["layer"], hits["id"], boxes, strict=True)
    ]
    labels = {}
    for option, r in zip(options, hits.to_dict("records"), strict=True):
        where = f"{r['layer_name']} · {r['township']}" if r["township"] else str(r["layer_name"])
        labels[option] = f"{r['id']} · {r['name']}（{where}）"
    if st.session_state.get(_HIT) not in options:
        st.session_state[_HIT] = None
    column.selectbox(
        t("map.search_results", n=len(hits)),
        options,
        index=None,
        format_func=labels.__getitem__,
        key=_HIT,
        on_change=_on_search_pick,
        placeholder=t("map.search_pick"),
    )


def _tool_results(
    ctx: PageContext, keys: tuple[str, ...], township: str, groups: tuple[str, ...]
) -> None:
    t = ctx.t
    measured = st.session_state.get(_MEASURED)
    if isinstance(measured, maps.Measurement):
        with st.container(key="ykgeo_map_measure", border=True):
            if measured.kind == "area":
                st.markdown(
                    t(
                        "map.measure_area",
                        area=f"{measured.area_mu:,.2f}",
                        length=f"{measured.length_km:,.3f}",
                    )
                )
            else:
                st.markdown(t("map.measure_line", length=f"{measured.length_km:,.3f}"))
            st.caption(t("map.measure_note"))
    request = st.session_state.get(_PRINT)
    if not isinstance(request, maps.PrintRequest):
        return
    shown = tuple(k for k in keys if k not in request.hidden)
    try:
        with st.spinner(t("map.printing")):
            png, pdf = data.print_view(
                ctx.store_path,
                ctx.mtime_ns,
                ctx.as_of,
                ctx.knowledge,
                shown,
                township,
                groups,
                request.bounds,
                t.language,
            )
    except YkgeoError as err:
        st.error(t.error(err))
        return
    with st.container(key="ykgeo_map_print", border=True):
        st.markdown(t("map.print_ready"))
        st.image(png, width="stretch")
        a, b = st.columns(2)
        stem = f"{t('map.print_stem')}_{ctx.as_of:%Y%m%d}"
        a.download_button(
            "PNG",
            png,
            file_name=f"{stem}.png",
            mime="image/png",
            on_click="ignore",
            key="ykgeo_map_print_png",
            icon=":material/image:",
        )
        b.download_button(
            "PDF",
            pdf,
            file_name=f"{stem}.pdf",
            mime="application/pdf",
            on_click="ignore",
            key="ykgeo_map_print_pdf",
            icon=":material/picture_as_pdf:",
        )


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
    st.caption(f"{t.theme(spec.theme)} · {t.layer(spec)}")
    if feature_id not in frame.index:
        st.warning(t("map.feature_missing", as_of=f"{ctx.as_of:%Y-%m-%d}", fid=feature_id))
        return
    row = frame.loc[feature_id]
    names = list(spec.field_names)
    values = [maps.display_value(row[f]) if f in row.index else "" for f in names]
    # the official measure, computed as on the map: area (亩, ellipsoidal) or length (km)
    measure = maps.feature_measures(frame.loc[[feature_id]], spec)
    if measure is not None:
        names.append(t("map.area_mu" if spec.geometry_type == "Polygon" else "map.length_km"))
        values.append(measure[0] or "")
    # st.table renders Markdown: every name and value is shown as the characters it is
    table = pd.DataFrame(
        {t("map.field"): [literal(n) for n in names], t("map.value"): [literal(v) for v in values]}
    )
    with st.container(key="ykgeo_map_detail"):
        st.table(table.set_index(t("map.field")))
    st.caption(t("map.version", version=int(row["ykgeo_version"])))
    editable = ctx.can_edit and spec.status is not None and "edit" in ctx.pages
    if editable and st.button(t("map.edit_feature"), key="ykgeo_map_to_edit"):
        st.session_state["ykgeo_edit_target"] = (key, feature_id)
        st.switch_page(ctx.pages["edit"])


def _history(ctx: PageContext) -> None:
    """The change history of the selected feature, the width of the page."""
    selected = st.session_state.get(_SELECTED)
    if not selected:
        return
    t = ctx.t
    key, feature_id = selected
    st.markdown(t("common.history") + " · " + literal(feature_id))
    history = data.feature_history(ctx.store_path, ctx.mtime_ns, key, feature_id, t.language)
    if history.empty:
        st.caption(t("map.no_history"))
        return
    with st.container(key="ykgeo_map_history"):
        st.dataframe(
            history, hide_index=True, width="stretch", height=min(36 * (len(history) + 1) + 3, 420)
        )


def render(ctx: PageContext) -> None:
    """The map page."""
    # Imported in a session, not at the server's start (ykgeo.ui.startup): Streamlit serves a
    # component's files only if it was declared while a script runs.
    from streamlit_folium import st_folium

    from ykgeo.ui.assets import ASSET_URL

    t = ctx.t
    store = Store(ctx.store_path)
    st.markdown(_PAGE_CSS, unsafe_allow_html=True)
    st.title(t("map.title"))
    knowledge_banner(ctx)
    keys, township, groups, basemap = _filters(ctx, store)
    settings = ctx.settings.map_settings(basemap=basemap, asset_url=ASSET_URL, language=t.language)
    settings = maps.MapSettings(**{**settings.__dict__, "tools": _TOOLS, "height": _MAP_HEIGHT})
    left, right = st.columns([3, 1.3])
    with right:  # what the map's tools gave first, beside the map; then search and rasters
        _tool_results(ctx, keys, township, groups)
        _search(ctx, st)
        rasters = _rasters(ctx, st)
    with st.spinner(t("map.preparing")):
        layers, focus = data.map_layers(
            ctx.store_path,
            ctx.mtime_ns,
            ctx.as_of_or_now,
            ctx.knowledge,
            keys,
            township,
            groups,
            settings,
        )
    focus = st.session_state.get(_FOCUS_BOUNDS) or focus
    selected = st.session_state.get(_SELECTED) if st.session_state.get(_FOCUS_BOUNDS) else None
    # The selection is highlighted in the browser when clicked; it is part of the map only
    # after a search (which also zooms to it), so a click does not rebuild the map.
    m = maps.build_map(
        layers,
        settings=settings,
        focus=focus,
        focus_token=f"{township or 'all'}:{st.session_state.get(_FOCUS, 0)}",
        selected=maps.Selection(layer=selected[0], feature_id=selected[1]) if selected else None,
        rasters=rasters,
    )
    with left:
        st_folium(
            m,
            key=_MAP_KEY,
            height=settings.height,
            use_container_width=True,
            returned_objects=["last_object_clicked_tooltip", "last_active_drawing"],
            on_change=_on_map_event,
        )
        shown = sum(lay.count for lay in layers if lay.kind == "features")
        caption: str = t(
            "map.caption",
            as_of=f"{ctx.as_of:%Y-%m-%d}",
            shown=f"{shown:,}",
            basemap=ctx.settings.basemap_choices(t.language)[basemap],
        )
        if rasters:
            kb = sum(r.payload_bytes for r in rasters) / 1024
            caption += t("map.caption_rasters", n=len(rasters), kb=f"{kb:,.0f}")
        st.caption(caption)
        for note in (f"{lay.name_zh}：{lay.note_zh}" for lay in layers if lay.note_zh):
            st.caption(literal(note))
    with right:
        _details(ctx, store)
    _history(ctx)
