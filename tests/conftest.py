"""Shared pytest fixtures. Fixtures for ykgeo.io / ykgeo.io.validate tests are prefixed ``io_``."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from tests._builders import PARCEL_STATUSES, field, layer_toml, write_layers
from ykgeo.layers import LayerSpec, load_layers

# --- ykgeo.io / ykgeo.io.validate ---------------------------------------------------------------------

#: A layer definition of its own, so io/validate tests do not move when layers/*.toml is edited.
IO_LAYER_TOML = layer_toml(
    "io_parcels",
    name_zh="测试地块",
    theme="土地",
    geometry_type="Polygon",
    id_field="地块编号",
    name_field="企业名称",
    township_field="所属镇街",
    ledger_area_field="用地面积（亩）",
    classification="GB/T 21010",
    code_field="地类编码",
    statuses=PARCEL_STATUSES,
    date_field="完成日期",
    fields=[
        field("地块编号", required=True, aliases=["DKBH", "编号"]),
        field("企业名称", required=True, aliases=["QYMC", "权利人"]),
        field("所属镇街", aliases=["SSZJ", "镇街"]),
        field("地类编码", aliases=["DLBM"], choices=["0601", "0602", "0604", "0508"]),
        field("地类名称", aliases=["DLMC"]),
        field("亩均税收（万元/亩）", "float", aliases=["亩均税收", "MJSS"]),
        field("用地面积（亩）", "float", unit="亩", aliases=["用地面积", "面积(亩)", "YDMJ"]),
        field("企业数", "int", aliases=["QYS"]),
        field("状态", required=True, aliases=["ZT", "status"]),
        field("完成日期", "date", aliases=["WCRQ", "完成时间"]),
        field("备注", aliases=["BZ"]),
    ],
)

#: 100 m squares in CGCS2000 / 3° GK CM 120°E (EPSG:4549) near the centre of Yongkang (120°E, 28.9°N).
IO_ORIGIN_4549 = (500_000.0, 3_198_185.8)


def _square(dx: float, dy: float, size: float = 100.0) -> shapely.Polygon:
    x0, y0 = IO_ORIGIN_4549
    return shapely.box(x0 + dx, y0 + dy, x0 + dx + size, y0 + dy + size)


@pytest.fixture(scope="session")
def io_square() -> Callable[..., shapely.Polygon]:
    """``io_square(dx, dy, size=100)``: a square in EPSG:4549, (dx, dy) m from the Yongkang origin."""
    return _square


@pytest.fixture(scope="session")
def io_spec(tmp_path_factory: pytest.TempPathFactory) -> LayerSpec:
    """The test layer definition, loaded through ``load_layers`` from a private directory."""
    folder = write_layers(tmp_path_factory.mktemp("io_layers"), io_parcels=IO_LAYER_TOML)
    return load_layers(folder)["io_parcels"]


@pytest.fixture
def io_parcels() -> gpd.GeoDataFrame:
    """Three non-overlapping parcels in EPSG:4549 with every field of :func:`io_spec` filled in."""
    return gpd.GeoDataFrame(
        {
            "地块编号": ["YK-001", "YK-002", "YK-003"],
            "企业名称": ["永康市某五金厂", "<img src=x onerror=alert(1)>", "浙江某某工贸有限公司"],
            "所属镇街": ["东城街道", "西城街道", "古山镇"],
            "地类编码": ["0601", "0601", "0508"],
            "地类名称": ["工业用地", "工业用地", "物流仓储用地"],
            "亩均税收（万元/亩）": [1.25, 0.5, None],
            "用地面积（亩）": [15.0, 15.0, 60.0],
            "企业数": pd.array([1, 2, None], dtype="Int64"),
            "状态": ["未启动", "推进中", "已完成"],
            "完成日期": [None, None, dt.date(2022, 5, 1)],
            "备注": ["永康市", None, "第二行\n有换行"],
        },
        geometry=[_square(0, 0), _square(200, 0), _square(400, 0, size=200)],
        crs=4549,
    )


@pytest.fixture
def io_boundary() -> shapely.Polygon:
    """A stand-in city boundary in EPSG:4490: a box of about 20 km around the test parcels."""
    return shapely.box(119.9, 28.8, 120.1, 29.0)


@pytest.fixture
def io_write_shapefile(tmp_path: Path) -> Callable[..., Path]:
    """``io_write_shapefile(gdf, name, encoding=)``: write ``tmp_path/name.shp`` with pyogrio."""

    def _write(gdf: gpd.GeoDataFrame, name: str = "parcels", *, encoding: str = "UTF-8") -> Path:
        path = tmp_path / f"{name}.shp"
        with warnings.catch_warnings():
            # Files without a .prj are written on purpose to test CRS detection.
            warnings.filterwarnings(
                "ignore", message="'crs' was not provided", category=UserWarning
            )
            pyogrio.write_dataframe(gdf, path, encoding=encoding)
        return path

    return _write


@pytest.fixture()
def store_path(tmp_path: Path) -> Path:
    """A copy of the demo store to run commands on (fails when the demo store is missing)."""
    import shutil

    from ykgeo.store import DEMO_STORE

    if not DEMO_STORE.exists():
        pytest.fail("the demo store data/gis/yongkang-demo.gpkg is missing")
    path = tmp_path / "store.gpkg"
    shutil.copy(DEMO_STORE, path)
    return path


# --- the app, maps and auth (ykgeo.maps, ykgeo.auth, ykgeo.ui) -----------------------------------

#: The hostile name every app test store carries: it must show as text, never run.
APP_HOSTILE_NAME = "<img src=x onerror=alert(1)>"
#: Township names of the synthetic stores (the real 14 of Yongkang, laid out as a 2 × 7 grid).
APP_TOWNSHIPS = (
    "东城街道", "西城街道", "江南街道", "石柱镇", "前仓镇", "舟山镇", "古山镇",
    "方岩镇", "龙山镇", "西溪镇", "象珠镇", "唐先镇", "花街镇", "芝英镇",
)  # fmt: skip
_APP_BOX = (119.90, 28.78, 120.30, 29.06)


def app_township_frame() -> gpd.GeoDataFrame:
    """The 14 townships of the synthetic stores: a 2 × 7 grid over the test extent (EPSG:4490)."""
    x0, y0, x1, y1 = _APP_BOX
    dx, dy = (x1 - x0) / 7, (y1 - y0) / 2
    rows = []
    for n, name in enumerate(APP_TOWNSHIPS):
        r, c = divmod(n, 7)
        rows.append(
            {
                "统计用区划代码": f"330784{n + 1:03d}",
                "镇街名称": name,
                "类型": "街道" if name.endswith("街道") else "镇",
                "geometry": shapely.box(
                    x0 + c * dx, y0 + r * dy, x0 + (c + 1) * dx, y0 + (r + 1) * dy
                ),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4490)


def app_parcel_frame(n: int, *, seed: int = 2022, vertices: int = 12) -> gpd.GeoDataFrame:
    """``n`` synthetic low-efficiency parcels (irregular 40–120 m polygons) spread over the test extent.

    The first parcel is named :data:`APP_HOSTILE_NAME`. Statuses cycle 未启动/推进中/已完成 at
    random; done ones have a 完成日期 in the first half of 2022.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = _APP_BOX
    cx = rng.uniform(x0 + 0.01, x1 - 0.01, n)
    cy = rng.uniform(y0 + 0.01, y1 - 0.01, n)
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radius = rng.uniform(0.0004, 0.0012, (n, 1)) * rng.uniform(0.75, 1.0, (n, vertices))
    xs = cx[:, None] + radius * np.cos(angles)[None, :]
    ys = cy[:, None] + radius * np.sin(angles)[None, :] * 0.9
    ring = np.stack([xs, ys], axis=-1)
    ring = np.concatenate([ring, ring[:, :1, :]], axis=1)
    geoms = shapely.polygons(ring)
    status = rng.choice(["未启动", "推进中", "已完成"], n, p=[0.4, 0.3, 0.3])
    done_day = [
        (dt.date(2022, 1, 10) + dt.timedelta(days=int(d))).isoformat() if s == "已完成" else None
        for s, d in zip(status, rng.integers(0, 170, n), strict=True)
    ]
    towns = app_township_frame()
    tree = shapely.STRtree(towns.geometry.to_numpy())
    idx_pt, idx_tw = tree.query(shapely.points(cx, cy), predicate="within")
    township = np.full(n, APP_TOWNSHIPS[0], dtype=object)
    township[idx_pt] = towns["镇街名称"].to_numpy()[idx_tw]
    names = [f"永康市第{i + 1}五金厂" for i in range(n)]
    if n:
        names[0] = APP_HOSTILE_NAME
    return gpd.GeoDataFrame(
        {
            "地块编号": [f"DK{i + 1:06d}" for i in range(n)],
            "企业名称": names,
            "所属镇街": township,
            "地类编码": "0601",
            "用地面积（亩）": np.round(rng.uniform(5, 30, n), 2),
            "状态": status,
            "完成日期": done_day,
        },
        geometry=geoms,
        crs=4490,
    )


