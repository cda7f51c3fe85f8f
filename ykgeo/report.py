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
by :func:`format_figure` / :func:`format_pct`. Maps are drawn in EPSG:4549 (GK CM 120°E),
so the scale bar is true. Text uses a TrueType subset of the installed Noto Sans CJK
(:mod:`ykgeo.fonts`), embedded, so every page reads the same on any computer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ykgeo._report_data import (
    RATING_ZH,
    Pack,
    format_figure,
    format_pct,
    format_target,
    is_illustrative,
    load_pack_data,
    pack_texts,
)
from ykgeo.cli import add_store_option, parse_date
from ykgeo.errors import DataError, YkgeoError
from ykgeo.fonts import cjk_font
from ykgeo.store import DataVersion, Store, now

if TYPE_CHECKING:
    from ykgeo._report_pdf import Fonts, MapFlowable

__all__ = [
    "RATING_ZH",
    "BriefResult",
    "ReportError",
    "add_cli",
    "brief_pdf_bytes",
    "build_brief",
    "format_figure",
    "format_pct",
    "format_target",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: Size of a PNG map (points, before the dpi): a landscape slide.
_PNG_MAP_WIDTH = 770.0
_PNG_MAP_HEIGHT = 470.0
#: reportlab and matplotlib keep process-wide state (font registries): one pack at a time.
_BUILD_LOCK = threading.Lock()


class ReportError(YkgeoError, RuntimeError):
    """A briefing pack cannot be written (e.g. the PDF library is not installed)."""


@dataclass(frozen=True)
class BriefResult:
    """What :func:`build_brief` wrote.

    ``sections`` lists the bookmarks (level, title, first page); ``map_pages`` the
    pages that carry a map, in order (targets, then townships).
    """

    path: Path | None
    pages: int
    png_files: tuple[Path, ...]
    data_version: DataVersion
    sections: tuple[tuple[int, str, int], ...] = ()
    map_pages: tuple[int, ...] = ()
    seconds: float = 0.0


# --- building ---------------------------------------------------------------------------------


def _write(
    store: Store,
    *,
    as_of: dt.date,
    township: str | None,
    since: dt.date | None,
    sink: Any,
    png_dir: Path | None,
    dpi: int,
) -> BriefResult:
    """Gather, lay out and write one pack to ``sink`` (a path or a binary file object)."""
    try:  # reportlab only when a pack is written: the rest of ykgeo works without it
        from ykgeo._report_pdf import PageFurniture, Styles, build_document, register_fonts
        from ykgeo._report_story import build_story
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] != "reportlab":
            raise
        msg = "生成简报 PDF 需要 Python 包 reportlab（pip install reportlab），当前环境没有安装"
        raise ReportError(msg, message_en="reportlab is not installed") from err
    started = time.perf_counter()
    report, summary, changes, geo = load_pack_data(store, as_of, township, since)
    items = {item["key"]: item for item in summary["targets"]}
    illustrative = is_illustrative(store)
    texts = pack_texts(store, report, summary, changes, geo)
    with _BUILD_LOCK:
        font = cjk_font(texts)
        fonts = register_fonts(font)
        pack = Pack(
            store=store,
            report=report,
            summary=summary,
            items=items,
            changes=changes,
            since=since,
            geo=geo,
            illustrative=illustrative,
            generated_at=now(),
            fonts=fonts,
            styles=Styles(fonts),
        )
        if font.missing:
            logger.warning(
                "characters without a glyph, printed as '?': %s", "".join(sorted(font.missing))
            )
        scope = report.township or "全市"
        furniture = PageFurniture(
            left=f"永康市年度目标进展简报 · {scope}",
            right=f"统计日 {report.as_of.isoformat()} · {report.data_version.label_zh()}",
            footer_note="示意：演示数据" if illustrative else "",
        )
        story, flowables = build_story(pack)
        final = build_document(
            sink,
            story,
            fonts,
            furniture,
            metadata={
                "title": f"永康市年度目标进展简报（{scope}，统计日 {report.as_of.isoformat()}）",
                "author": "永康市自然资源和规划局",
                "subject": report.data_version.label_zh(),
            },
        )
        map_pages = tuple(getattr(f, "page_number", 0) for f in flowables)
        png_files: list[Path] = []
        if png_dir is not None:
            png_files = _write_pngs(flowables, png_dir, dpi, fonts)
    path = Path(sink) if isinstance(sink, str | Path) else None
    return BriefResult(
        path=path,
        pages=final.pages,
        png_files=tuple(png_files),
        data_version=report.data_version,
        sections=tuple((level, title, page) for level, title, page, _ in final.headings),
        map_pages=map_pages,
        seconds=time.perf_counter() - started,
    )


