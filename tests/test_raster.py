"""Tests of ykgeo.raster: known answers on synthetic rasters written to tmp_path, agreement with exactextract, bad input."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from exactextract import exact_extract
from pyproj import CRS, Geod
from rasterio.transform import from_origin
from rasterio.windows import Window

from ykgeo import _raster_core, raster
from ykgeo.errors import RasterError
from ykgeo.raster import (
    PixelArea,
    RasterSettings,
    change_evidence,
    density_grid,
    raster_info,
    raster_overlay,
    reported_status,
    reservoir_storage,
    terrain_stats,
    write_progress_grid,
    zonal_stats,
)
from ykgeo.units import m2_to_mu

X0, Y0 = 500_000.0, 3_200_000.0  # GK CM 120°E, near Yongkang (120.0°E, 28.9°N)
GEOD = Geod(ellps="GRS80")


def write_raster(
    path: Path,
    arr: np.ndarray,
    *,
    crs: Any = 4549,
    transform: Affine | None = None,
    nodata: float | None = None,
    tiled: bool = False,
    tags: dict[str, str] | None = None,
) -> Path:
    h, w = arr.shape
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": w,
        "height": h,
        "count": 1,
        "dtype": arr.dtype.name,
        "transform": transform or from_origin(X0, Y0, 10.0, 10.0),
        "nodata": nodata,
        "compress": "deflate",
    }
    if crs is not None:
        profile["crs"] = CRS.from_user_input(crs).to_wkt()
    if tiled:
        profile.update(tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(arr, 1)
        if tags:
            dst.update_tags(**tags)
    return path


def gk(*geoms: Any, ids: list[str] | None = None) -> gpd.GeoDataFrame:
    index = pd.Index(ids or [f"p{i}" for i in range(len(geoms))], name="id")
    return gpd.GeoDataFrame(geometry=list(geoms), index=index, crs=4549)


def box_px(c0: float, r0: float, c1: float, r1: float, *, res: float = 10.0) -> shapely.Polygon:
    """A box in pixel units of the default grid (column, row from the top-left corner)."""
    return shapely.box(X0 + c0 * res, Y0 - r1 * res, X0 + c1 * res, Y0 - r0 * res)


@pytest.fixture
def classes_tif(tmp_path: Path) -> Path:
    """10 m pixels in EPSG:4549: left half 80 (人造地表), right half 10 (耕地), a nodata corner."""
    arr = np.full((40, 40), 10, dtype=np.uint8)
    arr[:, :20] = 80
    arr[:4, :4] = 255
    return write_raster(tmp_path / "classes.tif", arr, nodata=255)


# --- known answers -----------------------------------------------------------------------------


def test_exact_fractions_of_pixels(tmp_path: Path) -> None:
    """A box from pixel (0.5, 0.25) to (2.5, 1.75) covers known fractions of 6 pixels."""
    arr = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
    path = write_raster(tmp_path / "v.tif", arr)
    poly = box_px(0.5, 0.25, 2.5, 1.75)
    df = zonal_stats(path, gk(poly))
    # coverage: rows 0 and 1 are covered 0.75 each; columns 0 and 2 half, column 1 fully
    cover = np.array([[0.5, 1.0, 0.5], [0.5, 1.0, 0.5]]) * 0.75
    values = arr[:2, :3]
    assert df["count"].iloc[0] == pytest.approx(cover.sum(), abs=1e-12)
    assert df["sum"].iloc[0] == pytest.approx((cover * values).sum(), abs=1e-9)
    assert df["mean"].iloc[0] == pytest.approx((cover * values).sum() / cover.sum(), abs=1e-9)
    assert (df["min"].iloc[0], df["max"].iloc[0]) == (1.0, 7.0)
    assert (
        df["majority"].iloc[0] == 6.0
    )  # the fully covered pixels are 2 and 6: a tie goes to the larger
    # 2 m × 1.5 pixel = 3 pixels of 100 m² = 300 m² = 0.45 亩
    assert df["valid_area_mu"].iloc[0] == pytest.approx(0.45, rel=1e-12)
    assert df["nodata_fraction"].iloc[0] == pytest.approx(0.0, abs=1e-6)


def test_class_areas_in_mu_known_layout(classes_tif: Path) -> None:
    """10 m pixels: one pixel is 100 m² = 0.15 亩; a box 5.5 px into class 10 and 14.5 px into class 80."""
    poly = box_px(5.5, 10, 25, 20)  # 19.5 × 10 pixels
    df = zonal_stats(classes_tif, gk(poly), categorical=True)
    row = df.iloc[0]
    assert row["area_mu_80"] == pytest.approx(14.5 * 10 * 0.15, rel=1e-12)
    assert row["area_mu_10"] == pytest.approx(5.0 * 10 * 0.15, rel=1e-12)
    assert row["frac_80"] == pytest.approx(14.5 / 19.5, rel=1e-12)
    assert row["frac_10"] + row["frac_80"] == pytest.approx(1.0)
    assert row["majority"] == 80
    assert df.attrs["classes"][80] == "人造地表"
    assert "平面像元面积 100 m²" in df.attrs["area_method_zh"]


def test_nodata_is_honoured(classes_tif: Path) -> None:
    poly = box_px(0, 0, 8, 4)  # 32 pixels, the first 16 nodata
    df = zonal_stats(classes_tif, gk(poly), categorical=True)
    assert df["count"].iloc[0] == pytest.approx(16.0)
    assert df["nodata_fraction"].iloc[0] == pytest.approx(0.5, abs=1e-6)
    assert df["valid_area_mu"].iloc[0] == pytest.approx(16 * 0.15)
    assert "frac_255" not in df.columns


def test_float_nan_and_mask_are_nodata(tmp_path: Path) -> None:
    arr = np.ones((10, 10), dtype=np.float64)
    arr[0, 0] = np.nan
    arr[0, 1] = -9999.0
    path = write_raster(tmp_path / "f.tif", arr, nodata=-9999.0)
    df = zonal_stats(path, gk(box_px(0, 0, 2, 1)))
    assert df["count"].iloc[0] == 0.0
    assert math.isnan(df["mean"].iloc[0])


def test_features_in_another_crs_and_points(classes_tif: Path) -> None:
    poly = box_px(25, 10, 35, 20)
    ll = gpd.GeoSeries([poly], crs=4549).to_crs(4490)
    pt = gpd.GeoSeries([shapely.Point(X0 + 105, Y0 - 105)], crs=4549).to_crs(4490)
    feats = gpd.GeoDataFrame(geometry=[ll.iloc[0], pt.iloc[0]], index=["a", "b"], crs=4490)
    df = zonal_stats(classes_tif, feats, categorical=True)
    assert df.loc["a", "frac_10"] == pytest.approx(1.0)
    assert df.loc["a", "area_mu_10"] == pytest.approx(15.0, rel=1e-6)
    assert df.loc["b", "majority"] == 80  # a point samples the pixel it lies in
    assert math.isnan(df.loc["b", "feature_area_mu"])


def test_overlay_known_pixels(tmp_path: Path) -> None:
    """Independent check: coverage from shapely intersections of pixel boxes with a rotated polygon."""
    rng = np.random.default_rng(1)
    arr = rng.integers(0, 100, size=(30, 30)).astype(np.int16)
    path = write_raster(tmp_path / "r.tif", arr)
    poly = shapely.affinity.rotate(box_px(3.3, 4.1, 21.7, 17.9), 27, origin="centroid")
    df = zonal_stats(path, gk(poly))
    rows, cols = np.mgrid[0:30, 0:30]
    boxes = shapely.box(X0 + cols * 10, Y0 - (rows + 1) * 10, X0 + (cols + 1) * 10, Y0 - rows * 10)
    cover = shapely.area(shapely.intersection(boxes, poly)) / 100.0
    assert df["count"].iloc[0] == pytest.approx(cover.sum(), rel=1e-9)
    assert df["sum"].iloc[0] == pytest.approx((cover * arr).sum(), rel=1e-9)


# --- pixel areas -------------------------------------------------------------------------------


def test_geographic_cell_area_matches_geodesic(tmp_path: Path) -> None:
    res = 1.0 / 3600.0
    t = from_origin(120.0, 29.0, res, res)
    info = raster_info(
        write_raster(tmp_path / "g.tif", np.zeros((5, 3), np.uint8), crs=4490, transform=t)
    )
    areas = PixelArea(info).window(Window(0, 0, 3, 5))
    for row in range(5):
        lat_top = 29.0 - row * res
        cell = shapely.box(120.0, lat_top - res, 120.0 + res, lat_top)
        expected = abs(GEOD.geometry_area_perimeter(cell)[0])
        assert areas[row, 0] == pytest.approx(expected, rel=1e-7)
    assert areas[0, 0] == pytest.approx(areas[0, 2])
    assert areas[0, 0] < areas[4, 0]  # cells grow towards the equator


def test_web_mercator_pixels_get_ellipsoidal_area(tmp_path: Path) -> None:
    """In EPSG:3857 a planar pixel is ~31 % too large at 28.9°N; the class area must not be."""
    x, y = 13_358_000.0, 3_360_000.0  # 120.0°E, 28.9°N
    path = write_raster(
        tmp_path / "m.tif",
        np.full((200, 200), 20, np.uint8),
        crs=3857,
        transform=from_origin(x, y, 10, 10),
    )
    poly_m = shapely.box(x + 300, y - 1700, x + 1700, y - 300)
    feats = gpd.GeoDataFrame(geometry=[poly_m], crs=3857)
    df = zonal_stats(path, feats, categorical=True)
    truth_m2 = abs(GEOD.geometry_area_perimeter(feats.to_crs(4326).geometry.iloc[0])[0])
    assert df["area_mu_20"].iloc[0] == pytest.approx(m2_to_mu(truth_m2), rel=2e-4)
    assert df["feature_area_mu"].iloc[0] == pytest.approx(m2_to_mu(truth_m2), rel=1e-5)
    assert "椭球面积" in df.attrs["area_method_zh"]


# --- agreement with exactextract ---------------------------------------------------------------


def _random_parcels(
    rng: np.random.Generator, n: int, extent: tuple[float, float, float, float]
) -> list[Any]:
    minx, miny, maxx, maxy = extent
    out = []
    for _ in range(n):
        cx, cy = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        r = rng.uniform(15, 90)
        k = int(rng.integers(5, 11))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = r * rng.uniform(0.5, 1.0, k)
        out.append(
            shapely.Polygon(np.column_stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)]))
        )
    return out


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_agrees_with_exactextract(tmp_path: Path, dtype: str) -> None:
    rng = np.random.default_rng(7)
    if dtype == "uint8":
        arr = rng.choice(np.array([10, 20, 60, 80], dtype=np.uint8), size=(120, 150))
        nodata: float | None = 0
        arr[5:15, 5:40] = 0
    else:
        arr = rng.normal(200, 50, size=(120, 150)).astype(np.float32)
        nodata = -1.0
        arr[40:60, 70:90] = -1.0
    path = write_raster(
        tmp_path / f"{dtype}.tif",
        arr,
        nodata=nodata,
        transform=from_origin(X0, Y0, 7.5, 7.5),
        tiled=False,
    )
    geoms = _random_parcels(rng, 60, (X0 + 50, Y0 - 850, X0 + 1080, Y0 - 50))
    feats = gk(*geoms)
    ours = zonal_stats(path, feats, categorical=dtype == "uint8")
    theirs = exact_extract(
        str(path),
        feats.reset_index().rename(columns={"id": "fid"}),
        ["count", "sum", "mean", "min", "max", "majority", "frac", "unique"],
        output="pandas",
        include_cols=["fid"],
    ).set_index("fid")
    assert list(theirs.index) == list(feats.index)
    for col in ("count", "sum", "mean", "min", "max", "majority"):
        np.testing.assert_allclose(
            ours[col].to_numpy(float),
            theirs[col].to_numpy(float),
            rtol=1e-6,
            atol=1e-6,
            err_msg=col,
        )
    if dtype == "uint8":
        for fid in feats.index:
            for code, frac in zip(theirs.loc[fid, "unique"], theirs.loc[fid, "frac"], strict=True):
                assert ours.loc[fid, f"frac_{int(code)}"] == pytest.approx(frac, abs=1e-6)


def test_geographic_class_areas_against_geodesic_cells(tmp_path: Path) -> None:
    """Class areas of a degree raster vs Σ coverage × geodesic cell area (exactextract's coverage, pyproj's areas)."""
    rng = np.random.default_rng(3)
    res = 1.0 / 3600.0
    t = from_origin(120.0, 28.95, res, res)
    arr = rng.choice(np.array([10, 80], dtype=np.uint8), size=(200, 200))
    path = write_raster(tmp_path / "geo.tif", arr, crs=4490, transform=t)
    polys = [
        shapely.affinity.scale(p, 1 / 97_000, 1 / 111_000, origin=(0, 0))
        for p in _random_parcels(rng, 10, (200, 200, 5500, 5500))
    ]
    polys = [shapely.affinity.translate(p, 120.0, 28.95 - 200 * res) for p in polys]
    feats = gpd.GeoDataFrame(geometry=polys, crs=4490)
    ours = zonal_stats(path, feats, categorical=True)
    arrays = exact_extract(str(path), feats, ["coverage", "values", "center_y"], output="pandas")
    for i, row in arrays.iterrows():
        lat = np.asarray(row["center_y"])
        cells = [shapely.box(120.0, y - res / 2, 120.0 + res, y + res / 2) for y in lat]
        area = np.abs([GEOD.geometry_area_perimeter(c)[0] for c in cells])
        for code in (10, 80):
            sel = np.asarray(row["values"]) == code
            expected = m2_to_mu(float((np.asarray(row["coverage"])[sel] * area[sel]).sum()))
            assert ours[f"area_mu_{code}"].iloc[i] == pytest.approx(expected, rel=1e-6, abs=1e-9)


# --- windowed reads ----------------------------------------------------------------------------


def test_only_the_windows_the_features_need_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    arr = np.full((2000, 2000), 20, dtype=np.uint8)
    path = write_raster(tmp_path / "big.tif", arr, tiled=True)
    feats = gk(box_px(100, 100, 110.5, 108), box_px(1500, 1700, 1520, 1730))
    windows: list[tuple[int, int, int, int]] = []
    original = _raster_core.BandSource.read_masked

    def counting(self: Any, x0: int, y0: int, nx: int, ny: int) -> Any:
        windows.append((x0, y0, nx, ny))
        return original(self, x0, y0, nx, ny)

    monkeypatch.setattr(_raster_core.BandSource, "read_masked", counting)
    df = zonal_stats(path, feats, categorical=True)
    assert df["area_mu_20"].to_numpy() == pytest.approx([10.5 * 8 * 0.15, 20 * 30 * 0.15])
    read = {w for w in windows if w[2] > 0}
    assert read == {(100, 100, 11, 8), (1500, 1700, 20, 30)}
    assert sum(w[2] * w[3] for w in read) < 1000 < arr.size


def test_raster_larger_than_the_memory_used(tmp_path: Path) -> None:
    """A 50 000 × 50 000 raster (2.5 GB as uint8) is read in a subprocess whose peak memory stays far below that."""
    path = tmp_path / "huge.tif"
    profile = {
        "driver": "GTiff",
        "width": 50_000,
        "height": 50_000,
        "count": 1,
        "dtype": "uint8",
        "crs": CRS(4549).to_wkt(),
        "transform": from_origin(X0, Y0, 1.0, 1.0),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
        "sparse_ok": True,
    }
    with rasterio.open(path, "w", **profile) as dst:  # only the blocks near the parcels hold data
        dst.write(np.full((1024, 1024), 80, np.uint8), 1, window=Window(20_000, 30_000, 1024, 1024))
    assert path.stat().st_size < 5_000_000
    code = textwrap.dedent(
        f"""
        import geopandas as gpd, shapely
        from ykgeo.raster import zonal_stats
        x0, y0 = {X0}, {Y0}
        g = gpd.GeoDataFrame(geometry=[shapely.box(x0 + 20100, y0 - 30900, x0 + 20900, y0 - 30100),
                                       shapely.box(x0 + 45000, y0 - 45000, x0 + 45100, y0 - 44900)], crs=4549)
        df = zonal_stats({str(path)!r}, g, categorical=True)
        # VmHWM is this process's own peak; ru_maxrss would carry the parent's size across fork/exec
        hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
        print(df["area_mu_80"].iloc[0], df["area_mu_0"].iloc[1], hwm)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    built, empty, rss_kb = out.stdout.split()
    assert float(built) == pytest.approx(m2_to_mu(800 * 800))
    assert float(empty) == pytest.approx(m2_to_mu(100 * 100))
    assert int(rss_kb) < 600_000  # < 600 MB peak for a 2.5 GB raster


