"""The Yongkang demo: builds the demo store and the demo rasters. Nothing in the product imports it.

Modules: :mod:`~ykgeo.demo.build` (the store, its 2022 history, its deliberate
oddities), :mod:`~ykgeo.demo.geography` (the real boundary and townships, placing
features), :mod:`~ykgeo.demo.kit` (the build context), :mod:`~ykgeo.demo.land`,
:mod:`~ykgeo.demo.roads`, :mod:`~ykgeo.demo.water`, :mod:`~ykgeo.demo.civic` and
:mod:`~ykgeo.demo.works` (the layers by theme),
:mod:`~ykgeo.demo.names` (names and codes) and :mod:`~ykgeo.demo.rasters` (DEM and
land cover). Only the ``ykgeo demo`` / ``ykgeo raster demo`` commands
(:mod:`ykgeo.cli.demo`) reach it.
"""

from __future__ import annotations

from ykgeo.demo.build import CREATED_AT, DEMO_SEED, anomalies, build_demo
from ykgeo.demo.rasters import DemoRasterSpec, build_demo_rasters

__all__ = [
    "CREATED_AT",
    "DEMO_SEED",
    "DemoRasterSpec",
    "anomalies",
    "build_demo",
    "build_demo_rasters",
]
