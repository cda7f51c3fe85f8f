"""Undoing a batch through the log: now, as of a past date, and as the store knew it before the undo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import shapely

from tests.plan.conftest import make_plan_store
from tests.store.test_store import _at, _parcels, registry, store
from ykgeo.errors import StoreError
from ykgeo.layers import parse_plan
from ykgeo.plan import plan_data, plan_to_toml
from ykgeo.store import Store, batches, revert_batch

KEY = "low_efficiency_industrial"
__all__ = ["registry", "store"]  # the fixtures of the store's own tests: three parcels, 5 January


def test_an_undone_import_is_undone_now_and_for_the_past_as_known_now(store: Store) -> None:
    before = store.read_layer(KEY)
    incoming = _parcels(["A1", "A2", "A4"], ["已完成", "推进中", "未启动"])
    incoming.loc[1, "geometry"] = shapely.affinity.translate(incoming.geometry[1], xoff=0.001)
    incoming["完成日期"] = [dt.date(2022, 4, 8), None, None]
    removals = store.removals(KEY, incoming["地块编号"])
    summary = store.import_features(
        KEY,
        incoming,
        user="李四",
        source="6月台账",
        mode="replace",
        confirmed_removals=removals,
        recorded_at=_at(2022, 6, 30),
    )
    assert (summary.added, summary.updated, summary.removed) == (1, 2, 1)

    undone = revert_batch(store, summary.batch_id, user="复核员", recorded_at=_at(2022, 7, 10))
    assert (undone.restored, undone.removed, undone.reinserted) == (2, 1, 1)

    now_ = store.read_layer(KEY)
    assert sorted(now_.index) == ["A1", "A2", "A3"]
    for fid in ("A1", "A2", "A3"):
        assert now_.loc[fid, "状态"] == before.loc[fid, "状态"]
        assert shapely.equals_exact(now_.geometry[fid], before.geometry[fid], tolerance=0)
    assert now_.loc["A3", "企业名称"] == before.loc["A3", "企业名称"]
    assert now_["ykgeo_version"].to_dict() == {"A1": 3, "A2": 3, "A3": 3}

    # what the store knew on 1 July: A1 done since April, A3 gone and A4 there since 30 June
    then = store.read_layer(KEY, as_of=dt.date(2022, 6, 30), known_at=_at(2022, 7, 1))
    assert then.loc["A1", "状态"] == "已完成" and sorted(then.index) == ["A1", "A2", "A4"]
    assert (
        store.read_layer(KEY, as_of=dt.date(2022, 5, 1), known_at=_at(2022, 7, 1)).loc["A1", "状态"]
        == "已完成"
    )
    # what it knows now about those dates: the import did not happen
    for day in (dt.date(2022, 5, 1), dt.date(2022, 6, 30)):
        known_now = store.read_layer(KEY, as_of=day, known_at=_at(2022, 8, 1))
        assert sorted(known_now.index) == ["A1", "A2", "A3"]
        assert known_now.loc["A1", "状态"] == "未启动"
    # nothing erased: both batches are in the log
    listed = batches(store)
    assert list(listed["batch_id"][:2]) == [undone.new_batch_id, summary.batch_id]
    assert listed.iloc[0]["source"] == f"撤销批次 {summary.batch_id}"


def test_unknown_batches_are_named(store: Store) -> None:
    with pytest.raises(StoreError, match="没有批次 nope"):
        revert_batch(store, "nope", user="甲")


def test_a_plan_amendment_is_not_undone_as_a_batch_and_the_way_is_named(tmp_path: Path) -> None:
    """Plans are the store's own records (issue 11): their versions are amended, not undone."""
    store = make_plan_store(tmp_path / "plan.gpkg")
    plan = store.plan(2022)
    data = plan_data(plan)
    data["name_zh"] = f"{plan.name_zh}（调整）"
    version = store.save_plan(
        parse_plan(plan_to_toml(data), name="x", layers=store.layers, year=2022), user="甲"
    )
    batch = store.edit_log().iloc[-1]["batch_id"]
    with pytest.raises(StoreError, match=r"ykgeo_plans.*ykgeo plan export .* ykgeo plan import"):
        revert_batch(store, batch, user="乙")
    assert store.plan_versions(2022)[-1] == version
