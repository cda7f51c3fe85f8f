"""Bulk loading of a GeoPackage R-tree: every box written in one sorted (STR) pass instead of row by row.

SQLite's R*Tree keeps its tree in three shadow tables (``<name>_node``,
``<name>_rowid``, ``<name>_parent``); inserting a million boxes through the
virtual table walks and splits the tree a million times. Here the tree is
packed at once, Sort-Tile-Recursive (Leutenegger et al. 1997): boxes sorted into
vertical slices by centre x, each slice by centre y, cut into full leaves, and
the same again one level up until one node is left. The nodes are then written
in SQLite's own format (big-endian; a 4-byte header holding the depth at the
root and the cell count; cells of an 8-byte id and four float32 coordinates
rounded outwards exactly as the R*Tree module rounds them). GDAL's GeoPackage
driver writes its spatial indexes the same way; ``rtreecheck()`` verifies the
result in the tests, and later single-row inserts and deletes go through the
virtual table as usual.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import numpy.typing as npt

__all__ = ["bulk_load", "read_boxes"]

_CELL = np.dtype(
    [("id", ">i8"), ("minx", ">f4"), ("maxx", ">f4"), ("miny", ">f4"), ("maxy", ">f4")]
)
# the R*Tree module's float rounding (rtree.c: RNDTOWARDS / RNDAWAY)
_TOWARDS = 1.0 - 1.0 / 8388608.0
_AWAY = 1.0 + 1.0 / 8388608.0


def _down(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """float32 not above each value (rtreeValueDown)."""
    out = values.astype(np.float32)
    high = out.astype(np.float64) > values
    v = values[high]
    out[high] = (v * np.where(v < 0, _AWAY, _TOWARDS)).astype(np.float32)
    return out


def _up(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """float32 not below each value (rtreeValueUp)."""
    out = values.astype(np.float32)
    low = out.astype(np.float64) < values
    v = values[low]
    out[low] = (v * np.where(v < 0, _TOWARDS, _AWAY)).astype(np.float32)
    return out


def _str_order(cells: npt.NDArray[np.void], capacity: int) -> npt.NDArray[np.int64]:
    """Sort-Tile-Recursive order: slices by centre x, then centre y within each slice."""
    n = len(cells)
    slices = int(np.ceil(np.sqrt(-(-n // capacity))))
    cx = cells["minx"].astype(np.float64) + cells["maxx"]
    cy = cells["miny"].astype(np.float64) + cells["maxy"]
    slice_of = np.empty(n, dtype=np.int64)
    slice_of[np.argsort(cx, kind="stable")] = np.arange(n) // (slices * capacity)
    return np.lexsort((cy, slice_of))


def _parents(cells: npt.NDArray[np.void], capacity: int) -> npt.NDArray[np.void]:
    """One cell per node of ``capacity`` consecutive cells: the union of their boxes."""
    starts = np.arange(0, len(cells), capacity)
    up = np.empty(len(starts), dtype=_CELL)
    up["id"] = np.arange(len(starts))  # the node's index in its level, renumbered later
    up["minx"] = np.minimum.reduceat(cells["minx"], starts)
    up["maxx"] = np.maximum.reduceat(cells["maxx"], starts)
    up["miny"] = np.minimum.reduceat(cells["miny"], starts)
    up["maxy"] = np.maximum.reduceat(cells["maxy"], starts)
    return up


def _node_blobs(
    cells: npt.NDArray[np.void], capacity: int, node_size: int, depth: int | None
) -> list[bytes]:
    """The node blobs of one level (cells already in node order); ``depth`` is written at the root."""
    n_nodes = -(-len(cells) // capacity)
    buf = np.zeros((n_nodes, node_size), dtype=np.uint8)
    counts = np.full(n_nodes, capacity, dtype=np.int64)
    counts[-1] = len(cells) - capacity * (n_nodes - 1)
    header = np.zeros((n_nodes, 2), dtype=">u2")
    header[:, 1] = counts
    if depth is not None:
        header[0, 0] = depth
    buf[:, :4] = header.view(np.uint8).reshape(n_nodes, 4)
    body = np.zeros((n_nodes * capacity, _CELL.itemsize), dtype=np.uint8)
    body[: len(cells)] = cells.view(np.uint8).reshape(len(cells), _CELL.itemsize)
    buf[:, 4 : 4 + capacity * _CELL.itemsize] = body.reshape(n_nodes, -1)
    return [row.tobytes() for row in buf]


def bulk_load(
    conn: sqlite3.Connection,
    rtree: str,
    ids: npt.ArrayLike,
    bounds: npt.ArrayLike,
) -> None:
    """Replace the content of R*Tree ``rtree`` with one box per id, packed in one sorted pass.

    Parameters
    ----------
    conn
        A connection inside the caller's write transaction.
    rtree
        The virtual table (``rtree_<table>_geom``), created with 2 dimensions.
    ids
        The feature ids (``fid``), int64.
    bounds
        ``(n, 4)`` array of minx, miny, maxx, maxy as :func:`shapely.bounds` gives
        them; rows with a NaN (empty or missing geometry) are left out.
    """
    box = np.asarray(bounds, dtype=np.float64).reshape(-1, 4)
    keep = np.isfinite(box).all(axis=1)
    box = box[keep]
    node_size = int(
        conn.execute(f'SELECT length(data) FROM "{rtree}_node" WHERE nodeno = 1').fetchone()[0]
    )
    capacity = (node_size - 4) // _CELL.itemsize
    for suffix in ("node", "rowid", "parent"):
        conn.execute(f'DELETE FROM "{rtree}_{suffix}"')
    if not len(box):
        conn.execute(f'INSERT INTO "{rtree}_node" VALUES (1, zeroblob({node_size}))')
        return
    cells = np.empty(len(box), dtype=_CELL)
    cells["id"] = np.asarray(ids, dtype=np.int64)[keep]
    cells["minx"], cells["miny"] = _down(box[:, 0]), _down(box[:, 1])
    cells["maxx"], cells["maxy"] = _up(box[:, 2]), _up(box[:, 3])
    levels = []  # from the leaves up, each level's cells in node order
    while True:
        cells = cells[_str_order(cells, capacity)]
        levels.append(cells)
        if len(cells) <= capacity:
            break
        cells = _parents(cells, capacity)
    depth = len(levels) - 1
    # node numbers: the root is 1, then each level below in order
    first = [0] * len(levels)
    number = 1
    for level in range(depth, -1, -1):
        first[level] = number
        number += -(-len(levels[level]) // capacity)
    for level, cells in enumerate(levels):
        node_of = first[level] + np.arange(len(cells)) // capacity
        if level:
            cells = cells.copy()
            cells["id"] = cells["id"] + first[level - 1]
            conn.executemany(
                f'INSERT INTO "{rtree}_parent" VALUES (?, ?)',
                zip(cells["id"].astype(np.int64).tolist(), node_of.tolist(), strict=True),
            )
        else:
            conn.executemany(
                f'INSERT INTO "{rtree}_rowid" VALUES (?, ?)',
                zip(cells["id"].astype(np.int64).tolist(), node_of.tolist(), strict=True),
            )
        blobs = _node_blobs(cells, capacity, node_size, depth if level == depth else None)
        conn.executemany(
            f'INSERT INTO "{rtree}_node" VALUES (?, ?)',
            zip(range(first[level], first[level] + len(blobs)), blobs, strict=True),
        )


def read_boxes(
    conn: sqlite3.Connection, rtree: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Every id and box (minx, miny, maxx, maxy) of R*Tree ``rtree``, read from its leaf nodes at once.

    The same boxes as ``SELECT id, minx, miny, maxx, maxy FROM rtree`` (float32, rounded
    outwards), without a Python object per value: a few thousand node blobs decoded
    with numpy.
    """
    rows = conn.execute(
        f'SELECT data FROM "{rtree}_node" WHERE nodeno NOT IN '
        f'(SELECT parentnode FROM "{rtree}_parent")'
    ).fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 4))
    size = len(rows[0][0])
    capacity = (size - 4) // _CELL.itemsize
    buf = np.frombuffer(b"".join(r[0] for r in rows), dtype=np.uint8).reshape(len(rows), size)
    counts = buf[:, 2:4].copy().view(">u2").reshape(-1).astype(np.int64)
    body = np.ascontiguousarray(buf[:, 4 : 4 + capacity * _CELL.itemsize])
    cells = body.view(_CELL).reshape(len(rows), capacity)
    cells = cells[np.arange(capacity)[None, :] < counts[:, None]]
    box = np.column_stack([cells["minx"], cells["miny"], cells["maxx"], cells["maxy"]])
    return cells["id"].astype(np.int64), box.astype(np.float64)
