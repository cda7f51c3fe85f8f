"""The bureau's vector files: reading (encodings, CRS, tables), writing and validation before an import.

Modules: :mod:`~ykgeo.io.read` (any supported file into CGCS2000, field matching),
:mod:`~ykgeo.io.encoding` (Shapefile and text encodings, mojibake),
:mod:`~ykgeo.io.tables` (CSV/XLSX with coordinates or WKT),
:mod:`~ykgeo.io.gdal` (GDAL's messages in Chinese; arcs, TINs and open rings; ``!`` in names),
:mod:`~ykgeo.io.place` (the coordinate system decided, impossible coordinates refused, GCJ-02),
:mod:`~ykgeo.io.write` (GeoJSON, GeoPackage, zipped Shapefile, KML),
:mod:`~ykgeo.io.qgis` (a QGIS project over the store) and
:mod:`~ykgeo.io.validate` (every problem of a file, collected and reported once).
"""

from __future__ import annotations

from ykgeo.io.encoding import coerce_field_value
from ykgeo.io.qgis import QgisProject, write_qgis_project
from ykgeo.io.read import ReadResult, list_layers, match_fields, member_name, read_vector
from ykgeo.io.validate import (
    ValidationReport,
    suggest_township,
    validate_features,
    validate_file,
)
from ykgeo.io.write import (
    FIELD_MAP_NAME,
    FORMATS,
    ExportFormat,
    WriteResult,
    export_layer_formats,
    write_vector,
)

__all__ = [
    "FIELD_MAP_NAME",
    "FORMATS",
    "ExportFormat",
    "QgisProject",
    "ReadResult",
    "ValidationReport",
    "WriteResult",
    "coerce_field_value",
    "export_layer_formats",
    "list_layers",
    "match_fields",
    "member_name",
    "read_vector",
    "suggest_township",
    "validate_features",
    "validate_file",
    "write_qgis_project",
    "write_vector",
]
