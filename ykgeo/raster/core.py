"""Raster engine for :mod:`ykgeo.raster`: opening and checking GeoTIFFs, CRS handling, pixel areas, windows.

The windowed sources exactextract reads are in :mod:`ykgeo.raster.sources`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
import rasterio
import rasterio.errors
import shapely
from affine import Affine
from pyproj import CRS, Transformer
from rasterio.windows import Window

from ykgeo.crs import CGCS2000, resolve_crs
from ykgeo.errors import CRSError, RasterError

logger = logging.getLogger("ykgeo.raster")
logger.addHandler(logging.NullHandler())

#: Datums treated as one at map scale: CGCS2000 and WGS84 differ by well under a metre here
#: (see conventions §1.1); PROJ only knows a "ballpark" no-op between them.
_SAME_AT_MAP_SCALE = (
    "china 2000",
    "china geodetic coordinate system 2000",
    "world geodetic system 1984",
)


@dataclass(frozen=True)
class RasterInfo:
    """What ykgeo knows about one band of a checked raster.

    Attributes
    ----------
    path
        The file.
    name
        File name shown to planners.
    crs
        The raster's CRS (pyproj).
    transform
        Pixel → CRS affine transform (north-up, no rotation).
    width, height
        Size in pixels.
    band
        1-based band read.
    dtype
        Numpy dtype name of the band.
    nodata
        The band's nodata value (None when it has none; its mask is still honoured).
    scaled
        True when the band has a scale or offset (values are then floats).
    """

    path: Path
    name: str
    crs: CRS
    transform: Affine
    width: int
    height: int
    band: int
    dtype: str
    nodata: float | None
    scaled: bool
    block_shape: tuple[int, int]
    tags: dict[str, str]
    colormap: dict[int, tuple[int, int, int, int]] | None

    @property
    def is_integer(self) -> bool:
        """True for integer bands (which can hold classes)."""
        return np.issubdtype(np.dtype(self.dtype), np.integer) and not self.scaled

    @property
    def is_geographic(self) -> bool:
        """True when pixel sizes are angles (lon/lat)."""
        return bool(self.crs.is_geographic)

    @property
    def res(self) -> tuple[float, float]:
        """Pixel width and height in CRS units (positive)."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the raster CRS."""
        left, top = self.transform.c, self.transform.f
        right = left + self.transform.a * self.width
        bottom = top + self.transform.e * self.height
        return left, min(bottom, top), right, max(bottom, top)

    def describe_zh(self) -> str:
        """One line for reports: file, size, pixel, CRS."""
        rx, ry = self.res
        unit = "°" if self.is_geographic else " m"
        epsg = self.crs.to_epsg()
        crs_text = f"EPSG:{epsg} {self.crs.name}" if epsg else self.crs.name
        return f"{self.name}（{self.width}×{self.height} 像元，像元 {rx:g}×{ry:g}{unit}，{crs_text}，{self.dtype}）"


def _raster_crs(ds: Any, name: str) -> CRS:
    if ds.crs is None or not ds.crs.to_wkt():
        msg = (
            f"栅格文件 {name} 没有坐标系定义（无 CRS），无法与图层叠加。"
            "请在 QGIS/ArcGIS 中为其指定正确坐标系（如 EPSG:4490 或 EPSG:4549）后再使用。"
        )
        raise RasterError(msg, message_en=f"{name}: raster has no CRS")
    try:
        crs = resolve_crs(ds.crs.to_wkt(), source=name)
    except CRSError as err:
        raise RasterError(err.message_zh, message_en=err.message_en) from err
    if not (crs.is_geographic or crs.is_projected):
        msg = (
            f"栅格文件 {name} 的坐标系“{crs.name}”是本地/工程坐标系，无法换算到 CGCS2000。"
            "请提供经纬度或投影坐标系下的栅格。"
        )
        raise RasterError(msg, message_en=f"{name}: local/engineering CRS {crs.name}")
    if crs.geodetic_crs is None:
        msg = f"栅格文件 {name} 的坐标系“{crs.name}”没有大地基准，无法识别"
        raise RasterError(msg)
    return crs


