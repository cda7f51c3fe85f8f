"""Read the bureau's vector files (GeoPackage, GeoJSON, Shapefile/zip, KML, FileGDB, CSV/XLSX) into CGCS2000.

The columns are matched to a layer's fields afterwards, by :func:`ykgeo.io.columns.match_fields`.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from ykgeo.errors import DataError, EncodingError
from ykgeo.io.encoding import (
    find_mojibake,
    is_missing,
    redecode_latin1,
    shapefile_encoding,
    sidecar,
)
from ykgeo.io.gdal import (
    ARC_STEP_DEGREES,
    GeometryTrouble,
    curve_rows,
    diagnose_geometries,
    feature_labels,
    gdal_safe_path,
    gdal_warnings,
    troubles_zh,
)
from ykgeo.io.place import GCJ02_HINT_ZH, looks_gcj02, place_features
from ykgeo.io.tables import _choose, _read_table
from ykgeo.io.write import (
    _FIELD_MAP_COLUMNS,
    _USE_ARROW,
    FIELD_MAP_NAME,
    _fail,
)

__all__ = ["ReadResult", "list_layers", "member_name", "read_vector"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: File extension → how it is read ("ZIP" is unpacked first; CSV and XLSX are tables).
_EXTENSION_TO_DRIVER: dict[str, str] = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "ESRI Shapefile",
    ".kml": "LIBKML",
    ".gdb": "OpenFileGDB",
    ".zip": "ZIP",
    ".csv": "CSV",
    ".xlsx": "XLSX",
}
_MAX_UNZIPPED_BYTES = 2 * 1024**3
_KML_STYLE = ("altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon")
_KML_STANDARD = ("id", "Name", "description", "timestamp", "begin", "end", "snippet")


@dataclass(frozen=True)
class ReadResult:
    """A file read into CGCS2000 lon/lat, with what the planner should know about how.

    Attributes
    ----------
    gdf
        The features, geometry in EPSG:4490 (lon, lat), attributes as found.
    source
        The file name shown to the planner.
    driver
        The GDAL driver (or ``CSV`` / ``XLSX``) that read it.
    encoding
        The text encoding used, e.g. ``"UTF-8"`` or ``"GBK"``.
    crs_note_zh
        How the coordinate system was decided.
    notes_zh
        Everything else worth telling (encoding choice, layer, rows without coordinates …).
    maybe_gcj02
        True when the file looks like a GCJ-02 web-map download (DataV outline) read as WGS84.
    linearised
        How many features had arcs (curves) that were cut into straight segments.
    """

    gdf: gpd.GeoDataFrame
    source: str
    driver: str
    encoding: str
    crs_note_zh: str
    notes_zh: tuple[str, ...] = ()
    maybe_gcj02: bool = False
    linearised: int = 0


# --- reading -----------------------------------------------------------------------------------------


def _check_shapefile(shp: Path, source: str) -> None:
    """Refuse a Shapefile whose parts are missing or whose .shp is shorter than its header says."""
    for ext, what in ((".dbf", "属性表"), (".shx", "索引")):
        if sidecar(shp, ext) is None:
            msg = f"{source}：缺少{what}文件 {shp.stem}{ext}，Shapefile 至少需要 .shp、.shx、.dbf 三个文件"
            raise DataError(msg)
    size = shp.stat().st_size
    with shp.open("rb") as fh:
        header = fh.read(100)
    if size < 100:
        raise DataError(
            f"{source}：.shp 文件不完整（只有 {size} 字节，不足 100 字节的文件头），可能被截断"
        )
    if int.from_bytes(header[:4], "big") != 9994:
        raise DataError(f"{source}：.shp 文件头标识不对，不是 Shapefile 或已损坏")
    declared = int.from_bytes(header[24:28], "big") * 2
    if declared > size:
        msg = f"{source}：.shp 文件被截断（文件头声明 {declared} 字节，实际只有 {size} 字节），请重新拷贝或导出"
        raise DataError(msg)


def _pyogrio_read(
    path: Path, layer: str, encoding: str | None, *, use_arrow: bool = _USE_ARROW
) -> gpd.GeoDataFrame:
    if not use_arrow:
        return pyogrio.read_dataframe(path, layer=layer, encoding=encoding, force_2d=True)
    # through Arrow, pyogrio's force_2d copies every geometry: only do it when one has Z or M
    gdf = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, use_arrow=True)
    if isinstance(gdf, gpd.GeoDataFrame):
        geoms = gdf.geometry.to_numpy()
        if (shapely.has_z(geoms) | shapely.has_m(geoms)).any():
            gdf[gdf.geometry.name] = shapely.force_2d(gdf.geometry)
    return gdf


def _redecode(gdf: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    """Names and text read as Latin-1 (one character per byte) decoded with their real encoding."""
    attrs = gdf.columns.drop(gdf.geometry.name)
    out = gdf.rename(columns={c: redecode_latin1(c, encoding) for c in attrs})
    for col in out.columns.drop(out.geometry.name):
        out[col] = [redecode_latin1(v, encoding) if isinstance(v, str) else v for v in out[col]]
    return out


def _read_linearised(path: Path, layer: str, encoding: str | None) -> tuple[gpd.GeoDataFrame, int]:
    """A layer with arcs, read through GDAL's row-by-row path, which linearises them.

    The arcs are cut into chords of at most :data:`ARC_STEP_DEGREES` of arc. Returns the
    frame and how many features had arcs (from the raw WKB types, read without parsing).
    """
    pyogrio.set_gdal_config_options({"OGR_ARC_STEPSIZE": str(ARC_STEP_DEGREES)})
    _meta, table = pyogrio.read_arrow(path, layer=layer, columns=[], encoding=encoding)
    blobs = table.column(table.num_columns - 1).to_pylist() if table.num_columns else []
    gdf = _pyogrio_read(path, layer, encoding, use_arrow=False)
    return gdf, len(curve_rows(blobs))


def _unusable_geometries(path: Path, layer: str, encoding: str | None, source: str) -> DataError:
    """Why GEOS refused the layer's geometries, naming the features (TIN, open rings …)."""
    _meta, _fids, blobs, _fields = pyogrio.raw.read(path, layer=layer, columns=[])
    frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, read_geometry=False)
    troubles: list[GeometryTrouble] = diagnose_geometries(list(blobs))
    if not troubles:
        return DataError(f"{source}：图层“{layer}”的几何无法解析")
    listed = troubles_zh(troubles, feature_labels(frame))
    msg = f"{source}：{len(troubles)} 个要素的几何无法使用：{listed}。请在 GIS 软件中修正后再读取"
    return DataError(msg, message_en=f"{source}: {len(troubles)} unusable geometries")


