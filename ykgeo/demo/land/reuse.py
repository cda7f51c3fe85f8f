"""Demo 盘活存量 (stock land revitalised), 低效用地再开发 (redevelopment), 国资标准厂房 (state factories) and 全域土地综合整治 (consolidation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from shapely import MultiPolygon, affinity
from shapely.geometry.base import BaseGeometry

from ykgeo.demo.geography import Township
from ykgeo.demo.kit import Ctx, Feature, jitter_copy
from ykgeo.demo.land.common import (
    Cluster,
    D,
    ledger,
    place_parcel,
    planned,
    rural_polygon,
    short_firm,
    sizes_mu,
    three_stage,
)
from ykgeo.demo.names import supervision_number
from ykgeo.store import TZ

__all__ = ["consolidation", "redevelopment", "state_factories", "stock"]

_PRODUCT_LINES = (
    "电动工具", "不锈钢保温杯", "智能门锁", "园林机械", "电动滑板车", "休闲器具", "厨具",
    "健身器材", "汽车零部件", "精密压铸件",
)  # fmt: skip


def stock(ctx: Ctx, clusters: list[Cluster], low: list[Feature]) -> list[Feature]:
    key = "stock_revitalisation"
    feats: list[Feature] = []
    counters: dict[str, int] = {}
    # two idle plots that are also on the low-efficiency list
    pool = sorted((f for f in low if not ctx.flagged(f) and f.mu > 15), key=lambda f: f.fid)
    twins = [pool[int(i)] for i in ctx.rng.choice(len(pool), size=2, replace=False)]
    plans: list[tuple[BaseGeometry, Township, Feature | None]] = [
        (t.geom, t.town, t) for t in twins
    ]
    for mu in sizes_mu(ctx, 100, 30.0, 0.7, 5.5, 150.0):
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
            "项目名称": f"{short_firm(firm)}年产{ctx.integer(2, 60) * 5}万台（件）{ctx.names.pick(list(_PRODUCT_LINES))}项目",
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
        feat.attrs["土地面积（亩）"] = ledger(ctx, feat.mu)
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
        f.attrs["计划盘活日期"] = planned(ctx, d)
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


def redevelopment(ctx: Ctx, clusters: list[Cluster], low: list[Feature]) -> list[Feature]:
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
    for mu in sizes_mu(ctx, 80, 34.0, 0.65, 6.0, 160.0):
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
            name = f"原{short_firm(firm)}地块{way}项目"
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
        feat.attrs["用地面积（亩）"] = ledger(ctx, feat.mu)
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
        f.attrs["计划完成日期"] = planned(ctx, d)
        started = ctx.chance(0.4)
        if started:
            ctx.initial(f, {"状态": "实施中"})
        three_stage(
            ctx,
            f,
            done_day=d,
            started_2021=started,
            start_status="实施中",
            done_status="已完成",
            starts_anyway=ctx.chance(0.5),
        )
    return feats


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


def state_factories(ctx: Ctx, clusters: list[Cluster]) -> list[Feature]:
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


def consolidation(ctx: Ctx) -> list[Feature]:
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
            geom = rural_polygon(ctx, town, mu, rmin=1500, rmax=6000, vertices=ctx.integer(14, 28))
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
