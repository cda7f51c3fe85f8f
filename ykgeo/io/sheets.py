"""Spreadsheets the bureau writes and reads: sheets as rows with their row numbers; cells written literally.

Reading (:func:`read_sheets`) keeps each row's spreadsheet row number, so a message can
name the sheet, row and column a planner sees in Excel.

Writing: a value from the data such as ``=HYPERLINK("http://…")`` or ``=2+2`` would become
a live formula when a spreadsheet program opens the file. As OWASP advises for CSV
injection, text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
neutralised in every spreadsheet ykgeo writes, and the stored value is never changed:

* XLSX (:func:`write_workbook` for rows, :func:`xlsx_bytes` for data frames, both through
  one cell writer): text is written as a text cell, and formula-like text also gets Excel's
  "quote prefix" style, so it shows exactly the value (``=2+2``), is not a formula, and
  stays text when someone edits the cell;
* CSV (:func:`csv_rows`, :func:`csv_cell`, :func:`csv_frame`): the value gets a leading
  apostrophe (``'=2+2``), the only defence a CSV file can carry. Numbers are left alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ykgeo.errors import DataError, EncodingError
from ykgeo.io.encoding import decode_text_file, is_missing, normalise_name

__all__ = [
    "FORMULA_TRIGGERS",
    "Sheet",
    "column_letter",
    "csv_cell",
    "csv_frame",
    "csv_rows",
    "find_column",
    "looks_like_formula",
    "read_sheets",
    "write_workbook",
    "xlsx_bytes",
]


@dataclass(frozen=True)
class Sheet:
    """One worksheet (or a CSV file) as text-or-number cells, with the spreadsheet row of each row.

    ``rows`` keeps the data rows below the header; ``row_numbers[i]`` is the row number a
    planner sees in Excel (the header is row ``header_row``), so messages can name it.
    """

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    row_numbers: tuple[int, ...]
    header_row: int = 1

    def column_index(self, name: str) -> int:
        """Position of a column (exact name)."""
        return self.columns.index(name)

    def letter(self, name: str) -> str:
        """The Excel column letter of a column (A, B, …, AA)."""
        return column_letter(self.column_index(name) + 1)

    def values(self, name: str) -> list[Any]:
        """The cells of one column, top to bottom."""
        i = self.column_index(name)
        return [r[i] if i < len(r) else None for r in self.rows]


#: Characters a worksheet cannot hold (C0 controls other than tab, newline and carriage return).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _visible(match: re.Match[str]) -> str:
    """A control character as its Unicode control picture (␇ for BEL): visible, and still literal text."""
    return chr(0x2400 + ord(match.group(0)))


def column_letter(n: int) -> str:
    """1 → A, 27 → AA."""
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def find_column(columns: Iterable[str], names: Sequence[str]) -> str | None:
    """The first column whose normalised name is one of ``names`` (full-width, case and spaces ignored).

    A column also matches when its name with a trailing unit in brackets removed matches
    (``亩均税收（万元/亩）`` matches ``亩均税收``).
    """
    wanted = [normalise_name(n) for n in names]
    normalised: dict[str, str] = {}
    for col in columns:
        key = normalise_name(col)
        normalised.setdefault(key, col)
        bare = key.split("(")[0] if key.endswith(")") else key
        normalised.setdefault(bare, col)
    for name in wanted:
        if name in normalised:
            return str(normalised[name])
    return None


def _header_row(raw: list[list[Any]], required_any: Sequence[str]) -> int:
    """The first row (0-based) holding one of the expected column names; 0 when none is found.

    Bureau sheets often carry a title row or two above the header (“2022年亩均效益评价结果”).
    """
    wanted = {normalise_name(n) for n in required_any}
    for i, row in enumerate(raw[:10]):
        names = {normalise_name(c) for c in row if isinstance(c, str)}
        bare = {n.split("(")[0] for n in names}
        if wanted & (names | bare):
            return i
    return 0


def _sheet_from_raw(name: str, raw: list[list[Any]], header_hint: Sequence[str]) -> Sheet:
    start = _header_row(raw, header_hint) if header_hint else 0
    header_cells = raw[start] if raw else []
    columns = [("" if is_missing(c) else str(c).strip()) for c in header_cells]
    while columns and not columns[-1]:
        columns.pop()
    rows: list[tuple[Any, ...]] = []
    numbers: list[int] = []
    for offset, row in enumerate(raw[start + 1 :], start=start + 2):
        cells = [None if is_missing(c) else c for c in row[: len(columns)]]
        cells += [None] * (len(columns) - len(cells))
        if all(c is None for c in cells):
            continue
        rows.append(tuple(cells))
        numbers.append(offset)
    return Sheet(name, tuple(columns), tuple(rows), tuple(numbers), header_row=start + 1)


def read_sheets(
    path: Path,
    *,
    source: str | None = None,
    header_hint: Sequence[str] | Mapping[str, Sequence[str]] = (),
    encoding: str | None = None,
) -> dict[str, Sheet]:
    """Every worksheet of an XLSX (or the one table of a CSV, named ``CSV``), by sheet name.

    ``header_hint`` names columns to expect: the header is the first of the top ten rows
    holding one of them (bureau sheets often carry a title row above the header); a
    mapping gives hints per sheet name.

    Cells keep their type as Excel stored it (numbers as numbers, text as text); a
    formula cell gives the value Excel last computed. Raises DataError for files that
    cannot be read, naming the file.
    """
    source = source or path.name
    ext = path.suffix.lower()

    def hint(name: str) -> Sequence[str]:
        if isinstance(header_hint, Mapping):
            return header_hint.get(name, ())
        return header_hint

    if not path.exists():
        msg = f"{source}：文件不存在"
        raise DataError(msg)
    try:
        if ext == ".csv":
            text, _ = decode_text_file(path.read_bytes(), encoding)
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, header=None)
            raw = frame.to_numpy(dtype=object).tolist()
            return {"CSV": _sheet_from_raw(path.stem, raw, hint("CSV"))}
        if ext in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                out: dict[str, Sheet] = {}
                for ws in book.worksheets:
                    raw = [list(r) for r in ws.iter_rows(values_only=True)]
                    out[ws.title] = _sheet_from_raw(ws.title, raw, hint(ws.title))
                return out
            finally:
                book.close()
    except EncodingError as err:
        msg = f"{source}：{err.message_zh}"
        raise EncodingError(msg) from err
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        msg = f"{source}：表格无法读取（{type(err).__name__}：{str(err)[:120]}）。请确认是 Excel 2007 及以后的 .xlsx 文件或 CSV 文件。"
        raise DataError(msg) from err
    msg = f"{source}：不支持的文件类型“{ext or '无扩展名'}”（支持 .xlsx、.csv）"
    raise DataError(msg)


# --- writing: text from the data never becomes a formula ------------------------------------

#: Leading characters that make a spreadsheet program read a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def looks_like_formula(value: object) -> bool:
    """Whether ``value`` is text a spreadsheet could take for a formula (a plain number is not)."""
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and _PLAIN_NUMBER.fullmatch(value) is None
    )


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: formula-like text gets a leading apostrophe, everything else is unchanged."""
    return "'" + value if looks_like_formula(value) else value


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are safe in a CSV file (see :func:`csv_cell`)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = [csv_cell(v) for v in out[col].tolist()]
    out.columns = [csv_cell(c) for c in out.columns]
    return out