# --- change evidence ---------------------------------------------------------------------------


@pytest.fixture
def change_pair(tmp_path: Path) -> tuple[Path, Path, gpd.GeoDataFrame]:
    before = np.full((60, 60), 10, dtype=np.uint8)
    before[0:50, 0:50] = 80
    after = before.copy()
    after[0:10, 0:10] = 90  # p_done_changed: cleared
    after[20:30, 0:10] = 90  # p_open_changed: cleared, not reported
    after[30:40, 20:30][:, :2] = 30  # p_open_small: 20 % greened, below the threshold
    b = write_raster(tmp_path / "lc2021.tif", before, nodata=0, tags={"YKGEO_DATE": "2021-12-31"})
    # the "after" image is on another grid: 5 m pixels, half a pixel shifted
    after_fine = np.repeat(np.repeat(after, 2, axis=0), 2, axis=1)
    a = write_raster(
        tmp_path / "lc2022.tif",
        after_fine,
        nodata=0,
        transform=from_origin(X0, Y0, 5.0, 5.0),
        tags={"YKGEO_DATE": "2022-12-31"},
    )
    feats = gk(
        box_px(0, 0, 10, 10),
        box_px(10, 0, 20, 10),
        box_px(0, 20, 10, 30),
        box_px(20, 30, 30, 40),
        box_px(30, 0, 40, 10),
        ids=["p_done_changed", "p_done_same", "p_open_changed", "p_open_small", "p_done_2021"],
    )
    feats["状态"] = ["已完成", "已完成", "推进中", "未启动", "已完成"]
    feats["完成日期"] = ["2022-06-30", "2022-09-30", None, None, "2021-05-01"]
    return b, a, feats


