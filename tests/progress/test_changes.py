"""What changed between two dates, by category."""

from __future__ import annotations

from collections.abc import Callable

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
    changes_between,
)
from ykgeo.store import Store

# --- changes -------------------------------------------------------------------------------------


def test_changes_between_categories(make_store: Callable[..., Store]) -> None:
    store = make_store()
    add(
        store,
        "parcels",
        [
            parcel("A", square(100, 100)),
            parcel("B", square(300, 100), "已完成", 完成日期="2022-01-05"),
            parcel("C", square(500, 100)),
            parcel("D", square(700, 100), **{"台账面积（亩）": 10.0}),
        ],
    )
    set_status(store, "parcels", "C", "推进中", day="2022-02-01")
    # between 1 March and 31 March:
    set_status(store, "parcels", "A", "已完成", day="2022-03-10")
    store.update_feature(
        "parcels",
        "B",
        {"状态": "推进中", "完成日期": None},
        user="李四",
        expected_version=None,
        effective_date=D("2022-03-11"),
        recorded_at=at("2022-03-11"),
    )
    store.update_feature(
        "parcels",
        "D",
        {"台账面积（亩）": 16.0, "geometry": square(700, 100, 120)},
        user=USER,
        expected_version=None,
        effective_date=D("2022-03-12"),
        recorded_at=at("2022-03-12"),
    )
    add(store, "parcels", [parcel("E", square(900, 100))], day="2022-03-13")
    store.delete_features(
        "parcels", ["C"], user=USER, effective_date=D("2022-03-14"), recorded_at=at("2022-03-14")
    )
    frame = changes_between(store, D("2022-03-01"), D("2022-03-31"), layers=["parcels"])
    got = sorted(zip(frame["id"], frame["change"], strict=True))
    assert got == [
        ("A", "newly_done"),
        ("B", "regressed"),
        ("C", "removed"),
        ("D", "remeasured"),
        ("E", "added"),
    ]
    b = frame[frame["id"] == "B"].iloc[0]
    assert (b["old_status"], b["new_status"], b["recorded_by"]) == ("已完成", "推进中", "李四")
    d = frame[frame["id"] == "D"].iloc[0]
    assert d["old_measure"] == pytest.approx(15.0, rel=1e-6) and d["new_measure"] == pytest.approx(
        21.6, rel=1e-6
    )
    assert (d["old_ledger_area"], d["new_ledger_area"]) == (10.0, 16.0)
    assert frame[frame["id"] == "A"].iloc[0]["effective_dates"] == "2022-03-10"
    # nothing happened in February for A–E but C's status change
    feb = changes_between(store, D("2022-01-31"), D("2022-02-28"), layers=["parcels"])
    assert list(zip(feb["id"], feb["change"], strict=True)) == [("C", "status_changed")]
