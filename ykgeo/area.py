"""Areas in 亩 and lengths in km the way the bureau computes them: on the CGCS2000 ellipsoid or in GK 3° CM 120°E.

Every public function takes a GeoSeries or GeoDataFrame **with a CRS** and goes
through CGCS2000 first, so an area in a geographic or Web Mercator CRS cannot be
produced through this API.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from ykgeo.crs import CGCS2000, GK_CM120, transform_geometries
from ykgeo.errors import CRSError
from ykgeo.units import m2_to_mu

__all__ = [
    "AreaMethod",
    "area_m2",
    "area_mu",
    "ellipsoidal_area_m2",
    "gk_area_m2",
    "length_km",
    "length_m",
    "to_cgcs2000",
]

AreaMethod = Literal["ellipsoidal", "gk"]

#: CGCS2000 uses the GRS80 ellipsoid (a = 6378137, 1/f = 298.257222101).
_GEOD = Geod(ellps="GRS80")


def _geometry(data: gpd.GeoSeries | gpd.GeoDataFrame) -> gpd.GeoSeries:
    geo = data.geometry if isinstance(data, gpd.GeoDataFrame) else data
    if not isinstance(geo, gpd.GeoSeries):
        msg = "需要 GeoSeries 或 GeoDataFrame"
        raise TypeError(msg)
    if geo.crs is None:
        msg = "数据没有坐标系（CRS），不能计算面积或长度；请先设置正确的坐标系"
        raise CRSError(msg, message_en="no CRS: area and length need one")
    return geo


def to_cgcs2000(data: gpd.GeoSeries | gpd.GeoDataFrame) -> npt.NDArray[np.object_]:
    """The geometries as a numpy array in CGCS2000 lon/lat (EPSG:4490)."""
    geo = _geometry(data)
    return transform_geometries(geo.to_numpy(), geo.crs, CGCS2000)


def _equal_area_transformer(geoms: npt.NDArray[np.object_]) -> Transformer:
    """Lambert azimuthal equal-area on GRS80, centred on the data (rounded to 0.1° for stable results)."""
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    if not np.isfinite([minx, miny, maxx, maxy]).all():
        lon0, lat0 = 120.0, 29.0
    else:
        lon0 = round((minx + maxx) / 2.0, 1)
        lat0 = round((miny + maxy) / 2.0, 1)
    laea = CRS.from_proj4(
        f"+proj=laea +lat_0={lat0} +lon_0={lon0} +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )
    return Transformer.from_crs(CRS.from_epsg(CGCS2000), laea, always_xy=True)


def ellipsoidal_area_m2(geoms_4490: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Ellipsoidal (椭球) area in m² of geometries already in EPSG:4490.

    The polygons are projected with an ellipsoidal Lambert azimuthal equal-area
    projection on GRS80 (the CGCS2000 ellipsoid): the projection preserves area
    exactly, so the planar area equals the area on the ellipsoid up to the
    curvature of the edges between vertices (below 1e-6 relative for parcels).
    All coordinates go through PROJ in one call; no Python loop per feature.
    Non-polygonal geometries have area 0.
    """
    arr = np.asarray(geoms_4490, dtype=object)
    if arr.size == 0:
        return np.zeros(0, dtype="float64")
    transformer = _equal_area_transformer(arr)

    def _apply(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    projected = shapely.transform(arr, _apply)
    return np.asarray(shapely.area(projected), dtype="float64")


def gk_area_m2(geoms_4490: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Planar area in m² in CGCS2000 / 3° Gauss–Krüger CM 120°E (EPSG:4549), of geometries in EPSG:4490."""
    arr = np.asarray(geoms_4490, dtype=object)
    projected = transform_geometries(arr, CGCS2000, GK_CM120)
    return np.asarray(shapely.area(projected), dtype="float64")


def area_m2(
    data: gpd.GeoSeries | gpd.GeoDataFrame, *, method: AreaMethod = "ellipsoidal"
) -> pd.Series:
    """Area of each feature in m², aligned to the input index.

    Parameters
    ----------
    data
        Features with a CRS (any CRS pyproj knows, except legacy Xian80/Beijing54).
    method
        ``"ellipsoidal"`` (official 椭球面积, default) or ``"gk"`` (planar in EPSG:4549).
    """
    geo = _geometry(data)
    geoms = to_cgcs2000(geo)
    if method == "ellipsoidal":
        values = ellipsoidal_area_m2(geoms)
    elif method == "gk":
        values = gk_area_m2(geoms)
    else:
        msg = f"未知面积算法：{method}（可用 ellipsoidal、gk）"
        raise ValueError(msg)
    return pd.Series(values, index=geo.index, name="area_m2", dtype="float64")


def area_mu(
    data: gpd.GeoSeries | gpd.GeoDataFrame, *, method: AreaMethod = "ellipsoidal"
) -> pd.Series:
    """Area of each feature in 亩 (= m² × 15 / 10000), aligned to the input index."""
    m2 = area_m2(data, method=method)
    return pd.Series(m2_to_mu(m2.to_numpy()), index=m2.index, name="area_mu", dtype="float64")


def _geodesic_length_m(geoms_4490: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
    """Geodesic length on GRS80 of each geometry (lines; polygon rings give the perimeter)."""
    n = len(geoms_4490)
    if n == 0:
        return np.zeros(0, dtype="float64")
    boundaries = np.where(
        np.isin(shapely.get_type_id(geoms_4490), (3, 6)),  # (multi)polygons → their rings
        shapely.boundary(geoms_4490),
        geoms_4490,
    )
    parts, geom_index = shapely.get_parts(boundaries, return_index=True)
    coords, part_index = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        return np.zeros(n, dtype="float64")
    same_part = part_index[1:] == part_index[:-1]
    _, _, dist = _GEOD.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    dist = np.where(same_part, dist, 0.0)
    seg_geom = geom_index[part_index[:-1]]
    return np.bincount(seg_geom, weights=dist, minlength=n).astype("float64")


def length_m(data: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.Series:
    """Ellipsoidal (geodesic, GRS80) length of each line in metres, aligned to the input index.

    Points have length 0; polygons give their perimeter.
    """
    geo = _geometry(data)
    values = _geodesic_length_m(to_cgcs2000(geo))
    return pd.Series(values, index=geo.index, name="length_m", dtype="float64")


def length_km(data: gpd.GeoSeries | gpd.GeoDataFrame) -> pd.Series:
    """Ellipsoidal length of each line in km, aligned to the input index."""
    m = length_m(data)
    return pd.Series(m.to_numpy() / 1000.0, index=m.index, name="length_km", dtype="float64")
