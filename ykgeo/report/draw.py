"""Laying out a briefing-pack map: the map fitted to its box, legend panel, scale bar, north arrow, 示意 note.

:func:`draw_map` talks only to the small :class:`Painter` interface (coordinates in
points, origin lower left), so the PDF and the PNG of a map are the same drawing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import shapely

from ykgeo.report.maps import INK, LegendEntry, MapLayer, MapSpec, Style, TextStyle

__all__ = ["Painter", "Points", "draw_map"]

#: Vertices closer than this on paper (points) are dropped before drawing.
SIMPLIFY_PT = 0.25
_MUTED = "#616161"
_PANEL_WIDTH = 168.0
_PANEL_HEIGHT = 96.0


#: Township names on the map: small, grey, centred, on a white halo.
_PLACE_NAME = TextStyle(7.5, color="#37474f", anchor="center", halo=True)

#: A sequence of paper points, shape (n, 2).
Points = npt.NDArray[np.float64]


class Painter(Protocol):
    """What :func:`draw_map` needs from an output: coordinates in points, origin bottom left."""

    def polygons(self, rings: Sequence[Points], style: Style) -> None:
        """Fill and outline polygons given as rings (holes by the even-odd rule)."""

    def lines(self, parts: Sequence[Points], style: Style) -> None:
        """Stroke open lines."""

    def circles(self, centres: Points, radius: float, style: Style) -> None:
        """Dots of ``radius`` points at ``centres``."""

    def text(self, x: float, y: float, text: str, style: TextStyle) -> None:
        """One line of text on its baseline at ``y``."""

    def text_width(self, text: str, size: float, *, bold: bool = False) -> float:
        """Width of ``text`` set at ``size`` points."""

    def clip(self, x: float, y: float, w: float, h: float) -> Any:
        """A context manager inside which drawing is clipped to the box."""


# --- geometry ---------------------------------------------------------------------------------


def _fit(
    extent: tuple[float, float, float, float], w: float, h: float
) -> tuple[float, float, float]:
    """Scale (points per metre) and offsets so that ``extent`` fills a w × h box, centred."""
    xmin, ymin, xmax, ymax = extent
    dx, dy = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    scale = min(w / dx, h / dy)
    ox = (w - dx * scale) / 2.0 - xmin * scale
    oy = (h - dy * scale) / 2.0 - ymin * scale
    return scale, ox, oy


def _parts_of(geoms: npt.NDArray[np.object_], type_ids: Sequence[int]) -> npt.NDArray[np.object_]:
    """The single-part geometries in ``geoms`` whose shapely type id is one of ``type_ids``."""
    if geoms.size == 0:
        return geoms
    parts = shapely.get_parts(geoms)
    return parts[np.isin(shapely.get_type_id(parts), type_ids)]


def _rings(
    geoms: npt.NDArray[np.object_], scale: float, ox: float, oy: float
) -> list[npt.NDArray[np.float64]]:
    """Every ring (exterior and holes) of polygonal geometries as arrays of paper points."""
    polygons = _parts_of(geoms, (3,))
    if polygons.size == 0:
        return []
    rings = shapely.get_rings(shapely.orient_polygons(polygons))
    return _coords_per_geom(rings, scale, ox, oy)


def _line_parts(
    geoms: npt.NDArray[np.object_], scale: float, ox: float, oy: float
) -> list[npt.NDArray[np.float64]]:
    """Lines, and the rings of polygons, as arrays of paper points."""
    parts = _parts_of(geoms, (1, 2, 3))
    polygonal = shapely.get_type_id(parts) == 3
    lines = parts[~polygonal]
    if polygonal.any():
        lines = np.concatenate([lines, shapely.get_rings(parts[polygonal])])
    return _coords_per_geom(lines, scale, ox, oy)


def _coords_per_geom(
    geoms: npt.NDArray[np.object_], scale: float, ox: float, oy: float
) -> list[npt.NDArray[np.float64]]:
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    if not len(coords):
        return []
    xy = coords * scale + np.array([ox, oy])
    cuts = np.flatnonzero(np.diff(index)) + 1
    return [p for p in np.split(xy, cuts) if len(p) >= 2]


def _points(
    geoms: npt.NDArray[np.object_], scale: float, ox: float, oy: float
) -> npt.NDArray[np.float64]:
    points = _parts_of(geoms, (0,))
    if points.size == 0:
        return np.zeros((0, 2))
    return shapely.get_coordinates(points) * scale + np.array([ox, oy])


def _prepare(geoms: npt.NDArray[np.object_], scale: float) -> npt.NDArray[np.object_]:
    """Drop missing geometries and vertices that would fall within :data:`SIMPLIFY_PT` on paper."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return arr
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if arr.size == 0:
        return arr
    return shapely.simplify(arr, SIMPLIFY_PT / scale, preserve_topology=True)


