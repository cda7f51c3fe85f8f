"""总览 in the browser: summary line, ratings, aligned cards, compare date, drill-down dialog, numeric township table."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.ui.helpers import (
    expect_card,
    fill_date,
    no_exceptions,
    open_app,
    set_as_of,
    shot,
    wait_idle,
)
from ykgeo.progress import progress_report
from ykgeo.progress.frames import rating_summary, township_matrix
from ykgeo.store import Store
from ykgeo.ui.overview import format_amount

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DAY = dt.date(2022, 9, 30)
SINCE = dt.date(2022, 6, 30)


def _cards(page: Any) -> Any:
    return page.locator(".st-key-ykgeo_cards [class*='st-key-ykgeo_card_']")


def test_summary_ratings_aligned_cards_and_compare_date(app_page: Any) -> None:
    page = app_page
    store = Store(page.app["store"])
    report = progress_report(store, as_of=DAY, year=2022)
    then = progress_report(store, as_of=SINCE, year=2022)
    summary = rating_summary(report)
    open_app(page)
    set_as_of(page, DAY)
    line = page.locator(".st-key-ykgeo_overview_summary")
    expect(line).to_contain_text(
        f"绿 {summary.green} · 黄 {summary.amber} · 红 {summary.red}", timeout=30_000
    )
    assert "评级规则" in line.inner_text()  # the rule behind every colour is on the page
    for row in report.rows:
        if row.rating == "red":
            assert row.name_zh in line.inner_text()
        # nothing done and nothing forecast is never green (文旅项目开工 on 30 September)
        if row.done == 0 and row.forecast == 0 and row.target > 0:
            card = page.locator(f".st-key-ykgeo_card_{row.key}")
            assert "绿" not in card.inner_text(), row.key
    # cards line up in rows of three: same top and same height within a row
    boxes = [_cards(page).nth(i).bounding_box() for i in range(_cards(page).count())]
    assert len(boxes) == len(report.rows)
    for start in range(0, len(boxes), 3):
        row = boxes[start : start + 3]
        assert max(b["y"] for b in row) - min(b["y"] for b in row) < 1.5
        assert max(b["height"] for b in row) - min(b["height"] for b in row) < 1.5
    # red only
    page.get_by_text("只看红色").click()
    wait_idle(page)
    expect(_cards(page)).to_have_count(summary.red)
    page.get_by_text("只看红色").click()
    wait_idle(page)
    # compare date: each card shows its gain, and the changes are listed
    fill_date(page.locator(".st-key-ykgeo_overview_since input"), SINCE)
    wait_idle(page)
    first = report.rows[0]
    gain = first.done - then.row(first.key).done
    card = page.locator(f".st-key-ykgeo_card_{first.key}")
    expect(card).to_contain_text(
        f"较 {SINCE} +{format_amount(gain, first.decimals)} {first.unit}", timeout=30_000
    )
    changes = page.locator(".st-key-ykgeo_overview_changes")
    expect(changes).to_be_visible()
    assert page.get_by_text(f"变化（{SINCE} → {DAY}）").count() == 1
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.locator("h1").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    shot(page, "overview_summary_compare_1600x1000")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.locator("h1").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    shot(page, "overview_summary_compare_1366x768")
    no_exceptions(page)


def test_drill_down_opens_in_a_dialog_in_chinese(app_page: Any) -> None:
    page = app_page
    report = progress_report(Store(page.app["store"]), as_of=DAY, year=2022)
    row = report.rows[0]
    open_app(page)
    set_as_of(page, DAY)
    expect_card(page, row.key, format_amount(row.done, row.decimals))
    page.locator(f".st-key-ykgeo_card_{row.key}").get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=30_000)
    expect(dialog).to_contain_text(f"构成明细：{row.name_zh}")
    box = dialog.bounding_box()
    assert box["y"] >= 0 and box["y"] < page.viewport_size["height"] / 2  # where the user is
    wait_idle(page)
    grid = dialog.locator("[data-testid='stDataFrame']")
    expect(grid.locator("[role='columnheader']").first).to_be_attached(timeout=30_000)
    headers = grid.locator("[role='columnheader']").all_inner_texts()
    assert {"编号", "状态", "计入情况", "状态日期", "面积（亩）"} <= set(headers), headers
    assert not {"class", "class_zh"} & set(headers)
    cells = " ".join(
        grid.locator("[role='row']").nth(1).locator("[role='gridcell']").all_inner_texts()
    )
    assert "00:00:00" not in cells and "done" not in cells
    first = report.rows[0].features.iloc[0]
    assert f"{first['area_mu']:.2f}" in cells  # 亩 to two decimals
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.wait_for_timeout(800)
    shot(page, "overview_drill_dialog_1600x1000")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(800)
    shot(page, "overview_drill_dialog_1366x768")
    with page.expect_download() as info:
        dialog.get_by_role("button", name="下载 XLSX").click()
    table = pd.read_excel(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert len(table) == len(row.features)
    no_exceptions(page)


def test_township_table_sorts_numbers_shows_every_township_and_downloads(app_page: Any) -> None:
    page = app_page
    report = progress_report(Store(page.app["store"]), as_of=DAY, year=2022)
    values, _, _ = township_matrix(report)
    first = values.columns[0]
    open_app(page)
    set_as_of(page, DAY)
    table = page.locator(".st-key-ykgeo_overview_townships")
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    rows = table.locator("[role='row']")
    expect(rows).to_have_count(len(values) + 1)
    # every township without an inner scroll bar
    heights = page.evaluate(
        """() => { const s = document.querySelector('.st-key-ykgeo_overview_townships .dvn-scroller');
                   return [s.scrollHeight, s.clientHeight]; }"""
    )
    assert heights[0] <= heights[1] + 1, heights
    # the app shows the balanced figures of every other output (西溪镇 12.14 on 30 September)
    for i in range(1, len(values) + 1):
        cells = rows.nth(i).locator("[role='gridcell']")
        town = cells.nth(0).inner_text()
        assert float(cells.nth(1).inner_text()) == values.loc[town, first], town
    # a click on the first target's heading sorts by the number, not by the text
    box = table.bounding_box()
    page.mouse.click(box["x"] + 140, box["y"] + 17)
    page.wait_for_timeout(800)
    shown = [
        rows.nth(i).locator("[role='gridcell']").nth(0).inner_text()
        for i in range(1, len(values) + 1)
    ]
    assert shown == values[first].sort_values(kind="stable").index.tolist()
    with page.expect_download() as info:
        page.locator("[class*='st-key-ykgeo_overview_townships_xlsx'] button").click()
    book = pd.read_excel(io.BytesIO(Path(info.value.path()).read_bytes()), index_col=0)
    assert len(book) == len(values)
    assert pd.api.types.is_float_dtype(book[first])
    no_exceptions(page)
