"""Writing a briefing pack: gather the figures and map data, lay out the story, write the PDF and PNG maps."""

from __future__ import annotations

import datetime as dt
import io
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ykgeo.errors import DataError, YkgeoError
from ykgeo.report.data import Pack, is_illustrative, load_pack_data, pack_texts
from ykgeo.report.fonts import cjk_font
from ykgeo.store import DataVersion, Store, now

if TYPE_CHECKING:
    from ykgeo.report.pdf import Fonts, MapFlowable

__all__ = ["BriefResult", "ReportError", "brief_pdf_bytes", "build_brief"]

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
    known_at: dt.datetime | None,
    sink: Any,
    png_dir: Path | None,
    dpi: int,
) -> BriefResult:
    """Gather, lay out and write one pack to ``sink`` (a path or a binary file object)."""
    try:  # reportlab only when a pack is written: the rest of ykgeo works without it
        from ykgeo.report.pdf import PageFurniture, Styles, build_document, register_fonts
        from ykgeo.report.story import build_story
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] != "reportlab":
            raise
        msg = "生成简报 PDF 需要 Python 包 reportlab（pip install reportlab），当前环境没有安装"
        raise ReportError(msg, message_en="reportlab is not installed") from err
    started = time.perf_counter()
    report, summary, changes, geo = load_pack_data(store, as_of, township, since, known_at)
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

    from ykgeo.report.paint import render_png

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
    known_at: dt.datetime | None = None,
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
    known_at
        Count the records known at this moment (按现在所知: pass
        :func:`ykgeo.store.known_now`); default the end of ``as_of`` (按当时所知), so
        a pack made again later is the same pack. The cover says which.
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
            known_at=known_at,
            sink=str(tmp),
            png_dir=png_dir,
            dpi=dpi,
        )
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return replace(result, path=output)


def brief_pdf_bytes(
    store: Store,
    *,
    as_of: dt.date,
    township: str | None = None,
    since: dt.date | None = None,
    known_at: dt.datetime | None = None,
) -> bytes:
    """The briefing pack as PDF bytes (for the app's download button); see :func:`build_brief`."""
    sink = io.BytesIO()
    _write(
        store,
        as_of=as_of,
        township=township,
        since=since,
        known_at=known_at,
        sink=sink,
        png_dir=None,
        dpi=300,
    )
    return sink.getvalue()
