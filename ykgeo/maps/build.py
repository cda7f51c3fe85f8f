"""Building the folium map: settings, the plan of a map within its budgets, the map and its HTML."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from ykgeo.layers import LayerSpec
from ykgeo.maps.aggregate import aggregate_envelopes, aggregate_layer
from ykgeo.maps.basemaps import basemap_configs
from ykgeo.maps.overlays import (
    RasterMapLayer,
    raster_config,
)
from ykgeo.maps.payload import (
    MapLayer,
    prepare_layer,
    safe_json,
)
from ykgeo.store import LayerEnvelopes

__all__ = [
    "ASSET_DIR",
    "MapSettings",
    "Selection",
    "build_map",
    "map_html",
    "parse_selection",
    "plan_map_layers",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: The files the map needs in the browser; the app serves this folder (see ``ykgeo.ui.assets``).
ASSET_DIR = Path(__file__).resolve().parent / "assets"

#: The words of the map runtime itself (layer control, legend, popups), by language.
_RUNTIME_TEXT: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "layers": "图层",
        "basemap": "底图",
        "legend": "图例",
        "hint": "详细信息与变更记录见地图右侧",
        "fullscreen": "全屏",
        "exitFullscreen": "退出全屏",
        "print": "打印当前视图（PNG/PDF，见地图右侧）",
        "printShort": "打印",
        "measureLine": "测距离（椭球，km，结果见地图右侧）",
        "measureArea": "测面积（椭球，亩，结果见地图右侧）",
        "measureClear": "清除测量",
        "measureStart": "单击开始",
        "measureCont": "单击继续，点击最后一点结束",
        "measureClose": "单击第一个点闭合",
        "cancel": "取消",
        "finish": "完成",
        "undo": "撤销上一点",
        "tilesFailed": "底图“{name}”的瓦片无法加载（可能没有网络），已改用离线底图。",
    },
    "en": {
        "fullscreen": "Full screen",
        "exitFullscreen": "Exit full screen",
        "print": "Print this view (PNG/PDF, beside the map)",
        "printShort": "Print",
        "measureLine": "Measure a distance (ellipsoidal, km; result beside the map)",
        "measureArea": "Measure an area (ellipsoidal, mu; result beside the map)",
        "measureClear": "Clear measurements",
        "measureStart": "Click to start",
        "measureCont": "Click to continue; click the last point to finish",
        "measureClose": "Click the first point to close",
        "cancel": "Cancel",
        "finish": "Finish",
        "undo": "Delete last point",
        "tilesFailed": "The tiles of “{name}” cannot load (no network?): back to the offline basemap.",
        "layers": "Layers",
        "basemap": "Basemap",
        "legend": "Legend",
        "hint": "Details and change history beside the map",
    },
}


@dataclass(frozen=True)
class MapSettings:
    """How maps are built. Passed in, never global: every session may differ.

    Attributes
    ----------
    basemap
        The basemap shown first: ``offline`` (default), ``tianditu_vec``, ``tianditu_img``,
        ``amap`` or ``osm``.
    online_basemaps
        Online basemaps offered in the layer control besides the offline one; 天地图 needs
        ``tianditu_key`` too. Empty (the default) means the map never requests a tile.
    tianditu_key
        The 天地图 ``tk`` key of the bureau.
    asset_url
        URL prefix (ending in ``/``) under which :data:`ASSET_DIR` is served.
    feature_budget, vertex_budget
        At most this many features / coordinates drawn individually in one map; beyond,
        the largest layers are aggregated by township.
    coordinate_decimals
        Decimal places of degrees kept (6 ≈ 0.1 m).
    storage_key
        Browser ``sessionStorage`` key under which the map keeps its view and layer choice.
    height
        Height of the map in pixels.
    language
        ``zh`` (default) or ``en``: the words of the map's controls, the basemap names and
        the layer names (``LayerSpec.name_en`` when it has one). Data stay as they are.
    """

    basemap: str = "offline"
    online_basemaps: tuple[str, ...] = ()
    tianditu_key: str = ""
    asset_url: str = "assets/"
    feature_budget: int = 15_000
    vertex_budget: int = 250_000
    coordinate_decimals: int = 6
    storage_key: str = "ykgeo-map"
    height: int = 640
    language: str = "zh"
    tools: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selection:
    """What the planner clicked on the map: a feature, or a township of an aggregated layer."""

    layer: str = ""
    feature_id: str = ""
    township: str = ""


# --- planning: what the map draws, within its budgets ------------------------------------


def plan_map_layers(
    frames: Mapping[str, gpd.GeoDataFrame | LayerEnvelopes],
    specs: Mapping[str, LayerSpec],
    *,
    settings: MapSettings,
    townships: gpd.GeoDataFrame | None = None,
    township_name_field: str = "",
) -> list[MapLayer]:
    """Prepare every layer of ``frames`` within the map's budgets.

    Reference layers are always drawn (simplified). Thematic layers are drawn feature by
    feature, smallest first, while the running totals stay within the feature and vertex
    budgets; the layers that do not fit are aggregated by township (they need
    ``townships``; without it they are left out with a note). A thematic layer given
    read lean (:class:`ykgeo.store.LayerEnvelopes`, with its status field) is aggregated
    (:func:`aggregate_envelopes`): give one only for more features than
    :attr:`MapSettings.feature_budget`, which would be aggregated anyway.
    """
    out: list[MapLayer] = []
    sizes: dict[str, tuple[int, int]] = {}
    for key, gdf in frames.items():
        spec = specs[key]
        if spec.reference or isinstance(gdf, LayerEnvelopes):
            continue
        geoms = gdf.geometry.to_numpy()
        sizes[key] = (len(gdf), int(shapely.get_num_coordinates(geoms).sum()) if len(geoms) else 0)
    detailed: set[str] = set()
    features_left, vertices_left = settings.feature_budget, settings.vertex_budget
    for key, (n, v) in sorted(sizes.items(), key=lambda kv: (kv[1][1], kv[0])):
        if n <= features_left and v <= vertices_left:
            detailed.add(key)
            features_left -= n
            vertices_left -= v
    decimals, language = settings.coordinate_decimals, settings.language
    for key, gdf in frames.items():
        spec = specs[key]
        if not isinstance(gdf, LayerEnvelopes) and (spec.reference or key in detailed):
            out.append(prepare_layer(gdf, spec, decimals=decimals, language=language))
        elif townships is None or not len(townships) or not township_name_field:
            logger.warning("layer %s too large for one map and no townships to aggregate by", key)
        elif isinstance(gdf, LayerEnvelopes):
            out.append(
                aggregate_envelopes(
                    gdf,
                    spec,
                    townships,
                    township_name_field=township_name_field,
                    decimals=decimals,
                    language=language,
                )
            )
        else:
            out.append(
                aggregate_layer(
                    gdf,
                    spec,
                    townships,
                    township_name_field=township_name_field,
                    decimals=decimals,
                    language=language,
                )
            )
    return out


# --- the folium map -----------------------------------------------------------------------


#: The vendored plugin behind each map tool: its script and stylesheet under :data:`ASSET_DIR`.
TOOL_ASSETS: Mapping[str, tuple[str, str]] = {
    "fullscreen": (
        "leaflet-fullscreen/Control.FullScreen.min.js",
        "leaflet-fullscreen/Control.FullScreen.css",
    ),
    "measure": ("leaflet-draw/leaflet.draw.js", "leaflet-draw/leaflet.draw.css"),
}
#: The tools a map may carry (:attr:`MapSettings.tools`).
TOOLS = ("fullscreen", "measure", "print")


def _localise_urls(css: str, folder: str, asset_url: str) -> str:
    """Relative ``url(...)`` of a plugin's stylesheet, pointed at the app's own copy of the plugin."""

    def absolute(match: re.Match[str]) -> str:
        target = match.group(2)
        if target.startswith(("data:", "http:", "https:", "/")):
            return match.group(0)
        return f"url('{asset_url}{folder}/{target}')"

    return re.sub(r"url\((['\"]?)([^'\")]+)\1\)", absolute, css)


@lru_cache(maxsize=8)
def _inline_css(tools: tuple[str, ...] = (), asset_url: str = "") -> str:
    css = [
        (ASSET_DIR / "leaflet" / "leaflet.css").read_text(encoding="utf-8"),
        (ASSET_DIR / "ykmap.css").read_text(encoding="utf-8"),
    ]
    for tool in tools:
        if tool in TOOL_ASSETS:
            sheet = TOOL_ASSETS[tool][1]
            text = (ASSET_DIR / sheet).read_text(encoding="utf-8")
            css.append(_localise_urls(text, sheet.rsplit("/", 1)[0], asset_url))
    text = re.sub(r"/\*.*?\*/", "", "\n".join(css), flags=re.DOTALL)  # comments carry URLs
    return "<style>" + text.replace("</", "<\\/") + "</style>"


class _YkInit(MacroElement):
    """Starts ykgeo's map runtime on the folium map with one JSON configuration."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "YK.init({{ this._parent.get_name() }}, {{ this.config_json }});\n"
        "{% endmacro %}"
    )

    def __init__(self, config_json: str) -> None:
        super().__init__()
        self._name = "YkInit"
        self.config_json = config_json


