"""Geometry for progress figures: township shares, overlaps inside a layer and across layers, overlap deduction.

Polygons are compared exactly (an overlap is the ellipsoidal area of the
intersection of two interiors). Lines digitised along the same road never
coincide to the last bit, so two lines overlap where one runs within
``line_tolerance_m`` of the other for more than ``overlap_min_m``; that is
measured in GK 3° CM 120°E (EPSG:4549, ≤ 31 ppm off in the county) and the
lengths reported are geodesic.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from hashlib import blake2b

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from ykgeo.area import area_centre, ellipsoidal_area_m2, length_m
from ykgeo.crs import CGCS2000, GK_CM120, transform_geometries
from ykgeo.layers import LayerSpec
from ykgeo.units import m2_to_mu

__all__ = [
    "OverlapRules",
    "Townships",
    "cross_overlaps",
    "deduct_overlaps",
    "empty_overlaps",
    "extents",
    "geodesic_km",
    "neighbours",
    "self_overlaps",
]

_POLYGONAL = (3, 6)
_LINEAL = (1, 2, 5)


@dataclass(frozen=True)
class OverlapRules:
    """Thresholds of overlap detection (from ProgressSettings)."""

    min_m2: float = 0.01
    line_tolerance_m: float = 0.5
    min_m: float = 5.0


def geodesic_km(geoms: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Geodesic length in km of lines in EPSG:4490 (only their line parts)."""
    arr = np.asarray(geoms, dtype=object)
    if not len(arr):
        return np.zeros(0)
    return length_m(gpd.GeoSeries(lineal(arr), crs=CGCS2000)).to_numpy() / 1000.0