def test_change_and_contradictions(change_pair: tuple[Path, Path, gpd.GeoDataFrame]) -> None:
    before, after, feats = change_pair
    rep = reported_status(
        feats, "状态", ["已完成"], date_field="完成日期", before_date=dt.date(2021, 12, 31)
    )
    assert rep.to_dict() == {
        "p_done_changed": "done",
        "p_done_same": "done",
        "p_open_changed": "not_done",
        "p_open_small": "not_done",
        "p_done_2021": "done_earlier",
    }
    ev = change_evidence(before, after, feats, reported=rep)
    f = ev.features
    assert f.loc["p_done_changed", "changed_fraction"] == pytest.approx(1.0)
    assert f.loc["p_done_changed", "changed_mu"] == pytest.approx(15.0)
    assert f.loc["p_open_small", "changed_fraction"] == pytest.approx(0.2)
    assert f.loc["p_done_same", "changed_fraction"] == 0.0
    assert list(ev.done_without_change.index) == ["p_done_same"]
    assert list(ev.change_not_reported.index) == ["p_open_changed"]
    assert f.loc["p_done_2021", "verdict"].startswith("不核查")
    assert "1 个" in ev.summary_zh()
    # thresholds are settings: at 15 % the partly greened parcel is listed too
    strict = change_evidence(
        before,
        after,
        feats,
        reported=rep,
        settings=RasterSettings(unreported_min_change_fraction=0.15),
    )
    assert set(strict.change_not_reported.index) == {"p_open_changed", "p_open_small"}


