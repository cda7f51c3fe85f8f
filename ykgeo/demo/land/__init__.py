"""Demo features of the land layers: low-efficiency, unsupplied, stock, redevelopment, transfers, factories, consolidation.

Modules: :mod:`~ykgeo.demo.land.common` (clusters, parcels, ledger areas, status dates),
:mod:`~ykgeo.demo.land.industrial` (低效工业用地), :mod:`~ykgeo.demo.land.supply` (批而未供, 出让)
and :mod:`~ykgeo.demo.land.reuse` (盘活存量, 再开发, 国资标准厂房, 全域土地综合整治).
"""

from __future__ import annotations

from ykgeo.demo.kit import Ctx
from ykgeo.demo.land.common import (
    TAX_CLASS_RANGES,
    Cluster,
    industrial_clusters,
    place_parcel,
    rural_polygon,
)
from ykgeo.demo.land.industrial import (
    low_efficiency,
    low_efficiency_bad_data,
    low_efficiency_duplicates,
    low_efficiency_history,
)
from ykgeo.demo.land.reuse import consolidation, redevelopment, state_factories, stock
from ykgeo.demo.land.supply import transfer, unsupplied, unsupplied_anomalies, unsupplied_history

__all__ = [
    "TAX_CLASS_RANGES",
    "Cluster",
    "build_land",
    "industrial_clusters",
    "place_parcel",
    "rural_polygon",
]


def build_land(ctx: Ctx) -> None:
    """Every land layer, with its 2022 history."""
    clusters = industrial_clusters(ctx)
    serials: dict[str, int] = {"A": 3, "B": 8}
    consolidation(ctx)
    state_factories(ctx, clusters)
    approved = unsupplied(ctx, clusters)
    low = low_efficiency(ctx, clusters)
    low_efficiency_duplicates(ctx, low)
    unsupplied_anomalies(ctx, approved)
    sold = unsupplied_history(ctx, approved, serials)
    transfer(ctx, clusters, sold, serials)
    stock(ctx, clusters, low)
    redevelopment(ctx, clusters, low)
    low_efficiency_history(ctx, low)
    low_efficiency_bad_data(ctx, low)
