"""The GeoPackage store: transactions, the bitemporal edit log, as-of rebuilds, concurrency."""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import shutil
import sqlite3
import subprocess
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from ykgeo.area import area_mu
from ykgeo.errors import StaleEditError, StoreError
from ykgeo.layers import DEFAULT_LAYER_DIR, load_layers
from ykgeo.store import TZ, Store, now

KEY = "low_efficiency_industrial"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _at(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture()
def registry(tmp_path: Path):
    layer_dir = tmp_path / "layers"
    layer_dir.mkdir()
    shutil.copy(DEFAULT_LAYER_DIR / f"{KEY}.toml", layer_dir)
    return load_layers(layer_dir)


def _parcels(ids: list[str], statuses: list[str]) -> gpd.GeoDataFrame:
    # squares of 100 m × 100 m in GK CM 120°E (exactly 15 亩 planar), stored in CGCS2000
    boxes = [
        shapely.box(500000 + 300 * i, 3198000, 500100 + 300 * i, 3198100) for i in range(len(ids))
    ]
    gdf = gpd.GeoDataFrame(
        {
            "地块编号": ids,
            "企业名称": [f"永康市测试五金制品有限公司{i}" for i in range(len(ids))],
            "所属镇街": ["东城街道"] * len(ids),
            "状态": statuses,
            "用地面积（亩）": [15.0] * len(ids),
        },
        geometry=boxes,
        crs=4549,
    )
    return gdf.to_crs(4490)


@pytest.fixture()
def store(tmp_path: Path, registry) -> Store:
    st = Store.create(tmp_path / "s.gpkg", layers=registry)
    st.import_features(
        KEY,
        _parcels(["A1", "A2", "A3"], ["未启动", "推进中", "未启动"]),
        user="张三",
        source="台账.xlsx",
        effective_date=dt.date(2022, 1, 1),
        recorded_at=_at(2022, 1, 5),
    )
    return st


def test_created_store_is_a_geopackage_gdal_reads_without_warnings(store: Store) -> None:
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(store.path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Warning" not in out.stdout + out.stderr
    assert "ERROR" not in out.stdout + out.stderr
    assert "Layer name: low_efficiency_industrial" in out.stdout
    assert "Feature Count: 3" in out.stdout
    gdf = pyogrio.read_dataframe(store.path, layer=KEY)
    assert gdf.crs.to_epsg() == 4490
    assert sorted(gdf["地块编号"]) == ["A1", "A2", "A3"]
    assert area_mu(gdf).round(6).tolist() == pytest.approx([15.0] * 3, rel=1e-6)


def test_read_layer_types_and_index(store: Store) -> None:
    gdf = store.read_layer(KEY)
    assert list(gdf.index) == ["A1", "A2", "A3"]
    assert gdf.crs.to_epsg() == 4490
    assert gdf["用地面积（亩）"].dtype == "float64"
    assert str(gdf["完成日期"].dtype).startswith("datetime64")
    assert (gdf["ykgeo_version"] == 1).all()
    assert set(gdf.geometry.geom_type) == {"MultiPolygon"}


def test_counts_of_every_layer_in_one_read(store: Store) -> None:
    counts = store.counts()
    assert list(counts) == store.layer_keys()
    assert counts == {k: len(store.read_layer(k)) for k in store.layer_keys()}
    assert counts[KEY] == 3


def test_as_of_uses_effective_and_recorded_dates(store: Store) -> None:
    store.update_feature(
        KEY,
        "A1",
        {"状态": "推进中"},
        user="李四",
        expected_version=1,
        effective_date=dt.date(2022, 3, 10),
        recorded_at=_at(2022, 3, 12),
    )
    store.update_feature(
        KEY,
        "A1",
        {"状态": "已完成", "完成日期": "2022-06-20"},
        user="李四",
        expected_version=2,
        recorded_at=_at(2022, 6, 25),
    )
    # a back-dated correction, recorded in October about September
    store.update_feature(
        KEY,
        "A2",
        {"状态": "已完成", "完成日期": "2022-09-15"},
        user="王五",
        expected_version=1,
        recorded_at=_at(2022, 10, 20),
    )

    def status(day: str, known_now: bool = False) -> dict[str, str]:
        kw = {"known_at": now()} if known_now else {}
        return dict(store.read_layer(KEY, as_of=dt.date.fromisoformat(day), **kw)["状态"])

    assert status("2021-12-31", known_now=True) == {}
    assert status("2022-01-04") == {}  # happened on Jan 1 but recorded on Jan 5
    assert status("2022-01-05") == {"A1": "未启动", "A2": "推进中", "A3": "未启动"}
    assert status("2022-03-11")["A1"] == "未启动"  # recorded on the 12th
    assert status("2022-03-11", known_now=True)["A1"] == "推进中"
    assert status("2022-06-30")["A1"] == "已完成"
    # the figure for 30 September does not change when asked after the correction …
    assert status("2022-09-30")["A2"] == "推进中"
    # … but asking with today's knowledge shows the correction
    assert status("2022-09-30", known_now=True)["A2"] == "已完成"
    done = store.read_layer(KEY, as_of=dt.date(2022, 6, 30))
    assert done.loc["A1", "完成日期"] == dt.datetime(2022, 6, 20)


def test_as_of_is_stable_after_later_edits(store: Store) -> None:
    before = store.read_layer(KEY, as_of=dt.date(2022, 2, 1))
    store.update_feature(
        KEY,
        "A3",
        {"状态": "已完成", "完成日期": "2022-01-20"},
        user="x",
        expected_version=1,
        recorded_at=_at(2022, 11, 1),
    )
    after = store.read_layer(KEY, as_of=dt.date(2022, 2, 1))
    assert before.drop(columns="geometry").equals(after.drop(columns="geometry"))
    assert (
        store.read_layer(KEY, as_of=dt.date(2022, 2, 1), known_at=now()).loc["A3", "状态"]
        == "已完成"
    )


def test_geometry_changes_and_deletes_are_visible_in_the_past(store: Store) -> None:
    old_geom = store.read_layer(KEY).loc["A1", "geometry"]
    bigger = shapely.affinity.scale(old_geom, 2, 2)
    store.update_feature(
        KEY,
        "A1",
        {"geometry": bigger},
        user="测绘",
        expected_version=1,
        effective_date=dt.date(2022, 5, 1),
        recorded_at=_at(2022, 5, 2),
    )
    store.delete_features(
        KEY, ["A2"], user="x", effective_date=dt.date(2022, 7, 1), recorded_at=_at(2022, 7, 2)
    )
    april = store.read_layer(KEY, as_of=dt.date(2022, 4, 30))
    may = store.read_layer(KEY, as_of=dt.date(2022, 5, 31))
    assert shapely.equals(april.loc["A1", "geometry"], old_geom)
    assert area_mu(may.loc[["A1"]]).iloc[0] == pytest.approx(60.0, rel=1e-4)
    assert "A2" in store.read_layer(KEY, as_of=dt.date(2022, 6, 30)).index
    assert (
        store.read_layer(KEY, as_of=dt.date(2022, 6, 30))
        .loc["A2", "企业名称"]
        .startswith("永康市测试")
    )
    assert "A2" not in store.read_layer(KEY, as_of=dt.date(2022, 7, 2)).index
    assert "A2" not in store.read_layer(KEY).index


def test_stale_edit_is_refused_and_changes_nothing(store: Store) -> None:
    store.update_feature(KEY, "A1", {"状态": "推进中"}, user="甲", expected_version=1)
    digest = _sha(store.path)
    with pytest.raises(StaleEditError, match="已被他人修改"):
        store.update_feature(KEY, "A1", {"状态": "已完成"}, user="乙", expected_version=1)
    assert _sha(store.path) == digest


def test_edit_log_records_who_when_old_and_new(store: Store) -> None:
    store.update_feature(
        KEY,
        "A1",
        {"状态": "推进中", "备注": "<b>已约谈</b>"},
        user="李四",
        expected_version=1,
        note="现场核查",
    )
    log = store.edit_log(layer=KEY, feature_id="A1")
    assert list(log["action"]) == ["insert", "update", "update"]
    upd = log[log["action"] == "update"].set_index("field")
    assert upd.loc["状态", "old_value"] == "未启动"
    assert upd.loc["状态", "new_value"] == "推进中"
    assert upd.loc["备注", "new_value"] == "<b>已约谈</b>"
    assert set(upd["user"]) == {"李四"}
    assert set(upd["note"]) == {"现场核查"}
    assert (upd["version"] == 2).all()
    assert store.data_version().log_id == int(log["log_id"].max())


def test_failed_batch_rolls_back_completely(store: Store) -> None:
    digest = _sha(store.path)
    from ykgeo.store import Edit

    with pytest.raises(StoreError, match="没有字段"):
        store.apply_edits(
            [Edit(KEY, "A1", {"状态": "已完成"}), Edit(KEY, "A2", {"不存在的字段": 1})], user="甲"
        )
    assert _sha(store.path) == digest
    assert store.read_layer(KEY).loc["A1", "状态"] == "未启动"


def test_import_failing_part_way_leaves_content_as_before(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = _sha(store.path)

    def boom(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    monkeypatch.setattr(Store, "_flush", boom)
    with pytest.raises(StoreError, match="写入项目库"):
        store.import_features(
            KEY,
            _parcels([f"B{i}" for i in range(6000)], ["未启动"] * 6000),
            user="甲",
            source="大批量.gpkg",
        )
    monkeypatch.undo()
    assert _sha(store.path) == digest
    assert store.count(KEY) == 3
    with sqlite3.connect(store.path) as conn:  # the R-tree triggers were restored with the rollback
        triggers = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'rtree_low%'"
        )
        assert triggers.fetchone()[0] == 6


def test_bulk_import_fills_the_spatial_index(tmp_path: Path, registry) -> None:
    st = Store.create(tmp_path / "big.gpkg", layers=registry)
    n = 6000
    summary = st.import_features(
        KEY, _parcels([f"B{i}" for i in range(n)], ["未启动"] * n), user="甲", source="x"
    )
    assert summary.added == n
    with sqlite3.connect(st.path) as conn:
        assert conn.execute(f"SELECT count(*) FROM rtree_{KEY}_geom").fetchone()[0] == n
        triggers = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'rtree_low%'"
        )
        assert triggers.fetchone()[0] == 6
    # GDAL's spatial filter goes through the R-tree
    first = st.read_layer(KEY).geometry.iloc[0]
    hit = pyogrio.read_dataframe(st.path, layer=KEY, bbox=first.bounds)
    assert "B0" in set(hit["地块编号"])
    assert len(hit) < 5


def test_upsert_logs_field_changes_dated_by_the_ledger(store: Store) -> None:
    incoming = _parcels(["A1", "A2", "A3", "A4"], ["已完成", "推进中", "未启动", "未启动"])
    incoming["完成日期"] = [dt.date(2022, 4, 8), None, None, None]
    summary = store.import_features(
        KEY, incoming, user="台账", source="6月台账.xlsx", recorded_at=_at(2022, 6, 30)
    )
    assert (summary.added, summary.updated, summary.unchanged) == (1, 1, 2)
    log = store.edit_log(layer=KEY, feature_id="A1")
    status_row = log[log["field"] == "状态"].iloc[0]
    assert status_row["effective_date"] == "2022-04-08"
    assert status_row["source"] == "6月台账.xlsx"
    # as known at the end of June, A1 was done in April
    assert (
        store.read_layer(KEY, as_of=dt.date(2022, 4, 30), known_at=_at(2022, 6, 30, 23)).loc[
            "A1", "状态"
        ]
        == "已完成"
    )
    # but what the store knew on 30 April did not include it
    assert store.read_layer(KEY, as_of=dt.date(2022, 4, 30)).loc["A1", "状态"] == "未启动"


def test_append_refuses_known_ids_and_wrong_crs(store: Store) -> None:
    digest = _sha(store.path)
    with pytest.raises(StoreError, match="已在"):
        store.import_features(
            KEY, _parcels(["A1"], ["未启动"]), user="x", source="x", mode="append"
        )
    with pytest.raises(StoreError, match="4490"):
        store.import_features(KEY, _parcels(["Z9"], ["未启动"]).to_crs(4549), user="x", source="x")
    assert _sha(store.path) == digest


def test_replace_mode_deletes_missing_ids(store: Store) -> None:
    assert store.removals(KEY, ["A1"]) == ["A2", "A3"]
    summary = store.import_features(
        KEY,
        _parcels(["A1"], ["未启动"]),
        user="x",
        source="x",
        mode="replace",
        confirmed_removals=["A2", "A3"],
    )
    assert summary.removed == 2
    assert list(store.read_layer(KEY).index) == ["A1"]


def test_replace_mode_deletes_only_what_was_confirmed(store: Store) -> None:
    digest = _sha(store.path)
    with pytest.raises(StoreError, match="须先列出并确认"):
        store.import_features(
            KEY, _parcels(["A1"], ["未启动"]), user="x", source="x", mode="replace"
        )
    shown = store.removals(KEY, ["A1"])
    store.import_features(KEY, _parcels(["A9"], ["未启动"]), user="乙", source="y")  # meanwhile
    with pytest.raises(StoreError, match="确认之后项目库已有变化"):
        store.import_features(
            KEY,
            _parcels(["A1"], ["未启动"]),
            user="x",
            source="x",
            mode="replace",
            confirmed_removals=shown,
        )
    assert sorted(store.read_layer(KEY).index) == ["A1", "A2", "A3", "A9"]
    assert digest != _sha(store.path)  # only 乙's import was written


def test_not_a_store(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="不是 ykgeo 项目库"):
        Store(bad)
    with pytest.raises(StoreError, match="找不到"):
        Store(tmp_path / "missing.gpkg")


def _worker(path: str, layer_dir: str, fid: str, n: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    st = Store(path, layers=load_layers(layer_dir))
    stale = 0
    for i in range(n):
        version = int(st.read_layer(KEY).loc[fid, "ykgeo_version"])
        try:
            st.update_feature(
                KEY, fid, {"备注": f"第{i}次"}, user=f"用户{fid}", expected_version=version
            )
        except StaleEditError:
            stale += 1
    queue.put(stale)


def test_two_processes_writing_at_once_lose_nothing(store: Store, tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker, args=(str(store.path), str(tmp_path / "layers"), fid, 15, queue)
        )
        for fid in ("A1", "A2")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert [queue.get(timeout=5), queue.get(timeout=5)] == [0, 0]
    now_ = store.read_layer(KEY)
    assert now_.loc["A1", "ykgeo_version"] == 16
    assert now_.loc["A2", "ykgeo_version"] == 16
    assert now_.loc["A1", "备注"] == "第14次"
    log = store.edit_log(layer=KEY)
    assert (log["action"] == "update").sum() == 30
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_same_feature_edited_from_an_old_version_is_refused(store: Store) -> None:
    other = Store(store.path, layers=store.layers)
    seen = int(store.read_layer(KEY).loc["A1", "ykgeo_version"])
    other.update_feature(KEY, "A1", {"状态": "推进中"}, user="甲", expected_version=seen)
    with pytest.raises(StaleEditError):
        store.update_feature(KEY, "A1", {"状态": "已完成"}, user="乙", expected_version=seen)
    assert store.read_layer(KEY).loc["A1", "状态"] == "推进中"


def test_store_keeps_the_layer_definitions_it_was_made_with(store: Store) -> None:
    reopened = Store(store.path)  # no registry given: the store's own definitions are used
    assert list(reopened.layers) == [KEY]
    assert reopened.spec(KEY).field_names == store.spec(KEY).field_names
    assert reopened.layer_keys() == [KEY]


def test_data_version_as_known_at_a_moment(store: Store) -> None:
    store.update_feature(
        KEY, "A1", {"状态": "推进中"}, user="甲", expected_version=1, recorded_at=_at(2022, 3, 1)
    )
    assert store.data_version(known_at=_at(2022, 2, 1)).recorded_at == "2022-01-05T10:00:00+08:00"
    assert store.data_version().recorded_at == "2022-03-01T10:00:00+08:00"
    assert store.data_version().log_id == store.data_version(known_at=now()).log_id
