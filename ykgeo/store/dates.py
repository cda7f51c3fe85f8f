"""Times as the store records them: China Standard Time, ISO 8601 with the offset written out."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["TZ", "end_of_day", "known_now", "now", "stamp"]

#: Times are recorded in China Standard Time with the offset written out.
TZ = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """The current time in China Standard Time."""
    return dt.datetime.now(TZ)


def known_now() -> dt.datetime:
    """A knowledge horizon that includes everything recorded so far, this very second too.

    Records are stamped to the second and a horizon excludes what was recorded at it, so
    ``now()`` would miss an edit made earlier in the same second; this is the next second.
    """
    return now().replace(microsecond=0) + dt.timedelta(seconds=1)


def stamp(moment: dt.datetime) -> str:
    """A moment as the store records it: ISO 8601 in China Standard Time, to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ).isoformat(timespec="seconds")


def end_of_day(day: dt.date) -> dt.datetime:
    """Midnight after ``day`` in China Standard Time: the default knowledge horizon of a figure for ``day``."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=TZ)