@contextmanager
def open_raster(path: str | Path, *, band: int = 1) -> Iterator[tuple[Any, RasterInfo]]:
    """Open a raster read-only and check it; yields ``(dataset, info)``.

    Raises
    ------
    RasterError
        Missing or corrupt file, no or unknown CRS, legacy datum, rotated grid, no such band.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        msg = f"找不到栅格文件：{path}"
        raise RasterError(msg, message_en=f"raster not found: {path}")
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as err:
        detail = str(err).replace(str(path), name)[:200]
        msg = f"无法读取栅格文件 {name}：文件已损坏或不是 GDAL 能识别的栅格（如 GeoTIFF）。GDAL：{detail}"
        raise RasterError(msg, message_en=f"cannot open raster {name}") from err
    try:
        if ds.count < 1:
            msg = f"栅格文件 {name} 没有波段"
            raise RasterError(msg)
        if not 1 <= band <= ds.count:
            msg = f"栅格文件 {name} 只有 {ds.count} 个波段，没有第 {band} 波段"
            raise RasterError(msg)
        crs = _raster_crs(ds, name)
        t = ds.transform
        if t.b != 0 or t.d != 0:
            msg = f"栅格文件 {name} 是旋转网格，暂不支持；请先用 gdalwarp 重采样为正北方向的网格"
            raise RasterError(msg)
        if t.a == 0 or t.e == 0:
            msg = f"栅格文件 {name} 的地理变换无效（像元大小为 0）"
            raise RasterError(msg)
        scale, offset = ds.scales[band - 1], ds.offsets[band - 1]
        colormap: dict[int, tuple[int, int, int, int]] | None
        try:
            colormap = {
                int(k): (int(v[0]), int(v[1]), int(v[2]), int(v[3]))
                for k, v in ds.colormap(band).items()
            }
        except ValueError:
            colormap = None
        info = RasterInfo(
            path=path,
            name=name,
            crs=crs,
            transform=t,
            width=ds.width,
            height=ds.height,
            band=band,
            dtype=ds.dtypes[band - 1],
            nodata=ds.nodatavals[band - 1],
            scaled=(scale not in (None, 1.0)) or (offset not in (None, 0.0)),
            block_shape=(int(ds.block_shapes[band - 1][0]), int(ds.block_shapes[band - 1][1])),
            tags={**ds.tags(), **ds.tags(band)},
            colormap=colormap,
        )
        yield ds, info
    finally:
        ds.close()


def read_error(info: RasterInfo, err: BaseException) -> RasterError:
    """A RasterError for a failure while reading pixels (truncated or corrupt blocks)."""
    detail = str(err).replace(str(info.path), info.name)[:200]
    msg = f"读取栅格文件 {info.name} 的像元时出错：文件可能已损坏或不完整。GDAL：{detail}"
    return RasterError(msg, message_en=f"error reading pixels of {info.name}")


# --- coordinate systems ------------------------------------------------------------------------


def _datum_name(crs: CRS) -> str:
    geodetic = crs.geodetic_crs
    if geodetic is None or geodetic.datum is None:
        return ""
    return geodetic.datum.name.lower()


def transformer(src: Any, dst: Any) -> Transformer:
    """A lon/lat-ordered transformer that never uses a ballpark shift, except CGCS2000 ↔ WGS84.

    CGCS2000 and WGS84 agree to well under a metre at Yongkang; PROJ has only a
    no-op "ballpark" operation between them, which is accepted (and only that).

    Raises
    ------
    RasterError
        When no reliable operation exists (a legacy datum is refused earlier).
    """
    src_crs = resolve_crs(src)
    dst_crs = resolve_crs(dst)
    try:
        return Transformer.from_crs(src_crs, dst_crs, always_xy=True, allow_ballpark=False)
    except pyproj.exceptions.ProjError:
        pass
    names = {_datum_name(src_crs), _datum_name(dst_crs)}
    if all(any(n.startswith(k) for k in _SAME_AT_MAP_SCALE) for n in names):
        return Transformer.from_crs(src_crs, dst_crs, always_xy=True)
    msg = (
        f"没有从“{src_crs.name}”到“{dst_crs.name}”的可靠坐标转换，无法叠加（拒绝使用粗略近似转换）"
    )
    raise RasterError(msg)


def transform_geoms(geoms: npt.ArrayLike, src: Any, dst: Any) -> npt.NDArray[np.object_]:
    """Shapely geometries from ``src`` to ``dst`` in one vectorised PROJ call."""
    arr = np.asarray(geoms, dtype=object)
    if CRS.from_user_input(src) == CRS.from_user_input(dst):
        return arr
    tr = transformer(src, dst)

    def _apply(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = tr.transform(coords[:, 0], coords[:, 1], errcheck=True)
        return np.column_stack([x, y])

    try:
        return shapely.transform(arr, _apply)
    except pyproj.exceptions.ProjError as err:
        msg = "坐标转换失败：要素坐标超出栅格坐标系的有效范围（坐标系可能设置错误）"
        raise RasterError(msg) from err


def features_crs(gdf_crs: Any) -> CRS:
    """The CRS of a layer, refusing a missing one."""
    if gdf_crs is None:
        msg = "图层没有坐标系（CRS），无法与栅格叠加"
        raise RasterError(msg)
    try:
        return resolve_crs(gdf_crs)
    except CRSError as err:
        raise RasterError(err.message_zh) from err


# --- pixel areas -------------------------------------------------------------------------------


def _authalic_integral(phi: npt.NDArray[np.float64], e: float) -> npt.NDArray[np.float64]:
    """S(φ) with area of a quadrangle = b² Δλ [S(φ2) − S(φ1)] on an ellipsoid of eccentricity e."""
    s = np.sin(phi)
    if e == 0:
        return s
    es = e * s
    return s / (2.0 * (1.0 - es * es)) + np.log((1.0 + es) / (1.0 - es)) / (4.0 * e)


class PixelArea:
    """Area of raster cells in m², done properly for any CRS.

    * Geographic rasters: the exact area of each cell on the CRS's ellipsoid,
      which depends on the row only (``b² Δλ [S(φ₂) − S(φ₁)]``).
    * Projected rasters whose areal scale over the raster differs from 1 by at most
      ``tolerance`` (equal-area projections everywhere; Gauss–Krüger/TM within about
      60 km of the central meridian at 1e-4): the planar cell area in the CRS.
    * Other projected rasters (Web Mercator, UTM, 6° zones …): each cell's corners are
      taken to lon/lat and its ellipsoidal area computed there (``M N cos φ dφ dλ``),
      exact to second order in the cell size. (pyproj's ``get_factors`` is not used:
      for Web Mercator it measures against a sphere, 0.36 % off at Yongkang.)
    """

    def __init__(self, info: RasterInfo, *, tolerance: float = 1e-4) -> None:
        self.info = info
        crs = info.crs
        t = info.transform
        self.mode: str
        ellipsoid = crs.ellipsoid
        if ellipsoid is None:
            msg = f"栅格 {info.name} 的坐标系没有椭球参数，无法计算像元面积"
            raise RasterError(msg)
        if crs.is_geographic:
            factor = crs.axis_info[0].unit_conversion_factor  # radians per unit
            a = ellipsoid.semi_major_metre
            inv_f = ellipsoid.inverse_flattening
            f = 1.0 / inv_f if inv_f else 0.0
            self._b = a * (1.0 - f)
            self._e = math.sqrt(f * (2.0 - f))
            self._dlon = abs(t.a) * factor
            self._rad = factor
            self.mode = "geographic"
            self.constant = math.nan
            return
        unit = crs.axis_info[0].unit_conversion_factor  # metres per unit
        planar = abs(t.a * t.e) * unit * unit
        self._planar = planar
        self._to_lonlat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        a = ellipsoid.semi_major_metre
        inv_f = ellipsoid.inverse_flattening
        f = 1.0 / inv_f if inv_f else 0.0
        self._a, self._e2 = a, f * (2.0 - f)
        # the ratio ellipsoidal/planar at a 5×5 lattice over the raster decides whether planar is exact enough
        left, bottom, right, top = info.bounds
        xs, ys = np.meshgrid(np.linspace(left, right, 5), np.linspace(bottom, top, 5))
        ratio = self._ellipsoidal(xs.ravel(), ys.ravel()) / planar
        finite = np.isfinite(ratio)
        self.max_distortion = (
            float(np.max(np.abs(ratio[finite] - 1.0))) if finite.any() else math.inf
        )
        if self.max_distortion <= tolerance:
            self.mode = "planar"
            self.constant = planar
        else:
            self.mode = "scaled"
            self.constant = math.nan

    def _ellipsoidal(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Ellipsoidal area (m²) of the cells centred on (x, y) of a projected raster.

        The cell's corners go to lon/lat through PROJ; the quadrilateral's area in
        (λ, φ) radians (shoelace) times M(φ)·N(φ)·cos φ is its area on the ellipsoid,
        exact to second order in the cell size whatever the projection.
        """
        t = self.info.transform
        hx, hy = abs(t.a) / 2.0, abs(t.e) / 2.0
        cx = np.stack([x - hx, x + hx, x + hx, x - hx])
        cy = np.stack([y - hy, y - hy, y + hy, y + hy])
        lon, lat = self._to_lonlat.transform(cx, cy)
        lam, phi = np.radians(np.asarray(lon)), np.radians(np.asarray(lat))
        shoelace = 0.5 * np.abs(
            (lam[0] - lam[2]) * (phi[1] - phi[3]) - (lam[1] - lam[3]) * (phi[0] - phi[2])
        )
        phi_c = phi.mean(axis=0)
        w = 1.0 - self._e2 * np.sin(phi_c) ** 2
        m = self._a * (1.0 - self._e2) / w**1.5
        n = self._a / np.sqrt(w)
        return np.asarray(shoelace * m * n * np.cos(phi_c), dtype="float64")

    def describe_zh(self) -> str:
        """How cell areas are computed, for reports."""
        if self.mode == "geographic":
            return "经纬度栅格：按行计算椭球面上的像元实际面积"
        if self.mode == "planar":
            return f"投影栅格：面积变形 ≤ {self.max_distortion:.1e}，按平面像元面积 {self._planar:g} m²"
        return (
            f"投影栅格（面积变形达 {self.max_distortion:.1e}）：按投影面积比例逐像元换算为椭球面积"
        )

    def window(self, window: Window) -> npt.NDArray[np.float64]:
        """Cell areas (m²) of a window, shape (rows, cols)."""
        row0, col0 = int(window.row_off), int(window.col_off)
        ny, nx = int(window.height), int(window.width)
        t = self.info.transform
        if self.mode == "planar":
            return np.full((ny, nx), self.constant, dtype="float64")
        if self.mode == "geographic":
            rows = np.arange(row0, row0 + ny + 1, dtype="float64")
            lat_edges = (t.f + t.e * rows) * self._rad
            s = _authalic_integral(lat_edges, self._e)
            per_row = self._b * self._b * self._dlon * np.abs(np.diff(s))
            return np.broadcast_to(per_row[:, None], (ny, nx)).astype("float64")
        cols = col0 + np.arange(nx, dtype="float64") + 0.5
        rows_c = row0 + np.arange(ny, dtype="float64") + 0.5
        xs, ys = np.meshgrid(t.c + t.a * cols, t.f + t.e * rows_c)
        return self._ellipsoidal(xs.ravel(), ys.ravel()).reshape(ny, nx)


