"""Low-level GeoPackage plumbing for the store: schema, geometry blobs and the ST_ functions of the R-tree triggers."""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS

__all__ = [
    "GPKG_APPLICATION_ID",
    "GPKG_USER_VERSION",
    "create_feature_table",
    "create_gpkg_core",
    "decode_geometries",
    "encode_geometries",
    "id_index_name",
    "register_functions",
]

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
GPKG_USER_VERSION = 10300  # GeoPackage 1.3: read without warnings by GDAL 3.6 (Debian 12) and later

_SQL_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "REAL", "date": "DATE"}
_GPKG_GEOMETRY_TYPES = {
    "Polygon": "MULTIPOLYGON",
    "LineString": "MULTILINESTRING",
    "Point": "POINT",
}

_CORE_SQL = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
"""

_RTREE_TRIGGERS = """
CREATE TRIGGER "rtree_{t}_geom_insert" AFTER INSERT ON "{t}"
WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO "rtree_{t}_geom" VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER "rtree_{t}_geom_update1" AFTER UPDATE OF geom ON "{t}"
WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN INSERT OR REPLACE INTO "rtree_{t}_geom" VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER "rtree_{t}_geom_update2" AFTER UPDATE OF geom ON "{t}"
WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM "rtree_{t}_geom" WHERE id = OLD.fid; END;
CREATE TRIGGER "rtree_{t}_geom_update3" AFTER UPDATE ON "{t}"
WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM "rtree_{t}_geom" WHERE id = OLD.fid;
INSERT OR REPLACE INTO "rtree_{t}_geom" VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)); END;
CREATE TRIGGER "rtree_{t}_geom_update4" AFTER UPDATE ON "{t}"
WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN DELETE FROM "rtree_{t}_geom" WHERE id IN (OLD.fid, NEW.fid); END;
CREATE TRIGGER "rtree_{t}_geom_delete" AFTER DELETE ON "{t}" WHEN old.geom NOT NULL
BEGIN DELETE FROM "rtree_{t}_geom" WHERE id = OLD.fid; END;
"""


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a GeoPackage geometry blob, from its header or its WKB."""
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if flags & 0b10000:  # empty
        return None
    indicator = (flags >> 1) & 0b111
    order = "<" if flags & 1 else ">"
    if indicator:
        return struct.unpack_from(order + "4d", blob, 8)
    header = 8 + {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get(indicator, 0)
    geom = shapely.from_wkb(bytes(blob[header:]))
    if geom is None or geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return (minx, maxx, miny, maxy)


def _is_empty(blob: bytes | None) -> int:
    if blob is None:
        return 1
    return int(bool(blob[3] & 0b10000)) if len(blob) > 3 and blob[:2] == b"GP" else 1


def register_functions(conn: sqlite3.Connection) -> None:
    """Register ST_IsEmpty / ST_MinX … so the GeoPackage R-tree triggers run under Python's sqlite3."""

    def _part(i: int):  # type: ignore[no-untyped-def]
        def f(blob: bytes | None) -> float | None:
            env = _envelope(blob)
            return None if env is None else env[i]

        return f

    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _part(i), deterministic=True)


def create_gpkg_core(conn: sqlite3.Connection) -> None:
    """Create the mandatory GeoPackage tables with the SRS rows ykgeo uses (4326, 4490, 4549, 4528)."""
    conn.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
    conn.executescript(_CORE_SQL)
    rows = [
        (
            "Undefined cartesian SRS",
            -1,
            "NONE",
            -1,
            "undefined",
            "undefined cartesian coordinate reference system",
        ),
        (
            "Undefined geographic SRS",
            0,
            "NONE",
            0,
            "undefined",
            "undefined geographic coordinate reference system",
        ),
    ]
    for code in (4326, 4490, 4549, 4528):
        crs = CRS.from_epsg(code)
        rows.append((crs.name, code, "EPSG", code, crs.to_wkt("WKT1_GDAL"), crs.name))
    conn.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", rows)


