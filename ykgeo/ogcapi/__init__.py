"""The store as OGC API – Features for other GIS tools: pygeoapi with providers that read through the store.

Modules: :mod:`~ykgeo.ogcapi.params` (what ``datetime``, ``known-at`` and ``bbox`` mean),
:mod:`~ykgeo.ogcapi.provider` (pygeoapi providers: a layer as of a date, progress by
township; imports pygeoapi) and :mod:`~ykgeo.ogcapi.server` (pygeoapi's configuration
for a store, and the server of ``ykgeo serve``). A front end like the CLI and the app:
the library never imports it.
"""

from __future__ import annotations

from ykgeo.ogcapi.params import KNOWN_AT_PARAMETER, Snapshot, parse_as_of, parse_bbox
from ykgeo.ogcapi.server import ServeSettings, pygeoapi_config, pygeoapi_openapi, run_server

__all__ = [
    "KNOWN_AT_PARAMETER",
    "ServeSettings",
    "Snapshot",
    "parse_as_of",
    "parse_bbox",
    "pygeoapi_config",
    "pygeoapi_openapi",
    "run_server",
]
