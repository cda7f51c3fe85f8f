"""Imports into the project store: upsert, append or replace, prepared before the write lock is taken.

Everything that needs no lock is done first: the values and geometries encoded, and the
comparison with the features as they stand (a snapshot read without the lock, geometry
compared as a shape: :mod:`ykgeo.store.diff`). The write lock is then held for SQLite's
own work only, so readers never wait (WAL) and another writer waits for seconds, not for
the whole import. Under the lock the snapshot is checked (version and row id of every
known feature); a feature changed since is compared again there, so nothing is lost.
New rows go in bulk (R-tree in one sorted pass, log rows by ``INSERT … SELECT``).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from ykgeo.crs import CGCS2000
from ykgeo.errors import StoreError
from ykgeo.layers import LayerSpec
from ykgeo.store import gpkg, rtree
from ykgeo.store.batch import LOG_TABLE, Batch, Inserted, drop_for_bulk
from ykgeo.store.dates import now as _now
from ykgeo.store.dates import stamp as _stamp
from ykgeo.store.diff import same_geometries
from ykgeo.store.history import GEOMETRY_FIELD
from ykgeo.store.write import (
    BULK_THRESHOLD,
    Edit,
    StoreWriter,
    _Change,
    _column_values,
    _columns,
    _geometry_for_layer,
)

__all__ = ["ImportSummary", "StoreImporter"]

_PROGRESS_STEP = 20_000


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


@dataclass(frozen=True)
class _Prepared:
    """An import worked out before the lock: values by field, encoded geometries, the snapshot and its changes."""

    ids: list[str]
    values: Mapping[str, list[Any]]
    geoms: npt.NDArray[np.object_]
    blobs: list[bytes | None]
    known_fields: list[str]
    snapshot: Mapping[str, tuple[tuple[Any, ...], int]]
    changes: Mapping[str, _Change | None]


def _check_removals(spec: LayerSpec, gone: list[str], confirmed: Collection[str] | None) -> None:
    """A replace import deletes only what was confirmed (see :meth:`StoreImporter.removals`)."""
    if confirmed is None:
        msg = (
            f"替换导入会删除 {spec.name_zh} 中不在文件里的 {len(gone)} 个要素，"
            "须先列出并确认（命令行加 --yes，网页勾选确认），未导入"
        )
        raise StoreError(msg)
    extra = sorted(set(gone) - set(confirmed))
    if extra or len(gone) != len(set(confirmed)):
        shown = "、".join(extra[:10]) or "（数量不同）"
        msg = (
            f"确认之后项目库已有变化：替换导入现在会删除 {len(gone)} 个要素，"
            f"与确认删除的 {len(set(confirmed))} 个不同（如 {shown}），未导入，请重新核对确认"
        )
        raise StoreError(msg)


class StoreImporter(StoreWriter):
    """Imports (a mixin over :class:`~ykgeo.store.write.StoreWriter`; :class:`ykgeo.store.Store` provides the connections)."""

    def removals(self, key: str, ids: Iterable[str]) -> list[str]:
        """What a ``replace`` import of features ``ids`` would delete: the layer's other features, sorted."""
        spec = self.spec(key)
        keep = {str(i) for i in ids}
        with self._read() as conn:
            present = conn.execute(f'SELECT "{spec.id_field}" FROM "{spec.key}"').fetchall()
        return sorted(str(r[0]) for r in present if str(r[0]) not in keep)

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
        confirmed_removals: Collection[str] | None = None,
    ) -> ImportSummary:
        """Write validated features into a layer, in one transaction, logging every change.

        ``gdf`` must be in EPSG:4490 and use the layer's stored field names (see
        :mod:`ykgeo.io.validate`). New ids are inserted, known ids updated field by field
        (``append`` refuses known ids), and in ``replace`` mode ids absent from ``gdf``
        are deleted: exactly the ``confirmed_removals`` the planner was shown (see
        :meth:`removals`); if the store holds other ones by the time the import writes,
        nothing is written. A change of status that comes with the layer's date field
        (e.g. 完成日期) is dated by it; other changes by ``effective_date`` (default: today).
        """
        spec = self.spec(key)
        if gdf.crs is None or gdf.crs.to_epsg() != CGCS2000:
            msg = f"导入 {spec.name_zh} 的数据必须先转换到 CGCS2000（EPSG:4490）"
            raise StoreError(msg)
        if spec.id_field not in gdf.columns:
            msg = f"导入数据缺少要素编号字段 {spec.id_field}"
            raise StoreError(msg)
        id_index = pd.Index(gdf[spec.id_field].astype(str).to_numpy(dtype=object))
        if id_index.has_duplicates:
            msg = f"导入数据中 {spec.id_field} 有重复值"
            raise StoreError(msg)
        batch = Batch(user=user, source=source, recorded_at=_stamp(recorded_at or _now()))
        default_day = effective_date or dt.date.fromisoformat(batch.recorded_at[:10])
        prep = self._prepare(spec, gdf, id_index.tolist(), effective_date, batch)
        ids = prep.ids
        added = updated = unchanged = removed = 0
        what = f"导入 {batch.source} → {spec.name_zh}（{len(ids)} 个要素）"
        with self._write(source=what, user=batch.user) as conn:
            existing = {
                r[0]: (int(r[1]), int(r[2]))
                for r in conn.execute(
                    f'SELECT "{spec.id_field}", ykgeo_version, fid FROM "{spec.key}"'
                ).fetchall()
            }
            known = id_index.isin(list(existing)) if existing else np.zeros(len(ids), dtype=bool)
            new_idx = np.flatnonzero(~known)
            old_idx = np.flatnonzero(known)
            if mode == "append" and len(old_idx):
                shown = "、".join(ids[i] for i in old_idx[:10])
                msg = f"以下要素已在 {spec.name_zh} 中，追加导入被拒绝：{shown}"
                raise StoreError(msg)
            self._insert_rows(
                conn, spec, prep, new_idx, batch, default_day, progress, existing=len(existing)
            )
            added = len(new_idx)
            for done, i in enumerate(old_idx.tolist(), start=len(new_idx)):
                change = self._current_change(conn, spec, prep, i, existing, effective_date, batch)
                if change is None:
                    unchanged += 1
                else:
                    self._apply_change(conn, change, batch)
                    updated += 1
                if progress and done % 5000 == 0:
                    progress(done, len(ids))
            if mode == "replace":
                gone = sorted(set(existing) - set(ids))
                _check_removals(spec, gone, confirmed_removals)
                removed = self._delete_rows(conn, spec, gone, batch, default_day)
            self._flush(conn, batch, {key})
            last = conn.execute(f"SELECT MAX(log_id) FROM {LOG_TABLE}").fetchone()[0] or 0
        if progress:
            progress(len(ids), len(ids))
        return ImportSummary(key, added, updated, unchanged, removed, batch.batch_id, int(last))

    # --- before the lock ------------------------------------------------------------------------

    def _prepare(
        self,
        spec: LayerSpec,
        gdf: gpd.GeoDataFrame,
        ids: list[str],
        effective_date: dt.date | None,
        batch: Batch,
    ) -> _Prepared:
        """Values, encoded geometries and the changes of the known features, worked out without the lock."""
        types = {f.name: f.type for f in spec.fields}
        values = {
            n: _column_values(gdf[n], types[n]) if n in gdf.columns else [None] * len(gdf)
            for n in spec.field_names
        }
        geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
        blobs = gpkg.encode_geometries(
            geoms, promote={"Polygon": 3, "LineString": 1}.get(spec.geometry_type)
        )
        known_fields = [n for n in spec.field_names if n != spec.id_field and n in gdf.columns]
        snapshot = self._rows_of(spec, ids)
        prep = _Prepared(ids, values, geoms, blobs, known_fields, snapshot, {})
        return _Prepared(
            ids, values, geoms, blobs, known_fields, snapshot,
            self._prepare_updates(spec, prep, effective_date, batch),
        )  # fmt: skip

    def _rows_of(
        self, spec: LayerSpec, ids: Sequence[str]
    ) -> dict[str, tuple[tuple[Any, ...], int]]:
        """The stored rows (fields, version, geometry blob) and fids of the features among ``ids``."""
        if not ids:
            return {}
        with self._read() as conn:
            rows = conn.execute(
                f'SELECT {_columns(spec)}, ykgeo_version, geom, fid FROM "{spec.key}" '
                f'WHERE "{spec.id_field}" IN (SELECT value FROM json_each(?))',
                (json.dumps(list(ids), ensure_ascii=False),),
            ).fetchall()
        position = [f.name for f in spec.fields].index(spec.id_field)
        return {str(r[position]): (tuple(r[:-1]), int(r[-1])) for r in rows}

    def _edit_of(self, spec: LayerSpec, prep: _Prepared, i: int, effective: dt.date | None) -> Edit:
        changes: dict[str, Any] = {n: prep.values[n][i] for n in prep.known_fields}
        changes[GEOMETRY_FIELD] = prep.geoms[i]
        return Edit(spec.key, prep.ids[i], changes, effective)

    def _prepare_updates(
        self, spec: LayerSpec, prep: _Prepared, effective: dt.date | None, batch: Batch
    ) -> dict[str, _Change | None]:
        """The change each known feature would get (geometries compared all at once)."""
        known = [i for i, fid in enumerate(prep.ids) if fid in prep.snapshot]
        if not known:
            return {}
        old = gpkg.decode_geometries([prep.snapshot[prep.ids[i]][0][-1] for i in known])
        new = np.asarray([_geometry_for_layer(prep.geoms[i], spec) for i in known], dtype=object)
        same = same_geometries(old, new)
        out: dict[str, _Change | None] = {}
        for j, i in enumerate(known):
            fid = prep.ids[i]
            edit = self._edit_of(spec, prep, i, effective)
            out[fid] = self._change_for(
                spec, prep.snapshot[fid][0], edit, batch, geometry_same=bool(same[j])
            )
        return out

    # --- under the lock -------------------------------------------------------------------------

    def _current_change(
        self,
        conn: sqlite3.Connection,
        spec: LayerSpec,
        prep: _Prepared,
        i: int,
        existing: Mapping[str, tuple[int, int]],
        effective: dt.date | None,
        batch: Batch,
    ) -> _Change | None:
        """The prepared change of feature ``i``, or, if it changed since the snapshot, one compared now."""
        fid = prep.ids[i]
        snap = prep.snapshot.get(fid)
        if snap is not None and (int(snap[0][-2]), snap[1]) == existing[fid]:
            return prep.changes.get(fid)
        row = conn.execute(
            f'SELECT {_columns(spec)}, ykgeo_version, geom FROM "{spec.key}" '
            f'WHERE "{spec.id_field}" = ?',
            (fid,),
        ).fetchone()
        return self._change_for(spec, row, self._edit_of(spec, prep, i, effective), batch)

    def _insert_rows(
        self,
        conn: sqlite3.Connection,
        spec: LayerSpec,
        prep: _Prepared,
        idx: npt.NDArray[np.int64],
        batch: Batch,
        default_day: dt.date,
        progress: Callable[[int, int], None] | None,
        *,
        existing: int,
    ) -> None:
        """Insert new features (rows ``idx`` of the input); their log rows are made at flush.

        A bulk insert drops the R-tree's insert trigger and fills the R-tree in one
        sorted pass afterwards (rebuilding it whole when the table at least doubles);
        into a table that at least doubles, the id index is rebuilt after the rows.
        All of it inside the caller's transaction, so a failure restores everything.
        """
        if not len(idx):
            return
        values, total = prep.values, len(prep.ids)
        # fields with no value at all stay out of the statement (NULL by default), as do
        # fid (AUTOINCREMENT numbers the rows from ``start`` on) and ykgeo_version (1)
        positions = idx.tolist()
        names = [n for n in spec.field_names if values[n].count(None) < len(values[n])]  # in C
        columns = [[values[n][i] for i in positions] for n in names]
        blobs = [prep.blobs[i] for i in positions]
        bulk = len(idx) >= BULK_THRESHOLD
        rebuild = bulk and len(idx) >= existing
        spatial_index = f"rtree_{spec.key}_geom"
        restore: list[str] = []
        if bulk:
            restore += drop_for_bulk(conn, "trigger", f"{spatial_index}_insert")
        if rebuild:
            restore += drop_for_bulk(conn, "index", gpkg.id_index_name(spec.key))
        start = conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = ?", (spec.key,)
        ).fetchone()[0]
        start = (
            max(
                start, conn.execute(f'SELECT COALESCE(MAX(fid), 0) FROM "{spec.key}"').fetchone()[0]
            )
            + 1
        )
        cols = "".join(f'"{n}", ' for n in names)
        marks = ", ".join("?" for _ in range(len(names) + 1))
        sql = f'INSERT INTO "{spec.key}" ({cols}geom) VALUES ({marks})'
        for s in range(0, len(idx), _PROGRESS_STEP):
            e = min(s + _PROGRESS_STEP, len(idx))
            conn.executemany(sql, zip(*[c[s:e] for c in columns], blobs[s:e], strict=True))
            if progress:
                progress(e, total)
        fids = np.arange(start, start + len(idx), dtype=np.int64)
        last = conn.execute(f'SELECT MAX(fid) FROM "{spec.key}"').fetchone()[0]
        if last != fids[-1]:  # AUTOINCREMENT numbers rows consecutively inside the transaction
            msg = f"图层 {spec.name_zh} 的要素编号（fid）不连续，导入已撤销"
            raise StoreError(msg)
        new = prep.geoms[idx]
        if rebuild:
            old = np.asarray(
                conn.execute(
                    f'SELECT id, minx, miny, maxx, maxy FROM "{spatial_index}"'
                ).fetchall(),
                dtype=np.float64,
            ).reshape(-1, 5)
            rtree.bulk_load(
                conn,
                spatial_index,
                np.concatenate([old[:, 0].astype(np.int64), fids]),
                np.concatenate([old[:, 1:], shapely.bounds(new)]),
            )
        elif bulk:
            bounds = shapely.bounds(new)
            ok = np.isfinite(bounds).all(axis=1)
            conn.executemany(
                f'INSERT INTO "{spatial_index}" VALUES (?, ?, ?, ?, ?)',
                zip(fids[ok].tolist(), bounds[ok, 0].tolist(), bounds[ok, 2].tolist(),
                    bounds[ok, 1].tolist(), bounds[ok, 3].tolist(), strict=True),
            )  # fmt: skip
        for sql_text in restore:
            conn.execute(sql_text)
        batch.inserted.append(
            Inserted(spec, start, len(idx), str(values[spec.id_field][int(idx[0])]),
                      str(values[spec.id_field][int(idx[-1])]), default_day)
        )  # fmt: skip
