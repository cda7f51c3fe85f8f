"""Areas in 亩 and lengths in km the way the bureau computes them: on the CGCS2000 ellipsoid or in GK 3° CM 120°E.

Every public function takes a GeoSeries or GeoDataFrame **with a CRS** and goes
through CGCS2000 first, so an area in a geographic or Web Mercator CRS cannot be
produced through this API.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from ykgeo.crs import CGCS2000, GK_CM120, YONGKANG_CENTRE, transform_geometries
from ykgeo.errors import CRSError
from ykgeo.units import m2_to_mu

__all__ = [
    "AreaMethod",
    "approximate_area_m2",
    "area_centre",
    "area_m2",
    "area_m2_anywhere",
    "area_mu",
    "ellipsoidal_area_m2",
    "geodesic_area_m2",
    "gk_area_m2",
    "length_km",
    "length_m",
    "to_cgcs2000",
]

AreaMethod = Literal["ellipsoidal", "gk"]

#: CGCS2000 uses the GRS80 ellipsoid (a = 6378137, 1/f = 298.257222101).
_GEOD = Geod(ellps="GRS80")
_A = 6378137.0
_F = 1 / 298.257222101
_E2 = _F * (2 - _F)
_E = float(np.sqrt(_E2))


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


def _authalic_q(lat_deg: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The authalic function q(φ) on GRS80, so that dA = a²/2 · dq · dλ exactly on the ellipsoid."""
    sin_phi = np.sin(np.radians(lat_deg))
    es = _E * sin_phi
    return (1.0 - _E2) * (sin_phi / (1.0 - es * es) - np.log((1.0 - es) / (1.0 + es)) / (2.0 * _E))


@dataclass(frozen=True)
class _Laea:
    """Oblique Lambert azimuthal equal-area on GRS80 (Snyder 1987, eqs. 3-11, 24-2 … 24-19), in numpy.

    Equal-area on the ellipsoid through the authalic latitude β (sin β = q/q_p), so
    areas of small figures are exact; centring the projection on the data keeps
    the edges between vertices nearly geodesic. The constants of the centre are
    computed once; calling it maps one chunk of vertices.
    """

    lon0: float
    qp: float
    sin_b1: float
    cos_b1: float
    rq: float
    d: float

    @classmethod
    def centred(cls, lon0: float, lat0: float) -> _Laea:
        qp = float(_authalic_q(np.array([90.0]))[0])
        sin_b1 = float(_authalic_q(np.array([lat0]))[0]) / qp
        cos_b1 = float(np.sqrt(1.0 - sin_b1 * sin_b1))
        rq = _A * float(np.sqrt(qp / 2.0))
        phi1 = np.radians(lat0)
        m1 = np.cos(phi1) / np.sqrt(1.0 - _E2 * np.sin(phi1) ** 2)
        return cls(lon0, qp, sin_b1, cos_b1, rq, float(_A * m1 / (rq * cos_b1)))

    def __call__(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        sin_b = _authalic_q(lat) / self.qp
        cos_b = np.sqrt(np.maximum(0.0, 1.0 - sin_b * sin_b))
        dlam = np.radians(lon - self.lon0)
        cos_l = np.cos(dlam)
        b = self.rq * np.sqrt(2.0 / (1.0 + self.sin_b1 * sin_b + self.cos_b1 * cos_b * cos_l))
        return b * self.d * cos_b * np.sin(dlam), (b / self.d) * (
            self.cos_b1 * sin_b - self.sin_b1 * cos_b * cos_l
        )


def area_centre(geoms: npt.ArrayLike) -> tuple[float, float] | None:
    """Centre of the equal-area projection for ``geoms``: the middle of the polygonal data, rounded to 0.1°.

    Rounding keeps results from jittering; pass it to :func:`ellipsoidal_area_m2`
    to measure a subset exactly as it is measured within the whole.
    """
    geoms = np.asarray(geoms, dtype=object).ravel()
    kinds = shapely.get_type_id(geoms)
    polygonal = geoms[np.isin(kinds, (3, 6))]
    mixed = geoms[kinds == 7]
    if mixed.size:  # only the polygons of a collection count
        parts = shapely.get_parts(mixed)
        polygonal = np.concatenate([polygonal, parts[shapely.get_type_id(parts) == 3]])
    bounds = shapely.bounds(polygonal)
    if not np.isfinite(bounds).any():
        return None
    lon0 = round(float(np.nanmin(bounds[:, 0]) + np.nanmax(bounds[:, 2])) / 2.0, 1)
    lat0 = round(float(np.nanmin(bounds[:, 1]) + np.nanmax(bounds[:, 3])) / 2.0, 1)
    return lon0, lat0


def _ring_areas(
    coords: npt.NDArray[np.float64], counts: npt.NDArray[np.int64], project: _Laea
) -> npt.NDArray[np.float64]:
    """Unsigned area of each ring (consecutive runs of ``counts`` vertices), shoelace in the equal-area plane."""
    first = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=first[1:])
    x, y = project(coords[:, 0], coords[:, 1])
    # shift each ring to its first vertex for precision, then shoelace over consecutive vertices
    x -= np.repeat(x[first], counts)
    y -= np.repeat(y[first], counts)
    ring_of = np.repeat(np.arange(len(counts)), counts)
    same = ring_of[1:] == ring_of[:-1]
    cross = np.where(same, x[:-1] * y[1:] - x[1:] * y[:-1], 0.0)
    return np.abs(np.bincount(ring_of[:-1], weights=cross, minlength=len(counts))) / 2.0


