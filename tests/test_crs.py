"""Tests for ykgeo.crs: ESRI .prj recognition, legacy-datum refusal, CRS detection, Yongkang check, GCJ-02."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Geod

from ykgeo.crs import (
    CGCS2000,
    GK_CM120,
    GK_ZONE40,
    YONGKANG_BOUNDS,
    check_near_yongkang,
    detect_crs_from_coordinates,
    gcj02_to_wgs84,
    resolve_crs,
    transform_geometries,
    wgs84_to_gcj02,
)
from ykgeo.errors import CRSError

GEOD = Geod(ellps="GRS80")

# ESRI .prj text as ArcGIS writes it for the two CGCS2000 GK variants used on Yongkang data.
_GEOGCS_CGCS2000 = (
    'GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",'
    'SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]]'
)
PRJ_ZONE40 = (
    'PROJCS["CGCS2000_3_Degree_GK_Zone_40",' + _GEOGCS_CGCS2000 + ","
    'PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",40500000.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],'
    'PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)
PRJ_CM120 = (
    'PROJCS["CGCS2000_3_Degree_GK_CM_120E",' + _GEOGCS_CGCS2000 + ","
    'PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],'
    'PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)
PRJ_XIAN80_ZONE40 = (
    'PROJCS["Xian_1980_3_Degree_GK_Zone_40",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",'
    'SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
    'PARAMETER["False_Easting",40500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)
PRJ_BEIJING54_ZONE40 = (
    'PROJCS["Beijing_1954_3_Degree_GK_Zone_40",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",'
    'SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
    'PARAMETER["False_Easting",40500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)

# Centre of the zone at Yongkang's latitude: 120°E 28.9°N → E 40 500 000.0, N 3 198 185.8 (zone 40).
CENTRE_LON, CENTRE_LAT = 120.0, 28.9
CENTRE_N = 3_198_185.8


# --- resolve_crs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("prj", "epsg"), [(PRJ_ZONE40, 4528), (PRJ_CM120, 4549)])
def test_esri_prj_of_cgcs2000_gk_is_identified(prj: str, epsg: int) -> None:
    crs = resolve_crs(prj, source="地块.prj")
    assert crs.to_epsg() == epsg
    assert crs.is_projected


def test_resolve_crs_accepts_codes_and_crs_objects() -> None:
    assert resolve_crs(4490).to_epsg() == CGCS2000
    assert resolve_crs("EPSG:4549").to_epsg() == GK_CM120
    assert resolve_crs(resolve_crs(4528)).to_epsg() == GK_ZONE40


@pytest.mark.parametrize(
    "legacy",
    [2364, 4610, 2385, PRJ_XIAN80_ZONE40, 2416, 4214, 2437, PRJ_BEIJING54_ZONE40],
    ids=[
        "xian80-zone40",
        "xian80-geog",
        "xian80-cm120",
        "xian80-prj",
        "bj54-zone40",
        "bj54-geog",
        "bj54-cm120",
        "bj54-prj",
    ],
)
def test_legacy_datums_are_refused_and_ask_for_parameters(legacy: object) -> None:
    with pytest.raises(CRSError, match="参数") as info:
        resolve_crs(legacy, source="旧图.prj")
    assert "旧图.prj" in str(info.value)
    assert ("西安80" in str(info.value)) or ("北京54" in str(info.value))


def test_missing_and_unreadable_crs_are_refused() -> None:
    with pytest.raises(CRSError, match="缺少坐标系"):
        resolve_crs(None, source="a.shp")
    with pytest.raises(CRSError, match="无法识别"):
        resolve_crs("not a coordinate system")
    with pytest.raises(ValueError):  # CRSError is also a ValueError for callers that catch that
        resolve_crs("EPSG:999999")


# --- transform_geometries -------------------------------------------------------------------------


def test_transform_to_zone40_and_cm120_known_answer() -> None:
    pt = np.array([shapely.Point(CENTRE_LON, CENTRE_LAT)], dtype=object)
    z40 = transform_geometries(pt, CGCS2000, GK_ZONE40)[0]
    cm = transform_geometries(pt, CGCS2000, GK_CM120)[0]
    assert z40.x == pytest.approx(40_500_000.0, abs=1e-6)
    assert z40.y == pytest.approx(CENTRE_N, abs=0.1)
    assert cm.x == pytest.approx(500_000.0, abs=1e-6)
    assert cm.y == pytest.approx(z40.y, abs=1e-6)
    back = transform_geometries(np.array([z40], dtype=object), PRJ_ZONE40, CGCS2000)[0]
    assert back.x == pytest.approx(CENTRE_LON, abs=1e-10)
    assert back.y == pytest.approx(CENTRE_LAT, abs=1e-10)


def test_transform_refuses_legacy_source() -> None:
    pt = np.array([shapely.Point(40_500_000, 3_198_000)], dtype=object)
    with pytest.raises(CRSError, match="参数"):
        transform_geometries(pt, 2364, CGCS2000)


def test_wgs84_input_is_accepted_as_cgcs2000() -> None:
    pt = np.array([shapely.Point(CENTRE_LON, CENTRE_LAT)], dtype=object)
    out = transform_geometries(pt, 4326, CGCS2000)[0]
    assert out.x == pytest.approx(CENTRE_LON, abs=1e-7)
    assert out.y == pytest.approx(CENTRE_LAT, abs=1e-7)


# --- detect_crs_from_coordinates ------------------------------------------------------------------


def test_detect_degrees() -> None:
    guess = detect_crs_from_coordinates([120.01, 120.05, 119.98], [28.88, 28.91, 28.95])
    assert guess.epsg == CGCS2000
    assert not guess.swapped


def test_detect_eight_digit_zone40_eastings() -> None:
    guess = detect_crs_from_coordinates(
        [40_493_210.5, 40_501_000.0, 40_512_345.0], [3_190_000.0, 3_198_186.0, 3_205_000.0]
    )
    assert guess.epsg == 4528
    assert not guess.swapped
    assert "40" in guess.reason_zh


def test_detect_six_digit_eastings_assumes_cm120_and_says_so() -> None:
    guess = detect_crs_from_coordinates(
        [493_210.5, 501_000.0, 512_345.0], [3_190_000.0, 3_198_186.0, 3_205_000.0]
    )
    assert guess.epsg == 4549
    assert not guess.swapped
    assert "无法从数值确定中央经线" in guess.reason_zh
    assert "120°E" in guess.reason_zh


@pytest.mark.parametrize(
    ("x", "y", "epsg"),
    [([3_198_186.0], [40_501_000.0], 4528), ([3_198_186.0], [501_000.0], 4549)],
    ids=["zone40", "cm120"],
)
def test_detect_swapped_surveyor_columns(x: list[float], y: list[float], epsg: int) -> None:
    guess = detect_crs_from_coordinates(x, y)
    assert guess.epsg == epsg
    assert guess.swapped
    assert "交换" in guess.reason_zh


def test_detect_six_degree_zone_prefix() -> None:
    assert detect_crs_from_coordinates([20_700_000.0], [3_198_000.0]).epsg == 4498  # 6° zone 20


def test_detect_uses_the_median_so_one_stray_point_does_not_decide() -> None:
    guess = detect_crs_from_coordinates(
        [40_500_000.0, 40_501_000.0, 0.0, np.nan], [3_198_000.0, 3_199_000.0, 0.0, 1.0]
    )
    assert guess.epsg == 4528


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([1_000.0], [1_000.0]),
        ([50_500_000.0], [3_198_000.0]),
        ([np.nan], [np.nan]),
        ([28.9], [120.0]),
    ],
    ids=["local-grid", "zone-50", "no-finite", "lat-lon-swapped-degrees"],
)
def test_detect_garbage_is_refused(x: list[float], y: list[float]) -> None:
    with pytest.raises(CRSError):
        detect_crs_from_coordinates(x, y)


# --- check_near_yongkang --------------------------------------------------------------------------


def test_check_near_yongkang_accepts_the_city() -> None:
    check_near_yongkang([120.0425, 119.95, 120.30], [28.8908, 28.80, 29.05], source="ok.shp")
    check_near_yongkang([], [])  # nothing to check


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(116.40, 39.90), (121.47, 31.23), (500_000.0, 3_198_000.0)],
    ids=["beijing", "shanghai", "metres-read-as-degrees"],
)
def test_check_near_yongkang_refuses_elsewhere(lon: float, lat: float) -> None:
    with pytest.raises(CRSError, match="不在永康市范围内") as info:
        check_near_yongkang([lon], [lat], source="外地.shp")
    assert "外地.shp" in str(info.value)


# --- GCJ-02 ---------------------------------------------------------------------------------------


def _reference_wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """The published WGS84 → GCJ-02 algorithm, written out again as plain scalar math."""
    a = 6378245.0
    ee = 0.00669342162296594323
    if not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271):
        return lon, lat
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    ret_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret_lat += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    ret_lat += (20.0 * math.sin(y * pi) + 40.0 * math.sin(y / 3.0 * pi)) * 2.0 / 3.0
    ret_lat += (160.0 * math.sin(y / 12.0 * pi) + 320.0 * math.sin(y * pi / 30.0)) * 2.0 / 3.0
    ret_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret_lon += (20.0 * math.sin(6.0 * x * pi) + 20.0 * math.sin(2.0 * x * pi)) * 2.0 / 3.0
    ret_lon += (20.0 * math.sin(x * pi) + 40.0 * math.sin(x / 3.0 * pi)) * 2.0 / 3.0
    ret_lon += (150.0 * math.sin(x / 12.0 * pi) + 300.0 * math.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * pi
    magic = 1.0 - ee * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (ret_lat * 180.0) / ((a * (1.0 - ee)) / (magic * sqrt_magic) * pi)
    d_lon = (ret_lon * 180.0) / (a / sqrt_magic * math.cos(rad_lat) * pi)
    return lon + d_lon, lat + d_lat


def _yongkang_grid(n: int = 25) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = YONGKANG_BOUNDS
    lon, lat = np.meshgrid(np.linspace(minx, maxx, n), np.linspace(miny, maxy, n))
    return lon.ravel(), lat.ravel()


def test_gcj02_shift_at_yongkang_is_about_550_m_to_the_south_east() -> None:
    g_lon, g_lat = wgs84_to_gcj02(CENTRE_LON, CENTRE_LAT)
    azimuth, _, dist = GEOD.inv(CENTRE_LON, CENTRE_LAT, float(g_lon), float(g_lat))
    assert dist == pytest.approx(554.6, abs=1.0)
    assert 110.0 < azimuth < 140.0  # south-east
    # components: east ≈ +445 m, north ≈ −330 m
    _, _, east = GEOD.inv(CENTRE_LON, CENTRE_LAT, float(g_lon), CENTRE_LAT)
    assert 430.0 < east < 456.0
    assert float(g_lat) < CENTRE_LAT


def test_gcj02_matches_an_independent_scalar_implementation() -> None:
    lon, lat = _yongkang_grid(9)
    lon = np.concatenate([lon, [116.404, 113.264, 87.6, 126.6]])
    lat = np.concatenate([lat, [39.915, 23.129, 43.8, 45.75]])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    for i in range(lon.size):
        r_lon, r_lat = _reference_wgs84_to_gcj02(float(lon[i]), float(lat[i]))
        assert g_lon[i] == pytest.approx(r_lon, abs=1e-12)
        assert g_lat[i] == pytest.approx(r_lat, abs=1e-12)


def test_gcj02_round_trip_is_within_one_centimetre_over_yongkang() -> None:
    lon, lat = _yongkang_grid(25)
    b_lon, b_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    _, _, err = GEOD.inv(lon, lat, b_lon, b_lat)
    assert np.max(err) < 0.01


def test_gcj02_inverse_undoes_the_shift_rather_than_doubling_it() -> None:
    w_lon, w_lat = gcj02_to_wgs84(CENTRE_LON, CENTRE_LAT)
    _, _, dist = GEOD.inv(CENTRE_LON, CENTRE_LAT, float(w_lon), float(w_lat))
    assert dist == pytest.approx(554.6, abs=5.0)
    assert float(w_lat) > CENTRE_LAT  # moved back north-west


@pytest.mark.parametrize(
    ("lon", "lat"), [(2.3522, 48.8566), (139.6917, 35.6895), (-74.006, 40.7128)]
)
def test_no_shift_outside_china(lon: float, lat: float) -> None:
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert (float(g_lon), float(g_lat)) == (lon, lat)
    w_lon, w_lat = gcj02_to_wgs84(lon, lat)
    assert (float(w_lon), float(w_lat)) == (lon, lat)
