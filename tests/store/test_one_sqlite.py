"""Reads of the store keep this process's locks: the store is read through one SQLite library.

GDAL (pyogrio's wheel) carries its own copy of SQLite. SQLite's locks are POSIX locks, held per
process: when a second copy of SQLite in the process opens and closes the store, the first
copy's locks are dropped. A read through GDAL in a process that is writing (the app: one
session imports while another reads the map) let another process take the write lock too.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from ykgeo.progress import progress_report
from ykgeo.store import Store, now

_TRY_TO_WRITE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
try:
    conn.execute("BEGIN IMMEDIATE")
except sqlite3.OperationalError as err:
    print("refused:", err)
else:
    print("GOT THE WRITE LOCK")
    conn.execute("ROLLBACK")
"""


def _other_process_writes(path: Path) -> str:
    run = subprocess.run(
        [sys.executable, "-c", _TRY_TO_WRITE, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run.stdout.strip()


@pytest.mark.parametrize(
    "read",
    ["layer now", "layer as of", "layer history", "status index", "progress report"],
)
def test_reading_while_this_process_writes_keeps_other_writers_out(
    store_path: Path, read: str
) -> None:
    store = Store(store_path)
    key = "low_efficiency_industrial"
    day = dt.date(2022, 9, 30)
    reads = {
        "layer now": lambda: store.read_layer(key),
        "layer as of": lambda: store.read_layer(key, as_of=day, known_at=now()),
        "layer history": lambda: store.layer_history(key),
        "status index": lambda: store.status_events(key),
        "progress report": lambda: progress_report(store, as_of=day),
    }
    with store._write(source="测试：写入中读取") as conn:
        conn.execute("SELECT COUNT(*) FROM ykgeo_edit_log").fetchone()
        assert _other_process_writes(store_path).startswith("refused")
        reads[read]()  # another session of the same process reads meanwhile
        assert _other_process_writes(store_path).startswith("refused"), (
            f"after a read ({read}) in the writing process, another process could write too"
        )


def test_a_layer_and_its_log_come_from_one_commit(store_path: Path) -> None:
    """The features and the log rows of one read see the same commit (one read transaction)."""
    store = Store(store_path)
    key = "low_efficiency_industrial"
    current, log = store.layer_history(key)
    versions = log.groupby("feature_id")["version"].max()
    assert (current["ykgeo_version"] == versions.reindex(current.index).astype("int64")).all()