def build_map(
    layers: Sequence[MapLayer],
    *,
    settings: MapSettings,
    bounds: tuple[float, float, float, float] | None = None,
    focus: tuple[float, float, float, float] | None = None,
    focus_token: str = "",
    selected: Selection | None = None,
    rasters: Sequence[RasterMapLayer] = (),
) -> folium.Map:
    """The folium map of prepared layers, with offline assets and no CDN link.

    Parameters
    ----------
    layers
        From :func:`plan_map_layers` / :func:`prepare_layer` / :func:`aggregate_layer`.
    rasters
        Image overlays from :func:`prepare_raster` / :func:`raster_map_layer`, drawn under
        the features, each with its own switch in the layer control and its legend.
    bounds
        (min lon, min lat, max lon, max lat) shown first; default: all layers.
    focus, focus_token
        A view to fit once (e.g. a township chosen by the planner); a new token means a new
        request, an old one lets the map keep the view the planner left.
    selected
        The feature to highlight.
    """
    if bounds is None:
        boxes = [lay.bounds for lay in layers if lay.bounds]
        if boxes:
            arr = np.asarray(boxes)
            bounds = (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())
    view_box = focus or bounds or (119.88, 28.75, 120.35, 29.10)
    centre = ((view_box[1] + view_box[3]) / 2, (view_box[0] + view_box[2]) / 2)
    m = folium.Map(
        location=centre,
        zoom_start=11,
        tiles=None,
        control_scale=False,  # the runtime adds a metric-only scale bar
        prefer_canvas=True,
        max_zoom=20,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    base = settings.asset_url
    tools = tuple(t for t in TOOLS if t in settings.tools)
    m.default_js = [
        ("leaflet", f"{base}leaflet/leaflet.js"),
        *[(tool, f"{base}{TOOL_ASSETS[tool][0]}") for tool in tools if tool in TOOL_ASSETS],
        ("ykmap", f"{base}ykmap.js"),
    ]
    # Stylesheets inline (≈ 17 kB): streamlit-folium loads linked CSS only after the map
    # script has run, and Leaflet measures tooltips and labels before the CSS applies.
    m.default_css = []
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(Element(_inline_css(tools, base)), name="ykgeo_css")
    basemaps = basemap_configs(
        basemap=settings.basemap,
        online_basemaps=settings.online_basemaps,
        tianditu_key=settings.tianditu_key,
        language=settings.language,
    )
    basemap = settings.basemap if any(b["id"] == settings.basemap for b in basemaps) else "offline"
    token = focus_token or "initial"
    config_parts = [
        '{"storageKey":',
        safe_json(settings.storage_key),
        ',"basemap":',
        safe_json(basemap),
        ',"basemaps":',
        safe_json(basemaps),
        ',"view":',
        safe_json(
            {
                "bounds": [[view_box[1], view_box[0]], [view_box[3], view_box[2]]],
                "token": token,
            }
        ),
        ',"selected":',
        safe_json(
            {"layer": selected.layer, "id": selected.feature_id}
            if selected and selected.layer
            else None
        ),
        ',"text":',
        safe_json(_RUNTIME_TEXT.get(settings.language, _RUNTIME_TEXT["zh"])),
        ',"tools":',
        safe_json({tool: True for tool in tools}),
        ',"rasters":',
        safe_json([raster_config(r) for r in rasters]),
        ',"layers":[',
    ]
    for n, lay in enumerate(layers):
        if n:
            config_parts.append(",")
        meta = {
            "key": lay.key,
            "name": lay.name_zh,
            "theme": lay.theme,
            "kind": lay.kind,
            "gtype": lay.geometry_type,
            "fields": list(lay.fields),
            "tip": list(lay.tip),
            "styles": list(lay.styles),
            "legend": [list(e) for e in lay.legend],
            "count": lay.count,
            "total": lay.total,
            "origin": list(lay.origin),
            "scale": lay.scale,
            "labels": [list(x) for x in lay.labels] or None,
            "visible": lay.visible,
            "note": lay.note_zh,
            "selectable": lay.kind != "reference",
            "interactive": lay.kind != "reference",
        }
        text = safe_json(meta)
        config_parts.append(text[:-1] + ',"features":' + lay.features_json + "}")
    config_parts.append("]}")
    _YkInit("".join(config_parts)).add_to(m)
    return m


def map_html(m: folium.Map) -> str:
    """The standalone HTML of a map (what the unit tests and the benchmark look at)."""
    return str(m.get_root().render())


def parse_selection(value: Any) -> Selection | None:
    """The selection the map reported through streamlit-folium (``"yk:{json}"``), or None."""
    if not isinstance(value, str) or not value.startswith("yk:"):
        return None
    try:
        data = json.loads(value[3:])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if "township" in data:
        return Selection(township=str(data["township"]))
    if "layer" in data and "id" in data:
        return Selection(layer=str(data["layer"]), feature_id=str(data["id"]))
    return None
