"""The Streamlit app in headless Debian chromium: pages, map, rasters, as-of date, editing, roles, import, export, briefing, English.

The app runs on localhost (fixture ``app_server``) on a copy of the demo store, or a
synthetic store while the demo store is not built. Every test's page fails the test if a
request leaves localhost, a dialog opens (a script from the data ran) or JavaScript throws.
Screenshots go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.conftest import APP_EDITOR, APP_HOSTILE_NAME, APP_SCREENSHOTS, APP_VIEWER
from tests.ui.helpers import (
    MENU,
    PAGES,
    PARCELS,
    choose,
    expect_card,
    go,
    map_frame,
    map_point,
    no_exceptions,
    not_done_parcel,
    open_app,
    open_feature,
    open_layers,
    open_legend,
    set_as_of,
    sha256,
    shot,
    sign_in,
    wait_idle,
)
from ykgeo.layers import parse_plan
from ykgeo.plan import plan_data, plan_to_toml
from ykgeo.progress import progress_report
from ykgeo.store import Store, now
from ykgeo.ui.overview import format_amount

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# --- tests ---------------------------------------------------------------------------------


def test_every_page_loads_without_error(app_page: Any) -> None:
    page = app_page
    open_app(page)
    for name, (_, title) in PAGES.items():
        if name != "overview":
            go(page, MENU[name])
        page.wait_for_selector(f"h1:has-text('{title}')", timeout=30_000)
        if name == "map":
            map_frame(page)
            page.wait_for_timeout(800)
        no_exceptions(page)
        shot(page, name)


def test_map_shows_features_quickly_and_offline(app_page: Any) -> None:
    page = app_page
    open_app(page, "map")  # warm: loaders cached
    page.goto(f"{page.app['url']}/map")
    frame = map_frame(page)
    # from the page's load event to the features drawn on the map
    loaded = page.evaluate("() => performance.timing.loadEventEnd")
    seconds = (frame.evaluate("() => YK.stats.readyAt") - loaded) / 1000
    wait_idle(page)
    count = int(frame.locator("[data-yk-ready]").get_attribute("data-yk-features"))
    drawn = frame.evaluate("() => YK.featureCount()")
    store = Store(page.app["store"])
    assert count >= store.count(PARCELS) or count >= 1000
    assert drawn >= count
    assert seconds < 3.0, f"first features after {seconds:.1f} s"
    # Leaflet and the runtime came from the app itself
    scripts = frame.evaluate("() => [...document.scripts].map(s => s.src).filter(Boolean)")
    assert any(s.endswith("/leaflet/leaflet.js") for s in scripts)
    assert all(s.startswith(page.app["url"]) for s in scripts)
    assert frame.evaluate("() => window.L.version") == "1.9.4"
    # legend and grouped layer control are on the map, out of the way until opened: the
    # layer control collapsed, the legend folded on a narrow map
    assert "图例" in frame.locator(".yk-legend").inner_text()
    expect(frame.locator(".yk-layers-panel")).to_be_hidden()
    width = frame.evaluate("() => YK.maps[0].getSize().x")
    legend_toggle = frame.locator(".yk-legend-toggle")
    assert legend_toggle.get_attribute("title") == "图例"
    assert legend_toggle.get_attribute("aria-expanded") == ("true" if width >= 700 else "false")
    open_legend(frame)
    assert "低效工业用地" in frame.locator(".yk-legend").inner_text()
    open_layers(frame)
    themes = frame.locator(".yk-layers-theme").all_inner_texts()
    assert "土地" in themes and "参考" in themes


def test_hostile_name_is_shown_as_text(app_page: Any) -> None:
    page = app_page
    store = Store(page.app["store"])
    parcels = store.read_layer(PARCELS)
    fid = parcels.index[parcels["企业名称"] == APP_HOSTILE_NAME][0]
    open_app(page, "map")
    frame, x, y = map_point(page, fid)
    page.mouse.move(x, y)
    frame.wait_for_selector(".yk-tooltip", timeout=5000)
    assert APP_HOSTILE_NAME in frame.locator(".yk-tooltip").inner_text()
    assert frame.locator(".yk-tooltip img").count() == 0
    page.mouse.click(x, y)
    frame.wait_for_selector(".yk-popup", timeout=5000)
    assert APP_HOSTILE_NAME in frame.locator(".yk-popup").inner_text()
    assert "面积（亩，椭球）" in frame.locator(".yk-popup").inner_text()  # the official area
    # the click selects the feature: details beside the map, as text
    detail = page.locator(".st-key-ykgeo_map_detail")
    expect(detail).to_contain_text(APP_HOSTILE_NAME, timeout=20_000)  # filled after the rerun
    wait_idle(page)
    assert "面积（亩，椭球）" in detail.inner_text()
    assert page.locator(".st-key-ykgeo_map_detail img").count() == 0
    shot(page, "map_selected")


def test_as_of_date_drives_the_overview(app_page: Any) -> None:
    page = app_page
    store = Store(page.app["store"])
    days = [dt.date(2022, 6, 30), dt.date(2022, 9, 30)]
    reports = [progress_report(store, as_of=d, year=2022) for d in days]
    changed = [
        r.key
        for r, s in zip(reports[0].rows, reports[1].rows, strict=True)
        if format_amount(r.done, r.decimals) != format_amount(s.done, s.decimals)
    ]
    assert changed, "the test store should have progress between the two dates"
    open_app(page)
    for day, report in zip(days, reports, strict=True):
        set_as_of(page, day)
        for row in report.rows:
            expect_card(page, row.key, format_amount(row.done, row.decimals))
    # a figure can be drilled into: the features behind it
    first = reports[1].rows[0]
    page.locator(f".st-key-ykgeo_card_{first.key}").get_by_role("button").click()
    drill = page.get_by_role("dialog")
    expect(drill).to_contain_text(f"构成明细：{first.name_zh}", timeout=30_000)
    no_exceptions(page)


def _plan_for_this_year(store: Store, year: int) -> None:
    """Give the store a draft plan for ``year`` (the 2022 targets, no milestones) unless it has one.

    A draft, so that the app still opens on the latest adopted year for the other tests.
    """
    if year in store.plan_years():
        return
    data = plan_data(store.plan(2022))
    data.update(year=year, name_zh=f"{year}年度目标（测试）", status="草案", carried_over=[])
    for target in data["targets"]:
        target.pop("milestones", None)
        target.pop("townships", None)
    plan = parse_plan(plan_to_toml(data), name="test", layers=store.layers, year=year)
    store.save_plan(plan, user="测试")


def test_editor_edit_changes_overview_and_log(app_page: Any) -> None:
    page = app_page
    path = page.app["store"]
    store = Store(path)
    today = now().date()
    _plan_for_this_year(store, today.year)  # a date only shows the plan of its own year
    target_key = next(r.key for r in progress_report(store, as_of=today).rows if r.layer == PARCELS)
    before = progress_report(store, as_of=today).row(target_key)
    fid = not_done_parcel(store, avoid=APP_HOSTILE_NAME)
    open_app(page)
    sign_in(page, *APP_EDITOR)
    set_as_of(page, today)
    expect_card(page, target_key, format_amount(before.done, before.decimals))
    go(page, "编辑")
    open_feature(page, fid)
    form = page.locator("[data-testid='stForm']")
    choose(form, "状态", "已完成")
    done_box = form.locator("[data-testid='stDateInput'] input").first
    done_box.focus()
    done_box.fill(today.isoformat())
    done_box.press("Enter")
    done_box.press("Escape")
    form.get_by_label("修改说明（记入编辑日志）").fill("浏览器测试：整治完成")
    form.get_by_role("button", name="保存修改").click()
    wait_idle(page)
    assert "已保存" in page.locator("[data-testid='stAlert']").first.inner_text()
    shot(page, "edit_saved")
    log = Store(path).edit_log(layer=PARCELS, feature_id=fid)
    last = log[log["field"] == "状态"].iloc[-1]
    assert (last["user"], last["new_value"], last["note"]) == (
        APP_EDITOR[0],
        "已完成",
        "浏览器测试：整治完成",
    )
    after = progress_report(Store(path), as_of=today).row(target_key)
    assert after.done > before.done
    go(page, "总览")
    expect_card(page, target_key, format_amount(after.done, after.decimals))


def test_stale_edit_is_refused(app_page: Any) -> None:
    page = app_page
    path = page.app["store"]
    store = Store(path)
    fid = not_done_parcel(store, avoid=APP_HOSTILE_NAME)
    open_app(page)
    sign_in(page, *APP_EDITOR)
    go(page, "编辑")
    open_feature(page, fid)
    row = store.read_layer(PARCELS).loc[fid]
    version = int(row["ykgeo_version"])
    store.update_feature(
        PARCELS, fid, {"备注": "他人同时修改"}, user="他人", expected_version=version
    )
    form = page.locator("[data-testid='stForm']")
    choose(form, "状态", "未启动" if row["状态"] == "推进中" else "推进中")
    form.get_by_role("button", name="保存修改").click()
    wait_idle(page)
    assert "已被他人修改" in page.locator("[data-testid='stAlert']").first.inner_text()
    assert int(Store(path).read_layer(PARCELS).loc[fid, "ykgeo_version"]) == version + 1


def test_viewer_cannot_edit_or_import(app_page: Any) -> None:
    page = app_page
    open_app(page)
    sign_in(page, *APP_VIEWER)
    go(page, "编辑")
    assert "只读" in page.locator("[data-testid='stAlert']").first.inner_text()
    assert page.get_by_role("button", name="保存修改").count() == 0
    go(page, "导入")
    assert "只读" in page.locator("[data-testid='stAlert']").first.inner_text()
    assert page.locator("[data-testid='stFileUploader']").count() == 0


def _broken_geojson(path: Path) -> Path:
    bowtie = [[[120.04, 28.89], [120.05, 28.90], [120.05, 28.89], [120.04, 28.90], [120.04, 28.89]]]
    square = [[[120.06, 28.89], [120.07, 28.89], [120.07, 28.90], [120.06, 28.90], [120.06, 28.89]]]
    features = [
        {"type": "Feature", "properties": {"地块编号": "BAD-1", "企业名称": "甲厂", "所属镇街": "东城街道", "状态": "已搞定"},
         "geometry": {"type": "Polygon", "coordinates": square}},
        {"type": "Feature", "properties": {"地块编号": "BAD-2", "所属镇街": "东城街道", "状态": "未启动"},
         "geometry": {"type": "Polygon", "coordinates": bowtie}},
        {"type": "Feature", "properties": {"地块编号": "BAD-2", "企业名称": "丙厂", "所属镇街": "东城街道", "状态": "推进中"},
         "geometry": {"type": "Polygon", "coordinates": square}},
    ]  # fmt: skip
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def test_import_of_a_broken_file_shows_errors_and_changes_nothing(
    app_page: Any, tmp_path: Path
) -> None:
    page = app_page
    path = page.app["store"]
    before = sha256(path)
    open_app(page)
    sign_in(page, *APP_EDITOR)
    go(page, "导入")
    choose(page, "导入到图层", "土地 · 低效工业用地（low_efficiency_industrial）")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        str(_broken_geojson(tmp_path / "坏数据.geojson"))
    )
    wait_idle(page)
    page.get_by_role("button", name="校验").click()
    wait_idle(page)
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "不能导入" in text
    assert page.get_by_role("button", name="导入到项目库").count() == 0
    shot(page, "import_report")
    # a zip member climbing out of the folder is refused before anything is read
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../evil.shp", b"x")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(evil))
    wait_idle(page)
    page.get_by_role("button", name="校验").click()
    wait_idle(page)
    assert "路径不安全" in page.locator("[data-testid='stMain']").inner_text()
    assert sha256(path) == before


def _download_parcels(page: Any, out: Path, *, fmt: str | None = None) -> Store:
    """On 导出, download the parcels layer (in ``fmt`` if given) to ``out``; the app's store."""
    open_app(page)
    go(page, "导出")
    store = Store(page.app["store"])
    choose(page, "图层", f"土地 · 低效工业用地（{store.count(PARCELS):,}）")
    if fmt is not None:
        choose(page, "格式", fmt)
    button = page.get_by_role("button", name=re.compile("^下载 低效工业用地_"))
    with page.expect_download() as info:
        button.click()
    # a Chinese file name with the date
    assert re.fullmatch(
        r"低效工业用地_\d{4}-\d{2}-\d{2}\.(geojson|gpkg)", info.value.suggested_filename
    ), info.value.suggested_filename
    info.value.save_as(out)
    return store


