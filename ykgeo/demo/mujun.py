"""Demo: the industrial-land register and the 2021/2022 亩均效益评价 tables (示意), consistent with the demo's parcels.

Drawn from the build's generator after every other draw (after the recording times), so
adding them leaves every other layer of the demo exactly as it was.

* Register (工业用地宗地): one parcel per low-efficiency parcel (same land, same firm and
  code) plus the land of other firms in the industrial clusters.
* 2021 evaluation (classes given by the county): the low-efficiency parcels keep the class
  that put them on the 2022 list; the other firms are mostly A/B, some C, a few D.
* 2022 evaluation (no classes: the rules classify): firms whose land was remediated in
  2022 score better; unfinished D/C firms stay low; a few firms newly fall to D and some
  stay C for the second year — next year's candidates.
* Each table also has firms that rent (no parcel of their own: listed as unmatched), rows
  without a credit code but with the factory's coordinates (matched by location), and one
  row with neither.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ykgeo.demo.geography import to_lonlat
from ykgeo.demo.kit import Ctx
from ykgeo.demo.land import TAX_CLASS_RANGES, industrial_clusters, place_parcel
from ykgeo.demo.names import credit_code

__all__ = ["MujunDemo", "build_mujun_demo"]

REGISTER = "industrial_parcels"
LOW = "low_efficiency_industrial"
_SOURCE = "地籍宗地（示意数据）"
#: 亩均增加值 and 单位能耗增加值 per class (万元/亩, 万元/吨标煤): illustrative ranges.
_VALUE_ADDED = {"A": (90.0, 160.0), "B": (45.0, 90.0), "C": (18.0, 45.0), "D": (3.0, 18.0)}
_PER_ENERGY = {"A": (2.5, 5.0), "B": (1.4, 2.5), "C": (0.7, 1.4), "D": (0.1, 0.7)}


@dataclass
class Firm:
    """One evaluated firm: its code, name, land (parcel key or None when it rents) and classes by year."""

    code: str
    name: str
    parcel: str | None
    land_mu: float
    point: tuple[float, float]
    classes: dict[int, str]


@dataclass(frozen=True)
class MujunDemo:
    """The two evaluation tables (as a county would send them) by year."""

    tables: dict[int, pd.DataFrame]

    def write_csv(self, folder: Path) -> dict[int, Path]:
        """Each table as ``亩均效益评价_YYYY（示意）.csv`` (UTF-8 with BOM, for Excel) in ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        out = {}
        for year, table in sorted(self.tables.items()):
            path = folder / f"亩均效益评价_{year}（示意）.csv"
            path.write_text(table.to_csv(index=False, lineterminator="\n"), encoding="utf-8-sig")
            out[year] = path
        return out


def _register_code(town_code: str, serial: int) -> str:
    return f"{town_code}{1 + serial // 400:03d}GB{serial % 100000:05d}"


def _figures(ctx: Ctx, cls: str) -> tuple[float, float, float]:
    lo, hi = TAX_CLASS_RANGES[cls]
    return (
        round(ctx.uniform(lo, hi), 2),
        round(ctx.uniform(*_VALUE_ADDED[cls]), 2),
        round(ctx.uniform(*_PER_ENERGY[cls]), 2),
    )


