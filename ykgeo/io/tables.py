"""Read CSV/XLSX tables with lon/lat, X坐标/Y坐标 or WKT columns into features (CRS still undecided)."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely

from ykgeo.errors import DataError, EncodingError
from ykgeo.io.encoding import decode_text_file, normalise_name, parse_coordinate
from ykgeo.io.gdal import ARC_STEP_DEGREES, gdal_warnings
from ykgeo.io.problems import rows_zh
from ykgeo.io.write import _fail

_WKT_COLUMNS = ("wkt", "geometry", "geom", "几何", "图形")
#: (easting names, northing names, description) of coordinate columns; bureau X坐标 is northing.
_COORDINATE_COLUMNS = (
    (("经度", "lon", "lng", "long", "longitude"), ("纬度", "lat", "latitude"), "经度/纬度列"),
    (("y坐标", "东坐标", "easting"), ("x坐标", "北坐标", "northing"), "X坐标（北）/Y坐标（东）列"),
    (("x",), ("y",), "x/y 列"),
)


def _choose(options: Sequence[str], wanted: str | None, source: str, what: str) -> str:
    listed = "、".join(options[:20]) + (f" 等 {len(options)} 个" if len(options) > 20 else "")
    if wanted is not None and wanted not in options:
        raise DataError(
            f"{source}：没有名为“{wanted}”的{what}（现有：{listed or '无'}），请从现有的中选择"
        )
    if wanted is not None or len(options) == 1:
        return wanted or options[0]
    if not options:
        raise DataError(f"{source}：没有找到{what}")
    msg = (
        f"{source}：文件包含多个{what}（{listed}），请指定读取哪一个："
        "命令行 --layer-name 名称，导入页面在“图层”中选择"
    )
    raise DataError(msg)


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


_CURVE_WKT = re.compile(
    r"^\s*(CIRCULARSTRING|COMPOUNDCURVE|CURVEPOLYGON|MULTICURVE|MULTISURFACE)", re.I
)
_SURFACE_WKT = re.compile(r"^\s*(TIN|TRIANGLE|POLYHEDRALSURFACE)", re.I)


def _linearise_wkt(texts: list[str], source: str) -> npt.NDArray[np.object_]:
    """WKT with arcs, linearised by GDAL (the CSV driver parses them; the row path linearises)."""
    pyogrio.set_gdal_config_options({"OGR_ARC_STEPSIZE": str(ARC_STEP_DEGREES)})
    with tempfile.TemporaryDirectory(prefix="ykgeo-wkt-") as tmp:
        path = Path(tmp) / "curves.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["WKT"])
            writer.writerows([t] for t in texts)
        with gdal_warnings(source):
            frame = pyogrio.read_dataframe(path, use_arrow=False)
    return np.asarray(frame.geometry.to_numpy(), dtype=object)


def _wkt_geometries(
    texts: list[str | None], source: str
) -> tuple[npt.NDArray[np.object_], int, list[int]]:
    """Geometries from WKT: plain ones by shapely, arcs linearised by GDAL; TIN/TRIANGLE rows listed."""
    curved = [i for i, t in enumerate(texts) if t is not None and _CURVE_WKT.match(t)]
    surfaces = [i for i, t in enumerate(texts) if t is not None and _SURFACE_WKT.match(t)]
    skip = set(curved) | set(surfaces)
    plain = [None if i in skip else t for i, t in enumerate(texts)]
    geoms = np.asarray(shapely.from_wkt(plain, on_invalid="ignore"), dtype=object)
    if curved:
        geoms[curved] = _linearise_wkt([texts[i] or "" for i in curved], source)
    return geoms, len(curved), surfaces


def _table_geometry(
    df: pd.DataFrame, source: str
) -> tuple[npt.NDArray[np.object_], list[str], str, int]:
    """Geometry from a WKT column or a pair of coordinate columns: (geometries, columns used, note, arcs)."""
    found = _geometry_columns(df.columns)
    if found is None:
        listed = "、".join(map(str, df.columns[:30]))
        msg = f"{source}：表格中没有找到坐标列（经度/纬度、lon/lat、X坐标/Y坐标、x/y）或 WKT 几何列（现有列：{listed}）"
        raise DataError(msg)
    what, columns = found
    linearised = 0
    if what == "wkt":
        text = [v if isinstance(v, str) and v.strip() else None for v in df[columns[0]]]
        geoms, linearised, surfaces = _wkt_geometries(text, source)
        note, problem = f"几何取自 WKT 列“{columns[0]}”", " WKT 无法解析"
        if surfaces:
            note += f"；{rows_zh(surfaces)}的 WKT 是不规则三角网（TIN）或三角形，是三维表面而不是面，不能使用"
            if len(surfaces) == len(df):
                msg = (
                    f"{source}：表格的 WKT 全是不规则三角网（TIN）或三角形（TRIANGLE），是三维表面而不是面，"
                    "不能计算面积或导入；请在 GIS 软件中转为面（POLYGON）后再读取"
                )
                raise DataError(msg)
        if linearised:
            note += (
                f"；{linearised} 行的 WKT 含圆弧等曲线，已线性化（每段弧所对圆心角不超过 "
                f"{ARC_STEP_DEGREES:g}°）"
            )
    else:
        x = np.array([parse_coordinate(v) for v in df[columns[0]]], dtype="float64")
        y = np.array([parse_coordinate(v) for v in df[columns[1]]], dtype="float64")
        ok = np.isfinite(x) & np.isfinite(y)
        geoms = np.full(len(df), None, dtype=object)
        geoms[ok] = shapely.points(x[ok], y[ok])
        note, problem = f"点位取自{what}“{columns[0]}”“{columns[1]}”", "坐标无法识别"
    bad = np.flatnonzero(shapely.is_missing(geoms)).tolist()
    if bad:
        note += f"；{rows_zh(bad)}的{problem}，这些要素没有几何"
    return geoms, columns, note, linearised


def _read_table(
    path: Path, driver: str, *, layer: str | None, encoding: str | None, source: str
) -> tuple[gpd.GeoDataFrame, str, list[str], int]:
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
    geoms, columns, note, linearised = _table_geometry(df, source)
    frame = df.drop(columns=columns)
    return (
        gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index)),
        used,
        [*notes, note],
        linearised,
    )
