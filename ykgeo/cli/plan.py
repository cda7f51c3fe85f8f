"""``ykgeo plan …``: year plans — template, import, list, show, export, history and the rollover to next year."""

from __future__ import annotations

import argparse
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
from ykgeo.errors import DataError, ValidationError
from ykgeo.plan import (
    default_plan_year,
    export_plan,
    import_plan_file,
    plan_history,
    plan_template,
    rollover_and_save,
)
from ykgeo.progress import VALUE_TO_FILL_ZH, format_target, unit_decimals
from ykgeo.store import Store, known_now, now

__all__ = ["add_cli", "default_year"]

_MEASURE_ZH = {"area": "面积", "count": "个数", "chainage_km": "桩号里程", "length_km": "长度", "field_sum": "字段求和"}  # fmt: skip


def default_year(store: Store, year: int | None = None) -> int:
    """``year``, else the latest adopted plan year up to this year (see :func:`ykgeo.plan.default_plan_year`)."""
    if year is not None:
        return year
    found = default_plan_year(store)
    if found is None:
        msg = f"项目库 {store.path.name} 中还没有年度目标计划（用 ykgeo plan import 导入）"
        raise DataError(msg)
    return found


def _cmd_template(args: argparse.Namespace) -> int:
    store = open_store(args)
    year = args.year or now().year
    out = Path(args.output or f"{year}年度目标模板.xlsx")
    plan_template(store, out, year=year)
    print(
        f"已写出 {year} 年度目标模板 {out}（填写“目标”“镇街目标”两张表后用 ykgeo plan import 导入）"
    )
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        version = import_plan_file(
            store,
            Path(args.file),
            user=args.user,
            note=args.note or "",
            effective_date=args.effective_date,
            year=args.year,
        )
    except ValidationError as err:
        return print_refusal(err.problems, "导入")
    plan = store.plan(version.year)
    kind = "首版" if version.version == 1 else "调整"
    print(
        f"已导入 {version.year} 年计划（{plan.status}，{len(plan.targets)} 项目标）："
        f"{version.label_zh()}，{kind}"
    )
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    store = open_store(args)
    rows = [("年度", "计划名称", "状态", "目标数", "版本", "最近录入")]
    for year in store.plan_years():
        versions = store.plan_versions(year)
        plan = store.plan(year)
        last = versions[-1]
        rows.append(
            (
                str(year),
                plan.name_zh,
                plan.status,
                str(len(plan.targets)),
                str(len(versions)),
                f"{last.recorded_at[:10]} {last.user}".strip(),
            )
        )
    if len(rows) == 1:
        print(f"项目库 {store.path.name} 中还没有年度目标计划")
        return 0
    print_table(rows)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    store = open_store(args)
    year = default_year(store, args.year)
    if args.as_of:
        plan = store.plan(year, as_of=args.as_of, known_at=known_now())
        version, _ = store.plan_version(year, as_of=args.as_of, known_at=known_now())
    else:
        plan = store.plan(year)
        version, _ = store.plan_version(year)
    print(f"{plan.name_zh}（{plan.status}）")
    print(version.label_zh())
    rows = [("目标键", "目标", "图层", "计量", "目标值", "单位", "镇街目标")]
    for t in plan.targets:
        value = (
            format_target(t.value, unit_decimals(t.unit, t.measure))
            if t.value_set
            else VALUE_TO_FILL_ZH
        )
        towns = f"下达 {len(t.township_values)} 个镇街" if t.township_values else "按比例推算"
        rows.append(
            (
                t.key,
                t.name_zh,
                store.spec(t.layer).name_zh,
                _MEASURE_ZH[t.measure],
                value,
                t.unit,
                towns,
            )
        )
    print_table(rows)
    if plan.carried_over:
        print(
            f"结转要素 {len(plan.carried_over)} 个（ykgeo plan export {year} -o 文件.xlsx 查看“结转”表）"
        )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    store = open_store(args)
    out = export_plan(store, args.year, Path(args.output), version=args.version)
    print(f"已导出 {args.year} 年计划 → {out}")
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    store = open_store(args)
    frame = plan_history(store, args.year)
    rows = [("版本", "录入时间", "操作人", "适用日期", "状态", "说明", "变化")]
    for r in frame.to_dict(orient="records"):
        rows.append(
            (
                str(r["版本"]),
                str(r["录入时间"])[:19],
                str(r["操作人"]),
                str(r["适用日期"]),
                str(r["状态"]),
                str(r["说明"]),
                str(r["变化"]),
            )
        )
    print_table(rows)
    return 0


