"""Serve ``ykgeo/maps/assets`` (Leaflet and the map runtime) from the app itself: no CDN at run time.

Streamlit serves the folder of a declared component at ``/component/<name>/``; the map
component of streamlit-folium lives beside it at ``/component/streamlit_folium.st_folium/``,
so the map's iframe reaches the assets with a relative URL that also works under
``server.baseUrlPath``.
"""

from __future__ import annotations

import streamlit.components.v1 as components

from ykgeo.maps import ASSET_DIR

__all__ = ["ASSET_URL"]

# Declaring registers the folder with Streamlit's component file server; it is never rendered.
_COMPONENT = components.declare_component("ykgeo_assets", path=str(ASSET_DIR))
#: The assets as seen from the streamlit-folium iframe.
ASSET_URL = f"../{__name__}.ykgeo_assets/"
