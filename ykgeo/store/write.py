"""Writing to the project store: edits, imports and deletions, each one transaction with its edit-log rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ykgeo.crs import CGCS2000
from ykgeo.errors import StaleEditError, StoreError
from ykgeo.layers import LayerSpec
from ykgeo.store import gpkg, styles
from ykgeo.store.dates import now as _now
from ykgeo.store.dates import stamp as _stamp
from ykgeo.store.history import GEOMETRY_FIELD

__all__ = ["Edit", "ImportSummary", "StoreWriter"]

LOG_TABLE = "ykgeo_edit_log"
_BULK_THRESHOLD = 5000


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
class ImportSummary:
    """What an import did."""

    layer: str
    added: int
    updated: int
    unchanged: int
    removed: int
    batch_id: str
    data_version: int


@dataclass
class _Batch:
    """Log rows of one transaction, written at once."""

    user: str
    source: str
    recorded_at: str
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    @property
    def batch_id(self) -> str:
        """Identifies the batch: a digest of who, when and what, so the same history gives the same ids."""
        digest = hashlib.sha1(
            repr(
                (
                    self.recorded_at,
                    self.user,
                    self.source,
                    len(self.rows),
                    self.rows[:1],
                    self.rows[-1:],
                )
            ).encode("utf-8")
        )
        return digest.hexdigest()[:12]

    def add(
        self,
        layer: str,
        feature_id: str,
        action: str,
        field_name: str | None,
        old: Any,
        new: Any,
        effective: dt.date,
        version: int,
        note: str = "",
    ) -> None:
        self.rows.append(
            (
                layer,
                feature_id,
                action,
                field_name,
                None if old is None else json.dumps(old, ensure_ascii=False),
                None if new is None else json.dumps(new, ensure_ascii=False),
                effective.isoformat(),
                self.recorded_at,
                self.user,
                self.source,
                note,
                version,
            )
        )


def _json_value(value: Any, ftype: str) -> Any:
    """A field value as the JSON/SQL scalar the store keeps (dates as ISO text)."""
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


def _promote_all(geoms: Any, spec: LayerSpec) -> list[Any]:
    """:func:`_geometry_for_layer` for many geometries at once (vectorised shapely)."""
    arr = np.asarray(geoms, dtype=object)
    single = {"Polygon": 3, "LineString": 1}.get(spec.geometry_type)
    if single is None or arr.size == 0:
        return list(arr)
    mask = shapely.get_type_id(arr) == single
    if mask.any():
        build = shapely.multipolygons if single == 3 else shapely.multilinestrings
        arr = arr.copy()
        arr[mask] = build(arr[mask], indices=np.arange(int(mask.sum())))
    return list(arr)


def _wkb_hex(geom: Any) -> str | None:
    return None if geom is None else shapely.to_wkb(geom, hex=True, byte_order=1)


class StoreWriter:
    """The write half of :class:`ykgeo.store.Store` (a mixin: the store provides ``spec`` and ``_write``)."""

    def spec(self, key: str) -> LayerSpec:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
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
        batch = _Batch(user=user, source=source, recorded_at=_stamp(recorded_at or _now()))
        versions: list[int] = []
        with self._write() as conn:
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

    def _apply_edit(self, conn: sqlite3.Connection, edit: Edit, batch: _Batch) -> int:
        spec = self.spec(edit.layer)
        names = [f.name for f in spec.fields]
        cols = ", ".join(f'"{n}"' for n in names)
        row = conn.execute(
            f'SELECT {cols}, ykgeo_version, geom FROM "{spec.key}" WHERE "{spec.id_field}" = ?',
            (edit.feature_id,),
        ).fetchone()
        if row is None:
            msg = f"图层 {spec.name_zh} 中没有要素 {edit.feature_id}，无法修改"
            raise StoreError(msg)
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
            if old_geom is None or not shapely.equals_exact(old_geom, new_geom, tolerance=0):
                changed[GEOMETRY_FIELD] = (_wkb_hex(old_geom), _wkb_hex(new_geom))
        if not changed:
            return version
        effective = edit.effective_date or self._event_date(
            spec, {k: v[1] for k, v in changed.items()}, batch
        )
        version += 1
        sets, params = [], []
        for name, (_, new_value) in changed.items():
            if name == GEOMETRY_FIELD:
                sets.append("geom = ?")
                params.append(gpkg.encode_geometries(np.asarray([new_geom], dtype=object))[0])
            else:
                sets.append(f'"{name}" = ?')
                params.append(new_value)
            batch.add(
                spec.key,
                edit.feature_id,
                "update",
                name,
                changed[name][0],
                changed[name][1],
                effective,
                version,
                edit.note,
            )
        conn.execute(
            f'UPDATE "{spec.key}" SET {", ".join(sets)}, ykgeo_version = ? WHERE "{spec.id_field}" = ?',
            (*params, version, edit.feature_id),
        )
        return version

    @staticmethod
    def _event_date(spec: LayerSpec, new_values: Mapping[str, Any], batch: _Batch) -> dt.date:
        """When a change happened: the status's own date field when the change brings one, else the recording day."""
        status = spec.status
        if status is not None and status.date_field and new_values.get(status.date_field):
            return dt.date.fromisoformat(str(new_values[status.date_field])[:10])
        return dt.date.fromisoformat(batch.recorded_at[:10])

    def _flush(self, conn: sqlite3.Connection, batch: _Batch, layers: set[str]) -> None:
        """Write the batch's log rows; stamp the layers' last change and extent in gpkg_contents."""
        if not batch.rows:
            return
        batch_id = batch.batch_id
        conn.executemany(
            f"INSERT INTO {LOG_TABLE} (layer, feature_id, action, field, old_value, new_value, effective_date, "
            "recorded_at, user, source, note, version, batch_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(*row, batch_id) for row in batch.rows],
        )
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
            conn.execute(
                f'UPDATE gpkg_contents SET last_change = ?, min_x = (SELECT min(minx) FROM "rtree_{key}_geom"), '
                f'max_x = (SELECT max(maxx) FROM "rtree_{key}_geom"), min_y = (SELECT min(miny) FROM "rtree_{key}_geom"), '
                f'max_y = (SELECT max(maxy) FROM "rtree_{key}_geom") WHERE table_name = ?',
                (changed, key),
            )

    def import_features(
        self,
        key: str,
        gdf: gpd.GeoDataFrame,
        *,
        user: str,
        source: str,
        mode: Literal["upsert", "append", "replace"] = "upsert",
        effective_date: dt.date | None = None,
        recorded_at: dt.datetime | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportSummary:
        """Write validated features into a layer, in one transaction, logging every change.

        ``gdf`` must be in EPSG:4490 and use the layer's stored field names (see
        :mod:`ykgeo.io.validate`). New ids are inserted, known ids updated field by field
        (``append`` refuses known ids), and in ``replace`` mode ids absent from ``gdf``
        are deleted. A change of status that comes with the layer's date field (e.g.
        完成日期) is dated by it; other changes by ``effective_date`` (default: today).
        """
        spec = self.spec(key)
        if gdf.crs is None or gdf.crs.to_epsg() != CGCS2000:
            msg = f"导入 {spec.name_zh} 的数据必须先转换到 CGCS2000（EPSG:4490）"
            raise StoreError(msg)
        if spec.id_field not in gdf.columns:
            msg = f"导入数据缺少要素编号字段 {spec.id_field}"
            raise StoreError(msg)
        ids = gdf[spec.id_field].astype(str).tolist()
        if len(set(ids)) != len(ids):
            msg = f"导入数据中 {spec.id_field} 有重复值"
            raise StoreError(msg)
        batch = _Batch(user=user, source=source, recorded_at=_stamp(recorded_at or _now()))
        default_day = effective_date or dt.date.fromisoformat(batch.recorded_at[:10])
        names = list(spec.field_names)
        types = {f.name: f.type for f in spec.fields}
        incoming = {
            n: [_json_value(v, types[n]) for v in gdf[n].tolist()]
            if n in gdf.columns
            else [None] * len(gdf)
            for n in names
        }
        geoms = _promote_all(gdf.geometry.to_numpy(), spec)
        added = updated = unchanged = removed = 0
        with self._write() as conn:
            existing = {
                r[0]: r[1]
                for r in conn.execute(
                    f'SELECT "{spec.id_field}", ykgeo_version FROM "{spec.key}"'
                ).fetchall()
            }
            new_idx = [i for i, fid in enumerate(ids) if fid not in existing]
            old_idx = [i for i, fid in enumerate(ids) if fid in existing]
            if mode == "append" and old_idx:
                shown = "、".join(ids[i] for i in old_idx[:10])
                msg = f"以下要素已在 {spec.name_zh} 中，追加导入被拒绝：{shown}"
                raise StoreError(msg)
            self._insert_rows(
                conn, spec, names, incoming, geoms, new_idx, batch, default_day, progress, len(ids)
            )
            added = len(new_idx)
            for done, i in enumerate(old_idx, start=len(new_idx)):
                changes: dict[str, Any] = {
                    n: incoming[n][i] for n in names if n != spec.id_field and n in gdf.columns
                }
                changes[GEOMETRY_FIELD] = geoms[i]
                before = len(batch.rows)
                self._apply_edit(conn, Edit(key, ids[i], changes, effective_date), batch)
                if len(batch.rows) > before:
                    updated += 1
                else:
                    unchanged += 1
                if progress and done % 500 == 0:
                    progress(done, len(ids))
            if mode == "replace":
                gone = sorted(set(existing) - set(ids))
                removed = self._delete_rows(conn, spec, gone, batch, default_day)
            self._flush(conn, batch, {key})
            last = conn.execute(f"SELECT MAX(log_id) FROM {LOG_TABLE}").fetchone()[0] or 0
        if progress:
            progress(len(ids), len(ids))
        return ImportSummary(key, added, updated, unchanged, removed, batch.batch_id, int(last))

    def _insert_rows(
        self,
        conn: sqlite3.Connection,
        spec: LayerSpec,
        names: list[str],
        values: Mapping[str, list[Any]],
        geoms: list[Any],
        idx: list[int],
        batch: _Batch,
        default_day: dt.date,
        progress: Callable[[int, int], None] | None,
        total: int,
    ) -> None:
        if not idx:
            return
        blobs = gpkg.encode_geometries(np.asarray([geoms[i] for i in idx], dtype=object))
        cols = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in range(len(names) + 2))
        rows = [
            (*[values[n][i] for n in names], 1, blob) for i, blob in zip(idx, blobs, strict=True)
        ]
        bulk = len(rows) >= _BULK_THRESHOLD
        if (
            bulk
        ):  # R-tree filled from numpy bounds instead of one Python trigger call per row and corner
            triggers = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name=? AND name LIKE 'rtree_%'",
                (spec.key,),
            ).fetchall()
            for name, _ in triggers:
                conn.execute(f'DROP TRIGGER "{name}"')
        start = conn.execute(f'SELECT COALESCE(MAX(fid), 0) FROM "{spec.key}"').fetchone()[0]
        step = 20000
        for s in range(0, len(rows), step):
            conn.executemany(
                f'INSERT INTO "{spec.key}" ({cols}, ykgeo_version, geom) VALUES ({marks})',
                rows[s : s + step],
            )
            if progress:
                progress(min(s + step, len(rows)), total)
        if bulk:
            fids = [
                r[0]
                for r in conn.execute(
                    f'SELECT fid FROM "{spec.key}" WHERE fid > ? ORDER BY fid', (start,)
                )
            ]
            bounds = shapely.bounds(np.asarray([geoms[i] for i in idx], dtype=object))
            ok = np.isfinite(bounds).all(axis=1)
            conn.executemany(
                f'INSERT INTO "rtree_{spec.key}_geom" VALUES (?, ?, ?, ?, ?)',
                [
                    (fid, b[0], b[2], b[1], b[3])
                    for fid, b, good in zip(fids, bounds.tolist(), ok, strict=True)
                    if good
                ],
            )
            for _, sql in triggers:
                conn.execute(sql)
        status = spec.status
        for i in idx:
            day = default_day
            if (
                status is not None
                and status.date_field
                and values[status.date_field][i]
                and values[status.field][i] in status.done
            ):
                day = min(day, dt.date.fromisoformat(values[status.date_field][i]))
            batch.add(spec.key, str(values[spec.id_field][i]), "insert", None, None, None, day, 1)

    def _delete_rows(
        self,
        conn: sqlite3.Connection,
        spec: LayerSpec,
        ids: Sequence[str],
        batch: _Batch,
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
            snapshot[GEOMETRY_FIELD] = _wkb_hex(gpkg.decode_geometries([row[-1]])[0])
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
        batch = _Batch(user=user, source="删除", recorded_at=_stamp(recorded_at or _now()))
        with self._write() as conn:
            known = {r[0] for r in conn.execute(f'SELECT "{spec.id_field}" FROM "{spec.key}"')}
            missing = [f for f in feature_ids if f not in known]
            if missing:
                msg = f"图层 {spec.name_zh} 中没有要素：{'、'.join(missing[:10])}"
                raise StoreError(msg)
            day = effective_date or dt.date.fromisoformat(batch.recorded_at[:10])
            n = self._delete_rows(conn, spec, feature_ids, batch, day, note)
            self._flush(conn, batch, {key})
        return n
