"""Windowed raster sources for exactextract: a band read window by window, an array, pixel areas, valid areas, band pairs.

exactextract asks a source for one window at a time; these read only that window from
the GeoTIFF (or slice it from an array) and mask nodata, so a county-wide raster is never
held whole for a zonal statistic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import rasterio
import rasterio.errors
from affine import Affine
from exactextract.raster import RasterSource
from pyproj import CRS
from rasterio.windows import Window

from ykgeo.errors import RasterError
from ykgeo.raster.core import PixelArea, RasterInfo, read_error

__all__ = ["AreaWeightSource", "ArraySource", "BandSource", "PairSource", "ValidAreaSource"]


def _masked(data: npt.NDArray[Any], mask: npt.NDArray[np.bool_] | None = None) -> np.ma.MaskedArray:
    """A masked array with a full boolean mask (exactextract refuses the 0-d ``nomask``)."""
    full = np.zeros(data.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    return np.ma.masked_array(data, mask=full)


class BandSource(RasterSource):
    """One band of an open rasterio dataset, read window by window, nodata/mask honoured.

    Every read is counted (``reads``, ``cells_read``) so tests can prove that only
    the windows the features need are read. The last window is kept so that the
    derived sources (valid area) do not read the file again.
    """

    def __init__(self, ds: Any, info: RasterInfo, *, name: str = "v") -> None:
        super().__init__()
        self.ds = ds
        self.info = info
        self.reads = 0
        self.cells_read = 0
        self.max_window_cells = 0
        self._last: tuple[tuple[int, int, int, int], np.ma.MaskedArray] | None = None
        self.set_name(name)
        scale, offset = ds.scales[info.band - 1], ds.offsets[info.band - 1]
        self._scale = 1.0 if scale is None else float(scale)
        self._offset = 0.0 if offset is None else float(offset)
        self._is_float = np.issubdtype(np.dtype(info.dtype), np.floating)

    def res(self) -> tuple[float, float]:
        return self.info.res

    def extent(self) -> tuple[float, float, float, float]:
        return self.info.bounds

    def srs_wkt(self) -> str:
        return str(self.info.crs.to_wkt())

    def nodata_value(self) -> None:
        return None  # the mask of the masked arrays carries nodata

    def read_masked(self, x0: int, y0: int, nx: int, ny: int) -> np.ma.MaskedArray:
        """The window as a masked array (nodata, NaN and the dataset mask are masked)."""
        key = (x0, y0, nx, ny)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        if nx <= 0 or ny <= 0:
            return _masked(np.zeros((max(ny, 0), max(nx, 0)), dtype=self.info.dtype))
        self.reads += 1
        self.cells_read += nx * ny
        self.max_window_cells = max(self.max_window_cells, nx * ny)
        try:
            arr = self.ds.read(self.info.band, window=Window(x0, y0, nx, ny), masked=True)
        except rasterio.errors.RasterioError as err:
            raise read_error(self.info, err) from err
        if self._is_float:
            arr = np.ma.masked_invalid(arr, copy=False)
        if self._scale != 1.0 or self._offset != 0.0:
            arr = arr.astype("float64") * self._scale + self._offset
        arr = _masked(np.ma.getdata(arr), np.ma.getmaskarray(arr))
        self._last = (key, arr)
        return arr

    def read_window(self, x0: int, y0: int, nx: int, ny: int) -> np.ma.MaskedArray:
        return self.read_masked(x0, y0, nx, ny)


class ArraySource(RasterSource):
    """An in-memory masked array on a grid (used for derived rasters such as slope)."""

    def __init__(
        self, arr: np.ma.MaskedArray, transform: Affine, crs: CRS, *, name: str = "a"
    ) -> None:
        super().__init__()
        self.arr = arr
        self.t = transform
        self.crs = crs
        self.set_name(name)

    def res(self) -> tuple[float, float]:
        return abs(self.t.a), abs(self.t.e)

    def extent(self) -> tuple[float, float, float, float]:
        ny, nx = self.arr.shape
        return (self.t.c, self.t.f + self.t.e * ny, self.t.c + self.t.a * nx, self.t.f)

    def srs_wkt(self) -> str:
        return str(self.crs.to_wkt())

    def nodata_value(self) -> None:
        return None

    def read_window(self, x0: int, y0: int, nx: int, ny: int) -> np.ma.MaskedArray:
        part = self.arr[y0 : y0 + ny, x0 : x0 + nx]
        return _masked(np.ma.getdata(part), np.ma.getmaskarray(part))


class ValidAreaSource(RasterSource):
    """Cell area (m²) where the value source has data, masked elsewhere: its coverage-weighted sum is the valid area."""

    def __init__(self, values: Any, area: PixelArea, *, name: str = "valid_area_m2") -> None:
        super().__init__()
        self.values = values
        self.area = area
        self.set_name(name)

    def res(self) -> tuple[float, float]:
        rx, ry = self.values.res()
        return float(rx), float(ry)

    def extent(self) -> tuple[float, float, float, float]:
        a, b, c, d = self.values.extent()
        return float(a), float(b), float(c), float(d)

    def srs_wkt(self) -> str:
        return str(self.values.srs_wkt())

    def nodata_value(self) -> None:
        return None

    def read_window(self, x0: int, y0: int, nx: int, ny: int) -> np.ma.MaskedArray:
        if nx <= 0 or ny <= 0:
            return _masked(np.zeros((max(ny, 0), max(nx, 0))))
        vals = self.values.read_window(x0, y0, nx, ny)
        areas = self.area.window(Window(x0, y0, nx, ny))
        return _masked(areas, np.ma.getmaskarray(vals))


class AreaWeightSource(RasterSource):
    """Cell area (m²) everywhere, as exactextract weights: area-weighted class fractions."""

    def __init__(self, like: Any, area: PixelArea, *, name: str = "cell_area_m2") -> None:
        super().__init__()
        self.like = like
        self.area = area
        self.set_name(name)

    def res(self) -> tuple[float, float]:
        rx, ry = self.like.res()
        return float(rx), float(ry)

    def extent(self) -> tuple[float, float, float, float]:
        a, b, c, d = self.like.extent()
        return float(a), float(b), float(c), float(d)

    def srs_wkt(self) -> str:
        return str(self.like.srs_wkt())

    def nodata_value(self) -> None:
        return None

    def read_window(self, x0: int, y0: int, nx: int, ny: int) -> npt.NDArray[np.float64]:
        if nx <= 0 or ny <= 0:
            return np.zeros((max(ny, 0), max(nx, 0)))
        return self.area.window(Window(x0, y0, nx, ny))


class PairSource(RasterSource):
    """Before and after classes combined per cell as ``before × 65536 + after`` on the before grid.

    The after raster is read through a WarpedVRT aligned on the before grid (nearest
    neighbour) when the grids differ, window by window.
    """

    SHIFT = 65536

    def __init__(
        self, before: BandSource, after: Any, after_band: int, *, name: str = "pair"
    ) -> None:
        super().__init__()
        self.before = before
        self.after = after
        self.after_band = after_band
        self.set_name(name)
        self.reads = 0
        self._last: tuple[tuple[int, int, int, int], np.ma.MaskedArray] | None = None

    def res(self) -> tuple[float, float]:
        return self.before.res()

    def extent(self) -> tuple[float, float, float, float]:
        return self.before.extent()

    def srs_wkt(self) -> str:
        return self.before.srs_wkt()

    def nodata_value(self) -> None:
        return None

    def read_window(self, x0: int, y0: int, nx: int, ny: int) -> np.ma.MaskedArray:
        if nx <= 0 or ny <= 0:
            return _masked(np.zeros((max(ny, 0), max(nx, 0)), dtype="int64"))
        key = (x0, y0, nx, ny)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        b = self.before.read_masked(x0, y0, nx, ny)
        self.reads += 1
        try:
            a = self.after.read(self.after_band, window=Window(x0, y0, nx, ny), masked=True)
        except rasterio.errors.RasterioError as err:
            msg = f"读取“后期”栅格时出错：文件可能已损坏或不完整（{str(err)[:160]}）"
            raise RasterError(msg) from err
        code = np.ma.getdata(b).astype("int64") * self.SHIFT + np.ma.getdata(a).astype("int64")
        out = _masked(code, np.ma.getmaskarray(b) | np.ma.getmaskarray(a))
        self._last = (key, out)
        return out
