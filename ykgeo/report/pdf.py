"""reportlab machinery of the briefing pack: fonts, paragraph styles, tables, page templates and the map flowable."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

from ykgeo.report.draw import draw_map
from ykgeo.report.fonts import CJKFont
from ykgeo.report.maps import MapSpec
from ykgeo.report.paint import PdfPainter

__all__ = [
    "ATLAS_GAP",
    "ATLAS_MAP_WIDTH",
    "BODY_HEIGHT",
    "BODY_WIDTH",
    "PAGE_SIZE",
    "RATING_STYLE",
    "Anchor",
    "BriefDoc",
    "Contents",
    "Fonts",
    "Heading",
    "MapFlowable",
    "markup",
    "para",
    "register_fonts",
    "table",
]

PAGE_SIZE = landscape(A4)
MARGIN_X = 36.0
MARGIN_TOP = 42.0
MARGIN_BOTTOM = 34.0
BODY_WIDTH = PAGE_SIZE[0] - 2 * MARGIN_X
BODY_HEIGHT = PAGE_SIZE[1] - MARGIN_TOP - MARGIN_BOTTOM
#: Atlas pages: map frame on the left, figures on the right.
ATLAS_MAP_WIDTH = 420.0
ATLAS_GAP = 14.0
#: Frames add 6 pt of padding on every side.
FRAME_PAD = 6.0

#: Ratings as the planners know them: text (as in ``ykgeo progress``), ink and cell colour.
RATING_STYLE = {
    "green": ("#1b5e20", "#c8e6c9"),
    "amber": ("#7a5200", "#ffe082"),
    "red": ("#b71c1c", "#ffcdd2"),
    "none": ("#616161", "#eeeeee"),
}

_registration_lock = threading.Lock()
#: reportlab font name → the subset's replacement of characters it has no glyph for.
_CLEANERS: dict[str, Callable[[str], str]] = {}


@dataclass(frozen=True)
class Fonts:
    """Names under which the document's CJK subset is registered with reportlab."""

    regular: str
    bold: str
    files: CJKFont


def register_fonts(font: CJKFont) -> Fonts:
    """Register the subset (regular, bold) with reportlab once; the names are unique to the subset."""
    base = font.name.replace(" ", "")
    regular, bold = f"{base}-R", f"{base}-B"
    with _registration_lock:
        known = set(pdfmetrics.getRegisteredFontNames())
        if regular not in known:
            pdfmetrics.registerFont(TTFont(regular, str(font.regular)))
        if bold not in known:
            pdfmetrics.registerFont(TTFont(bold, str(font.bold)))
        pdfmetrics.registerFontFamily(
            regular, normal=regular, bold=bold, italic=regular, boldItalic=bold
        )
        _CLEANERS[regular] = _CLEANERS[bold] = font.clean
    return Fonts(regular, bold, font)


def _cleaner(font_name: str) -> Callable[[str], str]:
    return _CLEANERS.get(font_name, str)


class Styles:
    """Paragraph styles of the pack, all in the CJK subset with CJK line breaking."""

    def __init__(self, fonts: Fonts) -> None:
        def style(name: str, size: float, *, bold: bool = False, **kw: Any) -> ParagraphStyle:
            return ParagraphStyle(
                name,
                fontName=fonts.bold if bold else fonts.regular,
                fontSize=size,
                leading=kw.pop("leading", size * 1.45),
                wordWrap="CJK",
                textColor=colors.HexColor(kw.pop("color", "#212121")),
                **kw,
            )

        self.title = style("title", 26, bold=True, leading=36, alignment=TA_CENTER)
        self.subtitle = style("subtitle", 14, leading=22, alignment=TA_CENTER, color="#424242")
        self.cover = style("cover", 11.5, leading=19, alignment=TA_LEFT)
        self.h1 = style("h1", 16, bold=True, spaceBefore=0, spaceAfter=8)
        self.h2 = style("h2", 12.5, bold=True, spaceBefore=4, spaceAfter=4)
        self.h3 = style("h3", 10.5, bold=True, spaceBefore=6, spaceAfter=3)
        self.body = style("body", 9, leading=13.5)
        self.small = style("small", 7.8, leading=11, color="#424242")
        self.figures = style("figures", 9.5, leading=14, color="#212121")
        self.note = style(
            "note", 8.5, leading=12.5, color="#5d4037", backColor="#fff8e1", borderPadding=5
        )
        self.cell = style("cell", 7.5, leading=9.2)
        self.toc = style("toc", 9.5, leading=13)


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped: data never becomes markup)."""
    clean = _cleaner(style.fontName)
    return Paragraph(escape(clean(text)).replace("\n", "<br/>"), style)


def markup(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of reportlab markup built by the pack (data in it must be escaped by the caller)."""
    return Paragraph(_cleaner(style.fontName)(text), style)


