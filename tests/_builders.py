"""Builders shared by the tests: layer-definition and plan TOML text, GK geometry, small stores.

Each test module keeps its own layers, features and known answers; these functions only
write the boilerplate around them. Imported as ``from tests._builders import ...``.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from ykgeo.layers import LayerRegistry, TargetPlan, load_layers, parse_plan
from ykgeo.store import Store

# --- TOML text ---------------------------------------------------------------------------------

#: The status vocabulary of parcel-like layers: not started, in progress, done.
PARCEL_STATUSES = ("未启动", "推进中", "已完成")
#: The status vocabulary of works (wells, sites, reservoirs).
WORKS_STATUSES = ("前期", "在建", "完工")
#: The shared palette colours for not started / in progress / done.
PALETTE = ("#b0bec5", "#f9a825", "#2e7d32")


def _value(value: Any) -> str:
    """One TOML value: strings and lists of strings as JSON spells them, ``true``, numbers, inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        inner = ", ".join(
            f"{json.dumps(k, ensure_ascii=False)} = {_value(v)}" for k, v in value.items()
        )
        return "{ " + inner + " }"
    return json.dumps(value if not isinstance(value, tuple) else list(value), ensure_ascii=False)


def _lines(table: Mapping[str, Any]) -> str:
    return "".join(f"{k} = {_value(v)}\n" for k, v in table.items() if v is not None)


def field(
    name: str, type: str | None = None, *, required: bool = False, **attrs: Any
) -> dict[str, Any]:
    """One ``[[fields]]`` entry: ``field("完成日期", "date")``, ``field("编号", required=True)``."""
    entry: dict[str, Any] = {"name": name}
    if required:
        entry["required"] = True
    if type is not None:
        entry["type"] = type
    entry.update(attrs)
    return entry


def layer_toml(
    key: str,
    *,
    name_zh: str,
    theme: str,
    geometry_type: str,
    id_field: str,
    fields: Iterable[str | Mapping[str, Any]],
    order: int | None = None,
    reference: bool = False,
    name_field: str | None = None,
    township_field: str | None = None,
    ledger_area_field: str | None = None,
    classification: str | None = None,
    code_field: str | None = None,
    description_zh: str | None = None,
    statuses: Sequence[str] | None = None,
    status_field: str = "状态",
    date_field: str | None = None,
    planned_date_field: str | None = None,
    colours: Sequence[str] | None = None,
) -> str:
    """The text of one layer definition.

    ``statuses`` (not started, in progress…, done) gives a ``[status]`` table whose
    ``in_progress`` is the middle values and ``done`` the last; ``fields`` are names (plain
    optional text fields) or :func:`field` entries; ``colours`` (one a status) gives
    ``[style] status_colors``.
    """
    header = {
        "key": key,
        "name_zh": name_zh,
        "theme": theme,
        "order": order,
        "geometry_type": geometry_type,
        "reference": True if reference else None,
        "id_field": id_field,
        "name_field": name_field,
        "township_field": township_field,
        "ledger_area_field": ledger_area_field,
        "classification": classification,
        "code_field": code_field,
        "description_zh": description_zh,
    }
    parts = [_lines(header)]
    if statuses is not None:
        status = {
            "field": status_field,
            "values": list(statuses),
            "in_progress": list(statuses[1:-1]),
            "done": [statuses[-1]],
            "date_field": date_field,
            "planned_date_field": planned_date_field,
        }
        parts.append("[status]\n" + _lines(status))
    for entry in fields:
        entry = {"name": entry} if isinstance(entry, str) else entry
        parts.append("[[fields]]\n" + _lines(entry))
    if colours is not None:
        if statuses is None or len(colours) != len(statuses):
            raise ValueError("colours go one a status")
        palette = dict(zip(statuses, colours, strict=True))
        parts.append("[style]\n" + _lines({"status_colors": palette}))
    return "\n".join(parts)


def townships_toml(*, description_zh: str | None = None) -> str:
    """The reference layer ``townships`` (required 代码 and 镇街名称), as the test stores declare it."""
    return layer_toml(
        "townships",
        name_zh="镇街",
        theme="参考",
        order=900,
        geometry_type="Polygon",
        reference=True,
        id_field="代码",
        name_field="镇街名称",
        description_zh=description_zh,
        fields=[field("代码", required=True), field("镇街名称", required=True)],
    )


def target_toml(
    key: str,
    *,
    name_zh: str,
    layer: str,
    measure: str,
    value: float,
    unit: str,
    statuses: Sequence[str] | None = None,
    **extra: Any,
) -> str:
    """One ``[[targets]]`` table; ``extra`` (``field``, ``filter``, ``milestones``…) follows ``statuses``."""
    table: dict[str, Any] = {"key": key, "name_zh": name_zh, "layer": layer, "measure": measure}
    if "field" in extra:
        table["field"] = extra.pop("field")
    table.update(value=value, unit=unit, statuses=None if statuses is None else list(statuses))
    table.update(extra)
    return "[[targets]]\n" + _lines(table)


