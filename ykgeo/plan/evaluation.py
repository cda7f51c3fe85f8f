"""亩均效益评价 (亩均论英雄): a year's firm table, read and checked, joined to parcels, classified and stored.

A county publishes each year's evaluation of its industrial firms: 统一社会信用代码, 企业名称,
亩均税收, 亩均增加值, 单位能耗增加值, 用地面积 and, where it has decided them, the classes. This
module reads such a table (XLSX or CSV, as the bureau receives it), checks every cell and
reports every problem at once, classifies the firms the table leaves unclassified
(:mod:`ykgeo.plan.rules`), matches rows to parcels by credit code, then by location, and
lists what matched nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ykgeo.errors import Problem, ValidationError
from ykgeo.io.encoding import coerce_field_value, parse_coordinate
from ykgeo.io.sheets import Sheet, find_column, read_sheets
from ykgeo.plan.rules import (
    CLASS_NAMES_ZH,
    CLASSES,
    NUMBER_COLUMNS,
    MujunRules,
    classify,
    load_rules,
)
from ykgeo.store import Store

__all__ = [
    "CODE_FIELD",
    "MUJUN_COLUMNS",
    "EvaluationImport",
    "MujunTable",
    "credit_code_valid",
    "evaluated_parcels",
    "import_evaluation",
    "join_evaluation",
    "read_mujun_table",
]

_CLASS_WORDS = {name: cls for cls, name in CLASS_NAMES_ZH.items()}

#: Stored column → the names a bureau's table may use for it.
MUJUN_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "统一社会信用代码": (
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "统一代码",
        "TYSHXYDM",
        "credit_code",
    ),
    "企业名称": ("企业名称", "单位名称", "企业", "纳税人名称", "QYMC", "firm"),
    "亩均税收": ("亩均税收", "亩均税收(万元/亩)", "亩产税收", "MJSS"),
    "亩均增加值": ("亩均增加值", "亩均工业增加值", "MJZJZ"),
    "单位能耗增加值": ("单位能耗增加值", "单位能耗工业增加值", "DWNHZJZ"),
    "用地面积": ("用地面积", "用地面积(亩)", "占地面积", "面积(亩)", "YDMJ"),
    "评价类别": ("评价类别", "综合评价类别", "评价等级", "类别", "分类", "亩均分类", "PJLB"),
    "经度": ("经度", "lon", "lng", "longitude"),
    "纬度": ("纬度", "lat", "latitude"),
    "X坐标": ("X坐标", "北坐标"),
    "Y坐标": ("Y坐标", "东坐标"),
}
_REQUIRED = ("统一社会信用代码", "企业名称", "亩均税收")

_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_valid(code: str) -> bool:
    """Whether an 18-character 统一社会信用代码 carries the right GB 32100 check character."""
    if len(code) != 18 or any(c not in _CODE_ALPHABET for c in code):
        return False
    total = sum(_CODE_ALPHABET.index(c) * w for c, w in zip(code[:17], _CODE_WEIGHTS, strict=True))
    return _CODE_ALPHABET[(31 - total % 31) % 31] == code[17]


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MujunTable:
    """One year's evaluation as read: a row per firm, with the sheet row it came from.

    ``frame`` columns: 行号, 统一社会信用代码, 企业名称, 亩均税收, 亩均增加值, 单位能耗增加值,
    用地面积, 评价类别 (as given, A–D or None), 经度, 纬度 (EPSG:4490 when the table gives a
    location, else NaN). ``warnings`` are problems that do not block loading.
    """

    year: int
    source: str
    sheet: str
    frame: pd.DataFrame
    warnings: tuple[Problem, ...] = ()


def _class_value(value: Any) -> str | None:
    """A class as written by a county (A, A类, 优先发展类, A类（优先发展类）) → A–D; None when unreadable."""
    text = unicodedata.normalize("NFKC", str(value)).strip().upper()
    if text in CLASSES:
        return text
    match = re.match(r"^([ABCD])\s*类", text)
    if match:
        return match.group(1)
    for word, cls in _CLASS_WORDS.items():
        if word in str(value):
            return cls
    return None


def _problem(
    code: str,
    message: str,
    *,
    file: str,
    sheet: str,
    row: int | None = None,
    column: str = "",
    severity: str = "error",
) -> Problem:
    return Problem(code, message, file=file, sheet=sheet, row=row, column=column, severity=severity)


def _choose_sheet(sheets: Mapping[str, Sheet], source: str) -> Sheet:
    usable = [
        s for s in sheets.values() if find_column(s.columns, MUJUN_COLUMNS["统一社会信用代码"])
    ]
    if not usable:
        listed = "；".join(f"“{s.name}”：{'、'.join(s.columns[:12])}" for s in sheets.values())
        raise ValidationError(
            [
                _problem(
                    "missing_column",
                    f"没有找到“统一社会信用代码”列（{listed}）",
                    file=source,
                    sheet="",
                )
            ],
            file=source,
        )
    return usable[0]


def read_mujun_table(path: Path | str, *, year: int, source_name: str | None = None) -> MujunTable:
    """Read and check one year's 亩均效益评价 table (XLSX or CSV); every problem is reported at once.

    Raises
    ------
    ValidationError
        Missing columns, duplicate credit codes, text or negative values in number
        columns, classes other than A–D; each problem names the sheet, row and column.
    DataError
        The file cannot be read at all.
    """
    path = Path(path)
    source = source_name or path.name
    hint = [n for names in MUJUN_COLUMNS.values() for n in names]
    sheet = _choose_sheet(read_sheets(path, source=source, header_hint=hint), source)
    label = sheet.name if path.suffix.lower() != ".csv" else ""
    found = {key: find_column(sheet.columns, names) for key, names in MUJUN_COLUMNS.items()}
    problems: list[Problem] = []
    warnings: list[Problem] = []

    def flag(code: str, message: str, row: int | None = None, column: str = "") -> None:
        problems.append(_problem(code, message, file=source, sheet=label, row=row, column=column))

    def warn(code: str, message: str, row: int | None = None, column: str = "") -> None:
        warnings.append(
            _problem(
                code, message, file=source, sheet=label, row=row, column=column, severity="warning"
            )
        )

    def where(column_key: str) -> str:
        col = found[column_key]
        if col is None:
            return column_key
        return f"{sheet.letter(col)} 列（{col}）"

    for key in _REQUIRED:
        if found[key] is None:
            flag("missing_column", f"缺少“{key}”列（现有列：{'、'.join(sheet.columns)}）")
    if problems:
        raise ValidationError(problems, file=source)
    n = len(sheet.rows)
    if n == 0:
        raise ValidationError(
            [_problem("empty", "表中没有数据行", file=source, sheet=label)], file=source
        )
    out: dict[str, list[Any]] = {"行号": list(sheet.row_numbers)}
    # codes
    codes = []
    for value in sheet.values(found["统一社会信用代码"] or ""):
        text = "" if value is None else unicodedata.normalize("NFKC", str(value)).strip().upper()
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        codes.append(text or None)
    out["统一社会信用代码"] = codes
    out["企业名称"] = [
        None if v is None else str(v).strip() for v in sheet.values(found["企业名称"] or "")
    ]
    for key in NUMBER_COLUMNS:
        col = found[key]
        values: list[float] = []
        for row, value in zip(
            sheet.row_numbers, sheet.values(col) if col else [None] * n, strict=True
        ):
            ok, parsed = coerce_field_value(value, "float")
            if not ok:
                flag("not_a_number", f"“{str(value)[:30]}”不是数字", row=row, column=where(key))
                values.append(float("nan"))
            elif parsed is not None and parsed < 0:
                flag("negative", f"{parsed:g} 不能为负", row=row, column=where(key))
                values.append(float("nan"))
            elif key == "用地面积" and parsed is not None and parsed == 0:
                flag("zero_area", "用地面积为 0", row=row, column=where(key))
                values.append(float("nan"))
            else:
                values.append(float("nan") if parsed is None else float(parsed))
        out[key] = values
    classes: list[str | None] = []
    class_col = found["评价类别"]
    for row, value in zip(
        sheet.row_numbers, sheet.values(class_col) if class_col else [None] * n, strict=True
    ):
        if value is None:
            classes.append(None)
            continue
        cls = _class_value(value)
        if cls is None:
            flag(
                "bad_class",
                f"评价类别“{str(value)[:20]}”不是 A、B、C、D 之一",
                row=row,
                column=where("评价类别"),
            )
        classes.append(cls)
    out["评价类别"] = classes
    # duplicate codes
    seen: dict[str, list[int]] = {}
    for row, code in zip(sheet.row_numbers, codes, strict=True):
        if code:
            seen.setdefault(code, []).append(row)
    for code, rows in seen.items():
        if len(rows) > 1:
            shown = "、".join(str(r) for r in rows)
            flag(
                "duplicate_code",
                f"统一社会信用代码 {code} 重复（第 {shown} 行）",
                row=rows[1],
                column=where("统一社会信用代码"),
            )
    for row, code in zip(sheet.row_numbers, codes, strict=True):
        if code and not credit_code_valid(code):
            warn(
                "code_check",
                f"统一社会信用代码 {code} 的校验位不对（可能抄错），按原样匹配",
                row=row,
                column=where("统一社会信用代码"),
            )
    lon, lat = _locations(sheet, found, problems, source, label)
    out["经度"], out["纬度"] = lon, lat
    for row, code, x in zip(sheet.row_numbers, codes, lon, strict=True):
        if not code and not math.isfinite(x):
            warn(
                "unlocatable",
                "没有统一社会信用代码，也没有坐标：无法对应到地块",
                row=row,
                column=where("统一社会信用代码"),
            )
    indicator_cols = [k for k in ("亩均税收", "亩均增加值", "单位能耗增加值") if found[k]]
    for row, cls, *vals in zip(
        sheet.row_numbers, classes, *[out[k] for k in indicator_cols], strict=True
    ):
        if cls is None and all(not math.isfinite(v) for v in vals):
            flag(
                "no_class_no_figures",
                "既没有评价类别，也没有任何评价指标，无法分类",
                row=row,
                column=where("评价类别"),
            )
    if problems:
        raise ValidationError([*problems, *warnings], file=source)
    frame = pd.DataFrame(out)
    return MujunTable(year, source, sheet.name, frame, tuple(warnings))


def _locations(
    sheet: Sheet, found: Mapping[str, str | None], problems: list[Problem], source: str, label: str
) -> tuple[list[float], list[float]]:
    """Longitude/latitude in EPSG:4490 of each row with a location (经度/纬度, or GK X坐标/Y坐标)."""
    n = len(sheet.rows)
    nan = [float("nan")] * n
    if found["经度"] and found["纬度"]:
        xs = [
            parse_coordinate(v) if v is not None else float("nan")
            for v in sheet.values(found["经度"])
        ]
        ys = [
            parse_coordinate(v) if v is not None else float("nan")
            for v in sheet.values(found["纬度"])
        ]
        return xs, ys
    if found["X坐标"] and found["Y坐标"]:
        from ykgeo.crs import CGCS2000, detect_crs_from_coordinates, transform_geometries

        north = np.array(
            [parse_coordinate(v) if v is not None else np.nan for v in sheet.values(found["X坐标"])]
        )
        east = np.array(
            [parse_coordinate(v) if v is not None else np.nan for v in sheet.values(found["Y坐标"])]
        )
        ok = np.isfinite(north) & np.isfinite(east)
        if not ok.any():
            return nan, list(nan)
        import shapely

        guess = detect_crs_from_coordinates(east[ok], north[ok])
        x, y = (north[ok], east[ok]) if guess.swapped else (east[ok], north[ok])
        lonlat = transform_geometries(shapely.points(x, y), guess.epsg, CGCS2000)
        lon, lat = list(nan), list(nan)
        for i, p in zip(np.flatnonzero(ok), lonlat, strict=True):
            lon[i], lat[i] = float(p.x), float(p.y)
        return lon, lat
    return nan, list(nan)


# --- the join to parcels and the import into a store ---------------------------------------------

CODE_FIELD = "统一社会信用代码"


def join_evaluation(
    parcels: gpd.GeoDataFrame, evaluation: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match evaluation rows to parcels: by credit code, then by the row's location inside a parcel.

    ``parcels`` is indexed by parcel key, EPSG:4490, with a ``统一社会信用代码`` column (may
    be blank); ``evaluation`` has 统一社会信用代码, 经度, 纬度 and the figures. Returns the
    matched rows (with 地块 and 匹配方式 信用代码 / 位置) and the rows matched to no parcel.
    """
    codes = (
        parcels[CODE_FIELD].fillna("").astype(str).str.strip().str.upper()
        if CODE_FIELD in parcels
        else pd.Series("", index=parcels.index)
    )
    # the first parcel of each credit code (a firm with several parcels is matched to its first)
    first = pd.Series(parcels.index, index=codes.to_numpy())
    first = first[(first.index != "") & ~first.index.duplicated()]
    row_codes = evaluation[CODE_FIELD].fillna("").astype(str)
    found = row_codes.map(first)
    parcel_of: list[Any] = [None if pd.isna(v) else v for v in found.tolist()]
    how: list[str] = ["" if p is None else "信用代码" for p in parcel_of]
    lon = evaluation["经度"].to_numpy(dtype="float64")
    lat = evaluation["纬度"].to_numpy(dtype="float64")
    open_rows = np.array([p is None for p in parcel_of], dtype=bool)
    todo = np.flatnonzero(open_rows & np.isfinite(lon) & np.isfinite(lat))
    if len(todo) and len(parcels):
        tree = shapely.STRtree(np.asarray(parcels.geometry.to_numpy(), dtype=object))
        hits_p, hits_g = tree.query(shapely.points(lon[todo], lat[todo]), predicate="within")
        seen: set[int] = set()
        for pi, gi in zip(hits_p.tolist(), hits_g.tolist(), strict=True):
            if pi not in seen:
                seen.add(pi)
                parcel_of[todo[pi]] = parcels.index[gi]
                how[todo[pi]] = "位置"
    out = evaluation.assign(地块=parcel_of, 匹配方式=how)
    matched = out[out["地块"].notna()]
    unmatched = out[out["地块"].isna()].drop(columns=["地块", "匹配方式"])
    return matched, unmatched


