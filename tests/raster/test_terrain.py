"""Terrain: slope of a known plane, reservoir storage of a known bowl."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from rasterio.transform import from_origin

from tests.raster.conftest import (
    X0,
    Y0,
    box_px,
    gk,
    write_raster,
)
from ykgeo.raster import (
    RasterSettings,
    reservoir_storage,
    terrain_stats,
)
from ykgeo.units import m2_to_mu

# --- terrain -----------------------------------------------------------------------------------


def test_slope_of_a_ten_percent_plane_native_and_geographic(tmp_path: Path) -> None:
    expected = math.degrees(math.atan(0.10))  # 5.7106°
    res = 10.0
    cols = np.arange(200) * res + res / 2
    plane = np.tile(100.0 + 0.10 * cols, (200, 1)).astype(np.float32)
    native = write_raster(tmp_path / "plane_gk.tif", plane, transform=from_origin(X0, Y0, res, res))
    poly = box_px(50, 50, 150, 150)
    df = terrain_stats(native, gk(poly))
    assert df["slope_mean_deg"].iloc[0] == pytest.approx(expected, abs=1e-6)
    assert df["slope_max_deg"].iloc[0] == pytest.approx(expected, abs=1e-6)
    assert df["elevation_mean_m"].iloc[0] == pytest.approx(100.0 + 0.10 * 1000.0, abs=1e-3)
    # the same plane in a degree DEM: slopes must still be 5.71°, not distorted by degree pixels
    r = 1.0 / 3600.0
    t = from_origin(119.99, 28.93, r, r)
    lon = 119.99 + r * (np.arange(300) + 0.5)
    lat = 28.93 - r * (np.arange(300) + 0.5)
    lo, la = np.meshgrid(lon, lat)
    from pyproj import Transformer

    x, _ = Transformer.from_crs(4490, 4549, always_xy=True).transform(lo, la)
    geo = write_raster(
        tmp_path / "plane_ll.tif", (0.10 * (x - X0) + 300).astype(np.float32), crs=4490, transform=t
    )
    centre = gpd.GeoSeries([shapely.Point(119.995, 28.925)], crs=4490).to_crs(4549).buffer(1000)
    df2 = terrain_stats(geo, gpd.GeoDataFrame(geometry=centre))
    assert df2["slope_mean_deg"].iloc[0] == pytest.approx(expected, abs=0.02)
    assert df2.attrs["slope_crs"] == "EPSG:4549"


def _bowl(
    tmp_path: Path, k: float = 0.001, res: float = 5.0, n: int = 400
) -> tuple[Path, float, float]:
    """z = 100 + k r² around the centre, plus a separate pit to the east that must not count."""
    c = n * res / 2
    xs = np.arange(n) * res + res / 2
    gx, gy = np.meshgrid(xs, xs)
    r2 = (gx - c) ** 2 + (gy - c) ** 2
    z = 100.0 + k * r2
    pit = (gx - (c + 800)) ** 2 + (gy - c) ** 2 < 40**2
    z[pit] = 90.0
    path = write_raster(
        tmp_path / "bowl.tif", z.astype(np.float64), transform=from_origin(X0, Y0, res, res)
    )
    return path, X0 + c, Y0 - c


def test_reservoir_storage_of_a_bowl(tmp_path: Path) -> None:
    k, h = 0.001, 20.0  # level 120 m: 20 m above the bottom
    path, cx, cy = _bowl(tmp_path, k)
    radius = math.sqrt(h / k)  # 141.4 m
    dam = gk(shapely.Point(cx + radius + 60, cy), ids=["dam"])
    out = reservoir_storage(
        path, dam, water_level_m=100.0 + h, settings=RasterSettings(reservoir_window_m=600)
    )
    row = out.loc["dam"]
    volume = math.pi * h**2 / (2 * k)  # 628 318.5 m³
    area = math.pi * h / k
    assert bool(row["closed"])
    assert row["storage_wan_m3"] == pytest.approx(volume / 10_000, rel=5e-3)
    assert row["surface_area_mu"] == pytest.approx(m2_to_mu(area), rel=5e-3)
    assert row["max_depth_m"] == pytest.approx(h, abs=0.1)
    assert out.crs.to_epsg() == 4490 and out.geometry.iloc[0].area > 0
    # above the rim of the analysis window the region is open: no storage is claimed
    high = reservoir_storage(
        path, dam, water_level_m=400.0, settings=RasterSettings(reservoir_window_m=600)
    )
    assert not bool(high["closed"].iloc[0]) and math.isnan(high["storage_wan_m3"].iloc[0])
    assert "窗口" in high["note_zh"].iloc[0]