def test_exported_geojson_has_every_selected_feature(app_page: Any, tmp_path: Path) -> None:
    page = app_page
    out = tmp_path / "export.geojson"
    store = _download_parcels(page, out)
    data = json.loads(out.read_text(encoding="utf-8"))
    as_of = dt.date.fromisoformat(
        page.locator(
            "[data-testid='stSidebar'] [data-testid='stDateInput'] input"
        ).first.input_value()
    )
    expected = (
        store.read_layer(PARCELS, as_of=as_of)
        if as_of < now().date()
        else store.read_layer(PARCELS)
    )
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == len(expected)
    assert {f["properties"]["地块编号"] for f in data["features"]} == set(expected.index)
    assert "crs" not in data
    props = [f["properties"] for f in data["features"] if f["properties"].get("完成日期")]
    assert props and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", p["完成日期"]) for p in props)
    assert all(isinstance(f["properties"]["面积（亩）"], float) for f in data["features"])


def test_exported_geopackage_carries_the_layers_style(app_page: Any, tmp_path: Path) -> None:
    import sqlite3

    out = tmp_path / "export.gpkg"
    store = _download_parcels(app_page, out, fmt="GeoPackage")
    with sqlite3.connect(out) as conn:
        rows = conn.execute(
            "SELECT f_table_name, styleName, useAsDefault, styleQML FROM layer_styles"
        ).fetchall()
    assert [r[:3] for r in rows] == [(PARCELS, "ykgeo", 1)]
    colours = store.spec(PARCELS).style.status_colors.values()
    qml = rows[0][3]
    assert 'attr="状态"' in qml
    for colour in colours:
        rgb = ",".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
        assert f'value="{rgb},' in qml, colour