def csv_rows(rows: Iterable[Sequence[Any]], *, lineterminator: str = "\n") -> str:
    """Rows written as CSV text with every cell made safe (see :func:`csv_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerows([[csv_cell(v) for v in row] for row in rows])
    return buffer.getvalue()


_CELL_TYPES = (bool, int, float, decimal.Decimal, dt.datetime, dt.date, dt.time, dt.timedelta)


def _cell_value(value: Any) -> Any:
    """``value`` as an XLSX cell takes it: None when missing, numbers and dates as such, anything else as text."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    elif isinstance(value, np.datetime64):
        value = None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    elif isinstance(value, np.timedelta64):
        value = None if np.isnat(value) else pd.Timedelta(value).to_pytimedelta()
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # Excel has no time zones: the wall-clock time as recorded
        return value.replace(tzinfo=None)
    return value if isinstance(value, (str, *_CELL_TYPES)) else str(value)


def _put(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write one cell: numbers and dates as they are, text literally (a text cell, never a formula).

    Formula-like text (:func:`looks_like_formula`) also gets the quote-prefix style, so
    Excel and LibreOffice keep it text when the cell is edited. Characters a worksheet
    cannot hold are shown as their control pictures. Returns the cell (None when empty).
    """
    value = _cell_value(value)
    if value is None:
        return None
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = _ILLEGAL.sub(_visible, value)
        cell.data_type = "s"  # openpyxl would store a leading "=" as a formula
        if looks_like_formula(value):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


@dataclass(frozen=True)
class _Table:
    """One worksheet to write: its rows, column widths and drop-down lists (column header → values)."""

    name: str
    header: Sequence[Any]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float] = ()
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)


def _workbook_bytes(tables: Sequence[_Table], *, freeze: str) -> bytes:
    """The one XLSX writer of ykgeo: every cell through :func:`_put`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        ws = book.create_sheet(title=table.name[:31])
        for c, name in enumerate(table.header, start=1):
            cell = _put(ws, 1, c, name)
            if cell is not None:
                cell.font = Font(bold=True)
        for r, row in enumerate(table.rows, start=2):
            for c, value in enumerate(row, start=1):
                _put(ws, r, c, value)
        ws.freeze_panes = freeze
        for c, w in enumerate(table.widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = w
        header = [str(h) for h in table.header]
        for column, allowed in table.choices.items():
            if column not in header or not allowed:
                continue
            letter = get_column_letter(header.index(column) + 1)
            formula = '"' + ",".join(allowed) + '"'
            if len(formula) > 255:  # Excel's limit for a literal list
                continue
            dv = DataValidation(type="list", formula1=formula, allow_blank=True)
            dv.add(f"{letter}2:{letter}500")
            ws.add_data_validation(dv)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_workbook(
    path: Path | None,
    sheets: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]],
    *,
    widths: Mapping[str, Sequence[int]] | None = None,
    choices: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
) -> bytes:
    """Write sheets (header, rows) to an XLSX: numbers as numbers, every text cell literally.

    A text that starts with ``=`` (or ``+``, ``-``, ``@``, a tab or a carriage return)
    stays text: it is never stored as a formula, so a firm called ``=HYPERLINK(…)`` cannot
    run anything in Excel. ``choices`` adds drop-down lists (sheet → column header →
    allowed values) for the rows below the header. Returns the bytes; also writes them to
    ``path`` when given.
    """
    data = _workbook_bytes(
        [
            _Table(
                name,
                header,
                rows,
                widths=(widths or {}).get(name, ()),
                choices=(choices or {}).get(name, {}),
            )
            for name, (header, rows) in sheets.items()
        ],
        freeze="A2",
    )
    if path is not None:
        Path(path).write_bytes(data)
    return data


def xlsx_bytes(
    sheets: Sequence[tuple[str, pd.DataFrame]],
    *,
    width: Callable[[str], int] | None = None,
    freeze: str = "A2",
) -> bytes:
    """An XLSX workbook, one sheet per (name, frame), written as :func:`write_workbook` writes.

    Numbers stay numbers and dates stay dates; text is written literally. ``width(text)
    -> int`` sizes the columns from their first 200 values (default: no sizing). Panes are
    frozen at ``freeze`` (the first row).
    """

    def widths(frame: pd.DataFrame) -> list[float]:
        if width is None:
            return []
        out: list[float] = []
        for col in frame.columns:
            sample = [str(col), *[str(v) for v in frame[col].head(200).tolist()]]
            out.append(min(max(width(s) for s in sample) + 2, 60))
        return out

    return _workbook_bytes(
        [
            _Table(
                name,
                list(frame.columns),
                frame.itertuples(index=False, name=None),
                widths=widths(frame),
            )
            for name, frame in sheets
        ],
        freeze=freeze,
    )
