"""A store ready for next year's candidates: parcels on the 2022 list, a register, two 亩均 years, a 2023 plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd

from tests._builders import gk_square
from tests.plan.test_evaluation import YONGKANG_4549, code, write_table
from ykgeo.layers import parse_plan
from ykgeo.plan import import_evaluation, plan_data, plan_to_toml
from ykgeo.store import TZ, Store

__all__ = ["CANDIDATE_LAYER", "CANDIDATE_TARGET", "T0", "add_candidate_data", "square"]

CANDIDATE_TARGET = "low_efficiency_remediation"
CANDIDATE_LAYER = "low_efficiency_industrial"
T0 = dt.datetime(2022, 1, 3, 9, tzinfo=TZ)


def square(n: int, size: float = 100.0) -> object:
    """The ``n``-th 100 m (or ``size``) square east of Yongkang's GK origin, 400 m apart."""
    return gk_square(400 * n, 0, size, origin=YONGKANG_4549)


def add_candidate_data(
    store: Store,
    folder: Path,
    *,
    firm_names: Mapping[int, str] | None = None,
    owners: Mapping[str, str] | None = None,
) -> Store:
    """Four parcels on the 2022 list, six in the register, two evaluations and a 2023 plan of 40 亩.

    ``firm_names`` renames firms of the evaluation tables by number (default ``企业{n}``;
    firm 9 is the one no parcel matches); ``owners`` renames the 权利人 of register parcels
    by 宗地代码 (Z1 … Z6).
    """
    names = {n: f"企业{n}" for n in range(1, 9)} | {9: "租用厂房的壬厂"} | dict(firm_names or {})
    firms = ["甲厂", "戊厂", "己厂", "庚厂", "辛厂", "丁厂"]
    owner = {f"Z{i}": firm for i, firm in enumerate(firms, start=1)} | dict(owners or {})
    listed = gpd.GeoDataFrame(
        {
            "地块编号": ["L1", "L2", "L3", "L4"],
            "企业名称": ["甲厂", "乙厂", "丙厂", "丁厂"],
            "统一社会信用代码": [code(1), code(2), code(3), code(4)],
            "所属镇街": ["东城街道"] * 4,
            "状态": ["推进中", "未启动", "推进中", "已完成"],
            "完成日期": [None, None, None, "2022-08-01"],
            "计划完成日期": ["2022-12-31", None, "2023-06-30", "2022-09-30"],
        },
        geometry=[square(1), square(2), square(3), square(4)],
        crs=4490,
    )
    common = {
        "user": "测试",
        "source": "测试",
        "effective_date": dt.date(2022, 1, 1),
        "recorded_at": T0,
    }
    store.import_features(CANDIDATE_LAYER, listed, **common)
    register = gpd.GeoDataFrame(
        {
            "宗地代码": [f"Z{i}" for i in range(1, 7)],
            "权利人": list(owner.values()),
            "统一社会信用代码": [code(1), code(5), code(6), code(7), code(8), None],
            "所属镇街": ["东城街道"] * 6,
        },
        # Z1 is L1's land (same code), Z6 is L4's land (no code: found by the overlap)
        geometry=[square(1), square(5), square(6, 200), square(7), square(8), square(4)],
        crs=4490,
    )
    store.import_features("industrial_parcels", register, **common)

    def row(n: int, cls: str, tax: float, land: float = 15) -> list[object]:
        return [code(n), names[n], tax, 20, 1.0, land, cls]

    t2021 = [row(1, "D", 0.5), row(2, "C", 4.0), row(3, "A", 30), row(4, "D", 1), row(5, "C", 5),
             row(6, "C", 3.0), row(7, "B", 9), row(8, "A", 25)]  # fmt: skip
    t2022 = [row(1, "D", 0.6), row(2, "C", 3.5), row(3, "A", 28), row(5, "D", 1.2), row(6, "C", 2.5),
             row(7, "C", 6), row(8, "A", 26), row(9, "D", 2.0, 3)]  # fmt: skip
    import_evaluation(store, write_table(folder / "2021.xlsx", t2021), year=2021, user="张三")
    import_evaluation(store, write_table(folder / "2022.xlsx", t2022), year=2022, user="张三")
    data = plan_data(store.plan(2022))
    data["year"] = 2023
    data["targets"] = [t for t in data["targets"] if t["key"] == CANDIDATE_TARGET]
    data["targets"][0]["value"] = 40
    data["targets"][0].pop("milestones", None)
    store.save_plan(parse_plan(plan_to_toml(data), name="2023", layers=store.layers), user="张三")
    return store
