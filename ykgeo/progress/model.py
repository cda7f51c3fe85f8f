"""The data model of progress reports and the plain arithmetic rules: milestones, forecast and rating."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ykgeo.errors import DataError
from ykgeo.progress.count import CountContext
from ykgeo.progress.geometry import OverlapRules
from ykgeo.store import DataVersion

__all__ = [
    "SHARE_GIVEN_ZH",
    "SHARE_PROPORTIONAL_ZH",
    "ProgressReport",
    "ProgressSettings",
    "Rating",
    "TargetProgress",
    "forecast_year_end",
    "milestone_fraction",
    "rate",
    "unit_decimals",
]

Rating = Literal["green", "amber", "red", "none"]
#: How a township's target was set: given by the plan (任务分解下达) or split in proportion.
SHARE_GIVEN_ZH = "下达"
SHARE_PROPORTIONAL_ZH = "按比例推算"
QUARTER_DAYS = 91
_COUNT_UNITS = {"个", "座", "条", "处", "套", "项", "宗", "栋", "所", "户", "片", "块"}


@dataclass(frozen=True)
class ProgressSettings:
    """Thresholds and choices of the progress engine; pass a new instance to change them (no globals).

    Parameters
    ----------
    area_tolerance
        Ledger area vs computed area: relative difference above which a feature is listed (0.10 = 10 %).
    overlap_min_m2
        Polygon overlaps smaller than this (m²) are float noise and ignored.
    line_tolerance_m, overlap_min_m
        Two lines overlap where one runs within ``line_tolerance_m`` of the other
        for more than ``overlap_min_m`` metres (digitised lines never coincide exactly;
        two lines that merely cross are not an overlap).
    run_rate
        ``"year_to_date"``: (done this year) / (days elapsed), robust and the default;
        ``"last_3_months"``: done in the last 91 days / 91, follows a change of pace
        (falls back to year-to-date in the first quarter).
    min_days_for_run_rate
        Before this many days of the year have passed the run rate is not
        extrapolated (a few early completions would project absurd figures);
        the forecast then rests on the pipeline.
    pipeline_probability, overdue_probability
        Weight of an in-progress feature planned to finish by year end (planned
        date still ahead / already passed).
    cap_to_listed
        Cap a forecast at done + everything the layer lists as not yet done:
        a township cannot finish more than is on the map (turn off for layers
        whose features are entered only once they are done).
    amber_ratio
        Amber when the forecast reaches this share of the target.
    """

    area_tolerance: float = 0.10
    overlap_min_m2: float = 0.01
    line_tolerance_m: float = 0.5
    overlap_min_m: float = 5.0
    run_rate: Literal["year_to_date", "last_3_months"] = "year_to_date"
    min_days_for_run_rate: int = 28
    pipeline_probability: float = 0.8
    overdue_probability: float = 0.5
    cap_to_listed: bool = True
    amber_ratio: float = 0.9

    def __post_init__(self) -> None:
        problems = []
        for name in ("pipeline_probability", "overdue_probability"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                problems.append(f"{name} 应在 0～1 之间（现为 {value}）")
        for name in ("area_tolerance", "overlap_min_m2", "line_tolerance_m", "overlap_min_m"):
            if getattr(self, name) < 0:
                problems.append(f"{name} 不能为负（现为 {getattr(self, name)}）")
        if not 0.0 < self.amber_ratio <= 1.0:
            problems.append(f"amber_ratio 应在 0～1 之间（现为 {self.amber_ratio}）")
        if self.run_rate not in ("year_to_date", "last_3_months"):
            problems.append(
                f"run_rate 只能是 year_to_date 或 last_3_months（现为 {self.run_rate}）"
            )
        if self.min_days_for_run_rate < 0:
            problems.append(f"min_days_for_run_rate 不能为负（现为 {self.min_days_for_run_rate}）")
        if problems:
            msg = "进度设置有误：" + "；".join(problems)
            raise DataError(msg)

    def context(self) -> CountContext:
        """The parts the counting engine needs."""
        return CountContext(
            area_tolerance=self.area_tolerance,
            overlaps=OverlapRules(
                min_m2=self.overlap_min_m2,
                line_tolerance_m=self.line_tolerance_m,
                min_m=self.overlap_min_m,
            ),
            pipeline_probability=self.pipeline_probability,
            overdue_probability=self.overdue_probability,
        )


@dataclass(frozen=True, eq=False)
class TargetProgress:
    """Progress of one target at one date, with the tables behind it.

    Amounts are in ``unit`` and unrounded (round only when presenting, with
    :func:`ykgeo.units.balanced_round` for township rows). ``pct`` and
    ``forecast_pct`` are NaN and ``rating`` is ``"none"`` when the target is 0
    (counted, not assessed).

    ``by_township`` has one row per township (镇街, done, in_progress,
    not_started, pct_of_city, target_share, pct_of_share, pipeline, forecast,
    rating); ``target_share`` is the city target split in proportion to what
    each township has on the map (its implied share), against which its
    rating is given; when the plan gives townships their own figures (任务分解下达) those
    are the ``target_share`` instead, and ``share_basis`` says which (下达 or 按比例推算).
    ``value_set`` is False for a draft target whose value is still to fill (counted, not
    rated). ``features`` is the drill-down (id, name, township,
    ledger_township, status, class, status_date, planned_date, area_mu,
    ledger_area_mu, raw_amount, overlap_deduction, amount). ``overlaps`` lists
    overlapping pairs (同图层 / 跨类别) with their overlap and whether it was
    deducted; ``township_mismatches`` features whose ledger township is not
    where they lie; ``area_mismatches`` ledger areas off by more than the
    tolerance.
    """

    key: str
    name_zh: str
    unit: str
    layer: str
    measure: str
    target: float
    done: float
    in_progress: float
    not_started: float
    pct: float
    remaining: float
    forecast: float
    forecast_pct: float
    rating: Rating
    milestone_expected: float
    milestone_fraction: float
    rule_zh: str
    by_township: pd.DataFrame
    features: pd.DataFrame
    overlaps: pd.DataFrame
    township_mismatches: pd.DataFrame
    area_mismatches: pd.DataFrame
    warnings: tuple[str, ...] = ()
    pipeline: float = 0.0
    run_rate_projection: float = 0.0
    at_least: bool = True
    decimals: int = 2
    share_basis: str = SHARE_PROPORTIONAL_ZH
    value_set: bool = True


@dataclass(frozen=True, eq=False)
class ProgressReport:
    """Progress of the plan's targets at ``as_of``, as the store knew it at ``known_at``."""

    as_of: dt.date
    year: int
    plan_name: str
    data_version: DataVersion
    known_at: dt.datetime
    rows: tuple[TargetProgress, ...]
    township: str | None = None
    settings: ProgressSettings = field(default_factory=ProgressSettings)
    monthly: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    plan_version: str = ""
    plan_status: str = "正式"

    def row(self, key: str) -> TargetProgress:
        """The row of target ``key``."""
        for r in self.rows:
            if r.key == key:
                return r
        msg = f"报告中没有目标 {key}"
        raise DataError(msg)


