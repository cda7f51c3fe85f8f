"""地图 in the browser: above the fold, metric scale, search, measuring on the ellipsoid, print, fullscreen, legend vs popup, status groups, basemap failure."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from playwright.sync_api import expect

from tests.ui.helpers import (
    MAP_FRAME,
    PARCELS,
    map_frame,
    no_exceptions,
    open_app,
    open_legend,
    shot,
    wait_idle,
)
from ykgeo import maps
from ykgeo.area import area_mu, length_km
from ykgeo.crs import CGCS2000
from ykgeo.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _search(page: Any, text: str) -> None:
    box = page.get_by_label("搜索", exact=True)
    box.fill(text)
    box.press("Enter")
    wait_idle(page)
    page.get_by_role("combobox", name=re.compile("^找到")).click()
    page.get_by_role("option").first.click()
    wait_idle(page)


def _draw_polygon(page: Any, frame: Any, points: list[tuple[float, float]]) -> None:
    """Draw with the measuring tool: click the polygon button, the points, then the first point."""
    frame.locator(".leaflet-draw-draw-polygon").click()
    box = page.locator(MAP_FRAME).bounding_box()
    for x, y in [*points, points[0]]:
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(250)


def test_map_fits_the_window_with_search_measure_print_and_fullscreen(app_page: Any) -> None:
    page = app_page
    page.set_viewport_size({"width": 1366, "height": 768})
    store = Store(page.app["store"])
    parcels = store.read_layer(PARCELS)
    fid = str(parcels.index[5])
    open_app(page, "map")
    frame = map_frame(page)
    # the map starts high on a 1366 × 768 screen and most of it is visible (a little lower
    # when the 按当时所知 banner is shown above it)
    box = page.locator(MAP_FRAME).bounding_box()
    banner = page.locator(".st-key-ykgeo_knowledge_banner")
    above = banner.bounding_box()["height"] + 16 if banner.count() else 0
    assert box["y"] - above < 260, box
    assert (768 - box["y"]) / box["height"] > 0.75, box
    # a metric scale bar only
    scale = frame.locator(".leaflet-control-scale").inner_text()
    assert re.search(r"\d+ (k?m)", scale) and "mi" not in scale and "ft" not in scale, scale
    # the tools' scripts come from the app itself
    scripts = frame.evaluate("() => [...document.scripts].map(s => s.src).filter(Boolean)")
    assert any(s.endswith("/leaflet-draw/leaflet.draw.js") for s in scripts)
    assert any(s.endswith("/leaflet-fullscreen/Control.FullScreen.min.js") for s in scripts)
    assert all(s.startswith(page.app["url"]) for s in scripts)
    # search, not signed in (every role may search): selects the feature and zooms to it
    _search(page, fid)
    expect(page.locator(".st-key-ykgeo_map_detail")).to_contain_text(fid, timeout=30_000)
    frame = map_frame(page)
    centre = shapely.centroid(parcels.geometry.loc[fid])
    page.wait_for_timeout(800)
    inside = frame.evaluate(
        "([x, y]) => YK.maps[0].getBounds().contains(L.latLng(y, x)) && YK.maps[0].getZoom() >= 14",
        [centre.x, centre.y],
    )
    assert inside
    shot(page, "map_search_1366x768")
    # measuring: an area drawn on the map is measured on the ellipsoid beside it
    _draw_polygon(page, frame, [(150, 150), (350, 160), (330, 330), (160, 320)])
    measured = page.locator(".st-key-ykgeo_map_measure")
    expect(measured).to_contain_text("亩", timeout=30_000)
    ring = frame.evaluate(
        """() => { let out = null; YK.maps[0].eachLayer(l => {
             if (l.feature && l.feature.properties.yk === 'measure') out = l.getLatLngs()[0].map(p => [p.lng, p.lat]); });
           return out; }"""
    )
    polygon = gpd.GeoSeries([shapely.Polygon(ring)], crs=CGCS2000)
    assert f"{area_mu(polygon).iloc[0]:,.2f} 亩" in measured.inner_text()
    assert f"{length_km(polygon).iloc[0]:,.3f} km" in measured.inner_text()
    # print this view: PNG and PDF of what the map shows
    frame.locator(".yk-print-button").click()
    printed = page.locator(".st-key-ykgeo_map_print")
    expect(printed.locator("img")).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        printed.get_by_role("button", name="PDF").click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    page.locator("h1").first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    shot(page, "map_print_1366x768")
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.wait_for_timeout(800)
    page.locator("h1").first.scroll_into_view_if_needed()
    shot(page, "map_print_1600x1000")
    # the search, at the larger size too
    shot(page, "map_search_1600x1000")
    # full screen
    frame = map_frame(page)
    frame.locator(".leaflet-control-zoom-fullscreen").click()
    page.wait_for_timeout(500)
    assert frame.evaluate(
        "() => !!document.fullscreenElement || !!document.querySelector('.leaflet-pseudo-fullscreen')"
    )
    no_exceptions(page)


def test_legend_never_covers_a_popup_and_history_is_wide(app_page: Any) -> None:
    page = app_page
    page.set_viewport_size({"width": 1600, "height": 1000})
    store = Store(page.app["store"])
    fid = str(store.read_layer(PARCELS).index[3])
    open_app(page, "map")
    frame = map_frame(page)
    open_legend(frame)
    # a feature at the bottom right of the map, right beside the legend, then clicked
    box = frame.evaluate(
        """(fid) => { const m = YK.maps[0]; let hit = null;
             m.eachLayer(l => { if (l.feature && l.feature.properties.i === fid) hit = l; });
             m.setView(hit.getBounds().getCenter(), 17, {animate: false});
             const size = m.getSize(); const legend = document.querySelector('.yk-legend').getBoundingClientRect();
             const target = L.point(legend.left - 30, size.y - 40);
             m.panBy(m.latLngToContainerPoint(hit.getBounds().getCenter()).subtract(target), {animate: false});
             const p = m.latLngToContainerPoint(hit.getBounds().getCenter());
             return {x: p.x, y: p.y}; }""",
        fid,
    )
    frame_box = page.locator(MAP_FRAME).bounding_box()
    page.mouse.click(frame_box["x"] + box["x"], frame_box["y"] + box["y"])
    frame.wait_for_selector(".yk-popup", timeout=10_000)
    page.wait_for_timeout(800)  # the map pans the popup clear of the legend
    overlap = frame.evaluate(
        """() => { const a = document.querySelector('.leaflet-popup').getBoundingClientRect();
                   const b = document.querySelector('.yk-legend').getBoundingClientRect();
                   const x = Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left));
                   const y = Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
                   return x * y; }"""
    )
    assert overlap == 0
    # the history of the selected feature runs the width of the page
    history = page.locator(".st-key-ykgeo_map_history")
    expect(history).to_be_visible(timeout=30_000)
    main = page.locator(
        "[data-testid='stMain'] [data-testid='stMainBlockContainer']"
    ).bounding_box()
    assert history.bounding_box()["width"] > 0.8 * main["width"] - 100
    no_exceptions(page)


def test_status_filter_offers_shared_groups(app_page: Any) -> None:
    page = app_page
    store = Store(page.app["store"])
    open_app(page, "map")
    map_frame(page)
    page.get_by_role("combobox", name="状态").click()
    options = page.get_by_role("option").all_inner_texts()
    assert options == ["未启动", "推进中", "已完成"], options  # no Streamlit "Select all"
    page.get_by_role("option", name="已完成").click()
    page.keyboard.press("Escape")
    wait_idle(page)
    frame = map_frame(page)
    # every layer's own done words count as 已完成 (已供, 已建成, 完工 …)
    as_of = page.locator("[data-testid='stSidebar'] [data-testid='stDateInput'] input").first
    day = dt.date.fromisoformat(as_of.input_value())
    drawn = int(frame.locator("[data-yk-ready]").get_attribute("data-yk-features"))
    expected = 0
    for key in store.layer_keys():
        spec = store.spec(key)
        layer = store.read_layer(key, as_of=day)
        if spec.reference:  # only the boundary and townships are drawn under the layers
            expected += len(layer) if key in ("city_boundary", "townships") else 0
        elif spec.status is None:
            expected += len(layer)
        else:
            expected += int(layer[spec.status.field].isin(spec.status.done).sum())
    assert drawn == expected
    layers_words = {
        w for k in store.layer_keys() if store.spec(k).status for w in store.spec(k).status.done
    }  # type: ignore[union-attr]
    assert len(layers_words) > 1  # the groups gather several words
    no_exceptions(page)


def test_online_basemap_that_cannot_load_falls_back_and_says_so(
    app_browser: Any, tmp_path: Path
) -> None:
    settings = maps.MapSettings(
        basemap="osm", online_basemaps=("osm",), asset_url=maps.ASSET_DIR.as_uri() + "/"
    )
    html = maps.map_html(maps.build_map([], settings=settings, bounds=(120.0, 28.85, 120.1, 28.95)))
    page_path = tmp_path / "offline.html"
    page_path.write_text(html, encoding="utf-8")
    page = app_browser.new_page(viewport={"width": 900, "height": 700})
    page.route(re.compile(r"https?://.*"), lambda route: route.abort())  # no network
    page.goto(page_path.as_uri())
    page.wait_for_selector("[data-yk-ready]")
    notice = page.locator(".yk-notice")
    expect(notice).to_contain_text("无法加载", timeout=15_000)
    container = page.locator(".yk-map")
    assert container.get_attribute("data-yk-basemap") == "offline"
    assert container.get_attribute("data-yk-basemap-failed") == "osm"
    page.close()
