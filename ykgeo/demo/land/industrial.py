"""Demo 低效工业用地 (low-efficiency industrial land): parcels, their 2022 history, duplicates and planted bad data."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry

from ykgeo.demo.geography import industrial_parcel
from ykgeo.demo.kit import Ctx, Feature, grid_angle, jitter_copy
from ykgeo.demo.land.common import (
    TAX_CLASS_RANGES,
    Cluster,
    D,
    ledger,
    neighbour,
    place_parcel,
    planned,
    sizes_mu,
    three_stage,
)
from ykgeo.demo.names import credit_code
from ykgeo.store import TZ

__all__ = [
    "low_efficiency",
    "low_efficiency_bad_data",
    "low_efficiency_duplicates",
    "low_efficiency_history",
]


def low_efficiency(ctx: Ctx, clusters: list[Cluster]) -> list[Feature]:
    key = "low_efficiency_industrial"
    n = 330
    sizes = sizes_mu(ctx, n, 16.0, 0.75, 5.6, 185.0)
    counters: dict[str, int] = {}
    feats: list[Feature] = []
    for mu in sizes:
        geom, town = place_parcel(ctx, clusters, float(mu) * 10000 / 15)
        counters[town.code] = counters.get(town.code, 0) + 1
        fid = f"DX-{town.code[-3:]}-{counters[town.code]:03d}"
        cls = ctx.names.pick(["D"] * 11 + ["C"] * 7 + ["B"] * 2 + ["A"])
        lo, hi = TAX_CLASS_RANGES[cls]
        attrs: dict[str, Any] = {
            "企业名称": ctx.names.firm(town.short),
            "统一社会信用代码": credit_code(ctx.rng),
            "地类编码": ctx.names.pick(["0601"] * 40 + ["0604"] * 4 + ["0508"] * 5 + ["0602"]),
            "亩均税收分类": cls,
            "亩均税收（万元/亩）": round(ctx.uniform(lo, hi), 2),
            "容积率": round(ctx.uniform(0.3, 1.1), 2),
            "整治方式": ctx.names.pick(
                ["提升改造"] * 7 + ["收储"] * 4 + ["腾退"] * 3 + ["兼并重组"] * 3 + ["二次开发"] * 3
            ),
            "状态": "未启动",
        }
        feat = ctx.add(key, fid, geom, attrs, town=town)
        feat.attrs["用地面积（亩）"] = ledger(ctx, feat.mu)
        feats.append(feat)
    return feats


def low_efficiency_history(ctx: Ctx, feats: list[Feature]) -> None:
    gone = {a.feature_id for a in ctx.anomalies if a.kind == "deleted"}
    feats = [f for f in feats if f.fid not in gone]
    measure = {f.fid: f.mu for f in feats}
    done = ctx.pick_until(feats, 5200.0, measure)
    days = {f.fid: ctx.done_day(f.town) for f in done}
    # the deliberate regression: a big parcel signed off in May, sent back in July, redone in October
    big = sorted((f for f in done if f.mu > 60 and not ctx.flagged(f)), key=lambda f: f.fid)
    regress = big[int(ctx.rng.integers(0, len(big)))]
    days[regress.fid] = ctx.day_between(D(2022, 5, 5), D(2022, 5, 25))
    # a completion of April entered only in September (back-dated)
    late = next(
        f
        for f in sorted(done, key=lambda f: f.fid)
        if f.fid != regress.fid and f.mu > 20 and not ctx.flagged(f)
    )
    days[late.fid] = ctx.day_between(D(2022, 4, 6), D(2022, 4, 22))
    for f in feats:
        started = ctx.chance(0.35)
        if started:
            ctx.initial(f, {"状态": "推进中"})
        d = days.get(f.fid)
        f.attrs["计划完成日期"] = planned(ctx, d)
        if f.fid == late.fid and d is not None:
            if not started:
                ctx.status(f, D(2022, 2, 21), "推进中")
            ctx.status(
                f,
                d,
                "已完成",
                note="补录：4 月已完成整治，台账漏报",
                recorded=dt.datetime(2022, 9, 20, 10, 12, tzinfo=TZ),
            )
            continue
        three_stage(
            ctx,
            f,
            done_day=d,
            started_2021=started,
            start_status="推进中",
            done_status="已完成",
            starts_anyway=ctx.chance(0.45),
        )
    ctx.status(
        regress,
        ctx.day_between(D(2022, 7, 12), D(2022, 7, 22)),
        "推进中",
        extra={"完成日期": None},
        note="复核：厂房未拆除到位，退回整改",
    )
    ctx.status(
        regress,
        ctx.day_between(D(2022, 10, 10), D(2022, 10, 28)),
        "已完成",
        note="整改完成，重新销号",
    )
    ctx.anomaly("regression", regress, "状态从“已完成”退回“推进中”（7 月复核），10 月重新完成")
    ctx.anomaly(
        "late_entry", late, "4 月完成的整治 9 月 20 日才补录（生效日期早于记录日期约 5 个月）"
    )


def low_efficiency_bad_data(ctx: Ctx, feats: list[Feature]) -> None:
    pool = sorted((f for f in feats if not ctx.flagged(f)), key=lambda f: f.fid)
    idx = ctx.rng.permutation(len(pool))
    chosen = [pool[i] for i in idx[:6]]
    # ledger far from the geometry
    a, b, c, d = chosen[:4]
    a.attrs["用地面积（亩）"] = round(a.mu * 10000 / 15, 2)
    ctx.anomaly(
        "ledger_area", a, f"台账面积按 m² 填入（{a.attrs['用地面积（亩）']}，几何约 {a.mu:.1f} 亩）"
    )
    b.attrs["用地面积（亩）"] = round(b.mu * 10, 2)
    ctx.anomaly(
        "ledger_area", b, f"台账面积小数点错位（{b.attrs['用地面积（亩）']}，几何约 {b.mu:.1f} 亩）"
    )
    c.attrs["用地面积（亩）"] = round(c.mu * 0.4, 2)
    ctx.anomaly(
        "ledger_area",
        c,
        f"台账面积只计了厂区一部分（{c.attrs['用地面积（亩）']}，几何约 {c.mu:.1f} 亩）",
    )
    d.attrs["用地面积（亩）"] = round(d.mu * 2.6, 2)
    ctx.anomaly(
        "ledger_area",
        d,
        f"台账面积含相邻租赁用地（{d.attrs['用地面积（亩）']}，几何约 {d.mu:.1f} 亩）",
    )
    # a township field that disagrees with the location
    for f in chosen[4:6]:
        wrong = neighbour(ctx, f.town)
        f.attrs["所属镇街"] = wrong.name
        ctx.anomaly("township", f, f"位于{f.town.name}示意范围内，台账填{wrong.name}")


def low_efficiency_duplicates(ctx: Ctx, feats: list[Feature]) -> None:
    """Two parcels entered twice under different numbers, the second drawn a little off the first."""
    pool = sorted((f for f in feats if 10 < f.mu < 60), key=lambda f: f.fid)
    for k in range(3):
        base = pool[int(ctx.rng.integers(0, len(pool)))]
        minx, miny, maxx, maxy = base.geom.bounds
        shift = 0.35 * min(maxx - minx, maxy - miny)
        angle = ctx.uniform(0, 2 * math.pi)
        cx, cy = base.geom.centroid.x, base.geom.centroid.y
        geom = industrial_parcel(
            ctx.rng,
            cx + shift * math.cos(angle),
            cy + shift * math.sin(angle),
            base.geom.area * ctx.uniform(0.7, 1.0),
            grid_angle(0, ctx.rng) + math.atan2(*_edge(base.geom)),
        )
        if not ctx.inner_zone(base.town).contains(geom):
            geom = jitter_copy(base.geom, ctx.rng, 6.0)
        fid = f"DX-{base.town.code[-3:]}-{900 + k:03d}"
        attrs = {
            "企业名称": ctx.names.firm(base.town.short),
            "统一社会信用代码": credit_code(ctx.rng),
            "地类编码": "0601",
            "亩均税收分类": "D",
            "亩均税收（万元/亩）": round(ctx.uniform(0.5, 2.8), 2),
            "容积率": round(ctx.uniform(0.3, 0.8), 2),
            "整治方式": "提升改造",
            "状态": "未启动",
            "计划完成日期": "2022-12-31",
        }
        dup = ctx.add("low_efficiency_industrial", fid, geom, attrs, town=base.town)
        dup.attrs["用地面积（亩）"] = ledger(ctx, dup.mu)
        feats.append(dup)
        if k < 2:
            ctx.anomaly(
                "overlap_within_layer", dup, f"与 {base.fid} 重叠（同一厂区不同企业重复录入）", base
            )
        else:
            ctx.delete(dup, D(2022, 6, 8), note=f"与 {base.fid} 重复录入，核实后删除")
            ctx.anomaly(
                "deleted",
                dup,
                f"与 {base.fid} 重复录入，6 月 8 日核实后删除（年初的状态中仍可见）",
                base,
            )


def _edge(geom: BaseGeometry) -> tuple[float, float]:
    xy = np.asarray(geom.exterior.coords)
    return float(xy[1, 1] - xy[0, 1]), float(xy[1, 0] - xy[0, 0])
