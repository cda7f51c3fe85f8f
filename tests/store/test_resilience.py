"""The store against bad luck: a writer killed mid-write, a writer holding the lock, files that are not stores.

Real processes throughout: ``ykgeo import`` killed with SIGKILL while it holds the write
lock, a second process holding the lock while commands read, GDAL's ``ogrinfo`` reading the
store in WAL mode.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest

from tests._builders import parcels_inside, write_lock_held
from ykgeo.errors import StoreBusyError, StoreCorruptError, StoreError, StoreReadOnlyError
from ykgeo.store import DEMO_STORE, Store
from ykgeo.store.connection import StoreFile, store_error

KEY = "low_efficiency_industrial"
YKGEO = [sys.executable, "-c", "import sys; from ykgeo.cli import main; sys.exit(main())"]


def _content(path: Path) -> dict[str, int]:
    """Row counts of every layer and of the edit log, read with plain SQLite."""
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT table_name FROM gpkg_contents")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*YKGEO, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def _writer_is_busy(path: Path) -> bool:
    """Whether another process holds the write lock right now (tried without waiting)."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
    return False


def _written_so_far(path: Path) -> int:
    """Bytes of the store with what an open transaction has written (into its WAL, journal or the file)."""
    files = [path, *(Path(f"{path}{s}") for s in ("-wal", "-journal"))]
    return sum(p.stat().st_size for p in files if p.exists())