class Heading(Paragraph):
    """A heading that records its page and becomes a PDF bookmark (level 0 or 1)."""

    def __init__(self, text: str, style: ParagraphStyle, *, level: int, key: str) -> None:
        text = _cleaner(style.fontName)(text)
        super().__init__(escape(text), style)
        self.plain_text = text
        self.level = level
        self.key = key


class Anchor(Flowable):
    """An invisible bookmark: records its page like a heading, takes no room."""

    def __init__(self, text: str, *, level: int, key: str) -> None:
        super().__init__()
        self.plain_text = text
        self.level = level
        self.key = key

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0.0, 0.0

    def draw(self) -> None:
        return


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with … so that it fits ``width`` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if pdfmetrics.stringWidth(text[:mid] + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    fonts: Fonts,
    *,
    align: Sequence[str] | None = None,
    size: float = 7.8,
    wrap: Sequence[int] = (),
    wrap_words: Sequence[int] = (),
    cell_colours: Sequence[tuple[int, int, str, str]] = (),
    bold_rows: Sequence[int] = (),
    repeat_header: bool = True,
    compact: bool = False,
) -> Table:
    """A paginating table: header repeated on every page, zebra rows, numbers right-aligned.

    Cells are plain strings drawn as they are (never markup). Columns in ``wrap`` wrap
    long text onto several lines (between any two Chinese characters); columns in
    ``wrap_words`` only at spaces, so a date such as 2022-04-22 is never split; the others
    are cut with … to their width.
    ``cell_colours`` are (row, column, ink, background) with row 0 the first data row;
    ``compact`` tightens the row padding so that more rows fit on a page.
    """
    align = list(align or ["LEFT"] * len(header))
    clean = _cleaner(fonts.regular)
    pad = 3.0
    data: list[list[Any]] = [list(header)]
    cell_style = ParagraphStyle(
        "cellwrap", fontName=fonts.regular, fontSize=size, leading=size * 1.22, wordWrap="CJK"
    )
    word_style = ParagraphStyle(
        "cellwords", fontName=fonts.regular, fontSize=size, leading=size * 1.22
    )
    for row in rows:
        out: list[Any] = []
        for j, value in enumerate(row):
            text = "" if value is None else clean(str(value))
            room = widths[j] - 2 * pad
            too_wide = pdfmetrics.stringWidth(text, fonts.regular, size) > room
            if j in wrap_words and too_wide:
                out.append(Paragraph(escape(text), word_style))
            elif j in wrap and too_wide:
                out.append(Paragraph(escape(text), cell_style))
            else:
                out.append(_fit(text, fonts.regular, size, room))
        data.append(out)
    header_row = [
        _fit(clean(h), fonts.bold, size, w - 2 * pad) for h, w in zip(header, widths, strict=True)
    ]
    data[0] = header_row
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, 0), fonts.bold, size),
        ("FONT", (0, 1), (-1, -1), fonts.regular, size),
        ("LEADING", (0, 0), (-1, -1), size * 1.25),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#37474f")),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cfd8dc")),
        ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#90a4ae")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), 1.0 if compact else 1.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6 if compact else 2.2),
    ]
    if len(data) > 2:
        commands.append(
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f5f7f8")])
        )
    for j, a in enumerate(align):
        commands.append(("ALIGN", (j, 0), (j, -1), a.upper()))
    for r in bold_rows:
        commands.append(("FONT", (0, r + 1), (-1, r + 1), fonts.bold, size))
        commands.append(("BACKGROUND", (0, r + 1), (-1, r + 1), colors.HexColor("#eceff1")))
    for r, c, ink, background in cell_colours:
        commands.append(("BACKGROUND", (c, r + 1), (c, r + 1), colors.HexColor(background)))
        commands.append(("TEXTCOLOR", (c, r + 1), (c, r + 1), colors.HexColor(ink)))
        commands.append(("FONT", (c, r + 1), (c, r + 1), fonts.bold, size))
    out_table = Table(data, colWidths=list(widths), repeatRows=1 if repeat_header else 0)
    out_table.setStyle(TableStyle(commands))
    out_table.hAlign = "LEFT"  # aligned with the text above it, like every other table
    return out_table


