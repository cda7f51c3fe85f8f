"""ykgeo.io writing: GeoJSON (RFC 7946), GeoPackage, zipped Shapefile, KML written to tmp_path and read back."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from ykgeo.errors import CRSError, DataError
from ykgeo.io import FORMATS, export_layer_formats, match_fields, read_vector, write_vector
from ykgeo.layers import LayerSpec

# --- writing ---------------------------------------------------------------------------------------


def _ring_coords(geojson_geometry: dict[str, object]) -> list[list[list[float]]]:
    coords = geojson_geometry["coordinates"]
    assert isinstance(coords, list)
    return coords


def test_geojson_is_rfc7946(tmp_path: Path, io_parcels: gpd.GeoDataFrame) -> None:
    frame = io_parcels.copy()
    clockwise_with_hole = shapely.Polygon(
        shapely.box(*io_parcels.total_bounds).exterior.coords[::-1],
        [list(io_parcels.geometry.iloc[0].buffer(-10).exterior.coords)],
    )
    frame.loc[2, "geometry"] = clockwise_with_hole
    path = tmp_path / "parcels.geojson"
    write_vector(frame, path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert "crs" not in doc
    texts = [f["properties"]["企业名称"] for f in doc["features"]]
    assert texts[1] == "<img src=x onerror=alert(1)>"
    for feature in doc["features"]:
        rings = _ring_coords(feature["geometry"])
        assert shapely.is_ccw(shapely.LinearRing(rings[0]))
        for hole in rings[1:]:
            assert not shapely.is_ccw(shapely.LinearRing(hole))
        for x, y in (pt for ring in rings for pt in ring):
            assert 119.9 < x < 120.1 and 28.8 < y < 29.0  # lon, lat order
            assert len(repr(x).split(".")[-1]) <= 7 and len(repr(y).split(".")[-1]) <= 7
    assert len(_ring_coords(doc["features"][2]["geometry"])) == 2


def _ogrinfo_warnings(path: Path) -> list[str]:
    target = f"/vsizip/{path}" if path.suffix == ".zip" else str(path)
    done = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", target], capture_output=True, text=True, check=True
    )
    return [line for line in (done.stdout + done.stderr).splitlines() if "warning" in line.lower()]


def _comparable(gdf: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    matched, _notes = match_fields(gdf, spec)
    return matched.reset_index(drop=True)


ROUND_TRIPS = [
    ("geojson", "parcels.geojson", "UTF-8"),
    ("gpkg", "parcels.gpkg", "UTF-8"),
    ("shp", "parcels.zip", "UTF-8"),
    ("shp", "parcels.zip", "GBK"),
    ("kml", "parcels.kml", "UTF-8"),
]


@pytest.mark.parametrize(
    ("key", "name", "encoding"), ROUND_TRIPS, ids=["geojson", "gpkg", "shp-utf8", "shp-gbk", "kml"]
)
def test_round_trip(
    tmp_path: Path,
    io_spec: LayerSpec,
    io_parcels: gpd.GeoDataFrame,
    key: str,
    name: str,
    encoding: str,
) -> None:
    path = tmp_path / name
    written = write_vector(io_parcels, path, encoding=encoding, name_field="企业名称")
    assert written.driver == FORMATS[key].driver
    back = read_vector(path)
    assert back.gdf.crs.to_epsg() == 4490
    expected = _comparable(io_parcels.to_crs(4490), io_spec)
    actual = _comparable(back.gdf, io_spec)
    assert list(actual.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(
        pd.DataFrame(actual.drop(columns="geometry")),
        pd.DataFrame(expected.drop(columns="geometry")),
        check_dtype=False,
    )
    tolerance = 1e-7 if key == "geojson" else 1e-9
    same = shapely.equals_exact(
        shapely.normalize(actual.geometry.to_numpy()),
        shapely.normalize(expected.geometry.to_numpy()),
        tolerance=tolerance,
    )
    assert same.all()
    assert _ogrinfo_warnings(path) == []


def test_shapefile_zip_contents_and_field_map(tmp_path: Path, io_parcels: gpd.GeoDataFrame) -> None:
    utf8 = write_vector(io_parcels, tmp_path / "u.zip")
    gbk = write_vector(io_parcels, tmp_path / "g.zip", encoding="GBK")
    with zipfile.ZipFile(utf8.path) as zf:
        names = set(zf.namelist())
        assert names == {"u.shp", "u.shx", "u.dbf", "u.prj", "u.cpg", "字段对照.csv"}
        assert zf.read("u.cpg").decode() == "UTF-8"
        assert "GCS_China_Geodetic_Coordinate_System_2000" in zf.read("u.prj").decode()
        table = zf.read("字段对照.csv").decode("utf-8-sig")
    assert "u,亩均税,亩均税收（万元/亩）" in table
    assert utf8.field_names["亩均税"] == "亩均税收（万元/亩）"
    assert utf8.field_names["用地面"] == "用地面积（亩）"
    assert any("以下字段改用短名" in n and "约 3 个汉字" in n for n in utf8.notes_zh)
    with zipfile.ZipFile(gbk.path) as zf:
        assert zf.read("g.cpg").decode() == "GBK"
    assert gbk.field_names == {"亩均税收万": "亩均税收（万元/亩）", "用地面积亩": "用地面积（亩）"}
    for result in (utf8, gbk):
        assert all(
            len(short.encode("gbk" if result is gbk else "utf-8")) <= 10
            for short in result.field_names
        )
    back = read_vector(gbk.path)
    assert "用地面积（亩）" in back.gdf.columns
    assert "根据 字段对照.csv 恢复了 2 个完整字段名" in back.notes_zh


def test_shapefile_long_text_is_cut_on_a_character(
    tmp_path: Path, io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec
) -> None:
    frame = io_parcels.copy()
    frame["备注"] = ["工" * 100, "abc", None]
    result = write_vector(frame, tmp_path / "long.zip", spec=io_spec)
    assert any(
        n.startswith("字段 备注 有 1 个值超过 Shapefile 的 254 字节上限（UTF-8），已截断：YK-001（100 字 → 84 字）")
        for n in result.notes_zh
    )
    back = read_vector(result.path).gdf
    assert back["备注"].iloc[0] == "工" * 84
    with zipfile.ZipFile(result.path) as zf:  # the field map names what was cut
        table = zf.read("字段对照.csv").decode("utf-8-sig")
    assert "long,备注,备注,1 个值超过 254 字节已截断：YK-001（100 字 → 84 字）" in table


def test_gbk_shapefile_refuses_unencodable_text(
    tmp_path: Path, io_parcels: gpd.GeoDataFrame
) -> None:
    frame = io_parcels.copy()
    frame.loc[1, "备注"] = "已完成 \U0001f600"
    with pytest.raises(
        DataError, match=r"g\.zip：第 2 个要素的字段 备注 含有 GBK 无法表示的字符.*请改用 UTF-8"
    ):
        write_vector(frame, tmp_path / "g.zip", encoding="GBK")
    assert not (tmp_path / "g.zip").exists()


def test_shapefile_refuses_mixed_geometry(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"a": [1, 2]},
        geometry=[shapely.Point(120, 28.9), shapely.box(120, 28.9, 120.1, 29)],
        crs=4490,
    )
    with pytest.raises(DataError, match="Shapefile 只能保存一种几何类型，而数据中有点、面"):
        write_vector(frame, tmp_path / "mixed.zip")


def test_write_refuses_unknown_format_and_missing_crs(
    tmp_path: Path, io_parcels: gpd.GeoDataFrame
) -> None:
    with pytest.raises(DataError, match=r"x\.dxf：不支持导出为“\.dxf”"):
        write_vector(io_parcels, tmp_path / "x.dxf")
    with pytest.raises(DataError, match=r"x\.shp：Shapefile（zip 压缩包） 的文件名应以 \.zip 结尾"):
        write_vector(io_parcels, tmp_path / "x.shp", driver="ESRI Shapefile")
    with pytest.raises(CRSError, match="没有坐标系"):
        write_vector(io_parcels.set_crs(None, allow_override=True), tmp_path / "x.gpkg")


def test_kml_names_and_no_presentation_columns(
    tmp_path: Path, io_parcels: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "p.kml"
    write_vector(io_parcels, path, name_field="企业名称")
    text = path.read_text(encoding="utf-8")
    assert "<name>永康市某五金厂</name>" in text
    assert "<name><![CDATA[<img src=x onerror=alert(1)>]]></name>" in text
    back = read_vector(path).gdf
    assert not {"Name", "altitudeMode", "tessellate", "id"} & set(back.columns)


def test_export_layer_formats(tmp_path: Path, io_parcels: gpd.GeoDataFrame) -> None:
    results = export_layer_formats(
        io_parcels, tmp_path / "out", stem="测试地块", name_field="企业名称"
    )
    assert set(results) == {"geojson", "gpkg", "shp", "kml"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"测试地块{fmt.extension}" for fmt in FORMATS.values()
    )
    for result in results.values():
        assert len(read_vector(result.path).gdf) == 3
    with pytest.raises(DataError, match="未知导出格式：dwg"):
        export_layer_formats(io_parcels, tmp_path, stem="x", formats=["dwg"])


def test_write_converts_from_projected(tmp_path: Path, io_parcels: gpd.GeoDataFrame) -> None:
    path = tmp_path / "p.gpkg"
    write_vector(io_parcels, path)
    back = read_vector(path).gdf
    corner = shapely.get_coordinates(back.geometry.iloc[0]).min(axis=0)
    assert corner == pytest.approx([120.0, 28.9], abs=1e-6)
    assert np.isclose(shapely.area(back.to_crs(4549).geometry.iloc[0]), 10_000.0, rtol=1e-9)


def test_a_geopackage_export_carries_its_layers_style(
    tmp_path: Path, io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec
) -> None:
    path = tmp_path / "测试地块.gpkg"
    result = write_vector(io_parcels, path, layer="测试地块", spec=io_spec)
    assert any("layer_styles" in note for note in result.notes_zh)
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT f_table_name, f_geometry_column, styleName, useAsDefault, styleQML FROM layer_styles"
        ).fetchall()
    assert [r[:4] for r in rows] == [("测试地块", "geom", "ykgeo", 1)]
    root = ET.fromstring(rows[0][4].split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer is not None and renderer.get("attr") == "状态"
    assert [c.get("value") for c in renderer.iter("category")] == ["未启动", "推进中", "已完成", ""]
    # the aliases name the exported columns (no ykgeo_version), in the file's order
    assert [a.get("field") for a in root.iter("alias")] == [
        "fid",
        *io_parcels.columns.drop("geometry"),
    ]
    # the table reads back unchanged: the style table is beside it, not in it
    back = read_vector(path).gdf
    assert list(back["地块编号"]) == ["YK-001", "YK-002", "YK-003"]
    assert pyogrio.list_layers(path)[:, 0].tolist() == ["测试地块", "layer_styles"]


def test_other_formats_and_specless_exports_have_no_style_table(
    tmp_path: Path, io_parcels: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "p.gpkg"
    write_vector(io_parcels, path)
    assert pyogrio.list_layers(path)[:, 0].tolist() == ["p"]


def test_store_dates_are_written_as_dates_in_every_format(tmp_path: Path) -> None:
    import pyogrio

    frame = gpd.GeoDataFrame(
        {
            "编号": ["A", "B"],
            "完成日期": pd.to_datetime(["2022-04-22", None]),
            "记录时间": pd.to_datetime(["2022-04-22 10:30", "2022-05-01 09:00"]),
        },
        geometry=[
            shapely.box(120.0, 28.9, 120.001, 28.901),
            shapely.box(120.01, 28.9, 120.011, 28.901),
        ],
        crs=4490,
    )
    for name in ("d.geojson", "d.gpkg", "d.zip"):
        write_vector(frame, tmp_path / name)
        source = f"/vsizip/{tmp_path / name}" if name.endswith(".zip") else str(tmp_path / name)
        info = pyogrio.read_info(source)
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert types[next(f for f in types if f.startswith("完成"))] == "datetime64[D]", (
            name,
            types,
        )
    data = json.loads((tmp_path / "d.geojson").read_text(encoding="utf-8"))
    assert data["features"][0]["properties"]["完成日期"] == "2022-04-22"
    assert "T10:30" in data["features"][0]["properties"]["记录时间"]  # a real time stays a time


def test_kml_placemarks_have_names_and_status_colours(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {
            "编号": ["A", "B"],
            "名称": ["甲厂", "乙厂"],
            "完成日期": pd.to_datetime(["2022-04-22", None]),
        },
        geometry=[
            shapely.box(120.0, 28.9, 120.001, 28.901),
            shapely.box(120.01, 28.9, 120.011, 28.901),
        ],
        crs=4490,
    )
    result = write_vector(
        frame, tmp_path / "k.kml", name_field="名称", colours=["#2e7d32", "#f9a825"]
    )
    text = (tmp_path / "k.kml").read_text(encoding="utf-8")
    assert "<name>甲厂</name>" in text and "<name>乙厂</name>" in text
    assert (
        "<color>ff327d2e</color>" in text and "<color>ff25a8f9</color>" in text
    )  # KML is aabbggrr
    assert ">2022-04-22<" in text and "T00:00:00" not in text
    assert any("着色" in n for n in result.notes_zh)


def test_gk_crs_and_ellipsoidal_area_column(tmp_path: Path) -> None:
    import pyogrio

    from ykgeo.crs import GK_CM120

    square = gpd.GeoSeries([shapely.box(499_950, 3_200_000, 500_050, 3_200_100)], crs=GK_CM120)
    frame = gpd.GeoDataFrame({"编号": ["A"]}, geometry=square.to_crs(4490), crs=4490)
    write_vector(frame, tmp_path / "g.gpkg", crs=4549, area_mu=True)
    back = pyogrio.read_dataframe(tmp_path / "g.gpkg")
    assert back.crs.to_epsg() == 4549
    assert back["面积（亩）"].iloc[0] == pytest.approx(15.0, abs=0.005)
    assert back.geometry.iloc[0].bounds[0] == pytest.approx(499_950, abs=0.01)
    with pytest.raises(DataError, match="只能用经纬度"):
        write_vector(frame, tmp_path / "g.geojson", crs=4549)
    with pytest.raises(DataError, match="EPSG:3857"):
        write_vector(frame, tmp_path / "g2.gpkg", crs=3857)
