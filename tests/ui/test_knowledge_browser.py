"""按当时所知 / 按现在所知 in the browser: a late edit is explained by a banner, and every view agrees."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import APP_EDITOR, APP_HOSTILE_NAME
from tests.report.conftest import page_texts
from tests.ui.helpers import (
    PARCELS,
    choose,
    expect_card,
    fill_date,
    go,
    map_frame,
    no_exceptions,
    not_done_parcel,
    open_app,
    open_feature,
    sign_in,
    wait_idle,
)
from ykgeo.progress import late_records, progress_report
from ykgeo.progress.output import format_figure
from ykgeo.store import Store, now
from ykgeo.ui.overview import format_amount

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DAY = dt.date(2022, 12, 31)


def test_late_edit_is_explained_and_every_view_agrees(app_page: Any, tmp_path: Path) -> None:
    page = app_page
    path = page.app["store"]
    store = Store(path)
    target = next(
        r.key for r in progress_report(store, as_of=DAY, year=2022).rows if r.layer == PARCELS
    )
    fid = not_done_parcel(store, avoid=APP_HOSTILE_NAME)
    open_app(page)
    sign_in(page, *APP_EDITOR)
    sidebar = page.locator("[data-testid='stSidebar']")
    # a closed year opens as the bureau knew it then
    expect(sidebar.get_by_role("radio", name="按当时所知")).to_be_checked()
    go(page, "编辑")
    open_feature(page, fid)
    form = page.locator("[data-testid='stForm']")
    choose(form, "状态", "已完成")
    fill_date(form.locator("[data-testid='stDateInput'] input").first, dt.date(2022, 12, 20))
    form.get_by_label("修改说明（记入编辑日志）").fill("年底补录")
    form.get_by_role("button", name="保存修改").click()
    wait_idle(page)
    assert "已保存" in page.locator("[data-testid='stAlert']").first.inner_text()
    then = progress_report(Store(path), as_of=DAY, year=2022).row(target)
    known = progress_report(Store(path), as_of=DAY, year=2022, known_at=now()).row(target)
    assert known.done > then.done
    # 总览 says why the edit does not show, and offers the switch
    go(page, "总览")
    banner = page.locator(".st-key-ykgeo_knowledge_banner")
    late = late_records(Store(path), DAY).count  # this edit, and those of other tests
    assert late >= 1
    expect(banner).to_contain_text(f"有 {late} 条在 {DAY} 之后补录的修改未计入", timeout=30_000)
    expect_card(page, target, format_amount(then.done, then.decimals))
    banner.get_by_role("button", name="改为按现在所知").click()
    wait_idle(page)
    expect(sidebar.get_by_role("radio", name="按现在所知")).to_be_checked()
    expect_card(page, target, format_amount(known.done, known.decimals))
    expect(banner).to_contain_text(f"已计入 {late} 条", timeout=30_000)
    # the map, its layer list and the export count the same records
    expected = Store(path).read_layer(PARCELS, as_of=DAY, known_at=now())
    assert expected.loc[fid, "状态"] == "已完成"
    go(page, "地图")
    frame = map_frame(page)
    status = frame.evaluate(
        """(fid) => { let out = null; YK.maps[0].eachLayer(l => {
             if (l.feature && l.feature.properties.i === fid) out = l.feature.properties.p; });
           return out; }""",
        fid,
    )
    assert status is not None and "已完成" in status
    chips = page.locator("[data-testid='stMultiSelect']").first
    expect(chips).to_contain_text(f"低效工业用地（{len(expected):,}）")
    go(page, "导出")
    choose(page, "图层", f"土地 · 低效工业用地（{len(expected):,}）")
    expect(page.locator("[data-testid='stMain']")).to_contain_text(
        re.compile(rf"当前选择 {len(expected):,} 个要素")
    )
    # the briefing pack made now counts what the pages count, and its cover says so
    go(page, "汇报")
    expect(page.locator("[data-testid='stMain']")).to_contain_text("简报按现在所知统计")
    page.get_by_role("button", name="生成简报").click()
    button = page.locator(".st-key-ykgeo_brief_download button")
    button.wait_for(timeout=180_000)
    with page.expect_download() as info:
        button.click()
    pdf = tmp_path / "brief.pdf"
    info.value.save_as(pdf)
    texts = [" ".join(text.split()) for text in page_texts(pdf)]
    assert "按现在所知" in texts[0]
    # the summary table's row: name, unit, target, done, …
    rows = re.findall(rf"{re.escape(known.name_zh)} {known.unit} \S+ (\S+) ", " ".join(texts[1:]))
    assert rows and rows[0] == format_figure(known.done, known.decimals)
    assert rows[0] != format_figure(then.done, then.decimals)
    # back to what was known then: the edit leaves every view again
    page.locator(".st-key-ykgeo_knowledge_banner").get_by_role(
        "button", name="改为按当时所知"
    ).click()
    wait_idle(page)
    go(page, "总览")
    expect_card(page, target, format_amount(then.done, then.decimals))
    no_exceptions(page)