def evaluated_parcels(store: Store, rules: MujunRules) -> gpd.GeoDataFrame:
    """The parcels an evaluation joins to: the register layer and every polygon layer with a credit code.

    Indexed ``layer:id`` with 统一社会信用代码, 名称 and geometry (EPSG:4490).
    """
    frames = []
    for key in store.layer_keys():
        spec = store.spec(key)
        if spec.geometry_type != "Polygon" or (
            CODE_FIELD not in spec.field_names and key != rules.candidates.parcel_layer
        ):
            continue
        layer = store.read_layer(key)
        if layer.empty:
            continue
        frame = gpd.GeoDataFrame(
            {
                CODE_FIELD: layer.get(CODE_FIELD),
                "名称": layer.get(spec.name_field),
            },
            geometry=layer.geometry.to_numpy(),
            crs=layer.crs,
        )
        frame.index = pd.Index([f"{key}:{i}" for i in layer.index])
        frames.append(frame)
    if not frames:
        return gpd.GeoDataFrame({CODE_FIELD: [], "名称": []}, geometry=[], crs=4490)
    return gpd.GeoDataFrame(pd.concat(frames), geometry="geometry", crs=frames[0].crs)


@dataclass(frozen=True, eq=False)
class EvaluationImport:
    """What an evaluation import did: rows, classes, how rows were matched to parcels, what was not.

    ``unmatched`` are the rows matched to no parcel (firms renting, rows with neither code
    nor location, parcels not in the store yet); ``unmatched_parcels`` the register's
    parcels no row matched (a firm missing from the evaluation, a code mistyped).
    """

    year: int
    rows: int
    classes: Mapping[str, int]
    computed: int
    by_code: int
    by_location: int
    unmatched: pd.DataFrame
    warnings: tuple[Problem, ...]
    rules_zh: str
    unmatched_parcels: pd.DataFrame = field(default_factory=pd.DataFrame)


