"""Built road length from 起点桩号 / 终点桩号 of sections, honouring the 断链 of their road, each metre once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt

from ykgeo.chainage import ChainageLine, parse_chainage, parse_equations
from ykgeo.errors import DataError, LayerError
from ykgeo.layers import LayerSpec
from ykgeo.progress.geometry import geodesic_km

__all__ = [
    "EQUATION_FIELDS",
    "Interval",
    "chainage_amounts",
    "chainage_deduction",
    "chainage_fields",
    "find_field",
]

START_FIELDS = ("起点桩号", "起始桩号", "起点")
END_FIELDS = ("终点桩号", "结束桩号", "终点")
EQUATION_FIELDS = ("断链", "断链表", "断链桩号")
PARENT_FIELDS = ("所属项目", "项目编号", "所属道路")
SIDE_FIELDS = ("线位", "幅别", "左右幅")

#: (road, side L/R/F, from m, to m) in true distance along the road.
Interval = tuple[str, str, float, float]


def find_field(spec: LayerSpec, names: Sequence[str]) -> str:
    """The first field of ``spec`` called (or aliased) one of ``names``; "" if none."""
    for name in names:
        for f in spec.fields:
            if f.name == name or name in f.aliases:
                return f.name
    return ""


def chainage_fields(spec: LayerSpec) -> frozenset[str]:
    """Every field of ``spec`` the chainage counting may read: stations, 断链, road and carriageway."""
    groups = (START_FIELDS, END_FIELDS, EQUATION_FIELDS, PARENT_FIELDS, SIDE_FIELDS)
    return frozenset(find_field(spec, (name,)) for group in groups for name in group) - {""}


def _side(line: str, side_value: Any) -> str:
    text = str(side_value or "")
    if line.startswith("Z") or "左" in text:
        return "L"
    if line.startswith("Y") or "右" in text:
        return "R"
    return "F"


def _parent_equations(parents: Mapping[str, tuple[LayerSpec, gpd.GeoDataFrame]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pspec, pgdf in parents.values():
        eq_field = find_field(pspec, EQUATION_FIELDS)
        if eq_field and eq_field in pgdf:
            for pid, text in zip(pgdf.index.astype(str), pgdf[eq_field].tolist(), strict=True):
                if isinstance(text, str) and text.strip():
                    out[pid] = text
    return out


def chainage_amounts(
    spec: LayerSpec,
    gdf: gpd.GeoDataFrame,
    geoms: npt.NDArray[np.object_],
    has_geom: npt.NDArray[np.bool_],
    parents: Mapping[str, tuple[LayerSpec, gpd.GeoDataFrame]],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[Interval | None], list[str]]:
    """Length (km) of each section from its stations, its carriageway factor, its interval and warnings.

    The 断链 come from the section's own 断链 field, else from the road it belongs
    to (所属项目 → a layer with a 断链 field, e.g. road_projects). A 左幅 / 右幅
    (or ZK / YK) section counts for half its length. A section whose stations
    cannot be read falls back to its geodesic length, with a warning.
    """
    start_f = find_field(spec, START_FIELDS)
    end_f = find_field(spec, END_FIELDS)
    if not start_f or not end_f:
        msg = f"图层 {spec.name_zh} 没有起点桩号 / 终点桩号字段，不能按桩号计里程"
        raise LayerError(msg)
    own_eq = find_field(spec, EQUATION_FIELDS)
    parent_f = next(
        (f for f in (find_field(spec, (p,)) for p in PARENT_FIELDS) if f and f != spec.id_field),
        "",
    )
    side_f = find_field(spec, SIDE_FIELDS)
    parent_eq = _parent_equations(parents)
    n = len(gdf)
    raw = np.zeros(n)
    factor = np.ones(n)
    intervals: list[Interval | None] = [None] * n
    bad: list[str] = []
    ids = gdf.index.astype(str).tolist()
    starts = gdf[start_f].tolist()
    ends = gdf[end_f].tolist()
    eq_texts = gdf[own_eq].tolist() if own_eq else [None] * n
    groups = gdf[parent_f].astype(object).tolist() if parent_f else [None] * n
    names = gdf[spec.name_field].tolist() if spec.name_field in gdf else [None] * n
    sides = gdf[side_f].tolist() if side_f else [None] * n
    fallback = np.zeros(n)
    if has_geom.any():
        fallback[has_geom] = geodesic_km(geoms[has_geom])
    for k in range(n):
        group = str(groups[k] if groups[k] is not None else (names[k] or ids[k]))
        own = eq_texts[k]
        text = own if isinstance(own, str) and own.strip() else parent_eq.get(group, "")
        try:
            a = parse_chainage(str(starts[k]))
            b = parse_chainage(str(ends[k]), line=a.line)
            equations = [e for e in parse_equations(text) if e.back.line == a.line]
            lo, hi = ChainageLine(equations, line=a.line).interval_m(a, b)
        except DataError as err:
            bad.append(f"{ids[k]}（{err}）")
            factor[k] = 1.0 if _side("K", sides[k]) == "F" else 0.5
            raw[k] = fallback[k] * factor[k]
            continue
        side = _side(a.line, sides[k])
        factor[k] = 1.0 if side == "F" else 0.5
        raw[k] = (hi - lo) / 1000.0 * factor[k]
        intervals[k] = (group, side, lo, hi)
    notes = []
    if bad:
        more = f" 等 {len(bad)} 个" if len(bad) > 5 else ""
        notes.append(
            f"{spec.name_zh}：{len(bad)} 个路段的桩号无法换算，改按几何长度计：{'；'.join(bad[:5])}{more}"
        )
    return raw, factor, intervals, notes


def _covered(covered: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Length of [lo, hi] already inside the sorted disjoint intervals ``covered``."""
    return sum(max(0.0, min(hi, b) - max(lo, a)) for a, b in covered)


def _add(covered: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for a, b in sorted([*covered, (lo, hi)]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def chainage_deduction(
    raw: npt.NDArray[np.float64],
    intervals: Sequence[Interval | None],
    done: npt.NDArray[np.bool_],
    order: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """Sections counted once: per road and carriageway side, only length not already built counts.

    A full-width (全幅) section builds both sides, a 左幅 / 右幅 (or ZK / YK) section
    one side; each side counts for half, so a road built first on the left and
    later on the right is counted once in full. Sections are taken in ``order``
    (completion date, then id): the later one gives up the shared stretch.
    """
    covered: dict[tuple[str, str], list[tuple[float, float]]] = {}
    deduction = np.zeros(len(raw))
    for k in order.tolist():
        interval = intervals[k]
        if not done[k] or interval is None:
            continue
        group, side, lo, hi = interval
        new = 0.0
        for s in ("L", "R") if side == "F" else (side,):
            cov = covered.get((group, s), [])
            new += 0.5 * ((hi - lo) - _covered(cov, lo, hi))
            covered[(group, s)] = _add(cov, lo, hi)
        deduction[k] = max(raw[k] - new / 1000.0, 0.0)
    return deduction
