"""The app under attack and bad luck, in headless chromium: sign-in, roles, uploads, a busy store, Markdown.

One server of its own (module scope) on a copy of the demo store, with a fast sign-in
policy (lockout after 5 failures for a minute, 6 s first delay) and a 2 s write wait, so that the
tests do not wait out real lockouts. Its store carries a parcel whose name and note are a
Markdown payload. Every page of these tests fails if a request goes anywhere but the app
(not even another port of this machine), a dialog opens or JavaScript throws.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import shapely
from playwright.sync_api import expect

from tests._builders import write_lock_held
from tests.conftest import (
    APP_DEMO_STORE,
    app_build_store,
    app_page_on,
    app_parcel_frame,
    app_require_browser,
    app_running,
)
from tests.ui.helpers import (
    PARCELS,
    YEAR_BOX,
    choose,
    go,
    go_plan,
    map_frame,
    map_point,
    open_app,
    open_feature,
    sign_in,
    wait_idle,
)
from ykgeo.auth import add_user, remove_user, set_role
from ykgeo.crs import YONGKANG_CENTRE
from ykgeo.layers import parse_plan
from ykgeo.plan import export_plan, plan_data, plan_to_toml
from ykgeo.store import TZ, Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: A value that Markdown would turn into an image fetched from this machine's port 9, and emphasis.
PAYLOAD = "![x](http://127.0.0.1:9/x.png) a_b_c *星* __粗__"
PAYLOAD_ID = "MD-0001"
EDITOR = ("bianji", "editor-secret-1")
VIEWER = ("chakan", "viewer-secret-1")
PASSWORD = "other-secret-9"  # of the accounts made for one test each


@pytest.fixture(scope="module")
def trust_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    app_require_browser()
    folder = tmp_path_factory.mktemp("trust_server")
    store = folder / "store.gpkg"
    if APP_DEMO_STORE.exists():
        shutil.copyfile(APP_DEMO_STORE, store)
    else:
        app_build_store(store)
    frame = app_parcel_frame(1)
    x, y = YONGKANG_CENTRE
    frame.geometry = [shapely.box(x + 0.01, y + 0.01, x + 0.013, y + 0.012)]
    frame["地块编号"] = [PAYLOAD_ID]
    frame["企业名称"] = [PAYLOAD]
    frame["备注"] = [PAYLOAD]
    Store(store).import_features(  # known since the start of the demo year, as the app shows it
        PARCELS,
        frame,
        user="测试",
        source="测试数据",
        effective_date=dt.date(2022, 1, 1),
        recorded_at=dt.datetime(2022, 1, 1, 9, tzinfo=TZ),
    )
    users = folder / "users.toml"
    add_user(users, EDITOR[0], role="editor", password=EDITOR[1], display_name="编辑员")
    add_user(users, VIEWER[0], role="viewer", password=VIEWER[1], display_name="查看员")
    options = ("--lockout-after", "5", "--sign-in-delay-s", "6", "--lockout-minutes", "1")
    limits = ("--write-wait-s", "2", "--upload-limit-mb", "5")
    with app_running(folder, store, users, *options, *limits) as running:
        yield running


@pytest.fixture
def page(app_browser: Any, trust_server: dict[str, Any]) -> Iterator[Any]:
    with app_page_on(app_browser, trust_server) as fresh:
        yield fresh


def _sidebar(page: Any) -> Any:
    return page.locator("[data-testid='stSidebar']")


def _try_sign_in(page: Any, name: str, password: str, *, logged: str) -> str:
    """Submit the sign-in form once and wait for the server to log ``logged`` once more; the sidebar's text."""
    log = Path(page.app["log"])
    before = log.read_text(encoding="utf-8").count(logged)
    sidebar = _sidebar(page)
    sidebar.get_by_label("用户名").fill(name)
    sidebar.get_by_label("密码").fill(password)
    sidebar.get_by_role("button", name="登录").click()
    deadline = time.monotonic() + 30
    while log.read_text(encoding="utf-8").count(logged) <= before:
        assert time.monotonic() < deadline, f"the server never logged {logged!r}"
        page.wait_for_timeout(100)
    wait_idle(page)
    return str(sidebar.inner_text())


