"""Zonal statistics of 10k parcels over a 20 000 × 20 000 categorical raster: ykgeo vs exactextract vs rasterstats.

Generates the raster on disk (uint8, 2 m pixels in EPSG:4549 — a 40 km square, the
size of Yongkang — tiled 256 × 256, deflate; 400 MB uncompressed) and the parcels
(5–50 亩 each) in a temporary folder, then runs each tool in its own subprocess and
reports wall-clock seconds, CPU seconds (user + system, less sensitive to a busy
machine) and the subprocess's peak resident memory (ru_maxrss).

* ykgeo: ``zonal_stats(..., categorical=True)`` on the parcels in EPSG:4490 (as they
  come from the store: it reprojects them), all statistics plus class areas in 亩.
* exactextract: ``exact_extract`` with count, sum, mean, min, max, majority, frac,
  unique on the parcels in the raster CRS (it does not reproject), read through rasterio.
* rasterstats: ``zonal_stats(..., categorical=True)`` with count, sum, mean, min, max,
  majority; pixel-centre rule (no coverage fractions). With ``--rasterstats-subset N``
  only N parcels are timed and the time for all is extrapolated linearly (said so).

Usage: ``python benchmarks/bench_raster.py [--features 10000] [--size 20000] [--rasterstats-subset N]``
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RES_M = 2.0
X0, Y0 = 480_000.0, 3_220_000.0

_RUNNER = r"""
import json, resource, sys, time
tool, raster, parcels, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
import geopandas as gpd
gdf = gpd.read_file(parcels).iloc[:n]
ru0 = resource.getrusage(resource.RUSAGE_SELF)
base = ru0.ru_maxrss
t0 = time.perf_counter()
if tool == "ykgeo":
    from ykgeo.raster import zonal_stats
    df = zonal_stats(raster, gdf.to_crs(4490), categorical=True)
    sample = df["mean"].to_numpy()
elif tool == "exactextract":
    from exactextract import exact_extract
    df = exact_extract(raster, gdf, ["count", "sum", "mean", "min", "max", "majority", "frac", "unique"], output="pandas")
    sample = df["mean"].to_numpy()
elif tool == "rasterstats":
    from rasterstats import zonal_stats
    out = zonal_stats(gdf, raster, stats="count sum mean min max majority", categorical=True)
    sample = [o["mean"] for o in out]
elif tool == "baseline":
    sample = []
seconds = time.perf_counter() - t0
ru1 = resource.getrusage(resource.RUSAGE_SELF)
peak = ru1.ru_maxrss
cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak / 1024, "import_mb": base / 1024,
                  "mean": [None if v is None else float(v) for v in sample]}))