def test_change_needs_integer_rasters(
    change_pair: tuple[Path, Path, gpd.GeoDataFrame], tmp_path: Path
) -> None:
    before, _, feats = change_pair
    floaty = write_raster(tmp_path / "float.tif", np.zeros((60, 60), np.float32))
    with pytest.raises(RasterError, match="整数型"):
        change_evidence(before, floaty, feats)


# --- terrain -----------------------------------------------------------------------------------


def test_slope_of_a_ten_percent_plane_native_and_geographic(tmp_path: Path) -> None:
    expected = math.degrees(math.atan(0.10))  # 5.7106°
    res = 10.0
    cols = np.arange(200) * res + res / 2
    plane = np.tile(100.0 + 0.10 * cols, (200, 1)).astype(np.float32)
    native = write_raster(tmp_path / "plane_gk.tif", plane, transform=from_origin(X0, Y0, res, res))
    poly = box_px(50, 50, 150, 150)
    df = terrain_stats(native, gk(poly))
    assert df["slope_mean_deg"].iloc[0] == pytest.approx(expected, abs=1e-6)
    assert df["slope_max_deg"].iloc[0] == pytest.approx(expected, abs=1e-6)
    assert df["elevation_mean_m"].iloc[0] == pytest.approx(100.0 + 0.10 * 1000.0, abs=1e-3)
    # the same plane in a degree DEM: slopes must still be 5.71°, not distorted by degree pixels
    r = 1.0 / 3600.0
    t = from_origin(119.99, 28.93, r, r)
    lon = 119.99 + r * (np.arange(300) + 0.5)
    lat = 28.93 - r * (np.arange(300) + 0.5)
    lo, la = np.meshgrid(lon, lat)
    from pyproj import Transformer

    x, _ = Transformer.from_crs(4490, 4549, always_xy=True).transform(lo, la)
    geo = write_raster(
        tmp_path / "plane_ll.tif", (0.10 * (x - X0) + 300).astype(np.float32), crs=4490, transform=t
    )
    centre = gpd.GeoSeries([shapely.Point(119.995, 28.925)], crs=4490).to_crs(4549).buffer(1000)
    df2 = terrain_stats(geo, gpd.GeoDataFrame(geometry=centre))
    assert df2["slope_mean_deg"].iloc[0] == pytest.approx(expected, abs=0.02)
    assert df2.attrs["slope_crs"] == "EPSG:4549"


