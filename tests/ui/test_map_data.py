"""The 地图 page's loader: a layer too large for the city-wide map is read lean, with the same map.

:func:`ykgeo.ui.data.map_layers` is called as the page calls it, on a store of 300
parcels with a feature budget of 100, so the parcels are drawn by township. The layers it
gives are compared with the map planned from the layers read whole (what the page drew
before), and the reads of the store are counted: the city-wide view must not read the
large layer whole (nor keep it in the cache of :func:`ykgeo.ui.data.layer_frame`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import app_build_store
from ykgeo import maps
from ykgeo.store import Store
from ykgeo.ui import data

PARCELS = "low_efficiency_industrial"
KEYS = (PARCELS, "road_sections")
SETTINGS = maps.MapSettings(feature_budget=100)


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(app_build_store(tmp_path / "store.gpkg"))


@pytest.fixture()
def whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The layers read whole (``Store.read_layer``) while the test runs; the reads themselves run."""
    seen: list[str] = []
    read_layer = Store.read_layer

    def counted(self: Store, key: str, **options: Any) -> Any:
        seen.append(key)
        return read_layer(self, key, **options)

    monkeypatch.setattr(Store, "read_layer", counted)
    return seen


def _planned_whole(
    store: Store, township: str, groups: tuple[str, ...], as_of: dt.date | None = None
) -> list[maps.MapLayer]:
    """The map as the page planned it from whole layers (the page's code before lean reads)."""
    towns = store.read_layer("townships")
    area = towns[towns["镇街名称"] == township].geometry.union_all() if township else None
    frames = {k: store.read_layer(k) for k in ("city_boundary", "townships")}
    for key in KEYS:
        spec = store.spec(key)
        statuses = spec.status.values_in(groups) if groups and spec.status else None
        frames[key] = maps.filter_features(
            store.read_layer(key, as_of=as_of), spec, statuses=statuses, area=area
        )
    return maps.plan_map_layers(
        frames, store.layers, settings=SETTINGS, townships=towns, township_name_field="镇街名称"
    )


@pytest.mark.parametrize("groups", [(), ("done", "in_progress")])
def test_city_wide_map_reads_the_large_layer_lean_and_draws_the_same(
    store: Store, whole_reads: list[str], groups: tuple[str, ...]
) -> None:
    layers, focus = data.map_layers(
        str(store.path), store.mtime_ns(), None, "now", KEYS, "", groups, SETTINGS
    )
    assert PARCELS not in whole_reads  # counted by township from statuses and envelopes
    assert "road_sections" in whole_reads  # within the budget: drawn feature by feature
    assert focus is None
    kinds = {lay.key: lay.kind for lay in layers}
    assert kinds[PARCELS] == "aggregate"
    assert layers == _planned_whole(store, "", groups)


@pytest.mark.parametrize(
    ("as_of", "township", "groups", "kind"),
    [
        (None, "古山镇", (), "features"),  # a township chosen
        (dt.date(2022, 6, 30), "", (), "aggregate"),  # a past date: rebuilt from the log
        (None, "", ("in_progress",), "features"),  # 90 in progress: within the budget
    ],
)
def test_township_past_date_and_small_selection_read_the_layer_whole(
    store: Store,
    whole_reads: list[str],
    as_of: dt.date | None,
    township: str,
    groups: tuple[str, ...],
    kind: str,
) -> None:
    knowledge = "then" if as_of else "now"
    layers, focus = data.map_layers(
        str(store.path), store.mtime_ns(), as_of, knowledge, KEYS, township, groups, SETTINGS
    )
    assert PARCELS in whole_reads
    assert (focus is not None) == bool(township)
    assert {lay.key: lay.kind for lay in layers}[PARCELS] == kind
    assert layers == _planned_whole(store, township, groups, as_of=as_of)