def _cmd_rollover(args: argparse.Namespace) -> int:
    store = open_store(args)
    result, version = rollover_and_save(
        store, from_year=args.from_year, to_year=args.to_year, user=args.user, as_of=args.as_of
    )
    print(
        f"已由 {args.from_year} 年计划生成 {args.to_year} 年计划草案（{version.label_zh()}）；"
        f"目标值待填，结转截至 {result.as_of.isoformat()} 未完成的要素："
    )
    rows = [("目标", "单位", "结转个数", "结转数量")]
    for r in result.carried.to_dict(orient="records"):
        if r["结转个数"]:
            rows.append(
                (str(r["目标"]), str(r["单位"]), str(r["结转个数"]), f"{r['结转数量']:,.2f}")
            )
    print_table(rows)
    for note in result.notes:
        print(f"注：{note}")
    print(
        f"填写目标值：ykgeo plan export {args.to_year} -o 文件.xlsx，填好后 ykgeo plan import 文件.xlsx"
    )
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``plan template|import|list|show|export|history|rollover``."""
    plan = subparsers.add_parser(
        "plan", help="年度目标计划：模板、导入、查看、导出、调整记录、结转下一年"
    )
    sub = plan.add_subparsers(dest="plan_command", required=True, metavar="子命令")

    p = sub.add_parser(
        "template", help="写出 Excel 目标模板（上一年的目标、目标值待填；每个镇街一行）"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="输出文件（默认：YYYY年度目标模板.xlsx）")
    p.add_argument("--year", type=int, help="计划年度（默认：今年）")
    add_store_option(p)
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("import", help="导入 XLSX 或 TOML 计划（已有该年计划时记为一次调整）")
    p.add_argument("file")
    p.add_argument("--year", type=int, help="核对文件中的年度")
    p.add_argument("--user", default="命令行导入", help="记入编辑日志的操作人")
    p.add_argument("--note", help="调整说明（计划调整时填写原因或文号）")
    p.add_argument(
        "--effective-date", type=parse_date, help="调整自哪天起适用（默认：今天；首版为 1 月 1 日）"
    )
    add_store_option(p)
    add_wait_option(p)
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("list", help="列出各年度计划")
    add_store_option(p)
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("show", help="查看某年计划（现行版本，或某日适用的版本）")
    p.add_argument("year", nargs="?", type=int, help="计划年度（默认：今年或最近的计划年度）")
    p.add_argument("--as-of", type=parse_date, help="查看某日适用的计划版本")
    add_store_option(p)
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("export", help="导出某年计划为 XLSX 或 TOML")
    p.add_argument("year", type=int)
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="输出文件（.xlsx 或 .toml）"
    )
    p.add_argument("--version", type=int, help="导出第几版（默认：现行版本）")
    add_store_option(p)
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("history", help="某年计划的调整记录（谁、何时、自何日起、改了什么）")
    p.add_argument("year", type=int)
    add_store_option(p)
    p.set_defaults(func=_cmd_history)

    p = sub.add_parser("rollover", help="由上一年计划生成下一年计划草案，列出结转要素")
    p.add_argument("--from", dest="from_year", type=int, required=True, metavar="YEAR")
    p.add_argument("--to", dest="to_year", type=int, required=True, metavar="YEAR")
    p.add_argument("--as-of", type=parse_date, help="结转截至日（默认：上一年 12 月 31 日）")
    p.add_argument("--user", default="命令行", help="记入编辑日志的操作人")
    add_store_option(p)
    add_wait_option(p)
    p.set_defaults(func=_cmd_rollover)
