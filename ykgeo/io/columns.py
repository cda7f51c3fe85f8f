"""Whole columns converted to a layer field's type: the results of one :func:`coerce_field_value` per cell, faster.

Validation and field matching look at every cell of a file (100,000 parcels × a dozen
fields); these helpers give the same answers as the per-cell functions of
:mod:`ykgeo.io.encoding` while doing the work once per column (numbers) or once per
distinct value (text: statuses, townships, dates written as text).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ykgeo.io.encoding import coerce_field_value

__all__ = ["coerce_field_values", "missing_values"]

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