def _general_areas(geoms: npt.NDArray[np.object_], project: _Laea) -> npt.NDArray[np.float64]:
    """Area of any geometries: polygon parts of multi-geometries and collections, holes subtracted."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    polygonal = shapely.get_type_id(parts) == 3
    parts, part_owner = parts[polygonal], part_owner[polygonal]
    if parts.size == 0:
        return np.zeros(geoms.size, dtype="float64")
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_area = _ring_areas(
        shapely.get_coordinates(rings), shapely.get_num_coordinates(rings), project
    )
    # the first ring of each polygon is its exterior; the others are holes
    is_exterior = np.ones(len(rings), dtype=bool)
    is_exterior[1:] = ring_part[1:] != ring_part[:-1]
    signed = np.where(is_exterior, ring_area, -ring_area)
    part_area = np.bincount(ring_part, weights=signed, minlength=len(parts))
    return np.bincount(part_owner, weights=part_area, minlength=geoms.size).astype("float64")


def _chunk_areas(geoms: npt.NDArray[np.object_], project: _Laea) -> npt.NDArray[np.float64]:
    """Areas of one chunk: simple polygons straight from their coordinates, the rest part by part."""
    out = np.zeros(geoms.size, dtype="float64")
    kinds = shapely.get_type_id(geoms)
    single = np.flatnonzero(kinds == 6)
    single = single[shapely.get_num_geometries(geoms[single]) == 1]
    if single.size:  # one-part multipolygons (as the store keeps polygons): their polygon
        geoms = geoms.copy()
        geoms[single] = shapely.get_geometry(geoms[single], 0)
        kinds[single] = 3
    simple = np.flatnonzero(kinds == 3)
    simple = simple[shapely.get_num_interior_rings(geoms[simple]) == 0]
    counts = shapely.get_num_coordinates(geoms[simple])
    other = np.isin(kinds, (3, 6, 7))
    other[simple] = False
    simple, counts = simple[counts > 0], counts[counts > 0]  # empty polygons have area 0
    if simple.size:  # one ring each: no parts or rings to extract (the common case)
        out[simple] = _ring_areas(shapely.get_coordinates(geoms[simple]), counts, project)
    if other.any():
        out[other] = _general_areas(geoms[other], project)
    return out


#: Geometries per chunk: about 0.5M vertices of parcels, so each temporary stays a few MB.
CHUNK_SIZE = 20_000


def ellipsoidal_area_m2(
    geoms_4490: npt.ArrayLike, *, centre: tuple[float, float] | None = None
) -> npt.NDArray[np.float64]:
    """Ellipsoidal (椭球) area in m² of geometries already in EPSG:4490.

    The vertices are mapped with the Lambert azimuthal equal-area projection of the
    GRS80 (CGCS2000) ellipsoid centred on the data, which preserves area exactly:
    the area of a ring is then the shoelace sum in that plane, exact up to the
    curvature of the edges between vertices (about 1e-9 relative for parcels,
    checked against ``pyproj.Geod`` in the tests). Holes are subtracted;
    non-polygonal geometries have area 0.

    The geometries are processed in chunks of :data:`CHUNK_SIZE`, one pass over
    each chunk's coordinates with no full-length temporaries, on up to two
    threads (numpy and shapely release the GIL while they work). Each area is the
    same number whatever the chunking: every ring is summed in vertex order.
    ``centre`` fixes the projection centre (default: :func:`area_centre` of the input).
    """
    arr = np.asarray(geoms_4490, dtype=object).ravel()
    n = arr.size
    out = np.zeros(n, dtype="float64")
    if centre is None:
        centre = area_centre(arr) if n else None
    if centre is None or not n:
        return out
    project = _Laea.centred(*centre)

    def work(start: int) -> None:
        out[start : start + CHUNK_SIZE] = _chunk_areas(arr[start : start + CHUNK_SIZE], project)

    starts = range(0, n, CHUNK_SIZE)
    workers = min(2, os.cpu_count() or 1, len(starts))
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, starts))
    else:
        for start in starts:
            work(start)
    return out


#: Height (degrees of latitude) up to which :func:`approximate_area_m2` answers.
APPROXIMATE_MAX_HEIGHT_DEG = 0.05


def approximate_area_m2(geoms_4490: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Ellipsoidal area to within 0.03 % for geometries under 0.05° tall (NaN for taller ones and empty ones).

    The area in square degrees scaled by the ellipsoid's area element at the box centre's
    latitude (M·N·cos φ): exact for the centre row, off by at most tan φ × half the height
    in radians elsewhere (2.4e-4 at 29°N). A cheap screen, for checks with a wide margin
    (a ledger area 10 % off), never for a figure.
    """
    geoms = np.asarray(geoms_4490, dtype=object)
    box = np.asarray(shapely.bounds(geoms), dtype=np.float64).reshape(-1, 4)
    lat = np.radians((box[:, 1] + box[:, 3]) / 2.0)
    w = 1.0 - _E2 * np.sin(lat) ** 2
    meridian, normal = _A * (1.0 - _E2) / w**1.5, _A / np.sqrt(w)
    out = np.asarray(shapely.area(geoms), dtype=np.float64) * meridian * normal * np.cos(lat)
    out *= (np.pi / 180.0) ** 2
    tall = ~(box[:, 3] - box[:, 1] <= APPROXIMATE_MAX_HEIGHT_DEG)  # NaN boxes count as tall
    out[tall | ~(np.abs(lat) < np.radians(80.0))] = np.nan
    return out


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


