"""The demo store's headline figures as the README quotes them, computed from the store (never typed by hand)."""

from __future__ import annotations

import datetime as dt

from ykgeo.progress import format_figure, format_target, progress_report
from ykgeo.store import Store

__all__ = ["FIGURE_DATES", "figures_table"]

#: The dates the README quotes: the half-year review and the year end.
FIGURE_DATES = (dt.date(2022, 6, 30), dt.date(2022, 12, 31))


def figures_table(store: Store) -> str:
    """A Markdown table of every 2022 target at :data:`FIGURE_DATES`, as ``ykgeo progress`` counts them.

    The figures are the progress engine's (overlaps deducted, each target's own rule) at
    the unit's decimals, the same as the app, the CLI, the XLSX and the PDF.
    """
    reports = [progress_report(store, as_of=day, year=2022) for day in FIGURE_DATES]
    head = " | ".join(f"{d:%Y-%m-%d}" for d in FIGURE_DATES)
    lines = [
        f"| target | 目标 | value | {head} | met |",
        "|---|---|---:|" + "---:|" * len(FIGURE_DATES) + ":-:|",
    ]
    for rows in zip(*(r.rows for r in reports), strict=True):
        first, last = rows[0], rows[-1]
        figures = " | ".join(format_figure(r.done, r.decimals) for r in rows)
        if last.target <= 0:
            met = "—"
        else:
            met = "yes" if (last.done >= last.target) == last.at_least else "no"
        lines.append(
            f"| `{first.key}` | {first.name_zh} | {format_target(first.target, first.decimals)} "
            f"{first.unit} | {figures} | {met} |"
        )
    return "\n".join(lines) + "\n"
