"""亩均 classification rules kept as data (``layers/mujun-rules.toml``), and the classification of a year's firms.

Each indicator scores ``weight × min(value / benchmark, cap)``; the firms are cut into
A/B/C/D by rank shares or by minimum scores. The shipped values are illustrative and say
so: counties set their own each year, per year in ``[years.YYYY]``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ykgeo.errors import LayerError
from ykgeo.layers import DEFAULT_LAYER_DIR

__all__ = [
    "CLASSES",
    "CLASS_NAMES_ZH",
    "DEFAULT_RULES",
    "NUMBER_COLUMNS",
    "CandidateRules",
    "Indicator",
    "MujunRules",
    "classify",
    "load_rules",
    "parse_rules",
]

CLASSES = ("A", "B", "C", "D")
CLASS_NAMES_ZH = {"A": "优先发展类", "B": "提升发展类", "C": "调控帮扶类", "D": "倒逼整治类"}
#: The number columns of an evaluation table.
NUMBER_COLUMNS = ("亩均税收", "亩均增加值", "单位能耗增加值", "用地面积")


# --- rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """One scored indicator: a column of the table, its weight and its benchmark ("mean" or a value)."""

    column: str
    weight: float
    benchmark: float | Literal["mean"] = "mean"
    unit: str = ""


@dataclass(frozen=True)
class CandidateRules:
    """Which firms' land is proposed for remediation: D last year, C for ``persistent_c_years`` running."""

    persistent_c_years: int = 2
    parcel_layer: str = "industrial_parcels"
    same_land_share: float = 0.5


@dataclass(frozen=True)
class MujunRules:
    """The classification of one evaluation year (see ``layers/mujun-rules.toml``)."""

    name_zh: str
    method: Literal["rank", "score"]
    classes: Mapping[str, float]
    indicators: tuple[Indicator, ...]
    cap: float = 3.0
    illustrative: bool = False
    note_zh: str = ""
    candidates: CandidateRules = field(default_factory=CandidateRules)
    toml_text: str = field(default="", repr=False, compare=False)

    def describe_zh(self) -> str:
        """One sentence saying how the classes are decided."""
        parts = "、".join(f"{i.column} {i.weight:g}" for i in self.indicators)
        if self.method == "rank":
            cuts = "、".join(f"{c} {self.classes[c] * 100:g}%" for c in CLASSES)
            how = f"按得分排名分档（{cuts}）"
        else:
            cuts = "、".join(f"{c} ≥ {self.classes[c]:g}" for c in CLASSES[:3])
            how = f"按得分分档（{cuts}，其余 D）"
        flag = "（示意规则）" if self.illustrative and "示意" not in self.name_zh else ""
        return f"{self.name_zh}{flag}：权重 {parts}，单项得分不超过基准的 {self.cap:g} 倍；{how}"


#: The shipped rules (illustrative values: counties set their own each year).
DEFAULT_RULES = DEFAULT_LAYER_DIR / "mujun-rules.toml"


def _rules_error(name: str, what: str) -> LayerError:
    return LayerError(f"亩均评价规则 {name} 有误：{what}")


def _section(name: str, raw: Mapping[str, Any], base: MujunRules | None) -> MujunRules:
    method = raw.get("method", base.method if base else "rank")
    if method not in ("rank", "score"):
        raise _rules_error(name, f"method 只能是 rank 或 score（现为 {method!r}）")
    classes = dict(raw.get("classes", base.classes if base else {}))
    if sorted(classes) != sorted(CLASSES):
        raise _rules_error(name, f"classes 须给出 A、B、C、D 四类（现为 {sorted(classes)}）")
    try:
        values = {k: float(v) for k, v in classes.items()}
    except (TypeError, ValueError) as err:
        raise _rules_error(name, "classes 的值必须是数字") from err
    if method == "rank":
        if any(v < 0 for v in values.values()) or not math.isclose(
            sum(values.values()), 1.0, abs_tol=1e-6
        ):
            raise _rules_error(
                name, f"按排名分档时各类比例之和须为 1（现为 {sum(values.values()):g}）"
            )
    elif not values["A"] >= values["B"] >= values["C"]:
        raise _rules_error(name, "按得分分档时须 A ≥ B ≥ C 的最低分")
    indicators: tuple[Indicator, ...]
    if "indicators" in raw:
        items = []
        for n, item in enumerate(raw["indicators"], start=1):
            column = item.get("column", "")
            if column not in NUMBER_COLUMNS:
                raise _rules_error(
                    name,
                    f"第 {n} 个指标的 column = {column!r} 不是评价表的数值列（{'、'.join(NUMBER_COLUMNS)}）",
                )
            bench = item.get("benchmark", "mean")
            if bench != "mean" and (not isinstance(bench, int | float) or bench <= 0):
                raise _rules_error(name, f'指标 {column} 的 benchmark 须为 "mean" 或正数')
            weight = item.get("weight")
            if not isinstance(weight, int | float) or weight < 0:
                raise _rules_error(name, f"指标 {column} 的 weight 须为非负数")
            items.append(
                Indicator(
                    column,
                    float(weight),
                    bench if bench == "mean" else float(bench),
                    item.get("unit", ""),
                )
            )
        indicators = tuple(items)
    else:
        indicators = base.indicators if base else ()
    if not indicators:
        raise _rules_error(name, "没有评分指标（[[default.indicators]]）")
    cap = float(raw.get("cap", base.cap if base else 3.0))
    if cap <= 0:
        raise _rules_error(name, "cap 须为正数")
    return MujunRules(
        name_zh=base.name_zh if base else "",
        method=method,
        classes=values,
        indicators=indicators,
        cap=cap,
        illustrative=base.illustrative if base else False,
        note_zh=base.note_zh if base else "",
        candidates=base.candidates if base else CandidateRules(),
        toml_text=base.toml_text if base else "",
    )


