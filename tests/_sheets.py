"""Reading back the spreadsheets ykgeo writes: no cell may be a live formula, hostile text stays text."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import openpyxl

__all__ = ["HOSTILE_TEXTS", "assert_no_formula", "workbook"]

#: Values that a spreadsheet program would run as formulas if they were written as they are (OWASP).
HOSTILE_TEXTS = (
    '=HYPERLINK("http://127.0.0.1:9/x","点此查看")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+86-579-1",
    "-2+3",
    "\t=1+1",
    "=2+2",
)


def workbook(data: bytes | Path) -> Any:
    """The workbook of an XLSX file or of its bytes, as openpyxl reads it (formulas as written)."""
    return openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)


def assert_no_formula(data: bytes | Path, hostile: Iterable[str]) -> list[Any]:
    """No cell is a formula, and each ``hostile`` value is a text cell that stays text (quote prefix).

    Returns the cells holding the hostile values (every one of them must be somewhere).
    """
    book = workbook(data)
    wanted = set(hostile)
    formulas, found = [], []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append(f"{sheet.title}!{cell.coordinate}={cell.value!r}")
                if cell.value in wanted:
                    found.append(cell)
    assert formulas == []
    assert {c.value for c in found} == wanted, wanted - {c.value for c in found}
    assert all(c.data_type == "s" and c.quotePrefix for c in found), [
        (c.coordinate, c.value, c.data_type, c.quotePrefix) for c in found
    ]
    return found
