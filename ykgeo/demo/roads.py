"""Demo road projects as lines: chainage (K12+300), sections, equations (断链) and their 2022 history."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from ykgeo.demo.geography import (
    route,
)
from ykgeo.demo.kit import Ctx, Feature

__all__ = ["ROAD_NAMES", "build_roads", "chainage"]

D = dt.date


def chainage(metres: float) -> str:
    """Chainage text K{km}+{m}: 12 300 m → K12+300."""
    m = round(metres)
    return f"K{m // 1000}+{m % 1000:03d}"


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
