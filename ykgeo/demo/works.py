"""Demo town works: high-standard farmland, greening, mine restoration, sewage works and mains, rental housing, schools, culture sites."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import shapely

from ykgeo.demo.civic import urban_polygon
from ykgeo.demo.geography import route
from ykgeo.demo.kit import Ctx, Feature, offset, point_near, town_point
from ykgeo.demo.land import rural_polygon
from ykgeo.demo.roads import chainage

__all__ = ["build_town_works"]

D = dt.date


def build_town_works(ctx: Ctx) -> None:
    """Farmland, greening, mines, sewage, rental housing, schools and culture sites."""
    for key, fn in (
        ("farmland_high_standard", _farmland),
        ("greening", _greening),
        ("mine_restoration", _mines),
        ("sewage_works", _sewage_works),
        ("sewage_mains", _sewage_mains),
        ("rental_housing", _rental),
        ("schools", _schools),
        ("culture_sites", _culture),
    ):
        if ctx.has(key):
            fn(ctx)


def _farmland(ctx: Ctx) -> None:
    towns = ("花街", "前仓", "舟山", "象珠", "唐先", "龙山", "西溪", "芝英", "方岩", "石柱")
    feats: list[Feature] = []
    for short in towns:
        town = ctx.geo.township(short)
        n = ctx.integer(3, 6)
        project = f"GBNT2022-{town.code[-3:]}"
        kind = "新建" if ctx.chance(0.6) else "提升改造"
        for j in range(1, n + 1):
            mu = ctx.uniform(140, 380)
            geom = rural_polygon(
                ctx,
                town,
                mu,
                rmin=1000,
                rmax=5000,
                vertices=ctx.integer(12, 26),
                elongation=(1.3, 2.8),
            )
            village = ctx.names.village(town.name)
            attrs: dict[str, Any] = {
                "项目编号": project,
                "项目名称": f"永康市{town.name}2022年度高标准农田{kind}项目",
                "建设类型": kind,
                "地类编码": ctx.names.pick(["0101"] * 7 + ["0102", "0103"]),
                "建设年度": 2022,
                "所在村": f"{village}村",
                "状态": "立项",
                "计划完成日期": "2022-11-30",
            }
            f = ctx.add("farmland_high_standard", f"{project}-{j:02d}", geom, attrs, town=town)
            f.attrs["建设面积（亩）"] = round(f.mu * ctx.uniform(0.985, 1.01), 2)
            f.attrs["新增耕地（亩）"] = (
                round(f.mu * ctx.uniform(0.0, 0.03), 2) if kind == "新建" else 0.0
            )
            f.attrs["总投资（万元）"] = float(round(f.mu * ctx.uniform(0.3, 0.5), 1))
            feats.append(f)
    measure = {f.fid: f.mu for f in feats}
    done = {f.fid for f in ctx.pick_until(feats, 10350.0, measure)}
    weights = [0, 1, 3, 5, 8, 10, 4, 3, 8, 12, 16, 14]
    for f in sorted(feats, key=lambda f: f.fid):
        start = ctx.day_between(
            D(2022, 1, 15), D(2022, 6, 30), [0, 2, 8, 10, 6, 3, 0, 0, 0, 0, 0, 0]
        )
        ctx.status(f, start, "施工中")
        if f.fid in done:
            d = ctx.day_between(start + dt.timedelta(days=90), D(2022, 12, 20), weights)
            ctx.status(f, d, "已完工")
            if d < D(2022, 10, 15) and ctx.chance(0.5):
                ctx.status(f, d + dt.timedelta(days=ctx.integer(30, 60)), "已验收")


def _greening(ctx: Ctx) -> None:
    feats: list[Feature] = []
    k = 0
    roads = sorted(ctx.features.get("road_projects", []), key=lambda f: f.fid)
    # road-side planting along the roads finished this year or under way
    for r in roads:
        if r.attrs["年度任务"] not in ("2022年建成", "2022年实施") or r.attrs["路线长度（km）"] > 6:
            continue
        side = 1 if ctx.chance(0.5) else -1
        strip = r.geom.offset_curve(side * 42.0).buffer(12.0, cap_style="flat").simplify(2.0)
        if not ctx.placer.fits(strip, 3.0):
            continue
        ctx.placer.add(strip)
        k += 1
        feats.append(
            ctx.add(
                "greening",
                f"LH2022-{k:03d}",
                strip,
                {
                    "项目名称": f"{r.attrs['项目名称']}道路绿化工程",
                    "绿化类型": "道路绿化",
                    "用地用海编码": "1402",
                    "实施单位": "永康市园林绿化管理中心",
                    "状态": "未启动",
                    "计划完成日期": "2022-12-31",
                },
            )
        )
    plans = [("彩色林带", "0301", 18, (120, 260), (4.0, 8.0)), ("造林", "0301", 10, (60, 200), (1.2, 2.0)),
             ("公园绿地", "1401", 8, (15, 80), (1.1, 1.8)), ("防护绿地", "1402", 6, (20, 70), (2.5, 5.0))]  # fmt: skip
    towns = [t for t in ctx.geo.townships]
    for kind, code, n, (lo, hi), elong in plans:
        for _ in range(n):
            mu = ctx.uniform(lo, hi)
            if kind in ("公园绿地", "防护绿地"):
                t = ctx.geo.townships[int(ctx.rng.integers(0, 3))]
                x, y = t.x + ctx.uniform(-2500, 2500), t.y + ctx.uniform(-2500, 2500)
                geom = urban_polygon(
                    ctx,
                    x,
                    y,
                    mu,
                    sigma=800,
                    vertices=ctx.integer(10, 20),
                    elongation=ctx.uniform(*elong),
                    gap=10.0,
                )
                project = (
                    f"{ctx.names.village(t.name)}{'口袋公园' if kind == '公园绿地' else '防护林带'}"
                )
            else:
                t = towns[3 + int(ctx.rng.integers(0, len(towns) - 3))]
                geom = rural_polygon(
                    ctx, t, mu, rmin=800, rmax=5500, vertices=ctx.integer(10, 22), elongation=elong
                )
                project = (
                    "“一江五脉两岸”彩色林带" if kind == "彩色林带" else f"{t.name}珍贵彩色森林建设"
                )
            k += 1
            feats.append(
                ctx.add(
                    "greening",
                    f"LH2022-{k:03d}",
                    geom,
                    {
                        "项目名称": project,
                        "绿化类型": kind,
                        "用地用海编码": code
                        if kind != "造林"
                        else ctx.names.pick(["0301", "0301", "0302"]),
                        "实施单位": "永康市自然资源和规划局"
                        if kind in ("彩色林带", "造林")
                        else "永康市园林绿化管理中心",
                        "状态": "未启动",
                        "计划完成日期": "2022-12-31",
                    },
                )
            )
    for f in feats:
        f.attrs["绿化面积（亩）"] = round(f.mu * ctx.uniform(0.97, 1.0), 2)
    measure = {f.fid: f.mu for f in feats}
    done = {f.fid for f in ctx.pick_until(feats, 3260.0, measure)}
    for f in sorted(feats, key=lambda f: f.fid):
        start = ctx.day_between(
            D(2022, 1, 20), D(2022, 9, 30), [0, 3, 10, 8, 4, 3, 2, 2, 4, 0, 0, 0]
        )
        ctx.status(f, start, "实施中")
        if f.fid in done:
            ctx.status(
                f,
                ctx.day_between(
                    start + dt.timedelta(days=45),
                    D(2022, 12, 22),
                    [0, 0, 6, 8, 6, 5, 2, 2, 4, 6, 10, 12],
                ),
                "已完成",
            )


def _mines(ctx: Ctx) -> None:
    mines = [
        ("花街", "建筑用石料（凝灰岩）", "复绿", 120, [(D(2022, 2, 21), "治理中"), (D(2022, 7, 15), "已完工"), (D(2022, 10, 20), "已验收")]),
        ("舟山", "建筑用石料（凝灰岩）", "复垦为林地", 85, [(D(2022, 3, 7), "治理中"), (D(2022, 11, 8), "已完工")]),
        ("唐先", "叶蜡石", "复垦为耕地", 60, [(D(2022, 4, 11), "治理中"), (D(2022, 12, 9), "已完工")]),
        ("西溪", "建筑用砂", "综合利用", 150, [(D(2022, 9, 5), "方案编制")]),
    ]  # fmt: skip
    for k, (short, mineral, way, mu, changes) in enumerate(mines, start=1):
        town = ctx.geo.township(short)
        geom = rural_polygon(
            ctx, town, mu, rmin=2500, rmax=7000, vertices=ctx.integer(10, 18), elongation=(1.3, 2.2)
        )
        village = ctx.names.village(town.name)
        attrs: dict[str, Any] = {
            "矿山名称": f"{town.short}镇{village}废弃{mineral.split('（')[0].removeprefix('建筑用')}矿",
            "原开采矿种": mineral,
            "修复方向": way,
            "所在村": f"{village}村",
            "总投资（万元）": float(round(mu * ctx.uniform(3, 7), 0)),
            "状态": "方案编制" if k <= 3 else "未启动",
            "计划完成日期": "2022-12-31" if k <= 3 else "2023-12-31",
        }
        feat = ctx.add("mine_restoration", f"KS-{town.code[-3:]}-{k:02d}", geom, attrs, town=town)
        feat.attrs["修复面积（亩）"] = round(feat.mu, 2)
        for day, st in changes:
            ctx.status(feat, day, st)


def _sewage_works(ctx: Ctx) -> None:
    plants = [
        ("永康市城区污水处理厂（四期扩建）", ("c", -3200, -4600), 150000.0, 50000.0, "在建", []),
        ("象珠污水处理厂扩建工程", ("象珠", 1300, -1600), 20000.0, 10000.0, "前期", [(D(2022, 4, 26), "在建")]),
        ("芝英污水处理厂扩建工程", ("芝英", -1500, -1500), 30000.0, 15000.0, "前期", [(D(2022, 7, 19), "在建")]),
    ]  # fmt: skip
    k = 0
    for name, where, cap, new, status, changes in plants:
        x, y = (
            offset(ctx, where[1], where[2])
            if where[0] == "c"
            else town_point(ctx, where[0], where[1], where[2])
        )
        p = point_near(ctx, x, y, 150.0, clearance=120.0, name=name)
        k += 1
        attrs: dict[str, Any] = {
            "设施名称": name,
            "设施类型": "污水处理厂",
            "建设性质": "扩建",
            "设计规模（吨/日）": cap,
            "新增规模（吨/日）": new,
            "出水标准": "浙江省城镇污水处理厂主要水污染物排放标准（DB33/2169-2018）",
            "服务范围": "城区及周边" if where[0] == "c" else f"{where[0]}镇区及周边工业功能区",
            "总投资（万元）": float(round(new * ctx.uniform(0.35, 0.55), -1)),
            "状态": status,
            "计划完工日期": "2023-12-31",
        }
        if status == "在建":
            attrs["开工日期"] = "2021-08-16"
        feat = ctx.add("sewage_works", f"WS2022-{k:02d}", p, attrs)
        for day, st in changes:
            ctx.status(feat, day, st, stamps={"在建": "开工日期"})
    towns = (
        "前仓",
        "舟山",
        "花街",
        "西溪",
        "龙山",
        "唐先",
        "方岩",
        "象珠",
        "石柱",
        "古山",
        "芝英",
        "舟山",
    )
    for j, short in enumerate(towns, start=1):
        town = ctx.geo.township(short)
        a = ctx.uniform(0, 2 * math.pi)
        r = ctx.uniform(1500, 3500)
        p = point_near(
            ctx,
            town.x + r * math.cos(a),
            town.y + r * math.sin(a),
            400.0,
            clearance=30.0,
            zone=town,
        )
        village = ctx.names.village(town.name)
        k += 1
        attrs = {
            "设施名称": f"{town.short}镇{village}村生活污水处理终端",
            "设施类型": "农村生活污水处理终端",
            "建设性质": ctx.names.pick(["新建", "新建", "提标改造"]),
            "设计规模（吨/日）": float(ctx.names.pick(["30", "50", "80", "100", "150"])),
            "出水标准": "农村生活污水处理设施水污染物排放标准（DB33/973-2021）一级",
            "服务范围": f"{village}村",
            "所在村": f"{village}村",
            "总投资（万元）": float(round(ctx.uniform(40, 160), 1)),
            "状态": "前期",
            "计划完工日期": "2022-10-31",
        }
        attrs["新增规模（吨/日）"] = attrs["设计规模（吨/日）"]
        feat = ctx.add("sewage_works", f"WS2022-{k:02d}", p, attrs, town=town)
        start = ctx.day_between(D(2022, 3, 1), D(2022, 7, 31))
        ctx.status(feat, start, "在建", stamps={"在建": "开工日期"})
        if j <= 11:
            done = ctx.day_between(start + dt.timedelta(days=60), D(2022, 12, 16))
            ctx.status(feat, done, "完工")
            if done < D(2022, 11, 1):
                ctx.status(feat, done + dt.timedelta(days=ctx.integer(20, 45)), "投运")


def _sewage_mains(ctx: Ctx) -> None:
    cx, cy = ctx.geo.centre
    mains = [
        ("华溪污水主管", "华溪东岸滨江路", ((-250, 3500), (-450, 2500), (-350, 1500), (-700, 500), (-900, -300)), 1200,
         ((0.0, 0.3, D(2022, 4, 28)), (0.3, 0.62, D(2022, 8, 19)), (0.62, 1.0, D(2022, 11, 22)))),
        ("溪心路污水主管", "溪心路", ((-1900, -3000), (-1000, -3120), (0, -3000), (500, -2800)), 1000,
         ((0.0, 0.5, D(2022, 6, 17)), (0.5, 0.84, D(2022, 10, 21)), (0.84, 1.0, None))),
    ]  # fmt: skip
    k = 0
    for name, road, pts, diameter, parts in mains:
        line = route(ctx.rng, [(cx + dx, cy + dy) for dx, dy in pts], wiggle=0.01, step=150.0)
        total = line.length
        for a, b, done in parts:
            seg = shapely.ops.substring(line, a * total, b * total)
            k += 1
            attrs: dict[str, Any] = {
                "管线名称": f"{name}（{chainage(a * total)}—{chainage(b * total)}）",
                "所在道路": road,
                "管径（mm）": diameter,
                "管材": "球墨铸铁管" if diameter >= 1000 else "钢筋混凝土管",
                "设计长度（km）": round(seg.length / 1000, 3),
                "状态": "在建" if a < 0.5 else "前期",
                "计划完成日期": "2022-12-31",
            }
            if attrs["状态"] == "在建":
                attrs["开工日期"] = "2021-11-08"
            feat = ctx.add("sewage_mains", f"WSG2022-{k:02d}", seg, attrs)
            if attrs["状态"] == "前期":
                ctx.status(
                    feat,
                    ctx.day_between(D(2022, 3, 1), D(2022, 6, 30)),
                    "在建",
                    stamps={"在建": "开工日期"},
                )
            if done is not None:
                ctx.status(feat, done, "已建成")


def _rental(ctx: Ctx) -> None:
    items = [
        # name, way, homes, where, start status, changes
        ("金蓝领公寓（一期）", "新建", 1200, ("c", 4600, -2200), "已认定", [(D(2022, 3, 18), "已开工")]),
        ("金蓝领公寓（二期）", "新建", 900, ("古山", 400, -900), "已认定", [(D(2022, 8, 26), "已开工")]),
        ("经济开发区职工宿舍改建", "非居住存量房屋改建", 680, ("c", 3500, -1200), "谋划", [(D(2022, 2, 24), "已认定"), (D(2022, 5, 20), "已开工"), (D(2022, 11, 28), "已竣工")]),
        ("江南街道人才公寓", "新建", 520, ("c", -900, -2600), "谋划", [(D(2022, 4, 15), "已认定"), (D(2022, 7, 8), "已开工")]),
        ("城西存量住房转化项目", "存量住房转化", 430, ("c", -2900, 400), "谋划", [(D(2022, 6, 10), "已投用")]),
        ("芝英镇产业工人公寓", "新建", 610, ("芝英", 600, -900), "谋划", [(D(2022, 5, 6), "已认定"), (D(2022, 9, 29), "已开工")]),
        ("石柱镇厂房改建租赁住房", "非居住存量房屋改建", 360, ("石柱", -500, 500), "谋划", [(D(2022, 7, 14), "已认定"), (D(2022, 10, 20), "已开工")]),
        ("象珠镇蓝领公寓", "新建", 450, ("象珠", 500, -500), "谋划", [(D(2022, 9, 2), "已认定"), (D(2022, 12, 6), "已开工")]),
        ("南苑片区配建租赁住房", "配建", 800, ("c", -300, -3300), "谋划", [(D(2022, 10, 14), "已认定")]),
        ("东城存量住房转化项目", "存量住房转化", 520, ("c", 1200, 1700), "谋划", [(D(2022, 3, 30), "已投用")]),
        ("古山镇存量住房转化项目", "存量住房转化", 380, ("古山", -300, 300), "谋划", [(D(2022, 8, 12), "已投用")]),
        ("西城酒店改建租赁住房", "改建", 290, ("c", -1900, 900), "谋划", [(D(2022, 4, 22), "已认定"), (D(2022, 6, 30), "已开工"), (D(2022, 12, 9), "已竣工")]),
        ("唐先镇职工公寓", "新建", 330, ("唐先", 300, -400), "谋划", [(D(2022, 6, 24), "已认定"), (D(2022, 11, 11), "已开工")]),
        ("江南存量住房转化项目", "存量住房转化", 660, ("c", 300, -1100), "谋划", [(D(2022, 11, 4), "已投用")]),
        ("花街镇乡村人才公寓", "改建", 210, ("花街", 300, 200), "谋划", [(D(2022, 5, 27), "已认定"), (D(2022, 8, 5), "已开工")]),
        ("经济开发区标准厂房配套公寓", "配建", 720, ("c", 5600, -2600), "谋划", [(D(2022, 9, 16), "已认定"), (D(2022, 12, 2), "已开工")]),
        ("方岩镇青年公寓", "新建", 240, ("方岩", -400, -300), "谋划", [(D(2022, 11, 18), "已认定")]),
    ]  # fmt: skip
    for k, (name, way, homes, where, status, changes) in enumerate(items, start=1):
        x, y = (
            offset(ctx, where[1], where[2])
            if where[0] == "c"
            else town_point(ctx, where[0], where[1], where[2])
        )
        p = point_near(ctx, x, y, 200.0, name=name)
        attrs: dict[str, Any] = {
            "项目名称": name,
            "套数": homes,
            "筹集方式": way,
            "建筑面积（m²）": float(round(homes * ctx.uniform(42, 60), -1)),
            "实施主体": "永康市安居工程建设有限公司"
            if way in ("新建", "配建")
            else "永康市住房和城乡建设局",
            "状态": status,
            "计划完成日期": "2023-12-31" if way in ("新建", "配建") else "2022-12-31",
        }
        if status == "已认定":
            attrs["认定日期"] = "2021-12-10"
        feat = ctx.add("rental_housing", f"BZZF2022-{k:02d}", p, attrs)
        for day, st in changes:
            stamps = {"已认定": "认定日期", "已开工": "开工日期", "已投用": "认定日期"}
            ctx.status(feat, day, st, stamps=stamps)


def _schools(ctx: Ctx) -> None:
    items = [
        ("永康市城东第二小学", "小学", 36, ("c", 2600, 1300), D(2022, 3, 28)),
        ("永康市江南实验小学（南苑校区）", "小学", 30, ("c", -700, -3000), D(2022, 5, 16)),
        ("永康市西城小学新校区", "小学", 24, ("c", -2700, 1100), D(2022, 6, 27)),
        ("古山镇第二小学", "小学", 24, ("古山", 700, 500), D(2022, 8, 22)),
        ("芝英镇中心小学迁建工程", "小学", 30, ("芝英", -600, 700), D(2022, 10, 17)),
        ("石柱镇中心小学扩建工程", "小学", 18, ("石柱", 500, -400), D(2022, 12, 5)),
        ("永康市机关幼儿园（城北园区）", "幼儿园", 15, ("c", 700, 2200), D(2022, 4, 11)),
        ("江南街道溪心幼儿园", "幼儿园", 12, ("c", -1400, -3300), D(2022, 7, 4)),
        ("象珠镇中心幼儿园新园", "幼儿园", 12, ("象珠", -400, 300), D(2022, 9, 13)),
        ("东城街道黄棠幼儿园", "幼儿园", 9, ("c", 3300, 2000), D(2022, 11, 21)),
        ("唐先镇中心幼儿园迁建工程", "幼儿园", 12, ("唐先", 400, 600), None),
        ("永康市城南初级中学", "初中", 36, ("c", 500, -4100), None),
    ]  # fmt: skip
    for k, (name, kind, classes, where, start) in enumerate(items, start=1):
        x, y = (
            offset(ctx, where[1], where[2])
            if where[0] == "c"
            else town_point(ctx, where[0], where[1], where[2])
        )
        p = point_near(ctx, x, y, 250.0, name=name)
        seats = classes * {"小学": 45, "幼儿园": 30, "初中": 50}[kind]
        land = classes * {"小学": 1.3, "幼儿园": 0.9, "初中": 1.6}[kind] * ctx.uniform(0.9, 1.2)
        attrs: dict[str, Any] = {
            "学校名称": name,
            "学校类型": kind,
            "班级数": classes,
            "学位数": seats,
            "占地面积（亩）": round(land, 2),
            "建筑面积（m²）": float(round(seats * ctx.uniform(9, 13), -1)),
            "总投资（万元）": float(round(seats * ctx.uniform(6, 9), -1)),
            "状态": "前期",
            "计划竣工日期": "2024-08-31",
        }
        feat = ctx.add("schools", f"XX2022-{k:02d}", p, attrs)
        if start is not None:
            ctx.status(feat, start, "已开工", stamps={"已开工": "开工日期"})


def _culture(ctx: Ctx) -> None:
    items = [
        ("芝英千年古城", "古城古镇", "省级文物保护单位", "2022年开工", ("芝英", 200, 200), "规划设计完成",
         D(2022, 10, 31), [(D(2022, 10, 26), "已开工")]),
        ("方岩老街", "历史文化街区", "尚未核定", "2022年开工", ("方岩", 1200, 900), "规划设计完成",
         D(2022, 11, 30), [(D(2022, 11, 21), "已开工")]),
        ("四方老厂区", "工业遗存", "尚未核定", "2022年开工", ("c", -1700, -900), "规划设计",
         D(2022, 11, 30), [(D(2022, 7, 22), "规划设计完成"), (D(2022, 11, 25), "已开工")]),
        ("大寒山休闲康养旅游区", "文旅康养", "尚未核定", "2022年开工", ("舟山", 2600, -1500), "规划设计",
         D(2022, 11, 30), [(D(2022, 8, 30), "规划设计完成"), (D(2022, 12, 6), "已开工")]),
        ("上山文化遗址（庙山、湖西等）", "考古遗址", "全国重点文物保护单位", "2022年完成勘探和保护规划", ("石柱", -1300, -2200),
         "规划设计", None, [(D(2022, 11, 15), "规划设计完成")]),
        ("湖西遗址公园", "遗址公园", "全国重点文物保护单位", "2022年启动设计", ("芝英", -1800, 2200), "谋划",
         None, [(D(2022, 8, 1), "规划设计")]),
    ]  # fmt: skip
    for k, (name, kind, level, task, where, status, planned, changes) in enumerate(items, start=1):
        x, y = (
            offset(ctx, where[1], where[2])
            if where[0] == "c"
            else town_point(ctx, where[0], where[1], where[2])
        )
        p = point_near(ctx, x, y, 150.0, name=name)
        attrs: dict[str, Any] = {
            "名称": name,
            "类型": kind,
            "保护级别": level,
            "年度任务": task,
            "总投资（万元）": float(round(ctx.uniform(3000, 60000), -2))
            if "开工" in task
            else float(round(ctx.uniform(200, 900), -1)),
            "状态": status,
            "计划开工日期": planned.isoformat() if planned else None,
            "计划完成日期": "2025-12-31" if "开工" in task else "2022-12-31",
        }
        feat = ctx.add("culture_sites", f"WL2022-{k:02d}", p, attrs)
        for day, st in changes:
            ctx.status(feat, day, st, stamps={"已开工": "开工日期"})
