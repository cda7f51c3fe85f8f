"""Deterministic synthetic parcels for the benchmarks: N land parcels over Yongkang in EPSG:4490.

Shared by every benchmark so that each job is measured on the same data. The parcels
lie on a jittered grid over the real city (the demo store's township polygons), one
per grid cell, in row order. Per parcel, on average (1M parcels → ~27M vertices):

* a star-shaped shell of 8–41 vertices (closing vertex included: 25.5 on average);
* 6 % are MultiPolygons of two parts (the second part 8–15 vertices);
* 5 % have one hole (6–11 vertices), wound clockwise;
* 1 % are enlarged so that they overlap their neighbours (overlap checks find them);
* a ledger township (the township holding the parcel's centre; 2 % a wrong one),
  a status from the layer's vocabulary, a ledger area (±5 %), dates.

``county`` shifts the whole pattern by whole degrees of longitude so that synthetic
"other counties" do not overlap (for the many-store benchmarks). Nothing here imports
ykgeo, so the same data feeds the old and the new code and the peers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEMO_STORE = ROOT / "data" / "gis" / "yongkang-demo.gpkg"

#: Share of parcels with two parts, with a hole, enlarged to overlap neighbours.
MULTIPART, HOLES, OVERLAPPING, WRONG_TOWN = 0.06, 0.05, 0.01, 0.02


def townships(demo_store: Path = DEMO_STORE, *, county: int = 0) -> Any:
    """The 14 township polygons of Yongkang (from the demo store), shifted for ``county`` > 0."""
    import pyogrio
    import shapely

    gdf = pyogrio.read_dataframe(demo_store, layer="townships")[["镇街名称", "geometry"]]
    if county:
        gdf["geometry"] = shapely.transform(
            gdf.geometry.to_numpy(), lambda c: c + np.array([county, 0.0])
        )
        gdf["镇街名称"] = [f"县{county}{n}" for n in gdf["镇街名称"]]
    return gdf.set_crs(4490, allow_override=True)


def _stars(
    cx: np.ndarray, cy: np.ndarray, rx: np.ndarray, ry: np.ndarray, k: np.ndarray,
    rng: np.random.Generator, *, clockwise: bool = False,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Closed star-shaped rings (k vertices + the closing one), radii 0.6–1.0 of (rx, ry)."""
    starts = np.concatenate([[0], np.cumsum(k)[:-1]])
    total = int(k.sum())
    pos = np.arange(total) - np.repeat(starts, k)
    angle = 2 * np.pi * (pos + rng.uniform(0.0, 0.7, total)) / np.repeat(k, k)
    if clockwise:
        angle = -angle
    r = rng.uniform(0.6, 1.0, total)
    x = np.repeat(cx, k) + r * np.repeat(rx, k) * np.cos(angle)
    y = np.repeat(cy, k) + r * np.repeat(ry, k) * np.sin(angle)
    ends = np.cumsum(k)
    return np.insert(x, ends, x[starts]), np.insert(y, ends, y[starts])


