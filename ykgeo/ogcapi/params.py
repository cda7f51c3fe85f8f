"""The request parameters ykgeo adds meaning to: ``datetime`` (as-of date), ``known-at`` and ``bbox``."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ykgeo.errors import DataError
from ykgeo.store import TZ, end_of_day

__all__ = [
    "CRS84",
    "EPSG4490",
    "KNOWN_AT_PARAMETER",
    "Snapshot",
    "parse_as_of",
    "parse_bbox",
    "parse_moment",
]

#: The output CRSs offered (OGC API – Features Part 2): CRS84 (the default) and CGCS2000.
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
#: The query parameter for what the store knew: ``now``, or a date / date-time.
KNOWN_AT_PARAMETER = "known-at"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Snapshot:
    """What a request asks for in time: the layers as of ``as_of`` as known at ``known_at``.

    ``as_of`` None is the layers now; ``known_now`` means every record up to the request
    (later corrections included), as ``ykgeo progress --known-now``.
    """

    as_of: dt.date | None = None
    known_at: dt.datetime | None = None
    known_now: bool = False

    def cache_key(self) -> tuple[Any, ...]:
        """A hashable key: the same rows for the same key while the store is unchanged."""
        return (self.as_of, None if self.known_now else self.known_at, self.known_now)


def parse_moment(text: str, what: str) -> dt.date | dt.datetime:
    """``YYYY-MM-DD`` as a date, an RFC 3339 instant as an aware date-time (Beijing time if naive)."""
    value = text.strip()
    if _DATE_RE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise DataError(f"{what}={text!r} 不是有效日期（YYYY-MM-DD）") from None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        msg = f"{what}={text!r} 不是日期（YYYY-MM-DD）或 RFC 3339 时刻（如 2022-09-30T17:00:00+08:00）"
        raise DataError(msg) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=TZ)


def parse_as_of(
    datetime_: str | None, known_at: str | None, *, default: Snapshot | None = None
) -> Snapshot:
    """The snapshot a request's ``datetime`` and ``known-at`` parameters ask for.

    ``datetime`` is one date (an instant is taken as its date in Beijing time): the layer
    as it stood at the end of that day, as the store knew it then — the rows of
    ``ykgeo export --as-of``. ``known-at=now`` adds what was recorded later
    (corrections); ``known-at=<date or instant>`` asks what was known at that moment.
    Intervals are refused: a layer has one state per date. Without ``datetime`` the
    server's ``default`` applies (``ykgeo serve --as-of``; else the layers now).

    Raises
    ------
    DataError
        A value that is not a date, an interval, or ``known-at`` without ``datetime``.
    """
    knowledge = (known_at or "").strip()
    if datetime_ is None or not datetime_.strip():
        base = default or Snapshot()
        if knowledge.lower() == "now":
            return Snapshot(as_of=base.as_of, known_now=True) if base.as_of else base
        if knowledge:
            msg = f"{KNOWN_AT_PARAMETER} 须与 datetime 一起使用（如 datetime=2022-09-30&{KNOWN_AT_PARAMETER}=now）"
            raise DataError(msg)
        return base
    if "/" in datetime_ or datetime_.strip() == "..":
        msg = f"datetime={datetime_!r}：只支持单一日期（如 datetime=2022-09-30），不支持时间区间"
        raise DataError(msg)
    moment = parse_moment(datetime_, "datetime")
    day = moment.astimezone(TZ).date() if isinstance(moment, dt.datetime) else moment
    if not knowledge:
        return Snapshot(as_of=day, known_at=end_of_day(day))
    if knowledge.lower() == "now":
        return Snapshot(as_of=day, known_now=True)
    when = parse_moment(knowledge, KNOWN_AT_PARAMETER)
    return Snapshot(as_of=day, known_at=when if isinstance(when, dt.datetime) else end_of_day(when))


def parse_bbox(bbox: Sequence[float]) -> tuple[float, float, float, float] | None:
    """The bbox pygeoapi hands a provider (in EPSG:4490 axis order: lat, lon) as lon/lat bounds.

    pygeoapi has checked the count and that they are numbers, and transformed a CRS84
    bbox to the storage CRS; NaN, infinities, out-of-range and inverted boxes are refused here.
    """
    if not bbox:
        return None
    values = [float(v) for v in bbox]
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise DataError("bbox 须为 4 个有限数值（经纬度）")
    lat0, lon0, lat1, lon1 = values
    if not (
        min(lat0, lat1) >= -90
        and max(lat0, lat1) <= 90
        and min(lon0, lon1) >= -180
        and max(lon0, lon1) <= 180
    ):
        raise DataError(
            "bbox 超出经纬度范围（默认 CRS84 顺序：最小经度,最小纬度,最大经度,最大纬度；"
            "bbox-crs 为 EPSG:4490 时为 纬度,经度 顺序）"
        )
    if lat0 > lat1 or lon0 > lon1:
        raise DataError("bbox 的最小值大于最大值（不支持跨 180° 经线的范围）")
    return (lon0, lat0, lon1, lat1)
