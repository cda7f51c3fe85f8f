"""Demo features of the land layers: low-efficiency, unsupplied, stock, redevelopment, transfers, factories, consolidation."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from shapely import MultiPolygon, affinity
from shapely.geometry.base import BaseGeometry

from ykgeo.demo.geography import Township, industrial_parcel, organic_polygon
from ykgeo.demo.kit import Ctx, Feature, grid_angle, jitter_copy
from ykgeo.demo.names import credit_code, supervision_number
from ykgeo.store import TZ

__all__ = ["Cluster", "build_land", "industrial_clusters", "place_parcel"]

D = dt.date
QUARTER_ENDS = (D(2022, 3, 31), D(2022, 6, 30), D(2022, 9, 30), D(2022, 12, 31))
#: 亩均税收 classes (万元/亩) of the illustrative county evaluation: D < 3, C 3–8, B 8–20, A ≥ 20.
TAX_CLASS_RANGES = {"A": (20.0, 38.0), "B": (8.0, 20.0), "C": (3.0, 8.0), "D": (0.2, 3.0)}


class Cluster:
    """Where industry is: an anchor point (metres), a spread, a street-grid angle and a weight."""

    def __init__(
        self, name: str, x: float, y: float, sigma: float, angle_deg: float, weight: float
    ) -> None:
        self.name, self.x, self.y = name, x, y
        self.sigma, self.angle_deg, self.weight = sigma, angle_deg, weight


def industrial_clusters(ctx: Ctx) -> list[Cluster]:
    """Industrial areas: the 开发区 east and south-east of the centre, the old works south of the river, the industrial towns."""
    cx, cy = ctx.geo.centre

    def town(short: str, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
        t = ctx.geo.township(short)
        return t.x + dx, t.y + dy

    spots: list[tuple[str, tuple[float, float], float, float, float]] = [
        ("开发区", (cx + 3900, cy - 1700), 1300, 18, 0.26),
        ("江南", (cx - 1500, cy - 2700), 850, 6, 0.09),
        ("城东", (cx + 2300, cy + 1500), 750, 14, 0.06),
        ("西城", (cx - 3300, cy + 700), 650, -8, 0.03),
        ("古山", town("古山", 500, -500), 1100, 28, 0.13),
        ("芝英", town("芝英", -300, -600), 1000, -12, 0.10),
        ("象珠", town("象珠", 300, -700), 900, 8, 0.08),
        ("石柱", town("石柱", -400, 600), 900, 22, 0.08),
        ("唐先", town("唐先", 0, -600), 600, 35, 0.025),
        ("龙山", town("龙山", -300, -500), 550, 10, 0.02),
        ("方岩", town("方岩", -600, -300), 550, -20, 0.02),
        ("前仓", town("前仓", 200, 500), 550, 5, 0.02),
        ("花街", town("花街", 500, -300), 550, 40, 0.015),
        ("舟山", town("舟山", -300, 300), 450, 15, 0.01),
        ("西溪", town("西溪", -400, -300), 450, 25, 0.01),
    ]
    return [Cluster(n, p[0], p[1], s, a, w) for n, p, s, a, w in spots]


def place_parcel(
    ctx: Ctx,
    clusters: list[Cluster],
    area_m2: float,
    *,
    spread: float = 1.0,
    gap: float = 8.0,
    shape: Callable[[float, float, float], BaseGeometry] | None = None,
    remember: bool = True,
) -> tuple[BaseGeometry, Township]:
    """A parcel of ``area_m2`` near one of ``clusters`` (by weight), clear of others, inside one zone."""
    weights = np.array([c.weight for c in clusters])
    weights = weights / weights.sum()
    for _ in range(12):
        cl = clusters[int(ctx.rng.choice(len(clusters), p=weights))]
        for attempt in range(25):
            s = cl.sigma * spread * (1.0 + attempt / 12.0)
            x = cl.x + float(ctx.rng.normal(0.0, s))
            y = cl.y + float(ctx.rng.normal(0.0, s))
            angle = grid_angle(cl.angle_deg, ctx.rng)
            geom = (
                shape(x, y, angle)
                if shape is not None
                else industrial_parcel(ctx.rng, x, y, area_m2, angle)
            )
            town = ctx.geo.township_at(x, y)
            if not ctx.inner_zone(town).contains(geom):
                continue
            if ctx.placer.fits(geom, gap):
                if remember:
                    ctx.placer.add(geom)
                return geom, town
    msg = f"无法在 {[c.name for c in clusters]} 附近放下 {area_m2:.0f} m² 的地块"
    raise RuntimeError(msg)


def _sizes_mu(ctx: Ctx, n: int, median: float, sigma: float, lo: float, hi: float) -> np.ndarray:
    return np.clip(ctx.rng.lognormal(math.log(median), sigma, size=n), lo, hi)


def _quarter_on_or_after(day: D) -> D:
    return next(q for q in QUARTER_ENDS if q >= day)


def _planned(ctx: Ctx, done: D | None) -> str:
    """A planned date: usually the quarter end the work was due in, sometimes a quarter earlier (late)."""
    if done is None:
        return ctx.names.pick(["2022-09-30", "2022-12-31", "2022-12-31", "2023-06-30"])
    q = _quarter_on_or_after(done)
    if ctx.chance(0.2) and q != QUARTER_ENDS[0]:
        q = QUARTER_ENDS[QUARTER_ENDS.index(q) - 1]
    return q.isoformat()


def _ledger(ctx: Ctx, mu: float) -> float:
    """A ledger area that mostly matches the geometry, sometimes by 2–8 % off (old surveys, rounding)."""
    if ctx.chance(0.25):
        return round(mu * (1 + ctx.uniform(0.02, 0.08) * (1 if ctx.chance(0.5) else -1)), 2)
    return round(mu * (1 + float(ctx.rng.normal(0.0, 0.004))), 2)


def _three_stage(
    ctx: Ctx,
    feat: Feature,
    *,
    done_day: D | None,
    started_2021: bool,
    start_status: str,
    done_status: str,
    stamps: dict[str, str] | None = None,
    starts_anyway: bool = False,
) -> None:
    """Schedule not started → in progress → done (or stop in progress / never start)."""
    if done_day is not None:
        if not started_2021:
            lo = D(2022, 1, 10)
            hi = max(lo, done_day - dt.timedelta(days=21))
            ctx.status(feat, ctx.day_between(lo, hi), start_status, stamps=stamps)
        ctx.status(feat, done_day, done_status, stamps=stamps)
    elif not started_2021 and starts_anyway:
        ctx.status(
            feat, ctx.day_between(D(2022, 2, 15), D(2022, 11, 30)), start_status, stamps=stamps
        )


# --- 低效工业用地 --------------------------------------------------------------------------------


def _low_efficiency(ctx: Ctx, clusters: list[Cluster]) -> list[Feature]:
    key = "low_efficiency_industrial"
    n = 330
    sizes = _sizes_mu(ctx, n, 16.0, 0.75, 5.6, 185.0)
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
        feat.attrs["用地面积（亩）"] = _ledger(ctx, feat.mu)
        feats.append(feat)
    return feats


def _low_efficiency_history(ctx: Ctx, feats: list[Feature]) -> None:
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
        f.attrs["计划完成日期"] = _planned(ctx, d)
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
        _three_stage(
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


def _low_efficiency_bad_data(ctx: Ctx, feats: list[Feature]) -> None:
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
        wrong = _neighbour(ctx, f.town)
        f.attrs["所属镇街"] = wrong.name
        ctx.anomaly("township", f, f"位于{f.town.name}示意范围内，台账填{wrong.name}")


def _neighbour(ctx: Ctx, town: Township) -> Township:
    near = sorted(
        (t for t in ctx.geo.townships if t.code != town.code),
        key=lambda t: (t.zone.distance(town.zone), math.hypot(t.x - town.x, t.y - town.y)),
    )
    return near[0]


def _low_efficiency_duplicates(ctx: Ctx, feats: list[Feature]) -> None:
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
        dup.attrs["用地面积（亩）"] = _ledger(ctx, dup.mu)
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


# --- 批而未供 -------------------------------------------------------------------------------------

_UNSUPPLIED_REASONS = (
    "征地拆迁未完成", "规划调整", "项目未落地", "地块零星不具备单独供地条件",
    "土地平整未完成", "用地企业资金不到位", "配套道路未建成",
)  # fmt: skip
_USE_CODES = ("0601",) * 11 + ("0604",) * 2 + ("0701",) * 3 + ("0501",) * 2 + ("0809",) * 2


def _unsupplied(ctx: Ctx, clusters: list[Cluster]) -> list[Feature]:
    key = "unsupplied_approved"
    feats: list[Feature] = []
    years = list(range(2013, 2022))
    per_year = {y: 3 + (y - 2013) // 2 for y in years}  # more batches in recent years
    for year in years:
        n_batches = per_year[year]
        days = sorted(ctx.day_between(D(year, 1, 15), D(year, 12, 20)) for _ in range(n_batches))
        number = ctx.integer(8, 30)
        for b, day in enumerate(days, start=1):
            number += ctx.integer(3, 25)
            anchor = clusters[int(ctx.rng.choice(len(clusters), p=_w(clusters)))]
            sub = [
                Cluster(anchor.name, anchor.x, anchor.y, anchor.sigma * 1.5, anchor.angle_deg, 1)
            ]
            plots = ctx.integer(1, 6)
            batch_name = f"永康市{year}年度第{b}批次城镇建设用地"
            doc = f"浙政土〔{year}〕{number}号"
            uses = _USE_CODES[int(ctx.rng.integers(0, len(_USE_CODES)))]
            for p in range(1, plots + 1):
                mu = float(_sizes_mu(ctx, 1, 22.0, 0.7, 5.5, 140.0)[0])
                geom, town = place_parcel(ctx, sub, mu * 10000 / 15, spread=1.0)
                fid = f"PC{year}-{b:02d}-{p}"
                attrs: dict[str, Any] = {
                    "批次名称": batch_name,
                    "批准文号": doc,
                    "批准日期": day.isoformat(),
                    "地类编码": uses if ctx.chance(0.8) else "0601",
                    "未供原因": ctx.names.pick(_UNSUPPLIED_REASONS),
                    "状态": "未供",
                }
                feat = ctx.add(key, fid, geom, attrs, town=town)
                approved = _ledger(ctx, feat.mu)
                cut = round(ctx.uniform(1.0, 0.2 * approved), 2) if ctx.chance(0.06) else 0.0
                feat.attrs.update(
                    {
                        "批准面积（亩）": approved,
                        "已供面积（亩）": 0.0,
                        "未供面积（亩）": round(approved - cut, 2),
                        "核减面积（亩）": cut,
                    }
                )
                feats.append(feat)
    return feats


def _w(clusters: list[Cluster]) -> np.ndarray:
    w = np.array([c.weight for c in clusters])
    return w / w.sum()


def _unsupplied_history(
    ctx: Ctx, feats: list[Feature], serials: dict[str, int]
) -> list[tuple[Feature, D, str]]:
    """Supply about 2450 亩 over the year; return the plots supplied by 出让 for industry (for the transfer layer)."""
    measure = {f.fid: f.mu for f in feats}
    done = ctx.pick_until(feats, 2440.0, measure)
    days = {f.fid: ctx.done_day(f.town) for f in done}
    sold: list[tuple[Feature, D, str]] = []
    for f in sorted(feats, key=lambda f: f.fid):
        d = days.get(f.fid)
        f.attrs["计划供地日期"] = _planned(ctx, d)
        started = ctx.chance(0.2)
        if started:
            ctx.initial(f, {"状态": "供地中"})
        if d is None:
            if not started and ctx.chance(0.3):
                ctx.status(f, ctx.day_between(D(2022, 3, 1), D(2022, 11, 30)), "供地中")
            continue
        if not started:
            ctx.status(
                f,
                ctx.day_between(D(2022, 1, 10), max(D(2022, 1, 10), d - dt.timedelta(days=30))),
                "供地中",
            )
        way = "划拨" if f.attrs["地类编码"] == "0809" else "出让"
        kind = "A" if way == "划拨" else "B"
        serials[kind] = serials.get(kind, 0) + ctx.integer(1, 6)
        number = supervision_number(2022, serials[kind], kind)
        approved = f.attrs["批准面积（亩）"]
        cut = f.attrs["核减面积（亩）"]
        ctx.status(
            f,
            d,
            "已供",
            extra={
                "供地方式": way,
                "电子监管号": number,
                "已供面积（亩）": round(approved - cut, 2),
                "未供面积（亩）": 0.0,
                "未供原因": None,
            },
        )
        if way == "出让" and f.attrs["地类编码"] in ("0601", "0604"):
            sold.append((f, d, number))
    fixable = sorted(
        (
            f
            for f in feats
            if f.fid in days
            and D(2022, 6, 1) <= days[f.fid] <= D(2022, 7, 31)
            and not ctx.flagged(f)
        ),
        key=lambda f: f.fid,
    )
    fix = fixable[int(ctx.rng.integers(0, len(fixable)))]
    true_day = days[fix.fid] - dt.timedelta(days=ctx.integer(9, 16))
    ctx.change(
        fix,
        true_day,
        {"供地日期": true_day.isoformat()},
        note="核对出让合同签订日期，更正供地日期",
        recorded=dt.datetime(2022, 10, 12, 15, 20, tzinfo=TZ),
    )
    ctx.anomaly(
        "correction",
        fix,
        f"10 月 12 日把供地日期由 {days[fix.fid].isoformat()} 更正为 {true_day.isoformat()}（补记的更正，生效日期早于记录日期）",
    )
    return sold


def _unsupplied_anomalies(ctx: Ctx, feats: list[Feature]) -> None:
    pool = sorted(feats, key=lambda f: f.fid)
    # one plot carries the whole batch's approved area
    batches: dict[str, list[Feature]] = {}
    for f in pool:
        batches.setdefault(f.attrs["批次名称"], []).append(f)
    big = next(v for k, v in sorted(batches.items()) if len(v) >= 4)
    total = round(sum(x.mu for x in big), 2)
    big[0].attrs["批准面积（亩）"] = total
    big[0].attrs["未供面积（亩）"] = total
    ctx.anomaly(
        "ledger_area",
        big[0],
        f"批准面积填了整个批次的面积（{total} 亩，几何约 {big[0].mu:.1f} 亩）",
    )
    # a township field that disagrees with the location
    f = pool[int(ctx.rng.integers(0, len(pool)))]
    wrong = _neighbour(ctx, f.town)
    f.attrs["所属镇街"] = wrong.name
    ctx.anomaly("township", f, f"位于{f.town.name}示意范围内，台账填{wrong.name}")
    # the same land approved twice in two batches
    pool = [p for p in pool if not ctx.flagged(p)]
    base = pool[int(ctx.rng.integers(0, len(pool)))]
    geom = jitter_copy(base.geom, ctx.rng, 5.0)
    minx, _, maxx, _ = geom.bounds

    geom = affinity.translate(geom, (maxx - minx) * 0.45, 0.0)
    if not ctx.inner_zone(base.town).contains(geom):
        geom = affinity.translate(geom, -(maxx - minx) * 0.9, 0.0)
    year = int(base.attrs["批准日期"][:4]) + 1
    year = year if year <= 2021 else year - 2
    batch = 1 + max(int(p.fid.split("-")[1]) for p in pool if p.fid.startswith(f"PC{year}-"))
    fid = f"PC{year}-{batch:02d}-1"
    attrs = {
        "批次名称": f"永康市{year}年度第{batch}批次城镇建设用地",
        "批准文号": f"浙政土〔{year}〕{ctx.integer(120, 160)}号",
        "批准日期": D(year, 11, 18).isoformat(),
        "地类编码": base.attrs["地类编码"],
        "未供原因": "规划调整",
        "状态": "未供",
        "计划供地日期": "2023-06-30",
    }
    dup = ctx.add("unsupplied_approved", fid, geom, attrs, town=base.town)
    approved = round(dup.mu, 2)
    dup.attrs.update(
        {
            "批准面积（亩）": approved,
            "已供面积（亩）": 0.0,
            "未供面积（亩）": approved,
            "核减面积（亩）": 0.0,
        }
    )
    feats.append(dup)
    ctx.anomaly(
        "overlap_within_layer", dup, f"与 {base.fid} 部分重叠（同一地块在两个批次重复报批）", base
    )


# --- 出让工业用地 -----------------------------------------------------------------------------------

_TRANSFER_ROADS = (
    "九铃东路",
    "花川路",
    "长城路",
    "金都路",
    "名园南大道",
    "五金大道",
    "南苑路",
    "总部中心北路",
)


def _transfer(
    ctx: Ctx, clusters: list[Cluster], sold: list[tuple[Feature, D, str]], serials: dict[str, int]
) -> list[Feature]:
    key = "industrial_transfer"
    feats: list[Feature] = []
    hot = [c for c in clusters if c.name in ("开发区", "古山", "芝英", "象珠", "石柱", "唐先")]
    seq = 0
    sold = sorted(sold, key=lambda t: t[0].fid)
    linked = sorted(
        (sold[int(i)] for i in ctx.rng.choice(len(sold), size=10, replace=False)),
        key=lambda t: t[0].fid,
    )
    plans: list[tuple[Feature, D | None, str | None, Feature | None]] = []
    for src, day, number in linked:
        seq += 1
        attrs = _transfer_attrs(ctx, src.town, seq)
        feat = ctx.add(key, f"CR2022-{seq:03d}", src.geom, attrs, town=src.town)
        feat.attrs["出让面积（亩）"] = round(
            src.attrs["批准面积（亩）"] - src.attrs["核减面积（亩）"], 2
        )
        feats.append(feat)
        plans.append((feat, day, number, src))
        ctx.anomaly(
            "overlap_cross_layer",
            feat,
            f"即批而未供地块 {src.fid} 出让后的同一红线（电子监管号 {number}）",
            src,
        )
    sizes = _sizes_mu(ctx, 58, 26.0, 0.6, 8.0, 120.0)
    for mu in sizes:
        seq += 1
        geom, town = place_parcel(ctx, hot, float(mu) * 10000 / 15, spread=1.2)
        attrs = _transfer_attrs(ctx, town, seq)
        feat = ctx.add(key, f"CR2022-{seq:03d}", geom, attrs, town=town)
        feat.attrs["出让面积（亩）"] = round(feat.mu * (1 + float(ctx.rng.normal(0, 0.003))), 2)
        feats.append(feat)
        plans.append((feat, None, None, None))
    _transfer_history(ctx, plans, serials)
    return feats


def _transfer_attrs(ctx: Ctx, town: Township, seq: int) -> dict[str, Any]:
    standard = ctx.chance(0.9)
    where = (
        "永康经济开发区" if town.code in ("330784001", "330784003") else f"{town.name}工业功能区"
    )
    road = ctx.names.pick(list(_TRANSFER_ROADS)) if where.startswith("永康经济") else ""
    attrs: dict[str, Any] = {
        "地块名称": f"{where}{road}2022-{seq:02d}号地块",
        "土地用途编码": ctx.names.pick(["0601"] * 9 + ["0604"]),
        "出让方式": ctx.names.pick(["挂牌"] * 17 + ["拍卖"] + ["协议"] * 2),
        "出让年限（年）": 50 if ctx.chance(0.85) else 30,
        "是否标准地": "是" if standard else "否",
        "状态": "拟出让",
    }
    if standard:
        attrs.update(
            {
                "投资强度（万元/亩）": float(ctx.names.pick(["300", "350", "350", "400", "450"])),
                "亩均税收（万元/亩）": float(ctx.names.pick(["30", "35", "35", "40", "50"])),
                "亩均产出（万元/亩）": float(ctx.names.pick(["400", "450", "500", "600"])),
                "容积率": float(ctx.names.pick(["1.5", "1.8", "2.0", "2.0", "2.2"])),
                "单位能耗（吨标煤/万元）": float(ctx.names.pick(["0.25", "0.3", "0.35", "0.4"])),
            }
        )
    else:
        attrs["容积率"] = 1.2
    return attrs


def _transfer_history(
    ctx: Ctx,
    plans: list[tuple[Feature, D | None, str | None, Feature | None]],
    serials: dict[str, int],
) -> None:
    # the linked plots are sold on their supply day; the others make the total up to ~1800 亩
    linked_mu = sum(f.attrs["出让面积（亩）"] for f, d, _, _ in plans if d is not None)
    free = [f for f, d, _, _ in plans if d is None]
    measure = {f.fid: f.attrs["出让面积（亩）"] for f in free}
    regress_pool = sorted((f for f in free if 25 < measure[f.fid] < 60), key=lambda f: f.fid)
    regress = regress_pool[0]
    chosen = ctx.pick_until([f for f in free if f is not regress], 1800.0 - linked_mu, measure)
    days: dict[str, D] = {f.fid: ctx.done_day(f.town, lo=D(2022, 2, 20)) for f in chosen}
    days[regress.fid] = ctx.day_between(D(2022, 9, 5), D(2022, 9, 20))
    fixed = {f.fid: (d, n) for f, d, n, _ in plans if d is not None}
    order = sorted(
        [*days.items(), *((k, v[0]) for k, v in fixed.items())], key=lambda kv: (kv[1], kv[0])
    )
    numbers: dict[str, str] = {}
    for fid, _ in order:
        if fid in fixed:
            numbers[fid] = str(fixed[fid][1])
            continue
        serials["B"] = serials.get("B", 0) + ctx.integer(1, 6)
        numbers[fid] = supervision_number(2022, serials["B"], "B")
    contract = 0
    for f, _, _, _ in sorted(plans, key=lambda p: p[0].fid):
        day = fixed[f.fid][0] if f.fid in fixed else days.get(f.fid)
        f.attrs["计划出让日期"] = _planned(ctx, day)
        price = round(f.attrs["出让面积（亩）"] * ctx.uniform(28.0, 42.0), 1)
        f.attrs["起始价（万元）"] = price
        if day is None:
            if ctx.chance(0.4):
                ctx.status(
                    f,
                    ctx.day_between(D(2022, 10, 20), D(2022, 12, 15)),
                    "挂牌中",
                    stamps={"挂牌中": "挂牌日期"},
                )
            continue
        listed = day - dt.timedelta(days=ctx.integer(22, 40))
        ctx.status(f, max(listed, D(2022, 1, 10)), "挂牌中", stamps={"挂牌中": "挂牌日期"})
        contract += 1
        ctx.status(
            f,
            day,
            "已成交",
            extra={
                "电子监管号": numbers[f.fid],
                "合同编号": f"永土出〔2022〕{contract}号",
                "成交价（万元）": round(price * (1 + ctx.uniform(0.0, 0.12)), 1),
                "受让人": ctx.names.firm(f.town.short),
            },
        )
    ctx.status(
        regress,
        ctx.day_between(D(2022, 11, 2), D(2022, 11, 18)),
        "拟出让",
        extra={
            "成交日期": None,
            "挂牌日期": None,
            "电子监管号": None,
            "合同编号": None,
            "成交价（万元）": None,
            "受让人": None,
        },
        note="竞得人未按期签订出让合同，成交结果撤销，重新组织出让",
    )
    ctx.anomaly("regression", regress, "9 月成交后 11 月撤销（状态从“已成交”退回“拟出让”）")


# --- 盘活存量 ---------------------------------------------------------------------------------------

_PRODUCT_LINES = (
    "电动工具", "不锈钢保温杯", "智能门锁", "园林机械", "电动滑板车", "休闲器具", "厨具",
    "健身器材", "汽车零部件", "精密压铸件",
)  # fmt: skip


def _stock(ctx: Ctx, clusters: list[Cluster], low: list[Feature]) -> list[Feature]:
    key = "stock_revitalisation"
    feats: list[Feature] = []
    counters: dict[str, int] = {}
    # two idle plots that are also on the low-efficiency list
    pool = sorted((f for f in low if not ctx.flagged(f) and f.mu > 15), key=lambda f: f.fid)
    twins = [pool[int(i)] for i in ctx.rng.choice(len(pool), size=2, replace=False)]
    plans: list[tuple[BaseGeometry, Township, Feature | None]] = [
        (t.geom, t.town, t) for t in twins
    ]
    for mu in _sizes_mu(ctx, 100, 30.0, 0.7, 5.5, 150.0):
        geom, town = place_parcel(ctx, clusters, float(mu) * 10000 / 15, spread=1.1)
        plans.append((geom, town, None))
    for geom, town, twin in plans:
        counters[town.code] = counters.get(town.code, 0) + 1
        fid = f"CL-{town.code[-3:]}-{counters[town.code]:03d}"
        year = ctx.integer(2012, 2020)
        firm = twin.attrs["企业名称"] if twin else ctx.names.firm(town.short)
        kind = ctx.names.pick(["闲置土地"] * 6 + ["已供未用"] * 3 + ["批而未用"] + ["其他存量"])
        agreed = D(year + 1, ctx.integer(1, 12), ctx.integer(1, 28))
        attrs: dict[str, Any] = {
            "项目名称": f"{_short(firm)}年产{ctx.integer(2, 60) * 5}万台（件）{ctx.names.pick(list(_PRODUCT_LINES))}项目",
            "土地使用权人": firm,
            "电子监管号": supervision_number(year, ctx.integer(10, 480), "B"),
            "合同编号": f"永土出〔{year}〕{ctx.integer(1, 90)}号",
            "地类编码": ctx.names.pick(["0601"] * 8 + ["0604"]),
            "存量类型": kind,
            "约定动工日期": agreed.isoformat(),
            "闲置原因": ctx.names.pick(["企业原因"] * 5 + ["政府原因"] * 2 + ["司法查封", "其他"]),
            "状态": "未处置",
        }
        if kind != "闲置土地" and ctx.chance(0.4):
            attrs["实际动工日期"] = (agreed + dt.timedelta(days=ctx.integer(200, 900))).isoformat()
        geom_used = jitter_copy(geom, ctx.rng, 1.5) if twin else geom
        feat = ctx.add(key, fid, geom_used, attrs, town=town)
        feat.attrs["土地面积（亩）"] = _ledger(ctx, feat.mu)
        feats.append(feat)
        if twin:
            ctx.anomaly(
                "overlap_cross_layer", feat, f"同一地块也在低效工业用地清单中（{twin.fid}）", twin
            )
    measure = {f.fid: f.mu for f in feats}
    done = ctx.pick_until(feats, 2680.0, measure)
    days = {f.fid: ctx.done_day(f.town) for f in done}
    ways = (
        "督促动工",
        "延长动工开发期限",
        "调整用途或规划条件",
        "协议有偿收回",
        "置换土地",
        "征缴土地闲置费",
        "无偿收回",
    )
    for f in sorted(feats, key=lambda f: f.fid):
        d = days.get(f.fid)
        f.attrs["计划盘活日期"] = _planned(ctx, d)
        started = ctx.chance(0.3)
        way = ctx.names.pick(list(ways))
        if started:
            ctx.initial(f, {"状态": "处置中", "处置方式": way})
        elif d is not None or ctx.chance(0.4):
            lo = D(2022, 1, 10)
            hi = max(lo, (d or D(2022, 11, 30)) - dt.timedelta(days=20))
            ctx.status(f, ctx.day_between(lo, hi), "处置中", extra={"处置方式": way})
        if d is not None:
            extra = {"实际动工日期": d.isoformat()} if way == "督促动工" else None
            ctx.status(f, d, "已盘活", extra=extra)
    survey = sorted((f for f in feats if not ctx.flagged(f) and f.mu > 20), key=lambda f: f.fid)
    fix = survey[int(ctx.rng.integers(0, len(survey)))]
    new_geom = affinity.scale(fix.geom, 0.94, 1.0, origin="centroid")
    ctx.change(
        fix,
        D(2022, 9, 6),
        {"geometry": new_geom, "土地面积（亩）": round(new_geom.area * 15 / 10000, 2)},
        note="勘测定界复测，东西两侧红线内收",
        recorded=dt.datetime(2022, 9, 9, 11, 5, tzinfo=TZ),
    )
    ctx.anomaly("correction", fix, "9 月复测后修改红线几何和土地面积（几何变更记入编辑日志）")
    return feats


def _short(firm: str) -> str:
    for head in ("永康市", "浙江", "金华"):
        firm = firm.removeprefix(head)
    return firm.removesuffix("股份有限公司").removesuffix("有限公司")


# --- 低效用地再开发 ---------------------------------------------------------------------------------


def _redevelopment(ctx: Ctx, clusters: list[Cluster], low: list[Feature]) -> list[Feature]:
    key = "redevelopment"
    feats: list[Feature] = []
    counters: dict[str, int] = {}
    urban = [
        Cluster(
            c.name,
            c.x,
            c.y,
            c.sigma,
            c.angle_deg,
            c.weight * (3 if c.name in ("江南", "城东", "西城") else 1),
        )
        for c in clusters
        if c.name in ("江南", "城东", "西城", "开发区", "古山", "芝英", "石柱", "象珠")
    ]
    pool = sorted((f for f in low if not ctx.flagged(f) and f.mu > 12), key=lambda f: f.fid)
    twins = [pool[int(i)] for i in ctx.rng.choice(len(pool), size=4, replace=False)]
    plans: list[tuple[BaseGeometry, Township, Feature | None]] = [
        (t.geom, t.town, t) for t in twins
    ]
    for mu in _sizes_mu(ctx, 80, 34.0, 0.65, 6.0, 160.0):
        geom, town = place_parcel(ctx, urban, float(mu) * 10000 / 15, spread=1.0)
        plans.append((geom, town, None))
    ways = ("政府收储", "自主更新", "合作开发", "二次开发", "兼并重组")
    uses = ("100101",) * 6 + ("100102",) * 2 + ("070102",) + ("090101",) + ("110101",)
    for geom, town, twin in plans:
        counters[town.code] = counters.get(town.code, 0) + 1
        fid = f"ZKF-{town.code[-3:]}-{counters[town.code]:03d}"
        firm = twin.attrs["企业名称"] if twin else ctx.names.firm(town.short)
        way = "二次开发" if twin else ctx.names.pick(list(ways))
        if twin:
            twin.attrs["整治方式"] = "二次开发"
        use = ctx.names.pick(list(uses))
        label = {
            "100101": "工业",
            "100102": "工业",
            "070102": "住宅",
            "090101": "商业",
            "110101": "仓储",
        }[use]
        if ctx.chance(0.5) or twin:
            name = f"原{_short(firm)}地块{way}项目"
        else:
            name = f"{town.short}{ctx.names.village(town.name)}旧厂区{label}用地再开发项目"
        attrs: dict[str, Any] = {
            "项目名称": name,
            "原用地单位": firm,
            "再开发方式": way,
            "规划用途编码": use,
            "改造前容积率": round(ctx.uniform(0.35, 0.95), 2),
            "改造后容积率": round(ctx.uniform(1.5, 3.0), 2),
            "状态": "列入计划",
        }
        g = jitter_copy(geom, ctx.rng, 1.5) if twin else geom
        feat = ctx.add(key, fid, g, attrs, town=town)
        feat.attrs["用地面积（亩）"] = _ledger(ctx, feat.mu)
        feat.attrs["总投资（万元）"] = round(feat.mu * ctx.uniform(150, 420), 0)
        feats.append(feat)
        if twin:
            ctx.anomaly(
                "overlap_cross_layer",
                feat,
                f"即低效工业用地 {twin.fid} 的二次开发（同一红线，两个图层各计一次）",
                twin,
            )
    measure = {f.fid: f.mu for f in feats}
    done = ctx.pick_until(feats, 2350.0, measure)
    days = {f.fid: ctx.done_day(f.town) for f in done}
    for f in sorted(feats, key=lambda f: f.fid):
        d = days.get(f.fid)
        f.attrs["计划完成日期"] = _planned(ctx, d)
        started = ctx.chance(0.4)
        if started:
            ctx.initial(f, {"状态": "实施中"})
        _three_stage(
            ctx,
            f,
            done_day=d,
            started_2021=started,
            start_status="实施中",
            done_status="已完成",
            starts_anyway=ctx.chance(0.5),
        )
    return feats


# --- 国资标准厂房 ----------------------------------------------------------------------------------

_PARKS = {
    "330784001": "永康经济开发区",
    "330784003": "永康经济开发区",
    "330784108": "古山镇小微企业园",
    "330784115": "芝英镇智能制造小微企业园",
    "330784105": "石柱镇五金工业园",
    "330784112": "象珠镇小微企业园",
    "330784113": "唐先镇工业功能区",
}
_BUILDERS = (
    "永康市国有资本投资控股有限公司",
    "永康市城乡建设投资集团有限公司",
    "永康经济开发区建设投资有限公司",
    "永康市产业园区开发有限公司",
)


def _state_factories(ctx: Ctx, clusters: list[Cluster]) -> list[Feature]:
    key = "state_factories"
    hot = [
        c for c in clusters if c.name in ("开发区", "江南", "古山", "芝英", "石柱", "象珠", "唐先")
    ]
    floors = np.round(ctx.rng.uniform(80_000, 230_000, size=14), -2)
    # 12 projects count by December (在建 or later): scale them so they sum to 1 968 400 m²
    counted = floors[:12] * (1_968_400 / floors[:12].sum())
    counted = np.round(counted, -2)
    counted[-1] += 1_968_400 - counted.sum()
    floors[:12] = counted
    feats: list[Feature] = []
    started_2021 = 6
    for k, floor in enumerate(floors, start=1):
        ratio = round(ctx.uniform(1.8, 3.0), 2)
        land_m2 = float(floor) / ratio
        geom, town = place_parcel(ctx, hot, land_m2, spread=1.3, gap=12.0)
        park = _PARKS.get(town.code, f"{town.name}工业功能区")
        phase = ctx.names.pick(["一期", "二期", "三期"])
        attrs: dict[str, Any] = {
            "项目名称": f"{park}国资标准厂房（{phase}）",
            "建设单位": ctx.names.pick(list(_BUILDERS)),
            "所在园区": park,
            "地类编码": "0601",
            "建筑面积（m²）": float(floor),
            "容积率": ratio,
            "总投资（万元）": float(round(float(floor) * ctx.uniform(0.28, 0.4), -1)),
            "状态": "在建" if k <= started_2021 else "前期",
        }
        if k <= started_2021:
            attrs["开工日期"] = ctx.day_between(D(2021, 3, 1), D(2021, 11, 30)).isoformat()
        feat = ctx.add(key, f"GZCF-{k:02d}", geom, attrs, town=town)
        feat.attrs["用地面积（亩）"] = round(feat.mu, 2)
        feats.append(feat)
    stamps = {"在建": "开工日期"}
    for k, f in enumerate(feats, start=1):
        if k <= started_2021:
            top = ctx.day_between(D(2022, 2, 20), D(2022, 8, 31))
            ctx.status(f, top, "主体结顶")
            if k <= 3:
                ctx.status(
                    f, ctx.day_between(top + dt.timedelta(days=60), D(2022, 12, 20)), "竣工验收"
                )
            f.attrs["计划完成日期"] = "2022-12-31" if k <= 4 else "2023-06-30"
        elif k <= 12:
            start = ctx.day_between(
                D(2022, 2, 15), D(2022, 12, 10), [1, 2, 8, 10, 10, 12, 8, 8, 10, 8, 8, 5]
            )
            ctx.status(f, start, "在建", stamps=stamps)
            f.attrs["计划完成日期"] = "2023-12-31"
        else:
            f.attrs["计划完成日期"] = "2024-06-30"
    return feats


# --- 全域土地综合整治 -------------------------------------------------------------------------------


def _consolidation(ctx: Ctx) -> list[Feature]:
    key = "land_consolidation"
    towns = ("花街", "舟山", "西溪", "唐先", "龙山", "前仓")
    feats: list[Feature] = []
    done_days = sorted(
        ctx.day_between(D(2022, 3, 1), D(2022, 12, 20), [0, 0, 4, 4, 6, 10, 3, 4, 8, 6, 10, 12])
        for _ in towns
    )
    for k, short in enumerate(towns):
        town = ctx.geo.township(short)
        patches: list[BaseGeometry] = []
        villages: list[str] = []
        for _ in range(ctx.integer(3, 5)):
            mu = ctx.uniform(250, 800)
            geom = _rural_polygon(ctx, town, mu, rmin=1500, rmax=6000, vertices=ctx.integer(14, 28))
            patches.append(geom)
            villages.append(ctx.names.village(town.name) + "村")

        geom = MultiPolygon(patches)
        year = 2020 + (k % 2)
        attrs: dict[str, Any] = {
            "项目名称": f"永康市{town.name}全域土地综合整治与生态修复工程",
            "涉及行政村": "、".join(villages),
            "批复文号": f"浙自然资函〔{year}〕{ctx.integer(20, 180)}号",
            "立项日期": ctx.day_between(D(year, 3, 1), D(year, 11, 30)).isoformat(),
            "状态": "实施中",
            "计划完成日期": "2022-12-31",
        }
        feat = ctx.add(key, f"QYZZ-{town.code[-3:]}", geom, attrs, town=town)
        scale = round(feat.mu * ctx.uniform(1.0, 1.04), 2)
        feat.attrs["整治规模（亩）"] = scale
        feat.attrs["新增耕地（亩）"] = round(scale * ctx.uniform(0.05, 0.09), 2)
        feat.attrs["永久基本农田调整（亩）"] = round(scale * ctx.uniform(0.005, 0.028), 2)
        feat.attrs["总投资（万元）"] = round(scale * ctx.uniform(0.8, 1.6), 0) * 10
        feats.append(feat)
        d = done_days[k]
        ctx.status(feat, d, "已竣工")
        if d < D(2022, 10, 1):
            ctx.status(feat, d + dt.timedelta(days=ctx.integer(40, 75)), "已验收")
    return feats


def _rural_polygon(
    ctx: Ctx,
    town: Township,
    mu: float,
    *,
    rmin: float,
    rmax: float,
    vertices: int,
    elongation: tuple[float, float] = (1.2, 2.4),
    margin: float = 60.0,
) -> BaseGeometry:
    """An irregular patch in the countryside of ``town``: between ``rmin`` and ``rmax`` metres from its centre."""
    zone = ctx.inner_zone(town, margin)
    cx, cy = ctx.geo.centre
    for attempt in range(400):
        r = ctx.uniform(rmin, rmax * (1 + attempt / 200))
        a = ctx.uniform(0, 2 * math.pi)
        x, y = town.x + r * math.cos(a), town.y + r * math.sin(a)
        if math.hypot(x - cx, y - cy) < 4500:
            continue
        geom = organic_polygon(
            ctx.rng,
            x,
            y,
            mu * 10000 / 15,
            elongation=ctx.uniform(*elongation),
            angle=ctx.uniform(0, math.pi),
            vertices=vertices,
        )
        if zone.contains(geom) and ctx.placer.fits(geom, 30.0):
            ctx.placer.add(geom)
            return geom
    msg = f"无法在{town.name}放下 {mu:.0f} 亩的图斑"
    raise RuntimeError(msg)


def build_land(ctx: Ctx) -> None:
    """Every land layer, with its 2022 history."""
    clusters = industrial_clusters(ctx)
    serials: dict[str, int] = {"A": 3, "B": 8}
    _consolidation(ctx)
    _state_factories(ctx, clusters)
    unsupplied = _unsupplied(ctx, clusters)
    low = _low_efficiency(ctx, clusters)
    _low_efficiency_duplicates(ctx, low)
    _unsupplied_anomalies(ctx, unsupplied)
    sold = _unsupplied_history(ctx, unsupplied, serials)
    _transfer(ctx, clusters, sold, serials)
    _stock(ctx, clusters, low)
    _redevelopment(ctx, clusters, low)
    _low_efficiency_history(ctx, low)
    _low_efficiency_bad_data(ctx, low)