def parse_rules(text: str, *, name: str, year: int | None = None) -> MujunRules:
    """The rules of ``year`` (the ``[default]`` section with that year's overrides) from TOML text."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise _rules_error(name, f"TOML 语法错误：{err}") from err
    cand = raw.get("candidates", {})
    years_c = cand.get("persistent_c_years", 2)
    if not isinstance(years_c, int) or years_c < 1:
        raise _rules_error(name, "candidates.persistent_c_years 须为正整数")
    share = float(cand.get("same_land_share", 0.5))
    if not 0 < share <= 1:
        raise _rules_error(name, "candidates.same_land_share 须在 0～1 之间")
    head = MujunRules(
        name_zh=str(raw.get("name_zh", "亩均效益综合评价分类规则")),
        method="rank",
        classes={},
        indicators=(),
        illustrative=bool(raw.get("illustrative", False)),
        note_zh=str(raw.get("note_zh", "")),
        candidates=CandidateRules(
            years_c, str(cand.get("parcel_layer", "industrial_parcels")), share
        ),
        toml_text=text,
    )
    if "default" not in raw:
        raise _rules_error(name, "缺少 [default] 节")
    rules = _section(name, raw["default"], head)
    rules = MujunRules(**{**rules.__dict__, "name_zh": head.name_zh})
    override = raw.get("years", {}).get(str(year)) if year is not None else None
    if override:
        rules = _section(f"{name} [years.{year}]", override, rules)
    return rules


def load_rules(path: Path | str | None = None, *, year: int | None = None) -> MujunRules:
    """Rules from a TOML file (default: the shipped ``layers/mujun-rules.toml``)."""
    file = Path(path) if path else DEFAULT_RULES
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise _rules_error(file.name, "文件不存在") from err
    except UnicodeDecodeError as err:
        raise _rules_error(file.name, "文件不是 UTF-8 编码") from err
    return parse_rules(text, name=file.name, year=year)


# --- classification -----------------------------------------------------------------------------


def classify(frame: pd.DataFrame, rules: MujunRules) -> pd.DataFrame:
    """Score every firm and give those without a class one, by ``rules``.

    Each indicator scores ``weight × min(value / benchmark, cap)``; a firm without a value
    for an indicator gets the mean score of the firms that have one (the usual rule for
    missing data). With ``method = "rank"`` the firms are ranked by score (ties by credit
    code, so the result never depends on row order) and cut by the class shares from the
    top; with ``"score"`` by the minimum scores. A class the county gave is kept.

    Returns a copy with 得分, 类别 and 类别来源 (县评价 / 按规则计算).
    """
    out = frame.copy()
    total = np.zeros(len(out))
    for ind in rules.indicators:
        values = pd.to_numeric(out[ind.column], errors="coerce").to_numpy(dtype="float64")
        have = np.isfinite(values)
        bench = (
            float(np.mean(values[have]))
            if ind.benchmark == "mean" and have.any()
            else ind.benchmark
        )
        part = np.zeros(len(out))
        if isinstance(bench, float) and bench > 0:
            part[have] = ind.weight * np.minimum(values[have] / bench, rules.cap)
        if have.any():
            part[~have] = part[have].mean()
        total += part
    out["得分"] = np.round(total, 4)
    given = out["评价类别"].to_numpy(dtype=object)
    computed = np.empty(len(out), dtype=object)
    if rules.method == "rank":
        order = np.lexsort((out["统一社会信用代码"].fillna("").astype(str).to_numpy(), -total))
        n = len(out)
        bounds, acc = [], 0.0
        for cls in CLASSES:
            acc += rules.classes[cls]
            bounds.append(round(acc * n))
        rank_class = np.empty(n, dtype=object)
        start = 0
        for cls, end in zip(CLASSES, bounds, strict=True):
            rank_class[order[start:end]] = cls
            start = end
        rank_class[order[start:]] = "D"
        computed = rank_class
    else:
        computed[:] = "D"
        for cls in ("C", "B", "A"):
            computed[total >= rules.classes[cls]] = cls
    has_given = np.asarray([g is not None and g == g for g in given])
    out["类别"] = np.where(has_given, given, computed)
    out["类别来源"] = np.where(has_given, "县评价", "按规则计算")
    return out
