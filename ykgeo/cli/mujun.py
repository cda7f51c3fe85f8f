"""``ykgeo mujun …`` (亩均效益评价: import, list) and ``ykgeo candidates`` (next year's remediation list)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ykgeo.cli._common import (
    add_store_option,
    add_wait_option,
    open_store,
    parse_date,
    print_refusal,
    print_table,
)
from ykgeo.errors import ValidationError
from ykgeo.plan import (
    adopt_candidates,
    candidates_to_geojson,
    candidates_to_xlsx,
    import_evaluation,
    store_candidates,
)

__all__ = ["add_cli"]

#: Candidate rows printed on screen (the file has them all).
_SHOWN = 30


def _cmd_import(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        result = import_evaluation(
            store,
            Path(args.file),
            year=args.year,
            user=args.user,
            replace=args.replace,
            rules_path=args.rules,
        )
    except ValidationError as err:
        return print_refusal(err.problems, "导入")
    for problem in result.warnings:
        print(str(problem), file=sys.stderr)
    classes = "、".join(f"{k} 类 {v}" for k, v in result.classes.items())
    print(
        f"已导入 {args.year} 年亩均效益评价 {result.rows} 家企业：{classes}（其中 {result.computed} 家按规则分类）"
    )
    print(f"分类规则：{result.rules_zh}")
    print(
        f"对应到地块：按统一社会信用代码 {result.by_code} 家，按坐标位置 {result.by_location} 家，"
        f"未对应 {len(result.unmatched)} 家"
    )
    if len(result.unmatched):
        rows = [("行号", "统一社会信用代码", "企业名称", "类别")]
        for r in result.unmatched.head(_SHOWN).to_dict(orient="records"):
            rows.append(
                (
                    str(r["行号"]),
                    str(r["统一社会信用代码"] or "—"),
                    str(r["企业名称"]),
                    str(r["类别"]),
                )
            )
        print("未对应到地块的企业（租用厂房、缺代码且缺坐标，或地块尚未入库）：")
        print_table(rows)
        if len(result.unmatched) > _SHOWN:
            print(f"……另有 {len(result.unmatched) - _SHOWN} 家")
    lonely = result.unmatched_parcels
    if len(lonely):
        shown = "、".join(lonely["地块编号"].astype(str).head(_SHOWN))
        more = f" 等 {len(lonely)} 块" if len(lonely) > _SHOWN else ""
        print(f"没有评价记录的地块 {len(lonely)} 块（企业未参评或代码有误）：{shown}{more}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    store = open_store(args)
    years = store.evaluation_years()
    if years.empty:
        print(f"项目库 {store.path.name} 中还没有亩均效益评价（用 ykgeo mujun import 导入）")
        return 0
    rows = [("年度", "企业数", "来源", "导入人", "导入时间")]
    for r in years.to_dict(orient="records"):
        rows.append(
            (
                str(r["year"]),
                str(r["rows"]),
                str(r["source"]),
                str(r["user"]),
                str(r["recorded_at"])[:19],
            )
        )
    print_table(rows)
    return 0


def _cmd_candidates(args: argparse.Namespace) -> int:
    store = open_store(args)
    cl = store_candidates(
        store, year=args.year, target=args.target, as_of=args.as_of, value=args.value
    )
    print(cl.summary_zh())
    for note in cl.notes:
        print(f"注：{note}")
    rows = [
        (
            "序号",
            "入选",
            "分组",
            "地块编号",
            "企业名称",
            "镇街",
            "亩均税收",
            "面积（亩）",
            "累计（亩）",
        )
    ]
    for r in cl.table.head(_SHOWN).to_dict(orient="records"):
        tax = r["亩均税收"]
        rows.append(
            (
                str(r["序号"]),
                str(r["入选"]),
                str(r["分组"]),
                str(r["地块编号"]),
                str(r["企业名称"] or ""),
                str(r["镇街"] or ""),
                "—" if tax != tax else f"{tax:,.2f}",
                f"{r['面积（亩）']:,.2f}",
                f"{r['累计面积（亩）']:,.2f}",
            )
        )
    print_table(rows)
    if len(cl.table) > _SHOWN:
        print(f"……共 {len(cl.table)} 块，完整名单请用 -o 写出 Excel")
    if len(cl.unmatched_firms):
        print(
            f"另有 {len(cl.unmatched_firms)} 条评价记录未对应到任何地块（见 Excel 的“未对应企业”表）"
        )
    if args.output:
        candidates_to_xlsx(cl, Path(args.output))
        print(f"已写出 {args.output}")
    if args.geojson:
        candidates_to_geojson(cl, Path(args.geojson))
        print(f"已写出 {args.geojson}")
    if args.adopt:
        summary = adopt_candidates(store, cl, user=args.user)
        layer = store.spec(cl.target.layer).name_zh
        print(
            f"已将线内 {len(cl.selected)} 块纳入 {layer}：新增 {summary.added}，更新 {summary.updated}，"
            f"未变 {summary.unchanged}（数据版本 v{summary.data_version}）"
        )
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``mujun import|list`` and ``candidates``."""
    mujun = subparsers.add_parser("mujun", help="亩均效益评价：导入企业评价表、查看已导入年度")
    sub = mujun.add_subparsers(dest="mujun_command", required=True, metavar="子命令")
    p = sub.add_parser("import", help="导入一年的亩均效益评价表（XLSX/CSV），未给类别的按规则分类")
    p.add_argument("file")
    p.add_argument("--year", type=int, required=True, help="评价年度")
    p.add_argument("--user", default="命令行导入", help="记入编辑日志的操作人")
    p.add_argument("--replace", action="store_true", help="替换已导入的同一年度")
    p.add_argument(
        "--rules", metavar="TOML", help="分类规则文件（默认：layers/mujun-rules.toml，示意）"
    )
    add_store_option(p)
    add_wait_option(p)
    p.set_defaults(func=_cmd_import)
    p = sub.add_parser("list", help="列出已导入的评价年度")
    add_store_option(p)
    p.set_defaults(func=_cmd_list)

    c = subparsers.add_parser(
        "candidates",
        help="下一年度整治候选地块：D 类、连续 C 类、其余结转，按亩均税收排序并在目标处划线",
    )
    c.add_argument("--year", type=int, required=True, help="计划年度（用上一年及之前的评价）")
    c.add_argument("--target", required=True, help="面积类目标的键，如 low_efficiency_remediation")
    c.add_argument("--value", type=float, help="划线用的目标值（默认：计划中的目标值）")
    c.add_argument(
        "--as-of", type=parse_date, help="地块是否已整治以此日为准（默认：今天，限于计划年度内）"
    )
    c.add_argument("-o", "--output", metavar="XLSX", help="写出候选名单 Excel")
    c.add_argument("--geojson", metavar="FILE", help="写出候选地块 GeoJSON")
    c.add_argument(
        "--adopt",
        action="store_true",
        help="把线内地块纳入目标图层（一次提交，全部成功或全部不写）",
    )
    c.add_argument("--user", default="命令行", help="记入编辑日志的操作人（--adopt 时）")
    add_store_option(c)
    add_wait_option(c)
    c.set_defaults(func=_cmd_candidates)