def _alerts(page: Any) -> str:
    return "\n".join(page.locator("[data-testid='stAlert']").all_inner_texts())


# --- sign-in -----------------------------------------------------------------------------------


def test_sign_in_survives_a_refresh_and_signing_out_revokes_it(page: Any) -> None:
    open_app(page)
    sign_in(page, *EDITOR)
    page.wait_for_timeout(1000)  # the browser fetches the cookie from its one-time grant
    cookies = {c["name"]: c for c in page.context.cookies()}
    cookie = cookies["ykgeo_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert EDITOR[1] not in cookie["value"] and "ykgeo_session" not in page.evaluate(
        "document.cookie"
    )
    page.reload()
    page.wait_for_selector("h1", timeout=60_000)
    wait_idle(page)
    expect(_sidebar(page)).to_contain_text("当前用户", timeout=30_000)
    assert "编辑员" in _sidebar(page).inner_text()
    # signing out ends the session: the old cookie, put back, no longer signs anyone in
    _sidebar(page).get_by_role("button", name="退出登录").click()
    wait_idle(page)
    page.context.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
    page.reload()
    page.wait_for_selector("h1", timeout=60_000)
    wait_idle(page)
    assert "当前用户" not in _sidebar(page).inner_text()
    expect(_sidebar(page).get_by_role("button", name="登录")).to_be_visible()


def test_wrong_passwords_slow_down_then_lock_even_the_right_one(
    page: Any, trust_server: dict[str, Any]
) -> None:
    add_user(trust_server["users"], "xianliu", role="viewer", password=PASSWORD)
    failed = "sign-in failed: user 'xianliu' from client 'localhost'"
    refused = "sign-in refused before checking: user 'xianliu'"
    open_app(page)
    for _ in range(4):  # three free failures, the fourth starts the delay
        text = _try_sign_in(page, "xianliu", "wrong-password", logged=failed)
        assert "用户名或密码不正确" in text
    text = _try_sign_in(page, "xianliu", PASSWORD, logged=refused)
    assert "登录失败次数过多" in text and "秒后再试" in text
    assert "当前用户" not in text  # refused before the password was checked
    page.wait_for_timeout(6500)  # the delay passes
    text = _try_sign_in(page, "xianliu", "wrong-password", logged=failed)  # the fifth: locked
    text = _try_sign_in(page, "xianliu", PASSWORD, logged=refused)
    assert "已暂时锁定" in text and "当前用户" not in text
    log = Path(trust_server["log"]).read_text(encoding="utf-8")
    assert "sign-in locked for 60 s: user 'xianliu' after 5 failures" in log
    # another name from this machine is not locked by it
    sign_in(page, *VIEWER)


def test_an_open_session_loses_its_rights_with_the_users_file(
    page: Any, trust_server: dict[str, Any]
) -> None:
    users = trust_server["users"]
    add_user(users, "wuer", role="editor", password=PASSWORD)
    store = Store(trust_server["store"])
    fid = str(store.read_layer(PARCELS).index[5])
    version = int(store.read_layer(PARCELS).loc[fid, "ykgeo_version"])
    open_app(page)
    sign_in(page, "wuer", PASSWORD)
    go(page, "编辑")
    open_feature(page, fid)
    form = page.locator("[data-testid='stForm']")
    form.get_by_label("备注").fill("降级之后不应保存")  # a real change
    set_role(users, "wuer", "viewer")  # demoted while the form is open
    form.get_by_role("button", name="保存修改").click()
    wait_idle(page)
    # Either the save reaches the write and is refused there (没有编辑权限), or, when the app
    # noticed the users file first (a busy machine), the page is read-only when the click lands
    # and says editing is no longer available; nothing is saved either way (checked below).
    alerts = _alerts(page)
    assert any(words in alerts for words in ("只读", "没有编辑权限", "编辑和导入已不可用"))
    assert "角色已改为" in _sidebar(page).inner_text()
    assert (
        int(Store(trust_server["store"]).read_layer(PARCELS).loc[fid, "ykgeo_version"]) == version
    )
    # removed altogether: signed out on the next run
    remove_user(users, "wuer")
    go(page, "总览")
    assert "已退出登录" in _sidebar(page).inner_text()
    assert "当前用户" not in _sidebar(page).inner_text()


