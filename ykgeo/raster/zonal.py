"""Zonal statistics for :mod:`ykgeo.raster`: settings, class legends, the exactextract engine and ``zonal_stats``."""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio
import shapely
from exactextract import exact_extract
from exactextract.operation import Operation
from pyproj import CRS

from ykgeo.area import ellipsoidal_area_m2
from ykgeo.crs import CGCS2000, GK_CM120
from ykgeo.errors import RasterError
from ykgeo.raster.core import (
    PixelArea,
    RasterInfo,
    features_crs,
    open_raster,
    to_cgcs2000_bounds,
    transform_geoms,
)
from ykgeo.raster.sources import AreaWeightSource, BandSource, ValidAreaSource
from ykgeo.units import m2_to_mu

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


@dataclass(frozen=True)
class RasterSettings:
    """Thresholds and choices of the raster checks; pass a changed copy (``dataclasses.replace``), never edit globals.

    Attributes
    ----------
    change_from_classes, change_to_classes
        The class pair a change check looks for, by default built-up (80 人造地表)
        → any non-built-up class (GlobeLand30 codes, see :data:`LANDCOVER_CLASSES`).
    done_min_change_fraction
        A feature reported done whose changed share is below this is listed as
        "报完成但影像未见变化".
    unreported_min_change_fraction
        A feature not reported done whose changed share reaches this is listed as
        "影像有变化但未报完成".
    min_before_fraction
        Below this share of ``change_from_classes`` in the "before" image a feature
        cannot be checked (there was nothing to change).
    min_valid_fraction
        Below this share of the feature with data in both images it cannot be checked.
    planar_area_tolerance
        A projected raster's pixels are taken at their planar area when the areal
        scale of the projection over the raster is within this of 1; otherwise each
        pixel's ellipsoidal area is used.
    metric_crs
        The CRS slopes are computed in (EPSG:4549, CGCS2000 GK CM 120°E).
    slope_resolution_m
        Pixel size of the metric DEM used for slopes (default: the DEM's own).
    dam_search_radius_m
        How far from the dam point the reservoir's water may start.
    reservoir_window_m
        Half-size of the DEM window read around each dam.
    grid_cell_m
        Cell size of the progress-density grid.
    max_classes
        More distinct values than this and a raster is not taken as categorical.
    batch_size
        Features per exactextract call (bounds the memory of results).
    max_cells_in_memory
        Largest window exactextract reads at once; bigger features are done in pieces.
    gdal_cache_mb
        GDAL block cache while reading (scoped to the call).
    """

    change_from_classes: tuple[int, ...] = (80,)
    change_to_classes: tuple[int, ...] = (10, 20, 30, 40, 50, 60, 90)
    done_min_change_fraction: float = 0.3
    unreported_min_change_fraction: float = 0.5
    min_before_fraction: float = 0.3
    min_valid_fraction: float = 0.5
    planar_area_tolerance: float = 1e-4
    metric_crs: int = GK_CM120
    slope_resolution_m: float | None = None
    dam_search_radius_m: float = 150.0
    reservoir_window_m: float = 4000.0
    grid_cell_m: float = 500.0
    max_classes: int = 100
    batch_size: int = 2000
    max_cells_in_memory: int = 10_000_000
    gdal_cache_mb: int = 256


DEFAULT_SETTINGS = RasterSettings()


@dataclass(frozen=True)
class RasterClass:
    """One class of a categorical raster: its code, Chinese label and display colour."""

    code: int
    label_zh: str
    color: str


#: Land-cover classes of the demo rasters, GlobeLand30 first-level codes (国家基础地理信息中心).
LANDCOVER_CLASSES: tuple[RasterClass, ...] = (
    RasterClass(10, "耕地", "#f3e07a"),
    RasterClass(20, "林地", "#1b7a3e"),
    RasterClass(30, "草地", "#a6d46a"),
    RasterClass(40, "灌木地", "#5fae61"),
    RasterClass(50, "湿地", "#6fc4c9"),
    RasterClass(60, "水体", "#2b7bd6"),
    RasterClass(80, "人造地表", "#d9412b"),
    RasterClass(90, "裸地", "#c8b89a"),
)

