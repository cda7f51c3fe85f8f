"""``ykgeo layers``, ``area``, ``validate``, ``import`` and ``export``: vector files in and out of the store."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ykgeo.area import area_m2_anywhere
from ykgeo.cli._common import (
    add_store_option,
    add_wait_option,
    open_store,
    parse_date,
    print_table,
)
from ykgeo.cli.recovery import confirmed
from ykgeo.errors import YkgeoError
from ykgeo.io import read_vector, validate_file, write_vector
from ykgeo.layers import load_layers
from ykgeo.units import balanced_round, m2_to_mu

__all__ = ["add_cli"]


def _progress_bar(total_hint: str) -> Callable[[int, int], None]:
    """A tqdm bar on stderr for long imports (silent for small ones)."""
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if total < 2000:
            return
        if "bar" not in bar:  # from what is done already: the rate counts only what follows
            bar["bar"] = tqdm(
                total=total, initial=done, desc=total_hint, unit="要素", file=sys.stderr
            )
        bar["bar"].n = done
        bar["bar"].refresh()
        if done >= total:
            bar["bar"].close()

    return update


def _cmd_layers(args: argparse.Namespace) -> int:
    store = open_store(args)
    version = store.data_version()
    print(f"{store.name_zh}（{store.path}）{version.label_zh()}")
    rows = [("图层", "名称", "类型", "要素数")]
    for key in store.layer_keys():
        spec = store.spec(key)
        rows.append((key, spec.name_zh, spec.geometry_type, str(store.count(key))))
    print_table(rows)
    return 0


def _cmd_area(args: argparse.Namespace) -> int:
    result = read_vector(
        Path(args.file),
        layer=args.layer_name,
        encoding=args.encoding,
        crs=args.crs,
        keep_crs=True,
    )
    for note in [result.crs_note_zh, *result.notes_zh]:
        if note:
            print(f"说明：{note}", file=sys.stderr)
    gdf = result.gdf
    if not gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).any():
        print("说明：文件中没有面要素（只有点或线），面积均为 0", file=sys.stderr)
    m2, how = area_m2_anywhere(gdf, method=args.method)
    mu = m2_to_mu(m2.to_numpy())
    id_col = args.id_field if args.id_field in gdf.columns else None
    labels = gdf[id_col].astype(str).tolist() if id_col else [str(i + 1) for i in range(len(gdf))]
    if args.format == "json":
        out = {
            "file": result.source,
            "method": args.method,
            "measured": how,
            "linearised_features": result.linearised,
            "features": [
                {"id": label, "area_m2": round(float(a), 2), "area_mu": round(float(b), 4)}
                for label, a, b in zip(labels, m2, mu, strict=True)
            ],
            "total_mu": round(float(mu.sum()), 4),
            "total_m2": round(float(m2.sum()), 2),
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    rounded = balanced_round(mu, 2)
    print(f"{result.source}：{len(gdf)} 个要素，{how}")
    rows = [("要素", "面积（亩）", "面积（m²）")]
    rows += [
        (label, f"{r:,.2f}", f"{a:,.2f}") for label, r, a in zip(labels, rounded, m2, strict=True)
    ]
    rows.append(("合计", f"{rounded.sum():,.2f}", f"{m2.sum():,.2f}"))
    print_table(rows)
    return 0


def _read_options(args: argparse.Namespace) -> dict[str, Any]:
    """How to read the file: ``layer``, ``encoding`` and ``crs`` as the planner gave them."""
    return {"layer": args.layer_name, "encoding": args.encoding, "crs": args.crs}


def add_read_options(parser: argparse.ArgumentParser) -> None:
    """``--layer-name``, ``--encoding`` and ``--crs``: the ways forward from a refused file."""
    parser.add_argument(
        "--layer-name", metavar="名称", help="文件有多个图层（或压缩包里有多个文件）时读取哪一个"
    )
    parser.add_argument(
        "--encoding",
        metavar="编码",
        help="属性表（.dbf）或 CSV 的文字编码，如 GBK、UTF-8、GB18030、CP1250（默认按 .cpg 和内容判断）",
    )
    parser.add_argument(
        "--crs",
        metavar="坐标系",
        help='文件的坐标系：EPSG 代码（如 4549）、高斯-克吕格带（如 "CGCS2000 GK CM120"、'
        '"CGCS2000 GK zone 40"）或 GCJ02（高德/腾讯/DataV 坐标）；默认按 .prj 或文件内定义',
    )


def _report_problems(report: Any) -> None:
    lines = [f"说明：{note}" for note in report.notes_zh] + [str(p) for p in report.problems]
    if lines:  # one write: a file of 100,000 parcels can have thousands of problems
        print("\n".join(lines), file=sys.stderr)


def _cmd_validate(args: argparse.Namespace) -> int:
    spec = load_layers()[args.layer]
    report = validate_file(
        Path(args.file), spec, boundary=_boundary(args), repair=args.repair, **_read_options(args)
    )
    # every note and problem on its own line, then the summary on its own line, all on one
    # stream (stderr, with the problems) in this order: never glued to a line of another stream
    _report_problems(report)
    n_err, n_warn = len(report.errors), len(report.warnings)
    if report.problems:
        print(file=sys.stderr)
    print(
        f"{Path(args.file).name}：{len(report.gdf) if report.gdf is not None else 0} 个要素，{n_err} 个错误，{n_warn} 个警告",
        file=sys.stderr,
        flush=True,
    )
    return 0 if report.ok else 1


def _boundary(args: argparse.Namespace) -> Any:
    """The city boundary from the store, if the store has one (for the 'outside the city' check)."""
    try:
        store = open_store(args)
    except YkgeoError:
        return None
    if "city_boundary" not in store.layer_keys() or store.count("city_boundary") == 0:
        return None
    return store.read_layer("city_boundary").geometry.union_all()


def _cmd_import(args: argparse.Namespace) -> int:
    store = open_store(args)
    spec = store.spec(args.layer)
    # validation happens before the store is opened for writing: a refused file changes nothing
    report = validate_file(
        Path(args.file), spec, boundary=_boundary(args), repair=args.repair, **_read_options(args)
    )
    _report_problems(report)
    if not report.ok or report.gdf is None:
        print(f"导入被拒绝：{len(report.errors)} 个错误，项目库未作任何修改。", file=sys.stderr)
        return 1
    removals = None
    if args.mode == "replace":
        removals = store.removals(args.layer, report.gdf[spec.id_field].astype(str))
        print(_removal_statement(spec.name_zh, Path(args.file).name, removals))
        if removals and not confirmed(args, f"确认删除以上 {len(removals)} 个要素并导入？"):
            return 1
    summary = store.import_features(
        args.layer,
        report.gdf,
        user=args.user,
        source=Path(args.file).name,
        mode=args.mode,
        effective_date=args.effective_date,
        progress=_progress_bar("导入"),
        confirmed_removals=removals,
    )
    print(
        f"已导入 {spec.name_zh}：新增 {summary.added}，更新 {summary.updated}，未变 {summary.unchanged}，"
        f"删除 {summary.removed}（数据版本 v{summary.data_version}）"
    )
    if summary.added or summary.updated or summary.removed:
        print(f"批次 {summary.batch_id}：如需撤销，运行 ykgeo revert {summary.batch_id}")
    return 0


def _removal_statement(layer_zh: str, file_name: str, removals: list[str]) -> str:
    """What a replace import deletes, named: the ids not in the file (the first 50 listed)."""
    if not removals:
        return f"替换导入：{layer_zh} 中的要素都在 {file_name} 里，不会删除任何要素。"
    shown = "、".join(removals[:50]) + (
        f" ……（另有 {len(removals) - 50} 个）" if len(removals) > 50 else ""
    )
    return (
        f"替换导入将删除 {layer_zh} 中不在 {file_name} 里的 {len(removals)} 个要素：{shown}\n"
        "删除会记入编辑日志，可用 ykgeo revert 批次号 撤销。"
    )


def _cmd_export(args: argparse.Namespace) -> int:
    store = open_store(args)
    spec = store.spec(args.layer)
    gdf = store.read_layer(args.layer, as_of=args.as_of).drop(columns=["ykgeo_version"])
    out = Path(args.output)
    if args.format == "shp" and out.suffix.lower() != ".zip":
        out = out.with_suffix(".zip")
        print(f"Shapefile 由多个文件组成，已打包为 {out.name}", file=sys.stderr)
    driver = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile", "kml": "KML"}[
        args.format
    ]
    result = write_vector(
        gdf.reset_index(drop=True),
        out,
        driver=driver,
        layer=args.layer,
        encoding=args.encoding.upper(),
        spec=spec,
    )
    for note in result.notes_zh:  # what the format changed: shortened names, cut text
        print(f"说明：{note}", file=sys.stderr)
    print(f"已导出 {spec.name_zh} {len(gdf)} 个要素 → {out}")
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``layers``, ``area``, ``validate``, ``import`` and ``export``."""
    p = subparsers.add_parser("layers", help="列出项目库中的图层及要素数")
    add_store_option(p)
    p.set_defaults(func=_cmd_layers)

    p = subparsers.add_parser("area", help="计算任意矢量文件每个要素及合计的面积（亩）")
    p.add_argument("file")
    p.add_argument(
        "--method",
        choices=["ellipsoidal", "gk"],
        default="ellipsoidal",
        help="椭球面积（默认）或 GK 平面面积",
    )
    add_read_options(p)
    p.add_argument("--id-field", default="地块编号", help="用作要素标识的字段")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=_cmd_area)

    p = subparsers.add_parser("validate", help="校验文件能否导入某图层（不写入任何数据）")
    p.add_argument("file")
    p.add_argument("--layer", required=True, help="图层键，如 low_efficiency_industrial")
    p.add_argument("--repair", action="store_true", help="用 make_valid 修复无效几何（会逐条报告）")
    add_read_options(p)
    add_store_option(p)
    p.set_defaults(func=_cmd_validate)

    p = subparsers.add_parser("import", help="校验并导入文件到项目库（全部成功或全部不写）")
    p.add_argument("file")
    p.add_argument("--layer", required=True)
    p.add_argument("--repair", action="store_true", help="用 make_valid 修复无效几何（会逐条报告）")
    p.add_argument(
        "--mode",
        choices=["upsert", "append", "replace"],
        default="upsert",
        help="upsert：新增并更新（默认）；append：只新增；replace：以文件为准，删除文件中没有的要素（须确认）",
    )
    p.add_argument("--yes", action="store_true", help="确认 replace 模式列出的删除")
    p.add_argument("--user", default="命令行导入", help="记入编辑日志的操作人")
    p.add_argument("--effective-date", type=parse_date, help="变更发生日期（默认：台账日期或今天）")
    add_read_options(p)
    add_store_option(p)
    add_wait_option(p)
    p.set_defaults(func=_cmd_import)

    p = subparsers.add_parser(
        "export", help="导出图层为 GeoJSON / GeoPackage / Shapefile(zip) / KML"
    )
    p.add_argument("layer")
    p.add_argument("--format", choices=["geojson", "gpkg", "shp", "kml"], required=True)
    p.add_argument("-o", "--output", required=True)
    p.add_argument(
        "--encoding",
        choices=["utf-8", "gbk", "UTF-8", "GBK"],
        default="utf-8",
        help="Shapefile 编码",
    )
    p.add_argument("--as-of", type=parse_date, help="导出某日的状态")
    add_store_option(p)
    p.set_defaults(func=_cmd_export)
