"""Benchmark: next year's remediation candidates (``ykgeo candidates``) on the demo store and on 100k parcels.

Usage::

    python benchmarks/bench_candidates.py                 # the demo store and 100k parcels
    python benchmarks/bench_candidates.py --sizes 10k,100k,300k

Printed per case, beside a peer from the same run:

* ``ykgeo``: :func:`ykgeo.plan.store_candidates` — reads the target's layer as of the date
  (bitemporal rebuild), the industrial-land register, two classified evaluations from the
  store; joins firms to parcels by credit code, then by location; drops register land
  already on the list (code or ≥ 50 % overlap); ranks D / C-twice / carried over by
  亩均税收; ellipsoidal 亩; the cut.
* ``peer``: what an analyst writes in a notebook with geopandas on the same data (already in
  memory, so no store reads): ``merge`` on credit code for both years, the groups by
  boolean masks, ``to_crs(4549).area`` (planar GK, not ellipsoidal), ``sort_values`` and
  ``cumsum``. It does no join by location, no overlap check and no as-of rebuild.

The synthetic store: N register parcels (40–120 m squares on a jittered grid over 14
township rectangles) of N firms, N/5 of them also on the 低效工业用地 layer (half done),
two evaluations of N firms (5 % D, 10 % C twice), 2 % of the rows without a credit code
but with coordinates. Seconds are wall-clock (median of 3), with process CPU time beside.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ykgeo.layers import load_plan, parse_plan  # noqa: E402
from ykgeo.plan import (  # noqa: E402
    classify,
    load_rules,
    plan_data,
    plan_to_toml,
    store_candidates,
)
from ykgeo.store import TZ, Store, find_demo_store  # noqa: E402

TOWNS = [
    "东城街道", "西城街道", "江南街道", "石柱镇", "前仓镇", "舟山镇", "古山镇",
    "方岩镇", "龙山镇", "西溪镇", "象珠镇", "唐先镇", "花街镇", "芝英镇",
]  # fmt: skip
LON0, LAT0, DLON, DLAT = 119.90, 28.80, 0.05, 0.10
T0 = dt.datetime(2022, 1, 4, 9, tzinfo=TZ)
TARGET = "low_efficiency_remediation"


def _timed(fn: Any, repeat: int = 3) -> tuple[float, float, Any]:
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def _codes(n: int) -> np.ndarray:
    return np.array([f"91330784{i:010d}" for i in range(n)], dtype=object)


def build_store(path: Path, n: int, seed: int = 11) -> Store:
    """A store with N register parcels, N/5 of them listed, two evaluations and a 2023 plan."""
    rng = np.random.default_rng(seed)
    store = Store.create(path, plans=[load_plan(2022)])
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    lon = LON0 + (i % side + 0.5) / side * DLON * 7 + rng.uniform(-2e-4, 2e-4, n)
    lat = LAT0 + (i // side + 0.5) / side * DLAT * 2 + rng.uniform(-2e-4, 2e-4, n)
    half = rng.uniform(2e-4, 6e-4, n)
    geoms = shapely.box(lon - half, lat - half, lon + half, lat + half)
    town = np.array(TOWNS, dtype=object)[
        np.clip(((lon - LON0) // DLON).astype(int) + 7 * ((lat - LAT0) // DLAT).astype(int), 0, 13)
    ]
    codes = _codes(n)
    common = {"user": "基准", "source": "基准", "effective_date": T0.date(), "recorded_at": T0}
    register = gpd.GeoDataFrame(
        {
            "宗地代码": [f"Z{k:07d}" for k in range(n)],
            "权利人": [f"企业{k}" for k in range(n)],
            "统一社会信用代码": codes,
            "所属镇街": town,
            "地类编码": "0601",
        },
        geometry=geoms,
        crs=4490,
    )
    store.import_features("industrial_parcels", register, **common)
    listed = rng.choice(n, size=n // 5, replace=False)
    status = np.where(rng.random(len(listed)) < 0.5, "已完成", "推进中")
    layer = gpd.GeoDataFrame(
        {
            "地块编号": [f"DX{k:07d}" for k in listed],
            "企业名称": [f"企业{k}" for k in listed],
            "统一社会信用代码": codes[listed],
            "所属镇街": town[listed],
            "状态": status,
            "完成日期": np.where(status == "已完成", "2022-06-30", None),
        },
        geometry=geoms[listed],
        crs=4490,
    )
    store.import_features("low_efficiency_industrial", layer, **common)
    rules = load_rules(year=2022)
    u = rng.random(n)
    for year in (2021, 2022):
        cls = np.where(u < 0.05 if year == 2022 else u < 0.03, "D", np.where(u < 0.15, "C", "B"))
        frame = pd.DataFrame(
            {
                "行号": np.arange(2, n + 2),
                "统一社会信用代码": codes,
                "企业名称": [f"企业{k}" for k in range(n)],
                "亩均税收": rng.uniform(0.2, 30.0, n).round(2),
                "亩均增加值": rng.uniform(5, 150, n).round(2),
                "单位能耗增加值": rng.uniform(0.1, 5, n).round(2),
                "用地面积": rng.uniform(5, 60, n).round(2),
                "评价类别": cls,
                "经度": np.nan,
                "纬度": np.nan,
            }
        )
        blank = rng.random(n) < 0.02
        frame.loc[blank, "统一社会信用代码"] = None
        frame.loc[blank, "经度"] = lon[blank]
        frame.loc[blank, "纬度"] = lat[blank]
        store.save_evaluation(
            year,
            classify(frame, rules),
            source=f"基准{year}.xlsx",
            user="基准",
            rules_zh=rules.describe_zh(),
            rules_toml=rules.toml_text,
            recorded_at=T0 + dt.timedelta(days=1 + year - 2021),
        )
    data = plan_data(store.plan(2022))
    data.update(year=2023, targets=[t for t in data["targets"] if t["key"] == TARGET])
    data["targets"][0]["value"] = round(n * 0.5)
    data["targets"][0].pop("milestones", None)
    store.save_plan(parse_plan(plan_to_toml(data), name="2023", layers=store.layers), user="基准")
    return store


def peer(store: Store) -> tuple[int, float]:
    """A notebook analyst's version on data already in memory: code merges, masks, planar area, cumsum."""
    layer, register = _peer_inputs[store.path]
    e21, e22 = store_evaluations[store.path]
    pool = pd.concat(
        [
            layer[layer["状态"] != "已完成"][["统一社会信用代码", "geometry"]].assign(结转=True),
            register[~register["统一社会信用代码"].isin(layer["统一社会信用代码"])][
                ["统一社会信用代码", "geometry"]
            ].assign(结转=False),
        ]
    )
    pool = pool.merge(
        e22[["统一社会信用代码", "类别", "亩均税收"]], on="统一社会信用代码", how="left"
    )
    pool = pool.merge(
        e21[["统一社会信用代码", "类别"]].rename(columns={"类别": "类别2021"}),
        on="统一社会信用代码",
        how="left",
    )
    group = np.select(
        [pool["类别"] == "D", (pool["类别"] == "C") & (pool["类别2021"] == "C"), pool["结转"]],
        [0, 1, 2],
        3,
    )
    pool = pool.assign(组=group)[group < 3]
    mu = gpd.GeoSeries(pool["geometry"], crs=4490).to_crs(4549).area * 15 / 10000
    pool = pool.assign(亩=mu.to_numpy()).sort_values(["组", "亩均税收"])
    cum = pool["亩"].cumsum()
    return len(pool), float(cum.iloc[-1])


