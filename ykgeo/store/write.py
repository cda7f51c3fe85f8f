"""Writing to the project store: edits and deletions, each one transaction with its edit-log rows (imports: :mod:`ykgeo.store.imports`)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ykgeo.errors import StaleEditError, StoreError
from ykgeo.layers import LayerSpec
from ykgeo.store import gpkg, styles
from ykgeo.store.batch import (
    LOG_INDEXES,
    LOG_TABLE,
    Batch,
    drop_for_bulk,
    insert_log_rows,
    log_inserts,
    mark_backdated,
)
from ykgeo.store.dates import now as _now
from ykgeo.store.dates import stamp as _stamp
from ykgeo.store.diff import same_geometries
from ykgeo.store.history import GEOMETRY_FIELD, log_value_columns

__all__ = ["BULK_THRESHOLD", "Edit", "StoreWriter", "log_value_columns"]

#: Inserting this many rows or more fills the R-tree in one sorted pass (and, into a table
#: that grows at least twofold, rebuilds its indexes after the rows) instead of row by row;
#: the log's indexes are rebuilt after its rows when it at least doubles.
BULK_THRESHOLD = 5000


@dataclass(frozen=True)
class Edit:
    """One change to one feature, as a planner makes it.

    ``changes`` maps stored field names to new values; the key ``"geometry"`` sets a
    new geometry (shapely, EPSG:4490). ``expected_version`` is the version the editor
    saw: a mismatch means someone else changed the feature meanwhile.
    """

    layer: str
    feature_id: str
    changes: Mapping[str, Any]
    effective_date: dt.date | None = None
    expected_version: int | None = None
    note: str = ""


@dataclass(frozen=True)
class _Change:
    """A prepared update of one feature: its new version, the SQL and the log rows (arguments of ``Batch.add``)."""

    feature_id: str
    version: int
    sql: str
    params: tuple[Any, ...]
    log: tuple[tuple[Any, ...], ...]


def _columns(spec: LayerSpec) -> str:
    """The layer's stored fields as a SQL column list, in definition order."""
    return ", ".join(f'"{f.name}"' for f in spec.fields)


def _json_value(value: Any, ftype: str) -> Any:
    """A field value as the SQL scalar the store keeps (dates as ISO text)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if ftype == "date":
        if isinstance(value, str):
            return dt.date.fromisoformat(value[:10]).isoformat()
        return pd.Timestamp(value).date().isoformat()
    if ftype == "int":
        return int(value)
    if ftype == "float":
        return float(value)
    return str(value)


def _column_values(values: pd.Series, ftype: str) -> list[Any]:
    """:func:`_json_value` of a whole column: numbers and text vectorised, other values once per distinct value."""
    if (
        ftype == "float"
        and pd.api.types.is_numeric_dtype(values.dtype)
        and not pd.api.types.is_bool_dtype(values.dtype)
    ):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        out = np.asarray(arr, dtype=object)
        out[np.isnan(arr)] = None
        return out.tolist()
    if ftype == "str" and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        arr = values.to_numpy(dtype=object)
        missing = pd.isna(values).to_numpy()
        if missing.any():
            arr = arr.copy()
            arr[missing] = None
        return arr.tolist()
    if ftype == "str":  # other values as text one by one (1 and 1.0 are different text)
        return [_json_value(v, ftype) for v in values.tolist()]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    converted = np.empty(len(uniques) + 1, dtype=object)
    converted[:-1] = [_json_value(v, ftype) for v in uniques.tolist()]
    converted[-1] = None  # code −1: missing
    return converted[codes].tolist()


def _geometry_for_layer(geom: Any, spec: LayerSpec) -> Any:
    """Promote single polygons/lines to multi, as the store's column type asks."""
    if geom is None:
        return None
    kind = geom.geom_type
    if spec.geometry_type == "Polygon" and kind == "Polygon":
        return shapely.MultiPolygon([geom])
    if spec.geometry_type == "LineString" and kind == "LineString":
        return shapely.MultiLineString([geom])
    return geom


def _wkb(geom: Any) -> bytes | None:
    return None if geom is None else shapely.to_wkb(geom, byte_order=1, flavor="iso")


