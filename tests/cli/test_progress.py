"""``ykgeo progress`` and ``ykgeo changes`` on small stores."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from tests.progress.conftest import (
    D,
    sample_report,
)
from ykgeo.cli.progress import add_cli
from ykgeo.errors import LayerError, YkgeoError
from ykgeo.progress import (
    progress_report,
)
from ykgeo.store import Store

# --- command line ------------------------------------------------------------------------------


def _cli(argv: list[str]) -> tuple[int, str, str]:
    """Run a registered command the way ykgeo.cli does (YkgeoError → message on stderr, exit 2)."""
    parser = argparse.ArgumentParser(prog="ykgeo")
    sub = parser.add_subparsers(dest="command", required=True)
    add_cli(sub)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            args = parser.parse_args(argv)
            try:
                code = int(args.func(args))
            except YkgeoError as exc:
                print(f"错误：{exc}", file=sys.stderr)
                code = 2
        except SystemExit as exc:  # argparse errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def test_layers_as_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI opens stores with the default layer definitions: point them at this test's."""
    monkeypatch.setattr("ykgeo.layers.DEFAULT_LAYER_DIR", tmp_path / "layers")


@pytest.mark.usefixtures("test_layers_as_default")
def test_cli_progress_json_and_changes(make_store: Callable[..., Store], tmp_path: Path) -> None:
    store, _ = sample_report(make_store)
    code, out, err = _cli(
        [
            "progress",
            "--as-of",
            "2022-02-28",
            "--store",
            str(store.path),
            "--format",
            "json",
            "--target",
            "area_t",
        ]
    )
    assert code == 0, err
    data = json.loads(out)
    assert [t["key"] for t in data["targets"]] == ["area_t"]
    assert data["targets"][0]["done"] == 30.0
    code, out, _ = _cli(
        ["progress", "--as-of", "2022-02-28", "--store", str(store.path), "--by", "township"]
    )
    assert code == 0 and "西镇" in out
    code, out, _ = _cli(
        [
            "progress",
            "--as-of",
            "2022/02/28",
            "--store",
            str(store.path),
            "--by",
            "month",
            "--target",
            "area_t",
        ]
    )
    assert code == 0 and "2022-02" in out
    xlsx = tmp_path / "out.xlsx"
    code, _, _ = _cli(
        [
            "progress",
            "--as-of",
            "2022-02-28",
            "--store",
            str(store.path),
            "--format",
            "xlsx",
            "-o",
            str(xlsx),
        ]
    )
    assert code == 0 and xlsx.exists()
    code, out, _ = _cli(
        [
            "changes",
            "--since",
            "2022-01-31",
            "--until",
            "2022-02-28",
            "--store",
            str(store.path),
            "--format",
            "json",
        ]
    )
    assert code == 0
    assert {(c["id"], c["change"]) for c in json.loads(out)["changes"]} == {
        ("X", "newly_done"),
        ("Y", "newly_done"),
        ("Z", "status_changed"),
    }


@pytest.mark.usefixtures("test_layers_as_default")
def test_cli_through_ykgeo_main(
    make_store: Callable[..., Store], capsys: pytest.CaptureFixture[str]
) -> None:
    from ykgeo.cli import main

    store, _ = sample_report(make_store)
    assert (
        main(["progress", "--as-of", "2022-02-28", "--store", str(store.path), "--format", "json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["targets"][0]["done"] == 30.0
    assert main(["progress", "--store", str(store.path), "--target", "no_such_target"]) == 2
    err = capsys.readouterr().err
    assert "没有目标 no_such_target" in err and "Traceback" not in err


@pytest.mark.usefixtures("test_layers_as_default")
def test_cli_bad_input(make_store: Callable[..., Store]) -> None:
    store, _ = sample_report(make_store)
    code, out, err = _cli(
        [
            "progress",
            "--as-of",
            "2022-02-28",
            "--store",
            str(store.path),
            "--target",
            "no_such_target",
        ]
    )
    assert code == 2 and out == ""
    assert "没有目标 no_such_target" in err and "Traceback" not in err
    code, _, err = _cli(["progress", "--as-of", "2022-13-40", "--store", str(store.path)])
    assert code == 2 and "日期格式" in err
    code, _, err = _cli(["progress", "--as-of", "2021-05-01", "--store", str(store.path)])
    assert code == 2 and "2021" in err  # no plan for 2021
    code, _, err = _cli(["progress", "--store", str(store.path), "--format", "xlsx"])
    assert code == 2 and "-o" in err
    code, _, err = _cli(["progress", "--store", str(store.path.with_name("missing.gpkg"))])
    assert code == 2 and "找不到项目库" in err
    with pytest.raises(LayerError):
        progress_report(store, as_of=D("2022-02-28"), targets=["nope"])


def test_changes_since_today_lists_todays_edit(make_store: Callable[..., Store]) -> None:
    """``--since`` is inclusive: ``--since <today>`` shows what was changed today."""
    from ykgeo.store import now

    store, _ = sample_report(make_store)
    today = now().date()
    store.update_feature(
        "parcels",
        "Z",
        {"状态": "已完成"},
        user="测试员",
        expected_version=None,
        effective_date=today,
    )
    code, out, err = _cli(
        ["changes", "--since", today.isoformat(), "--store", str(store.path), "--format", "json"]
    )
    assert code == 0, err
    assert ("Z", "newly_done") in {(c["id"], c["change"]) for c in json.loads(out)["changes"]}
    code, out, _ = _cli(["changes", "--since", today.isoformat(), "--store", str(store.path)])
    assert f"{today.isoformat()}（含当天）起" in out.splitlines()[0]
