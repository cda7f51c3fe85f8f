"""Area and length units of Chinese land administration, and rounding that balances totals."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = [
    "M2_PER_HA",
    "M2_PER_KM2",
    "M2_PER_MU",
    "MU_PER_HA",
    "AreaUnit",
    "balanced_round",
    "convert_area",
    "format_number",
    "m2_to_ha",
    "m2_to_km2",
    "m2_to_mu",
    "mu_to_m2",
]

#: 1 亩 = 10000/15 m² exactly (= 2000/3). Never use a rounded 666.67.
M2_PER_MU: float = 10000 / 15
M2_PER_HA: float = 10000.0
M2_PER_KM2: float = 1_000_000.0
MU_PER_HA: float = 15.0

AreaUnit = Literal["m2", "mu", "ha", "km2"]

ArrayLike = float | npt.ArrayLike


def _ratio(value: ArrayLike, numerator: float, denominator: float) -> Any:
    """``value * numerator / denominator`` for a scalar (→ float) or an array (→ ndarray)."""
    if np.isscalar(value):
        return float(value) * numerator / denominator  # type: ignore[arg-type]
    return np.asarray(value, dtype="float64") * numerator / denominator


def m2_to_mu(m2: ArrayLike) -> Any:
    """Square metres to 亩 (m² × 15 / 10000, no rounded factor)."""
    return _ratio(m2, 15.0, 10000.0)


def mu_to_m2(mu: ArrayLike) -> Any:
    """亩 to square metres (亩 × 10000 / 15)."""
    return _ratio(mu, 10000.0, 15.0)


def m2_to_ha(m2: ArrayLike) -> Any:
    """Square metres to 公顷."""
    return _ratio(m2, 1.0, M2_PER_HA)


def m2_to_km2(m2: ArrayLike) -> Any:
    """Square metres to km²."""
    return _ratio(m2, 1.0, M2_PER_KM2)


#: Each unit as (numerator, denominator) of m²: 亩 = 10000/15 m².
_IN_M2: dict[str, tuple[float, float]] = {
    "m2": (1.0, 1.0),
    "mu": (10000.0, 15.0),
    "ha": (M2_PER_HA, 1.0),
    "km2": (M2_PER_KM2, 1.0),
}


def convert_area(value: ArrayLike, from_unit: AreaUnit, to_unit: AreaUnit) -> Any:
    """Convert an area between m², 亩, 公顷 and km² with exact factors."""
    if from_unit not in _IN_M2 or to_unit not in _IN_M2:
        msg = f"未知面积单位：{from_unit} → {to_unit}"
        raise ValueError(msg)
    num_from, den_from = _IN_M2[from_unit]
    num_to, den_to = _IN_M2[to_unit]
    return _ratio(_ratio(value, num_from, den_from), den_to, num_to)


def balanced_round(
    values: Sequence[float] | npt.ArrayLike, decimals: int = 2
) -> npt.NDArray[np.float64]:
    """Round parts so that their sum equals the rounded total (强制调平).

    Uses the largest-remainder method: every part is first rounded down at the
    given precision, then the units still missing from the rounded total go to
    the parts with the largest remainders (ties to the larger part, then the
    earlier one). Negative and NaN values are refused: areas are never negative.

    Parameters
    ----------
    values
        The exact parts (e.g. 亩 per township).
    decimals
        Decimals to present.

    Returns
    -------
    numpy.ndarray
        Rounded parts; ``round(sum(values), decimals) == sum(result)`` up to float
        representation (compare at ``decimals``).
    """
    arr = np.asarray(values, dtype="float64")
    if arr.size == 0:
        return arr.copy()
    if np.isnan(arr).any() or (arr < 0).any():
        msg = "调平只接受非负且非空的数值"
        raise ValueError(msg)
    scale = 10.0**decimals
    scaled = arr * scale
    # guard against 0.285 * 100 = 28.499999...: nudge by a relative epsilon
    scaled = scaled + np.abs(scaled) * 1e-12
    floors = np.floor(scaled)
    # the exact value of the float total, rounded like format() does, so parts add up to the printed total
    total_units = int(
        Decimal(float(arr.sum())).scaleb(decimals).to_integral_value(rounding=ROUND_HALF_EVEN)
    )
    missing = total_units - int(floors.sum())
    remainders = scaled - floors
    if missing > 0:
        order = np.lexsort((np.arange(arr.size), -arr, -remainders))
        floors[order[:missing]] += 1
    elif missing < 0:  # only through float noise; take back from the smallest remainders
        order = np.lexsort((np.arange(arr.size), remainders))
        floors[order[:-missing]] -= 1
    return floors / scale


def format_number(value: float, decimals: int = 2, *, thousands: bool = True) -> str:
    """Format a number for Chinese reports: ``12,345.67`` (thousands separators, fixed decimals)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return f"{value:,.{decimals}f}" if thousands else f"{value:.{decimals}f}"
