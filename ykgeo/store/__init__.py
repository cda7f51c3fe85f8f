"""The project store: one GeoPackage with a table per layer, the year plans and an append-only edit log.

The edit log's schema (typed value columns, indexes, the back-dated features table) is
described in :mod:`ykgeo.store.store`; build on :meth:`Store.history` and
:meth:`Store.status_events` to read it for past dates.

Modules: :mod:`~ykgeo.store.store` (the :class:`Store`: schema, reads, as-of views),
:mod:`~ykgeo.store.batch` (one write's edit-log rows, written at once),
:mod:`~ykgeo.store.boxes` (every box a layer's features have had),
:mod:`~ykgeo.store.envelopes` (a layer read lean: fields and envelopes, geometries on demand),
:mod:`~ykgeo.store.write` (edits and deletions, one transaction each),
:mod:`~ykgeo.store.imports` (imports, prepared before the write lock is taken),
:mod:`~ykgeo.store.diff` (what changed: geometry compared as a shape),
:mod:`~ykgeo.store.history` (rebuilding a past state from the log),
:mod:`~ykgeo.store.records` (the store's plans and 亩均 evaluations),
:mod:`~ykgeo.store.plans` (year plans, versioned through the log),
:mod:`~ykgeo.store.evaluations` (亩均 evaluations by year),
:mod:`~ykgeo.store.gpkg` (GeoPackage tables and geometry blobs),
:mod:`~ykgeo.store.styles` (the layers' QGIS and SLD styles in ``layer_styles``),
:mod:`~ykgeo.store.rtree` (R-tree bulk loading), :mod:`~ykgeo.store.log` (reading the
typed edit log through Arrow), :mod:`~ykgeo.store.migrate` (upgrading older store files),
:mod:`~ykgeo.store.connection` (WAL, bounded waits, crash recovery, what an error means),
:mod:`~ykgeo.store.backup` (consistent backups with a checksum, restoring one),
:mod:`~ykgeo.store.revert` (undoing a batch through the log, as a new batch),
:mod:`~ykgeo.store.dates` (times as the store records them) and
:mod:`~ykgeo.store.location` (which store to open when none is named).
"""

from __future__ import annotations

from ykgeo.store.backup import Backup, Restored, backup_store, restore_store, verify_backup
from ykgeo.store.connection import Recovery
from ykgeo.store.connection import change_key as store_change_key
from ykgeo.store.connection import seal as seal_store
from ykgeo.store.connection import sidecar_files as store_sidecar_files
from ykgeo.store.dates import TZ, end_of_day, known_now, now, stamp
from ykgeo.store.envelopes import LayerEnvelopes
from ykgeo.store.imports import ImportSummary
from ykgeo.store.location import (
    DEMO_STORE,
    DEMO_STORE_IN_CHECKOUT,
    default_store_path,
    find_demo_store,
)
from ykgeo.store.plans import PlanVersion
from ykgeo.store.revert import RevertSummary, batches, revert_batch
from ykgeo.store.store import DataVersion, Store
from ykgeo.store.styles import layer_qml, layer_sld, write_layer_styles
from ykgeo.store.write import Edit

__all__ = [
    "DEMO_STORE",
    "DEMO_STORE_IN_CHECKOUT",
    "TZ",
    "Backup",
    "DataVersion",
    "Edit",
    "ImportSummary",
    "LayerEnvelopes",
    "PlanVersion",
    "Recovery",
    "Restored",
    "RevertSummary",
    "Store",
    "backup_store",
    "batches",
    "default_store_path",
    "end_of_day",
    "find_demo_store",
    "known_now",
    "layer_qml",
    "layer_sld",
    "now",
    "restore_store",
    "revert_batch",
    "seal_store",
    "stamp",
    "store_change_key",
    "store_sidecar_files",
    "verify_backup",
    "write_layer_styles",
]
