"""Pixel areas: the ground area of geographic and Web Mercator pixels from the ellipsoid."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from rasterio.transform import from_origin
from rasterio.windows import Window

from tests.raster.conftest import (
    GEOD,
    write_raster,
)
from ykgeo.raster import (
    PixelArea,
    raster_info,
    zonal_stats,
)
from ykgeo.units import m2_to_mu

# --- pixel areas -------------------------------------------------------------------------------


def test_geographic_cell_area_matches_geodesic(tmp_path: Path) -> None:
    res = 1.0 / 3600.0
    t = from_origin(120.0, 29.0, res, res)
    info = raster_info(
        write_raster(tmp_path / "g.tif", np.zeros((5, 3), np.uint8), crs=4490, transform=t)
    )
    areas = PixelArea(info).window(Window(0, 0, 3, 5))
    for row in range(5):
        lat_top = 29.0 - row * res
        cell = shapely.box(120.0, lat_top - res, 120.0 + res, lat_top)
        expected = abs(GEOD.geometry_area_perimeter(cell)[0])
        assert areas[row, 0] == pytest.approx(expected, rel=1e-7)
    assert areas[0, 0] == pytest.approx(areas[0, 2])
    assert areas[0, 0] < areas[4, 0]  # cells grow towards the equator


def test_web_mercator_pixels_get_ellipsoidal_area(tmp_path: Path) -> None:
    """In EPSG:3857 a planar pixel is ~31 % too large at 28.9°N; the class area must not be."""
    x, y = 13_358_000.0, 3_360_000.0  # 120.0°E, 28.9°N
    path = write_raster(
        tmp_path / "m.tif",
        np.full((200, 200), 20, np.uint8),
        crs=3857,
        transform=from_origin(x, y, 10, 10),
    )
    poly_m = shapely.box(x + 300, y - 1700, x + 1700, y - 300)
    feats = gpd.GeoDataFrame(geometry=[poly_m], crs=3857)
    df = zonal_stats(path, feats, categorical=True)
    truth_m2 = abs(GEOD.geometry_area_perimeter(feats.to_crs(4326).geometry.iloc[0])[0])
    assert df["area_mu_20"].iloc[0] == pytest.approx(m2_to_mu(truth_m2), rel=2e-4)
    assert df["feature_area_mu"].iloc[0] == pytest.approx(m2_to_mu(truth_m2), rel=1e-5)
    assert "椭球面积" in df.attrs["area_method_zh"]
