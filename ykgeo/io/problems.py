"""What a validation reports: every problem of one file (file, feature, field), and how features are named in it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from ykgeo.errors import Problem, ValidationError
from ykgeo.io.encoding import coerce_field_value, printable
from ykgeo.layers import LayerSpec

__all__ = ["CheckContext", "FeatureLabels", "ValidationReport", "rows_zh"]

_SEVERITY_ZH = {"error": "错误", "warning": "警告"}


@dataclass(frozen=True, eq=False)
class ValidationReport:
    """Every problem found in one file or layer, and the (possibly repaired) features.

    Attributes
    ----------
    problems
        All problems, errors and warnings, in the order found.
    gdf
        The features checked, geometry in EPSG:4490, repaired when asked; None when unreadable.
    source
        The file name.
    notes_zh
        How the file was read and matched (encoding, CRS, renamed and dropped columns).
    crs_suggestions
        When the file was refused for its coordinate system: the systems its coordinates
        most likely are in (``"EPSG:4549"`` …), best first, to offer as a choice.
    """

    problems: tuple[Problem, ...]
    gdf: gpd.GeoDataFrame | None = None
    source: str = ""
    notes_zh: tuple[str, ...] = ()
    crs_suggestions: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Problems that block an import."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems reported only."""
        return tuple(p for p in self.problems if p.severity != "error")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def to_frame(self) -> pd.DataFrame:
        """The problems as a table with Chinese headings 级别/文件/要素/字段/问题."""
        rows = [
            (_SEVERITY_ZH.get(p.severity, p.severity), p.file, p.feature, p.field, p.message_zh)
            for p in self.problems
        ]
        return pd.DataFrame(rows, columns=["级别", "文件", "要素", "字段", "问题"], dtype=object)

    def raise_for_errors(self) -> None:
        """Raise :class:`~ykgeo.errors.ValidationError` listing every problem when there is an error."""
        if not self.ok:
            raise ValidationError(self.problems, file=self.source)


class FeatureLabels:
    """Each feature's id, or 第 N 行 (1-based) when it has none; made only for the features a problem names."""

    def __init__(self, frame: pd.DataFrame, id_field: str) -> None:
        self._ids = frame[id_field].tolist() if id_field in frame.columns else [None] * len(frame)
        self._made: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, row: int) -> str:
        label = self._made.get(row)
        if label is None:
            text = coerce_field_value(self._ids[row], "str")[1]
            label = self._made[row] = f"第 {row + 1} 行" if text is None else printable(text, 40)
        return label


@dataclass(frozen=True)
class CheckContext:
    """What every check of one validation shares: the attributes, the layer, the file, the labels."""

    frame: pd.DataFrame
    spec: LayerSpec
    source: str
    labels: FeatureLabels

    def problem(
        self,
        code: str,
        message: str,
        row: int | None = None,
        field: str = "",
        severity: str = "error",
    ) -> Problem:
        feature = self.labels[row] if row is not None else ""
        return Problem(
            code, message, file=self.source, feature=feature, field=field, severity=severity
        )


def rows_zh(rows: Sequence[int], limit: int = 10) -> str:
    """第 1、2、3 行 (1-based), the first ``limit`` of them and how many in all."""
    shown = "、".join(str(r + 1) for r in rows[:limit])
    return f"第 {shown} 行" + (f" 等 {len(rows)} 行" if len(rows) > limit else "")