def window_of_bounds(
    info: RasterInfo, bounds: tuple[float, float, float, float], *, pad: int = 0
) -> Window | None:
    """The pixel window (clipped to the raster) covering ``bounds`` in the raster CRS, or None if disjoint."""
    inv = ~info.transform
    minx, miny, maxx, maxy = bounds
    cols, rows = inv @ (np.array([minx, maxx, minx, maxx]), np.array([miny, miny, maxy, maxy]))
    c0 = max(int(math.floor(float(np.min(cols)))) - pad, 0)
    c1 = min(int(math.ceil(float(np.max(cols)))) + pad, info.width)
    r0 = max(int(math.floor(float(np.min(rows)))) - pad, 0)
    r1 = min(int(math.ceil(float(np.max(rows)))) + pad, info.height)
    if c1 <= c0 or r1 <= r0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def to_cgcs2000_bounds(info: RasterInfo) -> tuple[float, float, float, float]:
    """The raster extent as (west, south, east, north) in CGCS2000 degrees."""
    left, bottom, right, top = info.bounds
    ring = shapely.segmentize(
        shapely.box(left, bottom, right, top), max(right - left, top - bottom) / 20
    )
    out = transform_geoms(np.asarray([ring], dtype=object), info.crs, CGCS2000)[0]
    return tuple(float(v) for v in shapely.bounds(out))  # type: ignore[return-value]
