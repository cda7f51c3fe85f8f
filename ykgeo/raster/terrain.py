"""Terrain from a DEM: slope in a metric CRS, and reservoir area and storage below a water level."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio
import rasterio.errors
import shapely
from affine import Affine
from exactextract import exact_extract
from exactextract.operation import Operation
from pyproj import CRS
from rasterio.enums import Resampling
from rasterio.features import rasterize, shapes
from rasterio.warp import reproject
from rasterio.windows import Window

from ykgeo.crs import CGCS2000
from ykgeo.errors import RasterError
from ykgeo.raster.core import (
    PixelArea,
    RasterInfo,
    features_crs,
    open_raster,
    read_error,
    transform_geoms,
    window_of_bounds,
)
from ykgeo.raster.sources import ArraySource, BandSource
from ykgeo.raster.zonal import DEFAULT_SETTINGS, RasterSettings, _extract, _geoseries, _prepare
from ykgeo.units import m2_to_mu

__all__ = ["reservoir_storage", "slope_degrees", "terrain_stats"]

#: CRSs that are GK CM 120°E up to a false easting: slopes computed on their grid are the same as in 4549.
_GK_CM120_FAMILY = {4549, 4528}


def slope_degrees(z: npt.ArrayLike, res_x: float, res_y: float) -> npt.NDArray[np.float64]:
    """Slope in degrees by Horn's 3×3 method (as ``gdaldem slope``); NaN at edges and next to NaN.

    ``z`` is a 2-D array of elevations in metres on a grid of ``res_x`` × ``res_y`` metres.
    """
    a = np.asarray(z, dtype="float64")
    out = np.full(a.shape, np.nan)
    if a.shape[0] < 3 or a.shape[1] < 3:
        return out
    nw, n, ne = a[:-2, :-2], a[:-2, 1:-1], a[:-2, 2:]
    w, e = a[1:-1, :-2], a[1:-1, 2:]
    sw, s, se = a[2:, :-2], a[2:, 1:-1], a[2:, 2:]
    dzdx = ((ne + 2 * e + se) - (nw + 2 * w + sw)) / (8.0 * res_x)
    dzdy = ((sw + 2 * s + se) - (nw + 2 * n + ne)) / (8.0 * res_y)
    out[1:-1, 1:-1] = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    return out


def _metric_resolution(info: RasterInfo, area: PixelArea, settings: RasterSettings) -> float:
    if settings.slope_resolution_m:
        return float(settings.slope_resolution_m)
    mid = Window(0, info.height // 2, 1, 1)
    return round(math.sqrt(float(area.window(mid)[0, 0])), 2)


def _read_float(ds: Any, info: RasterInfo, win: Window) -> npt.NDArray[np.float64]:
    try:
        arr = ds.read(info.band, window=win, masked=True)
    except rasterio.errors.RasterioError as err:
        raise read_error(info, err) from err
    scale = ds.scales[info.band - 1] or 1.0
    offset = ds.offsets[info.band - 1] or 0.0
    out = np.ma.filled(arr.astype("float64") * scale + offset, np.nan)
    out[~np.isfinite(out)] = np.nan
    return np.asarray(out, dtype="float64")


def _slope_grid(
    ds: Any,
    info: RasterInfo,
    geom_metric: Any,
    metric: CRS,
    res_m: float,
    native: bool,
    geom_native: Any,
) -> tuple[npt.NDArray[np.float64], Affine, CRS, Any] | None:
    """Slope (degrees) on a metric grid around one feature: (array, transform, crs, geometry in that crs)."""
    if native:
        win = window_of_bounds(info, shapely.bounds(geom_native), pad=2)
        if win is None:
            return None
        z = _read_float(ds, info, win)
        t = ds.window_transform(win)
        return slope_degrees(z, abs(t.a), abs(t.e)), t, info.crs, geom_native
    minx, miny, maxx, maxy = shapely.bounds(geom_metric)
    pad = 2 * res_m
    x0 = math.floor((minx - pad) / res_m) * res_m
    y1 = math.ceil((maxy + pad) / res_m) * res_m
    width = int(math.ceil((maxx + pad - x0) / res_m))
    height = int(math.ceil((y1 - (miny - pad)) / res_m))
    box = shapely.segmentize(
        shapely.box(x0, y1 - height * res_m, x0 + width * res_m, y1), res_m * 8
    )
    src_box = transform_geoms(np.asarray([box], dtype=object), metric, info.crs)[0]
    win = window_of_bounds(info, shapely.bounds(src_box), pad=2)
    if win is None:
        return None
    z = _read_float(ds, info, win)
    dst = np.full((height, width), np.nan)
    dst_t = Affine(res_m, 0, x0, 0, -res_m, y1)
    reproject(
        source=z,
        destination=dst,
        src_transform=ds.window_transform(win),
        src_crs=info.crs.to_wkt(),
        dst_transform=dst_t,
        dst_crs=metric.to_wkt(),
        src_nodata=np.nan,
        dst_nodata=np.nan,
        resampling=Resampling.bilinear,
    )
    return slope_degrees(dst, res_m, res_m), dst_t, metric, geom_metric


def terrain_stats(
    dem: str | Path,
    features: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    band: int = 1,
    settings: RasterSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Mean, min and max elevation (m) and mean and max slope (degrees, computed in EPSG:4549) per feature.

    Elevations come from the DEM's own grid with exact coverage weights. Slopes
    (Horn's method, as ``gdaldem slope``) are computed on the DEM resampled
    bilinearly to ``settings.metric_crs`` window by window, so that a degree DEM
    gives true metric gradients; a DEM already in GK CM 120°E is used as it is.
    """
    metric = CRS.from_epsg(settings.metric_crs)
    with open_raster(dem, band=band) as (ds, info):
        geo, geoms = _prepare(features, info)
        area = PixelArea(info, tolerance=settings.planar_area_tolerance)
        values = BandSource(ds, info, name="dem")
        with rasterio.Env(GDAL_CACHEMAX=settings.gdal_cache_mb * 1024 * 1024):
            raw = _extract(
                values,
                area,
                geoms,
                info.crs,
                stats=("mean", "min", "max"),
                categorical=False,
                settings=settings,
            )
            epsg = info.crs.to_epsg()
            native = epsg in _GK_CM120_FAMILY and settings.metric_crs in _GK_CM120_FAMILY
            res_m = _metric_resolution(info, area, settings)
            src_crs = features_crs(geo.crs)
            geoms_metric = transform_geoms(geo.to_numpy(), src_crs, metric)
            small = ~np.isin(shapely.get_type_id(geoms_metric), (3, 6)) & ~shapely.is_missing(
                geoms_metric
            )
            if small.any():
                geoms_metric = geoms_metric.copy()
                geoms_metric[small] = shapely.buffer(geoms_metric[small], res_m / 2.0)
            slope_mean = np.full(len(geoms), np.nan)
            slope_max = np.full(len(geoms), np.nan)
            for i, (gm, gn) in enumerate(zip(geoms_metric, geoms, strict=True)):
                if gm is None or shapely.is_empty(gm):
                    continue
                got = _slope_grid(ds, info, gm, metric, res_m, native, gn)
                if got is None:
                    continue
                arr, t, crs, geom = got
                src = ArraySource(np.ma.masked_invalid(arr), t, crs, name="slope")
                frame = gpd.GeoDataFrame(geometry=[geom], crs=crs.to_wkt())
                res = exact_extract(
                    src,
                    frame,
                    [Operation("mean", "mean", src), Operation("max", "max", src)],
                    output="pandas",
                )
                slope_mean[i] = (
                    float(res["mean"].iloc[0]) if res["mean"].iloc[0] is not None else np.nan
                )
                slope_max[i] = (
                    float(res["max"].iloc[0]) if res["max"].iloc[0] is not None else np.nan
                )
    out = pd.DataFrame(
        {
            "elevation_mean_m": pd.to_numeric(raw["mean"], errors="coerce").to_numpy(
                dtype="float64"
            ),
            "elevation_min_m": pd.to_numeric(raw["min"], errors="coerce").to_numpy(dtype="float64"),
            "elevation_max_m": pd.to_numeric(raw["max"], errors="coerce").to_numpy(dtype="float64"),
            "slope_mean_deg": slope_mean,
            "slope_max_deg": slope_max,
        },
        index=geo.index,
    )
    out.attrs = {
        "raster": info.name,
        "slope_crs": f"EPSG:{settings.metric_crs}",
        "slope_resolution_m": res_m,
        "slope_native": native,
    }
    return out


