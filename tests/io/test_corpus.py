"""The field corpus: ``ykgeo area`` and ``ykgeo validate`` on real third-party files and on bureau-style
files of our own making. Every file ends in an expected outcome class, never in a traceback.

Third-party files come from published packages (see ``tests/data/corpus/manifest.toml``) and are
fetched by ``tests/data/corpus/materialise.py`` (``.ci/run`` does it before ``make test``); in CI a
missing corpus fails, locally it skips with the command to run.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.io.corpus_bureau import BureauFile, build_bureau_files, bureau_files
from ykgeo.cli import main
from ykgeo.store import DEMO_STORE

KEY = "low_efficiency_industrial"
_MATERIALISE = Path(__file__).parents[1] / "data" / "corpus" / "materialise.py"


def _materialise_module() -> Any:
    spec = importlib.util.spec_from_file_location("corpus_materialise", _MATERIALISE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


corpus = _materialise_module()
MANIFEST = corpus.load_manifest()


@dataclass(frozen=True)
class Outcome:
    """What one command did with one file."""

    kind: str  # "accepted", "refused" or "crash"
    code: int
    out: str
    err: str


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    code = main(argv)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    if code == 3 or "Traceback" in text:
        kind = "crash"
    elif argv[0] == "area":
        kind = "accepted" if code == 0 else "refused"
    else:  # validate: a refused file is one problem naming the file only (no feature, no field)
        file_level = re.search(r"^\[错误\] 文件 [^，：\n]+：", captured.err, flags=re.M)
        kind = "refused" if file_level else "accepted"
    return Outcome(kind, code, captured.out, captured.err)


@pytest.fixture(autouse=True)
def _log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Unexpected errors and stray warnings go to this log: it must stay empty."""
    log = tmp_path / "ykgeo.log"
    monkeypatch.setenv("YKGEO_LOG", str(log))
    return log


def _check(
    path: Path,
    options: list[str],
    expected: dict[str, tuple[str, str]],
    capsys: pytest.CaptureFixture[str],
    log: Path,
) -> None:
    """Run area and validate; each must end in its (class, pattern), name the file when refusing."""
    commands = {
        "area": ["area", str(path), *options],
        "validate": ["validate", str(path), "--layer", KEY, "--store", str(DEMO_STORE), *options],
    }
    for name, argv in commands.items():
        kind, pattern = expected[name]
        outcome = _run(argv, capsys)
        shown = f"{name} {path.name}: exit {outcome.code}\n{outcome.out}{outcome.err}"
        assert outcome.kind != "crash", shown
        assert outcome.kind == kind, shown
        assert "Warning" not in outcome.err, shown
        if outcome.kind == "refused":
            assert path.name in outcome.err, shown  # every refusal names the file
        if pattern:
            assert re.search(pattern, outcome.out + outcome.err), f"{pattern!r} not in\n{shown}"
    assert not log.exists(), log.read_text(encoding="utf-8")


def _corpus_root() -> Path:
    if corpus.is_ready():
        return Path(corpus.cache_dir())
    how = f"python3 {_MATERIALISE.relative_to(Path(__file__).parents[2])}"
    if os.environ.get("CI"):
        pytest.fail(f"the field corpus is missing: .ci/run must run `{how}` before the tests")
    pytest.skip(f"the field corpus is not downloaded (run `{how}`)")


@pytest.mark.parametrize(
    "entry",
    MANIFEST["files"],
    ids=[f"{e['archive']}/{e['members'][0]}" for e in MANIFEST["files"]],
)
def test_third_party_file(
    entry: dict[str, Any], capsys: pytest.CaptureFixture[str], _log_file: Path
) -> None:
    path = corpus.file_path(entry, _corpus_root())
    expected = {
        "area": (entry["area"], entry.get("expect", "")),
        "validate": (entry["validate"], ""),
    }
    _check(path, [], expected, capsys, _log_file)


@pytest.fixture(scope="module")
def bureau_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bureau")
    build_bureau_files(folder)
    return folder


@pytest.mark.parametrize("case", bureau_files(), ids=[c.name for c in bureau_files()])
def test_bureau_file(
    case: BureauFile, bureau_dir: Path, capsys: pytest.CaptureFixture[str], _log_file: Path
) -> None:
    path = bureau_dir / Path(case.name).stem / case.name
    expected = {"area": (case.area, case.expect), "validate": (case.validate, case.expect)}
    _check(path, list(case.options), expected, capsys, _log_file)


def test_manifest_records_source_and_licence() -> None:
    for name, archive in MANIFEST["archives"].items():
        for key in ("registry", "package", "version", "file", "sha256", "licence", "root"):
            assert archive.get(key), f"{name} lacks {key}"
        assert archive["registry"] in ("pypi", "npm", "debian"), name
        assert re.fullmatch(r"[0-9a-f]{64}", archive["sha256"]), name
    for entry in MANIFEST["files"]:
        assert entry["archive"] in MANIFEST["archives"]
        assert entry["exercises"] and entry["area"] in ("accepted", "refused")
        assert entry["validate"] in ("accepted", "refused")
