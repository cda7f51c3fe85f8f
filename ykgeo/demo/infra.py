"""Demo features of the infrastructure layers: road projects with chainage and sections, reservoirs, ponds, water supply."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
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

__all__ = [
    "ROAD_NAMES",
    "build_roads",
    "build_water",
    "chainage",
    "named_town",
    "offset",
    "point_near",
    "town_point",
]

D = dt.date


def chainage(metres: float) -> str:
    """Chainage text K{km}+{m}: 12 300 m → K12+300."""
    m = round(metres)
    return f"K{m // 1000}+{m % 1000:03d}"


def offset(ctx: Ctx, dx: float, dy: float) -> tuple[float, float]:
    """A point (metres) ``dx`` east and ``dy`` north of the city centre."""
    cx, cy = ctx.geo.centre
    return cx + dx, cy + dy


def town_point(ctx: Ctx, short: str, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    """A point (metres) ``dx`` east and ``dy`` north of a township's centre."""
    t = ctx.geo.township(short)
    return t.x + dx, t.y + dy


def named_town(ctx: Ctx, name: str) -> Township | None:
    """The township whose short name (东城, 古山 …) appears in ``name``, if any."""
    for t in ctx.geo.townships:
        if t.short in name:
            return t
    return None


def point_near(
    ctx: Ctx,
    x: float,
    y: float,
    sigma: float,
    *,
    clearance: float = 40.0,
    zone: Township | None = None,
    name: str = "",
) -> BaseGeometry:
    """A point near (x, y) inside the boundary (and ``zone``), clear of placed polygons.

    A ``name`` that mentions a township (古山镇第二小学) keeps the point in that township's zone.
    """
    zone = zone or named_town(ctx, name)
    for attempt in range(300):
        s = sigma * (1 + attempt / 60)
        p = shapely.Point(x + float(ctx.rng.normal(0, s)), y + float(ctx.rng.normal(0, s)))
        if zone is not None and not ctx.inner_zone(zone, 80.0).contains(p):
            continue
        if ctx.placer.fits(p.buffer(clearance), 0.0):
            return p
    msg = f"无法在 ({x:.0f}, {y:.0f}) 附近放点"
    raise RuntimeError(msg)


# --- roads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Road:
    name: str
    ends: str
    task: str
    grade: str
    code: str
    nature: str
    owner: str
    waypoints: tuple[tuple[float, float], ...]  # offsets from the centre (m), or absolute when far
    absolute: bool = False
    chain_break: tuple[float, float] | None = None  # (at metres along, long chain metres)


#: The named road projects of 2022 (names and ends from the targets file, alignments illustrative).
ROAD_NAMES = (
    "城北东路", "南四环", "南都路延伸", "永义公路枫坑隧道", "松石路", "华溪北路",
    "金武永磐公路（S316）如春至白窖段", "方岩互通至开发区道路",
)  # fmt: skip


