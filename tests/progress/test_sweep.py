"""A full report counts one land layer at a time: the same cross-category overlaps whatever the R-tree and the log hold."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from tests.progress.conftest import USER, D, add, at, parcel, set_status, square
from ykgeo.progress import progress_report
from ykgeo.store import Store
from ykgeo.store.boxes import feature_boxes


def _crossing(store: Store) -> None:
    """L1 overlaps T1 by half (7.5 亩) until T1 moves away in May; L2 overlaps T2 until T2 is deleted in June."""
    add(store, "parcels", [parcel("L1", square(100, 100)), parcel("L2", square(1000, 100))])
    add(store, "transfer", [parcel("T1", square(100, 150)), parcel("T2", square(1050, 100))])
    for key, fid in (("parcels", "L1"), ("parcels", "L2"), ("transfer", "T1"), ("transfer", "T2")):
        set_status(store, key, fid, "已完成", day="2022-02-01")
    store.update_feature(
        "transfer", "T1", {"geometry": square(3000, 3000)}, user=USER, expected_version=None,
        effective_date=D("2022-05-01"), recorded_at=at("2022-05-01"),
    )  # fmt: skip
    store.delete_features(
        "transfer", ["T2"], user=USER, effective_date=D("2022-06-01"), recorded_at=at("2022-06-01")
    )


def _cross(store: Store, day: str) -> list[tuple[str, str, float]]:
    row = progress_report(store, as_of=D(day), targets=["area_t", "transfer_t"]).row("area_t")
    cross = row.overlaps[row.overlaps["kind"] == "跨类别"]
    return [
        (a, b, round(float(m), 3))
        for a, b, m in zip(cross["id_a"], cross["id_b"], cross["overlap"], strict=True)
    ]


def test_cross_overlaps_of_moved_and_deleted_features_at_past_dates(
    make_store: Callable[..., Store],
) -> None:
    store = make_store()
    _crossing(store)
    assert _cross(store, "2022-03-31") == [("L1", "T1", 7.5), ("L2", "T2", 7.5)]
    assert _cross(store, "2022-05-31") == [("L2", "T2", 7.5)]  # T1 moved away
    assert _cross(store, "2022-06-30") == []  # T2 deleted


def test_every_box_a_feature_had_comes_from_the_rtree_and_the_log(
    make_store: Callable[..., Store],
) -> None:
    store = make_store()
    _crossing(store)
    ids, boxes = feature_boxes(store.path, store.spec("transfer"))  # type: ignore[misc]
    seen = sorted(zip(ids.tolist(), [round(b[0], 4) for b in boxes.tolist()], strict=True))
    # T1 now (moved) and before; T2 only from its deletion's last values
    expected = sorted(
        [
            ("T1", round(square(3000, 3000).bounds[0], 4)),
            ("T1", round(square(100, 150).bounds[0], 4)),
            ("T2", round(square(1050, 100).bounds[0], 4)),
        ]
    )
    assert set(seen) == set(expected)  # the old geometry may come twice (old and new of the change)


@pytest.mark.parametrize("day", ["2022-03-31", "2022-05-31"])
def test_a_stale_rtree_gives_the_same_overlaps(make_store: Callable[..., Store], day: str) -> None:
    store = make_store()
    _crossing(store)
    before = _cross(store, day)
    with sqlite3.connect(store.path) as conn:  # an index that lost its rows (edited by hand)
        conn.execute('DELETE FROM "rtree_transfer_geom"')
    assert _cross(store, day) == before


def test_a_layer_without_rtree_gives_the_same_overlaps(make_store: Callable[..., Store]) -> None:
    store = make_store()
    _crossing(store)
    before = _cross(store, "2022-03-31")
    with sqlite3.connect(store.path) as conn:
        conn.execute('DROP TABLE "rtree_parcels_geom"')
    assert _cross(store, "2022-03-31") == before
