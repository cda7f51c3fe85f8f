"""Connections to the store file: WAL journal, bounded waits, crash recovery, and errors that say what happened.

Readers never wait for a writer: the store runs in SQLite's write-ahead-log mode (set
on the first write; GDAL and QGIS read such GeoPackages as they are), so a reader sees
the last committed state while an import is being written.

A write takes SQLite's write lock (``BEGIN IMMEDIATE``) and waits for it at most
``busy_timeout_s``; a store still busy after that raises :class:`StoreBusyError`
(「项目库正被他人写入，请稍后重试」), never a message about corruption.

While it holds the lock a writer keeps a small marker beside the store
(``<store>-ykgeo-write``: who, what, when, process) and, inside its transaction, the
marker's token in ``ykgeo_meta``. A process killed mid-write leaves the marker behind
with a token the store never committed: the next command that opens the store takes the
lock, which makes SQLite roll the unfinished transaction back, and logs what was
interrupted (:class:`Recovery`). Only SQLite's own verdicts (``SQLITE_CORRUPT``,
``SQLITE_NOTADB``) are reported as damage (:class:`StoreCorruptError`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import socket
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from ykgeo.errors import StoreBusyError, StoreCorruptError, StoreError, StoreReadOnlyError

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_S",
    "TOKEN_KEY",
    "Recovery",
    "StoreFile",
    "change_key",
    "seal",
    "sidecar_files",
    "store_error",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: How long a write waits for another writer before :class:`StoreBusyError`.
DEFAULT_BUSY_TIMEOUT_S = 30.0
_MARKER_SUFFIX = "-ykgeo-write"
#: The key in ``ykgeo_meta`` that holds the token of the last committed write.
TOKEN_KEY = "last_write"
META_TABLE = "ykgeo_meta"
_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}
_READONLY = {"SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN", "SQLITE_AUTH"}
_DAMAGE = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}
#: A read that fails as "damaged" this soon after a commit reached the WAL is reported as busy.
_RECENT_WRITE_S = 5.0


def _primary_name(err: sqlite3.Error) -> str:
    """``SQLITE_BUSY`` for ``SQLITE_BUSY_SNAPSHOT`` and the like."""
    return "_".join(str(getattr(err, "sqlite_errorname", "") or "").split("_")[:2])


def store_error(err: sqlite3.Error, path: Path, *, action: Literal["读取", "写入"]) -> StoreError:
    """The StoreError that says what ``err`` means for the planner: busy, read-only, damaged or other.

    Only SQLite's own verdicts on the file (``SQLITE_CORRUPT``, ``SQLITE_NOTADB``) are
    reported as damage; a lock, a permission or a full disk never are.
    """
    full = str(getattr(err, "sqlite_errorname", "") or "")
    name = _primary_name(err)
    text = str(err)
    if name in _BUSY or (not name and "locked" in text):
        msg = f"项目库正被他人写入，请稍后重试（{path.name}）"
        return StoreBusyError(msg, message_en=f"the store {path.name} is busy; try again shortly")
    if name == "SQLITE_NOTADB":
        msg = (
            f"{path.name} 不是 ykgeo 项目库：它不是 GeoPackage/SQLite 数据库文件（SQLite：{text}）"
        )
        return StoreCorruptError(msg, message_en=f"{path.name} is not a database: {text}")
    if name == "SQLITE_CORRUPT":
        msg = (
            f"项目库 {path.name} 已损坏（SQLite：{text}）。请勿继续写入；"
            "可用 ykgeo restore 从备份恢复，或请管理员检查。"
        )
        return StoreCorruptError(msg, message_en=f"{path.name} is damaged: {text}")
    if full == "SQLITE_READONLY_ROLLBACK":
        msg = (
            f"项目库 {path.name} 的上一次写入未完成即中断，需要由对该文件有写权限的用户"
            "运行一次 ykgeo 命令（如 ykgeo layers）自动回滚；文件本身完好，已保存的数据不会丢失。"
        )
        en = f"{path.name}: an interrupted write must be rolled back by a user who may write the file"
        return StoreReadOnlyError(msg, message_en=en)
    if name in _READONLY:
        msg = (
            f"无法{action}项目库 {path.name}：文件或所在文件夹只读，或没有权限（SQLite：{text}）。"
            "文件本身完好；请检查权限或联系管理员。"
        )
        return StoreReadOnlyError(msg, message_en=f"cannot access {path.name}: read-only ({text})")
    if name == "SQLITE_FULL":
        msg = f"{action}项目库 {path.name} 失败：磁盘已满（{text}），项目库未作修改"
        return StoreError(msg, message_en=f"disk full while writing {path.name}")
    msg = f"{action}项目库 {path.name} 时出错：{text}"
    return StoreError(msg, message_en=f"error while accessing {path.name}: {text}")


def _sqlite_cause(err: BaseException) -> sqlite3.Error | None:
    """The SQLite error behind ``err`` (pandas wraps the errors of ``read_sql``)."""
    if isinstance(err, sqlite3.Error):
        return err
    cause = err.__cause__
    return cause if isinstance(cause, sqlite3.Error) else None


def change_key(path: Path) -> int:
    """A number that changes with every committed write (the file's and its WAL's times and sizes).

    In WAL mode a commit lands in ``<store>-wal`` before it reaches the store file,
    so the store file's own modification time is not enough for cache keys.
    """
    stat = path.stat()
    key = stat.st_mtime_ns ^ stat.st_size
    try:
        wal = Path(f"{path}-wal").stat()
    except FileNotFoundError:
        return key
    return key ^ (wal.st_mtime_ns * 31) ^ wal.st_size


def sidecar_files(path: Path) -> tuple[Path, ...]:
    """The files SQLite and ykgeo keep beside a store: its WAL, shared memory, journal and write marker."""
    return tuple(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal", _MARKER_SUFFIX))


@dataclass(frozen=True)
class Recovery:
    """A write that was interrupted (process killed, machine down) and rolled back by SQLite."""

    store: str
    source: str
    user: str
    started_at: str
    process: str

    def message_zh(self) -> str:
        """One log line: what was interrupted, and that the store is as it was before it."""
        what = "、".join(x for x in (self.source, self.user) if x) or "未知写入"
        when = f"，开始于 {self.started_at}" if self.started_at else ""
        return (
            f"项目库 {self.store} 的上一次写入（{what}{when}，{self.process or '进程未知'}）"
            "未完成即中断，未提交的修改已自动回滚，项目库保持该次写入之前的状态。"
        )


def _command() -> str:
    """What this process is, for the marker: ``ykgeo import``, ``streamlit run`` …"""
    return " ".join([Path(sys.argv[0]).name if sys.argv else "python", *sys.argv[1:2]])


class StoreFile:
    """The SQLite side of a store file: read and write connections with the rules above.

    Parameters
    ----------
    path
        The ``.gpkg`` file (it must exist).
    busy_timeout_s
        How long a write waits for another writer's lock.
    """

    def __init__(self, path: Path, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.marker = Path(f"{path}{_MARKER_SUFFIX}")

    def _connect(self, timeout: float) -> sqlite3.Connection:
        uri = f"{self.path.resolve().as_uri()}?mode=rw"
        return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection: in WAL mode it sees the last commit and never waits for a writer."""
        before = change_key(self.path)
        try:
            conn = self._connect(self.busy_timeout_s)
        except sqlite3.Error as err:
            raise self._read_error(err, before) from err
        try:
            conn.execute("PRAGMA query_only = ON")
            yield conn
        except (sqlite3.Error, pd.errors.DatabaseError) as err:
            cause = _sqlite_cause(err)
            if cause is None:
                raise
            raise self._read_error(cause, before) from err
        finally:
            conn.close()

    def _read_error(self, err: sqlite3.Error, before: int) -> StoreError:
        """What a failed read means: "damaged" seen while another process was committing is not damage.

        A reader in a process that also reads the store through GDAL (a second copy of
        SQLite in the same process) can see 「database disk image is malformed」 at the
        moment another process commits a large write, while the file is intact (the next
        read succeeds). When a write was under way (its marker is there), landed during the
        read (the change key moved) or moments before it (the WAL changed within
        :data:`_RECENT_WRITE_S`), the read is reported as busy, to be tried again; only
        otherwise is SQLite's verdict reported as damage.
        """
        if _primary_name(err) in _DAMAGE and (
            self.marker.exists() or change_key(self.path) != before or self._written_lately()
        ):
            logger.warning("read of %s failed while a write landed: %s", self.path.name, err)
            msg = f"项目库正被他人写入，请稍后重试（{self.path.name}：读取时另一进程正在提交）"
            en = f"the store {self.path.name} was being written while it was read; try again"
            return StoreBusyError(msg, message_en=en)
        return store_error(err, self.path, action="读取")

    def _written_lately(self) -> bool:
        """Whether a commit reached the WAL within the last :data:`_RECENT_WRITE_S` seconds."""
        try:
            wal = Path(f"{self.path}-wal").stat()
        except FileNotFoundError:
            return False
        return wal.st_size > 0 and time.time() - wal.st_mtime < _RECENT_WRITE_S

    @contextmanager
    def write(
        self, *, source: str = "", user: str = "", attach: Mapping[str, Path] | None = None
    ) -> Iterator[sqlite3.Connection]:
        """One write transaction: all or nothing, marked while it runs (see the module's notes).

        ``attach`` names other database files to attach (read-only) before the
        transaction begins, e.g. a backup to restore from.

        Raises
        ------
        StoreBusyError
            Another process still held the write lock after ``busy_timeout_s``.
        StoreReadOnlyError
            The file (or its folder) cannot be written.
        """
        try:
            conn = self._connect(self.busy_timeout_s)
        except sqlite3.Error as err:
            raise store_error(err, self.path, action="写入") from err
        committed = False
        try:
            self._use_wal(conn)
            for schema, other in (attach or {}).items():
                conn.execute(
                    f"ATTACH DATABASE ? AS {schema}", (f"{other.resolve().as_uri()}?mode=ro",)
                )
            conn.execute("BEGIN IMMEDIATE")
            try:
                if self.marker.exists():
                    self._settle(conn, hot_journal=False)
                token = self._mark(source, user)
                yield conn
                conn.execute(
                    f"INSERT OR REPLACE INTO {META_TABLE} (key, value) VALUES (?, ?)",
                    (TOKEN_KEY, token),
                )
                conn.execute("COMMIT")
                committed = True
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self.marker.unlink(missing_ok=True)
        except sqlite3.Error as err:
            raise store_error(err, self.path, action="写入") from err
        finally:
            if committed:
                self._checkpoint(conn)
            conn.close()

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        """Switch a store made before WAL (or by another program) to WAL; stay as it is if others hold it open."""
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() == "wal":
            return
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as err:
            logger.debug("%s stays in %s mode for now: %s", self.path.name, mode, err)

    @staticmethod
    def _checkpoint(conn: sqlite3.Connection) -> None:
        """Copy what was committed into the store file itself, without waiting for readers."""
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.OperationalError as err:  # busy: the next write or the last close does it
            logger.debug("checkpoint of %s postponed: %s", conn, err)

    def _mark(self, source: str, user: str) -> str:
        token = secrets.token_hex(8)
        info = {
            "token": token,
            "source": source,
            "user": user,
            "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "process": f"{socket.gethostname()} 进程 {os.getpid()}（{_command()}）",
        }
        tmp = self.marker.with_name(self.marker.name + ".tmp")
        try:
            tmp.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.marker)
        except OSError as err:
            msg = f"无法写入项目库 {self.path.name}：所在文件夹不可写（{err.strerror}）。文件本身完好。"
            raise StoreReadOnlyError(
                msg, message_en=f"cannot write beside {self.path.name}"
            ) from err
        return token

    def recover(self) -> Recovery | None:
        """After a crash: take the lock (SQLite rolls the unfinished write back), log it, clear the marker.

        Cheap when nothing happened (two ``stat`` calls). Returns None when there was
        nothing to recover or another process is writing right now.
        """
        journal = Path(f"{self.path}-journal")
        hot = journal.exists() and journal.stat().st_size > 0
        if not hot and not self.marker.exists():
            return None
        try:
            conn = self._connect(0)
        except sqlite3.Error as err:
            raise store_error(err, self.path, action="读取") from err
        try:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as err:
                if _primary_name(err) in _BUSY:
                    return None  # a live writer holds the lock, and the marker is its own
                raise store_error(err, self.path, action="读取") from err
            try:
                return self._settle(conn, hot_journal=hot)
            finally:
                conn.execute("ROLLBACK")
        finally:
            conn.close()

    def _settle(self, conn: sqlite3.Connection, *, hot_journal: bool) -> Recovery | None:
        """With the write lock held: was the marked write committed? Log and clear the marker."""
        try:
            info = json.loads(self.marker.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, UnicodeDecodeError):
            info = {}
        row = conn.execute(f"SELECT value FROM {META_TABLE} WHERE key = ?", (TOKEN_KEY,)).fetchone()
        self.marker.unlink(missing_ok=True)
        if info.get("token") and row is not None and row[0] == info["token"]:
            logger.debug("write %s to %s had committed", info["token"], self.path.name)
            return None
        if not info and not hot_journal:
            return None
        recovery = Recovery(
            store=self.path.name,
            source=str(info.get("source", "")),
            user=str(info.get("user", "")),
            started_at=str(info.get("started_at", "")),
            process=str(info.get("process", "")),
        )
        logger.warning("%s", recovery.message_zh())
        return recovery


def seal(path: Path) -> None:
    """Make a store one self-contained file to ship or archive (no ``-wal`` beside it, compact).

    Copies the WAL into the file, switches the file to SQLite's rollback journal (so it
    is read on read-only media too; the first write switches it back to WAL), drops
    the token of the last write (see :class:`StoreFile`) and compacts the file. Nobody
    else may have the store open.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute(f"DELETE FROM {META_TABLE} WHERE key = ?", (TOKEN_KEY,))
        conn.execute("VACUUM")
    except sqlite3.Error as err:
        raise store_error(err, path, action="写入") from err
    finally:
        conn.close()
