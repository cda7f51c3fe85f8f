"""The R-tree bulk load: a tree SQLite's own check accepts, answering window queries as the data do."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from ykgeo.store.rtree import bulk_load, read_boxes


def _tree(bounds: np.ndarray) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
    conn.execute("BEGIN")
    bulk_load(conn, "r", np.arange(len(bounds)), bounds)
    conn.execute("COMMIT")
    return conn


def _boxes(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lo = rng.uniform([119.9, 28.7], [120.4, 29.1], (n, 2))
    size = rng.uniform(0.0, 0.01, (n, 2))
    return np.column_stack([lo, lo + size])  # minx, miny, maxx, maxy


# sizes around one node (51 cells) and one level of nodes (51 × 51)
@pytest.mark.parametrize("n", [1, 2, 50, 51, 52, 2601, 2602, 20_000])
def test_bulk_loaded_tree_passes_sqlite_rtreecheck(n: int) -> None:
    conn = _tree(_boxes(n, seed=n))
    assert conn.execute("SELECT rtreecheck('r')").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM r").fetchone()[0] == n


def test_window_queries_find_exactly_the_boxes_that_meet_the_window() -> None:
    boxes = _boxes(5000, seed=7)
    conn = _tree(boxes)
    rng = np.random.default_rng(8)
    for _ in range(50):
        x0, y0 = rng.uniform([119.9, 28.7], [120.4, 29.1])
        x1, y1 = x0 + 0.03, y0 + 0.03
        got = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM r WHERE maxx >= ? AND minx <= ? AND maxy >= ? AND miny <= ?",
                (x0, x1, y0, y1),
            )
        }
        # float32 boxes are rounded outwards: they may only grow, never lose a hit
        want = set(
            np.flatnonzero(
                (boxes[:, 2] >= x0)
                & (boxes[:, 0] <= x1)
                & (boxes[:, 3] >= y0)
                & (boxes[:, 1] <= y1)
            ).tolist()
        )
        assert want <= got
        assert len(got - want) <= 2


def test_boxes_are_those_the_rtree_module_stores() -> None:
    boxes = _boxes(3000, seed=3)
    bulk = _tree(boxes)
    rowwise = sqlite3.connect(":memory:")
    rowwise.execute("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
    rowwise.executemany(
        "INSERT INTO r VALUES (?, ?, ?, ?, ?)",
        [(i, b[0], b[2], b[1], b[3]) for i, b in enumerate(boxes.tolist())],
    )
    query = "SELECT id, minx, maxx, miny, maxy FROM r ORDER BY id"
    assert bulk.execute(query).fetchall() == rowwise.execute(query).fetchall()


def test_missing_boxes_are_left_out_and_the_tree_takes_later_edits() -> None:
    boxes = _boxes(3000, seed=4)
    boxes[[0, 10, 20]] = np.nan  # empty or missing geometries
    conn = _tree(boxes)
    assert conn.execute("SELECT count(*) FROM r").fetchone()[0] == 2997
    conn.execute("INSERT INTO r VALUES (99999, 120.0, 120.1, 29.0, 29.1)")
    conn.execute("DELETE FROM r WHERE id BETWEEN 100 AND 1500")
    conn.execute("UPDATE r SET minx = 119.0 WHERE id = 2000")
    assert conn.execute("SELECT rtreecheck('r')").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM r").fetchone()[0] == 2997 + 1 - 1401


def test_no_boxes_gives_an_empty_valid_tree() -> None:
    conn = _tree(np.zeros((0, 4)))
    assert conn.execute("SELECT rtreecheck('r')").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM r").fetchone()[0] == 0
    conn.execute("INSERT INTO r VALUES (1, 0, 1, 0, 1)")
    assert conn.execute("SELECT rtreecheck('r')").fetchone()[0] == "ok"


@pytest.mark.parametrize("n", [0, 1, 51, 52, 2602, 20_000])
def test_read_boxes_gives_every_id_and_box_the_table_gives(n: int) -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE VIRTUAL TABLE r USING rtree(id, minx, maxx, miny, maxy)")
    if n:  # the bulk-loaded tree, then a few rows through the virtual table (node splits)
        conn.execute("BEGIN")
        bulk_load(conn, "r", np.arange(n), _boxes(n, seed=n))
        conn.execute("COMMIT")
        extra = _boxes(60, seed=n + 1)
        conn.executemany(
            "INSERT INTO r VALUES (?, ?, ?, ?, ?)",
            [(n + i, b[0], b[2], b[1], b[3]) for i, b in enumerate(extra.tolist())],
        )
        conn.execute("DELETE FROM r WHERE id % 7 = 3")
    ids, boxes = read_boxes(conn, "r")
    rows = conn.execute("SELECT id, minx, miny, maxx, maxy FROM r ORDER BY id").fetchall()
    order = np.argsort(ids)
    assert ids[order].tolist() == [r[0] for r in rows]
    assert boxes[order].tolist() == [list(r[1:]) for r in rows]
