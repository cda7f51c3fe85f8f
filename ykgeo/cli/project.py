"""``ykgeo init`` (a new store for the bureau's own data) and ``ykgeo app`` (the app on a store)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ykgeo.cli._common import add_store_option, print_refusal
from ykgeo.errors import DataError, StoreError, ValidationError
from ykgeo.plan import init_store
from ykgeo.store import default_store_path

__all__ = ["add_cli", "app_script"]


def _cmd_init(args: argparse.Namespace) -> int:
    try:
        store, summary = init_store(
            Path(args.path),
            name_zh=args.name,
            layers_dir=args.layers,
            boundary=args.boundary,
            townships=args.townships,
        )
    except ValidationError as err:
        return print_refusal(err.problems, "建库", "未创建任何文件")
    print(f"已创建项目库 {summary.path}（{store.name_zh}）")
    print(f"图层定义 {summary.layers} 个；市界：{summary.boundary_source}")
    print(
        f"镇街 {len(summary.townships)} 个（{summary.township_source}）：{'、'.join(summary.townships)}"
    )
    for note in summary.notes:
        print(f"说明：{note}")
    print("下一步：ykgeo plan template -o 目标模板.xlsx --store 项目库，填写后 ykgeo plan import")
    return 0


def app_script() -> Path:
    """The app's entry script (``app.py`` of the checkout this package runs from)."""
    script = Path(__file__).resolve().parents[2] / "app.py"
    if not script.is_file():
        msg = f"找不到应用入口 {script}：ykgeo app 需要在源码目录中安装（pip install -e .）"
        raise StoreError(msg)
    return script


def _cmd_app(args: argparse.Namespace) -> int:
    store = default_store_path(args.store)
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or shutil.which(
        "streamlit"
    )
    if streamlit is None:
        msg = "找不到 streamlit，请先运行 make setup"
        raise DataError(msg)
    command = [
        streamlit,
        "run",
        str(app_script()),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        *(["--server.port", str(args.port)] if args.port else []),
        "--",
        "--store",
        str(Path(store).resolve()),
        *(["--users", args.users] if args.users else []),
    ]
    print(
        f"在浏览器中打开 http://localhost:{args.port}（项目库 {store}；按 Ctrl+C 结束）", flush=True
    )
    return subprocess.call(command, env=os.environ.copy())


def add_cli(subparsers: Any) -> None:
    """Register ``init`` and ``app``."""
    p = subparsers.add_parser(
        "init",
        help="新建项目库：图层定义、市界和 14 个镇街（可用局里自己的文件），不含项目要素和计划",
    )
    p.add_argument("path", help="新项目库文件（.gpkg），已存在时拒绝")
    p.add_argument("--name", help="项目库名称（默认：永康市用地与基础设施项目库）")
    p.add_argument("--layers", metavar="DIR", help="图层定义文件夹（默认：随程序提供的 layers/）")
    p.add_argument(
        "--boundary", metavar="FILE", help="市界文件（默认：随程序提供的天地图概化界线）"
    )
    p.add_argument(
        "--townships", metavar="FILE", help="镇街范围文件（默认：随程序提供的 14 个镇街，范围示意）"
    )
    p.set_defaults(func=_cmd_init)

    a = subparsers.add_parser("app", help="在浏览器中打开应用（总览、地图、计划……）")
    a.add_argument("--port", type=int, help="端口（默认 8501，或 $STREAMLIT_SERVER_PORT）")
    a.add_argument("--users", metavar="TOML", help="用户配置文件（默认：config/users.toml）")
    add_store_option(a)
    a.set_defaults(func=_cmd_app)
