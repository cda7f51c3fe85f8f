"""Whole columns converted to a layer field's type: the results of one :func:`coerce_field_value` per cell, faster.

Validation and field matching look at every cell of a file (100,000 parcels × a dozen
fields); these helpers give the same answers as the per-cell functions of
:mod:`ykgeo.io.encoding` while doing the work once per column (numbers) or once per
distinct text (statuses, townships, dates written as text).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ykgeo.io.encoding import coerce_field_value

__all__ = ["coerce_field_values", "missing_values"]


def coerce_field_values(
    values: pd.Series, field_type: str
) -> tuple[npt.NDArray[np.bool_], list[Any]]:
    """:func:`~ykgeo.io.encoding.coerce_field_value` of every cell of a column.

    Returns a mask of the cells that converted and, per cell, the converted value
    (``None`` for an empty cell) or the raw value when it did not convert — exactly what
    one call per cell returns. Numbers of a NumPy float column are converted at once;
    text and integers once per distinct value; other cells (floats in an object column,
    dates, timestamps) one by one, as equal values of those may still convert differently
    (``-0.0`` and ``0.0``, timestamps in two time zones).
    """
    n = len(values)
    if field_type == "float" and isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        arr = values.to_numpy()
        out = arr.astype(object)
        out[np.isnan(arr)] = None
        return ~np.isinf(arr), out.tolist()
    ok = np.ones(n, dtype=bool)
    parsed: list[Any] = values.tolist()
    memo: dict[Any, tuple[bool, Any]] = {}
    as_text = field_type == "str"
    for i, value in enumerate(parsed):
        cls = value.__class__
        if cls is str:
            if as_text:  # blank text is an empty cell, other text is kept stripped
                parsed[i] = value.strip() or None
                continue
            hit = memo.get(value)
            if hit is None:
                hit = memo[value] = coerce_field_value(value, field_type)
        elif cls is int:
            key = (int, value)
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = coerce_field_value(value, field_type)
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
