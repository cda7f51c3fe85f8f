"""Shared machinery of the demo build: features in memory, their 2022 status timelines and the recording clock."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ykgeo.demo.geography import Geography, Placer, Township
from ykgeo.demo.names import NameBook
from ykgeo.errors import DataError
from ykgeo.layers import LayerRegistry, LayerSpec
from ykgeo.store import TZ

__all__ = [
    "DEMO_NOTE",
    "MONTH_WEIGHTS",
    "YEAR_END",
    "YEAR_START",
    "Anomaly",
    "Ctx",
    "Event",
    "Feature",
    "named_town",
    "offset",
    "point_near",
    "town_point",
]

YEAR_START = dt.date(2022, 1, 1)
YEAR_END = dt.date(2022, 12, 31)
#: The last moment at which a 2022 change is recorded (the year's books close on 30 December).
LAST_RECORDING = dt.datetime(2022, 12, 30, 17, 30, tzinfo=TZ)
#: Every illustrative feature's 备注 starts with this.
DEMO_NOTE = "示意"
#: How completions spread over 2022: slow around the Spring Festival (1 February), a push
#: before the half-year review and the flood season, another before the year-end review.
MONTH_WEIGHTS = np.array([2, 3, 7, 8, 9, 13, 7, 7, 11, 8, 11, 14], dtype=float)
#: Towns whose projects lag: completions come later and fewer of them are picked.
TOWN_LAG = {"舟山镇": 0.45, "西溪镇": 0.55, "唐先镇": 0.7}
#: Who enters the changes of each theme.
USERS = {
    "土地": "吕晓燕（土地利用科）",
    "水利": "胡建军（水利局）",
    "交通": "应志强（交通运输局）",
    "城市更新": "徐丽华（住建局）",
    "生态与民生": "程伟（综合协调科）",
    "参考": "周敏（测绘与地理信息科）",
}


@dataclass
class Feature:
    """One feature being built: geometry in metres (EPSG:4549) and its attributes at 1 January 2022."""

    layer: str
    fid: str
    geom: BaseGeometry
    attrs: dict[str, Any]
    town: Township

    @property
    def mu(self) -> float:
        """Planar area in 亩 (within 31 ppm of the ellipsoidal area inside the county)."""
        return float(self.geom.area) * 15.0 / 10000.0


@dataclass
class Event:
    """A change to one feature: what happened on ``day`` and, once known, when it was recorded."""

    layer: str
    fid: str
    day: dt.date
    changes: dict[str, Any]
    note: str = ""
    recorded: dt.datetime | None = None
    fixed: bool = False  # recorded time chosen on purpose (late entry, correction)
    seq: int = 0
    delete: bool = False  # the feature is removed (e.g. a duplicate entry)


@dataclass(frozen=True)
class Anomaly:
    """A deliberate oddity of the demo data, for the checks of other modules to find."""

    kind: str
    layer: str
    feature_id: str
    detail: str
    other_layer: str = ""
    other_id: str = ""


@dataclass
class Ctx:
    """State of one build: random generator, geography, placement, features, events and anomalies."""

    rng: np.random.Generator
    geo: Geography
    layers: LayerRegistry
    names: NameBook = field(init=False)
    placer: Placer = field(init=False)
    features: dict[str, list[Feature]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    _state: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _inner: dict[str, BaseGeometry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.names = NameBook(self.rng)
        self.placer = Placer(self.geo.boundary)

    def inner_zone(self, town: Township, margin: float = 15.0) -> BaseGeometry:
        """The town's illustrative zone shrunk by ``margin`` metres (prepared), so features stay in one zone."""
        key = f"{town.code}:{margin}"
        if key not in self._inner:
            zone = town.zone.buffer(-margin)
            shapely.prepare(zone)
            self._inner[key] = zone
        return self._inner[key]

    # --- features -----------------------------------------------------------------------------

    def spec(self, key: str) -> LayerSpec:
        """The layer definition."""
        return self.layers[key]

    def has(self, key: str) -> bool:
        """Whether the layer is defined."""
        return key in self.layers

    def town_at(self, geom: BaseGeometry) -> Township:
        """The township of a geometry: majority of area (polygons) or length (lines), else containment."""
        if geom.geom_type in ("Point", "MultiPoint"):
            p = geom if geom.geom_type == "Point" else geom.geoms[0]
            return self.geo.township_at(p.x, p.y)
        measure = (lambda g: g.area) if "Polygon" in geom.geom_type else (lambda g: g.length)
        best = max(
            self.geo.townships,
            key=lambda t: (round(measure(t.zone.intersection(geom)), 3), t.code),
        )
        return best

    def add(
        self,
        layer: str,
        fid: str,
        geom: BaseGeometry,
        attrs: Mapping[str, Any],
        *,
        note: str = "",
        town: Township | None = None,
    ) -> Feature:
        """Register a feature; every attribute must be a field of the layer definition."""
        spec = self.spec(layer)
        unknown = [k for k in attrs if k not in spec.field_names]
        if unknown:
            msg = f"演示数据生成了图层 {layer} 中没有的字段：{unknown}（请与 layers/{layer}.toml 对齐）"
            raise DataError(msg)
        values = dict(attrs)
        values[spec.id_field] = fid
        where = town or self.town_at(geom)
        if spec.township_field and spec.township_field not in values:
            values[spec.township_field] = where.name
        if "备注" in spec.field_names and "备注" not in values:
            values["备注"] = f"{DEMO_NOTE}；{note}" if note else DEMO_NOTE
        feat = Feature(layer, fid, geom, values, where)
        self.features.setdefault(layer, []).append(feat)
        self._state[(layer, fid)] = dict(values)
        return feat

    def initial(self, feat: Feature, values: Mapping[str, Any]) -> None:
        """Change the values a feature starts the year with (before any change is scheduled)."""
        feat.attrs.update(values)
        self._state[(feat.layer, feat.fid)].update(values)

    def flagged(self, feat: Feature) -> bool:
        """Whether the feature already takes part in a deliberate anomaly."""
        return any(
            (a.layer, a.feature_id) == (feat.layer, feat.fid)
            or (a.other_layer, a.other_id) == (feat.layer, feat.fid)
            for a in self.anomalies
        )

    def anomaly(self, kind: str, feat: Feature, detail: str, other: Feature | None = None) -> None:
        """Record a deliberate oddity."""
        self.anomalies.append(
            Anomaly(
                kind,
                feat.layer,
                feat.fid,
                detail,
                other.layer if other else "",
                other.fid if other else "",
            )
        )

    # --- random helpers -----------------------------------------------------------------------

    def uniform(self, lo: float, hi: float) -> float:
        """A float in [lo, hi)."""
        return float(self.rng.uniform(lo, hi))

    def integer(self, lo: int, hi: int) -> int:
        """An int in [lo, hi] (both ends included)."""
        return int(self.rng.integers(lo, hi + 1))

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return bool(self.rng.random() < p)

    def day_between(
        self, lo: dt.date, hi: dt.date, weights: Sequence[float] | np.ndarray | None = None
    ) -> dt.date:
        """A day in [lo, hi], the month drawn with ``weights`` (by calendar month of 2022)."""
        if hi < lo:
            hi = lo
        months = [(y, m) for y in range(lo.year, hi.year + 1) for m in range(1, 13)]
        months = [(y, m) for y, m in months if dt.date(y, m, 1) <= hi and _month_end(y, m) >= lo]
        w = np.array(
            [
                (weights[m - 1] if weights is not None and y == 2022 else 1.0) + 1e-9
                for y, m in months
            ]
        )
        y, m = months[int(self.rng.choice(len(months), p=w / w.sum()))]
        first = max(lo, dt.date(y, m, 1))
        last = min(hi, _month_end(y, m))
        return first + dt.timedelta(days=int(self.rng.integers(0, (last - first).days + 1)))

    def done_day(
        self, town: Township, lo: dt.date = YEAR_START, hi: dt.date = dt.date(2022, 12, 24)
    ) -> dt.date:
        """When a piece of work gets done in 2022: by the month weights, later in lagging towns."""
        w = MONTH_WEIGHTS.copy()
        lag = TOWN_LAG.get(town.name)
        if lag is not None:
            w = w * np.linspace(lag, 1.0 / lag, 12)
        return self.day_between(max(lo, dt.date(2022, 1, 10)), hi, w)

    def pick_until(
        self, feats: Sequence[Feature], goal: float, measure: Mapping[str, float]
    ) -> list[Feature]:
        """Features chosen at random (lagging towns less likely) until their measure reaches ``goal``.

        Efraimidis–Spirakis weighted order; stops at the first feature that brings the
        sum to ``goal`` or beyond.
        """
        u = self.rng.random(len(feats))
        w = np.array([TOWN_LAG.get(f.town.name, 1.0) for f in feats])
        keys = u ** (1.0 / w)
        order = sorted(range(len(feats)), key=lambda i: (-keys[i], feats[i].fid))
        out, total = [], 0.0
        for i in order:
            if total >= goal:
                break
            out.append(feats[i])
            total += measure[feats[i].fid]
        return out

    # --- timelines ----------------------------------------------------------------------------

    def change(
        self,
        feat: Feature,
        day: dt.date,
        changes: Mapping[str, Any],
        *,
        note: str = "",
        recorded: dt.datetime | None = None,
    ) -> None:
        """Schedule a change of ``feat`` happening on ``day``."""
        spec = self.spec(feat.layer)
        unknown = [k for k in changes if k not in spec.field_names and k != "geometry"]
        if unknown:
            msg = f"演示数据修改了图层 {feat.layer} 中没有的字段：{unknown}"
            raise DataError(msg)
        self.events.append(
            Event(
                feat.layer,
                feat.fid,
                day,
                dict(changes),
                note,
                recorded,
                fixed=recorded is not None,
                seq=len(self.events),
            )
        )
        self._state[(feat.layer, feat.fid)].update(changes)

    def delete(
        self, feat: Feature, day: dt.date, *, note: str, recorded: dt.datetime | None = None
    ) -> None:
        """Schedule the removal of ``feat`` on ``day``."""
        self.events.append(
            Event(
                feat.layer,
                feat.fid,
                day,
                {},
                note,
                recorded,
                fixed=recorded is not None,
                seq=len(self.events),
                delete=True,
            )
        )

    def status(
        self,
        feat: Feature,
        day: dt.date,
        status: str,
        *,
        stamps: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        note: str = "",
        recorded: dt.datetime | None = None,
    ) -> None:
        """Move ``feat`` to ``status`` on ``day``, setting the date fields that go with it.

        The layer's done-date field is set on the first move into a done status;
        ``stamps`` maps other statuses to the date field they set (开工日期 …).
        """
        spec = self.spec(feat.layer)
        st = spec.status
        if st is None or status not in st.values:
            msg = f"状态 {status} 不在图层 {feat.layer} 的状态词表中"
            raise DataError(msg)
        state = self._state[(feat.layer, feat.fid)]
        changes: dict[str, Any] = {st.field: status}
        iso = day.isoformat()
        if status in st.done and st.date_field and not state.get(st.date_field):
            changes[st.date_field] = iso
        if stamps and status in stamps and not state.get(stamps[status]):
            changes[stamps[status]] = iso
        if extra:
            changes.update(extra)
        self.change(feat, day, changes, note=note, recorded=recorded)

    def current(self, feat: Feature) -> dict[str, Any]:
        """The feature's values after every change scheduled so far."""
        return dict(self._state[(feat.layer, feat.fid)])

    # --- recording ----------------------------------------------------------------------------

    def user_for(self, layer: str) -> str:
        """Who records changes to ``layer``."""
        return USERS.get(self.spec(layer).theme, USERS["土地"])

    def assign_recording(self) -> None:
        """Give every event a recording time two to six days after it happened, on a working day.

        Each user enters the day's changes in one sitting, so the changes of one user
        and day share a recording time (one transaction). A feature's changes are
        recorded in the order they happened, except those whose time was fixed on
        purpose (late entries and corrections).
        """
        sessions: dict[tuple[str, dt.date], dt.datetime] = {}
        last_day = LAST_RECORDING.date()
        for ev in self.events:
            if ev.recorded is not None:
                continue
            day = ev.day + dt.timedelta(days=int(self.rng.integers(2, 7)))
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            if day > last_day:
                day = max(last_day, ev.day)
            key = (self.user_for(ev.layer), day)
            if key not in sessions:
                minute = int(self.rng.integers(0, 540))
                sessions[key] = dt.datetime.combine(day, dt.time(8, 30), tzinfo=TZ) + dt.timedelta(
                    minutes=minute
                )
            ev.recorded = sessions[key]
        by_feature: dict[tuple[str, str], list[Event]] = {}
        for ev in self.events:
            by_feature.setdefault((ev.layer, ev.fid), []).append(ev)
        for evs in by_feature.values():
            last: dt.datetime | None = None
            for ev in sorted(evs, key=lambda e: (e.day, e.seq)):
                if ev.fixed:
                    continue
                assert ev.recorded is not None
                if last is not None and ev.recorded < last:
                    ev.recorded = last
                last = ev.recorded


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def grid_angle(base_deg: float, rng: np.random.Generator, spread_deg: float = 4.0) -> float:
    """A street-grid orientation in radians near ``base_deg``."""
    return math.radians(base_deg + rng.normal(0.0, spread_deg))