def parcel_geometries(
    n: int, *, seed: int = 2022, county: int = 0, demo_store: Path = DEMO_STORE
) -> tuple[Any, np.ndarray]:
    """N parcel geometries (shapely array, EPSG:4490) and the index of the township holding each centre."""
    import shapely

    rng = np.random.default_rng(seed)
    towns = townships(demo_store, county=0).geometry.to_numpy()
    city = shapely.union_all(towns)
    minx, miny, maxx, maxy = city.bounds
    # the grid: enough cells inside the city for n parcels
    probe = shapely.points(rng.uniform(minx, maxx, 20_000), rng.uniform(miny, maxy, 20_000))
    inside_share = float(shapely.contains_xy(city, *shapely.get_coordinates(probe).T).mean())
    aspect = (maxx - minx) * np.cos(np.radians((miny + maxy) / 2)) / (maxy - miny)
    cells = int(n / inside_share * 1.03) + 100
    cols = int(np.ceil(np.sqrt(cells * aspect)))
    rows = int(np.ceil(cells / cols))
    dx, dy = (maxx - minx) / cols, (maxy - miny) / rows
    gx, gy = np.meshgrid(np.arange(cols), np.arange(rows))
    cx = minx + (gx.ravel() + 0.5) * dx
    cy = miny + (gy.ravel() + 0.5) * dy
    shapely.prepare(city)
    inside = shapely.contains_xy(city, cx, cy)
    cx, cy = cx[inside], cy[inside]
    if len(cx) < n:
        msg = f"grid too small: {len(cx)} cells for {n} parcels"
        raise RuntimeError(msg)
    keep = np.unique(np.linspace(0, len(cx) - 1, n).round().astype(np.int64))
    cx, cy = cx[keep], cy[keep]
    # which township holds each centre
    tree = shapely.STRtree(towns)
    pt, tw = tree.query(shapely.points(cx, cy), predicate="within")
    town = np.full(n, -1, dtype=np.int64)
    town[pt] = tw
    cx = cx + rng.uniform(-0.05, 0.05, n) * dx + county
    cy = cy + rng.uniform(-0.05, 0.05, n) * dy

    u = rng.random(n)
    multi = u < MULTIPART
    holed = (u >= MULTIPART) & (u < MULTIPART + HOLES)
    big = (u >= MULTIPART + HOLES) & (u < MULTIPART + HOLES + OVERLAPPING)
    k_shell = rng.integers(8, 42, n)
    radius = np.full(n, 0.40)
    radius[big] = 0.9
    shift = np.where(multi, -0.22, 0.0)
    radius[multi] = 0.20
    sx, sy = _stars(cx + shift * dx, cy, radius * dx, radius * dy, k_shell, rng)
    # extra rings: second parts (multi) and holes
    mi, hi = np.flatnonzero(multi), np.flatnonzero(holed)
    k2 = rng.integers(8, 16, len(mi))
    px, py = _stars(cx[mi] + 0.25 * dx, cy[mi], np.full(len(mi), 0.18 * dx),
                    np.full(len(mi), 0.18 * dy), k2, rng)  # fmt: skip
    kh = rng.integers(6, 12, len(hi))
    hx, hy = _stars(cx[hi], cy[hi], np.full(len(hi), 0.12 * dx), np.full(len(hi), 0.12 * dy),
                    kh, rng, clockwise=True)  # fmt: skip
    # assemble rings per parcel in order: shell, [hole], then [second part]
    ring_owner = np.concatenate([np.arange(n), hi, mi])
    ring_kind = np.concatenate([np.zeros(n), np.ones(len(hi)), np.full(len(mi), 2)])
    ring_len = np.concatenate([k_shell + 1, kh + 1, k2 + 1])
    ring_src = np.concatenate([np.zeros(n), np.ones(len(hi)), np.full(len(mi), 2)]).astype(int)
    ring_pos = np.concatenate([np.arange(n), np.arange(len(hi)), np.arange(len(mi))])
    order = np.lexsort((ring_kind, ring_owner))
    src_x = [sx, hx, px]
    src_y = [sy, hy, py]
    src_start = [np.concatenate([[0], np.cumsum(k + 1)[:-1]]) for k in (k_shell, kh, k2)]
    lens = ring_len[order]
    total = int(lens.sum())
    starts_out = np.concatenate([[0], np.cumsum(lens)[:-1]])
    coords = np.empty((total, 2))
    for s in range(3):
        sel = ring_src[order] == s
        if not sel.any():
            continue
        first = src_start[s][ring_pos[order][sel]]
        ln = lens[sel]
        within = np.arange(int(ln.sum())) - np.repeat(np.concatenate([[0], np.cumsum(ln)[:-1]]), ln)
        take = np.repeat(first, ln) + within
        dest = np.repeat(starts_out[sel], ln) + within
        coords[dest, 0] = src_x[s][take]
        coords[dest, 1] = src_y[s][take]
    ring_offsets = np.concatenate([[0], np.cumsum(lens)])
    # polygons: a new polygon starts at every shell and every second part
    kinds = ring_kind[order]
    owners = ring_owner[order]
    poly_start = np.flatnonzero(kinds != 1)
    poly_offsets = np.concatenate([poly_start, [len(kinds)]])
    geom_offsets = np.concatenate([[0], np.cumsum(np.bincount(owners[poly_start], minlength=n))])
    geoms = shapely.from_ragged_array(
        shapely.GeometryType.MULTIPOLYGON, coords, (ring_offsets, poly_offsets, geom_offsets)
    )
    single = ~multi
    geoms[single] = shapely.get_geometry(geoms[single], 0)
    return geoms, town


