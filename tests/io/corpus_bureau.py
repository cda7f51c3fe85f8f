"""Bureau-style files of our own making: the Chinese cases of the field corpus, written to a folder.

Each :class:`BureauFile` is a file a planner in Yongkang could be handed (GBK Shapefiles in GK CM120
with and without .cpg, odd .cpg spellings, arcs in parcel exports, GCJ-02 web-map downloads, broken
coordinates …), with the outcome expected from ``ykgeo area`` and ``ykgeo validate``. The files are
written by code here, so they are ours to commit and need no download.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

#: GK CM120 (EPSG:4549) metres at 120°E 28.9°N, the centre of Yongkang.
ORIGIN_4549 = (500_000.0, 3_198_185.8)
#: The same place in degrees.
ORIGIN_DEG = (120.0425, 28.8908)
_ATTRS = {
    "DKBH": ["YK-001", "YK-002"],
    "QYMC": ["永康市东城五金制品有限公司", "永康市古山电器厂"],
    "SSZJ": ["东城街道", "古山镇"],
    "ZT": ["推进中", "未启动"],
}
_ESRI_WGS84 = (
    'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]'
)
_PRJ_UNKNOWN_PROJECTION = (
    'GEOGCS["Unknown Projection",DATUM["Unknown",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]'
)
_PRJ_EPSG_ID_6326 = (
    'GEOGCS["WGS 84",DATUM["World Geodetic System 1984 [EPSG ID 6326]",'
    'SPHEROID["WGS 84 [EPSG ID 7030]",6378137,298.257223563]],PRIMEM["Greenwich",0],'
    'UNIT["degree",0.0174532925199433]]'
)
_PRJ_XIAN80_GK = (
    'PROJCS["Xian_1980_3_Degree_GK_CM_120E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",'
    'SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],'
    'PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],'
    'UNIT["Meter",1.0]]'
)


@dataclass(frozen=True)
class BureauFile:
    """One file of our own making and what ``ykgeo`` should do with it.

    ``options`` are added to both commands (``--crs``, ``--encoding``, ``--layer-name``);
    ``area`` and ``validate`` are the outcome classes ("accepted" or "refused"); ``expect``
    is a regular expression the output (stdout + stderr) must match.
    """

    name: str
    exercises: str
    area: str
    validate: str
    expect: str = ""
    options: tuple[str, ...] = ()


def _squares(n: int = 2, *, size: float = 100.0) -> list[shapely.Polygon]:
    x0, y0 = ORIGIN_4549
    return [shapely.box(x0 + i * 200, y0, x0 + i * 200 + size, y0 + size) for i in range(n)]


def _frame(geoms: list, crs: object) -> gpd.GeoDataFrame:
    attrs = {k: v[: len(geoms)] for k, v in _ATTRS.items()}
    return gpd.GeoDataFrame(attrs, geometry=geoms, crs=crs)


def _shapefile(folder: Path, name: str, *, encoding: str = "GBK", crs: object = 4549) -> Path:
    path = folder / name
    _frame(_squares(), crs).to_file(path, encoding=encoding, engine="pyogrio")
    return path


def _set_sidecar(shp: Path, ext: str, text: str | None) -> None:
    target = shp.with_suffix(ext)
    if text is None:
        target.unlink(missing_ok=True)
    else:
        target.write_text(text, encoding="ascii")


# --- curves: ISO WKB written by hand (shapely cannot hold arcs) --------------------------------------


def _wkb_points(points: list[tuple[float, float]]) -> bytes:
    return struct.pack("<I", len(points)) + b"".join(struct.pack("<dd", *p) for p in points)


def _curve_parcel_wkb() -> bytes:
    """A 宗地 whose street front is an arc: CurvePolygon(CompoundCurve(CircularString, LineString))."""
    x0, y0 = ORIGIN_4549
    arc = [(x0, y0), (x0 + 50, y0 - 20), (x0 + 100, y0)]
    line = [(x0 + 100, y0), (x0 + 100, y0 + 100), (x0, y0 + 100), (x0, y0)]
    circular = struct.pack("<BI", 1, 8) + _wkb_points(arc)
    linestring = struct.pack("<BI", 1, 2) + _wkb_points(line)
    compound = struct.pack("<BII", 1, 9, 2) + circular + linestring
    return struct.pack("<BII", 1, 10, 1) + compound


def _curve_parcel_wkt() -> str:
    x0, y0 = ORIGIN_4549
    return (
        f"CURVEPOLYGON(COMPOUNDCURVE(CIRCULARSTRING({x0} {y0},{x0 + 50} {y0 - 20},{x0 + 100} {y0}),"
        f"({x0 + 100} {y0},{x0 + 100} {y0 + 100},{x0} {y0 + 100},{x0} {y0})))"
    )


def _curve_gpkg(folder: Path, name: str) -> Path:
    """A GeoPackage of one curved parcel: written as a polygon, then its blob swapped for the arc."""
    path = folder / name
    frame = _frame(_squares(1), 4549)
    frame.to_file(
        path,
        layer="宗地",
        driver="GPKG",
        engine="pyogrio",
        SPATIAL_INDEX="NO",
        geometry_type="Unknown",
    )
    header = b"GP" + bytes([0, 0b0000_0001]) + struct.pack("<i", 4549)  # little-endian, no envelope
    with sqlite3.connect(path) as db:
        db.execute('UPDATE "宗地" SET geom = ?', (header + _curve_parcel_wkb(),))
        db.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
            "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO gpkg_extensions VALUES ('宗地', 'geom', 'gpkg_geom_CURVEPOLYGON', "
            "'http://www.geopackage.org/spec120/#extension_geometry_types', 'read-write')"
        )
    return path


def _curve_jsonfg(folder: Path, name: str) -> Path:
    """JSON-FG with the arc in ``place``; coordinates in EPSG:4549's own axis order (northing, easting)."""
    x0, y0 = ORIGIN_4549
    ring = {
        "type": "CompoundCurve",
        "geometries": [
            {
                "type": "CircularString",
                "coordinates": [[y0, x0], [y0 - 20, x0 + 50], [y0, x0 + 100]],
            },
            {
                "type": "LineString",
                "coordinates": [[y0, x0 + 100], [y0 + 100, x0 + 100], [y0 + 100, x0], [y0, x0]],
            },
        ],
    }
    doc = {
        "type": "FeatureCollection",
        "conformsTo": ["[ogc-json-fg-1-0.2:core]"],
        "coordRefSys": "[EPSG:4549]",
        "features": [
            {
                "type": "Feature",
                "id": 1,
                "geometry": None,
                "place": {"type": "CurvePolygon", "geometries": [ring]},
                "properties": {k: v[0] for k, v in _ATTRS.items()},
            }
        ],
    }
    path = folder / name
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _curve_csv(folder: Path, name: str) -> Path:
    path = folder / name
    head = ",".join(["WKT", *_ATTRS])
    row = ",".join([f'"{_curve_parcel_wkt()}"', *(v[0] for v in _ATTRS.values())])
    path.write_text(f"{head}\n{row}\n", encoding="utf-8")
    return path


