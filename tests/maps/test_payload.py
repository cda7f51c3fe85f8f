"""A layer's payload: geometry encoding to 0.1 m, size budgets, aggregation of big layers."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import shapely

from tests.conftest import (
    app_parcel_frame,
    app_township_frame,
)
from tests.maps.conftest import (
    LAYERS,
    PARCELS,
    html_of,
    layer_frames,
)
from ykgeo import maps


def _decode(layer: dict, feature: dict) -> list:
    """Python mirror of ykmap.js decodeFeatures for one geometry."""
    ox, oy = layer["origin"]
    scale = layer["scale"]

    def line(flat: list[int]) -> list[tuple[float, float]]:
        xy = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0)
        return [(ox + x / scale, oy + y / scale) for x, y in xy.tolist()]

    g = feature["g"]
    if layer["gtype"] == "Point":
        return [(ox + g[0] / scale, oy + g[1] / scale)]
    if layer["gtype"] == "MultiLineString":
        return [line(r) for r in g]
    return [[line(r) for r in poly] for poly in g]


def test_encoded_geometry_round_trips_to_a_tenth_of_a_metre(app_small_store: Path) -> None:
    frames = layer_frames(app_small_store)
    parcels = frames["low_efficiency_industrial"]
    prepared = maps.prepare_layer(parcels, PARCELS, tolerance_deg=0.0)
    meta = {"origin": prepared.origin, "scale": prepared.scale, "gtype": prepared.geometry_type}
    features = json.loads(prepared.features_json)
    for feature in features[:50]:
        polys = _decode(meta, feature)
        decoded = shapely.MultiPolygon([shapely.Polygon(p[0], p[1:]) for p in polys])
        original = parcels.loc[feature["i"]].geometry
        assert shapely.hausdorff_distance(decoded, original) < 1e-6


def test_payload_for_100k_parcels_stays_small() -> None:
    parcels = app_parcel_frame(100_000, seed=7)
    towns = app_township_frame()
    frames = {"townships": towns, "low_efficiency_industrial": parcels}
    start = time.perf_counter()
    html = html_of(frames)
    seconds = time.perf_counter() - start
    size = len(html.encode("utf-8"))
    assert size < 5 * 1024 * 1024, size
    assert size < 200 * 1024  # aggregated by township: far less than the budget
    assert seconds < 20
    config = json.loads(re.search(r"YK\.init\(map_\w+, (\{.*\})\);", html).group(1))
    parcels_layer = next(x for x in config["layers"] if x["key"] == "low_efficiency_industrial")
    assert parcels_layer["kind"] == "aggregate"
    assert parcels_layer["total"] == 100_000
    totals = sum(int(f["p"][0].replace(",", "")) for f in parcels_layer["features"])
    assert totals == 100_000
    # narrowed to one township the parcels themselves are drawn, still within the budget
    area = towns.geometry.iloc[3]
    one = maps.filter_features(parcels, PARCELS, area=area)
    html = html_of({"townships": towns, "low_efficiency_industrial": one})
    assert len(html.encode("utf-8")) < 5 * 1024 * 1024
    config = json.loads(re.search(r"YK\.init\(map_\w+, (\{.*\})\);", html).group(1))
    drawn = next(x for x in config["layers"] if x["key"] == "low_efficiency_industrial")
    assert drawn["kind"] == "features" and drawn["count"] == len(one) > 5000


def test_budget_keeps_small_layers_detailed() -> None:
    parcels = app_parcel_frame(2_000, seed=3)
    settings = maps.MapSettings(feature_budget=1_000)
    frames = {"townships": app_township_frame(), "low_efficiency_industrial": parcels}
    layers = maps.plan_map_layers(
        frames,
        LAYERS,
        settings=settings,
        townships=frames["townships"],
        township_name_field="镇街名称",
    )
    kinds = {lay.key: lay.kind for lay in layers}
    assert kinds == {"townships": "reference", "low_efficiency_industrial": "aggregate"}
    layers = maps.plan_map_layers(frames, LAYERS, settings=maps.MapSettings(), townships=None)
    assert {lay.key: lay.kind for lay in layers}["low_efficiency_industrial"] == "features"
