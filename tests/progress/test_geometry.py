"""Overlaps counted once inside a layer and reported across categories; townships by majority or split."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.progress.conftest import (
    D,
    add,
    parcel,
    set_status,
    square,
)
from ykgeo.errors import YkgeoError
from ykgeo.progress import (
    progress_report,
)
from ykgeo.store import Store

# --- overlaps ----------------------------------------------------------------------------------


def test_overlapping_done_squares_counted_once(make_store: Callable[..., Store]) -> None:
    store = make_store()
    # two 100 m squares overlapping by 50 m × 100 m (7.5 亩), and a third touching one edge only
    add(
        store,
        "parcels",
        [
            parcel("O1", square(100, 100)),
            parcel("O2", square(150, 100)),
            parcel("O3", square(250, 100)),
        ],
    )
    set_status(store, "parcels", "O1", "已完成", day="2022-02-01")
    set_status(store, "parcels", "O2", "已完成", day="2022-03-01")
    set_status(store, "parcels", "O3", "已完成", day="2022-03-02")
    row = progress_report(store, as_of=D("2022-03-31"), targets=["area_t"]).row("area_t")
    assert row.done == pytest.approx(15 + 7.5 + 15, rel=1e-6)
    feats = row.features.set_index("id")
    assert feats.loc["O1", "overlap_deduction"] == pytest.approx(0.0)
    assert feats.loc["O2", "overlap_deduction"] == pytest.approx(7.5, rel=1e-5)  # completed later
    same = row.overlaps[row.overlaps["kind"] == "同图层"]
    assert len(same) == 1  # touching O2/O3 is not an overlap
    assert same["overlap"].iloc[0] == pytest.approx(7.5, rel=1e-5)
    assert bool(same["deducted"].iloc[0]) and same["deducted_from"].iloc[0] == "O2"
    assert row.by_township["done"].sum() == pytest.approx(row.done)
    assert "只计一次" in row.rule_zh
    # counts are not reduced by overlaps, only reported
    assert (
        progress_report(store, as_of=D("2022-03-31"), targets=["count_t"]).row("count_t").done == 3
    )


def test_overlap_across_categories_is_reported_not_deducted(
    make_store: Callable[..., Store],
) -> None:
    store = make_store()
    add(store, "parcels", [parcel("L1", square(100, 100))])
    add(store, "transfer", [parcel("T1", square(100, 150))])  # half of L1 (7.5 亩)
    set_status(store, "parcels", "L1", "已完成", day="2022-02-01")
    set_status(store, "transfer", "T1", "已完成", day="2022-02-02")
    report = progress_report(store, as_of=D("2022-03-31"), targets=["area_t", "transfer_t"])
    a, t = report.row("area_t"), report.row("transfer_t")
    assert a.done == pytest.approx(15.0, rel=1e-6) and t.done == pytest.approx(15.0, rel=1e-6)
    cross = a.overlaps[a.overlaps["kind"] == "跨类别"]
    assert list(zip(cross["id_a"], cross["layer_b"], cross["id_b"], strict=True)) == [
        ("L1", "transfer", "T1")
    ]
    assert cross["overlap"].iloc[0] == pytest.approx(7.5, rel=1e-5)
    assert not cross["deducted"].iloc[0]
    assert "测试出让" in a.rule_zh  # the rule names the other category


# --- townships -----------------------------------------------------------------------------------


def test_township_split_vs_majority(make_store: Callable[..., Store]) -> None:
    store = make_store()
    # 100 m square: 70 m in 东镇 (x ≥ 0), 30 m in 西镇 → 10.5 亩 and 4.5 亩
    add(
        store,
        "parcels",
        [
            parcel("X", square(-30, 100), 所属镇街="西镇"),
            parcel("Y", square(1000, 100), 所属镇街="东镇"),
        ],
    )
    set_status(store, "parcels", "X", "已完成", day="2022-02-01")
    report = progress_report(store, as_of=D("2022-02-28"), targets=["area_t", "area_split"])
    major = report.row("area_t").by_township.set_index("镇街")
    assert major.loc["东镇", "done"] == pytest.approx(15.0, rel=1e-6)
    assert major.loc["西镇", "done"] == 0.0
    split = report.row("area_split").by_township.set_index("镇街")
    assert split.loc["东镇", "done"] == pytest.approx(10.5, rel=1e-4)
    assert split.loc["西镇", "done"] == pytest.approx(4.5, rel=1e-4)
    assert split["done"].sum() == pytest.approx(15.0, rel=1e-6)
    assert (
        "split" in report.row("area_split").rule_zh and "majority" in report.row("area_t").rule_zh
    )
    # ledger township 西镇 but most of X lies in 东镇
    mism = report.row("area_t").township_mismatches
    assert list(mism["id"]) == ["X"]
    assert mism["township"].iloc[0] == "东镇"
    assert mism["share_in_ledger_township"].iloc[0] == pytest.approx(0.3, rel=1e-4)
    # one township only
    east = progress_report(
        store, as_of=D("2022-02-28"), targets=["area_split"], township="东镇"
    ).row("area_split")
    assert east.done == pytest.approx(10.5, rel=1e-4)
    assert list(east.by_township["镇街"]) == ["东镇"]
    with pytest.raises(YkgeoError, match="没有名为"):
        progress_report(store, as_of=D("2022-02-28"), township="北镇")


def test_no_township_layer_uses_ledger_names(make_store: Callable[..., Store]) -> None:
    store = make_store(townships=False)
    add(store, "parcels", [parcel("Z", square(100, 100), 所属镇街="芝英镇")])
    set_status(store, "parcels", "Z", "已完成", day="2022-02-01")
    report = progress_report(store, as_of=D("2022-02-28"), targets=["area_t"])
    assert list(report.row("area_t").by_township["镇街"]) == ["芝英镇"]
    assert any("townships" in w or "镇街图层" in w for w in report.warnings)


def test_neighbours_mark_the_boxes_that_meet_another_box() -> None:
    import numpy as np
    import shapely

    from ykgeo.progress.geometry import extents, neighbours

    nan = np.nan
    layers = {
        "a": np.array([[0, 0, 1, 1], [5, 5, 6, 6], [5.5, 5.5, 5.5, 5.5], [nan, nan, nan, nan]]),
        "b": np.array([[1, 1, 2, 2], [10, 10, 11, 11]]),  # b0 touches a0 at a corner
    }
    near = neighbours(layers)
    assert near["a"]["a"].tolist() == [False, True, True, False]  # a point box inside a1's
    assert near["a"]["b"].tolist() == [True, False, False, False]
    assert near["b"]["a"].tolist() == [True, False]
    assert near["b"]["b"].tolist() == [False, False]
    spans = extents(layers["a"][:3])
    assert np.array_equal(shapely.bounds(spans), layers["a"][:3])  # the stand-ins' extents
