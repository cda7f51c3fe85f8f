"""The 计划 page's downloads (plan workbook, template, candidate list) carry no live formula from the data.

The page offers the bytes of :mod:`ykgeo.ui.plan_data`'s cached loaders; they are read
back here cell by cell, on a store whose plan, register and 亩均 table hold hostile text.
"""

from __future__ import annotations

from pathlib import Path

from tests._sheets import HOSTILE_TEXTS, assert_no_formula
from tests.plan.builders import CANDIDATE_TARGET, add_candidate_data
from tests.plan.conftest import make_plan_store
from ykgeo.layers import parse_plan
from ykgeo.plan import plan_data, plan_to_toml
from ykgeo.ui import plan_data as downloads


def test_the_plan_pages_workbooks_keep_hostile_text_as_text(tmp_path: Path) -> None:
    store = make_plan_store(tmp_path / "store.gpkg")
    add_candidate_data(
        store, tmp_path, owners={"Z2": HOSTILE_TEXTS[0]}, firm_names={9: HOSTILE_TEXTS[1]}
    )
    data = plan_data(store.plan(2023))
    data["name_zh"] = HOSTILE_TEXTS[2]
    data["targets"][0]["note_zh"] = HOSTILE_TEXTS[5]
    store.save_plan(parse_plan(plan_to_toml(data), name="x", layers=store.layers), user="张三")
    path, key = str(store.path), store.mtime_ns()
    assert_no_formula(downloads.plan_xlsx(path, key, 2023), {HOSTILE_TEXTS[2], HOSTILE_TEXTS[5]})
    assert_no_formula(downloads.template_xlsx(path, key, 2024), {HOSTILE_TEXTS[5]})
    assert_no_formula(
        downloads.candidates_xlsx(path, key, 2023, CANDIDATE_TARGET),
        {HOSTILE_TEXTS[0], HOSTILE_TEXTS[1]},
    )
