"""Deterministic demo rasters for Yongkang: a synthetic DEM of the basin and its hills, and land cover at the end of 2021 and 2022.

Everything is synthetic (示意), generated from a seed and, when given, the demo
store: the land cover is consistent with the store's statuses (parcels completed in
2022 are built-up at the end of 2021 and cleared at the end of 2022) except for a
few deliberate contradictions, and the DEM holds a basin behind each reservoir's
dam whose storage below the listed water level is close to 75 % of its 总库容.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio
import shapely
from pyproj import Transformer
from rasterio.features import rasterize
from rasterio.transform import from_origin

from ykgeo.crs import CGCS2000, GK_CM120
from ykgeo.raster import CLASS_TAG, DATE_TAG, LANDCOVER_CLASSES, PixelArea, RasterInfo
from ykgeo.store import DEMO_STORE, Store, find_demo_store

__all__ = [
    "DEM_NAME",
    "LANDCOVER_2021",
    "LANDCOVER_2022",
    "DemoRasterSpec",
    "build_demo_rasters",
    "elevation_m",
]

DEM_NAME = "yongkang_dem.tif"
LANDCOVER_2021 = "landcover_2021.tif"
LANDCOVER_2022 = "landcover_2022.tif"
LEVELS_NAME = "reservoir_levels.csv"
CONTRADICTIONS_NAME = "landcover_contradictions.csv"

_SOURCES = DEMO_STORE.parent / "sources"
_TO_GK = Transformer.from_crs(CGCS2000, GK_CM120, always_xy=True)
_TO_LL = Transformer.from_crs(GK_CM120, CGCS2000, always_xy=True)

#: Layers whose parcels are built-up (80) in the land cover, and those that are cleared when done.
_BUILT_LAYERS = (
    "low_efficiency_industrial",
    "redevelopment",
    "state_factories",
    "old_estates",
    "renewal_blocks",
    "rental_housing",
    "schools",
    "sewage_works",
)
_CLEARED_WHEN_DONE = ("low_efficiency_industrial", "redevelopment")
#: Share of the total capacity (总库容, up to the check flood level) held at the normal level.
_NORMAL_SHARE = 0.75

_LOWLANDS_LONLAT = (  # (lon, lat, semi-axis x km, semi-axis y km, rotation deg): 永康盆地 and the northern plain
    (120.03, 28.895, 13.0, 6.0, 8.0),
    (120.12, 28.99, 9.0, 4.5, -10.0),
    (119.96, 28.93, 5.0, 4.0, 0.0),
    (120.10, 28.83, 5.0, 2.5, 20.0),
)
_RIVER_LONLAT = (  # 永康江 / 南溪 (illustrative course, east to west)
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


def _gk(lon: float, lat: float) -> tuple[float, float]:
    x, y = _TO_GK.transform(lon, lat)
    return float(x), float(y)


def _boundary_lonlat() -> Any:
    data = json.loads((_SOURCES / "yongkang_boundary_tianditu.geojson").read_text(encoding="utf-8"))
    return shapely.geometry.shape(data["features"][0]["geometry"])


def _town_points() -> list[tuple[str, float, float]]:
    out = []
    with (_SOURCES / "yongkang_town_points.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            lon = row["geonames_lon"] or row["adcode_wgs84_lon"]
            lat = row["geonames_lat"] or row["adcode_wgs84_lat"]
            if lon and lat:
                out.append((row["name_zh"], float(lon), float(lat)))
    return out


class _Noise:
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
    cx, cy = _gk(120.04, 28.893)
    lowland = np.zeros_like(x)
    for lon, lat, ax, ay, rot in _LOWLANDS_LONLAT:
        bx, by = _gk(lon, lat)
        c, s = math.cos(math.radians(rot)), math.sin(math.radians(rot))
        dx, dy = x - bx, y - by
        u, v = (c * dx + s * dy) / (ax * 1000), (-s * dx + c * dy) / (ay * 1000)
        lowland = np.maximum(lowland, np.exp(-((u * u + v * v) ** 1.6)))
    floor = 88.0 + 0.0011 * (x - cx) + 0.0009 * np.abs(y - cy)
    south_east = 1.0 / (1.0 + np.exp(-((x - cx) * 0.6 - (y - cy)) / 6000.0))
    hills = 230.0 + 650.0 * south_east + 230.0 * _Noise(seed, 9000.0)(x, y)
    detail = _Noise(seed + 1, 2500.0, octaves=5)(x, y)
    z = floor + (1.0 - lowland) * (hills - floor) + (8.0 + 60.0 * (1.0 - lowland)) * detail
    return np.maximum(z, 60.0)


def _river_gk() -> Any:
    return shapely.LineString([_gk(lon, lat) for lon, lat in _RIVER_LONLAT])


def _layer(store: Any, key: str, as_of: dt.date) -> Any:
    if store is None or key not in store.layer_keys():
        return None
    gdf = store.read_layer(key, as_of=as_of)
    return gdf if len(gdf) else None


def _to_gk_geoms(geoms: Sequence[Any]) -> npt.NDArray[np.object_]:
    arr = np.asarray(list(geoms), dtype=object)

    def _apply(c: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = _TO_GK.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(arr, _apply)


def _write(
    path: Path,
    arr: npt.NDArray[Any],
    profile: dict[str, Any],
    tags: dict[str, str],
    colormap: Any = None,
    *,
    unit: str = "",
    description: str = "",
) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(arr, 1)
        dst.update_tags(**tags)
        if colormap:
            dst.write_colormap(1, colormap)
        if unit:
            dst.set_band_unit(1, unit)
        if description:
            dst.set_band_description(1, description)
    tmp.replace(path)
    return path


# --- DEM ---------------------------------------------------------------------------------------


def _dem_grid(spec: DemoRasterSpec) -> tuple[Any, int, int]:
    w, s, e, n = _boundary_lonlat().bounds
    m, r = spec.margin_deg, spec.dem_res_deg
    west = math.floor((w - m) / r) * r
    north = math.ceil((n + m) / r) * r
    width = int(math.ceil((e + m - west) / r))
    height = int(math.ceil((north - (s - m)) / r))
    return from_origin(west, north, r, r), width, height


def _carve_reservoirs(
    z: npt.NDArray[np.float64],
    transform: Any,
    dams: Any,
    surfaces: Any,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Make each mapped water surface a basin below a water level, walled by a rim and the dam; returns the levels."""
    height, width = z.shape
    info = RasterInfo(
        path=Path("dem"),
        name="dem",
        crs=__import__("pyproj").CRS.from_epsg(CGCS2000),
        transform=transform,
        width=width,
        height=height,
        band=1,
        dtype="float32",
        nodata=None,
        scaled=False,
        block_shape=(256, 256),
        tags={},
        colormap=None,
    )
    row_area = PixelArea(info).window(rasterio.windows.Window(0, 0, 1, height))[:, 0]
    levels: list[dict[str, Any]] = []
    if dams is None or surfaces is None:
        return levels
    by_id: dict[str, Any] = {}
    for rid, geom in zip(surfaces["注册登记号"].astype(str), surfaces.geometry, strict=True):
        by_id[rid] = geom if rid not in by_id else shapely.union(by_id[rid], geom)
    for rid, dam in zip(dams.index.astype(str), dams.geometry, strict=True):
        surface = by_id.get(rid)
        if surface is None or dam is None:
            continue
        inside = rasterize([surface], out_shape=z.shape, transform=transform, dtype="uint8").astype(
            bool
        )
        if inside.sum() < 4:
            continue
        rows, cols = np.nonzero(inside)
        lon, lat = rasterio.transform.xy(transform, rows, cols)
        gx, gy = _TO_GK.transform(np.asarray(lon), np.asarray(lat))
        surf_gk = _to_gk_geoms([surface])[0]
        dist = shapely.distance(shapely.points(gx, gy), surf_gk.boundary)
        p = (dist / max(float(dist.max()), 1.0)) ** 0.8 + 0.05
        ring = (
            rasterize(
                [surface.buffer(3.0 * transform.a)],
                out_shape=z.shape,
                transform=transform,
                dtype="uint8",
            ).astype(bool)
            & ~inside
        )
        natural_edge = z[ring]
        level = (
            float(np.round(np.percentile(natural_edge, 60), 1))
            if natural_edge.size
            else float(np.median(z[inside]))
        )
        capacity = dams.loc[dams.index.astype(str) == rid, "总库容（万m³）"]
        cap = float(capacity.iloc[0]) if len(capacity) and np.isfinite(capacity.iloc[0]) else 50.0
        target_m3 = cap * 10000.0 * _NORMAL_SHARE
        weight = float((p * row_area[rows]).sum())
        depth_max = float(np.clip(target_m3 / weight, 2.0, 80.0))
        z[rows, cols] = level - depth_max * p
        z[ring] = np.maximum(z[ring], level + 1.5 + rng.uniform(0, 1.0, ring.sum()))
        dam_px = (
            rasterize(
                [dam.buffer(1.6 * transform.a)],
                out_shape=z.shape,
                transform=transform,
                dtype="uint8",
            ).astype(bool)
            & ~inside
        )
        z[dam_px] = np.maximum(z[dam_px], level + 3.0)
        zq = np.round(z[rows, cols])
        stored = float(((level - zq) * row_area[rows]).sum())
        levels.append(
            {
                "注册登记号": rid,
                "水库名称": str(dams.loc[dams.index.astype(str) == rid, "水库名称"].iloc[0])
                if "水库名称" in dams
                else "",
                "正常蓄水位（m）": level,
                "总库容（万m³）": cap,
                "DEM 库容（万m³）": round(stored / 10000.0, 2),
            }
        )
    return levels


