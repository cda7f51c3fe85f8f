"""What changed between two dates: newly done, regressed, re-measured, added, removed, with who recorded it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from ykgeo.area import ellipsoidal_area_m2
from ykgeo.errors import DataError
from ykgeo.layers import LayerSpec
from ykgeo.progress.geometry import geodesic_km
from ykgeo.progress.history import LayerHistory, end_of_day
from ykgeo.store import Store, now
from ykgeo.units import m2_to_mu

__all__ = ["CHANGE_COLUMNS", "changes_between"]


_CHANGE_ZH = {
    "added": "新增",
    "removed": "删除",
    "newly_done": "新完成",
    "regressed": "退回未完成",
    "status_changed": "状态变化",
    "remeasured": "重新测量",
}


def _measure_of(
    geoms: npt.NDArray[np.object_], spec: LayerSpec
) -> tuple[npt.NDArray[np.float64], str]:
    out = np.full(len(geoms), np.nan)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return out, ""
    if spec.geometry_type == "Polygon":
        out[ok] = m2_to_mu(ellipsoidal_area_m2(geoms[ok]))
        return out, "亩"
    if spec.geometry_type == "LineString":
        out[ok] = geodesic_km(geoms[ok])
        return out, "km"
    return out, ""


def changes_between(
    store: Store,
    since: dt.date,
    until: dt.date | None = None,
    *,
    layers: Sequence[str] | None = None,
    known_at: dt.datetime | None = None,
) -> pd.DataFrame:
    """What changed between the end of ``since`` and the end of ``until`` (default today).

    Each date's state is the store's as-of state (as known at the end of that
    day, or at ``known_at`` for both), so a back-dated correction recorded after
    ``since`` shows as a change. One row per feature and kind of change:
    ``added``, ``removed``, ``newly_done`` (into a done status of the layer,
    including features added already done), ``regressed`` (done → not done),
    ``status_changed`` (any other change of status), ``remeasured`` (geometry
    or ledger area changed). Columns: layer, layer_name, id, name, change,
    change_zh, old_status, new_status, old_measure, new_measure, measure_unit,
    old_ledger_area, new_ledger_area, effective_dates, recorded_at, recorded_by.
    """
    until = until or now().date()
    if until < since:
        msg = f"截止日期 {until} 早于起始日期 {since}"
        raise DataError(msg)
    keys = (
        list(layers) if layers else [k for k in store.layer_keys() if not store.spec(k).reference]
    )
    frames = [pd.DataFrame(columns=CHANGE_COLUMNS)]
    for key in keys:
        spec = store.spec(key)
        h_old = known_at or end_of_day(since)
        h_new = known_at or end_of_day(until)
        hist = LayerHistory.read(store, key, unknown_at=(since, h_old))
        frames.append(_layer_changes(spec, hist, since, h_old, until, h_new))
    out = pd.concat(frames, ignore_index=True)
    return out


CHANGE_COLUMNS = [
    "layer",
    "layer_name",
    "id",
    "name",
    "change",
    "change_zh",
    "old_status",
    "new_status",
    "old_measure",
    "new_measure",
    "measure_unit",
    "old_ledger_area",
    "new_ledger_area",
    "effective_dates",
    "recorded_at",
    "recorded_by",
]


def _layer_changes(
    spec: LayerSpec,
    hist: LayerHistory,
    since: dt.date,
    h_old: dt.datetime,
    until: dt.date,
    h_new: dt.datetime,
) -> pd.DataFrame:
    old = hist.snapshot(since, h_old)
    new = hist.snapshot(until, h_new)
    status = spec.status
    done_set = set(status.done) if status else set()
    sfield = status.field if status else ""
    ledger = spec.ledger_area_field
    old_ids, new_ids = set(old.index.astype(str)), set(new.index.astype(str))
    union = [*[i for i in new.index.astype(str) if i in new_ids], *sorted(old_ids - new_ids)]
    o = old.reindex(union)
    n = new.reindex(union)
    o_geom = np.asarray(o.geometry.to_numpy(), dtype=object)
    n_geom = np.asarray(n.geometry.to_numpy(), dtype=object)
    o_meas, unit = _measure_of(o_geom, spec)
    n_meas, _ = _measure_of(n_geom, spec)
    o_status = o[sfield].astype(object).to_numpy() if sfield else np.full(len(union), None)
    n_status = n[sfield].astype(object).to_numpy() if sfield else np.full(len(union), None)
    o_led = (
        pd.to_numeric(o[ledger], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if ledger
        else np.full(len(union), np.nan)
    )
    n_led = (
        pd.to_numeric(n[ledger], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if ledger
        else np.full(len(union), np.nan)
    )
    in_old = np.isin(union, list(old_ids))
    in_new = np.isin(union, list(new_ids))
    both = in_old & in_new
    o_done = np.isin(o_status, list(done_set)) & in_old
    n_done = np.isin(n_status, list(done_set)) & in_new
    same_geom = np.zeros(len(union), dtype=bool)
    if both.any():
        same_geom[both] = shapely.equals_exact(o_geom[both], n_geom[both], tolerance=0) | (
            shapely.is_missing(o_geom[both]) & shapely.is_missing(n_geom[both])
        )
    ledger_changed = both & ~((o_led == n_led) | (np.isnan(o_led) & np.isnan(n_led)))
    status_changed = both & (o_status != n_status)
    kinds = {
        "added": in_new & ~in_old,
        "removed": in_old & ~in_new,
        "newly_done": n_done & ~o_done,
        "regressed": both & o_done & ~n_done,
        "status_changed": status_changed & (o_done == n_done),
        "remeasured": both & (~same_geom | ledger_changed),
    }
    log = hist.changes_known(since, h_old, until, h_new)
    who = log.groupby("feature_id").agg(
        effective_dates=("effective_date", lambda s: "、".join(sorted(set(s)))),
        recorded_at=("recorded_at", "max"),
        recorded_by=("user", lambda s: "、".join(dict.fromkeys(s))),
    )
    names = (
        n[spec.name_field].where(in_new, o[spec.name_field]).astype(object).to_numpy()
        if spec.name_field
        else np.full(len(union), None)
    )
    frames = []
    ids = np.asarray(union, dtype=object)
    for kind, mask in kinds.items():
        if not mask.any():
            continue
        sub_ids = ids[mask]
        w = who.reindex(sub_ids)
        frames.append(
            pd.DataFrame(
                {
                    "layer": spec.key,
                    "layer_name": spec.name_zh,
                    "id": sub_ids,
                    "name": names[mask],
                    "change": kind,
                    "change_zh": _CHANGE_ZH[kind],
                    "old_status": np.where(in_old[mask], o_status[mask], None),
                    "new_status": np.where(in_new[mask], n_status[mask], None),
                    "old_measure": o_meas[mask],
                    "new_measure": n_meas[mask],
                    "measure_unit": unit,
                    "old_ledger_area": o_led[mask],
                    "new_ledger_area": n_led[mask],
                    "effective_dates": w["effective_dates"].to_numpy(),
                    "recorded_at": w["recorded_at"].to_numpy(),
                    "recorded_by": w["recorded_by"].to_numpy(),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[CHANGE_COLUMNS]
