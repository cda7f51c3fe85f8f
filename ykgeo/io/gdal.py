"""GDAL's words in Chinese, and the geometries GDAL hands over that shapely cannot take (arcs, TINs, open rings)."""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import struct
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

__all__ = [
    "ARC_STEP_DEGREES",
    "GeometryTrouble",
    "curve_rows",
    "diagnose_geometries",
    "feature_labels",
    "gdal_safe_path",
    "gdal_warnings",
    "translate_gdal",
    "troubles_zh",
]

logger = logging.getLogger("ykgeo.io")
logger.addHandler(logging.NullHandler())

#: Arcs are cut into chords of at most this many degrees of arc when GDAL linearises them
#: (GDAL's own default is 4°): the chord of a 500 m radius arc then strays ≤ 1.9 cm from it.
ARC_STEP_DEGREES = 1.0

#: (pattern in GDAL's English, Chinese; ``{1}`` … are the pattern's groups), most specific first.
_GDAL_ZH: tuple[tuple[str, str], ...] = (
    (r"No such file or directory", "文件不存在或无法访问"),
    (
        r"Unable to open (?:\S+?)\.shx",
        "缺少 .shx 索引文件，Shapefile 至少需要 .shp、.shx、.dbf 三个文件",
    ),
    (
        r"not recognized as (?:being in )?a supported (?:file )?format",
        "文件格式无法识别，可能已损坏或扩展名与内容不符",
    ),
    (r"file is not a database", "不是有效的 GeoPackage（SQLite）数据库"),
    (r"database disk image is malformed|malformed", "数据库文件已损坏"),
    (
        r"Failed to read GeoJSON data.*?At line (\d+), character (\d+): Unrecognized number",
        "GeoJSON 第 {1} 行第 {2} 个字符处的数字无法识别（可能超出数值范围）",
    ),
    (
        r"Failed to read GeoJSON data.*?At line (\d+), character (\d+)",
        "GeoJSON 内容格式错误（第 {1} 行第 {2} 个字符附近）",
    ),
    (r"Unterminated|Failed to read GeoJSON data", "JSON 内容不完整或格式错误，文件可能被截断"),
    (r"mismatched tag on line (\d+)", "KML/XML 格式错误：第 {1} 行的标签不匹配（有元素未闭合）"),
    (r"not well-formed.*?line (\d+)", "KML/XML 格式错误：第 {1} 行不符合 XML 语法"),
    (r"parsing kml", "KML 内容不完整或格式错误"),
    (
        r"Measured \(M\) geometry types are not supported",
        "几何带测量值（M），M 值已忽略，只用平面坐标",
    ),
    (
        r"couldn't be converted correctly from (\S+) to (\S+)",
        "部分文字无法从 {1} 编码正确转换，文字编码可能不对（可指定编码：命令行 --encoding，导入页面“文字编码”）",
    ),
    (r"Field with same name \((.+?)\) already exists", "字段名“{1}”重复，后一个已自动改名"),
    (r"Points of LinearRing do not form a closed linestring", "面的边界未闭合（首尾坐标不同）"),
    (r"Non closed ring detected", "面的边界未闭合（首尾坐标不同）"),
    (r"Unknown WKB type (\d+)", "不支持的几何类型（WKB 类型 {1}）"),
    (
        r"user_version=.*may only be partially supported",
        "GeoPackage 版本较新，部分功能可能不受支持",
    ),
    (
        r"geometry column type .* is not consistent",
        "图层声明的几何类型与实际几何不一致",
    ),
    (r"out of available range|beyond the end of the file", "要素记录超出文件范围，文件可能被截断"),
    (r"Too few points", "点数过少，构不成线或面"),
)
#: Friendly names of the WKB types that shapely cannot hold.
_WKB_NAMES_ZH = {
    8: "圆弧（CircularString）",
    9: "复合曲线（CompoundCurve）",
    10: "曲线面（CurvePolygon）",
    11: "多曲线（MultiCurve）",
    12: "多曲面（MultiSurface）",
    15: "多面体曲面（PolyhedralSurface）",
    16: "不规则三角网（TIN）",
    17: "三角形（Triangle）",
}
_CURVE_TYPES = (8, 9, 10, 11, 12)
#: Column names that usually hold a feature's id or name, for messages that name a feature.
_ID_COLUMNS = (
    "地块编号",
    "DKBH",
    "宗地编号",
    "编号",
    "id",
    "ID",
    "Id",
    "name",
    "Name",
    "NAME",
    "名称",
)


