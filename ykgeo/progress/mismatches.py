"""The lists a planner checks beside a target's figure: features whose ledger township is not where they lie, and ledger areas far from the measured area."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "area_mismatches",
    "blank",
    "empty_area_mismatches",
    "empty_township_mismatches",
    "township_mismatches",
]


def empty_township_mismatches() -> pd.DataFrame:
    return _mismatch_template().copy()


@functools.cache
def _mismatch_template() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series(dtype=object),
            "name": pd.Series(dtype=object),
            "ledger_township": pd.Series(dtype=object),
            "township": pd.Series(dtype=object),
            "share_in_ledger_township": pd.Series(dtype="float64"),
        }
    )


def empty_area_mismatches() -> pd.DataFrame:
    return _area_template().copy()


@functools.cache
def _area_template() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": pd.Series(dtype=object),
            "name": pd.Series(dtype=object),
            "ledger_area_mu": pd.Series(dtype="float64"),
            "area_mu": pd.Series(dtype="float64"),
            "difference_mu": pd.Series(dtype="float64"),
            "difference_pct": pd.Series(dtype="float64"),
        }
    )


def _short(name: Any) -> str:
    """A township name without its 街道 / 镇 / 乡 suffix, so 东城 and 东城街道 compare equal."""
    text = str(name).strip()
    for suffix in ("街道办事处", "街道", "镇", "乡"):
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def blank(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, float) and math.isnan(value))
        or not str(value).strip()
    )


def township_mismatches(
    ids: npt.NDArray[np.object_],
    feature_names: npt.NDArray[np.object_],
    has_geom: npt.NDArray[np.bool_],
    ledger: npt.NDArray[np.object_],
    located: npt.NDArray[np.object_],
    shares: list[list[tuple[int, float]]],
    names: list[str],
) -> pd.DataFrame:
    """Features whose ledger township is not the township where most of their geometry lies."""
    if not names:
        return empty_township_mismatches()
    rows = []
    # the same township on both sides is skipped below too: compare all at once first
    differ = has_geom & ~np.asarray(ledger == located, dtype=bool)
    for k in np.flatnonzero(differ).tolist():
        if blank(ledger[k]) or ledger[k] == located[k] or _short(ledger[k]) == _short(located[k]):
            continue
        share = sum(fr for t, fr in shares[k] if t >= 0 and _short(names[t]) == _short(ledger[k]))
        rows.append((ids[k], feature_names[k], str(ledger[k]).strip(), located[k], share))
    if not rows:
        return empty_township_mismatches()
    return pd.DataFrame(rows, columns=list(empty_township_mismatches().columns))


def area_mismatches(features: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Features whose ledger area differs from the computed ellipsoidal area by more than ``tolerance``."""
    ledger = features["ledger_area_mu"].to_numpy(dtype="float64")
    area = features["area_mu"].to_numpy(dtype="float64")
    ok = ~np.isnan(ledger) & ~np.isnan(area) & (area > 0)
    rel = np.full(len(area), np.nan)
    rel[ok] = (ledger[ok] - area[ok]) / area[ok]
    bad = ok & (np.abs(np.nan_to_num(rel)) > tolerance)
    if not bad.any():
        return empty_area_mismatches()
    return pd.DataFrame(
        {
            "id": features["id"].to_numpy()[bad],
            "name": features["name"].to_numpy()[bad],
            "ledger_area_mu": ledger[bad],
            "area_mu": area[bad],
            "difference_mu": ledger[bad] - area[bad],
            "difference_pct": rel[bad] * 100.0,
        }
    )
