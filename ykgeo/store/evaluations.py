"""Yearly firm evaluations (亩均效益评价) kept in the store: one table of rows per year, loaded at once and logged.

The store keeps what was loaded, as classified when it was loaded (the rules' text is
kept with it), so a candidate list can always say which evaluation it rests on. Each
load is one transaction with one edit-log row (pseudo-layer ``ykgeo_mujun``, feature id =
the year, field ``evaluation``) saying who loaded which file when; its ``new_text`` is a JSON
summary of the load (rows, source, classes).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ykgeo.errors import StoreError
from ykgeo.store import gpkg
from ykgeo.store.batch import Batch
from ykgeo.store.dates import now, stamp
from ykgeo.store.plans import insert_log_rows

__all__ = [
    "EVALUATION_COLUMNS",
    "EVALUATION_LAYER",
    "EVALUATION_TABLE",
    "EVALUATION_YEARS",
    "has_evaluations",
    "read_evaluation",
    "read_evaluation_years",
    "write_evaluation",
]

EVALUATION_TABLE = "ykgeo_mujun"
EVALUATION_YEARS = "ykgeo_mujun_years"
#: The edit log's layer name for evaluation loads.
EVALUATION_LAYER = EVALUATION_TABLE
#: Stored column, SQL type, and the Chinese column of the frames read and written.
EVALUATION_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("row", "INTEGER", "行号"),
    ("credit_code", "TEXT", "统一社会信用代码"),
    ("firm", "TEXT", "企业名称"),
    ("tax_per_mu", "REAL", "亩均税收"),
    ("value_added_per_mu", "REAL", "亩均增加值"),
    ("value_added_per_energy", "REAL", "单位能耗增加值"),
    ("land_mu", "REAL", "用地面积"),
    ("class_given", "TEXT", "评价类别"),
    ("score", "REAL", "得分"),
    ("class", "TEXT", "类别"),
    ("class_source", "TEXT", "类别来源"),
    ("lon", "REAL", "经度"),
    ("lat", "REAL", "纬度"),
)
_YEAR_COLUMNS = ("year", "source", "user", "recorded_at", "rows", "rules", "rules_toml")


def has_evaluations(conn: sqlite3.Connection) -> bool:
    """Whether the store has the evaluation tables (a store made before them has none)."""
    return bool(
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (EVALUATION_YEARS,)
        ).fetchone()
    )


def _ensure_tables(conn: sqlite3.Connection, when: str) -> None:
    if has_evaluations(conn):
        return
    stamp_utc = (
        dt.datetime.fromisoformat(when).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    )
    cols = ", ".join(f'"{c}" {t}' for c, t, _ in EVALUATION_COLUMNS)
    gpkg.create_attribute_table(
        conn,
        EVALUATION_TABLE,
        f"CREATE TABLE {EVALUATION_TABLE} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
        f"year INTEGER NOT NULL, {cols})",
        description="亩均效益评价（按年度）",
        last_change=stamp_utc,
    )
    gpkg.create_attribute_table(
        conn,
        EVALUATION_YEARS,
        f"CREATE TABLE {EVALUATION_YEARS} (year INTEGER PRIMARY KEY NOT NULL, source TEXT NOT NULL, "
        "user TEXT NOT NULL, recorded_at TEXT NOT NULL, rows INTEGER NOT NULL, rules TEXT NOT NULL, "
        "rules_toml TEXT NOT NULL)",
        description="亩均效益评价的导入记录",
        last_change=stamp_utc,
    )


def read_evaluation_years(conn: sqlite3.Connection) -> pd.DataFrame:
    """The years loaded (year, source, user, recorded_at, rows, rules, rules_toml); empty when none."""
    if not has_evaluations(conn):
        return pd.DataFrame(columns=list(_YEAR_COLUMNS))
    return pd.read_sql_query(
        f"SELECT {', '.join(_YEAR_COLUMNS)} FROM {EVALUATION_YEARS} ORDER BY year", conn
    )


def read_evaluation(conn: sqlite3.Connection, year: int) -> pd.DataFrame:
    """One year's rows with Chinese column names, in the order they were loaded; StoreError when not loaded."""
    frame = (
        pd.read_sql_query(
            f"SELECT * FROM {EVALUATION_TABLE} WHERE year = ? ORDER BY fid", conn, params=(year,)
        )
        if has_evaluations(conn)
        else pd.DataFrame()
    )
    if frame.empty:
        msg = (
            f"项目库中没有 {year} 年的亩均效益评价（用 ykgeo mujun import 文件 --year {year} 导入）"
        )
        raise StoreError(msg)
    out = frame[[c for c, _, _ in EVALUATION_COLUMNS]].rename(
        columns={c: zh for c, _, zh in EVALUATION_COLUMNS}
    )
    for _, kind, zh in EVALUATION_COLUMNS:
        if kind == "REAL":
            out[zh] = pd.to_numeric(out[zh], errors="coerce").astype("float64")
        elif kind == "TEXT":
            out[zh] = out[zh].astype(object).where(out[zh].notna(), None)
    return out


def _python(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    item = getattr(value, "item", None)
    return (
        item() if callable(item) else value
    )  # numpy scalars as Python ones (sqlite stores them as blobs)


def write_evaluation(
    conn: sqlite3.Connection,
    *,
    year: int,
    frame: pd.DataFrame,
    source: str,
    user: str,
    rules_zh: str,
    rules_toml: str,
    replace: bool = False,
    recorded_at: dt.datetime | None = None,
    summary: dict[str, Any] | None = None,
) -> int:
    """Write one year's classified rows inside the caller's transaction; returns the rows written.

    ``frame`` has the Chinese columns of :data:`EVALUATION_COLUMNS`. A year already
    loaded is refused unless ``replace``.
    """
    if not user.strip():
        msg = "导入亩均评价必须记录操作人"
        raise StoreError(msg)
    when = stamp(recorded_at or now())
    _ensure_tables(conn, when)
    old = conn.execute(
        f"SELECT source, recorded_at, user FROM {EVALUATION_YEARS} WHERE year = ?", (year,)
    ).fetchone()
    if old and not replace:
        msg = (
            f"{year} 年的亩均评价已于 {old[1][:10]} 由 {old[2]} 从 {old[0]} 导入，本次未导入。"
            "如确要替换，请加 --replace"
        )
        raise StoreError(msg)
    conn.execute(f"DELETE FROM {EVALUATION_TABLE} WHERE year = ?", (year,))
    columns: Sequence[list[Any]] = [frame[zh].tolist() for _, _, zh in EVALUATION_COLUMNS]
    rows = [(year, *map(_python, values)) for values in zip(*columns, strict=True)]
    names = ", ".join(f'"{c}"' for c, _, _ in EVALUATION_COLUMNS)
    marks = ", ".join("?" for _ in range(len(EVALUATION_COLUMNS) + 1))
    conn.executemany(f"INSERT INTO {EVALUATION_TABLE} (year, {names}) VALUES ({marks})", rows)
    conn.execute(
        f"INSERT OR REPLACE INTO {EVALUATION_YEARS} VALUES (?, ?, ?, ?, ?, ?, ?)",
        (year, source, user, when, len(rows), rules_zh, rules_toml),
    )
    batch = Batch(user=user, source=source, recorded_at=when)
    batch.add(
        EVALUATION_LAYER,
        str(year),
        "update" if old else "insert",
        "evaluation",
        None,
        {"rows": len(rows), "source": source, **(summary or {})},
        dt.date.fromisoformat(when[:10]),
        1,
    )
    insert_log_rows(conn, batch)
    return len(rows)