@pytest.mark.slow
def test_import_killed_mid_write_is_recovered_and_logged_by_the_next_command(
    store_path: Path, tmp_path: Path
) -> None:
    boundary = Store(store_path).read_layer("city_boundary").geometry.union_all()
    source = tmp_path / "big.gpkg"
    pyogrio.write_dataframe(parcels_inside(boundary, 20_000, prefix="KILL"), source)
    before = _content(store_path)
    wal_before = _written_so_far(store_path)
    proc = subprocess.Popen(
        [*YKGEO, "import", str(source), "--layer", KEY, "--store", str(store_path), "--user", "甲"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        # kill it once it holds the write lock and has written a part of the import
        while not (
            _writer_is_busy(store_path) and _written_so_far(store_path) > wal_before + 2**20
        ):
            assert proc.poll() is None, "the import finished before it could be killed"
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    first = _run("layers", "--store", str(store_path))
    assert first.returncode == 0, first.stderr
    assert "已损坏" not in first.stderr
    assert "上一次写入" in first.stderr and "未完成即中断" in first.stderr
    assert "导入 big.gpkg" in first.stderr and "已自动回滚" in first.stderr
    assert "332" in first.stdout  # the parcels as before the import
    second = _run("layers", "--store", str(store_path))
    assert second.returncode == 0 and "中断" not in second.stderr  # said once
    assert _content(store_path) == before
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # and the store takes the import afterwards
    again = _run("import", str(source), "--layer", KEY, "--store", str(store_path), "--user", "甲")
    assert again.returncode == 0, again.stderr[-2000:]
    assert Store(store_path).count(KEY) == before[KEY] + 20_000


@pytest.fixture()
def held_lock(store_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process in the middle of a write, after a first write has put the store in WAL mode."""
    Store(store_path).update_feature(
        KEY, "DX-001-001", {"备注": "写入一次"}, user="甲", expected_version=None
    )
    with write_lock_held(store_path) as proc:
        yield proc


def test_readers_do_not_wait_for_a_writer(
    store_path: Path, held_lock: subprocess.Popen[str]
) -> None:
    start = time.monotonic()
    out = _run("layers", "--store", str(store_path), timeout=60)
    seconds = time.monotonic() - start
    assert out.returncode == 0, out.stderr
    assert "332" in out.stdout and "已损坏" not in out.stderr
    assert seconds < 10, f"the reader waited {seconds:.1f} s"
    # GDAL reads the committed state too, in WAL mode
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", str(store_path), KEY], capture_output=True, text=True, timeout=60
    )
    assert info.returncode == 0, info.stderr
    assert "Feature Count: 332" in info.stdout
    assert Store(store_path).meta["name"] != "held"


def test_a_writer_that_cannot_get_the_lock_says_so_and_writes_nothing(
    store_path: Path, held_lock: subprocess.Popen[str]
) -> None:
    store = Store(store_path, busy_timeout_s=0.5)
    before = store.read_layer(KEY).loc["DX-001-002"]
    with pytest.raises(StoreBusyError, match="项目库正被他人写入，请稍后重试") as caught:
        store.update_feature(KEY, "DX-001-002", {"备注": "改"}, user="乙", expected_version=None)
    assert "损坏" not in str(caught.value)
    assert held_lock.poll() is None
    assert store.read_layer(KEY).loc["DX-001-002", "备注"] == before["备注"]


def test_the_store_is_in_wal_mode_after_a_write_and_gdal_reads_it(store_path: Path) -> None:
    Store(store_path).update_feature(
        KEY, "DX-001-001", {"备注": "WAL"}, user="甲", expected_version=None
    )
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = pyogrio.read_dataframe(store_path, layer=KEY, where="地块编号 = 'DX-001-001'")
    assert rows["备注"].tolist() == ["WAL"]


def test_errors_name_what_happened_and_only_damage_is_called_damage(tmp_path: Path) -> None:
    path = tmp_path / "x.gpkg"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (a)")
    ro = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as readonly:
        ro.execute("INSERT INTO t VALUES (1)")
    ro.close()
    err = store_error(readonly.value, path, action="写入")
    assert isinstance(err, StoreReadOnlyError) and "只读" in str(err) and "损坏" not in str(err)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as busy:
        other.execute("BEGIN IMMEDIATE")
    holder.execute("ROLLBACK")
    err = store_error(busy.value, path, action="写入")
    assert isinstance(err, StoreBusyError) and "损坏" not in str(err)
    # a page of the store overwritten with garbage: SQLite's own verdict is damage
    broken = tmp_path / "broken.gpkg"
    shutil.copy(DEMO_STORE, broken)
    with broken.open("r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xff" * 4096 * 20)
    with pytest.raises(StoreError) as damaged:
        Store(broken).read_layer(KEY)
    assert isinstance(damaged.value, StoreCorruptError) and "已损坏" in str(damaged.value)
    # a SQLite file that is not a store: not a store, not damaged
    with pytest.raises(StoreError, match="不是 ykgeo 项目库") as other_file:
        Store(path)
    assert "损坏" not in str(other_file.value)


def test_damage_seen_while_a_write_is_under_way_is_reported_as_busy(tmp_path: Path) -> None:
    """A read that SQLite calls malformed while another process writes is told to retry, not 已损坏.

    (A reader that also reads through GDAL, a second SQLite in the process, can see this
    at the moment a large write commits: see ``benchmarks/bench_store_wait.py``.) The
    write in progress is shown by the marker ykgeo's writer keeps beside the store.
    """
    broken = tmp_path / "broken.gpkg"
    shutil.copy(DEMO_STORE, broken)
    with broken.open("r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xff" * 4096 * 20)
    file = StoreFile(broken)
    file.marker.write_text("{}", encoding="utf-8")  # another process is writing
    busy_message = "项目库正被他人写入，请稍后重试"
    with pytest.raises(StoreBusyError, match=busy_message) as busy, file.read() as conn:
        conn.execute(f'SELECT * FROM "{KEY}"').fetchall()
    assert "损坏" not in str(busy.value)
    file.marker.unlink()  # the write is over: now SQLite's verdict stands
    with pytest.raises(StoreCorruptError, match="已损坏"), file.read() as conn:
        conn.execute(f'SELECT * FROM "{KEY}"').fetchall()


def test_the_change_key_follows_commits_that_are_still_in_the_wal(store_path: Path) -> None:
    store = Store(store_path)
    store.update_feature(KEY, "DX-001-001", {"备注": "一"}, user="甲", expected_version=None)
    reader = sqlite3.connect(store_path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM ykgeo_meta").fetchone()  # holds a snapshot open
        mtime, key = store_path.stat().st_mtime_ns, store.mtime_ns()
        time.sleep(0.01)
        store.update_feature(KEY, "DX-001-001", {"备注": "二"}, user="甲", expected_version=None)
        assert store_path.stat().st_mtime_ns == mtime  # the commit is in the WAL only
        assert store.mtime_ns() != key
    finally:
        reader.close()


def test_an_import_that_cannot_get_the_lock_says_so(
    store_path: Path, held_lock: subprocess.Popen[str], tmp_path: Path
) -> None:
    one = Store(store_path).read_layer(KEY).drop(columns=["ykgeo_version"]).iloc[[0]].copy()
    one["备注"] = "台账更新"
    source = tmp_path / "one.geojson"
    one.reset_index(drop=True).to_file(source, driver="GeoJSON")
    start = time.monotonic()
    out = _run("import", str(source), "--layer", KEY, "--store", str(store_path), "--wait", "1")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "项目库正被他人写入，请稍后重试" in out.stderr and "损坏" not in out.stderr
    assert time.monotonic() - start < 60