def app_build_store(path: Path, *, parcels: int = 300, seed: int = 2022) -> Path:
    """A small but complete store for the app: boundary, townships, parcels, roads, reservoirs, history.

    Everything is recorded on 2022-01-01; then, through the edit log, ten parcels are
    done on 2022-07-15 (recorded that day) so that figures differ between 2022-06-30
    and 2022-09-30.
    """
    from ykgeo.layers import load_plan
    from ykgeo.store import TZ, Store

    store = Store.create(path, plans=[load_plan(2022)])
    day0 = dt.date(2022, 1, 1)
    t0 = dt.datetime(2022, 1, 1, 9, tzinfo=TZ)
    common = {"user": "测试", "source": "测试数据", "effective_date": day0, "recorded_at": t0}
    x0, y0, x1, y1 = _APP_BOX
    boundary = gpd.GeoDataFrame(
        {"行政区划代码": ["330784"], "名称": ["永康市"]},
        geometry=[shapely.box(x0, y0, x1, y1)],
        crs=4490,
    )
    store.import_features("city_boundary", boundary, **common)
    store.import_features("townships", app_township_frame(), **common)
    parcels_gdf = app_parcel_frame(parcels, seed=seed)
    parcels_gdf.loc[parcels_gdf["完成日期"].notna(), "完成日期"] = "2021-12-20"
    store.import_features("low_efficiency_industrial", parcels_gdf, **common)
    line = shapely.LineString([(119.95, 28.90), (120.05, 28.91), (120.15, 28.93)])
    roads = gpd.GeoDataFrame(
        {
            "项目编号": ["DL-01"],
            "项目名称": ["南四环（五金大道–丽州南路）"],
            "起点桩号": ["K0+000"],
            "终点桩号": ["K20+000"],
            "建设阶段": ["在建"],
            "所属镇街": ["东城街道"],
        },
        geometry=[line],
        crs=4490,
    )
    store.import_features("road_projects", roads, **common)
    sections = gpd.GeoDataFrame(
        {
            "路段编号": ["DL-01-1", "DL-01-2"],
            "所属项目": ["DL-01", "DL-01"],
            "路段名称": ["一标段", "二标段"],
            "起点桩号": ["K0+000", "K9+700"],
            "终点桩号": ["K9+700", "K20+000"],
            "所属镇街": ["东城街道", "江南街道"],
            "状态": ["已建成", "施工中"],
            "完成日期": ["2021-12-01", None],
        },
        geometry=[
            shapely.LineString([(119.95, 28.90), (120.05, 28.91)]),
            shapely.LineString([(120.05, 28.91), (120.15, 28.93)]),
        ],
        crs=4490,
    )
    store.import_features("road_sections", sections, **common)
    reservoirs = gpd.GeoDataFrame(
        {
            "注册登记号": [f"SK{i:03d}" for i in range(1, 6)],
            "水库名称": [f"第{i}水库" for i in range(1, 6)],
            "规模": "小(1)型",
            "项目类型": "提能保安",
            "所属镇街": ["古山镇", "方岩镇", "龙山镇", "西溪镇", "舟山镇"],
            "状态": ["前期", "在建", "完工", "验收", "在建"],
        },
        geometry=shapely.points([(119.95 + 0.06 * i, 28.82 + 0.04 * i) for i in range(5)]),
        crs=4490,
    )
    store.import_features("reservoirs", reservoirs, **common)
    todo = parcels_gdf[parcels_gdf["状态"] != "已完成"].index[:10]
    t1 = dt.datetime(2022, 7, 15, 10, tzinfo=TZ)
    for fid in parcels_gdf.loc[todo, "地块编号"]:
        store.update_feature(
            "low_efficiency_industrial",
            fid,
            {"状态": "已完成", "完成日期": "2022-07-15"},
            user="测试",
            expected_version=None,
            effective_date=dt.date(2022, 7, 15),
            recorded_at=t1,
        )
    return path