def _read_frame(
    path: Path, layer: str, encoding: str | None, source: str
) -> tuple[gpd.GeoDataFrame, list[str], int]:
    """One layer as a frame, GDAL's warnings as Chinese notes, and the number of linearised features."""
    notes: list[str] = []
    linearised = 0
    with gdal_warnings(source, path) as gdal_notes:
        try:
            try:
                gdf = _pyogrio_read(path, layer, encoding)
            except NotImplementedError:  # shapely has no arcs: let GDAL linearise them
                gdf, linearised = _read_linearised(path, layer, encoding)
            except UnicodeDecodeError:
                if encoding is None:
                    raise
                # A DBF name or value cut mid-character: read the bytes as Latin-1, decode here.
                gdf = _redecode(_pyogrio_read(path, layer, "ISO-8859-1"), encoding)
                notes.append("部分字段名或文字在多字节字符中间被截断，已去掉不完整的字符")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise _fail(source, "无法读取文件", err, path) from err
        except UnicodeDecodeError as err:
            msg = (
                f"{source}：文字无法按 {encoding or '文件声明的'} 编码解码（{err.reason}）。"
                "请指定正确的编码：命令行 --encoding（如 GBK、UTF-8），导入页面“文字编码”"
            )
            raise EncodingError(msg) from err
        except shapely.errors.GEOSException as err:
            raise _unusable_geometries(path, layer, encoding, source) from err
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"{source}：图层“{layer}”是没有几何的纯属性表，不能计算面积或导入；请选择含几何的图层"
        raise DataError(msg)
    if linearised:
        notes.append(
            f"{linearised} 个要素含圆弧等曲线，已线性化（每段弧所对圆心角不超过 {ARC_STEP_DEGREES:g}°，"
            "半径 500 米的弧与弦相差不超过 2 厘米）"
        )
    return gdf, notes + gdal_notes, linearised


def _texts(gdf: pd.DataFrame, per_column: int = 300) -> list[str]:
    texts = [str(c) for c in gdf.columns]
    for col in gdf.columns:
        texts += [v for v in gdf[col].head(per_column) if isinstance(v, str)]
    return texts


