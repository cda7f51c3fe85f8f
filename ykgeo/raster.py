"""Raster evidence for planners: zonal statistics, change checks, terrain and reservoir storage, density grids and map overlays.

Every raster is read with rasterio window by window (only the pixels the features
need), in any CRS and dtype, nodata and masks honoured. Coverage fractions come
from ``exactextract``: a pixel half inside a parcel counts half. Areas are in 亩
from the real ground area of each pixel (see :class:`PixelArea`), never from
degrees or Web Mercator.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ykgeo._raster_change import (
    REPORTED_DONE,
    REPORTED_EARLIER,
    REPORTED_NOT_DONE,
    ChangeEvidence,
    change_evidence,
    reported_status,
)
from ykgeo._raster_core import PixelArea, RasterInfo
from ykgeo._raster_grid import ProgressGrid, density_grid, progress_grid, write_progress_grid
from ykgeo._raster_overlay import RasterOverlay, raster_overlay
from ykgeo._raster_terrain import slope_degrees
from ykgeo._raster_zonal import (
    CLASS_TAG,
    DATE_TAG,
    DEFAULT_SETTINGS,
    LANDCOVER_CLASSES,
    RasterClass,
    RasterSettings,
    raster_classes,
    raster_date,
    raster_info,
    zonal_stats,
)

__all__ = [
    "CLASS_TAG",
    "DATE_TAG",
    "DEFAULT_SETTINGS",
    "LANDCOVER_CLASSES",
    "REPORTED_DONE",
    "REPORTED_EARLIER",
    "REPORTED_NOT_DONE",
    "ChangeEvidence",
    "PixelArea",
    "ProgressGrid",
    "RasterClass",
    "RasterInfo",
    "RasterOverlay",
    "RasterSettings",
    "add_cli",
    "change_evidence",
    "density_grid",
    "progress_grid",
    "raster_classes",
    "raster_date",
    "raster_info",
    "raster_overlay",
    "reported_status",
    "reservoir_storage",
    "slope_degrees",
    "terrain_stats",
    "write_progress_grid",
    "zonal_stats",
]


# --- terrain (implemented in _raster_terrain) -------------------------------------------------


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
    from ykgeo import _raster_terrain

    return _raster_terrain.terrain_stats(dem, features, band=band, settings=settings)


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
    from ykgeo import _raster_terrain

    return _raster_terrain.reservoir_storage(
        dem, dams, water_level_m=water_level_m, surfaces=surfaces, band=band, settings=settings
    )


# --- command line ------------------------------------------------------------------------------


def add_cli(subparsers: Any) -> None:
    """Register ``ykgeo raster stats|change|terrain|grid|demo`` on the main parser's sub-parsers."""
    from ykgeo import _raster_cli

    _raster_cli.add_cli(subparsers)