def app_write_landcover(path: Path, *, label: str = "人造地表", size: int = 200) -> Path:
    """A small categorical GeoTIFF over the test extent (EPSG:4490): classes 10 (耕地), 20 (林地), 80.

    Class 80 is labelled ``label`` in the raster's class tag (e.g. :data:`APP_HOSTILE_NAME`,
    which the map legend must show as text). Written with rasterio, with a colour table.
    """
    import numpy as np
    import rasterio
    from rasterio.transform import from_bounds

    x0, y0, x1, y1 = _APP_BOX
    data = np.full((size, size), 10, dtype="uint8")
    data[: size // 2, :] = 20
    data[size // 3 : size // 2, size // 3 : size // 2] = 80
    data[:5, :5] = 0  # nodata
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path, "w", driver="GTiff", width=size, height=size, count=1, dtype="uint8",
        crs="EPSG:4490", transform=from_bounds(x0, y0, x1, y1, size, size), nodata=0,
    ) as dst:  # fmt: skip
        dst.write(data, 1)
        dst.update_tags(YKGEO_CLASSES=f"10=耕地;20=林地;80={label}")
        colours = {10: (243, 224, 122, 255), 20: (27, 122, 62, 255), 80: (217, 65, 43, 255)}
        dst.write_colormap(1, colours)
        dst.set_band_description(1, "地类（测试）")
    return path


@pytest.fixture(scope="session")
def app_small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic store (300 parcels, roads, reservoirs, one hostile name) built once per session."""
    return app_build_store(tmp_path_factory.mktemp("app_store") / "small.gpkg")


# --- the app in a real browser (tests/test_app_browser.py) ---------------------------------------

APP_CHROMIUM = Path("/usr/bin/chromium")
APP_CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APP_ROOT = Path(__file__).resolve().parent.parent
APP_DEMO_STORE = APP_ROOT / "data" / "gis" / "yongkang-demo.gpkg"
APP_SCREENSHOTS = APP_ROOT / "test-output" / "screenshots"
#: Accounts of the browser tests' users file.
APP_EDITOR = ("bianji", "editor-secret-1")
APP_VIEWER = ("chakan", "viewer-secret-1")


def app_require_browser() -> None:
    """Skip (locally) or fail (CI=true) when Debian's chromium or Playwright is missing."""
    import os

    problem = ""
    if not APP_CHROMIUM.exists():
        problem = f"{APP_CHROMIUM} not found (apt-get install chromium fonts-noto-cjk)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed"
    if problem:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"browser tests cannot run in CI: {problem}")
        pytest.skip(f"browser tests need a browser: {problem}")


