"""What leaves the store cannot be turned against its reader: formulas stay text, cut text is named.

A copy of the demo store gets parcels whose id, name and note are hostile spreadsheet
values; every spreadsheet the command line writes (progress XLSX, changes CSV) is read
back cell by cell. A long note exported to a Shapefile is cut, and the command line and
the field map in the zip say so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
import shapely

from tests._sheets import assert_no_formula
from ykgeo.cli import main
from ykgeo.crs import YONGKANG_CENTRE
from ykgeo.store import TZ, Store

KEY = "low_efficiency_industrial"
HOSTILE = {
    "=2+2": '=HYPERLINK("http://127.0.0.1:9/x","点此查看")',
    "+86-579-1": "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3": "\t=1+1",
}


@pytest.fixture()
def hostile_store(store_path: Path) -> Store:
    store = Store(store_path)
    frame = store.read_layer(KEY).drop(columns=["ykgeo_version"]).iloc[:3].copy()
    x, y = YONGKANG_CENTRE
    frame["地块编号"] = list(HOSTILE)
    frame["企业名称"] = list(HOSTILE.values())
    frame["备注"] = ["=1+1", "@A1", "\r=2"]
    frame["状态"] = "已完成"
    frame["完成日期"] = "2022-06-01"
    frame.geometry = [
        shapely.box(x + 0.01 * i, y, x + 0.01 * i + 0.002, y + 0.0015) for i in range(3)
    ]
    store.import_features(
        KEY,
        frame.reset_index(drop=True),
        user="=cmd",
        source="台账.xlsx",
        recorded_at=dt.datetime(2022, 6, 2, 9, tzinfo=TZ),
    )
    return store


def test_no_formula_cell_in_the_progress_workbook(
    hostile_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "progress.xlsx"
    assert (
        main(
            [
                "progress",
                "--as-of",
                "2022-12-31",
                "--format",
                "xlsx",
                "-o",
                str(out),
                "--store",
                str(hostile_store.path),
            ]
        )
        == 0
    )
    # shown exactly as stored, as text that stays text when edited
    assert_no_formula(out, set(HOSTILE) | {HOSTILE["=2+2"]})
    # the store itself keeps the values as they were given
    assert hostile_store.read_layer(KEY).loc["=2+2", "企业名称"] == HOSTILE["=2+2"]


def test_no_formula_in_the_changes_csv(hostile_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "changes.csv"
    assert main(
        ["changes", "--since", "2022-06-01", "--until", "2022-06-30", "--format", "csv", "-o", str(out),
         "--store", str(hostile_store.path)]
    ) == 0  # fmt: skip
    cells = [c for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))) for c in row]
    assert "'=2+2" in cells and "'-2+3" in cells
    assert not any(c.startswith(("=", "@", "\t", "\r")) for c in cells)
    assert not any(c.startswith(("+", "-")) and not _is_number(c) for c in cells)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_shapefile_export_says_what_it_cut_and_the_field_map_names_it(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(store_path)
    fid = store.read_layer(KEY).index[0]
    note = "永康市五金产业园区低效用地整治" * 14 + "末尾"  # 212 characters
    store.update_feature(KEY, fid, {"备注": note}, user="甲", expected_version=None)
    for encoding, kept in (("utf-8", 84), ("gbk", 127)):
        out = tmp_path / f"parcels_{encoding}.zip"
        args = ["export", KEY, "--format", "shp", "-o", str(out), "--encoding", encoding]
        assert main([*args, "--store", str(store_path)]) == 0
        err = capsys.readouterr().err
        assert (
            f"字段 备注 有 1 个值超过 Shapefile 的 254 字节上限（{encoding.upper()}），已截断"
            in err
        )
        assert f"{fid}（{len(note)} 字 → {kept} 字）" in err
        with zipfile.ZipFile(out) as zf:
            table = zf.read("字段对照.csv").decode("utf-8-sig")
        assert (
            f"{KEY},备注,备注,1 个值超过 254 字节已截断：{fid}（{len(note)} 字 → {kept} 字）"
            in table
        )
