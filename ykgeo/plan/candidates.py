"""Next year's remediation list from the 亩均效益评价: rank the land not yet remediated and mark where the target is reached.

The candidates are (a) the features of the target's layer that are not done (结转: on the
list already, unfinished) and (b) the parcels of the industrial-land register (the layer
named in the 亩均 rules, ``industrial_parcels`` by default) of firms classed D in the last
evaluation, or C in each of the last ``persistent_c_years`` evaluations, that are not on
the list yet. They are ranked D first, then C years running, then the other carried-over
features, each group by 亩均税收 ascending; the cut is where the cumulative ellipsoidal
area first reaches the target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ykgeo.area import ellipsoidal_area_m2
from ykgeo.errors import DataError, StoreError
from ykgeo.layers import LayerSpec, TargetSpec, parse_layer
from ykgeo.plan.evaluation import CODE_FIELD, join_evaluation
from ykgeo.units import m2_to_mu

__all__ = ["GROUPS_ZH", "CandidateList", "candidate_layer_spec", "rank_candidates"]

#: Group of a candidate → (order, Chinese label).
GROUPS_ZH: Mapping[str, tuple[int, str]] = {
    "D": (0, "D类"),
    "CC": (1, "连续C类"),
    "carry": (2, "结转（其他）"),
}


@dataclass(frozen=True, eq=False)
class CandidateList:
    """A ranked candidate list for one target of one plan year.

    ``table`` has one row per candidate in rank order: 序号, 入选 (within the cut), 分组,
    来源, 图层, 地块编号, 企业名称, 统一社会信用代码, 镇街, one 类别 column per
    evaluation year, 亩均税收, 面积（亩）, 累计面积（亩）, 状态, 匹配方式, and
    ``geometry`` (EPSG:4490). ``cut`` is the 1-based rank at which the cumulative area
    first reaches ``target_value`` (None when the list does not reach it or the target
    has no value).
    """

    year: int
    target: TargetSpec
    target_value: float | None
    as_of: dt.date
    evaluation_years: tuple[int, ...]
    table: gpd.GeoDataFrame
    cut: int | None
    unmatched_firms: pd.DataFrame
    unevaluated: pd.DataFrame
    notes: tuple[str, ...] = ()
    rules_zh: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def selected(self) -> gpd.GeoDataFrame:
        """The candidates up to and including the cut (all of them when the cut is not reached)."""
        if self.cut is None:
            return self.table
        return self.table.iloc[: self.cut]

    @property
    def total_mu(self) -> float:
        """Area of every candidate (亩)."""
        return float(self.table["面积（亩）"].sum())

    @property
    def selected_mu(self) -> float:
        """Area of the candidates within the cut (亩)."""
        return float(self.selected["面积（亩）"].sum())

    def summary_zh(self) -> str:
        """One line: how many, how much, where the cut is."""
        head = f"{self.year} 年 {self.target.name_zh}候选地块 {len(self.table)} 块，合计 {self.total_mu:,.2f} 亩"
        if self.target_value is None:
            return head + "；目标值未定，未划线"
        if self.cut is None:
            short = self.target_value - self.total_mu
            return head + f"；全部纳入仍差 {short:,.2f} 亩，达不到目标 {self.target_value:,.2f} 亩"
        cum = float(self.table["累计面积（亩）"].iloc[self.cut - 1])
        return (
            head
            + f"；划线在第 {self.cut} 位（累计 {cum:,.2f} 亩 ≥ 目标 {self.target_value:,.2f} 亩），线内 {self.cut} 块"
        )


def _classes_per_parcel(
    parcels: gpd.GeoDataFrame, tables: Mapping[int, pd.DataFrame]
) -> pd.DataFrame:
    """Per parcel and evaluation year: class, 亩均税收, firm and how it was matched.

    A parcel several firms share (合用宗地) takes the class of the firm with the most
    land (ties: the worse class), and the land-weighted 亩均税收 of all of them.
    """
    out = pd.DataFrame(index=parcels.index)
    for year, table in sorted(tables.items()):
        matched, _ = join_evaluation(parcels, table)
        m = matched.assign(
            _area=matched["用地面积"].fillna(0.0),
            _cls=matched["类别"].fillna("Z"),
            _code=matched[CODE_FIELD].fillna(""),
        )
        main = (
            m.sort_values(["地块", "_area", "_cls", "_code"], ascending=[True, False, False, True])
            .drop_duplicates("地块")
            .set_index("地块")
        )
        ok = m["用地面积"].gt(0) & m["亩均税收"].notna()
        weighted = (m["亩均税收"] * m["用地面积"]).where(ok).groupby(m["地块"]).sum(min_count=1)
        land = m["用地面积"].where(ok).groupby(m["地块"]).sum(min_count=1)
        tax = (weighted / land).reindex(parcels.index)
        tax = tax.fillna(main["亩均税收"].reindex(parcels.index))
        by_code = (m["匹配方式"] == "信用代码").groupby(m["地块"]).any().reindex(parcels.index)
        by_place = (m["匹配方式"] == "位置").groupby(m["地块"]).any().reindex(parcels.index)
        code_hit = by_code.fillna(False).to_numpy(dtype=bool)
        place_hit = by_place.fillna(False).to_numpy(dtype=bool)
        how = pd.Series(
            np.select(
                [code_hit & place_hit, code_hit, place_hit],
                ["位置、信用代码", "信用代码", "位置"],
                "",
            ),
            index=parcels.index,
        )
        out[f"{year}类别"] = main["类别"].reindex(parcels.index).to_numpy(dtype=object)
        out[f"{year}亩均税收"] = tax.to_numpy(dtype="float64")
        out[f"{year}匹配"] = how.to_numpy(dtype=object)
        out[f"{year}企业"] = main["企业名称"].reindex(parcels.index).to_numpy(dtype=object)
    return out


def rank_candidates(
    *,
    year: int,
    target: TargetSpec,
    target_value: float | None,
    as_of: dt.date,
    spec: LayerSpec,
    layer: gpd.GeoDataFrame,
    register_spec: LayerSpec | None,
    register: gpd.GeoDataFrame | None,
    tables: Mapping[int, pd.DataFrame],
    persistent_c_years: int = 2,
    same_land_share: float = 0.5,
    township_of: Any = None,
) -> CandidateList:
    """Rank the candidates (pure: the caller reads the layers and the evaluations).

    ``layer`` is the target's layer as of ``as_of`` (EPSG:4490, indexed by id);
    ``register`` the industrial-land register (or None); ``tables`` the classified
    evaluations by year. ``township_of(geoms) -> names`` names the township of each
    geometry (None: the layers' township fields).
    """
    last = year - 1
    c_years = tuple(range(year - persistent_c_years, year))
    years = tuple(sorted({last, *c_years}))
    notes: list[str] = []
    if last not in tables:
        msg = f"没有 {last} 年的亩均效益评价，无法确定 {year} 年的候选地块（先用 ykgeo mujun import 导入）"
        raise StoreError(msg)
    missing_c = [y for y in c_years if y not in tables]
    if missing_c:
        notes.append(
            f"缺 {'、'.join(map(str, missing_c))} 年的亩均评价：连续 C 类无法判断，只按 D 类和结转排序"
        )
    status = spec.status
    if status is None:
        msg = f"图层 {spec.name_zh} 没有状态字段，不能排序候选地块"
        raise DataError(msg)
    done = layer[status.field].isin(list(target.statuses))
    carry = layer[~done.to_numpy()]
    frames = []
    carry_frame = gpd.GeoDataFrame(
        {
            "来源": f"结转（{spec.name_zh}）",
            "图层": spec.key,
            "地块编号": carry.index.astype(str),
            "企业名称": carry.get(spec.name_field, None),
            CODE_FIELD: carry.get(CODE_FIELD, None),
            "台账镇街": carry.get(spec.township_field, None),
            "状态": carry[status.field],
        },
        geometry=carry.geometry.to_numpy(),
        crs=layer.crs,
    )
    frames.append(carry_frame)
    if register is not None and register_spec is not None and len(register):
        reg = register
        layer_codes = set(layer[CODE_FIELD].dropna().astype(str)) if CODE_FIELD in layer else set()
        same_code = (
            reg[CODE_FIELD].astype(str).isin(layer_codes).to_numpy()
            if CODE_FIELD in reg
            else np.zeros(len(reg), bool)
        )
        same_land = _overlapping(
            reg.geometry.to_numpy(), layer.geometry.to_numpy(), same_land_share
        )
        fresh = reg[~(same_code | same_land)]
        frames.append(
            gpd.GeoDataFrame(
                {
                    "来源": register_spec.name_zh,
                    "图层": register_spec.key,
                    "地块编号": fresh.index.astype(str),
                    "企业名称": fresh.get(register_spec.name_field, None),
                    CODE_FIELD: fresh.get(CODE_FIELD, None),
                    "台账镇街": fresh.get(register_spec.township_field, None),
                    "状态": "",
                },
                geometry=fresh.geometry.to_numpy(),
                crs=register.crs,
            )
        )
    pool = gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs=layer.crs
    )
    pool.index = pd.Index(pool["图层"] + ":" + pool["地块编号"])
    firms = _unmatched_firms(layer, register, tables, years)
    classes = _classes_per_parcel(pool, {y: tables[y] for y in years if y in tables})
    last_cls = classes[f"{last}类别"]
    is_d = (last_cls == "D").to_numpy()
    is_cc = np.ones(len(pool), dtype=bool) if not missing_c else np.zeros(len(pool), dtype=bool)
    for y in c_years:
        if y in tables:
            is_cc &= (classes[f"{y}类别"] == "C").to_numpy()
    from_layer = (pool["图层"] == spec.key).to_numpy()
    group = np.where(is_d, "D", np.where(is_cc, "CC", np.where(from_layer, "carry", "")))
    keep = group != ""
    pool = pool[keep].copy()
    classes = classes[keep]
    group = group[keep]
    pool["分组"] = [GROUPS_ZH[g][1] for g in group]
    for y in years:
        if y in tables:
            pool[f"{y}年类别"] = classes[f"{y}类别"].to_numpy()
    pool["亩均税收"] = classes[f"{last}亩均税收"].to_numpy()
    pool["匹配方式"] = classes[f"{last}匹配"].to_numpy()
    firm = classes[f"{last}企业"].to_numpy()
    pool["企业名称"] = np.where(
        pd.isna(pool["企业名称"].to_numpy()), firm, pool["企业名称"].to_numpy()
    )
    geoms = np.asarray(pool.geometry.to_numpy(), dtype=object)
    pool["面积（亩）"] = m2_to_mu(ellipsoidal_area_m2(geoms))
    pool["镇街"] = township_of(geoms) if township_of is not None else pool["台账镇街"].to_numpy()
    order_key = np.array([GROUPS_ZH[g][0] for g in group])
    tax = pool["亩均税收"].to_numpy(dtype="float64")
    order = np.lexsort(
        (
            pool.index.to_numpy(dtype=str),
            -pool["面积（亩）"].to_numpy(),
            np.where(np.isfinite(tax), tax, np.inf),
            order_key,
        )
    )
    table = pool.iloc[order].reset_index(drop=True)
    table["累计面积（亩）"] = table["面积（亩）"].cumsum()
    cut: int | None = None
    if target_value is not None and target_value > 0 and len(table):
        reached = np.flatnonzero(table["累计面积（亩）"].to_numpy() >= target_value - 1e-9)
        cut = int(reached[0]) + 1 if len(reached) else None
    table.insert(0, "序号", np.arange(1, len(table) + 1))
    table.insert(
        1,
        "入选",
        ["是" if cut is None or i < cut else "否" for i in range(len(table))]
        if target_value
        else "",
    )
    unevaluated = (
        table[table[f"{last}年类别"].isna()][["地块编号", "企业名称", "来源"]]
        if len(table)
        else pd.DataFrame()
    )
    columns = ["序号", "入选", "分组", "来源", "图层", "地块编号", "企业名称", CODE_FIELD, "镇街",
               *[f"{y}年类别" for y in years if y in tables], "亩均税收", "面积（亩）", "累计面积（亩）", "状态", "匹配方式", "geometry"]  # fmt: skip
    table = gpd.GeoDataFrame(table[columns], geometry="geometry", crs=layer.crs)
    return CandidateList(
        year=year,
        target=target,
        target_value=target_value,
        as_of=as_of,
        evaluation_years=years,
        table=table,
        cut=cut,
        unmatched_firms=firms,
        unevaluated=unevaluated,
        notes=tuple(notes),
    )


def _unmatched_firms(
    layer: gpd.GeoDataFrame,
    register: gpd.GeoDataFrame | None,
    tables: Mapping[int, pd.DataFrame],
    years: Sequence[int],
) -> pd.DataFrame:
    """Evaluation rows that match no parcel at all (neither the target's layer nor the register), by year."""
    frames = [
        gpd.GeoDataFrame(
            {CODE_FIELD: layer.get(CODE_FIELD)}, geometry=layer.geometry.to_numpy(), crs=layer.crs
        )
    ]
    if register is not None:
        frames.append(
            gpd.GeoDataFrame(
                {CODE_FIELD: register.get(CODE_FIELD)},
                geometry=register.geometry.to_numpy(),
                crs=register.crs,
            )
        )
    everything = gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True), geometry="geometry", crs=layer.crs
    )
    out = []
    for year in years:
        if year in tables:
            _, missing = join_evaluation(everything, tables[year])
            if len(missing):
                out.append(missing.assign(评价年度=year))
    if not out:
        return pd.DataFrame(columns=["评价年度", "行号", CODE_FIELD, "企业名称", "类别"])
    return pd.concat(out, ignore_index=True)


