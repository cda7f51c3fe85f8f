"""Demo features of the civic layers: the reference layers (city boundary, townships), urban renewal, parks, estates, streets, townscape."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from shapely.geometry.base import BaseGeometry

from ykgeo.demo.geography import industrial_parcel, organic_polygon, route
from ykgeo.demo.kit import Ctx, named_town, offset, town_point
from ykgeo.io.sources import (
    BOUNDARY_NOTE,
    BOUNDARY_SOURCE,
    CITY_CODE,
    TOWNSHIP_SOURCE,
    township_note,
)

__all__ = ["build_reference", "build_urban", "urban_polygon"]

D = dt.date


# --- reference --------------------------------------------------------------------------------


def build_reference(ctx: Ctx) -> None:
    """The real city boundary and the 14 township units (zones illustrative)."""
    if ctx.has("city_boundary"):
        ctx.add(
            "city_boundary",
            CITY_CODE,
            ctx.geo.boundary,
            {"名称": "永康市", "数据来源": BOUNDARY_SOURCE, "说明": BOUNDARY_NOTE},
            town=ctx.geo.townships[0],
        )
    if ctx.has("townships"):
        for t in ctx.geo.townships:
            ctx.add(
                "townships",
                t.code,
                t.zone,
                {
                    "镇街名称": t.name,
                    "类型": t.kind,
                    "说明": township_note(t.point_source),
                    "数据来源": TOWNSHIP_SOURCE,
                },
                town=t,
            )


# --- urban renewal and public space ---------------------------------------------------------------


def urban_polygon(
    ctx: Ctx,
    x: float,
    y: float,
    mu: float,
    *,
    sigma: float = 300.0,
    vertices: int = 16,
    elongation: float = 1.4,
    blocky: bool = False,
    gap: float = 20.0,
    name: str = "",
) -> BaseGeometry:
    named = named_town(ctx, name)
    for attempt in range(400):
        s = sigma * (1 + attempt / 80)
        px, py = x + float(ctx.rng.normal(0, s)), y + float(ctx.rng.normal(0, s))
        if blocky:
            geom = industrial_parcel(ctx.rng, px, py, mu * 10000 / 15, ctx.uniform(-0.2, 0.3))
        else:
            geom = organic_polygon(
                ctx.rng,
                px,
                py,
                mu * 10000 / 15,
                elongation=elongation,
                angle=ctx.uniform(0, math.pi),
                vertices=vertices,
                roughness=0.08,
            )
        town = named or ctx.geo.township_at(px, py)
        if ctx.inner_zone(town, 20.0).contains(geom) and ctx.placer.fits(geom, gap):
            ctx.placer.add(geom)
            return geom
    msg = f"无法在 ({x:.0f}, {y:.0f}) 附近放下 {mu:.0f} 亩"
    raise RuntimeError(msg)


def build_urban(ctx: Ctx) -> None:
    """Renewal blocks, old estates, showcase streets, townscape areas and parks."""
    if ctx.has("renewal_blocks"):
        _renewal(ctx)
    if ctx.has("parks"):
        _parks(ctx)
    if ctx.has("old_estates"):
        _estates(ctx)
    if ctx.has("feature_streets"):
        _streets(ctx)
    if ctx.has("townscape_areas"):
        _townscape(ctx)


def _renewal(ctx: Ctx) -> None:
    blocks = [
        # name, type, offset, 亩, use, households, start status, changes [(date, status)]
        ("南苑片区", "城市更新", (-300, -2400), 900, "070102", "已启动", [(D(2022, 5, 16), "征迁中")]),
        ("丽州老城片区", "城市更新", (-1700, 300), 620, "070102", "谋划", [(D(2022, 3, 22), "已启动")]),
        ("华溪沿岸片区", "城市更新", (-1300, 2100), 540, "090101", "谋划", [(D(2022, 6, 20), "已启动"), (D(2022, 10, 18), "征迁中")]),
        ("城西老工业片区", "城市更新", (-3900, -700), 760, "100101", "谋划", [(D(2022, 9, 14), "已启动")]),
        ("火车站片区", "城市更新", (1300, -1400), 480, "090101", "谋划", [(D(2022, 11, 23), "已启动")]),
        ("黄棠区块", "整村连片开发", (3600, 2400), 360, "070102", "谋划", [(D(2022, 8, 8), "已启动")]),
        ("周塘区块", "整村连片开发", (-2800, 2800), 300, "070102", "谋划", []),
        ("许码头区块", "城中村改造", (700, -600), 130, "070102", "谋划", [(D(2022, 4, 12), "已启动"), (D(2022, 6, 27), "征迁中"), (D(2022, 10, 9), "建设中")]),
        ("下宅口区块", "城中村改造", (-2300, -1700), 95, "070102", "谋划", [(D(2022, 10, 25), "已启动")]),
    ]  # fmt: skip
    owners = ("永康市城市更新建设有限公司", "永康市城乡建设投资集团有限公司")
    for k, (name, kind, (dx, dy), mu, use, status, changes) in enumerate(blocks, start=1):
        x, y = offset(ctx, dx, dy)
        geom = urban_polygon(
            ctx, x, y, mu, sigma=250, vertices=ctx.integer(12, 22), elongation=ctx.uniform(1.1, 1.7)
        )
        town = ctx.town_at(geom)
        households = int(mu * ctx.uniform(1.2, 2.6))
        attrs: dict[str, Any] = {
            "片区名称": name,
            "更新类型": kind,
            "涉及户数": households,
            "拆除建筑面积（m²）": float(round(households * ctx.uniform(180, 320), -2)),
            "主导用途编码": use,
            "实施主体": owners[k % 2]
            if kind == "城市更新"
            else f"{town.name}办事处"
            if town.kind == "街道"
            else f"{town.name}人民政府",
            "总投资（万元）": float(round(mu * ctx.uniform(250, 600), -2)),
            "状态": status,
            "计划完成日期": "2025-12-31" if kind != "城中村改造" else "2024-12-31",
        }
        if status != "谋划":
            attrs["启动日期"] = "2021-11-18"
        feat = ctx.add("renewal_blocks", f"GX2022-{k:02d}", geom, attrs, town=town)
        feat.attrs["占地面积（亩）"] = round(feat.mu * ctx.uniform(0.99, 1.01), 2)
        for day, st in changes:
            ctx.status(feat, day, st, stamps={"已启动": "启动日期"})


def _parks(ctx: Ctx) -> None:
    parks = [
        # name, type, level, work, where, 亩, status, changes
        ("市民中心", "公共空间", "市级", "规划设计", ("c", 1600, 600), 160, "规划设计中", [(D(2022, 9, 28), "设计完成")]),
        ("塔山公园", "综合公园", "市级", "规划设计", ("c", -2400, 1400), 260, "未启动", [(D(2022, 3, 15), "规划设计中"), (D(2022, 11, 10), "设计完成")]),
        ("金胜山森林公园", "森林公园", "市级", "规划设计", ("c", -700, 6200), 2400, "未启动", [(D(2022, 4, 20), "规划设计中"), (D(2022, 12, 8), "设计完成")]),
        ("香樟公园", "社区公园", "市级", "提升改造", ("c", -400, -1300), 55, "设计完成", [(D(2022, 3, 1), "施工中"), (D(2022, 8, 30), "已完成")]),
        ("龙川公园", "综合公园", "市级", "提升改造", ("c", 2300, -300), 120, "设计完成", [(D(2022, 6, 6), "施工中")]),
        ("石柱省级生态湿地公园", "湿地公园", "省级", "新建", ("石柱", 900, -1100), 1650, "施工中", [(D(2022, 11, 18), "已完成")]),
    ]  # fmt: skip
    for k, (name, kind, level, work, where, mu, status, changes) in enumerate(parks, start=1):
        x, y = (
            offset(ctx, where[1], where[2])
            if where[0] == "c"
            else town_point(ctx, where[0], where[1], where[2])
        )
        geom = urban_polygon(
            ctx,
            x,
            y,
            mu,
            sigma=200,
            vertices=ctx.integer(14, 26),
            elongation=ctx.uniform(1.1, 2.0),
            name=name,
        )
        attrs: dict[str, Any] = {
            "公园名称": name,
            "公园类型": kind,
            "级别": level,
            "工作内容": work,
            "总投资（万元）": float(round(mu * ctx.uniform(8, 30), -1)),
            "状态": status,
            "计划完成日期": "2022-12-31",
        }
        feat = ctx.add("parks", f"GY2022-{k:02d}", geom, attrs)
        feat.attrs["占地面积（亩）"] = round(feat.mu, 2)
        for day, st in changes:
            ctx.status(feat, day, st)


def _estates(ctx: Ctx) -> None:
    estates = [
        ("丽州新村", (-1200, -200), 1989, [(D(2022, 2, 28), "施工中"), (D(2022, 6, 24), "已完工")]),
        ("西津小区", (-2300, 500), 1993, [(D(2022, 4, 8), "施工中"), (D(2022, 9, 23), "已完工")]),
        ("溪心苑", (400, -1900), 1997, [(D(2022, 5, 5), "设计中"), (D(2022, 7, 1), "施工中"), (D(2022, 11, 25), "已完工")]),
        ("九铃东村", (1900, 1100), 1996, [(D(2022, 10, 10), "设计中")]),
    ]  # fmt: skip
    for k, (name, (dx, dy), built, changes) in enumerate(estates, start=1):
        x, y = offset(ctx, dx, dy)
        mu = ctx.uniform(35, 110)
        geom = urban_polygon(ctx, x, y, mu, sigma=200, blocky=True)
        buildings = int(mu * ctx.uniform(0.25, 0.45))
        homes = int(buildings * ctx.uniform(24, 40))
        attrs: dict[str, Any] = {
            "小区名称": name,
            "建成年份": built,
            "楼栋数": buildings,
            "户数": homes,
            "建筑面积（m²）": float(round(homes * ctx.uniform(85, 110), -1)),
            "改造类型": ctx.names.pick(["基础类", "完善类", "完善类", "提升类"]),
            "改造内容": "雨污分流、管线入地、屋面防水、加装电梯、停车和充电设施、绿化提升",
            "总投资（万元）": float(round(homes * ctx.uniform(1.2, 2.4), -1)),
            "状态": "设计中" if k <= 2 else "未启动",
            "计划完成日期": "2022-12-31" if k <= 3 else "2023-10-31",
        }
        feat = ctx.add("old_estates", f"LJXQ2022-{k:02d}", geom, attrs)
        for day, st in changes:
            ctx.status(feat, day, st)


def _streets(ctx: Ctx) -> None:
    streets = [
        ("西街", "府前路—西津桥", ((-1900, 150), (-1500, 250), (-1000, 320)), [(D(2022, 3, 10), "施工中"), (D(2022, 9, 16), "已完工")]),
        ("解放街", "丽州中路—华溪路", ((-900, -500), (-800, 0), (-650, 450)), [(D(2022, 5, 9), "施工中"), (D(2022, 12, 13), "已完工")]),
        ("九铃西路", "望春路—华溪路", ((-400, 1300), (300, 1420), (900, 1500)), [(D(2022, 11, 1), "设计中")]),
    ]  # fmt: skip
    cx, cy = ctx.geo.centre
    for k, (name, ends, pts, changes) in enumerate(streets, start=1):
        line = route(ctx.rng, [(cx + dx, cy + dy) for dx, dy in pts], wiggle=0.01, step=120.0)
        attrs: dict[str, Any] = {
            "街道名称": name,
            "起止点": ends,
            "长度（km）": round(line.length / 1000, 3),
            "改造内容": "立面整治、店招统一、人行道铺装、管线入地、夜景亮化",
            "总投资（万元）": float(round(line.length * ctx.uniform(2.5, 5.0), -1)),
            "状态": "设计中" if k <= 2 else "未启动",
            "计划完成日期": "2022-12-31" if k <= 2 else "2023-12-31",
        }
        feat = ctx.add("feature_streets", f"JPJ2022-{k:02d}", line, attrs)
        for day, st in changes:
            ctx.status(feat, day, st)


def _townscape(ctx: Ctx) -> None:
    ls = ctx.geo.township("龙山")
    xx = ctx.geo.township("西溪")
    areas = [
        ("龙山—西溪溪元故里县域风貌区", "县域风貌区", ((ls.x + xx.x) / 2, (ls.y + xx.y) / 2 - 800), 16000, "建设中",
         [(D(2022, 8, 26), "申报验收"), (D(2022, 12, 20), "已命名")]),
        ("五金科创特色产业风貌区", "特色产业风貌区", offset(ctx, 4200, -1500), 9000, "建设中", [(D(2022, 10, 14), "申报验收")]),
        ("山水溪心城市新区风貌区", "城市新区风貌区", offset(ctx, -600, -3400), 7000, "谋划", [(D(2022, 3, 18), "建设中")]),
    ]  # fmt: skip
    for k, (name, kind, (x, y), mu, status, changes) in enumerate(areas, start=1):
        for _ in range(200):
            geom = organic_polygon(
                ctx.rng,
                x + float(ctx.rng.normal(0, 200)),
                y + float(ctx.rng.normal(0, 200)),
                mu * 10000 / 15,
                elongation=ctx.uniform(1.2, 1.8),
                angle=ctx.uniform(0, math.pi),
                vertices=ctx.integer(20, 30),
                roughness=0.1,
            )
            if ctx.placer.inner.contains(geom):
                break
        else:
            msg = f"风貌区 {name} 超出市界"
            raise RuntimeError(msg)
        attrs: dict[str, Any] = {
            "风貌区名称": name,
            "风貌区类型": kind,
            "状态": status,
            "启动日期": None if status == "谋划" else "2021-09-15",
            "计划完成日期": "2022-12-31",
        }
        feat = ctx.add("townscape_areas", f"FMQ-{k:02d}", geom, attrs)
        feat.attrs["规划面积（亩）"] = round(feat.mu, 2)
        for day, st in changes:
            ctx.status(feat, day, st, stamps={"建设中": "启动日期"})
