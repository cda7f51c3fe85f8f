"""Reading the typed edit log (schema 2) column by column, and decoding its values for display."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from ykgeo.layers import LayerRegistry
from ykgeo.store.history import GEOMETRY_FIELD

__all__ = [
    "LOG_TYPES",
    "decode_values",
    "read_features_arrow",
    "read_log",
    "read_log_arrow",
    "sql_text",
]

_INT_COLUMNS = ("log_id", "version")
_FLOAT_COLUMNS = ("old_number", "new_number")


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


def sql_text(value: str) -> str:
    """``value`` as an SQL string literal (for queries run through GDAL, which take no parameters)."""
    return "'" + value.replace("'", "''") + "'"


def _column(table: pa.Table, name: str) -> npt.NDArray[Any]:
    col = table.column(name)
    if pa.types.is_date(col.type):
        col = pc.cast(col, pa.string())
    if pa.types.is_integer(col.type) and col.null_count == 0:
        return np.asarray(col.to_numpy(), dtype=np.int64)
    if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype="float64")
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)


LOG_TYPES = {
    "log_id": pa.int64(),
    "version": pa.int64(),
    "old_number": pa.float64(),
    "new_number": pa.float64(),
    "old_geom": pa.binary(),
    "new_geom": pa.binary(),
    "effective_date": pa.date32(),
}


def read_log_table(path: Path, columns: Sequence[str], where: str) -> pa.Table:
    """Log rows (oldest first) as an Arrow table read through GDAL; the filter runs in SQLite.

    ``where`` is SQL with its values inlined (:func:`sql_text`). ``log_id`` comes
    back as the result's feature id. A column GDAL leaves out (no row with a value)
    is added as nulls of its type, so the table always has ``columns``.
    """
    others = [c for c in columns if c != "log_id"]
    _, table = pyogrio.read_arrow(
        path,
        sql=f"SELECT log_id, {', '.join(others)} FROM ykgeo_edit_log WHERE {where} ORDER BY log_id",
        return_fids=True,
    )
    arrays = [
        table.column(c)
        if c in table.column_names
        else pa.nulls(table.num_rows, LOG_TYPES.get(c, pa.string()))
        for c in columns
    ]
    return pa.table(arrays, names=list(columns))


def read_log_arrow(path: Path, columns: Sequence[str], where: str) -> pd.DataFrame:
    """Log rows (oldest first) read through GDAL into Arrow, typed as :func:`read_log` types them.

    ``where`` is SQL with its values inlined (:func:`sql_text`); the filter runs in
    SQLite. ``log_id`` comes back as the result's feature id.
    """
    others = [c for c in columns if c != "log_id"]
    _, table = pyogrio.read_arrow(
        path,
        sql=f"SELECT log_id, {', '.join(others)} FROM ykgeo_edit_log WHERE {where} ORDER BY log_id",
        return_fids=True,
    )
    data = {}
    for name in columns:
        if name in table.column_names:
            data[name] = _column(table, name)
        else:  # GDAL leaves out columns it cannot type when no row has a value
            data[name] = np.full(table.num_rows, None if name not in _FLOAT_COLUMNS else np.nan)
    frame = _frame(data, columns)
    for name in _FLOAT_COLUMNS:
        if name in frame:
            frame[name] = frame[name].astype("float64")
    for name in _INT_COLUMNS:
        if name in frame:
            frame[name] = frame[name].astype("int64")
    return frame


def read_features_arrow(
    path: Path, layer: str, names: Sequence[str]
) -> tuple[pd.DataFrame, npt.NDArray[np.object_]]:
    """A feature table's fields (``names`` and ykgeo_version, in fid order) and its geometries, through GDAL's Arrow reader."""
    meta, table = pyogrio.read_arrow(path, layer=layer)
    geometry = meta["geometry_name"] or "geom"
    data = {}
    for name in [*names, "ykgeo_version"]:
        data[name] = (
            _column(table, name) if name in table.column_names else np.full(table.num_rows, None)
        )
    wkb = (
        table.column(geometry).to_numpy(zero_copy_only=False)
        if table.num_rows
        else np.zeros(0, dtype=object)
    )
    return _frame(data, [*names, "ykgeo_version"]), shapely.from_wkb(np.asarray(wkb, dtype=object))
