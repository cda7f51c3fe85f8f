"""Where a file's features are: decide the coordinate system, refuse impossible coordinates, bring them to CGCS2000.

The planner's choice (``--crs``) wins over the file's declaration, which wins over the numbers;
GCJ-02 downloads are shifted back; a refusal names the features, or the coordinate system the
numbers look like. :func:`place_features` is what :func:`ykgeo.io.read_vector` calls.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj import CRS

from ykgeo.crs import (
    CGCS2000,
    CRSChoice,
    check_near_yongkang,
    crs_label_zh,
    detect_crs_from_coordinates,
    gcj02_to_wgs84,
    impossible_coordinates,
    parse_crs_choice,
    resolve_crs,
    suggest_crs,
)
from ykgeo.errors import CRSError, DataError
from ykgeo.io.encoding import printable
from ykgeo.io.gdal import feature_labels
from ykgeo.io.write import _geometries_to_cgcs2000

__all__ = ["GCJ02_HINT_ZH", "looks_gcj02", "place_features"]

_CRS_LABELS_ZH = {
    4490: "CGCS2000 经纬度",
    4528: "CGCS2000 3° 高斯-克吕格第 40 带（带号前缀）",
    4549: "CGCS2000 3° 高斯-克吕格 中央经线 120°E（无带号）",
    4326: "WGS84 经纬度",
}


def _describe_crs(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} {_CRS_LABELS_ZH.get(epsg, crs.name)}" if epsg else crs.name


def _user_choice(user_crs: Any, source: str) -> CRSChoice | None:
    """The coordinate system the planner named (text such as ``4549``, ``GCJ02``, or a CRS)."""
    if user_crs is None or isinstance(user_crs, CRSChoice):
        return user_crs
    try:
        if isinstance(user_crs, str):
            return parse_crs_choice(user_crs)
        crs = resolve_crs(user_crs)
    except CRSError as err:
        raise CRSError(f"{source}：{err.message_zh}", suggestions=err.suggestions) from err
    return CRSChoice(crs, False, crs_label_zh(crs))


def _datum_note(declared: Any, crs: CRS) -> str:
    """Say so when a datum the file names in an odd way was identified (``[EPSG ID 6326]``, unnamed)."""
    try:
        original = CRS.from_user_input(declared)
    except pyproj.exceptions.CRSError:
        return ""
    before, after = (
        c.geodetic_crs.datum.name if c.geodetic_crs and c.geodetic_crs.datum else ""
        for c in (original, crs)
    )
    if not before or before == after:
        return ""
    return (
        f"；文件中的大地基准名称“{printable(before, 60)}”无法直接识别，按其椭球和名称视为 {after}"
    )


def _refuse_impossible(
    geoms: npt.NDArray[np.object_], frame: gpd.GeoDataFrame, *, geographic: bool, source: str
) -> None:
    """Coordinates that cannot be real (infinite, beyond ±180°/±90°, beyond a million km) name their features."""
    coords = shapely.get_coordinates(geoms)
    bad = impossible_coordinates(coords[:, 0], coords[:, 1], geographic=geographic)
    if not bad.any():
        return
    _coords, owner = shapely.get_coordinates(geoms, return_index=True)  # whose they are
    rows = np.unique(owner[bad])
    first = {int(r): coords[np.flatnonzero(bad & (owner == r))[0]] for r in rows[:10]}
    labels = feature_labels(frame)
    what = (
        "经纬度超出范围（经度应在 ±180°、纬度应在 ±90° 以内）" if geographic else "坐标数值不可能"
    )
    shown = "；".join(f"{labels[r]}：x={xy[0]:.6g}, y={xy[1]:.6g}" for r, xy in first.items())
    more = f"；另有 {len(rows) - 10} 个要素" if len(rows) > 10 else ""
    msg = f"{source}：{len(rows)} 个要素的坐标{what}或不是有限数值：{shown}{more}。请在 GIS 软件中修正这些要素，或核对坐标系"
    raise DataError(msg, message_en=f"{source}: {len(rows)} features with impossible coordinates")


def _with_suggestion(err: CRSError, geoms: npt.NDArray[np.object_], crs: CRS) -> CRSError:
    """The error, plus the coordinate system the raw numbers look like when it is not the declared one."""
    coords = shapely.get_coordinates(geoms)
    guess = suggest_crs(coords[:, 0], coords[:, 1]) if len(coords) else None
    if guess is None or guess.epsg == crs.to_epsg():
        return err
    looks_geographic = guess.epsg == CGCS2000
    zone_prefixed = 4491 <= guess.epsg <= 4533  # an 8-digit easting names its own zone
    if looks_geographic == crs.is_geographic and not zone_prefixed:
        return err  # degrees for degrees, or metres for metres without a zone to tell them apart
    label = crs_label_zh(CRS.from_epsg(guess.epsg))
    hint = (
        f"坐标数值看起来是{label}的坐标（{guess.reason_zh}）。如确认，请改用该坐标系："
        f"命令行 --crs {guess.epsg}，导入页面“坐标系”选择“{label}”"
    )
    return CRSError(
        f"{err.message_zh.rstrip('。')}。{hint}",
        message_en=err.message_en,
        suggestions=(f"EPSG:{guess.epsg}", *err.suggestions),
    )


def _undo_gcj02(geoms: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.object_], float]:
    """GCJ-02 lon/lat shifted back to WGS84, and the mean shift in metres."""
    before = shapely.get_coordinates(geoms)
    shifted = shapely.transform(geoms, lambda c: np.column_stack(gcj02_to_wgs84(c[:, 0], c[:, 1])))
    after = shapely.get_coordinates(shifted)
    if len(before) == 0:
        return shifted, 0.0
    dx = (after[:, 0] - before[:, 0]) * 111_320.0 * np.cos(np.radians(before[:, 1]))
    dy = (after[:, 1] - before[:, 1]) * 110_574.0
    return shifted, float(np.mean(np.hypot(dx, dy)))


def place_features(
    gdf: gpd.GeoDataFrame,
    *,
    declared: Any,
    origin: str,
    user_crs: Any,
    source: str,
    keep_crs: bool = False,
) -> tuple[gpd.GeoDataFrame, str]:
    """Decide the coordinate system, refuse impossible coordinates, and bring the features to CGCS2000.

    With ``keep_crs`` the features stay in their own coordinate system (only GCJ-02 is shifted
    back) and the Yongkang check is skipped: that is how ``ykgeo area`` measures any file.
    """
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    choice = _user_choice(user_crs, source)
    if choice is not None:
        crs = choice.crs
        note = f"按指定坐标系 {choice.label_zh} 读取"
    elif declared is not None and str(declared).strip():
        crs = resolve_crs(declared, source=source, allow_legacy=keep_crs)
        note = f"{origin}，坐标系为 {_describe_crs(crs)}{_datum_note(declared, crs)}"
    else:
        _refuse_impossible(geoms, gdf, geographic=False, source=source)
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
    try:
        _refuse_impossible(geoms, gdf, geographic=crs.is_geographic, source=source)
    except DataError as err:
        likely = suggest_crs(*shapely.get_coordinates(geoms).T)
        if not crs.is_geographic or likely is None or likely.epsg == CGCS2000:
            raise
        label = crs_label_zh(CRS.from_epsg(likely.epsg))
        x, y = np.median(shapely.get_coordinates(geoms), axis=0)
        msg = (
            f"{source}：文件声明的坐标系是 {crs_label_zh(crs)}，但坐标数值（中位数 x={x:.1f}, y={y:.1f}）"
            f"是米坐标，看起来是{label}。如确认，请改用该坐标系：命令行 --crs {likely.epsg}，"
            f"导入页面“坐标系”选择“{label}”"
        )
        raise CRSError(msg, suggestions=(f"EPSG:{likely.epsg}",)) from err
    if choice is not None and choice.gcj02:
        geoms, shift_m = _undo_gcj02(geoms)
        note += f"，已按 GCJ-02 纠偏算法还原为 WGS84（≈ CGCS2000），位置平均移动 {shift_m:.0f} 米"
    attrs = gdf.drop(columns=[gdf.geometry.name])
    if keep_crs:
        geometry = gpd.GeoSeries(geoms, index=gdf.index, crs=crs)
        return gpd.GeoDataFrame(attrs, geometry=geometry), note
    try:
        result, wgs84_note = _geometries_to_cgcs2000(geoms, crs, source=source)
        bounds = shapely.bounds(result)
        check_near_yongkang(
            (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2, source=source
        )
    except CRSError as err:
        raise _with_suggestion(err, geoms, crs) from err
    if wgs84_note or crs.to_epsg() != CGCS2000:
        note += f"；{wgs84_note or f'已转换为 CGCS2000 经纬度（EPSG:{CGCS2000}）'}"
    geometry = gpd.GeoSeries(result, index=gdf.index, crs=CGCS2000)
    return gpd.GeoDataFrame(attrs, geometry=geometry), note


#: DataV (阿里云) outline properties: their coordinates are GCJ-02, whatever the GeoJSON says.
_DATAV_KEYS = ("centroid", "center", "acroutes", "childrenNum", "subFeatureIndex", "parent")
GCJ02_HINT_ZH = (
    "数据疑似来自高德/阿里云 DataV（含 adcode 等字段）：这类数据的坐标是 GCJ-02（火星坐标），"
    "与 CGCS2000 在永康相差约 550 米。如确认，请指定坐标系 GCJ-02 重新读取"
    "（命令行 --crs GCJ02，导入页面“坐标系”选择“GCJ-02”）"
)


def looks_gcj02(gdf: gpd.GeoDataFrame, choice: Any) -> bool:
    """True for a DataV-style download (adcode plus its companions) not already declared GCJ-02."""
    if isinstance(choice, CRSChoice) and choice.gcj02:
        return False
    if isinstance(choice, str) and parse_crs_choice(choice).gcj02:
        return False
    columns = {str(c) for c in gdf.columns}
    return "adcode" in columns and any(key in columns for key in _DATAV_KEYS)
