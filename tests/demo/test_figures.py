"""The figures data/gis/README.md quotes are the store's, as every output counts them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ykgeo.demo.figures import figures_table, planning_table
from ykgeo.store import DEMO_STORE, Store

README = Path(__file__).resolve().parents[2] / "data" / "gis" / "README.md"


def test_readme_figures_are_generated_from_the_store() -> None:
    if not DEMO_STORE.exists():
        pytest.fail(f"the demo store {DEMO_STORE} is missing")
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- figures:[^\n]*-->\n(.*?)<!-- /figures -->", text, re.DOTALL)
    assert block, "the README has no generated figures block"
    expected = figures_table(Store(DEMO_STORE))
    assert block.group(1) == expected, (
        "run `ykgeo demo figures` and paste its table into the README"
    )
    # the year-end figures the app and the CLI show
    assert "| 5,000 亩 | 1,922.25 | 5,208.95 | yes |" in expected
    assert "19.885" in expected


def test_readme_planning_figures_are_generated_from_the_store() -> None:
    if not DEMO_STORE.exists():
        pytest.fail(f"the demo store {DEMO_STORE} is missing")
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- planning:[^\n]*-->\n(.*?)<!-- /planning -->", text, re.DOTALL)
    assert block, "the README has no generated planning block"
    expected = planning_table(Store(DEMO_STORE))
    assert block.group(1) == expected, (
        "run `ykgeo demo figures --planning` and paste its table into the README"
    )
    assert "750 宗" in expected and "划线在第" in expected