def import_evaluation(
    store: Store,
    path: Path | str,
    *,
    year: int,
    user: str,
    replace: bool = False,
    rules_path: Path | str | None = None,
    source_name: str | None = None,
    recorded_at: dt.datetime | None = None,
) -> EvaluationImport:
    """Read, check, classify and store one year's 亩均 evaluation; report its join to the store's parcels.

    Nothing is written when the table has a problem (ValidationError lists them all) or
    the year is loaded already (StoreError, unless ``replace``).
    """
    table = read_mujun_table(path, year=year, source_name=source_name)
    rules = load_rules(rules_path, year=year)
    classified = classify(table.frame, rules)
    parcels = evaluated_parcels(store, rules)
    matched, unmatched = join_evaluation(parcels, classified)
    register = f"{rules.candidates.parcel_layer}:"
    pool = (
        parcels[parcels.index.str.startswith(register)]
        if parcels.index.str.startswith(register).any()
        else parcels
    )
    lonely = pool[~pool.index.isin(set(matched["地块"]))]
    unmatched_parcels = pd.DataFrame(
        {
            "图层": [k.split(":", 1)[0] for k in lonely.index],
            "地块编号": [k.split(":", 1)[1] for k in lonely.index],
            "名称": lonely["名称"].to_numpy(),
            CODE_FIELD: lonely[CODE_FIELD].to_numpy(),
        }
    )
    counts = classified["类别"].value_counts().reindex(list(CLASSES), fill_value=0)
    classes = {str(k): int(v) for k, v in counts.items()}
    store.save_evaluation(
        year,
        classified,
        source=table.source,
        user=user,
        rules_zh=rules.describe_zh(),
        rules_toml=rules.toml_text,
        replace=replace,
        recorded_at=recorded_at,
        summary={"classes": classes},
    )
    return EvaluationImport(
        year=year,
        rows=len(classified),
        classes=classes,
        computed=int((classified["类别来源"] == "按规则计算").sum()),
        by_code=int((matched["匹配方式"] == "信用代码").sum()),
        by_location=int((matched["匹配方式"] == "位置").sum()),
        unmatched=unmatched,
        warnings=table.warnings,
        rules_zh=rules.describe_zh(),
        unmatched_parcels=unmatched_parcels,
    )
