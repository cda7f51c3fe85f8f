"""Cached loaders: thin wrappers over the store, keyed on the store's change key (``mtime_ns``).

Every committed write changes the key (:func:`ykgeo.store.store_change_key`: the times
and sizes of the store file and of its WAL), so every session sees an edit on its next
run; nothing here has side effects.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from ykgeo import maps
from ykgeo.progress.knowledge import Knowledge, LateRecords, knowledge_horizon
from ykgeo.store import LayerEnvelopes, Store, now
from ykgeo.ui.i18n import Texts

__all__ = [
    "brief_pdf",
    "current_counts",
    "export_file",
    "feature_history",
    "late_records",
    "layer_counts",
    "layer_frame",
    "map_layers",
    "monthly",
    "plan_years",
    "print_view",
    "progress",
    "progress_xlsx",
    "raster_files",
    "raster_layer",
    "raster_title",
    "search",
    "selection_frame",
    "store_name",
    "target_names_en",
    "township_names",
]

_LOG_COLUMNS = (
    "recorded_at",
    "effective_date",
    "user",
    "action",
    "field",
    "old_value",
    "new_value",
    "note",
    "source",
    "version",
)
_ACTIONS = ("insert", "update", "delete")


def _read_as_of(
    store: Store, key: str, as_of: dt.date | None, knowledge: Knowledge
) -> gpd.GeoDataFrame:
    if as_of is None or as_of >= now().date():
        return store.read_layer(key)
    return store.read_layer(key, as_of=as_of, known_at=knowledge_horizon(as_of, knowledge))


def _known_at(as_of: dt.date, knowledge: Knowledge) -> dt.datetime | None:
    """The horizon of the progress engine: None (its default, the end of ``as_of``) or now."""
    return None if knowledge == "then" else knowledge_horizon(as_of, knowledge)


@st.cache_data(show_spinner=False, max_entries=8)
def store_name(path: str, mtime_ns: int) -> str:
    """The store's display name."""
    return Store(path).name_zh


@st.cache_data(show_spinner=False, max_entries=8)
def plan_years(path: str, mtime_ns: int) -> list[int]:
    """Years with a target plan in the store."""
    return Store(path).plan_years()


@st.cache_data(show_spinner=False, max_entries=8)
def current_counts(path: str, mtime_ns: int) -> dict[str, int]:
    """Feature count of every layer the store has now, in display order (what can be edited)."""
    return Store(path).counts()


@st.cache_data(show_spinner=False, max_entries=8)
def target_names_en(path: str, mtime_ns: int, year: int) -> dict[str, str]:
    """The English names of a year's targets (``name_en`` of the plan), by key."""
    return {t.key: t.name_en for t in Store(path).plan(year).targets if t.name_en}


@st.cache_data(show_spinner=False, max_entries=16)
def layer_counts(
    path: str, mtime_ns: int, as_of: dt.date | None, knowledge: Knowledge
) -> dict[str, int]:
    """Feature count of every layer as the map and export see it (same date, same records)."""
    if as_of is None or as_of >= now().date():  # the layers as they are: counted in SQL
        return current_counts(path, mtime_ns)
    store = Store(path)
    return {
        key: len(layer_frame(path, mtime_ns, key, as_of, knowledge)) for key in store.layer_keys()
    }


@st.cache_data(show_spinner=False, max_entries=64)
def layer_frame(
    path: str, mtime_ns: int, key: str, as_of: dt.date | None, knowledge: Knowledge = "now"
) -> gpd.GeoDataFrame:
    """A layer as it stood at the end of ``as_of`` with the records ``knowledge`` counts (None or today: now)."""
    return _read_as_of(Store(path), key, as_of, knowledge)


@st.cache_data(show_spinner=False, max_entries=16)
def late_records(path: str, mtime_ns: int, as_of: dt.date) -> LateRecords:
    """Edits recorded after ``as_of`` that take effect by it (what 按当时所知 leaves out)."""
    from ykgeo.progress.knowledge import late_records as find

    return find(Store(path), as_of)


