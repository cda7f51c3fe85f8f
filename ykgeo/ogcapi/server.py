"""The store as OGC API – Features: pygeoapi's configuration for a store, and the server that runs it."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ykgeo.errors import DataError
from ykgeo.layers import LayerSpec
from ykgeo.maps import ASSET_DIR, status_styles
from ykgeo.ogcapi.params import CRS84, EPSG4490
from ykgeo.store import Store

__all__ = [
    "STATIC_DIR",
    "TEMPLATE_DIR",
    "ServeSettings",
    "page_assets",
    "pygeoapi_config",
    "pygeoapi_openapi",
    "run_server",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_PROVIDER = "ykgeo.ogcapi.provider.StoreProvider"
_PROGRESS_PROVIDER = "ykgeo.ogcapi.provider.ProgressProvider"
#: The whole county, for collections whose table has no extent yet.
_YONGKANG_BBOX = [119.85, 28.75, 120.35, 29.15]
#: Our HTML templates, searched before pygeoapi's own: Chinese pages that load nothing from a CDN.
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
#: The pages' own stylesheet and scripts, served under ``/assets/ykgeo/``.
STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class ServeSettings:
    """How ``ykgeo serve`` runs.

    ``url`` is the address clients see (default ``http://host:port``); behind a proxy it is
    the proxy's public address, so that the links in every response point there.
    ``as_of`` / ``known_now`` set the date of requests that send no ``datetime`` (for
    clients that cannot send one, such as GDAL's and QGIS's OAPIF drivers).
    """

    store: Path
    host: str = "127.0.0.1"
    port: int = 5000
    url: str = ""
    as_of: dt.date | None = None
    known_now: bool = False
    default_items: int = 100
    max_items: int = 10000

    @property
    def public_url(self) -> str:
        return (self.url or f"http://{self.host}:{self.port}").rstrip("/")


def _collection(
    title: str,
    description: str,
    keywords: list[str],
    bbox: list[float],
    provider: dict[str, Any],
    spec: LayerSpec | None = None,
) -> dict[str, Any]:
    resource = {
        "type": "collection",
        "title": title,
        "description": description or title,
        "keywords": keywords,
        "links": [],
        "extents": {"spatial": {"bbox": bbox, "crs": CRS84}},
        "providers": [provider],
    }
    if spec is not None:
        resource.update(_map_symbols(spec))
    return resource


def _map_symbols(spec: LayerSpec) -> dict[str, Any]:
    """A layer's symbols by status for the maps of its HTML pages, as in the app and in QGIS.

    Read by our templates (pygeoapi passes them its configuration and ignores these keys):
    ``ykgeo_symbols``, JSON for the map script — ``field`` (the status field), ``styles``
    (Leaflet path options, 0 for an unknown status) and ``index`` (status → style) — and
    ``ykgeo_legend``, (label, colour, swatch) rows. A string and lists, not dicts: pygeoapi
    reads the keys of every dict in its configuration as language codes.
    """
    styles, legend, index = status_styles(spec)
    field = spec.status.field if spec.status is not None else ""
    symbols = {"field": field, "styles": styles, "index": index}
    return {
        "ykgeo_symbols": json.dumps(symbols, ensure_ascii=False),
        "ykgeo_legend": [list(entry) for entry in legend],
    }


def _provider(
    name: str,
    store: Store,
    settings: ServeSettings,
    id_field: str,
    title_field: str,
    options: dict[str, Any],
) -> dict[str, Any]:
    if settings.as_of is not None:
        options = {**options, "as_of": settings.as_of.isoformat(), "known_now": settings.known_now}
    return {
        "type": "feature",
        "name": name,
        "data": str(store.path.resolve()),
        "id_field": id_field,
        "title_field": title_field or id_field,
        "options": options,
        "crs": [CRS84, EPSG4490],
        "storage_crs": EPSG4490,
        # property filters, and our own known-at, reach the provider (which refuses unknown ones)
        "include_extra_query_parameters": True,
    }


def pygeoapi_config(store: Store, settings: ServeSettings) -> dict[str, Any]:
    """pygeoapi's configuration: one collection per layer of the store, and ``progress``.

    Only the layers' features are served: the edit log (and its user names) and the
    store's metadata are not. Server language is ``en-US`` for pygeoapi's own words
    (its Babel-based negotiation fails on zh-CN); titles and fields are Chinese.
    """
    resources: dict[str, Any] = {}
    for key in store.layer_keys():
        spec = store.spec(key)
        resources[key] = _collection(
            spec.name_zh,
            spec.description_zh,
            [spec.theme, spec.name_en] if spec.name_en else [spec.theme],
            store.layer_bounds(key) or _YONGKANG_BBOX,
            _provider(_PROVIDER, store, settings, spec.id_field, spec.name_field, {"layer": key}),
            spec,
        )
    if "townships" in store.layer_keys() and store.plan_years():
        towns = store.spec("townships")
        resources["progress"] = _collection(
            "年度目标进展（按镇街）",
            "各镇街每项年度目标的完成量、完成率（占其应承担份额）与评级，按 datetime 指定的统计日、以当日所知计算；"
            "加 known-at=now 则包含事后补录的更正。供其他 GIS 工具绘制分级设色图。",
            ["进展", "镇街"],
            store.layer_bounds("townships") or _YONGKANG_BBOX,
            _provider(_PROGRESS_PROVIDER, store, settings, towns.id_field, towns.name_field, {}),
        )
    return {
        "server": {
            "bind": {"host": settings.host, "port": settings.port},
            "url": settings.public_url,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "gzip": False,  # pygeoapi compresses in Python at level 9: 2× the time of a 17 MB page
            "languages": ["en-US"],
            "cors": False,
            "pretty_print": False,
            "limits": {
                "default_items": settings.default_items,
                "max_items": settings.max_items,
                "on_exceed": "throttle",
            },
            "map": {"url": "", "attribution": ""},  # no tiles from the internet (our maps use none)
            "templates": {"path": str(TEMPLATE_DIR)},
            "admin": False,
        },
        "logging": {"level": "WARNING"},
        "metadata": {
            "identification": {
                "title": f"{store.name_zh}（OGC API – Features，只读）",
                "description": "ykgeo 项目库的图层，按统计日（datetime）与所知时点（known-at）重建。",
                "keywords": ["永康市", "自然资源和规划", "ykgeo"],
                "keywords_type": "theme",
                "terms_of_service": "",
                "url": settings.public_url,
            },
            "license": {"name": "内部资料", "url": settings.public_url},
            "provider": {"name": "永康市自然资源和规划局", "url": settings.public_url},
            "contact": {
                "name": "永康市自然资源和规划局",
                "position": "",
                "address": "",
                "city": "永康市",
                "stateorprovince": "浙江省",
                "postalcode": "",
                "country": "中国",
                "phone": "",
                "fax": "",
                "email": "",
                "url": settings.public_url,
                "hours": "",
                "instructions": "",
                "role": "pointOfContact",
            },
        },
        "resources": resources,
        # pygeoapi 0.21's TileMatrixSets pages pass the whole configuration where the template
        # settings go, so they look for ``path`` here: without it they would load Bootstrap from a CDN
        "path": str(TEMPLATE_DIR),
    }


_KNOWN_AT_DOC = {
    "name": "known-at",
    "in": "query",
    "required": False,
    "description": "所知时点：now（包含事后补录的更正）或日期/时刻；默认为 datetime 当日结束时所知。",
    "schema": {"type": "string"},
    "style": "form",
    "explode": False,
}


def pygeoapi_openapi(config: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document pygeoapi serves, with our ``known-at`` parameter on every items path."""
    from pygeoapi.openapi import get_oas

    document: dict[str, Any] = json.loads(json.dumps(get_oas(config), default=str))
    for path, item in document.get("paths", {}).items():
        if path.endswith("/items") and "get" in item:
            item["get"].setdefault("parameters", []).append(dict(_KNOWN_AT_DOC))
    return document


@contextmanager
def _pygeoapi_files(store: Store, settings: ServeSettings) -> Iterator[None]:
    """Write pygeoapi's configuration and OpenAPI document where its Flask app reads them."""
    import yaml

    config = pygeoapi_config(store, settings)
    with tempfile.TemporaryDirectory(prefix="ykgeo-ogcapi-") as tmp:
        config_path = Path(tmp) / "pygeoapi-config.yml"
        openapi_path = Path(tmp) / "openapi.json"
        config_path.write_text(
            yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        openapi_path.write_text(
            json.dumps(pygeoapi_openapi(config), ensure_ascii=False), encoding="utf-8"
        )
        os.environ["PYGEOAPI_CONFIG"] = str(config_path)
        os.environ["PYGEOAPI_OPENAPI"] = str(openapi_path)
        yield


def page_assets() -> dict[str, str]:
    """What the HTML pages load, by URL path under the server's URL: all of it served by the server.

    Our stylesheet and map script, the Leaflet vendored in ``ykgeo/maps/assets`` (the
    app's copy) and Swagger UI from the swagger-ui-bundle package: no CDN at run time.
    """
    from swagger_ui_bundle import swagger_ui_path

    return {
        "/assets/ykgeo": str(STATIC_DIR),
        "/assets/leaflet": str(ASSET_DIR / "leaflet"),
        "/assets/swagger-ui": str(swagger_ui_path),
    }


def run_server(settings: ServeSettings, *, ready: Any = None) -> None:
    """Serve the store until interrupted (Ctrl+C); ``ready`` (a callable) is told the URL once listening."""
    try:
        import pygeoapi  # noqa: F401
        import swagger_ui_bundle  # noqa: F401
        from werkzeug.middleware.shared_data import SharedDataMiddleware
        from werkzeug.serving import make_server
    except ModuleNotFoundError as err:
        msg = "ykgeo serve 需要 pygeoapi 与 swagger-ui-bundle：请安装 ykgeo[serve]（make setup 已包含）"
        raise DataError(msg) from err
    store = Store(settings.store)
    with _pygeoapi_files(store, settings):
        from pygeoapi.flask_app import APP  # reads the two files at import

        app = SharedDataMiddleware(APP, page_assets())
        try:
            server = make_server(settings.host, settings.port, app, threaded=True)
        except OSError as err:
            msg = f"无法在 {settings.host}:{settings.port} 上监听：{err.strerror or err}"
            raise DataError(msg) from err
        if ready is not None:
            ready(settings.public_url)
        try:
            server.serve_forever()
        finally:
            server.server_close()
