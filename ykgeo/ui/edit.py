"""编辑 page: change a feature's status, dates and notes through the store's edit log (editors only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from ykgeo.errors import StaleEditError, StoreBusyError, StoreError
from ykgeo.store import Store
from ykgeo.ui import data
from ykgeo.ui.account import writer
from ykgeo.ui.shell import PageContext

__all__ = ["render"]

_TARGET = "ykgeo_edit_target"
_SEEN = "ykgeo_edit_seen"
_MAX_CHOICES = 300


def _as_date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):  # pandas Timestamp too
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _choose_feature(ctx: PageContext, store: Store) -> tuple[str, str] | None:
    t = ctx.t
    counts = data.current_counts(ctx.store_path, ctx.mtime_ns)
    editable = [k for k, n in counts.items() if n and store.spec(k).status is not None]
    if not editable:
        st.info(t("edit.no_layers"))
        return None
    target = st.session_state.get(_TARGET)
    if target and target[0] in editable:
        st.session_state["ykgeo_edit_layer"] = target[0]
    cols = st.columns([2, 2, 3])
    with cols[0]:
        key = st.selectbox(
            t("common.layer"),
            editable,
            format_func=lambda k: f"{store.spec(k).theme} · {t.layer(store.spec(k))}",
            key="ykgeo_edit_layer",
        )
    spec = store.spec(key)
    frame = data.layer_frame(ctx.store_path, ctx.mtime_ns, key, None)
    ids = frame.index.astype(str)
    names = (
        frame[spec.name_field].astype(str)
        if spec.name_field in frame.columns
        else pd.Series(ids, index=frame.index)
    )
    with cols[1]:
        query = st.text_input(t("edit.search"), key="ykgeo_edit_query").strip()
    mask = pd.Series(True, index=frame.index)
    if query:
        mask = ids.str.contains(query, regex=False) | names.str.contains(query, regex=False)
    matches = [fid for fid in frame.index[mask.to_numpy()][:_MAX_CHOICES]]
    if target and target[0] == key and target[1] in frame.index and target[1] not in matches:
        matches.insert(0, target[1])
    if target and target[0] == key and target[1] in matches:
        st.session_state["ykgeo_edit_feature"] = target[1]
        st.session_state.pop(_TARGET, None)
    with cols[2]:
        if not matches:
            st.caption(t("edit.no_match"))
            return None
        fid = st.selectbox(
            t("edit.feature_first", n=_MAX_CHOICES)
            if mask.sum() > _MAX_CHOICES
            else t("edit.feature"),
            matches,
            format_func=lambda f: f"{f} · {names.loc[f]}",
            key="ykgeo_edit_feature",
        )
    return key, str(fid)


def _form(ctx: PageContext, store: Store, key: str, fid: str) -> None:
    t = ctx.t
    spec = store.spec(key)
    status = spec.status
    assert status is not None
    frame = data.layer_frame(ctx.store_path, ctx.mtime_ns, key, None)
    row = frame.loc[fid]
    version = int(row["ykgeo_version"])
    seen_key = (key, fid)
    seen = st.session_state.get(_SEEN)
    if not seen or seen[0] != seen_key:
        st.session_state[_SEEN] = (seen_key, version)
        seen = st.session_state[_SEEN]
    seen_version = int(seen[1])
    current_status = str(row[status.field]) if status.field in row.index else ""
    st.caption(t("edit.current", status=current_status or t("edit.empty"), version=seen_version))
    date_fields = [f for f in (status.date_field, status.planned_date_field) if f]
    date_fields += [f for f in spec.date_fields if f not in date_fields]
    note_field = "备注" if "备注" in spec.field_names else ""
    with st.form(f"ykgeo_edit_form_{key}_{fid}_{seen_version}", clear_on_submit=False):
        values = list(status.values)
        new_status = st.selectbox(
            status.field,
            values,
            index=values.index(current_status) if current_status in values else 0,
        )
        new_dates: dict[str, dt.date | None] = {}
        cols = st.columns(max(1, min(3, len(date_fields))))
        for n, name in enumerate(date_fields):
            with cols[n % len(cols)]:
                new_dates[name] = st.date_input(
                    name,
                    value=_as_date(row.get(name)),
                    min_value=dt.date(1990, 1, 1),
                    max_value=dt.date(2100, 12, 31),
                    format="YYYY-MM-DD",
                )
        new_note = ""
        if note_field:
            old = row.get(note_field)
            new_note = st.text_area(
                note_field, value="" if old is None or pd.isna(old) else str(old)
            )
        effective = st.date_input(t("edit.effective"), value=None, format="YYYY-MM-DD")
        reason = st.text_input(t("edit.reason"))
        submitted = st.form_submit_button(t("edit.save"), type="primary")
    if not submitted:
        return
    changes: dict[str, Any] = {}
    if new_status != current_status:
        changes[status.field] = new_status
    for name, value in new_dates.items():
        if _as_date(row.get(name)) != value:
            changes[name] = value.isoformat() if value else None
    if note_field:
        old = row.get(note_field)
        old_text = "" if old is None or pd.isna(old) else str(old)
        if new_note != old_text:
            changes[note_field] = new_note or None
    if not changes:
        st.info(t("edit.nothing"))
        return
    user = writer(ctx.settings, ctx.user, t)  # the role as the users file says now
    if user is None:
        return
    try:
        new_version = Store(
            ctx.store_path, busy_timeout_s=ctx.settings.write_wait_s
        ).update_feature(
            key,
            fid,
            changes,
            user=user.name,
            expected_version=seen_version,
            effective_date=effective if isinstance(effective, dt.date) else None,
            note=reason,
        )
    except StaleEditError as err:
        st.error(t.error(err), icon=":material/sync_problem:")
        st.session_state.pop(_SEEN, None)
        return
    except StoreBusyError as err:  # the form keeps the planner's values: saving again is one click
        st.error(t.error(err), icon=":material/hourglass_top:")
        st.caption(t("edit.kept"))
        return
    except StoreError as err:
        st.error(t.error(err))
        st.caption(t("edit.kept"))
        return
    st.session_state.pop(_SEEN, None)
    st.session_state["ykgeo_edit_saved"] = t(
        "edit.saved", fid=fid, n=len(changes), version=new_version, user=user.name
    )
    st.rerun()


def render(ctx: PageContext) -> None:
    """The edit page."""
    t = ctx.t
    st.title(t("edit.title"))
    if not ctx.can_edit:
        who = t("common.read_only_user") if ctx.user else t("common.not_signed_in")
        st.info(t("edit.read_only", who=who), icon=":material/lock:")
        return
    saved = st.session_state.pop("ykgeo_edit_saved", None)
    if saved:
        st.success(saved)
    try:
        store = Store(ctx.store_path)
    except StoreError as err:
        st.error(t.error(err))
        return
    chosen = _choose_feature(ctx, store)
    if chosen is None:
        return
    key, fid = chosen
    left, right = st.columns([1.2, 1])
    with left:
        _form(ctx, store, key, fid)
    with right:
        st.markdown(t("common.history"))
        history = data.feature_history(ctx.store_path, ctx.mtime_ns, key, fid, t.language)
        st.dataframe(history, hide_index=True, width="stretch", height=420)