def build_mujun_demo(ctx: Ctx, *, done_2022: set[str], extra: int = 420) -> MujunDemo:
    """Add the register layer to ``ctx`` and return the 2021 and 2022 evaluation tables.

    ``done_2022`` holds the ids of the low-efficiency parcels remediated in 2022 (the
    demo's history decides it).
    """
    firms: list[Firm] = []
    serial = 0
    gone = {a.feature_id for a in ctx.anomalies if a.kind in ("deleted", "overlap_within_layer")}
    for feat in sorted(ctx.features.get(LOW, []), key=lambda f: f.fid):
        if feat.fid in gone:
            continue
        serial += 1
        key = _register_code(feat.town.code, serial)
        attrs = {
            "权利人": feat.attrs["企业名称"],
            "统一社会信用代码": feat.attrs["统一社会信用代码"],
            "地类编码": feat.attrs["地类编码"],
            "用地面积（亩）": feat.attrs.get("用地面积（亩）"),
            "数据来源": _SOURCE,
        }
        ctx.add(REGISTER, key, feat.geom, attrs, town=feat.town)
        c2021 = str(feat.attrs["亩均税收分类"])
        if feat.fid in done_2022:
            c2022 = "B" if ctx.chance(0.6) else "C"
        elif c2021 in ("C", "D"):
            c2022 = c2021 if ctx.chance(0.85) else "D"
        else:
            c2022 = c2021
        pt = feat.geom.representative_point()
        firms.append(
            Firm(
                attrs["统一社会信用代码"],
                attrs["权利人"],
                key,
                feat.mu,
                (pt.x, pt.y),
                {2021: c2021, 2022: c2022},
            )
        )
    clusters = industrial_clusters(ctx)
    sizes = np.clip(ctx.rng.lognormal(math.log(14.0), 0.7, size=extra), 4.0, 120.0)
    for mu in sizes:
        geom, town = place_parcel(ctx, clusters, float(mu) * 10000 / 15)
        serial += 1
        key = _register_code(town.code, serial)
        u = ctx.rng.random()
        if u < 0.06:
            c2021, c2022 = "C", "D"  # newly D
        elif u < 0.16:
            c2021, c2022 = "C", "C"  # C two years running
        elif u < 0.22:
            c2021, c2022 = "B", "C"  # C once
        elif u < 0.25:
            c2021, c2022 = "D", "C"
        elif u < 0.55:
            c2021, c2022 = "A", "A"
        else:
            c2021, c2022 = "B", "B"
        firm = ctx.names.firm(town.short)
        code = credit_code(ctx.rng)
        attrs = {
            "权利人": firm,
            "统一社会信用代码": code,
            "地类编码": ctx.names.pick(["0601"] * 9 + ["0508"]),
            "数据来源": _SOURCE,
        }
        feat = ctx.add(REGISTER, key, geom, attrs, town=town)
        feat.attrs["用地面积（亩）"] = round(feat.mu * (1 + float(ctx.rng.normal(0.0, 0.004))), 2)
        pt = geom.representative_point()
        firms.append(Firm(code, firm, key, feat.mu, (pt.x, pt.y), {2021: c2021, 2022: c2022}))
    # firms renting space: evaluated, no parcel of their own
    for _ in range(12):
        town = ctx.geo.townships[int(ctx.rng.integers(0, len(ctx.geo.townships)))]
        cls = ctx.names.pick(["B", "C", "C", "D"])
        firms.append(
            Firm(
                credit_code(ctx.rng),
                ctx.names.firm(town.short),
                None,
                round(ctx.uniform(2.0, 8.0), 2),
                (town.x, town.y),
                {2021: cls, 2022: cls},
            )
        )
    tables = {}
    for year in (2021, 2022):
        rows: list[dict[str, Any]] = []
        no_code = set(ctx.rng.choice(len(firms) - 12, size=8, replace=False).tolist())
        nothing = int(ctx.rng.integers(0, len(firms) - 12))
        for i, f in enumerate(firms):
            if (
                year == 2022
                and f.parcel is not None
                and f.classes[2022] == "B"
                and ctx.chance(0.05)
            ):
                continue  # a firm gone (收储、腾退) before the 2022 evaluation
            tax, added, energy = _figures(ctx, f.classes[year])
            lon = lat = float("nan")
            row_code: str | None = f.code
            if i in no_code or i == nothing:
                row_code = None
                if i != nothing:
                    ll = to_lonlat(shapely.Point(*f.point))
                    lon, lat = round(ll.x, 6), round(ll.y, 6)
            rows.append(
                {
                    "统一社会信用代码": row_code,
                    "企业名称": f.name,
                    "亩均税收（万元/亩）": tax,
                    "亩均增加值（万元/亩）": added,
                    "单位能耗增加值（万元/吨标煤）": energy,
                    "用地面积（亩）": round(f.land_mu, 2),
                    "经度": lon,
                    "纬度": lat,
                    **({"评价类别": f"{f.classes[year]}类"} if year == 2021 else {}),
                }
            )
        tables[year] = pd.DataFrame(rows)
    return MujunDemo(tables)
