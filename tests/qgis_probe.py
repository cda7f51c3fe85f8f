"""Ask QGIS itself what it sees: run by Debian's /usr/bin/python3 (python3-qgis), offscreen.

Not a test module: ``tests/conftest.py`` runs it in a subprocess with one JSON request on
stdin and reads one JSON answer from stdout. Requests (``"do"``):

* ``layers``: open ``path`` (a GeoPackage) layer by layer as QGIS's ogr provider does, with
  the default style from ``layer_styles``; report renderer, categories, colours, dashes,
  labels and aliases.
* ``project``: read a ``.qgz``; report CRS, ellipsoid, groups, drawing order, invalid layers,
  the print layout's items, and export the layout to ``png`` / ``pdf``.
* ``render``: draw ``layers`` (in order, top first) of a GeoPackage to a PNG, in EPSG:4549,
  over the extent of the first.
* ``oapif``: load a collection of an OGC API – Features server with QGIS's OAPIF provider;
  report validity, feature count and the ellipsoidal area (CGCS2000 ellipsoid) in m².
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsDistanceArea,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def _symbol_info(symbol):  # type: ignore[no-untyped-def]
    layers = []
    for i in range(symbol.symbolLayerCount()):
        sl = symbol.symbolLayer(i)
        info = {"class": sl.layerType()}
        props = sl.properties()
        for key in (
            "color",
            "outline_color",
            "line_color",
            "style",
            "outline_style",
            "use_custom_dash",
            "customdash",
            "line_width",
            "outline_width",
            "size",
        ):
            if key in props:
                info[key] = props[key]
        layers.append(info)
    return {
        "type": symbol.type(),
        "colour": symbol.color().name(),
        "alpha": round(symbol.color().alphaF(), 3),
        "layers": layers,
    }


def _layer_info(layer):  # type: ignore[no-untyped-def]
    renderer = layer.renderer()
    out = {
        "valid": layer.isValid(),
        "crs": layer.crs().authid(),
        "count": layer.featureCount(),
        "renderer": renderer.type(),
        "aliases": {f.name(): f.alias() for f in layer.fields()},
        "labels": layer.labelsEnabled(),
    }
    if renderer.type() == "categorizedSymbol":
        out["attribute"] = renderer.classAttribute()
        out["categories"] = [
            {"value": c.value(), "label": c.label(), **_symbol_info(c.symbol())}
            for c in renderer.categories()
        ]
    elif renderer.type() == "singleSymbol":
        out["symbol"] = _symbol_info(renderer.symbol())
    if layer.labelsEnabled() and layer.labeling() is not None:
        settings = layer.labeling().settings()
        out["label_field"] = settings.fieldName
        out["label_font"] = settings.format().font().family()
    return out


def do_layers(request):  # type: ignore[no-untyped-def]
    answer = {}
    for key in request["layers"]:
        layer = QgsVectorLayer(f"{request['path']}|layername={key}", key, "ogr")
        answer[key] = _layer_info(layer)
    return answer


def do_project(request):  # type: ignore[no-untyped-def]
    project = QgsProject.instance()
    ok = project.read(request["path"])
    root = project.layerTreeRoot()
    answer = {
        "read": ok,
        "crs": project.crs().authid(),
        "ellipsoid": project.ellipsoid(),
        "title": project.title(),
        "groups": [[g.name(), [n.name() for n in g.findLayers()]] for g in root.children()],
        "checked": sorted(n.name() for n in root.findLayers() if n.isVisible()),
        "custom_order": root.hasCustomLayerOrder(),
        "drawing_order": [layer.name() for layer in root.layerOrder()],
        "invalid": sorted(
            layer.name() for layer in project.mapLayers().values() if not layer.isValid()
        ),
        "layers": {
            layer.name(): {
                **_layer_info(layer),
                "read_only": layer.readOnly(),
                "source": layer.source(),
            }
            for layer in project.mapLayers().values()
        },
        "layouts": [],
    }
    for layout in project.layoutManager().printLayouts():
        items = []
        for item in layout.items():
            if isinstance(item, QgsLayoutItemMap):
                items.append({"kind": "map", "id": item.id(), "layers": len(item.layersToRender())})
            elif isinstance(item, QgsLayoutItemLegend):
                items.append(
                    {
                        "kind": "legend",
                        "id": item.id(),
                        "linked": item.linkedMap() is not None,
                        "title": item.title(),
                    }
                )
            elif isinstance(item, QgsLayoutItemScaleBar):
                items.append(
                    {
                        "kind": "scalebar",
                        "id": item.id(),
                        "linked": item.linkedMap() is not None,
                        "units": item.unitLabel(),
                        "segment": item.unitsPerSegment(),
                    }
                )
            elif isinstance(item, QgsLayoutItemPicture):
                items.append(
                    {
                        "kind": "picture",
                        "id": item.id(),
                        "linked": item.linkedMap() is not None,
                        "path": item.picturePath(),
                        "exists": Path(item.picturePath()).exists(),
                    }
                )
            elif isinstance(item, QgsLayoutItemLabel):
                items.append({"kind": "label", "id": item.id(), "text": item.currentText()})
        entry = {
            "name": layout.name(),
            "items": items,
            "pages": layout.pageCollection().pageCount(),
        }
        exporter = QgsLayoutExporter(layout)
        if request.get("png"):
            settings = QgsLayoutExporter.ImageExportSettings()
            settings.dpi = request.get("dpi", 100)
            entry["png_result"] = exporter.exportToImage(request["png"], settings)
        if request.get("pdf"):
            entry["pdf_result"] = exporter.exportToPdf(
                request["pdf"], QgsLayoutExporter.PdfExportSettings()
            )
        answer["layouts"].append(entry)
    return answer


def do_render(request):  # type: ignore[no-untyped-def]
    layers = [
        QgsVectorLayer(f"{request['path']}|layername={key}", key, "ogr")
        for key in request["layers"]
    ]
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4549"))
    transform = QgsCoordinateTransform(
        layers[0].crs(), settings.destinationCrs(), QgsProject.instance()
    )
    extent = transform.transformBoundingBox(layers[0].extent())
    extent.scale(1.05)
    if request.get("extent"):
        extent = QgsRectangle(*request["extent"])
    settings.setExtent(extent)
    settings.setOutputSize(QSize(request.get("width", 1000), request.get("height", 1000)))
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    return {"saved": image.save(request["png"]), "valid": [layer.isValid() for layer in layers]}


def do_oapif(request):  # type: ignore[no-untyped-def]
    uri = f"url='{request['url']}' typename='{request['collection']}' pagingEnabled='true'"
    layer = QgsVectorLayer(uri, request["collection"], "OAPIF")
    answer = {"valid": layer.isValid()}
    if not layer.isValid():
        return answer
    measure = QgsDistanceArea()
    measure.setSourceCrs(layer.crs(), QgsProject.instance().transformContext())
    measure.setEllipsoid("EPSG:1024")  # CGCS2000
    ids, area = [], 0.0
    for feature in layer.getFeatures():
        ids.append(str(feature["id"]) if "id" in feature.fields().names() else str(feature.id()))
        area += measure.measureArea(feature.geometry())
    answer.update(
        {
            "crs": layer.crs().authid(),
            "count": len(ids),
            "area_m2": area,
            "fields": layer.fields().names(),
            "title": layer.name(),
        }
    )
    return answer


def main() -> int:
    request = json.loads(sys.stdin.read())
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    try:
        answer = {
            "do_layers": do_layers,
            "do_project": do_project,
            "do_render": do_render,
            "do_oapif": do_oapif,
        }["do_" + request["do"]](request)
        sys.stdout.write(json.dumps(answer, ensure_ascii=False, default=str))
        sys.stdout.flush()
    finally:
        QgsProject.instance().clear()
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
