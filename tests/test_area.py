"""Tests for ykgeo.area: 亩 from GK and ellipsoidal areas, geodesic lengths, CRS handling, index alignment."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from ykgeo.area import (
    APPROXIMATE_MAX_HEIGHT_DEG,
    approximate_area_m2,
    area_m2,
    area_mu,
    ellipsoidal_area_m2,
    gk_area_m2,
    length_km,
    length_m,
)
from ykgeo.errors import CRSError

GEOD = Geod(ellps="GRS80")  # CGCS2000 ellipsoid


def _geod_area_m2(geom: shapely.Geometry) -> float:
    """Independent ellipsoidal area: pyproj's geodesic area, on rings oriented the way it expects."""
    area, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))
    return abs(area)


def _random_polygons(n: int, seed: int) -> list[shapely.Polygon]:
    """Star-shaped (hence valid) polygons of 8–40 vertices, 50 m to 2 km across, inside Yongkang."""
    rng = np.random.default_rng(seed)
    polys = []
    for _ in range(n):
        k = int(rng.integers(8, 41))
        cx, cy = rng.uniform(119.90, 120.30), rng.uniform(28.77, 29.08)
        radius = rng.uniform(0.0005, 0.02)
        angles = np.sort(rng.uniform(0.0, 2.0 * np.pi, k))
        radii = radius * rng.uniform(0.4, 1.0, k)
        xs = cx + radii * np.cos(angles) / np.cos(np.radians(cy))
        ys = cy + radii * np.sin(angles)
        polys.append(shapely.Polygon(np.column_stack([xs, ys])))
    return polys


# --- known answers ------------------------------------------------------------------------------


def test_hundred_metre_square_in_cm120_is_fifteen_mu() -> None:
    square = gpd.GeoSeries([shapely.box(500_000, 3_198_000, 500_100, 3_198_100)], crs=4549)
    assert area_m2(square, method="gk").iloc[0] == pytest.approx(10_000.0, rel=1e-9)
    assert area_mu(square, method="gk").iloc[0] == pytest.approx(15.0, rel=1e-9)
    assert area_mu(square).iloc[0] == pytest.approx(15.0, rel=1e-4)


def test_same_square_in_zone40_gives_the_same_mu() -> None:
    cm120 = gpd.GeoSeries([shapely.box(510_000, 3_198_000, 510_100, 3_198_100)], crs=4549)
    zone40 = gpd.GeoSeries([shapely.box(40_510_000, 3_198_000, 40_510_100, 3_198_100)], crs=4528)
    for method in ("gk", "ellipsoidal"):
        assert area_mu(zone40, method=method).iloc[0] == pytest.approx(  # type: ignore[arg-type]
            area_mu(cm120, method=method).iloc[0],
            rel=1e-9,  # type: ignore[arg-type]
        )


def test_ellipsoidal_area_agrees_with_geodesic_area_on_random_parcels() -> None:
    polys = _random_polygons(200, seed=330784)
    series = gpd.GeoSeries(polys, crs=4490)
    assert series.is_valid.all()
    ours = area_m2(series).to_numpy()
    reference = np.array([_geod_area_m2(p) for p in polys])
    rel = np.abs(ours / reference - 1.0)
    assert rel.mean() < 1e-6
    assert rel.max() < 1e-5


def test_gk_and_ellipsoidal_agree_within_a_hundredth_of_a_percent_near_120e() -> None:
    series = gpd.GeoSeries(_random_polygons(200, seed=2022), crs=4490)
    gk = area_m2(series, method="gk").to_numpy()
    ell = area_m2(series, method="ellipsoidal").to_numpy()
    assert np.max(np.abs(gk / ell - 1.0)) < 1e-4


def test_approximate_area_within_three_ten_thousandths_and_refused_for_tall_shapes() -> None:
    polys = _random_polygons(300, seed=15)
    tall = shapely.box(120.0, 28.8, 120.01, 28.8 + 2 * APPROXIMATE_MAX_HEIGHT_DEG)
    far_north = shapely.box(10.0, 85.0, 10.001, 85.001)
    rough = approximate_area_m2([*polys, tall, far_north, None, shapely.Polygon()])
    reference = np.array([_geod_area_m2(p) for p in polys])
    assert np.max(np.abs(rough[:300] / reference - 1.0)) < 3e-4
    assert np.isnan(rough[300:]).all()