def parcels(
    n: int,
    *,
    seed: int = 2022,
    county: int = 0,
    statuses: tuple[str, ...] = ("未启动", "推进中", "已完成"),
    id_prefix: str = "P",
    demo_store: Path = DEMO_STORE,
) -> Any:
    """N parcels as a GeoDataFrame in EPSG:4490 with the fields of the 低效工业用地 layer.

    Columns: 地块编号, 企业名称, 所属镇街 (ledger township), 状态, 用地面积（亩）, 完成日期
    (for the last status), 计划完成日期 (for the middle one), geometry.
    """
    import geopandas as gpd
    import pandas as pd
    from pyproj import Geod

    geoms, town = parcel_geometries(n, seed=seed, county=county, demo_store=demo_store)
    rng = np.random.default_rng(seed + 1)
    names = townships(demo_store, county=county)["镇街名称"].to_numpy(dtype=object)
    ledger_town = np.where(town >= 0, names[np.maximum(town, 0)], names[0]).astype(object)
    wrong = rng.random(n) < WRONG_TOWN
    ledger_town[wrong] = names[rng.integers(0, len(names), int(wrong.sum()))]
    status = np.asarray(statuses, dtype=object)[
        np.searchsorted([0.3, 0.7], rng.random(n), side="right")
    ]
    # ledger area: a rough spherical area (not the ellipsoidal one under test) ± 5 %
    lat = np.radians(29.0)
    import shapely

    rough_m2 = shapely.area(geoms) * (Geod(ellps="GRS80").a * np.pi / 180) ** 2 * np.cos(lat)
    done_day = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    plan_day = pd.Timestamp("2022-03-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    width = max(7, len(str(n)))
    return gpd.GeoDataFrame(
        {
            "地块编号": [f"{id_prefix}{i:0{width}d}" for i in range(n)],
            "企业名称": [f"永康市合成五金厂{i % 997}" for i in range(n)],
            "所属镇街": ledger_town,
            "状态": status,
            "用地面积（亩）": np.round(rough_m2 * 15 / 10000 * rng.normal(1.0, 0.05, n), 2),
            "完成日期": np.where(status == statuses[-1], done_day.strftime("%Y-%m-%d"), None),
            "计划完成日期": np.where(status == statuses[1], plan_day.strftime("%Y-%m-%d"), None),
        },
        geometry=geoms,
        crs=4490,
    )


def describe(gdf: Any) -> dict[str, float]:
    """Counts that show what the data is: parcels, vertices, multipart and holed shares."""
    import shapely

    g = gdf.geometry.to_numpy()
    parts, owner = shapely.get_parts(g, return_index=True)
    holes = np.bincount(owner, weights=shapely.get_num_interior_rings(parts), minlength=len(g))
    return {
        "parcels": float(len(g)),
        "vertices": float(shapely.get_num_coordinates(g).sum()),
        "multipart_share": float((shapely.get_num_geometries(g) > 1).mean()),
        "holed_share": float((holes > 0).mean()),
        "valid_share": float(shapely.is_valid(g).mean()),
    }
