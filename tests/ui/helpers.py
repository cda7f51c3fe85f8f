"""Shared steps of the browser tests: wait for Streamlit, open pages, sign in, choose, screenshot."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.conftest import APP_SCREENSHOTS
from ykgeo.store import Store

MAP_FRAME = "iframe[title='streamlit_folium.st_folium']"
PAGES = {"overview": ("", "年度目标总览"), "map": ("map", "项目地图"), "brief": ("brief", "汇报简报"),
         "edit": ("edit", "编辑要素"), "import": ("import", "导入数据"), "export": ("export", "导出数据")}  # fmt: skip
PARCELS = "low_efficiency_industrial"
MENU = {"map": "地图", "brief": "汇报", "edit": "编辑", "import": "导入", "export": "导出"}


# --- helpers -------------------------------------------------------------------------------


def wait_idle(page: Any, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=timeout,
    )
    page.wait_for_timeout(200)


def open_app(page: Any, path: str = "") -> None:
    page.goto(f"{page.app['url']}/{path}")
    page.wait_for_selector("[data-testid='stSidebar']", timeout=60_000)
    page.wait_for_selector("h1", timeout=60_000)
    wait_idle(page)


_HEADINGS = {
    "总览": "年度目标总览",
    "地图": "项目地图",
    "汇报": "汇报简报",
    "编辑": "编辑要素",
    "导入": "导入数据",
    "导出": "导出数据",
}


def go(page: Any, title: str) -> None:
    """Follow a link of the sidebar menu (keeps the session, and so the signed-in user)."""
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    expect(page.locator("h1").first).to_have_text(_HEADINGS[title], timeout=60_000)
    wait_idle(page)


#: The sidebar's plan-year switch.
YEAR_BOX = "计划年度"


def go_plan(page: Any) -> None:
    """Open the 计划 page from the sidebar's navigation."""
    page.locator("[data-testid='stSidebarNav'] a", has_text="计划").first.click()
    expect(page.locator("h1").first).to_have_text("年度目标计划", timeout=60_000)
    wait_idle(page)


def no_exceptions(page: Any) -> None:
    shown = page.locator("[data-testid='stException']").all_inner_texts()
    assert shown == [], shown


def sign_in(page: Any, name: str, password: str) -> None:
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_label("用户名").fill(name)
    sidebar.get_by_label("密码").fill(password)
    sidebar.get_by_role("button", name="登录").click()
    expect(sidebar).to_contain_text("当前用户", timeout=30_000)
    wait_idle(page)


def set_as_of(page: Any, day: dt.date) -> None:
    box = page.locator("[data-testid='stSidebar'] [data-testid='stDateInput'] input").first
    box.focus()
    box.fill(day.isoformat())
    box.press("Enter")
    box.press("Escape")
    wait_idle(page)
    assert box.input_value() == day.isoformat()


def choose(scope: Any, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` (within ``scope``: a page or a form)."""
    page = scope.page if hasattr(scope, "page") else scope
    scope.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).first.click()
    wait_idle(page)


def shot(page: Any, name: str) -> Path:
    APP_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = APP_SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def map_frame(page: Any, timeout: float = 30_000) -> Any:
    page.wait_for_selector(MAP_FRAME, timeout=timeout)
    handle = page.locator(MAP_FRAME).element_handle()
    frame = handle.content_frame()
    frame.wait_for_selector("[data-yk-ready]", timeout=timeout)
    return frame


def open_layers(frame: Any) -> None:
    """Open the map's layer control (collapsed by default) and keep it open."""
    toggle = frame.locator(".yk-layers-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(frame.locator(".yk-layers-panel")).to_be_visible()


def open_legend(frame: Any) -> None:
    """Unfold the map's legend (folded by default on a map narrower than 700 px)."""
    toggle = frame.locator(".yk-legend-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expect_card(page: Any, key: str, text: str) -> None:
    """Wait until the overview card of target ``key`` shows ``text`` as done."""
    expect(page.locator(f".st-key-ykgeo_card_{key} .yk-done")).to_have_text(text, timeout=30_000)


def not_done_parcel(store: Store, *, avoid: str = "") -> str:
    """A parcel of the test store that is not done (and not named ``avoid``)."""
    parcels = store.read_layer(PARCELS)
    candidates = parcels[(parcels["状态"] != "已完成") & (parcels["企业名称"] != avoid)]
    return str(candidates.index[0])


def open_feature(page: Any, fid: str) -> None:
    """On 编辑: search for a feature and wait until it is the one chosen."""
    page.get_by_label("搜索编号或名称").fill(fid)
    page.get_by_label("搜索编号或名称").press("Enter")
    wait_idle(page)
    combo = page.get_by_role("combobox", name="要素")
    deadline = time.monotonic() + 20
    while fid not in combo.aria_snapshot() and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert fid in combo.aria_snapshot()


def fill_date(box: Any, day: dt.date) -> None:
    """Type a date into a Streamlit date input and close its calendar."""
    box.focus()
    box.fill(day.isoformat())
    box.press("Enter")
    box.press("Escape")


def feature_point(frame: Any, feature_id: str) -> dict[str, float]:
    return frame.evaluate(
        """(fid) => {
          const m = YK.maps[0]; let hit = null;
          m.eachLayer(l => { if (l.feature && l.feature.properties.i === fid) hit = l; });
          if (!hit) return null;
          m.setView(hit.getBounds ? hit.getBounds().getCenter() : hit.getLatLng(), 16, {animate: false});
          const p = m.latLngToContainerPoint(hit.getBounds ? hit.getBounds().getCenter() : hit.getLatLng());
          return {x: p.x, y: p.y};
        }""",
        feature_id,
    )


def map_point(page: Any, feature_id: str) -> tuple[Any, float, float]:
    """On the map page: the map's frame, and where feature ``feature_id`` is on the page (centred, zoomed in)."""
    frame = map_frame(page)
    point = feature_point(frame, feature_id)
    assert point is not None, f"{feature_id} is not on the map"
    box = page.locator(MAP_FRAME).bounding_box()
    page.wait_for_timeout(400)
    return frame, box["x"] + point["x"], box["y"] + point["y"]
