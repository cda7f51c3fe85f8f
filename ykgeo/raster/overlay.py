"""Map overlays for :mod:`ykgeo.raster`: a raster reprojected to Web Mercator, coloured, as PNG with bounds and legend."""

from __future__ import annotations

import base64
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import rasterio
import shapely
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile
from rasterio.transform import from_origin
from rasterio.warp import reproject

from ykgeo.crs import CGCS2000
from ykgeo.errors import RasterError
from ykgeo.raster.core import (
    RasterInfo,
    open_raster,
    to_cgcs2000_bounds,
    transform_geoms,
    transformer,
    window_of_bounds,
)
from ykgeo.raster.zonal import CLASS_TAG, RasterClass, _fallback_color, _hex, raster_classes

# --- map overlay -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RasterOverlay:
    """A raster drawn for the web map: an RGBA PNG in Web Mercator, its lat/lon bounds and a legend.

    Attributes
    ----------
    png_bytes
        The PNG (for ``folium.raster_layers.ImageOverlay(image=overlay.data_url(), bounds=overlay.bounds)``).
    rgba
        The same image as an (height, width, 4) uint8 array; transparent where no data.
    bounds
        ``[[south, west], [north, east]]`` in degrees (Leaflet order).
    legend
        ``(label_zh, "#rrggbb")`` entries, classes present or colour-ramp stops.
    name_zh
        A layer name for the layer control (the band description, else the file name).
    categorical
        Whether it was drawn by class (nearest neighbour) or as a ramp (bilinear).
    """

    png_bytes: bytes
    rgba: npt.NDArray[np.uint8]
    bounds: list[list[float]]
    legend: tuple[tuple[str, str], ...]
    name_zh: str
    categorical: bool

    def data_url(self) -> str:
        """``data:image/png;base64,…`` for an offline ImageOverlay."""
        return "data:image/png;base64," + base64.b64encode(self.png_bytes).decode("ascii")


