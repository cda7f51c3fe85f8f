"""``ykgeo serve``: the store's layers as OGC API – Features (pygeoapi), read-only, for QGIS, ArcGIS and GDAL."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from ykgeo.cli._common import add_store_option, parse_date
from ykgeo.store import default_store_path

__all__ = ["add_cli"]


def _cmd_serve(args: argparse.Namespace) -> int:
    from ykgeo.ogcapi import ServeSettings, run_server

    # main() records warnings until the command ends; a server runs for months: keep one per place
    warnings.simplefilter("default")

    settings = ServeSettings(
        store=default_store_path(args.store),
        host=args.host,
        port=args.port,
        url=args.url or "",
        as_of=args.as_of,
        known_now=args.known_now,
    )

    def ready(url: str) -> None:
        when = f"，未指定 datetime 时按 {args.as_of} 统计" if args.as_of else ""
        print(f"OGC API – Features 服务已启动：{url}/collections{when}（Ctrl+C 停止）", flush=True)

    run_server(settings, ready=ready)
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``serve``."""
    p = subparsers.add_parser(
        "serve",
        help="以 OGC API – Features 只读发布项目库图层（供 QGIS、ArcGIS、GDAL 读取）",
        description="每个图层一个 collection（/collections/<图层键>），另有 progress（各镇街目标进展）。"
        "datetime=2022-09-30 返回当日结束时、按当日所知的图层（与 ykgeo export --as-of 相同）；"
        "加 known-at=now 则包含事后补录的更正。默认只在本机 127.0.0.1 监听。",
    )
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机）")
    p.add_argument("--port", type=int, default=5000, help="端口（默认 5000）")
    p.add_argument(
        "--url",
        help="客户端看到的地址（反向代理之后填代理的公开地址，如 https://gis.example/ykgeo）",
    )
    p.add_argument(
        "--as-of", type=parse_date, metavar="YYYY-MM-DD", help="未带 datetime 的请求按此统计日返回"
    )
    p.add_argument("--known-now", action="store_true", help="与 --as-of 合用：包含事后补录的更正")
    add_store_option(p)
    p.set_defaults(func=_cmd_serve)
