"""候选地块 tab of the 计划 page: next year's remediation candidates from the 亩均 evaluation, on a table and a map."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ykgeo import maps
from ykgeo import plan as planning
from ykgeo.errors import YkgeoError
from ykgeo.store import Store
from ykgeo.ui import plan_data
from ykgeo.ui.i18n import literal
from ykgeo.ui.shell import PageContext
from ykgeo.ui.writes import write_as_editor

__all__ = ["render"]

_ADOPTED = "ykgeo_candidates_adopted"


def render(ctx: PageContext, year: int, info: Any) -> None:
    """Candidates of one area target of ``year``: summary, table, map, downloads, and adoption (editors)."""
    t = ctx.t
    done = st.session_state.pop(_ADOPTED, None)
    if done:
        st.success(done)
    targets = [item for item in info.data["targets"] if item["measure"] == "area"]
    if not targets:
        st.caption(t("candidates.no_area_targets"))
        return
    names = {item["key"]: item["name_zh"] for item in targets}
    default = next((i for i, k in enumerate(names) if k == "low_efficiency_remediation"), 0)
    key = st.selectbox(
        t("candidates.target"),
        list(names),
        index=default,
        format_func=names.__getitem__,
        key="ykgeo_candidates_target",
    )
    try:
        result = plan_data.candidates(ctx.store_path, ctx.mtime_ns, year, key)
    except YkgeoError as err:
        st.info(t.error(err))
        return
    st.markdown(f"**{literal(result.summary_zh())}**")  # names from the plan and the data
    if ctx.knowledge == "then":
        st.caption(t("candidates.known_now"))
    for note in result.notes:
        st.caption(literal(note))
    table = pd.DataFrame(result.table.drop(columns="geometry"))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=420,
        column_config={
            "面积（亩）": st.column_config.NumberColumn(format="%.2f"),
            "累计面积（亩）": st.column_config.NumberColumn(format="%.2f"),
            "亩均税收": st.column_config.NumberColumn(format="%.2f"),
        },
        key="ykgeo_candidates_table",
    )
    # Imported in a session (see ykgeo.ui.map_view.render): components declared at the
    # server's start are not served.
    from streamlit_folium import st_folium

    from ykgeo.ui.assets import ASSET_URL

    layers = plan_data.candidate_layers(ctx.store_path, ctx.mtime_ns, year, key, t.language)
    settings = ctx.settings.map_settings(
        basemap="offline", asset_url=ASSET_URL, language=t.language
    )
    st_folium(
        maps.build_map(tuple(layers), settings=settings),
        key="ykgeo_candidates_map",
        height=460,
        use_container_width=True,
        returned_objects=[],
    )
    st.caption(t("candidates.map_caption"))
    c1, c2 = st.columns(2)
    c1.download_button(
        t("candidates.xlsx"),
        plan_data.candidates_xlsx(ctx.store_path, ctx.mtime_ns, year, key),
        file_name=f"{year}年{names[key]}候选地块.xlsx",
        key="ykgeo_candidates_xlsx",
    )
    c2.download_button(
        t("candidates.geojson"),
        plan_data.candidates_geojson(ctx.store_path, ctx.mtime_ns, year, key),
        file_name=f"{year}年{names[key]}候选地块.geojson",
        key="ykgeo_candidates_geojson",
    )
    if not ctx.can_edit:
        return
    n = len(result.selected)
    layer = Store(ctx.store_path).spec(result.target.layer).name_zh
    sure = st.checkbox(
        t("candidates.confirm", n=n, layer=layer, year=year), key="ykgeo_candidates_confirm"
    )
    if st.button(
        t("candidates.adopt", n=n), type="primary", disabled=not sure, key="ykgeo_candidates_adopt"
    ):
        summary = write_as_editor(
            ctx, lambda store, user: planning.adopt_candidates(store, result, user=user.name)
        )
        if summary is None:
            return
        st.session_state[_ADOPTED] = t(
            "candidates.adopted",
            added=summary.added,
            updated=summary.updated,
            layer=layer,
            version=summary.data_version,
        )
        st.rerun()
