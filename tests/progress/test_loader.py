"""The loader reads only the fields counting needs, and the figures stay those of whole layers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest

from tests.progress.conftest import USER, D, add, at, edit, parcel, set_status, square
from ykgeo.progress import progress_report, report_to_json
from ykgeo.progress.history import LayerHistory, end_of_day
from ykgeo.progress.loader import Loader, counting_fields, plan_fields
from ykgeo.store import Store

#: transfer's fields that no target of the test plan counts (parcels' targets filter on 类别
#: and sum 楼面积, transfer's only target counts area)
UNREAD = {"类别", "楼面积（m²）"}


def _transfer_store(make_store: Callable[..., Store]) -> Store:
    """transfer: T1 done in March; T2 done in April, its unread fields changed in May, deleted in
    August (a past date shows its snapshot); T3 re-measured in May."""
    store = make_store()
    add(
        store,
        "transfer",
        [
            parcel(f"T{i}", square(300 * i, 100), 类别="甲", **{"楼面积（m²）": 100.0 * i})
            for i in range(1, 4)
        ],
    )
    set_status(store, "transfer", "T1", "已完成", day="2022-03-10")
    set_status(store, "transfer", "T2", "已完成", day="2022-04-10")
    edit(
        store,
        "transfer",
        "T3",
        {"geometry": square(900, 100, 200)},
        day="2022-05-01",
        recorded="2022-05-01",
    )
    edit(
        store,
        "transfer",
        "T2",
        {"楼面积（m²）": 5.0, "类别": "丙"},
        day="2022-05-01",
        recorded="2022-05-02",
    )
    store.delete_features(
        "transfer", ["T2"], user=USER, effective_date=D("2022-08-01"), recorded_at=at("2022-08-01")
    )
    return store


def test_the_fields_counted_come_from_the_layer_and_the_plan(
    make_store: Callable[..., Store],
) -> None:
    store = make_store()
    plan = store.plan(2022)
    parcels, transfer = store.spec("parcels"), store.spec("transfer")
    roles = {"地块编号", "名称", "所属镇街", "台账面积（亩）", "状态", "计划完成日期", "完成日期"}
    assert counting_fields(parcels) == roles
    assert plan_fields(plan, parcels) == roles | UNREAD  # a filter on 类别, a sum of 楼面积
    assert plan_fields(plan, transfer) == roles
    assert plan_fields(plan, transfer, extra=[plan.target("area_class_a")]) == roles | {"类别"}
    sections = plan_fields(plan, store.spec("sections"))
    assert {"起点桩号", "终点桩号", "所属项目", "线位"} <= sections  # chainage
    assert "断链" in plan_fields(plan, store.spec("roads"))  # the 断链 of a section's road


def test_a_report_reads_only_the_fields_it_counts(
    make_store: Callable[..., Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _transfer_store(make_store)
    read: dict[str, list[set[str]]] = {}
    history = Store.history

    def recording(self: Store, key: str, **options: Any) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        current, log = history(self, key, **options)
        read.setdefault(key, []).append(set(current.columns))
        return current, log

    monkeypatch.setattr(Store, "history", recording)
    report = progress_report(store, as_of=D("2022-06-30"), with_monthly=True)
    assert report.row("transfer_t").done == pytest.approx(30.0, rel=1e-6)
    assert read["transfer"]
    for columns in read["transfer"]:
        assert not columns & UNREAD
        assert {"地块编号", "状态", "完成日期", "台账面积（亩）", "geometry"} <= columns
    assert any(columns >= UNREAD for columns in read["parcels"])  # counted there: read


def test_a_lean_snapshot_is_the_whole_layers_fields_at_every_date(
    make_store: Callable[..., Store],
) -> None:
    store = _transfer_store(make_store)
    # a back-dated change of an unread field, recorded in June
    edit(store, "transfer", "T1", {"类别": "乙"}, day="2022-02-01", recorded="2022-06-15")
    fields = plan_fields(store.plan(2022), store.spec("transfer"))
    assert not fields & UNREAD
    for day in ("2022-02-15", "2022-04-30", "2022-06-30", "2022-09-30"):
        for horizon in (end_of_day(D(day)), at("2023-01-01")):
            lean = LayerHistory.read(store, "transfer", unknown_at=(D(day), horizon), fields=fields)
            ours = lean.snapshot(D(day), horizon)
            whole = store.read_layer("transfer", as_of=D(day), known_at=horizon)
            assert not set(ours.columns) & UNREAD
            pd.testing.assert_frame_equal(
                pd.DataFrame(ours), pd.DataFrame(whole[list(ours.columns)])
            )


def test_changes_of_fields_not_read_leave_the_figures_as_they_were(
    make_store: Callable[..., Store],
) -> None:
    store = _transfer_store(make_store)
    days = [D("2022-04-30"), D("2022-06-30"), D("2022-09-30")]
    before = [report_to_json(progress_report(store, as_of=day)) for day in days]
    edit(store, "transfer", "T1", {"类别": "乙"}, day="2022-02-01", recorded="2022-10-15")
    edit(store, "transfer", "T3", {"楼面积（m²）": 7.5}, day="2022-05-01", recorded="2022-10-16")
    after = [report_to_json(progress_report(store, as_of=day)) for day in days]
    assert after == before  # known then: the edits were recorded later; same data version


def test_a_layer_held_lean_is_read_again_when_asked_for_more(
    make_store: Callable[..., Store],
) -> None:
    store = _transfer_store(make_store)
    loader = Loader(store)
    day, horizon = D("2022-06-30"), end_of_day(D("2022-06-30"))
    lean = loader.snapshot("transfer", day, horizon, fields={"状态"})
    assert "状态" in lean and not set(lean.columns) & (UNREAD | {"完成日期"})
    assert "类别" in loader.snapshot("transfer", day, horizon, fields={"类别"})
    whole = loader.snapshot("transfer", day, horizon)
    pd.testing.assert_frame_equal(
        pd.DataFrame(whole), pd.DataFrame(store.read_layer("transfer", as_of=day))
    )
    # further back, with the fields held
    earlier = loader.snapshot("transfer", D("2022-03-31"), end_of_day(D("2022-03-31")))
    assert set(earlier.columns) == set(whole.columns)