def test_gcj02_basemap_lands_within_metres(app_browser: Any, tmp_path: Path) -> None:
    """AMap tiles are laid out so the tile content for a place appears on that place's WGS84 position.

    The display of the tiles is shifted by the GCJ-02 offset (the data are never moved): the
    layer by the offset at the view centre, each tile by the difference at its own centre. A
    place lands within about a pixel anywhere in the view, a few metres at most when zoomed in.
    """
    from ykgeo import maps
    from ykgeo.crs import wgs84_to_gcj02

    settings = maps.MapSettings(basemap="amap", asset_url=maps.ASSET_DIR.as_uri() + "/")
    html = maps.map_html(maps.build_map([], settings=settings, bounds=(120.0, 28.85, 120.1, 28.95)))
    page_path = tmp_path / "amap.html"
    page_path.write_text(html, encoding="utf-8")
    page = app_browser.new_page(viewport={"width": 1000, "height": 800})
    tiles: list[str] = []

    # a blank but valid tile: an empty answer is a failed tile, and the map would (rightly)
    # fall back to the offline basemap
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    )

    def blank(route: Any) -> None:
        tiles.append(route.request.url)
        route.fulfill(status=200, body=png, content_type="image/png")

    page.route(re.compile(r"https?://.*"), blank)  # never leave the machine
    page.goto(page_path.as_uri())
    page.wait_for_selector("[data-yk-ready]")
    points = [(120.0425, 28.8908), (120.07, 28.92), (120.02, 28.87)]
    gcj = [tuple(float(v) for v in wgs84_to_gcj02(x, y)) for x, y in points]
    js_gcj = page.evaluate("(pts) => pts.map(p => YK.wgs84ToGcj02(p[0], p[1]))", points)
    assert np.allclose(js_gcj, gcj, atol=1e-9, rtol=0)
    for zoom in (11, 13, 15, 17):
        errors = page.evaluate(
            """([centre, zoom]) => {
              const m = YK.maps[0];
              m.setView([centre[1], centre[0]], zoom, {animate: false});
              let layer = null; m.eachLayer(l => { if (l instanceof L.TileLayer) layer = l; });
              const level = layer._levels[layer._tileZoom];
              const t = /translate3d\\((-?[\\d.]+)px, (-?[\\d.]+)px/.exec(level.el.style.transform);
              const shift = L.point(parseFloat(t[1]), parseFloat(t[2]));
              const size = m.getSize();
              const probes = [[0.5, 0.5], [0.25, 0.25], [0.75, 0.75], [0.1, 0.9]];
              return probes.map(([fx, fy]) => {
                const p = m.containerPointToLatLng([size.x * fx, size.y * fy]);
                const g = YK.wgs84ToGcj02(p.lng, p.lat);
                const want = m.latLngToLayerPoint(p);
                const gp = m.project([g[1], g[0]], layer._tileZoom);
                const coords = gp.divideBy(256).floor(); coords.z = layer._tileZoom;
                const drawn = gp.subtract(coords.scaleBy(L.point(256, 256))).add(layer._getTilePos(coords)).add(shift);
                return [m.distance(m.layerPointToLatLng(want), m.layerPointToLatLng(drawn)), want.distanceTo(drawn)];
              });
            }""",
            [list(points[0]), zoom],
        )
        metres = [e[0] for e in errors]
        pixels = [e[1] for e in errors]
        assert max(pixels) < 1.5, (zoom, errors)  # anywhere in the view: within a pixel or so
        if zoom >= 15:
            assert max(metres) < 5.0, (zoom, errors)
    assert tiles and all("autonavi.com" in t for t in tiles)
    page.close()


