"""Uploaded files on disk, safely: size cap, a private temporary folder removed afterwards, no zip tricks."""

from __future__ import annotations

import re
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from ykgeo.errors import DataError
from ykgeo.io import member_name

__all__ = ["ACCEPTED_TYPES", "check_zip", "saved_upload"]

#: Extensions the import page accepts.
ACCEPTED_TYPES = ("gpkg", "zip", "geojson", "json", "kml", "xlsx", "csv")
_SAFE_NAME = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff._-]+")


def check_zip(path: Path) -> None:
    """Refuse a zip whose members have absolute paths, ``..``, drive letters or are links.

    Raises
    ------
    DataError
        Naming the offending member, in Chinese.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as err:
        msg = f"{path.name} 不是有效的 zip 压缩包"
        raise DataError(msg, message_en=f"{path.name} is not a valid zip file") from err
    for info in infos:
        shown = member_name(info)  # GBK names of Windows zips, not ╡═╨º…
        name = shown.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            msg = f"压缩包成员 {shown!r} 的路径不安全（绝对路径或含 ..），已拒绝整个文件"
            en = f"zip member {shown!r} has an unsafe path (absolute or with ..): file refused"
            raise DataError(msg, message_en=en)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            msg = f"压缩包成员 {shown!r} 是符号链接，已拒绝整个文件"
            en = f"zip member {shown!r} is a symbolic link: file refused"
            raise DataError(msg, message_en=en)


@contextmanager
def saved_upload(name: str, content: bytes, *, limit_mb: int) -> Iterator[Path]:
    """Write an upload into a fresh temporary folder and yield its path; the folder is removed after.

    The file keeps only a sanitised base name of ``name`` (never a path from the
    browser). Raises DataError when it is larger than ``limit_mb`` or an unsafe zip.
    """
    if len(content) > limit_mb * 1024 * 1024:
        size_mb = len(content) / 1024 / 1024
        msg = f"文件 {name} 大小 {size_mb:.1f} MB，超过上限 {limit_mb} MB"
        en = f"file {name} is {size_mb:.1f} MB, over the limit of {limit_mb} MB"
        raise DataError(msg, message_en=en)
    base = _SAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).lstrip(".") or "upload"
    with tempfile.TemporaryDirectory(prefix="ykgeo-upload-") as tmp:
        path = Path(tmp) / base
        path.write_bytes(content)
        if path.suffix.lower() == ".zip":
            check_zip(path)
        yield path
