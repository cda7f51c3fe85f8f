"""The shipped 2022 plan on the demo store: every target counted from the layer it names."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

import pytest

from tests.progress.conftest import (
    D,
)
from ykgeo.progress import (
    progress_report,
    report_to_json,
)
from ykgeo.store import Store

# --- the shipped plan on the demo store ----------------------------------------------------------

#: Every target of ../shared/targets-2022.md that has a map layer: (suggested key, words of its Chinese
#: term, figure, unit, layer it is counted on).
SHIPPED_TARGETS = [
    ("low_efficiency_remediation", "低效工业用地", 5000, "亩", "low_efficiency_industrial"),
    ("unsupplied_digestion", "批而未供", 2600, "亩", "unsupplied_approved"),
    ("stock_revitalisation", "盘活存量", 2600, "亩", "stock_revitalisation"),
    ("low_efficiency_redevelopment", "再开发", 2600, "亩", "redevelopment"),
    ("industrial_transfer", "出让工业用地", 2000, "亩", "industrial_transfer"),
    ("land_consolidation", "土地综合整治", 6, "个", "land_consolidation"),
    ("state_factories_floor_area", "标准厂房", 2_000_000, "m²", "state_factories"),
    ("reservoir_safety", "水库", 16, "座", "reservoirs"),
    ("pond_safety", "山塘", 100, "座", "ponds"),
    ("water_supply", "供水", 2, "个", "water_supply"),
    (
        "road_completion",
        "建成道路",
        4,
        "个",
        "road_projects",
    ),  # the four roads 003 names as built in 2022
    (
        "road_construction",
        "实施",
        5,
        "个",
        "road_projects",
    ),  # 松石路, 华溪北路, 金武永磐 = S316, 金温, 方岩互通
    ("road_start", "开工道路", 3, "个", "road_projects"),  # 花园立交桥, 东永一线, 五金物流港一期
    ("renewal_blocks", "城市更新", 5, "个", "renewal_blocks"),
    ("village_redevelopment", "整村连片", 2, "个", "renewal_blocks"),  # 黄棠, 周塘
    ("urban_village_renovation", "城中村", 1, "个", "renewal_blocks"),  # 许码头 and others
    ("townscape_areas", "省级风貌区", 2, "个", "townscape_areas"),
    ("townscape_start", "风貌区建设", 3, "个", "townscape_areas"),  # the three 003 names
    ("park_design", "规划设计", 3, "个", "parks"),  # 市民中心, 塔山公园, 金胜山森林公园
    ("park_upgrade", "公园提升", 2, "个", "parks"),  # 香樟公园, 龙川公园
    ("culture_sites_start", "开工", 4, "个", "culture_sites"),  # 芝英, 方岩老街, 四方老厂区, 大寒山
    ("shangshan_protection_plan", "上山", 1, "个", "culture_sites"),
    ("huxi_park_design", "湖西", 1, "个", "culture_sites"),
    ("old_estates", "老旧小区", 3, "个", "old_estates"),
    ("feature_streets", "精品街", 2, "条", "feature_streets"),
    ("farmland", "高标准农田", 10000, "亩", "farmland_high_standard"),
    ("greening", "绿化", 3400, "亩", "greening"),
    ("mine_restoration", "矿山", 3, "处", "mine_restoration"),
    ("sewage_mains", "污水主管", 5.7, "km", "sewage_mains"),
    ("rural_sewage_terminals", "污水处理终端", 10, "个", "sewage_works"),
    ("sewage_plants", "污水处理厂", 3, "座", "sewage_works"),
    ("wetland_park", "湿地公园", 1, "个", "parks"),
    ("rental_housing", "租赁住房", 8400, "套", "rental_housing"),
    ("primary_schools", "小学", 6, "座", "schools"),
    ("kindergartens", "幼儿园", 5, "座", "schools"),
]


def _shipped_or_skip() -> tuple[Any, Store]:
    from ykgeo.layers import DEFAULT_LAYER_DIR, load_plan
    from ykgeo.store import DEMO_STORE

    ci = os.environ.get("CI", "").lower() == "true"
    missing = [
        p.name for p in (DEFAULT_LAYER_DIR / "targets-2022.toml", DEMO_STORE) if not p.exists()
    ]
    if missing:
        reason = f"shipped plan or demo store missing: {', '.join(missing)} (run `make demo`)"
        if ci:
            pytest.fail(reason)
        pytest.skip(reason)
    return load_plan(2022), Store(DEMO_STORE)


def _find(rows: Iterable[Any], key: str, words: str, layer: str) -> Any:
    rows = list(rows)
    for r in rows:
        if r.key == key:
            return r
    for r in rows:
        if r.layer == layer and words in r.name_zh:
            return r
    return None


def test_shipped_plan_on_demo_store() -> None:
    plan, store = _shipped_or_skip()
    report = progress_report(store, as_of=D("2022-12-31"), year=2022)
    # every target of the shipped plan is in the output with its plan figure
    assert [r.key for r in report.rows] == [t.key for t in store.plan(2022).targets]
    assert {t.key: t.value for t in plan.targets} == {r.key: r.target for r in report.rows}
    layers = set(store.layer_keys())
    missing = []
    for key, words, value, unit, layer in SHIPPED_TARGETS:
        if layer not in layers:
            missing.append(f"{key}: layer {layer} not in the demo store")
            continue
        row = _find(report.rows, key, words, layer)
        if row is None:
            missing.append(f"{key} ({words}) not in the report")
            continue
        assert row.target == value, key
        assert row.unit == unit, key
        assert row.layer == layer, key
    assert not missing, missing
    data = report_to_json(report)
    for t in data["targets"]:
        assert re.fullmatch(r"[a-z0-9_]+", t["key"])
        assert t["rating"] in {"green", "amber", "red", "none"}
        assert sum(r["done"] for r in t["townships"]) == pytest.approx(t["done"], abs=1e-9)
