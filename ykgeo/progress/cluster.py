"""Progress for many county stores at once: one partition per store, counted on a dask.distributed cluster.

A province roll-up (Zhejiang's 90 counties) is the size where one process is no
longer enough. Each county keeps its own store, so a county is the natural
partition: a worker opens the store, counts every target with the ordinary engine
(:func:`ykgeo.progress.progress_report`) and sends back one small table; only those
tables travel, never geometries. The same function runs in-process when no client is
given, which is how the tests check that the cluster's figures are the
single-process engine's figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ykgeo.progress.engine import progress_report
from ykgeo.store import Store

__all__ = ["FIGURE_COLUMNS", "county_figures", "progress_many"]

#: The columns of :func:`county_figures` and :func:`progress_many`.
FIGURE_COLUMNS = [
    "store", "key", "name_zh", "unit", "target", "done", "in_progress", "not_started",
    "forecast", "data_version",
]  # fmt: skip


def county_figures(
    path: str, *, as_of: dt.date, year: int | None = None, known_at: dt.datetime | None = None
) -> pd.DataFrame:
    """One county store's figures: a row per target of its plan (the work of one partition)."""
    store = Store(path)
    report = progress_report(store, as_of=as_of, year=year, known_at=known_at)
    rows = [
        (Path(path).name, r.key, r.name_zh, r.unit, r.target, r.done, r.in_progress,
         r.not_started, r.forecast, report.data_version.log_id)
        for r in report.rows
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def progress_many(
    paths: Sequence[Path | str],
    *,
    as_of: dt.date,
    year: int | None = None,
    known_at: dt.datetime | None = None,
    client: Any = None,
) -> pd.DataFrame:
    """Figures of many county stores, a row per store and target, in the order of ``paths``.

    Parameters
    ----------
    paths
        The county stores (GeoPackages); each must be readable where the workers run.
    as_of, year, known_at
        As for :func:`ykgeo.progress.progress_report`.
    client
        A ``dask.distributed.Client``: one task per store on its workers. Without one,
        the stores are counted one after another in this process.

    Returns
    -------
    pandas.DataFrame
        :data:`FIGURE_COLUMNS`; sum ``done`` by ``key`` for the province.
    """
    names = [str(p) for p in paths]
    if client is None:
        frames = [county_figures(p, as_of=as_of, year=year, known_at=known_at) for p in names]
    else:
        futures = client.map(
            county_figures, names, as_of=as_of, year=year, known_at=known_at, pure=False
        )
        frames = client.gather(futures)
    if not frames:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    return pd.concat(frames, ignore_index=True)
