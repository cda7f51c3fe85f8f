"""What the land layers of the demo share: industrial clusters, parcels placed in them, ledger areas, status dates."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

import numpy as np
from shapely.geometry.base import BaseGeometry

from ykgeo.demo.geography import Township, industrial_parcel, organic_polygon
from ykgeo.demo.kit import Ctx, Feature, grid_angle

__all__ = [
    "QUARTER_ENDS",
    "TAX_CLASS_RANGES",
    "Cluster",
    "D",
    "industrial_clusters",
    "ledger",
    "neighbour",
    "place_parcel",
    "planned",
    "quarter_on_or_after",
    "rural_polygon",
    "short_firm",
    "sizes_mu",
    "three_stage",
]

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


def sizes_mu(ctx: Ctx, n: int, median: float, sigma: float, lo: float, hi: float) -> np.ndarray:
    return np.clip(ctx.rng.lognormal(math.log(median), sigma, size=n), lo, hi)


def quarter_on_or_after(day: D) -> D:
    return next(q for q in QUARTER_ENDS if q >= day)


def planned(ctx: Ctx, done: D | None) -> str:
    """A planned date: usually the quarter end the work was due in, sometimes a quarter earlier (late)."""
    if done is None:
        return ctx.names.pick(["2022-09-30", "2022-12-31", "2022-12-31", "2023-06-30"])
    q = quarter_on_or_after(done)
    if ctx.chance(0.2) and q != QUARTER_ENDS[0]:
        q = QUARTER_ENDS[QUARTER_ENDS.index(q) - 1]
    return q.isoformat()


def ledger(ctx: Ctx, mu: float) -> float:
    """A ledger area that mostly matches the geometry, sometimes by 2–8 % off (old surveys, rounding)."""
    if ctx.chance(0.25):
        return round(mu * (1 + ctx.uniform(0.02, 0.08) * (1 if ctx.chance(0.5) else -1)), 2)
    return round(mu * (1 + float(ctx.rng.normal(0.0, 0.004))), 2)


def three_stage(
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


def neighbour(ctx: Ctx, town: Township) -> Township:
    near = sorted(
        (t for t in ctx.geo.townships if t.code != town.code),
        key=lambda t: (t.zone.distance(town.zone), math.hypot(t.x - town.x, t.y - town.y)),
    )
    return near[0]


def short_firm(firm: str) -> str:
    for head in ("永康市", "浙江", "金华"):
        firm = firm.removeprefix(head)
    return firm.removesuffix("股份有限公司").removesuffix("有限公司")


def rural_polygon(
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
