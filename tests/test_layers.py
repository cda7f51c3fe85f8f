"""Tests for ykgeo.layers and the shipped layers/*.toml: schema, vocabularies, palette, the 2022 plan, broken files."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest

from tests._builders import PALETTE, PARCEL_STATUSES, field, layer_toml, plan_toml, target_toml
from ykgeo.errors import LayerError, YkgeoError
from ykgeo.layers import (
    DEFAULT_LAYER_DIR,
    LayerRegistry,
    LayerSpec,
    TargetPlan,
    load_layers,
    load_plan,
)

# --- what must ship --------------------------------------------------------------------------------

LAYER_KEYS = {
    "low_efficiency_industrial", "unsupplied_approved", "stock_revitalisation", "redevelopment",
    "industrial_transfer", "land_consolidation", "state_factories", "reservoirs", "reservoir_surfaces",
    "ponds", "water_supply", "road_projects", "road_sections", "renewal_blocks", "city_boundary",
    "townships", "farmland_high_standard", "greening", "mine_restoration", "sewage_works",
    "sewage_mains", "old_estates", "feature_streets", "townscape_areas", "parks", "schools",
    "rental_housing", "culture_sites", "industrial_parcels",
}  # fmt: skip
REFERENCE_KEYS = {"city_boundary", "townships", "reservoir_surfaces", "industrial_parcels"}
THEMES = {"土地", "水利", "交通", "城市更新", "生态与民生", "参考"}

#: Not started grey, in progress amber, done green: one palette for every layer.
GREY, AMBER, GREEN = "#b0bec5", "#f9a825", "#2e7d32"

#: Every figure of /work/shared/targets-2022.md that has a map layer: key → (layer, measure, value, unit).
TARGETS_2022 = {
    # land (000 有效投资)
    "low_efficiency_remediation": ("low_efficiency_industrial", "area", 5000, "亩"),
    "unsupplied_digestion": ("unsupplied_approved", "area", 2600, "亩"),
    "stock_revitalisation": ("stock_revitalisation", "area", 2600, "亩"),
    "low_efficiency_redevelopment": ("redevelopment", "area", 2600, "亩"),
    "industrial_transfer": ("industrial_transfer", "area", 2000, "亩"),
    "land_consolidation": ("land_consolidation", "count", 6, "个"),
    "state_factories_floor_area": ("state_factories", "field_sum", 2_000_000, "m²"),
    # water
    "reservoir_safety": ("reservoirs", "count", 16, "座"),
    "pond_safety": ("ponds", "count", 100, "座"),
    "water_supply": ("water_supply", "count", 2, "个"),
    # roads: 4 completed (003 建成); 5 under way (松石路, 华溪北路, 金武永磐 = S316, 金温高铁枢纽配套,
    # 方岩互通至开发区道路); 3 to start (花园立交桥, 东永一线改造, 五金物流港配套道路一期); km by chainage
    "road_completion": ("road_projects", "count", 4, "个"),
    "road_construction": ("road_projects", "count", 5, "个"),
    "road_start": ("road_projects", "count", 3, "个"),
    "road_built_km": ("road_sections", "chainage_km", 0, "km"),
    # urban renewal and towns
    "renewal_blocks": ("renewal_blocks", "count", 5, "个"),
    "village_redevelopment": ("renewal_blocks", "count", 2, "个"),
    "urban_village_renovation": ("renewal_blocks", "count", 1, "个"),
    "old_estates": ("old_estates", "count", 3, "个"),
    "feature_streets": ("feature_streets", "count", 2, "条"),
    "townscape_areas": ("townscape_areas", "count", 2, "个"),
    "townscape_start": ("townscape_areas", "count", 3, "个"),
    "park_design": ("parks", "count", 3, "个"),
    "park_upgrade": ("parks", "count", 2, "个"),
    # environment and countryside
    "farmland": ("farmland_high_standard", "area", 10_000, "亩"),
    "greening": ("greening", "area", 3400, "亩"),
    "mine_restoration": ("mine_restoration", "count", 3, "处"),
    "sewage_plants": ("sewage_works", "count", 3, "座"),
    "sewage_mains": ("sewage_mains", "length_km", 5.7, "km"),
    "rural_sewage_terminals": ("sewage_works", "count", 10, "个"),
    "wetland_park": ("parks", "count", 1, "个"),
    "rental_housing": ("rental_housing", "field_sum", 8400, "套"),
    "primary_schools": ("schools", "count", 6, "座"),
    "kindergartens": ("schools", "count", 5, "座"),
    # culture and tourism (000 文润永康)
    "culture_sites_start": ("culture_sites", "count", 4, "个"),
    "shangshan_protection_plan": ("culture_sites", "count", 1, "个"),
    "huxi_park_design": ("culture_sites", "count", 1, "个"),
}

#: The land-class codes the shipped layers may use, per classification (conventions §3).
GB_T_21010_CODES = {"0101", "0102", "0103", "0508", "0601", "0602", "0604", "1103", "1104"}
YONGDI_YONGHAI_CODES = {
    "0301",
    "0302",
    "0303",
    "0304",
    "1201",
    "1202",
    "1206",
    "1207",
    "1401",
    "1402",
    "1403",
}

TOWNSHIPS = {
    "330784001": "东城街道", "330784002": "西城街道", "330784003": "江南街道", "330784105": "石柱镇",
    "330784106": "前仓镇", "330784107": "舟山镇", "330784108": "古山镇", "330784109": "方岩镇",
    "330784110": "龙山镇", "330784111": "西溪镇", "330784112": "象珠镇", "330784113": "唐先镇",
    "330784114": "花街镇", "330784115": "芝英镇",
}  # fmt: skip

_CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def registry() -> LayerRegistry:
    return load_layers()


def _layers(registry: LayerRegistry) -> list[LayerSpec]:
    return list(registry.values())


# --- the shipped layer definitions -----------------------------------------------------------------


def test_every_required_layer_key_is_present(registry: LayerRegistry) -> None:
    missing = LAYER_KEYS - set(registry)
    assert not missing, f"missing layers: {sorted(missing)}"


def test_each_file_is_named_after_its_key() -> None:
    for path in sorted(DEFAULT_LAYER_DIR.glob("*.toml")):
        if path.name.startswith(("targets-", "mujun-")):
            continue
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        assert raw["key"] == path.stem, path.name


def test_themes_orders_and_chinese_ui_text(registry: LayerRegistry) -> None:
    orders = [spec.order for spec in _layers(registry)]
    assert len(set(orders)) == len(orders), "display orders must be distinct"
    for spec in _layers(registry):
        assert spec.theme in THEMES, spec.key
        assert _CJK.search(spec.name_zh), spec.key
        assert spec.name_en, spec.key
        assert _CJK.search(spec.description_zh), spec.key
    assert [s.theme for s in _layers(registry)][-2:] == ["参考", "参考"]  # boundaries draw last


def test_id_field_is_a_required_string(registry: LayerRegistry) -> None:
    for spec in _layers(registry):
        f = spec.field(spec.id_field)
        assert f.type == "str" and f.required, spec.key
        assert spec.name_field, spec.key
        assert spec.field(spec.name_field).type == "str", spec.key


def test_non_reference_layers_have_township_and_status(registry: LayerRegistry) -> None:
    for spec in _layers(registry):
        if spec.key in REFERENCE_KEYS:
            assert spec.reference, spec.key
            assert spec.status is None, spec.key
            assert not spec.style.status_colors, spec.key
            continue
        assert not spec.reference, spec.key
        assert spec.township_field == "所属镇街", spec.key
        assert spec.field("所属镇街").required, spec.key
        status = spec.status
        assert status is not None, spec.key
        assert status.done and status.in_progress and status.not_started, spec.key
        assert spec.field(status.field).required, spec.key


def test_status_date_fields_exist_and_are_dates(registry: LayerRegistry) -> None:
    for spec in _layers(registry):
        if spec.status is None:
            continue
        for ref in (spec.status.date_field, spec.status.planned_date_field):
            assert ref, spec.key
            assert spec.field(ref).type == "date", (spec.key, ref)


def test_every_status_has_the_shared_palette_colour(registry: LayerRegistry) -> None:
    for spec in _layers(registry):
        if spec.status is None:
            continue
        colours = spec.style.status_colors
        assert set(colours) == set(spec.status.values), spec.key
        for value in spec.status.not_started:
            assert colours[value] == GREY, (spec.key, value)
        for value in spec.status.in_progress:
            assert colours[value] == AMBER, (spec.key, value)
        for value in spec.status.done:
            assert colours[value] == GREEN, (spec.key, value)


def test_status_vocabularies_run_not_started_then_in_progress_then_done(
    registry: LayerRegistry,
) -> None:
    for spec in _layers(registry):
        status = spec.status
        if status is None:
            continue
        assert len(set(status.values)) == len(status.values), spec.key
        ranks = [status.rank(v) for v in status.values]
        last_not_started = max(status.rank(v) for v in status.not_started)
        first_done = min(status.rank(v) for v in status.done)
        assert all(last_not_started < status.rank(v) < first_done for v in status.in_progress), (
            spec.key
        )
        assert ranks == sorted(ranks)


def test_aliases_do_not_collide_within_a_layer(registry: LayerRegistry) -> None:
    for spec in _layers(registry):
        seen: dict[str, str] = {}
        for f in spec.fields:
            for alias in (f.name, *f.aliases):
                key = alias.casefold()
                assert seen.get(key, f.name) == f.name, (spec.key, alias, seen.get(key), f.name)
                seen[key] = f.name


def test_bureau_aliases_resolve(registry: LayerRegistry) -> None:
    assert registry["low_efficiency_industrial"].alias_map()["dkbh"] == "地块编号"
    assert registry["state_factories"].alias_map()["xmmc"] == "项目名称"
    assert registry["industrial_transfer"].alias_map()["面积（亩）"] == "出让面积（亩）"
    assert registry["road_projects"].alias_map()["状态"] == "建设阶段"
    assert registry["road_sections"].alias_map()["wcrq"] == "完成日期"
    assert registry["unsupplied_approved"].alias_map()["sszj"] == "所属镇街"


def test_classification_is_explicit_and_codes_belong_to_it(registry: LayerRegistry) -> None:
    for spec in _layers(registry):
        if not spec.code_field:
            continue
        assert spec.classification in {"GB/T 21010", "用地用海"}, spec.key
        allowed = GB_T_21010_CODES if spec.classification == "GB/T 21010" else YONGDI_YONGHAI_CODES
        assert set(spec.field(spec.code_field).choices) <= allowed, spec.key
    # parcel ledgers use GB/T 21010, planning layers 用地用海
    for key in (
        "low_efficiency_industrial",
        "unsupplied_approved",
        "stock_revitalisation",
        "industrial_transfer",
    ):
        assert registry[key].classification == "GB/T 21010", key
    for key in ("redevelopment", "renewal_blocks", "greening", "road_projects"):
        assert registry[key].classification == "用地用海", key
    surfaces = registry["reservoir_surfaces"]
    assert surfaces.classification == "GB/T 21010"
    assert surfaces.field(surfaces.code_field).choices == ("1103",)  # 1703 in 用地用海


def test_ledger_area_fields_are_float_mu(registry: LayerRegistry) -> None:
    for spec in _layers(registry):
        if spec.ledger_area_field:
            f = spec.field(spec.ledger_area_field)
            assert (f.type, f.unit) == ("float", "亩"), spec.key
            assert spec.geometry_type == "Polygon", spec.key


def test_geometry_types(registry: LayerRegistry) -> None:
    points = {"reservoirs", "ponds", "sewage_works", "schools", "rental_housing", "culture_sites"}
    lines = {"water_supply", "road_projects", "road_sections", "sewage_mains", "feature_streets"}
    for spec in _layers(registry):
        expected = (
            "Point" if spec.key in points else "LineString" if spec.key in lines else "Polygon"
        )
        assert spec.geometry_type == expected, spec.key


def test_field_types_that_matter(registry: LayerRegistry) -> None:
    assert registry["industrial_transfer"].field("电子监管号").type == "str"
    assert registry["unsupplied_approved"].field("批准日期").type == "date"
    assert registry["unsupplied_approved"].field("批准文号").type == "str"
    assert registry["state_factories"].field("建筑面积（m²）").type == "float"
    assert registry["rental_housing"].field("套数").type == "int"
    for key in ("road_projects", "road_sections"):
        for name in ("起点桩号", "终点桩号"):
            f = registry[key].field(name)
            assert f.type == "str" and f.required, (key, name)
    assert registry["road_projects"].field("断链").type == "str"
    assert registry["road_sections"].field("所属项目").required
    assert registry["reservoir_surfaces"].field("注册登记号").required
    assert registry["reservoirs"].id_field == "注册登记号"


def test_choice_vocabularies(registry: LayerRegistry) -> None:
    assert registry["reservoirs"].field("规模").choices == ("中型", "小(1)型", "小(2)型")
    assert registry["ponds"].field("山塘类型").choices == ("普通", "屋顶", "高坝")
    assert set(registry["renewal_blocks"].field("更新类型").choices) == {
        "城市更新",
        "整村连片开发",
        "城中村改造",
        "老旧小区改造",
    }
    assert registry["road_projects"].status.values == ("前期", "在建", "建成")  # type: ignore[union-attr]
    assert registry["road_projects"].status.field == "建设阶段"  # type: ignore[union-attr]
    assert registry["road_sections"].status.values == ("未开工", "施工中", "已建成")  # type: ignore[union-attr]
    assert registry["unsupplied_approved"].status.values == ("未供", "供地中", "已供")  # type: ignore[union-attr]
    assert registry["unsupplied_approved"].status.date_field == "供地日期"  # type: ignore[union-attr]
    assert registry["industrial_transfer"].status.values == ("拟出让", "挂牌中", "已成交")  # type: ignore[union-attr]
    assert registry["reservoirs"].status.done == ("完工", "验收")  # type: ignore[union-attr]
    assert set(registry["sewage_works"].field("设施类型").choices) == {
        "污水处理厂",
        "农村生活污水处理终端",
    }
    assert {"小学", "幼儿园"} <= set(registry["schools"].field("学校类型").choices)


def test_townships_are_the_fourteen_nbs_units(registry: LayerRegistry) -> None:
    spec = registry["townships"]
    assert spec.theme == "参考"
    assert spec.field("统计用区划代码").choices == tuple(TOWNSHIPS)
    assert spec.field("镇街名称").choices == tuple(TOWNSHIPS.values())
    assert spec.field("类型").choices == ("街道", "镇")
    assert all(re.fullmatch(r"330784\d{3}", code) for code in TOWNSHIPS)
    assert "示意" in spec.description_zh  # the zones are illustrative and must say so
    assert "说明" in spec.field_names
    assert {"名称", "行政区划代码", "数据来源"} <= set(registry["city_boundary"].field_names)


# --- the 2022 plan ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan_2022() -> TargetPlan:
    return load_plan(2022)


def test_plan_year_and_source(plan_2022: TargetPlan) -> None:
    assert plan_2022.year == 2022
    assert _CJK.search(plan_2022.name_zh)
    assert "000" in plan_2022.source_zh and "003" in plan_2022.source_zh


@pytest.mark.parametrize("key", sorted(TARGETS_2022))
def test_every_2022_target_with_its_exact_figure(plan_2022: TargetPlan, key: str) -> None:
    layer, measure, value, unit = TARGETS_2022[key]
    target = plan_2022.target(key)
    assert (target.layer, target.measure, target.value, target.unit) == (
        layer,
        measure,
        value,
        unit,
    )


def test_no_unexpected_targets(plan_2022: TargetPlan) -> None:
    assert {t.key for t in plan_2022} == set(TARGETS_2022)


def test_target_rules_fit_their_layers(plan_2022: TargetPlan, registry: LayerRegistry) -> None:
    for t in plan_2022:
        spec = registry[t.layer]
        assert t.name_en and _CJK.search(t.name_zh) and t.source_zh, t.key
        assert t.at_least, t.key
        assert spec.status is not None, t.key
        assert t.statuses, t.key
        assert not set(t.statuses) & set(spec.status.not_started), t.key
        # counted statuses are a tail of the vocabulary: once counted, a later stage still counts
        ranks = sorted(spec.status.rank(s) for s in t.statuses)
        assert ranks == list(range(ranks[0], len(spec.status.values))), t.key
        expected_rule = "split" if spec.geometry_type == "LineString" else "majority"
        assert t.township_rule == expected_rule, t.key
        if t.measure == "area":
            assert spec.geometry_type == "Polygon", t.key
        if t.measure in {"length_km", "chainage_km"}:
            assert spec.geometry_type == "LineString", t.key
        if t.measure == "chainage_km":
            assert {"起点桩号", "终点桩号"} <= set(spec.field_names), t.key
        if t.measure == "field_sum":
            assert spec.field(t.field).type in {"int", "float"}, t.key
        else:
            assert t.value > 0 or t.key == "road_built_km", t.key
        if t.area_source == "ledger":
            assert t.measure == "area" and "台账" in t.note_zh, t.key
        for fname, values in t.filter.items():
            choices = spec.field(fname).choices
            assert not choices or set(values) <= set(choices), (t.key, fname)


def test_area_source_is_geometry_except_contract_areas(plan_2022: TargetPlan) -> None:
    ledger = {t.key for t in plan_2022 if t.area_source == "ledger"}
    assert ledger == {"industrial_transfer"}


def test_milestones_are_fractions_rising_to_one_at_year_end(plan_2022: TargetPlan) -> None:
    with_milestones = [t for t in plan_2022 if t.milestones]
    assert {t.key for t in with_milestones} >= {
        "low_efficiency_remediation",
        "reservoir_safety",
        "culture_sites_start",
    }
    for t in with_milestones:
        dates = [d for d, _ in t.milestones]
        fractions = [f for _, f in t.milestones]
        assert all(d.year == 2022 for d in dates), t.key
        assert fractions == sorted(fractions), t.key
        assert all(0.0 <= f <= 1.0 for f in fractions), t.key
        assert t.milestones[-1] == (dt.date(2022, 12, 31), 1.0), t.key
    culture = dict(plan_2022.target("culture_sites_start").milestones)
    assert culture[dt.date(2022, 10, 31)] == 0.25  # 芝英千年古城 on site by end of October
    assert culture[dt.date(2022, 11, 30)] == 1.0  # the other three start by end of November


def test_target_filters(plan_2022: TargetPlan) -> None:
    assert plan_2022.target("renewal_blocks").filter == {"更新类型": ("城市更新",)}
    assert plan_2022.target("road_completion").filter == {"年度任务": ("2022年建成",)}
    assert plan_2022.target("primary_schools").filter == {"学校类型": ("小学",)}
    assert plan_2022.target("kindergartens").filter == {"学校类型": ("幼儿园",)}
    assert plan_2022.target("state_factories_floor_area").field == "建筑面积（m²）"
    assert plan_2022.target("rental_housing").field == "套数"


def test_unknown_target_key_is_a_layer_error(plan_2022: TargetPlan) -> None:
    with pytest.raises(LayerError, match="没有目标"):
        plan_2022.target("no_such_target")
    with pytest.raises(LayerError, match="未知图层"):
        load_layers()["no_such_layer"]


# --- broken definitions ----------------------------------------------------------------------------

VALID_LAYER = layer_toml(
    "demo",
    name_zh="演示图层",
    theme="土地",
    geometry_type="Polygon",
    id_field="编号",
    statuses=PARCEL_STATUSES,
    date_field="完成日期",
    fields=[field("编号", required=True), "状态", field("完成日期", "date")],
    colours=PALETTE,
)

VALID_PLAN = plan_toml(
    2022,
    "演示计划",
    target_toml(
        "demo_target", name_zh="演示目标", layer="demo", measure="count", value=3, unit="个"
    ),
)


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_valid_fixture_loads(tmp_path: Path) -> None:
    _write(tmp_path, "demo.toml", VALID_LAYER)
    _write(tmp_path, "targets-2022.toml", VALID_PLAN)
    registry = load_layers(tmp_path)
    assert list(registry) == ["demo"]
    plan = load_plan(2022, tmp_path)
    assert plan.target("demo_target").statuses == ("已完成",)  # defaults to the layer's done


BROKEN_LAYERS = {
    "toml-syntax": VALID_LAYER.replace('name_zh = "演示图层"', 'name_zh = "演示图层'),
    "missing-id_field": VALID_LAYER.replace('id_field = "编号"\n', ""),
    "missing-theme": VALID_LAYER.replace('theme = "土地"\n', ""),
    "bad-geometry": VALID_LAYER.replace('"Polygon"', '"MultiPolygon"'),
    "bad-field-type": VALID_LAYER.replace('type = "date"', 'type = "datetime"'),
    "field-without-name": VALID_LAYER.replace('name = "状态"', 'label_en = "Status"'),
    "duplicate-field": VALID_LAYER + '\n[[fields]]\nname = "编号"\n',
    "done-not-in-values": VALID_LAYER.replace('done = ["已完成"]', 'done = ["完成"]'),
    "status-field-missing": VALID_LAYER.replace('field = "状态"', 'field = "进度"'),
    "id-field-missing": VALID_LAYER.replace('id_field = "编号"', 'id_field = "地块编号"'),
    "township-field-missing": VALID_LAYER.replace(
        'id_field = "编号"', 'id_field = "编号"\ntownship_field = "所属镇街"'
    ),
    "bad-classification": VALID_LAYER.replace(
        'id_field = "编号"', 'id_field = "编号"\nclassification = "GB/T 21010-2007"'
    ),
    "colour-missing": VALID_LAYER.replace(', "已完成" = "#2e7d32"', ""),
}


@pytest.mark.parametrize("case", sorted(BROKEN_LAYERS))
def test_broken_layer_file_gives_layer_error_naming_the_file(tmp_path: Path, case: str) -> None:
    _write(tmp_path, "broken_demo.toml", BROKEN_LAYERS[case])
    with pytest.raises(LayerError, match=r"broken_demo\.toml"):
        load_layers(tmp_path)


def test_layer_error_is_also_a_key_error_and_a_ykgeo_error(tmp_path: Path) -> None:
    _write(tmp_path, "broken_demo.toml", BROKEN_LAYERS["bad-geometry"])
    with pytest.raises(KeyError) as info:
        load_layers(tmp_path)
    assert isinstance(info.value, YkgeoError)
    assert str(info.value).startswith("图层定义 broken_demo.toml 有误")  # no KeyError quoting


def test_a_layer_key_in_the_stores_own_namespace_is_refused(tmp_path: Path) -> None:
    # ykgeo_plans, ykgeo_mujun … are the store's own tables and edit-log records
    text = re.sub(r'^key = "[^"]*"', 'key = "ykgeo_plans"', VALID_LAYER, count=1, flags=re.M)
    _write(tmp_path, "ykgeo_plans.toml", text)
    with pytest.raises(LayerError, match=r"ykgeo_plans\.toml.*ykgeo_"):
        load_layers(tmp_path)


def test_code_field_without_classification_is_refused(tmp_path: Path) -> None:
    text = VALID_LAYER.replace('id_field = "编号"', 'id_field = "编号"\ncode_field = "地类编码"')
    text += '\n[[fields]]\nname = "地类编码"\n'
    _write(tmp_path, "coded.toml", text)
    with pytest.raises(LayerError, match=r"coded\.toml.*classification"):
        load_layers(tmp_path)
    # and the same file with the system named loads
    fixed = tmp_path / "fixed"
    _write(
        fixed,
        "coded.toml",
        text.replace(
            'code_field = "地类编码"', 'code_field = "地类编码"\nclassification = "用地用海"'
        ),
    )
    assert load_layers(fixed)["demo"].classification == "用地用海"


def test_non_utf8_layer_file_is_a_layer_error(tmp_path: Path) -> None:
    (tmp_path / "gbk_demo.toml").write_bytes(VALID_LAYER.encode("gbk"))
    with pytest.raises(LayerError, match=r"gbk_demo\.toml"):
        load_layers(tmp_path)


def test_duplicate_layer_key_names_the_second_file(tmp_path: Path) -> None:
    _write(tmp_path, "a_demo.toml", VALID_LAYER)
    _write(tmp_path, "b_demo.toml", VALID_LAYER)
    with pytest.raises(LayerError, match=r"b_demo\.toml.*demo"):
        load_layers(tmp_path)


def test_directory_without_layers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LayerError, match="没有图层定义"):
        load_layers(tmp_path)
    with pytest.raises(LayerError, match="2031"):
        load_plan(2031, DEFAULT_LAYER_DIR)


BROKEN_PLANS = {
    "toml-syntax": VALID_PLAN.replace("value = 3", "value = "),
    "missing-value": VALID_PLAN.replace("value = 3\n", ""),
    "bad-measure": VALID_PLAN.replace('"count"', '"volume"'),
    "unknown-status": VALID_PLAN + 'statuses = ["验收"]\n',
    "field-sum-without-field": VALID_PLAN.replace('"count"', '"field_sum"'),
    "ledger-without-ledger-field": VALID_PLAN + 'area_source = "ledger"\n',
    "filter-on-unknown-field": VALID_PLAN + 'filter = { "年度任务" = ["2022年建成"] }\n',
    "bad-milestone-date": VALID_PLAN + 'milestones = { "2022-13-01" = 0.5 }\n',
    "duplicate-target": VALID_PLAN + VALID_PLAN.split("\n\n", 1)[1],
}


@pytest.mark.parametrize("case", sorted(BROKEN_PLANS))
def test_broken_plan_gives_layer_error_naming_the_file(tmp_path: Path, case: str) -> None:
    _write(tmp_path, "demo.toml", VALID_LAYER)
    _write(tmp_path, "targets-2022.toml", BROKEN_PLANS[case])
    with pytest.raises(LayerError, match=r"targets-2022\.toml"):
        load_plan(2022, tmp_path)


# --- loader gaps found while writing these tests (ykgeo/layers.py, not edited here) ---------------


def test_status_table_without_values_names_the_file(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "no_values.toml",
        VALID_LAYER.replace('values = ["未启动", "推进中", "已完成"]\n', ""),
    )
    with pytest.raises(LayerError, match=r"no_values\.toml"):
        load_layers(tmp_path)


def test_status_date_field_must_be_a_declared_field(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "typo.toml",
        VALID_LAYER.replace('date_field = "完成日期"', 'date_field = "完成时间"'),
    )
    with pytest.raises(LayerError, match=r"typo\.toml"):
        load_layers(tmp_path)


def test_plan_with_unknown_layer_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "demo.toml", VALID_LAYER)
    _write(
        tmp_path, "targets-2022.toml", VALID_PLAN.replace('layer = "demo"', 'layer = "demo_typo"')
    )
    with pytest.raises(LayerError, match=r"targets-2022\.toml"):
        load_plan(2022, tmp_path)


def test_plan_with_misspelt_rule_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "demo.toml", VALID_LAYER)
    _write(tmp_path, "targets-2022.toml", VALID_PLAN + 'township_rule = "splitt"\n')
    with pytest.raises(LayerError, match=r"targets-2022\.toml"):
        load_plan(2022, tmp_path)


def test_non_utf8_plan_is_a_layer_error(tmp_path: Path) -> None:
    _write(tmp_path, "demo.toml", VALID_LAYER)
    (tmp_path / "targets-2022.toml").write_bytes(VALID_PLAN.encode("gbk"))
    with pytest.raises(LayerError, match=r"targets-2022\.toml"):
        load_plan(2022, tmp_path)


# --- issue 11: township targets, drafts and carried-over features in the plan ---------------------


def test_plan_keeps_township_targets_status_and_carried_over(tmp_path: Path) -> None:
    _write(tmp_path, "demo.toml", VALID_LAYER)
    text = (
        VALID_PLAN.replace("year = 2022", 'year = 2022\nstatus = "草案"')
        + '[targets.townships]\n"东城街道" = 3.5\n"西城街道" = 6.5\n'
        + '\n[[carried_over]]\ntarget = "demo_target"\nid = "A-1"\nname = "某厂"\ntownship = "东城街道"\n'
        + 'status = "推进中"\namount = 2.25\n'
    )
    _write(tmp_path, "targets-2022.toml", text)
    plan = load_plan(2022, tmp_path)
    target = plan.targets[0]
    assert plan.is_draft and plan.status == "草案"
    assert dict(target.township_values) == {"东城街道": 3.5, "西城街道": 6.5}
    assert target.has_township_values and target.value_set
    assert [(c.id, c.amount, c.township) for c in plan.carried_over] == [("A-1", 2.25, "东城街道")]


def test_plan_value_may_be_left_to_fill(tmp_path: Path) -> None:
    _write(tmp_path, "demo.toml", VALID_LAYER)
    draft = VALID_PLAN.replace("year = 2022", 'year = 2022\nstatus = "草案"')
    _write(tmp_path, "targets-2022.toml", re.sub(r"(?m)^value = .*\n", "", draft))
    target = load_plan(2022, tmp_path).targets[0]
    assert not target.value_set and target.value == 0.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("year = 2022", 'year = 2022\nstatus = "待定"'), "status"),
        (("value = 3", "value = -1"), "非负"),
        (
            ('name_zh = "演示目标"', 'name_zh = "演示目标"\ntownships = { "东城街道" = -2 }'),
            "不能为负",
        ),
        (
            ('name_zh = "演示目标"', 'name_zh = "演示目标"\ntownships = { "东城街道" = "两" }'),
            "数字",
        ),
    ],
)
def test_plan_refuses_bad_status_and_values(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    _write(tmp_path, "demo.toml", VALID_LAYER)
    assert change[0] in VALID_PLAN
    _write(tmp_path, "targets-2022.toml", VALID_PLAN.replace(*change))
    with pytest.raises(LayerError, match=message):
        load_plan(2022, tmp_path)


def test_rules_files_in_the_layer_folder_are_not_layers(tmp_path: Path) -> None:
    _write(tmp_path, "demo.toml", VALID_LAYER)
    _write(tmp_path, "mujun-rules.toml", 'name_zh = "规则"\n[default]\nmethod = "rank"\n')
    assert list(load_layers(tmp_path)) == ["demo"]
