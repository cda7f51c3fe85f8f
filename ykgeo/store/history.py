"""Rebuilding a layer as it stood at a past date from the store's bitemporal edit log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from ykgeo.crs import CGCS2000
from ykgeo.layers import LayerSpec

__all__ = ["GEOMETRY_FIELD", "as_of_layer", "log_value_columns", "retype"]

#: The key under which edits and the log carry a geometry change.
GEOMETRY_FIELD = "geometry"


def _last_per(
    keys: npt.NDArray[np.int64], order: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For rows taken in ``order``, the unique keys and the row index of the last row of each key."""
    ordered = order[::-1]
    uniq, first_in_reversed = np.unique(keys[ordered], return_index=True)
    return uniq, ordered[first_in_reversed]


def log_value_columns(ftype: str) -> tuple[str, str]:
    """The (old, new) log columns that carry a value of a field of type ``ftype`` (or the geometry)."""
    if ftype == GEOMETRY_FIELD:
        return "old_geom", "new_geom"
    if ftype in ("int", "float"):
        return "old_number", "new_number"
    return "old_text", "new_text"


def as_of_layer(
    current: gpd.GeoDataFrame,
    log: pd.DataFrame,
    spec: LayerSpec,
    day: dt.date,
    horizon: str,
    *,
    partial: bool = False,
    fields: Collection[str] | None = None,
) -> gpd.GeoDataFrame:
    """Rebuild a layer as it stood at the end of ``day`` as known before ``horizon`` (see Store.read_layer).

    ``log`` is the typed log of the layer (``Store.history``). With ``partial`` it
    holds only the features that have an event not known then (and maybe others):
    every feature of ``current`` without rows in it is taken as it is now.

    The value of a field at a past moment is the new value of the last applicable
    change (effective on or before ``day``, recorded before ``horizon``), ordered by
    effective date then recording order; with no applicable change it is the value
    the feature was inserted with, which is the old value of its first change (or
    the current value when it never changed). A feature exists when its last
    applicable insert/delete is an insert; re-inserting an id opens a new
    lifecycle segment. All of it is numpy over the log, with integer codes per
    feature and field; only the values that differ from today are decoded.

    ``fields``: ``current`` holds only these fields (``Store.history(fields=…)``);
    the log's changes of other fields are passed over and a deleted feature's
    snapshot gives these fields only. None: every field.
    """
    untouched = (
        np.flatnonzero(~current.index.isin(pd.Index(log["feature_id"])))
        if partial
        else np.zeros(0, dtype=np.int64)
    )
    if log.empty:
        return current.iloc[untouched]
    codes, ids = pd.factorize(log["feature_id"].to_numpy(dtype=object))
    n = len(ids)
    action = log["action"].to_numpy(dtype=object)
    is_insert = action == "insert"
    is_delete = action == "delete"
    is_update = ~(is_insert | is_delete)
    effective = log["effective_date"].to_numpy(dtype=object).astype("U10")
    recorded = log["recorded_at"].to_numpy(dtype=object).astype("U32")
    log_id = log["log_id"].to_numpy(dtype=np.int64)
    version = log["version"].to_numpy(dtype=np.int64)
    known = (effective <= day.isoformat()) & (recorded < horizon)
    segment = pd.Series(is_insert.astype(np.int64)).groupby(codes).cumsum().to_numpy()

    # which features exist then, and in which lifecycle segment
    life = np.flatnonzero(~is_update & known)
    life = life[np.lexsort((log_id[life], effective[life]))]
    life_codes, last_life = _last_per(codes, life)
    alive_mask = is_insert[last_life]
    alive_codes = life_codes[alive_mask]
    if alive_codes.size == 0:
        return current.iloc[untouched]
    alive_seg = np.full(n, -1, dtype=np.int64)
    alive_seg[alive_codes] = segment[last_life[alive_mask]]
    in_segment = segment == alive_seg[codes]
    max_seg = np.zeros(n, dtype=np.int64)
    np.maximum.at(max_seg, codes, segment)
    snapshot_row = np.full(n, -1, dtype=np.int64)
    deletes = np.flatnonzero(is_delete & in_segment)
    snapshot_row[codes[deletes]] = deletes
    position = current.index.get_indexer(ids)
    alive = np.zeros(n, dtype=bool)
    alive[alive_codes] = True
    from_current = alive & (alive_seg == max_seg) & (position >= 0) & (snapshot_row < 0)
    from_snapshot = alive & ~from_current & (snapshot_row >= 0)

    # base rows: today's row for the current segment, else the snapshot kept at deletion
    base = current.iloc[np.sort(np.concatenate([position[from_current], untouched]))].copy()
    changed: set[str] | None = set()  # columns to retype (None: all, after snapshot rows)
    if from_snapshot.any():
        old_values = log["old_text"].to_numpy(dtype=object)
        rows: dict[str, dict[str, Any]] = {}
        geoms: list[Any] = []
        for code in np.flatnonzero(from_snapshot):
            snap = json.loads(old_values[snapshot_row[code]])
            wkb = snap.pop(GEOMETRY_FIELD, None)
            geoms.append(shapely.from_wkb(wkb) if wkb else None)
            if fields is not None:
                snap = {k: v for k, v in snap.items() if k in fields or k == spec.id_field}
            rows[str(ids[code])] = snap
        extra = pd.DataFrame.from_dict(rows, orient="index")
        extra_gdf = gpd.GeoDataFrame(
            extra, geometry=gpd.GeoSeries(geoms, index=extra.index, crs=CGCS2000), crs=CGCS2000
        )
        extra_gdf["ykgeo_version"] = 0
        base = pd.concat([base, extra_gdf])
        changed = None
    base = base.copy()

    # field values: last applicable change, else the value before the first change
    updates = np.flatnonzero(is_update & in_segment & alive[codes])
    if updates.size:
        field_codes, field_names = pd.factorize(log["field"].to_numpy(dtype=object)[updates])
        width = len(field_names)
        keys = codes[updates].astype(np.int64) * width + field_codes
        full_keys = np.full(len(log), -1, dtype=np.int64)
        full_keys[updates] = keys
        key_first, first_rows = np.unique(keys, return_index=True)
        first_rows = updates[first_rows]
        applicable = updates[known[updates]]
        applicable = applicable[np.lexsort((log_id[applicable], effective[applicable]))]
        key_last, last_rows = _last_per(full_keys, applicable)
        has_last = np.isin(key_first, key_last)
        row_of = base.index.get_indexer(ids[key_first // width])
        geom_col = base.geometry.name
        types = {f.name: f.type for f in spec.fields}
        for fcode, name in enumerate(field_names):
            sel = ((key_first % width) == fcode) & (row_of >= 0)
            if not sel.any() or (name != GEOMETRY_FIELD and name not in base.columns):
                continue
            old_col, new_col = log_value_columns(
                GEOMETRY_FIELD if name == GEOMETRY_FIELD else types.get(name, "str")
            )
            values = log[old_col].to_numpy(dtype=object)[first_rows[sel]]
            last = has_last[sel]
            values[last] = log[new_col].to_numpy(dtype=object)[
                last_rows[np.searchsorted(key_last, key_first[sel][last])]
            ]
            if changed is not None and name != GEOMETRY_FIELD:
                changed.add(name)
            if name == GEOMETRY_FIELD:
                column = base[geom_col].to_numpy(dtype=object).copy()
                column[row_of[sel]] = shapely.from_wkb(values)
                base[geom_col] = gpd.GeoSeries(column, index=base.index, crs=CGCS2000)
            elif types.get(name) == "date" and base[name].dtype == "datetime64[ns]":
                # a typed date column stays typed: parse only the values from the log (as
                # retype would) instead of boxing every row as a Timestamp object
                column = base[name].to_numpy(dtype="datetime64[ns]").copy()
                column[row_of[sel]] = _dates(values)
                base[name] = column
            else:
                column = base[name].to_numpy(dtype=object).copy()
                column[row_of[sel]] = values
                base[name] = column

    # the version a feature had then: the highest version among the changes known then
    versions = np.ones(n, dtype=np.int64)
    counted = np.flatnonzero(known & ~is_delete & in_segment)
    np.maximum.at(versions, codes[counted], version[counted])
    at = pd.Index(ids).get_indexer(base.index)
    kept = base["ykgeo_version"].to_numpy(dtype=np.int64).copy()  # features with no rows in the log
    kept[at >= 0] = versions[at[at >= 0]]
    base["ykgeo_version"] = kept
    base.index.name = spec.id_field
    out = gpd.GeoDataFrame(base, geometry=base.geometry.name, crs=CGCS2000)
    return retype(out, spec, only=changed)  # the current rows are typed already


def _dates(values: npt.ArrayLike) -> npt.NDArray[np.datetime64]:
    """Date values from the log (ISO text or None) as datetime64[ns], NaT where not a date (as :func:`retype`)."""
    parsed = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce", format="ISO8601")
    return parsed.astype("datetime64[ns]").to_numpy()


def retype(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, *, only: set[str] | None = None
) -> gpd.GeoDataFrame:
    """Give each field column its type (dates datetime64, decimals float64, integers Int64, text objects).

    ``only`` limits it to these columns (the others are typed already).
    """
    for f in spec.fields:
        if f.name not in gdf.columns or (only is not None and f.name not in only):
            continue
        if f.type == "date":
            gdf[f.name] = pd.to_datetime(gdf[f.name], errors="coerce", format="ISO8601").astype(
                "datetime64[ns]"
            )
        elif f.type == "float":
            gdf[f.name] = pd.to_numeric(gdf[f.name], errors="coerce").astype("float64")
        elif f.type == "int":
            gdf[f.name] = pd.to_numeric(gdf[f.name], errors="coerce").astype("Int64")
        else:
            col = gdf[f.name].astype("object")
            gdf[f.name] = col.where(col.notna(), None)
    return gdf