# --- land cover --------------------------------------------------------------------------------


def _landcover_grid(spec: DemoRasterSpec) -> tuple[Any, int, int]:
    boundary = _to_gk_geoms([_boundary_lonlat()])[0]
    minx, miny, maxx, maxy = boundary.buffer(1000.0).bounds
    r = spec.landcover_res_m
    x0, y1 = math.floor(minx / r) * r, math.ceil(maxy / r) * r
    return (
        from_origin(x0, y1, r, r),
        int(math.ceil((maxx - x0) / r)),
        int(math.ceil((y1 - miny) / r)),
    )


def _base_landcover(
    transform: Any, width: int, height: int, spec: DemoRasterSpec
) -> npt.NDArray[np.uint8]:
    r = spec.landcover_res_m
    xs = transform.c + r * (np.arange(width) + 0.5)
    lc = np.zeros((height, width), dtype=np.uint8)
    towns = [(name, *_gk(lon, lat)) for name, lon, lat in _town_points()]
    urban_noise = _Noise(spec.seed + 7, 1500.0, octaves=4)
    cover_noise = _Noise(spec.seed + 11, 3000.0, octaves=4)
    step = 256
    for r0 in range(0, height, step):
        ys = transform.f - r * (np.arange(r0, min(r0 + step, height)) + 0.5)
        gx, gy = np.meshgrid(xs, ys)
        z = elevation_m(gx, gy, seed=spec.seed)
        dzdy, dzdx = np.gradient(z, r)
        slope = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
        n = cover_noise(gx, gy)
        block = np.full(gx.shape, 10, dtype=np.uint8)  # 耕地
        block[(z > 200) | (slope > 12)] = 20  # 林地
        block[(block == 20) & (n > 0.55)] = 40  # 灌木地
        block[(block == 20) & (z > 650) & (n < -0.45)] = 30  # 草地
        block[(block == 10) & (n > 0.75)] = 30
        urban = np.zeros(gx.shape, dtype=bool)
        un = urban_noise(gx, gy)
        for name, tx, ty in towns:
            radius = 3600.0 if name.endswith("街道") else 900.0
            d = np.hypot(gx - tx, gy - ty)
            urban |= d < radius * (1.0 + 0.35 * un)
        block[urban & (z < 200)] = 80
        lc[r0 : r0 + step] = block
    river = _river_gk()
    lc[
        rasterize(
            [river.buffer(45.0)], out_shape=lc.shape, transform=transform, dtype="uint8"
        ).astype(bool)
    ] = 60
    wet = rasterize(
        [river.buffer(120.0)], out_shape=lc.shape, transform=transform, dtype="uint8"
    ).astype(bool)
    lc[wet & (lc == 10) & (cover_noise_at(transform, lc.shape, spec) > 0.2)] = 50
    return lc


