"""Year-end forecasts, milestones and red / amber / green ratings."""

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
    ProgressSettings,
    forecast_year_end,
    milestone_fraction,
    progress_report,
    rate,
)
from ykgeo.store import Store

# --- forecast and rating -------------------------------------------------------------------------


def _linear_store(make_store: Callable[..., Store], months_done: int, listed: int = 15) -> Store:
    """100 亩 a month: one 100 亩 parcel done on the 15th of each month, ``listed`` parcels on the map (all in 西镇)."""
    store = make_store()
    side = (100 * 10000 / 15) ** 0.5  # a square of exactly 100 亩
    add(
        store,
        "parcels",
        [parcel(f"L{m:02d}", square(-5000 + 300 * m, 1000, side)) for m in range(1, listed + 1)],
    )
    for m in range(1, months_done + 1):
        set_status(store, "parcels", f"L{m:02d}", "已完成", day=f"2022-{m:02d}-15")
    return store


def test_forecast_linear_history(make_store: Callable[..., Store]) -> None:
    store = _linear_store(make_store, 6)
    row = progress_report(store, as_of=D("2022-06-30"), targets=["area_t"]).row("area_t")
    assert row.done == pytest.approx(600.0, rel=1e-6)
    assert row.forecast == pytest.approx(1200.0, rel=0.02)  # 600 / (181/365) = 1210
    assert row.forecast == pytest.approx(600 * 365 / 181, rel=1e-6)
    three = progress_report(
        store,
        as_of=D("2022-06-30"),
        targets=["area_t"],
        settings=ProgressSettings(run_rate="last_3_months"),
    ).row("area_t")
    assert three.forecast == pytest.approx(
        600 + 300 / 91 * 184, rel=1e-6
    )  # Apr–Jun: 300 in 91 days
    # the rating: 600 done ≥ 50 % milestone (600) → green
    assert row.milestone_expected == pytest.approx(600.0, rel=1e-3)
    assert row.rating == "green"


def test_forecast_pipeline_and_cap(make_store: Callable[..., Store]) -> None:
    store = _linear_store(make_store, 3)
    # L04–L06 in progress, planned for November: pipeline 300 × 0.8 = 240
    for m in (4, 5, 6):
        set_status(
            store,
            "parcels",
            f"L{m:02d}",
            "推进中",
            day="2022-04-01",
            extra={"计划完成日期": "2022-11-30"},
        )
    row = progress_report(store, as_of=D("2022-04-10"), targets=["area_t"]).row("area_t")
    assert row.pipeline == pytest.approx(240.0, rel=1e-6)
    projection = 300 / 100 * 265  # 3 per day for the 265 days left
    assert row.forecast == pytest.approx(300 + max(projection, 240.0), rel=1e-6)
    assert row.forecast == pytest.approx(1095.0, rel=1e-6)
    # capped at what the map lists: with 10 parcels listed, 1000
    capped = progress_report(
        _linear_store(make_store, 3, listed=10), as_of=D("2022-04-10"), targets=["area_t"]
    )
    assert capped.row("area_t").forecast == pytest.approx(1000.0, rel=1e-6)
    # the cap: at most what is listed
    f, _ = forecast_year_end(
        [300.0],
        carried=[0.0],
        done_quarter_ago=[0.0],
        pipeline=[0.0],
        outstanding=[100.0],
        as_of=D("2022-04-10"),
        year=2022,
        settings=ProgressSettings(),
    )
    assert f[0] == pytest.approx(400.0)
    f, _ = forecast_year_end(
        [300.0],
        carried=[0.0],
        done_quarter_ago=[0.0],
        pipeline=[0.0],
        outstanding=[0.0],
        as_of=D("2022-04-10"),
        year=2022,
        settings=ProgressSettings(cap_to_listed=False),
    )
    assert f[0] == pytest.approx(1095.0)  # layers whose features are entered only when done
    # too early in the year: no extrapolation, pipeline only
    f, p = forecast_year_end(
        [50.0],
        carried=[0.0],
        done_quarter_ago=[0.0],
        pipeline=[80.0],
        outstanding=[500.0],
        as_of=D("2022-01-10"),
        year=2022,
        settings=ProgressSettings(),
    )
    assert (f[0], p[0]) == (130.0, 0.0)


def test_milestones_and_rating_colours() -> None:
    ms = (
        (D("2022-03-31"), 0.25),
        (D("2022-06-30"), 0.5),
        (D("2022-09-30"), 0.75),
        (D("2022-12-31"), 1.0),
    )
    assert milestone_fraction(ms, 2022, D("2022-03-31")) == pytest.approx(0.25)
    assert milestone_fraction(ms, 2022, D("2022-12-31")) == pytest.approx(1.0)
    assert 0.25 < milestone_fraction(ms, 2022, D("2022-05-15")) < 0.5
    # no milestones: linear through the year
    assert milestone_fraction((), 2022, D("2022-07-02")) == pytest.approx(183 / 365)
    # percentages are accepted
    assert milestone_fraction(((D("2022-06-30"), 40.0),), 2022, D("2022-06-30")) == pytest.approx(
        0.4
    )
    # a milestone of 0 until September (culture sites)
    late = ((D("2022-09-30"), 0.0), (D("2022-11-30"), 1.0))
    assert milestone_fraction(late, 2022, D("2022-08-01")) == 0.0
    s = ProgressSettings()
    assert rate(600, 700, 1200, 600, settings=s) == "green"  # on the curve
    assert rate(500, 1200, 1200, 600, settings=s) == "green"  # forecast reaches the target
    assert rate(500, 1100, 1200, 600, settings=s) == "amber"  # ≥ 90 %
    assert rate(500, 1000, 1200, 600, settings=s) == "red"
    assert rate(0, 0, 0, 0, settings=s) == "none"
    # nothing due yet, nothing done, nothing forecast: the forecast decides, not the empty curve
    assert rate(0, 0, 4, 0, settings=s) == "red"
    assert rate(0, 4, 4, 0, settings=s) == "green"
    assert rate(0, 0, 4, 0, settings=s, started=False) == "none"  # before the plan year
    assert rate(10, 90, 100, 50, settings=s, at_least=False) == "green"
    assert rate(10, 105, 100, 50, settings=s, at_least=False) == "amber"
    assert rate(500, 1000, 1200, 600, settings=ProgressSettings(amber_ratio=0.8)) == "amber"
    with pytest.raises(YkgeoError, match="pipeline_probability"):
        ProgressSettings(pipeline_probability=1.5)


def test_rating_in_report(make_store: Callable[..., Store]) -> None:
    store = _linear_store(make_store, 3)
    row = progress_report(store, as_of=D("2022-09-30"), targets=["area_t"]).row("area_t")
    # 300 done by September, expected 900; forecast 300 + 300/273×92 ≈ 401 → red
    assert row.rating == "red"
    assert row.milestone_expected == pytest.approx(900.0)