# --- uploads -----------------------------------------------------------------------------------


def _session_ids(page: Any) -> set[str]:
    """Watch the app's websocket for the ids Streamlit gives this session."""
    ids: set[str] = set()

    def on_frame(payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else str(payload).encode()
        ids.update(
            m.decode() for m in re.findall(rb"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}", data)
        )

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    return ids


def _put_upload(page: Any, session: str, mb: int) -> int:
    return int(
        page.evaluate(
            """async ([sid, mb]) => {
              const xsrf = (document.cookie.match(/_streamlit_xsrf=([^;]+)/) || [])[1] || '';
              const form = new FormData();
              form.append('file', new Blob([new Uint8Array(mb * 1024 * 1024)]), 'big.zip');
              try {
                const r = await fetch(`/_stcore/upload_file/${sid}/probe`, {method: 'PUT', body: form,
                  headers: {'X-Xsrftoken': decodeURIComponent(xsrf)}});
                return r.status;
              } catch (e) { return 0; }
            }""",
            [session, mb],
        )
    )


def test_uploads_are_refused_for_sessions_that_may_not_import(page: Any) -> None:
    ids = _session_ids(page)
    open_app(page)
    assert ids, "no session id seen on the websocket"
    # anonymous: every id this session knows is refused, before the 4 MB body is read
    assert {_put_upload(page, sid, 4) for sid in ids} == {403}
    sign_in(page, *VIEWER)
    assert {_put_upload(page, sid, 4) for sid in ids} == {403}
    _sidebar(page).get_by_role("button", name="退出登录").click()
    wait_idle(page)
    sign_in(page, *EDITOR)
    answers = {_put_upload(page, sid, 4) for sid in ids}
    assert 204 in answers  # the editor's own session may upload …
    assert 413 in {_put_upload(page, sid, 6) for sid in ids}  # … up to the app's cap (5 MB)
    go(page, "导入")
    assert (
        "5MB" in page.locator("[data-testid='stFileUploader']").inner_text()
    )  # Streamlit's own limit


def test_an_editor_uploads_and_a_replace_import_needs_a_tick(
    page: Any, trust_server: dict[str, Any], tmp_path: Path
) -> None:
    store = Store(trust_server["store"])
    keep = store.read_layer("old_estates").drop(columns=["ykgeo_version"]).iloc[[0]]
    source = tmp_path / "一个小区.geojson"
    keep.reset_index(drop=True).to_file(source, driver="GeoJSON")
    gone = sorted(set(store.read_layer("old_estates").index) - set(keep.index))
    open_app(page)
    sign_in(page, *EDITOR)
    go(page, "导入")
    page.get_by_role("combobox", name="导入到图层").click()
    page.keyboard.type("old_estates")  # the list is long: filter it
    page.get_by_role("option", name=re.compile(r"old_estates")).first.click()
    wait_idle(page)
    choose(page, "导入方式", "以文件为准（删除文件中没有的要素，须确认）")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(source))
    wait_idle(page)
    page.get_by_role("button", name="校验").click()
    wait_idle(page)
    box = page.locator(".st-key-ykgeo_import_removals")
    expect(box).to_contain_text(
        f"将删除 老旧小区改造 中不在文件里的 {len(gone)} 个要素", timeout=30_000
    )
    for fid in gone:
        assert fid in box.inner_text()
    go_button = page.get_by_role("button", name="导入到项目库")
    expect(go_button).to_be_disabled()
    box.get_by_text(f"我已核对，确认删除以上 {len(gone)} 个要素").click()
    wait_idle(page)
    expect(go_button).to_be_enabled()
    go_button.click()
    expect(page.locator("[data-testid='stAlert']").first).to_contain_text("已导入", timeout=60_000)
    done = _alerts(page)
    assert f"已删除 {len(gone)} 个不在文件中的要素" in done and "ykgeo revert" in done
    assert Store(trust_server["store"]).count("old_estates") == 1


# --- a busy store ------------------------------------------------------------------------------


@pytest.fixture
def held_lock(trust_server: dict[str, Any]) -> Iterator[subprocess.Popen[str]]:
    """Another process in the middle of a long write: the write lock held, changes not committed."""
    with write_lock_held(trust_server["store"]) as proc:
        yield proc


