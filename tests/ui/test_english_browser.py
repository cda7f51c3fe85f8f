"""English mode: target names, units, plan, data version, table headings and the rating rule in English; no "Select all" in Chinese."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.ui.helpers import map_frame, no_exceptions, open_app, wait_idle
from ykgeo.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_english_overview_speaks_english(app_page: Any) -> None:
    page = app_page
    plan = Store(page.app["store"]).plan(2022)
    target = plan.targets[0]
    open_app(page)
    page.locator("[data-testid='stSidebar']").get_by_text("English", exact=True).click()
    expect(page.locator("h1").first).to_have_text("Annual targets overview", timeout=30_000)
    wait_idle(page)
    main = page.locator("[data-testid='stMain']")
    card = page.locator(f".st-key-ykgeo_card_{target.key}")
    expect(card).to_contain_text(target.name_en)
    assert " mu" in card.inner_text() and "亩" not in card.inner_text()
    caption = main.inner_text()
    assert "2022 annual plan" in caption and "data version v" in caption
    assert "数据版本" not in caption and plan.name_zh not in caption
    summary = page.locator(".st-key-ykgeo_overview_summary").inner_text()
    assert re.search(r"green \d+ · amber \d+ · red \d+", summary) and "Rating rule" in summary
    headers = page.locator(
        ".st-key-ykgeo_overview_townships [role='columnheader']"
    ).all_inner_texts()
    assert "Township" in headers and any(h.startswith(target.name_en) for h in headers), headers
    card.get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(target.name_en, timeout=30_000)
    wait_idle(page)
    grid = dialog.locator("[data-testid='stDataFrame'] [role='columnheader']")
    expect(grid.first).to_be_attached(timeout=30_000)
    assert {"ID", "Status", "Counted as", "Area (mu)"} <= set(grid.all_inner_texts())
    no_exceptions(page)


def test_chinese_multiselects_offer_no_select_all(app_page: Any) -> None:
    page = app_page
    open_app(page, "map")
    map_frame(page)
    for label in ("图层", "状态"):
        page.get_by_role("combobox", name=label).first.click()
        options = page.get_by_role("option").all_inner_texts()
        assert options and "Select all" not in options, (label, options)
        page.keyboard.press("Escape")
        wait_idle(page)
    no_exceptions(page)