def _bowl(
    tmp_path: Path, k: float = 0.001, res: float = 5.0, n: int = 400
) -> tuple[Path, float, float]:
    """z = 100 + k r² around the centre, plus a separate pit to the east that must not count."""
    c = n * res / 2
    xs = np.arange(n) * res + res / 2
    gx, gy = np.meshgrid(xs, xs)
    r2 = (gx - c) ** 2 + (gy - c) ** 2
    z = 100.0 + k * r2
    pit = (gx - (c + 800)) ** 2 + (gy - c) ** 2 < 40**2
    z[pit] = 90.0
    path = write_raster(
        tmp_path / "bowl.tif", z.astype(np.float64), transform=from_origin(X0, Y0, res, res)
    )
    return path, X0 + c, Y0 - c


def test_reservoir_storage_of_a_bowl(tmp_path: Path) -> None:
    k, h = 0.001, 20.0  # level 120 m: 20 m above the bottom
    path, cx, cy = _bowl(tmp_path, k)
    radius = math.sqrt(h / k)  # 141.4 m
    dam = gk(shapely.Point(cx + radius + 60, cy), ids=["dam"])
    out = reservoir_storage(
        path, dam, water_level_m=100.0 + h, settings=RasterSettings(reservoir_window_m=600)
    )
    row = out.loc["dam"]
    volume = math.pi * h**2 / (2 * k)  # 628 318.5 m³
    area = math.pi * h / k
    assert bool(row["closed"])
    assert row["storage_wan_m3"] == pytest.approx(volume / 10_000, rel=5e-3)
    assert row["surface_area_mu"] == pytest.approx(m2_to_mu(area), rel=5e-3)
    assert row["max_depth_m"] == pytest.approx(h, abs=0.1)
    assert out.crs.to_epsg() == 4490 and out.geometry.iloc[0].area > 0
    # above the rim of the analysis window the region is open: no storage is claimed
    high = reservoir_storage(
        path, dam, water_level_m=400.0, settings=RasterSettings(reservoir_window_m=600)
    )
    assert not bool(high["closed"].iloc[0]) and math.isnan(high["storage_wan_m3"].iloc[0])
    assert "窗口" in high["note_zh"].iloc[0]