def _write_pngs(
    flowables: Sequence[MapFlowable], folder: Path, dpi: int, fonts: Fonts
) -> list[Path]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from ykgeo._report_paint import render_png

    def width_of(text: str, size: float, *, bold: bool = False) -> float:
        return float(stringWidth(text, fonts.bold if bold else fonts.regular, size))

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in flowables:
        out.append(
            render_png(
                f.png_spec,
                folder / f.png_name,
                width=_PNG_MAP_WIDTH,
                height=_PNG_MAP_HEIGHT,
                dpi=dpi,
                regular=fonts.files.regular,
                bold=fonts.files.bold,
                text_width=width_of,
                clean=fonts.files.clean,
            )
        )
    return out


def build_brief(
    store: Store,
    *,
    as_of: dt.date,
    township: str | None = None,
    since: dt.date | None = None,
    output: Path,
    png_dir: Path | None = None,
    dpi: int = 300,
) -> BriefResult:
    """Write the briefing pack for ``as_of`` to ``output`` (PDF), and the maps as PNG to ``png_dir``.

    Parameters
    ----------
    store
        The project store.
    as_of
        The date of the figures (end of that day, as the store knew it then).
    township
        Restrict the pack to one township (its figures, maps zoomed to it, its atlas page).
    since
        Add the changes between the end of this date and ``as_of``.
    output
        The PDF file to write (its folder is created).
    png_dir
        Also write every map as a PNG here (for slides).
    dpi
        Resolution of the PNG maps (the PDF is vector).

    Raises
    ------
    DataError
        ``since`` not before ``as_of``, an unknown township, or a dpi out of range.
    StoreError, FontError
        The store has no plan for the year, or no Chinese font is installed.
    """
    if not 10 <= dpi <= 1200:
        msg = f"PNG 分辨率应在 10～1200 dpi 之间（现为 {dpi}）"
        raise DataError(msg)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.writing")
    try:
        result = _write(
            store,
            as_of=as_of,
            township=township,
            since=since,
            sink=str(tmp),
            png_dir=png_dir,
            dpi=dpi,
        )
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return replace(result, path=output)


def brief_pdf_bytes(
    store: Store, *, as_of: dt.date, township: str | None = None, since: dt.date | None = None
) -> bytes:
    """The briefing pack as PDF bytes (for the app's download button); see :func:`build_brief`."""
    sink = io.BytesIO()
    _write(store, as_of=as_of, township=township, since=since, sink=sink, png_dir=None, dpi=300)
    return sink.getvalue()


# --- command line -----------------------------------------------------------------------------


def _default_as_of(store: Store) -> dt.date:
    today = now().date()
    years = store.plan_years()
    if not years:
        return today
    past = [y for y in years if y <= today.year]
    year = max(past) if past else min(years)
    return min(today, dt.date(year, 12, 31))


def _cmd_brief(args: argparse.Namespace) -> int:
    from ykgeo.store import default_store_path

    store = Store(Path(args.store) if args.store else default_store_path())
    as_of = args.as_of or _default_as_of(store)
    result = build_brief(
        store,
        as_of=as_of,
        township=args.township,
        since=args.since,
        output=Path(args.output),
        png_dir=Path(args.png) if args.png else None,
        dpi=args.dpi,
    )
    pngs = f"，地图 PNG {len(result.png_files)} 张（{args.png}）" if result.png_files else ""
    print(
        f"已生成简报 {result.path}：共 {result.pages} 页{pngs}；统计日 {as_of.isoformat()}，"
        f"{result.data_version.label_zh()}；用时 {result.seconds:.1f} 秒",
        file=sys.stderr,
    )
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``ykgeo brief`` on an argparse sub-parser collection."""
    p = subparsers.add_parser(
        "brief",
        help="生成进展简报 PDF（封面、目标总览、分目标地图、镇街图册、变化、数据问题、要素清单）",
        description="按统计日生成会议用进展简报（PDF，横向 A4），数字与 ykgeo progress 同日同版本一致；可另存地图 PNG（300 dpi）。",
    )
    p.add_argument(
        "--as-of",
        type=parse_date,
        metavar="DATE",
        help="统计日（默认：今天，或计划年度的 12 月 31 日）",
    )
    p.add_argument("--township", metavar="NAME", help="只做该镇街的简报")
    p.add_argument(
        "--since", type=parse_date, metavar="DATE", help="列出自该日以来的变化（上次简报日期）"
    )
    p.add_argument("-o", "--output", required=True, metavar="PDF", help="输出 PDF 文件")
    p.add_argument("--png", metavar="DIR", help="另将每幅地图存为 PNG 到该目录")
    p.add_argument("--dpi", type=int, default=300, help="PNG 分辨率（默认 300）")
    add_store_option(p)
    p.set_defaults(func=_cmd_brief)
