"""Many county stores on a dask.distributed LocalCluster give the single-process engine's figures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import distributed  # in the test extra: a missing one fails, never skips
import pandas as pd
import pytest

from tests.progress.conftest import D, add, parcel, set_status, square
from ykgeo.progress import progress_many, progress_report
from ykgeo.store import Store


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as c:  # fmt: skip
        yield c


def _counties(make_store: Callable[..., Store]) -> list[Store]:
    """Three county stores of different sizes and histories (one without townships)."""
    stores = []
    for county, n in enumerate((3, 12, 30)):
        store = make_store(townships=county != 2)
        rows = [parcel(f"C{county}-{i}", square(-4000 + 260 * i, 200 * county)) for i in range(n)]
        add(store, "parcels", rows)
        for i in range(0, n, 2):
            set_status(store, "parcels", f"C{county}-{i}", "推进中", day="2022-03-01")
        for i in range(0, n, 3):
            set_status(store, "parcels", f"C{county}-{i}", "已完成", day=f"2022-0{4 + county}-10")
        stores.append(store)
    return stores


def test_cluster_figures_are_the_single_process_figures(
    make_store: Callable[..., Store], client: Any
) -> None:
    stores = _counties(make_store)
    paths = [s.path for s in stores]
    on_cluster = progress_many(paths, as_of=D("2022-09-30"), client=client)
    in_process = progress_many(paths, as_of=D("2022-09-30"))
    pd.testing.assert_frame_equal(on_cluster, in_process)
    # and both are the engine's own report, store by store
    for store in stores:
        report = progress_report(store, as_of=D("2022-09-30"))
        mine = on_cluster[on_cluster["store"] == store.path.name].set_index("key")
        for row in report.rows:
            assert mine.loc[row.key, "done"] == row.done
            assert mine.loc[row.key, "in_progress"] == row.in_progress
            assert mine.loc[row.key, "not_started"] == row.not_started


def test_province_total_is_the_sum_of_the_counties(
    make_store: Callable[..., Store], client: Any
) -> None:
    stores = _counties(make_store)
    figures = progress_many([s.path for s in stores], as_of=D("2022-12-31"), client=client)
    total = figures.groupby("key", sort=False)["done"].sum()
    count_done = sum(
        r.done
        for s in stores
        for r in progress_report(s, as_of=D("2022-12-31")).rows
        if r.key == "count_t"
    )
    assert total["count_t"] == count_done == 1 + 4 + 10


def test_no_stores_gives_an_empty_table() -> None:
    assert progress_many([], as_of=D("2022-09-30")).empty
