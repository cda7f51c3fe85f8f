"""Candidates from a store: read the layers and evaluations, rank, write the list, adopt it into the target's layer (one transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ykgeo.errors import DataError, StoreError
from ykgeo.io import write_workbook
from ykgeo.plan.candidates import CandidateList, rank_candidates
from ykgeo.plan.evaluation import CODE_FIELD
from ykgeo.plan.rules import CandidateRules, load_rules, parse_rules
from ykgeo.store import ImportSummary, Store, known_now, now

__all__ = ["adopt_candidates", "candidates_to_geojson", "candidates_to_xlsx", "store_candidates"]


def _rules(store: Store, year: int) -> tuple[CandidateRules, str]:
    """The rules the evaluation of ``year`` was classified with (kept with it), else the shipped ones."""
    years = store.evaluation_years()
    hit = years[years["year"].astype(int) == year]
    if len(hit):
        rules = parse_rules(
            str(hit["rules_toml"].iloc[0]), name=f"{store.path.name}：{year} 年评价规则", year=year
        )
    else:
        rules = load_rules(year=year)
    return rules.candidates, rules.describe_zh()


def _township_namer(store: Store) -> Any:
    if "townships" not in store.layer_keys():
        return None
    spec = store.spec("townships")
    towns = store.read_layer("townships")
    if towns.empty or not spec.name_field:
        return None
    polys = np.asarray(towns.geometry.to_numpy(), dtype=object)
    names = towns[spec.name_field].astype(str).to_numpy()
    tree = shapely.STRtree(polys)

    def name(geoms: Any) -> np.ndarray:
        points = shapely.point_on_surface(np.asarray(geoms, dtype=object))
        out = np.full(len(points), "（镇街范围外）", dtype=object)
        hit_p, hit_t = tree.query(points, predicate="within")
        out[hit_p] = names[hit_t]
        return out

    return name


def store_candidates(
    store: Store,
    *,
    year: int,
    target: str,
    as_of: dt.date | None = None,
    value: float | None = None,
) -> CandidateList:
    """The ranked candidates of one area target of ``year``'s plan, from what the store knows now."""
    plan = store.plan(year)
    spec_t = plan.target(target)
    if spec_t.measure != "area":
        msg = f"候选地块按面积划线，只用于面积类目标（{spec_t.name_zh} 按{spec_t.measure}计）"
        raise DataError(msg)
    day = as_of or min(now().date(), dt.date(year, 12, 31))
    layer = store.read_layer(spec_t.layer, as_of=day, known_at=known_now())
    rules, rules_zh = _rules(store, year - 1)
    register_spec = register = None
    if rules.parcel_layer in store.layer_keys() and rules.parcel_layer != spec_t.layer:
        register_spec = store.spec(rules.parcel_layer)
        register = store.read_layer(rules.parcel_layer)
    loaded = set(store.evaluation_years()["year"].astype(int))
    tables = {
        y: store.evaluation(y)
        for y in range(year - max(rules.persistent_c_years, 1), year)
        if y in loaded
    }
    if value is None and spec_t.value_set and spec_t.value > 0:
        value = spec_t.value
    result = rank_candidates(
        year=year,
        target=spec_t,
        target_value=value,
        as_of=day,
        spec=store.spec(spec_t.layer),
        layer=layer,
        register_spec=register_spec,
        register=register,
        tables=tables,
        persistent_c_years=rules.persistent_c_years,
        same_land_share=rules.same_land_share,
        township_of=_township_namer(store),
    )
    notes = list(result.notes)
    if register is None:
        notes.append(
            f"项目库没有工业用地宗地图层（{rules.parcel_layer}）：只从 {store.spec(spec_t.layer).name_zh} 中尚未完成的地块排序"
        )
    return CandidateList(**{**result.__dict__, "notes": tuple(notes), "rules_zh": rules_zh,
                            "extra": {"data_version": store.data_version().label_zh(), "plan": plan.name_zh, "plan_status": plan.status}})  # fmt: skip


