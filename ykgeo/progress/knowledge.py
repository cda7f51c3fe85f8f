"""Which records a figure counts: as the store knew them at the date (按当时所知) or as it knows them now (按现在所知).

The store is bitemporal: every edit has the day it took effect and the moment it was
recorded. A figure for a past date can be read with what had been recorded by the end of
that day (it never changes when asked again: the briefing of that day stays true) or with
everything recorded since (late entries and corrections included). Every view of the app
(cards, tables, map, export) reads through the same horizon, so they always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from ykgeo.store import Store, end_of_day, now
from ykgeo.store.plans import PLAN_LAYER

__all__ = [
    "KNOWLEDGE",
    "Knowledge",
    "LateRecords",
    "default_knowledge",
    "knowledge_horizon",
    "late_records",
]

#: 按当时所知 (what was recorded by the end of the date) or 按现在所知 (everything recorded so far).
Knowledge = Literal["then", "now"]
#: The two choices, in the order the app offers them.
KNOWLEDGE: tuple[Knowledge, ...] = ("now", "then")


def default_knowledge(as_of: dt.date, *, today: dt.date | None = None) -> Knowledge:
    """按现在所知 while the year of ``as_of`` is in progress (or ahead), 按当时所知 for a closed year.

    A closed year's figures are what was reported then; the year in progress is followed
    with every record as soon as it is made.
    """
    today = today or now().date()
    return "now" if as_of.year >= today.year else "then"


def knowledge_horizon(
    as_of: dt.date, knowledge: Knowledge, *, at: dt.datetime | None = None
) -> dt.datetime:
    """The moment up to which records count for a figure at the end of ``as_of``.

    ``then``: the end of ``as_of``. ``now``: ``at`` (default: now), but never before the
    end of ``as_of`` (a date still ahead is read with everything recorded).
    """
    close = end_of_day(as_of)
    if knowledge == "then":
        return close
    moment = at or now()
    return max(moment, close)


@dataclass(frozen=True)
class LateRecords:
    """Edits recorded after the end of ``as_of`` that take effect on or before it.

    They change what a view of ``as_of`` shows between 按当时所知 and 按现在所知.

    Attributes
    ----------
    as_of
        The date of the view.
    count
        Changes: one per feature and recording (a save that changes three fields of a
        parcel is one change; an import of 20 parcels is 20).
    features
        Distinct features they touch.
    layers
        The layers they touch, in log order (``ykgeo_plans`` for a plan amendment).
    """

    as_of: dt.date
    count: int
    features: int
    layers: tuple[str, ...]


def late_records(
    store: Store, as_of: dt.date, *, known_at: dt.datetime | None = None
) -> LateRecords:
    """The edits recorded after ``as_of`` (up to ``known_at``, default now) that take effect by it.

    Edits of features count, and amendments (计划调整) of the plan of ``as_of``'s year:
    按当时所知 uses the plan version known then. A plan's first version does not count
    (a figure uses it even when it was loaded later, see :meth:`Store.plan`), nor do the
    store's other records (亩均 evaluations), which no figure depends on.
    """
    log = store.edit_log(since=end_of_day(as_of), until=known_at)
    if log.empty:
        return LateRecords(as_of, 0, 0, ())
    effective = pd.to_datetime(log["effective_date"], errors="coerce")
    layer = log["layer"].astype(str)
    counted = layer.isin(list(store.layers)) | (
        (layer == PLAN_LAYER)
        & (log["action"] == "update")
        & (log["feature_id"].astype(str) == str(as_of.year))
    )
    late = log[((effective <= pd.Timestamp(as_of)) & counted).to_numpy(dtype=bool)]
    return LateRecords(
        as_of=as_of,
        count=int(late[["layer", "feature_id", "recorded_at"]].drop_duplicates().shape[0]),
        features=int(late[["layer", "feature_id"]].drop_duplicates().shape[0]),
        layers=tuple(dict.fromkeys(late["layer"].astype(str))),
    )
