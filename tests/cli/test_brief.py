"""``ykgeo brief`` on a small store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.report.conftest import (
    complete,
    page_texts,
    small_store,
    squash,
)
from ykgeo import cli


def test_cli_writes_the_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = small_store(tmp_path / "s.gpkg", demo=True)
    monkeypatch.setattr("ykgeo.layers.DEFAULT_LAYER_DIR", tmp_path / "layers")
    out = tmp_path / "cli.pdf"
    code = cli.main(["brief", "--store", str(store.path), "--as-of", "2022-06-30", "-o", str(out)])
    assert code == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert "已生成简报" in capsys.readouterr().err


def test_cli_known_now_counts_a_late_record_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--known-now`` counts a completion recorded after the date; without it the pack is as known then."""
    store = small_store(tmp_path / "s.gpkg", demo=True)
    complete(store, "P4", dt.date(2022, 6, 1))  # recorded now, years after the date
    monkeypatch.setattr("ykgeo.layers.DEFAULT_LAYER_DIR", tmp_path / "layers")
    base = ["brief", "--store", str(store.path), "--as-of", "2022-06-30"]
    assert cli.main([*base, "-o", str(tmp_path / "then.pdf")]) == 0
    assert "按当时所知" in capsys.readouterr().err
    assert cli.main([*base, "--known-now", "-o", str(tmp_path / "now.pdf")]) == 0
    assert "按现在所知" in capsys.readouterr().err
    then_cover = squash(page_texts(tmp_path / "then.pdf")[0])
    now_cover = squash(page_texts(tmp_path / "now.pdf")[0])
    assert "按当时所知" in then_cover and "按现在所知" in now_cover
    # by 2022-06-30 two parcels were done (30 亩); as known now P4 is too (45 亩)
    assert "完成测试地块整治 亩 60 30.00 50.0%" in squash(page_texts(tmp_path / "then.pdf")[2])
    assert "完成测试地块整治 亩 60 45.00 75.0%" in squash(page_texts(tmp_path / "now.pdf")[2])
