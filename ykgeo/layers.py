"""Layer and target-plan definitions loaded from ``layers/*.toml``: schema, statuses, style and counting rules."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from ykgeo.errors import LayerError

__all__ = [
    "DEFAULT_LAYER_DIR",
    "PLAN_ADOPTED",
    "PLAN_DRAFT",
    "PLAN_STATUSES",
    "RESERVED_PREFIX",
    "STATUS_GROUPS",
    "CarriedOver",
    "FieldSpec",
    "LayerRegistry",
    "LayerSpec",
    "StatusSpec",
    "StyleSpec",
    "TargetPlan",
    "TargetSpec",
    "load_layers",
    "load_plan",
    "parse_layer",
    "parse_plan",
    "registry_from_texts",
]

#: ``layers/`` beside the package (source checkout) — the shipped definitions.
DEFAULT_LAYER_DIR = Path(__file__).resolve().parent.parent / "layers"

FieldType = Literal["str", "int", "float", "date"]
GeometryType = Literal["Polygon", "LineString", "Point"]
Measure = Literal["area", "count", "chainage_km", "length_km", "field_sum"]
_FIELD_TYPES = {"str", "int", "float", "date"}
_GEOMETRY_TYPES = {"Polygon", "LineString", "Point"}
_MEASURES = {"area", "count", "chainage_km", "length_km", "field_sum"}
_CLASSIFICATIONS = {"", "GB/T 21010", "用地用海"}
#: Plan statuses: adopted and draft.
PLAN_ADOPTED = "正式"
PLAN_DRAFT = "草案"
PLAN_STATUSES = (PLAN_ADOPTED, PLAN_DRAFT)
#: Files in ``layers/`` that are not layer definitions: year plans and the 亩均 rules.
_NOT_LAYERS = ("targets-", "mujun-")
#: Names of the store's own tables and edit-log records (``ykgeo_plans`` …): no layer key starts so.
RESERVED_PREFIX = "ykgeo_"


#: The shared status groups every layer's statuses fall in, with their names (中文, English).
STATUS_GROUPS: Mapping[str, tuple[str, str]] = {
    "not_started": ("未启动", "Not started"),
    "in_progress": ("推进中", "In progress"),
    "done": ("已完成", "Done"),
}


@dataclass(frozen=True)
class FieldSpec:
    """One attribute of a layer, with the Chinese name stored and the aliases found in bureau files."""

    name: str
    type: FieldType = "str"
    required: bool = False
    unit: str = ""
    label_en: str = ""
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    popup: bool = True


@dataclass(frozen=True)
class StatusSpec:
    """The ordered status vocabulary of a layer and which statuses mean done / in progress."""

    field: str
    values: tuple[str, ...]
    done: tuple[str, ...]
    in_progress: tuple[str, ...]
    date_field: str = ""
    planned_date_field: str = ""

    @property
    def not_started(self) -> tuple[str, ...]:
        """Statuses that are neither done nor in progress."""
        return tuple(v for v in self.values if v not in self.done and v not in self.in_progress)

    def group(self, value: str) -> str:
        """The shared group of a status: ``done``, ``in_progress`` or ``not_started`` (see :data:`STATUS_GROUPS`)."""
        if value in self.done:
            return "done"
        if value in self.in_progress:
            return "in_progress"
        return "not_started"

    def values_in(self, groups: Iterable[str]) -> tuple[str, ...]:
        """This layer's statuses that fall in ``groups`` (e.g. ``["done"]`` → 已完成, or 已供, 建成 …)."""
        wanted = set(groups)
        return tuple(v for v in self.values if self.group(v) in wanted)

    def rank(self, value: str) -> int:
        """Position of a status in the vocabulary (0 = earliest); -1 when unknown."""
        return self.values.index(value) if value in self.values else -1


@dataclass(frozen=True)
class StyleSpec:
    """Map style of a layer: colours by status (or one colour), opacity and line weight."""

    color: str = "#3366cc"
    status_colors: Mapping[str, str] = dc_field(default_factory=dict)
    fill_opacity: float = 0.45
    weight: float = 1.5
    dash_array: str = ""
    radius: float = 6.0


