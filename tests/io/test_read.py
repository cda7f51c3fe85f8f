"""ykgeo.io reading: real files written to tmp_path, read back, compared with known answers."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import CRS

from ykgeo.errors import CRSError, DataError
from ykgeo.io import match_fields, read_vector
from ykgeo.layers import LayerSpec

# 工业用地 / 永康市 in one tiny layer, points at the centre of Yongkang in GK zone 40.
ZONE40_CENTRE = (40_500_000.0, 3_198_185.8)  # = 120.0°E, 28.9°N
CM120_CENTRE = (500_000.0, 3_198_185.8)
WORDS = ["工业用地", "永康市"]


def _words_frame(crs: int | None = 4528, *, swap: bool = False) -> gpd.GeoDataFrame:
    x, y = ZONE40_CENTRE if crs != 4549 else CM120_CENTRE
    pts = [shapely.Point(x, y), shapely.Point(x + 100, y + 100)]
    if swap:
        pts = [shapely.Point(p.y, p.x) for p in pts]
    return gpd.GeoDataFrame({"地类": WORDS, "编号": ["1", "2"]}, geometry=pts, crs=crs)


def _zero_ldid(dbf: Path) -> None:
    data = bytearray(dbf.read_bytes())
    data[29] = 0
    dbf.write_bytes(bytes(data))


# --- Shapefile encodings ---------------------------------------------------------------------------


def _gbk_with_cpg(shp: Path) -> None:
    assert shp.with_suffix(".cpg").read_text() == "GBK"


def _gbk_no_cpg(shp: Path) -> None:
    shp.with_suffix(".cpg").unlink()
    _zero_ldid(shp.with_suffix(".dbf"))


def _gbk_ansi_cpg(shp: Path) -> None:
    shp.with_suffix(".cpg").write_text("ANSI")
    _zero_ldid(shp.with_suffix(".dbf"))


def _utf8_with_cpg(shp: Path) -> None:
    assert shp.with_suffix(".cpg").read_text() == "UTF-8"


@pytest.mark.parametrize(
    ("write_encoding", "tamper", "expected", "note"),
    [
        ("GBK", _gbk_with_cpg, "GBK", "根据 .cpg 文件，按 GBK"),
        ("GBK", _gbk_no_cpg, "GBK", "未找到 .cpg 编码文件，根据内容判断为 GBK"),
        ("GBK", _gbk_ansi_cpg, "GBK", "ANSI"),
        ("UTF-8", _utf8_with_cpg, "UTF-8", "根据 .cpg 文件，按 UTF-8"),
    ],
    ids=["gbk-cpg", "gbk-no-cpg-ldid0", "gbk-cpg-ansi", "utf8-cpg"],
)
def test_shapefile_encodings(
    io_write_shapefile: Callable[..., Path],
    write_encoding: str,
    tamper: Callable[[Path], None],
    expected: str,
    note: str,
) -> None:
    shp = io_write_shapefile(_words_frame(), encoding=write_encoding)
    tamper(shp)
    result = read_vector(shp)
    assert result.gdf["地类"].tolist() == WORDS
    assert list(result.gdf.columns[:2]) == ["地类", "编号"]
    assert result.encoding == expected
    assert any(note in n for n in result.notes_zh), result.notes_zh


def test_shapefile_cpg_utf8_but_gbk_bytes(io_write_shapefile: Callable[..., Path]) -> None:
    shp = io_write_shapefile(_words_frame(), encoding="GBK")
    shp.with_suffix(".cpg").write_text("UTF-8")
    result = read_vector(shp)
    assert result.gdf["地类"].tolist() == WORDS
    assert result.encoding == "GBK"
    assert any(".cpg 声明 UTF-8，但属性内容不是有效的 UTF-8" in n for n in result.notes_zh)


def test_shapefile_cpg_gbk_but_utf8_bytes_is_re_read(
    io_write_shapefile: Callable[..., Path],
) -> None:
    shp = io_write_shapefile(_words_frame(), encoding="UTF-8")
    shp.with_suffix(".cpg").write_text("GBK")
    result = read_vector(shp)
    assert result.gdf["地类"].tolist() == WORDS
    assert result.encoding == "UTF-8"
    assert any("乱码" in n and "UTF-8 文字被按 GBK 读取" in n for n in result.notes_zh)


def test_shapefile_field_name_cut_mid_character(tmp_path: Path, io_spec: LayerSpec) -> None:
    shp = tmp_path / "gdal.shp"
    frame = gpd.GeoDataFrame(
        {"地块编号": ["YK-1"], "企业名称": ["永康市"]},
        geometry=[shapely.Point(120, 28.9)],
        crs=4490,
    )
    # GDAL cuts 地块编号 (12 bytes in UTF-8) to 10 bytes, in the middle of 号.
    with pytest.warns(RuntimeWarning, match="laundered"):
        pyogrio.write_dataframe(frame, shp)
    result = read_vector(shp)
    assert list(result.gdf.columns) == ["地块编", "企业名", "geometry"]
    assert "部分字段名或文字在多字节字符中间被截断，已去掉不完整的字符" in result.notes_zh
    matched, _notes = match_fields(result.gdf, io_spec)
    assert matched["地块编号"].tolist() == ["YK-1"]
    assert matched["企业名称"].tolist() == ["永康市"]


def test_shapefile_forced_encoding(io_write_shapefile: Callable[..., Path]) -> None:
    shp = io_write_shapefile(_words_frame(), encoding="GBK")
    _gbk_no_cpg(shp)
    result = read_vector(shp, encoding="gbk")
    assert result.gdf["地类"].tolist() == WORDS
    assert result.notes_zh[0] == "按指定的 gbk 编码读取属性表"


# --- coordinate systems ----------------------------------------------------------------------------


def _assert_at_centre(result_gdf: gpd.GeoDataFrame) -> None:
    assert result_gdf.crs.to_epsg() == 4490
    first = result_gdf.geometry.iloc[0]
    assert first.x == pytest.approx(120.0, abs=1e-7)
    assert first.y == pytest.approx(28.9, abs=1e-6)


@pytest.mark.parametrize(
    ("epsg", "name"),
    [(4528, "CGCS2000_3_Degree_GK_Zone_40"), (4549, "CGCS2000_3_Degree_GK_CM_120E")],
)
def test_esri_prj_is_recognised(
    io_write_shapefile: Callable[..., Path], epsg: int, name: str
) -> None:
    shp = io_write_shapefile(
        _words_frame(crs=None if epsg == 4528 else 4549).set_crs(None, allow_override=True)
    )
    esri = CRS.from_epsg(epsg).to_wkt("WKT1_ESRI")
    assert name in esri
    shp.with_suffix(".prj").write_text(esri)
    result = read_vector(shp)
    _assert_at_centre(result.gdf)
    assert result.crs_note_zh.startswith(f"根据 .prj 文件，坐标系为 EPSG:{epsg}")


@pytest.mark.parametrize(
    ("epsg", "swap", "expected"),
    [(4528, False, "EPSG:4528"), (4549, False, "EPSG:4549"), (4528, True, "已交换")],
    ids=["8-digit-easting", "6-digit-easting", "swapped-axes"],
)
def test_missing_prj_is_detected(
    io_write_shapefile: Callable[..., Path], epsg: int, swap: bool, expected: str
) -> None:
    frame = _words_frame(crs=epsg, swap=swap).set_crs(None, allow_override=True)
    shp = io_write_shapefile(frame)
    assert not shp.with_suffix(".prj").exists()
    result = read_vector(shp)
    _assert_at_centre(result.gdf)
    assert result.crs_note_zh.startswith("缺少 .prj 文件，根据坐标数值判断")
    assert expected in result.crs_note_zh


def test_xian80_prj_is_refused(io_write_shapefile: Callable[..., Path]) -> None:
    shp = io_write_shapefile(_words_frame(crs=None))
    shp.with_suffix(".prj").write_text(CRS.from_epsg(2364).to_wkt("WKT1_ESRI"))
    with pytest.raises(CRSError, match=r"parcels\.shp：数据使用西安80坐标系"):
        read_vector(shp)


def test_data_in_beijing_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "北京.geojson"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(116.40, 39.90)], crs=4326).to_file(path)
    with pytest.raises(
        CRSError, match=r"北京\.geojson：转换后数据中心位于经度 116\.4000°.*不在永康市范围内"
    ):
        read_vector(path)


def test_user_crs_overrides(tmp_path: Path) -> None:
    path = tmp_path / "pts.csv"
    path.write_text("编号,x,y\n1,500000,3198185.8\n", encoding="utf-8")
    result = read_vector(path, crs=4549)
    _assert_at_centre(result.gdf)
    assert result.crs_note_zh.startswith("按指定坐标系 CGCS2000 3° 高斯-克吕格 中央经线 120°E")


# --- zip archives ----------------------------------------------------------------------------------


def test_zip_with_parent_member_is_refused(tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    inner.mkdir()
    archive = inner / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../evil.shp", b"x" * 200)
        zf.writestr("../evil.dbf", b"x" * 200)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(
        DataError, match=r"evil\.zip：压缩包内的文件“\.\./evil\.(shp|dbf)”使用了绝对路径或“\.\.”"
    ):
        read_vector(archive)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert not (tmp_path / "evil.shp").exists()


def test_zip_with_absolute_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "abs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("/tmp/ykgeo-abs.shp", b"x")
    with pytest.raises(DataError, match="绝对路径"):
        read_vector(archive)
    assert not Path("/tmp/ykgeo-abs.shp").exists()


def test_zip_of_gbk_shapefile_in_folder(
    io_write_shapefile: Callable[..., Path], tmp_path: Path
) -> None:
    shp = io_write_shapefile(_words_frame(), name="低效用地", encoding="GBK")
    _gbk_no_cpg(shp)
    archive = tmp_path / "交付.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.parent.glob("低效用地.*"):
            zf.write(part, arcname=f"成果/{part.name}")
    result = read_vector(archive)
    assert result.source == "交付.zip"
    assert result.gdf["地类"].tolist() == WORDS
    assert result.encoding == "GBK"
    assert result.notes_zh[0] == "读取压缩包内的 成果/低效用地.shp"


def test_zip_with_two_shapefiles_asks_which(
    io_write_shapefile: Callable[..., Path], tmp_path: Path
) -> None:
    a = io_write_shapefile(_words_frame(), name="a")
    io_write_shapefile(_words_frame(), name="b")
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in a.parent.glob("[ab].*"):
            zf.write(part, arcname=part.name)
    with pytest.raises(
        DataError, match=r"two\.zip：文件包含多个可读取的数据文件.*（a\.shp、b\.shp），请指定"
    ):
        read_vector(archive)
    assert read_vector(archive, layer="b").notes_zh[0] == "读取压缩包内的 b.shp"


# --- errors reading ---------------------------------------------------------------------------------


def test_geopackage_with_two_layers_lists_them(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    frame = _words_frame().to_crs(4490)
    pyogrio.write_dataframe(frame, path, layer="地块")
    pyogrio.write_dataframe(frame, path, layer="道路", append=False)
    with pytest.raises(DataError, match=r"two\.gpkg：文件包含多个图层（地块、道路），请指定"):
        read_vector(path)
    with pytest.raises(DataError, match=r"没有名为“水库”的图层（现有：地块、道路）"):
        read_vector(path, layer="水库")
    result = read_vector(path, layer="道路")
    assert result.gdf["地类"].tolist() == WORDS
    assert "读取图层“道路”（文件共有 2 个图层）" in result.notes_zh


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("empty.gpkg", b"", r"empty\.gpkg：文件是空的（0 字节）"),
        (
            "noise.gpkg",
            bytes(range(256)) * 20,
            r"noise\.gpkg：无法打开文件：文件格式无法识别，可能已损坏",
        ),
        (
            "cut.geojson",
            b'{"type": "FeatureCollection", "features": [',
            r"cut\.geojson：无法打开文件：(JSON 内容不完整|GeoJSON 内容格式错误)",
        ),
        (
            "none.geojson",
            b'{"type": "FeatureCollection", "features": []}',
            r"none\.geojson：图层“none”中没有任何要素",
        ),
        ("data.txt", b"abc", r"data\.txt：不支持的文件类型“\.txt”"),
    ],
)
def test_unreadable_files_name_the_file(
    tmp_path: Path, name: str, content: bytes, pattern: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=pattern) as info:
        read_vector(path)
    assert str(tmp_path) not in str(info.value)


def test_source_name_hides_temporary_path(tmp_path: Path) -> None:
    path = tmp_path / "upload-3f2a.gpkg"
    path.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(DataError, match=r"^地块\.gpkg：") as info:
        read_vector(path, source_name="地块.gpkg")
    assert "upload-3f2a" not in str(info.value)


def test_truncated_shapefile(io_write_shapefile: Callable[..., Path]) -> None:
    shp = io_write_shapefile(_words_frame())
    data = shp.read_bytes()
    shp.write_bytes(data[:-10])
    with pytest.raises(
        DataError, match=r"parcels\.shp：\.shp 文件被截断（文件头声明 \d+ 字节，实际只有 \d+ 字节）"
    ):
        read_vector(shp)


def test_shapefile_without_dbf(io_write_shapefile: Callable[..., Path]) -> None:
    shp = io_write_shapefile(_words_frame())
    shp.with_suffix(".dbf").unlink()
    with pytest.raises(DataError, match=r"缺少属性表文件 parcels\.dbf"):
        read_vector(shp)


# --- tables ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "utf-8"])
def test_csv_with_lon_lat(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "点位.csv"
    text = (
        "编号,名称,经度,纬度\nA,永康市,120.0,28.9\nB,工业用地,120°01′30″E,28.95\nC,坏点,abc,28.9\n"
    )
    path.write_bytes(text.encode(encoding))
    result = read_vector(path)
    assert result.gdf["名称"].tolist() == ["永康市", "工业用地", "坏点"]
    assert result.encoding == ("GBK" if encoding == "gbk" else "UTF-8")
    geoms = result.gdf.geometry
    assert (geoms.iloc[0].x, geoms.iloc[0].y) == (120.0, 28.9)
    assert geoms.iloc[1].x == pytest.approx(120.025)
    assert geoms.iloc[2] is None
    assert "经度" not in result.gdf.columns
    assert any("第 3 行的坐标无法识别" in n for n in result.notes_zh)


def test_csv_with_wkt(tmp_path: Path) -> None:
    path = tmp_path / "wkt.csv"
    poly = shapely.box(120.0, 28.9, 120.001, 28.901)
    path.write_text(f'编号,WKT\nA,"{poly.wkt}"\nB,POLYGON((broken\n', encoding="utf-8")
    result = read_vector(path)
    assert result.gdf.geometry.iloc[0].equals(poly)
    assert result.gdf.geometry.iloc[1] is None
    assert "第 2 行的 WKT 无法解析" in result.notes_zh[0]


def test_xlsx_with_bureau_x_northing(tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    x_east, y_north = ZONE40_CENTRE
    table = pd.DataFrame(
        {
            "编号": ["A"],
            "X坐标": [y_north],
            "Y坐标": [x_east],
            "完成日期": [dt.datetime(2022, 5, 1)],
        }
    )
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"说明": ["本表坐标为 2000 国家大地坐标系"]}).to_excel(
            writer, sheet_name="说明", index=False
        )
        table.to_excel(writer, sheet_name="点位", index=False)
    result = read_vector(path)
    _assert_at_centre(result.gdf)
    assert "EPSG:4528" in result.crs_note_zh
    assert "读取工作表“点位”" in result.notes_zh
    assert result.gdf["完成日期"].iloc[0] == dt.datetime(2022, 5, 1)


@pytest.mark.parametrize("geometry", ["lonlat", "wkt"])
def test_xlsx_with_lon_lat_or_wkt(tmp_path: Path, geometry: str) -> None:
    path = tmp_path / f"{geometry}.xlsx"
    point = shapely.Point(120.05, 28.95)
    columns = (
        {"经度": [point.x], "纬度": [point.y]} if geometry == "lonlat" else {"几何": [point.wkt]}
    )
    pd.DataFrame({"编号": ["A"], **columns}).to_excel(path, index=False)
    result = read_vector(path)
    assert result.driver == "XLSX"
    assert result.gdf.geometry.iloc[0].equals(point)
    assert list(result.gdf.columns) == ["编号", "geometry"]
    assert result.crs_note_zh.startswith("文件未声明坐标系，根据坐标数值判断：坐标为经纬度")


def test_filegdb_folder_and_zip(tmp_path: Path) -> None:
    gdb = tmp_path / "成果.gdb"
    frame = _words_frame()
    pyogrio.write_dataframe(frame, gdb, driver="OpenFileGDB", layer="DLTB")
    pyogrio.write_dataframe(frame, gdb, driver="OpenFileGDB", layer="XZQ")
    with pytest.raises(DataError, match=r"成果\.gdb：文件包含多个图层（DLTB、XZQ）"):
        read_vector(gdb)
    _assert_at_centre(read_vector(gdb, layer="DLTB").gdf)
    archive = tmp_path / "gdb.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in gdb.iterdir():
            zf.write(part, arcname=f"成果.gdb/{part.name}")
    result = read_vector(archive, layer="XZQ")
    assert result.notes_zh[:2] == ("读取压缩包内的 成果.gdb", "读取图层“XZQ”（文件共有 2 个图层）")


def test_table_without_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "名单.csv"
    path.write_text("编号,名称\n1,甲\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"名单\.csv：表格中没有找到坐标列.*（现有列：编号、名称）"):
        read_vector(path)


# --- match_fields ----------------------------------------------------------------------------------


def test_match_fields_aliases_types_and_notes(io_spec: LayerSpec) -> None:
    raw = gpd.GeoDataFrame(
        {
            "dkbh": ["A", "B", "C", "D", "E"],
            "权利人": ["甲", "乙", "丙", "丁", "戊"],
            "面积（亩）": ["1,234.5", 12, "１２.５", "n/a", None],
            "QYS": ["3", 4.0, "5.5", None, "1,000"],
            "完成时间": ["2022-05-01", "2022/5/1", "2022年5月1日", 44682, "2022-13-01"],
            "ZT": ["推进中"] * 5,
            "无关列": [1, 2, 3, 4, 5],
        },
        geometry=[shapely.Point(120, 28.9)] * 5,
        crs=4490,
    )
    matched, notes = match_fields(raw, io_spec)
    assert list(matched.columns) == [
        "地块编号",
        "企业名称",
        "用地面积（亩）",
        "企业数",
        "状态",
        "完成日期",
        "geometry",
    ]
    assert matched["用地面积（亩）"].tolist()[:3] == [1234.5, 12.0, 12.5]
    assert matched["用地面积（亩）"].tolist()[3] == "n/a"  # kept raw for validation
    assert matched["企业数"].tolist() == [3, 4, "5.5", None, 1000]
    day = dt.date(2022, 5, 1)
    assert matched["完成日期"].tolist() == [day, day, day, day, "2022-13-01"]
    assert "以下字段不属于图层“测试地块”，已忽略：无关列" in notes
    assert any(
        n.startswith("字段对应：dkbh → 地块编号、权利人 → 企业名称、面积（亩） → 用地面积（亩）")
        for n in notes
    )
    assert "字段 完成日期 有 1 个值无法识别为日期，保留原值，校验时逐条列出" in notes


def test_match_fields_clean_types(io_spec: LayerSpec, io_parcels: gpd.GeoDataFrame) -> None:
    matched, notes = match_fields(io_parcels, io_spec)
    assert notes == []
    assert matched["企业数"].dtype == "Int64"
    assert matched["用地面积（亩）"].dtype == "float64"
    assert matched["完成日期"].tolist() == [None, None, dt.date(2022, 5, 1)]


def test_match_fields_prefers_exact_name_and_reports_duplicates(io_spec: LayerSpec) -> None:
    raw = gpd.GeoDataFrame(
        {"DKBH": ["x"], "地块编号": ["y"]}, geometry=[shapely.Point(120, 28.9)], crs=4490
    )
    matched, notes = match_fields(raw, io_spec)
    assert matched["地块编号"].tolist() == ["y"]
    assert "以下字段与已对应的字段重复，已忽略：DKBH（与 地块编号 重复）" in notes


def test_match_fields_truncated_dbf_name(io_spec: LayerSpec) -> None:
    raw = gpd.GeoDataFrame({"用地面积(": ["3"]}, geometry=[shapely.Point(120, 28.9)], crs=4490)
    matched, notes = match_fields(raw, io_spec)
    assert matched["用地面积（亩）"].tolist() == [3.0]
    assert notes == [
        "字段名疑似被 Shapefile 10 字节上限截断，按前缀对应：用地面积( → 用地面积（亩）"
    ]


def test_folder_with_one_shapefile(io_write_shapefile: Callable[..., Path], tmp_path: Path) -> None:
    shp = io_write_shapefile(_words_frame(), name="only")
    result = read_vector(shp.parent)
    assert result.source == shp.parent.name
    assert result.notes_zh[0] == "读取文件夹内的 only.shp"
    assert result.gdf["地类"].tolist() == WORDS


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nothing\.gpkg：文件不存在"):
        read_vector(tmp_path / "nothing.gpkg")


# --- impossible coordinates among many good ones ----------------------------------------------------

_LON, _LAT = 120.05, 28.9  # Yongkang


def _good_squares(n: int) -> list[shapely.Geometry]:
    return [
        shapely.box(_LON + i * 1e-3, _LAT, _LON + i * 1e-3 + 5e-4, _LAT + 5e-4) for i in range(n)
    ]


def _square_with_bad_hole(value: float) -> shapely.Geometry:
    x, y = _LON, _LAT + 0.01
    hole = [(x + 1e-4, y + 1e-4), (value, y + 2e-4), (x + 2e-4, y + 2e-4), (x + 1e-4, y + 1e-4)]
    return shapely.Polygon(shapely.box(x, y, x + 1e-3, y + 1e-3).exterior.coords, [hole])


def _hidden_bad_geometries() -> list[tuple[shapely.Geometry, str]]:
    """One impossible geometry for each kind of file (made quietly: NaN vertices warn)."""
    with np.errstate(invalid="ignore"):
        return [
            (_square_with_bad_hole(float("nan")), "polygons"),  # NaN in a hole: not in the bounds
            (_square_with_bad_hole(250.0), "polygons"),  # beyond 180°, in a hole
            (
                shapely.MultiPolygon(
                    [
                        shapely.box(_LON, _LAT, _LON + 1e-3, _LAT + 1e-3),
                        shapely.Polygon([(_LON, _LAT), (float("inf"), _LAT), (_LON, _LAT + 1e-3)]),
                    ]
                ),
                "multipolygons",
            ),
            (
                shapely.LineString(
                    [(_LON, _LAT), (_LON + 1e-3, float("nan")), (_LON, _LAT + 1e-3)]
                ),
                "lines",
            ),
            (shapely.Point(float("nan"), _LAT), "points"),
            (shapely.MultiPoint([(_LON, _LAT), (_LON, float("nan"))]), "multipoints"),
        ]


@pytest.mark.parametrize(("bad", "others"), _hidden_bad_geometries())
def test_one_impossible_coordinate_among_many_features_is_named(
    tmp_path: Path, bad: shapely.Geometry, others: str
) -> None:
    good = _good_squares(300)
    if others == "multipolygons":
        good = [shapely.MultiPolygon([g]) for g in good]
    elif others == "lines":
        good = [g.exterior for g in good]
        good = [shapely.LineString(g.coords) for g in good]
    elif others in ("points", "multipoints"):
        good = [g.centroid for g in good]
        if others == "multipoints":
            good = [shapely.MultiPoint([g]) for g in good]
    geoms = [*good[:150], bad, *good[150:]]
    ids = [f"DK{i:03d}" for i in range(len(geoms))]
    path = tmp_path / "many.gpkg"
    frame = gpd.GeoDataFrame({"地块编号": ids}, geometry=geoms, crs=4490)
    pyogrio.write_dataframe(frame, path, layer="many")
    with pytest.raises(DataError, match=r"1 个要素的坐标.*DK150") as info:
        read_vector(path)
    assert "DK149" not in str(info.value) and "DK151" not in str(info.value)


def test_many_good_features_pass_the_coordinate_check(tmp_path: Path) -> None:
    path = tmp_path / "good.gpkg"
    geoms = [*_good_squares(200), shapely.Polygon(), None]
    frame = gpd.GeoDataFrame(
        {"地块编号": [f"DK{i:03d}" for i in range(202)]}, geometry=geoms, crs=4490
    )
    pyogrio.write_dataframe(frame, path, layer="good")
    assert len(read_vector(path).gdf) == 202
