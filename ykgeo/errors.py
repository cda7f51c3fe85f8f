"""One error hierarchy for ykgeo: every user-facing failure says what is wrong and where."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CRSError",
    "DataError",
    "EncodingError",
    "LayerError",
    "Problem",
    "RasterError",
    "StaleEditError",
    "StoreBusyError",
    "StoreCorruptError",
    "StoreError",
    "StoreReadOnlyError",
    "ValidationError",
    "YkgeoError",
]


class YkgeoError(Exception):
    """Root of every error ykgeo raises on purpose.

    ``message_zh`` is the Chinese text shown to planners; ``str(err)`` is the same
    text, so a CLI or log line shows it too.
    """

    def __init__(self, message_zh: str, *, message_en: str = "") -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh


class CRSError(YkgeoError, ValueError):
    """A coordinate reference system is missing, unknown, legacy or puts data outside Yongkang.

    ``suggestions`` holds the coordinate systems the data most likely are in (as accepted by
    :func:`ykgeo.crs.parse_crs_choice`, e.g. ``"EPSG:4549"``), best first, for a choice offered
    to the planner.
    """

    def __init__(
        self, message_zh: str, *, message_en: str = "", suggestions: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message_zh, message_en=message_en)
        self.suggestions = suggestions


class DataError(YkgeoError, ValueError):
    """A file or value cannot be read or does not make sense."""


class EncodingError(DataError):
    """Text in a file cannot be decoded with any plausible encoding."""


class LayerError(YkgeoError, KeyError):
    """An unknown layer key or a broken layer definition."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.message_zh


class StoreError(YkgeoError, OSError):
    """The project store cannot be opened, read or written."""


class StaleEditError(StoreError):
    """An edit was made on an older version of a feature than the store now holds."""


class StoreBusyError(StoreError):
    """Another process held the store's write lock for longer than the write would wait; nothing was written."""


class StoreReadOnlyError(StoreError):
    """The store file or its folder cannot be written (permissions, read-only medium); the file is intact."""


class StoreCorruptError(StoreError):
    """SQLite itself reports the file damaged or not a database."""


class RasterError(YkgeoError, ValueError):
    """A raster cannot be read or used as asked."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating input.

    Parameters
    ----------
    code
        Stable machine-readable code, e.g. ``"invalid_geometry"``.
    message_zh
        What is wrong, in Chinese, for the planner.
    file
        The file the problem is in (name only, never a temporary path).
    feature
        Feature id (or 1-based row number when the id is missing).
    field
        Field name concerned, if any.
    severity
        ``"error"`` blocks an import; ``"warning"`` is reported only.
    sheet, row, column
        Where in a spreadsheet (or table) the problem is: the worksheet, the row as
        Excel numbers it, and the column (``"E 列（目标值）"``).
    """

    code: str
    message_zh: str
    file: str = ""
    feature: str = ""
    field: str = ""
    severity: str = "error"
    sheet: str = ""
    row: int | None = None
    column: str = ""

    def where_zh(self) -> str:
        """The location as Chinese text: 文件、工作表、行、列、要素、字段."""
        parts = []
        if self.file:
            parts.append(f"文件 {self.file}")
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.feature:
            parts.append(self.feature if self.sheet or self.row else f"要素 {self.feature}")
        if self.column:
            parts.append(self.column)
        if self.field:
            parts.append(f"字段 {self.field}")
        return "，".join(parts)

    def __str__(self) -> str:
        where = self.where_zh()
        level = "错误" if self.severity == "error" else "警告"
        return f"[{level}] {where}：{self.message_zh}" if where else f"[{level}] {self.message_zh}"


class ValidationError(DataError):
    """Validation found one or more blocking problems; all of them are in ``problems``."""

    def __init__(self, problems: Iterable[Problem], *, file: str = "") -> None:
        self.problems: Sequence[Problem] = tuple(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{file}：" if file else ""
        lines = [f"{head}校验未通过，共 {len(errors)} 个错误"]
        lines += [str(p) for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"……另有 {len(self.problems) - 50} 条未列出")
        super().__init__("\n".join(lines))
