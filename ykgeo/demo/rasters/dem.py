"""The demo DEM: the basin and its hills, with a basin carved behind each reservoir dam to hold about 75 % of its 总库容 below the listed level."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import rasterio
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin

from ykgeo.crs import CGCS2000
from ykgeo.demo.rasters.base import TO_GK, DemoRasterSpec, boundary_lonlat, to_gk_geoms
from ykgeo.raster import PixelArea, RasterInfo

#: Share of the total capacity (总库容, up to the check flood level) held at the normal level.
_NORMAL_SHARE = 0.75


__all__ = ["carve_reservoirs", "dem_grid"]


def dem_grid(spec: DemoRasterSpec) -> tuple[Any, int, int]:
    w, s, e, n = boundary_lonlat().bounds
    m, r = spec.margin_deg, spec.dem_res_deg
    west = math.floor((w - m) / r) * r
    north = math.ceil((n + m) / r) * r
    width = int(math.ceil((e + m - west) / r))
    height = int(math.ceil((north - (s - m)) / r))
    return from_origin(west, north, r, r), width, height


def carve_reservoirs(
    z: npt.NDArray[np.float64],
    transform: Any,
    dams: Any,
    surfaces: Any,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Make each mapped water surface a basin below a water level, walled by a rim and the dam; returns the levels."""
    height, width = z.shape
    info = RasterInfo(
        path=Path("dem"),
        name="dem",
        crs=__import__("pyproj").CRS.from_epsg(CGCS2000),
        transform=transform,
        width=width,
        height=height,
        band=1,
        dtype="float32",
        nodata=None,
        scaled=False,
        block_shape=(256, 256),
        tags={},
        colormap=None,
    )
    row_area = PixelArea(info).window(rasterio.windows.Window(0, 0, 1, height))[:, 0]
    levels: list[dict[str, Any]] = []
    if dams is None or surfaces is None:
        return levels
    by_id: dict[str, Any] = {}
    for rid, geom in zip(surfaces["注册登记号"].astype(str), surfaces.geometry, strict=True):
        by_id[rid] = geom if rid not in by_id else shapely.union(by_id[rid], geom)
    for rid, dam in zip(dams.index.astype(str), dams.geometry, strict=True):
        surface = by_id.get(rid)
        if surface is None or dam is None:
            continue
        inside = rasterize([surface], out_shape=z.shape, transform=transform, dtype="uint8").astype(
            bool
        )
        if inside.sum() < 4:
            continue
        rows, cols = np.nonzero(inside)
        lon, lat = rasterio.transform.xy(transform, rows, cols)
        gx, gy = TO_GK.transform(np.asarray(lon), np.asarray(lat))
        surf_gk = to_gk_geoms([surface])[0]
        dist = shapely.distance(shapely.points(gx, gy), surf_gk.boundary)
        p = (dist / max(float(dist.max()), 1.0)) ** 0.8 + 0.05
        ring = (
            rasterize(
                [surface.buffer(3.0 * transform.a)],
                out_shape=z.shape,
                transform=transform,
                dtype="uint8",
            ).astype(bool)
            & ~inside
        )
        natural_edge = z[ring]
        level = (
            float(np.round(np.percentile(natural_edge, 60), 1))
            if natural_edge.size
            else float(np.median(z[inside]))
        )
        capacity = dams.loc[dams.index.astype(str) == rid, "总库容（万m³）"]
        cap = float(capacity.iloc[0]) if len(capacity) and np.isfinite(capacity.iloc[0]) else 50.0
        target_m3 = cap * 10000.0 * _NORMAL_SHARE
        weight = float((p * row_area[rows]).sum())
        depth_max = float(np.clip(target_m3 / weight, 2.0, 80.0))
        z[rows, cols] = level - depth_max * p
        z[ring] = np.maximum(z[ring], level + 1.5 + rng.uniform(0, 1.0, ring.sum()))
        dam_px = (
            rasterize(
                [dam.buffer(1.6 * transform.a)],
                out_shape=z.shape,
                transform=transform,
                dtype="uint8",
            ).astype(bool)
            & ~inside
        )
        z[dam_px] = np.maximum(z[dam_px], level + 3.0)
        zq = np.round(z[rows, cols])
        stored = float(((level - zq) * row_area[rows]).sum())
        levels.append(
            {
                "注册登记号": rid,
                "水库名称": str(dams.loc[dams.index.astype(str) == rid, "水库名称"].iloc[0])
                if "水库名称" in dams
                else "",
                "正常蓄水位（m）": level,
                "总库容（万m³）": cap,
                "DEM 库容（万m³）": round(stored / 10000.0, 2),
            }
        )
    return levels
