"""``ykgeo serve``'s HTML pages work on an intranet: nothing referenced outside the server, maps drawn in Debian chromium.

The server (fixture ``server_hostile``) is the demo store plus parcel ``XSS-0001`` whose
company name is ``<img src=x onerror=alert(1)>``: it must show as text everywhere.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import APP_HOSTILE_NAME, APP_SCREENSHOTS
from tests.ogcapi.conftest import Server
from ykgeo.ogcapi import ServeSettings, pygeoapi_config
from ykgeo.store import Store

KEY = "low_efficiency_industrial"
HOSTILE_ID = "XSS-0001"
#: One page of each kind pygeoapi renders for our service (path, query), and an error page.
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "landing": ("/", {}),
    "conformance": ("/conformance", {}),
    "collections": ("/collections", {}),
    "collection": (f"/collections/{KEY}", {}),
    "items": (f"/collections/{KEY}/items", {}),
    "items-points": ("/collections/reservoirs/items", {}),
    "items-lines": ("/collections/road_projects/items", {}),
    "items-progress": ("/collections/progress/items", {"datetime": "2022-09-30"}),
    "item": (f"/collections/{KEY}/items/{HOSTILE_ID}", {}),
    "queryables": (f"/collections/{KEY}/queryables", {}),
    "schema": (f"/collections/{KEY}/schema", {}),
    "openapi": ("/openapi", {}),
    "openapi-redoc": ("/openapi", {"ui": "redoc"}),
    "processes": ("/processes", {}),
    "jobs": ("/jobs", {}),
    "tile-matrix-sets": ("/TileMatrixSets", {}),
    "tile-matrix-set": ("/TileMatrixSets/WebMercatorQuad", {}),
    "stac": ("/stac", {}),
    "error": ("/collections/no_such_layer", {}),
}
#: Attributes whose URL a browser loads or follows.
_URL_ATTRIBUTES = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background"}
_URL_IN_TEXT = re.compile(r"""(?:https?|wss?)://[^\s"'`)<>\\]+""")


def _page_url(server: Server, name: str) -> str:
    path, query = PAGES[name]
    return f"{server.url}{path}?{urllib.parse.urlencode({**query, 'f': 'html'})}"


def _fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read().decode()