@st.cache_data(show_spinner=False, max_entries=8)
def township_names(path: str, mtime_ns: int) -> list[str]:
    """Names of the store's townships (reference layer ``townships``)."""
    store = Store(path)
    if "townships" not in store.layer_keys():
        return []
    spec = store.spec("townships")
    frame = store.read_layer("townships")
    return [str(v) for v in frame[spec.name_field].tolist()] if spec.name_field else []


def _township_area(store: Store, township: str) -> Any:
    if not township or "townships" not in store.layer_keys():
        return None
    spec = store.spec("townships")
    frame = store.read_layer("townships")
    hit = frame[frame[spec.name_field].astype(str) == township]
    return hit.geometry.union_all() if len(hit) else None


def selection_frame(
    path: str,
    mtime_ns: int,
    key: str,
    as_of: dt.date | None,
    knowledge: Knowledge,
    township: str,
    statuses: tuple[str, ...] | None,
) -> gpd.GeoDataFrame:
    """The features of a layer selected by township and status (the map's and export's selection)."""
    store = Store(path)
    frame = layer_frame(path, mtime_ns, key, as_of, knowledge)
    return maps.filter_features(
        frame, store.spec(key), statuses=statuses, area=_township_area(store, township)
    )


@st.cache_data(show_spinner=False, max_entries=16)
def map_layers(
    path: str,
    mtime_ns: int,
    as_of: dt.date | None,
    knowledge: Knowledge,
    keys: tuple[str, ...],
    township: str,
    groups: tuple[str, ...],
    settings: maps.MapSettings,
) -> tuple[list[maps.MapLayer], tuple[float, float, float, float] | None]:
    """The layers of the map page within the map's budgets, and the bounds of the township chosen."""
    store = Store(path)
    have = set(store.layer_keys())
    frames: dict[str, gpd.GeoDataFrame | LayerEnvelopes] = {}
    for key in ("city_boundary", "townships"):
        if key in have:
            frames[key] = store.read_layer(key)
    for key in keys:
        if key in have and key not in frames:
            statuses = _statuses(store, key, groups)
            lean = _city_wide(store, key, as_of, township, statuses, settings.feature_budget)
            frames[key] = (
                lean
                if lean is not None
                else selection_frame(path, mtime_ns, key, as_of, knowledge, township, statuses)
            )
    towns = frames.get("townships")
    name_field = store.spec("townships").name_field if towns is not None else ""
    layers = maps.plan_map_layers(
        frames, store.layers, settings=settings, townships=towns, township_name_field=name_field
    )
    area = _township_area(store, township)
    focus = tuple(float(v) for v in area.bounds) if area is not None else None
    return layers, focus  # type: ignore[return-value]


def _city_wide(
    store: Store,
    key: str,
    as_of: dt.date | None,
    township: str,
    statuses: tuple[str, ...] | None,
    budget: int,
) -> LayerEnvelopes | None:
    """A layer of the city-wide map today read lean, when it has more features than ``budget``.

    Such a layer is drawn by township (:func:`ykgeo.maps.plan_map_layers`), which needs each
    feature's status and place only: it is not read whole nor kept in the cache of
    :func:`layer_frame` (details, search and export read that when they are used). None
    otherwise (a reference layer, a past date, a township chosen, a selection within the budget).
    """
    spec = store.spec(key)
    if spec.reference or as_of is not None or township or store.count(key) <= budget:
        return None
    lean = store.read_envelopes(key, [spec.status.field] if spec.status is not None else [])
    lean = maps.filter_envelopes(lean, spec, statuses=statuses)
    return lean if len(lean) > budget else None


def _statuses(store: Store, key: str, groups: tuple[str, ...]) -> tuple[str, ...] | None:
    """A layer's own statuses in the shared groups chosen (None: no filter)."""
    spec = store.spec(key)
    if not groups or spec.status is None:
        return None
    return spec.status.values_in(groups)


