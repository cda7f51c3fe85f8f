"""``ykgeo progress`` and ``ykgeo changes``: a year's targets for any date, and what changed between two dates."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ykgeo.cli._common import add_store_option, open_store
from ykgeo.errors import DataError, StoreError
from ykgeo.io import csv_frame
from ykgeo.store import known_now, now

__all__ = ["add_cli"]


def _date_arg(text: str) -> dt.date:
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    if len(cleaned) == 8 and cleaned.isdigit():
        cleaned = f"{cleaned[:4]}-{cleaned[4:6]}-{cleaned[6:]}"
    try:
        year, month, day = (int(p) for p in cleaned.split("-"))
        return dt.date(year, month, day)
    except (ValueError, TypeError):
        msg = f"日期格式应为 YYYY-MM-DD：{text}"
        raise argparse.ArgumentTypeError(msg) from None


def add_cli(subparsers: Any) -> None:
    """Register ``progress`` and ``changes`` on an argparse sub-parser collection (each sets ``func``)."""
    p = subparsers.add_parser(
        "progress",
        help="年度目标完成进度（任一统计日，可分镇街、逐月；含年底预测与红黄绿评级）",
        description="按统计日统计年度目标完成情况。统计日的数字只用当天结束前已录入的数据，事后查询结果不变；加 --known-now 则包含之后补录的更正。",
    )
    p.add_argument(
        "--as-of",
        type=_date_arg,
        metavar="DATE",
        help="统计日（默认：今天，或计划年度的 12 月 31 日）",
    )
    p.add_argument(
        "--year", type=int, help="计划年度（默认：统计日所在年，或项目库中最近的计划年度）"
    )
    p.add_argument("--by", choices=["township", "month"], help="分镇街或逐月列出")
    p.add_argument("--target", action="append", metavar="KEY", help="只统计该目标（可重复）")
    p.add_argument("--township", metavar="NAME", help="只统计该镇街")
    p.add_argument("--format", choices=["table", "csv", "json", "xlsx"], default="table")
    p.add_argument(
        "-o", "--output", metavar="OUT", help="输出文件（xlsx 必填；其余默认输出到屏幕）"
    )
    add_store_option(p)
    p.add_argument("--known-now", action="store_true", help="按现在所知统计（包含事后补录的更正）")
    p.set_defaults(func=_cmd_progress)

    q = subparsers.add_parser(
        "changes",
        help="两个日期之间的变化：新完成、退回、重新测量、新增、删除",
    )
    q.add_argument(
        "--since",
        type=_date_arg,
        required=True,
        metavar="DATE",
        help="起始日（含当天：列出该日及以后发生的变化；--since 今天 即今天的修改）",
    )
    q.add_argument("--until", type=_date_arg, metavar="DATE", help="截止日（默认：今天）")
    q.add_argument("--layer", action="append", metavar="KEY", help="只看该图层（可重复）")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
    q.add_argument("-o", "--output", metavar="OUT", help="输出文件（默认输出到屏幕）")
    add_store_option(q)
    q.set_defaults(func=_cmd_changes)


def _write_text(text: str, output: str | None, *, bom: bool = False) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8-sig" if bom else "utf-8")
        print(f"已写出 {output}", file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _cmd_progress(args: argparse.Namespace) -> int:
    from ykgeo.plan import default_plan_year
    from ykgeo.progress import (
        progress_report,
        report_to_csv,
        report_to_json,
        report_to_table,
        report_to_xlsx,
    )

    store = open_store(args)
    today = now().date()
    years = store.plan_years()
    if not years:
        msg = f"项目库 {store.path.name} 中没有年度目标计划"
        raise StoreError(msg)
    if args.year:
        year = args.year
    elif args.as_of:
        year = args.as_of.year
    else:
        year = default_plan_year(store, today) or min(years)
    # today, clamped into the plan year
    as_of = args.as_of or min(max(today, dt.date(year, 1, 1)), dt.date(year, 12, 31))
    if args.format == "xlsx" and not args.output:
        msg = "XLSX 格式须用 -o 指定输出文件"
        raise DataError(msg)
    report = progress_report(
        store,
        as_of=as_of,
        year=year,
        known_at=known_now() if args.known_now else None,
        targets=args.target,
        township=args.township,
        with_monthly=args.by == "month",
    )
    for note in report.warnings:
        print(f"说明：{note}", file=sys.stderr)
    if args.format == "xlsx":
        report_to_xlsx(report, Path(args.output))
        print(f"已写出 {args.output}", file=sys.stderr)
    elif args.format == "json":
        _write_text(
            json.dumps(report_to_json(report, by=args.by), ensure_ascii=False, indent=2),
            args.output,
        )
    elif args.format == "csv":
        _write_text(report_to_csv(report, by=args.by), args.output, bom=bool(args.output))
    else:
        _write_text(report_to_table(report, by=args.by), args.output)
    return 0


def _cmd_changes(args: argparse.Namespace) -> int:
    from ykgeo.progress import changes_between
    from ykgeo.progress.output import changes_to_table

    store = open_store(args)
    # --since is inclusive: compare with the state at the end of the day before
    frame = changes_between(store, args.since - dt.timedelta(days=1), args.until, layers=args.layer)
    if args.format == "json":
        records = [
            {k: _json_scalar(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
        ]
        out = {
            "since": args.since.isoformat(),
            "until": (args.until or now().date()).isoformat(),
            "changes": records,
        }
        _write_text(json.dumps(out, ensure_ascii=False, indent=2), args.output)
    elif args.format == "csv":
        _write_text(csv_frame(frame).to_csv(index=False), args.output, bom=bool(args.output))
    else:
        _write_text(
            changes_to_table(
                frame, since=args.since, until=args.until or now().date(), inclusive=True
            ),
            args.output,
        )
    return 0


def _json_scalar(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else round(float(value), 4)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()
    return value
