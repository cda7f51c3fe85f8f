"""The project store: one GeoPackage with a table per layer (EPSG:4490), the year plans and an append-only edit log.

Every write is one SQLite transaction (``BEGIN IMMEDIATE``): an import or edit that
fails part-way leaves the file's content exactly as before, and two processes
writing at once are serialised instead of corrupting the file. The file runs in
SQLite's WAL mode, so readers never wait for a writer; a write killed half-way is
rolled back and reported by the next open (see :mod:`ykgeo.store.connection`). Each change of a
field is one row of the edit log (who, when recorded, when it happened, old and
new value), so any past state can be rebuilt: see :meth:`Store.read_layer`.

Two dates are kept for every change: ``effective_date`` (when the thing happened,
e.g. a ledger's 完成日期) and ``recorded_at`` (when the store learnt of it). "As of
30 September" means what had happened by then *as far as the store knew then*;
``known_at`` lets a caller ask what is known now about that date, which shows
later corrections as such.

The edit log (schema 2)
-----------------------
``ykgeo_edit_log`` has one row per event, typed and column by column (no JSON per value):

* ``log_id`` (ascending, the recording order), ``layer``, ``feature_id``, ``action``
  (``insert`` / ``update`` / ``delete``), ``field`` (the changed field or ``geometry``;
  NULL for inserts and deletes), ``effective_date`` (``YYYY-MM-DD``), ``recorded_at``
  (ISO time with offset), ``user``, ``source``, ``note``, ``version`` (the feature's
  version after the event), ``batch_id`` (one per transaction);
* the old and new value of an update in the column of its type: ``old_text`` /
  ``new_text`` for text and dates (ISO), ``old_number`` / ``new_number`` (REAL) for
  integers and decimals, ``old_geom`` / ``new_geom`` (ISO WKB, little-endian) for a
  geometry; :func:`ykgeo.store.history.log_value_columns` maps a field type to its pair;
* a delete keeps the feature's last values in ``old_text`` as one JSON object
  (fields plus ``geometry`` as WKB hex), so a past date still shows it.

Rows of the store's own records use reserved layer names that no layer can take:
``ykgeo_plans`` (feature id = the year, field ``plan``: each version of a year's plan, its
TOML in ``old_text`` / ``new_text``, see :mod:`ykgeo.store.plans`) and ``ykgeo_mujun``
(feature id = the year, field ``evaluation``: one row per 亩均 load, a JSON summary in
``new_text``, see :mod:`ykgeo.store.evaluations`). Layer reads, the status index and
:meth:`Store.history` never read them; a plan "as of" a date is picked from its versions
by effective date and recording time as a feature's state is.

Indexes: ``(layer, feature_id)`` for one feature's history and ``(layer, field,
effective_date)`` for the status index: a layer's inserts and deletes (``field IS
NULL``) and status changes (``field = <status field>``) as of any date are one indexed
query (see :meth:`Store.status_events`). Inserts of many rows get their log rows from
one ``INSERT … SELECT`` over the new feature rows. A store of schema 1 (JSON text in
``old_value`` / ``new_value``) is upgraded in one transaction when it is opened.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow as pa
from pyproj import Transformer

from ykgeo.crs import CGCS2000
from ykgeo.errors import StoreError
from ykgeo.layers import (
    LayerRegistry,
    LayerSpec,
    TargetPlan,
    load_layers,
    registry_from_texts,
)
from ykgeo.store import gpkg, migrate, styles
from ykgeo.store.batch import BACKDATED_TABLE, LOG_COLUMNS, LOG_INDEXES, LOG_TABLE
from ykgeo.store.connection import (
    DEFAULT_BUSY_TIMEOUT_S,
    META_TABLE,
    Recovery,
    StoreFile,
    change_key,
    sidecar_files,
)
from ykgeo.store.dates import TZ, end_of_day, now, stamp
from ykgeo.store.envelopes import LayerEnvelopes, read_envelopes
from ykgeo.store.history import as_of_layer, retype
from ykgeo.store.imports import StoreImporter
from ykgeo.store.log import (
    STATUS_COLUMNS,
    decode_values,
    history_where,
    read_features,
    read_log,
    read_log_table,
    sql_text,
)
from ykgeo.store.plans import write_plan_version
from ykgeo.store.records import StoreRecords

__all__ = ["DataVersion", "Store"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

PLAN_TABLE = "ykgeo_plans"
LAYER_TABLE = "ykgeo_layers"
SCHEMA_VERSION = "2"
#: The typed log columns read for a layer's history (see the module docstring).
HISTORY_COLUMNS = (
    "log_id", "feature_id", "action", "field", "old_text", "new_text", "old_number",
    "new_number", "old_geom", "new_geom", "effective_date", "recorded_at", "version", "user",
)  # fmt: skip

_LOG_DDL = f"""CREATE TABLE {LOG_TABLE} (
  log_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  layer TEXT NOT NULL, feature_id TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
  field TEXT,
  old_text TEXT, new_text TEXT, old_number REAL, new_number REAL, old_geom BLOB, new_geom BLOB,
  effective_date DATE NOT NULL, recorded_at TEXT NOT NULL,
  user TEXT NOT NULL, source TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL, batch_id TEXT NOT NULL)"""
_BACKDATED_DDL = (
    f"CREATE TABLE {BACKDATED_TABLE} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
    "layer TEXT NOT NULL, feature_id TEXT NOT NULL, UNIQUE (layer, feature_id))"
)
_LOG_INDEXES = tuple(LOG_INDEXES.values())


_stamp = stamp


@dataclass(frozen=True)
class DataVersion:
    """Identifies the content of a store: the last edit-log entry and when it was recorded."""

    log_id: int
    recorded_at: str
    store_name: str

    def label_zh(self) -> str:
        """Text for reports: 数据版本 v123（2022-09-30T17:00:00+08:00）."""
        return f"数据版本 v{self.log_id}（{self.recorded_at or '空库'}）"


class Store(StoreRecords, StoreImporter):
    """A ykgeo project: one GeoPackage file that QGIS and ArcGIS open as it is.

    Parameters
    ----------
    path
        The ``.gpkg`` file; it must exist and be a ykgeo store (use :meth:`create`).
    layers
        Layer definitions (default: the shipped ``layers/``).
    busy_timeout_s
        How long a write waits while another process writes, before it gives up with
        :class:`~ykgeo.errors.StoreBusyError` (「项目库正被他人写入，请稍后重试」).

    Attributes
    ----------
    recovery
        What the opening found and undid: a write interrupted by a crash (also logged), or None.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        layers: LayerRegistry | None = None,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    ) -> None:
        self.path = Path(path)
        if not self.path.exists():
            msg = f"找不到项目库文件：{self.path}"
            raise StoreError(msg, message_en=f"store not found: {self.path}")
        self._file = StoreFile(self.path, busy_timeout_s=busy_timeout_s)
        self.recovery: Recovery | None = self._file.recover()
        with self._read() as conn:
            is_store = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (META_TABLE,)
            ).fetchone()
            if not is_store:
                msg = f"{self.path.name} 不是 ykgeo 项目库（GeoPackage 中没有 {META_TABLE} 表）"
                raise StoreError(msg, message_en=f"{self.path.name} is not a ykgeo store")
            meta = dict(conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
            has_layers = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (LAYER_TABLE,)
            ).fetchone()
            texts = (
                dict(conn.execute(f"SELECT key, layer_toml FROM {LAYER_TABLE}").fetchall())
                if has_layers
                else {}
            )
        if meta.get("schema_version") in migrate.UPGRADABLE:
            self._upgrade()
            meta["schema_version"] = SCHEMA_VERSION
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
            for stale in (path, *sidecar_files(path)):  # a WAL left beside would be replayed
                stale.unlink(missing_ok=True)
        tmp = path.with_name(path.name + ".creating")
        for stale in (tmp, *sidecar_files(tmp)):
            stale.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            created = (meta or {}).get("created_at") or _stamp(now())
            stamp_utc = (
                dt.datetime.fromisoformat(created)
                .astimezone(dt.UTC)
                .strftime("%Y-%m-%dT%H:%M:%S.000Z")
            )
            gpkg.register_functions(conn)
            gpkg.create_gpkg_core(conn)
            for spec in registry.values():
                gpkg.create_feature_table(
                    conn,
                    spec.key,
                    geometry_type=spec.geometry_type,
                    columns=[(f.name, f.type) for f in spec.fields],
                    id_column=spec.id_field,
                    identifier=spec.name_zh,
                    description=spec.description_zh or spec.name_en,
                    last_change=stamp_utc,
                )
            # QGIS opens every layer styled as in the app (statuses, labels, Chinese aliases)
            styles.write_layer_styles(
                conn, styles.style_rows(registry.values()), update_time=stamp_utc
            )
            gpkg.create_attribute_table(
                conn, LOG_TABLE, _LOG_DDL, description="编辑日志（只追加）", last_change=stamp_utc
            )
            for sql in _LOG_INDEXES:
                conn.execute(sql)
            gpkg.create_attribute_table(
                conn,
                BACKDATED_TABLE,
                _BACKDATED_DDL,
                description="有补录（倒签）事件的要素",
                last_change=stamp_utc,
            )
            gpkg.create_attribute_table(
                conn,
                META_TABLE,
                f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
                description="项目库信息",
                last_change=stamp_utc,
            )
            gpkg.create_attribute_table(
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
            gpkg.create_attribute_table(
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
                write_plan_version(
                    conn,
                    year=plan.year,
                    name_zh=plan.name_zh,
                    text=plan.toml_text,
                    user="项目库创建",
                    recorded_at=created,
                )
            conn.commit()
        finally:
            conn.close()
        tmp.replace(path)
        return cls(path, layers=registry)

    # --- connections --------------------------------------------------------------------------

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        """A read-only connection to the last committed state (never waits for a writer)."""
        return self._file.read()

    @contextmanager
    def _write(self, *, source: str = "", user: str = "") -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on any error so the content is exactly as before.

        ``source`` and ``user`` name the write in the crash marker, so that an interrupted
        write is reported by what it was.
        """
        with self._file.write(source=source, user=user) as conn:
            gpkg.register_functions(conn)
            yield conn

    def _upgrade(self) -> None:
        """Bring a store of an older schema to this one, in one transaction (see :mod:`ykgeo.store.migrate`)."""
        try:
            with self._write(source=f"升级项目库到版本 {SCHEMA_VERSION}") as conn:
                migrate.upgrade(
                    conn,
                    log_ddl=_LOG_DDL,
                    log_indexes=_LOG_INDEXES,
                    backdated_ddl=_BACKDATED_DDL,
                    version=SCHEMA_VERSION,
                )
        except StoreError as err:
            msg = f"{self.path.name} 是旧版项目库，升级到版本 {SCHEMA_VERSION} 失败（文件是否只读？）：{err}"
            raise StoreError(msg) from err

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

    def counts(self) -> dict[str, int]:
        """Number of features now in every layer the store has (:meth:`layer_keys` order), in one read."""
        keys = self.layer_keys()
        with self._read() as conn:
            return {k: int(conn.execute(f'SELECT COUNT(*) FROM "{k}"').fetchone()[0]) for k in keys}

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

    def layer_bounds(self, key: str, *, crs: int | None = None) -> list[float] | None:
        """The extent of layer ``key`` now (minx, miny, maxx, maxy) in EPSG:4490, or in ``crs``.

        Read from ``gpkg_contents``, which every write keeps up to date; None for an empty layer.
        """
        self.spec(key)
        with self._read() as conn:
            row = conn.execute(
                "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?", (key,)
            ).fetchone()
        if row is None or any(v is None for v in row):
            return None
        bounds = [float(v) for v in row]
        if crs is None or crs == 4490:
            return bounds
        left, bottom, right, top = bounds
        transformer = Transformer.from_crs(CGCS2000, crs, always_xy=True)
        minx, miny, maxx, maxy = transformer.transform_bounds(left, bottom, right, top)
        return [minx, miny, maxx, maxy]

    def write_styles(self) -> int:
        """Write (again) the QGIS/SLD default style of every layer to ``layer_styles``.

        For a store made before styles were written, or after its layer definitions changed.
        Styles a GIS user saved under another name are kept. Returns the number written.
        """
        keys = self.layer_keys()
        with self._write(source="写入图层样式") as conn:
            return styles.write_layer_styles(
                conn,
                styles.style_rows(self.spec(k) for k in keys),
                update_time=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            )

    def mtime_ns(self) -> int:
        """A number that changes with every committed write, for cache keys.

        Not only the file's modification time: in WAL mode a commit reaches the
        ``-wal`` file first (see :func:`ykgeo.store.connection.change_key`).
        """
        return change_key(self.path)

    # --- reading ------------------------------------------------------------------------------

    def _current(
        self, spec: LayerSpec, conn: sqlite3.Connection, fields: Collection[str] | None = None
    ) -> gpd.GeoDataFrame:
        """The layer's rows now (only ``fields`` and the id, if given), read on ``conn`` (one commit with a log read)."""
        keep = [f for f in spec.field_names if fields is None or f in fields]
        names = [spec.id_field, *[f for f in keep if f != spec.id_field]]
        frame, geoms = read_features(conn, spec.key, names)
        gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CGCS2000), crs=CGCS2000)
        return self._typed(gdf, spec)

    def _snapshot(
        self, spec: LayerSpec, where: str | None, fields: Collection[str] | None = None
    ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """The layer now (``fields`` of it, see :meth:`_current`) and its log rows matching ``where``, from one commit."""
        with self._read() as conn:
            conn.execute("BEGIN")
            current = self._current(spec, conn, fields)
            log = (
                read_log(conn, HISTORY_COLUMNS, where, ())
                if where
                else read_log(None, HISTORY_COLUMNS, "", ())
            )
            conn.execute("COMMIT")
        return current, log

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
            return self._snapshot(spec, None)[0]
        day = as_of or (known_at.astimezone(TZ).date() if known_at else now().date())
        horizon = known_at or end_of_day(day)
        current, log = self.history(key, unknown_at=(day, horizon))
        return as_of_layer(current, log, spec, day, stamp(horizon), partial=True)

    def read_envelopes(self, key: str, fields: Sequence[str] = ()) -> LayerEnvelopes:
        """The features of layer ``key`` now, lean: ``fields`` typed, envelopes, undecoded geometries.

        The same features, order and field values as :meth:`read_layer` gives for now,
        without decoding a geometry until asked (:class:`~ykgeo.store.envelopes.LayerEnvelopes`).
        """
        spec = self.spec(key)
        with self._read() as conn:
            return read_envelopes(conn, spec, fields)

    def layer_history(self, key: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """The current features of a layer and its whole edit log, read in one transaction.

        The log has the columns log_id, feature_id, action, field, old_value,
        new_value, effective_date, recorded_at, version, user, with the values
        decoded as :meth:`edit_log` gives them. To rebuild past dates use
        :meth:`history`, which reads the typed log and only the rows needed.
        """
        spec = self.spec(key)
        current, log = self._snapshot(spec, f"layer = {sql_text(key)}")
        return current, decode_values(log, self.layers, layer=key)

    def history(
        self,
        key: str,
        *,
        unknown_at: tuple[dt.date, dt.datetime] | None = None,
        fields: Collection[str] | None = None,
    ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        """The current features of a layer and its typed edit log (:data:`HISTORY_COLUMNS`), in one read.

        With ``unknown_at = (day, horizon)`` only the log of the features that have
        an event not known at the end of ``day`` as of ``horizon``, or a back-dated
        event (``ykgeo_backdated``), is read (the filter runs in SQL): enough to
        rebuild the layer at that date or any later one with
        :func:`ykgeo.store.history.as_of_layer` (``partial=True``), since every other
        feature stood then as it stands now. ``fields``: read only these fields of the
        current rows (the id, ``ykgeo_version`` and geometry always); the log is whole.
        """
        return self._snapshot(self.spec(key), history_where(key, unknown_at), fields)

    def status_events(self, key: str) -> pa.Table:
        """The status index of a layer: its inserts and status changes, oldest first.

        One indexed query over the typed log (``field IS NULL OR field = <status
        field>``, deletes left out) into Arrow, columns as :data:`ykgeo.store.log.STATUS_COLUMNS`:
        log_id, feature_id, insert (1 for an insert, 0 for a status change), old_text,
        new_text, effective_day (days since 1970-01-01), recorded_at. Progress
        counting reads this instead of the whole log.
        """
        spec = self.spec(key)
        status = spec.status.field if spec.status is not None else None
        where = f"layer = {sql_text(key)} AND action != 'delete' AND (field IS NULL"
        where += f" OR field = {sql_text(status)})" if status is not None else ")"
        with self._read() as conn:
            return read_log_table(conn, STATUS_COLUMNS, where)

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
        batch_id: str | None = None,
    ) -> pd.DataFrame:
        """The edit log (oldest first), optionally for one layer / feature / batch and a recording window."""
        clauses, params = [], []
        if batch_id:
            clauses.append("batch_id = ?")
            params.append(batch_id)
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
        with self._read() as conn:
            log = read_log(conn, LOG_COLUMNS.split(", "), " AND ".join(clauses) or "1", params)
        return decode_values(log, self.layers)

    # --- writing ------------------------------------------------------------------------------
