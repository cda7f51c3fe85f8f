"""Undoing one batch (an import, a set of edits, a deletion) through the edit log, as a new batch.

Nothing is erased: the undo is a new batch whose log rows set every field the batch
changed back to its value before, delete again the features it inserted and insert
again the features it deleted (with their last values and the next version). Each undo
row keeps the effective date of the row it undoes, so the store now knows that, as of
any date, the batch's changes did not happen, while what it knew before the undo stays
on record (``known_at``). A batch whose features were changed again afterwards is not
undone: the later batches are named, to be undone first.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd
import shapely

from ykgeo.errors import StoreError
from ykgeo.store import gpkg
from ykgeo.store.batch import Batch
from ykgeo.store.dates import now, stamp
from ykgeo.store.history import GEOMETRY_FIELD
from ykgeo.store.store import Store
from ykgeo.store.write import Edit

__all__ = ["RevertSummary", "batches", "revert_batch"]


@dataclass(frozen=True)
class RevertSummary:
    """What undoing a batch did."""

    batch_id: str
    new_batch_id: str
    restored: int
    removed: int
    reinserted: int
    data_version: int


def batches(store: Store, *, since: dt.datetime | None = None, limit: int = 20) -> pd.DataFrame:
    """The latest batches of the edit log, newest first: id, when, who, source, layers and what they did."""
    log = store.edit_log(since=since)
    columns = [
        "batch_id",
        "recorded_at",
        "user",
        "source",
        "layers",
        "features",
        "insert",
        "update",
        "delete",
    ]
    if log.empty:
        return pd.DataFrame(columns=columns)
    grouped = log.groupby("batch_id", sort=False)
    out = pd.DataFrame(
        {
            "recorded_at": grouped["recorded_at"].first(),
            "user": grouped["user"].first(),
            "source": grouped["source"].first(),
            "layers": grouped["layer"].agg(lambda v: "、".join(dict.fromkeys(v))),
            "features": grouped["feature_id"].nunique(),
            "last_log_id": grouped["log_id"].max(),
        }
    )
    counts = log.pivot_table(index="batch_id", columns="action", values="log_id", aggfunc="count")
    for action in ("insert", "update", "delete"):
        out[action] = counts.get(action, 0)
    out = out.fillna(0).sort_values("last_log_id", ascending=False).head(limit)
    out = out.reset_index()
    for action in ("insert", "update", "delete"):
        out[action] = out[action].astype("int64")
    return out[columns]


_UNDO_SOURCE = "撤销批次 "
#: What to do instead for the store's own records, which are not undone batch by batch.
_NOT_A_LAYER = {
    "ykgeo_plans": "计划的某一版可用 ykgeo plan export 年度 --version 版本号 导出，再用 ykgeo plan import 记为一次新的调整",
    "ykgeo_mujun": "亩均评价可用 ykgeo mujun import 文件 --year 年度 --replace 重新导入该年度",
}


def _undone_pairs(log: pd.DataFrame) -> set[str]:
    """Batches of ``log`` that cancel out: a batch and the later batch that undid it (newest pairs first)."""
    order = log.groupby("batch_id", sort=False)["log_id"].max().sort_values(ascending=False)
    sources = log.groupby("batch_id", sort=False)["source"].first()
    paired: set[str] = set()
    for batch in order.index:
        source = str(sources[batch])
        target = source.removeprefix(_UNDO_SOURCE)
        if (
            source.startswith(_UNDO_SOURCE)
            and batch not in paired
            and target in order.index
            and target not in paired
        ):
            paired |= {str(batch), target}
    return paired


def _value(raw: Any, field: str) -> Any:
    """A logged value as an edit takes it (a geometry from its WKB)."""
    if field == GEOMETRY_FIELD:
        return shapely.from_wkb(raw) if raw else None
    return raw


def revert_batch(
    store: Store, batch_id: str, *, user: str, recorded_at: dt.datetime | None = None
) -> RevertSummary:
    """Undo batch ``batch_id`` as a new batch (see the module's notes).

    Raises
    ------
    StoreError
        Unknown batch; a batch that touched something other than layer features; or
        features changed again after the batch (they are named with the later batches).
    """
    rows = store.edit_log(batch_id=batch_id)
    if rows.empty:
        msg = f"编辑日志中没有批次 {batch_id}（可用 ykgeo batches 查看最近的批次）"
        raise StoreError(msg)
    unknown = sorted(set(rows["layer"]) - set(store.layers))
    if unknown:
        hints = [_NOT_A_LAYER[k] for k in unknown if k in _NOT_A_LAYER]
        hint = f"。{'；'.join(hints)}" if hints else ""
        msg = f"批次 {batch_id} 修改了图层以外的内容（{'、'.join(unknown)}），不能用撤销处理{hint}"
        raise StoreError(msg)
    first = rows.iloc[0]
    last_id = int(rows["log_id"].max())
    later: list[str] = []
    for layer in dict.fromkeys(rows["layer"]):
        touched = set(rows.loc[rows["layer"] == layer, "feature_id"])
        after = store.edit_log(layer=layer)
        after = after[(after["log_id"] > last_id) & after["feature_id"].isin(touched)]
        after = after[~after["batch_id"].isin(_undone_pairs(after))]
        for fid, group in after.groupby("feature_id", sort=True):
            g = group.iloc[0]
            later.append(f"{fid}（批次 {g['batch_id']}，{g['user']}，{g['recorded_at']}）")
    if later:
        shown = "；".join(later[:10]) + (f"；……共 {len(later)} 个" if len(later) > 10 else "")
        msg = f"无法撤销批次 {batch_id}：以下要素在该批次之后又有修改，请先撤销后来的批次：{shown}"
        raise StoreError(msg)

    batch = Batch(
        user=user, source=f"{_UNDO_SOURCE}{batch_id}", recorded_at=stamp(recorded_at or now())
    )
    note = f"撤销 {first['source']}（{first['user']}，{first['recorded_at']}）"
    restored = removed = reinserted = 0
    what = f"撤销批次 {batch_id}（{first['source']}）"
    with store._write(source=what, user=user) as conn:
        for keys, group in rows.groupby(["layer", "feature_id"], sort=False):
            layer, fid = (str(k) for k in keys)
            spec = store.spec(layer)
            actions = set(group["action"])
            if "insert" in actions and "delete" not in actions:
                inserted_on = dt.date.fromisoformat(str(group.iloc[0]["effective_date"]))
                exists = conn.execute(
                    f'SELECT 1 FROM "{spec.key}" WHERE "{spec.id_field}" = ?', (fid,)
                ).fetchone()
                if exists:
                    store._delete_rows(conn, spec, [fid], batch, inserted_on, note)
                    removed += 1
                continue
            if "delete" in actions:
                deleted = group[group["action"] == "delete"].iloc[-1]
                _reinsert(conn, store, spec.key, fid, deleted, batch, note)
                reinserted += 1
                continue
            # updates: each field back to its value before the batch, dated as the change was
            by_day: dict[str, dict[str, Any]] = defaultdict(dict)
            for _, r in group.iterrows():
                by_day[str(r["effective_date"])].setdefault(
                    r["field"], _value(r["old_value"], r["field"])
                )
            for effective, changes in by_day.items():
                when = dt.date.fromisoformat(effective)
                edit = Edit(spec.key, fid, changes, when, None, note)
                store._apply_edit(conn, edit, batch)
            restored += 1
        store._flush(conn, batch, set(rows["layer"]))
        last = conn.execute("SELECT MAX(log_id) FROM ykgeo_edit_log").fetchone()[0] or 0
    new_id = batch.batch_id if batch.rows else ""
    return RevertSummary(batch_id, new_id, restored, removed, reinserted, int(last))


def _reinsert(
    conn: Any, store: Store, key: str, fid: str, deleted: pd.Series, batch: Batch, note: str
) -> None:
    """Insert a deleted feature again from the snapshot its deletion logged, one version on."""
    spec = store.spec(key)
    if conn.execute(f'SELECT 1 FROM "{key}" WHERE "{spec.id_field}" = ?', (fid,)).fetchone():
        msg = f"无法撤销：图层 {spec.name_zh} 中已经又有要素 {fid}"
        raise StoreError(msg)
    snapshot = dict(deleted["old_value"] or {})
    geometry = _value(snapshot.pop(GEOMETRY_FIELD, None), GEOMETRY_FIELD)
    names = [f.name for f in spec.fields]
    version = int(deleted["version"]) + 1
    blob = gpkg.encode_geometries([geometry])[0]
    cols = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in range(len(names) + 2))
    conn.execute(
        f'INSERT INTO "{key}" ({cols}, ykgeo_version, geom) VALUES ({marks})',
        (*[snapshot.get(n) for n in names], version, blob),
    )
    day = dt.date.fromisoformat(str(deleted["effective_date"]))
    batch.add(key, fid, "insert", None, None, None, day, version, note)