# --- a PolygonZM Shapefile written byte by byte (pyogrio cannot write measures) ---------------------


def _shapefile_zm(folder: Path, name: str) -> Path:
    ring = [*shapely.get_coordinates(_squares(1)[0])]
    n = len(ring)
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    bbox = struct.pack("<4d", min(xs), min(ys), max(xs), max(ys))
    content = struct.pack("<i", 15) + bbox + struct.pack("<ii", 1, n) + struct.pack("<i", 0)
    content += b"".join(struct.pack("<2d", x, y) for x, y in ring)
    content += struct.pack("<2d", 40.0, 40.0) + struct.pack(f"<{n}d", *([40.0] * n))  # Z
    content += struct.pack("<2d", 0.0, 7.0) + struct.pack(f"<{n}d", *range(n))  # M
    record = struct.pack(">ii", 1, len(content) // 2) + content
    total = 100 + len(record)

    def header(length: int) -> bytes:
        head = struct.pack(">i5ii", 9994, 0, 0, 0, 0, 0, length // 2)
        return head + struct.pack("<ii", 1000, 15) + bbox + struct.pack("<4d", 40, 40, 0, 7)

    shp = folder / name
    shp.write_bytes(header(total) + record)
    shp.with_suffix(".shx").write_bytes(header(108) + struct.pack(">ii", 50, len(content) // 2))
    attrs = _shapefile(folder, "_zm_attrs.shp")  # the .dbf, .cpg and .prj of a 2D twin
    for ext in (".dbf", ".cpg", ".prj"):
        attrs.with_suffix(ext).replace(shp.with_suffix(ext))
    for leftover in folder.glob("_zm_attrs.*"):
        leftover.unlink()
    return shp


# --- GeoJSON written as text (to keep what a GIS writer would refuse to produce) -------------------


def _geojson(folder: Path, name: str, features: list[dict], **extra: object) -> Path:
    doc = {"type": "FeatureCollection", **extra, "features": features}
    path = folder / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _feature(geometry: dict | None, index: int = 0) -> dict:
    return {
        "type": "Feature",
        "properties": {k: v[index] for k, v in _ATTRS.items()},
        "geometry": geometry,
    }


def _degree_square(lon: float, lat: float, size: float = 0.001) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _datav_gcj02(folder: Path, name: str) -> Path:
    """A DataV-style outline (adcode, centroid …), in GCJ-02 though GeoJSON says WGS84."""
    lon, lat = ORIGIN_DEG
    feature = _feature(_degree_square(lon + 0.0046, lat - 0.0029, 0.01))
    feature["properties"] = {
        "adcode": 330784,
        "name": "永康市",
        "center": [120.036, 28.895],
        "centroid": [lon + 0.0096, lat + 0.0021],
        "childrenNum": 14,
        "level": "district",
        "parent": {"adcode": 330700},
        "subFeatureIndex": 8,
        "acroutes": [100000, 330000, 330700],
    }
    return _geojson(folder, name, [feature])


def _kml_without_geometry(folder: Path, name: str) -> Path:
    marks = "".join(
        f"<Placemark><name>{q}</name><description>{z}：只有名称和说明</description></Placemark>"
        for q, z in zip(_ATTRS["QYMC"], _ATTRS["SSZJ"], strict=True)
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><name>企业点位</name>{marks}</Document></kml>\n"
    )
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _two_layer_gpkg(folder: Path, name: str) -> Path:
    path = folder / name
    _frame(_squares(), 4549).to_file(path, layer="宗地", driver="GPKG", engine="pyogrio")
    x0, y0 = ORIGIN_4549
    roads = _frame([shapely.LineString([(x0, y0 - 50), (x0 + 500, y0 - 50)])], 4549)
    roads.to_file(path, layer="道路", driver="GPKG", engine="pyogrio")
    return path


def _cp1250_shapefile(folder: Path, name: str, cpg: str) -> Path:
    """Czech text in code page 1250, with the .cpg spelling given (real files say ``ANSI 1250``)."""
    path = folder / name
    frame = _frame(_squares(), 4549)
    frame["QYMC"] = ["Žluťoučký kůň s.r.o.", "Příliš žluťoučký"]
    frame["SSZJ"] = ["Brno", "Plzeň"]
    frame["ZT"] = ["ano", "ne"]
    frame.to_file(path, encoding="cp1250", engine="pyogrio")
    _set_sidecar(path, ".cpg", cpg)
    return path


def _gbk_with_cpg(cpg: str | None) -> Callable[[Path, str], Path]:
    def build(folder: Path, name: str) -> Path:
        path = _shapefile(folder, name)
        _set_sidecar(path, ".cpg", cpg)
        return path

    return build


def _utf8_with_cpg(cpg: str) -> Callable[[Path, str], Path]:
    def build(folder: Path, name: str) -> Path:
        path = _shapefile(folder, name, encoding="UTF-8")
        _set_sidecar(path, ".cpg", cpg)
        return path

    return build


def _gbk_no_sidecars(folder: Path, name: str) -> Path:
    path = _shapefile(folder, name)
    _set_sidecar(path, ".cpg", None)
    _set_sidecar(path, ".prj", None)
    return path


def _zone40_no_prj(folder: Path, name: str) -> Path:
    path = folder / name
    frame = _frame(_squares(), 4549)
    frame.geometry = frame.translate(xoff=40_000_000)
    frame.to_file(path, encoding="GBK", engine="pyogrio")
    _set_sidecar(path, ".prj", None)
    return path


def _with_prj(text: str, *, degrees: bool) -> Callable[[Path, str], Path]:
    def build(folder: Path, name: str) -> Path:
        geoms = (
            [shapely.box(*ORIGIN_DEG, ORIGIN_DEG[0] + 0.001, ORIGIN_DEG[1] + 0.001)]
            if degrees
            else _squares(1)
        )
        path = folder / name
        _frame(geoms, 4326 if degrees else 4549).to_file(path, encoding="GBK", engine="pyogrio")
        path.with_suffix(".prj").write_text(text, encoding="ascii")
        return path

    return build


def _overflow_point(folder: Path, name: str) -> Path:
    """A point at (-1.79e308, -1.79e308): finite, but its bounds overflow to infinity."""
    doc = json.dumps({"type": "FeatureCollection", "features": [_feature(None)]})
    point = '{"type": "Point", "coordinates": [-1.79e308, -1.79e308]}'
    path = folder / name
    path.write_text(doc.replace('"geometry": null', f'"geometry": {point}'), encoding="utf-8")
    return path


def _impossible_degrees(folder: Path, name: str) -> Path:
    return _geojson(
        folder,
        name,
        [_feature(_degree_square(-248.0, 625.0), 0), _feature(_degree_square(*ORIGIN_DEG), 1)],
    )


def _unclosed_ring(folder: Path, name: str) -> Path:
    lon, lat = ORIGIN_DEG
    ring = [[lon, lat], [lon + 0.001, lat], [lon + 0.001, lat + 0.001], [lon, lat + 0.001]]
    return _geojson(
        folder,
        name,
        [
            _feature(_degree_square(lon, lat - 0.002), 0),
            _feature({"type": "Polygon", "coordinates": [ring]}, 1),
        ],
    )


def _bang_name(folder: Path, name: str) -> Path:
    return _geojson(folder, name, [_feature(_degree_square(*ORIGIN_DEG))])


def _gk_metres_in_wgs84(folder: Path, name: str) -> Path:
    path = folder / name
    _frame(_squares(), 4549).to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".prj").write_text(_ESRI_WGS84, encoding="ascii")
    return path


def _gk_metres_no_prj_csv(folder: Path, name: str) -> Path:
    x0, y0 = ORIGIN_4549
    rows = ["地块编号,企业名称,所属镇街,状态,X坐标,Y坐标"]
    rows += [
        f"YK-0{i},永康市某企业{i},东城街道,推进中,{y0 + i * 10:.1f},{x0 + i * 10:.1f}"
        for i in range(3)
    ]
    path = folder / name
    path.write_text("\n".join(rows) + "\n", encoding="gbk")
    return path


_CRS_HINT = r"--crs"
#: name → (builder, BureauFile fields except name)
_CASES: list[tuple[Callable[[Path, str], Path], BureauFile]] = [
    (
        _gbk_with_cpg("GBK"),
        BureauFile(
            "宗地_GBK_CM120.shp",
            "GBK Shapefile in GK CM120 with .cpg and .prj",
            "accepted",
            "accepted",
            "按 GBK 编码读取",
        ),
    ),
    (
        _gbk_no_sidecars,
        BureauFile(
            "宗地_GBK_无cpg无prj.shp",
            "GBK Shapefile in GK CM120 metres, no .cpg (LDID 0), no .prj",
            "accepted",
            "accepted",
            r"GBK 编码.*\n.*|4549",
        ),
    ),
    (
        _gbk_with_cpg("936"),
        BureauFile("cpg_936.shp", ".cpg says 936", "accepted", "accepted", "按 GBK 编码读取"),
    ),
    (
        _gbk_with_cpg("GB2312"),
        BureauFile("cpg_GB2312.shp", ".cpg says GB2312", "accepted", "accepted", "按 GBK 编码读取"),
    ),
    (
        _gbk_with_cpg("ANSI 936"),
        BureauFile(
            "cpg_ANSI_936.shp",
            ".cpg says ANSI 936",
            "accepted",
            "accepted",
            "根据 .cpg 文件，按 GBK 编码读取",
        ),
    ),
    (
        _gbk_with_cpg("UTF-8"),
        BureauFile(
            "cpg_UTF-8_实为GBK.shp",
            ".cpg says UTF-8 but the .dbf is GBK",
            "accepted",
            "accepted",
            "GBK 编码",
        ),
    ),
    (
        _gbk_with_cpg("ANSI"),
        BureauFile(
            "cpg_ANSI.shp", ".cpg says only ANSI over GBK text", "accepted", "accepted", "GBK 编码"
        ),
    ),
    (
        _utf8_with_cpg("UTF8"),
        BureauFile("cpg_UTF8.shp", ".cpg says UTF8", "accepted", "accepted", "按 UTF-8 编码读取"),
    ),
    (
        _utf8_with_cpg("65001"),
        BureauFile("cpg_65001.shp", ".cpg says 65001", "accepted", "accepted", "按 UTF-8 编码读取"),
    ),
    (
        _utf8_with_cpg("GBK"),
        BureauFile(
            "cpg_GBK_实为UTF-8.shp",
            ".cpg says GBK but the .dbf is UTF-8",
            "accepted",
            "accepted",
            "UTF-8 编码",
        ),
    ),
    (
        lambda f, n: _cp1250_shapefile(f, n, "ANSI 1250"),
        BureauFile(
            "cpg_ANSI_1250.shp",
            ".cpg says ANSI 1250 (Czech text)",
            "accepted",
            "accepted",
            "CP1250",
        ),
    ),
    (
        lambda f, n: _cp1250_shapefile(f, n, "1250"),
        BureauFile("cpg_1250.shp", ".cpg says 1250 (Czech text)", "accepted", "accepted", "CP1250"),
    ),
    (
        _gbk_with_cpg("ANSI"),
        BureauFile(
            "编码_指定GBK.shp",
            "--encoding GBK given for a .cpg that says ANSI",
            "accepted",
            "accepted",
            "按指定的 GBK 编码",
            ("--encoding", "GBK"),
        ),
    ),
    (
        _zone40_no_prj,
        BureauFile(
            "宗地_40带_无prj.shp",
            "GK zone 40 with zone prefix, no .prj",
            "accepted",
            "accepted",
            "4528",
        ),
    ),
    (
        _gk_metres_no_prj_csv,
        BureauFile(
            "台账_X坐标Y坐标.csv",
            "GBK CSV with surveyors' X (northing) / Y (easting) columns",
            "accepted",
            "accepted",
            "4549",
        ),
    ),
    (
        _gk_metres_in_wgs84,
        BureauFile(
            "GK米_标注WGS84.shp",
            "GK CM120 metres with a WGS84 .prj (wrong CRS)",
            "refused",
            "refused",
            r"4549",
        ),
    ),
    (
        _gk_metres_in_wgs84,
        BureauFile(
            "GK米_指定CRS.shp",
            "the same, with --crs 'CGCS2000 GK CM120'",
            "accepted",
            "accepted",
            "4549",
            ("--crs", "CGCS2000 GK CM120"),
        ),
    ),
    (
        _curve_gpkg,
        BureauFile(
            "宗地_弧段.gpkg",
            "GeoPackage CurvePolygon parcel (arc street front)",
            "accepted",
            "accepted",
            "线性化",
        ),
    ),
    (
        _curve_jsonfg,
        BureauFile(
            "宗地_弧段.json",
            "JSON-FG CurvePolygon in EPSG:4549 (place member)",
            "accepted",
            "accepted",
            "线性化",
        ),
    ),
    (
        _curve_csv,
        BureauFile(
            "宗地_弧段.csv",
            "CSV with WKT CURVEPOLYGON in GK metres",
            "accepted",
            "accepted",
            "线性化",
        ),
    ),
    (
        _shapefile_zm,
        BureauFile(
            "宗地_ZM.shp", "PolygonZM Shapefile in GK CM120", "accepted", "accepted", "M 值已忽略"
        ),
    ),
    (
        _two_layer_gpkg,
        BureauFile(
            "宗地与道路.gpkg",
            "GeoPackage with two layers, none chosen",
            "refused",
            "refused",
            r"--layer-name",
        ),
    ),
    (
        _two_layer_gpkg,
        BureauFile(
            "宗地与道路_选层.gpkg",
            "the same, --layer-name 宗地",
            "accepted",
            "accepted",
            "读取图层“宗地”",
            ("--layer-name", "宗地"),
        ),
    ),
    (
        _bang_name,
        BureauFile("!宗地.geojson", "a name starting with '!'", "accepted", "accepted", "1 个要素"),
    ),
    (
        _datav_gcj02,
        BureauFile(
            "DataV_永康市.geojson",
            "DataV outline in GCJ-02 labelled WGS84",
            "accepted",
            "accepted",
            "GCJ-02",
        ),
    ),
    (
        _datav_gcj02,
        BureauFile(
            "DataV_指定GCJ02.geojson",
            "the same with --crs GCJ02",
            "accepted",
            "accepted",
            "GCJ-02",
            ("--crs", "GCJ02"),
        ),
    ),
    (
        _overflow_point,
        BureauFile(
            "溢出坐标.geojson",
            "a point at (-1.79e308, -1.79e308) declared WGS84",
            "refused",
            "refused",
            "YK-001",
        ),
    ),
    (
        _impossible_degrees,
        BureauFile(
            "不可能的经纬度.geojson", "a polygon at -248°, 625°", "refused", "refused", "YK-001"
        ),
    ),
    (
        _unclosed_ring,
        BureauFile(
            "未闭合.geojson", "a polygon whose ring is not closed", "refused", "refused", "闭合"
        ),
    ),
    (
        _kml_without_geometry,
        BureauFile(
            "无几何地标.kml", "KML placemarks with names only", "refused", "refused", "没有可用"
        ),
    ),
    (
        _with_prj(_PRJ_UNKNOWN_PROJECTION, degrees=True),
        BureauFile(
            "未知投影_WGS84.shp",
            '.prj "Unknown Projection", unknown datum on the WGS84 ellipsoid, degrees',
            "accepted",
            "accepted",
            "WGS84",
        ),
    ),
    (
        _with_prj(_PRJ_EPSG_ID_6326, degrees=True),
        BureauFile(
            "EPSG_ID_6326.shp",
            '.prj datum "World Geodetic System 1984 [EPSG ID 6326]"',
            "accepted",
            "accepted",
            "WGS84",
        ),
    ),
    (
        _with_prj(_PRJ_XIAN80_GK, degrees=False),
        BureauFile("西安80_CM120.shp", "Xian 1980 GK CM120 .prj", "accepted", "refused", "西安80"),
    ),
]


def bureau_files() -> list[BureauFile]:
    """Every bureau file, in a stable order."""
    return [case for _build, case in _CASES]


def build_bureau_files(folder: Path) -> list[BureauFile]:
    """Write every bureau file into ``folder`` (each in its own sub-folder) and return their cases."""
    for build, case in _CASES:
        sub = folder / Path(case.name).stem
        sub.mkdir(parents=True, exist_ok=True)
        build(sub, case.name)
    return bureau_files()
