"""Benchmark: how long a reader waits while a bulk import writes to the store, beside GDAL's own GPKG writer.

Usage::

    python benchmarks/bench_store_wait.py            # N = 200k parcels
    python benchmarks/bench_store_wait.py 20000      # another size

On a copy of the demo store, N synthetic parcels inside the city boundary (made by
``tests._builders.parcels_inside``) are written
into ``low_efficiency_industrial`` twice: by ``ykgeo import`` (a real process) and, as the
peer, by GDAL (pyogrio ``append=True`` in a child process). Then ``ykgeo import`` writes the
same N parcels again with every status changed (N updates, each logged: the case where a
whole ledger is re-imported, which holds the biggest transaction). While each writer runs, a
reader in this process opens the store and reads it in a loop (``Store(...)``, a count and
the 14 townships), as every page of the app and every command does. Printed per writer:
the writer's seconds, how long it held the write lock, the number of reads, the longest
and 95th-percentile read, and the reads that failed (with the first error). The lock is
polled every 50 ms from this process, which the reader thread shares: a window of a second
or less (ykgeo's re-import) can be missed; time it from a process of its own to be sure.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the parcels are made as the tests make them
DEMO = ROOT / "data" / "gis" / "yongkang-demo.gpkg"
LAYER = "low_efficiency_industrial"


class Reader(threading.Thread):
    """Reads the store in a loop until stopped; keeps every read's duration and the failures."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.seconds: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        from ykgeo.errors import YkgeoError
        from ykgeo.store import Store

        while not self.stop.is_set():
            start = time.perf_counter()
            try:
                store = Store(self.path)
                store.count(LAYER)
                store.read_layer("townships")
            except (YkgeoError, sqlite3.Error) as err:
                self.failures.append(str(err))
            self.seconds.append(time.perf_counter() - start)
            time.sleep(0.05)


def lock_held(path: Path, proc: subprocess.Popen[bytes]) -> tuple[float, float, float]:
    """Seconds during which another connection could not take the write lock (polled every 50 ms),
    and when that was first and last seen (seconds from the writer's start)."""
    held, first, last = 0.0, float("nan"), float("nan")
    origin = time.perf_counter()
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        while proc.poll() is None:
            start = time.perf_counter()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                busy = False
            except sqlite3.OperationalError:
                busy = True
            time.sleep(0.05)
            if busy:
                held += time.perf_counter() - start
                first = start - origin if first != first else first
                last = time.perf_counter() - origin
    finally:
        conn.close()
    return held, first, last


def measure(name: str, store: Path, cmd: list[str]) -> dict[str, object]:
    reader = Reader(store)
    reader.start()
    time.sleep(1.0)  # a few reads before the writer starts: the reader's usual time
    idle = list(reader.seconds)
    start = time.perf_counter()
    log = store.with_suffix(".log")
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT)
        held, first, last = lock_held(store, proc)
        proc.wait()
    seconds = time.perf_counter() - start
    reader.stop.set()
    reader.join()
    during = reader.seconds[len(idle) :]
    if proc.returncode != 0:
        print(f"{name} failed: {log.read_text(errors='replace')[-500:]}", file=sys.stderr)
    return {
        "writer": name,
        "write_s": seconds,
        "lock_s": held,
        "lock_from_s": first,
        "lock_to_s": last,
        "reads": len(during),
        "idle_read_s": float(np.median(idle)) if idle else float("nan"),
        "max_read_s": max(during) if during else float("nan"),
        "p95_read_s": float(np.percentile(during, 95)) if during else float("nan"),
        "failed": len(reader.failures),
        "first_failure": reader.failures[0][:120] if reader.failures else "",
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    import pyogrio

    from tests._builders import parcels_inside
    from ykgeo.store import Store

    with tempfile.TemporaryDirectory(prefix="ykgeo-bench-wait-") as tmp:
        folder = Path(tmp)
        boundary = Store(DEMO).read_layer("city_boundary").geometry.union_all()
        source = folder / "parcels.gpkg"
        frame = parcels_inside(boundary, n, prefix="BW")
        pyogrio.write_dataframe(frame, source, layer="parcels")
        rows = []
        ours = folder / "ykgeo.gpkg"
        shutil.copyfile(DEMO, ours)
        ykgeo = [sys.executable, "-c", "import sys; from ykgeo.cli import main; sys.exit(main())"]
        rows.append(
            measure(
                "ykgeo import",
                ours,
                [
                    *ykgeo,
                    "import",
                    str(source),
                    "--layer",
                    LAYER,
                    "--store",
                    str(ours),
                    "--user",
                    "bench",
                ],
            )
        )
        changed = folder / "parcels-changed.gpkg"
        frame["状态"] = "推进中"
        pyogrio.write_dataframe(frame, changed, layer="parcels")
        again = [*ykgeo, "import", str(changed), "--layer", LAYER, "--store", str(ours)]
        rows.append(measure("ykgeo re-import (updates)", ours, [*again, "--user", "bench"]))
        peer = folder / "gdal.gpkg"
        shutil.copyfile(DEMO, peer)
        script = (
            "import sys, pyogrio; df = pyogrio.read_dataframe(sys.argv[1]);"
            f" pyogrio.write_dataframe(df, sys.argv[2], layer='{LAYER}', append=True)"
        )
        rows.append(
            measure(
                "GDAL append (pyogrio)",
                peer,
                [sys.executable, "-c", script, str(source), str(peer)],
            )
        )
    print(f"reader waits while {n:,} parcels are written into a copy of the demo store")
    head = f"{'writer':<26}{'write s':>9}{'lock s':>8}{'reads':>7}{'idle s':>8}{'max s':>8}{'p95 s':>8}{'failed':>7}"
    print(head)
    for r in rows:
        print(
            f"{r['writer']:<26}{r['write_s']:>9.1f}{r['lock_s']:>8.1f}{r['reads']:>7}"
            f"{r['idle_read_s']:>8.2f}{r['max_read_s']:>8.2f}{r['p95_read_s']:>8.2f}{r['failed']:>7}"
        )
    for r in rows:
        print(
            f"  {r['writer']}: write lock held between {r['lock_from_s']:.1f} s and {r['lock_to_s']:.1f} s"
        )
    for r in rows:
        if r["first_failure"]:
            print(f"  {r['writer']}: first failed read: {r['first_failure']}")


if __name__ == "__main__":
    main()
