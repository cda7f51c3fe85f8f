"""The ways back: replace imports that say what they delete, backups with checksums, restore, revert."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ykgeo.cli import main
from ykgeo.store import Store

KEY = "low_efficiency_industrial"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _frame(store: Store):  # type: ignore[no-untyped-def]
    return store.read_layer(KEY).drop(columns=["ykgeo_version"])


def _batch_of(out: str) -> str:
    found = re.search(r"^批次 ([0-9a-f]+)", out, flags=re.MULTILINE)
    assert found, out
    return found.group(1)


def test_replace_import_states_what_it_deletes_and_needs_yes(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(store_path)
    before = _frame(store)
    one = tmp_path / "one.geojson"
    before.iloc[[0]].reset_index(drop=True).to_file(one, driver="GeoJSON")
    digest = _sha(store_path)

    assert main(["import", str(one), "--layer", KEY, "--mode", "replace", "--store", str(store_path)]) == 1
    out = capsys.readouterr()
    assert f"替换导入将删除 低效工业用地 中不在 one.geojson 里的 {len(before) - 1} 个要素" in out.out
    assert before.index[1] in out.out  # the ids are named
    assert "--yes" in out.err
    assert _sha(store_path) == digest and Store(store_path).count(KEY) == len(before)

    assert main(["import", str(one), "--layer", KEY, "--mode", "replace", "--yes", "--store", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert f"删除 {len(before) - 1}" in out
    assert Store(store_path).count(KEY) == 1

    # the deletion goes back through the log, as a new batch
    assert main(["revert", _batch_of(out), "--user", "复核员", "--store", str(store_path)]) == 0
    assert f"{len(before) - 1} 个该批次删除的要素已恢复" in capsys.readouterr().out
    after = Store(store_path)
    restored = _frame(after)
    assert sorted(restored.index) == sorted(before.index)
    for col in before.columns.drop("geometry"):
        assert restored.loc[before.index, col].equals(before[col]), col
    assert restored.geometry.loc[before.index].geom_equals_exact(before.geometry, 0).all()
    # versions go on, the log keeps all three batches
    assert (after.read_layer(KEY).loc[before.index[1:], "ykgeo_version"] >= 2).all()


def test_revert_sets_an_edit_back_and_refuses_when_changed_later(
    store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(store_path)
    fid = _frame(store).index[0]
    old = store.read_layer(KEY).loc[fid]
    store.update_feature(KEY, fid, {"状态": "已完成", "完成日期": "2022-11-30"}, user="甲", expected_version=None)
    edit_batch = store.edit_log(feature_id=fid).iloc[-1]["batch_id"]
    store.update_feature(KEY, fid, {"备注": "后来的修改"}, user="乙", expected_version=None)
    assert main(["revert", edit_batch, "--store", str(store_path)]) == 2
    err = capsys.readouterr().err
    assert "无法撤销" in err and fid in err and "乙" in err
    later = store.edit_log(feature_id=fid).iloc[-1]["batch_id"]
    assert main(["revert", later, "--store", str(store_path)]) == 0
    assert main(["revert", edit_batch, "--store", str(store_path)]) == 0
    now_ = Store(store_path).read_layer(KEY).loc[fid]
    assert (now_["状态"], now_["备注"]) == (old["状态"], old["备注"])
    assert now_["ykgeo_version"] == old["ykgeo_version"] + 4
    # listed among the batches
    assert main(["batches", "--limit", "3", "--store", str(store_path)]) == 0
    listing = capsys.readouterr().out
    assert "撤销批次" in listing and edit_batch in listing


def test_backup_and_restore_with_a_checksum(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = tmp_path / "backups" / "b.gpkg"
    assert main(["backup", "-o", str(backup), "--store", str(store_path)]) == 0
    assert "SHA-256" in capsys.readouterr().out
    check = subprocess.run(
        ["sha256sum", "-c", backup.name + ".sha256"], cwd=backup.parent, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    info = subprocess.run(["ogrinfo", "-ro", "-so", str(backup), KEY], capture_output=True, text=True)
    assert "Feature Count: 332" in info.stdout

    store = Store(store_path)
    fid = _frame(store).index[0]
    store.update_feature(KEY, fid, {"备注": "备份之后的修改"}, user="甲", expected_version=None)
    assert main(["restore", str(backup), "--store", str(store_path)]) == 1
    out = capsys.readouterr()
    assert "备份之后的 1 条编辑记录" in out.out and "--yes" in out.err
    assert Store(store_path).read_layer(KEY).loc[fid, "备注"] == "备份之后的修改"

    assert main(["restore", str(backup), "--yes", "--store", str(store_path)]) == 0
    out = capsys.readouterr().out
    restored = Store(store_path)
    assert restored.read_layer(KEY).loc[fid, "备注"] != "备份之后的修改"
    assert restored.count(KEY) == 332
    kept = next(store_path.parent.glob("备份/*恢复前.gpkg"))
    assert kept.name in out
    assert Store(kept).read_layer(KEY).loc[fid, "备注"] == "备份之后的修改"

    # a backup changed after it was made is refused, and nothing is touched
    tampered = tmp_path / "t.gpkg"
    shutil.copy(backup, tampered)
    shutil.copy(f"{backup}.sha256", f"{tampered}.sha256")
    with tampered.open("r+b") as fh:
        fh.seek(-10, 2)
        fh.write(b"0123456789")
    digest = _sha(store_path)
    assert main(["restore", str(tampered), "--yes", "--store", str(store_path)]) == 2
    assert "SHA-256 与校验文件不符" in capsys.readouterr().err
    assert _sha(store_path) == digest
