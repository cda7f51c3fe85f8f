"""Progress reports as tables for the screen and for download: numbers stay numbers, rounded once.

The app shows these frames as they are (sorting works on the numbers) and offers each as
XLSX. Figures are rounded with the same rules as every other output
(:mod:`ykgeo.progress.output`): to the unit's decimals, township columns balanced so
they add up to the city total as printed, percentages to 0.1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ykgeo.io.sheets import xlsx_bytes
from ykgeo.progress.model import SHARE_GIVEN_ZH, SHARE_PROPORTIONAL_ZH
from ykgeo.progress.output import display_width, township_rows

if TYPE_CHECKING:
    from ykgeo.progress.model import ProgressReport, TargetProgress

__all__ = [
    "CHANGE_KINDS",
    "RATING_RULE",
    "RatingSummary",
    "compare_reports",
    "feature_table",
    "frame_to_xlsx",
    "matrix_title",
    "rating_summary",
    "target_name",
    "township_matrix",
]

#: Column headings of the drill-down table, in 中文 and English (codes never shown).
_FEATURE_HEADINGS: Mapping[str, tuple[str, str]] = {
    "id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "township": ("镇街", "Township"),
    "ledger_township": ("台账镇街", "Ledger township"),
    "status": ("状态", "Status"),
    "class_zh": ("计入情况", "Counted as"),
    "status_date": ("状态日期", "Status date"),
    "planned_date": ("计划完成", "Planned"),
    "area_mu": ("面积（亩）", "Area (mu)"),
    "ledger_area_mu": ("台账面积（亩）", "Ledger area (mu)"),
    "amount": ("计入量", "Counted"),
}
_CLASS_EN = {"done": "Done (counted)", "in_progress": "In progress", "not_started": "Not started"}
#: How a township's target was set (:data:`ykgeo.progress.SHARE_GIVEN_ZH` …), in English.
_SHARE_EN = {SHARE_GIVEN_ZH: "given", SHARE_PROPORTIONAL_ZH: "pro rata"}
#: The rule behind every colour of the app and the briefing pack, in 中文 and English.
RATING_RULE: Mapping[str, str] = {
    "zh": "评级规则：已完成达到序时进度（按计划截至统计日应完成的量，且大于 0），或预计年末完成目标，为绿；"
    "预计年末完成 90% 以上为黄；其余为红。年度尚未开始或目标为 0 的不评级。"
    "镇街按其目标同样评级：计划下达的镇街目标，未下达的按全市目标以各镇街上图量分摊（按比例推算）。",
    "en": "Rating rule: green when what is done has reached the milestone curve (the share the plan "
    "expects by the date, when above 0) or the year-end forecast reaches the target; amber when "
    "the forecast reaches 90 % of it; red otherwise. Not rated before the plan year starts or "
    "when the target is 0. Townships are rated the same way against their own target: the one the "
    "plan gives them, else the city target split in proportion to what each has on the map.",
}
#: Kinds of change between two dates, in the order listed.
CHANGE_KINDS: Mapping[str, tuple[str, str]] = {
    "newly_done": ("新完成", "Newly done"),
    "setback": ("退回", "Set back"),
    "correction": ("更正", "Corrected"),
    "deleted": ("删除", "Deleted"),
}


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[1] if language == "en" else pair[0]


def target_name(
    row: TargetProgress, language: str = "zh", names_en: Mapping[str, str] | None = None
) -> str:
    """A target's name in ``language`` (English from ``names_en`` when it has one)."""
    if language == "en" and names_en and names_en.get(row.key):
        return names_en[row.key]
    return row.name_zh


def matrix_title(
    row: TargetProgress, language: str = "zh", names_en: Mapping[str, str] | None = None
) -> str:
    """The heading of a target's columns in :func:`township_matrix`: name, unit and how the
    townships' targets were set (下达: given by the plan; 按比例推算: the city target split)."""
    basis = _SHARE_EN.get(row.share_basis, row.share_basis) if language == "en" else row.share_basis
    return f"{target_name(row, language, names_en)}（{row.unit}，{basis}）"


