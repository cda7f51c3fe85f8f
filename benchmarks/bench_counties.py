"""Province roll-up: progress of many county stores, one process vs a dask.distributed LocalCluster.

Usage::

    python benchmarks/bench_counties.py                          # 3 counties of 100k parcels
    python benchmarks/bench_counties.py --counties 10 --parcels 1M --workers 2
    python benchmarks/bench_counties.py --counties 10 --copies-of county00-1000000.gpkg


Each county is a store of ``--parcels`` synthetic parcels (:mod:`_synthetic`, shifted by
whole degrees so counties do not overlap) with a year of history, built once with
``bench_scale.build_progress_store`` and cached in ``--workdir``. Printed: the seconds of
:func:`ykgeo.progress.progress_many` counting every county's 36 targets in this process,
and on a LocalCluster of ``--workers`` single-threaded worker processes (cluster start-up
shown apart), the figures checked equal, and the total parcels per second of each. On
this 2-core machine two workers can at best halve the time; see README.md for what a real
cluster changes.

``--copies-of STORE`` makes the county stores as file copies of one store already built
(a 1M-parcel store takes about 25 minutes to build with its year of edits, so ten distinct
ones would take over four hours): every county then does the full work of that store, read
from its own file, and all counties give the same figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_scale


def _parcels(path: Path) -> int:
    """The features of a store's land layers (what a county store of ``n`` parcels holds)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return sum(
            conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in bench_scale.LAND
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=3)
    parser.add_argument("--parcels", default="100k", help="parcels per county, e.g. 100k, 1M")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", default="/tmp/ykgeo-bench-counties")
    parser.add_argument("--copies-of", default="", help="copy this store as every county store")
    args = parser.parse_args()
    import distributed
    import pandas as pd

    from ykgeo.progress import progress_many

    n = bench_scale._size(args.parcels)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    paths = []
    for county in range(args.counties):
        path = work / f"county{county:02d}-{n}.gpkg"
        if args.copies_of and not path.exists():
            source = Path(args.copies_of)
            n = _parcels(source)
            path = work / f"copy{county:02d}-{source.stem}.gpkg"
            if not path.exists():
                shutil.copyfile(source, path)
        elif not path.exists():
            t = time.perf_counter()
            bench_scale.build_progress_store(n, path, county=county)
            print(f"built {path.name} in {time.perf_counter() - t:.0f} s", flush=True)
        paths.append(path)
    day = dt.date(2022, 12, 31)
    t = time.perf_counter()
    alone = progress_many(paths, as_of=day)
    single_s = time.perf_counter() - t
    single_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    with distributed.LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        start_s = time.perf_counter() - t
        t = time.perf_counter()
        spread = progress_many(paths, as_of=day, client=client)
        cluster_s = time.perf_counter() - t
    pd.testing.assert_frame_equal(alone, spread)
    total = args.counties * n
    print(f"\n{args.counties} counties × {n:,} parcels = {total:,} parcels, 36 targets each")
    print(f"  one process        {single_s:8.1f} s  {total / single_s:10,.0f} parcels/s"
          f"  (peak {single_mb:,.0f} MB)")  # fmt: skip
    print(f"  LocalCluster ×{args.workers}    {cluster_s:8.1f} s  {total / cluster_s:10,.0f} parcels/s"
          f"  (+ {start_s:.1f} s to start the cluster)")  # fmt: skip
    print(f"  speed-up           {single_s / cluster_s:8.2f}×  (figures identical)")


if __name__ == "__main__":
    main()
