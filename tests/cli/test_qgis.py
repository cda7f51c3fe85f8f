"""``ykgeo export-qgis`` and ``ykgeo styles``."""

from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path

import pytest

from ykgeo.cli import main
from ykgeo.store import Store


def test_export_qgis_writes_a_project_beside_the_store(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "永康项目.qgz"
    assert (
        main(
            [
                "export-qgis",
                "-o",
                str(out),
                "--store",
                str(store_path),
                "--title",
                "永康市 2022 年目标",
            ]
        )
        == 0
    )
    said = capsys.readouterr().out
    layers = len(Store(store_path).layer_keys())
    assert f"{layers} 个图层" in said and "./store.gpkg" in said
    with zipfile.ZipFile(out) as archive:
        text = archive.read("永康项目.qgs").decode("utf-8")
    assert (
        "永康市 2022 年目标" in text and "./store.gpkg|layername=low_efficiency_industrial" in text
    )


def test_export_qgis_refuses_another_suffix(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export-qgis", "-o", "x.qgs", "--store", str(store_path)]) == 2
    assert ".qgz" in capsys.readouterr().err


def test_styles_rewrites_the_store_styles_and_writes_qml_and_sld_files(
    tmp_path: Path, store_path: Path
) -> None:
    with sqlite3.connect(store_path) as conn:
        conn.execute("DELETE FROM layer_styles")
    assert main(["styles", "--store", str(store_path), "--files", str(tmp_path / "styles")]) == 0
    keys = Store(store_path).layer_keys()
    with sqlite3.connect(store_path) as conn:
        styled = {
            r[0] for r in conn.execute("SELECT f_table_name FROM layer_styles WHERE useAsDefault")
        }
    assert styled == set(keys)
    names = {p.name for p in (tmp_path / "styles").iterdir()}
    assert names == {f"{k}.{ext}" for k in keys for ext in ("qml", "sld")}
