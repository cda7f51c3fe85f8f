"""Benchmark: ellipsoidal area, store import and export for N synthetic parcels in EPSG:4490.

Usage::

    python benchmarks/bench_area_io.py            # N = 10k, 100k
    python benchmarks/bench_area_io.py 1000000    # one size, e.g. 1M

Each size runs in its own subprocess so that peak memory (ru_maxrss) is per size.
Printed per size: seconds for each step, peak MB, and for area the ratio against
``to_crs(EPSG:4549).area`` and pyproj ``Geod`` per polygon measured in the same run,
with the mean relative error of ykgeo's ellipsoidal area against ``Geod``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def synthetic_parcels(n: int, seed: int = 7):  # type: ignore[no-untyped-def]
    """N star-shaped parcels of 8–40 vertices, 30–300 m across, around Yongkang, in EPSG:4490."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    k = rng.integers(8, 41, n)
    cx = rng.uniform(119.90, 120.30, n)
    cy = rng.uniform(28.78, 29.07, n)
    size = rng.uniform(30, 300, n) / 111_000.0
    total = int(k.sum())
    owner = np.repeat(np.arange(n), k)
    starts = np.concatenate([[0], np.cumsum(k)[:-1]])
    pos = np.arange(total) - np.repeat(starts, k)
    angle = 2 * np.pi * (pos + rng.uniform(0, 0.8, total)) / np.repeat(k, k)
    radius = np.repeat(size, k) * rng.uniform(0.6, 1.0, total)
    x = np.repeat(cx, k) + radius * np.cos(angle) / np.cos(np.radians(29.0))
    y = np.repeat(cy, k) + radius * np.sin(angle)
    # close each ring: append the first vertex of every ring
    close_x, close_y = x[starts], y[starts]
    xs = np.insert(x, np.cumsum(k), close_x)
    ys = np.insert(y, np.cumsum(k), close_y)
    ring_index = np.repeat(np.arange(n), k + 1)
    rings = shapely.linearrings(np.column_stack([xs, ys]), indices=ring_index)
    polys = shapely.polygons(rings)
    del owner
    return gpd.GeoDataFrame(
        {
            "地块编号": [f"P{i:07d}" for i in range(n)],
            "企业名称": [f"永康市合成五金厂{i % 997}" for i in range(n)],
            "所属镇街": np.array(["东城街道", "江南街道", "古山镇", "芝英镇"])[
                rng.integers(0, 4, n)
            ],
            "状态": np.array(["未启动", "推进中", "已完成"])[rng.integers(0, 3, n)],
        },
        geometry=polys,
        crs=4490,
    )


def run_one(n: int) -> dict[str, float]:
    import geopandas as gpd
    import pyogrio
    from pyproj import Geod

    from ykgeo.area import area_m2
    from ykgeo.layers import load_layers
    from ykgeo.store import Store

    out: dict[str, float] = {"n": n}
    t = time.perf_counter()
    gdf = synthetic_parcels(n)
    out["generate_s"] = time.perf_counter() - t

    t = time.perf_counter()
    ours = area_m2(gdf).to_numpy()
    out["ykgeo_ellipsoidal_area_s"] = time.perf_counter() - t

    t = time.perf_counter()
    gk = gdf.to_crs(4549).area.to_numpy()
    out["to_crs_4549_area_s"] = time.perf_counter() - t

    geod = Geod(ellps="GRS80")
    sample = min(n, 100_000)  # Geod per polygon is slow; time a sample and scale
    t = time.perf_counter()
    exact = np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in gdf.geometry.iloc[:sample]])
    geod_s = time.perf_counter() - t
    out["geod_per_polygon_s"] = geod_s * n / sample
    out["geod_sampled"] = sample
    rel = np.abs(ours[:sample] - exact) / exact
    out["mean_rel_error_vs_geod"] = float(rel.mean())
    out["max_rel_error_vs_geod"] = float(rel.max())
    out["gk_mean_rel_diff_vs_geod"] = float((np.abs(gk[:sample] - exact) / exact).mean())

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.create(Path(tmp) / "bench.gpkg", layers=load_layers())
        t = time.perf_counter()
        store.import_features("low_efficiency_industrial", gdf, user="bench", source="synthetic")
        out["store_import_s"] = time.perf_counter() - t

        t = time.perf_counter()
        back = store.read_layer("low_efficiency_industrial")
        out["store_read_s"] = time.perf_counter() - t
        assert len(back) == n

        t = time.perf_counter()
        pyogrio.write_dataframe(gdf, Path(tmp) / "export.gpkg", layer="parcels")
        out["export_gpkg_s"] = time.perf_counter() - t
        t = time.perf_counter()
        pyogrio.write_dataframe(
            gdf, Path(tmp) / "export.geojson", driver="GeoJSON", layer_options={"RFC7946": "YES"}
        )
        out["export_geojson_s"] = time.perf_counter() - t

        for arrow in (True, False):
            try:
                t = time.perf_counter()
                pyogrio.read_dataframe(Path(tmp) / "export.gpkg", use_arrow=arrow)
                out[f"pyogrio_read_gpkg_arrow_{arrow}_s"] = time.perf_counter() - t
            except (
                ImportError,
                RuntimeError,
            ) as err:  # pyarrow may be absent: the figure is then missing
                print(f"pyogrio read with use_arrow={arrow} failed: {err}", file=sys.stderr)
                out[f"pyogrio_read_gpkg_arrow_{arrow}_s"] = float("nan")
        _ = gpd
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(run_one(int(sys.argv[2]))))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    for n in sizes:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True
        )
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"\n== N = {n:,} parcels (8–40 vertices) ==")
        for key, value in r.items():
            if key != "n":
                print(f"  {key:36s} {value:12.6g}")
        print(
            f"  ratio ykgeo / to_crs(4549).area       {r['ykgeo_ellipsoidal_area_s'] / r['to_crs_4549_area_s']:.3f}"
        )
        print(
            f"  ratio ykgeo / Geod per polygon        {r['ykgeo_ellipsoidal_area_s'] / r['geod_per_polygon_s']:.4f}"
        )


if __name__ == "__main__":
    main()