def test_a_long_write_stops_neither_readers_nor_the_editors_form(
    page: Any, trust_server: dict[str, Any], held_lock: subprocess.Popen[str]
) -> None:
    store_path = trust_server["store"]
    fid = str(Store(store_path).read_layer(PARCELS).index[7])
    start = time.monotonic()
    open_app(page, "map")  # a reader
    map_frame(page)
    assert time.monotonic() - start < 30
    assert "已损坏" not in page.locator("[data-testid='stMain']").inner_text()
    sign_in(page, *EDITOR)
    go(page, "编辑")
    open_feature(page, fid)
    form = page.locator("[data-testid='stForm']")
    choose(form, "状态", "推进中")
    form.get_by_label("备注").fill("锁等待期间填写的备注")
    form.get_by_role("button", name="保存修改").click()
    expect(page.locator("[data-testid='stAlert']").first).to_contain_text(
        "项目库正被他人写入", timeout=30_000
    )
    alerts = _alerts(page)
    assert "项目库正被他人写入，请稍后重试" in alerts and "损坏" not in alerts
    # the caption follows the error in the same run; under load it reaches the page a moment later
    expect(page.locator("[data-testid='stMain']")).to_contain_text("您的修改仍保留在表单中")
    # the edit is still in the form
    assert form.get_by_label("备注").input_value() == "锁等待期间填写的备注"
    assert "推进中" in form.get_by_role("combobox", name="状态").aria_snapshot()
    held_lock.communicate("\n", timeout=30)  # the other writer finishes
    form.get_by_role("button", name="保存修改").click()
    expect(page.locator("[data-testid='stAlert']").first).to_contain_text("已保存", timeout=30_000)
    row = Store(store_path).read_layer(PARCELS).loc[fid]
    assert (row["状态"], row["备注"]) == ("推进中", "锁等待期间填写的备注")


# --- what the data says, shown as it is --------------------------------------------------------


def test_markdown_in_data_and_file_names_is_shown_literally(
    page: Any, trust_server: dict[str, Any], tmp_path: Path
) -> None:
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "x.png" in r.url else None)
    open_app(page, "map")
    _, x, y = map_point(page, PAYLOAD_ID)
    page.mouse.click(x, y)
    detail = page.locator(".st-key-ykgeo_map_detail")
    detail.wait_for(timeout=20_000)
    wait_idle(page)
    assert detail.inner_text().count(PAYLOAD) == 2  # 企业名称 and 备注, every character kept
    table = detail.locator("table")
    assert table.locator("img, em, strong, del, code, h1, h2, h3").count() == 0
    # a URL in the text may be offered as a link (GFM's autolink), showing exactly itself
    links = table.locator("a").evaluate_all("els => els.map(e => [e.textContent, e.href])")
    assert all(text == href == "http://127.0.0.1:9/x.png" for text, href in links)
    # an upload's file name in the import report
    sign_in(page, *EDITOR)
    go(page, "导入")
    named = tmp_path / "![x](x.png) a_b_c *星* __粗__.geojson"
    named.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(named))
    wait_idle(page)
    page.get_by_role("button", name="校验").click()
    wait_idle(page)
    main = page.locator("[data-testid='stMain']")
    assert named.name in main.inner_text()
    assert main.locator("h3").locator("img, em, strong, del").count() == 0
    page.wait_for_timeout(500)
    assert fetched == []  # no image requested, from port 9 or the app


# --- the 计划 page (issue 11) under the same guarantees ---------------------------------------


def _plan_page(page: Any, year: str, tab: str = "") -> Any:
    """Open the 计划 page on ``year`` (as the year switch labels it), on ``tab``; the main area."""
    choose(_sidebar(page), YEAR_BOX, year)
    go_plan(page)
    if tab:
        page.get_by_role("tab", name=tab).click()
        wait_idle(page)
    return page.locator("[data-testid='stMain']")