# --- rules that are plain arithmetic ----------------------------------------------------------


def unit_decimals(unit: str, measure: str = "") -> int:
    """Decimals to present a figure in ``unit``: 亩 2, km 3, m² and counts 0, else 2."""
    if measure == "count" or unit in _COUNT_UNITS:
        return 0
    if unit in ("km", "公里", "千米"):
        return 3
    if unit in ("m²", "平方米", "m2", "m"):
        return 0
    if unit == "公顷":
        return 4
    return 2


def _year_fraction(day: dt.date, year: int) -> float:
    start = dt.date(year, 1, 1)
    days = 366 if calendar.isleap(year) else 365
    return min(max(((day - start).days + 1) / days, 0.0), 1.0)


def milestone_fraction(
    milestones: Sequence[tuple[dt.date, float]], year: int, day: dt.date
) -> float:
    """Share of the target the milestone curve expects by the end of ``day``.

    The curve runs from 0 at the start of the year through the plan's milestones
    (date, fraction) to 1 at the end of the year, linear in time between them;
    with no milestones it is linear through the year. Fractions above 1 are read
    as percentages (40 → 0.4).
    """
    values = [v for _, v in milestones]
    scale = 100.0 if values and max(values) > 1.0 else 1.0
    xs = [0.0]
    ys = [0.0]
    for d, v in sorted(milestones):
        if d.year != year:
            continue
        xs.append(_year_fraction(d, year))
        ys.append(v / scale)
    if xs[-1] < 1.0:
        xs.append(1.0)
        ys.append(1.0)
    t = _year_fraction(day, year) if day.year == year else (1.0 if day.year > year else 0.0)
    return float(np.interp(t, xs, ys))


