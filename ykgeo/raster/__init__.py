"""Raster evidence for planners: zonal statistics, change checks, terrain and reservoir storage, density grids and map overlays.

Every raster is read with rasterio window by window (only the pixels the features
need), in any CRS and dtype, nodata and masks honoured. Coverage fractions come
from ``exactextract``: a pixel half inside a parcel counts half. Areas are in 亩
from the real ground area of each pixel (see :class:`PixelArea`), never from
degrees or Web Mercator.
"""

from __future__ import annotations

from ykgeo.raster.change import (
    REPORTED_DONE,
    REPORTED_EARLIER,
    REPORTED_NOT_DONE,
    ChangeEvidence,
    change_evidence,
    reported_status,
)
from ykgeo.raster.core import PixelArea, RasterInfo
from ykgeo.raster.grid import ProgressGrid, density_grid, progress_grid, write_progress_grid
from ykgeo.raster.overlay import RasterOverlay, raster_overlay
from ykgeo.raster.terrain import reservoir_storage, slope_degrees, terrain_stats
from ykgeo.raster.zonal import (
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