def test_title_is_drawn_in_a_cjk_font_not_boxes(app_page: Any) -> None:
    """Chinese must not render as empty boxes: a CJK font is installed and the title's glyphs differ."""
    if shutil.which("fc-list"):
        fonts = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
        )
        assert fonts.stdout.strip(), "no CJK font installed (apt-get install fonts-noto-cjk)"
    page = app_page
    open_app(page, "map")
    title = page.locator("h1").first
    assert title.inner_text().strip() == "项目地图"
    path = APP_SCREENSHOTS / "title_map.png"
    APP_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    title.screenshot(path=str(path))
    glyphs = page.evaluate(
        """() => {
          const h = document.querySelector('h1');
          const range = document.createRange();
          const text = h.querySelector('span') || h;
          const node = [...text.childNodes].find(n => n.nodeType === 3) || text.firstChild;
          const out = [];
          for (let i = 0; i < node.textContent.length; i++) {
            range.setStart(node, i); range.setEnd(node, i + 1);
            const r = range.getBoundingClientRect();
            out.push([r.x, r.y, r.width, r.height]);
          }
          return out;
        }"""
    )
    assert len(glyphs) == 4
    shot_bytes = page.screenshot()
    from io import BytesIO

    from PIL import Image

    image = np.asarray(Image.open(BytesIO(shot_bytes)).convert("L"), dtype=np.float64)
    cells = []
    for x, y, w, h in glyphs:
        cell = image[int(y) : int(y + h), int(x) : int(x + w)]
        cells.append((cell < 128).astype(np.float64))
    size = min(c.shape[1] for c in cells)
    cells = [c[:, :size] for c in cells]
    ink = [c.mean() for c in cells]
    assert min(ink) > 0.02, f"a glyph cell is blank: {ink}"
    # four different characters: their pixels differ pairwise (boxes would be identical)
    for i in range(4):
        for j in range(i + 1, 4):
            assert np.abs(cells[i] - cells[j]).mean() > 0.05, (i, j)


