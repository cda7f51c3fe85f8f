"""Raster overlays for the map: reprojection, legend, DEM ramp."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasterio.transform import from_origin

from tests.raster.conftest import (
    write_raster,
)
from ykgeo.raster import (
    core,
    raster_info,
    raster_overlay,
)

# --- overlay -----------------------------------------------------------------------------------


def test_overlay_reprojects_and_has_a_legend(classes_tif: Path) -> None:
    ov = raster_overlay(classes_tif, max_size=64)
    assert ov.png_bytes[:8] == b"\x89PNG\r\n\x1a\n"
    assert ov.data_url().startswith("data:image/png;base64,")
    assert max(ov.rgba.shape[:2]) <= 64 and ov.rgba.shape[2] == 4
    (south, west), (north, east) = ov.bounds
    info = raster_info(classes_tif)
    w, s, e, n = core.to_cgcs2000_bounds(info)
    assert (south, west, north, east) == pytest.approx((s, w, n, e), abs=1e-4)
    assert dict(ov.legend) == {"耕地": "#f3e07a", "人造地表": "#d9412b"}
    assert ov.rgba[0, 0, 3] == 0  # the nodata corner is transparent
    assert ov.categorical


def test_overlay_of_a_dem_is_a_ramp(tmp_path: Path) -> None:
    z = np.linspace(100, 900, 100 * 100, dtype=np.float32).reshape(100, 100)
    path = write_raster(
        tmp_path / "dem.tif", z, crs=4490, transform=from_origin(120.0, 29.0, 0.001, 0.001)
    )
    ov = raster_overlay(path, bounds_4490=(120.02, 28.93, 120.2, 29.5), max_size=50)
    assert not ov.categorical and len(ov.legend) == 5
    (_south, west), (north, _east) = ov.bounds
    assert west == pytest.approx(120.02, abs=1e-6) and north == pytest.approx(29.0, abs=1e-6)
    assert (ov.rgba[..., 3] == 255).all()
