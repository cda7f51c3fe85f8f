"""Demo water layers: reservoirs and their surfaces under safety upgrade, ponds (山塘), water supply works."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ykgeo.demo.geography import (
    Township,
    reservoir_surface,
    route,
)
from ykgeo.demo.kit import Ctx, Feature
from ykgeo.store import TZ

__all__ = ["build_water"]

D = dt.date


_RESERVOIR_CLASSES = (
    # 规模, 总库容 range (万m³), mean depth (m), dam height (m), catchment (km²)
    ("中型", (1200.0, 2600.0), (16.0, 22.0), (40.0, 62.0), (25.0, 60.0)),
    *(("小(1)型", (120.0, 850.0), (9.0, 14.0), (20.0, 42.0), (2.5, 18.0)),) * 4,
    *(("小(2)型", (12.0, 95.0), (5.0, 9.0), (9.0, 24.0), (0.4, 4.5)),) * 11,
)


def _hill_point(
    ctx: Ctx,
    *,
    town_gap: float,
    city_gap: float,
    spacing: float,
    taken: Sequence[BaseGeometry],
    margin: float = 1200.0,
) -> tuple[float, float, Township]:
    """A spot in the hills: far from every town centre and the city, away from ``taken`` points."""
    minx, miny, maxx, maxy = ctx.geo.boundary.bounds
    cx, cy = ctx.geo.centre
    inner = ctx.geo.boundary.buffer(-margin)
    for _ in range(5000):
        x, y = ctx.uniform(minx, maxx), ctx.uniform(miny, maxy)
        p = shapely.Point(x, y)
        if not inner.contains(p) or math.hypot(x - cx, y - cy) < city_gap:
            continue
        if min(math.hypot(x - t.x, y - t.y) for t in ctx.geo.townships) < town_gap:
            continue
        if any(p.distance(q) < spacing for q in taken):
            continue
        if not ctx.placer.fits(p.buffer(60.0), 0.0):
            continue
        return x, y, ctx.geo.township_at(x, y)
    msg = "找不到合适的山区点位"
    raise RuntimeError(msg)


def build_water(ctx: Ctx) -> dict[str, Feature]:
    """Reservoirs (dams and water surfaces), ponds and the two water-supply projects."""
    dams: dict[str, Feature] = {}
    if ctx.has("reservoirs"):
        dams = _reservoirs(ctx)
    if ctx.has("ponds"):
        _ponds(ctx)
    if ctx.has("water_supply"):
        _water_supply(ctx, dams)
    return dams


def _reservoirs(ctx: Ctx) -> dict[str, Feature]:
    taken: list[BaseGeometry] = []
    dams: dict[str, Feature] = {}
    done_days = sorted(
        [ctx.day_between(D(2022, 2, 20), D(2022, 3, 28)) for _ in range(3)]
        + [ctx.day_between(D(2022, 4, 5), D(2022, 6, 25)) for _ in range(4)]
        + [ctx.day_between(D(2022, 7, 5), D(2022, 9, 26)) for _ in range(3)]
        + [ctx.day_between(D(2022, 10, 8), D(2022, 12, 22)) for _ in range(6)]
    )
    order = ctx.rng.permutation(16)
    for k, (scale, cap_r, depth_r, height_r, catch_r) in enumerate(_RESERVOIR_CLASSES, start=1):
        capacity = round(ctx.uniform(*cap_r), 1)
        area = capacity * 10000 / ctx.uniform(*depth_r)
        for _ in range(200):
            x, y, town = _hill_point(
                ctx,
                town_gap=3000 if scale != "中型" else 4500,
                city_gap=7000,
                spacing=2600,
                taken=taken,
            )
            nearest = min(ctx.geo.townships, key=lambda t: math.hypot(x - t.x, y - t.y))
            direction = math.atan2(y - nearest.y, x - nearest.x) + float(ctx.rng.normal(0, 0.35))
            surface = reservoir_surface(ctx.rng, x, y, area, direction)
            if ctx.placer.fits(surface, 40.0) and ctx.inner_zone(town, 40.0).contains(surface):
                break
        else:
            msg = f"放不下第 {k} 座水库"
            raise RuntimeError(msg)
        ctx.placer.add(surface)
        taken.append(shapely.Point(x, y))
        village = ctx.names.village(town.name)
        rid = f"330784SK{k:04d}"
        height = round(ctx.uniform(*height_r), 1)
        attrs: dict[str, Any] = {
            "水库名称": f"{village}水库",
            "规模": scale,
            "总库容（万m³）": capacity,
            "坝型": ctx.names.pick(
                ["均质土坝", "黏土心墙坝", "黏土心墙坝", "浆砌石重力坝", "混凝土重力坝"]
                if scale != "中型"
                else ["黏土心墙坝", "混凝土重力坝", "堆石坝"]
            ),
            "坝高（m）": height,
            "坝顶长（m）": round(height * ctx.uniform(4.0, 9.0), 1),
            "集雨面积（km²）": round(ctx.uniform(*catch_r), 2),
            "安全鉴定结论": "三类坝" if ctx.chance(0.55) else "二类坝",
            "项目类型": ctx.names.pick(["提能保安"] * 5 + ["除险加固"] * 2 + ["系统治理"]),
            "所在村": f"{village}村",
            "总投资（万元）": float(
                round(
                    ctx.uniform(300, 1200)
                    * (4 if scale == "中型" else 1.6 if scale == "小(1)型" else 1),
                    -1,
                )
            ),
            "状态": "在建" if ctx.chance(0.55) else "前期",
        }
        if attrs["状态"] == "在建":
            attrs["开工日期"] = ctx.day_between(D(2021, 9, 1), D(2021, 12, 31)).isoformat()
        feat = ctx.add("reservoirs", rid, shapely.Point(x, y), attrs, town=town)
        dams[rid] = feat
        done = done_days[int(order[k - 1])]
        feat.attrs["计划完工日期"] = (
            D(2022, 6, 30) if done < D(2022, 7, 1) else D(2022, 12, 31)
        ).isoformat()
        if attrs["状态"] == "前期":
            ctx.status(
                feat,
                ctx.day_between(D(2022, 1, 10), done - dt.timedelta(days=50)),
                "在建",
                stamps={"在建": "开工日期"},
            )
        ctx.status(feat, done, "完工")
        if done < D(2022, 9, 1):
            ctx.status(
                feat,
                done + dt.timedelta(days=ctx.integer(60, 110)),
                "验收",
                stamps={"验收": "验收日期"},
            )
        if ctx.has("reservoir_surfaces"):
            s = ctx.add(
                "reservoir_surfaces",
                f"330784SM{k:04d}",
                surface,
                {
                    "注册登记号": rid,
                    "水库名称": f"{village}水库",
                    "地类编码": "1103",
                    "地类名称": "水库水面",
                    "数据来源": "示意：按总库容和平均水深估算的正常蓄水位水面",
                },
                town=town,
            )
            s.attrs["图斑地类面积（m²）"] = round(surface.area, 2)
    # a capacity re-surveyed in August: the ledger figure is corrected
    fix = dams[sorted(k for k, f in dams.items() if f.attrs["规模"] == "小(2)型")[3]]
    old = fix.attrs["总库容（万m³）"]
    new = round(min(old * 1.07, 99.0), 1)
    ctx.change(
        fix,
        D(2022, 8, 16),
        {"总库容（万m³）": new},
        note=f"复核库容曲线，总库容由 {old} 更正为 {new} 万m³",
        recorded=dt.datetime(2022, 8, 19, 15, 40, tzinfo=TZ),
    )
    ctx.anomaly("correction", fix, f"8 月复核更正总库容 {old} → {new} 万m³（规模仍为小(2)型）")
    return dams


def _ponds(ctx: Ctx) -> None:
    taken: list[BaseGeometry] = []
    feats: list[Feature] = []
    kinds = ["普通"] * 70 + ["屋顶"] * 20 + ["高坝"] * 10
    order = ctx.rng.permutation(100)
    for k in range(1, 101):
        x, y, town = _hill_point(
            ctx, town_gap=1600, city_gap=4800, spacing=450, taken=taken, margin=400
        )
        taken.append(shapely.Point(x, y))
        kind = kinds[int(order[k - 1])]
        height = round(ctx.uniform(10.0, 16.0) if kind == "高坝" else ctx.uniform(5.0, 9.8), 1)
        village = ctx.names.village(town.name)
        attrs: dict[str, Any] = {
            "山塘名称": f"{village}{ctx.names.pick(['塘', '山塘', '大塘', '坑塘', '垄塘'])}",
            "山塘类型": kind,
            "总容积（万m³）": round(
                float(np.clip(ctx.rng.lognormal(math.log(2.6), 0.55), 1.0, 9.8)), 2
            ),
            "坝型": ctx.names.pick(["均质土坝"] * 6 + ["黏土心墙坝"] * 2 + ["浆砌石重力坝"]),
            "坝高（m）": height,
            "坝顶长（m）": round(ctx.uniform(25, 140), 1),
            "集雨面积（km²）": round(ctx.uniform(0.05, 1.5), 2),
            "安全鉴定结论": "三类坝" if ctx.chance(0.7) else "二类坝",
            "项目类型": ctx.names.pick(
                ["提能保安"] * 12 + ["除险加固"] * 3 + ["系统治理"] * 2 + ["降等报废"]
            ),
            "所在村": f"{village}村",
            "总投资（万元）": float(round(ctx.uniform(35, 260), 1)),
            "状态": "在建" if ctx.chance(0.4) else "前期",
            "计划完工日期": ctx.names.pick(["2022-06-30", "2022-12-31"]),
        }
        if attrs["状态"] == "在建":
            attrs["开工日期"] = ctx.day_between(D(2021, 10, 1), D(2021, 12, 31)).isoformat()
        feats.append(ctx.add("ponds", f"330784ST{k:04d}", shapely.Point(x, y), attrs, town=town))
    # 97 finished by December; the 3 left are in lagging towns when there are enough of them
    lagging = sorted(
        (f for f in feats if f.town.name in ("舟山镇", "西溪镇", "唐先镇")), key=lambda f: f.fid
    )
    left = {f.fid for f in lagging[:3]} if len(lagging) >= 3 else {f.fid for f in feats[-3:]}
    weights = [1, 3, 9, 12, 10, 9, 2, 3, 6, 12, 14, 16]
    regress = next(f for f in feats if f.fid not in left and f.attrs["状态"] == "在建")
    for f in feats:
        if f.fid in left:
            if f.attrs["状态"] == "前期":
                ctx.status(
                    f,
                    ctx.day_between(D(2022, 9, 1), D(2022, 11, 30)),
                    "在建",
                    stamps={"在建": "开工日期"},
                )
            continue
        done = (
            ctx.done_day(f.town)
            if f is not regress
            else ctx.day_between(D(2022, 5, 10), D(2022, 6, 20))
        )
        done = ctx.day_between(max(D(2022, 2, 20), done - dt.timedelta(days=20)), done, weights)
        if f.attrs["状态"] == "前期":
            lo = D(2022, 1, 10)
            ctx.status(
                f,
                ctx.day_between(lo, max(lo, done - dt.timedelta(days=40))),
                "在建",
                stamps={"在建": "开工日期"},
            )
        ctx.status(f, done, "完工")
        if f is not regress and done < D(2022, 10, 1) and ctx.chance(0.6):
            ctx.status(
                f,
                done + dt.timedelta(days=ctx.integer(45, 90)),
                "验收",
                stamps={"验收": "验收日期"},
            )
    ctx.status(
        regress,
        D(2022, 8, 9),
        "在建",
        extra={"完工日期": None},
        note="汛期检查发现坝体渗漏，返工处理",
    )
    ctx.status(regress, D(2022, 11, 4), "完工", note="渗漏处理完成")
    ctx.anomaly("regression", regress, "6 月完工后 8 月发现渗漏退回“在建”，11 月再次完工")
    # a township field that disagrees with the location
    wrong_pond = feats[57]
    other = min(
        (t for t in ctx.geo.townships if t.code != wrong_pond.town.code),
        key=lambda t: t.zone.distance(wrong_pond.geom),
    )
    wrong_pond.attrs["所属镇街"] = other.name
    ctx.anomaly("township", wrong_pond, f"位于{wrong_pond.town.name}示意范围内，台账填{other.name}")


def _water_supply(ctx: Ctx, dams: dict[str, Feature]) -> None:
    cx, cy = ctx.geo.centre
    # 永磐引水: from the north-east edge (towards 磐安) to the city's water works
    ring = np.asarray(ctx.geo.boundary.exterior.coords)
    az = np.arctan2(ring[:, 1] - cy, ring[:, 0] - cx)
    near_ne = ring[np.abs(az - math.radians(22)) < math.radians(8)]
    far = near_ne[np.argmax(np.hypot(near_ne[:, 0] - cx, near_ne[:, 1] - cy))]
    entry = (float(far[0] + (cx - far[0]) * 0.03), float(far[1] + (cy - far[1]) * 0.03))
    xx = ctx.geo.township("西溪")
    gs = ctx.geo.township("古山")
    zy = ctx.geo.township("芝英")
    plant = (cx + 1200, cy + 3900)
    line = route(
        ctx.rng,
        [
            entry,
            (xx.x - 900, xx.y - 1800),
            (gs.x + 400, gs.y - 2300),
            (zy.x - 1200, zy.y + 900),
            plant,
        ],
        wiggle=0.03,
        step=500.0,
    )
    if not ctx.placer.inner.contains(line):
        line = line.intersection(ctx.placer.inner)
    a = ctx.add(
        "water_supply",
        "GS2022-01",
        line,
        {
            "项目名称": "永磐引水工程",
            "工程类型": "引水工程",
            "水源": "磐安县境内水库（示意）",
            "线路长度（km）": round(line.length / 1000, 3),
            "管径（mm）": 1400,
            "设计供水规模（万m³/日）": 15.0,
            "总投资（万元）": float(round(line.length * ctx.uniform(7.5, 9.5), -2)),
            "状态": "在建",
            "开工日期": "2021-06-28",
            "计划完工日期": "2024-12-31",
        },
        note="示意线位",
    )
    _ = a
    # 南部水库联网: the southern reservoirs linked to the Jiangnan water works
    works = (cx - 900, cy - 4300)
    south = sorted(
        (f for f in dams.values() if f.geom.y < cy - 2000),
        key=lambda f: (math.hypot(f.geom.x - works[0], f.geom.y - works[1]), f.fid),
    )[:3]
    branches = [
        route(ctx.rng, [(f.geom.x, f.geom.y), works], wiggle=0.04, step=400.0) for f in south
    ]
    net = shapely.MultiLineString([list(b.coords) for b in branches])
    names = "、".join(f.attrs["水库名称"] for f in south)
    b = ctx.add(
        "water_supply",
        "GS2022-02",
        net,
        {
            "项目名称": "南部水库联网保供水工程",
            "工程类型": "水库联网",
            "水源": names,
            "线路长度（km）": round(net.length / 1000, 3),
            "管径（mm）": 800,
            "设计供水规模（万m³/日）": 6.0,
            "总投资（万元）": float(round(net.length * ctx.uniform(3.0, 4.0), -2)),
            "状态": "前期",
            "计划完工日期": "2024-06-30",
        },
        note="示意线位",
    )
    ctx.status(b, D(2022, 5, 18), "在建", stamps={"在建": "开工日期"})
