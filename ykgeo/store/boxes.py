"""Every box a layer's features have had, from the GeoPackage R-tree and the edit log, without reading geometries.

A feature's geometry at any past date is its geometry now (boxed in the layer's R-tree,
``rtree_<layer>_geom``, float32 rounded outwards) or one it had before: the old
geometry of a geometry change or the last geometry kept when it was deleted, both in
the edit log. :func:`feature_boxes` returns all of them per feature id, so a box test
against them never misses a box of any state of the layer (it may find more).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from ykgeo.layers import LayerSpec
from ykgeo.store.history import GEOMETRY_FIELD
from ykgeo.store.log import sql_text
from ykgeo.store.rtree import read_boxes

__all__ = ["feature_boxes"]


def _log_geometries(conn: sqlite3.Connection, key: str) -> tuple[list[str], list[bytes]]:
    """Feature ids and WKB of every geometry the log holds for layer ``key`` (changes and deletions)."""
    ids: list[str] = []
    wkbs: list[bytes] = []
    rows = conn.execute(
        "SELECT feature_id, old_geom, new_geom FROM ykgeo_edit_log "
        f"WHERE layer = {sql_text(key)} AND field = {sql_text(GEOMETRY_FIELD)}"
    )
    for feature_id, old, new in rows:
        for wkb in (old, new):
            if wkb:
                ids.append(str(feature_id))
                wkbs.append(bytes(wkb))
    rows = conn.execute(
        "SELECT feature_id, old_text FROM ykgeo_edit_log "
        f"WHERE layer = {sql_text(key)} AND field IS NULL AND action = 'delete'"
    )
    for feature_id, text in rows:
        wkb = json.loads(text).get(GEOMETRY_FIELD)
        if wkb:
            ids.append(str(feature_id))
            wkbs.append(bytes.fromhex(wkb) if isinstance(wkb, str) else bytes(wkb))
    return ids, wkbs


def feature_boxes(
    path: Path, spec: LayerSpec
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64]] | None:
    """Feature ids and boxes (minx, miny, maxx, maxy) of every geometry layer ``spec.key`` has had.

    An id may come more than once (its geometry now and earlier ones). Returns None
    when the layer has no R-tree to read the boxes from.
    """
    key = spec.key
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        rtree = f"rtree_{key}_geom"
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (rtree,)
        ).fetchone():
            return None
        # the R-tree's nodes, and the ids by the id index, rather than a join through the rows
        fid_of_box, boxes = read_boxes(conn, rtree)
        rows = conn.execute(f'SELECT fid, "{spec.id_field}" FROM "{key}"').fetchall()
        log_ids, wkbs = _log_geometries(conn, key)
    finally:
        conn.close()
    fids = np.asarray([r[0] for r in rows], dtype=np.int64)
    names = np.asarray([str(r[1]) for r in rows], dtype=object)
    at = pd.Index(fids).get_indexer(pd.Index(fid_of_box))
    found = at >= 0  # an R-tree row without its feature (a stale index) is left out
    ids = names[at[found]]
    boxes = boxes[found]
    if wkbs:
        extra = np.asarray(shapely.bounds(shapely.from_wkb(wkbs)), dtype="float64")
        ids = np.concatenate([ids, np.asarray(log_ids, dtype=object)])
        boxes = np.concatenate([boxes, extra])
    return ids, boxes
