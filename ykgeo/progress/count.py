"""The counting rules behind progress figures: statuses, amounts, overlap deduction and township allocation.

One call of :func:`evaluate` counts one target on one as-of snapshot of its
layer and returns every feature with its class (done / in progress / not
started / done in an earlier year), its amount in the target's unit, the
overlap deduction, and the allocation of that amount to townships.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from ykgeo.area import ellipsoidal_area_m2
from ykgeo.errors import LayerError
from ykgeo.layers import LayerSpec, TargetSpec
from ykgeo.progress.chainage import chainage_amounts, chainage_deduction
from ykgeo.progress.geometry import (
    OverlapRules,
    Townships,
    cross_overlaps,
    deduct_overlaps,
    empty_overlaps,
    geodesic_km,
    self_overlaps,
)
from ykgeo.progress.mismatches import (
    area_mismatches,
    blank,
    empty_area_mismatches,
    empty_township_mismatches,
    township_mismatches,
)
from ykgeo.units import m2_to_mu

__all__ = [
    "OUTSIDE_ZH",
    "CountContext",
    "Evaluation",
    "evaluate",
    "ledger_factor",
    "rule_zh",
    "texts",
]

#: Township label for the parts of features that lie in no township polygon.
OUTSIDE_ZH = "（镇街范围外）"
#: Label for features without geometry and without a ledger township.
UNKNOWN_ZH = "（无几何、镇街不明）"
COUNTED = ("done", "in_progress", "not_started")

_CLASS_ZH = {
    "done": "已完成（计入）",
    "in_progress": "推进中",
    "not_started": "未启动",
    "done_earlier": "往年已完成（不计入）",
    "done_later": "次年完成（不计入）",
}


@dataclass(frozen=True)
class CountContext:
    """The parts of ProgressSettings the counting needs."""

    area_tolerance: float
    overlaps: OverlapRules
    pipeline_probability: float
    overdue_probability: float


@dataclass
class Evaluation:
    """One target counted on one snapshot (see :func:`evaluate`)."""

    features: pd.DataFrame
    allocation: pd.DataFrame
    overlaps: pd.DataFrame
    township_mismatches: pd.DataFrame
    area_mismatches: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    #: Rows of the layer counted (those the target's filter keeps), in order.
    positions: npt.NDArray[np.int64] | None = None


def ledger_factor(spec: LayerSpec) -> tuple[float, str]:
    """Factor from the ledger area field's unit to 亩, and the unit's name."""
    fspec = spec.field(spec.ledger_area_field)
    unit = fspec.unit or fspec.name
    if "公顷" in unit or unit.lower() in {"ha", "hm2", "hm²"}:
        return 15.0, "公顷"
    if "m²" in unit or "平方米" in unit or unit.lower() in {"m2", "sqm"}:
        return float(m2_to_mu(1.0)), "m²"
    return 1.0, "亩"


def _matches(values: pd.Series, allowed: Sequence[str]) -> npt.NDArray[np.bool_]:
    def norm(v: Any) -> str | None:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()

    allowed_set = {str(a).strip() for a in allowed}
    return np.asarray([norm(v) in allowed_set for v in values.tolist()], dtype=bool)


def _dates(values: pd.Series) -> npt.NDArray[np.datetime64]:
    out = pd.to_datetime(values, errors="coerce").astype("datetime64[ns]")
    return np.array(out.to_numpy(), copy=True)  # writable (pandas 3 hands out read-only views)


def _ids_text(ids: npt.ArrayLike, limit: int = 10) -> str:
    arr = [str(i) for i in np.asarray(ids, dtype=object).tolist()]
    more = f" 等 {len(arr)} 个" if len(arr) > limit else ""
    return "、".join(arr[:limit]) + more


def texts(values: pd.Series | pd.Index) -> npt.NDArray[np.object_]:
    """The values as text objects, as ``values.astype(str).tolist()`` gives them.

    Ids and township names are text already: then they are taken as they are,
    without pandas' round trip through an Arrow string column and back.
    """
    arr = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(arr, skipna=False) == "string":
        return arr
    return np.asarray(pd.Index(arr, dtype=object).astype(str).tolist(), dtype=object)


def _objects(series: pd.Series) -> npt.NDArray[np.object_]:
    return np.asarray(series.astype(object).where(series.notna(), None).tolist(), dtype=object)


# --- steps of the evaluation ------------------------------------------------------------------


@dataclass
class _Frame:
    """One target's features on one snapshot and what is known of each so far."""

    target: TargetSpec
    spec: LayerSpec
    gdf: gpd.GeoDataFrame
    ids: npt.NDArray[np.object_]
    geoms: npt.NDArray[np.object_]
    has_geom: npt.NDArray[np.bool_]
    statuses: npt.NDArray[np.object_]
    warnings: list[str]


