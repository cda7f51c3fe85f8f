"""Which store opens when none is named: ``--store``, ``$YKGEO_STORE``, the checkout's demo store, or a clear error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ykgeo
from ykgeo.errors import StoreError
from ykgeo.store import DEMO_STORE_IN_CHECKOUT, default_store_path, find_demo_store

CHECKOUT = Path(ykgeo.__file__).resolve().parents[1]


def _fake_checkout(root: Path) -> Path:
    store = root / DEMO_STORE_IN_CHECKOUT
    store.parent.mkdir(parents=True)
    store.write_bytes(b"")
    return store


def test_explicit_then_environment_then_checkout(tmp_path: Path) -> None:
    env = {"YKGEO_STORE": str(tmp_path / "env.gpkg")}
    assert default_store_path(tmp_path / "a.gpkg", environ=env) == tmp_path / "a.gpkg"
    assert default_store_path("  ", environ=env) == tmp_path / "env.gpkg"
    assert default_store_path(None, environ=env) == tmp_path / "env.gpkg"
    assert default_store_path(None, environ={"YKGEO_STORE": " "}, cwd=tmp_path) == (
        find_demo_store(cwd=tmp_path)
    )


def test_the_checkout_is_found_above_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ykgeo.store.location.DEMO_STORE", tmp_path / "no-source-tree.gpkg")
    store = _fake_checkout(tmp_path / "checkout")
    deep = tmp_path / "checkout" / "reports" / "2022"
    deep.mkdir(parents=True)
    assert find_demo_store(cwd=deep) == store.resolve()
    assert default_store_path(None, environ={}, cwd=deep) == store.resolve()
    assert find_demo_store(cwd=tmp_path) is None


def _installed_copy(site: Path) -> Path:
    """This package copied outside any checkout, as a wheel installs it into site-packages."""
    shutil.copytree(
        CHECKOUT / "ykgeo", site / "ykgeo", ignore=shutil.ignore_patterns("__pycache__")
    )
    return site


def _store_from_installed(site: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "from ykgeo.errors import StoreError\n"
        "from ykgeo.store import default_store_path\n"
        "import ykgeo.store.location as loc\n"
        f"assert loc.__file__.startswith({str(site)!r}), loc.__file__\n"
        "try:\n"
        "    print(default_store_path())\n"
        "except StoreError as err:\n"
        "    print('StoreError', err)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("YKGEO_STORE", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)
    return subprocess.run(
        [sys.executable, "-P", "-c", code],  # -P: the working directory is not on sys.path
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_installed_package_finds_the_checkouts_demo_store(tmp_path: Path) -> None:
    site = _installed_copy(tmp_path / "site-packages")
    checkout = tmp_path / "checkout"
    store = _fake_checkout(checkout)
    (checkout / "data").joinpath("exports").mkdir()
    run = _store_from_installed(site, checkout / "data" / "exports")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == str(store.resolve())


def test_no_store_anywhere_is_a_clear_chinese_error(tmp_path: Path) -> None:
    site = _installed_copy(tmp_path / "site-packages")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = _store_from_installed(site, elsewhere)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("StoreError 未指定项目库")
    assert "--store" in run.stdout and "YKGEO_STORE" in run.stdout
    assert "data/gis/yongkang-demo.gpkg" in run.stdout


def test_the_error_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ykgeo.store.location.DEMO_STORE", tmp_path / "nowhere.gpkg")
    with pytest.raises(StoreError, match="未指定项目库"):
        default_store_path(None, environ={}, cwd=tmp_path)
