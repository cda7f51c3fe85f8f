"""A layer read lean (fields and envelopes, geometries on demand) says what the full read says."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from tests.conftest import app_build_store
from ykgeo.store import Store
from ykgeo.store.gpkg import register_functions

PARCELS = "low_efficiency_industrial"
STATUS = "状态"


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(app_build_store(tmp_path / "store.gpkg", parcels=200, seed=5))


def _insert(store: Store, rows: list[tuple[str, bytes | None]]) -> None:
    """Feature rows written as another GeoPackage writer might: blobs as given."""
    conn = sqlite3.connect(store.path)
    register_functions(conn)  # the R-tree triggers call ST_IsEmpty / ST_MinX …
    with conn:
        conn.executemany(
            f'INSERT INTO "{PARCELS}" ("地块编号", "{STATUS}", geom) VALUES (?, ?, ?)',
            [(fid, "推进中", blob) for fid, blob in rows],
        )
    conn.close()


def _blob(geom: shapely.Geometry, *, flags: int, envelope: bool, big_endian: bool = False) -> bytes:
    order = ">" if big_endian else "<"
    head = struct.pack(f"{order}2sBBi", b"GP", 0, flags, 4490)
    if envelope:
        minx, miny, maxx, maxy = geom.bounds
        head += struct.pack(f"{order}4d", minx, maxx, miny, maxy)
    return head + shapely.to_wkb(geom, byte_order=0 if big_endian else 1, flavor="iso")


def test_fields_order_and_envelopes_are_those_of_the_full_read(store: Store) -> None:
    full = store.read_layer(PARCELS)
    lean = store.read_envelopes(PARCELS, ["地块编号", STATUS, "完成日期"])
    assert len(lean) == len(full) == 200
    pd.testing.assert_frame_equal(
        lean.fields, full[["地块编号", STATUS, "完成日期"]].reset_index(drop=True)
    )
    np.testing.assert_array_equal(lean.bounds, shapely.bounds(full.geometry.to_numpy()))
    rows = np.array([0, 7, 199])
    assert all(shapely.equals_exact(lean.geometries(rows), full.geometry.to_numpy()[rows], 0))
    some = lean.take(lean.fields[STATUS].eq("已完成").to_numpy())
    assert some.fields["地块编号"].tolist() == full.index[full[STATUS].eq("已完成")].tolist()
    assert all(
        shapely.equals(
            some.geometries(np.arange(len(some))),
            full[full[STATUS].eq("已完成")].geometry.to_numpy(),
        )
    )


def test_blobs_without_a_usable_envelope_are_left_to_their_geometry(store: Store) -> None:
    square = shapely.MultiPolygon([shapely.box(120.0, 28.9, 120.001, 28.901)])
    _insert(
        store,
        [
            ("NULL", None),
            ("EMPTY", _blob(shapely.MultiPolygon(), flags=0b10001, envelope=False)),
            ("NOENV", _blob(square, flags=0b00001, envelope=False)),  # as GDAL writes points
            ("BIG", _blob(square, flags=0b00010, envelope=True, big_endian=True)),
            ("LITTLE", _blob(square, flags=0b00011, envelope=True)),
        ],
    )
    full = store.read_layer(PARCELS)
    lean = store.read_envelopes(PARCELS, ["地块编号", STATUS])
    assert lean.fields["地块编号"].tolist() == full.index.tolist()
    tail = lean.bounds[-5:]
    assert np.isnan(tail[:4]).all()  # missing, empty, no envelope, big-endian: not from the header
    np.testing.assert_array_equal(tail[4], square.bounds)
    geoms = lean.geometries(np.arange(len(lean) - 5, len(lean)))
    assert geoms[0] is None
    assert geoms[1].is_empty
    assert all(g.equals(square) for g in geoms[2:])
    assert all(shapely.equals_exact(geoms[2:], full.geometry.to_numpy()[-3:], 0))
