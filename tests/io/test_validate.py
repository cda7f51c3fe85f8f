"""ykgeo.io.validate: a corpus of broken inputs, each with its clear problem naming file, feature and field."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import CRS

from ykgeo.errors import ValidationError
from ykgeo.io import ValidationReport, match_fields, validate_features, validate_file, write_vector
from ykgeo.layers import LayerSpec, load_layers

SOURCE = "地块.gpkg"
HOSTILE = "<img src=x onerror=alert(1)>"


def _check(gdf: gpd.GeoDataFrame, spec: LayerSpec, **options: object) -> ValidationReport:
    matched, _notes = match_fields(gdf, spec)
    return validate_features(matched, spec, source=SOURCE, **options)  # type: ignore[arg-type]


def _only(report: ValidationReport, code: str) -> list[tuple[str, str, str, str]]:
    """(severity, feature, field, message) of the problems with ``code``; also checks the file is named."""
    found = [p for p in report.problems if p.code == code]
    assert all(p.file == SOURCE for p in found)
    return [(p.severity, p.feature, p.field, p.message_zh) for p in found]


def test_clean_parcels_pass(
    io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec, io_boundary: shapely.Polygon
) -> None:
    report = _check(io_parcels, io_spec, boundary=io_boundary)
    assert report.problems == ()
    assert report.ok
    assert report.gdf is not None
    assert report.gdf.crs.to_epsg() == 4490
    assert report.gdf["企业名称"].tolist()[1] == HOSTILE  # hostile text is data, kept verbatim


def test_report_table_and_raise(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    io_parcels.loc[0, "状态"] = "完成"
    report = _check(io_parcels, io_spec)
    table = report.to_frame()
    assert list(table.columns) == ["级别", "文件", "要素", "字段", "问题"]
    assert table.iloc[0].tolist()[:4] == ["错误", SOURCE, "YK-001", "状态"]
    with pytest.raises(
        ValidationError,
        match=r"地块\.gpkg：校验未通过，共 1 个错误\n\[错误\] 文件 地块\.gpkg，要素 YK-001，字段 状态",
    ):
        report.raise_for_errors()


# --- unreadable files become one problem -------------------------------------------------------------


def test_corrupt_geopackage(tmp_path: Path, io_spec: LayerSpec) -> None:
    path = tmp_path / "乱码.gpkg"
    path.write_bytes(bytes(range(256)) * 16)
    report = validate_file(path, io_spec)
    assert not report.ok
    assert report.gdf is None
    [problem] = report.problems
    assert (problem.code, problem.file) == ("unreadable_file", "乱码.gpkg")
    assert problem.message_zh.startswith("无法打开文件：文件格式无法识别")
    assert str(tmp_path) not in problem.message_zh


def test_truncated_shapefile(
    tmp_path: Path, io_spec: LayerSpec, io_parcels: gpd.GeoDataFrame
) -> None:
    shp = tmp_path / "parcels.shp"
    pyogrio.write_dataframe(io_parcels[["地块编号", "geometry"]], shp, encoding="GBK")
    shp.write_bytes(shp.read_bytes()[:-40])
    [problem] = validate_file(shp, io_spec).problems
    assert problem.file == "parcels.shp"
    assert problem.message_zh.startswith(".shp 文件被截断（文件头声明")


def test_empty_file(tmp_path: Path, io_spec: LayerSpec) -> None:
    path = tmp_path / "空.geojson"
    path.write_bytes(b"")
    [problem] = validate_file(path, io_spec).problems
    assert (problem.file, problem.message_zh) == ("空.geojson", "文件是空的（0 字节）")


def test_legacy_crs_is_a_crs_problem(
    io_write_shapefile: Callable[..., Path], io_spec: LayerSpec, io_parcels: gpd.GeoDataFrame
) -> None:
    frame = io_parcels[["地块编号", "geometry"]].set_crs(None, allow_override=True)
    shp = io_write_shapefile(frame, name="xian80", encoding="GBK")
    shp.with_suffix(".prj").write_text(CRS.from_epsg(2364).to_wkt("WKT1_ESRI"))
    [problem] = validate_file(shp, io_spec, source_name="西安80成果.shp").problems
    assert (problem.code, problem.file) == ("crs_error", "西安80成果.shp")
    assert "西安80坐标系" in problem.message_zh


def test_good_file_with_aliases(
    tmp_path: Path, io_spec: LayerSpec, io_parcels: gpd.GeoDataFrame
) -> None:
    path = tmp_path / "台账.gpkg"
    write_vector(io_parcels.rename(columns={"地块编号": "DKBH", "状态": "ZT"}).assign(无关=1), path)
    report = validate_file(path, io_spec)
    assert report.ok, report.problems
    assert report.notes_zh[0].startswith("根据文件内的坐标系定义，坐标系为 EPSG:4490")
    assert "字段对应：DKBH → 地块编号、ZT → 状态" in report.notes_zh
    assert "以下字段不属于图层“测试地块”，已忽略：无关" in report.notes_zh


def test_every_problem_is_collected(
    tmp_path: Path, io_spec: LayerSpec, io_parcels: gpd.GeoDataFrame
) -> None:
    frame = io_parcels.copy()
    frame.loc[0, "状态"] = "暂停"
    frame.loc[1, "完成日期"] = "2022-02-30"
    frame.loc[2, "地块编号"] = "YK-001"
    path = tmp_path / "多处错误.gpkg"
    pyogrio.write_dataframe(frame.astype({"完成日期": str}), path)
    report = validate_file(path, io_spec)
    codes = sorted(p.code for p in report.errors)
    assert codes == ["bad_status", "bad_value", "duplicate_id"]
    assert {p.file for p in report.problems} == {"多处错误.gpkg"}


# --- geometry ---------------------------------------------------------------------------------------


def test_wrong_geometry_type(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    io_parcels.loc[1, "geometry"] = io_parcels.geometry.iloc[1].centroid
    assert _only(_check(io_parcels, io_spec), "wrong_geometry_type") == [
        (
            "error",
            "YK-002",
            "",
            "几何类型为点（Point），图层“测试地块”要求面（Polygon/MultiPolygon）",
        )
    ]


def test_line_layer_refuses_polygons(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    line_spec = dataclasses.replace(io_spec, geometry_type="LineString")
    problems = _only(_check(io_parcels, line_spec), "wrong_geometry_type")
    assert len(problems) == 3
    assert (
        problems[0][3]
        == "几何类型为面（Polygon），图层“测试地块”要求线（LineString/MultiLineString）"
    )


def test_empty_and_missing_geometry(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    io_parcels.loc[0, "geometry"] = None
    io_parcels.loc[2, "geometry"] = shapely.Polygon()
    assert _only(_check(io_parcels, io_spec), "empty_geometry") == [
        ("error", "YK-001", "", "缺少几何（空几何或没有坐标）"),
        ("error", "YK-003", "", "缺少几何（空几何或没有坐标）"),
    ]


BOWTIE = shapely.Polygon([(120.0, 28.9), (120.001, 28.901), (120.001, 28.9), (120.0, 28.901)])


def test_bowtie_is_reported_with_reason_and_place(
    io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec
) -> None:
    frame = io_parcels.to_crs(4490)
    frame.loc[1, "geometry"] = BOWTIE
    [(severity, feature, _field, message)] = _only(_check(frame, io_spec), "invalid_geometry")
    assert (severity, feature) == ("error", "YK-002")
    assert message.startswith(
        "几何无效：自相交（Self-intersection），位置约 东经 120.000500°、北纬 28.900500°"
    )


def test_bowtie_repaired_with_warning(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    frame = io_parcels.to_crs(4490)
    frame.loc[1, "geometry"] = BOWTIE
    frame.loc[1, "用地面积（亩）"] = None
    report = _check(frame, io_spec, repair=True)
    assert report.ok
    [(severity, feature, _field, message)] = _only(report, "geometry_repaired")
    assert (severity, feature) == ("warning", "YK-002")
    assert "Self-intersection" in message and "已自动修复（只保留面部分）" in message
    assert report.gdf is not None
    fixed = report.gdf.geometry.iloc[1]
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon"
    assert fixed.area == pytest.approx(BOWTIE.envelope.area / 2)


def test_repair_keeps_only_polygonal_parts(
    io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec
) -> None:
    spike = shapely.Polygon(
        [
            (120.0, 28.9),
            (120.001, 28.9),
            (120.001, 28.901),
            (120.001, 28.902),
            (120.001, 28.901),
            (120.0, 28.901),
        ]
    )
    assert shapely.make_valid(spike).geom_type == "GeometryCollection"
    frame = io_parcels.to_crs(4490)
    frame.loc[0, "geometry"] = spike
    frame.loc[0, "用地面积（亩）"] = None
    report = _check(frame, io_spec, repair=True)
    assert report.ok
    assert report.gdf is not None
    assert report.gdf.geometry.iloc[0].geom_type == "Polygon"


# --- fields -----------------------------------------------------------------------------------------


def test_duplicate_ids(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    io_parcels.loc[2, "地块编号"] = "YK-001"
    assert _only(_check(io_parcels, io_spec), "duplicate_id") == [
        ("error", "YK-001", "地块编号", "编号重复：2 个要素使用同一编号（第 1、3 行）")
    ]


def test_missing_required_column_is_one_problem(
    io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec
) -> None:
    report = _check(io_parcels.drop(columns=["企业名称"]), io_spec)
    assert _only(report, "missing_field") == [
        ("error", "", "企业名称", "缺少必填字段 企业名称（也可用别名：QYMC、权利人）")
    ]
    assert _only(report, "missing_value") == []


def test_missing_required_values_and_id(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    io_parcels.loc[1, "地块编号"] = "  "
    io_parcels.loc[2, "企业名称"] = None
    assert _only(_check(io_parcels, io_spec), "missing_value") == [
        ("error", "第 2 行", "地块编号", "必填字段 地块编号 为空"),
        ("error", "YK-003", "企业名称", "必填字段 企业名称 为空"),
    ]


def test_bad_status_lists_allowed(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    io_parcels.loc[1, "状态"] = "已开工"
    assert _only(_check(io_parcels, io_spec), "bad_status") == [
        ("error", "YK-002", "状态", "状态“已开工”不在状态词表中（允许：未启动、推进中、已完成）")
    ]


def test_bad_choice(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    io_parcels.loc[0, "地类编码"] = "0701"
    assert _only(_check(io_parcels, io_spec), "bad_choice") == [
        ("error", "YK-001", "地类编码", "值“0701”不在可选值中（可选：0601、0602、0604、0508）")
    ]


def test_bad_date_and_number(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    frame = io_parcels.astype({"完成日期": object, "亩均税收（万元/亩）": object})
    frame.loc[0, "完成日期"] = "2022-02-30"
    frame.loc[1, "亩均税收（万元/亩）"] = "约十五"
    assert _only(_check(frame, io_spec), "bad_value") == [
        ("error", "YK-002", "亩均税收（万元/亩）", "值“约十五”不是有效的数字"),
        (
            "error",
            "YK-001",
            "完成日期",
            "值“2022-02-30”不是有效的日期（可用格式：2022-05-01、2022/5/1、2022年5月1日）",
        ),
    ]


def test_validate_without_match_fields_checks_raw_types(
    io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec
) -> None:
    frame = io_parcels.astype({"完成日期": object})
    frame.loc[0, "完成日期"] = "2022/5/1"  # parseable text is fine even when not yet converted
    frame.loc[1, "完成日期"] = "下月"
    report = validate_features(frame, io_spec, source=SOURCE)
    assert [p.feature for p in report.problems if p.code == "bad_value"] == ["YK-002"]


def test_hostile_and_long_strings(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    io_parcels.loc[0, "备注"] = "长" * 2000
    io_parcels.loc[2, "备注"] = "正常\x1b[31m红字\x00"
    io_parcels.loc[1, "状态"] = HOSTILE
    report = _check(io_parcels, io_spec)
    assert _only(report, "text_too_long") == [
        (
            "error",
            "YK-001",
            "备注",
            "文字过长（2000 字，上限 1000 字）：“" + "长" * 20 + "…（共 2000 字）”",
        )
    ]
    assert _only(report, "control_characters") == [
        ("error", "YK-003", "备注", "文字含有控制字符：“正常\\x1b[31m红字\\x00”，请清理后再导入")
    ]
    [(_s, feature, _f, message)] = _only(report, "bad_status")
    assert feature == "YK-002" and HOSTILE in message  # quoted as text, never interpreted
    # The same text as a firm name is plain data: no problem for it.
    assert [p.feature for p in report.problems if p.field == "企业名称"] == []
    assert report.gdf is not None
    assert report.gdf["企业名称"].iloc[1] == HOSTILE


# --- location, overlaps, areas ------------------------------------------------------------------------


def test_outside_and_partly_outside_boundary(
    io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec, io_square: Callable[..., shapely.Polygon]
) -> None:
    # Covers parcel 1, half of parcel 2 (x 200–250 of 200–300) and none of parcel 3 (x 400–600).
    west, south = io_square(-50, -50).bounds[:2]
    east, north = io_square(250, 150).bounds[:2]
    boundary_4490 = (
        gpd.GeoSeries([shapely.box(west, south, east, north)], crs=4549).to_crs(4490).iloc[0]
    )
    report = _check(io_parcels, io_spec, boundary=boundary_4490)
    assert _only(report, "outside_boundary") == [
        ("error", "YK-003", "", "要素完全位于永康市边界以外")
    ]
    assert _only(report, "partly_outside") == [
        ("warning", "YK-002", "", "要素有 7.50 亩（5000 平方米）位于永康市边界以外")
    ]


def test_overlapping_polygons(
    io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec, io_square: Callable[..., shapely.Polygon]
) -> None:
    io_parcels.loc[1, "geometry"] = io_square(50, 0)  # overlaps parcel 1 by 50 m × 100 m = 7.5 亩
    report = _check(io_parcels, io_spec)
    assert report.ok
    assert _only(report, "overlap") == [
        ("warning", "YK-001", "", "与要素 YK-002 重叠 7.50 亩（5000 平方米）")
    ]


def test_touching_and_sliver_overlaps_are_not_reported(
    io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec, io_square: Callable[..., shapely.Polygon]
) -> None:
    io_parcels.loc[1, "geometry"] = io_square(100, 0)  # shares an edge
    # 0.005 m × 100 m = 0.5 m² of overlap with parcel 2: digitising noise.
    io_parcels.loc[2, "geometry"] = io_square(199.995, 0, 200)
    io_parcels.loc[2, "用地面积（亩）"] = None
    assert _only(_check(io_parcels, io_spec), "overlap") == []


def test_ledger_area_mismatch(io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec) -> None:
    io_parcels.loc[0, "用地面积（亩）"] = 30.0
    io_parcels.loc[1, "用地面积（亩）"] = 16.4  # within 10 %
    assert _only(_check(io_parcels, io_spec), "area_mismatch") == [
        (
            "warning",
            "YK-001",
            "用地面积（亩）",
            "台账面积 30.00 亩与图形面积 15.00 亩相差 100%（超过 10%），请核对",
        )
    ]


def test_problems_table_keeps_order_and_counts(
    io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec
) -> None:
    io_parcels.loc[0, "状态"] = "未知"
    io_parcels.loc[1, "geometry"] = None
    report = _check(io_parcels, io_spec)
    assert len(report.errors) == 2 and len(report.warnings) == 0
    assert list(report) == list(report.problems)
    assert report.to_frame()["要素"].tolist() == ["YK-002", "YK-001"]
    assert isinstance(report.to_frame(), pd.DataFrame)


def _windows_zip(folder: Path, *, township: str = "东城") -> Path:
    """A zipped GBK shapefile whose member names are GBK without the UTF-8 flag, as Windows writes them."""
    import zipfile

    frame = gpd.GeoDataFrame(
        {"地块编号": ["Z-1"], "企业名称": ["甲厂"], "所属镇街": [township], "状态": ["未启动"]},
        geometry=[shapely.box(120.05, 28.89, 120.051, 28.891)],
        crs=4490,
    )
    frame.to_file(folder / "低效用地.shp", encoding="GBK")

    class GbkName(zipfile.ZipInfo):
        def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 - zipfile's name
            return self.filename.encode("gbk"), self.flag_bits & ~0x800

    path = folder / "windows.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in sorted(folder.glob("低效用地.*")):
            archive.writestr(GbkName(part.name), part.read_bytes())
    return path


def test_windows_zip_member_names_are_read_as_gbk(tmp_path: Path) -> None:
    import zipfile

    from ykgeo.io import member_name

    path = _windows_zip(tmp_path)
    with zipfile.ZipFile(path) as archive:
        names = sorted(member_name(info) for info in archive.infolist())
        assert not any(info.flag_bits & 0x800 for info in archive.infolist())
    assert "低效用地.shp" in names
    report = validate_file(path, load_layers()["low_efficiency_industrial"])
    assert any("低效用地.shp" in note for note in report.notes_zh)


def test_township_names_are_matched_against_the_store(tmp_path: Path) -> None:
    from ykgeo.io import suggest_township

    towns = ["东城街道", "西城街道", "江南街道", "芝英镇", "古山镇"]
    assert suggest_township("东城", towns) == "东城街道"
    assert suggest_township("芝英", towns) == "芝英镇"
    assert suggest_township("芝 英镇", towns) == "芝英镇"
    assert suggest_township("火星镇", towns) is None
    spec = load_layers()["low_efficiency_industrial"]
    report = validate_file(_windows_zip(tmp_path), spec, townships=towns)
    (problem,) = [p for p in report.problems if p.code == "unknown_township"]
    assert problem.severity == "warning" and problem.field == "所属镇街"
    assert "是否应为“东城街道”" in problem.message_zh and problem.feature == "Z-1"
    assert report.ok  # a warning: the planner decides


# --- a large file: attribute and geometry checks side by side ---------------------------------------


#: The south-west corner of the large test file, in EPSG:4549 (near the centre of Yongkang).
_ORIGIN = (500_000.0 - 3_000.0, 3_198_185.8 - 3_000.0)


def _large_file(io_parcels: gpd.GeoDataFrame, n: int) -> gpd.GeoDataFrame:
    """``n`` parcels of 50 m in EPSG:4549 with problems of every kind spread through them."""
    frame = pd.concat([io_parcels.iloc[[0]]] * n, ignore_index=True)
    x0, y0 = _ORIGIN
    x = x0 + (np.arange(n) % 100) * 60.0
    y = y0 + (np.arange(n) // 100) * 60.0
    frame["地块编号"] = [f"YK-{i:05d}" for i in range(n)]
    frame["用地面积（亩）"] = 2500 / (10000 / 15)  # 3.75 亩: the ledger agrees
    frame = gpd.GeoDataFrame(frame, geometry=shapely.box(x, y, x + 50, y + 50), crs=4549)
    frame.loc[7, "状态"] = "暂停"
    frame.loc[[900, 9000], "地块编号"] = "YK-00001"
    frame.loc[123, "备注"] = "控制\x07字符"
    frame.loc[4321, "企业名称"] = None
    frame.loc[5000, "用地面积（亩）"] = 9.0
    frame.loc[6001, "geometry"] = shapely.box(x[6000] + 20, y[6000], x[6000] + 70, y[6000] + 50)
    bow = x[777], y[777]
    frame.loc[777, "geometry"] = shapely.Polygon(
        [bow, (bow[0] + 50, bow[1] + 50), (bow[0] + 50, bow[1]), (bow[0], bow[1] + 50)]
    )
    frame.loc[8888, "geometry"] = None
    frame.loc[9999, "geometry"] = shapely.box(x0 + 50_000, y0, x0 + 50_050, y0 + 50)  # 50 km east
    return frame


def test_large_file_is_checked_on_two_threads_with_the_same_report(
    io_parcels: gpd.GeoDataFrame,
    io_spec: LayerSpec,
    io_boundary: shapely.Polygon,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from ykgeo.io import validate

    frame = _large_file(io_parcels, validate._SPLIT_AT + 2)
    pools: list[int] = []

    class Counted(ThreadPoolExecutor):
        def __init__(self, max_workers: int) -> None:
            pools.append(max_workers)
            super().__init__(max_workers=max_workers)

    monkeypatch.setattr(validate, "ThreadPoolExecutor", Counted)
    threaded = _check(frame, io_spec, boundary=io_boundary)
    assert 1 in pools  # the attribute checks ran beside the geometry checks
    monkeypatch.setattr(validate, "_SPLIT_AT", len(frame) + 1)
    pools.clear()
    one_by_one = _check(frame, io_spec, boundary=io_boundary)
    assert pools == []
    assert threaded.problems == one_by_one.problems
    codes = [p.code for p in threaded.problems]
    assert codes == [
        "empty_geometry", "invalid_geometry", "missing_value", "duplicate_id", "bad_status",
        "control_characters", "outside_boundary", "overlap", "area_mismatch",
    ]  # fmt: skip
    assert [p.feature for p in threaded.problems][:4] == [
        "YK-08888", "YK-00777", "YK-04321", "YK-00001",
    ]  # fmt: skip


def test_an_attribute_check_failing_on_its_thread_fails_the_validation(
    io_parcels: gpd.GeoDataFrame, io_spec: LayerSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ykgeo.io import validate

    frame = _large_file(io_parcels, validate._SPLIT_AT + 2)

    def broken(ctx: object) -> list[object]:
        raise RuntimeError("检查出错")

    monkeypatch.setattr(validate, "_check_text", broken)
    with pytest.raises(RuntimeError, match="检查出错"):
        _check(frame, io_spec)