# --- raster overlays, briefing pack, English ------------------------------------------------


def _raster_name(store: Path) -> str:
    rasters = sorted((Path(store).parent / "rasters").glob("*.tif"))
    assert rasters, "the test server offers rasters beside its store"
    names = [r.name for r in rasters]
    return "landcover_2022.tif" if "landcover_2022.tif" in names else names[0]


def test_raster_overlay_switches_on_and_off_offline(app_page: Any) -> None:
    """A raster chosen on the map page is an image layer with its legend, switched like any layer."""
    from ykgeo import maps

    page = app_page
    name = _raster_name(page.app["store"])
    title = maps.raster_title(Path(page.app["store"]).parent / "rasters" / name)
    open_app(page, "map")
    map_frame(page)
    page.get_by_role("combobox", name="栅格叠加（影像证据）").click()
    page.get_by_role("option").filter(has_text=name).first.click()
    page.keyboard.press("Escape")
    wait_idle(page)
    frame = map_frame(page)
    images = frame.locator("img.leaflet-image-layer")
    expect(images).to_have_count(1, timeout=20_000)  # chosen: on
    # the image is in Leaflet's raster pane, decoded from the map itself (a data URL)
    info = frame.evaluate(
        """() => { const img = document.querySelector('img.leaflet-image-layer');
                   return {pane: img.parentElement.className, src: img.src.slice(0, 22),
                           ok: img.complete && img.naturalWidth > 0, key: img.dataset.ykRaster}; }"""
    )
    assert "leaflet-ykRaster-pane" in info["pane"]
    assert info["src"] == "data:image/png;base64,"
    assert info["ok"] and info["key"] == f"raster:{name}"
    open_legend(frame)
    legend = frame.locator(".yk-legend").inner_text()
    assert title in legend  # the raster's legend is drawn on the map
    # switched off and on again in the layer control, like any layer
    open_layers(frame)
    switch = frame.locator(f"input[data-layer='raster:{name}']")
    assert switch.is_checked()
    switch.uncheck()
    expect(images).to_have_count(0)
    assert title not in frame.locator(".yk-legend").inner_text()
    switch.check()
    expect(images).to_have_count(1)
    expect(images.first).to_be_visible()
    assert title in frame.locator(".yk-legend").inner_text()
    page.wait_for_timeout(500)
    shot(page, "map_raster")
    no_exceptions(page)