_peer_inputs: dict[Path, tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]] = {}
store_evaluations: dict[Path, tuple[pd.DataFrame, pd.DataFrame]] = {}


def run_case(name: str, store: Store, year: int) -> None:
    _peer_inputs[store.path] = (
        store.read_layer("low_efficiency_industrial"),
        store.read_layer("industrial_parcels"),
    )
    store_evaluations[store.path] = (store.evaluation(year - 2), store.evaluation(year - 1))
    wall, cpu, cl = _timed(lambda: store_candidates(store, year=year, target=TARGET))
    p_wall, p_cpu, (p_n, p_mu) = _timed(lambda: peer(store))
    cut = cl.cut if cl.cut is not None else "—"
    print(
        f"{name:>8}  ykgeo {wall:7.2f} s (cpu {cpu:6.2f})  {len(cl.table):>7,} 块 {cl.total_mu:>12,.2f} 亩  cut {cut}"
    )
    print(
        f"{'':>8}  peer  {p_wall:7.2f} s (cpu {p_cpu:6.2f})  {p_n:>7,} 块 {p_mu:>12,.2f} 亩  (no location join, no overlap check, planar area)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k", help="comma-separated sizes, e.g. 10k,100k")
    args = parser.parse_args()
    print("candidates: ranked list of next year's remediation candidates (median of 3 runs)")
    demo = find_demo_store()
    if demo is not None:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "demo.gpkg"
            copy.write_bytes(demo.read_bytes())
            store = Store(copy)
            cl = store_candidates(store, year=2023, target=TARGET)
            print(f"    demo  {cl.summary_zh()}")
            run_case("demo", store, 2023)
    for size in args.sizes.split(","):
        n = int(float(size.lower().rstrip("k")) * (1000 if size.lower().endswith("k") else 1))
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            store = build_store(Path(tmp) / f"bench-{size}.gpkg", n)
            print(f"{size:>8}  (store built in {time.perf_counter() - started:.0f} s)")
            run_case(size, store, 2023)


if __name__ == "__main__":
    main()