def _classify(
    f: _Frame, counted_since: pd.Series, year: int
) -> tuple[
    npt.NDArray[np.object_],
    npt.NDArray[np.datetime64],
    npt.NDArray[np.datetime64],
    npt.NDArray[np.datetime64],
]:
    """Class of each feature, its status date, the day it began to count, and its planned completion date.

    The status date is the ledger's completion date (e.g. 完成日期) for a final
    status, else the day the feature entered the counted statuses (from the log);
    it decides whether a completion belongs to the year. The day it began to
    count decides what was already counted when the year began (for run rates).
    """
    status = f.spec.status
    assert status is not None
    counted_set = set(f.target.statuses)
    in_prog = set(status.in_progress) - counted_set
    unknown = sorted({str(v) for v in f.statuses if v not in status.values})
    if unknown:
        f.warnings.append(
            f"{f.spec.name_zh}：状态值 {'、'.join(unknown)} 不在状态词表中，按“未启动”统计"
        )
    cls = np.where(
        np.isin(f.statuses, list(counted_set)),
        "done",
        np.where(np.isin(f.statuses, list(in_prog)), "in_progress", "not_started"),
    ).astype(object)
    # the day the counted status began: the ledger's date for final statuses, else the log's
    since = _dates(counted_since.reindex(f.ids))
    status_date = since.copy()
    if status.date_field and status.date_field in f.gdf:
        ledger_date = _dates(f.gdf[status.date_field])
        final = np.isin(f.statuses, list(status.done)) & ~np.isnat(ledger_date)
        status_date[final] = ledger_date[final]
    known = ~np.isnat(status_date)
    final_done = (cls == "done") & np.isin(f.statuses, list(status.done))
    start = np.datetime64(dt.date(year, 1, 1), "ns")
    end = np.datetime64(dt.date(year, 12, 31), "ns")
    cls[final_done & known & (status_date < start)] = "done_earlier"
    cls[(cls == "done") & known & (status_date > end)] = "done_later"
    planned = (
        _dates(f.gdf[status.planned_date_field])
        if status.planned_date_field and status.planned_date_field in f.gdf
        else np.full(len(f.ids), np.datetime64("NaT"), dtype="datetime64[ns]")
    )
    return cls, status_date, since, planned


