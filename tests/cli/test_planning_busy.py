"""The planning commands while another process holds the store's write lock: readers go on, writers say busy.

Each writing command (``plan import``, ``plan rollover``, ``mujun import``,
``candidates --adopt``) waits ``--wait`` seconds, then says 「项目库正被他人写入，请稍后重试」
(never 已损坏) and writes nothing; the reading ones (``plan list``, ``plan show``,
``mujun list``, ``candidates`` without ``--adopt``) answer at once (WAL).
"""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pytest

from tests._builders import write_lock_held
from tests.plan.builders import CANDIDATE_LAYER, CANDIDATE_TARGET, add_candidate_data
from tests.plan.conftest import make_plan_store
from tests.plan.test_evaluation import code, write_table
from ykgeo.cli import main
from ykgeo.plan import export_plan
from ykgeo.store import Store

BUSY = "项目库正被他人写入，请稍后重试"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code_ = main(list(args))
    out = capsys.readouterr()
    return code_, out.out, out.err


def _state(store: Store) -> tuple[object, ...]:
    layer = store.read_layer(CANDIDATE_LAYER)
    return (
        [v.version for v in store.plan_versions(2023)],
        store.plan_years(),
        list(store.evaluation_years()["year"]),
        sorted(layer.index),
        store.data_version().log_id,
    )


def test_planning_writes_say_busy_and_readers_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = add_candidate_data(make_plan_store(tmp_path / "store.gpkg"), tmp_path)
    plan_file = export_plan(store, 2023, tmp_path / "2023年度目标.xlsx")
    book = openpyxl.load_workbook(plan_file)
    book["目标"]["E2"] = 55  # a real amendment: 40 → 55 亩
    book.save(plan_file)
    table = write_table(tmp_path / "2023.xlsx", [[code(1), "企业1", 0.7, 20, 1.0, 15, "D"]])
    before = _state(store)
    s, w = ("--store", str(store.path)), ("--wait", "0.5")
    writes = {
        "plan import": ("plan", "import", str(plan_file), "--note", "调增", *s, *w),
        "plan rollover": ("plan", "rollover", "--from", "2023", "--to", "2024", *s, *w),
        "mujun import": ("mujun", "import", str(table), "--year", "2023", *s, *w),
        "candidates --adopt": (
            "candidates", "--year", "2023", "--target", CANDIDATE_TARGET, "--adopt", *s, *w,
        ),
    }  # fmt: skip
    reads = {
        "plan list": ("plan", "list", *s),
        "plan show": ("plan", "show", "2023", *s),
        "mujun list": ("mujun", "list", *s),
        "candidates": ("candidates", "--year", "2023", "--target", CANDIDATE_TARGET, *s),
    }
    with write_lock_held(store.path):
        for name, args in writes.items():
            start = time.monotonic()
            status, _, err = _run(capsys, *args)
            assert status == 2, (name, err)
            assert BUSY in err and "损坏" not in err, (name, err)
            assert time.monotonic() - start < 20, name
        for name, args in reads.items():
            status, out, err = _run(capsys, *args)
            assert status == 0 and out and "损坏" not in err, (name, err)
    assert _state(Store(store.path)) == before
    # with the lock released the same amendment goes through
    status, out, err = _run(capsys, *writes["plan import"])
    assert status == 0, err
    assert [v.version for v in Store(store.path).plan_versions(2023)] == [1, 2]