def _levels(water_level_m: Any, index: pd.Index) -> npt.NDArray[np.float64]:
    if isinstance(water_level_m, pd.Series):
        return pd.to_numeric(water_level_m.reindex(index), errors="coerce").to_numpy(
            dtype="float64"
        )
    if isinstance(water_level_m, int | float | np.number):
        return np.full(len(index), float(water_level_m))
    arr = np.asarray(water_level_m, dtype="float64")
    if arr.shape != (len(index),):
        msg = f"水位个数（{arr.size}）与水库个数（{len(index)}）不一致"
        raise RasterError(msg)
    return arr


def _water_region(
    z: npt.NDArray[np.float64],
    t: Affine,
    level: float,
    disc: Any,
    surface: Any,
) -> tuple[Any, bool, str]:
    """The polygon of the connected region below ``level`` behind the dam; (polygon or None, closed, note)."""
    below = np.isfinite(z) & (z < level)
    if not below.any():
        return None, False, "坝址附近没有低于该水位的区域（水位低于库底？）"
    polys = [
        shapely.geometry.shape(geom)
        for geom, value in shapes(below.astype("uint8"), mask=below, connectivity=4, transform=t)
        if value == 1
    ]
    arr = np.asarray(polys, dtype=object)
    near = arr[shapely.intersects(arr, disc)]
    if len(near) == 0:
        return None, False, "坝址搜索半径内没有低于该水位的区域"
    h, w = z.shape
    frame = shapely.box(t.c, t.f + t.e * h, t.c + t.a * w, t.f).exterior
    tol = min(abs(t.a), abs(t.e)) * 0.5
    touches = np.asarray([shapely.distance(p.exterior, frame) < tol for p in near])
    if surface is not None and not shapely.is_empty(surface):
        overlap = shapely.area(shapely.intersection(near, surface))
        if overlap.max() > 0:
            k = int(np.argmax(overlap))
            if touches[k]:
                return near[k], False, "水面延伸到分析窗口以外：水位可能高于坝顶，或 DEM 中没有大坝"
            return near[k], True, "按登记水面选定库区"
    closed = near[~touches]
    if len(closed) == 0:
        return (
            near[0],
            False,
            "低于该水位的区域延伸到分析窗口以外：水位可能高于坝顶，或 DEM 中没有大坝",
        )
    k = int(np.argmax(shapely.area(closed)))
    return closed[k], True, "取坝址附近最大的封闭洼地"


