"""Benchmark: progress reports on synthetic stores with a year of edit history.

Usage::

    python benchmarks/bench_progress.py                    # 10k and 100k features
    python benchmarks/bench_progress.py --sizes 10k,100k,1M
    python benchmarks/bench_progress.py --sizes 100k --profile   # cProfile of one as-of report

The store uses the shipped layer definitions and 2022 plan. Its N features are
spread over the five land categories (N/5 each: low-efficiency industrial,
unsupplied, stock, redevelopment, industrial transfer), polygons of 8–16
vertices on a jittered grid over 14 township rectangles, 1 % of them enlarged to
overlap a neighbour. History: every feature is inserted on 1 January 2022 "not
started"; about 70 % move to "in progress" and about 45 % on to "done" (with
完成日期) during the year, recorded 0–10 days after they happen; 2 % get a
back-dated correction recorded in December (≈ 2.2 status events per feature).

Seconds are wall-clock; ``cpu_s`` (process CPU time) is printed beside them
because a shared machine's load inflates wall-clock times. Each measurement
runs in its own subprocess so that its peak memory
(ru_maxrss, which includes the interpreter and libraries, ≈ 150–200 MB) is its
own. Printed per size: seconds and peak MB for

* ``report_full``: ``progress_report`` of every target of the plan at 2022-12-31;
* ``report_one``: ``progress_report`` of one target (low_efficiency_remediation) at 2022-09-30;
* ``read_as_of``: ``Store.read_layer`` of the largest layer as of 2022-09-30 (the store's rebuild);
* ``monthly_one``: ``monthly_progress`` of one target (12 month ends, one read of the log);
* ``baseline``: plain geopandas on the same five layers as they are now — read with
  pyogrio, ``to_crs(4549).area``, ``sjoin`` to the townships, ``groupby`` sum by
  township and status (no history, no overlaps, no forecast).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from bench_scale import record_year, year_of_edits

LAND = [
    "low_efficiency_industrial",
    "unsupplied_approved",
    "stock_revitalisation",
    "redevelopment",
    "industrial_transfer",
]
TOWNS = [
    "东城街道", "西城街道", "江南街道", "石柱镇", "前仓镇", "舟山镇", "古山镇",
    "方岩镇", "龙山镇", "西溪镇", "象珠镇", "唐先镇", "花街镇", "芝英镇",
]  # fmt: skip
#: Extent of the synthetic data: 7 × 2 township rectangles of 0.05° × 0.1°.
LON0, LAT0, DLON, DLAT = 119.90, 28.80, 0.05, 0.10


def _size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def _townships() -> Any:
    import geopandas as gpd
    import shapely

    boxes, codes = [], []
    for i, _ in enumerate(TOWNS):
        col, row = i % 7, i // 7
        x0, y0 = LON0 + col * DLON, LAT0 + row * DLAT
        boxes.append(shapely.box(x0, y0, x0 + DLON, y0 + DLAT))
        codes.append(f"3307841{i:02d}")
    return gpd.GeoDataFrame(
        {"统计用区划代码": codes, "镇街名称": TOWNS, "类型": ["镇"] * 14}, geometry=boxes, crs=4490
    )


def _polygons(n: int, rng: np.random.Generator) -> tuple[Any, np.ndarray]:
    """n polygons (8–16 vertices) on a jittered grid over the extent; 1 % enlarged to overlap a neighbour."""
    import shapely

    cols = int(np.ceil(np.sqrt(n * (7 * DLON) / (2 * DLAT))))
    rows = int(np.ceil(n / cols))
    cell_x, cell_y = 7 * DLON / cols, 2 * DLAT / rows
    idx = np.arange(n)
    cx = LON0 + (idx % cols + 0.5) * cell_x
    cy = LAT0 + (idx // cols + 0.5) * cell_y
    radius = np.full(n, 0.3) * rng.uniform(0.7, 1.0, n)
    radius[rng.random(n) < 0.01] = 0.9  # overlaps the next cell
    k = rng.integers(8, 17, n)
    starts = np.concatenate([[0], np.cumsum(k)[:-1]])
    pos = np.arange(int(k.sum())) - np.repeat(starts, k)
    angle = 2 * np.pi * pos / np.repeat(k, k)
    r = np.repeat(radius, k) * rng.uniform(0.85, 1.0, len(pos))
    x = np.repeat(cx, k) + r * np.cos(angle) * cell_x
    y = np.repeat(cy, k) + r * np.sin(angle) * cell_y
    xs = np.insert(x, np.cumsum(k), x[starts])
    ys = np.insert(y, np.cumsum(k), y[starts])
    rings = shapely.linearrings(np.column_stack([xs, ys]), indices=np.repeat(idx, k + 1))
    town = np.minimum(((cx - LON0) // DLON).astype(int), 6) + 7 * np.minimum(
        ((cy - LAT0) // DLAT).astype(int), 1
    )
    return shapely.polygons(rings), town


def build(n: int, path: Path) -> dict[str, float]:
    """Create the synthetic store at ``path`` with a year of history."""
    import geopandas as gpd

    from ykgeo.area import area_mu
    from ykgeo.layers import load_layers, load_plan
    from ykgeo.store import TZ, Edit, Store

    rng = np.random.default_rng(2022)
    registry = load_layers()
    store = Store.create(path, layers=registry, plans=[load_plan(2022)], overwrite=True)
    t0 = time.perf_counter()
    store.import_features(
        "townships", _townships(), user="基准", source="合成", effective_date=dt.date(2021, 12, 1),
        recorded_at=dt.datetime(2021, 12, 1, 9, tzinfo=TZ),
    )  # fmt: skip
    geoms, town = _polygons(n, rng)
    layer_of = np.arange(n) % len(LAND)
    start = dt.date(2022, 1, 1)
    events: dict[dt.date, list[Edit]] = {}
    corrections: list[Edit] = []
    n_events = 0
    for li, key in enumerate(LAND):
        spec = registry[key]
        st = spec.status
        assert st is not None
        sel = np.flatnonzero(layer_of == li)
        ids = [f"{key[:3].upper()}{i:07d}" for i in sel]
        g = gpd.GeoSeries(geoms[sel], crs=4490)
        mu = area_mu(g).to_numpy()
        filler = {"str": "合成", "date": "2021-06-01", "float": 0.0, "int": 0}
        data: dict[str, Any] = {
            f: [filler[spec.field(f).type]] * len(sel) for f in spec.required_fields
        }
        data[spec.id_field] = ids
        if spec.name_field:
            data[spec.name_field] = [f"合成地块{i}" for i in sel]
        if spec.township_field:
            ledger_town = np.array(TOWNS, dtype=object)[town[sel]]
            wrong = (
                rng.random(len(sel)) < 0.02
            )  # 2 % with a ledger township that is not where they lie
            ledger_town[wrong] = np.array(TOWNS, dtype=object)[rng.integers(0, 14, wrong.sum())]
            data[spec.township_field] = ledger_town
        if spec.ledger_area_field:
            data[spec.ledger_area_field] = np.round(mu * rng.normal(1.0, 0.05, len(sel)), 2)
        data[st.field] = [st.values[0]] * len(sel)
        gdf = gpd.GeoDataFrame(data, geometry=g.to_numpy(), crs=4490)
        for name in list(gdf.columns):
            if name != "geometry" and name not in spec.field_names:
                gdf = gdf.drop(columns=name)
        store.import_features(
            key, gdf, user="基准", source="合成", effective_date=start,
            recorded_at=dt.datetime(2022, 1, 1, 9, tzinfo=TZ),
        )  # fmt: skip
        n_events += year_of_edits(key, st, ids, rng, start, events, corrections)
    insert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    record_year(store, events, corrections, rng)
    return {
        "insert_s": insert_s,
        "edits_s": time.perf_counter() - t0,
        "events": n_events,
        "events_per_feature": (n_events + n) / n,
        "file_mb": path.stat().st_size / 1e6,
    }


def task(name: str, path: Path) -> dict[str, float]:
    """Run one measurement (in its own process)."""
    from ykgeo.store import Store

    t0, c0 = time.perf_counter(), time.process_time()
    if name == "baseline":
        import geopandas as gpd
        import pandas as pd
        import pyogrio

        from ykgeo.layers import load_layers

        registry = load_layers()
        towns = pyogrio.read_dataframe(path, layer="townships")
        frames = []
        for key in LAND:
            gdf = pyogrio.read_dataframe(path, layer=key, use_arrow=True)
            status = registry[key].status.field  # type: ignore[union-attr]
            frames.append(
                gpd.GeoDataFrame(
                    {"layer": key, "status": gdf[status]}, geometry=gdf.geometry, crs=4490
                )
            )
        gdf = pd.concat(frames, ignore_index=True)
        gk = gdf.to_crs(4549)
        gk["mu"] = gk.area * 15 / 10000
        joined = gpd.sjoin(gk, towns.to_crs(4549)[["镇街名称", "geometry"]], predicate="intersects")
        joined = joined[~joined.index.duplicated()]  # one township per feature (first hit)
        table = joined.groupby(["layer", "镇街名称", "status"])["mu"].sum()
        out = {"rows": float(len(table))}
    else:
        from ykgeo.progress import monthly_progress, progress_report

        store = Store(path)
        if name == "report_full":
            report = progress_report(store, as_of=dt.date(2022, 12, 31))
            out = {"targets": float(len(report.rows))}
        elif name == "report_one":
            report = progress_report(
                store, as_of=dt.date(2022, 9, 30), targets=["low_efficiency_remediation"]
            )
            out = {"done_mu": report.rows[0].done}
        elif name == "read_as_of":
            gdf = store.read_layer(LAND[0], as_of=dt.date(2022, 9, 30))
            out = {"rows": float(len(gdf))}
        elif name == "monthly_one":
            frame = monthly_progress(store, "low_efficiency_remediation", year=2022)
            out = {"months": float(len(frame))}
        else:
            raise SystemExit(f"unknown task {name}")
    out["seconds"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - c0
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def _sub(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


TASKS = ["report_full", "report_one", "read_as_of", "monthly_one", "baseline"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default="10k,100k", help="comma-separated sizes, e.g. 10k,100k,1M"
    )
    parser.add_argument(
        "--workdir", default="/tmp/ykgeo-bench-progress", help="where stores are kept"
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild stores that exist")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one as-of report (largest size)"
    )
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        print(json.dumps(build(args.build, Path(args.store))))
        return
    if args.task:
        print(json.dumps(task(args.task, Path(args.store))))
        return
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    sizes = [_size(s) for s in args.sizes.split(",") if s.strip()]
    if args.profile:
        import cProfile
        import pstats

        from ykgeo.progress import progress_report
        from ykgeo.store import Store

        path = work / f"progress-{max(sizes)}.gpkg"
        store = Store(path)
        cProfile.runctx(
            "progress_report(store, as_of=dt.date(2022, 9, 30), targets=['low_efficiency_remediation'])",
            globals(), {"store": store, "progress_report": progress_report, "dt": dt},
            str(work / "profile.out"),
        )  # fmt: skip
        pstats.Stats(str(work / "profile.out")).sort_stats("cumulative").print_stats(35)
        return
    print(f"{'N':>9}  {'step':<12} {'seconds':>9} {'peak MB':>9}  note", flush=True)
    for n in sizes:
        path = work / f"progress-{n}.gpkg"
        if args.rebuild or not path.exists():
            b = _sub(["--build", str(n), "--store", str(path)])
            if "error" in b:
                print(f"{n:>9}  build failed: {b['error']}", flush=True)
                continue
            print(
                f"{n:>9}  {'build':<12} {b['insert_s'] + b['edits_s']:>9.1f} {'':>9}  "
                f"insert {b['insert_s']:.1f} s, {b['events']:.0f} edits {b['edits_s']:.1f} s, "
                f"{b['events_per_feature']:.2f} log events/feature, {b['file_mb']:.0f} MB",
                flush=True,
            )
        results = {}
        for name in args.tasks.split(","):
            r = _sub(["--task", name, "--store", str(path)])
            results[name] = r
            if "error" in r:
                print(f"{n:>9}  {name:<12} failed: {r['error']}", flush=True)
                continue
            note = ", ".join(
                f"{k} {v:.4g}" for k, v in r.items() if k not in ("seconds", "peak_mb")
            )
            print(
                f"{n:>9}  {name:<12} {r['seconds']:>9.2f} {r['peak_mb']:>9.0f}  {note}", flush=True
            )
        base = results.get("baseline", {}).get("seconds")
        one = results.get("report_one", {}).get("seconds")
        if base and one:
            print(
                f"{n:>9}  {'ratio':<12} {one / base:>9.2f} {'':>9}  report_one / baseline",
                flush=True,
            )


if __name__ == "__main__":
    main()