# --- progress-density grid ---------------------------------------------------------------------


def test_density_grid_and_geotiff_georeferencing(tmp_path: Path) -> None:
    # a 100 m square centred on a cell corner: a quarter (3.75 亩) in each of four 500 m cells
    sq = shapely.box(X0 + 950, Y0 - 1050, X0 + 1050, Y0 - 950)
    ll = gpd.GeoSeries([sq], crs=4549).to_crs(4490)
    extent = (
        gpd.GeoSeries([shapely.box(X0, Y0 - 2000, X0 + 2000, Y0)], crs=4549).to_crs(4490).iloc[0]
    )
    grid, t, inside = density_grid(ll.to_numpy(), [15.0], cell_m=500.0, extent_4490=extent)
    assert grid.sum() == pytest.approx(15.0)
    r, c = ~t @ (X0 + 1000, Y0 - 1000)
    r, c = round(c), round(r)
    assert grid[r - 1 : r + 1, c - 1 : c + 1] == pytest.approx(np.full((2, 2), 3.75), rel=1e-6)
    pg = raster.ProgressGrid(
        values=np.where(inside, grid, -9999).astype("float32"),
        transform=t,
        cell_m=500.0,
        target_key="t",
        target_name_zh="测试目标",
        as_of=dt.date(2022, 9, 30),
        total_mu=15.0,
        features=1,
    )
    out = write_progress_grid(pg, tmp_path / "grid.tif")
    with rasterio.open(out) as ds:
        assert ds.crs.to_epsg() == 4549
        assert ds.transform.a == 500.0 and ds.transform.e == -500.0
        assert ds.transform.c % 500 == 0 and ds.transform.f % 500 == 0
        assert float(ds.read(1, masked=True).sum()) == pytest.approx(15.0)
        assert ds.tags()["YKGEO_AS_OF"] == "2022-09-30"
    gdalinfo = shutil.which("gdalinfo") or (
        "/usr/bin/gdalinfo" if Path("/usr/bin/gdalinfo").exists() else None
    )
    if gdalinfo:
        text = subprocess.run(
            [gdalinfo, str(out)], capture_output=True, text=True, check=True
        ).stdout
        assert "CGCS2000 / 3-degree Gauss-Kruger CM 120E" in text
        assert "Pixel Size = (500.000000000000000,-500.000000000000000)" in text
        assert f"Origin = ({t.c:.15f},{t.f:.15f})" in text


# --- overlay -----------------------------------------------------------------------------------


def test_overlay_reprojects_and_has_a_legend(classes_tif: Path) -> None:
    ov = raster_overlay(classes_tif, max_size=64)
    assert ov.png_bytes[:8] == b"\x89PNG\r\n\x1a\n"
    assert ov.data_url().startswith("data:image/png;base64,")
    assert max(ov.rgba.shape[:2]) <= 64 and ov.rgba.shape[2] == 4
    (south, west), (north, east) = ov.bounds
    info = raster_info(classes_tif)
    w, s, e, n = _raster_core.to_cgcs2000_bounds(info)
    assert (south, west, north, east) == pytest.approx((s, w, n, e), abs=1e-4)
    assert dict(ov.legend) == {"耕地": "#f3e07a", "人造地表": "#d9412b"}
    assert ov.rgba[0, 0, 3] == 0  # the nodata corner is transparent
    assert ov.categorical


def test_overlay_of_a_dem_is_a_ramp(tmp_path: Path) -> None:
    z = np.linspace(100, 900, 100 * 100, dtype=np.float32).reshape(100, 100)
    path = write_raster(
        tmp_path / "dem.tif", z, crs=4490, transform=from_origin(120.0, 29.0, 0.001, 0.001)
    )
    ov = raster_overlay(path, bounds_4490=(120.02, 28.93, 120.2, 29.5), max_size=50)
    assert not ov.categorical and len(ov.legend) == 5
    (_south, west), (north, _east) = ov.bounds
    assert west == pytest.approx(120.02, abs=1e-6) and north == pytest.approx(29.0, abs=1e-6)
    assert (ov.rgba[..., 3] == 255).all()


# --- bad input ---------------------------------------------------------------------------------


def test_raster_without_crs(tmp_path: Path, classes_tif: Path) -> None:
    path = write_raster(tmp_path / "nocrs.tif", np.zeros((5, 5), np.uint8), crs=None)
    with pytest.raises(RasterError, match="没有坐标系"):
        zonal_stats(path, gk(box_px(0, 0, 1, 1)))


