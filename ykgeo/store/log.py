"""Reading the typed edit log (schema 2) and the feature tables, and decoding log values for display.

Every read of the store goes through Python's :mod:`sqlite3`, the same SQLite library the
writes use, never through GDAL: GDAL (pyogrio's wheel) carries its own copy of SQLite, and
SQLite's locks are POSIX locks, held per process. When a second copy of SQLite in the same
process opens and closes the store, the locks the first copy holds are silently dropped
(SQLite's "how to corrupt" notes, §2.2.1): a write transaction of this process then no longer
keeps other processes out, and readers see "database disk image is malformed" while another
process commits. ``tests/store/test_one_sqlite.py`` shows both.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from ykgeo.layers import LayerRegistry
from ykgeo.store.batch import BACKDATED_TABLE
from ykgeo.store.collector import collector_paused
from ykgeo.store.dates import stamp
from ykgeo.store.gpkg import decode_geometries
from ykgeo.store.history import GEOMETRY_FIELD

__all__ = [
    "STATUS_COLUMNS",
    "decode_values",
    "history_where",
    "read_features",
    "read_log",
    "read_log_table",
    "sql_text",
]

_INT_COLUMNS = ("log_id", "version")
_FLOAT_COLUMNS = ("old_number", "new_number")


@collector_paused()  # a tuple per row: no collector passes over them
def read_log(
    conn: sqlite3.Connection | None, columns: Sequence[str], where: str, params: Sequence[Any]
) -> pd.DataFrame:
    """Log rows (oldest first) as a typed frame: ids and versions int64, numbers float64, the rest objects."""
    rows = (
        conn.execute(
            f"SELECT {', '.join(columns)} FROM ykgeo_edit_log WHERE {where} ORDER BY log_id", params
        ).fetchall()
        if conn is not None
        else []
    )
    data: dict[str, Any] = {}
    for name, values in zip(
        columns, zip(*rows, strict=True) if rows else [()] * len(columns), strict=True
    ):
        if name in _INT_COLUMNS:
            data[name] = np.fromiter(values, dtype=np.int64, count=len(rows))
        elif name in _FLOAT_COLUMNS:
            data[name] = np.array([np.nan if v is None else v for v in values], dtype="float64")
        else:
            data[name] = np.array(values, dtype=object)
    return _frame(data, columns)


def _value(text: Any, number: Any, geom: Any, ftype: str) -> Any:
    if geom is not None:
        return bytes(geom).hex().upper()  # as shapely writes WKB hex
    if text is not None:
        return text
    if number is None or (isinstance(number, float) and np.isnan(number)):
        return None
    return int(number) if ftype == "int" and float(number).is_integer() else float(number)


def decode_values(
    log: pd.DataFrame, layers: LayerRegistry, layer: str | None = None
) -> pd.DataFrame:
    """``old_value`` / ``new_value`` (after ``field``) as Python values in place of the typed columns.

    Text and dates as text, integers as int, decimals as float, a geometry as WKB
    hex, a deleted feature's snapshot as a dict (as the log of schema 1 gave them).
    ``layer`` names the layer of every row when the frame has no ``layer`` column.
    """
    types = {(spec.key, f.name): f.type for spec in layers.values() for f in spec.fields}
    owners = log["layer"].tolist() if "layer" in log else [layer] * len(log)
    decoded: dict[str, list[Any]] = {}
    for side in ("old", "new"):
        values: list[Any] = []
        for owner, name, action, text, number, geom in zip(
            owners, log["field"], log["action"], log[f"{side}_text"], log[f"{side}_number"],
            log[f"{side}_geom"], strict=True,
        ):  # fmt: skip
            if action == "delete" and text is not None:
                values.append(json.loads(text))
            else:
                ftype = GEOMETRY_FIELD if name == GEOMETRY_FIELD else types.get((owner, name), "")
                values.append(_value(text, number, geom, ftype))
        decoded[f"{side}_value"] = values
    out = log.drop(columns=[c for c in log.columns if c[:4] in ("old_", "new_")])
    at = list(out.columns).index("field") + 1
    out.insert(at, "old_value", decoded["old_value"])
    out.insert(at + 1, "new_value", decoded["new_value"])
    return out


def _frame(data: dict[str, Any], columns: Sequence[str]) -> pd.DataFrame:
    """A frame of the given columns; object columns stay object (no per-value string inference)."""
    return pd.DataFrame(
        {
            name: pd.Series(data[name], dtype=object, copy=False)
            if np.asarray(data[name]).dtype == object
            else data[name]
            for name in columns
        },
        columns=list(columns),
    )


def history_where(layer: str, unknown_at: tuple[dt.date, dt.datetime] | None) -> str:
    """The SQL condition for the log rows of ``layer`` that :meth:`ykgeo.store.Store.history` reads.

    With ``unknown_at = (day, horizon)`` only those of the features that have an event not
    known at the end of ``day`` as of ``horizon``, or a back-dated one.
    """
    where = f"layer = {sql_text(layer)}"
    if unknown_at is not None:
        day, horizon = unknown_at
        where += (
            " AND feature_id IN (SELECT feature_id FROM ykgeo_edit_log "
            f"WHERE layer = {sql_text(layer)} AND NOT (effective_date <= {sql_text(day.isoformat())} "
            f"AND recorded_at < {sql_text(stamp(horizon))}) "
            f"UNION SELECT feature_id FROM {BACKDATED_TABLE} WHERE layer = {sql_text(layer)})"
        )
    return where


def sql_text(value: str) -> str:
    """``value`` as an SQL string literal (for queries run through GDAL, which take no parameters)."""
    return "'" + value.replace("'", "''") + "'"


#: The status index's columns: the SQL that gives each from a log row, and its Arrow type.
#: SQLite does the per-row work it can (the action as a flag, the ISO date as days since
#: 1970-01-01), so Python gets integers in place of text.
STATUS_COLUMNS: dict[str, tuple[str, pa.DataType]] = {
    "log_id": ("log_id", pa.int64()),
    "feature_id": ("feature_id", pa.string()),
    "insert": ("action = 'insert'", pa.int8()),
    "old_text": ("old_text", pa.string()),
    "new_text": ("new_text", pa.string()),
    "effective_day": ("CAST(julianday(effective_date) - 2440587.5 AS INTEGER)", pa.int32()),
    "recorded_at": ("recorded_at", pa.string()),
}


@collector_paused()  # a tuple per row: no collector passes over them
def read_log_table(
    conn: sqlite3.Connection, columns: Mapping[str, tuple[str, pa.DataType]], where: str
) -> pa.Table:
    """Log rows (oldest first) as an Arrow table: ``columns`` maps each name to (SQL, Arrow type).

    ``where`` is SQL with its values inlined (:func:`sql_text`); the filter runs in
    SQLite. Read through the same SQLite library as every other access to the store
    (see :mod:`ykgeo.store.log` on why not through GDAL); Arrow takes the rows'
    tuples as struct values, one pass in C.
    """
    select = ", ".join(sql for sql, _ in columns.values())
    rows = conn.execute(
        f"SELECT {select} FROM ykgeo_edit_log WHERE {where} ORDER BY log_id"
    ).fetchall()
    kind = pa.struct([(name, dtype) for name, (_, dtype) in columns.items()])
    return pa.Table.from_struct_array(pa.array(rows, type=kind))


@collector_paused()  # a tuple per row: no collector passes over them
def read_features(
    conn: sqlite3.Connection, layer: str, names: Sequence[str]
) -> tuple[pd.DataFrame, npt.NDArray[np.object_]]:
    """A feature table's fields (``names`` and ykgeo_version, in fid order, as stored) and its geometries."""
    cols = ", ".join(f'"{n}"' for n in [*names, "ykgeo_version"])
    rows = conn.execute(f'SELECT {cols}, geom FROM "{layer}" ORDER BY fid').fetchall()
    values = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 2)
    data = {
        name: np.array(column, dtype=object) for name, column in zip(names, values, strict=False)
    }
    data["ykgeo_version"] = np.fromiter(values[-2], dtype=np.int64, count=len(rows))
    return _frame(data, [*names, "ykgeo_version"]), decode_geometries(values[-1])