def test_briefing_pack_downloads_as_pdf(app_page: Any, tmp_path: Path) -> None:
    """The 汇报 page makes the pack only when asked (with a spinner), then offers it as a PDF."""
    import pypdfium2 as pdfium

    page = app_page
    store = Store(page.app["store"])
    spec = store.spec("townships")
    township = str(store.read_layer("townships")[spec.name_field].iloc[0])
    open_app(page)
    go(page, "汇报")
    assert page.locator(".st-key-ykgeo_brief_download").count() == 0  # nothing made yet
    choose(page, "范围", township)  # one township: quicker than the whole city
    as_of = dt.date.fromisoformat(
        page.locator(
            "[data-testid='stSidebar'] [data-testid='stDateInput'] input"
        ).first.input_value()
    )
    started = time.monotonic()
    page.get_by_role("button", name="生成简报").click()
    button = page.locator(".st-key-ykgeo_brief_download button")
    button.wait_for(timeout=120_000)
    seconds = time.monotonic() - started
    wait_idle(page)
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(f"_{township}.pdf")
    out = tmp_path / "brief.pdf"
    download.save_as(out)
    content = out.read_bytes()
    assert content.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(str(out))
    try:
        cover = pdf[0].get_textpage().get_text_range()
        pages = len(pdf)
    finally:
        pdf.close()
    assert f"统计日 {as_of.year}年{as_of.month}月{as_of.day}日" in cover  # the date asked for
    assert f"范围 {township}" in cover
    assert pages > 2
    kb = len(content) / 1024
    print(f"briefing pack for {township}: {kb:.0f} KB, {pages} pages, {seconds:.1f} s")
    shot(page, "brief")
    no_exceptions(page)