@dataclass(frozen=True)
class LayerSpec:
    """Everything ykgeo knows about a layer, from one TOML file."""

    key: str
    name_zh: str
    name_en: str
    theme: str
    geometry_type: GeometryType
    id_field: str
    fields: tuple[FieldSpec, ...]
    status: StatusSpec | None = None
    classification: str = ""
    code_field: str = ""
    township_field: str = ""
    name_field: str = ""
    ledger_area_field: str = ""
    reference: bool = False
    description_zh: str = ""
    style: StyleSpec = dc_field(default_factory=StyleSpec)
    order: int = 100
    toml_text: str = dc_field(default="", repr=False, compare=False)

    def field(self, name: str) -> FieldSpec:
        """The field called ``name``; LayerError if the layer has none."""
        for f in self.fields:
            if f.name == name:
                return f
        msg = f"图层 {self.name_zh}（{self.key}）没有字段 {name}"
        raise LayerError(msg)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Stored field names, in definition order."""
        return tuple(f.name for f in self.fields)

    @property
    def required_fields(self) -> tuple[str, ...]:
        """Fields an import must provide."""
        return tuple(f.name for f in self.fields if f.required)

    def alias_map(self) -> dict[str, str]:
        """Every known alias (and the name itself, case-folded) → stored field name."""
        out: dict[str, str] = {}
        for f in self.fields:
            for alias in (f.name, *f.aliases):
                out[alias.casefold()] = f.name
        return out

    @property
    def date_fields(self) -> tuple[str, ...]:
        """Fields of type date."""
        return tuple(f.name for f in self.fields if f.type == "date")


@dataclass(frozen=True)
class TargetSpec:
    """One target of a year's plan and the rule that counts toward it."""

    key: str
    name_zh: str
    layer: str
    unit: str
    value: float
    measure: Measure
    name_en: str = ""
    field: str = ""
    statuses: tuple[str, ...] = ()
    area_source: Literal["geometry", "ledger"] = "geometry"
    township_rule: Literal["majority", "split"] = "majority"
    at_least: bool = True
    filter: Mapping[str, tuple[str, ...]] = dc_field(default_factory=dict)
    milestones: tuple[tuple[dt.date, float], ...] = ()
    source_zh: str = ""
    note_zh: str = ""
    township_values: Mapping[str, float] = dc_field(default_factory=dict)
    value_set: bool = True

    @property
    def has_township_values(self) -> bool:
        """Whether the plan gives townships their own figures (任务分解下达) for this target."""
        return bool(self.township_values)


@dataclass(frozen=True)
class CarriedOver:
    """A feature a rollover carried into the new year's draft (结转): unfinished at the old year's end."""

    target: str
    id: str
    name: str = ""
    township: str = ""
    status: str = ""
    amount: float = 0.0


@dataclass(frozen=True)
class TargetPlan:
    """A year's targets, as written in ``layers/targets-YYYY.toml`` or kept in a store.

    ``status`` is 正式 (adopted) or 草案 (a draft, e.g. made by a rollover with its values to
    be filled); ``carried_over`` lists the features a rollover carried into the year.
    """

    year: int
    name_zh: str
    targets: tuple[TargetSpec, ...]
    source_zh: str = ""
    toml_text: str = ""
    status: str = "正式"
    carried_over: tuple[CarriedOver, ...] = ()

    @property
    def is_draft(self) -> bool:
        """Whether the plan is a draft (草案)."""
        return self.status == PLAN_DRAFT

    def target(self, key: str) -> TargetSpec:
        """The target with this key; LayerError when unknown."""
        for t in self.targets:
            if t.key == key:
                return t
        known = "、".join(t.key for t in self.targets)
        msg = f"{self.year} 年计划中没有目标 {key}（已有：{known}）"
        raise LayerError(msg)

    def __iter__(self) -> Iterator[TargetSpec]:
        return iter(self.targets)


