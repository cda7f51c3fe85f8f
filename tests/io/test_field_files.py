"""Issue 14, defect by defect: real-world files that crashed, were accepted wrongly, or left the planner stuck."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import shapely

from tests.io.corpus_bureau import BureauFile, build_bureau_files
from ykgeo import area, crs
from ykgeo.cli import main
from ykgeo.crs import resolve_crs, wgs84_to_gcj02
from ykgeo.errors import CRSError, DataError
from ykgeo.io import read_vector
from ykgeo.store import DEMO_STORE

KEY = "low_efficiency_industrial"


@pytest.fixture(scope="module")
def bureau(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bureau")
    cases: list[BureauFile] = build_bureau_files(folder)
    return {c.name: folder / Path(c.name).stem / c.name for c in cases}


# --- curves ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["宗地_弧段.gpkg", "宗地_弧段.json", "宗地_弧段.csv"])
def test_arcs_are_linearised_counted_and_measured(bureau: dict[str, Path], name: str) -> None:
    result = read_vector(bureau[name])
    assert result.linearised == 1
    assert any("线性化" in note for note in result.notes_zh)
    m2, _how = area.area_m2_anywhere(result.gdf)
    # 100 m × 100 m plus a circular segment of chord 100 m and rise 20 m (radius 72.5 m)
    r, h = 72.5, 20.0
    segment = r * r * np.arccos((r - h) / r) - (r - h) * np.sqrt(2 * r * h - h * h)
    assert m2.iloc[0] == pytest.approx(10_000 + segment, abs=0.5)


# --- coordinate systems ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["未知投影_WGS84.shp", "EPSG_ID_6326.shp"])
def test_odd_wgs84_prj_is_identified(bureau: dict[str, Path], name: str) -> None:
    result = read_vector(bureau[name])
    assert result.gdf.crs.to_epsg() == 4490
    assert "大地基准" in result.crs_note_zh


def test_wkt_with_epsg_id_in_the_datum_name_resolves_to_wgs84() -> None:
    wkt = (
        'GEOGCS["WGS 84",DATUM["World Geodetic System 1984 [EPSG ID 6326]",'
        'SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
        'UNIT["degree",0.0174532925199433]]'
    )
    assert resolve_crs(wkt).to_epsg() == 4326


@pytest.mark.parametrize(
    ("text", "epsg", "gcj"),
    [
        ("4549", 4549, False),
        ("EPSG:4528", 4528, False),
        ("CGCS2000 GK CM120", 4549, False),
        ("CGCS2000_3_Degree_GK_CM_120E", 4549, False),
        ("CGCS2000 GK zone 40", 4528, False),
        ("高斯克吕格 40带", 4528, False),
        ("CGCS2000 GK 6度 CM123", 4510, False),
        ("WGS84", 4326, False),
        ("GCJ02", 4326, True),
        ("gcj-02", 4326, True),
    ],
)
def test_crs_choice_accepts_what_planners_write(text: str, epsg: int, gcj: bool) -> None:
    choice = crs.parse_crs_choice(text)
    assert (choice.crs.to_epsg(), choice.gcj02) == (epsg, gcj)


def test_unknown_crs_text_says_what_to_write() -> None:
    with pytest.raises(CRSError, match="--crs 4549"):
        crs.parse_crs_choice("高斯投影")


def test_gk_metres_under_a_wgs84_prj_suggest_cm120(bureau: dict[str, Path]) -> None:
    with pytest.raises(CRSError, match=r"--crs 4549") as caught:
        read_vector(bureau["GK米_标注WGS84.shp"])
    assert caught.value.suggestions[0] == "EPSG:4549"
    result = read_vector(bureau["GK米_标注WGS84.shp"], crs="CGCS2000 GK CM120")
    assert shapely.get_coordinates(result.gdf.geometry)[:, 0].min() == pytest.approx(
        120.0, abs=0.01
    )


def test_gcj02_is_shifted_back(bureau: dict[str, Path]) -> None:
    plain = read_vector(bureau["DataV_永康市.geojson"])
    assert plain.maybe_gcj02
    shifted = read_vector(bureau["DataV_永康市.geojson"], crs="GCJ02")
    assert not shifted.maybe_gcj02
    before = shapely.get_coordinates(plain.gdf.geometry)
    after = shapely.get_coordinates(shifted.gdf.geometry)
    back_lon, back_lat = wgs84_to_gcj02(after[:, 0], after[:, 1])
    np.testing.assert_allclose(np.column_stack([back_lon, back_lat]), before, atol=1e-8)
    assert "移动 55" in shifted.crs_note_zh  # about 554 m at Yongkang


def test_datav_download_is_flagged_in_validation(
    bureau: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    main(
        [
            "validate",
            str(bureau["DataV_永康市.geojson"]),
            "--layer",
            KEY,
            "--store",
            str(DEMO_STORE),
        ]
    )
    err = capsys.readouterr().err
    assert any(line.startswith("[警告]") and "GCJ-02" in line for line in err.splitlines())


# --- impossible coordinates --------------------------------------------------------------------------


def test_overflowing_point_is_an_error_naming_the_feature(bureau: dict[str, Path]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "overflow encountered in add"
        with pytest.raises(DataError, match=r"YK-001.*-1\.79e\+308"):
            read_vector(bureau["溢出坐标.geojson"], keep_crs=True)


def test_impossible_degrees_are_named_not_called_outside_yongkang(bureau: dict[str, Path]) -> None:
    with pytest.raises(DataError, match=r"经纬度超出范围.*YK-001.*x=-248, y=625") as caught:
        read_vector(bureau["不可能的经纬度.geojson"])
    assert "永康" not in str(caught.value)


# --- geometries shapely cannot take -------------------------------------------------------------------


def test_unclosed_ring_is_named(bureau: dict[str, Path]) -> None:
    with pytest.raises(DataError, match=r"YK-002.*未闭合") as caught:
        read_vector(bureau["未闭合.geojson"])
    assert "无法解码" not in str(caught.value)


def test_tin_in_csv_says_tin(tmp_path: Path) -> None:
    path = tmp_path / "tin.csv"
    path.write_text('WKT,id\n"TIN (((0 0,0 1,1 0,0 0)))",1\n', encoding="utf-8")
    with pytest.raises(DataError, match="TIN") as caught:
        read_vector(path, crs="4549", keep_crs=True)
    assert "损坏" not in str(caught.value)


def test_kml_without_geometry_is_not_called_damaged(bureau: dict[str, Path]) -> None:
    with pytest.raises(DataError, match="没有可用的几何") as caught:
        read_vector(bureau["无几何地标.kml"])
    assert "损坏" not in str(caught.value)


def test_name_starting_with_bang_is_read(bureau: dict[str, Path]) -> None:
    assert len(read_vector(bureau["!宗地.geojson"]).gdf) == 1


# --- encodings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cpg_ANSI_1250.shp", "cpg_1250.shp"])
def test_code_page_cpg_spellings(bureau: dict[str, Path], name: str) -> None:
    result = read_vector(bureau[name])
    assert result.encoding == "CP1250"
    assert result.gdf["QYMC"].iloc[0] == "Žluťoučký kůň s.r.o."


def test_encoding_option_overrides_an_ansi_cpg(
    bureau: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["area", str(bureau["编码_指定GBK.shp"]), "--encoding", "GBK"]) == 0
    assert "按指定的 GBK 编码" in capsys.readouterr().err


# --- the CLI: options, any file anywhere, warnings, unexpected errors -----------------------------------


def test_area_measures_a_file_far_from_yongkang(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "boston.geojson"
    ring = [[-71.06, 42.36], [-71.05, 42.36], [-71.05, 42.37], [-71.06, 42.37], [-71.06, 42.36]]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8"
    )
    assert main(["area", str(path), "--format", "json"]) == 0
    total_m2 = json.loads(capsys.readouterr().out)["total_m2"]
    assert total_m2 == pytest.approx(911_800, rel=0.01)  # 0.01° × 0.01° at 42.4°N


@pytest.mark.parametrize("command", ["validate", "import"])
def test_layer_name_for_validate_and_import(
    bureau: dict[str, Path], command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store.gpkg"
    store.write_bytes(DEMO_STORE.read_bytes())
    path = bureau["宗地与道路.gpkg"]
    base = [command, str(path), "--layer", KEY, "--store", str(store)]
    assert main(base) != 0
    assert "--layer-name" in capsys.readouterr().err
    assert main([*base, "--layer-name", "宗地"]) == 0


def test_measured_geometries_leave_no_warning_on_stderr(
    bureau: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["area", str(bureau["宗地_ZM.shp"])]) == 0
    err = capsys.readouterr().err
    assert "Warning" not in err and "M 值已忽略" in err


def test_unexpected_error_is_one_chinese_line_and_a_log(
    bureau: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = tmp_path / "ykgeo.log"
    monkeypatch.setenv("YKGEO_LOG", str(log))

    def broken(*_args: object, **_kwargs: object) -> None:
        msg = "boom"
        raise RuntimeError(msg)

    monkeypatch.setattr("ykgeo.cli.data.read_vector", broken)
    assert main(["area", str(bureau["宗地_GBK_CM120.shp"])]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "宗地_GBK_CM120.shp" in err and "意外错误" in err
    assert "Traceback" not in err
    assert "RuntimeError: boom" in log.read_text(encoding="utf-8")