def _amounts(
    f: _Frame,
    cls: npt.NDArray[np.object_],
    parents: Mapping[str, tuple[LayerSpec, gpd.GeoDataFrame]],
) -> dict[str, Any]:
    """Each feature's own amount in the target's unit, with its areas (亩) and chainage data."""
    target, spec, n = f.target, f.spec, len(f.ids)
    kinds = shapely.get_type_id(f.geoms)
    poly = f.has_geom & np.isin(kinds, (3, 6))
    area_mu = np.full(n, np.nan)
    if poly.any():
        area_mu[poly] = m2_to_mu(ellipsoidal_area_m2(f.geoms[poly]))
    ledger_mu = np.full(n, np.nan)
    if spec.ledger_area_field and spec.ledger_area_field in f.gdf:
        values = pd.to_numeric(f.gdf[spec.ledger_area_field], errors="coerce")
        ledger_mu = values.to_numpy(dtype="float64", na_value=np.nan) * ledger_factor(spec)[0]
    out: dict[str, Any] = {
        "area_mu": area_mu,
        "ledger_mu": ledger_mu,
        "poly": poly,
        "factor": np.ones(n),
        "intervals": [None] * n,
    }
    if target.measure == "area":
        if target.area_source == "ledger":
            raw = ledger_mu.copy()
            missing = np.isnan(raw)
            if missing.any():
                raw[missing] = np.nan_to_num(area_mu[missing])
                f.warnings.append(
                    f"{spec.name_zh}：{int(missing.sum())} 个要素缺台账面积（{spec.ledger_area_field}），"
                    f"改按几何椭球面积计：{_ids_text(f.ids[missing])}"
                )
        else:
            raw = np.nan_to_num(area_mu)
            if (~poly).any():
                f.warnings.append(
                    f"{spec.name_zh}：{int((~poly).sum())} 个要素没有面几何，面积按 0 计：{_ids_text(f.ids[~poly])}"
                )
    elif target.measure == "count":
        raw = np.ones(n)
    elif target.measure == "field_sum":
        values = pd.to_numeric(f.gdf[target.field], errors="coerce")
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(arr) & (cls == "done")
        if missing.any():
            f.warnings.append(
                f"{spec.name_zh}：{int(missing.sum())} 个已计入的要素缺“{target.field}”，按 0 计：{_ids_text(f.ids[missing])}"
            )
        raw = np.nan_to_num(arr)
    elif target.measure == "length_km":
        raw = np.zeros(n)
        if f.has_geom.any():
            raw[f.has_geom] = geodesic_km(f.geoms[f.has_geom])
    else:  # chainage_km
        raw, out["factor"], out["intervals"], notes = chainage_amounts(
            spec, f.gdf, f.geoms, f.has_geom, parents
        )
        f.warnings.extend(notes)
    out["raw"] = raw
    return out


def _overlaps(
    f: _Frame,
    cls: npt.NDArray[np.object_],
    order: npt.NDArray[np.int64],
    amounts: dict[str, Any],
    rules: OverlapRules,
    near: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64], pd.DataFrame]:
    """Overlapping pairs inside the layer, and the deduction so each piece of ground (or road) counts once."""
    n = len(f.ids)
    done = cls == "done"
    counted_geoms = f.geoms.copy()
    deduction = np.zeros(n)
    measure = f.target.measure
    if measure == "chainage_km":
        return (
            counted_geoms,
            chainage_deduction(amounts["raw"], amounts["intervals"], done, order),
            empty_overlaps(),
        )
    i, j, amount = self_overlaps(f.geoms, f.has_geom, rules, near=near)
    if not len(i):
        return counted_geoms, deduction, empty_overlaps()
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    later = np.where(rank[i] > rank[j], i, j)
    earlier = np.where(rank[i] > rank[j], j, i)
    deduct = done[i] & done[j] & (measure in ("area", "length_km"))
    if deduct.any():
        idx, remainder, remaining = deduct_overlaps(f.geoms, later[deduct], earlier[deduct], rules)
        counted_geoms[idx] = remainder
        whole = np.nan_to_num(amounts["area_mu"][idx]) if measure == "area" else amounts["raw"][idx]
        deduction[idx] = np.maximum(whole - remaining, 0.0)
    table = pd.DataFrame(
        {
            "kind": "同图层",
            "layer_a": f.spec.key,
            "id_a": f.ids[earlier],
            "status_a": f.statuses[earlier],
            "layer_b": f.spec.key,
            "id_b": f.ids[later],
            "status_b": f.statuses[later],
            "overlap": amount,
            "overlap_unit": "km" if f.spec.geometry_type == "LineString" else "亩",
            "deducted": deduct,
            "deducted_from": np.where(deduct, f.ids[later], ""),
        }
    )
    return counted_geoms, deduction, table


