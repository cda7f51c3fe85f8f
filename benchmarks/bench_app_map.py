"""The app's first features on the 地图 page for a store of 100k parcels, cold, beside a bare Streamlit page.

Usage::

    .venv/bin/python benchmarks/bench_app_map.py [--parcels 100000] [--runs 3] [--before DIR]

Builds a store of synthetic parcels (``tests.conftest.app_parcel_frame``, as
``bench_map.py``) once, then for each run starts ``streamlit run app.py`` on it and opens
``/map`` in headless Debian chromium: ``cold`` is the first visit after the server starts
(modules still to import, caches empty), ``warm`` a second visit. The time is from the
navigation start until the map's features are drawn (the map sets ``data-yk-ready``).
Beside it, from the same run: a bare Streamlit page (a title and a line of text, the
floor of any Streamlit app on this machine), cold and warm, and the machine's load.
For each server it also prints ``ready``: seconds from starting ``streamlit run`` until
its health check answers (the app imports its pages then, so time moved from the first
visit to the start shows there). ``--before DIR`` runs, in the same loop, the app of
another tree (an export of an earlier commit, ``git archive REV | tar -x -C DIR``) on the
same store, so before and after are measured side by side.
Medians over the runs; the goal is 3 s cold at 100k parcels.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_map import PARCELS, make_store
from bench_overview import _BARE_APP, ROOT, app_server, launch, server, visit

from tests.conftest import APP_CHROMIUM, app_parcel_frame

_MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"


def first_features(browser: object, url: str) -> float:
    """Seconds from navigation to /map until the map says its features are drawn."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    start = time.perf_counter()
    page.goto(f"{url}/map")
    page.wait_for_selector(_MAP_FRAME, timeout=300_000)
    frame = page.locator(_MAP_FRAME).element_handle().content_frame()
    frame.wait_for_selector("[data-yk-ready]", state="attached", timeout=300_000)
    seconds = time.perf_counter() - start
    page.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="server starts (each: cold, then warm)")
    parser.add_argument(
        "--before", type=Path, help="a tree of an earlier commit: its app measured in the same loop"
    )
    args = parser.parse_args()
    if not APP_CHROMIUM.exists():
        sys.exit(f"needs {APP_CHROMIUM}")
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="ykgeo-bench-app-map-"))
    store = work / "store.gpkg"
    bare = work / "bare.py"
    bare.write_text(_BARE_APP, encoding="utf-8")
    times: dict[tuple[str, str], list[float]] = {}
    try:
        start = time.perf_counter()
        make_store(store, app_parcel_frame(args.parcels, seed=args.parcels))
        print(
            f"store of {args.parcels:,} parcels ({PARCELS.key}) built in "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )
        with sync_playwright() as play:
            browser = launch(play)
            for run in range(args.runs):
                apps = [("ykgeo 地图", ROOT)]
                if args.before is not None:
                    apps.insert(0, ("before: ykgeo 地图", args.before.resolve()))
                for name, root in apps:
                    with app_server(store, work, root) as served:
                        times.setdefault((name, "ready"), []).append(served.ready_seconds)
                        for kind in ("cold", "warm"):
                            times.setdefault((name, kind), []).append(
                                first_features(browser, served.url)
                            )
                with server(bare) as served:
                    name = "bare Streamlit page"
                    times.setdefault((name, "ready"), []).append(served.ready_seconds)
                    for kind in ("cold", "warm"):
                        seconds = visit(browser, served.url, {"first": ".yk-done"})["first"]
                        times.setdefault((name, kind), []).append(seconds)
                load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
                print(f"run {run + 1}: load average {load}", flush=True)
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'page':<22} {'visit':<5} {'median s':>9}  runs")
    for (name, kind), values in times.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name:<22} {kind:<5} {statistics.median(values):>9.2f}  {runs}")


if __name__ == "__main__":
    main()