#: Data spanning more degrees than this are measured with geodesic edges, feature by feature.
_LAEA_MAX_SPAN_DEG = 5.0
#: A GK CM 120°E plane is used within this many degrees of its central meridian.
_GK_MAX_OFFSET_DEG = 3.0
_CHINA_DATUMS = ("china 2000", "world geodetic system 1984", "wgs 84", "wgs_1984")


def geodesic_area_m2(
    geoms_lonlat: npt.ArrayLike, *, semi_major_m: float, inverse_flattening: float
) -> npt.NDArray[np.float64]:
    """Area in m² of lon/lat geometries on any ellipsoid, with geodesic edges (``pyproj.Geod``).

    One call per polygonal feature (Karney's algorithm, exact for any size, across the
    antimeridian); non-polygonal geometries have area 0.
    """
    arr = np.asarray(geoms_lonlat, dtype=object)
    geod = Geod(a=semi_major_m, rf=inverse_flattening)
    polygonal = np.isin(shapely.get_type_id(arr), (3, 6))
    out = np.zeros(arr.size, dtype="float64")
    for i in np.flatnonzero(polygonal):
        out[i] = abs(geod.geometry_area_perimeter(arr[i])[0])
    return out


def area_m2_anywhere(
    data: gpd.GeoSeries | gpd.GeoDataFrame, *, method: AreaMethod = "ellipsoidal"
) -> tuple[pd.Series, str]:
    """Area of features in any coordinate system, anywhere on Earth, and how it was measured (Chinese).

    CGCS2000- and WGS84-based data near enough together go through :func:`area_m2`, the
    figures the store uses. Any other datum is measured on its own ellipsoid: the
    coordinates are converted to that datum's own lon/lat (a conversion, no datum shift, so
    no approximate transformation is ever needed) and each feature's geodesic area is taken.
    A local engineering system (城建独立坐标系) is measured in its own plane. ``method="gk"``
    (planar GK CM 120°E) needs CGCS2000/WGS84 data within 3° of 120°E.

    Raises
    ------
    CRSError
        No CRS, or the GK method asked for data it does not fit.
    """
    geo = _geometry(data)
    crs = CRS.from_user_input(geo.crs)
    geoms = np.asarray(geo.to_numpy(), dtype=object)
    base = crs.geodetic_crs
    if base is None or base.ellipsoid is None:  # local plane: its own units
        factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
        values = np.asarray(shapely.area(geoms), dtype="float64") * factor * factor
        how = f"在文件自身的平面坐标系（{crs.name}）中计算的平面面积"
        return pd.Series(values, index=geo.index, name="area_m2"), how
    to_lonlat = Transformer.from_crs(crs, base, always_xy=True)
    lonlat = shapely.transform(
        geoms, lambda c: np.column_stack(to_lonlat.transform(c[:, 0], c[:, 1]))
    )
    coords = shapely.get_coordinates(lonlat)
    span = float(np.ptp(coords[:, 0]) if len(coords) else 0.0)
    centre_lon = float(np.median(coords[:, 0])) if len(coords) else YONGKANG_CENTRE[0]
    datum = (base.datum.name if base.datum is not None else "").lower()
    chinese = any(name in datum for name in _CHINA_DATUMS)
    if method == "gk":
        if not chinese or abs(centre_lon - 120.0) > _GK_MAX_OFFSET_DEG:
            msg = "高斯-克吕格 CM120°E 平面面积只适用于东经 117°–123° 的 CGCS2000/WGS84 数据，请改用椭球面积（--method ellipsoidal）"
            raise CRSError(msg, message_en="GK CM120 area does not fit this data")
        values = gk_area_m2(transform_geometries(geoms, crs, CGCS2000))
        return pd.Series(
            values, index=geo.index, name="area_m2"
        ), "高斯-克吕格 3° 带 CM120°E 平面面积"
    if chinese and span <= _LAEA_MAX_SPAN_DEG:
        values = ellipsoidal_area_m2(transform_geometries(geoms, crs, CGCS2000))
        return pd.Series(values, index=geo.index, name="area_m2"), "椭球面积（CGCS2000）"
    ellipsoid = base.ellipsoid
    values = geodesic_area_m2(
        lonlat,
        semi_major_m=ellipsoid.semi_major_metre,
        inverse_flattening=ellipsoid.inverse_flattening,
    )
    how = f"椭球面积（在文件自身的椭球 {ellipsoid.name} 上按测地线计算）"
    return pd.Series(values, index=geo.index, name="area_m2"), how
