"""Geography of the demo store: the real boundary and township centres, illustrative zones and shape generators.

Everything here works in metres in CGCS2000 / 3° Gauss–Krüger CM 120°E (EPSG:4549)
and converts to EPSG:4490 lon/lat (rounded to 1e-7°, about 1 cm) only at the end,
so shapes have true sizes and the output does not depend on float noise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ykgeo.errors import DataError
from ykgeo.io.sources import SOURCES_DIR as SHIPPED_SOURCES
from ykgeo.io.sources import (
    read_boundary,
    read_township_units,
    to_gk,
    to_lonlat,
    township_zones,
)

__all__ = [
    "SOURCES_DIR",
    "Geography",
    "Placer",
    "Township",
    "industrial_parcel",
    "load_geography",
    "organic_polygon",
    "reservoir_surface",
    "route",
    "to_lonlat",
]

SOURCES_DIR = SHIPPED_SOURCES


@dataclass(frozen=True)
class Township:
    """One of the 14 township units: official code and name (real), centre (real, ± 1–3 km), zone (示意)."""

    code: str
    name: str
    kind: str  # 街道 or 镇
    lon: float
    lat: float
    point_source: str
    x: float
    y: float
    zone: BaseGeometry  # in EPSG:4549, illustrative

    @property
    def short(self) -> str:
        """The name without 街道 / 镇 (东城, 古山 …)."""
        return self.name.removesuffix("街道").removesuffix("镇")


@dataclass(frozen=True)
class Geography:
    """The real boundary (EPSG:4549 and 4490) and the township units."""

    boundary: BaseGeometry
    boundary_lonlat: BaseGeometry
    townships: tuple[Township, ...]

    def township(self, name_or_short: str) -> Township:
        """A township by full name (古山镇) or short name (古山)."""
        for t in self.townships:
            if name_or_short in (t.name, t.short, t.code):
                return t
        msg = f"没有镇街 {name_or_short}"
        raise DataError(msg)

    def township_at(self, x: float, y: float) -> Township:
        """The township whose illustrative zone holds the point (nearest zone if none does)."""
        pt = shapely.Point(x, y)
        best = min(self.townships, key=lambda t: (t.zone.distance(pt), t.code))
        return best

    @property
    def centre(self) -> tuple[float, float]:
        """The city centre (东城街道's point) in metres."""
        t = self.townships[0]
        return (t.x, t.y)


def load_geography(directory: Path | None = None) -> Geography:
    """Read the boundary and township points shipped in ``data/gis/sources``, derive the zones."""
    boundary_ll = read_boundary(directory)
    boundary = to_gk(boundary_ll)
    units = read_township_units(directory)
    zones = township_zones(boundary, [(u.code, u.x, u.y) for u in units])
    towns = tuple(
        Township(
            code=u.code,
            name=u.name,
            kind=u.kind,
            lon=u.lon,
            lat=u.lat,
            point_source=u.point_source,
            x=u.x,
            y=u.y,
            zone=zones[u.code],
        )
        for u in units
    )
    return Geography(boundary=boundary, boundary_lonlat=boundary_ll, townships=towns)


# --- shape generators (metres) -----------------------------------------------------------------


def _place(coords: np.ndarray, angle: float, cx: float, cy: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return coords @ rot.T + np.array([cx, cy])


def _densify_ring(
    rng: np.random.Generator, ring: np.ndarray, total: int, jitter: float
) -> np.ndarray:
    """Add vertices on the edges of a closed ring (without its closing point) up to ``total``."""
    n = len(ring)
    extra = max(0, total - n)
    edges = np.roll(ring, -1, axis=0) - ring
    lengths = np.hypot(edges[:, 0], edges[:, 1])
    counts = np.zeros(n, dtype=int)
    if extra:
        picks = rng.choice(n, size=extra, p=lengths / lengths.sum())
        counts = np.bincount(picks, minlength=n)
    out = []
    for i in range(n):
        out.append(ring[i])
        k = counts[i]
        if not k:
            continue
        ts = np.sort(rng.uniform(0.15, 0.85, size=k))
        normal = np.array([-edges[i, 1], edges[i, 0]]) / max(lengths[i], 1e-9)
        for t in ts:
            out.append(ring[i] + t * edges[i] + normal * rng.normal(0.0, jitter))
    return np.asarray(out)


def _polygon(ring: np.ndarray) -> BaseGeometry:
    poly = shapely.Polygon(ring)
    if not poly.is_valid:
        poly = shapely.make_valid(poly)
        poly = max(shapely.get_parts(poly), key=lambda g: g.area)
    return shapely.orient_polygons(poly)


def _scale_to(poly: BaseGeometry, area_m2: float, cx: float, cy: float) -> BaseGeometry:
    k = math.sqrt(area_m2 / poly.area)
    return shapely.affinity.scale(poly, k, k, origin=(cx, cy))


def industrial_parcel(
    rng: np.random.Generator, cx: float, cy: float, area_m2: float, angle: float
) -> BaseGeometry:
    """A factory lot: a rectangle, L, notched or chamfered block on a street grid; 6–30 vertices."""
    aspect = rng.uniform(1.0, 2.6)
    w, h = math.sqrt(area_m2 * aspect), math.sqrt(area_m2 / aspect)
    kind = int(rng.integers(0, 4))
    a, b = w / 2, h / 2
    if kind == 0:  # plain block
        ring = np.array([[-a, -b], [a, -b], [a, b], [-a, b]])
    elif kind == 1:  # L-shape
        fx, fy = rng.uniform(0.3, 0.6), rng.uniform(0.3, 0.6)
        ring = np.array(
            [
                [-a, -b],
                [a, -b],
                [a, b - 2 * b * fy],
                [a - 2 * a * fx, b - 2 * b * fy],
                [a - 2 * a * fx, b],
                [-a, b],
            ]
        )
    elif kind == 2:  # one corner cut at a road junction
        c = rng.uniform(0.1, 0.3) * min(w, h)
        ring = np.array([[-a, -b], [a - c, -b], [a, -b + c], [a, b], [-a, b]])
    else:  # a step along one side (two lots merged)
        fx, d = rng.uniform(0.35, 0.65), rng.uniform(0.1, 0.3) * h
        ring = np.array(
            [
                [-a, -b],
                [-a + 2 * a * fx, -b],
                [-a + 2 * a * fx, -b - d],
                [a, -b - d],
                [a, b],
                [-a, b],
            ]
        )
    total = int(rng.integers(max(6, len(ring)), 31))
    ring = _densify_ring(rng, ring, total, jitter=0.4)
    poly = _polygon(_place(ring, angle, cx, cy))
    return _scale_to(poly, area_m2, cx, cy)


def organic_polygon(
    rng: np.random.Generator,
    cx: float,
    cy: float,
    area_m2: float,
    *,
    elongation: float = 1.5,
    angle: float = 0.0,
    vertices: int = 20,
    roughness: float = 0.12,
) -> BaseGeometry:
    """A smooth irregular patch (fields, parks, estates, quarries): a noisy ellipse with ``vertices`` points."""
    theta = np.sort(rng.uniform(0, 2 * math.pi, size=vertices))
    theta = np.linspace(0, 2 * math.pi, vertices, endpoint=False) * 0.6 + theta * 0.4
    theta.sort()
    r = np.ones_like(theta)
    for k in (2, 3, 5):
        r += roughness / k * 2 * rng.normal() * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    r = np.clip(r, 0.55, 1.6)
    ring = np.column_stack([r * np.cos(theta) * elongation, r * np.sin(theta)])
    poly = _polygon(_place(ring, angle, cx, cy))
    return _scale_to(poly, area_m2, cx, cy)


def reservoir_surface(
    rng: np.random.Generator, dam_x: float, dam_y: float, area_m2: float, direction: float
) -> BaseGeometry:
    """Water surface of a valley reservoir: narrow at the dam, widening upstream, with a side arm.

    The dam point is on the downstream edge; ``direction`` (radians) points upstream.
    """
    length = math.sqrt(area_m2 * rng.uniform(3.0, 6.0))
    n = int(rng.integers(9, 14))
    xs = np.linspace(0, length, n)
    crest = max(30.0, length * 0.06)
    half = (
        crest / 2 * (1 - xs / length)
        + length * 0.16 * np.clip(np.sin(np.pi * xs / length), 0, None) ** 0.8
    )
    half = half * (1 + 0.15 * rng.normal(size=n))
    half[0], half[-1] = crest / 2, 0.0
    bend = np.cumsum(rng.normal(0, length * 0.03, size=n))
    bend -= bend[0]
    left = np.column_stack([xs, bend + half])
    right = np.column_stack([xs, bend - half])[::-1]
    ring = np.vstack([left[:-1], right])
    main = _polygon(ring)
    j = int(rng.integers(n // 3, 2 * n // 3))
    side = 1 if rng.random() < 0.5 else -1
    arm_len = length * rng.uniform(0.25, 0.45)
    arm_w = max(half[j] * 0.45, 15.0)
    ax0, ay0 = xs[j], bend[j]
    arm = shapely.Polygon(
        [
            (ax0 - arm_w, ay0),
            (ax0 + arm_w, ay0),
            (ax0 + arm_len * 0.5 + arm_w * 0.3, ay0 + side * arm_len),
            (ax0 + arm_len * 0.5 - arm_w * 0.3, ay0 + side * arm_len * 1.02),
        ]
    )
    shape = shapely.union_all([main, arm]).simplify(1.0)
    shape = max(shapely.get_parts(shape), key=lambda g: g.area)
    shape = shapely.affinity.translate(shape, 8.0, 0.0)  # the dam itself is not water
    shape = shapely.affinity.rotate(shape, direction, origin=(0, 0), use_radians=True)
    shape = shapely.affinity.translate(shape, dam_x, dam_y)
    k = math.sqrt(area_m2 / shape.area)
    return shapely.orient_polygons(shapely.affinity.scale(shape, k, k, origin=(dam_x, dam_y)))


def route(
    rng: np.random.Generator,
    waypoints: Sequence[tuple[float, float]],
    *,
    wiggle: float = 0.04,
    step: float = 400.0,
) -> BaseGeometry:
    """A road centreline through ``waypoints``: gently curving, vertices every ~``step`` m."""
    pts: list[np.ndarray] = []
    wp = np.asarray(waypoints, dtype=float)
    for i in range(len(wp) - 1):
        a, b = wp[i], wp[i + 1]
        seg = b - a
        dist = float(np.hypot(*seg))
        n = max(2, int(dist // step))
        ts = np.linspace(0, 1, n + 1)[:-1]
        normal = np.array([-seg[1], seg[0]]) / dist
        amp = rng.normal(0, wiggle * dist)
        for t in ts:
            pts.append(a + t * seg + normal * amp * math.sin(math.pi * t))
    pts.append(wp[-1])
    coords = np.asarray(pts)
    # one round of Chaikin smoothing keeps the ends fixed
    if len(coords) > 2:
        q = 0.75 * coords[:-1] + 0.25 * coords[1:]
        r = 0.25 * coords[:-1] + 0.75 * coords[1:]
        mid = np.empty((2 * len(q), 2))
        mid[0::2], mid[1::2] = q, r
        coords = np.vstack([coords[:1], mid[1:-1], coords[-1:]])
    return shapely.LineString(coords)


# --- placement ---------------------------------------------------------------------------------


class Placer:
    """Keeps features from overlapping by accident and inside the boundary.

    Every accepted polygon is remembered in a grid of 1 km cells; a candidate is
    refused when it comes closer than ``gap`` metres to one, or leaves the boundary
    shrunk by ``margin`` metres.
    """

    def __init__(
        self, boundary: BaseGeometry, *, margin: float = 150.0, cell: float = 1000.0
    ) -> None:
        self.inner = boundary.buffer(-margin)
        shapely.prepare(self.inner)
        self.cell = cell
        self._geoms: list[BaseGeometry] = []
        self._grid: dict[tuple[int, int], list[int]] = {}

    def _cells(self, geom: BaseGeometry, pad: float) -> list[tuple[int, int]]:
        minx, miny, maxx, maxy = geom.bounds
        i0, i1 = int((minx - pad) // self.cell), int((maxx + pad) // self.cell)
        j0, j1 = int((miny - pad) // self.cell), int((maxy + pad) // self.cell)
        return [(i, j) for i in range(i0, i1 + 1) for j in range(j0, j1 + 1)]

    def fits(self, geom: BaseGeometry, gap: float = 8.0) -> bool:
        """Inside the boundary and clear of every remembered polygon by ``gap`` metres."""
        if not self.inner.contains(geom):
            return False
        seen: set[int] = set()
        for c in self._cells(geom, gap):
            for k in self._grid.get(c, ()):
                if k in seen:
                    continue
                seen.add(k)
                if self._geoms[k].distance(geom) < gap:
                    return False
        return True

    def add(self, geom: BaseGeometry) -> None:
        """Remember ``geom`` as occupied."""
        k = len(self._geoms)
        self._geoms.append(geom)
        for c in self._cells(geom, 0.0):
            self._grid.setdefault(c, []).append(k)

    def place(
        self,
        make: Callable[[int], BaseGeometry | None],
        *,
        tries: int = 60,
        gap: float = 8.0,
        remember: bool = True,
    ) -> BaseGeometry | None:
        """Call ``make(attempt)`` until a shape fits; remember and return it (None if none fits)."""
        for attempt in range(tries):
            geom = make(attempt)
            if geom is not None and self.fits(geom, gap):
                if remember:
                    self.add(geom)
                return geom
        return None