def _majorities(
    shares: list[list[tuple[int, float]]], names: list[str], ledger: npt.NDArray[np.object_]
) -> npt.NDArray[np.object_]:
    """The township holding most of each feature (outside / ledger name / unknown when none)."""
    out = np.empty(len(shares), dtype=object)
    for k, s in enumerate(shares):
        if len(s) == 1 and s[0][0] >= 0:  # the common case: wholly in one township
            out[k] = names[s[0][0]]
            continue
        inside = [(fr, -t) for t, fr in s if t >= 0]
        if inside:
            out[k] = names[-max(inside)[1]]
        elif s and s[0][0] == -1:
            out[k] = OUTSIDE_ZH
        elif not blank(ledger[k]):
            out[k] = str(ledger[k]).strip()
        else:
            out[k] = UNKNOWN_ZH
    return out


def _allocate(
    f: _Frame,
    cls: npt.NDArray[np.object_],
    raw: npt.NDArray[np.float64],
    counted: npt.NDArray[np.float64],
    majority: npt.NDArray[np.object_],
    shares: list[list[tuple[int, float]]],
    counted_shares: list[list[tuple[int, float]]],
    names: list[str],
    planned: npt.NDArray[np.datetime64],
    since: npt.NDArray[np.datetime64],
    *,
    year: int,
    as_of: dt.date,
    ctx: CountContext,
) -> pd.DataFrame:
    """Long table (id, township, class, amount, pipeline, since): each feature's amount by township.

    ``since`` is the day the feature began to count (run rates use it).
    """
    end = np.datetime64(dt.date(year, 12, 31), "ns")
    in_pipe = (cls == "in_progress") & ~np.isnat(planned) & (planned <= end)
    weight = np.where(
        in_pipe,
        np.where(
            planned >= np.datetime64(as_of, "ns"),
            ctx.pipeline_probability,
            ctx.overdue_probability,
        ),
        0.0,
    )
    value = np.where(cls == "done", counted, raw)
    pipe = raw * weight
    keep = np.flatnonzero(np.isin(cls, COUNTED))
    if f.target.township_rule != "split":
        rows_k = keep
        towns = majority[keep]
        frac = np.ones(len(keep))
    else:
        ks: list[int] = []
        town_list: list[Any] = []
        fr_list: list[float] = []
        for k in keep.tolist():
            parts = (counted_shares[k] if cls[k] == "done" else shares[k]) or [(-2, 1.0)]
            for t, fr in parts:
                ks.append(k)
                town_list.append(names[t] if t >= 0 else OUTSIDE_ZH if t == -1 else majority[k])
                fr_list.append(fr)
        rows_k = np.asarray(ks, dtype=np.int64)
        towns = np.asarray(town_list, dtype=object)
        frac = np.asarray(fr_list, dtype="float64")
    return pd.DataFrame(
        {
            "id": f.ids[rows_k],
            "township": towns,
            "class": cls[rows_k],
            "amount": value[rows_k] * frac,
            "pipeline": pipe[rows_k] * frac,
            "since": since[rows_k],
        }
    )