class LayerRegistry(Mapping[str, LayerSpec]):
    """All layer definitions by key, in display order."""

    def __init__(self, specs: Mapping[str, LayerSpec]) -> None:
        self._specs = dict(sorted(specs.items(), key=lambda kv: (kv[1].order, kv[0])))

    def __getitem__(self, key: str) -> LayerSpec:
        try:
            return self._specs[key]
        except KeyError:
            known = "、".join(self._specs)
            msg = f"未知图层：{key}（可用图层：{known}）"
            raise LayerError(msg, message_en=f"unknown layer {key}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def by_theme(self) -> dict[str, list[LayerSpec]]:
        """Layers grouped by theme (土地, 水利, 交通, …) in display order."""
        out: dict[str, list[LayerSpec]] = {}
        for spec in self._specs.values():
            out.setdefault(spec.theme, []).append(spec)
        return out


def _err(path: Path, what: str) -> LayerError:
    return LayerError(f"图层定义 {path.name} 有误：{what}")


def _parse_field(path: Path, raw: Mapping[str, Any]) -> FieldSpec:
    if "name" not in raw:
        raise _err(path, "字段缺少 name")
    ftype = raw.get("type", "str")
    if ftype not in _FIELD_TYPES:
        raise _err(path, f"字段 {raw['name']} 的类型 {ftype} 不在 {sorted(_FIELD_TYPES)} 中")
    return FieldSpec(
        name=raw["name"],
        type=ftype,
        required=bool(raw.get("required", False)),
        unit=raw.get("unit", ""),
        label_en=raw.get("label_en", ""),
        aliases=tuple(raw.get("aliases", ())),
        choices=tuple(raw.get("choices", ())),
        popup=bool(raw.get("popup", True)),
    )


def _parse_layer(path: Path) -> LayerSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise _err(path, "文件不是 UTF-8 编码，请另存为 UTF-8") from err
    return parse_layer(text, name=path.name)


def parse_layer(text: str, *, name: str) -> LayerSpec:
    """Parse one layer definition from TOML text (a file's or the copy kept in a store)."""
    path = Path(name)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _err(path, f"TOML 语法错误：{err}") from err
    for key in ("key", "name_zh", "geometry_type", "id_field", "fields", "theme"):
        if key not in raw:
            raise _err(path, f"缺少 {key}")
    if str(raw["key"]).startswith(RESERVED_PREFIX):
        # the store's own tables and edit-log records (plans, 亩均 loads) go by these names
        raise _err(path, f"图层键 {raw['key']} 不能以 {RESERVED_PREFIX} 开头（项目库自用）")
    if raw["geometry_type"] not in _GEOMETRY_TYPES:
        raise _err(path, f"geometry_type 必须是 {sorted(_GEOMETRY_TYPES)} 之一")
    if raw.get("classification", "") not in _CLASSIFICATIONS:
        raise _err(path, f"classification 必须是 {sorted(_CLASSIFICATIONS)} 之一")
    fields = tuple(_parse_field(path, f) for f in raw["fields"])
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise _err(path, "字段名重复")
    status = None
    if "status" in raw:
        s = raw["status"]
        for key in ("field", "values"):
            if key not in s:
                raise _err(path, f"[status] 缺少 {key}")
        values = tuple(s["values"])
        for group in ("done", "in_progress"):
            bad = [v for v in s.get(group, ()) if v not in values]
            if bad:
                raise _err(path, f"status.{group} 中的 {bad} 不在状态词表中")
        status = StatusSpec(
            field=s["field"],
            values=values,
            done=tuple(s.get("done", ())),
            in_progress=tuple(s.get("in_progress", ())),
            date_field=s.get("date_field", ""),
            planned_date_field=s.get("planned_date_field", ""),
        )
        if status.field not in names:
            raise _err(path, f"状态字段 {status.field} 不在字段列表中")
        for ref in ("date_field", "planned_date_field"):
            value = getattr(status, ref)
            if value and value not in names:
                raise _err(path, f"status.{ref} = {value} 不在字段列表中")
    for ref in ("id_field", "code_field", "township_field", "name_field", "ledger_area_field"):
        if raw.get(ref) and raw[ref] not in names:
            raise _err(path, f"{ref} = {raw[ref]} 不在字段列表中")
    if raw.get("code_field") and not raw.get("classification"):
        raise _err(
            path, "有地类编码字段的图层必须写明分类体系 classification（GB/T 21010 或 用地用海）"
        )
    st = raw.get("style", {})
    style = StyleSpec(
        color=st.get("color", "#3366cc"),
        status_colors=dict(st.get("status_colors", {})),
        fill_opacity=float(st.get("fill_opacity", 0.45)),
        weight=float(st.get("weight", 1.5)),
        dash_array=st.get("dash_array", ""),
        radius=float(st.get("radius", 6.0)),
    )
    if status is not None and style.status_colors:
        missing = [v for v in status.values if v not in style.status_colors]
        if missing:
            raise _err(path, f"style.status_colors 缺少状态 {missing} 的颜色")
    return LayerSpec(
        key=raw["key"],
        name_zh=raw["name_zh"],
        name_en=raw.get("name_en", ""),
        theme=raw["theme"],
        geometry_type=raw["geometry_type"],
        id_field=raw["id_field"],
        fields=fields,
        status=status,
        classification=raw.get("classification", ""),
        code_field=raw.get("code_field", ""),
        township_field=raw.get("township_field", ""),
        name_field=raw.get("name_field", ""),
        ledger_area_field=raw.get("ledger_area_field", ""),
        reference=bool(raw.get("reference", False)),
        description_zh=raw.get("description_zh", ""),
        style=style,
        order=int(raw.get("order", 100)),
        toml_text=text,
    )


@lru_cache(maxsize=8)
def _load_layers_cached(directory: str, stamp: tuple[tuple[str, int], ...]) -> LayerRegistry:
    del stamp  # part of the cache key only
    root = Path(directory)
    specs: dict[str, LayerSpec] = {}
    for path in sorted(root.glob("*.toml")):
        if path.name.startswith(_NOT_LAYERS):
            continue
        spec = _parse_layer(path)
        if spec.key in specs:
            raise _err(path, f"图层键 {spec.key} 重复")
        specs[spec.key] = spec
    if not specs:
        msg = f"目录 {root} 中没有图层定义（*.toml）"
        raise LayerError(msg)
    return LayerRegistry(specs)


def registry_from_texts(texts: Mapping[str, str]) -> LayerRegistry:
    """A registry from layer TOML texts keyed by a name (file name or store key).

    Cached by the texts (the definitions are frozen): a store opened again, as every
    page of the app does, does not parse its layers again.
    """
    return _registry_from_texts_cached(tuple(sorted(texts.items())))


@lru_cache(maxsize=16)
def _registry_from_texts_cached(items: tuple[tuple[str, str], ...]) -> LayerRegistry:
    texts = dict(items)
    specs: dict[str, LayerSpec] = {}
    for name in sorted(texts):
        spec = parse_layer(texts[name], name=name)
        if spec.key in specs:
            raise _err(Path(name), f"图层键 {spec.key} 重复")
        specs[spec.key] = spec
    if not specs:
        msg = "没有图层定义"
        raise LayerError(msg)
    return LayerRegistry(specs)


def load_layers(directory: Path | str | None = None) -> LayerRegistry:
    """Load every layer definition of ``directory`` (default: the shipped ``layers/``).

    Cached per directory and the files' modification times, so an edited TOML is read again.
    """
    root = Path(directory or DEFAULT_LAYER_DIR).resolve()
    stamp = tuple(
        (p.name, p.stat().st_mtime_ns)
        for p in sorted(root.glob("*.toml"))
        if not p.name.startswith(_NOT_LAYERS)
    )
    return _load_layers_cached(str(root), stamp)


def _parse_date(path: Path, value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as err:
        raise _err(path, f"日期 {value!r} 不是 YYYY-MM-DD") from err


def load_plan(
    year: int = 2022, directory: Path | str | None = None, *, layers: LayerRegistry | None = None
) -> TargetPlan:
    """Load ``targets-{year}.toml`` and check each target against the layer definitions."""
    root = Path(directory or DEFAULT_LAYER_DIR)
    path = root / f"targets-{year}.toml"
    if not path.exists():
        msg = f"没有 {year} 年的目标计划文件 {path.name}"
        raise LayerError(msg)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise _err(path, "文件不是 UTF-8 编码，请另存为 UTF-8") from err
    return parse_plan(text, name=path.name, layers=layers or load_layers(root), year=year)


def parse_plan(
    text: str, *, name: str, layers: LayerRegistry, year: int | None = None
) -> TargetPlan:
    """Parse a target plan from TOML text (as kept in a file or in the store) and check it against ``layers``."""
    path = Path(name)
    registry = layers
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _err(path, f"TOML 语法错误：{err}") from err
    year = int(raw.get("year", year or 0))
    targets = []
    for t in raw.get("targets", []):
        for key in ("key", "name_zh", "layer", "unit", "measure"):
            if key not in t:
                raise _err(path, f"目标 {t.get('key', '?')} 缺少 {key}")
        if t["measure"] not in _MEASURES:
            raise _err(path, f"目标 {t['key']} 的 measure 必须是 {sorted(_MEASURES)} 之一")
        if t["layer"] not in registry:
            raise _err(
                path,
                f"目标 {t['key']} 所用图层 {t['layer']} 不存在（可用图层：{'、'.join(registry)}）",
            )
        spec = registry[t["layer"]]
        for rule, allowed in (
            ("area_source", ("geometry", "ledger")),
            ("township_rule", ("majority", "split")),
        ):
            if t.get(rule, allowed[0]) not in allowed:
                raise _err(path, f"目标 {t['key']} 的 {rule} = {t[rule]!r} 必须是 {allowed} 之一")
        statuses = tuple(t.get("statuses", spec.status.done if spec.status else ()))
        if spec.status is not None:
            bad = [s for s in statuses if s not in spec.status.values]
            if bad:
                raise _err(
                    path, f"目标 {t['key']} 计数的状态 {bad} 不在图层 {spec.key} 的状态词表中"
                )
        if t["measure"] == "field_sum" and t.get("field", "") not in spec.field_names:
            raise _err(
                path,
                f"目标 {t['key']} 要求对字段 {t.get('field')} 求和，但图层 {spec.key} 没有该字段",
            )
        if t.get("area_source", "geometry") == "ledger" and not spec.ledger_area_field:
            raise _err(path, f"目标 {t['key']} 使用台账面积，但图层 {spec.key} 没有台账面积字段")
        flt = {
            k: tuple(v) if isinstance(v, list) else (str(v),)
            for k, v in t.get("filter", {}).items()
        }
        for fname in flt:
            if fname not in spec.field_names:
                raise _err(path, f"目标 {t['key']} 的筛选字段 {fname} 不在图层 {spec.key} 中")
        milestones = tuple(
            sorted((_parse_date(path, d), float(v)) for d, v in t.get("milestones", {}).items())
        )
        try:
            towns = {str(k): float(v) for k, v in t.get("townships", {}).items()}
        except (TypeError, ValueError) as err:
            raise _err(path, f"目标 {t['key']} 的镇街目标必须是数字") from err
        if any(v < 0 for v in towns.values()):
            raise _err(path, f"目标 {t['key']} 的镇街目标不能为负")
        value = t.get("value")
        if value is None and raw.get("status", PLAN_ADOPTED) != PLAN_DRAFT:
            raise _err(path, f"目标 {t['key']} 缺少 value（只有草案的目标值可以暂空）")
        if value is not None and (not isinstance(value, int | float) or value < 0):
            raise _err(path, f"目标 {t['key']} 的目标值 {value!r} 必须是非负数")
        targets.append(
            TargetSpec(
                key=t["key"],
                name_zh=t["name_zh"],
                name_en=t.get("name_en", ""),
                layer=t["layer"],
                unit=t["unit"],
                value=float(value) if value is not None else 0.0,
                value_set=value is not None,
                township_values=towns,
                measure=t["measure"],
                field=t.get("field", ""),
                statuses=statuses,
                area_source=t.get("area_source", "geometry"),
                township_rule=t.get("township_rule", "majority"),
                at_least=bool(t.get("at_least", True)),
                filter=flt,
                milestones=milestones,
                source_zh=t.get("source_zh", ""),
                note_zh=t.get("note_zh", ""),
            )
        )
    keys = [t.key for t in targets]
    if len(set(keys)) != len(keys):
        raise _err(path, "目标键重复")
    status = raw.get("status", PLAN_ADOPTED)
    if status not in PLAN_STATUSES:
        raise _err(path, f"status 必须是 {'、'.join(PLAN_STATUSES)} 之一（现为 {status!r}）")
    carried = []
    for item in raw.get("carried_over", []):
        if item.get("target") not in keys or "id" not in item:
            raise _err(
                path, f"结转条目 {item.get('id', '?')} 的目标 {item.get('target')!r} 不在计划中"
            )
        carried.append(
            CarriedOver(
                target=str(item["target"]),
                id=str(item["id"]),
                name=str(item.get("name", "")),
                township=str(item.get("township", "")),
                status=str(item.get("status", "")),
                amount=float(item.get("amount", 0.0)),
            )
        )
    return TargetPlan(
        year=int(raw.get("year", year)),
        name_zh=raw.get("name_zh", f"{year}年度目标"),
        targets=tuple(targets),
        source_zh=raw.get("source_zh", ""),
        toml_text=text,
        status=status,
        carried_over=tuple(carried),
    )
