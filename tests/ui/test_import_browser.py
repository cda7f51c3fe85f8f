"""导入 in the browser: a Windows zip's GBK member names and a township written short (东城 → 东城街道)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import APP_EDITOR
from tests.io.test_validate import _windows_zip
from tests.ui.helpers import choose, go, no_exceptions, open_app, sha256, shot, sign_in, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_windows_zip_names_and_short_township_are_shown_plainly(
    app_page: Any, tmp_path: Path
) -> None:
    page = app_page
    before = sha256(page.app["store"])
    open_app(page)
    sign_in(page, *APP_EDITOR)
    go(page, "导入")
    choose(page, "导入到图层", "土地 · 低效工业用地（low_efficiency_industrial）")
    upload = page.locator("[data-testid='stFileUploaderDropzoneInput']")
    upload.set_input_files(str(_windows_zip(tmp_path)))
    wait_idle(page)
    page.get_by_role("button", name="校验").click()
    wait_idle(page)
    main = page.locator("[data-testid='stMain']")
    expect(main).to_contain_text("低效用地.shp", timeout=30_000)  # not ╡═╨º…
    assert "╡" not in main.inner_text()
    problems = main.locator("[data-testid='stDataFrame']")
    expect(problems.locator("[role='gridcell']").first).to_be_attached(timeout=30_000)
    text = " ".join(problems.locator("[role='gridcell']").all_inner_texts())
    assert "是否应为“东城街道”" in text
    shot(page, "import_windows_zip")
    # a Windows zip whose member climbs out of the folder is named as written
    evil = tmp_path / "evil.zip"

    class GbkName(zipfile.ZipInfo):
        def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 - zipfile's name
            return self.filename.encode("gbk"), self.flag_bits & ~0x800

    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr(GbkName("../地块.shp"), b"x")
    upload.set_input_files(str(evil))
    wait_idle(page)
    page.get_by_role("button", name="校验").click()
    wait_idle(page)
    expect(main).to_contain_text("../地块.shp")
    assert sha256(page.app["store"]) == before
    no_exceptions(page)