def evaluate(
    target: TargetSpec,
    spec: LayerSpec,
    layer: gpd.GeoDataFrame,
    counted_since: pd.Series,
    towns: Townships,
    *,
    year: int,
    as_of: dt.date,
    ctx: CountContext,
    others: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]] = (),
    parents: Mapping[str, tuple[LayerSpec, gpd.GeoDataFrame]] | None = None,
    detail: bool = True,
    near: Mapping[str, npt.NDArray[np.bool_]] | None = None,
) -> Evaluation:
    """Count ``target`` on ``layer`` (the layer as it stood at ``as_of``).

    ``counted_since`` gives, per feature id, the day its status entered the
    target's counted statuses (from the edit log). ``others`` are the other land
    categories checked for cross-category overlaps; ``parents`` the layers holding
    断链 equations of chainage sections. With ``detail=False`` only what the
    figures need is computed (no cross-category overlaps, no mismatch lists).
    ``near`` (:func:`ykgeo.progress.geometry.neighbours`, aligned to ``layer``) lets the
    overlap queries skip features whose boxes meet no other box.
    """
    status = spec.status
    if status is None:
        msg = f"图层 {spec.name_zh}（{spec.key}）没有状态字段，不能统计目标 {target.name_zh}"
        raise LayerError(msg)
    gdf = layer
    positions = np.arange(len(gdf))
    if target.filter:
        mask = np.ones(len(gdf), dtype=bool)
        for fname, allowed in target.filter.items():
            mask &= _matches(gdf[fname], allowed)
        gdf = gdf[mask]
        positions = np.flatnonzero(mask)
        near = {k: v[mask] for k, v in near.items()} if near is not None else None
    geoms = np.asarray(gdf.geometry.to_numpy(), dtype=object)
    f = _Frame(
        target,
        spec,
        gdf,
        ids=texts(gdf.index),
        geoms=geoms,
        has_geom=~(shapely.is_missing(geoms) | shapely.is_empty(geoms)),
        statuses=_objects(gdf[status.field]),
        warnings=[],
    )
    cls, status_date, since, planned = _classify(f, counted_since, year)
    amounts = _amounts(f, cls, parents or {})
    raw = np.where(np.isin(cls, COUNTED), amounts["raw"], 0.0)
    order = np.lexsort(
        (f.ids, np.where(np.isnat(status_date), np.datetime64("9999-12-31"), status_date))
    )
    counted_geoms, deduction, overlaps = _overlaps(
        f, cls, order, amounts, ctx.overlaps, near.get(spec.key) if near is not None else None
    )
    done = cls == "done"
    counted = np.where(done, np.maximum(raw - deduction, 0.0), 0.0)

    # townships: majority of the whole geometry; for 'split', shares of what was counted
    ledger_town = (
        _objects(gdf[spec.township_field])
        if spec.township_field and spec.township_field in gdf
        else np.full(len(f.ids), None, dtype=object)
    )
    shares = towns.shares(np.where(f.has_geom, geoms, np.asarray(None, dtype=object)))
    majority = _majorities(shares, towns.names, ledger_town)
    if (~f.has_geom).any():
        f.warnings.append(
            f"{spec.name_zh}：{int((~f.has_geom).sum())} 个要素没有几何，镇街按台账字段归属：{_ids_text(f.ids[~f.has_geom])}"
        )
    counted_shares = shares
    changed = np.flatnonzero((deduction > 0) & done)
    if target.township_rule == "split" and target.measure in ("area", "length_km") and len(changed):
        counted_shares = list(shares)
        for k, s in zip(changed, towns.shares(counted_geoms[changed]), strict=True):
            counted_shares[k] = s
    alloc = _allocate(
        f,
        cls,
        raw,
        counted,
        majority,
        shares,
        counted_shares,
        towns.names,
        planned,
        since,
        year=year,
        as_of=as_of,
        ctx=ctx,
    )
    features = pd.DataFrame(
        {
            "id": f.ids,
            "name": _objects(gdf[spec.name_field]) if spec.name_field in gdf else None,
            "township": majority,
            "ledger_township": ledger_town,
            "status": f.statuses,
            "class": cls,
            "class_zh": [_CLASS_ZH[c] for c in cls],
            "status_date": status_date,
            "planned_date": planned,
            "area_mu": amounts["area_mu"],
            "ledger_area_mu": amounts["ledger_mu"],
            "raw_amount": raw,
            "overlap_deduction": np.where(done, deduction, 0.0),
            "amount": counted,
        }
    )
    if target.measure == "chainage_km":
        features.insert(
            list(features.columns).index("raw_amount"), "side_factor", amounts["factor"]
        )
    town_mismatch, area_mismatch = empty_township_mismatches(), empty_area_mismatches()
    if detail:
        if others and target.measure == "area":
            extra = cross_overlaps(
                spec, f.ids, f.statuses, geoms, f.has_geom, others, ctx.overlaps, near=near
            )
            overlaps = pd.concat([overlaps, extra], ignore_index=True) if len(extra) else overlaps
        feature_names = (
            _objects(f.gdf[f.spec.name_field])
            if f.spec.name_field in f.gdf
            else np.full(len(f.ids), None, dtype=object)
        )
        town_mismatch = township_mismatches(
            f.ids, feature_names, f.has_geom, ledger_town, majority, shares, towns.names
        )
        if spec.ledger_area_field and amounts["poly"].any():
            area_mismatch = area_mismatches(features, ctx.area_tolerance)
    return Evaluation(
        features, alloc, overlaps, town_mismatch, area_mismatch, f.warnings, positions
    )


