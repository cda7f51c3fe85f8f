"""Shared ground of the demo rasters: their extent and resolution, CGCS2000 ↔ Gauss–Krüger, the noise and the terrain height."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer

from ykgeo.crs import CGCS2000, GK_CM120
from ykgeo.store import DEMO_STORE

__all__ = [
    "RIVER_LONLAT",
    "SOURCES",
    "TO_GK",
    "DemoRasterSpec",
    "Noise",
    "boundary_lonlat",
    "elevation_m",
    "gk",
    "store_layer",
    "to_gk_geoms",
]

SOURCES = DEMO_STORE.parent / "sources"
TO_GK = Transformer.from_crs(CGCS2000, GK_CM120, always_xy=True)
_LOWLANDS_LONLAT = (  # (lon, lat, semi-axis x km, semi-axis y km, rotation deg): 永康盆地 and the northern plain
    (120.03, 28.895, 13.0, 6.0, 8.0),
    (120.12, 28.99, 9.0, 4.5, -10.0),
    (119.96, 28.93, 5.0, 4.0, 0.0),
    (120.10, 28.83, 5.0, 2.5, 20.0),
)


RIVER_LONLAT = (  # 永康江 / 南溪 (illustrative course, east to west)
    (120.30, 28.93),
    (120.21, 28.92),
    (120.13, 28.90),
    (120.07, 28.895),
    (120.04, 28.888),
    (120.00, 28.885),
    (119.95, 28.895),
    (119.86, 28.90),
)


@dataclass(frozen=True)
class DemoRasterSpec:
    """Resolution and extent of the demo rasters."""

    dem_res_deg: float = 1.0 / 3600.0  # 1″ ≈ 27 × 31 m, whole metres in int16 like SRTM/ALOS
    landcover_res_m: float = 10.0
    margin_deg: float = 0.02
    seed: int = 2022


def gk(lon: float, lat: float) -> tuple[float, float]:
    x, y = TO_GK.transform(lon, lat)
    return float(x), float(y)


def boundary_lonlat() -> Any:
    data = json.loads((SOURCES / "yongkang_boundary_tianditu.geojson").read_text(encoding="utf-8"))
    return shapely.geometry.shape(data["features"][0]["geometry"])


class Noise:
    """Smooth deterministic 2-D noise: sums of oriented sinusoids over octaves (no external package)."""

    def __init__(self, seed: int, base_m: float, octaves: int = 6, per_octave: int = 5) -> None:
        rng = np.random.default_rng(seed)
        self.terms = []
        for k in range(octaves):
            wavelength = base_m / (2.0**k)
            amp = 0.55**k
            for _ in range(per_octave):
                theta = rng.uniform(0, math.pi)
                self.terms.append(
                    (
                        math.cos(theta) / wavelength,
                        math.sin(theta) / wavelength,
                        rng.uniform(0, 2 * math.pi),
                        amp,
                    )
                )
        self.norm = sum(t[3] for t in self.terms) / math.sqrt(per_octave)

    def __call__(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        out = np.zeros_like(x)
        for kx, ky, phase, amp in self.terms:
            out += amp * np.sin(2 * math.pi * (kx * x + ky * y) + phase)
        return out / self.norm


def elevation_m(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], *, seed: int = 2022
) -> npt.NDArray[np.float64]:
    """Synthetic ground elevation (m) at GK CM 120°E coordinates: basin floor 80–160 m, hills to ~1000 m in the south-east."""
    cx, cy = gk(120.04, 28.893)
    lowland = np.zeros_like(x)
    for lon, lat, ax, ay, rot in _LOWLANDS_LONLAT:
        bx, by = gk(lon, lat)
        c, s = math.cos(math.radians(rot)), math.sin(math.radians(rot))
        dx, dy = x - bx, y - by
        u, v = (c * dx + s * dy) / (ax * 1000), (-s * dx + c * dy) / (ay * 1000)
        lowland = np.maximum(lowland, np.exp(-((u * u + v * v) ** 1.6)))
    floor = 88.0 + 0.0011 * (x - cx) + 0.0009 * np.abs(y - cy)
    south_east = 1.0 / (1.0 + np.exp(-((x - cx) * 0.6 - (y - cy)) / 6000.0))
    hills = 230.0 + 650.0 * south_east + 230.0 * Noise(seed, 9000.0)(x, y)
    detail = Noise(seed + 1, 2500.0, octaves=5)(x, y)
    z = floor + (1.0 - lowland) * (hills - floor) + (8.0 + 60.0 * (1.0 - lowland)) * detail
    return np.maximum(z, 60.0)


def store_layer(store: Any, key: str, as_of: dt.date) -> Any:
    if store is None or key not in store.layer_keys():
        return None
    gdf = store.read_layer(key, as_of=as_of)
    return gdf if len(gdf) else None


def to_gk_geoms(geoms: Sequence[Any]) -> npt.NDArray[np.object_]:
    arr = np.asarray(list(geoms), dtype=object)

    def _apply(c: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = TO_GK.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(arr, _apply)