class MapFlowable(Flowable):
    """A map drawn with :func:`ykgeo.report.draw.draw_map`, vector, at a fixed size."""

    def __init__(
        self,
        spec: MapSpec,
        width: float,
        height: float,
        fonts: Fonts,
        *,
        png_spec: MapSpec | None = None,
        png_name: str = "",
    ) -> None:
        super().__init__()
        self.spec = spec
        self.width = width
        self.height = height
        self.fonts = fonts
        self.png_spec = png_spec or spec
        self.png_name = png_name
        self.page_number = 0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        painter = PdfPainter(
            self.canv, self.fonts.regular, self.fonts.bold, clean=self.fonts.files.clean
        )
        draw_map(painter, self.spec, self.width, self.height)


@dataclass
class PageFurniture:
    """Running header and footer text, and what the layout found: headings and contents slots."""

    left: str
    right: str
    footer_note: str
    pages: int = 0
    headings: list[tuple[int, str, int, str]] = field(default_factory=list)
    slots: list[tuple[int, float, float, str, float]] = field(default_factory=list)


class _LateCanvas(Canvas):
    """A canvas that finishes its pages only at the end, when the page total is known.

    Then it writes what a single layout pass cannot know in time: 第 n 页 / 共 N 页
    in every footer, the page numbers on the contents page (slots recorded by
    :class:`Contents`), and the bookmarks (their page references are made as each
    page is finally written).
    """

    def __init__(self, *args: Any, furniture: PageFurniture, fonts: Fonts, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._furniture = furniture
        self._fonts = fonts
        self._page_states: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        f = self._furniture
        total = len(self._page_states)
        f.pages = total
        page_of = {key: page for _, _, page, key in f.headings}
        for number, state in enumerate(self._page_states, start=1):
            self.__dict__.update(state)
            self.saveState()
            self.setFont(self._fonts.regular, 7.5)
            self.setFillColor(colors.HexColor("#616161"))
            self.drawCentredString(PAGE_SIZE[0] / 2, 16, f"第 {number} 页 / 共 {total} 页")
            if f.footer_note:
                self.drawString(MARGIN_X, 16, f.footer_note)
            for page, x, y, key, size in f.slots:
                if page == number and key in page_of:
                    self.setFont(self._fonts.regular, size)
                    self.setFillColor(colors.HexColor("#212121"))
                    self.drawRightString(x, y, str(page_of[key]))
            self.restoreState()
            for level, text, page, key in f.headings:
                if page == number:
                    self.bookmarkPage(key)
                    self.addOutlineEntry(text, key, level=level)
            Canvas.showPage(self)
        Canvas.save(self)


class Contents(Flowable):
    """The contents page: entries in two columns; page numbers are written by :class:`_LateCanvas`."""

    def __init__(
        self,
        entries: Sequence[tuple[int, str, str]],
        fonts: Fonts,
        width: float,
        *,
        size: float = 9.0,
    ) -> None:
        super().__init__()
        self.entries = list(entries)
        self.fonts = fonts
        self.width = width
        self.size = size
        self.leading = size * 1.55
        self.rows = (len(self.entries) + 1) // 2

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.rows * self.leading

    def draw(self) -> None:
        c = self.canv
        clean = _cleaner(self.fonts.regular)
        column = (self.width - 24) / 2
        slots = c._furniture.slots if isinstance(c, _LateCanvas) else []
        page = c.getPageNumber()
        for i, (level, title, key) in enumerate(self.entries):
            col, row = divmod(i, self.rows)
            x0 = col * (column + 24)
            y = (self.rows - row - 1) * self.leading + self.leading * 0.3
            font = self.fonts.bold if level == 0 else self.fonts.regular
            indent = 0 if level == 0 else 14
            c.setFont(font, self.size)
            c.setFillColor(colors.HexColor("#212121"))
            c.drawString(x0 + indent, y, _fit(clean(title), font, self.size, column - indent - 40))
            c.setStrokeColor(colors.HexColor("#cfd8dc"))
            c.setLineWidth(0.3)
            c.line(x0, y - self.leading * 0.28, x0 + column, y - self.leading * 0.28)
            abs_x, abs_y = c.absolutePosition(x0 + column, y)
            slots.append((page, abs_x, abs_y, key, self.size))


class BriefDoc(BaseDocTemplate):
    """Landscape A4 with three templates: cover, body (one frame) and atlas (map left, figures right)."""

    def __init__(self, sink: Any, fonts: Fonts, furniture: PageFurniture, **kw: Any) -> None:
        super().__init__(
            sink,
            pagesize=PAGE_SIZE,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            initialFontName=fonts.regular,
            initialFontSize=9,
            **kw,
        )
        self.fonts = fonts
        self.furniture = furniture
        body = Frame(MARGIN_X, MARGIN_BOTTOM, BODY_WIDTH, BODY_HEIGHT, id="body")
        atlas_left = Frame(MARGIN_X, MARGIN_BOTTOM, ATLAS_MAP_WIDTH, BODY_HEIGHT, id="atlas_map")
        atlas_right = Frame(
            MARGIN_X + ATLAS_MAP_WIDTH + ATLAS_GAP,
            MARGIN_BOTTOM,
            BODY_WIDTH - ATLAS_MAP_WIDTH - ATLAS_GAP,
            BODY_HEIGHT,
            id="atlas_figures",
        )
        self.addPageTemplates(
            [
                PageTemplate("cover", [body], onPage=self._cover_page),
                PageTemplate("body", [body], onPage=self._page),
                PageTemplate("atlas", [atlas_left, atlas_right], onPage=self._page),
            ]
        )

    def _page(self, canvas: Any, doc: Any) -> None:
        f = self.furniture
        canvas.saveState()
        canvas.setFont(self.fonts.regular, 7.5)
        canvas.setFillColor(colors.HexColor("#616161"))
        canvas.drawString(MARGIN_X, PAGE_SIZE[1] - 24, f.left)
        canvas.drawRightString(PAGE_SIZE[0] - MARGIN_X, PAGE_SIZE[1] - 24, f.right)
        canvas.setStrokeColor(colors.HexColor("#b0bec5"))
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, PAGE_SIZE[1] - 29, PAGE_SIZE[0] - MARGIN_X, PAGE_SIZE[1] - 29)
        canvas.restoreState()

    def _cover_page(self, canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#1b3a4b"))
        canvas.rect(0, PAGE_SIZE[1] - 14, PAGE_SIZE[0], 14, stroke=0, fill=1)
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 - reportlab's hook name
        page = self.canv.getPageNumber()
        if isinstance(flowable, MapFlowable):
            flowable.page_number = page
        if isinstance(flowable, Heading | Anchor):
            self.furniture.headings.append(
                (flowable.level, flowable.plain_text, page, flowable.key)
            )


def build_document(
    sink: Any,
    story: list[Flowable],
    fonts: Fonts,
    furniture: PageFurniture,
    *,
    metadata: dict[str, str],
) -> PageFurniture:
    """Lay out and write the story in one pass; returns ``furniture`` with the pages and headings found."""
    doc = BriefDoc(
        sink,
        fonts,
        furniture,
        title=metadata.get("title", ""),
        author=metadata.get("author", ""),
        subject=metadata.get("subject", ""),
        creator="ykgeo",
    )
    doc.build(story, canvasmaker=partial(_LateCanvas, furniture=furniture, fonts=fonts))
    return furniture
