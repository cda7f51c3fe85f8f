"""The two painters of the briefing-pack maps: reportlab (vector, in the PDF) and matplotlib (300-dpi PNG)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ykgeo.report.draw import draw_map
from ykgeo.report.maps import INK, MapSpec, TextAnchor

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

    def polygons(
        self,
        rings: Sequence[npt.NDArray[np.float64]],
        *,
        fill: str | None,
        fill_opacity: float,
        stroke: str | None,
        width: float,
        dash: tuple[float, ...] = (),
        stroke_opacity: float = 1.0,
    ) -> None:
        if not rings:
            return
        c = self.canvas
        c.saveState()
        do_fill = bool(fill) and fill_opacity > 0
        do_stroke = bool(stroke) and width > 0
        if do_fill:
            c.setFillColor(self._colour(fill or "#000000"))
            c.setFillAlpha(fill_opacity)
        if do_stroke:
            c.setStrokeColor(self._colour(stroke or "#000000"))
            c.setStrokeAlpha(stroke_opacity)
            c.setLineWidth(width)
            c.setLineJoin(1)
            if dash:
                c.setDash(list(dash))
        c.drawPath(self._path(rings, True), fill=int(do_fill), stroke=int(do_stroke), fillMode=1)
        c.restoreState()

    def lines(
        self,
        parts: Sequence[npt.NDArray[np.float64]],
        *,
        stroke: str,
        width: float,
        dash: tuple[float, ...] = (),
        opacity: float = 1.0,
    ) -> None:
        if not parts:
            return
        c = self.canvas
        c.saveState()
        c.setStrokeColor(self._colour(stroke))
        c.setStrokeAlpha(opacity)
        c.setLineWidth(width)
        c.setLineCap(1)
        c.setLineJoin(1)
        if dash:
            c.setDash(list(dash))
        c.drawPath(self._path(parts, False), fill=0, stroke=1)
        c.restoreState()

    def circles(
        self,
        centres: npt.NDArray[np.float64],
        radius: float,
        *,
        fill: str | None,
        stroke: str | None,
        width: float,
        fill_opacity: float = 1.0,
    ) -> None:
        if not len(centres):
            return
        c = self.canvas
        c.saveState()
        if fill:
            c.setFillColor(self._colour(fill))
            c.setFillAlpha(fill_opacity)
        if stroke:
            c.setStrokeColor(self._colour(stroke))
            c.setLineWidth(width)
        path = c.beginPath()
        for cx, cy in np.round(centres, 2).tolist():
            path.circle(cx, cy, radius)
        c.drawPath(path, fill=int(bool(fill)), stroke=int(bool(stroke)))
        c.restoreState()

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        color: str = INK,
        anchor: TextAnchor = "left",
        bold: bool = False,
        halo: bool = False,
    ) -> None:
        c = self.canvas
        text = self.clean(text)
        font = self.bold if bold else self.regular
        c.saveState()
        if anchor != "left":
            width = self.text_width(text, size, bold=bold)
            x -= width / 2 if anchor == "center" else width
        t = c.beginText(x, y)
        t.setFont(font, size)
        if halo:  # a white outline under the text keeps labels readable over features
            c.setStrokeColor(self._colour("#ffffff"))
            c.setLineWidth(size * 0.28)
            c.setLineJoin(1)
            t.setTextRenderMode(1)
            t.textOut(text)
            t.setTextOrigin(x, y)
            t.setTextRenderMode(0)
        t.setFillColor(self._colour(color))
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

    def polygons(
        self,
        rings: Sequence[npt.NDArray[np.float64]],
        *,
        fill: str | None,
        fill_opacity: float,
        stroke: str | None,
        width: float,
        dash: tuple[float, ...] = (),
        stroke_opacity: float = 1.0,
    ) -> None:
        from matplotlib.colors import to_rgba
        from matplotlib.patches import PathPatch

        if not rings:
            return
        patch = PathPatch(
            self._compound(rings, True),
            facecolor=to_rgba(fill, fill_opacity) if fill and fill_opacity > 0 else "none",
            edgecolor=to_rgba(stroke, stroke_opacity) if stroke and width > 0 else "none",
            linewidth=width,
            linestyle=(0, dash) if dash else "solid",
            joinstyle="round",
            zorder=self._next_z(),
        )
        self.ax.add_patch(patch)
        self._apply_clip(patch)

    def lines(
        self,
        parts: Sequence[npt.NDArray[np.float64]],
        *,
        stroke: str,
        width: float,
        dash: tuple[float, ...] = (),
        opacity: float = 1.0,
    ) -> None:
        from matplotlib.collections import LineCollection

        if not parts:
            return
        coll = LineCollection(
            list(parts),
            colors=[stroke],
            linewidths=width,
            linestyles=[(0, dash)] if dash else "solid",
            alpha=opacity,
            capstyle="round",
            joinstyle="round",
            zorder=self._next_z(),
        )
        self.ax.add_collection(coll)
        self._apply_clip(coll)

    def circles(
        self,
        centres: npt.NDArray[np.float64],
        radius: float,
        *,
        fill: str | None,
        stroke: str | None,
        width: float,
        fill_opacity: float = 1.0,
    ) -> None:
        from matplotlib.colors import to_rgba

        if not len(centres):
            return
        # scatter sizes are in points² of the marker's bounding square: (2r)²
        coll = self.ax.scatter(
            centres[:, 0],
            centres[:, 1],
            s=(2 * radius) ** 2,
            c=[to_rgba(fill, fill_opacity) if fill else (0, 0, 0, 0)],
            edgecolors=[stroke] if stroke else "none",
            linewidths=width,
            zorder=self._next_z(),
        )
        self._apply_clip(coll)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        color: str = INK,
        anchor: TextAnchor = "left",
        bold: bool = False,
        halo: bool = False,
    ) -> None:
        from matplotlib import patheffects

        effects = [patheffects.withStroke(linewidth=size * 0.28, foreground="#ffffff")]
        artist = self.ax.text(
            x,
            y,
            self.clean(text),
            fontproperties=self.bold if bold else self.regular,
            fontsize=size,
            color=color,
            ha=anchor,
            va="baseline",
            zorder=self._next_z(),
            path_effects=effects if halo else None,
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