def test_gk_scale_error_grows_with_distance_from_the_central_meridian() -> None:
    # Planar GK area exceeds the ellipsoidal area by about y²/R²: 0 at the CM, ≈ 30 ppm 35 km east.
    at_cm = gpd.GeoSeries([shapely.box(499_500, 3_198_000, 500_500, 3_199_000)], crs=4549)
    east = gpd.GeoSeries([shapely.box(534_500, 3_198_000, 535_500, 3_199_000)], crs=4549)
    ratio_cm = area_m2(at_cm, method="gk").iloc[0] / area_m2(at_cm).iloc[0] - 1.0
    ratio_east = area_m2(east, method="gk").iloc[0] / area_m2(east).iloc[0] - 1.0
    assert abs(ratio_cm) < 1e-6
    assert ratio_east == pytest.approx(35_000.0**2 / 6_371_000.0**2, rel=0.1)


def test_multipolygon_with_hole() -> None:
    outer = shapely.box(120.00, 28.90, 120.01, 28.91)
    hole = shapely.box(120.003, 28.903, 120.006, 28.906)
    second = shapely.box(120.02, 28.90, 120.03, 28.91)
    multi = shapely.MultiPolygon(
        [shapely.Polygon(outer.exterior.coords, [hole.exterior.coords]), second]
    )
    expected = _geod_area_m2(outer) + _geod_area_m2(second) - _geod_area_m2(hole)
    got = area_m2(gpd.GeoSeries([multi], crs=4490)).iloc[0]
    assert got == pytest.approx(expected, rel=1e-6)
    assert got < _geod_area_m2(outer) + _geod_area_m2(second) - 0.9 * _geod_area_m2(hole)


def test_non_polygons_have_no_area() -> None:
    series = gpd.GeoSeries(
        [shapely.Point(120.0, 28.9), shapely.LineString([(120.0, 28.9), (120.1, 28.9)])], crs=4490
    )
    np.testing.assert_array_equal(area_m2(series).to_numpy(), [0.0, 0.0])


def test_array_level_functions_match_the_series_api() -> None:
    polys = np.array(_random_polygons(5, seed=1), dtype=object)
    series = gpd.GeoSeries(polys, crs=4490)
    np.testing.assert_allclose(ellipsoidal_area_m2(polys), area_m2(series).to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        gk_area_m2(polys), area_m2(series, method="gk").to_numpy(), rtol=1e-12
    )
    assert ellipsoidal_area_m2(np.array([], dtype=object)).size == 0


# --- CRS handling --------------------------------------------------------------------------------


def test_series_without_crs_is_refused() -> None:
    naked = gpd.GeoSeries([shapely.box(0, 0, 1, 1)])
    with pytest.raises(CRSError, match="坐标系"):
        area_mu(naked)
    with pytest.raises(CRSError, match="坐标系"):
        length_km(naked)


def test_xian80_input_is_refused() -> None:
    legacy = gpd.GeoSeries([shapely.box(40_500_000, 3_198_000, 40_500_100, 3_198_100)], crs=2364)
    with pytest.raises(CRSError, match="参数"):
        area_mu(legacy)


def test_web_mercator_planar_area_would_be_a_third_too_large() -> None:
    # Why the API must reproject: pseudo-Mercator (spherical formulas on ellipsoidal latitudes)
    # inflates area by a²/(M·N·cos²φ) = (1 − e²sin²φ)² / ((1 − e²)·cos²φ) ≈ 1.309 at 28.9°N.
    parcel = gpd.GeoSeries([shapely.box(499_900, 3_198_000, 500_100, 3_198_200)], crs=4549)
    ell = area_m2(parcel).iloc[0]
    planar_3857 = parcel.to_crs(3857).area.iloc[0]
    phi = np.radians(parcel.to_crs(4490).iloc[0].centroid.y)
    e2 = 0.00669438002290  # GRS80
    factor = (1.0 - e2 * np.sin(phi) ** 2) ** 2 / ((1.0 - e2) * np.cos(phi) ** 2)
    assert planar_3857 / ell == pytest.approx(factor, rel=1e-5)
    assert planar_3857 / ell > 1.3


