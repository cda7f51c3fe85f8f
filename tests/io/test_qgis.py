"""The QGIS project over a store (.qgz): its XML, and QGIS opening, drawing and printing it."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ykgeo.errors import DataError
from ykgeo.io import write_qgis_project
from ykgeo.io.qgis import BASEMAP_GROUP
from ykgeo.store import DEMO_STORE, Store

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "qgis"


@pytest.fixture()
def project(tmp_path: Path) -> tuple[Store, Path]:
    (tmp_path / "data").mkdir()
    store_path = tmp_path / "data" / "永康.gpkg"
    shutil.copy(DEMO_STORE, store_path)
    store = Store(store_path)
    path = tmp_path / "projects" / "永康项目.qgz"
    write_qgis_project(store, path)
    return store, path


def _qgs(path: Path) -> ET.Element:
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()
        assert name == "永康项目.qgs"
        return ET.fromstring(archive.read(name).decode("utf-8").split("\n", 1)[1])


def _expected_groups(store: Store) -> list[tuple[str, list[str]]]:
    """The app's grouping, computed here from the definitions: reference layers, then by theme."""
    specs = [store.spec(k) for k in store.layer_keys()]
    themes: dict[str, list[str]] = {}
    for spec in specs:
        if not spec.reference:
            themes.setdefault(spec.theme, []).append(spec.name_zh)
    return [(BASEMAP_GROUP, [s.name_zh for s in specs if s.reference]), *themes.items()]


def test_the_project_xml_groups_orders_and_points_at_the_store(project: tuple[Store, Path]) -> None:
    store, path = project
    root = _qgs(path)
    assert root.findtext("projectCrs/spatialrefsys/authid") == "EPSG:4549"
    tree = root.find("layer-tree-group")
    assert tree is not None
    groups = [
        (g.get("name"), [layer.get("name") for layer in g.findall("layer-tree-layer")])
        for g in tree.findall("layer-tree-group")
    ]
    assert groups == _expected_groups(store)
    order = [item.text for item in tree.iter("item")]
    basemap = [f"ykgeo_{k}" for k in store.layer_keys() if store.spec(k).reference]
    assert order[-len(basemap) :] == basemap  # drawn underneath, as the app's basemap
    sources = {ml.findtext("id"): ml.findtext("datasource") for ml in root.iter("maplayer")}
    assert sources["ykgeo_townships"] == "../data/永康.gpkg|layername=townships"
    assert all(ml.get("readOnly") == "1" for ml in root.iter("maplayer"))
    kinds = sorted(int(i.get("type", 0)) for i in root.iter("LayoutItem"))
    assert kinds == [65638, 65639, 65640, 65641, 65641, 65642, 65646]
    note = next(i for i in root.iter("LayoutItem") if i.get("id") == "note")
    assert "示意" in note.get("labelText", "") and "非法定界线" in note.get("labelText", "")


def test_only_a_qgz_is_written(project: tuple[Store, Path], tmp_path: Path) -> None:
    store, _ = project
    with pytest.raises(DataError, match=r"\.qgz"):
        write_qgis_project(store, tmp_path / "x.qgs")


def test_qgis_opens_the_project_grouped_styled_and_prints_its_layout(
    project: tuple[Store, Path], qgis: Callable[..., dict[str, Any]]
) -> None:
    store, path = project
    OUTPUT.mkdir(parents=True, exist_ok=True)
    png, pdf = OUTPUT / "layout.png", OUTPUT / "layout.pdf"
    seen = qgis(do="project", path=str(path), png=str(png), pdf=str(pdf))
    assert seen["read"] and seen["invalid"] == []
    assert seen["crs"] == "EPSG:4549" and seen["ellipsoid"] == "EPSG:1024"
    assert [tuple(g) for g in seen["groups"]] == _expected_groups(store)
    assert seen["custom_order"]
    assert seen["drawing_order"][-1] == store.spec("townships").name_zh
    shown = {store.spec(k).name_zh for k in store.layer_keys() if store.count(k)}
    assert set(seen["checked"]) == shown
    for key in store.layer_keys():
        spec = store.spec(key)
        layer = seen["layers"][spec.name_zh]
        assert layer["read_only"] and layer["count"] == store.count(key), key
        assert layer["aliases"]["ykgeo_version"] == "版本号", key
        if spec.status is not None:
            colours = [(c["value"], c["colour"]) for c in layer["categories"]]
            assert colours == [*spec.style.status_colors.items(), ("", "#9e9e9e")], key
    (layout,) = seen["layouts"]
    items = {item["kind"] + ":" + item["id"]: item for item in layout["items"]}
    assert set(items) == {
        "map:map", "legend:legend", "scalebar:scalebar", "picture:north_arrow", "label:title", "label:note",
    }  # fmt: skip
    assert items["legend:legend"]["linked"] and items["scalebar:scalebar"]["linked"]
    assert (
        items["scalebar:scalebar"]["units"] == "km" and items["scalebar:scalebar"]["segment"] == 2
    )
    assert items["picture:north_arrow"]["linked"] and items["picture:north_arrow"]["exists"]
    assert items["label:title"]["text"] == store.name_zh
    assert "示意" in items["label:note"]["text"]
    assert items["map:map"]["layers"] == len(shown)
    assert layout["png_result"] == 0 and layout["pdf_result"] == 0  # QgsLayoutExporter.Success
    assert png.stat().st_size > 100_000 and pdf.read_bytes().startswith(b"%PDF")