def _roads(ctx: Ctx) -> list[_Road]:
    fy = ctx.geo.township("方岩")
    xz = ctx.geo.township("象珠")
    tx = ctx.geo.township("唐先")
    xx = ctx.geo.township("西溪")
    gs = ctx.geo.township("古山")
    cx, cy = ctx.geo.centre
    return [
        _Road("城北东路", "花园大道—8号桥", "2022年建成", "城市主干路", "1207", "新建",
              "永康市住房和城乡建设局", ((500, 2900), (1600, 3300), (3400, 3600))),
        _Road("南四环", "五金大道—丽州南路", "2022年建成", "城市主干路", "1207", "新建",
              "永康市住房和城乡建设局", ((-2600, -3900), (-600, -3750), (1400, -3600))),
        _Road("南都路延伸", "南都路—长城路", "2022年建成", "城市次干路", "1207", "延伸",
              "永康经济开发区管委会", ((1800, -2100), (3000, -2500), (4200, -3000))),
        _Road("永义公路枫坑隧道", "枫坑隧道及两端接线", "2022年建成", "二级公路", "1202", "改建",
              "永康市交通运输局",
              ((xz.x + 700, xz.y + 3600), (xz.x + 900, xz.y + 4700), (xz.x + 1000, xz.y + 5700)), True),
        _Road("松石路", "建设路—城北东路", "2022年实施", "城市次干路", "1207", "新建",
              "永康市住房和城乡建设局", ((2600, 700), (2750, 2100), (2900, 3450))),
        _Road("华溪北路", "花园大道—皇城南路", "2022年实施", "城市主干路", "1207", "新建",
              "永康市住房和城乡建设局", ((-600, 900), (-350, 2300), (-450, 3400), (-200, 4600))),
        _Road("金武永磐公路（S316）如春至白窖段", "如春—白窖", "2022年实施", "一级公路", "1202", "改建",
              "永康市交通运输局",
              ((cx + 6900, cy + 1700), (fy.x - 1500, fy.y + 2100), (gs.x + 3500, gs.y - 1500),
               (xx.x - 500, xx.y - 3300)), True, (6400.0, 20.0)),
        _Road("金温高铁枢纽配套道路", "永康南站—南苑路", "2022年实施", "城市主干路", "1207", "新建",
              "永康市交通投资集团有限公司", ((-500, -5200), (500, -4900), (1500, -4400))),
        _Road("方岩互通至开发区道路", "方岩互通—开发区九铃东路", "2022年实施", "一级公路", "1202", "新建",
              "永康市交通运输局",
              ((fy.x - 1900, fy.y - 1700), (cx + 9000, cy + 1000), (cx + 5200, cy - 800)), True),
        _Road("花园立交桥", "花园大道与城北路交叉口", "2022年开工", "城市主干路", "1207", "新建",
              "永康市住房和城乡建设局", ((900, 2500), (1200, 2900), (1500, 3250))),
        _Road("东永一线（黄城里—花园段）改造", "黄城里—花园", "2022年开工", "二级公路", "1202", "改建",
              "永康市交通运输局",
              ((cx + 1900, cy + 4300), (xz.x - 500, xz.y - 2500), (xz.x + 1500, xz.y + 800),
               (tx.x - 1800, tx.y - 900)), True),
        _Road("五金物流港配套道路一期", "物流港一号路—五金大道", "2022年开工", "城市次干路", "1207", "新建",
              "永康经济开发区管委会", ((4800, -3000), (5600, -3300), (6500, -3600))),
        _Road("义龙庆高速永康联络线", "永康南互通—城南", "2022年前期", "高速公路", "1202", "新建",
              "永康市交通投资集团有限公司", ((-5600, -8600), (-3800, -6900), (-1900, -5600))),
    ]  # fmt: skip


#: Road → (sections as (start m, end m, lane)), the year's plan for each section and the project.
def _section_plan(name: str, length: float) -> list[tuple[float, float, str]]:
    if name == "永义公路枫坑隧道":
        a, b = round(0.24 * length / 10) * 10.0, round(0.8 * length / 10) * 10.0
        return [(0, a, "全幅"), (a, b, "左幅"), (a, b, "右幅"), (b, length, "全幅")]
    cuts = {
        "城北东路": (0.0, 0.45, 1.0),
        "南四环": (0.0, 0.3, 0.68, 1.0),
        "南都路延伸": (0.0, 1.0),
        "松石路": (0.0, 0.55, 1.0),
        "华溪北路": (0.0, 0.35, 0.7, 1.0),
        "金武永磐公路（S316）如春至白窖段": (0.0, 0.18, 0.38, 0.55, 0.78, 1.0),
        "方岩互通至开发区道路": (0.0, 0.4),
        "花园立交桥": (0.0, 1.0),
        "东永一线（黄城里—花园段）改造": (0.0, 0.3),
        "五金物流港配套道路一期": (0.0, 1.0),
    }.get(name, ())
    return [
        (round(a * length / 10) * 10.0, round(b * length / 10) * 10.0, "全幅")
        for a, b in itertools.pairwise(cuts)
    ]


def build_roads(ctx: Ctx) -> None:
    """Road projects (centrelines with chainage) and their built / building sections."""
    if not ctx.has("road_projects"):
        return
    cx, cy = ctx.geo.centre
    for k, road in enumerate(_roads(ctx), start=1):
        pts = (
            road.waypoints
            if road.absolute
            else tuple((cx + dx, cy + dy) for dx, dy in road.waypoints)
        )
        line = route(ctx.rng, pts, wiggle=0.02, step=250.0)
        if not ctx.placer.inner.contains(line):
            msg = f"道路 {road.name} 的示意线位超出市界"
            raise RuntimeError(msg)
        length = round(line.length)
        long_chain = road.chain_break[1] if road.chain_break else 0.0
        end_chain = length - long_chain
        pid = f"DL2022-{k:02d}"
        attrs: dict[str, Any] = {
            "项目名称": road.name,
            "起讫点": road.ends,
            "道路等级": road.grade,
            "用地分类编码": road.code,
            "建设性质": road.nature,
            "起点桩号": "K0+000",
            "终点桩号": chainage(end_chain),
            "断链": (
                f"{chainage(road.chain_break[0])}={chainage(road.chain_break[0] - long_chain)}（长链 {long_chain:.0f} m）"
                if road.chain_break
                else None
            ),
            "路线长度（km）": round(length / 1000, 3),
            "年度任务": road.task,
            "责任单位": road.owner,
            "总投资（万元）": float(
                round(
                    length
                    * ctx.uniform(0.9, 2.2)
                    * (6 if road.grade in ("高速公路", "一级公路") else 3),
                    -2,
                )
            ),
            "建设阶段": "在建"
            if road.task in ("2022年建成", "2022年实施")
            and road.name not in ("方岩互通至开发区道路", "金温高铁枢纽配套道路")
            else "前期",
        }
        if attrs["建设阶段"] == "在建":
            attrs["开工日期"] = ctx.day_between(D(2020, 9, 1), D(2021, 10, 31)).isoformat()
        attrs["计划建成日期"] = {
            "2022年建成": "2022-12-31", "2022年实施": "2024-06-30", "2022年开工": "2024-12-31",
        }.get(road.task, "2026-12-31")  # fmt: skip
        note = "示意线位；" + (
            f"断链：{attrs['断链']}" if road.chain_break else "桩号按示意线位长度推算"
        )
        project = ctx.add("road_projects", pid, line, attrs, note=note)
        ctx.placer.add(line.buffer(25.0))
        _road_history(ctx, project, road, line, length, long_chain)


