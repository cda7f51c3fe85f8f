"""The 计划 page and the year switch in headless chromium (issue 11; item 11 of issue 12).

Runs on the same app server as ``test_app_browser.py`` (a copy of the demo store, which
has the 2022 plan and a 2023 draft). Tests that change the store say so and leave it in a
state the other tests accept.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.conftest import APP_EDITOR, APP_VIEWER
from tests.ui.helpers import (
    YEAR_BOX,
    choose,
    go_plan,
    no_exceptions,
    open_app,
    set_as_of,
    shot,
    sign_in,
    wait_idle,
)
from ykgeo.layers import parse_plan
from ykgeo.plan import default_plan_year, export_plan, plan_data, plan_to_toml
from ykgeo.store import Store, now

pytestmark = [pytest.mark.browser, pytest.mark.slow]

def as_of_value(page: Any) -> dt.date:
    box = page.locator("[data-testid='stSidebar'] [data-testid='stDateInput'] input").first
    return dt.date.fromisoformat(box.input_value())


def _needs_years(page: Any, *years: int) -> Store:
    store = Store(page.app["store"])
    missing = [y for y in years if y not in store.plan_years()]
    if missing:
        pytest.fail(f"the app's store has no plan for {missing}: rebuild the demo store (make demo)")
    return store


def test_year_switch_moves_the_date_and_a_year_without_plan_says_so(app_page: Any) -> None:
    page = app_page
    _needs_years(page, 2022, 2023)
    open_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    # today, clamped into the latest adopted plan's year
    store = Store(page.app["store"])
    first = default_plan_year(store)
    assert first is not None
    assert as_of_value(page) == min(max(now().date(), dt.date(first, 1, 1)), dt.date(first, 12, 31))
    choose(sidebar, YEAR_BOX, "2023（草案）")
    assert as_of_value(page) == min(max(now().date(), dt.date(2023, 1, 1)), dt.date(2023, 12, 31))
    expect(page.locator("[data-testid='stMain']")).to_contain_text("草案，示意", timeout=30_000)
    shot(page, "overview_2023_draft")
    # a date in a year without a plan says so plainly (issue 12, item 11)
    set_as_of(page, dt.date(2024, 6, 30))
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("2024 年没有目标计划", timeout=30_000)
    assert "不借用其他年度的目标" in main.inner_text()
    assert page.locator(".yk-done").count() == 0  # no cards borrowed from 2022 or 2023
    sidebar.get_by_role("combobox", name=YEAR_BOX).click()
    expect(page.get_by_role("option", name="2024（无计划）")).to_be_visible()
    page.keyboard.press("Escape")
    shot(page, "overview_no_plan_2024")
    choose(sidebar, YEAR_BOX, "2022")
    assert as_of_value(page) == dt.date(2022, 12, 31)
    expect(page.locator(".yk-done").first).to_be_visible(timeout=30_000)
    no_exceptions(page)


def test_the_plan_page_says_which_version_the_figures_use_as_known_then_or_now(
    app_page: Any,
) -> None:
    """Changes the store: the 2022 plan gets a back-dated version that only adds to its source
    note (no target changes, so no figure moves), recorded today but applying from 1 May."""
    page = app_page
    store = _needs_years(page, 2022)
    data = plan_data(store.plan(2022))
    data["source_zh"] = f"{data.get('source_zh') or ''}（浏览器测试：补录的计划调整）"
    store.save_plan(
        parse_plan(plan_to_toml(data), name="test", layers=store.layers, year=2022),
        user="测试",
        effective_date=dt.date(2022, 5, 1),
        note="浏览器测试：补录",
    )
    day = dt.date(2022, 6, 30)
    then, _ = store.plan_version(2022, as_of=day)
    current, _ = store.plan_version(2022)
    assert then.version < current.version
    open_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    choose(sidebar, YEAR_BOX, "2022")
    set_as_of(page, day)
    # a closed year opens as known then: the figures use the version known on 30 June
    expect(sidebar.get_by_role("radio", name="按当时所知")).to_be_checked()
    go_plan(page)
    used = page.locator(".st-key-ykgeo_plan_version_used")
    expect(used).to_contain_text(
        f"2022-06-30 的进度（按当时所知）按计划第 {then.version} 版", timeout=30_000
    )
    expect(used).to_contain_text(f"现行的第 {current.version} 版")
    shot(page, "plan_version_then")
    # the banner counts the amendment as a late record and switches
    banner = page.locator(".st-key-ykgeo_knowledge_banner")
    expect(banner).to_be_visible(timeout=30_000)
    banner.get_by_role("button", name="改为按现在所知").click()
    wait_idle(page)
    expect(sidebar.get_by_role("radio", name="按现在所知")).to_be_checked()
    expect(used).to_contain_text(
        f"2022-06-30 的进度（按现在所知）按计划第 {current.version} 版", timeout=30_000
    )
    assert "现行的第" not in used.inner_text()
    no_exceptions(page)


def test_viewer_reads_the_plan_and_its_history(app_page: Any) -> None:
    page = app_page
    _needs_years(page, 2022)
    open_app(page)
    sign_in(page, *APP_VIEWER)
    choose(page.locator("[data-testid='stSidebar']"), YEAR_BOX, "2022")
    go_plan(page)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("只能查看计划", timeout=30_000)
    assert page.get_by_role("button", name="校验并保存").count() == 0
    assert "按比例推算" in main.inner_text()
    page.get_by_role("tab", name="调整记录").click()
    wait_idle(page)
    expect(main).to_contain_text("项目库创建", timeout=30_000)
    shot(page, "plan_viewer")
    no_exceptions(page)


def _cell(page: Any, table: Any, row: int, column: int, x: float = 30) -> None:
    """Select a cell of a data editor (glide grid): click the first row ``x`` px from the left, then arrow keys."""
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    box = table.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + 35 + 17)  # a cell of the first row
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    for _ in range(row):
        page.keyboard.press("ArrowDown")


def _type_in(page: Any, table: Any, row: int, column: int, text: str, x: float = 30) -> None:
    """Type ``text`` into a data-editor cell: a key opens the grid's editor, then fill it and commit."""
    editor = page.locator("input.gdg-input, textarea.gdg-input").first
    for _ in range(3):  # on a loaded machine the grid may take the first click before it is ready
        _cell(page, table, row, column, x)
        page.keyboard.type(text[:1])
        try:
            editor.wait_for(timeout=10_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    editor.fill(text)
    editor.press("Enter")
    wait_idle(page)


def _save(page: Any, note: str) -> None:
    form = page.locator("[data-testid='stForm']").first
    form.get_by_label("调整说明（记入编辑日志）").fill(note)
    form.get_by_role("button", name="校验并保存").click()
    wait_idle(page)


def _open_plan_as_editor(page: Any, *, signed_in: bool = False) -> None:
    """Open the 2023 plan page as the editor (``signed_in``: the page is reloaded and keeps the sign-in)."""
    open_app(page)
    if signed_in:
        expect(page.locator("[data-testid='stSidebar']")).to_contain_text("当前用户")
    else:
        sign_in(page, *APP_EDITOR)
    choose(page.locator("[data-testid='stSidebar']"), YEAR_BOX, "2023（草案）")
    go_plan(page)
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)


