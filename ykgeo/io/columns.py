"""A file's columns matched to a layer's fields, and whole columns converted to a field's type.

:func:`match_fields` renames a file's columns to the layer's stored field names (aliases,
full-/half-width forms, names cut by the DBF limit) and converts their values. Validation
and field matching look at every cell of a file (100,000 parcels × a dozen fields);
:func:`coerce_field_values` gives the same answers as one :func:`coerce_field_value` per
cell while doing the work once per column (numbers) or once per distinct value (text:
statuses, townships, dates written as text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from ykgeo.io.encoding import DBF_NAME_BYTES, coerce_field_value, normalise_name
from ykgeo.layers import FieldSpec, LayerSpec

__all__ = ["coerce_field_values", "match_fields", "missing_values"]

#: Types whose equal values always convert alike, so each distinct value is converted once
#: (not floats: -0.0 == 0.0; not timestamps: equal instants in two time zones).
_SAME_WHEN_EQUAL = (int, bool, dt.date)


def _coerce(value: Any, field_type: str) -> tuple[bool, Any]:
    """:func:`coerce_field_value`, with text for a text field taken straight (blank is empty)."""
    if field_type == "str" and value.__class__ is str:
        return True, value.strip() or None
    return coerce_field_value(value, field_type)


def _text_only(values: pd.Series) -> bool:
    """True when every cell is text or empty (None, NaN, NA): then equal cells convert alike."""
    if isinstance(values.dtype, pd.StringDtype):
        return True
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
    )


def coerce_field_values(
    values: pd.Series, field_type: str
) -> tuple[npt.NDArray[np.bool_], list[Any]]:
    """:func:`~ykgeo.io.encoding.coerce_field_value` of every cell of a column.

    Returns a mask of the cells that converted and, per cell, the converted value
    (``None`` for an empty cell) or the raw value when it did not convert — exactly what
    one call per cell returns. Numbers of a NumPy float column are converted at once, a
    column of text once per distinct text; in other columns integers and dates once per
    distinct value and other cells (floats in a column of mixed values, timestamps) one
    by one, as equal values of those may still convert differently.
    """
    n = len(values)
    if field_type == "float" and isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        arr = values.to_numpy()
        out = arr.astype(object)
        out[np.isnan(arr)] = None
        return ~np.isinf(arr), out.tolist()
    if _text_only(values):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)  # empty cells: −1
        texts: list[str] = np.asarray(uniques, dtype=object).tolist()  # not one by one from Arrow
        if field_type == "str":  # as _coerce: text stripped, blank text empty
            results = [(True, text.strip() or None) for text in texts]
        else:
            results = [_coerce(text, field_type) for text in texts]
        converted = np.array([good for good, _ in results] + [True], dtype=bool)[codes]
        table = np.empty(len(results) + 1, dtype=object)
        table[:-1] = [parsed for _, parsed in results]
        table[-1] = None
        out_list: list[Any] = table[codes].tolist()
        if not converted.all():  # the raw value stays, as the cell itself holds it
            raw = values.tolist()
            for i in np.flatnonzero(~converted).tolist():
                out_list[i] = raw[i]
        return converted, out_list
    ok = np.ones(n, dtype=bool)
    parsed: list[Any] = values.tolist()
    memo: dict[Any, tuple[bool, Any]] = {}
    for i, value in enumerate(parsed):
        cls = value.__class__
        if value is None or value is pd.NA or (cls is float and value != value):
            parsed[i] = None  # an empty cell (NaN is the only float unequal to itself)
            continue
        if cls is str or cls in _SAME_WHEN_EQUAL:
            key = (cls, value)
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = _coerce(value, field_type)
        else:
            hit = coerce_field_value(value, field_type)
        good, result = hit
        if good:
            parsed[i] = result
        else:
            ok[i] = False  # the raw value stays
    return ok, parsed


def missing_values(values: pd.Series) -> npt.NDArray[np.bool_]:
    """:func:`~ykgeo.io.encoding.is_missing` of every cell: None, NaN, NaT, NA or blank text."""
    missing = np.array(pd.isna(values), dtype=bool)
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        blank = [isinstance(v, str) and not v.strip() for v in values.tolist()]
        missing |= np.asarray(blank, dtype=bool)
    return missing


# --- a file's columns matched to a layer's fields ----------------------------------------------------

_TYPE_LABELS_ZH = {"str": "文字", "int": "整数", "float": "数字", "date": "日期"}


def _coerce_column(series: pd.Series, field_spec: FieldSpec) -> tuple[pd.Series, int]:
    converted, values = coerce_field_values(series, field_spec.type)
    bad = int(np.count_nonzero(~converted))
    if bad == 0 and field_spec.type == "int":
        return pd.Series(pd.array(values, dtype="Int64"), index=series.index), 0
    if bad == 0 and field_spec.type == "float":
        return pd.Series(
            [np.nan if v is None else v for v in values], index=series.index, dtype="float64"
        ), 0
    return pd.Series(values, index=series.index, dtype=object), bad


def _truncated_target(column: Any, lookup: Mapping[str, str]) -> str | None:
    """The field a DBF-cut column name (≥ 9 bytes, a prefix of one field's names only) stands for."""
    name = str(column)
    if max(len(name.encode("gbk", "replace")), len(name.encode("utf-8"))) < DBF_NAME_BYTES - 1:
        return None
    norm = normalise_name(name)
    targets = {
        target for alias, target in lookup.items() if alias.startswith(norm) and alias != norm
    }
    return targets.pop() if len(targets) == 1 else None


def match_fields(gdf: gpd.GeoDataFrame, spec: LayerSpec) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Rename a file's columns to the layer's stored field names and convert values to their types.

    Column names match a field's name or any alias, ignoring case, spaces and
    full-/half-width differences (``用地面积(亩)`` = ``用地面积（亩）``); a name cut
    by the DBF 10-byte limit matches the one field it is a prefix of. Columns
    that match no field are dropped and listed in the notes; when two columns
    match one field the stored name wins. Values that cannot be converted keep
    their raw value so that :mod:`ykgeo.io.validate` reports them with feature,
    field and value.

    Returns
    -------
    tuple
        The features with the layer's fields in definition order, and notes in Chinese.
    """
    lookup = {normalise_name(alias): name for alias, name in spec.alias_map().items()}
    geometry = gdf.geometry.name
    columns = [c for c in gdf.columns if c != geometry]
    exact = [
        c
        for c in columns
        if normalise_name(c) == normalise_name(lookup.get(normalise_name(c), "\0"))
    ]
    rename: dict[Any, str] = {}
    unknown: list[Any] = []
    duplicates: list[str] = []
    for col in exact + [c for c in columns if c not in exact]:
        target = lookup.get(normalise_name(col))
        if target is None:
            unknown.append(col)
        elif target in rename.values():
            duplicates.append(f"{col}（与 {target} 重复）")
        else:
            rename[col] = target
    prefixed = {
        c: t for c in unknown if (t := _truncated_target(c, lookup)) and t not in rename.values()
    }
    unknown = [str(c) for c in unknown if c not in prefixed]
    order = {name: i for i, name in enumerate(spec.field_names)}
    kept = sorted({**rename, **prefixed}.items(), key=lambda item: order[item[1]])
    out = gdf[[c for c, _t in kept] + [geometry]].rename(columns=dict(kept))
    renamed = [f"{src} → {dst}" for src, dst in rename.items() if src != dst]
    notes = ["字段对应：" + "、".join(renamed)] if renamed else []
    if prefixed:
        listed = "、".join(f"{src} → {dst}" for src, dst in prefixed.items())
        notes.append(f"字段名疑似被 Shapefile 10 字节上限截断，按前缀对应：{listed}")
    if unknown:
        notes.append(f"以下字段不属于图层“{spec.name_zh}”，已忽略：" + "、".join(unknown))
    if duplicates:
        notes.append("以下字段与已对应的字段重复，已忽略：" + "、".join(duplicates))
    for field_spec in (f for f in spec.fields if f.name in out.columns):
        out[field_spec.name], bad = _coerce_column(out[field_spec.name], field_spec)
        if bad:
            kind = _TYPE_LABELS_ZH[field_spec.type]
            notes.append(
                f"字段 {field_spec.name} 有 {bad} 个值无法识别为{kind}，保留原值，校验时逐条列出"
            )
    return out, notes