def test_the_plan_page_writes_only_for_whom_the_users_file_still_names_an_editor(
    page: Any, trust_server: dict[str, Any]
) -> None:
    users = trust_server["users"]
    add_user(users, "wusan", role="editor", password=PASSWORD)
    store = Store(trust_server["store"])
    before = (store.count(PARCELS), store.data_version().log_id)
    open_app(page)
    sign_in(page, "wusan", PASSWORD)
    main = _plan_page(page, "2023（草案）", "候选地块（亩均）")
    expect(main).to_contain_text("划线在第", timeout=60_000)
    page.get_by_text("确认把线内", exact=False).click()
    wait_idle(page)
    set_role(users, "wusan", "viewer")  # demoted with the adoption ticked and one click away
    page.get_by_role("button", name="纳入名单", exact=False).click()
    wait_idle(page)
    after = Store(trust_server["store"])
    assert (after.count(PARCELS), after.data_version().log_id) == before
    assert "已纳入" not in main.inner_text()
    # the run sees the new role (the page turns read-only); a write that still got this far
    # would be refused by the role read again just before it
    reason = _sidebar(page).inner_text() + _alerts(page)
    assert "角色已改为" in reason or "没有编辑权限" in reason


def test_a_long_write_keeps_the_plan_file_and_its_note_on_the_page(
    page: Any, trust_server: dict[str, Any], tmp_path: Path
) -> None:
    store_path = trust_server["store"]
    store = Store(store_path)
    versions = len(store.plan_versions(2022))
    path = export_plan(store, 2022, tmp_path / "2022年度目标.xlsx")
    book = openpyxl.load_workbook(path)
    cell = book["目标"]["E3"]  # the second target (split by no township): one 亩 more
    cell.value = float(cell.value) + 1
    book.save(path)
    open_app(page)
    sign_in(page, *EDITOR)
    main = _plan_page(page, "2022", "导入导出")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    wait_idle(page)
    note = page.locator(".st-key-ykgeo_plan_upload_note input")
    note.fill("锁等待期间导入的计划调整")
    note.press("Enter")
    wait_idle(page)
    with write_lock_held(store_path) as held:
        page.get_by_role("button", name="校验并导入").click()
        expect(main).to_contain_text("您填写的内容仍保留在页面上", timeout=30_000)
        wait_idle(page)
        alerts = _alerts(page)
        assert "项目库正被他人写入，请稍后重试" in alerts and "损坏" not in alerts
        assert note.input_value() == "锁等待期间导入的计划调整"
        assert path.name in main.inner_text()  # the upload is still there
        held.communicate("\n", timeout=30)  # the other writer finishes
    page.get_by_role("button", name="校验并导入").click()
    saved = page.locator("[data-testid='stAlert']").filter(has_text="已保存")
    expect(saved.first).to_be_visible(timeout=30_000)
    after = Store(store_path).plan_versions(2022)
    assert len(after) == versions + 1 and after[-1].note == "锁等待期间导入的计划调整"


def test_plan_text_from_the_data_is_shown_literally_on_the_plan_page(
    page: Any, trust_server: dict[str, Any]
) -> None:
    """Changes the trust store: the 2023 draft gets a version named with the Markdown payload."""
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "x.png" in r.url else None)
    store = Store(trust_server["store"])
    data = plan_data(store.plan(2023))
    assert data["targets"][0]["key"] == "low_efficiency_remediation"
    data["name_zh"] = PAYLOAD
    data["targets"][0]["name_zh"] = PAYLOAD
    store.save_plan(
        parse_plan(plan_to_toml(data), name="payload", layers=store.layers, year=2023),
        user="测试",
        note=PAYLOAD,
    )
    open_app(page)
    main = _plan_page(page, "2023（草案）")
    # the caption: the plan's name and its version's note (every character kept)
    expect(main).to_contain_text(PAYLOAD, timeout=30_000)
    assert main.inner_text().count(PAYLOAD) >= 2
    page.get_by_role("tab", name="候选地块（亩均）").click()
    wait_idle(page)
    summary = main.locator("[data-testid='stMarkdownContainer']", has_text="划线在第")
    expect(summary.first).to_be_visible(timeout=60_000)
    assert PAYLOAD in summary.first.inner_text()  # the target's name in the list's summary
    assert main.locator("[data-testid='stMarkdownContainer'] img").count() == 0
    assert main.locator("[data-testid='stMarkdownContainer'] em").count() == 0
    page.wait_for_timeout(500)
    assert fetched == []  # no image requested, from port 9 or the app