#: Tag under which ykgeo stores class labels in a GeoTIFF (``code=label;…``).
CLASS_TAG = "YKGEO_CLASSES"
#: Tag holding the date a raster shows (ISO ``YYYY-MM-DD``).
DATE_TAG = "YKGEO_DATE"


def raster_info(path: str | Path, *, band: int = 1) -> RasterInfo:
    """Open and check a raster, returning what ykgeo knows about it (RasterError on bad input)."""
    with open_raster(path, band=band) as (_, info):
        return info


def _hex(rgba: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*[int(v) for v in rgba[:3]])


def raster_classes(info: RasterInfo) -> dict[int, RasterClass]:
    """The class legend of a categorical raster: its own tag and colour table, else the demo land cover."""
    labels: dict[int, str] = {}
    for part in info.tags.get(CLASS_TAG, "").split(";"):
        text, _, label = part.partition("=")
        if text.strip().lstrip("-").isdigit() and label.strip():
            labels[int(text)] = label.strip()
    known = {c.code: c for c in LANDCOVER_CLASSES}
    out: dict[int, RasterClass] = {}
    for code in sorted(labels) if labels else sorted(known):
        name = labels.get(code) or (known[code].label_zh if code in known else f"类别 {code}")
        if info.colormap and code in info.colormap:
            color = _hex(info.colormap[code])
        elif code in known:
            color = known[code].color
        else:
            color = _fallback_color(code)
        out[code] = RasterClass(code, name, color)
    return out


def _class_label(classes: Mapping[int, RasterClass], code: int) -> str:
    return classes[code].label_zh if code in classes else f"类别 {code}"


def raster_date(info: RasterInfo) -> dt.date | None:
    """The date a raster shows, from ``YKGEO_DATE`` or the TIFF ``DATETIME`` tag."""
    text = info.tags.get(DATE_TAG, "")
    if not text:
        raw = info.tags.get("TIFFTAG_DATETIME", "")
        text = raw[:10].replace(":", "-") if raw else ""
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


# --- zonal statistics --------------------------------------------------------------------------


