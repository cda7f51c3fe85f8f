"""Backups of the store and restoring one: consistent copies taken while others read and write, with a checksum.

A backup is made with SQLite's online backup API from one read snapshot, so it is
consistent even while the app or an import is writing; it is then switched to the
rollback journal (one self-contained file that reads on read-only media), checked with
``PRAGMA quick_check`` and opened as a store, and its SHA-256 is written beside it as
``<backup>.sha256`` in the format of ``sha256sum`` (``sha256sum -c`` checks it).

Restoring checks the checksum and the backup first, keeps a backup of the current
state (so a restore can itself be undone), then copies the backup into the live store
as one ordinary write (:meth:`~ykgeo.store.connection.StoreFile.write`): readers see the
old or the new content, never a mixture, and a restore killed half-way is rolled back
and reported like any write.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ykgeo.errors import StoreError
from ykgeo.store.connection import sidecar_files, store_error
from ykgeo.store.dates import now
from ykgeo.store.store import DataVersion, Store

__all__ = [
    "Backup",
    "Restored",
    "backup_store",
    "default_backup_path",
    "restore_store",
    "verify_backup",
]

#: Beside every backup: its SHA-256, as ``sha256sum`` writes it.
CHECKSUM_SUFFIX = ".sha256"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Backup:
    """A checked backup file: where, its SHA-256, its size and the data version it holds."""

    path: Path
    sha256: str
    size: int
    data_version: DataVersion

    def label_zh(self) -> str:
        """``备份 X（12.3 MB，数据版本 v… ，SHA-256 ab12…）``."""
        return (
            f"{self.path}（{self.size / 1e6:.1f} MB，{self.data_version.label_zh()}，"
            f"SHA-256 {self.sha256[:16]}…）"
        )


@dataclass(frozen=True)
class Restored:
    """What a restore did: the backup put in place, and the backup of what it replaced."""

    restored: Backup
    previous: Backup


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def default_backup_path(store_path: Path, *, label: str = "") -> Path:
    """``<store folder>/备份/<store name>-<YYYYmmdd-HHMMSS>[-label].gpkg``."""
    tag = now().strftime("%Y%m%d-%H%M%S")
    suffix = f"-{label}" if label else ""
    return store_path.parent / "备份" / f"{store_path.stem}-{tag}{suffix}{store_path.suffix}"


def backup_store(store: Store, out: Path | None = None, *, overwrite: bool = False) -> Backup:
    """Copy ``store`` to ``out`` (default :func:`default_backup_path`) while others may read and write it.

    Raises
    ------
    StoreError
        ``out`` exists (unless ``overwrite``), or the copy does not check out.
    """
    out = Path(out) if out is not None else default_backup_path(store.path)
    if out.resolve() == store.path.resolve():
        msg = f"备份文件不能是项目库本身：{out}"
        raise StoreError(msg)
    if out.exists() and not overwrite:
        msg = f"备份文件已存在：{out}（换一个文件名，或加 --force 覆盖）"
        raise StoreError(msg)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    for stale in (partial, *sidecar_files(partial)):
        stale.unlink(missing_ok=True)
    with store._read() as source:  # one read snapshot: consistent however long the copy takes
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
            check = dest.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.Error as err:
            raise store_error(err, partial, action="写入") from err
        finally:
            dest.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        msg = f"备份 {out.name} 检查未通过（{check}），未保存"
        raise StoreError(msg)
    partial.replace(out)
    sha = _sha256(out)
    Path(f"{out}{CHECKSUM_SUFFIX}").write_text(f"{sha}  {out.name}\n", encoding="utf-8")
    version = Store(out, layers=store.layers).data_version()
    return Backup(out, sha, out.stat().st_size, version)


def verify_backup(path: Path) -> Backup:
    """Check a backup: its checksum file matches, SQLite finds it sound, and it is a ykgeo store.

    Raises
    ------
    StoreError
        Naming what does not match.
    """
    path = Path(path)
    if not path.exists():
        msg = f"找不到备份文件：{path}"
        raise StoreError(msg)
    listed = Path(f"{path}{CHECKSUM_SUFFIX}")
    if not listed.exists():
        msg = f"备份 {path.name} 旁没有校验文件 {listed.name}，无法确认它完整，未恢复"
        raise StoreError(msg)
    expected = listed.read_text(encoding="utf-8").split()[0].lower()
    actual = _sha256(path)
    if actual != expected:
        msg = (
            f"备份 {path.name} 的 SHA-256 与校验文件不符（应为 {expected[:16]}…，实为 {actual[:16]}…）："
            "文件在备份后被改动或已损坏，未恢复"
        )
        raise StoreError(msg)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as err:
        raise store_error(err, path, action="读取") from err
    finally:
        conn.close()
    if check != "ok":
        msg = f"备份 {path.name} 检查未通过（{check}），未恢复"
        raise StoreError(msg)
    version = Store(path).data_version()
    return Backup(path, actual, path.stat().st_size, version)


def _copy_database(conn: sqlite3.Connection, schema: str) -> None:
    """Inside a write transaction: make ``main`` a copy of the attached database ``schema``.

    Every table, index, trigger and view of ``main`` is dropped and made again from the
    other database's schema; rows are copied table by table (an R-tree's shadow tables
    too, so the spatial index comes back as it was), triggers last so that none fires
    during the copy. The GeoPackage header fields are copied as well.
    """
    old = conn.execute(
        "SELECT type, name FROM main.sqlite_master WHERE name NOT LIKE 'sqlite_%' AND type IN ('table', 'view')"
    ).fetchall()
    virtual = {
        r[0]
        for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type='table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
    }
    shadows = {f"{v}_{part}" for v in virtual for part in ("node", "rowid", "parent")}
    for _, name in old:  # virtual tables first: dropping one drops its shadow tables
        if name in virtual:
            conn.execute(f'DROP TABLE main."{name}"')
    for kind, name in old:
        if name not in virtual and name not in shadows:
            conn.execute(f'DROP {kind.upper()} main."{name}"')
    objects = conn.execute(
        f"SELECT type, name, sql FROM {schema}.sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY rowid"
    ).fetchall()
    new_virtual = {n for t, n, sql in objects if t == "table" and sql.startswith("CREATE VIRTUAL")}
    new_shadows = {f"{v}_{part}" for v in new_virtual for part in ("node", "rowid", "parent")}
    for kind, name, sql in objects:
        if kind == "table" and name not in new_shadows:
            conn.execute(sql)
    for kind, name, _ in objects:
        if kind != "table":
            continue
        if name in new_virtual:
            continue  # its rows are its shadow tables'
        if name in new_shadows:
            conn.execute(f'DELETE FROM main."{name}"')
        conn.execute(f'INSERT INTO main."{name}" SELECT * FROM {schema}."{name}"')
    has_sequence = conn.execute(
        f"SELECT 1 FROM {schema}.sqlite_master WHERE name = 'sqlite_sequence'"
    ).fetchone()
    if has_sequence:
        conn.execute("DELETE FROM main.sqlite_sequence")
        conn.execute(f"INSERT INTO main.sqlite_sequence SELECT * FROM {schema}.sqlite_sequence")
    for kind, _, sql in objects:
        if kind in ("index", "view", "trigger"):
            conn.execute(sql)
    for pragma in ("application_id", "user_version"):
        value = int(conn.execute(f"PRAGMA {schema}.{pragma}").fetchone()[0])
        conn.execute(f"PRAGMA main.{pragma} = {value}")


def restore_store(store: Store, backup: Path, *, keep: Path | None = None) -> Restored:
    """Put a checked backup in place of the store's content, keeping a backup of the current content first.

    Parameters
    ----------
    store
        The live store (others may have it open: they see the old or the new content).
    backup
        A backup made by :func:`backup_store` (its ``.sha256`` beside it).
    keep
        Where to keep the current content (default: :func:`default_backup_path` with
        the label ``恢复前``).

    Raises
    ------
    StoreError
        The backup's checksum or content does not check out (nothing is changed), or
        the store stayed busy (:class:`~ykgeo.errors.StoreBusyError`).
    """
    checked = verify_backup(backup)
    previous = backup_store(store, keep or default_backup_path(store.path, label="恢复前"))
    with store._file.write(
        source=f"恢复备份 {checked.path.name}", attach={"restored": checked.path}
    ) as conn:
        _copy_database(conn, "restored")
    return Restored(checked, previous)
