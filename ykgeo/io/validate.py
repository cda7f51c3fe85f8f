"""Check features against their layer definition: collect every problem (file, feature, field) before saying no."""

from __future__ import annotations

import difflib
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ykgeo.area import approximate_area_m2, ellipsoidal_area_m2
from ykgeo.crs import CGCS2000
from ykgeo.errors import CRSError, DataError, Problem
from ykgeo.io.columns import coerce_field_values, match_fields, missing_values
from ykgeo.io.encoding import printable
from ykgeo.io.problems import CheckContext, FeatureLabels, ValidationReport, rows_zh
from ykgeo.io.read import read_vector
from ykgeo.io.write import _geometries_to_cgcs2000
from ykgeo.layers import LayerSpec
from ykgeo.units import m2_to_mu

__all__ = [
    "suggest_township",
    "validate_features",
    "validate_file",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
_GEOMETRY_ZH = {
    "Point": "点",
    "MultiPoint": "多点",
    "LineString": "线",
    "LinearRing": "环",
    "MultiLineString": "多线",
    "Polygon": "面",
    "MultiPolygon": "多面",
    "GeometryCollection": "几何集合",
}
#: Layer geometry type → (allowed shapely type ids, dimension kept by repair, Chinese description).
_LAYER_GEOMETRY: dict[str, tuple[tuple[int, ...], int, str]] = {
    "Polygon": ((3, 6), 2, "面（Polygon/MultiPolygon）"),
    "LineString": ((1, 5), 1, "线（LineString/MultiLineString）"),
    "Point": ((0,), 0, "点（Point）"),
}
#: GEOS validity reasons in Chinese.
_REASONS_ZH = {
    "Self-intersection": "自相交",
    "Ring Self-intersection": "环自相交",
    "Too few points": "点数过少",
    "Hole lies outside shell": "内环（洞）在外环之外",
    "Nested holes": "内环相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Nested shells": "外环相互嵌套",
    "Duplicate Rings": "环重复",
    "Invalid Coordinate": "坐标无效（NaN 或无穷大）",
    "Ring is not closed": "环未闭合",
}
_REASON = re.compile(r"^(?P<reason>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]$")
_TYPE_HINTS_ZH = {
    "date": "日期（可用格式：2022-05-01、2022/5/1、2022年5月1日）",
    "int": "整数",
    "float": "数字",
    "str": "文字",
}
# C0/C1 controls except tab, newline and carriage return; bidirectional overrides.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
MAX_TEXT_CHARS = 1000
#: Overlaps smaller than this (m², ellipsoidal) are digitising noise, not reported.
MIN_OVERLAP_M2 = 1.0
#: Relative difference between ledger and computed area that is reported.
LEDGER_TOLERANCE = 0.10
#: What :func:`~ykgeo.area.approximate_area_m2` may be off by, many times over: nearer the
#: tolerance than this, the exact area decides.
_LEDGER_MARGIN = 0.01
_AREA_UNITS_TO_MU = {
    "亩": 1.0,
    "公顷": 15.0,
    "ha": 15.0,
    "m²": 15 / 10000,
    "m2": 15 / 10000,
    "平方米": 15 / 10000,
}


def _keep_dimension(geom: BaseGeometry, dim: int) -> BaseGeometry | None:
    """The parts of ``geom`` of dimension ``dim`` (polygons of a repaired polygon), or None."""
    parts = shapely.get_parts(shapely.get_parts(np.asarray([geom], dtype=object)))
    parts = parts[shapely.get_dimensions(parts) == dim]
    if len(parts) == 0:
        return None
    if dim == 2:
        merged: BaseGeometry = shapely.union_all(parts)
        return merged
    return shapely.multilinestrings(parts) if dim == 1 and len(parts) > 1 else parts[0]


#: Below this many geometries a check runs on one thread.
_SPLIT_AT = 10_000


#: What GEOS says of a valid geometry.
_VALID = "Valid Geometry"


def _on_two_threads(
    func: Callable[[npt.NDArray[Any]], npt.NDArray[Any]], geoms: npt.NDArray[Any]
) -> npt.NDArray[Any]:
    """``func(geoms)`` computed as two halves on two threads and joined (GEOS works without the GIL).

    ``func`` must treat each geometry on its own (a predicate, a measure), so the result
    is the same as in one call, and the halves must not share a geometry: GEOS objects are
    not to be used by two threads at once.
    """
    half = len(geoms) // 2
    if len(geoms) < _SPLIT_AT or (os.cpu_count() or 1) < 2:
        return func(geoms)
    if geoms.dtype == object and not set(map(id, geoms[:half])).isdisjoint(map(id, geoms[half:])):
        return func(geoms)  # one geometry in both halves (a frame concatenated with itself)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(func, (geoms[:half], geoms[half:]))
    return np.concatenate([first, second])


def _invalid_message(reason: str) -> str:
    match = _REASON.match(reason or "")
    if match is None:
        return f"几何无效：{reason}"
    what = match["reason"].strip()
    zh = _REASONS_ZH.get(what, what)
    return f"几何无效：{zh}（{what}），位置约 东经 {float(match['x']):.6f}°、北纬 {float(match['y']):.6f}°"


def _check_geometries(
    ctx: CheckContext, geoms: npt.NDArray[np.object_], *, repair: bool
) -> tuple[list[Problem], npt.NDArray[np.object_], npt.NDArray[np.bool_]]:
    """Empty, wrong-type and invalid geometries; returns problems, (repaired) geometries, usable mask."""
    allowed, dim, expected = _LAYER_GEOMETRY[ctx.spec.geometry_type]
    type_ids = shapely.get_type_id(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    right_type = np.isin(type_ids, allowed)
    # the yes/no test on two threads (GEOS without the GIL), the reason text only for the invalid
    valid = np.asarray(_on_two_threads(shapely.is_valid, geoms), dtype=bool)
    reasons = np.full(len(geoms), _VALID, dtype=object)
    reasons[~valid] = shapely.is_valid_reason(geoms[~valid])
    problems: list[Problem] = []
    out = geoms.copy()
    repaired: list[int] = []
    for row in np.flatnonzero(missing):
        problems.append(ctx.problem("empty_geometry", "缺少几何（空几何或没有坐标）", int(row)))
    for row in np.flatnonzero(~missing & ~right_type):
        name = _TYPE_NAMES.get(int(type_ids[row]), "未知")
        message = f"几何类型为{_GEOMETRY_ZH.get(name, name)}（{name}），图层“{ctx.spec.name_zh}”要求{expected}"
        problems.append(ctx.problem("wrong_geometry_type", message, int(row)))
    for row in np.flatnonzero(~missing & right_type & (reasons != _VALID)):
        message = _invalid_message(str(reasons[row]))
        fixed = _keep_dimension(shapely.make_valid(geoms[row]), dim) if repair else None
        if fixed is not None and not fixed.is_empty and fixed.is_valid:
            out[row] = fixed
            repaired.append(int(row))
            note = "已自动修复（只保留面部分）" if dim == 2 else "已自动修复"
            problems.append(
                ctx.problem(
                    "geometry_repaired",
                    f"{message}；{note}，请核对形状",
                    int(row),
                    severity="warning",
                )
            )
        else:
            tail = "；自动修复失败" if repair else "；可在导入时选择自动修复，或在 GIS 软件中修正"
            problems.append(ctx.problem("invalid_geometry", message + tail, int(row)))
    usable = ~missing & right_type & (reasons == _VALID)
    usable[repaired] = True
    return problems, out, usable


def _check_required(ctx: CheckContext) -> Iterator[Problem]:
    for name in ctx.spec.required_fields:
        if name not in ctx.frame.columns:
            aliases = "、".join(ctx.spec.field(name).aliases[:6])
            hint = f"（也可用别名：{aliases}）" if aliases else ""
            yield ctx.problem("missing_field", f"缺少必填字段 {name}{hint}", field=name)
            continue
        for row in np.flatnonzero(missing_values(ctx.frame[name])).tolist():
            yield ctx.problem("missing_value", f"必填字段 {name} 为空", row, name)


def _check_ids(ctx: CheckContext, id_field: str) -> Iterator[Problem]:
    if id_field not in ctx.frame.columns:
        return
    _ok, texts = coerce_field_values(ctx.frame[id_field], "str")  # 7.0 and "7" are the same id
    ids = pd.Series(texts, dtype=object)
    repeated = ids.notna().to_numpy() & ids.duplicated(keep=False).to_numpy()
    rows_by_id: dict[str, list[int]] = {}
    for row in np.flatnonzero(repeated).tolist():
        rows_by_id.setdefault(texts[row], []).append(row)
    for rows in rows_by_id.values():
        message = f"编号重复：{len(rows)} 个要素使用同一编号（{rows_zh(rows)}）"
        yield ctx.problem("duplicate_id", message, rows[0], id_field)


def _check_values(ctx: CheckContext) -> Iterator[Problem]:
    status = ctx.spec.status
    for spec_field in ctx.spec.fields:
        if spec_field.name not in ctx.frame.columns:
            continue
        is_status = status is not None and status.field == spec_field.name
        column = ctx.frame[spec_field.name]
        converted, values = coerce_field_values(column, spec_field.type)
        vocabularies = [set(spec_field.choices)] if spec_field.choices else []
        if is_status and status is not None:
            vocabularies.append(set(status.values))
        flagged = ~converted
        if vocabularies:
            vocabulary = set.intersection(*vocabularies)
            outside = [v is not None and str(v) not in vocabulary for v in values]
            flagged |= converted & np.asarray(outside, dtype=bool)
        raw = column.tolist() if flagged.any() else []
        for row in np.flatnonzero(flagged).tolist():
            value, parsed = raw[row], values[row]
            shown = printable(str(value))
            if not converted[row]:
                message = f"值“{shown}”不是有效的{_TYPE_HINTS_ZH[spec_field.type]}"
                yield ctx.problem("bad_value", message, row, spec_field.name)
            elif is_status and status is not None and str(parsed) not in status.values:
                allowed = "、".join(status.values)
                yield ctx.problem(
                    "bad_status",
                    f"状态“{shown}”不在状态词表中（允许：{allowed}）",
                    row,
                    spec_field.name,
                )
            elif spec_field.choices and str(parsed) not in spec_field.choices:
                allowed = "、".join(spec_field.choices)
                yield ctx.problem(
                    "bad_choice",
                    f"值“{shown}”不在可选值中（可选：{allowed}）",
                    row,
                    spec_field.name,
                )


def _check_text(ctx: CheckContext) -> Iterator[Problem]:
    for column in ctx.frame.columns:
        values = ctx.frame[column].tolist()
        texts = [v for v in values if isinstance(v, str)]
        # most columns hold neither: one search over all their text says so
        if not texts or (
            max(map(len, texts)) <= MAX_TEXT_CHARS and not _CONTROL.search("\n".join(texts))
        ):
            continue
        for row, value in enumerate(values):
            if not isinstance(value, str):
                continue
            if _CONTROL.search(value):
                message = f"文字含有控制字符：“{printable(value, 30)}”，请清理后再导入"
                yield ctx.problem("control_characters", message, row, str(column))
            if len(value) > MAX_TEXT_CHARS:
                message = f"文字过长（{len(value)} 字，上限 {MAX_TEXT_CHARS} 字）：“{printable(value, 20)}”"
                yield ctx.problem("text_too_long", message, row, str(column))


def suggest_township(value: str, names: Sequence[str]) -> str | None:
    """The store's township a written name most likely means: 东城 → 东城街道, 芝英 → 芝英镇.

    A name the store has is returned as it is; otherwise the one name that starts with
    (or is contained in) the written one, else the closest by spelling; None when nothing fits.
    """
    text = "".join(value.split())
    if not text:
        return None
    if text in names:
        return text
    starts = [n for n in names if n.startswith(text) or text.startswith(n)]
    if len(starts) == 1:
        return starts[0]
    close = difflib.get_close_matches(text, list(names), n=1, cutoff=0.6)
    return close[0] if close else None


def _check_townships(ctx: CheckContext, names: Sequence[str]) -> Iterator[Problem]:
    """Township names not in the store's township list, with the name probably meant."""
    column = ctx.spec.township_field
    if not column or column not in ctx.frame.columns or not names:
        return
    values = ctx.frame[column]
    unknown = ~(missing_values(values) | values.astype(str).isin(set(names)).to_numpy())
    for row in np.flatnonzero(unknown).tolist():
        value = values.iloc[row]
        shown = printable(str(value))
        guess = suggest_township(str(value), names)
        hint = f"，是否应为“{guess}”？" if guess else f"（项目库中的镇街：{'、'.join(names)}）"
        yield ctx.problem(
            "unknown_township",
            f"镇街“{shown}”不是项目库中的镇街名称{hint}",
            row,
            column,
            severity="warning",
        )


def _check_boundary(
    ctx: CheckContext,
    geoms: npt.NDArray[np.object_],
    usable: npt.NDArray[np.bool_],
    boundary: BaseGeometry,
) -> Iterator[Problem]:
    if not boundary.is_valid:
        boundary = shapely.make_valid(boundary)
    rows = np.flatnonzero(usable)

    def covers(part: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
        # a prepared geometry is not safe to share between threads: each prepares its own copy
        own = shapely.from_wkb(shapely.to_wkb(boundary))
        shapely.prepare(own)
        return np.asarray(shapely.covers(own, part), dtype=bool)

    covered = _on_two_threads(covers, geoms[rows])
    inside = covered.copy()  # a covered feature meets the boundary; test only the others
    inside[~covered] = shapely.intersects(boundary, geoms[rows[~covered]])
    for row in rows[~inside]:
        yield ctx.problem("outside_boundary", "要素完全位于永康市边界以外", int(row))
    partly = rows[inside & ~covered]
    if len(partly) == 0:
        return
    polygonal = np.isin(shapely.get_type_id(geoms[partly]), (3, 6))
    outside_m2 = np.where(
        polygonal, ellipsoidal_area_m2(shapely.difference(geoms[partly], boundary)), np.inf
    )
    for row, m2 in zip(partly, outside_m2, strict=True):
        if not np.isfinite(m2):
            yield ctx.problem(
                "partly_outside", "要素部分位于永康市边界以外", int(row), severity="warning"
            )
        elif m2 > MIN_OVERLAP_M2:
            message = f"要素有 {m2_to_mu(m2):.2f} 亩（{m2:.0f} 平方米）位于永康市边界以外"
            yield ctx.problem("partly_outside", message, int(row), severity="warning")


def _check_overlaps(
    ctx: CheckContext, geoms: npt.NDArray[np.object_], usable: npt.NDArray[np.bool_]
) -> Iterator[Problem]:
    rows = np.flatnonzero(usable)
    if len(rows) < 2:
        return
    candidates = geoms[rows]
    # pairs whose boxes meet (cheap), then those whose interiors meet: only they can share
    # area, so only their intersections are built and measured
    tree = shapely.STRtree(candidates)
    tree.query(candidates[:1])  # the tree is complete before two threads query it

    def boxes_meet(part: npt.NDArray[Any]) -> npt.NDArray[Any]:
        found = tree.query(candidates[part])
        return np.stack([part[found[0]], found[1]], axis=1)

    # pairs in the order one query gives them (by query geometry, then as the tree finds them)
    pairs = _on_two_threads(boxes_meet, np.arange(len(candidates)))
    pairs = pairs[pairs[:, 0] < pairs[:, 1]]
    left, right = pairs[:, 0], pairs[:, 1]
    # one thread: a feature may be in pairs of both halves
    inner = shapely.relate_pattern(candidates[left], candidates[right], "T********")
    left, right = left[inner], right[inner]
    overlap_m2 = ellipsoidal_area_m2(shapely.intersection(candidates[left], candidates[right]))
    for k in np.flatnonzero(overlap_m2 > MIN_OVERLAP_M2):
        a, b = int(rows[left[k]]), int(rows[right[k]])
        m2 = float(overlap_m2[k])
        message = f"与要素 {ctx.labels[b]} 重叠 {m2_to_mu(m2):.2f} 亩（{m2:.0f} 平方米）"
        yield ctx.problem("overlap", message, a, severity="warning")


def _check_ledger_area(
    ctx: CheckContext, geoms: npt.NDArray[np.object_], usable: npt.NDArray[np.bool_]
) -> Iterator[Problem]:
    name = ctx.spec.ledger_area_field
    if not name or name not in ctx.frame.columns:
        return
    unit = ctx.spec.field(name).unit or ("亩" if "亩" in name else "")
    to_mu = _AREA_UNITS_TO_MU.get(unit, 1.0)
    converted, ledgers = coerce_field_values(ctx.frame[name], "float")
    given = np.asarray([v is not None for v in ledgers], dtype=bool) & converted
    ledger_all = np.full(len(ledgers), np.nan)
    ledger_all[given] = [float(ledgers[i]) for i in np.flatnonzero(given).tolist()]
    ledger_mu_all = ledger_all * to_mu
    # a cheap screen (0.03 %) first: the exact area only where the ledger may be 10 % off
    polygons = geoms.copy()
    polygons[~usable] = None
    rough_mu = np.asarray(m2_to_mu(approximate_area_m2(polygons)), dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        clear = np.abs(ledger_mu_all - rough_mu) / rough_mu <= LEDGER_TOLERANCE - _LEDGER_MARGIN
    exact = np.flatnonzero(given & usable & ~clear)
    computed_mu = np.zeros(len(geoms))
    computed_mu[exact] = m2_to_mu(ellipsoidal_area_m2(geoms[exact]))
    check = np.zeros(len(geoms), dtype=bool)
    check[exact] = computed_mu[exact] > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        far = np.abs(ledger_mu_all - computed_mu) / computed_mu > LEDGER_TOLERANCE
    for row in np.flatnonzero(check & far).tolist():
        computed = float(computed_mu[row])
        ledger_mu = float(ledgers[row]) * to_mu
        diff = abs(ledger_mu - computed) / computed
        if diff > LEDGER_TOLERANCE:
            message = f"台账面积 {ledger_mu:.2f} 亩与图形面积 {computed:.2f} 亩相差 {diff:.0%}（超过 {LEDGER_TOLERANCE:.0%}），请核对"
            yield ctx.problem("area_mismatch", message, row, name, severity="warning")


def validate_features(
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec,
    *,
    source: str,
    boundary: BaseGeometry | None = None,
    repair: bool = False,
    id_field: str | None = None,
    townships: Sequence[str] = (),
) -> ValidationReport:
    """Check features against a layer definition and report every problem found.

    Checks geometry (missing, wrong type, invalid with the GEOS reason and
    location), required fields, duplicate ids, values that are not of the
    field's type or outside the status vocabulary / choices, control characters
    and overlong text, features outside ``boundary``, overlaps within the layer
    (> 1 m², as warnings in 亩) and ledger area against the ellipsoidal area
    (> 10 %). Nothing is written.

    Parameters
    ----------
    gdf
        Features, preferably after :func:`ykgeo.io.match_fields`; geometry in
        EPSG:4490 (other CRSs are converted; no CRS is taken as EPSG:4490).
    spec
        The layer definition.
    source
        File name used in every problem.
    boundary
        The city boundary in EPSG:4490; features entirely outside are errors,
        partly outside warnings.
    repair
        Repair invalid geometries with ``shapely.make_valid`` (keeping parts of the
        layer's dimension) and report a warning instead of an error.
    id_field
        The id field (default: ``spec.id_field``).
    townships
        The store's township names: a township field naming another (东城 for 东城街道)
        is a warning with the name probably meant.
    """
    frame = gdf.reset_index(drop=True)
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    if frame.crs is not None and frame.crs.to_epsg() != CGCS2000:
        geoms, _ = _geometries_to_cgcs2000(geoms, frame.crs, source=source)
    attrs = pd.DataFrame(frame.drop(columns=[frame.geometry.name]))
    key = id_field or spec.id_field
    ctx = CheckContext(attrs, spec, source, FeatureLabels(attrs, key))

    def check_attributes() -> list[Problem]:
        return [
            *_check_required(ctx),
            *_check_ids(ctx, key),
            *_check_values(ctx),
            *_check_text(ctx),
            *_check_townships(ctx, townships),
        ]

    def check_geometries() -> tuple[list[Problem], list[Problem], npt.NDArray[np.object_]]:
        first, checked, usable = _check_geometries(ctx, geoms, repair=repair)
        later = [*_check_boundary(ctx, checked, usable, boundary)] if boundary is not None else []
        if spec.geometry_type == "Polygon":
            later += [*_check_overlaps(ctx, checked, usable)]
            later += [*_check_ledger_area(ctx, checked, usable)]
        return first, later, checked

    # a large file's attribute checks (Python) run on a second thread beside the geometry
    # checks (GEOS, mostly without the GIL); the problems are listed in the same order
    if len(geoms) < _SPLIT_AT or (os.cpu_count() or 1) < 2:
        attribute_problems = check_attributes()
        first, later, geoms = check_geometries()
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            attributes = pool.submit(check_attributes)
            first, later, geoms = check_geometries()
            attribute_problems = attributes.result()
    problems = first + attribute_problems + later
    checked = gpd.GeoDataFrame(
        attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index, crs=CGCS2000)
    )
    logger.debug("validated %s: %d problems", source, len(problems))
    return ValidationReport(tuple(problems), checked, source)


def validate_file(
    path: str | os.PathLike[str],
    spec: LayerSpec,
    *,
    boundary: BaseGeometry | None = None,
    repair: bool = False,
    encoding: str | None = None,
    layer: str | None = None,
    crs: Any = None,
    source_name: str | None = None,
    townships: Sequence[str] = (),
) -> ValidationReport:
    """Read, match and check a file for a layer; a file that cannot be read gives a one-problem report.

    Composes :func:`ykgeo.io.read_vector`, :func:`ykgeo.io.match_fields` and
    :func:`validate_features`. ``DataError`` and ``CRSError`` while reading become
    a single error problem naming the file, so the app can show it like any other.
    """
    source = source_name or Path(path).name
    try:
        result = read_vector(path, layer=layer, encoding=encoding, crs=crs, source_name=source)
    except (DataError, CRSError) as err:
        code = "crs_error" if isinstance(err, CRSError) else "unreadable_file"
        message = err.message_zh.removeprefix(f"{source}：")
        suggestions = err.suggestions if isinstance(err, CRSError) else ()
        return ValidationReport(
            (Problem(code, message, file=source),), None, source, (), suggestions
        )
    matched, match_notes = match_fields(result.gdf, spec)
    report = validate_features(
        matched, spec, source=result.source, boundary=boundary, repair=repair, townships=townships
    )
    problems = report.problems
    if result.maybe_gcj02:
        gcj = next(n for n in result.notes_zh if "GCJ-02" in n)
        problems = (Problem("maybe_gcj02", gcj, file=source, severity="warning"), *problems)
    notes = (result.crs_note_zh, *result.notes_zh, *match_notes)
    return ValidationReport(problems, report.gdf, report.source, tuple(n for n in notes if n))
