"""``ykgeo raster stats|change|terrain|grid|demo``: raster evidence from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ykgeo.cli._common import add_store_option, open_store, parse_date
from ykgeo.cli.demo import add_raster_demo_cli
from ykgeo.errors import RasterError
from ykgeo.io import csv_rows, read_vector

if TYPE_CHECKING:
    from ykgeo.raster import RasterSettings

#: Column headers for tables and CSV (JSON keeps the machine names).
_HEADERS_ZH = {
    "count": "像元数",
    "mean": "均值",
    "min": "最小值",
    "max": "最大值",
    "sum": "总和",
    "majority": "众数",
    "valid_area_mu": "有效面积（亩）",
    "feature_area_mu": "要素面积（亩）",
    "nodata_fraction": "无数据比例",
    "valid_fraction": "有效比例",
    "before_fraction": "期初目标地类比例",
    "after_fraction": "期末目标地类比例",
    "changed_fraction": "变化比例",
    "changed_mu": "变化面积（亩）",
    "reported": "台账",
    "verdict": "核查结论",
    "elevation_mean_m": "平均高程（m）",
    "elevation_min_m": "最低高程（m）",
    "elevation_max_m": "最高高程（m）",
    "slope_mean_deg": "平均坡度（°）",
    "slope_max_deg": "最大坡度（°）",
    "water_level_m": "水位（m）",
    "surface_area_mu": "水面面积（亩）",
    "storage_wan_m3": "库容（万m³）",
    "max_depth_m": "最大水深（m）",
    "closed": "库区封闭",
    "note_zh": "说明",
}
_REPORTED_ZH = {"done": "已报完成", "done_earlier": "期前完成", "not_done": "未报完成"}
_ID_CANDIDATES = (
    "地块编号",
    "编号",
    "注册登记号",
    "图斑编号",
    "id",
    "ID",
    "fid",
    "FID",
    "name",
    "名称",
)
_VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".zip", ".kml", ".gdb", ".csv", ".xlsx"}


def _settings(args: argparse.Namespace) -> RasterSettings:
    from ykgeo.raster import RasterSettings  # rasterio only for the raster commands

    return RasterSettings()


def _looks_like_path(value: str) -> bool:
    p = Path(value)
    return p.exists() or p.suffix.lower() in _VECTOR_SUFFIXES or "/" in value or "\\" in value


def _load_layer(
    args: argparse.Namespace, *, as_of: dt.date | None = None
) -> tuple[gpd.GeoDataFrame, str, Any, Any]:
    """The features named by ``--layer`` (store key or vector file): (gdf indexed by id, label, spec, store)."""
    value = args.layer
    if _looks_like_path(value):
        result = read_vector(Path(value))
        for note in (result.crs_note_zh, *result.notes_zh):
            if note:
                print(f"说明：{note}", file=sys.stderr)
        gdf = result.gdf
        id_field = getattr(args, "id_field", None)
        if id_field and id_field not in gdf.columns:
            msg = f"{result.source} 中没有字段 {id_field}"
            raise RasterError(msg)
        if not id_field:
            id_field = next(
                (
                    c
                    for c in _ID_CANDIDATES
                    if c in gdf.columns and gdf[c].is_unique and gdf[c].notna().all()
                ),
                None,
            )
        if id_field:
            gdf = gdf.set_index(gdf[id_field].astype(str).rename(id_field))
        else:
            gdf.index = pd.Index([str(i + 1) for i in range(len(gdf))], name="序号")
        return gdf, result.source, None, None
    store = open_store(args)
    spec = store.spec(value)
    gdf = store.read_layer(value, as_of=as_of)
    ids = getattr(args, "ids", None)
    if ids:
        wanted = [s.strip() for s in ids.split(",") if s.strip()]
        missing = [w for w in wanted if w not in gdf.index]
        if missing:
            msg = f"图层 {spec.name_zh} 中没有要素：{'、'.join(missing)}"
            raise RasterError(msg)
        gdf = gdf.loc[wanted]
    if len(gdf) == 0:
        msg = f"图层 {spec.name_zh} 没有要素{f'（截至 {as_of}）' if as_of else ''}"
        raise RasterError(msg)
    return gdf, spec.name_zh, spec, store


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _print_rows(rows: Sequence[Sequence[str]], out: Any) -> None:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip(), file=out)


def _cell(value: Any, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if column == "reported":
        return _REPORTED_ZH.get(str(value), str(value))
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, float | np.floating):
        if column.startswith("frac_") or column.endswith("_fraction"):
            return f"{value:.1%}"
        if column in ("count", "majority", "min", "max") and float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    return str(value)


def _headers(df: pd.DataFrame, classes: dict[int, str]) -> list[str]:
    out = []
    for col in df.columns:
        if col.startswith("frac_") or col.startswith("area_mu_"):
            code = int(col.rsplit("_", 1)[1])
            label = classes.get(code, f"类别{code}")
            out.append(f"{label}占比" if col.startswith("frac_") else f"{label}（亩）")
        else:
            out.append(_HEADERS_ZH.get(col, col))
    return out


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(float(value)) else round(float(value), 6)
    return value


def _emit(
    df: pd.DataFrame,
    args: argparse.Namespace,
    *,
    meta: dict[str, Any],
    classes: dict[int, str] | None = None,
    title: str = "",
) -> None:
    """Write a per-feature frame as table, CSV or JSON to stdout or ``-o`` (written whole, only at the end)."""
    from ykgeo.raster.zonal import atomic_write  # rasterio only for the raster commands

    classes = classes or {}
    fmt = getattr(args, "format", "table")
    id_name = df.index.name or "id"
    buf = io.StringIO()
    if fmt == "json":
        features = []
        for fid, row in df.iterrows():
            item: dict[str, Any] = {"id": str(fid)}
            item.update({str(k): _json_value(v) for k, v in row.items()})
            features.append(item)
        json.dump({**meta, "features": features}, buf, ensure_ascii=False, indent=2)
        buf.write("\n")
    elif fmt == "csv":  # cells from the data that look like formulas stay text
        rows: list[list[Any]] = [[id_name, *_headers(df, classes)]]
        rows += [
            [fid, *[_json_value(v) if not isinstance(v, str) else v for v in row.to_numpy()]]
            for fid, row in df.iterrows()
        ]
        buf.write(csv_rows(rows, lineterminator="\r\n"))
    else:
        if title:
            print(title, file=buf)
        rows = [[str(id_name), *_headers(df, classes)]]
        rows += [
            [str(fid), *[_cell(v, str(c)) for c, v in row.items()]] for fid, row in df.iterrows()
        ]
        if len(rows) > 1:
            _print_rows(rows, buf)
        else:
            print("（无）", file=buf)
    text = buf.getvalue()
    output = getattr(args, "output", None)
    if output:
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        atomic_write(Path(output), lambda tmp: tmp.write_text(text, encoding=encoding))
        print(f"已写出 {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


# --- commands ----------------------------------------------------------------------------------


def _cmd_stats(args: argparse.Namespace) -> int:
    from ykgeo.raster import zonal_stats  # rasterio only for the raster commands

    gdf, label, _, _ = _load_layer(args, as_of=args.as_of)
    df = zonal_stats(
        args.raster, gdf, categorical=args.categorical, band=args.band, settings=_settings(args)
    )
    meta = {
        "raster": df.attrs.get("raster"),
        "layer": label,
        "area_method": df.attrs.get("area_method_zh"),
        "classes": {str(k): v for k, v in df.attrs.get("classes", {}).items()},
    }
    title = (
        f"{df.attrs.get('raster')} × {label}：{len(df)} 个要素；{df.attrs.get('area_method_zh')}"
    )
    _emit(df, args, meta=meta, classes=df.attrs.get("classes", {}), title=title)
    return 0


def _codes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.replace("，", ",").split(",") if v.strip())
    except ValueError:
        msg = f"类别编码应为逗号分隔的整数：{text}"
        raise argparse.ArgumentTypeError(msg) from None


def _cmd_change(args: argparse.Namespace) -> int:
    from ykgeo.raster import (  # rasterio only for the raster commands
        change_evidence,
        raster_date,
        raster_info,
        reported_status,
    )

    settings = _settings(args)
    updates: dict[str, Any] = {}
    if args.from_classes:
        updates["change_from_classes"] = args.from_classes
    if args.to_classes:
        updates["change_to_classes"] = args.to_classes
    if args.done_min is not None:
        updates["done_min_change_fraction"] = args.done_min
    if args.unreported_min is not None:
        updates["unreported_min_change_fraction"] = args.unreported_min
    settings = replace(settings, **updates)
    before_date = args.before_date or raster_date(raster_info(args.before))
    after_date = args.after_date or raster_date(raster_info(args.after))
    gdf, label, spec, _ = _load_layer(args, as_of=after_date)
    reported = None
    status_field = spec.status.field if spec is not None and spec.status else args.status_field
    done_values = (
        spec.status.done if spec is not None and spec.status else tuple(args.done_values or ())
    )
    date_field = (
        spec.status.date_field if spec is not None and spec.status else (args.date_field or "")
    )
    if status_field and done_values:
        if status_field not in gdf.columns:
            msg = f"图层 {label} 中没有状态字段 {status_field}"
            raise RasterError(msg)
        reported = reported_status(
            gdf, status_field, done_values, date_field=date_field, before_date=before_date
        )
    else:
        print(
            "说明：没有状态信息（用 --status-field 与 --done 指定），只计算变化比例",
            file=sys.stderr,
        )
    ev = change_evidence(
        args.before, args.after, gdf, reported=reported, band=args.band, settings=settings
    )
    period = f"{before_date or '期初'} → {after_date or '期末'}"
    meta = {
        "before": ev.before,
        "after": ev.after,
        "before_date": before_date.isoformat() if before_date else None,
        "after_date": after_date.isoformat() if after_date else None,
        "from": ev.from_label_zh,
        "to": ev.to_label_zh,
        "layer": label,
        "summary": ev.summary_zh(),
    }
    if args.format == "table" and not args.all and not args.output:
        print(ev.summary_zh().replace(f"（{ev.before} → {ev.after}，", f"（{period}，"))
        _emit(ev.done_without_change, args, meta=meta, title="\n已报完成但影像未见变化：")
        _emit(ev.change_not_reported, args, meta=meta, title="\n影像有变化但未报完成：")
        return 0
    _emit(ev.features, args, meta=meta, title=ev.summary_zh())
    return 0


def _water_levels(text: str | None, index: pd.Index) -> Any:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    path = Path(text)
    if not path.exists():
        msg = f"--water-level 应为水位（米），或首列为编号、另有“水位”列的 CSV 文件：{text}"
        raise RasterError(msg)
    table = pd.read_csv(path, dtype={0: str}, encoding="utf-8-sig")
    if table.shape[1] < 2:
        msg = f"{path.name} 应至少有两列：编号、水位（米）"
        raise RasterError(msg)
    named = [c for c in table.columns[1:] if "水位" in str(c) or "level" in str(c).lower()]
    levels = pd.to_numeric(table[named[0]] if named else table.iloc[:, 1], errors="coerce")
    ids = table.iloc[:, 0].astype(str).to_numpy()
    return pd.Series(levels.to_numpy(), index=ids).reindex(index)


def _cmd_terrain(args: argparse.Namespace) -> int:
    from ykgeo.raster import (  # rasterio only for the raster commands
        reservoir_storage,
        terrain_stats,
    )

    settings = _settings(args)
    gdf, label, spec, store = _load_layer(args, as_of=args.as_of)
    df = terrain_stats(args.dem, gdf, band=args.band, settings=settings)
    levels = _water_levels(args.water_level, gdf.index)
    title = f"{df.attrs.get('raster')} × {label}：坡度在 {df.attrs.get('slope_crs')}（{df.attrs.get('slope_resolution_m')} m 网格）中计算"
    if levels is not None:
        surfaces = None
        if (
            store is not None
            and not args.no_surfaces
            and "reservoir_surfaces" in store.layer_keys()
        ):
            surf = store.read_layer("reservoir_surfaces", as_of=args.as_of)
            link = spec.id_field if spec is not None and spec.id_field in surf.columns else None
            if link:
                surfaces = gpd.GeoSeries(
                    surf.geometry.to_numpy(), index=surf[link].astype(str).to_numpy(), crs=surf.crs
                )
        storage = reservoir_storage(
            args.dem,
            gdf,
            water_level_m=levels,
            surfaces=surfaces,
            band=args.band,
            settings=settings,
        )
        df = pd.concat([df, pd.DataFrame(storage.drop(columns="geometry"))], axis=1)
    meta = {
        "dem": df.attrs.get("raster"),
        "layer": label,
        "slope_crs": f"EPSG:{settings.metric_crs}",
    }
    _emit(df, args, meta=meta, title=title)
    return 0


def _cmd_grid(args: argparse.Namespace) -> int:
    from ykgeo.raster import (  # rasterio only for the raster commands
        progress_grid,
        write_progress_grid,
    )

    store = open_store(args)
    grid = progress_grid(store, args.target, as_of=args.as_of, year=args.year, cell_m=args.cell)
    path = write_progress_grid(grid, Path(args.output))
    h, w = grid.values.shape
    print(
        f"已写出 {path}：{grid.target_name_zh}，截至 {grid.as_of or '当前'} 共 {grid.features} 个要素、"
        f"{grid.total_mu:,.2f} 亩；{w}×{h} 格，每格 {grid.cell_m:g} m，EPSG:{grid.crs_epsg}"
    )
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``raster`` and its sub-commands."""
    raster = subparsers.add_parser(
        "raster", help="栅格证据：分区统计、变化核查、地形与库容、进度密度格网"
    )
    sub = raster.add_subparsers(dest="raster_command", required=True, metavar="子命令")

    def common(p: argparse.ArgumentParser, *, formats: bool = True) -> None:
        p.add_argument("--layer", required=True, help="项目库图层键，或任意矢量文件路径")
        p.add_argument("--id-field", help="矢量文件中用作要素编号的字段")
        p.add_argument("--ids", help="只统计这些要素（逗号分隔的编号，限项目库图层）")
        p.add_argument("--band", type=int, default=1, help="波段（从 1 开始）")
        if formats:
            p.add_argument("--format", choices=["table", "csv", "json"], default="table")
            p.add_argument("-o", "--output", help="写入文件（默认输出到屏幕）")
        add_store_option(p)

    p = sub.add_parser("stats", help="栅格在每个要素内的统计（按像元被覆盖的精确比例加权）")
    p.add_argument("raster", help="栅格文件（GeoTIFF 等，任意坐标系）")
    common(p)
    p.add_argument(
        "--categorical", action="store_true", help="地类栅格：给出各类面积占比与面积（亩）"
    )
    p.add_argument("--as-of", type=parse_date, help="图层取某日状态")
    p.set_defaults(func=_cmd_stats)

    p = sub.add_parser("change", help="前后两期地类栅格的变化，及与台账状态的矛盾")
    p.add_argument("before", help="前期地类栅格")
    p.add_argument("after", help="后期地类栅格")
    common(p)
    p.add_argument("--before-date", type=parse_date, help="前期影像日期（默认读栅格标签）")
    p.add_argument("--after-date", type=parse_date, help="后期影像日期（默认读栅格标签）")
    p.add_argument(
        "--from", dest="from_classes", type=_codes, help="变化前地类编码（默认 80 人造地表）"
    )
    p.add_argument("--to", dest="to_classes", type=_codes, help="变化后地类编码（默认非建设地类）")
    p.add_argument("--done-min", type=float, help="已报完成要求的最小变化比例（默认 0.3）")
    p.add_argument(
        "--unreported-min", type=float, help="判为“有变化未上报”的最小变化比例（默认 0.5）"
    )
    p.add_argument("--status-field", help="矢量文件的状态字段")
    p.add_argument(
        "--done",
        dest="done_values",
        type=lambda s: tuple(v for v in s.split(",") if v),
        help="表示完成的状态值（逗号分隔）",
    )
    p.add_argument("--date-field", help="矢量文件的完成日期字段")
    p.add_argument("--all", action="store_true", help="表格列出全部要素（默认只列矛盾）")
    p.set_defaults(func=_cmd_change)

    p = sub.add_parser("terrain", help="每个要素的高程、坡度；给出水位时计算水面面积与库容")
    p.add_argument("dem", help="数字高程模型（DEM）栅格")
    common(p)
    p.add_argument("--water-level", metavar="M|CSV", help="水位（米），或“编号,水位”两列的 CSV")
    p.add_argument(
        "--no-surfaces", action="store_true", help="不用项目库的水库水面图斑辅助确定库区"
    )
    p.add_argument("--as-of", type=parse_date, help="图层取某日状态")
    p.set_defaults(func=_cmd_terrain)

    p = sub.add_parser("grid", help="导出目标完成面积密度格网 GeoTIFF（EPSG:4549，亩/格）")
    p.add_argument("--target", required=True, help="目标键，如 low_efficiency_remediation")
    p.add_argument("--cell", type=float, default=500.0, help="格网大小（米，默认 500）")
    p.add_argument("-o", "--output", required=True, help="输出 GeoTIFF")
    p.add_argument(
        "--as-of", type=parse_date, help="截至日期（默认今天，若最新计划年度已结束则为其年末）"
    )
    p.add_argument("--year", type=int, help="目标计划年份（默认截至日期所在年或最新）")
    add_store_option(p)
    p.set_defaults(func=_cmd_grid)

    add_raster_demo_cli(sub)
