"""``ykgeo demo build`` and ``ykgeo raster demo``: the demo store and rasters (the one door to :mod:`ykgeo.demo`)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ykgeo.cli._common import add_store_option
from ykgeo.store import DEMO_STORE, find_demo_store

__all__ = ["DEMO_SEED", "add_cli", "add_raster_demo_cli"]

#: :data:`ykgeo.demo.DEMO_SEED`, here so that building the parser does not load the demo builder
#: (a test keeps the two equal).
DEMO_SEED = 2022


def _cli_build(args: argparse.Namespace) -> int:
    from ykgeo.demo import build_demo  # the demo builder only for this command

    started = time.perf_counter()
    store = build_demo(args.output, seed=args.seed, overwrite=args.force)
    seconds = time.perf_counter() - started
    for key in store.layer_keys():
        print(f"{store.spec(key).name_zh}（{key}）：{store.count(key)}")
    size = Path(args.output).stat().st_size / 1e6
    print(f"已生成演示库 {args.output}（{size:.1f} MB，{seconds:.1f} s，seed={args.seed}）")
    return 0


def _cli_figures(args: argparse.Namespace) -> int:
    from ykgeo.demo.figures import figures_table, planning_table
    from ykgeo.store import Store

    store = Store(args.store or find_demo_store() or DEMO_STORE)
    print((planning_table if args.planning else figures_table)(store), end="")
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``demo build --seed 2022 -o PATH`` on an argparse sub-parser collection."""
    demo = subparsers.add_parser("demo", help="永康市演示数据（示意）")
    sub = demo.add_subparsers(dest="demo_command", required=True)
    build = sub.add_parser("build", help="按固定随机种子重新生成演示项目库")
    build.add_argument("--seed", type=int, default=DEMO_SEED, help="随机种子（默认 2022）")
    output = find_demo_store() or DEMO_STORE
    build.add_argument(
        "-o", "--output", type=Path, default=output, help=f"输出文件（默认 {output}）"
    )
    build.add_argument("--force", action="store_true", help="输出文件已存在时覆盖（默认拒绝）")
    build.set_defaults(func=_cli_build)
    figures = sub.add_parser(
        "figures",
        help="演示库各目标在 2022-06-30 和 2022-12-31 的数字（Markdown 表，data/gis/README.md 引用）",
    )
    figures.add_argument(
        "--planning",
        action="store_true",
        help="改为输出工业用地宗地、亩均评价和 2023 年计划草案的数字（README 的另一张表）",
    )
    add_store_option(figures)
    figures.set_defaults(func=_cli_figures)


def _cmd_raster_demo(args: argparse.Namespace) -> int:
    from ykgeo.demo import build_demo_rasters

    store = Path(args.store) if args.store else None
    paths = build_demo_rasters(Path(args.output), store_path=store, seed=args.seed)
    for p in paths:
        print(f"已生成 {p}（{p.stat().st_size / 1024:,.0f} KB）")
    return 0


def add_raster_demo_cli(raster_subparsers: Any) -> None:
    """Register ``raster demo`` on the sub-parsers of ``ykgeo raster``."""
    p = raster_subparsers.add_parser(
        "demo", help="按演示项目库生成演示栅格（DEM、2021/2022 年末地类）"
    )
    p.add_argument("-o", "--output", default="data/gis/rasters", help="输出目录")
    p.add_argument("--seed", type=int, default=DEMO_SEED)
    add_store_option(p)
    p.set_defaults(func=_cmd_raster_demo)