@st.cache_data(show_spinner=False, max_entries=32)
def search(
    path: str, mtime_ns: int, as_of: dt.date | None, knowledge: Knowledge, query: str
) -> pd.DataFrame:
    """Features of every thematic layer matching ``query`` (:func:`ykgeo.maps.search_features`)."""
    store = Store(path)
    frames = {
        key: layer_frame(path, mtime_ns, key, as_of, knowledge)
        for key in store.layer_keys()
        if not store.spec(key).reference
    }
    return maps.search_features(frames, store.layers, query)


@st.cache_data(show_spinner=False, max_entries=8)
def print_view(
    path: str,
    mtime_ns: int,
    as_of: dt.date,
    knowledge: Knowledge,
    keys: tuple[str, ...],
    township: str,
    groups: tuple[str, ...],
    bounds: tuple[float, float, float, float],
    language: str,
) -> tuple[bytes, bytes]:
    """The map's current view printed (:mod:`ykgeo.report.view`): PNG and PDF."""
    from ykgeo.report.view import print_view as draw
    from ykgeo.report.view import view_spec

    store = Store(path)
    read_as_of = None if as_of >= now().date() else as_of
    have = set(store.layer_keys())
    frames = {
        key: selection_frame(
            path, mtime_ns, key, read_as_of, knowledge, township, _statuses(store, key, groups)
        )
        for key in keys
        if key in have
    }
    towns = store.read_layer("townships") if "townships" in have else None
    boundary = store.read_layer("city_boundary") if "city_boundary" in have else None
    t = Texts(language)
    spec = view_spec(
        frames,
        store.layers,
        bounds=bounds,
        title=t("map.print_title", store=store.name_zh),
        subtitle=t(
            "map.print_subtitle",
            as_of=f"{as_of:%Y-%m-%d}",
            knowledge=t(f"knowledge.{knowledge}"),
            version=t.data_version(store.data_version()),
            printed=f"{now():%Y-%m-%d %H:%M}",
        ),
        townships=towns,
        township_field=store.spec("townships").name_field if towns is not None else "",
        boundary=boundary,
    )
    return draw(spec, fmt="png"), draw(spec, fmt="pdf")


@st.cache_data(show_spinner=False, max_entries=64)
def feature_history(
    path: str, mtime_ns: int, key: str, feature_id: str, language: str = "zh"
) -> pd.DataFrame:
    """The edit log of one feature, newest first, with headings in the interface's language."""
    t = Texts(language)
    headings = {col: t(f"log.{col}") for col in _LOG_COLUMNS}
    log = Store(path).edit_log(layer=key, feature_id=feature_id)
    if log.empty:
        return pd.DataFrame(columns=list(headings.values()))
    log = log.sort_values("log_id", ascending=False)
    actions = {a: t(f"log.action_{a}") for a in _ACTIONS}
    log["action"] = log["action"].map(actions).fillna(log["action"])
    log["field"] = log["field"].fillna(t("log.whole_feature"))
    geometry = t("log.geometry")
    for col in ("old_value", "new_value"):
        log[col] = [
            "" if v is None else (geometry if isinstance(v, str) and len(v) > 80 else str(v))
            for v in log[col]
        ]
    return log[list(_LOG_COLUMNS)].rename(columns=headings).astype(str)


@st.cache_data(show_spinner=False, max_entries=32)
def progress(
    path: str, mtime_ns: int, as_of: dt.date, year: int | None, knowledge: Knowledge = "then"
) -> Any:
    """``ykgeo.progress.progress_report`` for the date, with the records ``knowledge`` counts."""
    from ykgeo.progress import progress_report

    return progress_report(
        Store(path), as_of=as_of, year=year, known_at=_known_at(as_of, knowledge)
    )


@st.cache_data(show_spinner=False, max_entries=64)
def monthly(
    path: str, mtime_ns: int, target_key: str, year: int, knowledge: Knowledge = "then"
) -> pd.DataFrame:
    """Cumulative monthly progress of one target (each month end read with the records ``knowledge`` counts)."""
    from ykgeo.progress import monthly_progress

    known_at = None if knowledge == "then" else now()
    return monthly_progress(Store(path), target_key, year=year, known_at=known_at)


