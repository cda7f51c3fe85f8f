"""Imports: an unchanged file logs nothing, a real change is logged, a feature edited meanwhile is not lost.

The round trips go through real files written by ``ykgeo.io.write_vector`` (Shapefile
rings clockwise, GeoJSON counter-clockwise with 7 decimals) and read back by
``validate_file``, as ``ykgeo export`` then ``ykgeo import`` do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from ykgeo.io import validate_file, write_vector
from ykgeo.store import Store
from ykgeo.store.diff import same_geometries
from ykgeo.store.imports import StoreImporter

KEY = "low_efficiency_industrial"


@pytest.fixture()
def demo_copy(store_path: Path) -> Store:
    return Store(store_path)


def _exported(store: Store, path: Path, encoding: str = "UTF-8") -> Path:
    gdf = store.read_layer(KEY).drop(columns=["ykgeo_version"]).reset_index(drop=True)
    write_vector(gdf, path, layer=KEY, encoding=encoding)
    return path


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("parcels.zip", "UTF-8"), ("parcels_gbk.zip", "GBK"), ("parcels.geojson", "UTF-8")],
)
def test_reimporting_an_unchanged_export_logs_nothing(
    demo_copy: Store, tmp_path: Path, name: str, encoding: str
) -> None:
    source = _exported(demo_copy, tmp_path / name, encoding)
    report = validate_file(source, demo_copy.spec(KEY))
    assert report.ok and report.gdf is not None
    log_before = len(demo_copy.edit_log(layer=KEY))
    versions = demo_copy.read_layer(KEY)["ykgeo_version"].copy()
    summary = demo_copy.import_features(KEY, report.gdf, user="甲", source=name)
    assert (summary.added, summary.updated, summary.removed) == (0, 0, 0)
    assert summary.unchanged == len(versions)
    assert len(demo_copy.edit_log(layer=KEY)) == log_before
    assert demo_copy.read_layer(KEY)["ykgeo_version"].equals(versions)


def test_a_real_change_in_an_exported_file_is_logged(demo_copy: Store, tmp_path: Path) -> None:
    gdf = demo_copy.read_layer(KEY).drop(columns=["ykgeo_version"])
    moved, renamed = gdf.index[0], gdf.index[1]
    gdf.loc[moved, "geometry"] = shapely.affinity.translate(gdf.loc[moved, "geometry"], xoff=1e-5)
    gdf.loc[renamed, "企业名称"] = "永康市改名后的五金厂"
    source = tmp_path / "changed.zip"
    write_vector(gdf.reset_index(drop=True), source, layer=KEY)
    report = validate_file(source, demo_copy.spec(KEY))
    assert report.gdf is not None
    summary = demo_copy.import_features(KEY, report.gdf, user="甲", source="changed.zip")
    assert (summary.updated, summary.unchanged) == (2, len(gdf) - 2)
    log = demo_copy.edit_log(layer=KEY)
    newest = log[log["batch_id"] == summary.batch_id]
    assert sorted(zip(newest["feature_id"], newest["field"], strict=True)) == sorted(
        [(moved, "geometry"), (renamed, "企业名称")]
    )


def test_geometries_are_compared_as_shapes() -> None:
    square = shapely.box(120.0, 28.9, 120.001, 28.901)
    clockwise = shapely.orient_polygons(square, exterior_cw=True)
    rotated = shapely.Polygon(list(square.exterior.coords)[2:-1] + list(square.exterior.coords)[:3])
    moved = shapely.affinity.translate(square, xoff=2e-7)
    same = same_geometries(
        [square, square, square, None, square], [clockwise, rotated, moved, None, None]
    )
    assert same.tolist() == [True, True, False, True, False]


def test_a_feature_edited_after_the_import_read_it_is_compared_again(
    demo_copy: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    gdf = demo_copy.read_layer(KEY)
    fid = gdf.index[0]
    version = int(gdf.loc[fid, "ykgeo_version"])
    incoming = gdf.drop(columns=["ykgeo_version"]).reset_index(drop=True)
    incoming.loc[0, "备注"] = "台账备注"
    prepare = StoreImporter._prepare_updates

    def edit_meanwhile(self: StoreImporter, *args: object, **kwargs: object) -> object:
        prepared = prepare(self, *args, **kwargs)  # type: ignore[arg-type]
        # another planner saves an edit after the import read the layer, before it writes
        Store(demo_copy.path).update_feature(
            KEY, fid, {"企业名称": "乙改的名称"}, user="乙", expected_version=version
        )
        return prepared

    monkeypatch.setattr(StoreImporter, "_prepare_updates", edit_meanwhile)
    summary = demo_copy.import_features(KEY, incoming, user="甲", source="台账.xlsx")
    row = demo_copy.read_layer(KEY).loc[fid]
    # compared again under the lock: the file's values against 乙's version, one version on
    assert (row["备注"], row["企业名称"]) == ("台账备注", incoming.loc[0, "企业名称"])
    assert int(row["ykgeo_version"]) == version + 2
    log = demo_copy.edit_log(layer=KEY, feature_id=fid).tail(3)
    assert log[["user", "field", "version"]].values.tolist() == [
        ["乙", "企业名称", version + 1],
        ["甲", "企业名称", version + 2],
        ["甲", "备注", version + 2],
    ] or log[["user", "field", "version"]].values.tolist() == [
        ["乙", "企业名称", version + 1],
        ["甲", "备注", version + 2],
        ["甲", "企业名称", version + 2],
    ]
    assert summary.updated == 1