def lineal(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """The line parts of each geometry as a MultiLineString (points of a GeometryCollection dropped)."""
    out = np.empty(len(geoms), dtype=object)
    out[:] = [shapely.MultiLineString()] * len(geoms)
    if not len(geoms):
        return out
    parts, index = shapely.get_parts(geoms, return_index=True)
    keep = np.isin(shapely.get_type_id(parts), (1, 2))
    if keep.any():
        shapely.multilinestrings(parts[keep], indices=index[keep], out=out)
    return out


def measure(
    geoms: npt.NDArray[np.object_],
    kinds: npt.NDArray[np.int64],
    *,
    centre: tuple[float, float] | None = None,
) -> npt.NDArray[np.float64]:
    """Ellipsoidal area (m²) for polygonal input kinds, geodesic length (m) for lineal ones, 0 for points.

    ``centre`` is the area projection's centre (default: that of the polygons given).
    """
    out = np.zeros(len(geoms), dtype="float64")
    poly = np.isin(kinds, _POLYGONAL)
    line = np.isin(kinds, _LINEAL)
    if poly.any():
        out[poly] = ellipsoidal_area_m2(geoms[poly], centre=centre)
    if line.any():
        out[line] = geodesic_km(geoms[line]) * 1000.0
    return out


# --- townships --------------------------------------------------------------------------------


class Townships:
    """Township polygons and a memo of which township each geometry falls in (by share of area or length)."""

    def __init__(self, names: Sequence[str], geoms: npt.ArrayLike) -> None:
        self.names: list[str] = [str(n) for n in names]
        self.geoms = np.asarray(geoms, dtype=object)
        self._memo: dict[bytes, list[tuple[int, float]]] = {}
        self._partition: bool | None = None
        #: Keep each shape's shares for the next date (monthly figures ask again); a report of
        #: one date asks once per shape, and digesting every shape would cost more than it saves.
        self.remember = True

    @classmethod
    def from_layer(cls, gdf: gpd.GeoDataFrame, spec: LayerSpec) -> Townships:
        """Townships from the store's ``townships`` layer, named by its ``name_field``."""
        name_col = next(
            (c for c in (spec.name_field, spec.township_field, spec.id_field) if c and c in gdf),
            None,
        )
        names = gdf[name_col].astype(str).tolist() if name_col else gdf.index.astype(str).tolist()
        return cls(names, gdf.geometry.to_numpy())

    def same_as(self, other: Townships | None) -> bool:
        """True when ``other`` has the same names and geometries (so its memo can be reused)."""
        if other is None or other.names != self.names or len(other.geoms) != len(self.geoms):
            return False
        return bool(np.all(shapely.equals_exact(self.geoms, other.geoms, tolerance=0)))

    def forget(self) -> None:
        """Drop the shares measured so far (about 300 bytes a feature): for geometries not asked about again."""
        self._memo.clear()

    def shares(self, geoms: npt.ArrayLike) -> list[list[tuple[int, float]]]:
        """For each geometry, ``[(township index, fraction), …]``; index −1 is the part outside every township.

        Fractions are shares of ellipsoidal area (polygons) or geodesic length
        (lines); a point belongs wholly to the township that contains it. Missing
        or empty geometries get an empty list. With no township polygons at all
        every geometry gets ``[(-2, 1.0)]`` (the caller then uses the ledger name).
        """
        arr = np.asarray(geoms, dtype=object)
        if not len(self.geoms):
            return [[(-2, 1.0)] if g is not None else [] for g in arr]
        if not self.remember:
            missing = shapely.is_missing(arr)
            if not missing.any():
                return self._compute(arr)
            out: list[list[tuple[int, float]]] = [[] for _ in range(len(arr))]
            present = np.flatnonzero(~missing)
            for i, value in zip(present.tolist(), self._compute(arr[present]), strict=True):
                out[i] = value
            return out
        # keyed by a digest of the geometry's WKB: the same shape at another date is not measured again
        keys = np.asarray(
            [
                None if w is None else blake2b(w, digest_size=16).digest()
                for w in shapely.to_wkb(arr).tolist()
            ],
            dtype=object,
        )
        todo: dict[bytes, int] = {}
        for i, k in enumerate(keys.tolist()):
            if k is not None and k not in self._memo and k not in todo:
                todo[k] = i
        if todo:
            idx = np.fromiter(todo.values(), dtype=np.int64, count=len(todo))
            for key, value in zip(todo, self._compute(arr[idx]), strict=True):
                self._memo[key] = value
        return [self._memo[k] if k is not None else [] for k in keys.tolist()]

    def _disjoint(self) -> bool:
        """True when no two township polygons share interior (the usual partition of the city)."""
        if self._partition is None:
            a, _ = shapely.STRtree(self.geoms).query(self.geoms, predicate="overlaps")
            inside_a, inside_b = shapely.STRtree(self.geoms).query(self.geoms, predicate="contains")
            self._partition = (
                bool(shapely.is_valid(self.geoms).all())
                and not len(a)
                and not (inside_a != inside_b).any()
            )
        return self._partition

    def _edges(self) -> npt.NDArray[np.object_]:
        """Every edge of every township ring, as two-point lines at most ~200 m long (tight boxes)."""
        rings = shapely.segmentize(shapely.get_rings(shapely.get_parts(self.geoms)), 0.002)
        coords, ring = shapely.get_coordinates(rings, return_index=True)
        same = ring[1:] == ring[:-1]
        starts, ends = coords[:-1][same], coords[1:][same]
        return shapely.linestrings(
            np.stack([starts, ends], axis=1).reshape(-1, 2),
            indices=np.repeat(np.arange(len(starts)), 2),
        )

    def _inside(self, geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.int64]:
        """The township wholly containing each geometry (−1 when none), the lowest index when several do."""
        n = len(geoms)
        town = np.full(n, -1, dtype=np.int64)
        if self._disjoint():
            # At most one township can contain a geometry: the one holding its box centre.
            # A box that meets no township edge lies wholly on one side of every edge, so
            # it is inside that township; only boxes that meet an edge need the exact test.
            b = shapely.bounds(geoms)
            cx, cy = (b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0
            hint = np.full(n, -1, dtype=np.int64)
            for t, polygon in enumerate(self.geoms):
                shapely.prepare(polygon)
                hit = (hint < 0) & shapely.contains_xy(polygon, cx, cy)
                hint[hit] = t
            edges = self._edges()
            near = np.zeros(n, dtype=bool)
            near[np.unique(shapely.STRtree(edges).query(geoms)[0])] = True
            clear = np.flatnonzero((hint >= 0) & ~near)
            town[clear] = hint[clear]
            tried = np.flatnonzero((hint >= 0) & near)
            ok = shapely.contains(self.geoms[hint[tried]], geoms[tried])
            town[tried[ok]] = hint[tried[ok]]
        rest = np.flatnonzero(town < 0)
        if len(
            rest
        ):  # wholly inside one township: the prepared township polygon tests each candidate
            town_idx, feat_idx = shapely.STRtree(geoms[rest]).query(
                self.geoms, predicate="contains"
            )
            first = np.unique(feat_idx, return_index=True)[1]  # pairs come sorted by township
            town[rest[feat_idx[first]]] = town_idx[first]
        return town

    def _compute(self, geoms: npt.NDArray[np.object_]) -> list[list[tuple[int, float]]]:
        n = len(geoms)
        empty = shapely.is_empty(geoms) | shapely.is_missing(geoms)
        town = self._inside(geoms)
        inside = town >= 0
        out: list[list[tuple[int, float]]] = [[(t, 1.0)] if t >= 0 else [] for t in town.tolist()]
        # the rest: measure the part in each township they touch
        rest = np.flatnonzero(~inside & ~empty)
        if not len(rest):
            return out
        kinds = shapely.get_type_id(geoms)
        centre = area_centre(geoms)  # as if all were measured together
        town_idx, feat_idx = shapely.STRtree(geoms[rest]).query(self.geoms, predicate="intersects")
        feat_idx = rest[feat_idx]
        part = measure(shapely.intersection(geoms[feat_idx], self.geoms[town_idx]), kinds[feat_idx])
        whole = np.zeros(n, dtype="float64")
        whole[rest] = measure(geoms[rest], kinds[rest], centre=centre)
        for t, f, m in zip(town_idx.tolist(), feat_idx.tolist(), part.tolist(), strict=True):
            if whole[f] > 0 and m > 0:
                out[f].append((t, m / whole[f]))
            elif whole[f] == 0 and not out[f]:  # points (and degenerate shapes): the first township
                out[f].append((t, 1.0))
        for i in rest.tolist():
            got = sum(fr for _, fr in out[i])
            if got > 1.0:  # overlapping township polygons: normalise
                out[i] = [(t, fr / got) for t, fr in out[i]]
            elif got < 1.0 - 1e-9:
                out[i].append((-1, 1.0 - got))
        return out


# --- overlaps ---------------------------------------------------------------------------------


def empty_overlaps() -> pd.DataFrame:
    """The overlaps table with no rows (its columns and dtypes)."""
    return _overlaps_template().copy()


@functools.cache
def _overlaps_template() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": pd.Series(dtype=object),
            "layer_a": pd.Series(dtype=object),
            "id_a": pd.Series(dtype=object),
            "status_a": pd.Series(dtype=object),
            "layer_b": pd.Series(dtype=object),
            "id_b": pd.Series(dtype=object),
            "status_b": pd.Series(dtype=object),
            "overlap": pd.Series(dtype="float64"),
            "overlap_unit": pd.Series(dtype=object),
            "deducted": pd.Series(dtype=bool),
            "deducted_from": pd.Series(dtype=object),
        }
    )


