"""Figures as of a date: reproducible later, corrections with known_at, monthly views, status dates."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from tests.progress.conftest import (
    USER,
    D,
    add,
    at,
    parcel,
    set_status,
    square,
)
from ykgeo.progress import (
    monthly_progress,
    progress_report,
    report_to_json,
)
from ykgeo.store import Store

# --- as-of reproducibility ---------------------------------------------------------------------


def test_as_of_is_reproducible_and_corrections_show_with_known_at(
    make_store: Callable[..., Store],
) -> None:
    store = make_store()
    add(
        store,
        "parcels",
        [
            parcel("A", square(100, 100)),
            parcel("B", square(300, 100)),
            parcel("C", square(500, 100)),
        ],
    )
    set_status(store, "parcels", "A", "已完成", day="2022-08-15")
    set_status(store, "parcels", "B", "推进中", day="2022-09-01")
    asked_then = report_to_json(progress_report(store, as_of=D("2022-09-30")))
    row_then = progress_report(store, as_of=D("2022-09-30"), targets=["area_t"]).row("area_t")
    assert row_then.done == pytest.approx(15.0, rel=1e-6)

    # later edits: C done in October; a back-dated correction recorded in November says B was done on 20 September;
    # A's geometry is re-measured in December, dated December
    set_status(store, "parcels", "C", "已完成", day="2022-10-10")
    set_status(store, "parcels", "B", "已完成", day="2022-09-20", recorded="2022-11-05")
    store.update_feature(
        "parcels",
        "A",
        {"geometry": square(100, 100, 200)},
        user=USER,
        expected_version=None,
        effective_date=D("2022-12-01"),
        recorded_at=at("2022-12-01"),
    )

    asked_later = report_to_json(progress_report(store, as_of=D("2022-09-30")))
    assert asked_later == asked_then  # same figures, same data version
    # with what is known now, the correction shows: A and B done by 30 September
    now_row = progress_report(
        store, as_of=D("2022-09-30"), targets=["area_t"], known_at=at("2023-01-01")
    ).row("area_t")
    assert now_row.done == pytest.approx(30.0, rel=1e-6)
    # and the year end sees C and A's new geometry (60 亩)
    end = progress_report(store, as_of=D("2022-12-31"), targets=["area_t"]).row("area_t")
    assert end.done == pytest.approx(60.0 + 15.0 + 15.0, rel=1e-6)


def test_monthly_matches_report_at_month_ends(make_store: Callable[..., Store]) -> None:
    store = make_store()
    add(store, "parcels", [parcel(f"M{i}", square(200 * i, 100)) for i in range(6)])
    for i, month in enumerate([1, 2, 2, 4, 7, 7]):
        set_status(store, "parcels", f"M{i}", "已完成", day=f"2022-{month:02d}-15")
    set_status(store, "parcels", "M3", "推进中", day="2022-05-10")  # regressed in May
    months = monthly_progress(store, "area_t", year=2022)
    assert list(months["month"]) == [f"2022-{m:02d}" for m in range(1, 13)]
    expected = [15, 45, 45, 60, 45, 45, 75, 75, 75, 75, 75, 75]
    assert months["done"].to_numpy() == pytest.approx(expected, rel=1e-6)
    for _, r in months.iloc[[0, 3, 4, 6]].iterrows():
        rep = progress_report(store, as_of=r["date"], targets=["area_t"]).row("area_t")
        assert rep.done == pytest.approx(r["done"], rel=1e-12)
        assert rep.milestone_expected == pytest.approx(r["milestone"])
    assert months["milestone"].iloc[2] == pytest.approx(300.0)  # 25 % of 1200 at the end of March
    by_town = monthly_progress(store, "area_t", year=2022, by_township=True)
    assert set(by_town["镇街"]) == {"西镇", "东镇"}
    assert by_town.groupby("month")["done"].sum().to_numpy() == pytest.approx(expected, rel=1e-6)


def test_history_snapshot_is_the_stores_read_layer(make_store: Callable[..., Store]) -> None:
    from ykgeo.progress.history import LayerHistory, end_of_day

    store = make_store()
    add(store, "parcels", [parcel("A", square(100, 100)), parcel("B", square(300, 100))])
    set_status(store, "parcels", "A", "已完成", day="2022-03-01")
    set_status(store, "parcels", "B", "推进中", day="2022-04-01", recorded="2022-06-01")
    store.delete_features(
        "parcels", ["A"], user=USER, effective_date=D("2022-05-01"), recorded_at=at("2022-05-01")
    )
    hist = LayerHistory.read(store, "parcels")
    for day in ("2022-02-01", "2022-03-31", "2022-04-30", "2022-05-31", "2022-06-30"):
        for horizon in (end_of_day(D(day)), at("2023-01-01")):
            ours = hist.snapshot(D(day), horizon)
            theirs = store.read_layer("parcels", as_of=D(day), known_at=horizon)
            pd.testing.assert_frame_equal(pd.DataFrame(ours), pd.DataFrame(theirs))


def test_status_dates_and_carried_work(make_store: Callable[..., Store]) -> None:
    store = make_store()
    add(
        store,
        "parcels",
        [parcel("OLD", square(100, 100), **{"楼面积（m²）": 500.0})],
        day="2021-06-01",
    )
    set_status(store, "parcels", "OLD", "推进中", day="2021-09-01")
    add(
        store,
        "parcels",
        [
            parcel("RUN", square(300, 100), **{"楼面积（m²）": 100.0}),
            parcel("INS", square(500, 100), "推进中", **{"楼面积（m²）": 10.0}),
            parcel("BACK", square(700, 100), **{"楼面积（m²）": 1.0}),
        ],
        day="2022-01-10",
    )
    set_status(store, "parcels", "RUN", "推进中", day="2022-03-01")
    set_status(store, "parcels", "RUN", "已完成", day="2022-04-01")  # still counted: since 1 March
    set_status(store, "parcels", "BACK", "推进中", day="2022-02-01")
    set_status(store, "parcels", "BACK", "未启动", day="2022-03-01")
    set_status(store, "parcels", "BACK", "推进中", day="2022-05-01")  # counted again from 1 May
    row = progress_report(store, as_of=D("2022-06-30"), targets=["floor_t"]).row("floor_t")
    dates = dict(zip(row.features["id"], row.features["status_date"], strict=True))
    assert dates["RUN"] == pd.Timestamp("2022-04-01")  # a done status takes its 完成日期
    assert dates["INS"] == pd.Timestamp("2022-01-10")  # inserted in a counted status
    assert dates["BACK"] == pd.Timestamp("2022-05-01")
    assert dates["OLD"] == pd.Timestamp("2021-09-01")  # under way since last year: still counts
    assert row.done == pytest.approx(611.0)
    # the run rate leaves out what was under way before the year: (611 − 500) / 181 days
    assert row.run_rate_projection == pytest.approx(111 / 181 * 184, rel=1e-9)


def test_a_report_runs_no_collector_pass_and_leaves_the_collector_on(
    make_store: Callable[..., Store],
) -> None:
    """The cyclic collector is paused for a report (a quarter of its CPU at 1M parcels) and back on after."""
    import gc

    store = make_store()
    add(store, "parcels", [parcel(f"P{i}", square(200 * i - 3000, 100)) for i in range(30)])
    set_status(store, "parcels", "P1", "已完成", day="2022-02-01")
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    assert gc.isenabled()
    gc.callbacks.append(count)
    try:
        report = progress_report(store, as_of=D("2022-06-30"), with_monthly=True)
        monthly_progress(store, "area_t", year=2022)
    finally:
        gc.callbacks.remove(count)
    assert report.rows
    # at most the one pass that resumes the collector after each of the two calls
    assert len(passes) <= 2, passes
    assert gc.isenabled()