class _References(HTMLParser):
    """Every URL a page refers to: in URL attributes, ``style`` attributes and inline scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.loaded: list[str] = []  # stylesheets, scripts and images the browser fetches
        self._inline: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name in _URL_ATTRIBUTES:
                for part in value.split(",") if name == "srcset" else [value]:
                    self.urls.append((tag, name, part.strip().split(" ")[0]))
            elif name == "style":
                self.urls += [(tag, "style", url) for url in _URL_IN_TEXT.findall(value)]
        if tag in ("script", "img") and values.get("src"):
            self.loaded.append(values["src"])
        if tag == "link" and "stylesheet" in values.get("rel", "") and values.get("href"):
            self.loaded.append(values["href"])
        self._inline = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._inline = None

    def handle_data(self, data: str) -> None:
        if self._inline:
            self.urls += [(self._inline, "text", url) for url in _URL_IN_TEXT.findall(data)]


def _outside(server: Server, page_url: str, urls: list[tuple[str, str, str]]) -> list[str]:
    host = urllib.parse.urlsplit(server.url).netloc
    outside = []
    for tag, attribute, url in urls:
        absolute = urllib.parse.urlsplit(urllib.parse.urljoin(page_url, url))
        if absolute.scheme in ("http", "https", "ws", "wss") and absolute.netloc != host:
            outside.append(f"<{tag} {attribute}> {url}")
    return outside


# --- what the pages refer to ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PAGES))
def test_every_html_page_refers_to_nothing_outside_the_server(server_hostile: Server, name: str) -> None:
    url = _page_url(server_hostile, name)
    status, content_type, html = _fetch(url)
    assert status == (404 if name == "error" else 200), html[:500]
    assert content_type.startswith("text/html"), content_type
    references = _References()
    references.feed(html)
    assert _outside(server_hostile, url, references.urls) == []
    assert references.loaded, "a page without its stylesheet looks bare"
    for loaded in references.loaded:  # and what it loads is there
        status, _, _ = _fetch(urllib.parse.urljoin(url, loaded))
        assert status == 200, loaded


def test_configuration_with_our_templates_and_symbols_keeps_to_pygeoapis_schema(server_hostile: Server) -> None:
    from pygeoapi.config import validate_config

    from ykgeo.ogcapi import page_assets

    store = Store(server_hostile.store)
    config = pygeoapi_config(store, ServeSettings(server_hostile.store))
    assert validate_config(config)
    assert Path(config["server"]["templates"]["path"], "_base.html").is_file()
    symbols = json.loads(config["resources"][KEY]["ykgeo_symbols"])
    assert symbols["field"] == "状态" and set(symbols["index"]) == {"未启动", "推进中", "已完成"}
    assert [row[0] for row in config["resources"][KEY]["ykgeo_legend"]] == ["未启动", "推进中", "已完成"]
    for path in page_assets().values():
        assert Path(path).is_dir(), path


def test_pages_are_in_chinese(server_hostile: Server) -> None:
    _, _, landing = _fetch(_page_url(server_hostile, "landing"))
    assert '<html lang="zh-CN"' in landing
    assert "数据集" in landing and "接口文档" in landing and "符合的标准" in landing
    _, _, items = _fetch(_page_url(server_hostile, "items"))
    assert "低效工业用地" in items and "要素" in items


def test_text_from_the_data_is_escaped_in_the_item_and_items_pages(server_hostile: Server) -> None:
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    filtered = f"{server_hostile.url}/collections/{KEY}/items?" + urllib.parse.urlencode(
        {"f": "html", "企业名称": APP_HOSTILE_NAME}
    )
    for url in (_page_url(server_hostile, "item"), filtered):
        status, _, html = _fetch(url)
        assert status == 200
        assert APP_HOSTILE_NAME not in html, url
        assert escaped in html, url


# --- in a real browser -------------------------------------------------------------------------


@pytest.fixture
def serve_page(app_browser: Any, server_hostile: Server) -> Iterator[Any]:
    """A browser page that records every request, dialog and script error (checked by the tests)."""
    context = app_browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.requests = []
    page.dialogs = []
    page.errors = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    page.server = server_hostile
    yield page
    context.close()


def _left_the_server(page: Any) -> list[str]:
    host = urllib.parse.urlsplit(page.server.url).netloc
    return [
        url for url in page.requests
        if urllib.parse.urlsplit(url).scheme not in ("data", "blob", "about")
        and urllib.parse.urlsplit(url).netloc != host
    ]  # fmt: skip


def _rows(page: Any) -> int:
    return int(page.locator("table.items tbody tr").count())


@pytest.mark.browser
@pytest.mark.slow
def test_items_page_draws_its_features_on_the_map_offline(serve_page: Any) -> None:
    page = serve_page
    page.goto(_page_url(page.server, "items"), wait_until="networkidle")
    features = page.locator("#items-map path.leaflet-interactive")
    features.first.wait_for(timeout=30_000)
    page.wait_for_timeout(300)
    APP_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(APP_SCREENSHOTS / "serve_items.png"), full_page=True)
    assert _rows(page) == 100  # the default page of the parcels
    assert features.count() == _rows(page)  # one path per feature of the page
    townships = Store(page.server.store).count("townships")
    assert page.locator("#items-map path.yk-context").count() == townships > 0  # outlines beneath
    assert page.evaluate("document.querySelector('#items-map').offsetHeight") >= 400
    box = page.locator("#items-map path.leaflet-interactive").first.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    assert _left_the_server(page) == []
    assert page.requests and all(url.startswith(page.server.url) for url in page.requests)
    assert page.errors == [] and page.dialogs == []


@pytest.mark.browser
@pytest.mark.slow
def test_hostile_name_stays_text_in_the_popup_and_on_the_item_page(serve_page: Any) -> None:
    page = serve_page
    query = urllib.parse.urlencode({"f": "html", "企业名称": APP_HOSTILE_NAME})
    page.goto(f"{page.server.url}/collections/{KEY}/items?{query}", wait_until="networkidle")
    feature = page.locator("#items-map path.leaflet-interactive")
    feature.first.wait_for(timeout=30_000)
    assert feature.count() == 1 and _rows(page) == 1
    assert page.locator("table.items tbody td").first.inner_text().strip() == APP_HOSTILE_NAME
    feature.first.click()
    popup = page.locator(".leaflet-popup-content a")
    popup.wait_for(timeout=10_000)
    assert popup.inner_text() == APP_HOSTILE_NAME
    popup.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == APP_HOSTILE_NAME
    assert page.locator("#item-map path.leaflet-interactive").count() == 1
    assert page.locator("img[src='x']").count() == 0
    assert page.dialogs == [] and page.errors == []
    assert _left_the_server(page) == []


@pytest.mark.browser
@pytest.mark.slow
def test_every_page_requests_nothing_outside_the_server_in_the_browser(serve_page: Any) -> None:
    page = serve_page
    for name in PAGES:
        page.requests.clear()
        page.goto(_page_url(page.server, name), wait_until="networkidle")
        if name == "openapi" or name == "openapi-redoc":
            page.locator(".swagger-ui .opblock").first.wait_for(timeout=30_000)
            assert page.locator(".swagger-ui .opblock").count() > 20, name
        if name.startswith("items") or name == "item" or name == "collection":
            page.locator(".leaflet-container path.leaflet-interactive").first.wait_for(timeout=30_000)
        if name == "items-points":
            assert page.locator("#items-map path.leaflet-interactive").count() == _rows(page) > 0
        assert _left_the_server(page) == [], name
        assert page.errors == [], name
    assert page.dialogs == []