def stop_process(proc: Any, *, timeout: float) -> None:
    """Stop a server a test started (terminate, then kill if it lingers), and reap it."""
    import subprocess

    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _app_free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_add_hostile(path: Path) -> None:
    """Give a copy of the demo store a parcel with the hostile name, recorded at the start of 2022."""
    from ykgeo.crs import YONGKANG_CENTRE
    from ykgeo.store import TZ, Store

    store = Store(path)
    frame = app_parcel_frame(1)
    x, y = YONGKANG_CENTRE
    frame.geometry = [shapely.box(x, y, x + 0.002, y + 0.0015)]
    frame["地块编号"] = ["XSS-0001"]
    store.import_features(
        "low_efficiency_industrial",
        frame,
        user="测试",
        source="测试数据",
        effective_date=dt.date(2022, 1, 1),
        recorded_at=dt.datetime(2022, 1, 1, 9, tzinfo=TZ),
    )


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``streamlit run app.py`` on a free localhost port, on a copy of the demo store (or a synthetic one).

    Yields ``url``, ``store`` (the copy the app uses), ``users`` and ``demo`` (whether the
    demo store is behind it). The server is stopped at the end of the session.
    """
    import shutil

    from ykgeo.auth import add_user

    app_require_browser()
    folder = tmp_path_factory.mktemp("app_server")
    store = folder / "store.gpkg"
    demo = APP_DEMO_STORE.exists()
    if demo:
        shutil.copyfile(APP_DEMO_STORE, store)
        app_add_hostile(store)
    else:
        app_build_store(store)
    # the map page offers the rasters in ``rasters/`` beside the store
    rasters = APP_DEMO_STORE.parent / "rasters"
    demo_rasters = sorted(rasters.glob("*.tif")) if demo else []
    for tif in demo_rasters:
        (folder / "rasters").mkdir(exist_ok=True)
        shutil.copyfile(tif, folder / "rasters" / tif.name)
    if not demo_rasters:
        app_write_landcover(folder / "rasters" / "landcover_test.tif")
    users = folder / "users.toml"
    add_user(users, APP_EDITOR[0], role="editor", password=APP_EDITOR[1], display_name="编辑员")
    add_user(users, APP_VIEWER[0], role="viewer", password=APP_VIEWER[1], display_name="查看员")
    with app_running(folder, store, users) as running:
        yield {**running, "demo": demo}


@contextmanager
def app_running(folder: Path, store: Path, users: Path, *options: str) -> Iterator[dict[str, Any]]:
    """``streamlit run app.py -- --store STORE --users USERS OPTIONS…`` on a free localhost port.

    Yields ``url``, ``store``, ``users``, ``log`` (the server's output) and ``pid``; the
    server is stopped on leaving.
    """
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    port = _app_free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YKGEO_")}
    log_path = folder / "streamlit.log"
    log = log_path.open("w")
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP_ROOT / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--", "--store", str(store), "--users", str(users), *options,
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=APP_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("streamlit did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.3)
        yield {"url": url, "store": store, "users": users, "log": log_path, "pid": proc.pid}
    finally:
        stop_process(proc, timeout=15)
        log.close()


@pytest.fixture(scope="session")
def app_browser() -> Iterator[Any]:
    """Headless Debian chromium driven by Playwright, for the whole session."""
    app_require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser = play.chromium.launch(
            executable_path=str(APP_CHROMIUM), headless=True, args=APP_CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def app_page(app_browser: Any, app_server: dict[str, Any]) -> Iterator[Any]:
    """A fresh browser page; after the test, no request may have left the app and no dialog opened."""
    with app_page_on(app_browser, app_server) as page:
        yield page


@contextmanager
def app_page_on(browser: Any, server: dict[str, Any]) -> Iterator[Any]:
    """A fresh page on ``server``; on leaving, asserts that every request went to the app itself
    (not even another port of this machine), that no dialog opened (no script from the data
    ran) and that JavaScript threw nothing. ``page.app`` holds the lists and the server's keys."""
    from urllib.parse import urlsplit

    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    outside: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []
    origin = urlsplit(server["url"]).netloc

    def on_request(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != origin:
            outside.append(request.url)

    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("request", on_request)
    page.on("dialog", on_dialog)
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.app = {"outside": outside, "dialogs": dialogs, "errors": errors, **server}
    try:
        yield page
    finally:
        context.close()
    assert outside == [], f"requests left the app: {outside[:5]}"
    assert dialogs == [], f"a dialog opened (script ran): {dialogs}"
    assert errors == [], f"JavaScript errors: {errors[:5]}"


# --- QGIS (Debian's qgis + python3-qgis, run by /usr/bin/python3 in a subprocess) --------------

#: The Python that has QGIS's bindings (Debian's python3-qgis), not the project's venv.
QGIS_PYTHON = Path("/usr/bin/python3")
QGIS_PROBE = Path(__file__).resolve().parent / "qgis_probe.py"


def _in_ci() -> bool:
    import os

    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def qgis() -> Callable[..., dict[str, Any]]:
    """Ask QGIS (see ``tests/qgis_probe.py``): ``qgis(do="layers", path=..., layers=[...])`` → its answer.

    Skips locally, fails in CI (CI=true), when QGIS's Python bindings are missing.
    """
    import json
    import os
    import subprocess

    problem = ""
    if not QGIS_PYTHON.exists():
        problem = f"{QGIS_PYTHON} not found"
    else:
        check = subprocess.run(
            [str(QGIS_PYTHON), "-c", "import qgis.core"],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            problem = "python3-qgis is not installed (apt-get install qgis python3-qgis)"
    if problem:
        if _in_ci():
            pytest.fail(f"QGIS tests cannot run in CI: {problem}")
        pytest.skip(f"QGIS tests need QGIS: {problem}")

    def ask(**request: Any) -> dict[str, Any]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update({"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": "/tmp/runtime-ykgeo-qgis"})
        Path(env["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, exist_ok=True)
        run = subprocess.run(
            [str(QGIS_PYTHON), str(QGIS_PROBE)],
            input=json.dumps(request, ensure_ascii=False, default=str),
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            check=False,
        )
        assert run.returncode == 0, f"QGIS probe failed ({run.returncode}): {run.stderr[-2000:]}"
        answer: dict[str, Any] = json.loads(run.stdout)
        return answer

    return ask
