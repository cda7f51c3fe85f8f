"""Briefing packs for progress meetings: one PDF (and PNG maps for slides) with the figures of the progress engine.

``ykgeo brief --as-of 2022-09-30 -o brief.pdf`` writes, in 简体中文 on landscape A4:

1. a cover (title, as-of date, the store's data version, 生成时间, the 示意 note for demo data)
   and a contents page;
2. 目标总览: every target with its figures and the red / amber / green rating in colour;
3. 分目标进展: per target a full-page map of the city (boundary, townships, features by
   status in the app's colours, legend, scale bar, north arrow, 示意 note) and its
   township table with the counting rule;
4. 镇街图册: one page per township with its map and figures;
5. 变化情况 since ``--since`` (from :func:`ykgeo.progress.changes_between`);
6. 数据问题: overlaps, ledger township and ledger area mismatches, notes of the engine;
7. 附录: the features behind every figure.

Every number comes from :func:`ykgeo.progress.progress_report` through
:func:`ykgeo.progress.report_to_json` (the same rounding as ``ykgeo progress``), formatted
by :func:`ykgeo.progress.output.format_cells` (as ``ykgeo progress`` prints them). Maps are drawn in EPSG:4549 (GK CM 120°E),
so the scale bar is true. Text uses a TrueType subset of the installed Noto Sans CJK
(:mod:`ykgeo.report.fonts`), embedded, so every page reads the same on any computer.
"""

from __future__ import annotations

from ykgeo.progress.output import RATING_ZH, format_figure, format_pct, format_target
from ykgeo.report.brief import BriefResult, ReportError, brief_pdf_bytes, build_brief
from ykgeo.report.view import print_view, view_spec

__all__ = [
    "RATING_ZH",
    "BriefResult",
    "ReportError",
    "brief_pdf_bytes",
    "build_brief",
    "format_figure",
    "format_pct",
    "format_target",
    "print_view",
    "view_spec",
]
