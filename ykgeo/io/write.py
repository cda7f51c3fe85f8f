"""Write features to GeoJSON, GeoPackage, zipped Shapefile and KML, and the GDAL/CRS helpers the readers share."""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from ykgeo.crs import CGCS2000, resolve_crs, transform_geometries
from ykgeo.errors import CRSError, DataError
from ykgeo.io.encoding import DBF_NAME_BYTES, DBF_TEXT_BYTES, dbf_field_names, fit_bytes, is_missing
from ykgeo.io.gdal import gdal_warnings, translate_gdal
from ykgeo.io.sheets import csv_rows
from ykgeo.layers import LayerSpec
from ykgeo.store.styles import StyleRow, layer_qml, layer_sld, write_layer_styles

__all__ = [
    "AREA_MU_COLUMN",
    "EXPORT_CRS",
    "FIELD_MAP_NAME",
    "FORMATS",
    "ExportFormat",
    "WriteResult",
    "export_layer_formats",
    "write_vector",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: pyogrio's Arrow path (faster; writes dates as Date fields) needs pyarrow.
_USE_ARROW = importlib.util.find_spec("pyarrow") is not None
#: The sidecar (in a Shapefile zip) mapping shortened DBF field names to the full names.
FIELD_MAP_NAME = "字段对照.csv"
_FIELD_MAP_COLUMNS = ("图层", "Shapefile字段名", "完整字段名")


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_vector` wrote: the file, its driver, notes and shortened field names."""

    path: Path
    driver: str
    notes_zh: tuple[str, ...] = ()
    field_names: Mapping[str, str] = field(default_factory=dict)


# --- shared with the readers in ykgeo.io ---------------------------------------------------------


def _fail(source: str, what: str, err: BaseException, path: Path) -> DataError:
    """A DataError naming the file, with GDAL's words in Chinese (temporary paths removed)."""
    detail = str(err).replace(str(path), source).replace(str(path.parent) + os.sep, "")
    zh, _known = translate_gdal(detail)
    logger.info("%s: %s: %s", source, what, detail)
    return DataError(f"{source}：{what}：{zh}", message_en=f"{source}: {detail}")


def _is_wgs84(crs: CRS) -> bool:
    datum = (
        crs.geodetic_crs.datum.name.lower() if crs.geodetic_crs and crs.geodetic_crs.datum else ""
    )
    return any(name in datum for name in ("world geodetic system 1984", "wgs_1984", "wgs 84"))


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


# --- writing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _WriteOptions:
    layer: str
    encoding: str
    name_field: str | None
    spec: LayerSpec | None = None
    colours: tuple[str | None, ...] = ()


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
    with gdal_warnings(path.name, path) as notes:
        try:
            pyogrio.write_dataframe(frame, path, use_arrow=_USE_ARROW, **options)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise _fail(path.name, "写出失败", err, path) from err
    return notes


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


def _days(series: pd.Series) -> pd.Series:
    """A datetime column whose values are all midnight (a date field of the store) as dates."""
    if (
        not pd.api.types.is_datetime64_any_dtype(series)
        or getattr(series.dt, "tz", None) is not None
    ):
        return series
    known = series.dropna()
    if len(known) and not (known == known.dt.normalize()).all():
        return series
    return pd.Series(
        [None if pd.isna(v) else v.date() for v in series.tolist()],
        index=series.index,
        dtype=object,
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
        {str(c): _column_for_write(_days(attrs[c])) for c in attrs.columns}, index=attrs.index
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
    notes = _write(frame, path, driver="GPKG", layer=opts.layer, dataset_options={"VERSION": "1.3"})
    if opts.spec is not None:
        _style_gpkg(path, opts.layer, opts.spec)
        notes.append("已写入 QGIS/SLD 默认样式（layer_styles）：按状态着色、标注名称、中文字段别名")
    return notes, {}


def _style_gpkg(path: Path, table: str, spec: LayerSpec) -> None:
    """Give the written table its layer's style as the default, as the store's tables have."""
    with closing(sqlite3.connect(path)) as conn, conn:
        row = conn.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
        ).fetchone()
        geometry = row[0] if row else "geom"
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if r[1] != geometry]
        style = StyleRow(
            table=table,
            geometry_column=geometry,
            qml=layer_qml(spec, columns=columns),
            sld=layer_sld(spec),
            description=f"{spec.name_zh}：ykgeo 导出时按图层定义生成",
        )
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        write_layer_styles(conn, [style], update_time=stamp)


def _dbf_text(
    frame: gpd.GeoDataFrame, codec: str, name: str, id_field: str | None
) -> tuple[gpd.GeoDataFrame, list[str], dict[str, list[str]]]:
    """Refuse text the encoding cannot hold; cut text over 254 bytes at a character boundary.

    Returns the frame to write, the notes, and per column the features whose text was
    cut, each as ``id（223 字 → 84 字）`` (by ``id_field`` when given, else 第 n 个要素).
    """
    notes: list[str] = []
    cuts: dict[str, list[str]] = {}
    out = frame.copy()
    labels = (
        [str(v) for v in frame[id_field].tolist()]
        if id_field and id_field in frame.columns
        else [f"第 {i + 1} 个要素" for i in range(len(frame))]
    )
    for col in frame.columns.drop(frame.geometry.name):
        values = frame[col].tolist()
        cut: list[str] = []
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
                values[row] = fit_bytes(value, DBF_TEXT_BYTES, codec)
                cut.append(f"{labels[row]}（{len(value)} 字 → {len(values[row])} 字）")
        if cut:
            out[col] = pd.Series(values, index=frame.index, dtype=object)
            cuts[str(col)] = cut
            shown = "、".join(cut[:5]) + (f" 等 {len(cut)} 个" if len(cut) > 5 else "")
            notes.append(
                f"字段 {col} 有 {len(cut)} 个值超过 Shapefile 的 {DBF_TEXT_BYTES} 字节上限（{codec}），"
                f"已截断：{shown}；完整内容请导出为 GeoPackage 或 GeoJSON，截断清单见压缩包内 {FIELD_MAP_NAME}"
            )
    return out, notes, cuts


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
    id_field = opts.spec.id_field if opts.spec is not None else None
    checked, notes, cuts = _dbf_text(frame, codec, path.name, id_field)
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
        if shortened or cuts:
            _write_field_map(Path(tmp) / FIELD_MAP_NAME, opts.layer, names, cuts)
        if shortened:
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


def _write_field_map(
    path: Path, layer: str, names: Mapping[str, str], cuts: Mapping[str, list[str]]
) -> None:
    """字段对照.csv: every field whose name was shortened or whose text was cut, and what was cut."""
    rows: list[list[str]] = [[*_FIELD_MAP_COLUMNS, "说明"]]
    for full, short in names.items():
        if short == full and full not in cuts:
            continue
        cut = cuts.get(full, [])
        note = f"{len(cut)} 个值超过 {DBF_TEXT_BYTES} 字节已截断：{'、'.join(cut)}" if cut else ""
        rows.append([layer, short, full, note])
    path.write_text(csv_rows(rows, lineterminator="\r\n"), encoding="utf-8-sig", newline="")


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
    if opts.colours and len(opts.colours) == len(out):
        # LIBKML turns OGR feature styles into KML <Style>: the status colours of the map
        out["OGR_STYLE"] = [_kml_style(c) for c in opts.colours]
        notes.append("KML 要素按状态着色（与地图一致）")
    if opts.name_field and opts.name_field in out.columns and "Name" not in out.columns:
        out.insert(
            0, "Name", ["" if is_missing(v) else str(v) for v in out[opts.name_field].tolist()]
        )
    elif opts.name_field:
        notes.append(f"没有名称字段 {opts.name_field}，KML 要素不带名称")
    notes += _write(out.set_crs(4326, allow_override=True), path, driver="LIBKML", layer=opts.layer)
    return notes, {}


def _kml_style(colour: str | None) -> str | None:
    """An OGR style string (fill with some transparency, a solid outline) for a ``#rrggbb`` colour."""
    if not colour or not colour.startswith("#") or len(colour) != 7:
        return None
    # no SYMBOL(): GDAL's LIBKML driver crashes on a symbol without an icon id
    return f"BRUSH(fc:{colour}99);PEN(c:{colour}FF,w:2px)"


#: Projected CRSs a GeoPackage or Shapefile may be written in besides CGCS2000 (EPSG:4490).
EXPORT_CRS: Mapping[int, str] = {
    CGCS2000: "CGCS2000 经纬度（EPSG:4490）",
    4549: "CGCS2000 / 3° 高斯-克吕格 CM 120°E（EPSG:4549）",
}
#: The column of ellipsoidal areas that an export may carry.
AREA_MU_COLUMN = "面积（亩）"


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
    spec: LayerSpec | None = None,
    crs: int = CGCS2000,
    area_mu: bool = False,
    colours: Iterable[str | None] | None = None,
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
    spec
        The layer's definition: a GeoPackage then carries its QGIS/SLD style (status
        colours as in the app, labels, Chinese aliases) as the table's default; notes name
        features by its id field (e.g. which texts a Shapefile cut).
    crs
        GeoPackage and Shapefile: EPSG:4490 (default) or 4549 (CGCS2000 GK CM 120°E,
        metres); GeoJSON and KML are always longitude/latitude.
    area_mu
        Add a column 面积（亩） with each polygon's ellipsoidal area (CGCS2000, 2 decimals).
    colours
        KML only: each feature's ``#rrggbb`` colour (its status colour on the map).

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
    if crs not in EXPORT_CRS:
        known = "、".join(f"EPSG:{c}" for c in EXPORT_CRS)
        raise DataError(f"{path.name}：不支持导出坐标系 EPSG:{crs}（可用：{known}）")
    if crs != CGCS2000 and key in ("geojson", "kml"):
        raise DataError(f"{path.name}：{fmt.label_zh} 只能用经纬度，不能用 EPSG:{crs}")
    frame = _prepare_for_write(gdf, path.name)
    extra: list[str] = []
    if area_mu:
        from ykgeo.area import area_mu as ellipsoidal_mu

        frame[AREA_MU_COLUMN] = ellipsoidal_mu(frame).round(2).to_numpy()
        extra.append(f"{AREA_MU_COLUMN}：按 CGCS2000 椭球面积计算，保留 2 位小数")
    if crs != CGCS2000:
        frame = frame.to_crs(crs)
        extra.append(f"坐标系：{EXPORT_CRS[crs]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".ykgeo-write-", dir=path.parent) as tmp:
        staged = Path(tmp) / path.name
        options = _WriteOptions(
            layer or path.stem, encoding, name_field, spec, tuple(colours) if colours else ()
        )
        notes, names = fmt.writer(frame, staged, options)
        notes = [*notes, *extra]
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
    spec: LayerSpec | None = None,
) -> dict[str, WriteResult]:
    """Write one layer as ``directory/stem.ext`` in each format (default: every entry of :data:`FORMATS`).

    With ``spec`` the GeoPackage carries the layer's style (see :func:`write_vector`).
    """
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
            spec=spec,
        )
        for key in keys
    }
