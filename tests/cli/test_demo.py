"""``ykgeo demo build``: registered with its defaults, and what it prints."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from ykgeo.cli import demo as demo_cli
from ykgeo.demo import DEMO_SEED
from ykgeo.store import DEMO_STORE, Store


def test_cli_registers_demo_build(
    store_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser(prog="ykgeo")
    demo_cli.add_cli(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "x.gpkg"
    args = parser.parse_args(["demo", "build", "--seed", "2022", "-o", str(out)])
    assert args.seed == 2022 and args.output == out

    def fake_build(path: Path, *, seed: int, overwrite: bool = False) -> Store:
        shutil.copyfile(store_path, path)
        return Store(path)

    monkeypatch.setattr("ykgeo.demo.build_demo", fake_build)
    assert args.func(args) == 0
    assert "低效工业用地（low_efficiency_industrial）：" in capsys.readouterr().out
    defaults = parser.parse_args(["demo", "build"])
    assert defaults.seed == 2022 and defaults.output == DEMO_STORE
    assert demo_cli.DEMO_SEED == DEMO_SEED  # the parser's default is the builder's seed


def test_demo_build_refuses_an_existing_file_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ykgeo.cli import main

    existing = tmp_path / "project.gpkg"
    existing.write_bytes(b"a planner's store")
    assert main(["demo", "build", "-o", str(existing)]) == 2
    err = capsys.readouterr().err
    assert "文件已存在" in err and "--force" in err
    assert existing.read_bytes() == b"a planner's store"
    seen: dict[str, object] = {}

    def fake_build(path: Path, *, seed: int, overwrite: bool = False) -> Store:
        seen["overwrite"] = overwrite
        shutil.copyfile(DEMO_STORE, path)
        return Store(path)

    monkeypatch.setattr("ykgeo.demo.build_demo", fake_build)  # imported when the command runs
    assert main(["demo", "build", "--force", "-o", str(existing)]) == 0
    assert seen == {"overwrite": True}
