"""A layer's features read lean: a few fields and each geometry's envelope, decoding geometries only when asked.

A GeoPackage geometry blob starts with a header that carries the geometry's envelope
(minx, maxx, miny, maxy) before its WKB (GeoPackage 1.3, §2.1.3). Reading the envelopes from the
headers costs a fraction of decoding every geometry; :meth:`LayerEnvelopes.geometries`
decodes the blobs of the rows a caller still needs (kept as read, from the same read
transaction). The map's city-wide view of a large layer counts features by township this
way (:func:`ykgeo.maps.aggregate_envelopes`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ykgeo.layers import LayerSpec
from ykgeo.store.gpkg import decode_geometries
from ykgeo.store.history import retype

__all__ = ["LayerEnvelopes", "read_envelopes"]

_ENVELOPE_XY = 0b0010  # envelope indicator 1 (minx, maxx, miny, maxy), bits 1–3 of the flags
_FLAG_MASK = 0b11111  # byte order, envelope indicator, empty
_LITTLE_ENDIAN = 0b1
_HEADER = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"), ("envelope", "<f8", 4)]
)
_HEAD = _HEADER.itemsize  # 40 bytes
_NO_HEAD = bytes(_HEAD)


@dataclass(frozen=True, eq=False)
class LayerEnvelopes:
    """The features of a layer without their geometries decoded: fields, envelopes, blobs.

    Attributes
    ----------
    fields
        The fields read, typed as :meth:`ykgeo.store.Store.read_layer` types them, one row
        per feature in the store's order (that of :meth:`~ykgeo.store.Store.read_layer`),
        indexed by position (ask for the id field to have the ids).
    bounds
        Each feature's envelope as (minx, miny, maxx, maxy) in EPSG:4490, read from its blob's
        header; NaN where the header gives none (a missing or empty geometry, or a blob
        written without an envelope): :meth:`geometries` says what those are.
    """

    fields: pd.DataFrame
    bounds: npt.NDArray[np.float64]
    blobs: tuple[bytes | None, ...]

    def __len__(self) -> int:
        return len(self.fields)

    def geometries(self, rows: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """The shapely geometries of the features at these positions (None where missing)."""
        at = np.asarray(rows, dtype=np.int64).ravel()
        return decode_geometries([self.blobs[i] for i in at.tolist()])

    def take(self, rows: npt.ArrayLike) -> LayerEnvelopes:
        """The features at these positions (a boolean mask or integer positions), in that order."""
        at = np.asarray(rows)
        at = np.flatnonzero(at) if at.dtype == bool else at.astype(np.int64).ravel()
        return LayerEnvelopes(
            fields=self.fields.iloc[at],
            bounds=self.bounds[at],
            blobs=tuple(self.blobs[i] for i in at.tolist()),
        )


def _header_bounds(blobs: Sequence[bytes | None]) -> npt.NDArray[np.float64]:
    """(minx, miny, maxx, maxy) from each blob's header where it holds a little-endian XY envelope."""
    n = len(blobs)
    out = np.full((n, 4), np.nan)
    if not n:
        return out
    # the first 40 bytes of every blob (magic, version, flags, srs id, envelope); zeros for
    # a missing or shorter blob (no "GP": not usable)
    heads = np.frombuffer(
        b"".join([b[:_HEAD] if b is not None and len(b) >= _HEAD else _NO_HEAD for b in blobs]),
        dtype=_HEADER,
    )
    usable = (heads["magic"] == b"GP") & (
        (heads["flags"] & _FLAG_MASK) == (_ENVELOPE_XY | _LITTLE_ENDIAN)
    )  # not empty, an XY envelope, little-endian
    box = heads["envelope"][:, [0, 2, 1, 3]]  # minx, maxx, miny, maxy → minx, miny, maxx, maxy
    usable &= np.isfinite(box).all(axis=1) & (box[:, 0] <= box[:, 2]) & (box[:, 1] <= box[:, 3])
    out[usable] = box[usable]
    return out


def read_envelopes(
    conn: sqlite3.Connection, spec: LayerSpec, fields: Sequence[str]
) -> LayerEnvelopes:
    """A layer's ``fields``, envelopes and blobs, read on ``conn`` in fid order (one query)."""
    names = list(dict.fromkeys(fields))
    cols = "".join(f'"{n}", ' for n in names)
    values: list[list[Any]] = [[] for _ in range(len(names) + 1)]
    appends = [column.append for column in values]
    # row by row into one list a column: no list of 100k row tuples to take apart afterwards
    for row in conn.execute(f'SELECT {cols}geom FROM "{spec.key}" ORDER BY fid'):
        for append, value in zip(appends, row, strict=False):
            append(value)
    blobs = tuple(values[-1])
    columns = dict(zip(names, values, strict=False))
    frame = pd.DataFrame(
        {name: pd.Series(np.array(v, dtype=object), dtype=object) for name, v in columns.items()},
        index=pd.RangeIndex(len(blobs)),
        columns=names,
    )
    frame = retype(frame, spec, only=set(names))
    return LayerEnvelopes(fields=frame, bounds=_header_bounds(blobs), blobs=blobs)