def test_english_switch_changes_the_chrome_not_the_data(app_page: Any) -> None:
    page = app_page
    open_app(page, "map")
    map_frame(page)
    set_as_of(page, dt.date(2022, 9, 30))
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("English", exact=True).click()
    expect(page.locator("h1").first).to_have_text("Project map", timeout=30_000)
    wait_idle(page)
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Overview" in nav and "Briefing" in nav and "总览" not in nav
    assert "Data as of" in sidebar.inner_text()
    # the session's choices hold, relabelled: same page, same as-of date, same layers
    box = sidebar.locator("[data-testid='stDateInput'] input").first
    assert box.input_value() == "2022-09-30"
    assert page.get_by_role("combobox", name="Township (zoom and filter)").input_value() == (
        "(all townships)"
    )
    chips = page.locator("[data-testid='stMultiSelect']").first
    expect(chips).to_contain_text("Low-efficiency industrial land")
    layers_chosen = chips.locator("[data-tag]").count()
    assert layers_chosen > 5
    # the map speaks English; layer names from the definitions, statuses (data) unchanged
    frame = map_frame(page)
    assert frame.locator(".yk-legend-toggle").get_attribute("title") == "Legend"
    open_legend(frame)
    legend = frame.locator(".yk-legend").inner_text()
    assert legend.startswith("Legend") and "Low-efficiency industrial land" in legend
    assert "已完成" in legend
    shot(page, "map_english")
    page.locator("[data-testid='stSidebarNav'] a", has_text="Overview").first.click()
    expect(page.locator("h1").first).to_have_text("Annual targets overview", timeout=30_000)
    wait_idle(page)
    show = page.get_by_role("button", name=re.compile(r"^Show the features"))
    expect(show.first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)
    no_exceptions(page)
    shot(page, "overview_english")
    sidebar.get_by_text("中文", exact=True).click()
    expect(page.locator("h1").first).to_have_text("年度目标总览", timeout=30_000)
    wait_idle(page)
    assert "总览" in page.locator("[data-testid='stSidebarNav']").inner_text()
    go(page, "地图")
    assert page.get_by_role("combobox", name="镇街（缩放并筛选）").input_value() == "（全部镇街）"
    chips = page.locator("[data-testid='stMultiSelect']").first
    expect(chips).to_contain_text("低效工业用地")
    assert chips.locator("[data-tag]").count() == layers_chosen
    no_exceptions(page)


def test_message_table_has_both_languages() -> None:
    from ykgeo.ui import i18n

    assert i18n.missing_placeholders() == {}
    texts = i18n.Texts("en")
    assert texts("map.title") == "Project map"
    assert i18n.Texts()("map.title") == "项目地图"
    assert texts("edit.saved", fid="X", n=2, version=3, user="u").startswith("Saved 2")


def test_import_offers_the_likely_crs_and_a_layer_choice(app_page: Any, tmp_path: Path) -> None:
    """Issue 14 / issue 12 item 13: a wrong .prj is explained in full, the GK CM120 system the
    numbers show is offered and, once taken, the file passes; a two-layer file offers its layers."""
    from tests.io.corpus_bureau import build_bureau_files

    build_bureau_files(tmp_path)
    shp = tmp_path / "GK米_标注WGS84" / "GK米_标注WGS84.shp"
    upload = tmp_path / "GK米_标注WGS84.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        for part in shp.parent.iterdir():
            archive.write(part, part.name)
    page = app_page
    open_app(page)
    sign_in(page, *APP_EDITOR)
    go(page, "导入")
    choose(page, "导入到图层", "土地 · 低效工业用地（low_efficiency_industrial）")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(upload))
    wait_idle(page)
    page.get_by_role("button", name="校验").click()
    wait_idle(page)
    alert = page.locator("[data-testid='stAlert']").filter(has_text="文件无法读取").first
    expect(alert).to_contain_text("EPSG:4549")  # the whole message, not a cut-off cell
    shot(page, "import_wrong_crs")
    page.get_by_role(
        "button", name=re.compile("^改用 CGCS2000 3° 高斯-克吕格 中央经线 120°E")
    ).click()
    wait_idle(page)
    expect(page.locator("[data-testid='stMain']")).to_contain_text("校验通过")
    assert page.get_by_role("button", name="导入到项目库").count() == 1
    # a GeoPackage with two layers: the layer is chosen on the page
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        str(tmp_path / "宗地与道路" / "宗地与道路.gpkg")
    )
    wait_idle(page)
    choose(page, "坐标系", "自动（按 .prj 或文件内的定义）")
    choose(page, "图层（文件内）", "宗地")
    page.get_by_role("button", name="校验").click()
    wait_idle(page)
    expect(page.locator("[data-testid='stMain']")).to_contain_text("校验通过")
    no_exceptions(page)