def test_raster_in_legacy_or_local_crs(tmp_path: Path) -> None:
    xian80 = write_raster(tmp_path / "xian80.tif", np.zeros((5, 5), np.uint8), crs=2385)
    with pytest.raises(RasterError, match="西安80"):
        zonal_stats(xian80, gk(box_px(0, 0, 1, 1)))
    local = 'LOCAL_CS["工地坐标",UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'
    path = write_raster(tmp_path / "local.tif", np.zeros((5, 5), np.uint8), crs=local)
    with pytest.raises(RasterError, match="坐标系"):
        zonal_stats(path, gk(box_px(0, 0, 1, 1)))


def test_no_overlap(classes_tif: Path) -> None:
    far = gk(shapely.box(X0 + 50_000, Y0 - 50_000, X0 + 50_100, Y0 - 49_900))
    with pytest.raises(RasterError, match="没有重叠"):
        zonal_stats(classes_tif, far)


def test_corrupt_files(tmp_path: Path, classes_tif: Path) -> None:
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff at all" * 100)
    with pytest.raises(RasterError, match=r"无法读取栅格文件 junk\.tif"):
        zonal_stats(junk, gk(box_px(0, 0, 1, 1)))
    big = write_raster(
        tmp_path / "whole.tif",
        np.random.default_rng(0).integers(0, 255, (600, 600), dtype=np.uint8),
        tiled=True,
    )
    cut = tmp_path / "cut.tif"
    cut.write_bytes(big.read_bytes()[: big.stat().st_size // 3])
    with pytest.raises(RasterError, match="损坏"):
        zonal_stats(cut, gk(box_px(0, 400, 600, 600)))
    with pytest.raises(RasterError, match="找不到"):
        zonal_stats(tmp_path / "missing.tif", gk(box_px(0, 0, 1, 1)))


def test_categorical_on_float_raster(tmp_path: Path) -> None:
    path = write_raster(tmp_path / "f.tif", np.zeros((5, 5), np.float32))
    with pytest.raises(RasterError, match="浮点型"):
        zonal_stats(path, gk(box_px(0, 0, 1, 1)), categorical=True)


# --- command line ------------------------------------------------------------------------------


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from ykgeo.cli import main

    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _parcels_file(tmp_path: Path) -> Path:
    feats = gk(box_px(5.5, 10, 25, 20), box_px(25, 10, 35, 20), ids=["A1", "A2"]).to_crs(4490)
    feats["地块编号"] = feats.index
    feats["状态"] = ["已完成", "推进中"]
    path = tmp_path / "parcels.geojson"
    feats.reset_index(drop=True).to_file(path, driver="GeoJSON")
    return path


def test_cli_stats_formats(
    tmp_path: Path, classes_tif: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parcels = _parcels_file(tmp_path)
    code, out, _ = _cli(
        [
            "raster",
            "stats",
            str(classes_tif),
            "--layer",
            str(parcels),
            "--categorical",
            "--format",
            "json",
        ],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    ids = [f["id"] for f in data["features"]]
    assert ids == ["A1", "A2"]
    a1 = data["features"][0]
    assert a1["area_mu_80"] == pytest.approx(21.75, abs=1e-3) and a1["majority"] == 80
    code, out, _ = _cli(
        ["raster", "stats", str(classes_tif), "--layer", str(parcels), "--categorical"], capsys
    )
    assert code == 0 and "人造地表（亩）" in out and "A2" in out
    target = tmp_path / "stats.csv"
    code, _, _ = _cli(
        [
            "raster",
            "stats",
            str(classes_tif),
            "--layer",
            str(parcels),
            "--format",
            "csv",
            "-o",
            str(target),
        ],
        capsys,
    )
    assert code == 0 and target.read_text(encoding="utf-8-sig").startswith("地块编号,像元数")


def test_cli_change_lists_contradictions(
    change_pair: tuple[Path, Path, gpd.GeoDataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before, after, feats = change_pair
    path = tmp_path / "p.gpkg"
    out_feats = feats.to_crs(4490)
    out_feats["编号"] = out_feats.index
    out_feats.reset_index(drop=True).to_file(path, driver="GPKG")
    code, out, _ = _cli(
        [
            "raster",
            "change",
            str(before),
            str(after),
            "--layer",
            str(path),
            "--status-field",
            "状态",
            "--done",
            "已完成",
            "--date-field",
            "完成日期",
        ],
        capsys,
    )
    assert code == 0
    head, _, rest = out.partition("影像有变化但未报完成")
    assert "p_done_same" in head and "p_open_changed" in rest and "p_done_changed" not in out


def test_cli_errors_write_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parcels = _parcels_file(tmp_path)
    floaty = write_raster(tmp_path / "f.tif", np.zeros((40, 40), np.float32))
    target = tmp_path / "out.json"
    code, _, err = _cli(
        [
            "raster",
            "stats",
            str(floaty),
            "--layer",
            str(parcels),
            "--categorical",
            "--format",
            "json",
            "-o",
            str(target),
        ],
        capsys,
    )
    assert code == 2 and "浮点型" in err and "Traceback" not in err
    assert not target.exists()
    assert not list(tmp_path.glob(".out-*"))
    junk = tmp_path / "bad.tif"
    junk.write_bytes(b"\x00" * 50)
    code, _, err = _cli(["raster", "terrain", str(junk), "--layer", str(parcels)], capsys)
    assert code == 2 and "无法读取栅格文件" in err


# --- demo rasters and the demo store -----------------------------------------------------------

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "gis" / "rasters"
DEMO_STORE = Path(__file__).resolve().parent.parent / "data" / "gis" / "yongkang-demo.gpkg"
needs_demo = pytest.mark.skipif(
    not (DEMO_STORE.exists() and (DEMO_DIR / "landcover_2022.tif").exists()),
    reason="no demo store or rasters",
)


def test_demo_generation_is_deterministic(tmp_path: Path) -> None:
    from ykgeo.raster_demo import DemoRasterSpec, build_demo_rasters

    spec = DemoRasterSpec(dem_res_deg=10 / 3600, landcover_res_m=200.0)
    a = build_demo_rasters(tmp_path / "a", store_path=None, spec=spec)
    b = build_demo_rasters(tmp_path / "b", store_path=None, spec=spec)
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    info = raster_info(a[0])
    assert info.crs.to_epsg() == 4490 and info.tags["YKGEO_KIND"] == "dem"


@needs_demo
def test_demo_landcover_shows_exactly_the_planted_contradictions() -> None:
    from ykgeo.store import Store

    store = Store(DEMO_STORE)
    planted = pd.read_csv(DEMO_DIR / "landcover_contradictions.csv", encoding="utf-8-sig")
    for key in ("low_efficiency_industrial", "redevelopment"):
        spec = store.spec(key)
        gdf = store.read_layer(key, as_of=dt.date(2022, 12, 31))
        rep = reported_status(
            gdf,
            spec.status.field,
            spec.status.done,
            date_field=spec.status.date_field,
            before_date=dt.date(2021, 12, 31),
        )
        ev = change_evidence(
            DEMO_DIR / "landcover_2021.tif", DEMO_DIR / "landcover_2022.tif", gdf, reported=rep
        )
        mine = planted[planted["图层"] == key]
        stays = set(mine.loc[mine["设置"].str.startswith("已报完成"), "地块编号"])
        cleared = set(mine.loc[mine["设置"].str.startswith("未报完成"), "地块编号"])
        assert set(ev.done_without_change.index) == stays
        assert set(ev.change_not_reported.index) == cleared


@needs_demo
def test_demo_dem_storage_matches_the_listed_levels() -> None:
    from ykgeo.store import Store

    store = Store(DEMO_STORE)
    dams = store.read_layer("reservoirs")
    surf = store.read_layer("reservoir_surfaces")
    surfaces = gpd.GeoSeries(
        surf.geometry.to_numpy(), index=surf["注册登记号"].astype(str).to_numpy(), crs=surf.crs
    )
    levels = pd.read_csv(
        DEMO_DIR / "reservoir_levels.csv", dtype={"注册登记号": str}, encoding="utf-8-sig"
    ).set_index("注册登记号")
    out = reservoir_storage(
        DEMO_DIR / "yongkang_dem.tif",
        dams,
        water_level_m=levels["正常蓄水位（m）"],
        surfaces=surfaces,
    )
    assert out["closed"].all()
    np.testing.assert_allclose(
        out["storage_wan_m3"], levels.loc[out.index, "DEM 库容（万m³）"], rtol=0.03
    )


@needs_demo
def test_demo_progress_grid_totals_the_progress_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ykgeo.progress import progress_report
    from ykgeo.store import Store

    store = Store(DEMO_STORE)
    day = dt.date(2022, 9, 30)
    grid = raster.progress_grid(store, "low_efficiency_remediation", as_of=day, cell_m=1000)
    done = (
        progress_report(store, as_of=day, targets=["low_efficiency_remediation"])
        .row("low_efficiency_remediation")
        .done
    )
    assert grid.total_mu == pytest.approx(done, rel=1e-9)
    assert (grid.values[grid.values != -9999]).sum() == pytest.approx(done, rel=1e-5)
    target = tmp_path / "g.tif"
    code, out, _ = _cli(
        [
            "raster",
            "grid",
            "--target",
            "low_efficiency_remediation",
            "--cell",
            "500",
            "-o",
            str(target),
            "--as-of",
            "2022-09-30",
            "--store",
            str(DEMO_STORE),
        ],
        capsys,
    )
    assert code == 0 and target.exists() and "EPSG:4549" in out
    bad = tmp_path / "bad.tif"
    code, _, err = _cli(
        [
            "raster",
            "grid",
            "--target",
            "reservoir_safety",
            "-o",
            str(bad),
            "--store",
            str(DEMO_STORE),
        ],
        capsys,
    )
    assert code == 2 and "只支持按面积" in err and not bad.exists()