@pytest.mark.parametrize("epsg", [3857, 4326])
def test_same_parcel_in_wgs84_based_crs_gives_the_same_mu(epsg: int) -> None:
    parcel_4490 = gpd.GeoSeries([shapely.box(120.00, 28.90, 120.01, 28.91)], crs=4490)
    # the same coordinates declared on WGS 84 (≈ CGCS2000), then carried into the other CRS
    parcel = gpd.GeoSeries(parcel_4490.to_numpy(), crs=4326).to_crs(epsg)
    expected = area_mu(parcel_4490).iloc[0]
    got = area_mu(parcel).iloc[0]
    assert got == pytest.approx(expected, rel=1e-6)
    if epsg == 3857:  # and not the Mercator planar figure
        assert got != pytest.approx(parcel.area.iloc[0] * 15 / 10_000, rel=0.1)


# --- lengths -------------------------------------------------------------------------------------


def test_length_km_of_a_line_matches_the_geodesic_length() -> None:
    line = shapely.LineString([(120.00, 28.90), (120.05, 28.95), (120.10, 28.92), (120.12, 28.80)])
    got = length_km(gpd.GeoSeries([line], crs=4490)).iloc[0]
    assert got == pytest.approx(GEOD.geometry_length(line) / 1000.0, rel=1e-12)


def test_length_km_of_multilines_points_and_missing_geometry() -> None:
    multi = shapely.MultiLineString(
        [[(120.0, 28.9), (120.05, 28.95)], [(120.1, 28.92), (120.12, 28.93)]]
    )
    series = gpd.GeoSeries([multi, shapely.Point(120.0, 28.9), None], crs=4490)
    got = length_km(series).to_numpy()
    assert got[0] == pytest.approx(GEOD.geometry_length(multi) / 1000.0, rel=1e-12)
    assert got[1] == 0.0
    assert got[2] == 0.0


def test_polygon_length_is_the_perimeter_of_all_rings() -> None:
    outer = shapely.box(120.00, 28.90, 120.01, 28.91)
    hole = shapely.box(120.003, 28.903, 120.006, 28.906)
    poly = shapely.Polygon(outer.exterior.coords, [hole.exterior.coords])
    got = length_m(gpd.GeoSeries([poly], crs=4490)).iloc[0]
    assert got == pytest.approx(GEOD.geometry_length(outer) + GEOD.geometry_length(hole), rel=1e-12)


def test_length_is_the_same_from_a_gk_projected_line() -> None:
    line = shapely.LineString([(495_000, 3_190_000), (503_000, 3_197_500), (520_000, 3_200_000)])
    projected = gpd.GeoSeries([line], crs=4549)
    geographic = projected.to_crs(4490)
    assert length_km(projected).iloc[0] == pytest.approx(length_km(geographic).iloc[0], rel=1e-9)
    # a 5.7 km main measured along the ellipsoid: within 0.01 % of its GK planar length here
    assert length_km(projected).iloc[0] == pytest.approx(line.length / 1000.0, rel=1e-4)


# --- index alignment and shapes ------------------------------------------------------------------


def test_results_keep_the_input_index_and_order() -> None:
    sizes = {"b": 100.0, "a": 10.0, 7: 50.0}
    geoms = [shapely.box(500_000, 3_198_000, 500_000 + s, 3_198_000 + s) for s in sizes.values()]
    series = gpd.GeoSeries(geoms, index=pd.Index(list(sizes), dtype=object), crs=4549)
    out = area_mu(series, method="gk")
    assert list(out.index) == list(sizes)
    assert out.name == "area_mu"
    for key, side in sizes.items():
        assert out.loc[key] == pytest.approx(side * side * 15 / 10_000, rel=1e-9)


def test_geodataframe_input_and_a_filtered_index() -> None:
    gdf = gpd.GeoDataFrame(
        {"地块编号": ["D3", "D1", "D2"]},
        geometry=[
            shapely.box(500_000, 3_198_000, 500_000 + s, 3_198_000 + s) for s in (30.0, 10.0, 20.0)
        ],
        crs=4549,
    ).set_index("地块编号")
    subset = gdf[gdf.index != "D1"]
    out = area_m2(subset, method="gk")
    assert list(out.index) == ["D3", "D2"]
    np.testing.assert_allclose(out.to_numpy(), [900.0, 400.0], rtol=1e-9)
    km = length_km(subset)
    assert list(km.index) == ["D3", "D2"]
    assert km.name == "length_km"


def test_empty_input_gives_an_empty_series() -> None:
    out = area_mu(gpd.GeoSeries([], crs=4490))
    assert out.empty
    assert out.dtype == "float64"


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="未知面积算法"):
        area_m2(gpd.GeoSeries([shapely.box(120, 28.9, 120.01, 28.91)], crs=4490), method="mercator")  # type: ignore[arg-type]
