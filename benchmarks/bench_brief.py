"""Benchmark: the whole-city briefing pack of the demo store, in seconds (target: under 30 s on 2 cores).

Usage::

    python benchmarks/bench_brief.py                 # as of 2022-12-31, changes since 2022-09-30
    python benchmarks/bench_brief.py --png           # also the 300-dpi PNG maps (timed apart)
    python benchmarks/bench_brief.py --as-of 2022-06-30 --no-since

Printed: the progress engine alone (the floor: every figure comes from it), the
whole pack (PDF written to a temporary folder) with its page count and size, and,
with ``--png``, the PNG maps at 300 dpi. The demo store is built in a temporary
folder when ``data/gis/yongkang-demo.gpkg`` is missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--as-of", default="2022-12-31")
    parser.add_argument("--since", default="2022-09-30")
    parser.add_argument("--no-since", action="store_true")
    parser.add_argument("--png", action="store_true", help="also time the 300-dpi PNG maps")
    parser.add_argument("--store", help="store to pack (default: the demo store)")
    args = parser.parse_args()

    from ykgeo.progress import progress_report
    from ykgeo.report import build_brief
    from ykgeo.store import DEMO_STORE, Store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = Path(args.store) if args.store else DEMO_STORE
        if not path.exists():
            from ykgeo.demo import build_demo

            print(f"demo store missing: building it in {folder}", file=sys.stderr)
            path = folder / "demo.gpkg"
            build_demo(path)
        store = Store(path)
        as_of = dt.date.fromisoformat(args.as_of)
        since = None if args.no_since else dt.date.fromisoformat(args.since)

        started = time.perf_counter()
        report = progress_report(store, as_of=as_of)
        engine = time.perf_counter() - started

        started = time.perf_counter()
        result = build_brief(store, as_of=as_of, since=since, output=folder / "brief.pdf")
        pack = time.perf_counter() - started
        size_mb = (folder / "brief.pdf").stat().st_size / 1e6

        print(f"store: {path.name}, {sum(store.count(k) for k in store.layer_keys())} features")
        print(f"as of {as_of}, since {since or '—'}: {len(report.rows)} targets")
        print(f"progress engine alone:       {engine:6.1f} s")
        print(
            f"whole-city pack (PDF):       {pack:6.1f} s  "
            f"({result.pages} pages, {len(result.map_pages)} maps, {size_mb:.1f} MB)"
        )
        if args.png:
            started = time.perf_counter()
            result = build_brief(
                store, as_of=as_of, since=since, output=folder / "b.pdf", png_dir=folder / "png"
            )
            both = time.perf_counter() - started
            print(
                f"pack + PNG maps at 300 dpi:  {both:6.1f} s  ({len(result.png_files)} PNG, "
                f"{sum(p.stat().st_size for p in result.png_files) / 1e6:.1f} MB)"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory:                 {peak:6.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
