"""Deterministic demo rasters for Yongkang: a synthetic DEM of the basin and its hills, and land cover at the end of 2021 and 2022.

Everything is synthetic (示意), generated from a seed and, when given, the demo
store: the land cover is consistent with the store's statuses (parcels completed in
2022 are built-up at the end of 2021 and cleared at the end of 2022) except for a
few deliberate contradictions, and the DEM holds a basin behind each reservoir's
dam whose storage below the listed water level is close to 75 % of its 总库容.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import rasterio
import shapely
from rasterio.features import rasterize

from ykgeo.crs import CGCS2000, GK_CM120
from ykgeo.demo.rasters.base import (
    RIVER_LONLAT,
    TO_GK,
    DemoRasterSpec,
    boundary_lonlat,
    elevation_m,
    store_layer,
    to_gk_geoms,
)
from ykgeo.demo.rasters.dem import carve_reservoirs, dem_grid
from ykgeo.demo.rasters.landcover import base_landcover, landcover_grid, parcel_cover
from ykgeo.raster import CLASS_TAG, DATE_TAG, LANDCOVER_CLASSES
from ykgeo.store import Store, find_demo_store

__all__ = [
    "DEM_NAME",
    "LANDCOVER_2021",
    "LANDCOVER_2022",
    "DemoRasterSpec",
    "build_demo_rasters",
    "elevation_m",
]

DEM_NAME = "yongkang_dem.tif"
LANDCOVER_2021 = "landcover_2021.tif"
LANDCOVER_2022 = "landcover_2022.tif"
LEVELS_NAME = "reservoir_levels.csv"
CONTRADICTIONS_NAME = "landcover_contradictions.csv"


def _write(
    path: Path,
    arr: npt.NDArray[Any],
    profile: dict[str, Any],
    tags: dict[str, str],
    colormap: Any = None,
    *,
    unit: str = "",
    description: str = "",
) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(arr, 1)
        dst.update_tags(**tags)
        if colormap:
            dst.write_colormap(1, colormap)
        if unit:
            dst.set_band_unit(1, unit)
        if description:
            dst.set_band_description(1, description)
    tmp.replace(path)
    return path


def build_demo_rasters(
    out_dir: Path | str,
    *,
    store_path: Path | str | None = None,
    seed: int = 2022,
    spec: DemoRasterSpec | None = None,
) -> list[Path]:
    """Write the demo DEM (EPSG:4490) and the end-2021 / end-2022 land cover (EPSG:4549) into ``out_dir``.

    With a store (default: the checkout's demo store when there is one) the land cover
    follows the store's parcels and statuses and the DEM its reservoirs; the
    deliberate contradictions and the reservoir water levels are written beside
    the rasters as CSV. Same inputs and seed → byte-identical files.
    """
    spec = spec or DemoRasterSpec(seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = Path(store_path) if store_path else find_demo_store()
    store = Store(path) if path else None
    rng = np.random.default_rng(spec.seed)
    written: list[Path] = []

    # DEM (geographic, like SRTM/ALOS products)
    transform, width, height = dem_grid(spec)
    cols = transform.c + transform.a * (np.arange(width) + 0.5)
    z = np.empty((height, width), dtype="float64")
    for r0 in range(0, height, 256):
        rows = transform.f + transform.e * (np.arange(r0, min(r0 + 256, height)) + 0.5)
        lon, lat = np.meshgrid(cols, rows)
        gx, gy = TO_GK.transform(lon, lat)
        z[r0 : r0 + 256] = elevation_m(gx, gy, seed=spec.seed)
    river = shapely.LineString(RIVER_LONLAT)
    channel = rasterize(
        [river.buffer(0.0006)], out_shape=z.shape, transform=transform, dtype="uint8"
    ).astype(bool)
    z[channel] -= 3.0
    dams = store_layer(store, "reservoirs", dt.date(2022, 12, 31))
    surfaces = store_layer(store, "reservoir_surfaces", dt.date(2022, 12, 31))
    levels = carve_reservoirs(z, transform, dams, surfaces, rng)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "int16",
        "crs": f"EPSG:{CGCS2000}",
        "transform": transform,
        "nodata": -32768,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 2,
        "zlevel": 9,
    }
    tags = {
        "YKGEO_KIND": "dem",
        "YKGEO_SYNTHETIC": "示意数据，非实测",
        "YKGEO_SEED": str(spec.seed),
    }
    written.append(
        _write(
            out / DEM_NAME,
            np.round(z).astype("int16"),
            profile,
            tags,
            unit="m",
            description="高程（m，示意）",
        )
    )
    if levels:
        with (out / LEVELS_NAME).open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(levels[0]))
            writer.writeheader()
            writer.writerows(levels)
        written.append(out / LEVELS_NAME)

    # land cover (GK CM 120°E, like a national 10–30 m product re-projected by the bureau)
    lt, lw, lh = landcover_grid(spec)
    lc21 = base_landcover(lt, lw, lh, spec)
    if surfaces is not None:
        water = rasterize(
            list(to_gk_geoms(surfaces.geometry.to_numpy())),
            out_shape=lc21.shape,
            transform=lt,
            dtype="uint8",
        ).astype(bool)
        lc21[water] = 60
    lc22 = lc21.copy()
    planted = parcel_cover(lc21, lc22, lt, store, rng) if store is not None else []
    outside = ~rasterize(
        [to_gk_geoms([boundary_lonlat()])[0].buffer(500.0)],
        out_shape=lc21.shape,
        transform=lt,
        dtype="uint8",
    ).astype(bool)
    lc21[outside] = 0
    lc22[outside] = 0
    colormap = {
        c.code: (*(int(c.color[i : i + 2], 16) for i in (1, 3, 5)), 255) for c in LANDCOVER_CLASSES
    }
    colormap[0] = (0, 0, 0, 0)
    labels = ";".join(f"{c.code}={c.label_zh}" for c in LANDCOVER_CLASSES)
    lprofile = {
        "driver": "GTiff",
        "width": lw,
        "height": lh,
        "count": 1,
        "dtype": "uint8",
        "crs": f"EPSG:{GK_CM120}",
        "transform": lt,
        "nodata": 0,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 2,
        "zlevel": 9,
    }
    for name, arr, day in (
        (LANDCOVER_2021, lc21, "2021-12-31"),
        (LANDCOVER_2022, lc22, "2022-12-31"),
    ):
        tags = {
            CLASS_TAG: labels,
            DATE_TAG: day,
            "YKGEO_KIND": "landcover",
            "YKGEO_SYNTHETIC": "示意数据，非实测",
            "YKGEO_SEED": str(spec.seed),
        }
        written.append(
            _write(
                out / name,
                arr,
                lprofile,
                tags,
                colormap,
                description=f"地类（GlobeLand30 一级类编码，{day}，示意）",
            )
        )
    if planted:
        with (out / CONTRADICTIONS_NAME).open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(planted[0]))
            writer.writeheader()
            writer.writerows(planted)
        written.append(out / CONTRADICTIONS_NAME)
    return written
