"""Progress-density grids for :mod:`ykgeo.raster`: done 亩 per EPSG:4549 cell, written as GeoTIFF."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import rasterio
import shapely
from pyproj import CRS
from rasterio.transform import from_origin

from ykgeo.crs import CGCS2000, GK_CM120
from ykgeo.errors import RasterError
from ykgeo.raster.core import (
    transform_geoms,
)
from ykgeo.raster.zonal import DEFAULT_SETTINGS, RasterSettings, atomic_write

# --- progress-density grid --------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressGrid:
    """Done 亩 per grid cell of a target, in EPSG:4549 (cells outside the city are ``nodata``)."""

    values: npt.NDArray[np.float32]
    transform: Any
    cell_m: float
    target_key: str
    target_name_zh: str
    as_of: dt.date | None
    total_mu: float
    features: int
    crs_epsg: int = GK_CM120
    nodata: float = -9999.0


def _grid_origin(bounds: Sequence[float], cell: float) -> tuple[float, float, int, int]:
    minx, miny, maxx, maxy = bounds
    x0 = math.floor(minx / cell) * cell
    y1 = math.ceil(maxy / cell) * cell
    width = max(int(math.ceil((maxx - x0) / cell)), 1)
    height = max(int(math.ceil((y1 - miny) / cell)), 1)
    return x0, y1, width, height


def density_grid(
    geoms_4490: npt.ArrayLike,
    amount_mu: npt.ArrayLike,
    *,
    cell_m: float,
    extent_4490: Any = None,
) -> tuple[npt.NDArray[np.float64], Any, npt.NDArray[np.bool_]]:
    """Spread each polygon's amount (亩) over square EPSG:4549 cells by the share of its area in each.

    Returns the grid, its affine transform and the mask of cells inside ``extent_4490``
    (all True when none is given). Parts of a polygon outside the grid are dropped.
    """
    geoms = transform_geoms(np.asarray(geoms_4490, dtype=object), CGCS2000, GK_CM120)
    amounts = np.asarray(amount_mu, dtype="float64")
    if extent_4490 is not None:
        extent = transform_geoms(np.asarray([extent_4490], dtype=object), CGCS2000, GK_CM120)[0]
        bounds = shapely.bounds(extent)
    else:
        extent = None
        bounds = shapely.total_bounds(geoms)
    if not np.isfinite(bounds).all():
        msg = "没有可用于生成密度格网的范围（没有完成的要素，项目库也没有市界）"
        raise RasterError(msg)
    x0, y1, width, height = _grid_origin(bounds, cell_m)
    transform = from_origin(x0, y1, cell_m, cell_m)
    grid = np.zeros((height, width), dtype="float64")
    poly = np.isin(shapely.get_type_id(geoms), (3, 6)) & (amounts > 0)
    idx = np.flatnonzero(poly)
    if len(idx):
        b = shapely.bounds(geoms[idx])
        c0 = np.clip(np.floor((b[:, 0] - x0) / cell_m).astype(int), 0, width - 1)
        c1 = np.clip(np.floor((b[:, 2] - x0) / cell_m).astype(int), 0, width - 1)
        r0 = np.clip(np.floor((y1 - b[:, 3]) / cell_m).astype(int), 0, height - 1)
        r1 = np.clip(np.floor((y1 - b[:, 1]) / cell_m).astype(int), 0, height - 1)
        nr, nc = r1 - r0 + 1, c1 - c0 + 1
        counts = nr * nc
        feat = np.repeat(np.arange(len(idx)), counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        rows = r0[feat] + offs // nc[feat]
        cols = c0[feat] + offs % nc[feat]
        boxes = shapely.box(
            x0 + cols * cell_m,
            y1 - (rows + 1) * cell_m,
            x0 + (cols + 1) * cell_m,
            y1 - rows * cell_m,
        )
        parts = shapely.area(shapely.intersection(geoms[idx][feat], boxes))
        whole = shapely.area(geoms[idx])
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(whole[feat] > 0, parts / whole[feat], 0.0)
        np.add.at(grid, (rows, cols), share * amounts[idx][feat])
    inside = np.ones_like(grid, dtype=bool)
    if extent is not None:
        from rasterio.features import geometry_mask

        inside = ~geometry_mask(
            [extent], out_shape=grid.shape, transform=transform, all_touched=True
        )
        inside |= grid > 0
    return grid, transform, inside


def progress_grid(
    store: Any,
    target_key: str,
    *,
    as_of: dt.date | None = None,
    year: int | None = None,
    cell_m: float | None = None,
    settings: RasterSettings = DEFAULT_SETTINGS,
) -> ProgressGrid:
    """Done 亩 per cell for an area target of the store's plan, as of a date.

    The amounts are exactly those :func:`ykgeo.progress.progress_report` counts as
    done for the target (statuses, plan year, overlap deductions, ledger area where
    the plan says so), so the grid total equals the report's ``done``. Each feature's
    amount is spread over the cells by the share of its GK area in each cell. The
    grid covers the city boundary when the store has one (cells outside are nodata),
    else the done features.
    """
    from ykgeo.progress import progress_report

    cell = float(cell_m or settings.grid_cell_m)
    if not cell > 0:
        msg = f"格网大小必须为正数（米）：{cell_m}"
        raise RasterError(msg)
    if as_of is None:  # now, or the end of the latest plan year when that is over
        years = store.plan_years()
        year = year or (years[-1] if years else dt.date.today().year)
        day = min(dt.date.today(), dt.date(year, 12, 31))
    else:
        day = as_of
    report = progress_report(store, as_of=day, year=year, targets=[target_key])
    row = report.row(target_key)
    if row.measure != "area":
        msg = f"目标“{row.name_zh}”按{row.unit}计量（{row.measure}），密度格网只支持按面积（亩）计量的目标"
        raise RasterError(msg)
    feats = row.features
    done = feats[
        (feats["class"] == "done").to_numpy() & (feats["amount"].to_numpy(dtype="float64") > 0)
    ]
    layer = store.read_layer(row.layer, as_of=day)
    geoms = layer.geometry.reindex(done["id"].astype(str).to_numpy()).to_numpy()
    amounts = done["amount"].to_numpy(dtype="float64")
    extent = None
    if "city_boundary" in store.layer_keys() and store.count("city_boundary"):
        extent = store.read_layer("city_boundary").geometry.union_all()
    elif len(done) == 0:
        msg = f"截至 {day}，目标“{row.name_zh}”没有已完成的要素，且项目库没有市界，无法确定格网范围"
        raise RasterError(msg)
    grid, transform, inside = density_grid(geoms, amounts, cell_m=cell, extent_4490=extent)
    values = np.where(inside, grid, -9999.0).astype("float32")
    return ProgressGrid(
        values=values,
        transform=transform,
        cell_m=cell,
        target_key=row.key,
        target_name_zh=row.name_zh,
        as_of=day,
        total_mu=float(grid.sum()),
        features=len(done),
    )


def write_progress_grid(grid: ProgressGrid, path: str | Path) -> Path:
    """Write the grid as a tiled, compressed float32 GeoTIFF in EPSG:4549 that QGIS opens in place."""
    height, width = grid.values.shape
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": CRS.from_epsg(grid.crs_epsg).to_wkt(),
        "transform": grid.transform,
        "nodata": grid.nodata,
        "compress": "deflate",
        "predictor": 3,
        "tiled": width >= 256 and height >= 256,
    }

    def _write(tmp: Path) -> None:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(grid.values, 1)
            dst.set_band_description(1, f"{grid.target_name_zh} 完成面积（亩/格）")
            dst.set_band_unit(1, "亩")
            dst.update_tags(
                YKGEO_TARGET=grid.target_key,
                YKGEO_AS_OF=grid.as_of.isoformat() if grid.as_of else "",
                YKGEO_CELL_M=f"{grid.cell_m:g}",
                YKGEO_TOTAL_MU=f"{grid.total_mu:.4f}",
                YKGEO_UNIT="亩",
            )

    return atomic_write(Path(path), _write)