"""


def make_raster(path: Path, size: int, seed: int) -> None:
    """A land-cover-like uint8 raster: 80 m class patches, 3 % salt-and-pepper, written block row by block row."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    rng = np.random.default_rng(seed)
    classes = np.array([10, 20, 30, 40, 60, 80, 90], dtype=np.uint8)
    patch = 40  # pixels (80 m)
    coarse = rng.choice(
        classes,
        size=(math.ceil(size / patch) + 1, math.ceil(size / patch) + 1),
        p=[0.3, 0.3, 0.05, 0.05, 0.05, 0.2, 0.05],
    )
    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "uint8",
        "nodata": 0,
        "crs": "EPSG:4549",
        "transform": from_origin(X0, Y0, RES_M, RES_M),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    step = 1024
    with rasterio.open(path, "w", **profile) as dst:
        for r0 in range(0, size, step):
            rows = min(step, size - r0)
            rr = (np.arange(r0, r0 + rows) // patch)[:, None]
            cc = (np.arange(size) // patch)[None, :]
            block = coarse[rr, cc]
            noise = rng.random(block.shape) < 0.03
            block[noise] = rng.choice(classes, size=int(noise.sum()))
            dst.write(block, 1, window=Window(0, r0, size, rows))


def make_parcels(path: Path, n: int, size: int, seed: int) -> None:
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed + 1)
    extent = size * RES_M
    areas = rng.uniform(5, 50, n) * 10000 / 15  # 5–50 亩 in m²
    cx = X0 + rng.uniform(200, extent - 200, n)
    cy = Y0 - rng.uniform(200, extent - 200, n)
    geoms = []
    for x, y, a in zip(cx, cy, areas, strict=True):
        k = int(rng.integers(5, 9))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = rng.uniform(0.7, 1.0, k)
        poly = shapely.Polygon(np.column_stack([np.cos(ang) * rad, np.sin(ang) * rad]))
        s = math.sqrt(a / poly.area)
        geoms.append(
            shapely.affinity.translate(shapely.affinity.scale(poly, s, s, origin=(0, 0)), x, y)
        )
    gpd.GeoDataFrame({"pid": np.arange(n)}, geometry=geoms, crs=4549).to_file(path, driver="GPKG")


def run(tool: str, raster: Path, parcels: Path, n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _RUNNER, tool, str(raster), str(parcels), str(n)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        msg = f"{tool} failed:\n{out.stderr[-2000:]}"
        raise RuntimeError(msg)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument(
        "--rasterstats-subset",
        type=int,
        default=0,
        help="time rasterstats on N parcels and extrapolate",
    )
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--dir", help="work folder (default: a temporary one, removed afterwards)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ykgeo-bench-") as tmp:
        work = Path(args.dir) if args.dir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        raster, parcels = work / "landcover.tif", work / "parcels.gpkg"
        t0 = time.perf_counter()
        if not raster.exists():
            make_raster(raster, args.size, args.seed)
        if not parcels.exists():
            make_parcels(parcels, args.features, args.size, args.seed)
        print(
            f"raster {args.size}×{args.size} uint8 ({args.size**2 / 1e6:.0f} MB uncompressed, "
            f"{raster.stat().st_size / 1e6:.0f} MB on disk), {args.features} parcels; "
            f"generated in {time.perf_counter() - t0:.0f} s"
        )
        base = run("baseline", raster, parcels, args.features)
        print(f"{'tool':<14}{'parcels':>9}{'seconds':>10}{'CPU s':>10}{'peak MB':>10}  note")
        print(
            f"{'(imports)':<14}{'':>9}{'':>10}{'':>10}{base['peak_mb']:>10.0f}  python + geopandas + the parcels"
        )
        results = {}
        for tool in ("ykgeo", "exactextract", "rasterstats"):
            n = args.features
            if tool == "rasterstats" and args.rasterstats_subset:
                n = min(args.rasterstats_subset, args.features)
            res = run(tool, raster, parcels, n)
            results[tool] = res
            note = ""
            seconds, cpu = res["seconds"], res["cpu"]
            if n < args.features:
                seconds, cpu = seconds * args.features / n, cpu * args.features / n
                note = f"timed on {n} parcels ({res['seconds']:.1f} s), extrapolated ×{args.features / n:.0f}"
            if tool == "rasterstats":
                note = (note + "; " if note else "") + "pixel centres, no coverage fractions"
            print(f"{tool:<14}{n:>9}{seconds:>10.1f}{cpu:>10.1f}{res['peak_mb']:>10.0f}  {note}")
        a = np.asarray(results["ykgeo"]["mean"], dtype=float)
        b = np.asarray(results["exactextract"]["mean"], dtype=float)
        ok = np.isfinite(a) & np.isfinite(b)
        print(
            f"ykgeo vs exactextract: max |Δ mean| = {np.max(np.abs(a[ok] - b[ok])):.2e} over {ok.sum()} parcels"
        )
        rs = np.asarray(
            [np.nan if v is None else v for v in results["rasterstats"]["mean"]], dtype=float
        )
        m = len(rs)
        ok2 = np.isfinite(rs) & np.isfinite(b[:m])
        print(
            f"rasterstats vs exactextract: median |Δ mean| = {np.median(np.abs(rs[ok2] - b[:m][ok2])):.3f} (pixel-centre rule)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
