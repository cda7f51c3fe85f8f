"""Demo land cover at the end of 2021 and 2022: a base of fields, forest and towns, and the parcels built up or cleared as the store says."""

from __future__ import annotations

import csv
import datetime as dt
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin

from ykgeo.demo.rasters.base import (
    RIVER_LONLAT,
    SOURCES,
    DemoRasterSpec,
    Noise,
    boundary_lonlat,
    elevation_m,
    gk,
    store_layer,
    to_gk_geoms,
)

__all__ = ["base_landcover", "cover_noise_at", "landcover_grid", "parcel_cover"]


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


def _town_points() -> list[tuple[str, float, float]]:
    out = []
    with (SOURCES / "yongkang_town_points.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            lon = row["geonames_lon"] or row["adcode_wgs84_lon"]
            lat = row["geonames_lat"] or row["adcode_wgs84_lat"]
            if lon and lat:
                out.append((row["name_zh"], float(lon), float(lat)))
    return out


def _river_gk() -> Any:
    return shapely.LineString([gk(lon, lat) for lon, lat in RIVER_LONLAT])


def landcover_grid(spec: DemoRasterSpec) -> tuple[Any, int, int]:
    boundary = to_gk_geoms([boundary_lonlat()])[0]
    minx, miny, maxx, maxy = boundary.buffer(1000.0).bounds
    r = spec.landcover_res_m
    x0, y1 = math.floor(minx / r) * r, math.ceil(maxy / r) * r
    return (
        from_origin(x0, y1, r, r),
        int(math.ceil((maxx - x0) / r)),
        int(math.ceil((y1 - miny) / r)),
    )


def base_landcover(
    transform: Any, width: int, height: int, spec: DemoRasterSpec
) -> npt.NDArray[np.uint8]:
    r = spec.landcover_res_m
    xs = transform.c + r * (np.arange(width) + 0.5)
    lc = np.zeros((height, width), dtype=np.uint8)
    towns = [(name, *gk(lon, lat)) for name, lon, lat in _town_points()]
    urban_noise = Noise(spec.seed + 7, 1500.0, octaves=4)
    cover_noise = Noise(spec.seed + 11, 3000.0, octaves=4)
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
    noise = Noise(spec.seed + 13, 800.0, octaves=2)
    out = np.empty(shape)
    for r0 in range(0, h, 512):
        gx, gy = np.meshgrid(xs, ys[r0 : r0 + 512])
        out[r0 : r0 + 512] = noise(gx, gy)
    return out


def parcel_cover(
    lc21: npt.NDArray[np.uint8],
    lc22: npt.NDArray[np.uint8],
    transform: Any,
    store: Any,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Burn the store's parcels: built-up in 2021; cleared by the end of 2022 when done in 2022; plant contradictions."""
    end21, end22 = dt.date(2021, 12, 31), dt.date(2022, 12, 31)
    for key in _BUILT_LAYERS:
        gdf = store_layer(store, key, end22)
        if (
            gdf is None
            or gdf.geometry.iloc[0] is None
            or gdf.geom_type.iloc[0] not in ("Polygon", "MultiPolygon")
        ):
            continue
        geoms = [g for g in to_gk_geoms(gdf.geometry.to_numpy()) if g is not None]
        mask = rasterize(geoms, out_shape=lc21.shape, transform=transform, dtype="uint8").astype(
            bool
        )
        lc21[mask] = 80
        lc22[mask] = 80
    planted: list[dict[str, Any]] = []
    cleared_all: list[tuple[str, str, Any]] = []  # (layer, id, GK geometry) of every cleared parcel
    untouched: list[tuple[str, str, Any]] = []  # not done, not cleared: should show no change
    for key in _CLEARED_WHEN_DONE:
        gdf = store_layer(store, key, end22)
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
        parcels = to_gk_geoms(gdf.geometry.to_numpy())
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
    mines = store_layer(store, "mine_restoration", end22)
    if mines is not None:
        status = store.spec("mine_restoration").status
        for geom, state, use in zip(
            to_gk_geoms(mines.geometry.to_numpy()),
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
