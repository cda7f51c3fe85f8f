"""Map payload and browser time to first feature for 1k, 10k and 100k synthetic parcels.

Usage::

    .venv/bin/python benchmarks/bench_map.py [--sizes 1000 10000 100000] [--no-app] [--baseline]

For each size it prints:

* ``build s`` / ``HTML MB``: ykgeo.maps building the city-wide map (what the 地图 page shows
  first) and the size of its HTML;
* ``township MB``: the map narrowed to one township (the parcels themselves drawn);
* ``file→ready s``: headless chromium opening that HTML from disk until the features are on
  the map (``data-yk-ready``), and the number of features drawn;
* ``app cold s`` / ``app warm s``: through the app (``streamlit run app.py`` on a store of
  that size, st_folium in headless chromium), from page load until the map's features are
  drawn: first visit (caches empty) and a second visit;
* with ``--baseline``: folium's default (every feature inlined as GeoJSON, ``style_function``
  colouring) for 1k and 10k parcels, built and serialised in the same run.

Needs Debian's chromium at /usr/bin/chromium for the browser columns (skipped otherwise).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import (  # noqa: E402
    APP_CHROMIUM,
    APP_CHROMIUM_ARGS,
    app_parcel_frame,
    app_township_frame,
)
from ykgeo import maps  # noqa: E402
from ykgeo.layers import load_layers  # noqa: E402

LAYERS = load_layers()
PARCELS = LAYERS["low_efficiency_industrial"]


def build(frames: dict, settings: maps.MapSettings) -> tuple[float, str]:
    start = time.perf_counter()
    layers = maps.plan_map_layers(
        frames,
        LAYERS,
        settings=settings,
        townships=frames["townships"],
        township_name_field="镇街名称",
    )
    html = maps.map_html(maps.build_map(layers, settings=settings))
    return time.perf_counter() - start, html


def browser_file(html: str, browser) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "map.html"
        page_path.write_text(html, encoding="utf-8")
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.route("http*://**", lambda route: route.abort())  # nothing may leave the machine
        start = time.perf_counter()
        page.goto(page_path.as_uri())
        page.wait_for_selector("[data-yk-ready]", timeout=120_000)
        seconds = time.perf_counter() - start
        count = page.evaluate("() => YK.featureCount()")
        page.close()
    return seconds, count


def make_store(path: Path, parcels) -> None:
    from ykgeo.store import TZ, Store

    store = Store.create(path)
    when = {
        "effective_date": dt.date(2022, 1, 1),
        "recorded_at": dt.datetime(2022, 1, 1, 9, tzinfo=TZ),
    }
    store.import_features("townships", app_township_frame(), user="bench", source="bench", **when)
    store.import_features(
        "low_efficiency_industrial", parcels, user="bench", source="bench", **when
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def browser_app(store: Path, browser) -> tuple[float, float]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YKGEO_")}
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
           "--", "--store", str(store), "--users", str(store.with_suffix(".users.toml"))]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        times = []
        for _ in range(2):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            start = time.perf_counter()
            page.goto(f"{url}/map")
            page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=300_000)
            frame = (
                page.locator("iframe[title='streamlit_folium.st_folium']")
                .element_handle()
                .content_frame()
            )
            frame.wait_for_selector("[data-yk-ready]", timeout=300_000)
            times.append(time.perf_counter() - start)
            page.close()
        return times[0], times[1]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def baseline(parcels) -> tuple[float, int]:
    """folium's default: GeoJson with every feature and a style_function."""
    import folium

    colours = PARCELS.style.status_colors
    start = time.perf_counter()
    m = folium.Map(location=[28.9, 120.05], zoom_start=11)
    folium.GeoJson(
        parcels.reset_index(drop=True).to_json(),
        style_function=lambda f: {
            "fillColor": colours.get(f["properties"]["状态"], "#999"),
            "color": "#333",
        },
        tooltip=folium.GeoJsonTooltip(fields=["地块编号", "企业名称", "状态"]),
    ).add_to(m)
    html = m.get_root().render()
    return time.perf_counter() - start, len(html.encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument(
        "--no-app", action="store_true", help="skip the measurements through the app"
    )
    parser.add_argument(
        "--baseline", action="store_true", help="also time folium's default for ≤ 10k"
    )
    args = parser.parse_args()
    have_browser = APP_CHROMIUM.exists()
    play = browser = None
    if have_browser:
        from playwright.sync_api import sync_playwright

        play = sync_playwright().start()
        browser = play.chromium.launch(
            executable_path=str(APP_CHROMIUM), headless=True, args=APP_CHROMIUM_ARGS
        )
    settings = maps.MapSettings(asset_url=maps.ASSET_DIR.as_uri() + "/")
    towns = app_township_frame()
    header = f"{'parcels':>8} {'build s':>8} {'HTML MB':>8} {'township MB':>12} {'file→ready s':>13} {'drawn':>7} {'app cold s':>11} {'app warm s':>11}"
    print(header)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="ykgeo-bench-"))
    try:
        for n in args.sizes:
            parcels = app_parcel_frame(n, seed=n)
            seconds, html = build({"townships": towns, PARCELS.key: parcels}, settings)
            one = maps.filter_features(parcels, PARCELS, area=towns.geometry.iloc[3])
            _, html_one = build({"townships": towns, PARCELS.key: one}, settings)
            ready = drawn = float("nan")
            cold = warm = float("nan")
            if browser is not None:
                ready, drawn = browser_file(html, browser)
                if not args.no_app:
                    store = work / f"bench-{n}.gpkg"
                    make_store(store, parcels)
                    cold, warm = browser_app(store, browser)
            row = (
                n,
                seconds,
                len(html.encode()) / 1e6,
                len(html_one.encode()) / 1e6,
                ready,
                drawn,
                cold,
                warm,
            )
            rows.append(row)
            print(
                f"{n:>8,} {seconds:>8.2f} {row[2]:>8.2f} {row[3]:>12.2f} {ready:>13.2f} {drawn:>7} {cold:>11.2f} {warm:>11.2f}",
                flush=True,
            )
        if args.baseline:
            print("\nfolium default (GeoJson + style_function), same machine and run:")
            for n in [s for s in args.sizes if s <= 10_000]:
                seconds, size = baseline(app_parcel_frame(n, seed=n))
                print(f"{n:>8,} parcels: {seconds:6.2f} s, {size / 1e6:7.2f} MB of HTML")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if browser is not None:
            browser.close()
            play.stop()


if __name__ == "__main__":
    main()