def township_matrix(
    report: ProgressReport, *, language: str = "zh", names_en: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Done per township and target, with the two percentages its colour rests on.

    Returns
    -------
    values
        Indexed by township (every township of the report, in its order); for each target
        split by township three numeric columns headed by :func:`matrix_title`: done (balanced to the unit's decimals),
        完成率 (done / the township's share of the target, %) and 预计 (year-end forecast /
        share, %).
    ratings
        Same shape: the rating (green/amber/red/none) of each cell's township and target.
    decimals
        Decimals of each column, for display.
    """
    cols: dict[str, pd.Series] = {}
    rates: dict[str, pd.Series] = {}
    decimals: dict[str, int] = {}
    pct_done, pct_forecast = ("完成率%", "预计%") if language != "en" else ("done %", "forecast %")
    for row in report.rows:
        bt = row.by_township
        if bt is None or bt.empty or "镇街" not in bt.columns:
            continue
        rows = township_rows(row)
        index = pd.Index(
            [r["township"] for r in rows], name="镇街" if language != "en" else "Township"
        )
        title = matrix_title(row, language, names_en)
        share = np.asarray([r["target_share"] for r in rows], dtype="float64")
        forecast = np.asarray([r["forecast"] for r in rows], dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            forecast_pct = np.where(share > 0, np.round(forecast / share * 100.0, 1), np.nan)
        cols[title] = pd.Series([r["done"] for r in rows], index=index, dtype="float64")
        cols[f"{title} {pct_done}"] = pd.Series(
            [np.nan if r["pct_of_share"] is None else r["pct_of_share"] for r in rows],
            index=index,
            dtype="float64",
        )
        cols[f"{title} {pct_forecast}"] = pd.Series(forecast_pct, index=index, dtype="float64")
        rating = pd.Series([r["rating"] for r in rows], index=index, dtype="object")
        for name, places in (
            (title, row.decimals),
            (f"{title} {pct_done}", 1),
            (f"{title} {pct_forecast}", 1),
        ):
            rates[name] = rating
            decimals[name] = places
    values = pd.DataFrame(cols)
    ratings = pd.DataFrame(rates).reindex(index=values.index, columns=values.columns).fillna("none")
    return values, ratings, decimals


def feature_table(row: TargetProgress, *, language: str = "zh") -> pd.DataFrame:
    """The features behind a figure, for reading: headings in ``language``, dates as dates, 亩 to 2 decimals."""
    frame = row.features
    keep = [c for c in _FEATURE_HEADINGS if c in frame.columns]
    out = frame[keep].copy()
    if language == "en" and "class" in frame.columns and "class_zh" in out.columns:
        out["class_zh"] = frame["class"].map(_CLASS_EN).fillna(frame["class_zh"])
    for col in ("status_date", "planned_date"):
        if col in out.columns:
            out[col] = pd.to_datetime(out[col], errors="coerce").dt.date
    for col in ("area_mu", "ledger_area_mu"):
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").round(2)
    if "amount" in out.columns:
        out["amount"] = pd.to_numeric(out["amount"], errors="coerce").round(row.decimals)
    return out.rename(columns={c: _pick(_FEATURE_HEADINGS[c], language) for c in keep})


@dataclass(frozen=True)
class RatingSummary:
    """How many targets are green, amber, red and not rated, and which are red (plan order)."""

    green: int
    amber: int
    red: int
    none: int
    red_keys: tuple[str, ...]


def rating_summary(report: ProgressReport) -> RatingSummary:
    """The counts of the one-line summary at the top of 总览."""
    ratings = [r.rating for r in report.rows]
    return RatingSummary(
        green=ratings.count("green"),
        amber=ratings.count("amber"),
        red=ratings.count("red"),
        none=ratings.count("none"),
        red_keys=tuple(r.key for r in report.rows if r.rating == "red"),
    )


def compare_reports(
    now: ProgressReport,
    then: ProgressReport,
    *,
    language: str = "zh",
    names_en: Mapping[str, str] | None = None,
) -> tuple[dict[str, float], pd.DataFrame]:
    """What changed between two reports of the same plan: the gain of each target and the features behind it.

    Each feature's counted amount at ``then.as_of`` is compared with its amount at
    ``now.as_of``: newly counted (新完成), no longer counted (退回), counted with a
    different amount (更正: re-measured, overlap, ledger area) or gone from the layer
    (删除). The deltas of a target add up to its gain, so the card and the list agree.

    Returns
    -------
    gains
        Target key → done at ``now`` minus done at ``then`` (unrounded, in its unit).
    changes
        One row per changed feature: 目标, 单位, 镇街, 编号, 名称, 变化, 之前, 现在, 增减
        (headings in ``language``), largest change first within each target.
    """
    gains: dict[str, float] = {}
    frames = []
    before = {r.key: r for r in then.rows}
    for row in now.rows:
        old = before.get(row.key)
        if old is None:
            continue
        gains[row.key] = float(row.done - old.done)
        a = old.features.set_index("id")[["name", "township", "amount"]]
        b = row.features.set_index("id")[["name", "township", "amount"]]
        both = a.add_suffix("_then").join(b.add_suffix("_now"), how="outer")
        amount_then = both["amount_then"].fillna(0.0)
        amount_now = both["amount_now"].fillna(0.0)
        delta = amount_now - amount_then
        eps = 1e-9 * max(1.0, abs(row.target))
        changed = delta.abs() > eps
        if not changed.any():
            continue
        part = both[changed]
        kind = np.select(
            [
                part["amount_now"].isna(),
                (amount_then[changed] <= eps) & (amount_now[changed] > eps),
                (amount_then[changed] > eps) & (amount_now[changed] <= eps),
            ],
            ["deleted", "newly_done", "setback"],
            default="correction",
        )
        frames.append(
            pd.DataFrame(
                {
                    "target": target_name(row, language, names_en),
                    "unit": row.unit,
                    "township": part["township_now"].fillna(part["township_then"]).to_numpy(),
                    "id": part.index.to_numpy(),
                    "name": part["name_now"].fillna(part["name_then"]).to_numpy(),
                    "change": [_pick(CHANGE_KINDS[k], language) for k in kind],
                    "then": amount_then[changed].round(row.decimals).to_numpy(),
                    "now": amount_now[changed].round(row.decimals).to_numpy(),
                    "delta": delta[changed].round(row.decimals).to_numpy(),
                    "_order": -delta[changed].abs().to_numpy(),
                }
            ).sort_values("_order", kind="stable")
        )
    headings = {
        "target": ("目标", "Target"),
        "unit": ("单位", "Unit"),
        "township": ("镇街", "Township"),
        "id": ("编号", "ID"),
        "name": ("名称", "Name"),
        "change": ("变化", "Change"),
        "then": ("之前", "Before"),
        "now": ("现在", "Now"),
        "delta": ("增减", "Change in amount"),
    }
    if frames:
        changes = pd.concat(frames, ignore_index=True).drop(columns="_order")
    else:
        changes = pd.DataFrame(columns=list(headings))
    return gains, changes.rename(columns={k: _pick(v, language) for k, v in headings.items()})


def frame_to_xlsx(frame: pd.DataFrame, *, sheet: str = "表", index: bool = False) -> bytes:
    """One table as an Excel workbook: numbers as numbers, text always literal (never a formula).

    Written by :func:`ykgeo.io.xlsx_bytes`, as every spreadsheet ykgeo writes.
    """
    shown = frame.reset_index() if index else frame
    return xlsx_bytes([(sheet[:31], shown)], width=display_width, freeze="B2" if index else "A2")
