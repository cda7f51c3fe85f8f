"""Synthetic rasters written to tmp_path with known answers, for the raster tests (and the raster CLI's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import CRS, Geod
from rasterio.transform import from_origin

X0, Y0 = 500_000.0, 3_200_000.0  # GK CM 120°E, near Yongkang (120.0°E, 28.9°N)
GEOD = Geod(ellps="GRS80")


def write_raster(
    path: Path,
    arr: np.ndarray,
    *,
    crs: Any = 4549,
    transform: Affine | None = None,
    nodata: float | None = None,
    tiled: bool = False,
    tags: dict[str, str] | None = None,
) -> Path:
    h, w = arr.shape
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": w,
        "height": h,
        "count": 1,
        "dtype": arr.dtype.name,
        "transform": transform or from_origin(X0, Y0, 10.0, 10.0),
        "nodata": nodata,
        "compress": "deflate",
    }
    if crs is not None:
        profile["crs"] = CRS.from_user_input(crs).to_wkt()
    if tiled:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
        if tags:
            dst.update_tags(**tags)
    return path


def gk(*geoms: Any, ids: list[str] | None = None) -> gpd.GeoDataFrame:
    index = pd.Index(ids or [f"p{i}" for i in range(len(geoms))], name="id")
    return gpd.GeoDataFrame(geometry=list(geoms), index=index, crs=4549)


def box_px(c0: float, r0: float, c1: float, r1: float, *, res: float = 10.0) -> shapely.Polygon:
    """A box in pixel units of the default grid (column, row from the top-left corner)."""
    return shapely.box(X0 + c0 * res, Y0 - r1 * res, X0 + c1 * res, Y0 - r0 * res)


@pytest.fixture
def classes_tif(tmp_path: Path) -> Path:
    """10 m pixels in EPSG:4549: left half 80 (人造地表), right half 10 (耕地), a nodata corner."""
    arr = np.full((40, 40), 10, dtype=np.uint8)
    arr[:, :20] = 80
    arr[:4, :4] = 255
    return write_raster(tmp_path / "classes.tif", arr, nodata=255)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``ykgeo`` with ``args``: (exit code, stdout, stderr)."""
    from ykgeo.cli import main

    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def change_pair(tmp_path: Path) -> tuple[Path, Path, gpd.GeoDataFrame]:
    before = np.full((60, 60), 10, dtype=np.uint8)
    before[0:50, 0:50] = 80
    after = before.copy()
    after[0:10, 0:10] = 90  # p_done_changed: cleared
    after[20:30, 0:10] = 90  # p_open_changed: cleared, not reported
    after[30:40, 20:30][:, :2] = 30  # p_open_small: 20 % greened, below the threshold
    b = write_raster(tmp_path / "lc2021.tif", before, nodata=0, tags={"YKGEO_DATE": "2021-12-31"})
    # the "after" image is on another grid: 5 m pixels, half a pixel shifted
    after_fine = np.repeat(np.repeat(after, 2, axis=0), 2, axis=1)
    a = write_raster(
        tmp_path / "lc2022.tif",
        after_fine,
        nodata=0,
        transform=from_origin(X0, Y0, 5.0, 5.0),
        tags={"YKGEO_DATE": "2022-12-31"},
    )
    feats = gk(
        box_px(0, 0, 10, 10),
        box_px(10, 0, 20, 10),
        box_px(0, 20, 10, 30),
        box_px(20, 30, 30, 40),
        box_px(30, 0, 40, 10),
        ids=["p_done_changed", "p_done_same", "p_open_changed", "p_open_small", "p_done_2021"],
    )
    feats["状态"] = ["已完成", "已完成", "推进中", "未启动", "已完成"]
    feats["完成日期"] = ["2022-06-30", "2022-09-30", None, None, "2021-05-01"]
    return b, a, feats
