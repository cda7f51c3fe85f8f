"""Opening a store of schema 1 (JSON log values) upgrades it to schema 2 in one transaction, reading as before.

The fixture ``tests/data/store-schema1/store-schema1.gpkg`` and its expectations
(``store-schema1.json``: the layer as of six dates, as known then and as known at the
year end, and the decoded edit log) were made by ``make_schema1.py`` with ykgeo at
908e9e9, the last version that wrote schema 1: edits of text, dates, decimals and a
geometry, a deletion, a re-insertion and a back-dated correction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import shapely

from tests._builders import plan_toml, target_toml
from ykgeo.errors import StoreError
from ykgeo.layers import parse_plan
from ykgeo.store import TZ, Edit, Store

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "store-schema1"
KEY = "low_efficiency_industrial"


@pytest.fixture()
def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "old.gpkg"
    shutil.copy(FIXTURE / "store-schema1.gpkg", path)
    return path


def _content(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a SQLite file, with the GeoPackage header numbers."""
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        out = {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
        out["pragma"] = [
            (conn.execute("PRAGMA application_id").fetchone()[0],),
            (conn.execute("PRAGMA user_version").fetchone()[0],),
        ]
    return out


def _expected() -> dict[str, Any]:
    return json.loads((FIXTURE / "store-schema1.json").read_text(encoding="utf-8"))


def _rows(store: Store, day: str, known: str | None) -> dict[str, dict[str, Any]]:
    """The layer as of ``day`` in the form the expectations were written in."""
    gdf = store.read_layer(
        KEY,
        as_of=dt.date.fromisoformat(day),
        known_at=None if known is None else dt.datetime.fromisoformat(known),
    )
    rows = {}
    for fid, row in gdf.iterrows():
        values = {
            c: None
            if row[c] is None or (not isinstance(row[c], str) and row[c] != row[c])
            else str(row[c])
            for c in gdf.columns
            if c != "geometry"
        }
        wkb = shapely.to_wkb(row["geometry"], hex=True).encode()
        values["geometry"] = hashlib.sha1(wkb).hexdigest()[:16]
        rows[str(fid)] = values
    return rows


def _schema(path: Path) -> tuple[str, list[str]]:
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT value FROM ykgeo_meta WHERE key='schema_version'").fetchone()
        columns = [r[1] for r in conn.execute("PRAGMA table_info(ykgeo_edit_log)")]
    return version[0], columns


def test_fixture_is_schema_1(old_store: Path) -> None:
    version, columns = _schema(old_store)
    assert version == "1"
    assert "old_value" in columns


def test_opening_upgrades_to_the_typed_log(old_store: Path) -> None:
    Store(old_store)
    version, columns = _schema(old_store)
    assert version == "2"
    assert {"old_text", "new_number", "new_geom"} <= set(columns)
    assert "old_value" not in columns
    with sqlite3.connect(old_store) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert not any(t.startswith("ykgeo_edit_log_schema") for t in tables)
        row = conn.execute(
            "SELECT new_number, typeof(new_number) FROM ykgeo_edit_log WHERE field = '容积率'"
        ).fetchone()
        assert row == (1.25, "real")
        geom = conn.execute(
            "SELECT new_geom FROM ykgeo_edit_log WHERE field = 'geometry'"
        ).fetchone()[0]
        assert shapely.from_wkb(geom).geom_type == "MultiPolygon"
        # the back-dated correction of A0's completion date is known to the as-of reads
        assert conn.execute("SELECT feature_id FROM ykgeo_backdated").fetchall() == [("A0",)]


@pytest.mark.parametrize(
    "state",
    [
        f"{day}|{known}"
        for day in (
            "2022-01-31",
            "2022-04-30",
            "2022-05-31",
            "2022-06-30",
            "2022-09-30",
            "2022-12-31",
        )
        for known in (None, "2022-12-31T23:00:00+08:00")
    ],
)
def test_upgraded_store_reads_every_past_state_as_before(old_store: Path, state: str) -> None:
    day, known = state.split("|")
    store = Store(old_store)
    assert _rows(store, day, None if known == "None" else known) == _expected()[state]


def test_upgraded_edit_log_decodes_to_the_same_values(old_store: Path) -> None:
    log = Store(old_store).edit_log()
    got = json.loads(log.to_json(orient="records", force_ascii=False))
    assert got == _expected()["edit_log"]


def test_upgraded_store_takes_new_edits(old_store: Path) -> None:
    store = Store(old_store)
    store.apply_edits(
        [Edit(KEY, "A1", {"状态": "已完成", "完成日期": "2022-11-30"})],
        user="李四",
        recorded_at=dt.datetime(2022, 12, 2, 10, tzinfo=TZ),
    )
    now = store.read_layer(KEY, as_of=dt.date(2022, 12, 31))
    assert now.loc["A1", "状态"] == "已完成"
    assert store.read_layer(KEY, as_of=dt.date(2022, 10, 31)).loc["A1", "状态"] == "推进中"


def test_a_failed_upgrade_leaves_the_file_as_it_was(
    old_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ykgeo.store import migrate

    before = _content(old_store)

    def boom(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    monkeypatch.setattr(migrate, "mark_backdated", boom)
    with pytest.raises(StoreError, match="升级到版本 2 失败"):
        Store(old_store)
    # every row as it was (the write may have switched the file to WAL first: a header flag)
    assert _content(old_store) == before
    assert _schema(old_store)[0] == "1"


def _plan_text(value: float) -> str:
    return plan_toml(
        2022,
        "2022年度目标",
        target_toml("t1", name_zh="整治", layer=KEY, measure="count", value=value, unit="个"),
    )


def test_a_plan_kept_before_plans_were_versioned_survives_the_upgrade(old_store: Path) -> None:
    """A schema-1 store keeps its plan in ``ykgeo_plans`` only (as 908e9e9 wrote it): after the
    upgrade it is version 1, and an amendment puts it in the typed log before the new version."""
    with sqlite3.connect(old_store) as conn:
        conn.execute(
            "INSERT INTO ykgeo_plans VALUES (2022, '2022年度目标', ?, '2022-01-01T08:00:00+08:00')",
            (_plan_text(10),),
        )
    store = Store(old_store)
    (legacy,) = store.plan_versions(2022)
    assert (legacy.version, legacy.effective_date) == (1, dt.date(2022, 1, 1))
    assert store.plan(2022, as_of=dt.date(2022, 6, 30)).target("t1").value == 10
    store.save_plan(
        parse_plan(_plan_text(8), name="x", layers=store.layers),
        user="张三",
        effective_date=dt.date(2022, 7, 1),
        recorded_at=dt.datetime(2022, 7, 1, 9, tzinfo=TZ),
    )
    assert store.plan(2022, as_of=dt.date(2022, 6, 30)).target("t1").value == 10
    assert store.plan(2022, as_of=dt.date(2022, 9, 30)).target("t1").value == 8
    with sqlite3.connect(old_store) as conn:
        rows = conn.execute(
            "SELECT action, typeof(old_text), typeof(new_text), new_text FROM ykgeo_edit_log "
            "WHERE layer = 'ykgeo_plans' ORDER BY log_id"
        ).fetchall()
    assert [r[:3] for r in rows] == [("insert", "null", "text"), ("update", "text", "text")]
    assert rows[1][3] == _plan_text(8)


def test_plan_and_evaluation_rows_of_a_schema_1_log_are_typed_by_the_upgrade(
    old_store: Path,
) -> None:
    """Rows of the store's own pseudo-layers (plan versions, 亩均 loads) were never written by a
    released schema-1 version, but a file made between the two would have them as JSON: the plan
    text becomes text and a load's summary one JSON document, not a Python repr."""
    text = _plan_text(10)
    summary = {"rows": 4, "source": "2022年亩均评价.xlsx", "classes": {"A": 1, "D": 3}}
    with sqlite3.connect(old_store) as conn:
        conn.executemany(
            "INSERT INTO ykgeo_edit_log (layer, feature_id, action, field, old_value, new_value, "
            "effective_date, recorded_at, user, source, note, version, batch_id) "
            "VALUES (?, ?, 'insert', ?, NULL, ?, ?, ?, '张三', '', '', 1, 'b')",
            [
                ("ykgeo_plans", "2022", "plan", json.dumps(text, ensure_ascii=False),
                 "2022-01-01", "2022-01-01T08:00:00+08:00"),
                ("ykgeo_mujun", "2022", "evaluation", json.dumps(summary, ensure_ascii=False),
                 "2022-12-29", "2022-12-29T09:30:00+08:00"),
            ],
        )  # fmt: skip
        conn.execute(
            "INSERT INTO ykgeo_plans VALUES (2022, '2022年度目标', ?, '2022-01-01T08:00:00+08:00')",
            (text,),
        )
    store = Store(old_store)
    (version,) = store.plan_versions(2022)
    assert version.text == text and version.log_id > 0
    log = store.edit_log(layer="ykgeo_mujun")
    assert json.loads(log["new_value"].iloc[0]) == summary
