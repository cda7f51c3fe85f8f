"""Cached loaders of the 计划 page and the year switch: thin wrappers over ykgeo.plan, keyed on the store's change key (``mtime_ns``, see :mod:`ykgeo.ui.data`)."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from ykgeo import maps
from ykgeo import plan as planning
from ykgeo.progress.knowledge import Knowledge, knowledge_horizon
from ykgeo.store import Store

__all__ = [
    "PlanInfo",
    "VersionUsed",
    "candidate_layers",
    "candidates",
    "candidates_geojson",
    "candidates_xlsx",
    "default_year",
    "history",
    "plan_info",
    "plan_statuses",
    "plan_xlsx",
    "template_xlsx",
    "township_names",
    "version_used",
]


@dataclass(frozen=True)
class PlanInfo:
    """A year's current plan as the page shows it: canonical data, text, version label and number."""

    data: dict[str, Any]
    text: str
    label: str
    version: int


@dataclass(frozen=True)
class VersionUsed:
    """The version of a year's plan the figures of a date count against, and why when it is the first one."""

    label: str
    version: int
    note: str


@st.cache_data(show_spinner=False, max_entries=16)
def version_used(
    path: str, mtime_ns: int, year: int, as_of: dt.date, knowledge: Knowledge
) -> VersionUsed:
    """The plan version the overview, map and briefing use for ``as_of`` under ``knowledge``.

    The same horizon as the progress engine's: 按当时所知 the end of ``as_of``, 按现在所知
    everything recorded (see :func:`ykgeo.progress.knowledge_horizon`).
    """
    version, note = Store(path).plan_version(
        year, as_of=as_of, known_at=knowledge_horizon(as_of, knowledge)
    )
    return VersionUsed(version.label_zh(), version.version, note)


@st.cache_data(show_spinner=False, max_entries=8)
def plan_statuses(path: str, mtime_ns: int) -> dict[int, str]:
    """Year → status (正式/草案) of every plan in the store."""
    store = Store(path)
    return {year: store.plan(year).status for year in store.plan_years()}


@st.cache_data(show_spinner=False, max_entries=8)
def default_year(path: str, mtime_ns: int, today: dt.date) -> int | None:
    """The plan year shown first (:func:`ykgeo.plan.default_plan_year`)."""
    return planning.default_plan_year(Store(path), today)


@st.cache_data(show_spinner=False, max_entries=16)
def plan_info(path: str, mtime_ns: int, year: int) -> PlanInfo:
    """The current plan of ``year``."""
    store = Store(path)
    plan = store.plan(year)
    version, _ = store.plan_version(year)
    return PlanInfo(planning.plan_data(plan), plan.toml_text, version.label_zh(), version.version)


@st.cache_data(show_spinner=False, max_entries=16)
def history(path: str, mtime_ns: int, year: int) -> pd.DataFrame:
    """The amendments of ``year``'s plan (:func:`ykgeo.plan.plan_history`)."""
    return planning.plan_history(Store(path), year)


@st.cache_data(show_spinner=False, max_entries=8)
def township_names(path: str, mtime_ns: int) -> list[str]:
    """The store's townships, in the layer's order."""
    return planning.store_townships(Store(path))


@st.cache_data(show_spinner=False, max_entries=8)
def plan_xlsx(path: str, mtime_ns: int, year: int) -> bytes:
    """``year``'s plan as the bureau's workbook."""
    with tempfile.TemporaryDirectory(prefix="ykgeo-plan-") as tmp:
        out = Path(tmp) / f"{year}.xlsx"
        planning.export_plan(Store(path), year, out)
        return out.read_bytes()


@st.cache_data(show_spinner=False, max_entries=8)
def template_xlsx(path: str, mtime_ns: int, year: int) -> bytes:
    """An Excel template for ``year`` (last year's targets, values to fill)."""
    return planning.plan_template(Store(path), None, year=year)


@st.cache_data(show_spinner=False, max_entries=8)
def candidates(path: str, mtime_ns: int, year: int, target: str) -> planning.CandidateList:
    """The ranked candidates of one area target (:func:`ykgeo.plan.store_candidates`)."""
    return planning.store_candidates(Store(path), year=year, target=target)


@st.cache_data(show_spinner=False, max_entries=8)
def candidates_xlsx(path: str, mtime_ns: int, year: int, target: str) -> bytes:
    """The candidate list as a workbook."""
    return planning.candidates_to_xlsx(candidates(path, mtime_ns, year, target))


@st.cache_data(show_spinner=False, max_entries=8)
def candidates_geojson(path: str, mtime_ns: int, year: int, target: str) -> bytes:
    """The candidate parcels as GeoJSON."""
    cl = candidates(path, mtime_ns, year, target)
    with tempfile.TemporaryDirectory(prefix="ykgeo-plan-") as tmp:
        out = planning.candidates_to_geojson(cl, Path(tmp) / "candidates.geojson")
        return out.read_bytes()


@st.cache_data(show_spinner=False, max_entries=8)
def candidate_layers(
    path: str, mtime_ns: int, year: int, target: str, language: str
) -> list[maps.MapLayer]:
    """The map layers of the candidate page: the boundary, the townships and the candidates."""
    store = Store(path)
    cl = candidates(path, mtime_ns, year, target)
    out = []
    for key in ("city_boundary", "townships"):
        if key in store.layer_keys():
            out.append(
                maps.prepare_layer(store.read_layer(key), store.spec(key), language=language)
            )
    frame = cl.table.set_index("地块编号", drop=False)
    out.append(maps.prepare_layer(frame, planning.candidate_layer_spec(), language=language))
    return out