def test_editor_changes_a_target_through_the_tables(app_page: Any) -> None:
    """Changes the store: the 2023 draft's 消化批而未供 target becomes 2,700 亩 (a new version)."""
    page = app_page
    store = _needs_years(page, 2023)
    before = store.plan_versions(2023)
    first = store.plan(2023).targets[0]
    assert first.key == "low_efficiency_remediation" and first.township_values
    _open_plan_as_editor(page)
    tables = page.locator("[data-testid='stDataFrame']")
    _type_in(page, tables.nth(0), 0, 4, "2100")  # 目标值 of the first target
    shot(page, "plan_cell_typed")
    bytes_before = Path(page.app["store"]).read_bytes()
    _save(page, "浏览器测试：调整整治目标")
    main = page.locator("[data-testid='stMain']")
    # its township targets no longer add up: refused, with the difference, and nothing written
    expect(main).to_contain_text("未保存：发现 1 个问题", timeout=30_000)
    assert "与全市目标 2,100.00 亩 相差 -100.00 亩" in main.inner_text()
    assert Path(page.app["store"]).read_bytes() == bytes_before
    shot(page, "plan_refused_sum")
    # a fresh page (the refused edit is gone, the sign-in kept): change a target the plan does not
    # split by township
    _open_plan_as_editor(page, signed_in=True)
    _type_in(page, tables.nth(0), 1, 4, "2700")
    _save(page, "浏览器测试：调整消化批而未供目标")
    shot(page, "plan_second_save")
    # the success alert, wherever it stands (the late-records banner may come first: the amendment is
    # recorded today, after the plan year's last day)
    saved = page.locator("[data-testid='stAlert']").filter(has_text="已保存")
    expect(saved.first).to_be_visible(timeout=30_000)
    after = Store(page.app["store"])
    versions = after.plan_versions(2023)
    assert len(versions) == len(before) + 1 and versions[-1].user == APP_EDITOR[0]
    plan = after.plan(2023)
    assert plan.targets[0].value == 2000 and plan.targets[1].value == 2700
    page.get_by_role("tab", name="调整记录").click()
    wait_idle(page)
    expect(main).to_contain_text("浏览器测试：调整消化批而未供目标")
    shot(page, "plan_saved")
    no_exceptions(page)