# --- styles -----------------------------------------------------------------------------------


def _nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ not above ``metres``."""
    if metres <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(metres))
    for step in (5, 2, 1):
        if step * power <= metres:
            return float(step * power)
    return float(power)


def _scale_text(scale_pt_per_m: float) -> str:
    """比例尺 1:N for a scale in points per metre, N rounded to 3 significant figures."""
    denominator = 1.0 / (scale_pt_per_m * 0.0254 / 72.0)
    digits = max(int(math.floor(math.log10(denominator))) - 2, 0)
    rounded = round(denominator / 10**digits) * 10**digits
    return f"比例尺 1:{rounded:,.0f}"


def _draw_layers(
    painter: Painter, layers: Sequence[MapLayer], scale: float, ox: float, oy: float
) -> None:
    for layer in layers:
        geoms = _prepare(layer.geoms, scale)
        if geoms.size == 0:
            continue
        if layer.kind == "polygon":
            painter.polygons(_rings(geoms, scale, ox, oy), layer)
            points = _points(geoms, scale, ox, oy)
            lines = _line_parts(geoms[np.isin(shapely.get_type_id(geoms), (1, 5))], scale, ox, oy)
        elif layer.kind == "line":
            lines = _line_parts(geoms, scale, ox, oy)
            points = _points(geoms, scale, ox, oy)
        else:
            lines = []
            points = _points(shapely.centroid(geoms), scale, ox, oy)
        if lines:
            outline = layer.stroke or layer.fill or INK
            painter.lines(
                lines,
                Style(
                    stroke=outline,
                    width=layer.width,
                    dash=layer.dash,
                    stroke_opacity=layer.stroke_opacity,
                ),
            )
        if len(points):
            width = layer.width if layer.kind == "point" else 0.3
            painter.circles(
                points, layer.radius, Style(fill=layer.fill, stroke=layer.stroke, width=width)
            )


def _draw_north_arrow(painter: Painter, x: float, y: float, size: float = 26.0) -> None:
    """A north arrow whose tip is at (x, y): grid north of EPSG:4549 (convergence < 0.2° in the county)."""
    half = size * 0.32
    left = np.array([[x, y], [x - half, y - size], [x, y - size * 0.72]])
    right = np.array([[x, y], [x + half, y - size], [x, y - size * 0.72]])
    painter.polygons([left], Style(fill=INK, stroke=INK, width=0.6))
    painter.polygons([right], Style(fill="#ffffff", stroke=INK, width=0.6))
    painter.text(x, y - size - 11, "北", TextStyle(9, anchor="center", bold=True))


def _draw_scale_bar(painter: Painter, x: float, y: float, scale: float, max_pt: float) -> None:
    """A two-segment scale bar starting at (x, y), true in EPSG:4549, with the ratio under it."""
    metres = _nice_length(max_pt / scale)
    length = metres * scale
    unit_km = metres >= 1000
    half = length / 2.0
    for i, colour in enumerate((INK, "#ffffff")):
        rect = np.array(
            [
                [x + i * half, y],
                [x + (i + 1) * half, y],
                [x + (i + 1) * half, y + 4],
                [x + i * half, y + 4],
                [x + i * half, y],
            ]
        )
        painter.polygons([rect], Style(fill=colour, stroke=INK, width=0.5))

    def label(m: float) -> str:
        value = m / 1000 if unit_km else m
        return f"{value:g}"

    unit = "km" if unit_km else "m"
    centred = TextStyle(7, anchor="center")
    painter.text(x, y + 7, "0", centred)
    painter.text(x + half, y + 7, label(metres / 2), centred)
    painter.text(x + length, y + 7, f"{label(metres)} {unit}", centred)
    painter.text(x, y - 10, _scale_text(scale), TextStyle(7, color=_MUTED))


def _legend_swatch(painter: Painter, entry: LegendEntry, x: float, y: float) -> None:
    """A 16 × 8 pt swatch with its lower left corner at (x, y)."""
    if entry.kind == "polygon":
        rect = np.array([[x, y], [x + 16, y], [x + 16, y + 8], [x, y + 8], [x, y]])
        fill_opacity = 0.7 if entry.fill else 0.0
        outline = entry.stroke or entry.fill
        style = Style(
            fill=entry.fill, fill_opacity=fill_opacity, stroke=outline, width=0.8, dash=entry.dash
        )
        painter.polygons([rect], style)
    elif entry.kind == "line":
        line = np.array([[x, y + 4], [x + 16, y + 4]])
        painter.lines(
            [line], Style(stroke=entry.stroke or entry.fill or INK, width=2.2, dash=entry.dash)
        )
    else:
        outline = "#ffffff" if entry.fill else entry.stroke
        painter.circles(
            np.array([[x + 8, y + 4]]), 3.2, Style(fill=entry.fill, stroke=outline, width=0.5)
        )


def _fit_text(painter: Painter, text: str, size: float, width: float) -> str:
    if painter.text_width(text, size) <= width:
        return text
    while text and painter.text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _wrap(painter: Painter, text: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for char in text:
        if painter.text_width(current + char, size) > width and current:
            lines.append(current)
            current = char
        else:
            current += char
    if current:
        lines.append(current)
    return lines


def _draw_panel(
    painter: Painter,
    spec: MapSpec,
    x: float,
    y: float,
    w: float,
    h: float,
    scale: float,
    map_w: float,
) -> None:
    """Legend, scale bar, north arrow and the 示意 note, in a box at (x, y) of size w × h."""
    border = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]])
    painter.polygons([border], Style(fill="#ffffff", stroke="#9e9e9e", width=0.5))
    pad = 8.0
    if spec.panel == "right":
        top = y + h - pad
        _draw_north_arrow(painter, x + w - pad - 12, top)
        painter.text(x + pad, top - 10, spec.legend_title, TextStyle(9, bold=True))
        row = top - 30
        for entry in spec.legend:
            if row < y + 110:
                painter.text(x + pad, row, "……", TextStyle(7, color=_MUTED))
                break
            _legend_swatch(painter, entry, x + pad, row - 1)
            label = _fit_text(painter, entry.label, 7.5, w - 2 * pad - 22)
            painter.text(x + pad + 22, row, label, TextStyle(7.5))
            row -= 13
        _draw_scale_bar(painter, x + pad + 4, y + 72, scale, w - 2 * pad - 40)
        note_y = y + 44
        for line in _wrap(painter, spec.note, 6.5, w - 2 * pad)[:4]:
            painter.text(x + pad, note_y, line, TextStyle(6.5, color=_MUTED))
            note_y -= 9
    else:
        _draw_north_arrow(painter, x + w - pad - 12, y + h - pad)
        painter.text(x + pad, y + h - pad - 9, spec.legend_title, TextStyle(8.5, bold=True))
        columns = 2
        col_w = (w - 2 * pad - 40) / columns
        row_y = y + h - pad - 26
        for i, entry in enumerate(spec.legend[: columns * 4]):
            cx = x + pad + (i % columns) * col_w
            cy = row_y - (i // columns) * 12
            _legend_swatch(painter, entry, cx, cy - 1)
            painter.text(cx + 20, cy, _fit_text(painter, entry.label, 7, col_w - 24), TextStyle(7))
        _draw_scale_bar(painter, x + pad + 4, y + 16, scale, min(120.0, w / 3))
        note_lines = _wrap(painter, spec.note, 6.5, w / 2 - pad)[:3]
        note_y = y + 8 + 9 * (len(note_lines) - 1)
        for line in note_lines:
            painter.text(x + w / 2, note_y, line, TextStyle(6.5, color=_MUTED))
            note_y -= 9


def draw_map(painter: Painter, spec: MapSpec, width: float, height: float) -> None:
    """Lay out and draw ``spec`` in a ``width`` × ``height`` box (points): map, legend panel, furniture."""
    title_h = 0.0
    if spec.title:
        title_h = 30.0 if spec.subtitle else 20.0
        painter.text(0, height - 14, spec.title, TextStyle(13, bold=True))
        if spec.subtitle:
            painter.text(0, height - 27, spec.subtitle, TextStyle(8.5, color=_MUTED))
    avail_h = height - title_h
    if spec.panel == "right":
        map_w, map_h = width - _PANEL_WIDTH - 6, avail_h
        panel = (width - _PANEL_WIDTH, 0.0, _PANEL_WIDTH, avail_h)
        mx, my = 0.0, 0.0
    else:
        map_w, map_h = width, avail_h - _PANEL_HEIGHT - 6
        panel = (0.0, 0.0, width, _PANEL_HEIGHT)
        mx, my = 0.0, _PANEL_HEIGHT + 6
    scale, ox, oy = _fit(spec.extent, map_w, map_h)
    ox += mx
    oy += my
    frame = np.array(
        [[mx, my], [mx + map_w, my], [mx + map_w, my + map_h], [mx, my + map_h], [mx, my]]
    )
    painter.polygons([frame], Style(fill="#fbfbf8"))
    with painter.clip(mx, my, map_w, map_h):
        _draw_layers(painter, spec.layers[: spec.labels_after], scale, ox, oy)
        for lx, ly, text in spec.labels:
            painter.text(lx * scale + ox, ly * scale + oy - 3, text, _PLACE_NAME)
        _draw_layers(painter, spec.layers[spec.labels_after :], scale, ox, oy)
    painter.polygons([frame], Style(fill_opacity=0.0, stroke="#757575", width=0.8))
    _draw_panel(painter, spec, *panel, scale, map_w)