def translate_gdal(text: str) -> tuple[str, bool]:
    """GDAL's message in Chinese, and whether it was translated (else the English is kept)."""
    for pattern, zh in _GDAL_ZH:
        match = re.search(pattern, text, flags=re.IGNORECASE | re.DOTALL)
        if match is not None:
            return zh.format(None, *match.groups()), True
    return f"GDAL 提示（英文原文）：{text[:200]}", False


@contextlib.contextmanager
def gdal_warnings(source: str, path: Path | None = None) -> Iterator[list[str]]:
    """Catch the warnings GDAL/pyogrio raise inside the block; yields the list of their Chinese notes.

    Nothing reaches stderr: each warning becomes a note for the planner (deduplicated), and
    the English original is logged.
    """
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield notes
    for item in caught:
        text = str(item.message)
        if path is not None:
            text = text.replace(str(path), source)
        logger.info("%s: %s: %s", source, item.category.__name__, text)
        zh, _known = translate_gdal(text)
        if zh not in notes:
            notes.append(zh)


@contextlib.contextmanager
def gdal_safe_path(path: Path) -> Iterator[Path]:
    """``path``, or a link to it under a name GDAL reads literally.

    pyogrio takes ``!`` in a path as an archive separator (``a.zip!b.shp``), so a file named
    ``!宗地.geojson`` is "not found". Such a file (with its sidecars) is linked into a
    temporary folder under a plain name for the read; the folder is removed afterwards.
    """
    if "!" not in str(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="ykgeo-name-") as tmp:
        stem = path.stem.replace("!", "_")
        target = Path(tmp) / (stem + path.suffix)
        if path.is_dir():
            target.symlink_to(path.resolve(), target_is_directory=True)
        else:
            for sibling in path.parent.iterdir():
                if sibling.stem == path.stem:
                    link = Path(tmp) / (stem + sibling.suffix)
                    try:
                        link.symlink_to(sibling.resolve())
                    except OSError:
                        shutil.copyfile(sibling, link)
        yield target


def _wkb_type(blob: bytes) -> int:
    """The base geometry type of a WKB or EWKB blob (1 = Point … 17 = Triangle)."""
    order = "<" if blob[:1] == b"\x01" else ">"
    (code,) = struct.unpack(order + "I", blob[1:5])
    return int(code & 0x0FFFFFFF) % 1000


def curve_rows(blobs: Sequence[bytes | None]) -> npt.NDArray[np.intp]:
    """Rows whose WKB is a curve type (arcs: CircularString … MultiSurface)."""
    return np.asarray(
        [i for i, b in enumerate(blobs) if b is not None and _wkb_type(b) in _CURVE_TYPES],
        dtype=np.intp,
    )


def feature_labels(frame: pd.DataFrame) -> list[str]:
    """How each feature is named in messages: ``第 N 个要素`` plus its id or name when it has one."""
    column = next((c for c in _ID_COLUMNS if c in frame.columns), None)
    values = frame[column].tolist() if column is not None else [None] * len(frame)
    labels = []
    for i, value in enumerate(values):
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
        labels.append(f"第 {i + 1} 个要素" + (f"（{column} {text[:40]}）" if text.strip() else ""))
    return labels


@dataclass(frozen=True)
class GeometryTrouble:
    """A feature whose geometry cannot be used, and why (Chinese)."""

    row: int
    reason_zh: str


def diagnose_geometries(blobs: Sequence[Any]) -> list[GeometryTrouble]:
    """Why each unreadable WKB cannot be used: a TIN or other unsupported type, an open ring …"""
    troubles = []
    for row, blob in enumerate(blobs):
        if blob is None:
            continue
        kind = _wkb_type(bytes(blob))
        if kind in _WKB_NAMES_ZH and kind not in _CURVE_TYPES:
            what = _WKB_NAMES_ZH[kind]
            reason = f"几何类型为{what}，是三维表面模型而不是面，不能计算面积或导入；请在 GIS 软件中转为面（Polygon）"
            troubles.append(GeometryTrouble(row, reason))
            continue
        try:
            shapely.from_wkb(bytes(blob))
        except shapely.errors.GEOSException as err:
            troubles.append(GeometryTrouble(row, translate_gdal(str(err))[0]))
    return troubles


def troubles_zh(troubles: Sequence[GeometryTrouble], labels: Sequence[str], limit: int = 10) -> str:
    """The troubles as one Chinese sentence naming the features (the first ``limit``)."""
    shown = "；".join(f"{labels[t.row]}：{t.reason_zh}" for t in troubles[:limit])
    more = f"；另有 {len(troubles) - limit} 个要素" if len(troubles) > limit else ""
    return shown + more
