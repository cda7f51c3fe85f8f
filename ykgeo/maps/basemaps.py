"""The basemaps under a map: the offline one, 天地图 (with a key), AMap (GCJ-02) and OpenStreetMap tiles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

__all__ = ["BASEMAPS", "BASEMAPS_EN", "BasemapKey", "basemap_configs", "basemap_names"]

#: Keys of the basemaps (:attr:`ykgeo.maps.MapSettings.basemap`).
BasemapKey = Literal["offline", "tianditu_vec", "tianditu_img", "amap", "osm"]

#: Chinese names of the basemaps.
BASEMAPS: Mapping[str, str] = {
    "offline": "离线底图（市界、镇街、道路）",
    "tianditu_vec": "天地图 矢量",
    "tianditu_img": "天地图 影像",
    "amap": "高德地图（已纠正 GCJ-02 偏移）",
    "osm": "OpenStreetMap",
}
#: English names of the basemaps (the map in English).
BASEMAPS_EN: Mapping[str, str] = {
    "offline": "Offline basemap (boundary, townships, roads)",
    "tianditu_vec": "Tianditu vector",
    "tianditu_img": "Tianditu imagery",
    "amap": "AMap (GCJ-02 offset corrected)",
    "osm": "OpenStreetMap",
}

#: Tile URL templates (Leaflet placeholders; 天地图's filled with its layer and key first).
_TIANDITU = "https://t{{s}}.tianditu.gov.cn/DataServer?T={layer}_w&x={{x}}&y={{y}}&l={{z}}&tk={key}"
_AMAP = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=7&x={x}&y={y}&z={z}"
_OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def basemap_names(language: str = "zh") -> Mapping[str, str]:
    """The basemaps' names in ``language`` (``zh`` or ``en``)."""
    return BASEMAPS_EN if language == "en" else BASEMAPS


def basemap_configs(
    *,
    basemap: str,
    online_basemaps: Iterable[str],
    tianditu_key: str,
    language: str,
) -> list[dict[str, Any]]:
    """The basemaps a map offers, as the map runtime (``ykmap.js``) reads them.

    The offline basemap (no tiles) always comes first; an online one follows when
    ``online_basemaps`` lists it or it is the ``basemap`` shown first, and 天地图 only with
    a key. AMap's entry is flagged ``gcj02``: the runtime shifts its tiles, never the data.

    Parameters
    ----------
    basemap
        The basemap shown first (see :attr:`ykgeo.maps.MapSettings.basemap`).
    online_basemaps
        The online basemaps enabled besides it.
    tianditu_key
        The 天地图 ``tk`` key; without one, no 天地图 basemap is offered.
    language
        ``zh`` or ``en``: the language of the basemaps' names.

    Returns
    -------
    list of dict
        One entry per basemap: ``id``, ``name`` and its ``tiles`` (URL template,
        subdomains, native zoom, attribution).
    """
    names = basemap_names(language)
    out: list[dict[str, Any]] = [{"id": "offline", "name": names["offline"], "tiles": []}]
    online = set(online_basemaps)
    if tianditu_key:
        key = tianditu_key
        for bid, base, labels in (("tianditu_vec", "vec", "cva"), ("tianditu_img", "img", "cia")):
            if bid in online or basemap == bid:
                out.append(
                    {
                        "id": bid,
                        "name": names[bid],
                        "tiles": [
                            {
                                "url": _TIANDITU.format(layer=layer, key=key),
                                "subdomains": "01234567",
                                "maxNativeZoom": 18,
                                "attribution": "天地图",
                            }
                            for layer in (base, labels)
                        ],
                    }
                )
    if "amap" in online or basemap == "amap":
        out.append(
            {
                "id": "amap",
                "name": names["amap"],
                "gcj02": True,
                "tiles": [
                    {
                        "url": _AMAP,
                        "subdomains": "1234",
                        "maxNativeZoom": 18,
                        "attribution": "高德地图",
                    }
                ],
            }
        )
    if "osm" in online or basemap == "osm":
        out.append(
            {
                "id": "osm",
                "name": names["osm"],
                "tiles": [
                    {
                        "url": _OSM,
                        "subdomains": "abc",
                        "maxNativeZoom": 19,
                        "attribution": "© OpenStreetMap",
                    }
                ],
            }
        )
    return out