class StoreWriter:
    """The write half of :class:`ykgeo.store.Store` (a mixin: the store provides ``spec`` and ``_write``)."""

    def spec(self, key: str) -> LayerSpec:
        raise NotImplementedError

    def _write(
        self, *, source: str = "", user: str = ""
    ) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def apply_edits(
        self,
        edits: Sequence[Edit],
        *,
        user: str,
        source: str = "编辑",
        recorded_at: dt.datetime | None = None,
    ) -> list[int]:
        """Apply edits in one transaction: all or none. Returns the new version of each feature.

        Raises
        ------
        StaleEditError
            When an edit's ``expected_version`` is not the feature's current version.
        StoreError
            Unknown feature or field, a value of the wrong type.
        """
        if not user.strip():
            msg = "编辑必须记录操作人"
            raise StoreError(msg)
        batch = Batch(user=user, source=source, recorded_at=_stamp(recorded_at or _now()))
        versions: list[int] = []
        what = f"{batch.source}（{len(edits)} 处修改）"
        with self._write(source=what, user=batch.user) as conn:
            for edit in edits:
                versions.append(self._apply_edit(conn, edit, batch))
            self._flush(conn, batch, {e.layer for e in edits})
        return versions

    def update_feature(
        self,
        key: str,
        feature_id: str,
        changes: Mapping[str, Any],
        *,
        user: str,
        expected_version: int | None,
        effective_date: dt.date | None = None,
        note: str = "",
        recorded_at: dt.datetime | None = None,
    ) -> int:
        """Change one feature (see :class:`Edit`); returns its new version."""
        edit = Edit(key, feature_id, changes, effective_date, expected_version, note)
        return self.apply_edits([edit], user=user, recorded_at=recorded_at)[0]

    def _apply_edit(self, conn: sqlite3.Connection, edit: Edit, batch: Batch) -> int:
        """Apply one edit inside a write transaction; returns the feature's version afterwards."""
        spec = self.spec(edit.layer)
        row = conn.execute(
            f'SELECT {_columns(spec)}, ykgeo_version, geom FROM "{spec.key}" '
            f'WHERE "{spec.id_field}" = ?',
            (edit.feature_id,),
        ).fetchone()
        if row is None:
            msg = f"图层 {spec.name_zh} 中没有要素 {edit.feature_id}，无法修改"
            raise StoreError(msg)
        change = self._change_for(spec, row, edit, batch)
        if change is None:
            return int(row[-2])
        self._apply_change(conn, change, batch)
        return change.version

    @staticmethod
    def _apply_change(conn: sqlite3.Connection, change: _Change, batch: Batch) -> None:
        conn.execute(change.sql, change.params)
        for args in change.log:
            batch.add(*args)

    def _change_for(
        self,
        spec: LayerSpec,
        row: Sequence[Any],
        edit: Edit,
        batch: Batch,
        *,
        geometry_same: bool | None = None,
    ) -> _Change | None:
        """What ``edit`` changes in a feature stored as ``row`` (its fields, version, geometry blob); None if nothing.

        A geometry is changed only when it is another shape (:func:`~ykgeo.store.diff.same_geometries`:
        ring orientation, first vertex and part order aside); ``geometry_same`` is that
        answer when the caller compared many geometries at once.
        """
        names = [f.name for f in spec.fields]
        version = int(row[-2])
        if edit.expected_version is not None and edit.expected_version != version:
            msg = (
                f"要素 {edit.feature_id} 已被他人修改（您看到的是第 {edit.expected_version} 版，"
                f"现在是第 {version} 版）。请刷新后重新编辑，本次修改未保存。"
            )
            raise StaleEditError(msg, message_en=f"stale edit of {edit.feature_id}")
        old = dict(zip(names, row[:-2], strict=True))
        types = {f.name: f.type for f in spec.fields}
        changed: dict[str, tuple[Any, Any]] = {}
        for name, value in edit.changes.items():
            if name == GEOMETRY_FIELD:
                continue
            if name not in types:
                msg = f"图层 {spec.name_zh} 没有字段 {name}"
                raise StoreError(msg)
            if name == spec.id_field:
                msg = f"不能修改要素编号字段 {name}"
                raise StoreError(msg)
            try:
                new_value = _json_value(value, types[name])
            except (ValueError, TypeError) as err:
                msg = f"要素 {edit.feature_id} 字段 {name} 的值 {str(value)[:50]!r} 不是有效的{types[name]}"
                raise StoreError(msg) from err
            if new_value != old[name]:
                changed[name] = (old[name], new_value)
        new_geom = None
        if GEOMETRY_FIELD in edit.changes:
            new_geom = _geometry_for_layer(edit.changes[GEOMETRY_FIELD], spec)
            old_geom = gpkg.decode_geometries([row[-1]])[0]
            if geometry_same is None:
                geometry_same = bool(same_geometries([old_geom], [new_geom])[0])
            if not geometry_same:
                changed[GEOMETRY_FIELD] = (_wkb(old_geom), _wkb(new_geom))
        if not changed:
            return None
        effective = edit.effective_date or self._event_date(
            spec, {k: v[1] for k, v in changed.items()}, batch
        )
        version += 1
        sets, params, log = [], [], []
        for name, (old_value, new_value) in changed.items():
            if name == GEOMETRY_FIELD:
                sets.append("geom = ?")
                params.append(gpkg.encode_geometries(np.asarray([new_geom], dtype=object))[0])
            else:
                sets.append(f'"{name}" = ?')
                params.append(new_value)
            log.append(
                (
                    spec.key,
                    edit.feature_id,
                    "update",
                    name,
                    old_value,
                    new_value,
                    effective,
                    version,
                    edit.note,
                )
            )
        sql = f'UPDATE "{spec.key}" SET {", ".join(sets)}, ykgeo_version = ? WHERE "{spec.id_field}" = ?'
        return _Change(
            edit.feature_id, version, sql, (*params, version, edit.feature_id), tuple(log)
        )

    @staticmethod
    def _event_date(spec: LayerSpec, new_values: Mapping[str, Any], batch: Batch) -> dt.date:
        """When a change happened: the status's own date field when the change brings one, else the recording day."""
        status = spec.status
        if status is not None and status.date_field and new_values.get(status.date_field):
            return dt.date.fromisoformat(str(new_values[status.date_field])[:10])
        return dt.date.fromisoformat(batch.recorded_at[:10])

    def _flush(self, conn: sqlite3.Connection, batch: Batch, layers: set[str]) -> None:
        """Write the batch's log rows; stamp the layers' last change and extent in gpkg_contents.

        Rows inserted in bulk get their log rows from one ``INSERT … SELECT`` over the
        new rows of the feature table (dated as :func:`~ykgeo.store.batch.log_inserts` says); the other rows
        (updates, deletions) are written from the batch.
        """
        if not len(batch):
            return
        batch_id = batch.batch_id
        start = conn.execute(f"SELECT COALESCE(MAX(log_id), 0) FROM {LOG_TABLE}").fetchone()[0]
        fresh = {  # layers with no history yet: their new rows cannot be back-dated
            key
            for key in {i.spec.key for i in batch.inserted}
            if conn.execute(f"SELECT 1 FROM {LOG_TABLE} WHERE layer = ? LIMIT 1", (key,)).fetchone()
            is None
        }
        bulk = sum(i.count for i in batch.inserted)
        restore = []
        if bulk >= max(BULK_THRESHOLD, start):  # the log at least doubles: index it afterwards
            for name in LOG_INDEXES:
                restore += drop_for_bulk(conn, "index", name)
        for ins in batch.inserted:
            log_inserts(conn, ins, batch, batch_id)
        checked_from = (
            start
            if any(i.spec.key not in fresh for i in batch.inserted)
            else conn.execute(f"SELECT COALESCE(MAX(log_id), 0) FROM {LOG_TABLE}").fetchone()[0]
        )
        insert_log_rows(conn, batch)
        for sql in restore:
            conn.execute(sql)
        if batch.rows or checked_from == start:
            mark_backdated(conn, after=checked_from)
        changed = (
            dt.datetime.fromisoformat(batch.recorded_at)
            .astimezone(dt.UTC)
            .strftime("%Y-%m-%dT%H:%M:%S.000Z")
        )
        # a store made before styles were written gets them with its first write
        unstyled = styles.missing_styles(conn, sorted(layers))
        if unstyled:
            styles.write_layer_styles(
                conn, styles.style_rows(self.spec(k) for k in unstyled), update_time=changed
            )
        for key in sorted(layers):
            extent = conn.execute(
                f'SELECT min(minx), max(maxx), min(miny), max(maxy) FROM "rtree_{key}_geom"'
            ).fetchone()
            conn.execute(
                "UPDATE gpkg_contents SET last_change = ?, min_x = ?, max_x = ?, min_y = ?, max_y = ? "
                "WHERE table_name = ?",
                (changed, *extent, key),
            )

    def _delete_rows(
        self,
        conn: sqlite3.Connection,
        spec: LayerSpec,
        ids: Sequence[str],
        batch: Batch,
        day: dt.date,
        note: str = "",
    ) -> int:
        names = list(spec.field_names)
        cols = ", ".join(f'"{n}"' for n in names)
        for fid in ids:
            row = conn.execute(
                f'SELECT {cols}, ykgeo_version, geom FROM "{spec.key}" WHERE "{spec.id_field}" = ?',
                (fid,),
            ).fetchone()
            snapshot = dict(zip(names, row[:-2], strict=True))
            geom = gpkg.decode_geometries([row[-1]])[0]
            snapshot[GEOMETRY_FIELD] = (
                None if geom is None else shapely.to_wkb(geom, hex=True, byte_order=1)
            )
            batch.add(spec.key, fid, "delete", None, snapshot, None, day, int(row[-2]) + 1, note)
            conn.execute(f'DELETE FROM "{spec.key}" WHERE "{spec.id_field}" = ?', (fid,))
        return len(ids)

    def delete_features(
        self,
        key: str,
        feature_ids: Sequence[str],
        *,
        user: str,
        effective_date: dt.date | None = None,
        recorded_at: dt.datetime | None = None,
        note: str = "",
    ) -> int:
        """Remove features; their last values stay in the log, so past dates still see them."""
        spec = self.spec(key)
        batch = Batch(user=user, source="删除", recorded_at=_stamp(recorded_at or _now()))
        what = f"删除 {spec.name_zh} 的 {len(feature_ids)} 个要素"
        with self._write(source=what, user=batch.user) as conn:
            known = {r[0] for r in conn.execute(f'SELECT "{spec.id_field}" FROM "{spec.key}"')}
            missing = [f for f in feature_ids if f not in known]
            if missing:
                msg = f"图层 {spec.name_zh} 中没有要素：{'、'.join(missing[:10])}"
                raise StoreError(msg)
            day = effective_date or dt.date.fromisoformat(batch.recorded_at[:10])
            n = self._delete_rows(conn, spec, feature_ids, batch, day, note)
            self._flush(conn, batch, {key})
        return n
