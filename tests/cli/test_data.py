"""The ``ykgeo`` command line: layers, area, validate, import, export — exit codes, messages, the store left alone."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely

from ykgeo.cli import main
from ykgeo.store import Store

KEY = "low_efficiency_industrial"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ledger(tmp_path: Path, *, status: str = "推进中", name: str = "ledger.shp") -> Path:
    """A bureau-style shapefile in GK zone 40 (8-digit eastings, .prj written), GBK, with alias field names."""
    squares = [
        shapely.box(40500000 + 300 * i, 3198000, 40500100 + 300 * i, 3198100) for i in range(2)
    ]
    gdf = gpd.GeoDataFrame(
        {
            "DKBH": ["CLI-001", "CLI-002"],
            "QYMC": ["永康市命令行五金厂", "永康市测试工贸有限公司"],
            "SSZJ": ["东城街道", "东城街道"],
            "ZT": [status, "未启动"],
        },
        geometry=squares,
        crs=4528,
    )
    path = tmp_path / name
    gdf.to_file(path, encoding="GBK")
    return path


def test_layers_lists_every_layer_with_counts(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["layers", "--store", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert "low_efficiency_industrial" in out
    assert "低效工业用地" in out
    assert "数据版本 v" in out


def test_area_of_a_gk_square_is_15_mu(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _ledger(tmp_path)
    assert main(["area", str(path), "--id-field", "地块编号", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["area_mu"] for f in data["features"]] == pytest.approx([15.0, 15.0], abs=1e-3)
    assert data["total_mu"] == pytest.approx(30.0, abs=1e-3)
    assert main(["area", str(path), "--method", "gk"]) == 0
    out = capsys.readouterr().out
    assert "30.00" in out
    assert "合计" in out


def test_validate_reports_problems_with_file_feature_field(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _ledger(tmp_path, status="差不多完成了")
    code = main(["validate", str(path), "--layer", KEY, "--store", str(store_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "ledger.shp" in err
    assert "CLI-001" in err
    assert "状态" in err
    # one stream, in order: every problem on its own line, then the summary on its own line
    lines = err.rstrip("\n").split("\n")
    assert all(line.startswith(("说明：", "[错误]", "[警告]")) for line in lines[:-2])
    assert any(line.startswith("[错误]") for line in lines)
    assert lines[-1].startswith("ledger.shp：2 个要素，") and "[" not in lines[-1]
    assert lines[-2] == ""


def test_layers_into_a_closed_pipe_ends_quietly(store_path: Path) -> None:
    """``ykgeo layers | head``: the reader has gone; no BrokenPipeError traceback."""
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line
    try:
        run = subprocess.run(
            [sys.executable, "-m", "ykgeo.cli", "layers", "--store", str(store_path)],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write)
    assert "Traceback" not in run.stderr and "BrokenPipeError" not in run.stderr, run.stderr
    assert run.returncode in (0, 141)


def test_refused_import_leaves_the_store_byte_for_byte(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _sha(store_path)
    bad = _ledger(tmp_path, status="差不多完成了")
    assert main(["import", str(bad), "--layer", KEY, "--store", str(store_path)]) == 1
    assert "导入被拒绝" in capsys.readouterr().err
    corrupt = tmp_path / "corrupt.gpkg"
    corrupt.write_bytes(b"\x00not a geopackage" * 64)
    assert main(["import", str(corrupt), "--layer", KEY, "--store", str(store_path)]) == 1
    err = capsys.readouterr().err
    assert "corrupt.gpkg" in err
    assert "Traceback" not in err
    assert _sha(store_path) == before


def test_import_writes_through_the_edit_log(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _ledger(tmp_path)
    count = Store(store_path).count(KEY)
    assert (
        main(["import", str(path), "--layer", KEY, "--store", str(store_path), "--user", "张三"])
        == 0
    )
    assert "新增 2" in capsys.readouterr().out
    store = Store(store_path)
    assert store.count(KEY) == count + 2
    log = store.edit_log(layer=KEY, feature_id="CLI-001")
    assert list(log["user"]) == ["张三"]
    assert list(log["source"]) == ["ledger.shp"]
    assert store.read_layer(KEY).loc["CLI-001", "企业名称"] == "永康市命令行五金厂"


def test_export_formats(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "roads.geojson"
    assert (
        main(
            [
                "export",
                "road_projects",
                "--format",
                "geojson",
                "-o",
                str(out),
                "--store",
                str(store_path),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "crs" not in data
    assert len(data["features"]) == Store(store_path).count("road_projects")
    shp = tmp_path / "parcels.shp"
    assert (
        main(
            [
                "export",
                KEY,
                "--format",
                "shp",
                "-o",
                str(shp),
                "--encoding",
                "gbk",
                "--store",
                str(store_path),
            ]
        )
        == 0
    )
    assert "zip" in capsys.readouterr().err
    with zipfile.ZipFile(tmp_path / "parcels.zip") as zf:
        names = zf.namelist()
        assert any(n.endswith(".cpg") for n in names)
        cpg = next(n for n in names if n.endswith(".cpg"))
        assert zf.read(cpg).decode().strip().upper() == "GBK"


def test_user_errors_exit_2_without_traceback(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "export",
                "no_such_layer",
                "--format",
                "geojson",
                "-o",
                "x.geojson",
                "--store",
                str(store_path),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "未知图层" in err
    assert "Traceback" not in err
    assert main(["layers", "--store", str(store_path.with_name("missing.gpkg"))]) == 2
    assert "找不到项目库文件" in capsys.readouterr().err


def test_a_geopackage_export_opens_styled_in_qgis(
    tmp_path: Path, store_path: Path, qgis: Callable[..., dict[str, Any]]
) -> None:
    out = tmp_path / "低效工业用地.gpkg"
    args = ["export", KEY, "--format", "gpkg", "--as-of", "2022-09-30", "-o", str(out)]
    assert main([*args, "--store", str(store_path)]) == 0
    spec = Store(store_path).spec(KEY)
    seen = qgis(do="layers", path=str(out), layers=[KEY])[KEY]
    assert seen["count"] == len(Store(store_path).read_layer(KEY, as_of=dt.date(2022, 9, 30)))
    assert seen["renderer"] == "categorizedSymbol" and seen["attribute"] == "状态"
    assert [(c["value"], c["colour"]) for c in seen["categories"]] == [
        *spec.style.status_colors.items(),
        ("", "#9e9e9e"),
    ]
    assert seen["label_field"] == "企业名称"
    assert (
        seen["aliases"]["用地面积（亩）"] == "用地面积（亩）"
        and "ykgeo_version" not in seen["aliases"]
    )


def test_import_progress_bar_rate_counts_only_what_follows_its_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The bar appears once 20,000 features are written: those must not count as done in no time."""
    import re
    import time

    from ykgeo.cli.data import _progress_bar

    update = _progress_bar("导入")
    for done in (20_000, 40_000, 100_000):
        update(done, 100_000)
        time.sleep(0.05)  # 20,000 features in 0.05 s: at most 1.2 million a second
    err = capsys.readouterr().err
    assert "100000/100000" in err
    rates = [float(r) for r in re.findall(r"([0-9.]+)要素/s", err)]
    assert rates, err
    assert max(rates) < 1e7, err  # not 20,000 ÷ the microseconds since the bar appeared