@st.cache_data(show_spinner=False, max_entries=8)
def progress_xlsx(
    path: str, mtime_ns: int, as_of: dt.date, year: int | None, knowledge: Knowledge = "then"
) -> bytes:
    """The progress tables as an XLSX workbook."""
    from ykgeo import progress as progress_module

    report = progress(path, mtime_ns, as_of, year, knowledge)
    with tempfile.TemporaryDirectory(prefix="ykgeo-xlsx-") as tmp:
        out = Path(tmp) / "progress.xlsx"
        progress_module.report_to_xlsx(report, out)
        return out.read_bytes()


@st.cache_data(show_spinner=False, max_entries=16)
def export_file(
    path: str,
    mtime_ns: int,
    key: str,
    as_of: dt.date | None,
    knowledge: Knowledge,
    township: str,
    statuses: tuple[str, ...] | None,
    fmt: str,
    encoding: str,
    crs: int = 4490,
    area_mu: bool = False,
    day: dt.date | None = None,
) -> tuple[str, bytes, int, tuple[str, ...]]:
    """The selection written in a format: file name (低效工业用地_2022-12-31.geojson), bytes, count, notes."""
    from ykgeo.io import write_vector

    store = Store(path)
    spec = store.spec(key)
    frame = selection_frame(path, mtime_ns, key, as_of, knowledge, township, statuses)
    colours = maps.feature_colours(frame, spec) if fmt == "kml" else None
    frame = frame.drop(columns=["ykgeo_version"], errors="ignore").reset_index(drop=True)
    extension = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip", "kml": ".kml"}[fmt]
    parts = [spec.name_zh, f"{day or as_of or now().date():%Y-%m-%d}"]
    if township:
        parts.insert(1, township)
    if fmt == "shp":
        parts.append(encoding.lower().replace("-", ""))
    if crs != 4490:
        parts.append(f"EPSG{crs}")
    name = "_".join(parts) + extension
    with tempfile.TemporaryDirectory(prefix="ykgeo-export-") as tmp:
        out = Path(tmp) / name
        result = write_vector(
            frame,
            out,
            encoding=encoding,
            layer=key,
            name_field=spec.name_field or spec.id_field,
            spec=spec,
            crs=crs,
            area_mu=area_mu and spec.geometry_type == "Polygon",
            colours=colours,
        )
        return name, out.read_bytes(), len(frame), tuple(result.notes_zh)


def raster_files(path: str) -> dict[str, tuple[str, int]]:
    """The rasters the store offers for its map (``rasters/`` beside it): name → (path, mtime_ns).

    A directory listing, not cached: a raster dropped into the folder shows on the next run.
    """
    return {
        name: (str(file), file.stat().st_mtime_ns)
        for name, file in maps.raster_sources(path).items()
    }


@st.cache_data(show_spinner=False, max_entries=64)
def raster_title(path: str, mtime_ns: int) -> str:
    """A raster's title (its band description, else its file name; "" when unreadable)."""
    return maps.raster_title(path)


@st.cache_data(show_spinner=False, max_entries=16)
def raster_layer(path: str, mtime_ns: int, visible: bool, language: str) -> maps.RasterMapLayer:
    """A raster drawn for the map (reprojected, coloured, legend; at most 1024 px a side)."""
    return maps.prepare_raster(path, visible=visible, language=language)


@st.cache_data(show_spinner=False, max_entries=8)
def brief_pdf(
    path: str,
    mtime_ns: int,
    as_of: dt.date,
    township: str | None,
    since: dt.date | None,
    knowledge: Knowledge = "then",
) -> bytes:
    """The briefing pack (:func:`ykgeo.report.brief_pdf_bytes`) for the date, township and since-date.

    It counts the records ``knowledge`` counts, as the pages do, so the pack and the
    pages it was made from agree.
    """
    from ykgeo.report import brief_pdf_bytes

    return brief_pdf_bytes(
        Store(path),
        as_of=as_of,
        township=township,
        since=since,
        known_at=_known_at(as_of, knowledge),
    )
