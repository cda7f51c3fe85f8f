"""``ykgeo brief`` on a small store."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.conftest import (
    small_store,
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
