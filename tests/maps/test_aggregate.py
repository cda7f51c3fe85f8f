"""A large layer drawn by township: read lean (envelopes) it gives exactly the figures of the full read."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tests.conftest import app_parcel_frame
from tests.maps.conftest import LAYERS, PARCELS
from ykgeo import maps
from ykgeo.maps.aggregate import _GRID_CELLS
from ykgeo.store import TZ, LayerEnvelopes, Store

_BOX = (119.95, 28.80, 120.25, 29.00)


def _townships(seed: int) -> gpd.GeoDataFrame:
    """Irregular townships sharing their edges (Voronoi cells), and one that overlaps others."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = _BOX
    seeds = shapely.multipoints(rng.uniform([x0, y0], [x1, y1], (12, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=shapely.box(*_BOX)))
    cells = shapely.intersection(cells, shapely.box(*_BOX))
    overlap = shapely.Point(120.1, 28.9).buffer(0.03, quad_segs=16)
    geoms = [*cells.tolist(), overlap]
    names = [f"镇{i:02d}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"镇街名称": names}, geometry=geoms, crs=4490)


def _parcels(n: int, seed: int) -> gpd.GeoDataFrame:
    """Parcels of every size, some across township edges, some beyond every township."""
    rng = np.random.default_rng(seed)
    gdf = app_parcel_frame(n, seed=seed)
    x0, y0, x1, y1 = _BOX
    cx = rng.uniform(x0 - 0.02, x1 + 0.02, n)
    cy = rng.uniform(y0 - 0.02, y1 + 0.02, n)
    size = rng.choice([0.0002, 0.001, 0.004, 0.02], n, p=[0.3, 0.4, 0.2, 0.1])
    star = np.linspace(0, 2 * np.pi, 9)[:-1]
    radius = size[:, None] * rng.uniform(0.3, 1.0, (n, 8))
    ring = np.stack([cx[:, None] + radius * np.cos(star), cy[:, None] + radius * np.sin(star)], -1)
    gdf["geometry"] = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
    return gdf


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store.create(tmp_path_factory.mktemp("aggregate") / "store.gpkg")
    store.import_features(
        PARCELS.key,
        _parcels(3000, seed=11),
        user="测试",
        source="测试数据",
        effective_date=dt.date(2022, 1, 1),
        recorded_at=dt.datetime(2022, 1, 1, 9, tzinfo=TZ),
    )
    return store


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("statuses", [None, ("已完成",), ("未启动", "推进中")])
def test_lean_aggregate_is_the_aggregate_of_the_full_read(
    store: Store, language: str, statuses: tuple[str, ...] | None
) -> None:
    towns = _townships(seed=3)
    full = maps.filter_features(store.read_layer(PARCELS.key), PARCELS, statuses=statuses)
    lean = maps.filter_envelopes(
        store.read_envelopes(PARCELS.key, ["状态"]), PARCELS, statuses=statuses
    )
    want = maps.aggregate_layer(
        full, PARCELS, towns, township_name_field="镇街名称", language=language
    )
    got = maps.aggregate_envelopes(
        lean, PARCELS, towns, township_name_field="镇街名称", language=language
    )
    assert got == want
    assert want.total == len(full)
    assert ("outside every township" if language == "en" else "不在任何镇街内") in want.note_zh


def test_every_township_layout_gives_the_same_counts(store: Store) -> None:
    lean = store.read_envelopes(PARCELS.key, ["状态"])
    full = store.read_layer(PARCELS.key)
    for seed in range(4, 10):
        towns = _townships(seed)
        want = maps.aggregate_layer(full, PARCELS, towns, township_name_field="镇街名称")
        got = maps.aggregate_envelopes(lean, PARCELS, towns, township_name_field="镇街名称")
        assert got == want, seed


def test_plan_draws_a_lean_layer_as_the_full_one(store: Store) -> None:
    towns = _townships(seed=3)
    settings = maps.MapSettings(feature_budget=1000)
    full = {"townships": towns, PARCELS.key: store.read_layer(PARCELS.key)}
    lean = {"townships": towns, PARCELS.key: store.read_envelopes(PARCELS.key, ["状态"])}
    options = {"settings": settings, "townships": towns, "township_name_field": "镇街名称"}
    want = maps.plan_map_layers(full, LAYERS, **options)
    assert [lay.kind for lay in want] == ["reference", "aggregate"]
    assert maps.plan_map_layers(lean, LAYERS, **options) == want


def test_lean_aggregate_decodes_only_features_near_a_boundary(store: Store) -> None:
    """Features well inside one township are placed by their envelope: their blobs are never read."""
    towns = _townships(seed=3)
    lean = store.read_envelopes(PARCELS.key, ["状态"])
    want = maps.aggregate_envelopes(lean, PARCELS, towns, township_name_field="镇街名称")
    # well inside: small, and two grid cells from any edge of a township
    x0, y0, x1, y1 = towns.total_bounds
    cell = max(x1 - x0, y1 - y0) / _GRID_CELLS
    small = ((lean.bounds[:, 2:] - lean.bounds[:, :2]) < min(x1 - x0, y1 - y0) / _GRID_CELLS).all(1)
    around = shapely.buffer(shapely.box(*lean.bounds.T), 2 * cell, join_style="mitre")
    geoms = towns.geometry.to_numpy()[:, None]
    inside = shapely.contains_properly(geoms, around[None, :]).sum(axis=0) == 1
    alone = shapely.intersects(geoms, around[None, :]).sum(axis=0) == 1
    well_inside = small & inside & alone
    assert well_inside.mean() > 0.2
    blobs = tuple(
        b"not a geometry" if w else b for w, b in zip(well_inside, lean.blobs, strict=True)
    )
    broken = LayerEnvelopes(fields=lean.fields, bounds=lean.bounds, blobs=blobs)
    # no placed feature's blob is decoded: the figures are the same
    assert maps.aggregate_envelopes(broken, PARCELS, towns, township_name_field="镇街名称") == want