def test_a_bad_plan_file_is_refused_in_chinese_and_changes_nothing(
    app_page: Any, tmp_path: Path
) -> None:
    page = app_page
    store = _needs_years(page, 2022)
    path = export_plan(store, 2022, tmp_path / "有误.xlsx")
    book = openpyxl.load_workbook(path)
    book["目标"]["E2"] = -5000
    book["镇街目标"]["A3"] = "东城"
    book["镇街目标"]["B3"] = 100
    book.save(path)
    before = store.path.read_bytes()
    open_app(page)
    sign_in(page, *APP_EDITOR)
    choose(page.locator("[data-testid='stSidebar']"), YEAR_BOX, "2022")
    go_plan(page)
    page.get_by_role("tab", name="导入导出").click()
    wait_idle(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    wait_idle(page)
    page.get_by_role("button", name="校验并导入").click()
    wait_idle(page)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("未保存：发现 2 个问题", timeout=30_000)
    text = main.inner_text()
    assert "目标值 -5000 不能为负" in text and "是否指“东城街道”" in text
    assert "第 2 行" in text and "E 列（目标值）" in text
    assert store.path.read_bytes() == before
    shot(page, "plan_refused")
    no_exceptions(page)


def test_candidates_on_a_table_and_a_map_and_adopted_by_an_editor(app_page: Any) -> None:
    """Changes the store: the 2023 list is adopted into 低效工业用地."""
    page = app_page
    store = _needs_years(page, 2023)
    if store.evaluation_years().empty:
        pytest.fail("the app's store has no 亩均 evaluations: rebuild the demo store (make demo)")
    layer_before = store.count("low_efficiency_industrial")
    open_app(page)
    sign_in(page, *APP_EDITOR)
    choose(page.locator("[data-testid='stSidebar']"), YEAR_BOX, "2023（草案）")
    go_plan(page)
    page.get_by_role("tab", name="候选地块（亩均）").click()
    wait_idle(page)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("划线在第", timeout=60_000)
    frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']").first
    expect(frame.locator("[data-yk-ready]")).to_have_count(1, timeout=30_000)
    shot(page, "plan_candidates")
    with page.expect_download() as info:
        page.get_by_role("button", name="下载候选名单（Excel）").click()
    assert info.value.suggested_filename.endswith("候选地块.xlsx")
    page.get_by_text("确认把线内", exact=False).click()
    wait_idle(page)
    page.get_by_role("button", name="纳入名单", exact=False).click()
    wait_idle(page)
    expect(main).to_contain_text("已纳入“低效工业用地”", timeout=60_000)
    assert Store(page.app["store"]).count("low_efficiency_industrial") > layer_before
    no_exceptions(page)
