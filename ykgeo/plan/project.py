"""A new project store for the bureau's own data (``ykgeo init``): layer definitions, boundary, townships; no project features, no plan.

The boundary and townships are the shipped ones (``data/gis/sources``) unless the bureau
gives its own files, which are read and checked like any import: the boundary must be
Yongkang's (it must coincide with the shipped outline to within 10 % of either area) and
the townships must tile it (gaps, overlaps and parts outside each at most 0.2 % of the
city). Nothing is written unless everything is right, and an existing file is never
overwritten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ykgeo.area import ellipsoidal_area_m2
from ykgeo.errors import DataError, StoreError, ValidationError
from ykgeo.io import validate_file
from ykgeo.io.sources import boundary_frame, read_boundary, township_frame
from ykgeo.layers import LayerRegistry, load_layers
from ykgeo.store import Store
from ykgeo.units import m2_to_mu

__all__ = ["InitSummary", "init_store"]

BOUNDARY_LAYER = "city_boundary"
TOWNSHIP_LAYER = "townships"
#: A bureau's boundary must cover and be covered by the shipped outline to this share.
MIN_BOUNDARY_OVERLAP = 0.90
#: Gaps, overlaps and parts outside, each as a share of the city's area, that are refused.
MAX_TILING_SHARE = 0.002
_INIT_USER = "项目库初始化"


@dataclass(frozen=True)
class InitSummary:
    """What ``init`` put in the new store."""

    path: Path
    layers: int
    townships: tuple[str, ...]
    boundary_source: str
    township_source: str
    notes: tuple[str, ...] = ()


def _area_mu(geom: shapely.Geometry) -> float:
    return float(m2_to_mu(ellipsoidal_area_m2(np.asarray([geom], dtype=object)))[0])


def _read_checked(path: Path, registry: LayerRegistry, key: str) -> gpd.GeoDataFrame:
    report = validate_file(path, registry[key])
    if not report.ok or report.gdf is None:
        raise ValidationError(report.problems, file=path.name)
    return report.gdf


def _check_boundary(geom: shapely.Geometry, source: str) -> None:
    shipped = read_boundary()
    inter = _area_mu(shapely.intersection(geom, shipped))
    own, ref = _area_mu(geom), _area_mu(shipped)
    if inter < MIN_BOUNDARY_OVERLAP * own or inter < MIN_BOUNDARY_OVERLAP * ref:
        where = shapely.centroid(geom)
        msg = (
            f"{source} 不是永康市界：与永康市界（天地图概化界线，{ref / 1500:,.0f} km²）重合 "
            f"{inter / 1500:,.1f} km²，只占文件范围（{own / 1500:,.1f} km²）的 {inter / max(own, 1e-9):.1%}、"
            f"市界的 {inter / ref:.1%}；文件范围中心在东经 {where.x:.3f}°、北纬 {where.y:.3f}°"
        )
        raise DataError(msg)


def _check_tiling(
    towns: gpd.GeoDataFrame, names: list[str], boundary: shapely.Geometry, source: str
) -> list[str]:
    """Refuse townships that do not tile the boundary; return notes on the small slivers that pass."""
    geoms = np.asarray(towns.geometry.to_numpy(), dtype=object)
    city = _area_mu(boundary)
    union = shapely.union_all(geoms)
    gaps = _area_mu(shapely.difference(boundary, union))
    outside = _area_mu(shapely.difference(union, boundary))
    pairs: list[tuple[str, str, float]] = []
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j:
            mu = _area_mu(shapely.intersection(geoms[i], geoms[j]))
            if mu > 0.01:
                pairs.append((names[i], names[j], mu))
    overlap = sum(p[2] for p in pairs)
    limit = MAX_TILING_SHARE * city
    problems = []
    if gaps > limit:
        problems.append(f"市界内有 {gaps:,.1f} 亩不属于任何镇街（占全市 {gaps / city:.2%}）")
    if overlap > limit:
        worst = "、".join(
            f"{a}与{b} {mu:,.1f} 亩" for a, b, mu in sorted(pairs, key=lambda p: -p[2])[:3]
        )
        problems.append(f"镇街之间重叠 {overlap:,.1f} 亩（{worst}）")
    if outside > limit:
        problems.append(f"镇街范围超出市界 {outside:,.1f} 亩")
    if problems:
        msg = (
            f"{source} 的镇街范围没有铺满市界："
            + "；".join(problems)
            + f"。允许的误差为全市面积的 {MAX_TILING_SHARE:.1%}（{limit:,.0f} 亩）。"
        )
        raise DataError(msg)
    notes = []
    if gaps + overlap + outside > 0.01:
        notes.append(
            f"镇街与市界之间的细小缝隙和重叠合计 {gaps + overlap + outside:,.2f} 亩，在允许范围内"
        )
    return notes


def init_store(
    path: Path | str,
    *,
    name_zh: str | None = None,
    layers_dir: Path | str | None = None,
    boundary: Path | str | None = None,
    townships: Path | str | None = None,
    now: dt.datetime | None = None,
) -> tuple[Store, InitSummary]:
    """Create an empty store at ``path`` with the boundary and townships (see the module docstring).

    Raises
    ------
    StoreError
        ``path`` exists already.
    ValidationError
        A boundary or townships file with problems (every problem listed).
    DataError
        A boundary that is not Yongkang's, townships that do not tile it.
    """
    path = Path(path)
    if path.exists():
        msg = f"文件已存在：{path}。init 不会覆盖已有项目库；请换一个文件名，或先移走原文件。"
        raise StoreError(msg)
    registry = load_layers(layers_dir) if layers_dir else load_layers()
    missing = [k for k in (BOUNDARY_LAYER, TOWNSHIP_LAYER) if k not in registry]
    if missing:
        msg = f"图层定义中缺少 {'、'.join(missing)}（市界和镇街图层），无法建库"
        raise StoreError(msg)
    notes: list[str] = []
    if boundary is not None:
        b_path = Path(boundary)
        frame = _read_checked(b_path, registry, BOUNDARY_LAYER)
        geom = shapely.union_all(np.asarray(frame.geometry.to_numpy(), dtype=object))
        _check_boundary(geom, b_path.name)
        row = frame.iloc[[0]].copy()
        b_frame = gpd.GeoDataFrame(
            row.drop(columns=row.geometry.name), geometry=[geom], crs=frame.crs
        )
        if "数据来源" in b_frame and pd.isna(b_frame["数据来源"].iloc[0]):
            b_frame["数据来源"] = b_path.name
        b_source = b_path.name
    else:
        b_frame = boundary_frame()
        geom = b_frame.geometry.iloc[0]
        b_source = "随程序提供的永康市界（天地图概化界线）"
    if townships is not None:
        t_path = Path(townships)
        t_frame = _read_checked(t_path, registry, TOWNSHIP_LAYER)
        t_source = t_path.name
    else:
        t_frame = township_frame()
        t_source = "随程序提供的 14 个镇街（代码、名称、驻地真实；范围为示意）"
    spec = registry[TOWNSHIP_LAYER]
    names = [str(v) for v in t_frame[spec.name_field]] if spec.name_field else []
    notes += _check_tiling(t_frame, names, geom, t_source)
    tmp = path.with_name(f".{path.name}.init")
    tmp.unlink(missing_ok=True)
    try:
        store = Store.create(
            tmp, layers=registry, name_zh=name_zh or "永康市用地与基础设施项目库", overwrite=True
        )
        for key, frame, source in (
            (BOUNDARY_LAYER, b_frame, b_source),
            (TOWNSHIP_LAYER, t_frame, t_source),
        ):
            store.import_features(
                key, frame, user=_INIT_USER, source=source, mode="append", recorded_at=now
            )
        try:
            path.hardlink_to(tmp)  # never overwrites: fails if the file appeared meanwhile
        except FileExistsError as err:
            msg = f"文件已存在：{path}（建库期间被其他程序创建），未覆盖"
            raise StoreError(msg) from err
        except OSError:  # a file system without hard links: check, then move
            if path.exists():
                msg = f"文件已存在：{path}（建库期间被其他程序创建），未覆盖"
                raise StoreError(msg) from None
            tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    summary = InitSummary(path, len(registry), tuple(names), b_source, t_source, tuple(notes))
    return Store(path, layers=registry), summary
