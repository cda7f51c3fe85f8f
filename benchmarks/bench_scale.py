"""Speed at a million parcels: ykgeo beside the best peers, fresh process per method, interleaved, medians.

Usage::

    python benchmarks/bench_scale.py                              # every job, 3 rounds
    python benchmarks/bench_scale.py --jobs area,load --reps 5
    python benchmarks/bench_scale.py --jobs progress --sizes progress=100k

Jobs (default sizes in brackets), each printed as ours beside its peers of the same run:

* ``area`` [1M]: ``ykgeo.area.area_m2`` of parcels in memory vs DuckDB spatial
  ``ST_Area(ST_Transform(geom, 'EPSG:4490', LAEA))`` on a table in memory and straight from
  GeoParquet; mean relative error of each against ``pyproj.Geod`` on 20,000 parcels; peak
  memory beyond the interpreter, and the input geometries' own size;
* ``load`` [1M]: ``Store.import_features`` into an empty layer vs pyogrio
  ``write_dataframe(use_arrow=True)`` and DuckDB ``COPY … (FORMAT GDAL, DRIVER 'GPKG')``;
* ``import`` [100k]: the whole ``ykgeo import`` command (read, validate, write into a store
  with the city boundary) vs ``ogr2ogr`` of the same file into a new GeoPackage;
* ``progress`` [1M]: the full ``progress_report`` (36 targets) on a store with a year of
  history vs the bare pipeline: read the five land layers with pyogrio, ``to_crs(4549)``,
  area, ``sjoin`` to the townships, ``groupby`` sum by layer, township and status.

The parcels come from :mod:`_synthetic` (1M parcels: 26.7M vertices, 6 % multipart, 5 % with
holes). Data and stores are cached in ``--workdir``. DuckDB figures need the ``bench`` extra
(``pip install -e '.[bench]'``); without it those columns say so. Seconds are wall clock on a
shared 2-core machine: compare the ratios of one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _synthetic

HERE = Path(__file__).resolve()
LAND = [
    "low_efficiency_industrial",
    "unsupplied_approved",
    "stock_revitalisation",
    "redevelopment",
    "industrial_transfer",
]
LAEA = "+proj=laea +lat_0=28.9 +lon_0=120.1 +ellps=GRS80 +units=m +no_defs"
#: the environment of the measured processes (see :func:`_compiled`)
_ENV: dict[str, str] | None = None
#: job → (our method, peers)
METHODS = {
    "area": ("ykgeo", ["duckdb", "duckdb_parquet"]),
    "load": ("ykgeo", ["pyogrio_arrow", "duckdb_copy"]),
    "import": ("ykgeo", ["ogr2ogr"]),
    "progress": ("ykgeo", ["bare"]),
}
SIZES = {"area": 1_000_000, "load": 1_000_000, "import": 100_000, "progress": 1_000_000}


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024
    return float("nan")


def _size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def _parquet(n: int, work: Path) -> Path:
    path = work / f"parcels-{n}.parquet"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        _synthetic.parcels(n).to_parquet(tmp, geometry_encoding="WKB", write_covering_bbox=False)
        tmp.rename(path)
    return path


def _duckdb() -> Any:
    import duckdb
    import duckdb_extension_spatial

    con = duckdb.connect()
    ext = next(
        Path(duckdb_extension_spatial.__file__).parent.glob("extensions/*/spatial.duckdb_extension")
    )
    con.load_extension(str(ext))
    con.execute("SET threads = 2")
    return con


# --- jobs (each in its own process) ------------------------------------------------------------


def job_area(method: str, n: int, work: Path) -> dict[str, float]:
    import geopandas as gpd
    from pyproj import Geod

    src = _parquet(n, work)
    out: dict[str, float] = {}
    before = _status_mb("VmRSS:")
    if method == "ykgeo":
        from ykgeo.area import area_m2

        gdf = gpd.read_parquet(src)
        out["input_mb"] = _status_mb("VmRSS:") - before
        t = time.perf_counter()
        values = area_m2(gdf).to_numpy()
        out["seconds"] = time.perf_counter() - t
    elif method == "duckdb":
        con = _duckdb()
        con.execute(f"CREATE TABLE t AS SELECT geometry AS g FROM read_parquet('{src}')")
        out["input_mb"] = _status_mb("VmRSS:") - before
        t = time.perf_counter()
        sql = (
            f"SELECT ST_Area(ST_Transform(g, 'EPSG:4490', '{LAEA}', always_xy := true)) AS a FROM t"
        )
        values = con.execute(sql).fetchnumpy()["a"]
        out["seconds"] = time.perf_counter() - t
    else:  # duckdb_parquet: including the read of the file
        con = _duckdb()
        t = time.perf_counter()
        sql = (
            f"SELECT ST_Area(ST_Transform(geometry, 'EPSG:4490', '{LAEA}', always_xy := true)) AS a "
            f"FROM read_parquet('{src}')"
        )
        values = con.execute(sql).fetchnumpy()["a"]
        out["seconds"] = time.perf_counter() - t
    out["peak_mb"] = _status_mb("VmHWM:") - before
    sample = work / f"geod-{n}.npz"
    if not sample.exists():
        gdf = gpd.read_parquet(src)
        idx = np.random.default_rng(1).choice(n, min(n, 20_000), replace=False)
        geod = Geod(ellps="GRS80")
        exact = np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in gdf.geometry.iloc[idx]])
        np.savez(sample, idx=idx, exact=exact)
    ref = np.load(sample)
    out["mean_rel_err"] = float(np.mean(np.abs(np.asarray(values)[ref["idx"]] / ref["exact"] - 1)))
    return out


def job_load(method: str, n: int, work: Path) -> dict[str, float]:
    import geopandas as gpd

    src = _parquet(n, work)
    target = work / f"load-{method}-{os.getpid()}.gpkg"
    target.unlink(missing_ok=True)
    out: dict[str, float] = {}
    try:
        if method == "duckdb_copy":
            before = _status_mb("VmRSS:")
            con = _duckdb()
            t = time.perf_counter()
            con.execute(
                f"COPY (SELECT * FROM read_parquet('{src}')) TO '{target}' "
                "WITH (FORMAT GDAL, DRIVER 'GPKG', SRS 'EPSG:4490')"
            )
            out["seconds"] = time.perf_counter() - t
        else:
            gdf = gpd.read_parquet(src)
            before = _status_mb("VmRSS:")
            if method == "pyogrio_arrow":
                import pyogrio

                t = time.perf_counter()
                pyogrio.write_dataframe(gdf, target, layer="parcels", use_arrow=True)
                out["seconds"] = time.perf_counter() - t
            else:
                from ykgeo.layers import load_layers
                from ykgeo.store import TZ, Store

                store = Store.create(target, layers=load_layers())
                t = time.perf_counter()
                store.import_features(
                    "low_efficiency_industrial", gdf, user="bench", source="synthetic",
                    effective_date=dt.date(2022, 1, 1), recorded_at=dt.datetime(2022, 1, 1, 9, tzinfo=TZ),
                )  # fmt: skip
                out["seconds"] = time.perf_counter() - t
        out["peak_mb"] = _status_mb("VmHWM:") - before
        out["file_mb"] = target.stat().st_size / 1e6
    finally:
        target.unlink(missing_ok=True)
    return out


def _empty_store(work: Path) -> Path:
    """A store holding the city boundary and townships of the demo store (what ``import`` checks against)."""
    path = work / "import-empty-store.gpkg"
    if not path.exists():
        import pyogrio

        from ykgeo.store import TZ, Store

        tmp = path.with_suffix(".tmp.gpkg")
        store = Store.create(tmp)
        when = {
            "effective_date": dt.date(2021, 1, 1),
            "recorded_at": dt.datetime(2021, 1, 1, 9, tzinfo=TZ),
        }
        for key in ("city_boundary", "townships"):
            gdf = pyogrio.read_dataframe(_synthetic.DEMO_STORE, layer=key).drop(
                columns=["ykgeo_version"]
            )
            store.import_features(key, gdf, user="bench", source="demo", **when)
        tmp.rename(path)
    return path


def job_import(method: str, n: int, work: Path) -> dict[str, float]:
    import resource

    src = work / f"import-{n}.gpkg"
    if not src.exists():
        import pyogrio

        pyogrio.write_dataframe(
            _synthetic.parcels(n), src.with_suffix(".tmp.gpkg"), layer="parcels"
        )
        src.with_suffix(".tmp.gpkg").rename(src)
    target = work / f"import-{method}-{os.getpid()}.gpkg"
    target.unlink(missing_ok=True)
    try:
        if method == "ykgeo":
            shutil.copy(_empty_store(work), target)
            cmd = [sys.executable, "-m", "ykgeo.cli", "import", str(src), "--layer",
                   "low_efficiency_industrial", "--user", "bench", "--store", str(target)]  # fmt: skip
        else:
            cmd = ["ogr2ogr", "-f", "GPKG", str(target), str(src)]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - t
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-2000:])
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            "seconds": seconds,
            "peak_mb": child.ru_maxrss / 1024,
            "command_cpu_s": child.ru_utime + child.ru_stime,  # the command's own CPU, all threads
        }
    finally:
        target.unlink(missing_ok=True)


def year_of_edits(
    key: str, st: Any, ids: list[str], rng: np.random.Generator, start: dt.date,
    events: dict[dt.date, list[Any]], corrections: list[Any],
) -> int:  # fmt: skip
    """Queue a year of status changes for ``ids``: ~70 % started, ~45 % done, 2 % corrected later.

    Returns the number of events queued (into ``events`` by day and ``corrections``).
    """
    from ykgeo.store import Edit

    n_events = 0
    day_prog = rng.integers(0, 330, len(ids))
    day_done = day_prog + rng.integers(10, 200, len(ids))
    goes = rng.random(len(ids)) < 0.70
    done = goes & (rng.random(len(ids)) < 0.65) & (day_done < 365)
    for j in np.flatnonzero(goes):
        d1 = start + dt.timedelta(days=int(day_prog[j]))
        changes: dict[str, Any] = {st.field: st.in_progress[0]}
        if st.planned_date_field:
            changes[st.planned_date_field] = (d1 + dt.timedelta(days=120)).isoformat()
        events.setdefault(d1, []).append(Edit(key, ids[j], changes, d1))
        n_events += 1
        if done[j]:
            d2 = start + dt.timedelta(days=int(day_done[j]))
            ch2 = {st.field: st.done[0]}
            if st.date_field:
                ch2[st.date_field] = d2.isoformat()
            events.setdefault(d2, []).append(Edit(key, ids[j], ch2, d2))
            n_events += 1
            if rng.random() < 0.02:  # a back-dated correction: done 5 days earlier
                d3 = d2 - dt.timedelta(days=5)
                ch3 = {st.date_field: d3.isoformat()} if st.date_field else {st.field: st.done[0]}
                corrections.append(Edit(key, ids[j], ch3, d3))
                n_events += 1
    return n_events


def record_year(
    store: Any, events: dict[dt.date, list[Any]], corrections: list[Any], rng: np.random.Generator
) -> None:
    """Record the queued events day by day, 0–10 days late, and the corrections in December."""
    from ykgeo.store import TZ

    lag = {d: int(rng.integers(0, 11)) for d in events}
    for day in sorted(events):
        rec = dt.datetime.combine(day + dt.timedelta(days=lag[day]), dt.time(17), tzinfo=TZ)
        store.apply_edits(events[day], user="基准", source="合成进度", recorded_at=rec)
    if corrections:
        store.apply_edits(corrections, user="基准", source="更正",
                          recorded_at=dt.datetime(2022, 12, 20, 17, tzinfo=TZ))  # fmt: skip


def build_progress_store(n: int, path: Path, *, county: int = 0) -> None:
    """N parcels over the five land layers, each inserted on 1 January, ~70 % started and ~45 % done later.

    ``county`` > 0 shifts everything by that many degrees of longitude (another county).
    """
    import geopandas as gpd

    from ykgeo.layers import load_layers, load_plan
    from ykgeo.store import TZ, Store

    rng = np.random.default_rng(2022)
    registry = load_layers()
    tmp = path.with_suffix(".building.gpkg")
    store = Store.create(tmp, layers=registry, plans=[load_plan(2022)], overwrite=True)
    towns = _synthetic.townships(county=county)
    towns["统计用区划代码"] = [f"3307841{i:02d}" for i in range(len(towns))]
    towns["类型"] = "镇"
    store.import_features("townships", towns, user="基准", source="合成", effective_date=dt.date(2021, 12, 1),
                          recorded_at=dt.datetime(2021, 12, 1, 9, tzinfo=TZ))  # fmt: skip
    base = _synthetic.parcels(n, county=county)
    start = dt.date(2022, 1, 1)
    events: dict[dt.date, list[Any]] = {}
    corrections: list[Any] = []
    for li, key in enumerate(LAND):
        spec = registry[key]
        st = spec.status
        assert st is not None
        sel = np.flatnonzero(np.arange(n) % len(LAND) == li)
        part = base.iloc[sel]
        ids = [f"{key[:3].upper()}{county:02d}{i:07d}" for i in sel]
        filler = {"str": "合成", "date": "2021-06-01", "float": 0.0, "int": 0}
        data: dict[str, Any] = {
            f: [filler[spec.field(f).type]] * len(sel) for f in spec.required_fields
        }
        data[spec.id_field] = ids
        if spec.name_field:
            data[spec.name_field] = [f"合成地块{i}" for i in sel]
        if spec.township_field:
            data[spec.township_field] = part["所属镇街"].to_numpy()
        if spec.ledger_area_field:
            data[spec.ledger_area_field] = part["用地面积（亩）"].to_numpy()
        data[st.field] = [st.values[0]] * len(sel)
        gdf = gpd.GeoDataFrame(data, geometry=part.geometry.to_numpy(), crs=4490)
        store.import_features(key, gdf, user="基准", source="合成", effective_date=start,
                              recorded_at=dt.datetime(2022, 1, 1, 9, tzinfo=TZ))  # fmt: skip
        year_of_edits(key, st, ids, rng, start, events, corrections)
    record_year(store, events, corrections, rng)
    tmp.rename(path)


def job_progress(method: str, n: int, work: Path) -> dict[str, float]:
    path = work / f"progress-{n}.gpkg"
    t0 = time.perf_counter()
    out: dict[str, float] = {}
    if method == "bare":
        import geopandas as gpd
        import pandas as pd
        import pyogrio

        towns = pyogrio.read_dataframe(path, layer="townships")
        frames = []
        for key in LAND:
            gdf = pyogrio.read_dataframe(path, layer=key, columns=["状态"], use_arrow=True)
            frames.append(
                gpd.GeoDataFrame(
                    {"layer": key, "status": gdf["状态"]}, geometry=gdf.geometry, crs=4490
                )
            )
        gdf = pd.concat(frames, ignore_index=True)
        gk = gdf.to_crs(4549)
        gk["mu"] = gk.area * 15 / 10000
        joined = gpd.sjoin(gk, towns.to_crs(4549)[["镇街名称", "geometry"]], predicate="intersects")
        joined = joined[~joined.index.duplicated()]  # one township per feature (first hit)
        out["rows"] = float(len(joined.groupby(["layer", "镇街名称", "status"])["mu"].sum()))
    else:
        from ykgeo.progress import progress_report
        from ykgeo.store import Store

        report = progress_report(Store(path), as_of=dt.date(2022, 12, 31))
        out["targets"] = float(len(report.rows))
    out["seconds"] = time.perf_counter() - t0
    out["peak_mb"] = _status_mb("VmHWM:")
    return out


JOBS = {"area": job_area, "load": job_load, "import": job_import, "progress": job_progress}


# --- the runner --------------------------------------------------------------------------------


def _compiled() -> dict[str, str]:
    """The environment for the measured processes, with ykgeo's bytecode compiled beforehand.

    A planner's second run of any command finds ykgeo's modules compiled; a shell with
    ``PYTHONDONTWRITEBYTECODE`` set would make every measured process compile them again
    (0.15–0.5 s a process here), so the package is compiled once and the variable dropped.
    """
    import compileall

    import ykgeo

    compileall.compile_dir(Path(ykgeo.__file__).parent, quiet=1)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _one(job: str, method: str, n: int, work: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(HERE), "--one", job, method, str(n), "--workdir", str(work)],
        capture_output=True, text=True, check=False, env=_ENV,
    )  # fmt: skip
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        return {"error": tail[-1] if tail else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _have_duckdb() -> bool:
    try:
        import duckdb  # noqa: F401
        import duckdb_extension_spatial  # noqa: F401
    except ImportError:
        return False
    return True


def _scaling(sizes: list[int], reps: int, work: Path) -> None:
    """The full progress report (ours) beside the bare pipeline at growing sizes: how time and memory grow."""
    print(f"{'parcels':>10} {'method':<6} {'seconds':>8} {'cpu s':>7} {'peak MB':>8} {'µs/parcel':>10} {'÷ bare':>7}")
    for n in sizes:
        if not (work / f"progress-{n}.gpkg").exists():
            print(f"building the {n:,}-parcel progress store (once) …", flush=True)
            build_progress_store(n, work / f"progress-{n}.gpkg")
        runs: dict[str, list[dict[str, Any]]] = {"ykgeo": [], "bare": []}
        for _ in range(reps):
            for method in runs:
                runs[method].append(_one("progress", method, n, work))
        med = {
            m: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "cpu_s", "peak_mb")}
            for m, rs in runs.items()
            if rs and all("error" not in r for r in rs)
        }
        for method, v in med.items():
            ratio = v["seconds"] / med["bare"]["seconds"] if "bare" in med else float("nan")
            print(
                f"{n:>10,} {method:<6} {v['seconds']:>8.1f} {v['cpu_s']:>7.1f} {v['peak_mb']:>8.0f} "
                f"{v['seconds'] / n * 1e6:>10.1f} {ratio:>7.2f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", default="area,load,import,progress")
    parser.add_argument("--reps", type=int, default=3, help="rounds of fresh processes (medians)")
    parser.add_argument("--sizes", default="", help="e.g. area=100k,progress=100k")
    parser.add_argument("--workdir", default="/tmp/ykgeo-bench-scale")
    parser.add_argument(
        "--scaling",
        default="",
        help="progress at these sizes, e.g. 1M,3M,10M: seconds, peak and µs a parcel beside the bare pipeline",
    )
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global _ENV
    _ENV = _compiled()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    if args.one:
        job, method, n = args.one
        c0 = time.process_time()
        result = JOBS[job](method, int(n), work)
        result["cpu_s"] = time.process_time() - c0
        print(json.dumps(result))
        return
    if args.scaling:
        _scaling([_size(v) for v in args.scaling.split(",")], args.reps, work)
        return
    sizes = dict(SIZES)
    for item in filter(None, args.sizes.split(",")):
        key, value = item.split("=")
        sizes[key] = _size(value)
    duck = _have_duckdb()
    for job in args.jobs.split(","):
        n = sizes[job]
        ours, peers = METHODS[job]
        methods = [ours] + [p for p in peers if duck or not p.startswith("duckdb")]
        if job == "progress" and not (work / f"progress-{n}.gpkg").exists():
            print(f"building the {n:,}-parcel progress store (once) …", flush=True)
            build_progress_store(n, work / f"progress-{n}.gpkg")
        runs: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
        for _ in range(args.reps):
            for method in methods:  # interleaved, so a busy moment hits every method
                runs[method].append(_one(job, method, n, work))
        print(f"\n== {job}, {n:,} parcels, medians of {args.reps} fresh processes ==", flush=True)
        med: dict[str, dict[str, float]] = {}
        for method, results in runs.items():
            good = [r for r in results if "error" not in r]
            if not good:
                print(f"  {method:<16} failed: {results[0].get('error')}")
                continue
            med[method] = {k: statistics.median(r[k] for r in good) for k in good[0]}
            extra = "  ".join(
                f"{k} {v:.3g}" for k, v in med[method].items() if k not in ("seconds", "peak_mb")
            )
            print(
                f"  {method:<16} {med[method]['seconds']:8.2f} s {med[method]['peak_mb']:8.0f} MB  {extra}"
            )
        if not duck and job in ("area", "load"):
            print("  duckdb: not installed (pip install -e '.[bench]')")
        for peer in peers:
            if ours in med and peer in med:
                print(
                    f"  ratio ykgeo / {peer:<14} {med[ours]['seconds'] / med[peer]['seconds']:6.2f}"
                )


if __name__ == "__main__":
    main()