def _tidy_kml(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop KML style columns, and standard ones that are empty, generated ids or copies of a field."""
    drop = [c for c in _KML_STYLE if c in gdf.columns]
    data = [c for c in gdf.columns if c not in (*_KML_STANDARD, *_KML_STYLE, gdf.geometry.name)]
    as_text = {
        c: [None if is_missing(v) else str(v) for v in gdf[c]]
        for c in gdf.columns
        if c != gdf.geometry.name
    }
    for col in (c for c in _KML_STANDARD if c in gdf.columns):
        values = as_text[col]
        generated = col == "id" and all(v and re.fullmatch(r".+\.\d+", v) for v in values)
        if all(v is None for v in values) or generated or any(values == as_text[c] for c in data):
            drop.append(col)
    return gdf.drop(columns=drop)


def _restore_field_names(gdf: gpd.GeoDataFrame, shp: Path) -> tuple[gpd.GeoDataFrame, list[str]]:
    table = shp.parent / FIELD_MAP_NAME
    if not table.exists():
        return gdf, []
    with table.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    layer, short, full = _FIELD_MAP_COLUMNS
    mapping = {
        r[short]: r[full] for r in rows if r.get(layer) == shp.stem and r.get(short) in gdf.columns
    }
    notes = [f"根据 {FIELD_MAP_NAME} 恢复了 {len(mapping)} 个完整字段名"] if mapping else []
    return gdf.rename(columns=mapping), notes


@dataclass(frozen=True)
class _Layer:
    """One layer read through GDAL, before its coordinate system is decided."""

    gdf: gpd.GeoDataFrame
    encoding: str
    notes: list[str]
    declared: Any
    origin: str
    linearised: int


def _layer_names(path: Path, source: str) -> tuple[list[str], list[str]]:
    """All layer names, and those with geometry."""
    with gdal_warnings(source, path):
        try:
            layers = pyogrio.list_layers(path)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise _fail(source, "无法打开文件", err, path) from err
    names = [str(name) for name, _kind in layers]
    return names, [str(name) for name, kind in layers if kind is not None]


def _read_gdal(
    path: Path, driver: str, *, layer: str | None, encoding: str | None, source: str
) -> _Layer:
    """One layer through GDAL: frame, encoding, notes, the declared CRS and where it came from."""
    is_shp = driver == "ESRI Shapefile"
    used, notes = "UTF-8", []
    if is_shp:
        _check_shapefile(path, source)
        try:
            guess = shapefile_encoding(path, encoding)
        except EncodingError as err:
            raise EncodingError(f"{source}：{err.message_zh}") from err
        used = guess.encoding
        notes.append(guess.reason_zh)
    names, spatial = _layer_names(path, source)
    offered = names if layer is not None or len(spatial) == 0 else spatial
    chosen = _choose(offered, None if is_shp else layer, source, "图层")
    if len(names) > 1:
        notes.append(f"读取图层“{chosen}”（文件共有 {len(names)} 个图层）")
    gdf, gdal_notes, linearised = _read_frame(path, chosen, used if is_shp else None, source)
    notes += gdal_notes
    if gdf.empty:
        raise DataError(f"{source}：图层“{chosen}”中没有任何要素")
    garbled = find_mojibake(_texts(gdf))
    if garbled is not None and is_shp and garbled.retry_encoding != used:
        retry, _, _ = _read_frame(path, chosen, garbled.retry_encoding, source)
        if find_mojibake(_texts(retry)) is None:
            notes.append(
                f"按 {used} 读取出现乱码（{garbled.kind_zh}），已改用 {garbled.retry_encoding} 重新读取"
            )
            gdf, used, garbled = retry, garbled.retry_encoding, None
    if garbled is not None:
        notes.append(
            f"注意：文字疑似乱码（{garbled.kind_zh}），请核对文件编码"
            "（可指定编码：命令行 --encoding，导入页面“文字编码”）"
        )
    if driver == "LIBKML":
        gdf = _tidy_kml(gdf)
    if not is_shp:
        return _Layer(gdf, used, notes, gdf.crs, "根据文件内的坐标系定义", linearised)
    gdf, restored = _restore_field_names(gdf, path)
    prj = sidecar(path, ".prj")
    declared = prj.read_text(encoding="utf-8", errors="replace") if prj is not None else None
    return _Layer(gdf, used, notes + restored, declared, "根据 .prj 文件", linearised)


def member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name as its author wrote it: Chinese Windows zips store names in GBK (CP936) without the UTF-8 flag."""
    name = info.filename
    if not (info.flag_bits & 0x800 or name.isascii()):
        raw = b""
        with contextlib.suppress(UnicodeEncodeError):
            raw = name.encode("cp437")
        for codec in ("utf-8", "gbk"):
            with contextlib.suppress(UnicodeDecodeError):
                return raw.decode(codec) if raw else name
    return name


def _safe_parts(info: zipfile.ZipInfo, source: str) -> tuple[str, ...]:
    """The path parts of a zip member; absolute paths and ``..`` are refused."""
    name = member_name(info)
    unixy = name.replace("\\", "/")
    parts = PurePosixPath(unixy).parts
    if unixy.startswith("/") or re.match(r"^[A-Za-z]:", unixy) or ".." in parts:
        msg = f"{source}：压缩包内的文件“{name[:120]}”使用了绝对路径或“..”，可能写到压缩包以外的位置，已拒绝读取"
        raise DataError(msg)
    return tuple(p for p in parts if p not in ("", "."))


def _extract_zip(path: Path, root: Path, source: str) -> None:
    """Unpack into ``root`` after checking every member name, encryption and the unpacked size."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [(info, _safe_parts(info, source)) for info in archive.infolist()]
            if any(info.flag_bits & 0x1 for info, _ in members):
                raise DataError(f"{source}：压缩包已加密，请解密后再导入")
            if sum(info.file_size for info, _ in members) > _MAX_UNZIPPED_BYTES:
                raise DataError(f"{source}：压缩包解压后超过 2 GB，请分批导入")
            for info, parts in members:
                target = root.joinpath(*parts)
                if (
                    info.is_dir()
                    or not parts
                    or not target.resolve().is_relative_to(root.resolve())
                ):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise DataError(f"{source}：不是有效的 zip 压缩包或无法解压（{err}）") from err


def _datasets(root: Path) -> list[str]:
    """Readable files (and .gdb folders) under ``root``, as POSIX paths relative to it."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        found += [here / d for d in dirs if d.lower().endswith(".gdb")]
        dirs[:] = sorted(d for d in dirs if not d.lower().endswith(".gdb") and d != "__MACOSX")
        for name in files:
            ext = Path(name).suffix.lower()
            if (
                ext in _EXTENSION_TO_DRIVER
                and ext != ".zip"
                and name != FIELD_MAP_NAME
                and not name.startswith("._")
            ):
                found.append(here / name)
    return sorted(p.relative_to(root).as_posix() for p in found)


def _read_folder(
    root: Path, where: str, *, layer: str | None, source: str, **options: Any
) -> ReadResult:
    names = _datasets(root)
    by_stem = {PurePosixPath(n).stem: n for n in names}
    wanted = layer if layer in names else by_stem.get(layer or "")
    chosen = _choose(
        names, wanted, source, "可读取的数据文件（.shp、.gpkg、.geojson、.kml、.csv、.xlsx）"
    )
    result = read_vector(
        root / chosen, layer=None if wanted else layer, source_name=source, **options
    )
    return replace(result, notes_zh=(f"读取{where}内的 {chosen}", *result.notes_zh))


def _no_geometry(gdf: gpd.GeoDataFrame, driver: str, source: str) -> DataError:
    """Every feature lacks a geometry: say so plainly (KML placemarks with names only are common)."""
    where = "KML 地标只有名称、说明等，没有点、线或面" if driver == "LIBKML" else "没有坐标或几何"
    msg = (
        f"{source}：{len(gdf)} 个要素都没有可用的几何（{where}），无法计算面积或导入。"
        "请在 GIS 软件中为要素补上几何后再读取"
    )
    return DataError(msg, message_en=f"{source}: no feature has a usable geometry")


def list_layers(path: str | os.PathLike[str], *, source_name: str | None = None) -> list[str]:
    """What a planner can choose to read from a file: its layers with geometry, the data files in a
    zip or folder, or the worksheets of an XLSX; empty when there is nothing to choose.

    Raises
    ------
    DataError
        The file cannot be opened (named, with GDAL's reason in Chinese).
    """
    path = Path(path)
    source = source_name or path.name
    ext = path.suffix.lower()
    if path.is_dir() and ext != ".gdb":
        return _datasets(path)
    if ext == ".zip":
        with tempfile.TemporaryDirectory(prefix="ykgeo-zip-") as tmp:
            _extract_zip(path, Path(tmp), source)
            return _datasets(Path(tmp))
    if ext == ".xlsx":
        try:
            with pd.ExcelFile(path, engine="openpyxl") as book:
                return [str(name) for name in book.sheet_names]
        except (zipfile.BadZipFile, ValueError, OSError) as err:
            raise _fail(source, "表格无法读取", err, path) from err
    if _EXTENSION_TO_DRIVER.get(ext) in (None, "CSV", "ESRI Shapefile"):
        return []
    with gdal_safe_path(path) as gdal_path:
        _names, spatial = _layer_names(gdal_path, source)
    return spatial


def read_vector(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: Any = None,
    source_name: str | None = None,
    keep_crs: bool = False,
) -> ReadResult:
    """Read a vector file into CGCS2000 lon/lat (EPSG:4490), deciding encoding and CRS carefully.

    Parameters
    ----------
    path
        A GeoPackage, GeoJSON (also JSON-FG), Shapefile (``.shp``, its folder or a ``.zip``),
        KML, FileGDB folder, or a CSV/XLSX table with lon/lat, X坐标/Y坐标 or WKT columns.
        Arcs (curves) are linearised and counted in the notes.
    layer
        The layer (GeoPackage, FileGDB, KML), worksheet (XLSX) or file in a zip/folder
        (name or stem) to read; required when there are several with geometry.
    encoding
        Force the text encoding of a Shapefile .dbf or a CSV (e.g. ``"GBK"``); by
        default decided from the .cpg, the DBF language byte or the bytes themselves.
    crs
        The coordinate system to use instead of the file's: text as accepted by
        :func:`ykgeo.crs.parse_crs_choice` (``"4549"``, ``"CGCS2000 GK CM120"``, ``"GCJ02"``),
        a :class:`~ykgeo.crs.CRSChoice`, or anything pyproj accepts.
    source_name
        The file name shown in messages (e.g. the original name of an upload).
    keep_crs
        Keep the features in their own coordinate system and skip the Yongkang check
        (for measuring any file anywhere); by default they are brought to EPSG:4490.

    Raises
    ------
    DataError
        The file is missing, empty, corrupt, ambiguous (several layers), unsafe (zip paths),
        or has features with impossible coordinates or unusable geometries (named).
    EncodingError
        Text cannot be decoded with any plausible encoding.
    CRSError
        Legacy datum (Xian80/Beijing54), an undecidable CRS, or data not near Yongkang;
        ``suggestions`` lists the likely coordinate systems.
    """
    path = Path(path)
    source = source_name or path.name
    ext = path.suffix.lower()
    options: dict[str, Any] = {"encoding": encoding, "crs": crs, "keep_crs": keep_crs}
    if not path.exists():
        raise DataError(f"{source}：文件不存在")
    if path.is_dir() and ext != ".gdb":
        return _read_folder(path, "文件夹", layer=layer, source=source, **options)
    driver = _EXTENSION_TO_DRIVER.get(ext)
    if driver is None:
        known = "、".join(sorted(_EXTENSION_TO_DRIVER))
        msg = (
            f"{source}：不支持的文件类型“{ext or '无扩展名'}”（支持：{known}）。"
            "请在 GIS 软件中另存为 GeoPackage、Shapefile 或 GeoJSON 后再读取"
        )
        raise DataError(msg)
    if path.is_file() and path.stat().st_size == 0:
        raise DataError(f"{source}：文件是空的（0 字节）")
    if driver == "ZIP":
        with tempfile.TemporaryDirectory(prefix="ykgeo-zip-") as tmp:
            _extract_zip(path, Path(tmp), source)
            return _read_folder(Path(tmp), "压缩包", layer=layer, source=source, **options)
    linearised = 0
    if driver in ("CSV", "XLSX"):
        gdf, used, notes, linearised = _read_table(
            path, driver, layer=layer, encoding=encoding, source=source
        )
        declared, origin = None, "表格"
    else:
        with gdal_safe_path(path) as gdal_path:
            read = _read_gdal(gdal_path, driver, layer=layer, encoding=encoding, source=source)
        gdf, used, notes = read.gdf, read.encoding, read.notes
        declared, origin, linearised = read.declared, read.origin, read.linearised
    if gdf.geometry.isna().all() or gdf.geometry.is_empty.all():
        raise _no_geometry(gdf, driver, source)
    gdf, crs_note = place_features(
        gdf, declared=declared, origin=origin, user_crs=crs, source=source, keep_crs=keep_crs
    )
    gcj = looks_gcj02(gdf, crs)
    if gcj:
        notes = [*notes, GCJ02_HINT_ZH]
    logger.debug("read %s: %d features, %s, %s", source, len(gdf), used, crs_note)
    return ReadResult(gdf, source, driver, used, crs_note, tuple(notes), gcj, linearised)
