"""The project store: one GeoPackage with a table per layer (EPSG:4490), the year plans and an append-only edit log.

Every write is one SQLite transaction (``BEGIN IMMEDIATE``): an import or edit that
fails part-way leaves the file's content exactly as before, and two processes
writing at once are serialised instead of corrupting the file. Each change of a
field is one row of the edit log (who, when recorded, when it happened, old and
new value), so any past state can be rebuilt: see :meth:`Store.read_layer`.

Two dates are kept for every change: ``effective_date`` (when the thing happened,
e.g. a ledger's 完成日期) and ``recorded_at`` (when the store learnt of it). "As of
30 September" means what had happened by then *as far as the store knew then*;
``known_at`` lets a caller ask what is known now about that date, which shows
later corrections as such.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ykgeo import _gpkg
from ykgeo._history import GEOMETRY_FIELD, as_of_layer, retype
from ykgeo.crs import CGCS2000
from ykgeo.errors import StaleEditError, StoreError
from ykgeo.layers import (
    LayerRegistry,
    LayerSpec,
    TargetPlan,
    load_layers,
    parse_plan,
    registry_from_texts,
)

__all__ = [
    "DEMO_STORE",
    "TZ",
    "DataVersion",
    "Edit",
    "ImportSummary",
    "Store",
    "default_store_path",
    "end_of_day",
    "now",
    "stamp",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Times are recorded in China Standard Time with the offset written out.
TZ = ZoneInfo("Asia/Shanghai")
#: The shipped demo store.
DEMO_STORE = Path(__file__).resolve().parent.parent / "data" / "gis" / "yongkang-demo.gpkg"

LOG_TABLE = "ykgeo_edit_log"
META_TABLE = "ykgeo_meta"
PLAN_TABLE = "ykgeo_plans"
LAYER_TABLE = "ykgeo_layers"
SCHEMA_VERSION = "1"
_BULK_THRESHOLD = 5000
_HISTORY_COLUMNS = "log_id, feature_id, action, field, old_value, new_value, effective_date, recorded_at, version, user"

_LOG_DDL = f"""CREATE TABLE {LOG_TABLE} (
  log_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  layer TEXT NOT NULL, feature_id TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
  field TEXT, old_value TEXT, new_value TEXT,
  effective_date DATE NOT NULL, recorded_at TEXT NOT NULL,
  user TEXT NOT NULL, source TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL, batch_id TEXT NOT NULL)"""


def now() -> dt.datetime:
    """The current time in China Standard Time."""
    return dt.datetime.now(TZ)


def stamp(moment: dt.datetime) -> str:
    """A moment as the store records it: ISO 8601 in China Standard Time, to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ).isoformat(timespec="seconds")


_stamp = stamp