def _parse_hex(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    if len(c) != 6:
        msg = f"颜色格式应为 #rrggbb：{color}"
        raise RasterError(msg)
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _png(rgba: npt.NDArray[np.uint8]) -> bytes:
    """Encode RGBA as PNG with GDAL (no georeferencing: the overlay bounds carry it)."""
    h, w, _ = rgba.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with MemoryFile() as mem:
            with mem.open(driver="PNG", width=w, height=h, count=4, dtype="uint8") as dst:
                dst.write(np.moveaxis(rgba, -1, 0))
            return bytes(mem.read())


def raster_overlay(
    path: str | Path,
    *,
    bounds_4490: tuple[float, float, float, float] | None = None,
    max_size: int = 1024,
    colormap: Mapping[int, str | tuple[str, str]] | str | None = None,
    categorical: bool | None = None,
    band: int = 1,
) -> RasterOverlay:
    """Draw a raster for the map: reprojected to Web Mercator (as Leaflet shows images), coloured, with a legend.

    Parameters
    ----------
    path
        The raster (any CRS GDAL knows).
    bounds_4490
        ``(west, south, east, north)`` in degrees to draw only part of it (e.g. the city).
    max_size
        Longest side of the image in pixels; only a decimated read of the source
        window is made, so huge rasters stay cheap.
    colormap
        Categorical: ``{code: "#rrggbb"}`` or ``{code: (label_zh, "#rrggbb")}``
        (default: the raster's colour table and class tag, else the demo land cover).
        Continuous: a matplotlib colormap name (default ``"terrain"`` for elevations,
        else ``"viridis"``), stretched over the 2–98 % range of the values shown.
    categorical
        Force the drawing mode (default: integer rasters with a colour table, class
        tag or at most 32 distinct values are drawn by class).
    """
    with open_raster(path, band=band) as (ds, info):
        region = to_cgcs2000_bounds(info)
        if bounds_4490 is not None:
            w, s, e, n = bounds_4490
            region = (max(region[0], w), max(region[1], s), min(region[2], e), min(region[3], n))
            if region[0] >= region[2] or region[1] >= region[3]:
                msg = f"栅格 {info.name} 与所选显示范围没有重叠"
                raise RasterError(msg)
        merc = transformer(CGCS2000, 3857)
        mx, my = merc.transform([region[0], region[2]], [region[1], region[3]])
        dst_w_m, dst_h_m = mx[1] - mx[0], my[1] - my[0]
        src_poly = shapely.segmentize(shapely.box(*region), (region[2] - region[0]) / 16)
        src_geom = transform_geoms(np.asarray([src_poly], dtype=object), CGCS2000, info.crs)[0]
        win = window_of_bounds(info, shapely.bounds(src_geom), pad=1)
        if win is None:
            msg = f"栅格 {info.name} 在所选范围内没有像元"
            raise RasterError(msg)
        longest = max(int(win.width), int(win.height))
        size = max(min(max_size, longest), 2)
        scale = size / max(dst_w_m, dst_h_m)
        width, height = max(int(round(dst_w_m * scale)), 1), max(int(round(dst_h_m * scale)), 1)
        # decimated read of the source window, at most twice the output size
        factor = max(1.0, longest / (2.0 * size))
        out_h = max(int(math.ceil(win.height / factor)), 1)
        out_w = max(int(math.ceil(win.width / factor)), 1)
        is_cat = categorical
        if is_cat is None:
            is_cat = info.is_integer and (bool(info.colormap) or CLASS_TAG in info.tags)
        resampling = Resampling.nearest if (is_cat or info.is_integer) else Resampling.bilinear
        try:
            data = ds.read(
                band, window=win, out_shape=(out_h, out_w), masked=True, resampling=resampling
            )
        except rasterio.errors.RasterioError as err:
            from ykgeo.raster.core import read_error

            raise read_error(info, err) from err
        if categorical is None and not is_cat and info.is_integer:
            is_cat = len(np.unique(np.ma.compressed(data))) <= 32
        win_t = ds.window_transform(win) @ rasterio.Affine.scale(
            win.width / out_w, win.height / out_h
        )
        src = np.ma.filled(data.astype("float64"), np.nan)
        if np.issubdtype(data.dtype, np.floating):
            src[~np.isfinite(src)] = np.nan
        dst = np.full((height, width), np.nan, dtype="float64")
        dst_t = from_origin(mx[0], my[1], dst_w_m / width, dst_h_m / height)
        reproject(
            source=src,
            destination=dst,
            src_transform=win_t,
            src_crs=info.crs.to_wkt(),
            dst_transform=dst_t,
            dst_crs="EPSG:3857",
            src_nodata=np.nan,
            dst_nodata=np.nan,
            resampling=Resampling.nearest if is_cat else Resampling.bilinear,
        )
        classes = raster_classes(info) if is_cat else {}
        units = (ds.units[band - 1] or "") if ds.units else ""
        title = (ds.descriptions[band - 1] or "") if ds.descriptions else ""
    valid = np.isfinite(dst)
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    legend: list[tuple[str, str]] = []
    if is_cat:
        palette = _categorical_palette(colormap, classes)
        present = np.unique(dst[valid]).astype("int64") if valid.any() else np.zeros(0, "int64")
        for code in present.tolist():
            own = info.colormap.get(code) if info.colormap else None
            fallback = _hex(own) if own else _fallback_color(code)
            label, color = palette.get(code, (f"类别 {code}", fallback))
            sel = valid & (dst == code)
            rgba[sel, :3] = _parse_hex(color)
            rgba[sel, 3] = 255
            legend.append((label, color))
    else:
        legend = _ramp(dst, valid, rgba, colormap, info, units)
    bw, bs = transformer(3857, CGCS2000).transform([mx[0], mx[1]], [my[0], my[1]])
    bounds = [[float(bs[0]), float(bw[0])], [float(bs[1]), float(bw[1])]]
    return RasterOverlay(
        png_bytes=_png(rgba),
        rgba=rgba,
        bounds=bounds,
        legend=tuple(legend),
        name_zh=title or Path(path).stem,
        categorical=bool(is_cat),
    )


def _categorical_palette(
    colormap: Mapping[int, str | tuple[str, str]] | str | None, classes: Mapping[int, RasterClass]
) -> dict[int, tuple[str, str]]:
    palette = {k: (c.label_zh, c.color) for k, c in classes.items()}
    if isinstance(colormap, Mapping):
        for code, spec in colormap.items():
            if isinstance(spec, str):
                palette[int(code)] = (palette.get(int(code), (f"类别 {code}", ""))[0], spec)
            else:
                palette[int(code)] = (spec[0], spec[1])
    return palette


def _ramp(
    dst: npt.NDArray[np.float64],
    valid: npt.NDArray[np.bool_],
    rgba: npt.NDArray[np.uint8],
    colormap: Any,
    info: RasterInfo,
    units: str,
) -> list[tuple[str, str]]:
    import matplotlib as mpl

    if not valid.any():
        return []
    is_dem = "elev" in " ".join(info.tags.values()).lower() or info.tags.get("YKGEO_KIND") == "dem"
    name = (
        colormap
        if isinstance(colormap, str)
        else ("terrain" if is_dem or units == "m" else "viridis")
    )
    try:
        cmap = mpl.colormaps[name]
    except KeyError as err:
        msg = f"未知的色带名称：{name}"
        raise RasterError(msg) from err
    lo, hi = np.percentile(dst[valid], [2, 98])
    if hi <= lo:
        hi = lo + 1.0
    norm = np.clip((dst - lo) / (hi - lo), 0, 1)
    colors = (cmap(np.where(valid, norm, 0.0)) * 255).astype(np.uint8)
    rgba[...] = colors
    rgba[~valid, 3] = 0
    unit = f" {units}" if units else ""
    stops = np.linspace(lo, hi, 5)
    return [
        (
            f"{v:,.0f}{unit}" if hi - lo > 20 else f"{v:,.2f}{unit}",
            _hex([int(c * 255) for c in cmap((v - lo) / (hi - lo))]),
        )
        for v in stops
    ]
