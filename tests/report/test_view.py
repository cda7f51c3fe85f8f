"""Print this view: the map's extent drawn with legend, scale bar and north arrow, as PNG and PDF."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from ykgeo.layers import load_layers
from ykgeo.report import print_view, view_spec
from ykgeo.store import Store


def test_print_view_png_and_pdf(app_small_store: Path) -> None:
    store = Store(app_small_store)
    frames = {"low_efficiency_industrial": store.read_layer("low_efficiency_industrial")}
    spec = view_spec(
        frames,
        load_layers(),
        bounds=(119.95, 28.85, 120.10, 28.95),
        title="项目地图",
        subtitle="截至 2022-12-31",
        townships=store.read_layer("townships"),
        township_field="镇街名称",
        boundary=store.read_layer("city_boundary"),
    )
    assert spec.legend and all(e.label.startswith("低效工业用地：") for e in spec.legend)
    # only what lies in the view is counted in the legend
    inside = sum(int(e.label.rsplit("（", 1)[1].rstrip("）")) for e in spec.legend)
    assert 0 < inside < len(frames["low_efficiency_industrial"])
    png = print_view(spec, fmt="png", dpi=80)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > image.height
    pdf = print_view(spec, fmt="pdf")
    assert pdf.startswith(b"%PDF")
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        text = doc[0].get_textpage().get_text_range()
    finally:
        doc.close()
    assert "项目地图" in text and "截至 2022-12-31" in text and "图例" in text
