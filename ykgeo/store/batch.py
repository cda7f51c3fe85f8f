"""One write's edit-log rows: the log's tables, values split over its typed columns, the batch written at the end.

Every write of the store (edits, imports, deletions, reverts, plans, 亩均 loads) collects
its log rows in a :class:`Batch` and writes them at once under one batch id
(:func:`insert_log_rows`); rows inserted in bulk get theirs from one ``INSERT … SELECT``
over the feature table (:func:`log_inserts`). :func:`mark_backdated` keeps the
``ykgeo_backdated`` table that as-of reads rely on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from ykgeo.layers import LayerSpec

__all__ = [
    "BACKDATED_TABLE",
    "LOG_COLUMNS",
    "LOG_INDEXES",
    "LOG_TABLE",
    "Batch",
    "Inserted",
    "drop_for_bulk",
    "insert_log_rows",
    "log_inserts",
    "mark_backdated",
    "typed_value",
]

LOG_TABLE = "ykgeo_edit_log"
#: The log's indexes: one feature's history; a layer's lifecycle and status events by date.
LOG_INDEXES = {
    f"idx_{LOG_TABLE}_feature": f"CREATE INDEX idx_{LOG_TABLE}_feature ON {LOG_TABLE} (layer, feature_id)",
    f"idx_{LOG_TABLE}_field": (
        f"CREATE INDEX idx_{LOG_TABLE}_field ON {LOG_TABLE} (layer, field, effective_date)"
    ),
}
#: Features with a back-dated event (see :func:`mark_backdated`).
BACKDATED_TABLE = "ykgeo_backdated"
#: The edit log's columns after the layer and before the dates, in table order.
LOG_COLUMNS = (
    "log_id, layer, feature_id, action, field, old_text, new_text, old_number, new_number, "
    "old_geom, new_geom, effective_date, recorded_at, user, source, note, version, batch_id"
)


def typed_value(value: Any) -> tuple[str | None, float | None, bytes | None]:
    """A stored value split over the log's typed columns (text, number, geometry WKB)."""
    if value is None:
        return None, None, None
    if isinstance(value, bytes):
        return None, None, value
    if isinstance(value, dict):  # a deleted feature's last values, kept as one JSON document
        return json.dumps(value, ensure_ascii=False), None, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None, float(value), None
    return str(value), None, None


@dataclass
class Inserted:
    """New rows of one layer inserted in this transaction: their log rows are made in SQL at flush."""

    spec: LayerSpec
    first_fid: int
    count: int
    first_id: str
    last_id: str
    default_day: dt.date


@dataclass
class Batch:
    """Log rows of one transaction, written at once."""

    user: str
    source: str
    recorded_at: str
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    inserted: list[Inserted] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows) + sum(i.count for i in self.inserted)

    @property
    def batch_id(self) -> str:
        """Identifies the batch: a digest of who, when and what, so the same history gives the same ids."""
        bulk = [(i.spec.key, i.count, i.first_id, i.last_id) for i in self.inserted]
        digest = hashlib.sha1(
            repr(
                (
                    self.recorded_at,
                    self.user,
                    self.source,
                    len(self),
                    bulk,
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
        old_text, old_number, old_geom = typed_value(old)
        new_text, new_number, new_geom = typed_value(new)
        self.rows.append(
            (
                layer,
                feature_id,
                action,
                field_name,
                old_text,
                new_text,
                old_number,
                new_number,
                old_geom,
                new_geom,
                effective.isoformat(),
                self.recorded_at,
                self.user,
                self.source,
                note,
                version,
            )
        )


def log_inserts(conn: sqlite3.Connection, ins: Inserted, batch: Batch, batch_id: str) -> None:
    """The insert rows of the log for rows inserted in bulk, made by SQL from the feature table.

    An insert is dated ``default_day``, or the feature's completion date when it
    arrives already done with an earlier date.
    """
    spec, status = ins.spec, ins.spec.status
    day = ins.default_day.isoformat()
    params: list[Any] = [spec.key]
    if status is not None and status.date_field and status.done:
        marks = ", ".join("?" for _ in status.done)
        when = (
            f'CASE WHEN "{status.field}" IN ({marks}) AND "{status.date_field}" IS NOT NULL '
            f'AND "{status.date_field}" != \'\' AND "{status.date_field}" < ? '
            f'THEN substr("{status.date_field}", 1, 10) ELSE ? END'
        )
        params += [*status.done, day, day]
    else:
        when = "?"
        params.append(day)
    params += [
        batch.recorded_at,
        batch.user,
        batch.source,
        batch_id,
        ins.first_fid,
        ins.first_fid + ins.count,
    ]
    conn.execute(
        f"INSERT INTO {LOG_TABLE} (layer, feature_id, action, effective_date, recorded_at, user, "
        f"source, note, version, batch_id) SELECT ?, \"{spec.id_field}\", 'insert', {when}, ?, ?, ?, "
        f"'', 1, ? FROM \"{spec.key}\" WHERE fid >= ? AND fid < ? ORDER BY fid",
        params,
    )


def insert_log_rows(conn: sqlite3.Connection, batch: Batch) -> None:
    """Write the rows a batch collected (:meth:`Batch.add`) to the edit log, under the batch's id."""
    batch_id = batch.batch_id
    conn.executemany(
        f"INSERT INTO {LOG_TABLE} (layer, feature_id, action, field, old_text, new_text, "
        "old_number, new_number, old_geom, new_geom, effective_date, recorded_at, user, source, "
        "note, version, batch_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [(*row, batch_id) for row in batch.rows],
    )


def mark_backdated(conn: sqlite3.Connection, *, after: int = 0) -> None:
    """Record the features whose log rows after ``after`` include a back-dated event.

    An event is back-dated when an earlier-recorded event of the same feature and
    field (or of its lifecycle: inserts and deletes) is effective later. Only then
    can the feature's state with everything known differ from its current row, so
    an as-of rebuild needs the log of these features and of those with events not
    yet known, and no other (:meth:`ykgeo.store.Store.history`).
    """
    if after == 0:  # the whole log: one ordered pass instead of a lookup per row
        conn.execute(
            f"INSERT OR IGNORE INTO {BACKDATED_TABLE} (layer, feature_id) "
            "SELECT DISTINCT layer, feature_id FROM (SELECT layer, feature_id, effective_date, "
            "max(effective_date) OVER (PARTITION BY layer, feature_id, field ORDER BY log_id "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before "
            f"FROM {LOG_TABLE}) WHERE before > effective_date"
        )
        return
    conn.execute(
        f"INSERT OR IGNORE INTO {BACKDATED_TABLE} (layer, feature_id) "
        f"SELECT DISTINCT n.layer, n.feature_id FROM {LOG_TABLE} AS n WHERE n.log_id > ? "
        f"AND EXISTS (SELECT 1 FROM {LOG_TABLE} AS o INDEXED BY idx_{LOG_TABLE}_feature "
        "WHERE o.layer = n.layer AND o.feature_id = n.feature_id AND o.field IS n.field "
        "AND o.log_id < n.log_id AND o.effective_date > n.effective_date)",
        (after,),
    )


def drop_for_bulk(conn: sqlite3.Connection, kind: str, name: str) -> list[str]:
    """Drop a trigger or index inside the transaction; returns the SQL that recreates it (none if absent)."""
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = ? AND name = ?", (kind, name)
    ).fetchone()
    if row is None or row[0] is None:
        return []
    conn.execute(f'DROP {kind.upper()} "{name}"')
    return [row[0]]
