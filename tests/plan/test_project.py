"""``ykgeo init``: a store of one's own, from the shipped geography or the bureau's files, refused when wrong."""

from __future__ import annotations

import sqlite3
import warnings
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from ykgeo.cli import main
from ykgeo.errors import DataError, StoreError
from ykgeo.io.sources import boundary_frame, township_frame
from ykgeo.plan import init_store


def _write_shapefile(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """A shapefile as a bureau hands it over: GBK text, CGCS2000 3° GK zone 40 (EPSG:4528)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's note on shortened field names
        frame.to_crs(4528).to_file(path, encoding="GBK")
    return path


def test_init_makes_an_empty_store_with_the_shipped_geography(tmp_path: Path) -> None:
    store, summary = init_store(tmp_path / "项目库.gpkg", name_zh="测试项目库")
    assert store.name_zh == "测试项目库"
    assert store.count("townships") == 14 and store.count("city_boundary") == 1
    assert store.plan_years() == []
    empty = [k for k in store.layer_keys() if k not in ("townships", "city_boundary")]
    assert all(store.count(k) == 0 for k in empty)
    assert len(summary.townships) == 14 and "东城街道" in summary.townships
    notes = set(store.read_layer("townships")["说明"])
    assert all("示意范围" in n for n in notes)


def test_init_leaves_one_file_in_wal_mode_that_gdal_reads(tmp_path: Path) -> None:
    """A new store runs in WAL mode from the start (readers never wait for a writer), with no
    journal, WAL or write marker left beside it, and GDAL reads it as it is."""
    path = tmp_path / "项目库.gpkg"
    init_store(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["项目库.gpkg"]
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"townships", "city_boundary"} <= set(pyogrio.list_layers(path)[:, 0])
    assert pyogrio.read_info(path, layer="townships")["features"] == 14


def test_init_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "已有.gpkg"
    path.write_bytes(b"not a store")
    with pytest.raises(StoreError, match="文件已存在"):
        init_store(path)
    assert path.read_bytes() == b"not a store"


def test_the_bureaus_own_gbk_shapefiles_in_a_gk_zone(tmp_path: Path) -> None:
    boundary = _write_shapefile(boundary_frame(), tmp_path / "市界.shp")
    towns = _write_shapefile(township_frame(), tmp_path / "镇街.shp")
    store, summary = init_store(tmp_path / "局.gpkg", boundary=boundary, townships=towns)
    assert summary.boundary_source == "市界.shp" and summary.township_source == "镇街.shp"
    names = set(store.read_layer("townships")["镇街名称"])
    assert "花街镇" in names and len(names) == 14


def test_a_boundary_that_is_not_yongkang_is_refused(tmp_path: Path) -> None:
    neighbour = boundary_frame()
    neighbour["geometry"] = neighbour.geometry.translate(0.3, 0.1)  # 30 km off: another county
    path = _write_shapefile(neighbour, tmp_path / "市界.shp")
    target = tmp_path / "新库.gpkg"
    with pytest.raises(DataError, match=r"市界\.shp 不是永康市界：与永康市界.*重合"):
        init_store(
            target, boundary=path, townships=_write_shapefile(township_frame(), tmp_path / "t.shp")
        )
    assert (
        not target.exists()
        and not list(tmp_path.glob("*.gpkg*"))
        and not list(tmp_path.glob(".*init"))
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("drop", r"市界内有 .* 亩不属于任何镇街"),
        ("overlap", r"镇街之间重叠 .* 亩（.*与.*）"),
    ],
)
def test_townships_that_do_not_tile_the_boundary_are_refused(
    tmp_path: Path, change: str, message: str
) -> None:
    towns = township_frame()
    if change == "drop":
        towns = towns.iloc[1:]
    else:
        towns.loc[towns.index[0], "geometry"] = shapely.buffer(towns.geometry.iloc[0], 0.01)
        towns = gpd.GeoDataFrame(towns, geometry="geometry", crs=4490)
        towns["geometry"] = towns.geometry.intersection(boundary_frame().geometry.iloc[0])
    path = _write_shapefile(towns, tmp_path / "镇街.shp")
    target = tmp_path / "新库.gpkg"
    with pytest.raises(DataError, match=message):
        init_store(target, townships=path)
    assert not target.exists()


def test_the_init_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "我的项目库.gpkg"
    assert main(["init", str(path), "--name", "永康市自然资源和规划局项目库"]) == 0
    out = capsys.readouterr().out
    assert "已创建项目库" in out and "镇街 14 个" in out
    assert main(["init", str(path)]) == 2
    assert "文件已存在" in capsys.readouterr().err
