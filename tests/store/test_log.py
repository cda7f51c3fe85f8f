"""The typed edit log (schema 2): values in columns of their type, back-dated events, partial reads, bulk loads."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ykgeo.layers import DEFAULT_LAYER_DIR, load_layers
from ykgeo.store import TZ, Edit, Store, gpkg
from ykgeo.store.history import as_of_layer
from ykgeo.store.write import _json_value

KEY = "low_efficiency_industrial"


def _at(m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(2022, m, d, h, tzinfo=TZ)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    layer_dir = tmp_path / "layers"
    layer_dir.mkdir()
    shutil.copy(DEFAULT_LAYER_DIR / f"{KEY}.toml", layer_dir)
    return Store.create(tmp_path / "s.gpkg", layers=load_layers(layer_dir))


def _parcels(ids: list[str], statuses: list[str], shift: float = 0.0) -> gpd.GeoDataFrame:
    n = len(ids)
    boxes = [
        shapely.box(500000 + 300 * (i % 400) + shift, 3198000 + 300 * (i // 400),
                    500100 + 300 * (i % 400) + shift, 3198100 + 300 * (i // 400))
        for i in range(n)
    ]  # fmt: skip
    return gpd.GeoDataFrame(
        {
            "地块编号": ids,
            "企业名称": [f"永康市测试五金制品有限公司{i}" for i in range(n)],
            "所属镇街": ["东城街道"] * n,
            "状态": statuses,
            "用地面积（亩）": [15.0] * n,
        },
        geometry=boxes,
        crs=4549,
    ).to_crs(4490)


def _log_rows(store: Store, where: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(store.path) as conn:
        return conn.execute(
            "SELECT field, old_text, new_text, typeof(new_number), new_number, typeof(new_geom) "
            f"FROM ykgeo_edit_log WHERE {where} ORDER BY log_id"
        ).fetchall()


def test_values_are_kept_in_columns_of_their_type(store: Store) -> None:
    store.import_features(KEY, _parcels(["A1"], ["未启动"]), user="甲", source="x",
                          recorded_at=_at(1, 5))  # fmt: skip
    square = _parcels(["A1"], ["未启动"], shift=50).geometry.iloc[0]
    store.update_feature(
        KEY, "A1",
        {"状态": "推进中", "计划完成日期": dt.date(2022, 9, 30), "容积率": 1.5, "geometry": square},
        user="乙", expected_version=1, recorded_at=_at(3, 1),
    )  # fmt: skip
    rows = {r[0]: r[1:] for r in _log_rows(store, "action = 'update'")}
    assert rows["状态"] == ("未启动", "推进中", "null", None, "null")
    assert rows["计划完成日期"] == (None, "2022-09-30", "null", None, "null")
    assert rows["容积率"] == (None, None, "real", 1.5, "null")
    assert rows["geometry"][-1] == "blob"
    log = store.edit_log(layer=KEY, feature_id="A1").set_index("field")
    assert log.loc["容积率", "new_value"] == 1.5
    assert shapely.from_wkb(bytes.fromhex(log.loc["geometry", "new_value"])).equals(
        shapely.MultiPolygon([square])
    )


def test_a_back_dated_correction_is_marked_and_read_in_effective_order(store: Store) -> None:
    store.import_features(KEY, _parcels(["A1", "A2"], ["未启动", "未启动"]), user="甲",
                          source="x", effective_date=dt.date(2022, 1, 1), recorded_at=_at(1, 5))  # fmt: skip
    store.apply_edits([Edit(KEY, "A1", {"完成日期": "2022-06-10"}, dt.date(2022, 6, 10))],
                      user="乙", recorded_at=_at(6, 12))  # fmt: skip
    store.apply_edits([Edit(KEY, "A2", {"完成日期": "2022-06-10"}, dt.date(2022, 6, 10))],
                      user="乙", recorded_at=_at(6, 12))  # fmt: skip
    # recorded in October, effective in May: earlier than the June change already in the log
    store.apply_edits([Edit(KEY, "A1", {"完成日期": "2022-05-20"}, dt.date(2022, 5, 20))],
                      user="丙", source="更正", recorded_at=_at(10, 8))  # fmt: skip
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT layer, feature_id FROM ykgeo_backdated").fetchall() == [
            (KEY, "A1")
        ]
    assert store.read_layer(KEY).loc["A1", "完成日期"] == pd.Timestamp("2022-05-20")
    # with everything known, the change effective last (June) is the value at the year end
    year_end = store.read_layer(KEY, as_of=dt.date(2022, 12, 31), known_at=_at(12, 31, 23))
    assert year_end.loc["A1", "完成日期"] == pd.Timestamp("2022-06-10")
    assert store.read_layer(KEY, as_of=dt.date(2022, 5, 31), known_at=_at(12, 31, 23)).loc[
        "A1", "完成日期"
    ] == pd.Timestamp("2022-05-20")


def _history(store: Store, rng: np.random.Generator) -> None:
    """A year of random edits: statuses, dates, geometry, deletions and re-insertions, late records."""
    ids = [f"P{i}" for i in range(40)]
    store.import_features(KEY, _parcels(ids, ["未启动"] * 40), user="甲", source="x",
                          effective_date=dt.date(2022, 1, 1), recorded_at=_at(1, 3))  # fmt: skip
    alive = set(ids)
    for month in range(2, 12):
        edits = []
        for fid in sorted(alive):
            roll = rng.random()
            day = dt.date(2022, month, int(rng.integers(1, 28)))
            if roll < 0.25:
                edits.append(Edit(KEY, fid, {"状态": str(rng.choice(["推进中", "已完成"]))}, day))
            elif roll < 0.35:  # back-dated by up to three months
                back = day - dt.timedelta(days=int(rng.integers(1, 90)))
                edits.append(Edit(KEY, fid, {"备注": f"更正{month}"}, back))
            elif roll < 0.40:
                shifted = _parcels([fid], ["未启动"], shift=float(rng.uniform(0, 50)))
                edits.append(Edit(KEY, fid, {"geometry": shifted.geometry.iloc[0]}, day))
        late = dt.timedelta(days=int(rng.integers(0, 40)))
        store.apply_edits(edits, user="乙", recorded_at=_at(month, 28) + late)
        if month in (5, 8):
            gone = sorted(alive)[month : month + 3]
            store.delete_features(KEY, gone, user="丙", effective_date=dt.date(2022, month, 15),
                                  recorded_at=_at(month, 20))  # fmt: skip
            alive -= set(gone)
        if month == 10:
            back = ["P5", "P6"]
            store.import_features(KEY, _parcels(back, ["推进中", "推进中"]), user="甲",
                                  source="补录", effective_date=dt.date(2022, 9, 1),
                                  recorded_at=_at(10, 5))  # fmt: skip
            alive |= set(back)


def test_reading_only_what_a_date_needs_gives_the_full_rebuild(store: Store) -> None:
    _history(store, np.random.default_rng(15))
    spec = store.spec(KEY)
    current, log = store.history(KEY)  # the whole log
    for month in range(1, 13):
        day = dt.date(2022, month, 28)
        for horizon in (dt.datetime.combine(day, dt.time(23, 59), tzinfo=TZ), _at(12, 31, 23)):
            full = as_of_layer(current, log, spec, day, horizon.isoformat(timespec="seconds"))
            partial = store.read_layer(KEY, as_of=day, known_at=horizon)
            pd.testing.assert_frame_equal(
                pd.DataFrame(partial.drop(columns="geometry")),
                pd.DataFrame(full.drop(columns="geometry")),
            )
            assert partial.geometry.geom_equals_exact(full.geometry, tolerance=0).all()


def test_bulk_loads_rebuild_indexes_and_spatial_index(store: Store) -> None:
    first = _parcels([f"B{i:05d}" for i in range(6000)], ["已完成"] * 6000)
    first["完成日期"] = [dt.date(2021, 12, 1)] * 3000 + [None] * 3000
    store.import_features(KEY, first, user="甲", source="x", effective_date=dt.date(2022, 1, 1),
                          recorded_at=_at(1, 5))  # fmt: skip
    second = _parcels([f"C{i:05d}" for i in range(7000)], ["未启动"] * 7000, shift=20)
    store.import_features(KEY, second, user="甲", source="y", recorded_at=_at(2, 5))  # rebuilt
    third = _parcels([f"D{i:05d}" for i in range(5000)], ["未启动"] * 5000, shift=40)
    store.import_features(KEY, third, user="甲", source="z", recorded_at=_at(3, 5))  # added to
    with sqlite3.connect(store.path) as conn:
        assert conn.execute(f"SELECT rtreecheck('rtree_{KEY}_geom')").fetchone()[0] == "ok"
        assert conn.execute(f"SELECT count(*) FROM rtree_{KEY}_geom").fetchone()[0] == 18000
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {
            f"idx_{KEY}_id",
            "idx_ykgeo_edit_log_feature",
            "idx_ykgeo_edit_log_field",
        } <= indexes
        triggers = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'rtree_low%'"
        )
        assert triggers.fetchone()[0] == 6
        gpkg.register_functions(conn)  # the R-tree triggers call ST_ functions
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(f'INSERT INTO "{KEY}" ("地块编号", "企业名称") VALUES (\'B00001\', \'x\')')
        days = conn.execute(
            "SELECT effective_date, count(*) FROM ykgeo_edit_log WHERE feature_id LIKE 'B%' "
            "GROUP BY effective_date ORDER BY 1"
        ).fetchall()
        assert days == [("2021-12-01", 3000), ("2022-01-01", 3000)]  # done earlier: its date
        fids = conn.execute(f'SELECT min(fid), max(fid), count(*) FROM "{KEY}"').fetchone()
        assert fids == (1, 18000, 18000)
    assert len(store.read_layer(KEY, as_of=dt.date(2022, 1, 31))) == 6000


def test_whole_columns_are_converted_as_value_by_value(store: Store) -> None:
    n = 6
    gdf = _parcels([f"V{i}" for i in range(n)], ["未启动"] * n)
    gdf["备注"] = pd.Series([1, 1.0, "x", None, np.nan, True], dtype=object)
    gdf["完成日期"] = pd.Series(
        [
            pd.Timestamp("2022-03-01"),
            "2022-03-02T10:00",
            dt.date(2022, 3, 3),
            None,
            "2022-03-05",
            None,
        ],
        dtype=object,
    )
    gdf["容积率"] = [1, 2.5, None, 3, 0, np.nan]
    store.import_features(KEY, gdf, user="甲", source="x", recorded_at=_at(1, 5))
    with sqlite3.connect(store.path) as conn:
        got = conn.execute(
            f'SELECT "备注", "完成日期", "容积率" FROM "{KEY}" ORDER BY fid'
        ).fetchall()
    types = {f.name: f.type for f in store.spec(KEY).fields}
    want = [
        tuple(_json_value(gdf[c].iloc[i], types[c]) for c in ("备注", "完成日期", "容积率"))
        for i in range(n)
    ]
    assert got == want


def test_the_status_index_reads_inserts_and_status_changes_as_numbers(store: Store) -> None:
    """Deletes left out, the action as a flag and the effective date as days since 1970 (from SQL)."""
    store.import_features(KEY, _parcels(["A1", "A2"], ["未启动", "未启动"]), user="甲",
                          source="x", effective_date=dt.date(2022, 1, 3), recorded_at=_at(1, 5))  # fmt: skip
    store.update_feature(KEY, "A1", {"状态": "推进中", "计划完成日期": dt.date(2022, 9, 30)},
                         user="乙", expected_version=1, effective_date=dt.date(2022, 3, 1),
                         recorded_at=_at(3, 2))  # fmt: skip
    store.delete_features(KEY, ["A2"], user="丙", effective_date=dt.date(2022, 4, 1),
                          recorded_at=_at(4, 1))  # fmt: skip
    events = store.status_events(KEY).to_pylist()
    days = [(dt.date(2022, 1, 3) - dt.date(1970, 1, 1)).days, (dt.date(2022, 3, 1) - dt.date(1970, 1, 1)).days]
    assert [
        (e["feature_id"], e["insert"], e["old_text"], e["new_text"], e["effective_day"]) for e in events
    ] == [
        ("A1", 1, None, None, days[0]),
        ("A2", 1, None, None, days[0]),
        ("A1", 0, "未启动", "推进中", days[1]),
    ]
    assert [e["recorded_at"][:10] for e in events] == ["2022-01-05", "2022-01-05", "2022-03-02"]
    assert [e["log_id"] for e in events] == sorted(e["log_id"] for e in events)
