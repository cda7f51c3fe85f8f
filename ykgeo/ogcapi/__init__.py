"""The store as OGC API – Features for other GIS tools: pygeoapi with providers that read through the store.

Modules: :mod:`~ykgeo.ogcapi.params` (what ``datetime``, ``known-at`` and ``bbox`` mean),
:mod:`~ykgeo.ogcapi.provider` (pygeoapi providers: a layer as of a date, progress by
township; imports pygeoapi) and :mod:`~ykgeo.ogcapi.server` (pygeoapi's configuration
for a store, and the server of ``ykgeo serve``). The HTML pages are our own Jinja templates
(``templates/``, searched before pygeoapi's) with their stylesheet and map script
(``static/``): Chinese, and everything they load comes from the server itself (the Leaflet
of ``ykgeo/maps/assets``, Swagger UI from the swagger-ui-bundle package), so they work on
an intranet. A front end like the CLI and the app: the library never imports it.
"""

from __future__ import annotations

from ykgeo.ogcapi.params import KNOWN_AT_PARAMETER, Snapshot, parse_as_of, parse_bbox
from ykgeo.ogcapi.server import (
    ServeSettings,
    page_assets,
    pygeoapi_config,
    pygeoapi_openapi,
    run_server,
)

__all__ = [
    "KNOWN_AT_PARAMETER",
    "ServeSettings",
    "Snapshot",
    "page_assets",
    "parse_as_of",
    "parse_bbox",
    "pygeoapi_config",
    "pygeoapi_openapi",
    "run_server",
]
