"""Spreadsheet cells from the data stay text: XLSX quote-prefixed text cells, CSV apostrophes (OWASP)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from ykgeo.io import csv_cell, csv_frame, csv_rows, looks_like_formula, xlsx_bytes


@pytest.mark.parametrize(
    ("value", "formula"),
    [
        ("=2+2", True),
        ('=HYPERLINK("http://x","y")', True),
        ("+1+1", True),
        ("-2+3", True),
        ("@SUM(A1)", True),
        ("\t=1", True),
        ("\r=1", True),
        ("-5", False),
        ("+86", False),
        ("1.5e3", False),
        ("永康市某厂", False),
        ("a=b", False),
        ("", False),
        (3, False),
        (None, False),
    ],
)
def test_what_looks_like_a_formula(value: object, formula: bool) -> None:
    assert looks_like_formula(value) is formula


def test_xlsx_keeps_values_and_types_and_no_formula() -> None:
    frame = pd.DataFrame(
        {
            "名称": ["=2+2", "@A1", "永康", "-x"],
            "面积（亩）": [1.5, -2.25, 0.0, 3.0],
            "日期": [dt.date(2022, 1, 1)] * 4,
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([("表", frame)], width=len)))
    sheet = book["表"]
    assert [c.value for c in sheet["A"]][1:] == ["=2+2", "@A1", "永康", "-x"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert [c.quotePrefix for c in sheet["A"]][1:] == [True, True, False, True]
    assert sheet["B3"].value == -2.25 and sheet["B3"].data_type == "n"
    assert sheet.freeze_panes == "A2"


def test_csv_cells_get_an_apostrophe_numbers_do_not() -> None:
    assert csv_cell("=2+2") == "'=2+2"
    assert csv_cell("-5") == "-5" and csv_cell(-5) == -5
    frame = csv_frame(pd.DataFrame({"=名称": ["@x", "ok"], "n": [-1, 2]}))
    assert list(frame.columns) == ["'=名称", "n"]
    rows = list(csv.reader(io.StringIO(csv_rows([["=1", "a"], ["+1+", 2]]))))
    assert rows == [["'=1", "a"], ["'+1+", "2"]]
