"""What ``datetime``, ``known-at`` and ``bbox`` mean to ykgeo's OGC API providers."""

from __future__ import annotations

import datetime as dt

import pytest

from ykgeo.errors import DataError
from ykgeo.ogcapi import Snapshot, parse_as_of, parse_bbox
from ykgeo.store import TZ, end_of_day


def test_a_date_is_the_layer_at_the_end_of_that_day_as_known_then() -> None:
    assert parse_as_of("2022-09-30", None) == Snapshot(
        dt.date(2022, 9, 30), end_of_day(dt.date(2022, 9, 30))
    )


def test_known_at_now_or_at_a_moment() -> None:
    assert parse_as_of("2022-09-30", "now") == Snapshot(dt.date(2022, 9, 30), None, known_now=True)
    later = parse_as_of("2022-09-30", "2022-10-15T09:00:00+08:00")
    assert later.known_at == dt.datetime(2022, 10, 15, 9, tzinfo=TZ)
    assert parse_as_of("2022-09-30", "2022-10-15").known_at == end_of_day(dt.date(2022, 10, 15))


def test_an_instant_counts_as_its_date_in_beijing() -> None:
    # 2022-09-30T20:00Z is 1 October 04:00 in Beijing
    assert parse_as_of("2022-09-30T20:00:00Z", None).as_of == dt.date(2022, 10, 1)


def test_no_datetime_takes_the_servers_default() -> None:
    assert parse_as_of(None, None) == Snapshot()
    default = Snapshot(dt.date(2022, 6, 30), end_of_day(dt.date(2022, 6, 30)))
    assert parse_as_of("", None, default=default) == default
    assert parse_as_of(None, "now", default=default) == Snapshot(
        dt.date(2022, 6, 30), known_now=True
    )


@pytest.mark.parametrize(
    ("datetime_", "known_at", "message"),
    [
        ("garbage", None, "不是日期"),
        ("2022-13-45", None, "不是有效日期"),
        ("99999999999999999999", None, "不是日期"),
        ("2022-01-01/2022-09-30", None, "不支持时间区间"),
        ("../2022-09-30", None, "不支持时间区间"),
        ("..", None, "不支持时间区间"),
        ("2022-09-30", "yesterday", "known-at"),
        (None, "2022-10-01", "须与 datetime 一起使用"),
    ],
)
def test_bad_dates_are_refused_with_a_message(
    datetime_: str | None, known_at: str | None, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        parse_as_of(datetime_, known_at)


def test_bbox_in_storage_axis_order_becomes_lon_lat() -> None:
    assert parse_bbox([28.8, 120.0, 28.9, 120.1]) == (120.0, 28.8, 120.1, 28.9)
    assert parse_bbox([28.8, 120.0, 0, 28.9, 120.1, 100]) == (120.0, 28.8, 120.1, 28.9)
    assert parse_bbox([]) is None


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ([float("nan")] * 4, "有限数值"),
        ([float("inf"), 0, 1, 1], "有限数值"),
        ([120.0, 28.8, 120.1, 28.9], "超出经纬度范围"),
        ([28.9, 120.0, 28.8, 120.1], "最小值大于最大值"),
    ],
)
def test_bad_bboxes_are_refused(bbox: list[float], message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_bbox(bbox)
