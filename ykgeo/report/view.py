"""Print this view: the app map's current extent as a PNG or a one-page PDF, with legend, scale bar, north arrow and date.

The map in the browser reports its extent and which layers it shows; the print is drawn
here with the briefing pack's machinery (:func:`ykgeo.report.draw.draw_map`): the same
status styles as the app, in EPSG:4549 so the scale bar is true, vector in the PDF.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from ykgeo.layers import LayerSpec
from ykgeo.report.maps import (
    LegendEntry,
    MapSpec,
    base_layers,
    feature_layers,
    gk_frame,
    to_gk,
    township_labels,
)

__all__ = ["print_view", "view_spec"]

#: The printed map (points): landscape A4 less margins, and the PNG at this size.
_PAGE_W, _PAGE_H = 842.0, 595.0
_MARGIN = 28.0


def view_spec(
    frames: Mapping[str, gpd.GeoDataFrame],
    specs: Mapping[str, LayerSpec],
    *,
    bounds: tuple[float, float, float, float],
    title: str,
    subtitle: str,
    townships: gpd.GeoDataFrame | None = None,
    township_field: str = "",
    boundary: gpd.GeoDataFrame | None = None,
    note: str = "",
) -> MapSpec:
    """The map of ``frames`` (thematic layers, EPSG:4490) within ``bounds`` (lon/lat), ready to print.

    Only the features in the view are drawn; the legend lists each layer's statuses with
    their counts in the view.
    """
    box = to_gk([shapely.box(*bounds)])[0]
    extent = tuple(float(v) for v in shapely.bounds(box))
    width_m = max(extent[2] - extent[0], 1.0)
    scale_hint = (_PAGE_W - 2 * _MARGIN - 180) / width_m
    layers = []
    legend: list[LegendEntry] = []
    for key, gdf in frames.items():
        spec = specs[key]
        if spec.reference or gdf.empty:
            continue
        geoms = gk_frame(gdf)
        inside = shapely.intersects(geoms, box)
        if not inside.any():
            continue
        statuses = (
            gdf[spec.status.field].to_numpy()[inside]
            if spec.status is not None and spec.status.field in gdf.columns
            else np.full(int(inside.sum()), None, dtype=object)
        )
        drawn, rows = feature_layers(spec, geoms[inside], list(statuses), scale_hint=scale_hint)
        layers += drawn
        legend += [replace(r, label=f"{spec.name_zh}：{r.label}") for r in rows]
    towns_gk = gk_frame(townships) if townships is not None else np.empty(0, dtype=object)
    boundary_gk = gk_frame(boundary) if boundary is not None else np.empty(0, dtype=object)
    below, above = base_layers(boundary_gk, towns_gk)
    names = (
        [str(v) for v in townships[township_field]]
        if townships is not None and township_field in townships.columns
        else []
    )
    labels = township_labels(names, towns_gk) if names else ()
    return MapSpec(
        extent=extent,  # type: ignore[arg-type]
        layers=(*below, *layers, *above),
        legend=tuple(legend),
        legend_title="图例",
        labels=tuple(
            lab
            for lab in labels
            if extent[0] <= lab[0] <= extent[2] and extent[1] <= lab[1] <= extent[3]
        ),
        labels_after=len(below),
        note=note,
        title=title,
        subtitle=subtitle,
        panel="right",
    )


def print_view(spec: MapSpec, *, fmt: Literal["png", "pdf"] = "png", dpi: int = 150) -> bytes:
    """The view as a PNG (``dpi``) or a one-page landscape A4 PDF (vector), with the Chinese font embedded."""
    from ykgeo.report.fonts import cjk_font

    texts = [spec.title, spec.subtitle, spec.note, spec.legend_title]
    texts += [e.label for e in spec.legend] + [lab[2] for lab in spec.labels]
    font = cjk_font(texts)
    width, height = _PAGE_W - 2 * _MARGIN, _PAGE_H - 2 * _MARGIN
    if fmt == "png":
        from ykgeo.report.paint import render_png

        with tempfile.TemporaryDirectory(prefix="ykgeo-view-") as tmp:
            out = render_png(
                spec,
                Path(tmp) / "view.png",
                width=width,
                height=height,
                dpi=dpi,
                regular=font.regular,
                bold=font.bold,
                clean=font.clean,
            )
            return out.read_bytes()
    from reportlab.pdfgen.canvas import Canvas

    from ykgeo.report.draw import draw_map
    from ykgeo.report.paint import PdfPainter
    from ykgeo.report.pdf import register_fonts

    fonts = register_fonts(font)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(_PAGE_W, _PAGE_H))
    canvas.setTitle(spec.title)
    canvas.translate(_MARGIN, _MARGIN)
    draw_map(PdfPainter(canvas, fonts.regular, fonts.bold, clean=font.clean), spec, width, height)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
