"""What the command groups share: the ``--store`` option, dates, opening the store, aligned tables."""

from __future__ import annotations

import argparse
import datetime as dt
import unicodedata
from collections.abc import Sequence
from typing import Any

from ykgeo.store import Store, default_store_path

__all__ = [
    "add_store_option",
    "add_wait_option",
    "open_store",
    "parse_date",
    "print_refusal",
    "print_table",
]

#: Help of the ``--store`` option, for every command that reads the store.
STORE_HELP = "项目库 GeoPackage（默认：$YKGEO_STORE 或演示库）"


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--store PATH`` for every command that reads the store."""
    parser.add_argument("--store", metavar="PATH", help=STORE_HELP)


def add_wait_option(parser: argparse.ArgumentParser) -> None:
    """``--wait SECONDS`` for every command that writes: how long to wait while someone else writes."""
    parser.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="项目库正被他人写入时最多等待的秒数（默认 30），超时则不写入并提示稍后重试",
    )


def open_store(args: argparse.Namespace) -> Store:
    """The store of ``--store``, else the default one (see :func:`ykgeo.store.default_store_path`)."""
    path = default_store_path(getattr(args, "store", None))
    wait = getattr(args, "wait", None)
    return Store(path) if wait is None else Store(path, busy_timeout_s=max(0.0, wait))


def parse_date(text: str) -> dt.date:
    """argparse type for ``YYYY-MM-DD`` with a Chinese message."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        msg = f"日期格式应为 YYYY-MM-DD：{text}"
        raise argparse.ArgumentTypeError(msg) from None


def print_table(rows: Sequence[Sequence[str]]) -> None:
    """Print rows with columns aligned, counting CJK characters as two columns."""

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip())


def print_refusal(problems: Sequence[Any], what: str, unchanged: str = "项目库未作任何修改") -> int:
    """Print every problem of a refused input on stderr, then one summary line; returns exit code 1."""
    import sys

    for problem in problems:
        print(str(problem), file=sys.stderr)
    errors = sum(1 for p in problems if getattr(p, "severity", "error") == "error")
    print(f"{what}被拒绝：{errors} 个错误，{unchanged}。", file=sys.stderr)
    return 1
