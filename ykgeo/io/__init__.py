"""The bureau's vector files: reading (encodings, CRS, tables), writing and validation before an import.

Modules: :mod:`~ykgeo.io.read` (any supported file into CGCS2000),
:mod:`~ykgeo.io.columns` (a file's columns matched to a layer's fields, values converted),
:mod:`~ykgeo.io.encoding` (Shapefile and text encodings, mojibake),
:mod:`~ykgeo.io.tables` (CSV/XLSX with coordinates or WKT),
:mod:`~ykgeo.io.gdal` (GDAL's messages in Chinese; arcs, TINs and open rings; ``!`` in names),
:mod:`~ykgeo.io.place` (the coordinate system decided, impossible coordinates refused, GCJ-02),
:mod:`~ykgeo.io.write` (GeoJSON, GeoPackage, zipped Shapefile, KML),
:mod:`~ykgeo.io.qgis` (a QGIS project over the store),
:mod:`~ykgeo.io.sheets` (spreadsheets the bureau writes and reads: rows with their numbers; XLSX
and CSV in which text from the data never becomes a formula) and
:mod:`~ykgeo.io.validate` (every problem of a file, collected and reported once, as a
:class:`~ykgeo.io.problems.ValidationReport`).
"""

from __future__ import annotations

from ykgeo.io.columns import match_fields
from ykgeo.io.encoding import coerce_field_value
from ykgeo.io.problems import ValidationReport
from ykgeo.io.qgis import QgisProject, write_qgis_project
from ykgeo.io.read import ReadResult, list_layers, member_name, read_vector
from ykgeo.io.sheets import (
    Sheet,
    column_letter,
    csv_cell,
    csv_frame,
    csv_rows,
    find_column,
    looks_like_formula,
    read_sheets,
    write_workbook,
    xlsx_bytes,
)
from ykgeo.io.validate import (
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
    "Sheet",
    "ValidationReport",
    "WriteResult",
    "coerce_field_value",
    "column_letter",
    "csv_cell",
    "csv_frame",
    "csv_rows",
    "export_layer_formats",
    "find_column",
    "list_layers",
    "looks_like_formula",
    "match_fields",
    "member_name",
    "read_sheets",
    "read_vector",
    "suggest_township",
    "validate_features",
    "validate_file",
    "write_qgis_project",
    "write_vector",
    "write_workbook",
    "xlsx_bytes",
]