def candidates_to_xlsx(cl: CandidateList, path: Path | str | None = None) -> bytes:
    """The list as a workbook: 候选地块, 未对应企业, 未评价地块, 说明 (numbers as numbers, text literally)."""
    table = pd.DataFrame(cl.table.drop(columns="geometry"))
    for col in ("亩均税收", "面积（亩）", "累计面积（亩）"):
        table[col] = table[col].astype("float64").round(4)

    def rows(frame: pd.DataFrame) -> list[list[Any]]:
        return [
            [None if (isinstance(v, float) and np.isnan(v)) else v for v in r]
            for r in frame.itertuples(index=False)
        ]

    firms = cl.unmatched_firms
    keep = [
        c
        for c in ("评价年度", "行号", CODE_FIELD, "企业名称", "类别", "用地面积", "亩均税收")
        if c in firms
    ]
    notes: list[list[Any]] = [
        ["计划年度", cl.year],
        ["目标", f"{cl.target.name_zh}（{cl.target.key}）"],
        ["目标值", cl.target_value],
        ["概况", cl.summary_zh()],
        [
            "排序规则",
            "上一年 D 类 → 连续 C 类 → 其他结转地块；同组按亩均税收从低到高；累计椭球面积首次达到目标值处划线",
        ],
        ["评价年度", "、".join(map(str, cl.evaluation_years))],
        ["分类规则", cl.rules_zh],
        ["地块状态截至", cl.as_of.isoformat()],
        *[[k, str(v)] for k, v in cl.extra.items()],
        *[["说明", n] for n in cl.notes],
    ]
    sheets: dict[str, tuple[Sequence[str], Sequence[Sequence[Any]]]] = {
        "候选地块": (list(table.columns), rows(table)),
        "未对应企业": (keep, rows(firms[keep]) if len(firms) else []),
        "未评价地块": (list(cl.unevaluated.columns), rows(cl.unevaluated)),
        "说明": (["项目", "内容"], notes),
    }
    return write_workbook(
        Path(path) if path is not None else None,
        sheets,
        widths={
            "候选地块": [6, 6, 12, 22, 24, 22, 30, 22, 10, 9, 9, 10, 12, 14, 8, 10],
            "说明": [14, 100],
        },
    )


def adopt_candidates(
    store: Store,
    cl: CandidateList,
    *,
    user: str,
    ids: Sequence[str] | None = None,
    effective_date: dt.date | None = None,
    recorded_at: dt.datetime | None = None,
) -> ImportSummary:
    """Put the chosen candidates (default: those within the cut) on the target's layer, in one transaction.

    Register parcels are added as new features (not started, due by the end of the plan
    year); carried-over features get that due date when theirs is earlier or missing.
    All or nothing: any problem leaves the store as it was.
    """
    spec = store.spec(cl.target.layer)
    status = spec.status
    if status is None:
        msg = f"图层 {spec.name_zh} 没有状态字段"
        raise StoreError(msg)
    chosen = cl.selected if ids is None else cl.table[cl.table["地块编号"].isin(list(ids))]
    if chosen.empty:
        msg = "没有要纳入的候选地块"
        raise DataError(msg)
    due = pd.Timestamp(dt.date(cl.year, 12, 31))
    current = store.read_layer(spec.key)
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    note = f"纳入{cl.year}年度{cl.target.name_zh}名单（亩均评价候选）"
    for rec in chosen.to_dict(orient="records"):
        fid = str(rec["地块编号"])
        if rec["图层"] == spec.key:
            row = current.loc[fid]
            values = {n: row[n] for n in spec.field_names if n in row.index}
            planned = status.planned_date_field
            if planned and (
                pd.isna(values.get(planned))
                or pd.Timestamp(values[planned]) < pd.Timestamp(dt.date(cl.year, 1, 1))
            ):
                values[planned] = due
            rows.append(values)
            geoms.append(row.geometry)
            continue
        if fid in current.index:
            msg = f"图层 {spec.name_zh} 中已有编号 {fid} 的要素，不能把宗地 {fid} 纳入"
            raise StoreError(msg)
        values = {n: None for n in spec.field_names}
        values[spec.id_field] = fid
        if spec.name_field:
            values[spec.name_field] = rec["企业名称"]
        if CODE_FIELD in values:
            values[CODE_FIELD] = rec[CODE_FIELD]
        if spec.township_field:
            values[spec.township_field] = rec["镇街"]
        values[status.field] = status.not_started[0] if status.not_started else status.values[0]
        if status.planned_date_field:
            values[status.planned_date_field] = due
        last = f"{cl.year - 1}年类别"
        if "亩均税收分类" in values and last in rec:
            values["亩均税收分类"] = rec[last]
        if "亩均税收（万元/亩）" in values:
            values["亩均税收（万元/亩）"] = rec["亩均税收"]
        if "备注" in values:
            values["备注"] = note
        rows.append(values)
        geoms.append(rec["geometry"])
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=current.crs)
    return store.import_features(
        spec.key,
        frame,
        user=user,
        source=note,
        mode="upsert",
        effective_date=effective_date,
        recorded_at=recorded_at,
    )


def candidates_to_geojson(cl: CandidateList, path: Path | str) -> Path:
    """The list as GeoJSON (RFC 7946, WGS 84 lon/lat) with every column of the table, for any GIS."""
    from ykgeo.io import write_vector

    out = Path(path)
    frame = cl.table.copy()
    write_vector(frame.reset_index(drop=True), out, driver="GeoJSON", layer="candidates")
    return out