def cover_noise_at(
    transform: Any, shape: tuple[int, int], spec: DemoRasterSpec
) -> npt.NDArray[np.float64]:
    """Low-frequency noise on the land-cover grid (wetland patches along the river)."""
    h, w = shape
    r = abs(transform.a)
    xs = transform.c + r * (np.arange(w) + 0.5)
    ys = transform.f - r * (np.arange(h) + 0.5)
    noise = _Noise(spec.seed + 13, 800.0, octaves=2)
    out = np.empty(shape)
    for r0 in range(0, h, 512):
        gx, gy = np.meshgrid(xs, ys[r0 : r0 + 512])
        out[r0 : r0 + 512] = noise(gx, gy)
    return out


def _parcel_cover(
    lc21: npt.NDArray[np.uint8],
    lc22: npt.NDArray[np.uint8],
    transform: Any,
    store: Any,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Burn the store's parcels: built-up in 2021; cleared by the end of 2022 when done in 2022; plant contradictions."""
    end21, end22 = dt.date(2021, 12, 31), dt.date(2022, 12, 31)
    for key in _BUILT_LAYERS:
        gdf = _layer(store, key, end22)
        if (
            gdf is None
            or gdf.geometry.iloc[0] is None
            or gdf.geom_type.iloc[0] not in ("Polygon", "MultiPolygon")
        ):
            continue
        geoms = [g for g in _to_gk_geoms(gdf.geometry.to_numpy()) if g is not None]
        mask = rasterize(geoms, out_shape=lc21.shape, transform=transform, dtype="uint8").astype(
            bool
        )
        lc21[mask] = 80
        lc22[mask] = 80
    planted: list[dict[str, Any]] = []
    cleared_all: list[tuple[str, str, Any]] = []  # (layer, id, GK geometry) of every cleared parcel
    untouched: list[tuple[str, str, Any]] = []  # not done, not cleared: should show no change
    for key in _CLEARED_WHEN_DONE:
        gdf = _layer(store, key, end22)
        if gdf is None:
            continue
        spec = store.spec(key)
        status = spec.status
        done = gdf[status.field].isin(list(status.done)).to_numpy()
        dates = (
            pd.to_datetime(gdf[status.date_field], errors="coerce") if status.date_field else None
        )
        earlier = (
            (dates.dt.date <= end21).fillna(False).to_numpy(dtype=bool) & done
            if dates is not None
            else np.zeros(len(gdf), dtype=bool)
        )
        in_year = done & ~earlier
        not_done = ~done
        ids = gdf.index.astype(str).to_numpy()
        # deliberate contradictions: 3 done parcels that stay built-up, 3 unfinished that are cleared
        stay: list[int] = sorted(
            int(i)
            for i in rng.choice(
                np.flatnonzero(in_year), size=min(3, int(in_year.sum())), replace=False
            )
        )
        cleared: list[int] = sorted(
            int(i)
            for i in rng.choice(
                np.flatnonzero(not_done), size=min(3, int(not_done.sum())), replace=False
            )
        )
        parcels = _to_gk_geoms(gdf.geometry.to_numpy())
        for i, geom in enumerate(parcels):
            if geom is None or shapely.is_empty(geom):
                continue
            m = rasterize([geom], out_shape=lc21.shape, transform=transform, dtype="uint8").astype(
                bool
            )
            if earlier[i]:
                lc21[m] = 90
                lc22[m] = 30
            elif (in_year[i] and i not in stay) or i in cleared:
                keep = rng.random(m.sum()) < 0.08  # a few buildings left standing
                vals = np.where(keep, 80, 90).astype(np.uint8)
                lc22[m] = vals
                cleared_all.append((key, ids[i], geom))
            elif not_done[i]:
                untouched.append((key, ids[i], geom))
        for i in stay:
            planted.append(
                {"图层": key, "地块编号": ids[i], "设置": "已报完成，但 2022 年末影像仍为人造地表"}
            )
        for i in cleared:
            planted.append(
                {"图层": key, "地块编号": ids[i], "设置": "未报完成，但 2022 年末影像已为裸地"}
            )
    # the demo store registers some land twice (a 再开发 record on a parcel already 整治): the
    # imagery then shows the other record's clearing, which the check rightly reports
    if cleared_all:
        c_geoms = np.asarray([g for _, _, g in cleared_all], dtype=object)
        tree = shapely.STRtree(c_geoms)
        for key, fid, geom in untouched:
            hits = [
                int(j)
                for j in tree.query(geom, predicate="intersects")
                if cleared_all[int(j)][1] != fid
            ]
            if not hits:
                continue
            share = (
                float(shapely.area(shapely.intersection(shapely.union_all(c_geoms[hits]), geom)))
                / geom.area
            )
            if share >= 0.5:
                other = max(
                    hits, key=lambda j: float(shapely.area(shapely.intersection(c_geoms[j], geom)))
                )
                name = store.spec(cleared_all[other][0]).name_zh
                planted.append(
                    {
                        "图层": key,
                        "地块编号": fid,
                        "设置": f"未报完成，但与已完成的{name}地块 {cleared_all[other][1]} 重叠（同一块地重复登记），2022 年末影像已为裸地",
                    }
                )
    mines = _layer(store, "mine_restoration", end22)
    if mines is not None:
        status = store.spec("mine_restoration").status
        for geom, state, use in zip(
            _to_gk_geoms(mines.geometry.to_numpy()),
            mines[status.field],
            mines.get("修复方向", ""),
            strict=True,
        ):
            if geom is None or shapely.is_empty(geom):
                continue
            m = rasterize([geom], out_shape=lc21.shape, transform=transform, dtype="uint8").astype(
                bool
            )
            lc21[m] = 90
            restored = 10 if "耕地" in str(use) else 20 if "林地" in str(use) else 30
            lc22[m] = restored if state in status.done else 90
    return planted


def build_demo_rasters(
    out_dir: Path | str,
    *,
    store_path: Path | str | None = None,
    seed: int = 2022,
    spec: DemoRasterSpec | None = None,
) -> list[Path]:
    """Write the demo DEM (EPSG:4490) and the end-2021 / end-2022 land cover (EPSG:4549) into ``out_dir``.

    With a store (default: the checkout's demo store when there is one) the land cover
    follows the store's parcels and statuses and the DEM its reservoirs; the
    deliberate contradictions and the reservoir water levels are written beside
    the rasters as CSV. Same inputs and seed → byte-identical files.
    """
    spec = spec or DemoRasterSpec(seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = Path(store_path) if store_path else find_demo_store()
    store = Store(path) if path else None
    rng = np.random.default_rng(spec.seed)
    written: list[Path] = []

    # DEM (geographic, like SRTM/ALOS products)
    transform, width, height = _dem_grid(spec)
    cols = transform.c + transform.a * (np.arange(width) + 0.5)
    z = np.empty((height, width), dtype="float64")
    for r0 in range(0, height, 256):
        rows = transform.f + transform.e * (np.arange(r0, min(r0 + 256, height)) + 0.5)
        lon, lat = np.meshgrid(cols, rows)
        gx, gy = _TO_GK.transform(lon, lat)
        z[r0 : r0 + 256] = elevation_m(gx, gy, seed=spec.seed)
    river = shapely.LineString(_RIVER_LONLAT)
    channel = rasterize(
        [river.buffer(0.0006)], out_shape=z.shape, transform=transform, dtype="uint8"
    ).astype(bool)
    z[channel] -= 3.0
    dams = _layer(store, "reservoirs", dt.date(2022, 12, 31))
    surfaces = _layer(store, "reservoir_surfaces", dt.date(2022, 12, 31))
    levels = _carve_reservoirs(z, transform, dams, surfaces, rng)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "int16",
        "crs": f"EPSG:{CGCS2000}",
        "transform": transform,
        "nodata": -32768,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 2,
        "zlevel": 9,
    }
    tags = {
        "YKGEO_KIND": "dem",
        "YKGEO_SYNTHETIC": "示意数据，非实测",
        "YKGEO_SEED": str(spec.seed),
    }
    written.append(
        _write(
            out / DEM_NAME,
            np.round(z).astype("int16"),
            profile,
            tags,
            unit="m",
            description="高程（m，示意）",
        )
    )
    if levels:
        with (out / LEVELS_NAME).open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(levels[0]))
            writer.writeheader()
            writer.writerows(levels)
        written.append(out / LEVELS_NAME)

    # land cover (GK CM 120°E, like a national 10–30 m product re-projected by the bureau)
    lt, lw, lh = _landcover_grid(spec)
    lc21 = _base_landcover(lt, lw, lh, spec)
    if surfaces is not None:
        water = rasterize(
            list(_to_gk_geoms(surfaces.geometry.to_numpy())),
            out_shape=lc21.shape,
            transform=lt,
            dtype="uint8",
        ).astype(bool)
        lc21[water] = 60
    lc22 = lc21.copy()
    planted = _parcel_cover(lc21, lc22, lt, store, rng) if store is not None else []
    outside = ~rasterize(
        [_to_gk_geoms([_boundary_lonlat()])[0].buffer(500.0)],
        out_shape=lc21.shape,
        transform=lt,
        dtype="uint8",
    ).astype(bool)
    lc21[outside] = 0
    lc22[outside] = 0
    colormap = {
        c.code: (*(int(c.color[i : i + 2], 16) for i in (1, 3, 5)), 255) for c in LANDCOVER_CLASSES
    }
    colormap[0] = (0, 0, 0, 0)
    labels = ";".join(f"{c.code}={c.label_zh}" for c in LANDCOVER_CLASSES)
    lprofile = {
        "driver": "GTiff",
        "width": lw,
        "height": lh,
        "count": 1,
        "dtype": "uint8",
        "crs": f"EPSG:{GK_CM120}",
        "transform": lt,
        "nodata": 0,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 2,
        "zlevel": 9,
    }
    for name, arr, day in (
        (LANDCOVER_2021, lc21, "2021-12-31"),
        (LANDCOVER_2022, lc22, "2022-12-31"),
    ):
        tags = {
            CLASS_TAG: labels,
            DATE_TAG: day,
            "YKGEO_KIND": "landcover",
            "YKGEO_SYNTHETIC": "示意数据，非实测",
            "YKGEO_SEED": str(spec.seed),
        }
        written.append(
            _write(
                out / name,
                arr,
                lprofile,
                tags,
                colormap,
                description=f"地类（GlobeLand30 一级类编码，{day}，示意）",
            )
        )
    if planted:
        with (out / CONTRADICTIONS_NAME).open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(planted[0]))
            writer.writeheader()
            writer.writerows(planted)
        written.append(out / CONTRADICTIONS_NAME)
    return written