def end_of_day(day: dt.date) -> dt.datetime:
    """Midnight after ``day`` in China Standard Time: the default knowledge horizon of a figure for ``day``."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=TZ)


def default_store_path() -> Path:
    """The store to open when none is given: ``$YKGEO_STORE``, else the shipped demo store."""
    env = os.environ.get("YKGEO_STORE", "").strip()
    return Path(env) if env else DEMO_STORE


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


@dataclass(frozen=True)
class DataVersion:
    """Identifies the content of a store: the last edit-log entry and when it was recorded."""

    log_id: int
    recorded_at: str
    store_name: str

    def label_zh(self) -> str:
        """Text for reports: 数据版本 v123（2022-09-30T17:00:00+08:00）."""
        return f"数据版本 v{self.log_id}（{self.recorded_at or '空库'}）"


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


class Store:
    """A ykgeo project: one GeoPackage file that QGIS and ArcGIS open as it is.

    Parameters
    ----------
    path
        The ``.gpkg`` file; it must exist and be a ykgeo store (use :meth:`create`).
    layers
        Layer definitions (default: the shipped ``layers/``).
    """

    def __init__(self, path: Path | str, *, layers: LayerRegistry | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists():
            msg = f"找不到项目库文件：{self.path}"
            raise StoreError(msg, message_en=f"store not found: {self.path}")
        try:
            with self._read() as conn:
                meta = dict(conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
                has_layers = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (LAYER_TABLE,)
                ).fetchone()
                texts = (
                    dict(conn.execute(f"SELECT key, layer_toml FROM {LAYER_TABLE}").fetchall())
                    if has_layers
                    else {}
                )
        except sqlite3.DatabaseError as err:
            msg = f"{self.path.name} 不是 ykgeo 项目库（GeoPackage）或已损坏：{err}"
            raise StoreError(msg) from err
        if meta.get("schema_version") != SCHEMA_VERSION:
            msg = f"{self.path.name} 的项目库版本 {meta.get('schema_version')} 与本程序（{SCHEMA_VERSION}）不符"
            raise StoreError(msg)
        self.meta: dict[str, str] = meta
        # a store carries the definitions it was made with; the shipped ones are the fallback
        self.layers = layers or (registry_from_texts(texts) if texts else load_layers())

    # --- creation -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path | str,
        *,
        layers: LayerRegistry | None = None,
        plans: Sequence[TargetPlan] = (),
        name_zh: str = "永康市用地与基础设施项目库",
        meta: Mapping[str, str] | None = None,
        overwrite: bool = False,
    ) -> Store:
        """Create an empty store with a table per layer, the given plans and an empty edit log."""
        path = Path(path)
        registry = layers or load_layers()
        if path.exists():
            if not overwrite:
                msg = f"文件已存在：{path}（如需覆盖请明确指定）"
                raise StoreError(msg)
            path.unlink()
        tmp = path.with_name(path.name + ".creating")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        try:
            created = (meta or {}).get("created_at") or _stamp(now())
            stamp_utc = (
                dt.datetime.fromisoformat(created)
                .astimezone(dt.UTC)
                .strftime("%Y-%m-%dT%H:%M:%S.000Z")
            )
            _gpkg.register_functions(conn)
            _gpkg.create_gpkg_core(conn)
            for spec in registry.values():
                _gpkg.create_feature_table(
                    conn,
                    spec.key,
                    geometry_type=spec.geometry_type,
                    columns=[(f.name, f.type) for f in spec.fields],
                    id_column=spec.id_field,
                    identifier=spec.name_zh,
                    description=spec.description_zh or spec.name_en,
                    last_change=stamp_utc,
                )
            _gpkg.create_attribute_table(
                conn, LOG_TABLE, _LOG_DDL, description="编辑日志（只追加）", last_change=stamp_utc
            )
            conn.execute(f"CREATE INDEX idx_{LOG_TABLE}_feature ON {LOG_TABLE} (layer, feature_id)")
            _gpkg.create_attribute_table(
                conn,
                META_TABLE,
                f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
                description="项目库信息",
                last_change=stamp_utc,
            )
            _gpkg.create_attribute_table(
                conn,
                LAYER_TABLE,
                f"CREATE TABLE {LAYER_TABLE} (key TEXT PRIMARY KEY NOT NULL, layer_toml TEXT NOT NULL)",
                description="图层定义",
                last_change=stamp_utc,
            )
            conn.executemany(
                f"INSERT INTO {LAYER_TABLE} VALUES (?, ?)",
                [(spec.key, spec.toml_text) for spec in registry.values() if spec.toml_text],
            )
            _gpkg.create_attribute_table(
                conn,
                PLAN_TABLE,
                f"CREATE TABLE {PLAN_TABLE} (year INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, plan_toml TEXT NOT NULL, loaded_at TEXT NOT NULL)",
                description="年度目标计划",
                last_change=stamp_utc,
            )
            rows = {
                "schema_version": SCHEMA_VERSION,
                "name": name_zh,
                "created_at": created,
                **(meta or {}),
            }
            conn.executemany(f"INSERT INTO {META_TABLE} VALUES (?, ?)", sorted(rows.items()))
            for plan in plans:
                conn.execute(
                    f"INSERT INTO {PLAN_TABLE} VALUES (?, ?, ?, ?)",
                    (plan.year, plan.name_zh, plan.toml_text, created),
                )
            conn.commit()
        finally:
            conn.close()
        tmp.replace(path)
        return cls(path, layers=registry)

    # --- connections --------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on any error so the content is exactly as before."""
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        _gpkg.register_functions(conn)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.OperationalError as err:
            msg = f"写入项目库 {self.path.name} 失败：{err}"
            raise StoreError(msg) from err
        finally:
            conn.close()

    # --- metadata -----------------------------------------------------------------------------

    @property
    def name_zh(self) -> str:
        """The store's display name."""
        return self.meta.get("name", self.path.stem)

    def layer_keys(self) -> list[str]:
        """Keys of the layers this store has a table for, in display order."""
        with self._read() as conn:
            tables = {
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM gpkg_contents WHERE data_type='features'"
                )
            }
        return [k for k in self.layers if k in tables]

    def spec(self, key: str) -> LayerSpec:
        """The definition of layer ``key`` (LayerError if unknown)."""
        return self.layers[key]

    def count(self, key: str) -> int:
        """Number of features now in layer ``key``."""
        self.spec(key)
        with self._read() as conn:
            return int(conn.execute(f'SELECT COUNT(*) FROM "{key}"').fetchone()[0])

    def data_version(self, *, known_at: dt.datetime | None = None) -> DataVersion:
        """The last edit-log entry (recorded before ``known_at`` if given): identifies the data behind a figure."""
        with self._read() as conn:
            if known_at is None:
                row = conn.execute(
                    f"SELECT log_id, recorded_at FROM {LOG_TABLE} ORDER BY log_id DESC LIMIT 1"
                ).fetchone()
            else:
                row = conn.execute(
                    f"SELECT log_id, recorded_at FROM {LOG_TABLE} WHERE recorded_at < ? "
                    "ORDER BY log_id DESC LIMIT 1",
                    (stamp(known_at),),
                ).fetchone()
        return DataVersion(int(row[0]) if row else 0, row[1] if row else "", self.path.name)

    def mtime_ns(self) -> int:
        """Modification time of the file, for cache keys."""
        return self.path.stat().st_mtime_ns

    def plan(self, year: int) -> TargetPlan:
        """The target plan of ``year`` as kept in the store."""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT plan_toml FROM {PLAN_TABLE} WHERE year = ?", (year,)
            ).fetchone()
        if row is None:
            msg = f"项目库中没有 {year} 年的目标计划"
            raise StoreError(msg)
        return parse_plan(
            row[0], name=f"{self.path.name}:{PLAN_TABLE}", layers=self.layers, year=year
        )

    def plan_years(self) -> list[int]:
        """Years that have a target plan in the store."""
        with self._read() as conn:
            return [int(r[0]) for r in conn.execute(f"SELECT year FROM {PLAN_TABLE} ORDER BY year")]

    def save_plan(self, plan: TargetPlan) -> None:
        """Add or replace the plan of ``plan.year``."""
        with self._write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO {PLAN_TABLE} VALUES (?, ?, ?, ?)",
                (plan.year, plan.name_zh, plan.toml_text, _stamp(now())),
            )

    # --- reading ------------------------------------------------------------------------------

    def _current(self, conn: sqlite3.Connection, spec: LayerSpec) -> gpd.GeoDataFrame:
        names = [spec.id_field, *[f for f in spec.field_names if f != spec.id_field]]
        cols = ", ".join(f'"{n}"' for n in names)
        rows = conn.execute(
            f'SELECT {cols}, ykgeo_version, geom FROM "{spec.key}" ORDER BY fid'
        ).fetchall()
        frame = pd.DataFrame.from_records(
            [r[:-1] for r in rows], columns=[*names, "ykgeo_version"], coerce_float=False
        )
        geoms = _gpkg.decode_geometries([r[-1] for r in rows])
        gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CGCS2000), crs=CGCS2000)
        return self._typed(gdf, spec)

    def _typed(self, gdf: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
        gdf = retype(gdf, spec)
        gdf["ykgeo_version"] = pd.to_numeric(gdf["ykgeo_version"]).astype("int64")
        gdf.index = pd.Index(gdf[spec.id_field].astype(str).to_numpy(), name=spec.id_field)
        return gdf

    def read_layer(
        self,
        key: str,
        *,
        as_of: dt.date | None = None,
        known_at: dt.datetime | None = None,
    ) -> gpd.GeoDataFrame:
        """The features of a layer, now or as they stood at a past date.

        Parameters
        ----------
        key
            Layer key.
        as_of
            The date of interest: features and values as they stood at the end of that day.
        known_at
            What the store knew at this moment (default: the end of ``as_of``, so a
            figure for a past date never changes when it is asked again later; pass
            :func:`now` to include later corrections).

        Returns
        -------
        geopandas.GeoDataFrame
            In EPSG:4490, indexed by the layer's id field, with the layer's fields,
            ``ykgeo_version`` and ``geometry``.
        """
        spec = self.spec(key)
        if as_of is None and known_at is None:
            with self._read() as conn:
                return self._current(conn, spec)
        day = as_of or (known_at.astimezone(TZ).date() if known_at else now().date())
        horizon = known_at or end_of_day(day)
        current, log = self.layer_history(key)
        return as_of_layer(current, log, spec, day, stamp(horizon))

    def layer_history(self, key: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """The current features of a layer and its whole edit log, read in one transaction.

        For callers that rebuild many past dates at once (monthly series): pass both to
        :func:`ykgeo._history.as_of_layer` per date instead of calling :meth:`read_layer`.
        """
        spec = self.spec(key)
        with self._read() as conn:
            current = self._current(conn, spec)
            log = pd.read_sql_query(
                f"SELECT {_HISTORY_COLUMNS} FROM {LOG_TABLE} WHERE layer = ? ORDER BY log_id",
                conn,
                params=(key,),
            )
        return current, log

    def feature(self, key: str, feature_id: str) -> pd.Series:
        """One feature now (StoreError if absent)."""
        gdf = self.read_layer(key)
        if feature_id not in gdf.index:
            spec = self.spec(key)
            msg = f"图层 {spec.name_zh} 中没有要素 {feature_id}"
            raise StoreError(msg)
        return gdf.loc[feature_id]

    def edit_log(
        self,
        *,
        layer: str | None = None,
        feature_id: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> pd.DataFrame:
        """The edit log (oldest first), optionally for one layer / feature and a recording window."""
        clauses, params = [], []
        if layer:
            clauses.append("layer = ?")
            params.append(layer)
        if feature_id:
            clauses.append("feature_id = ?")
            params.append(feature_id)
        if since:
            clauses.append("recorded_at >= ?")
            params.append(_stamp(since))
        if until:
            clauses.append("recorded_at < ?")
            params.append(_stamp(until))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._read() as conn:
            log = pd.read_sql_query(
                f"SELECT * FROM {LOG_TABLE}{where} ORDER BY log_id", conn, params=params
            )
        for col in ("old_value", "new_value"):
            log[col] = [json.loads(v) if isinstance(v, str) else None for v in log[col]]
        return log

    # --- writing ------------------------------------------------------------------------------

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
        batch = _Batch(user=user, source=source, recorded_at=_stamp(recorded_at or now()))
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
            old_geom = _gpkg.decode_geometries([row[-1]])[0]
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
                params.append(_gpkg.encode_geometries(np.asarray([new_geom], dtype=object))[0])
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
        :mod:`ykgeo.validate`). New ids are inserted, known ids updated field by field
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
        batch = _Batch(user=user, source=source, recorded_at=_stamp(recorded_at or now()))
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
        blobs = _gpkg.encode_geometries(np.asarray([geoms[i] for i in idx], dtype=object))
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
            snapshot[GEOMETRY_FIELD] = _wkb_hex(_gpkg.decode_geometries([row[-1]])[0])
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
        batch = _Batch(user=user, source="删除", recorded_at=_stamp(recorded_at or now()))
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
