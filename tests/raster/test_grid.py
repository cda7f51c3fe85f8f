"""The progress-density grid GeoTIFF and its georeferencing."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely

from tests.raster.conftest import (
    X0,
    Y0,
)
from ykgeo import raster
from ykgeo.raster import (
    density_grid,
    write_progress_grid,
)

# --- progress-density grid ---------------------------------------------------------------------


def test_density_grid_and_geotiff_georeferencing(tmp_path: Path) -> None:
    # a 100 m square centred on a cell corner: a quarter (3.75 亩) in each of four 500 m cells
    sq = shapely.box(X0 + 950, Y0 - 1050, X0 + 1050, Y0 - 950)
    ll = gpd.GeoSeries([sq], crs=4549).to_crs(4490)
    extent = (
        gpd.GeoSeries([shapely.box(X0, Y0 - 2000, X0 + 2000, Y0)], crs=4549).to_crs(4490).iloc[0]
    )
    grid, t, inside = density_grid(ll.to_numpy(), [15.0], cell_m=500.0, extent_4490=extent)
    assert grid.sum() == pytest.approx(15.0)
    r, c = ~t @ (X0 + 1000, Y0 - 1000)
    r, c = round(c), round(r)
    assert grid[r - 1 : r + 1, c - 1 : c + 1] == pytest.approx(np.full((2, 2), 3.75), rel=1e-6)
    pg = raster.ProgressGrid(
        values=np.where(inside, grid, -9999).astype("float32"),
        transform=t,
        cell_m=500.0,
        target_key="t",
        target_name_zh="测试目标",
        as_of=dt.date(2022, 9, 30),
        total_mu=15.0,
        features=1,
    )
    out = write_progress_grid(pg, tmp_path / "grid.tif")
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 4549
        assert ds.transform.a == 500.0 and ds.transform.e == -500.0
        assert ds.transform.c % 500 == 0 and ds.transform.f % 500 == 0
        assert float(ds.read(1, masked=True).sum()) == pytest.approx(15.0)
        assert ds.tags()["YKGEO_AS_OF"] == "2022-09-30"
    gdalinfo = shutil.which("gdalinfo") or (
        "/usr/bin/gdalinfo" if Path("/usr/bin/gdalinfo").exists() else None
    )
    if gdalinfo:
        text = subprocess.run(
            [gdalinfo, str(out)], capture_output=True, text=True, check=True
        ).stdout
        assert "CGCS2000 / 3-degree Gauss-Kruger CM 120E" in text
        assert "Pixel Size = (500.000000000000000,-500.000000000000000)" in text
        assert f"Origin = ({t.c:.15f},{t.f:.15f})" in text