def reservoir_storage(
    dem: str | Path,
    dams: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    water_level_m: float | Sequence[float] | pd.Series,
    surfaces: gpd.GeoSeries | None = None,
    band: int = 1,
    settings: RasterSettings = DEFAULT_SETTINGS,
) -> gpd.GeoDataFrame:
    """Water-surface area (亩) and storage (万m³) below a water level behind each dam.

    The water is the 4-connected region of DEM cells below the level that comes
    within ``settings.dam_search_radius_m`` of the dam point and does not run out
    of the ``reservoir_window_m`` window (an open region means the level is above
    the dam crest, or the DEM lacks the dam). When several closed regions qualify,
    the one overlapping the mapped water surface (``surfaces``, indexed by dam id)
    most is taken, else the largest. Storage is Σ (level − z) × cell area over it.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed like ``dams``: ``water_level_m``, ``surface_area_mu``,
        ``storage_wan_m3``, ``max_depth_m``, ``closed``, ``note_zh`` and the water
        polygon as geometry (EPSG:4490).
    """
    geo = _geoseries(dams)
    src_crs = features_crs(geo.crs)
    metric = CRS.from_epsg(settings.metric_crs)
    levels = _levels(water_level_m, geo.index)
    points_metric = shapely.centroid(transform_geoms(geo.to_numpy(), src_crs, metric))
    surf_by_id: dict[Any, Any] = {}
    if surfaces is not None and len(surfaces):
        s_geoms = transform_geoms(surfaces.to_numpy(), features_crs(surfaces.crs), CGCS2000)
        for key, g in zip(surfaces.index, s_geoms, strict=True):
            surf_by_id[key] = shapely.union(surf_by_id[key], g) if key in surf_by_id else g
    rows: list[dict[str, Any]] = []
    water: list[Any] = []
    with open_raster(dem, band=band) as (ds, info):
        area = PixelArea(info, tolerance=settings.planar_area_tolerance)
        windows = shapely.segmentize(
            shapely.buffer(points_metric, settings.reservoir_window_m, quad_segs=2), 200.0
        )
        windows_r = transform_geoms(windows, metric, info.crs)
        discs_r = transform_geoms(
            shapely.buffer(points_metric, settings.dam_search_radius_m), metric, info.crs
        )
        dem_box = shapely.box(*info.bounds)
        dams_r = transform_geoms(points_metric, metric, info.crs)
        if not shapely.intersects(dams_r, dem_box).any():
            msg = f"DEM {info.name} 不覆盖任何一座水库的坝址，请检查 DEM 范围或坐标系"
            raise RasterError(msg)
        for i, key in enumerate(geo.index):
            row: dict[str, Any] = {
                "water_level_m": levels[i],
                "surface_area_mu": np.nan,
                "storage_wan_m3": np.nan,
                "max_depth_m": np.nan,
                "closed": False,
                "note_zh": "",
            }
            geom_out = None
            if not np.isfinite(levels[i]):
                row["note_zh"] = "没有水位"
            elif not shapely.intersects(dams_r[i], dem_box):
                row["note_zh"] = "坝址不在 DEM 范围内"
            else:
                win = window_of_bounds(info, shapely.bounds(windows_r[i]))
                assert win is not None  # the dam is inside the DEM
                z = _read_float(ds, info, win)
                t = ds.window_transform(win)
                surface = None
                if key in surf_by_id:
                    surface = transform_geoms(
                        np.asarray([surf_by_id[key]], dtype=object), CGCS2000, info.crs
                    )[0]
                poly, closed, note = _water_region(z, t, levels[i], discs_r[i], surface)
                row["note_zh"] = note
                row["closed"] = closed
                if poly is not None and closed:
                    mask = rasterize([poly], out_shape=z.shape, transform=t, dtype="uint8").astype(
                        bool
                    )
                    mask &= np.isfinite(z) & (z < levels[i])
                    cell = area.window(win)
                    depth = np.where(mask, levels[i] - z, 0.0)
                    row["surface_area_mu"] = float(m2_to_mu(float(cell[mask].sum())))
                    row["storage_wan_m3"] = float((depth * cell).sum() / 10000.0)
                    row["max_depth_m"] = float(depth.max())
                    geom_out = transform_geoms(
                        np.asarray([poly], dtype=object), info.crs, CGCS2000
                    )[0]
            rows.append(row)
            water.append(geom_out)
    out = gpd.GeoDataFrame(
        pd.DataFrame(rows, index=geo.index),
        geometry=gpd.GeoSeries(water, index=geo.index, crs=CGCS2000),
    )
    return out
