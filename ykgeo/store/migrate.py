"""Upgrading a store file of an older schema to the current one, in the caller's write transaction.

Schema 1 kept each old and new value of the edit log as JSON text (``old_value`` /
``new_value``). Schema 2 keeps them typed (see :mod:`ykgeo.store`): the log is
copied row by row in ``log_id`` order into the new table, each value moved to the
column of its type (a record of the store's own, such as a 亩均 load's summary, as one JSON
document in the text column), and the old table dropped, all in one transaction, so a failed
upgrade leaves the file exactly as it was. Feature tables are left as they are.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from ykgeo.store.batch import mark_backdated

__all__ = ["UPGRADABLE", "upgrade"]

#: Schema versions this module upgrades from.
UPGRADABLE = ("1",)
_LOG = "ykgeo_edit_log"
_META = "ykgeo_meta"
_CHUNK = 50_000


def _split(raw: str | None, field: str | None, action: str) -> tuple[Any, Any, Any]:
    """A schema-1 JSON value as (text, number, geometry WKB)."""
    if raw is None:
        return None, None, None
    if action == "delete":  # a deleted feature's snapshot stays one JSON document
        return raw, None, None
    value = json.loads(raw)
    if value is None:
        return None, None, None
    if field == "geometry":
        return None, None, bytes.fromhex(value)
    if isinstance(value, bool):
        return None, float(value), None
    if isinstance(value, int | float):
        return None, float(value), None
    if isinstance(value, dict | list):  # a record of the store's own (a 亩均 load's summary)
        return json.dumps(value, ensure_ascii=False), None, None
    return str(value), None, None


def _rows(conn: sqlite3.Connection, table: str) -> Iterator[list[tuple[Any, ...]]]:
    cursor = conn.execute(
        f"SELECT log_id, layer, feature_id, action, field, old_value, new_value, effective_date, "
        f"recorded_at, user, source, note, version, batch_id FROM {table} ORDER BY log_id"
    )
    while chunk := cursor.fetchmany(_CHUNK):
        out = []
        for log_id, layer, fid, action, field, old, new, *rest in chunk:
            old_t, old_n, old_g = _split(old, field, action)
            new_t, new_n, new_g = _split(new, field, action)
            out.append(
                (log_id, layer, fid, action, field, old_t, new_t, old_n, new_n, old_g, new_g, *rest)
            )
        yield out


def upgrade(
    conn: sqlite3.Connection,
    *,
    log_ddl: str,
    log_indexes: Sequence[str],
    backdated_ddl: str,
    version: str,
) -> None:
    """Upgrade the store behind ``conn`` (inside a write transaction) to ``version``; a no-op if it is already."""
    found = conn.execute(f"SELECT value FROM {_META} WHERE key = 'schema_version'").fetchone()
    if found is None or found[0] not in UPGRADABLE:
        return  # upgraded meanwhile by another process, or not ours to upgrade
    old = f"{_LOG}_schema{found[0]}"
    conn.execute(f'ALTER TABLE "{_LOG}" RENAME TO "{old}"')
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (old,),
    ).fetchall():
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute(log_ddl)
    for rows in _rows(conn, old):
        conn.executemany(
            f"INSERT INTO {_LOG} (log_id, layer, feature_id, action, field, old_text, new_text, "
            "old_number, new_number, old_geom, new_geom, effective_date, recorded_at, user, source, "
            "note, version, batch_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    conn.execute(f'DROP TABLE "{old}"')
    for sql in log_indexes:
        conn.execute(sql)
    conn.execute(backdated_ddl)
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
        "SELECT 'ykgeo_backdated', 'attributes', 'ykgeo_backdated', '有补录（倒签）事件的要素', "
        "last_change FROM gpkg_contents WHERE table_name = ?",
        (_LOG,),
    )
    mark_backdated(conn)
    conn.execute(f"UPDATE {_META} SET value = ? WHERE key = 'schema_version'", (version,))
