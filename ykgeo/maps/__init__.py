"""Folium maps of ykgeo layers that work on an intranet: offline assets, basemaps, status styles, legend.

What goes into a map is decided here, not in the pages:

* **No CDN.** Leaflet and ykgeo's map runtime (``ykgeo/maps/assets``) are referenced under
  :attr:`MapSettings.asset_url`, which the app serves itself; folium's default CDN links
  (Leaflet, jQuery, Bootstrap, Font Awesome …) are replaced, never loaded. The default
  basemap is offline: no tiles, the city boundary, townships and the store's layers drawn
  as they are. Online basemaps (天地图 with a key, AMap, OpenStreetMap) appear only when
  the settings enable them.
* **The official measure.** Every feature of a polygon layer carries its area in 亩 on the
  CGCS2000 ellipsoid, of a line layer its length in km (:mod:`ykgeo.area`, computed once per
  layer), as the last field of its tooltip and popup.
* **Safe with hostile data.** Data reach the page only as JSON inside one ``<script>``,
  with ``<``, ``>``, ``&`` and ``'`` escaped; the runtime writes every value with
  ``textContent``. Nothing from the data is ever HTML.
* **A payload that does not grow with the store.** Styles are precomputed (a feature
  carries a style index, one JS function looks it up); coordinates are quantised to
  10⁻⁶° (≈ 0.1 m) and delta-encoded as integers; and a map never carries more than
  :attr:`MapSettings.vertex_budget` vertices and :attr:`MapSettings.feature_budget`
  features: layers that would exceed it are drawn aggregated by township (a choropleth of
  the share done with counts by status) until the planner narrows the view to a township,
  a status or a layer, when the features themselves are drawn.
* **AMap's GCJ-02 offset** is handled by shifting the display of the AMap tiles (a custom
  Leaflet tile layer laid out around GCJ(centre)), never the data; see ``ykmap.js``.
* **Rasters as evidence.** A raster (land cover, DEM …) is drawn by
  :func:`ykgeo.raster.raster_overlay` (reprojected to Web Mercator, coloured, with a legend)
  and carried as a compact PNG ``data:`` URL (:func:`prepare_raster`): an image layer the
  planner switches on and off in the layer control like any other, with its legend on the
  map, and nothing fetched from anywhere.
* **One concern a module.** A layer's payload (styles, encoding) is built in
  :mod:`ykgeo.maps.payload`, a layer drawn by township in :mod:`ykgeo.maps.aggregate`,
  the basemaps in :mod:`ykgeo.maps.basemaps`, the raster overlays in
  :mod:`ykgeo.maps.overlays`; :mod:`ykgeo.maps.build` keeps the
  settings, the planning of a map within its budgets and the folium map itself. The
  browser side (Leaflet, vendored, and ``ykmap.js``) is in ``ykgeo/maps/assets``.
"""

from __future__ import annotations

from ykgeo.maps.aggregate import aggregate_envelopes, aggregate_layer, filter_envelopes
from ykgeo.maps.basemaps import (
    BASEMAPS,
    BASEMAPS_EN,
    BasemapKey,
    basemap_names,
)
from ykgeo.maps.build import (
    ASSET_DIR,
    MapSettings,
    Selection,
    build_map,
    map_html,
    parse_selection,
    plan_map_layers,
)
from ykgeo.maps.overlays import (
    RASTER_SUFFIXES,
    RasterMapLayer,
    prepare_raster,
    raster_map_layer,
    raster_sources,
    raster_title,
)
from ykgeo.maps.payload import (
    MEASURE_LABELS,
    MapLayer,
    display_value,
    feature_measures,
    filter_features,
    measure_label,
    prepare_layer,
    safe_json,
    status_styles,
)
from ykgeo.maps.tools import (
    Measurement,
    PrintRequest,
    feature_colours,
    measure,
    parse_drawing,
    search_features,
)

__all__ = [
    "ASSET_DIR",
    "BASEMAPS",
    "BASEMAPS_EN",
    "MEASURE_LABELS",
    "RASTER_SUFFIXES",
    "BasemapKey",
    "MapLayer",
    "MapSettings",
    "Measurement",
    "PrintRequest",
    "RasterMapLayer",
    "Selection",
    "aggregate_envelopes",
    "aggregate_layer",
    "basemap_names",
    "build_map",
    "display_value",
    "feature_colours",
    "feature_measures",
    "filter_envelopes",
    "filter_features",
    "map_html",
    "measure",
    "measure_label",
    "parse_drawing",
    "parse_selection",
    "plan_map_layers",
    "prepare_layer",
    "prepare_raster",
    "raster_map_layer",
    "raster_sources",
    "raster_title",
    "safe_json",
    "search_features",
    "status_styles",
]
