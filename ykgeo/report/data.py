"""What a briefing pack is made of: the engine's report and JSON, the map data, and the text to cover.

Everything the pack prints comes from here: figures from
:func:`ykgeo.progress.report_to_json` (printed with :func:`ykgeo.progress.output.format_cells`
and its figure formats, as ``ykgeo progress`` prints them), the as-of snapshots of the
layers the maps draw, and the text the font subset must cover.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from ykgeo.errors import DataError
from ykgeo.progress import ProgressReport, changes_between, progress_report, report_to_json
from ykgeo.progress import output as progress_output
from ykgeo.progress.output import RATING_ZH
from ykgeo.report import maps
from ykgeo.store import Store, end_of_day

if TYPE_CHECKING:  # reportlab is imported only when a PDF is written
    from ykgeo.report.pdf import Fonts, Styles

__all__ = [
    "MapData",
    "Pack",
    "is_illustrative",
    "knowledge_zh",
    "load_pack_data",
    "numeral",
    "pack_texts",
]

_NUMERALS = "一二三四五六七八九十"
_TOWNSHIP_LAYER = "townships"
_BOUNDARY_LAYER = "city_boundary"


def numeral(i: int) -> str:
    """一, 二, 三 … for section numbers."""
    return _NUMERALS[i - 1] if 1 <= i <= len(_NUMERALS) else str(i)


# --- the data of a pack ----------------------------------------------------------------------


@dataclass
class MapData:
    """Reference geometry (EPSG:4549) and the as-of snapshot of every layer a map needs."""

    town_names: list[str]
    town_codes: list[str]
    towns_gk: npt.NDArray[np.object_]
    boundary_gk: npt.NDArray[np.object_]
    towns_illustrative: bool
    layers: dict[str, gpd.GeoDataFrame]
    layers_gk: dict[str, npt.NDArray[np.object_]]


@dataclass
class Pack:
    """Everything the story of one pack is written from (the figures are ``items``: the engine's JSON per target)."""

    store: Store
    report: ProgressReport
    summary: dict[str, Any]
    items: dict[str, dict[str, Any]]
    changes: pd.DataFrame | None
    since: dt.date | None
    geo: MapData
    illustrative: bool
    generated_at: dt.datetime
    fonts: Fonts
    styles: Styles
    town_ids: dict[str, dict[str, set[str]]] | None = None

    def ids_in(self, layer: str, township: str) -> set[str]:
        """Ids of a layer's features that the engine places in ``township`` (for any target)."""
        if self.town_ids is None:
            self.town_ids = {}
            for row in self.report.rows:
                f = row.features
                by_town = self.town_ids.setdefault(row.layer, {})
                for town, ids in f.groupby(f["township"].astype(str))["id"]:
                    by_town.setdefault(str(town), set()).update(ids.astype(str))
        return self.town_ids.get(layer, {}).get(township, set())


def _snapshot(
    store: Store, key: str, as_of: dt.date, known_at: dt.datetime | None = None
) -> gpd.GeoDataFrame:
    """A layer at the as-of date; the current one for a reference layer loaded later than that."""
    gdf = store.read_layer(key, as_of=as_of, known_at=known_at)
    if gdf.empty and store.spec(key).reference:
        gdf = store.read_layer(key)
    return gdf


def _load_geo(
    store: Store,
    as_of: dt.date,
    layer_keys: Sequence[str],
    known_at: dt.datetime | None = None,
) -> MapData:
    """Townships, the city boundary and the as-of snapshot of ``layer_keys``, in EPSG:4549.

    Snapshots are read exactly as the progress engine reads them (as of the end of
    ``as_of``, with the records known at ``known_at``: by default the end of ``as_of``),
    so the features on a map are those behind its figures.
    """
    keys = set(store.layer_keys())
    names: list[str] = []
    codes: list[str] = []
    towns_gk = np.zeros(0, dtype=object)
    illustrative = False
    if _TOWNSHIP_LAYER in keys:
        spec = store.spec(_TOWNSHIP_LAYER)
        towns = _snapshot(store, _TOWNSHIP_LAYER, as_of, known_at)
        name_field = spec.name_field or spec.id_field
        names = towns[name_field].astype(str).tolist()
        codes = towns.index.astype(str).tolist()
        towns_gk = maps.gk_frame(towns)
        notes = " ".join(
            towns[c].astype(str).str.cat(sep=" ") for c in ("说明", "数据来源") if c in towns
        )
        illustrative = "示意" in notes or "示意" in spec.description_zh
    if _BOUNDARY_LAYER in keys:
        boundary_gk = maps.gk_frame(_snapshot(store, _BOUNDARY_LAYER, as_of, known_at))
    else:
        boundary_gk = np.zeros(0, dtype=object)
    if boundary_gk.size == 0 and towns_gk.size:
        boundary_gk = np.asarray([shapely.union_all(towns_gk)], dtype=object)
    layers: dict[str, gpd.GeoDataFrame] = {}
    layers_gk: dict[str, npt.NDArray[np.object_]] = {}
    for key in dict.fromkeys(layer_keys):
        if key in keys:
            gdf = store.read_layer(key, as_of=as_of, known_at=known_at)
            layers[key] = gdf
            layers_gk[key] = maps.gk_frame(gdf)
    return MapData(names, codes, towns_gk, boundary_gk, illustrative, layers, layers_gk)


def is_illustrative(store: Store) -> bool:
    """Whether the store holds illustrative (demo, 示意) data, as its metadata says (``demo`` key)."""
    meta = {k.lower(): str(v).strip() for k, v in store.meta.items()}
    for key in ("demo", "illustrative"):
        value = meta.get(key, "")
        if value and value.lower() not in {"0", "false", "no", "否"}:
            return True
    return any(word in store.name_zh for word in ("演示", "示意"))


def _texts(pack_parts: Sequence[Any]) -> Iterator[str]:
    """Every string in nested dicts, lists and data frames (to build the font subset)."""
    for part in pack_parts:
        if isinstance(part, str):
            yield part
        elif isinstance(part, dict):
            yield from _texts(list(part.keys()))
            yield from _texts(list(part.values()))
        elif isinstance(part, list | tuple):
            yield from _texts(list(part))
        elif isinstance(part, pd.DataFrame):
            yield from (str(c) for c in part.columns)
            for column in part.columns:
                if part[column].dtype == object or pd.api.types.is_string_dtype(part[column]):
                    yield from (str(v) for v in part[column].dropna().unique())


#: The modules whose fixed labels a pack prints: this package's, and the table formats of progress.
_LABEL_MODULES = (
    Path(__file__).with_name("brief.py"),
    Path(__file__).with_name("data.py"),
    Path(__file__).with_name("story.py"),
    Path(__file__).with_name("tables.py"),
    Path(__file__).with_name("pdf.py"),
    Path(__file__).with_name("maps.py"),
    Path(__file__).with_name("draw.py"),
    Path(progress_output.__file__),
)


def _source_texts() -> list[str]:
    """The text of the pack's own modules: every fixed label the pack prints."""
    out = []
    for path in _LABEL_MODULES:
        try:
            out.append(path.read_text(encoding="utf-8"))
        except OSError:
            out.append(bytes(range(0xB0, 0xF8)).decode("gb2312", errors="ignore"))
    return out


# --- the story --------------------------------------------------------------------------------


def load_pack_data(
    store: Store,
    as_of: dt.date,
    township: str | None,
    since: dt.date | None,
    known_at: dt.datetime | None = None,
) -> tuple[ProgressReport, dict[str, Any], pd.DataFrame | None, MapData]:
    """The engine's report, its JSON, the changes and the map data, read side by side.

    All four read the same records: those known at ``known_at`` (default: the end of
    ``as_of``, 按当时所知), so the figures, maps and changes of a pack always agree.
    The three reads are independent (each opens its own read-only connection), so
    they run in threads: SQLite, shapely and much of pandas release the GIL.
    """
    if since is not None and since >= as_of:
        msg = f"比较基准日 {since} 应早于统计日 {as_of}"
        raise DataError(msg)
    horizon = known_at or end_of_day(as_of)
    plan = store.plan(as_of.year, as_of=as_of, known_at=horizon)
    with ThreadPoolExecutor(max_workers=3) as pool:
        report_job = pool.submit(
            progress_report, store, as_of=as_of, township=township, known_at=known_at
        )
        geo_job = pool.submit(_load_geo, store, as_of, [t.layer for t in plan.targets], horizon)
        changes_job = (
            pool.submit(changes_between, store, since, as_of, known_at=known_at) if since else None
        )
        report = report_job.result()
        geo = geo_job.result()
        changes = changes_job.result() if changes_job else None
    return report, report_to_json(report), changes, geo


def knowledge_zh(report: ProgressReport) -> str:
    """Which records the pack counts, in words: 按当时所知 or 按现在所知 with the moment."""
    if report.known_at <= end_of_day(report.as_of):
        return "按当时所知：当日结束前已录入项目库的数据"
    return f"按现在所知：含截至 {report.known_at:%Y-%m-%d %H:%M} 补录的数据"


def pack_texts(
    store: Store,
    report: ProgressReport,
    summary: dict[str, Any],
    changes: pd.DataFrame | None,
    geo: MapData,
) -> list[str]:
    """Every text the pack may print: the font subset is made for exactly these characters."""
    specs = [store.spec(k) for k in geo.layers]
    return list(
        _texts(
            [
                summary,
                [changes] if changes is not None else [],
                [
                    [r.features, r.overlaps, r.township_mismatches, r.area_mismatches]
                    for r in report.rows
                ],
                [[s.name_zh, *(s.status.values if s.status else ())] for s in specs],
                geo.town_names,
                [store.name_zh, store.path.name, report.data_version.label_zh()],
                list(store.meta.values()),
                list(RATING_ZH.values()),
                _source_texts(),
            ]
        )
    )