def _geoseries(features: gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    geo = features.geometry if isinstance(features, gpd.GeoDataFrame) else features
    if not isinstance(geo, gpd.GeoSeries):
        msg = "需要 GeoDataFrame 或 GeoSeries"
        raise TypeError(msg)
    return geo


def _prepare(
    features: gpd.GeoDataFrame | gpd.GeoSeries, info: RasterInfo
) -> tuple[gpd.GeoSeries, npt.NDArray[np.object_]]:
    """Features as geometries in the raster CRS (non-polygons buffered by half a pixel); refuses no overlap."""
    geo = _geoseries(features)
    src = features_crs(geo.crs)
    geoms = transform_geoms(geo.to_numpy(), src, info.crs)
    kinds = shapely.get_type_id(geoms)
    small = ~np.isin(kinds, (3, 6)) & ~shapely.is_missing(geoms)
    if small.any():
        geoms = geoms.copy()
        geoms[small] = shapely.buffer(geoms[small], min(info.res) / 2.0)
    _check_overlap(geoms, info, geo, src)
    return geo, geoms


def _check_overlap(
    geoms: npt.NDArray[np.object_], info: RasterInfo, geo: gpd.GeoSeries, src: CRS
) -> None:
    box = shapely.box(*info.bounds)
    ok = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if ok.any() and shapely.intersects(geoms[ok], box).any():
        return
    rw, rs, re_, rn = to_cgcs2000_bounds(info)
    layer = transform_geoms(geo.to_numpy()[ok], src, CGCS2000) if ok.any() else geoms[:0]
    lw, ls, le, ln = shapely.total_bounds(layer) if len(layer) else (math.nan,) * 4
    msg = (
        f"栅格 {info.name} 与图层没有重叠：栅格范围 {rw:.4f}–{re_:.4f}°E、{rs:.4f}–{rn:.4f}°N，"
        f"图层范围 {lw:.4f}–{le:.4f}°E、{ls:.4f}–{ln:.4f}°N。请检查栅格或图层的坐标系是否正确。"
    )
    raise RasterError(msg, message_en=f"raster {info.name} does not overlap the layer")


def _block_order(geoms: npt.NDArray[np.object_], info: RasterInfo) -> npt.NDArray[np.intp]:
    """Feature order that visits raster blocks row by row, so decompressed blocks are reused."""
    pts = shapely.get_coordinates(shapely.centroid(geoms))
    if len(pts) != len(geoms):  # empty geometries have no centroid coordinates
        return np.arange(len(geoms))
    inv = ~info.transform
    cols, rows = inv @ (pts[:, 0], pts[:, 1])
    bh, bw = info.block_shape
    return np.lexsort((np.asarray(cols) // max(bw, 1), np.asarray(rows) // max(bh, 1)))


def _extract(
    values: Any,
    area: PixelArea,
    geoms: npt.NDArray[np.object_],
    crs: CRS,
    *,
    stats: Sequence[str],
    categorical: bool,
    settings: RasterSettings,
    order: npt.NDArray[np.intp] | None = None,
) -> pd.DataFrame:
    """Run exactextract over ``geoms`` (in the raster CRS) in batches; one row per geometry, positional index."""
    # exactextract keeps only the C++ side of a source: the Python objects must stay referenced here
    valid_area = ValidAreaSource(values, area)
    cell_area = AreaWeightSource(values, area)
    planar = (
        area.mode == "planar"
    )  # equal cells: areas follow from count and frac, no extra sources
    names = list(dict.fromkeys([*stats, "count"])) if planar else list(stats)
    ops = [Operation(s, s, values) for s in names]
    if not planar:
        ops.append(Operation("sum", "valid_area_m2", valid_area))
    if categorical:
        ops.append(Operation("unique", "unique", values))
        if planar:
            ops.append(Operation("frac", "area_frac", values))
        else:
            ops.append(Operation("weighted_frac", "area_frac", values, cell_area))
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    ok = np.flatnonzero(usable)
    if order is not None:
        ok = np.asarray(order, dtype=np.intp)[usable[order]]
    frames = []
    wkt = crs.to_wkt()
    for start in range(0, len(ok), settings.batch_size):
        idx = ok[start : start + settings.batch_size]
        batch = gpd.GeoDataFrame({"_row": idx}, geometry=list(geoms[idx]), crs=wkt)
        frames.append(
            exact_extract(
                values,
                batch,
                ops,
                include_cols=["_row"],
                output="pandas",
                strategy="feature-sequential",
                max_cells_in_memory=settings.max_cells_in_memory,
            )
        )
    columns = ["_row", *names, *(["unique", "area_frac"] if categorical else [])]
    if not planar:
        columns.append("valid_area_m2")
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    out = out.set_index("_row").reindex(range(len(geoms)))
    if planar:
        count = pd.to_numeric(out["count"], errors="coerce").astype("float64")
        out["valid_area_m2"] = count * area.constant
    return out


def _class_columns(
    raw: pd.DataFrame, classes: Mapping[int, RasterClass], settings: RasterSettings, name: str
) -> pd.DataFrame:
    """``frac_<code>`` (area fraction) and ``area_mu_<code>`` columns from exactextract's unique/weighted_frac arrays."""
    per_row: list[dict[int, float]] = []
    seen: set[int] = set()
    for uniq, frac in zip(raw["unique"], raw["area_frac"], strict=True):
        if uniq is None or (isinstance(uniq, float) and math.isnan(uniq)):
            per_row.append({})
            continue
        row = {int(u): float(f) for u, f in zip(np.asarray(uniq), np.asarray(frac), strict=True)}
        seen.update(row)
        per_row.append(row)
        if len(seen) > settings.max_classes:
            msg = (
                f"栅格 {name} 在这些要素内有超过 {settings.max_classes} 个不同的值，"
                "不像分类（地类）栅格；请去掉 --categorical，或检查栅格是否为连续值"
            )
            raise RasterError(msg)
    codes = sorted(seen | (set(classes) & seen))
    valid_mu = m2_to_mu(raw["valid_area_m2"].astype("float64").fillna(0.0).to_numpy())
    data: dict[str, Any] = {}
    for code in codes:
        frac = np.array([row.get(code, 0.0) for row in per_row], dtype="float64")
        data[f"frac_{code}"] = frac
        data[f"area_mu_{code}"] = frac * valid_mu
    return pd.DataFrame(data, index=raw.index)


def zonal_stats(
    raster: str | Path,
    features: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    categorical: bool = False,
    band: int = 1,
    settings: RasterSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Statistics of a raster over each feature, pixels weighted by the exact share inside it.

    Parameters
    ----------
    raster
        Any raster GDAL reads (GeoTIFF, tiled or not), in any CRS and dtype.
    features
        The features, with a CRS. Points and lines are buffered by half a pixel.
    categorical
        Also give each class's area fraction and area in 亩 (integer rasters only).
    band
        1-based band.
    settings
        Thresholds and engine options.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``features.index``: ``count`` (covered pixels, fractional), ``mean``,
        ``min``, ``max``, ``sum`` (value × covered fraction), ``majority`` (value
        covering most; ties to the larger value), ``valid_area_mu`` (area with data),
        ``feature_area_mu`` (ellipsoidal area of the polygon), ``nodata_fraction``;
        when categorical, ``frac_<code>`` (share of the valid area) and
        ``area_mu_<code>`` per class. ``count``/``mean``/``sum`` weight pixels by
        covered fraction exactly as exactextract does; class fractions and areas
        weight them by covered ground area. ``attrs`` holds the raster name,
        the class legend and how pixel areas were computed.

    Raises
    ------
    RasterError
        Corrupt or unreadable raster, no or unknown CRS, no overlap with the
        features, ``categorical`` on a float raster.
    """
    with open_raster(raster, band=band) as (ds, info):
        if categorical and not info.is_integer:
            msg = (
                f"栅格 {info.name} 是浮点型（{info.dtype}{'，带比例/偏移' if info.scaled else ''}），"
                "不能按类别统计；分类统计只适用于整数型的地类栅格"
            )
            raise RasterError(
                msg, message_en=f"{info.name}: categorical stats need an integer raster"
            )
        geo, geoms = _prepare(features, info)
        area = PixelArea(info, tolerance=settings.planar_area_tolerance)
        values = BandSource(ds, info)
        with rasterio.Env(GDAL_CACHEMAX=settings.gdal_cache_mb * 1024 * 1024):
            raw = _extract(
                values,
                area,
                geoms,
                info.crs,
                stats=("count", "sum", "mean", "min", "max", "majority"),
                categorical=categorical,
                settings=settings,
                order=_block_order(geoms, info),
            )
    out = pd.DataFrame(index=geo.index)
    for col in ("count", "mean", "min", "max", "sum", "majority"):
        out[col] = pd.to_numeric(raw[col], errors="coerce").astype("float64").to_numpy()
    out["count"] = out["count"].fillna(0.0)
    out["sum"] = out["sum"].fillna(0.0)
    valid_m2 = raw["valid_area_m2"].astype("float64").fillna(0.0).to_numpy()
    out["valid_area_mu"] = m2_to_mu(valid_m2)
    feature_m2 = _feature_area_m2(geo)
    out["feature_area_mu"] = m2_to_mu(feature_m2)
    with np.errstate(invalid="ignore", divide="ignore"):
        nodata = np.clip(1.0 - valid_m2 / feature_m2, 0.0, 1.0)
    out["nodata_fraction"] = np.where(feature_m2 > 0, nodata, np.nan)
    classes: dict[int, RasterClass] = {}
    if categorical:
        classes = raster_classes(info)
        cls = _class_columns(raw, classes, settings, info.name)
        cls.index = out.index
        out = pd.concat([out, cls], axis=1)
    out.attrs = {
        "raster": info.name,
        "area_method_zh": area.describe_zh(),
        "classes": {k: v.label_zh for k, v in classes.items()},
    }
    return out


def _feature_area_m2(geo: gpd.GeoSeries) -> npt.NDArray[np.float64]:
    geoms = transform_geoms(geo.to_numpy(), features_crs(geo.crs), CGCS2000)
    areas = ellipsoidal_area_m2(geoms)
    return np.where(np.isin(shapely.get_type_id(geoms), (3, 6)), areas, np.nan)


def atomic_write(path: Path, write: Any) -> Path:
    """Write through a temporary file in the same folder, renamed into place only when complete."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        msg = f"输出目录不存在：{path.parent}"
        raise RasterError(msg)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent or ".")
    os.close(fd)
    try:
        write(Path(tmp))
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _fallback_color(code: int) -> str:
    rng = np.random.default_rng(abs(int(code)) + 7)
    return _hex(rng.integers(40, 230, size=3).tolist())
