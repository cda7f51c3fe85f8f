"""The two painters of the briefing-pack maps: reportlab (vector, in the PDF) and matplotlib (300-dpi PNG)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ykgeo.report.draw import Points, draw_map
from ykgeo.report.maps import INK, MapSpec, Style, TextStyle

__all__ = ["PdfPainter", "PngPainter", "render_png"]


class PdfPainter:
    """Draws on a reportlab canvas, translated so that (0, 0) is the lower left of the map box."""

    def __init__(self, canvas: Any, regular_font: str, bold_font: str, *, clean: Any = str) -> None:
        self.canvas = canvas
        self.regular = regular_font
        self.bold = bold_font
        self.clean = clean

    def _colour(self, value: str) -> Any:
        from reportlab.lib.colors import HexColor

        return HexColor(value)

    def _path(self, parts: Sequence[npt.NDArray[np.float64]], close: bool) -> Any:
        path = self.canvas.beginPath()
        for part in parts:
            pts = np.round(part, 2).tolist()
            path.moveTo(*pts[0])
            line_to = path.lineTo
            for px, py in pts[1:]:
                line_to(px, py)
            if close:
                path.close()
        return path

    def polygons(self, rings: Sequence[Points], style: Style) -> None:
        if not rings:
            return
        c = self.canvas
        c.saveState()
        do_fill = bool(style.fill) and style.fill_opacity > 0
        do_stroke = bool(style.stroke) and style.width > 0
        if do_fill:
            c.setFillColor(self._colour(style.fill or "#000000"))
            c.setFillAlpha(style.fill_opacity)
        if do_stroke:
            c.setStrokeColor(self._colour(style.stroke or "#000000"))
            c.setStrokeAlpha(style.stroke_opacity)
            c.setLineWidth(style.width)
            c.setLineJoin(1)
            if style.dash:
                c.setDash(list(style.dash))
        c.drawPath(self._path(rings, True), fill=int(do_fill), stroke=int(do_stroke), fillMode=1)
        c.restoreState()

    def lines(self, parts: Sequence[Points], style: Style) -> None:
        if not parts:
            return
        c = self.canvas
        c.saveState()
        c.setStrokeColor(self._colour(style.stroke or INK))
        c.setStrokeAlpha(style.stroke_opacity)
        c.setLineWidth(style.width)
        c.setLineCap(1)
        c.setLineJoin(1)
        if style.dash:
            c.setDash(list(style.dash))
        c.drawPath(self._path(parts, False), fill=0, stroke=1)
        c.restoreState()

    def circles(self, centres: Points, radius: float, style: Style) -> None:
        if not len(centres):
            return
        c = self.canvas
        c.saveState()
        if style.fill:
            c.setFillColor(self._colour(style.fill))
            c.setFillAlpha(style.fill_opacity)
        if style.stroke:
            c.setStrokeColor(self._colour(style.stroke))
            c.setLineWidth(style.width)
        path = c.beginPath()
        for cx, cy in np.round(centres, 2).tolist():
            path.circle(cx, cy, radius)
        c.drawPath(path, fill=int(bool(style.fill)), stroke=int(bool(style.stroke)))
        c.restoreState()

    def text(self, x: float, y: float, text: str, style: TextStyle) -> None:
        c = self.canvas
        text = self.clean(text)
        size = style.size
        c.saveState()
        if style.anchor != "left":
            width = self.text_width(text, size, bold=style.bold)
            x -= width / 2 if style.anchor == "center" else width
        t = c.beginText(x, y)
        t.setFont(self.bold if style.bold else self.regular, size)
        if style.halo:  # a white outline under the text keeps labels readable over features
            c.setStrokeColor(self._colour("#ffffff"))
            c.setLineWidth(size * 0.28)
            c.setLineJoin(1)
            t.setTextRenderMode(1)
            t.textOut(text)
            t.setTextOrigin(x, y)
            t.setTextRenderMode(0)
        t.setFillColor(self._colour(style.color))
        t.textOut(text)
        c.drawText(t)
        c.restoreState()

    def text_width(self, text: str, size: float, *, bold: bool = False) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        return float(stringWidth(text, self.bold if bold else self.regular, size))

    @contextmanager
    def clip(self, x: float, y: float, w: float, h: float) -> Iterator[None]:
        c = self.canvas
        c.saveState()
        path = c.beginPath()
        path.rect(x, y, w, h)
        c.clipPath(path, stroke=0, fill=0)
        try:
            yield
        finally:
            c.restoreState()


class PngPainter:
    """Draws on a matplotlib Axes whose data units are points (for the 300-dpi PNG maps)."""

    def __init__(self, ax: Any, regular: Path, bold: Path, *, clean: Any = str) -> None:
        from matplotlib.font_manager import FontProperties

        self.ax = ax
        self.clean = clean
        self.regular = FontProperties(fname=str(regular))
        self.bold = FontProperties(fname=str(bold))
        self._clip: Any = None
        self._z = 1.0

    def _next_z(self) -> float:
        self._z += 0.01
        return self._z

    def _compound(self, parts: Sequence[npt.NDArray[np.float64]], close: bool) -> Any:
        from matplotlib.path import Path as MplPath

        verts = []
        codes = []
        for part in parts:
            if close:  # CLOSEPOLY ignores its own vertex: repeat the first one for it
                part = np.vstack([part, part[:1]])
            verts.append(part)
            c = np.full(len(part), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            if close:
                c[-1] = MplPath.CLOSEPOLY
            codes.append(c)
        return MplPath(np.concatenate(verts), np.concatenate(codes))

    def _apply_clip(self, artist: Any) -> None:
        if self._clip is not None:
            artist.set_clip_on(True)
            artist.set_clip_path(self._clip)

    def polygons(self, rings: Sequence[Points], style: Style) -> None:
        from matplotlib.colors import to_rgba
        from matplotlib.patches import PathPatch

        if not rings:
            return
        fill, stroke = style.fill, style.stroke
        patch = PathPatch(
            self._compound(rings, True),
            facecolor=to_rgba(fill, style.fill_opacity)
            if fill and style.fill_opacity > 0
            else "none",
            edgecolor=to_rgba(stroke, style.stroke_opacity)
            if stroke and style.width > 0
            else "none",
            linewidth=style.width,
            linestyle=(0, style.dash) if style.dash else "solid",
            joinstyle="round",
            zorder=self._next_z(),
        )
        self.ax.add_patch(patch)
        self._apply_clip(patch)

    def lines(self, parts: Sequence[Points], style: Style) -> None:
        from matplotlib.collections import LineCollection

        if not parts:
            return
        coll = LineCollection(
            list(parts),
            colors=[style.stroke or INK],
            linewidths=style.width,
            linestyles=[(0, style.dash)] if style.dash else "solid",
            alpha=style.stroke_opacity,
            capstyle="round",
            joinstyle="round",
            zorder=self._next_z(),
        )
        self.ax.add_collection(coll)
        self._apply_clip(coll)

    def circles(self, centres: Points, radius: float, style: Style) -> None:
        from matplotlib.colors import to_rgba

        if not len(centres):
            return
        # scatter sizes are in points² of the marker's bounding square: (2r)²
        coll = self.ax.scatter(
            centres[:, 0],
            centres[:, 1],
            s=(2 * radius) ** 2,
            c=[to_rgba(style.fill, style.fill_opacity) if style.fill else (0, 0, 0, 0)],
            edgecolors=[style.stroke] if style.stroke else "none",
            linewidths=style.width,
            zorder=self._next_z(),
        )
        self._apply_clip(coll)

    def text(self, x: float, y: float, text: str, style: TextStyle) -> None:
        from matplotlib import patheffects

        halo = [patheffects.withStroke(linewidth=style.size * 0.28, foreground="#ffffff")]
        artist = self.ax.text(
            x,
            y,
            self.clean(text),
            fontproperties=self.bold if style.bold else self.regular,
            fontsize=style.size,
            color=style.color,
            ha=style.anchor,
            va="baseline",
            zorder=self._next_z(),
            path_effects=halo if style.halo else None,
        )
        self._apply_clip(artist)

    def text_width(self, text: str, size: float, *, bold: bool = False) -> float:
        from matplotlib.textpath import TextPath

        props = (self.bold if bold else self.regular).copy()
        props.set_size(size)
        return float(TextPath((0, 0), text, prop=props).get_extents().x1) if text else 0.0

    @contextmanager
    def clip(self, x: float, y: float, w: float, h: float) -> Iterator[None]:
        from matplotlib.patches import Rectangle

        rect = Rectangle((x, y), w, h, transform=self.ax.transData)
        self._clip = rect
        try:
            yield
        finally:
            self._clip = None


def render_png(
    spec: MapSpec,
    path: Path,
    *,
    width: float,
    height: float,
    dpi: int,
    regular: Path,
    bold: Path,
    text_width: Any = None,
    clean: Any = str,
) -> Path:
    """Draw ``spec`` into a PNG of ``width`` × ``height`` points at ``dpi`` (no pyplot: safe in a server)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    margin = 12.0
    fig = Figure(figsize=((width + 2 * margin) / 72.0, (height + 2 * margin) / 72.0), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(-margin, width + margin)
    ax.set_ylim(-margin, height + margin)
    ax.set_axis_off()
    fig.patch.set_facecolor("#ffffff")
    painter = PngPainter(ax, regular, bold, clean=clean)
    if text_width is not None:
        painter.text_width = text_width  # type: ignore[method-assign]
    draw_map(painter, spec, width, height)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, facecolor="#ffffff")
    return path
