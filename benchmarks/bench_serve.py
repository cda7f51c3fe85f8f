"""Benchmark: ``ykgeo serve`` (OGC API – Features) on the demo store and on 100k parcels, beside GDAL/pyogrio.

Usage::

    python benchmarks/bench_serve.py                 # demo store and 100k parcels
    python benchmarks/bench_serve.py --sizes 10k     # demo store and 10k parcels

A real ``ykgeo serve`` runs in a subprocess on 127.0.0.1 (bounded loops, stopped at the end).
The synthetic store has N parcels in ``low_efficiency_industrial`` (``bench_area_io``'s
generator) imported on 2022-01-01, and about half of them move on a status during 2022
(one edit batch a month), so ``datetime=`` rebuilds a past state from the log.

Printed, wall-clock seconds (median of 5 unless "first"):

* ``items?limit=1000`` — the first request after start (reads the layer, fills the cache),
  then warm; the same with ``datetime=2022-09-30`` (the as-of rebuild);
* ``page 1000 of JSON`` — the bytes of that response;
* full layer through the server: ``ogr2ogr`` from ``OAPIF:`` with PAGE_SIZE 1000 and
  10000 (Debian's GDAL, the client a GIS engineer would use), first run (the server's cache
  is warm from the requests above);
* peers from the same run, reading the GeoPackage directly: ``pyogrio.read_dataframe`` of
  the layer, and ``ogr2ogr`` GPKG → GPKG of the layer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

KEY = "low_efficiency_industrial"
ROOT = Path(__file__).resolve().parents[1]


def _size(text: str) -> int:
    text = text.strip().lower()
    return int(float(text.rstrip("km")) * {"k": 1_000, "m": 1_000_000}.get(text[-1], 1))


def build(n: int, path: Path) -> float:
    """A store with n parcels and a year of status edits; returns the seconds it took."""
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_area_io import synthetic_parcels

    from ykgeo.layers import load_layers
    from ykgeo.store import TZ, Edit, Store

    t0 = time.perf_counter()
    store = Store.create(path, layers=load_layers(), overwrite=True)
    gdf = synthetic_parcels(n)
    gdf["状态"] = "未启动"
    store.import_features(
        KEY, gdf, user="基准", source="合成", effective_date=dt.date(2022, 1, 1),
        recorded_at=dt.datetime(2022, 1, 1, 9, tzinfo=TZ),
    )  # fmt: skip
    rng = np.random.default_rng(16)
    ids = gdf["地块编号"].to_numpy()
    month = rng.integers(1, 13, n)
    moves = rng.random(n) < 0.5
    for m in range(1, 13):
        chosen = ids[moves & (month == m)]
        day = dt.date(2022, m, 20)
        status = "推进中" if m < 7 else "已完成"
        edits = [Edit(KEY, str(fid), {"状态": status}, day) for fid in chosen]
        store.apply_edits(
            edits, user="基准", source="合成进度",
            recorded_at=dt.datetime.combine(day + dt.timedelta(days=3), dt.time(17), tzinfo=TZ),
        )  # fmt: skip
    return time.perf_counter() - t0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fetch(url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = response.read()
    return time.perf_counter() - t0, len(body)


def _timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, timeout=1800)
    return time.perf_counter() - t0


def measure(store: Path, label: str, work: Path) -> None:
    import pyogrio

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ykgeo.cli", "serve", "--port", str(port), "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):  # at most 60 s
            try:
                _fetch(f"{url}/?f=json")
                break
            except OSError:
                time.sleep(0.2)
        items = f"{url}/collections/{KEY}/items?f=json&limit=1000"
        rows = []
        for name, link in (("now", items), ("as-of", f"{items}&datetime=2022-09-30")):
            first, size = _fetch(link)
            warm = statistics.median(_fetch(link)[0] for _ in range(5))
            rows.append((f"items?limit=1000 ({name}) first", first, ""))
            rows.append((f"items?limit=1000 ({name}) warm", warm, f"{size / 1e6:.2f} MB"))
        count = pyogrio.read_info(store, layer=KEY)["features"]
        ogr2ogr = shutil.which("ogr2ogr")
        if ogr2ogr:
            for page in (1000, 10000):
                out = work / f"oapif-{label}-{page}.gpkg"
                out.unlink(missing_ok=True)
                cmd = [
                    ogr2ogr,
                    "-f",
                    "GPKG",
                    "-oo",
                    f"PAGE_SIZE={page}",
                    str(out),
                    f"OAPIF:{url}",
                    KEY,
                ]
                rows.append(
                    (
                        f"full layer via OAPIF (ogr2ogr, page {page})",
                        _timed(cmd),
                        f"{count} features",
                    )
                )
            out = work / f"direct-{label}.gpkg"
            out.unlink(missing_ok=True)
            rows.append(
                (
                    "peer: ogr2ogr GPKG → GPKG",
                    _timed([ogr2ogr, "-f", "GPKG", str(out), str(store), KEY]),
                    "",
                )
            )
        t0 = time.perf_counter()
        pyogrio.read_dataframe(store, layer=KEY, use_arrow=True)
        rows.append(("peer: pyogrio.read_dataframe (GPKG)", time.perf_counter() - t0, ""))
        for name, seconds, note in rows:
            print(f"{label:>10}  {name:<44} {seconds:8.3f}  {note}", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default="100k", help="comma-separated synthetic sizes, e.g. 10k,100k"
    )
    parser.add_argument("--workdir", default="/tmp/ykgeo-bench-serve")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    print(f"{'store':>10}  {'step':<44} {'seconds':>8}  note", flush=True)
    with tempfile.TemporaryDirectory(prefix="ykgeo-bench-serve-") as tmp:
        demo = Path(tmp) / "demo.gpkg"
        shutil.copy(ROOT / "data" / "gis" / "yongkang-demo.gpkg", demo)
        measure(demo, "demo", work)
    for n in (_size(s) for s in args.sizes.split(",") if s.strip()):
        path = work / f"serve-{n}.gpkg"
        if args.rebuild or not path.exists():
            seconds = build(n, path)
            print(f"{n:>10}  {'build (import + 12 edit batches)':<44} {seconds:8.3f}", flush=True)
        measure(path, f"{n // 1000}k", work)
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