_NO_PAIRS = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))


def neighbours(
    layers: Mapping[str, npt.NDArray[np.float64]],
) -> dict[str, dict[str, npt.NDArray[np.bool_]]]:
    """Which features' boxes meet a box of another feature, per pair of layers, from one spatial join.

    ``layers`` maps layer keys to the boxes of their geometries (``shapely.bounds``:
    minx, miny, maxx, maxy; NaN for missing and empty ones). The result maps each key to
    ``{other key: mask over its rows}`` (its own key: another feature of the same
    layer). A feature whose mask is False has no overlap with that layer, so the
    exact pairwise queries (:func:`self_overlaps`, :func:`cross_overlaps`) need
    only the others as inputs: same pairs, in the same order, from a fraction of
    the work.
    """
    keys = list(layers)
    sizes = [len(layers[k]) for k in keys]
    bounds = (
        np.concatenate([np.asarray(layers[k], dtype="float64").reshape(-1, 4) for k in keys])
        if keys
        else np.zeros((0, 4))
    )
    owner = np.repeat(np.arange(len(keys)), sizes)
    row = np.concatenate([np.arange(n) for n in sizes]) if keys else np.zeros(0, dtype=np.int64)
    out = {k: {o: np.zeros(n, dtype=bool) for o in keys} for k, n in zip(keys, sizes, strict=True)}
    usable = np.flatnonzero(~np.isnan(bounds).any(axis=1))
    if len(usable) < 2:
        return out
    spans = extents(bounds[usable])
    a, b = shapely.STRtree(spans).query(spans)
    a, b = usable[a], usable[b]
    other = a != b
    a, b = a[other], b[other]
    owner_a, owner_b, row_a = owner[a], owner[b], row[a]
    for i, k in enumerate(keys):
        mine = np.flatnonzero(owner_a == i)
        for j, o in enumerate(keys):
            out[k][o][row_a[mine[owner_b[mine] == j]]] = True
    return out


