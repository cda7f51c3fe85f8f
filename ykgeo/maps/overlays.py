"""Rasters on the map: a store's raster files, drawn as compact PNG image overlays with their legends."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ykgeo.raster import RasterOverlay

__all__ = [
    "RASTER_SUFFIXES",
    "RasterMapLayer",
    "prepare_raster",
    "raster_config",
    "raster_map_layer",
    "raster_sources",
    "raster_title",
]

#: Extensions of the raster files a store's ``rasters/`` folder may offer.
RASTER_SUFFIXES = (".tif", ".tiff")
#: The only image a raster layer may carry: the PNG itself, inline.
_DATA_URL = re.compile(r"data:image/png;base64,[A-Za-z0-9+/]*={0,2}")


@dataclass(frozen=True)
class RasterMapLayer:
    """A raster ready for the map: an image overlay (a PNG ``data:`` URL), its bounds and legend.

    Attributes
    ----------
    key
        Key of the layer in the map (``raster:<file name>``), unique beside the vector layers.
    name
        Name in the layer control and the legend.
    theme
        Group of the layer control.
    image_url
        ``data:image/png;base64,…``: the image travels inside the map, nothing is fetched.
    bounds
        ``((south, west), (north, east))`` in degrees, as Leaflet places the image.
    legend
        ``(label, "#rrggbb", swatch)`` entries, as for the vector layers.
    visible
        Whether the overlay is on when the map opens (off by default; the planner's own
        switching in the layer control is kept across reruns).
    opacity
        Opacity of the image (0–1), so the features and basemap show through.
    categorical
        Drawn by class (True) or as a colour ramp.
    note
        A remark shown beside the layer's switch ("" for none).
    """

    key: str
    name: str
    theme: str
    image_url: str
    bounds: tuple[tuple[float, float], tuple[float, float]]
    legend: tuple[tuple[str, str, str], ...]
    visible: bool = False
    opacity: float = 0.7
    categorical: bool = True
    note: str = ""

    @property
    def payload_bytes(self) -> int:
        """Size of the image's data URL (what the overlay adds to the map's HTML)."""
        return len(self.image_url)


# --- a store's rasters as image layers ---------------------------------------------------


def raster_sources(store_path: str | Path) -> dict[str, Path]:
    """The rasters a store offers for its map: ``*.tif`` / ``*.tiff`` in ``rasters/`` beside the store file.

    By file name, sorted; an empty mapping when the folder does not exist.
    """
    folder = Path(store_path).parent / "rasters"
    if not folder.is_dir():
        return {}
    files = [f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in RASTER_SUFFIXES]
    return {f.name: f for f in sorted(files, key=lambda f: f.name)}


def raster_title(path: str | Path) -> str:
    """A raster's title for a picker: its first band's description, else its file name ("" if unreadable)."""
    import rasterio

    try:
        with rasterio.open(path) as ds:
            description = (ds.descriptions[0] or "") if ds.descriptions else ""
    except (rasterio.errors.RasterioError, OSError):
        return ""
    return description or Path(path).stem


def _compact_png(rgba: np.ndarray, *, exact: bool) -> bytes:
    """The image as a small palette PNG.

    ``exact`` (a categorical raster): its own colours, unchanged, when there are at most
    256. Otherwise (a colour ramp such as a DEM) the colours are reduced by octree
    quantisation: a mean change of about 2/255 per channel, and a PNG about four times
    smaller (the demo DEM: 0.80 → 0.20 MB).
    """
    from PIL import Image

    h, w, _ = rgba.shape
    flat = np.ascontiguousarray(rgba, dtype=np.uint8).reshape(-1, 4)
    flat = np.where(flat[:, 3:4] == 0, 0, flat).astype(np.uint8)  # one fully transparent colour
    colours, index = np.unique(flat.view(np.uint32).ravel(), return_inverse=True)
    out = io.BytesIO()
    if exact and len(colours) <= 256:
        image = Image.frombytes("P", (w, h), index.astype(np.uint8).tobytes())
        image.putpalette(colours.view(np.uint8).tobytes(), rawmode="RGBA")
    else:
        image = Image.frombytes("RGBA", (w, h), flat.tobytes()).quantize(
            colors=256, method=Image.Quantize.FASTOCTREE
        )
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def raster_map_layer(
    overlay: RasterOverlay,
    *,
    key: str,
    name: str | None = None,
    theme: str = "栅格",
    visible: bool = False,
    opacity: float = 0.7,
    compact: bool = True,
) -> RasterMapLayer:
    """A raster overlay (from :func:`ykgeo.raster.raster_overlay`) as a layer of the map.

    The image is re-encoded as a palette PNG (``compact``; classes keep their exact colours)
    and carried as a ``data:`` URL: an offline map never fetches it. The legend is the
    overlay's, as filled swatches.
    """
    png = _compact_png(overlay.rgba, exact=overlay.categorical) if compact else overlay.png_bytes
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    (south, west), (north, east) = overlay.bounds
    return RasterMapLayer(
        key=f"raster:{key}",
        name=name or overlay.name_zh,
        theme=theme,
        image_url=url,
        bounds=((float(south), float(west)), (float(north), float(east))),
        legend=tuple((str(label), str(colour), "fill") for label, colour in overlay.legend),
        visible=visible,
        opacity=min(max(float(opacity), 0.0), 1.0),
        categorical=overlay.categorical,
    )


def prepare_raster(
    path: str | Path,
    *,
    visible: bool = False,
    max_size: int = 1024,
    bounds_4490: tuple[float, float, float, float] | None = None,
    opacity: float = 0.7,
    language: str = "zh",
) -> RasterMapLayer:
    """A raster file drawn for the map: reprojected, coloured, legend, at most ``max_size`` pixels a side.

    The layer's key is the file name, its name the raster's title (band description);
    in the layer control it sits under 栅格 (``Rasters`` in English).

    Raises
    ------
    RasterError
        The file is not a readable, georeferenced raster, or does not overlap ``bounds_4490``.
    """
    from ykgeo.raster import raster_overlay

    path = Path(path)
    overlay = raster_overlay(path, bounds_4490=bounds_4490, max_size=max_size)
    return raster_map_layer(
        overlay,
        key=path.name,
        theme="Rasters" if language == "en" else "栅格",
        visible=visible,
        opacity=opacity,
    )


# --- for the map runtime -----------------------------------------------------------------


def raster_config(raster: RasterMapLayer) -> dict[str, Any]:
    """A raster layer as the map runtime reads it; its image must be a PNG ``data:`` URL.

    Raises
    ------
    ValueError
        The image is anything else (a link would make the map fetch it).
    """
    if not _DATA_URL.fullmatch(raster.image_url):
        msg = f"raster layer {raster.key}: the image must be a PNG data URL"
        raise ValueError(msg)
    return {
        "key": raster.key,
        "name": raster.name,
        "theme": raster.theme,
        "url": raster.image_url,
        "bounds": [list(raster.bounds[0]), list(raster.bounds[1])],
        "legend": [list(e) for e in raster.legend],
        "visible": raster.visible,
        "opacity": raster.opacity,
        "categorical": raster.categorical,
        "note": raster.note,
    }
