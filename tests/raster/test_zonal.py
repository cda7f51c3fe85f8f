"""Zonal statistics: exact pixel fractions, class areas in 亩, nodata, agreement with exactextract, windowed reads, bad input."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from exactextract import exact_extract
from pyproj import CRS
from rasterio.transform import from_origin
from rasterio.windows import Window

from tests.raster.conftest import (
    GEOD,
    X0,
    Y0,
    box_px,
    gk,
    write_raster,
)
from ykgeo.errors import RasterError
from ykgeo.raster import (
    sources,
    zonal_stats,
)
from ykgeo.units import m2_to_mu

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
    original = sources.BandSource.read_masked

    def counting(self: Any, x0: int, y0: int, nx: int, ny: int) -> Any:
        windows.append((x0, y0, nx, ny))
        return original(self, x0, y0, nx, ny)

    monkeypatch.setattr(sources.BandSource, "read_masked", counting)
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