def extents(bounds: npt.NDArray[np.float64]) -> npt.NDArray[np.object_]:
    """Stand-ins of the boxes (minx, miny, maxx, maxy) for a spatial index: their diagonals.

    An index (and a query without a predicate) sees a geometry's extent only, and a
    two-point line is made in a fraction of the time of a box polygon.
    """
    return np.asarray(
        shapely.linestrings(np.asarray(bounds, dtype="float64").reshape(-1, 2, 2)), dtype=object
    )


def self_overlaps(
    geoms: npt.NDArray[np.object_],
    valid: npt.NDArray[np.bool_],
    rules: OverlapRules,
    *,
    near: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Pairs (i < j) of overlapping features of one layer, with the overlap in 亩 (polygons) or km (lines).

    ``near`` (from :func:`neighbours`) marks the polygons whose box meets another's:
    only they are queried.
    """
    kinds = shapely.get_type_id(geoms)
    polys = np.flatnonzero(valid & np.isin(kinds, _POLYGONAL))
    lines = np.flatnonzero(valid & np.isin(kinds, _LINEAL))
    out = [
        _polygon_pairs(geoms, polys, rules, near=None if near is None else near[polys]),
        _line_pairs(geoms, lines, rules),
    ]
    return (
        np.concatenate([o[0] for o in out]),
        np.concatenate([o[1] for o in out]),
        np.concatenate([o[2] for o in out]),
    )


def _polygon_pairs(
    geoms: npt.NDArray[np.object_],
    idx: npt.NDArray[np.int64],
    rules: OverlapRules,
    *,
    near: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    if len(idx) < 2:
        return _NO_PAIRS
    g = geoms[idx]
    inputs = np.arange(len(g)) if near is None else np.flatnonzero(near)
    a, b = shapely.STRtree(g).query(g[inputs], predicate="intersects")
    a = inputs[a]
    keep = a < b
    a, b = a[keep], b[keep]
    if not len(a):
        return _NO_PAIRS
    keep = ~shapely.touches(g[a], g[b])
    a, b = a[keep], b[keep]
    m2 = ellipsoidal_area_m2(shapely.intersection(g[a], g[b]))
    big = m2 > rules.min_m2
    return idx[a[big]], idx[b[big]], np.asarray(m2_to_mu(m2[big]), dtype="float64")


def _line_pairs(
    geoms: npt.NDArray[np.object_], idx: npt.NDArray[np.int64], rules: OverlapRules
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    if len(idx) < 2:
        return _NO_PAIRS
    gk = transform_geometries(geoms[idx], CGCS2000, GK_CM120)
    a, b = shapely.STRtree(gk).query(gk, predicate="dwithin", distance=rules.line_tolerance_m)
    keep = a < b
    a, b = a[keep], b[keep]
    if not len(a):
        return _NO_PAIRS
    tol = rules.line_tolerance_m
    ab = shapely.intersection(gk[a], shapely.buffer(gk[b], tol))
    ba = shapely.intersection(gk[b], shapely.buffer(gk[a], tol))
    # both ways, so two lines merely crossing (a short piece each way) are not an overlap
    planar = np.minimum(shapely.length(lineal(ab)), shapely.length(lineal(ba)))
    big = planar > rules.min_m
    a, b, ab = a[big], b[big], ab[big]
    km = geodesic_km(transform_geometries(ab, GK_CM120, CGCS2000))
    return idx[a], idx[b], km


def deduct_overlaps(
    geoms: npt.NDArray[np.object_],
    later: npt.NDArray[np.int64],
    earlier: npt.NDArray[np.int64],
    rules: OverlapRules,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_], npt.NDArray[np.float64]]:
    """Remove from each later-completed feature the ground (or line) already counted by earlier ones.

    Returns the features changed, their remaining geometry (EPSG:4490) and its
    measure: 亩 of ellipsoidal area for polygons, geodesic km for lines.
    """
    groups = (
        pd.DataFrame({"later": later, "earlier": earlier}).groupby("later")["earlier"].apply(list)
    )
    idx = groups.index.to_numpy(dtype=np.int64)
    if not len(idx):
        return idx, np.zeros(0, dtype=object), np.zeros(0)
    covers = np.asarray([shapely.union_all(geoms[e]) for e in groups], dtype=object)
    if np.isin(shapely.get_type_id(geoms[idx]), _LINEAL).all():
        gk_line = transform_geometries(geoms[idx], CGCS2000, GK_CM120)
        gk_cover = shapely.buffer(
            transform_geometries(covers, CGCS2000, GK_CM120), rules.line_tolerance_m
        )
        remainder = transform_geometries(
            lineal(shapely.difference(gk_line, gk_cover)), GK_CM120, CGCS2000
        )
        return idx, remainder, geodesic_km(remainder)
    remainder = shapely.difference(geoms[idx], covers)
    return idx, remainder, np.asarray(m2_to_mu(ellipsoidal_area_m2(remainder)), dtype="float64")


def cross_overlaps(
    spec: LayerSpec,
    ids: npt.NDArray[np.object_],
    statuses: npt.NDArray[np.object_],
    geoms: npt.NDArray[np.object_],
    valid: npt.NDArray[np.bool_],
    others: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]],
    rules: OverlapRules,
    *,
    near: Mapping[str, npt.NDArray[np.bool_]] | None = None,
    trees: Mapping[str, shapely.STRtree] | None = None,
) -> pd.DataFrame:
    """Overlaps (亩) between these polygons and those of the other land categories; reported, never deducted.

    ``near`` (from :func:`neighbours`) marks, per other layer, the features whose
    box meets one of its boxes: only they are queried against it. ``trees`` may hold
    the spatial index of another layer's geometries, built once for all the layers
    checked against it.
    """
    frames = [empty_overlaps()]
    mine = np.flatnonzero(valid & np.isin(shapely.get_type_id(geoms), _POLYGONAL))
    for ospec, ogdf in others:
        if ospec.key == spec.key or not len(ogdf) or not len(mine):
            continue
        og = ogdf.geometry.to_numpy()
        inputs = (
            np.arange(len(mine))
            if near is None or ospec.key not in near
            else np.flatnonzero(near[ospec.key][mine])
        )
        tree = trees.get(ospec.key) if trees is not None else None
        if tree is None:
            tree = shapely.STRtree(og)
        a, b = tree.query(geoms[mine][inputs], predicate="intersects")
        a = inputs[a]
        if not len(a):
            continue
        keep = ~shapely.touches(geoms[mine][a], og[b])
        a, b = a[keep], b[keep]
        m2 = ellipsoidal_area_m2(shapely.intersection(geoms[mine][a], og[b]))
        big = m2 > rules.min_m2
        a, b, m2 = a[big], b[big], m2[big]
        if not len(a):
            continue
        ost = (
            ogdf[ospec.status.field].astype(object).to_numpy()
            if ospec.status is not None and ospec.status.field in ogdf
            else np.full(len(ogdf), None, dtype=object)
        )
        frames.append(
            pd.DataFrame(
                {
                    "kind": "跨类别",
                    "layer_a": spec.key,
                    "id_a": ids[mine][a],
                    "status_a": statuses[mine][a],
                    "layer_b": ospec.key,
                    "id_b": ogdf.index.astype(str).to_numpy()[b],
                    "status_b": ost[b],
                    "overlap": m2_to_mu(m2),
                    "overlap_unit": "亩",
                    "deducted": False,
                    "deducted_from": "",
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