def forecast_year_end(
    done: npt.ArrayLike,
    *,
    carried: npt.ArrayLike,
    done_quarter_ago: npt.ArrayLike,
    pipeline: npt.ArrayLike,
    outstanding: npt.ArrayLike,
    as_of: dt.date,
    year: int,
    settings: ProgressSettings,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Year-end forecast (and the run-rate projection) for arrays of townships.

    forecast = done + max(run-rate projection, pipeline). The run rate is what
    was done this year per day elapsed (``year_to_date``, excluding ``carried``:
    amounts counted from before the year) or in the last 91 days
    (``last_3_months``); the projection is that rate times the days left. The
    pipeline is the probability-weighted in-progress amount planned to finish by
    year end. The two are alternatives, not a sum: the pipeline *is* the work
    the run rate expects, adding them would count it twice. The forecast is
    capped at done + ``outstanding`` (what the map lists) unless
    ``settings.cap_to_listed`` is off. After the year end it is what was done.
    """
    d = np.asarray(done, dtype="float64")
    carry = np.asarray(carried, dtype="float64")
    ago = np.asarray(done_quarter_ago, dtype="float64")
    pipe = np.asarray(pipeline, dtype="float64")
    rest = np.asarray(outstanding, dtype="float64")
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    year_days = (end - start).days + 1
    elapsed = max(0, (min(as_of, end) - start).days + 1)
    remaining = year_days - elapsed
    if remaining <= 0:
        return d.copy(), np.zeros_like(d)
    if elapsed < settings.min_days_for_run_rate:
        daily = np.zeros_like(d)
    elif settings.run_rate == "last_3_months" and elapsed >= QUARTER_DAYS:
        daily = (d - ago) / QUARTER_DAYS
    else:
        daily = (d - carry) / elapsed
    projection = np.maximum(daily, 0.0) * remaining
    forecast = d + np.maximum(projection, pipe)
    if settings.cap_to_listed:
        forecast = np.minimum(forecast, d + rest)
    return np.maximum(forecast, d), projection


def rate(
    done: float,
    forecast: float,
    target: float,
    expected: float,
    *,
    settings: ProgressSettings,
    at_least: bool = True,
    started: bool = True,
) -> Rating:
    """Green: on the milestone curve (done ≥ expected > 0) or forecast to reach the target; amber: forecast ≥ amber_ratio × target; else red.

    Being on the milestone curve counts only once the curve expects something: with
    nothing due yet (expected 0) the forecast decides, so a target with nothing done,
    nothing in progress and time passing is never green. For a ceiling
    (``at_least=False``) the comparison turns round: green when the forecast stays within
    the target, amber within target / amber_ratio. A target of 0, or a date before the
    plan year (``started=False``), is counted but not rated (``"none"``). The rule in
    words: :data:`ykgeo.progress.frames.RATING_RULE`.
    """
    if target <= 0 or not started:
        return "none"
    eps = 1e-9 * max(abs(target), 1.0)
    if at_least:
        on_curve = expected > eps and done >= expected - eps
        if on_curve or forecast >= target - eps:
            return "green"
        if forecast >= settings.amber_ratio * target - eps:
            return "amber"
        return "red"
    if forecast <= target + eps:
        return "green"
    if forecast <= target / settings.amber_ratio + eps:
        return "amber"
    return "red"