def _overlapping(geoms: Any, others: Any, share: float) -> np.ndarray:
    """Whether each of ``geoms`` has more than ``share`` of its area under one of ``others`` (planar degrees are fine for a ratio)."""
    a = np.asarray(geoms, dtype=object)
    b = np.asarray(others, dtype=object)
    out = np.zeros(len(a), dtype=bool)
    if not len(a) or not len(b):
        return out
    tree = shapely.STRtree(b)
    left, right = tree.query(a, predicate="intersects")
    if not len(left):
        return out
    inter = shapely.area(shapely.intersection(a[left], b[right]))
    ratio = inter / np.maximum(shapely.area(a[left]), 1e-30)
    hit = ratio > share
    out[left[hit]] = True
    return out


#: How a candidate list is drawn on the map: a layer of its own, coloured by whether it is within the cut.
CANDIDATE_LAYER_TOML = """
key = "candidates"
name_zh = "候选地块"
name_en = "Candidate parcels"
theme = "土地"
order = 5
geometry_type = "Polygon"
id_field = "地块编号"
name_field = "企业名称"
township_field = "镇街"
description_zh = "下一年度整治候选地块（亩均评价 D 类、连续 C 类及结转），线内为入选。"

[status]
field = "入选"
values = ["否", "是"]
in_progress = []
done = ["是"]

[[fields]]
name = "地块编号"
required = true
[[fields]]
name = "企业名称"
[[fields]]
name = "镇街"
[[fields]]
name = "分组"
[[fields]]
name = "入选"
[[fields]]
name = "序号"
type = "int"
[[fields]]
name = "亩均税收"
type = "float"
unit = "万元/亩"
[[fields]]
name = "面积（亩）"
type = "float"
unit = "亩"

[style]
fill_opacity = 0.6
weight = 1.2
status_colors = { "否" = "#90a4ae", "是" = "#c62828" }
"""


def candidate_layer_spec() -> LayerSpec:
    """The layer definition a candidate list is drawn with (within the cut red, beyond it grey)."""
    return parse_layer(CANDIDATE_LAYER_TOML, name="candidates.toml")