def jitter_copy(geom: BaseGeometry, rng: np.random.Generator, metres: float = 2.0) -> BaseGeometry:
    """The same parcel digitised again: every vertex moved by up to ``metres``."""
    ring = np.asarray(geom.exterior.coords)[:-1]
    ring = ring + rng.uniform(-metres, metres, size=ring.shape)
    out = shapely.Polygon(ring)
    if not out.is_valid:
        out = shapely.make_valid(out)
        out = max(shapely.get_parts(out), key=lambda g: g.area)
    return out


# --- where features go -----------------------------------------------------------------------


def offset(ctx: Ctx, dx: float, dy: float) -> tuple[float, float]:
    """A point (metres) ``dx`` east and ``dy`` north of the city centre."""
    cx, cy = ctx.geo.centre
    return cx + dx, cy + dy


def town_point(ctx: Ctx, short: str, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    """A point (metres) ``dx`` east and ``dy`` north of a township's centre."""
    t = ctx.geo.township(short)
    return t.x + dx, t.y + dy


def named_town(ctx: Ctx, name: str) -> Township | None:
    """The township whose short name (东城, 古山 …) appears in ``name``, if any."""
    for t in ctx.geo.townships:
        if t.short in name:
            return t
    return None


def point_near(
    ctx: Ctx,
    x: float,
    y: float,
    sigma: float,
    *,
    clearance: float = 40.0,
    zone: Township | None = None,
    name: str = "",
) -> BaseGeometry:
    """A point near (x, y) inside the boundary (and ``zone``), clear of placed polygons.

    A ``name`` that mentions a township (古山镇第二小学) keeps the point in that township's zone.
    """
    zone = zone or named_town(ctx, name)
    for attempt in range(300):
        s = sigma * (1 + attempt / 60)
        p = shapely.Point(x + float(ctx.rng.normal(0, s)), y + float(ctx.rng.normal(0, s)))
        if zone is not None and not ctx.inner_zone(zone, 80.0).contains(p):
            continue
        if ctx.placer.fits(p.buffer(clearance), 0.0):
            return p
    msg = f"无法在 ({x:.0f}, {y:.0f}) 附近放点"
    raise RuntimeError(msg)