def plan_toml(year: int, name_zh: str, *targets: str) -> str:
    """A plan file: ``year``, ``name_zh`` and the :func:`target_toml` tables, a blank line apart."""
    return "\n".join([_lines({"year": year, "name_zh": name_zh}), *targets])


def write_layers(directory: Path, **tomls: str) -> Path:
    """Write each ``key=text`` as ``directory/key.toml`` (making the folder); returns the folder."""
    directory.mkdir(parents=True, exist_ok=True)
    for key, text in tomls.items():
        (directory / f"{key}.toml").write_text(text, encoding="utf-8")
    return directory


def load_registry_and_plan(
    directory: Path, tomls: Mapping[str, str], plan: str, *, year: int | None = None
) -> tuple[LayerRegistry, TargetPlan]:
    """Write the layer files to ``directory``, load them and parse ``plan`` (as targets-2022.toml)."""
    registry = load_layers(write_layers(directory, **tomls))
    return registry, parse_plan(plan, name="targets-2022.toml", layers=registry, year=year)


def build_store(
    path: Path,
    tomls: Mapping[str, str],
    plan: str,
    *,
    layer_dir: Path | None = None,
    meta: Mapping[str, str] | None = None,
) -> Store:
    """A new, empty store at ``path`` with these layers (written to ``layer_dir``, by default
    ``layers/`` beside the store) and this plan."""
    registry, target_plan = load_registry_and_plan(layer_dir or path.parent / "layers", tomls, plan)
    return Store.create(path, layers=registry, plans=[target_plan], meta=meta)


# --- geometry ------------------------------------------------------------------------------------

_TO_4490 = Transformer.from_crs(4549, 4490, always_xy=True)


def gk(geom: shapely.Geometry) -> shapely.Geometry:
    """A geometry in CGCS2000 / 3° GK CM 120°E (EPSG:4549, metres), transformed to EPSG:4490."""

    def tr(coords: np.ndarray) -> np.ndarray:
        x, y = _TO_4490.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, tr)


def gk_square(
    x: float, y: float, size: float = 100.0, *, origin: tuple[float, float] = (0.0, 0.0)
) -> shapely.Geometry:
    """A ``size`` m square in EPSG:4549 with its lower left corner at ``origin + (x, y)``, in EPSG:4490."""
    x0, y0 = origin[0] + x, origin[1] + y
    return gk(shapely.box(x0, y0, x0 + size, y0 + size))


# --- features ------------------------------------------------------------------------------------


def import_rows(
    store: Store,
    key: str,
    columns: Mapping[str, Any],
    geometry: Sequence[shapely.Geometry],
    *,
    user: str,
    source: str,
    effective_date: dt.date,
    recorded_at: dt.datetime,
) -> None:
    """Import ``columns`` with ``geometry`` (EPSG:4490) into layer ``key`` of ``store``."""
    frame = gpd.GeoDataFrame(dict(columns), geometry=list(geometry), crs=4490)
    store.import_features(
        key,
        frame,
        user=user,
        source=source,
        effective_date=effective_date,
        recorded_at=recorded_at,
    )


def parcels_inside(
    boundary: shapely.Geometry, n: int, *, seed: int = 7, prefix: str = "P"
) -> gpd.GeoDataFrame:
    """``n`` small 12-vertex parcels (25–55 m across) at random inside ``boundary`` (EPSG:4490).

    Fields as a low-efficiency-industrial ledger has them; ids ``{prefix}000000`` ….
    """
    rng = np.random.default_rng(seed)
    inner = shapely.buffer(boundary, -0.005)
    x0, y0, x1, y1 = inner.bounds
    found: list[np.ndarray] = []
    while sum(len(p) for p in found) < n:
        cx, cy = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
        keep = shapely.contains_xy(inner, cx, cy)
        found.append(np.column_stack([cx[keep], cy[keep]]))
    centre = np.concatenate(found)[:n]
    angle = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    radius = rng.uniform(0.0002, 0.0005, (n, 1)) * rng.uniform(0.8, 1.0, (n, 12))
    ring = np.stack(
        [centre[:, :1] + radius * np.cos(angle), centre[:, 1:] + radius * np.sin(angle) * 0.9],
        axis=-1,
    )
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return gpd.GeoDataFrame(
        {
            "地块编号": [f"{prefix}{i:06d}" for i in range(n)],
            "企业名称": [f"永康市合成五金厂{i}" for i in range(n)],
            "所属镇街": "东城街道",
            "地类编码": "0601",
            "状态": "未启动",
        },
        geometry=shapely.polygons(ring),
        crs=4490,
    )


# --- processes -----------------------------------------------------------------------------------

_HOLD_LOCK = """import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute('BEGIN EXCLUSIVE')
conn.execute("UPDATE ykgeo_meta SET value = value || '' WHERE key = 'name'")
print('held', flush=True)
sys.stdin.readline()
conn.execute('ROLLBACK')
"""


@contextmanager
def write_lock_held(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process in the middle of a long write to store ``path``: the write lock held
    (``BEGIN EXCLUSIVE``), a change not committed. It lets go when the block ends, or when
    ``proc.communicate("\\n")`` is called inside it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.communicate("\n", timeout=30)