def create_feature_table(
    conn: sqlite3.Connection,
    table: str,
    *,
    geometry_type: str,
    columns: Sequence[tuple[str, str]],
    id_column: str,
    identifier: str,
    description: str,
    last_change: str,
    srs_id: int = 4490,
) -> None:
    """Create a feature table with an R-tree index, registered in gpkg_contents / gpkg_geometry_columns.

    ``columns`` are (name, ykgeo type) pairs; the id column is NOT NULL and has a
    unique index of its own (:func:`id_index_name`), so a bulk load can build it
    after the rows.
    """
    cols = []
    for name, ftype in columns:
        sql_type = _SQL_TYPES[ftype]
        extra = " NOT NULL" if name == id_column else ""
        cols.append(f'"{name}" {sql_type}{extra}')
    gtype = _GPKG_GEOMETRY_TYPES[geometry_type]
    conn.execute(
        f'CREATE TABLE "{table}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {gtype}, '
        + ", ".join(cols)
        + ", ykgeo_version INTEGER NOT NULL DEFAULT 1)"
    )
    conn.execute(f'CREATE UNIQUE INDEX "{id_index_name(table)}" ON "{table}" ("{id_column}")')
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) "
        "VALUES (?, 'features', ?, ?, ?, ?)",
        (table, identifier, description, last_change, srs_id),
    )
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)", (table, gtype, srs_id)
    )
    conn.execute(
        f'CREATE VIRTUAL TABLE "rtree_{table}_geom" USING rtree(id, minx, maxx, miny, maxy)'
    )
    conn.executescript(_RTREE_TRIGGERS.format(t=table))
    conn.execute(
        "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        (table,),
    )


def id_index_name(table: str) -> str:
    """The unique index on a feature table's id column."""
    return f"idx_{table}_id"


def create_attribute_table(
    conn: sqlite3.Connection, table: str, ddl: str, *, description: str, last_change: str
) -> None:
    """Create a non-spatial table and register it as GeoPackage 'attributes' so GIS tools list it."""
    conn.execute(ddl)
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change) "
        "VALUES (?, 'attributes', ?, ?, ?)",
        (table, table, description, last_change),
    )


#: Shapely type id of a single geometry → ISO WKB type of its multi-geometry.
_MULTI_OF = {1: 5, 3: 6}
_HEADER = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"), ("envelope", "<f8", 4)]
)


def encode_geometries(
    geoms: npt.ArrayLike, srs_id: int = 4490, *, promote: int | None = None
) -> list[bytes | None]:
    """Shapely geometries → GeoPackage binary blobs (little-endian, XY envelope), vectorised WKB.

    The headers of all blobs are made as one numpy array; each blob is then its
    40-byte header slice followed by its ISO WKB. Empty geometries carry no
    envelope (flag 0b10001); missing ones stay None. ``promote`` (1 or 3) stores
    single lines or polygons as one-part multi-geometries, as the store's columns
    ask: their WKB is the single geometry's behind a 9-byte multi header, with no
    shapely objects made for it.
    """
    arr = np.asarray(geoms, dtype=object).ravel()
    wkb = shapely.to_wkb(arr, byte_order=1, flavor="iso").tolist()
    bounds = shapely.bounds(arr)
    empty = shapely.is_empty(arr) | shapely.is_missing(arr)
    if promote in _MULTI_OF:
        single = (shapely.get_type_id(arr) == promote) & ~empty & ~shapely.has_z(arr)
        prefix = struct.pack("<BII", 1, _MULTI_OF[promote], 1)
        for i in np.flatnonzero(single).tolist():
            wkb[i] = prefix + wkb[i]
        rest = (shapely.get_type_id(arr) == promote) & ~single
        if rest.any():  # empty or 3D: let shapely build the multi-geometry
            build = shapely.multipolygons if promote == 3 else shapely.multilinestrings
            for i in np.flatnonzero(rest).tolist():
                wkb[i] = shapely.to_wkb(build([arr[i]]), byte_order=1, flavor="iso")
    head = np.zeros(arr.size, dtype=_HEADER)
    head["magic"] = b"GP"
    head["flags"] = 0b00011
    head["srs_id"] = srs_id
    head["envelope"] = bounds[:, [0, 2, 1, 3]]  # minx, maxx, miny, maxy
    raw = head.tobytes()
    size = _HEADER.itemsize
    out: list[bytes | None] = [
        None if w is None else raw[i * size : (i + 1) * size] + w for i, w in enumerate(wkb)
    ]
    empty_head = struct.pack("<2sBBi", b"GP", 0, 0b10001, srs_id)
    for i in np.flatnonzero(empty).tolist():
        out[i] = None if arr[i] is None else empty_head + wkb[i]
    return out


def decode_geometries(blobs: Sequence[bytes | None]) -> npt.NDArray[np.object_]:
    """GeoPackage binary blobs → shapely geometries (None stays None)."""
    # the header is 8 bytes and an envelope whose size the flags byte's bits 1–3 give
    wkbs = [
        None if blob is None else bytes(blob[8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 0b111] :])
        for blob in blobs
    ]
    return np.asarray(shapely.from_wkb(np.asarray(wkbs, dtype=object)), dtype=object)


#: Envelope size in bytes by the header's envelope indicator (none, xy, xyz, xym, xyzm; 5–7 invalid: none).
_ENVELOPE_BYTES = (0, 32, 48, 48, 64, 0, 0, 0)