def _chain_to_distance(chain: float, road: _Road) -> float:
    if road.chain_break and chain > road.chain_break[0] - road.chain_break[1]:
        return chain + road.chain_break[1]
    return chain


def _road_history(
    ctx: Ctx, project: Feature, road: _Road, line: BaseGeometry, length: float, long_chain: float
) -> None:
    plan = _section_plan(road.name, length)
    done_project = {
        "城北东路": D(2022, 9, 28),
        "南四环": D(2022, 12, 16),
        "南都路延伸": D(2022, 7, 26),
        "永义公路枫坑隧道": D(2022, 11, 30),
    }.get(road.name)
    starts = {
        "方岩互通至开发区道路": D(2022, 9, 16),
        "花园立交桥": D(2022, 11, 8),
        "东永一线（黄城里—花园段）改造": D(2022, 10, 12),
        "五金物流港配套道路一期": D(2022, 12, 12),
    }
    if road.name in starts:
        ctx.status(project, starts[road.name], "在建", stamps={"在建": "开工日期"})
    for s, (a, b, lane) in enumerate(plan, start=1):
        # the chainage of a section excludes the long chain: distances beyond the break are shifted
        ca = a if not road.chain_break or a <= road.chain_break[0] else a - long_chain
        cb = b if not road.chain_break or b <= road.chain_break[0] else b - long_chain
        geom = shapely.ops.substring(
            line, _chain_to_distance(ca, road), _chain_to_distance(cb, road)
        )
        if lane != "全幅":
            geom = geom.offset_curve(6.0 if lane == "右幅" else -6.0)
        start = starts.get(road.name)
        attrs: dict[str, Any] = {
            "所属项目": project.fid,
            "路段名称": f"{road.name}{chainage(ca)}—{chainage(cb)}段"
            + ("" if lane == "全幅" else f"（{lane}）"),
            "起点桩号": chainage(ca),
            "终点桩号": chainage(cb),
            "线位": lane,
            "状态": "未开工" if start else "施工中",
        }
        if not start:
            attrs["开工日期"] = project.attrs.get("开工日期")
        attrs["计划完成日期"] = (done_project or D(2023, 12, 31)).isoformat()
        section = ctx.add(
            "road_sections", f"{project.fid}-{s}", geom, attrs, town=ctx.town_at(geom)
        )
        if start:
            ctx.status(
                section,
                start + dt.timedelta(days=ctx.integer(0, 10)),
                "施工中",
                stamps={"施工中": "开工日期"},
            )
            continue
        if done_project:
            frac = s / len(plan)
            lo = D(2022, 3, 1) + dt.timedelta(
                days=int((done_project - D(2022, 3, 1)).days * (frac - 0.5 / len(plan)) * 0.85)
            )
            day = (
                ctx.day_between(lo, done_project - dt.timedelta(days=5))
                if s < len(plan)
                else done_project - dt.timedelta(days=3)
            )
            ctx.status(section, day, "已建成")
        elif road.task == "2022年实施":
            share = {"松石路": 1, "华溪北路": 1, "金武永磐公路（S316）如春至白窖段": 2}.get(
                road.name, 0
            )
            if s <= share:
                ctx.status(section, ctx.day_between(D(2022, 4, 1), D(2022, 12, 15)), "已建成")
    if done_project:
        ctx.status(project, done_project, "建成")


# --- water ------------------------------------------------------------------------------------

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