# --- explanation ------------------------------------------------------------------------------


def rule_zh(
    target: TargetSpec,
    spec: LayerSpec,
    *,
    year: int,
    others: Sequence[LayerSpec] = (),
) -> str:
    """The Chinese sentence that says exactly how a target is counted."""
    status = spec.status
    statuses = "、".join(f"“{s}”" for s in target.statuses)
    parts = [f"统计图层“{spec.name_zh}”中状态为{statuses}的要素，每个要素只计一次"]
    if target.filter:
        conds = "；".join(f"{k} 为 {'、'.join(v)}" for k, v in target.filter.items())
        parts.append(f"只统计 {conds} 的要素")
    if status is not None and any(s in status.done for s in target.statuses):
        date_src = f"“{status.date_field}”" if status.date_field else "状态变更日期"
        parts.append(f"完成日期以{date_src}为准，{year} 年以前已完成的不计入本年")
    unit = target.unit
    basis = "长度" if spec.geometry_type == "LineString" else "面积"
    if target.measure == "area":
        if target.area_source == "ledger":
            ledger_unit = ledger_factor(spec)[1]
            parts.append(
                f"面积采用台账“{spec.ledger_area_field}”（{ledger_unit}，换算为亩），缺台账面积的按几何椭球面积"
            )
        else:
            parts.append("面积按 CGCS2000 椭球面积计算（亩），台账面积只作核对")
        parts.append(
            "同一图层内图斑重叠的部分只计一次：按完成日期先后（同日按编号）由先完成者计入、后完成者扣除重叠面积，"
            "全市合计等于已完成图斑并集的面积，各镇街之和等于全市合计"
        )
        if others:
            names = "、".join(o.name_zh for o in others)
            parts.append(f"与其他地类图层（{names}）的重叠只列出、不扣减，各计入各自目标")
    elif target.measure == "count":
        parts.append(f"按要素个数计（{unit}），重叠只列出、不影响个数")
    elif target.measure == "field_sum":
        parts.append(f"按字段“{target.field}”求和（{unit}），缺值按 0 计")
    elif target.measure == "length_km":
        parts.append(
            "按线要素的椭球（大地线）长度计（km），同图层线段重合（相距 0.5 m 以内）的部分只计一次，由先完成者计入"
        )
    else:
        parts.append(
            "按起点桩号与终点桩号之差计里程（km），断链按路段或所属项目的“断链”换算为实际长度；"
            "同一项目同一幅已计入的桩号区间不重复计；左幅、右幅（ZK/YK）各按半幅计，两幅都建成才计全长；"
            "桩号无法换算的按几何长度计并给出警告"
        )
    if spec.geometry_type == "Point":
        parts.append("镇街归属按点所在的镇街")
    elif target.township_rule == "split":
        parts.append(f"跨镇街的要素按落在各镇街的{basis}比例分摊（split）")
    else:
        parts.append(f"镇街归属按几何位置，要素整体计入其{basis}最大的镇街（majority）")
    parts.append("推进中、未启动按各要素自身数量合计，不作重叠扣除")
    return "；".join(parts) + "。"
