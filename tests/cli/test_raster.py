"""``ykgeo raster …`` on synthetic rasters: formats, contradictions, errors that write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from tests.raster.conftest import (
    box_px,
    gk,
    run_cli,
    write_raster,
)

# --- command line ------------------------------------------------------------------------------


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
    code, out, _ = run_cli(
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
    code, out, _ = run_cli(
        ["raster", "stats", str(classes_tif), "--layer", str(parcels), "--categorical"], capsys
    )
    assert code == 0 and "人造地表（亩）" in out and "A2" in out
    target = tmp_path / "stats.csv"
    code, _, _ = run_cli(
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
    code, out, _ = run_cli(
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
    code, _, err = run_cli(
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
    code, _, err = run_cli(["raster", "terrain", str(junk), "--layer", str(parcels)], capsys)
    assert code == 2 and "无法读取栅格文件" in err
