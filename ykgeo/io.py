"""Read and write the bureau's vector files (GeoPackage, GeoJSON, Shapefile/zip, KML, CSV/XLSX) in CGCS2000."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import importlib.util
import io
import logging
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from ykgeo._encoding import (
    DBF_NAME_BYTES,
    DBF_TEXT_BYTES,
    coerce_field_value,
    dbf_field_names,
    decode_text_file,
    find_mojibake,
    fit_bytes,
    is_missing,
    normalise_name,
    parse_coordinate,
    redecode_latin1,
    shapefile_encoding,
    sidecar,
)
from ykgeo.crs import (
    CGCS2000,
    check_near_yongkang,
    detect_crs_from_coordinates,
    resolve_crs,
    transform_geometries,
)
from ykgeo.errors import CRSError, DataError, EncodingError
from ykgeo.layers import FieldSpec, LayerSpec

__all__ = [
    "FIELD_MAP_NAME",
    "FORMATS",
    "ExportFormat",
    "ReadResult",
    "WriteResult",
    "coerce_field_value",
    "export_layer_formats",
    "match_fields",
    "read_vector",
    "write_vector",
]

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
#: pyogrio's Arrow path (faster; writes dates as Date fields) needs pyarrow.
_USE_ARROW = importlib.util.find_spec("pyarrow") is not None
#: The sidecar (in a Shapefile zip) mapping shortened DBF field names to the full names.
FIELD_MAP_NAME = "字段对照.csv"
_FIELD_MAP_COLUMNS = ("图层", "Shapefile字段名", "完整字段名")
#: Common GDAL messages → what they mean, for the planner.
_GDAL_HINTS_ZH = (
    ("not recognized as being in a supported", "文件格式无法识别，可能已损坏或扩展名与内容不符"),
    ("file is not a database", "不是有效的 GeoPackage 数据库"),
    ("malformed", "数据库文件已损坏"),
    ("Unterminated", "JSON 内容不完整，文件可能被截断"),
    ("parsing kml", "KML 内容不完整或格式错误"),
)
_CRS_LABELS_ZH = {
    4490: "CGCS2000 经纬度",
    4528: "CGCS2000 3° 高斯-克吕格第 40 带（带号前缀）",
    4549: "CGCS2000 3° 高斯-克吕格 中央经线 120°E（无带号）",
    4326: "WGS84 经纬度",
}
_KML_STYLE = ("altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon")
_KML_STANDARD = ("id", "Name", "description", "timestamp", "begin", "end", "snippet")
_WKT_COLUMNS = ("wkt", "geometry", "geom", "几何", "图形")
#: (easting names, northing names, description) of coordinate columns; bureau X坐标 is northing.
_COORDINATE_COLUMNS = (
    (("经度", "lon", "lng", "long", "longitude"), ("纬度", "lat", "latitude"), "经度/纬度列"),
    (("y坐标", "东坐标", "easting"), ("x坐标", "北坐标", "northing"), "X坐标（北）/Y坐标（东）列"),
    (("x",), ("y",), "x/y 列"),
)


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
    """

    gdf: gpd.GeoDataFrame
    source: str
    driver: str
    encoding: str
    crs_note_zh: str
    notes_zh: tuple[str, ...] = ()


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_vector` wrote: the file, its driver, notes and shortened field names."""

    path: Path
    driver: str
    notes_zh: tuple[str, ...] = ()
    field_names: Mapping[str, str] = field(default_factory=dict)


# --- reading -----------------------------------------------------------------------------------------


def _fail(source: str, what: str, err: BaseException, path: Path) -> DataError:
    """A DataError naming the file, with GDAL's own words (temporary paths removed)."""
    detail = str(err).replace(str(path), source).replace(str(path.parent) + os.sep, "")
    hint = next((zh for en, zh in _GDAL_HINTS_ZH if en.lower() in detail.lower()), "")
    text = f"{source}：{what}" + (f"（{hint}）" if hint else "") + f"。GDAL 报告：{detail[:300]}"
    return DataError(text, message_en=f"{source}: {detail}")


def _choose(options: Sequence[str], wanted: str | None, source: str, what: str) -> str:
    listed = "、".join(options)
    if wanted is not None and wanted not in options:
        raise DataError(f"{source}：没有名为“{wanted}”的{what}（现有：{listed or '无'}）")
    if wanted is not None or len(options) == 1:
        return wanted or options[0]
    if not options:
        raise DataError(f"{source}：没有找到{what}")
    raise DataError(f"{source}：文件包含多个{what}（{listed}），请指定要导入哪一个")


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


def _pyogrio_read(path: Path, layer: str, encoding: str | None) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(
        path, layer=layer, encoding=encoding, use_arrow=_USE_ARROW, force_2d=True
    )


def _redecode(gdf: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    """Names and text read as Latin-1 (one character per byte) decoded with their real encoding."""
    attrs = gdf.columns.drop(gdf.geometry.name)
    out = gdf.rename(columns={c: redecode_latin1(c, encoding) for c in attrs})
    for col in out.columns.drop(out.geometry.name):
        out[col] = [redecode_latin1(v, encoding) if isinstance(v, str) else v for v in out[col]]
    return out


def _read_frame(
    path: Path, layer: str, encoding: str | None, source: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            try:
                gdf = _pyogrio_read(path, layer, encoding)
            except UnicodeDecodeError:
                if encoding is None:
                    raise
                # A DBF name or value cut mid-character: read the bytes as Latin-1, decode here.
                gdf = _redecode(_pyogrio_read(path, layer, "ISO-8859-1"), encoding)
                notes.append("部分字段名或文字在多字节字符中间被截断，已去掉不完整的字符")
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise _fail(source, "无法读取文件", err, path) from err
        except (UnicodeDecodeError, shapely.errors.GEOSException) as err:
            raise _fail(source, "文件内容无法解码", err, path) from err
    notes += [f"GDAL 提示：{str(w.message).replace(str(path), source)[:200]}" for w in caught]
    return gdf, notes


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


def _read_gdal(
    path: Path, driver: str, *, layer: str | None, encoding: str | None, source: str
) -> tuple[gpd.GeoDataFrame, str, list[str], Any, str]:
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
    try:
        names = [str(name) for name, _kind in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
        raise _fail(source, "无法打开文件", err, path) from err
    chosen = _choose(names, None if is_shp else layer, source, "图层")
    if len(names) > 1:
        notes.append(f"读取图层“{chosen}”（文件共有 {len(names)} 个图层）")
    gdf, gdal_notes = _read_frame(path, chosen, used if is_shp else None, source)
    notes += gdal_notes
    if gdf.empty:
        raise DataError(f"{source}：图层“{chosen}”中没有任何要素")
    garbled = find_mojibake(_texts(gdf))
    if garbled is not None and is_shp and garbled.retry_encoding != used:
        retry, _ = _read_frame(path, chosen, garbled.retry_encoding, source)
        if find_mojibake(_texts(retry)) is None:
            notes.append(
                f"按 {used} 读取出现乱码（{garbled.kind_zh}），已改用 {garbled.retry_encoding} 重新读取"
            )
            gdf, used, garbled = retry, garbled.retry_encoding, None
    if garbled is not None:
        notes.append(f"注意：文字疑似乱码（{garbled.kind_zh}），请核对文件编码")
    if driver == "LIBKML":
        gdf = _tidy_kml(gdf)
    if not is_shp:
        return gdf, used, notes, gdf.crs, "根据文件内的坐标系定义"
    gdf, restored = _restore_field_names(gdf, path)
    prj = sidecar(path, ".prj")
    declared = prj.read_text(encoding="utf-8", errors="replace") if prj is not None else None
    return gdf, used, notes + restored, declared, "根据 .prj 文件"


def _rows_zh(rows: Sequence[int], limit: int = 10) -> str:
    shown = "、".join(str(r + 1) for r in rows[:limit])
    return f"第 {shown} 行" + (f" 等 {len(rows)} 行" if len(rows) > limit else "")


def _geometry_columns(columns: Iterable[Any]) -> tuple[str, list[str]] | None:
    """("wkt" or a coordinate description, the columns) for a table, or None when it has neither."""
    by_name = {normalise_name(c): str(c) for c in columns}
    wkt = next((by_name[k] for k in _WKT_COLUMNS if k in by_name), None)
    if wkt is not None:
        return "wkt", [wkt]
    for east_names, north_names, what in _COORDINATE_COLUMNS:
        east = next((by_name[n] for n in east_names if n in by_name), None)
        north = next((by_name[n] for n in north_names if n in by_name), None)
        if east is not None and north is not None:
            return what, [east, north]
    return None


def _table_geometry(
    df: pd.DataFrame, source: str
) -> tuple[npt.NDArray[np.object_], list[str], str]:
    """Geometry from a WKT column or a pair of coordinate columns: (geometries, columns used, note)."""
    found = _geometry_columns(df.columns)
    if found is None:
        listed = "、".join(map(str, df.columns[:30]))
        msg = f"{source}：表格中没有找到坐标列（经度/纬度、lon/lat、X坐标/Y坐标、x/y）或 WKT 几何列（现有列：{listed}）"
        raise DataError(msg)
    what, columns = found
    if what == "wkt":
        text = [v if isinstance(v, str) and v.strip() else None for v in df[columns[0]]]
        geoms = np.asarray(shapely.from_wkt(text, on_invalid="ignore"), dtype=object)
        note, problem = f"几何取自 WKT 列“{columns[0]}”", " WKT 无法解析"
    else:
        x = np.array([parse_coordinate(v) for v in df[columns[0]]], dtype="float64")
        y = np.array([parse_coordinate(v) for v in df[columns[1]]], dtype="float64")
        ok = np.isfinite(x) & np.isfinite(y)
        geoms = np.full(len(df), None, dtype=object)
        geoms[ok] = shapely.points(x[ok], y[ok])
        note, problem = f"点位取自{what}“{columns[0]}”“{columns[1]}”", "坐标无法识别"
    bad = np.flatnonzero(shapely.is_missing(geoms)).tolist()
    if bad:
        note += f"；{_rows_zh(bad)}的{problem}，这些要素没有几何"
    return geoms, columns, note


def _read_table(
    path: Path, driver: str, *, layer: str | None, encoding: str | None, source: str
) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    notes: list[str] = []
    used = "UTF-8"
    try:
        if driver == "CSV":
            text, guess = decode_text_file(path.read_bytes(), encoding)
            used = guess.encoding
            if used != "UTF-8" or encoding:
                notes.append(f"CSV 文件{guess.reason_zh}")
            df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        else:
            sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
            usable = [str(n) for n, s in sheets.items() if _geometry_columns(s.columns) is not None]
            name = _choose(
                usable if layer is None else list(map(str, sheets)),
                layer,
                source,
                "含坐标列的工作表",
            )
            df = sheets[name]
            if len(sheets) > 1:
                notes.append(f"读取工作表“{name}”")
    except EncodingError as err:
        raise EncodingError(f"{source}：{err.message_zh}") from err
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        zipfile.BadZipFile,
        ValueError,
        OSError,
    ) as err:
        raise _fail(source, "表格无法读取", err, path) from err
    df = df.rename(columns=lambda c: str(c).strip()).dropna(how="all").reset_index(drop=True)
    if df.empty:
        raise DataError(f"{source}：表格中没有任何数据行")
    geoms, columns, note = _table_geometry(df, source)
    frame = df.drop(columns=columns)
    return (
        gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index)),
        used,
        [*notes, note],
    )


def _is_wgs84(crs: CRS) -> bool:
    datum = (
        crs.geodetic_crs.datum.name.lower() if crs.geodetic_crs and crs.geodetic_crs.datum else ""
    )
    return any(name in datum for name in ("world geodetic system 1984", "wgs_1984", "wgs 84"))


def _describe_crs(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} {_CRS_LABELS_ZH.get(epsg, crs.name)}" if epsg else crs.name


def _geometries_to_cgcs2000(
    geoms: npt.ArrayLike, crs: Any, *, source: str = ""
) -> tuple[npt.NDArray[np.object_], str]:
    """Geometries to EPSG:4490 and, for WGS84 data, a note that WGS84 is taken as CGCS2000."""
    parsed = resolve_crs(crs, source=source)
    note = (
        f"WGS84 与 CGCS2000 在永康相差不足 1 米，按 CGCS2000（EPSG:{CGCS2000}）使用"
        if _is_wgs84(parsed)
        else ""
    )
    try:
        return transform_geometries(np.asarray(geoms, dtype=object), parsed, CGCS2000), note
    except CRSError as err:
        prefix = "" if err.message_zh.startswith(f"{source}：") else f"{source}："
        raise CRSError(prefix + err.message_zh) from err


def _to_cgcs2000(
    gdf: gpd.GeoDataFrame, *, declared: Any, origin: str, user_crs: Any, source: str
) -> tuple[gpd.GeoDataFrame, str]:
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    if user_crs is not None:
        crs = resolve_crs(user_crs, source=source)
        note = f"按指定坐标系 {_describe_crs(crs)} 读取"
    elif declared is not None and str(declared).strip():
        crs = resolve_crs(declared, source=source)
        note = f"{origin}，坐标系为 {_describe_crs(crs)}"
    else:
        coords = shapely.get_coordinates(geoms)
        try:
            guess = detect_crs_from_coordinates(coords[:, 0], coords[:, 1])
        except CRSError as err:
            raise CRSError(f"{source}：没有坐标系定义，且{err.message_zh}") from err
        if guess.swapped:
            geoms = shapely.transform(geoms, lambda c: c[:, ::-1])
        crs = CRS.from_epsg(guess.epsg)
        missing = "缺少 .prj 文件" if ".prj" in origin else "文件未声明坐标系"
        note = f"{missing}，根据坐标数值判断：{guess.reason_zh}"
    result, wgs84_note = _geometries_to_cgcs2000(geoms, crs, source=source)
    bounds = shapely.bounds(result)
    check_near_yongkang(
        (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2, source=source
    )
    if wgs84_note or crs.to_epsg() != CGCS2000:
        note += f"；{wgs84_note or f'已转换为 CGCS2000 经纬度（EPSG:{CGCS2000}）'}"
    geometry = gpd.GeoSeries(result, index=gdf.index, crs=CGCS2000)
    return gpd.GeoDataFrame(gdf.drop(columns=[gdf.geometry.name]), geometry=geometry), note


def _safe_parts(info: zipfile.ZipInfo, source: str) -> tuple[str, ...]:
    """The path parts of a zip member; absolute paths and ``..`` are refused."""
    name = info.filename
    if not (info.flag_bits & 0x800 or name.isascii()):
        # Chinese Windows zips store names in GBK without the UTF-8 flag.
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gbk")
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


def read_vector(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: Any = None,
    source_name: str | None = None,
) -> ReadResult:
    """Read a vector file into CGCS2000 lon/lat (EPSG:4490), deciding encoding and CRS carefully.

    Parameters
    ----------
    path
        A GeoPackage, GeoJSON, Shapefile (``.shp``, its folder or a ``.zip``), KML,
        FileGDB folder, or a CSV/XLSX table with lon/lat, X坐标/Y坐标 or WKT columns.
    layer
        The layer (GeoPackage, FileGDB, KML), worksheet (XLSX) or file in a zip/folder
        (name or stem) to read; required when there are several.
    encoding
        Force the text encoding of a Shapefile .dbf or a CSV (e.g. ``"GBK"``); by
        default decided from the .cpg, the DBF language byte or the bytes themselves.
    crs
        The coordinate system to use instead of the file's (anything pyproj accepts).
    source_name
        The file name shown in messages (e.g. the original name of an upload).

    Raises
    ------
    DataError
        The file is missing, empty, corrupt, ambiguous (several layers) or unsafe (zip paths).
    EncodingError
        Text cannot be decoded with any plausible encoding.
    CRSError
        Legacy datum (Xian80/Beijing54), an undecidable CRS, or data not near Yongkang.
    """
    path = Path(path)
    source = source_name or path.name
    ext = path.suffix.lower()
    options: dict[str, Any] = {"encoding": encoding, "crs": crs}
    if not path.exists():
        raise DataError(f"{source}：文件不存在")
    if path.is_dir() and ext != ".gdb":
        return _read_folder(path, "文件夹", layer=layer, source=source, **options)
    driver = _EXTENSION_TO_DRIVER.get(ext)
    if driver is None:
        known = "、".join(sorted(_EXTENSION_TO_DRIVER))
        raise DataError(f"{source}：不支持的文件类型“{ext or '无扩展名'}”（支持：{known}）")
    if path.is_file() and path.stat().st_size == 0:
        raise DataError(f"{source}：文件是空的（0 字节）")
    if driver == "ZIP":
        with tempfile.TemporaryDirectory(prefix="ykgeo-zip-") as tmp:
            _extract_zip(path, Path(tmp), source)
            return _read_folder(Path(tmp), "压缩包", layer=layer, source=source, **options)
    if driver in ("CSV", "XLSX"):
        gdf, used, notes = _read_table(path, driver, layer=layer, encoding=encoding, source=source)
        declared, origin = None, "表格"
    else:
        gdf, used, notes, declared, origin = _read_gdal(
            path, driver, layer=layer, encoding=encoding, source=source
        )
    if gdf.geometry.isna().all():
        raise DataError(f"{source}：所有要素都没有几何（坐标），文件可能已损坏")
    gdf, crs_note = _to_cgcs2000(gdf, declared=declared, origin=origin, user_crs=crs, source=source)
    logger.debug("read %s: %d features, %s, %s", source, len(gdf), used, crs_note)
    return ReadResult(gdf, source, driver, used, crs_note, tuple(notes))


# --- matching a file's columns to a layer -------------------------------------------------------------

_TYPE_LABELS_ZH = {"str": "文字", "int": "整数", "float": "数字", "date": "日期"}


def _coerce_column(series: pd.Series, field_spec: FieldSpec) -> tuple[pd.Series, int]:
    results = [coerce_field_value(v, field_spec.type) for v in series.tolist()]
    values = [v for _ok, v in results]
    bad = sum(not ok for ok, _v in results)
    if bad == 0 and field_spec.type == "int":
        return pd.Series(pd.array(values, dtype="Int64"), index=series.index), 0
    if bad == 0 and field_spec.type == "float":
        return pd.Series(
            [np.nan if v is None else v for v in values], index=series.index, dtype="float64"
        ), 0
    return pd.Series(values, index=series.index, dtype=object), bad


def _truncated_target(column: Any, lookup: Mapping[str, str]) -> str | None:
    """The field a DBF-cut column name (≥ 9 bytes, a prefix of one field's names only) stands for."""
    name = str(column)
    if max(len(name.encode("gbk", "replace")), len(name.encode("utf-8"))) < DBF_NAME_BYTES - 1:
        return None
    norm = normalise_name(name)
    targets = {
        target for alias, target in lookup.items() if alias.startswith(norm) and alias != norm
    }
    return targets.pop() if len(targets) == 1 else None


def match_fields(gdf: gpd.GeoDataFrame, spec: LayerSpec) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Rename a file's columns to the layer's stored field names and convert values to their types.

    Column names match a field's name or any alias, ignoring case, spaces and
    full-/half-width differences (``用地面积(亩)`` = ``用地面积（亩）``); a name cut
    by the DBF 10-byte limit matches the one field it is a prefix of. Columns
    that match no field are dropped and listed in the notes; when two columns
    match one field the stored name wins. Values that cannot be converted keep
    their raw value so that :mod:`ykgeo.validate` reports them with feature,
    field and value.

    Returns
    -------
    tuple
        The features with the layer's fields in definition order, and notes in Chinese.
    """
    lookup = {normalise_name(alias): name for alias, name in spec.alias_map().items()}
    geometry = gdf.geometry.name
    columns = [c for c in gdf.columns if c != geometry]
    exact = [
        c
        for c in columns
        if normalise_name(c) == normalise_name(lookup.get(normalise_name(c), "\0"))
    ]
    rename: dict[Any, str] = {}
    unknown: list[Any] = []
    duplicates: list[str] = []
    for col in exact + [c for c in columns if c not in exact]:
        target = lookup.get(normalise_name(col))
        if target is None:
            unknown.append(col)
        elif target in rename.values():
            duplicates.append(f"{col}（与 {target} 重复）")
        else:
            rename[col] = target
    prefixed = {
        c: t for c in unknown if (t := _truncated_target(c, lookup)) and t not in rename.values()
    }
    unknown = [str(c) for c in unknown if c not in prefixed]
    order = {name: i for i, name in enumerate(spec.field_names)}
    kept = sorted({**rename, **prefixed}.items(), key=lambda item: order[item[1]])
    out = gdf[[c for c, _t in kept] + [geometry]].rename(columns=dict(kept))
    renamed = [f"{src} → {dst}" for src, dst in rename.items() if src != dst]
    notes = ["字段对应：" + "、".join(renamed)] if renamed else []
    if prefixed:
        listed = "、".join(f"{src} → {dst}" for src, dst in prefixed.items())
        notes.append(f"字段名疑似被 Shapefile 10 字节上限截断，按前缀对应：{listed}")
    if unknown:
        notes.append(f"以下字段不属于图层“{spec.name_zh}”，已忽略：" + "、".join(unknown))
    if duplicates:
        notes.append("以下字段与已对应的字段重复，已忽略：" + "、".join(duplicates))
    for field_spec in (f for f in spec.fields if f.name in out.columns):
        out[field_spec.name], bad = _coerce_column(out[field_spec.name], field_spec)
        if bad:
            kind = _TYPE_LABELS_ZH[field_spec.type]
            notes.append(
                f"字段 {field_spec.name} 有 {bad} 个值无法识别为{kind}，保留原值，校验时逐条列出"
            )
    return out, notes


# --- writing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _WriteOptions:
    layer: str
    encoding: str
    name_field: str | None


_Writer = Callable[[gpd.GeoDataFrame, Path, _WriteOptions], tuple[list[str], dict[str, str]]]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: key, file extension, GDAL driver, Chinese label and the function writing it."""

    key: str
    extension: str
    driver: str
    label_zh: str
    writer: _Writer


_WGS84_NOTE = "按 WGS84 经纬度写出（与 CGCS2000 在永康相差不足 1 米）"
_SHAPEFILE_ENCODINGS = {
    "UTF-8": "UTF-8",
    "UTF8": "UTF-8",
    "GBK": "GBK",
    "CP936": "GBK",
    "936": "GBK",
}
_GEOMETRY_FAMILY_ZH = {0: "点", 4: "点", 1: "线", 2: "线", 5: "线", 3: "面", 6: "面"}


def _write(frame: gpd.GeoDataFrame, path: Path, **options: Any) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pyogrio.write_dataframe(frame, path, use_arrow=_USE_ARROW, **options)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise _fail(path.name, "写出失败", err, path) from err
    return [f"GDAL 提示：{str(w.message)[:200]}" for w in caught]


def _kind(value: object) -> str:
    if isinstance(value, pd.Timestamp | dt.datetime | np.datetime64):
        return "datetime"
    kinds = (
        ("other", bool),
        ("date", dt.date),
        ("str", str),
        ("int", int | np.integer),
        ("float", float | np.floating),
    )
    return next((kind for kind, types in kinds if isinstance(value, types)), "other")


def _column_for_write(series: pd.Series) -> pd.Series:
    """Object columns made uniform: dates stay dates, numbers become numbers, anything mixed becomes text."""
    if series.dtype != object:
        return series
    values = [None if is_missing(v) else v for v in series.tolist()]
    kinds = {_kind(v) for v in values if v is not None}
    if kinds <= {"date"} or kinds <= {"str"}:
        return pd.Series(values, index=series.index, dtype=object)
    if kinds <= {"datetime"}:
        return pd.to_datetime(pd.Series(values, index=series.index, dtype=object))
    if kinds <= {"int"}:
        return pd.Series(pd.array(values, dtype="Int64"), index=series.index)
    if kinds <= {"int", "float"}:
        return pd.Series([np.nan if v is None else float(v) for v in values], index=series.index)
    return pd.Series(
        [None if v is None else str(v) for v in values], index=series.index, dtype=object
    )


def _prepare_for_write(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = "需要 GeoDataFrame"
        raise TypeError(msg)
    if gdf.crs is None:
        raise CRSError(f"{name}：数据没有坐标系（CRS），无法导出")
    if gdf.empty:
        raise DataError(f"{name}：没有要素可导出")
    geoms, _ = _geometries_to_cgcs2000(gdf.geometry.to_numpy(), gdf.crs, source=name)
    attrs = gdf.drop(columns=[gdf.geometry.name]).reset_index(drop=True)
    data = pd.DataFrame(
        {str(c): _column_for_write(attrs[c]) for c in attrs.columns}, index=attrs.index
    )
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, index=attrs.index, crs=CGCS2000))


def _write_geojson(
    frame: gpd.GeoDataFrame, path: Path, opts: _WriteOptions
) -> tuple[list[str], dict[str, str]]:
    options = {"RFC7946": "YES", "COORDINATE_PRECISION": "7"}
    wgs84 = frame.set_crs(4326, allow_override=True)  # a label only: see _WGS84_NOTE
    notes = _write(wgs84, path, driver="GeoJSON", layer=opts.layer, layer_options=options)
    return [f"GeoJSON 遵循 RFC 7946：{_WGS84_NOTE}，外环逆时针，坐标保留 7 位小数", *notes], {}


def _write_gpkg(
    frame: gpd.GeoDataFrame, path: Path, opts: _WriteOptions
) -> tuple[list[str], dict[str, str]]:
    # GeoPackage 1.3 rather than GDAL 3.12's default 1.4, which older GDAL/QGIS warn about.
    return _write(
        frame, path, driver="GPKG", layer=opts.layer, dataset_options={"VERSION": "1.3"}
    ), {}


def _dbf_text(frame: gpd.GeoDataFrame, codec: str, name: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Refuse text the encoding cannot hold; cut text over 254 bytes at a character boundary."""
    notes: list[str] = []
    out = frame.copy()
    for col in frame.columns.drop(frame.geometry.name):
        values = frame[col].tolist()
        cut = 0
        for row, value in enumerate(values):
            if not isinstance(value, str):
                continue
            try:
                size = len(value.encode(codec))
            except UnicodeEncodeError as err:
                bad = value[err.start : err.end]
                msg = f"{name}：第 {row + 1} 个要素的字段 {col} 含有 {codec} 无法表示的字符“{bad!a}”，请改用 UTF-8 编码导出"
                raise DataError(msg) from err
            if size > DBF_TEXT_BYTES:
                values[row], cut = fit_bytes(value, DBF_TEXT_BYTES, codec), cut + 1
        if cut:
            out[col] = pd.Series(values, index=frame.index, dtype=object)
            notes.append(
                f"字段 {col} 有 {cut} 个值超过 Shapefile 的 {DBF_TEXT_BYTES} 字节上限，已截断"
            )
    return out, notes


def _write_shapefile_zip(
    frame: gpd.GeoDataFrame, path: Path, opts: _WriteOptions
) -> tuple[list[str], dict[str, str]]:
    codec = _SHAPEFILE_ENCODINGS.get(opts.encoding.upper())
    if codec is None:
        raise DataError(f"{path.name}：Shapefile 只支持 UTF-8 或 GBK 编码，不支持 {opts.encoding}")
    type_ids = shapely.get_type_id(frame.geometry.dropna().to_numpy())
    families = {_GEOMETRY_FAMILY_ZH.get(int(t), "几何集合") for t in type_ids}
    if len(families) > 1 or "几何集合" in families:
        raise DataError(
            f"{path.name}：Shapefile 只能保存一种几何类型，而数据中有{'、'.join(sorted(families))}"
        )
    names = dbf_field_names([str(c) for c in frame.columns.drop(frame.geometry.name)], codec)
    checked, notes = _dbf_text(frame, codec, path.name)
    shortened = {short: full for full, short in names.items() if short != full}
    with tempfile.TemporaryDirectory(prefix="ykgeo-shp-") as tmp:
        shp = Path(tmp) / f"{opts.layer}.shp"
        notes += _write(
            checked.rename(columns=names),
            shp,
            driver="ESRI Shapefile",
            layer=opts.layer,
            encoding=codec,
        )
        if shortened:
            with (Path(tmp) / FIELD_MAP_NAME).open("w", encoding="utf-8-sig", newline="") as fh:
                csv.writer(fh).writerows(
                    [_FIELD_MAP_COLUMNS, *((opts.layer, s, f) for s, f in shortened.items())]
                )
            listed = "、".join(f"{full} → {short}" for short, full in shortened.items())
            per_char = len("字".encode(codec))
            notes.append(
                f"Shapefile 字段名最长 {DBF_NAME_BYTES} 字节（{codec} 下约 {DBF_NAME_BYTES // per_char} 个汉字），"
                f"以下字段改用短名：{listed}；对照表见压缩包内 {FIELD_MAP_NAME}"
            )
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(tmp).iterdir()):
                archive.write(part, arcname=part.name)
    return [f"Shapefile 属性表编码为 {codec}（含 .cpg 文件）", *notes], shortened


def _iso(value: object) -> str | None:
    if is_missing(value):
        return None
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return stamp.date().isoformat() if _kind(value) == "date" else stamp.isoformat()


def _write_kml(
    frame: gpd.GeoDataFrame, path: Path, opts: _WriteOptions
) -> tuple[list[str], dict[str, str]]:
    out = frame.copy()
    for col in out.columns.drop(out.geometry.name):
        if any(_kind(v) in ("date", "datetime") for v in out[col].tolist()):
            out[col] = [_iso(v) for v in out[col].tolist()]
    notes = [f"KML {_WGS84_NOTE}"]
    if opts.name_field and opts.name_field in out.columns and "Name" not in out.columns:
        out.insert(
            0, "Name", ["" if is_missing(v) else str(v) for v in out[opts.name_field].tolist()]
        )
    elif opts.name_field:
        notes.append(f"没有名称字段 {opts.name_field}，KML 要素不带名称")
    notes += _write(out.set_crs(4326, allow_override=True), path, driver="LIBKML", layer=opts.layer)
    return notes, {}


#: Every export format by key; :func:`write_vector` and :func:`export_layer_formats` use this table.
FORMATS: dict[str, ExportFormat] = {
    "geojson": ExportFormat(
        "geojson", ".geojson", "GeoJSON", "GeoJSON（RFC 7946，网页地图）", _write_geojson
    ),
    "gpkg": ExportFormat("gpkg", ".gpkg", "GPKG", "GeoPackage（QGIS / ArcGIS Pro）", _write_gpkg),
    "shp": ExportFormat(
        "shp", ".zip", "ESRI Shapefile", "Shapefile（zip 压缩包）", _write_shapefile_zip
    ),
    "kml": ExportFormat("kml", ".kml", "LIBKML", "KML（奥维互动地图 / Google Earth）", _write_kml),
}
_EXTENSION_TO_FORMAT = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shp",
    ".kml": "kml",
}
_DRIVER_TO_FORMAT = {
    **{k: k for k in FORMATS},
    "esri shapefile": "shp",
    "libkml": "kml",
    "geopackage": "gpkg",
}


def write_vector(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    driver: str | None = None,
    layer: str | None = None,
    encoding: str = "UTF-8",
    name_field: str | None = None,
) -> WriteResult:
    """Write features to a file that :func:`read_vector` (and ArcGIS, QGIS, ogrinfo) read back unchanged.

    Parameters
    ----------
    gdf
        Features with a CRS; they are converted to CGCS2000 (EPSG:4490) first.
    path
        The output: ``.geojson`` (RFC 7946), ``.gpkg``, ``.zip`` (zipped Shapefile
        with .shp/.shx/.dbf/.prj/.cpg and, when names were shortened, 字段对照.csv)
        or ``.kml``. An existing file is replaced only once the new one is complete.
    driver
        A key of :data:`FORMATS` (or a GDAL driver name) instead of the extension.
    layer
        Layer name (default: the file name without extension).
    encoding
        Shapefile .dbf encoding, ``"UTF-8"`` or ``"GBK"``; other formats are always UTF-8.
    name_field
        KML only: the field whose value names each placemark.

    Raises
    ------
    DataError
        Unknown format, no features, or text a Shapefile cannot hold in ``encoding``.
    CRSError
        When the data have no or a legacy CRS.
    """
    path = Path(path)
    key = (
        _DRIVER_TO_FORMAT.get(driver.casefold())
        if driver
        else _EXTENSION_TO_FORMAT.get(path.suffix.lower())
    )
    if key is None:
        known = "、".join(sorted(_EXTENSION_TO_FORMAT))
        raise DataError(f"{path.name}：不支持导出为“{driver or path.suffix}”（支持：{known}）")
    fmt = FORMATS[key]
    if path.suffix.lower() != fmt.extension and not (
        key == "geojson" and path.suffix.lower() == ".json"
    ):
        raise DataError(f"{path.name}：{fmt.label_zh} 的文件名应以 {fmt.extension} 结尾")
    frame = _prepare_for_write(gdf, path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".ykgeo-write-", dir=path.parent) as tmp:
        staged = Path(tmp) / path.name
        notes, names = fmt.writer(
            frame, staged, _WriteOptions(layer or path.stem, encoding, name_field)
        )
        staged.replace(path)
    logger.debug("wrote %s (%s, %d features)", path.name, fmt.driver, len(frame))
    return WriteResult(path=path, driver=fmt.driver, notes_zh=tuple(notes), field_names=names)


def export_layer_formats(
    gdf: gpd.GeoDataFrame,
    directory: str | os.PathLike[str],
    *,
    stem: str,
    formats: Iterable[str] | None = None,
    name_field: str | None = None,
    shapefile_encoding: str = "UTF-8",
) -> dict[str, WriteResult]:
    """Write one layer as ``directory/stem.ext`` in each format (default: every entry of :data:`FORMATS`)."""
    keys = tuple(formats) if formats is not None else tuple(FORMATS)
    unknown = [k for k in keys if k not in FORMATS]
    if unknown:
        raise DataError(f"未知导出格式：{'、'.join(unknown)}（可用：{'、'.join(FORMATS)}）")
    return {
        key: write_vector(
            gdf,
            Path(directory) / f"{stem}{FORMATS[key].extension}",
            driver=key,
            layer=stem,
            encoding=shapefile_encoding if key == "shp" else "UTF-8",
            name_field=name_field,
        )
        for key in keys
    }
