"""``ykgeo brief``: the briefing pack (PDF, and PNG maps for slides) for a date."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from ykgeo.cli._common import add_store_option, open_store, parse_date
from ykgeo.store import Store, known_now, now

__all__ = ["add_cli"]


def _default_as_of(store: Store) -> dt.date:
    today = now().date()
    years = store.plan_years()
    if not years:
        return today
    past = [y for y in years if y <= today.year]
    year = max(past) if past else min(years)
    return min(today, dt.date(year, 12, 31))


def _cmd_brief(args: argparse.Namespace) -> int:
    from ykgeo.report import build_brief  # the PDF stack only for this command

    store = open_store(args)
    as_of = args.as_of or _default_as_of(store)
    result = build_brief(
        store,
        as_of=as_of,
        township=args.township,
        since=args.since,
        known_at=known_now() if args.known_now else None,
        output=Path(args.output),
        png_dir=Path(args.png) if args.png else None,
        dpi=args.dpi,
    )
    pngs = f"，地图 PNG {len(result.png_files)} 张（{args.png}）" if result.png_files else ""
    print(
        f"已生成简报 {result.path}：共 {result.pages} 页{pngs}；统计日 {as_of.isoformat()}"
        f"（{'按现在所知，含补录' if args.known_now else '按当时所知'}），"
        f"{result.data_version.label_zh()}；用时 {result.seconds:.1f} 秒",
        file=sys.stderr,
    )
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``ykgeo brief`` on an argparse sub-parser collection."""
    p = subparsers.add_parser(
        "brief",
        help="生成进展简报 PDF（封面、目标总览、分目标地图、镇街图册、变化、数据问题、要素清单）",
        description="按统计日生成会议用进展简报（PDF，横向 A4），数字与 ykgeo progress 同日同版本一致；可另存地图 PNG（300 dpi）。",
    )
    p.add_argument(
        "--as-of",
        type=parse_date,
        metavar="DATE",
        help="统计日（默认：今天，或计划年度的 12 月 31 日）",
    )
    p.add_argument("--township", metavar="NAME", help="只做该镇街的简报")
    p.add_argument(
        "--since", type=parse_date, metavar="DATE", help="列出自该日以来的变化（上次简报日期）"
    )
    p.add_argument(
        "--known-now",
        action="store_true",
        help="按现在所知统计（包含统计日之后补录的更正；默认按当时所知，事后重做结果不变）",
    )
    p.add_argument("-o", "--output", required=True, metavar="PDF", help="输出 PDF 文件")
    p.add_argument("--png", metavar="DIR", help="另将每幅地图存为 PNG 到该目录")
    p.add_argument("--dpi", type=int, default=300, help="PNG 分辨率（默认 300）")
    add_store_option(p)
    p.set_defaults(func=_cmd_brief)
