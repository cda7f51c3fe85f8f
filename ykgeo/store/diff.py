"""What an edit or an import changes: geometry compared as a shape, not as the bytes a file happened to hold.

A Shapefile stores outer rings clockwise, GeoJSON (RFC 7946) counter-clockwise with 7
decimals, and tools start rings at different vertices: the same parcel comes back with
other bytes. Two geometries are the same when they are equal after normalising (ring
orientation, first vertex, order of parts) within :data:`GEOMETRY_TOLERANCE_DEG`, so
re-importing an unchanged file logs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["GEOMETRY_TOLERANCE_DEG", "same_geometries"]

#: Coordinates closer than this (degrees, about 1 cm) are the same point: the precision
#: RFC 7946 GeoJSON keeps (7 decimals), far below any survey of a parcel.
GEOMETRY_TOLERANCE_DEG = 1e-7


def same_geometries(
    old: Sequence[Any] | npt.ArrayLike, new: Sequence[Any] | npt.ArrayLike
) -> npt.NDArray[np.bool_]:
    """Element-wise: whether ``new`` is the same shape as ``old`` (two missing geometries are the same).

    Parameters
    ----------
    old, new
        Shapely geometries (or None) of equal length, in the same CRS.

    Returns
    -------
    numpy.ndarray
        Booleans, vectorised over shapely 2's normalize and equals_exact.
    """
    a = np.asarray(old, dtype=object)
    b = np.asarray(new, dtype=object)
    if a.shape != b.shape:
        msg = f"old and new differ in length: {a.shape} vs {b.shape}"
        raise ValueError(msg)
    missing_a = shapely.is_missing(a)
    missing_b = shapely.is_missing(b)
    out = missing_a & missing_b
    both = ~(missing_a | missing_b)
    if both.any():
        out[both] = shapely.equals_exact(
            shapely.normalize(a[both]),
            shapely.normalize(b[both]),
            tolerance=GEOMETRY_TOLERANCE_DEG,
        )
    return out
