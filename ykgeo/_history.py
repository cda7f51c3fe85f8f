"""Rebuilding a layer as it stood at a past date from the store's bitemporal edit log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from ykgeo.crs import CGCS2000
from ykgeo.layers import LayerSpec

__all__ = ["GEOMETRY_FIELD", "as_of_layer", "retype"]

#: The key under which edits and the log carry a geometry change.
GEOMETRY_FIELD = "geometry"


def as_of_layer(
    current: gpd.GeoDataFrame, log: pd.DataFrame, spec: LayerSpec, day: dt.date, horizon: str
) -> gpd.GeoDataFrame:
    """Rebuild a layer as it stood at the end of ``day`` as known before ``horizon`` (see Store.read_layer).

    The value of a field at a past moment is the new value of the last applicable
    change (effective on or before ``day``, recorded before ``horizon``), ordered by
    effective date then recording order; with no applicable change it is the value
    the feature was inserted with, which is the old value of its first change (or
    the current value when it never changed).
    """
    if log.empty:
        return current.iloc[0:0] if len(current) else current
    log = log.copy()
    log["known"] = (log["effective_date"] <= day.isoformat()) & (log["recorded_at"] < horizon)
    # a feature's lifecycle segment = number of inserts seen so far (re-inserting an id opens a new one)
    log["segment"] = (log["action"] == "insert").astype(int).groupby(log["feature_id"]).cumsum()
    life = log[log["action"] != "update"]
    known_life = life[life["known"]].sort_values(["effective_date", "log_id"])
    last_life = known_life.groupby("feature_id").tail(1)
    alive = last_life[last_life["action"] == "insert"][["feature_id", "segment"]]
    if alive.empty:
        return current.iloc[0:0]
    max_segment = log.groupby("feature_id")["segment"].max()
    deleted_after = log[(log["action"] == "delete")].set_index(["feature_id", "segment"])[
        "old_value"
    ]
    alive_ids = alive["feature_id"].tolist()
    seg_of = dict(zip(alive["feature_id"], alive["segment"], strict=True))
    updates = log[(log["action"] == "update") & log["feature_id"].isin(alive_ids)]
    updates = updates[updates["segment"].to_numpy() == updates["feature_id"].map(seg_of).to_numpy()]

    # base rows: the current row when the segment is the current one, else the snapshot kept at deletion
    rows: dict[str, dict[str, Any]] = {}
    geoms: dict[str, Any] = {}
    in_current = set(current.index)
    for fid in alive_ids:
        seg = seg_of[fid]
        if (
            seg == max_segment.get(fid)
            and fid in in_current
            and (fid, seg) not in deleted_after.index
        ):
            continue
        snap = json.loads(deleted_after.loc[(fid, seg)])
        geoms[fid] = (
            shapely.from_wkb(snap.pop(GEOMETRY_FIELD)) if snap.get(GEOMETRY_FIELD) else None
        )
        rows[fid] = snap
    base = current.loc[[f for f in alive_ids if f in in_current and f not in rows]].copy()
    if rows:
        extra = pd.DataFrame.from_dict(rows, orient="index")
        extra_gdf = gpd.GeoDataFrame(
            extra,
            geometry=gpd.GeoSeries(
                [geoms[f] for f in extra.index], index=extra.index, crs=CGCS2000
            ),
            crs=CGCS2000,
        )
        extra_gdf["ykgeo_version"] = 0
        base = pd.concat([base, extra_gdf])
    base = base.copy()
    base["ykgeo_version"] = base["ykgeo_version"].astype("int64")

    if not updates.empty:
        first = updates.sort_values("log_id").groupby(["feature_id", "field"]).head(1)
        applicable = updates[updates["known"]].sort_values(["effective_date", "log_id"])
        last = applicable.groupby(["feature_id", "field"]).tail(1)
        value_rows = first.set_index(["feature_id", "field"])["old_value"].to_dict()
        value_rows.update(last.set_index(["feature_id", "field"])["new_value"].to_dict())
        geom_col = base.geometry.name
        by_field: dict[str, dict[str, Any]] = {}
        for (fid, name), raw in value_rows.items():
            by_field.setdefault(name, {})[fid] = json.loads(raw) if isinstance(raw, str) else None
        for name, mapping in by_field.items():
            if name == GEOMETRY_FIELD:
                new_geoms = {
                    fid: (shapely.from_wkb(v) if v else None) for fid, v in mapping.items()
                }
                idx = list(new_geoms)
                base.loc[idx, geom_col] = gpd.GeoSeries(
                    [new_geoms[i] for i in idx], index=idx, crs=CGCS2000
                )
            elif name in base.columns:
                idx = list(mapping)
                base[name] = base[name].astype("object")
                base.loc[idx, name] = pd.Series(
                    [mapping[i] for i in idx], index=idx, dtype="object"
                )
    # the version a feature had then: the highest version among the changes known then
    seg_rows = log[log["known"] & (log["action"] != "delete") & log["feature_id"].isin(alive_ids)]
    seg_rows = seg_rows[seg_rows["segment"].to_numpy() == seg_rows["feature_id"].map(seg_of).to_numpy()]
    versions = seg_rows.groupby("feature_id")["version"].max()
    base["ykgeo_version"] = versions.reindex(base.index).fillna(1).astype("int64").to_numpy()
    alive_set = set(alive_ids)
    order = [f for f in current.index if f in alive_set] + [f for f in rows if f not in in_current]
    base = base.reindex(order)
    base.index.name = spec.id_field
    out = gpd.GeoDataFrame(base, geometry=base.geometry.name, crs=CGCS2000)
    return retype(out, spec)


def retype(gdf: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    for f in spec.fields:
        if f.name not in gdf.columns:
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
