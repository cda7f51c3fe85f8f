"""Demo 批而未供 (approved but unsupplied) land and the industrial land transfers (出让) that supply it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from shapely import affinity

from ykgeo.demo.geography import Township
from ykgeo.demo.kit import Ctx, Feature, jitter_copy
from ykgeo.demo.land.common import (
    Cluster,
    D,
    ledger,
    neighbour,
    place_parcel,
    planned,
    sizes_mu,
)
from ykgeo.demo.names import supervision_number
from ykgeo.store import TZ

__all__ = ["transfer", "unsupplied", "unsupplied_anomalies", "unsupplied_history"]

_UNSUPPLIED_REASONS = (
    "征地拆迁未完成", "规划调整", "项目未落地", "地块零星不具备单独供地条件",
    "土地平整未完成", "用地企业资金不到位", "配套道路未建成",
)  # fmt: skip


_USE_CODES = ("0601",) * 11 + ("0604",) * 2 + ("0701",) * 3 + ("0501",) * 2 + ("0809",) * 2


def unsupplied(ctx: Ctx, clusters: list[Cluster]) -> list[Feature]:
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
                mu = float(sizes_mu(ctx, 1, 22.0, 0.7, 5.5, 140.0)[0])
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
                approved = ledger(ctx, feat.mu)
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


def unsupplied_history(
    ctx: Ctx, feats: list[Feature], serials: dict[str, int]
) -> list[tuple[Feature, D, str]]:
    """Supply about 2450 亩 over the year; return the plots supplied by 出让 for industry (for the transfer layer)."""
    measure = {f.fid: f.mu for f in feats}
    done = ctx.pick_until(feats, 2440.0, measure)
    days = {f.fid: ctx.done_day(f.town) for f in done}
    sold: list[tuple[Feature, D, str]] = []
    for f in sorted(feats, key=lambda f: f.fid):
        d = days.get(f.fid)
        f.attrs["计划供地日期"] = planned(ctx, d)
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


def unsupplied_anomalies(ctx: Ctx, feats: list[Feature]) -> None:
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
    wrong = neighbour(ctx, f.town)
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


def transfer(
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
    sizes = sizes_mu(ctx, 58, 26.0, 0.6, 8.0, 120.0)
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
        f.attrs["计划出让日期"] = planned(ctx, day)
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
