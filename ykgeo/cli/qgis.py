"""``ykgeo export-qgis`` and ``ykgeo styles``: the store for QGIS (a styled project) and other GIS tools (QML/SLD)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ykgeo.cli._common import add_store_option, open_store
from ykgeo.io import write_qgis_project
from ykgeo.store import layer_qml, layer_sld

__all__ = ["add_cli"]


def _cmd_export_qgis(args: argparse.Namespace) -> int:
    store = open_store(args)
    project = write_qgis_project(store, Path(args.output), title=args.title)
    print(
        f"已写出 QGIS 项目 {project.path}：{project.layers} 个图层，分组 {'、'.join(project.groups)}；"
        f"数据源 {project.store_source}（相对项目文件）"
    )
    return 0


def _cmd_styles(args: argparse.Namespace) -> int:
    store = open_store(args)
    written = store.write_styles()
    print(f"已为项目库 {store.path.name} 写入 {written} 个图层的默认样式（layer_styles）")
    if args.files:
        folder = Path(args.files)
        folder.mkdir(parents=True, exist_ok=True)
        for key in store.layer_keys():
            spec = store.spec(key)
            (folder / f"{key}.qml").write_text(layer_qml(spec), encoding="utf-8")
            (folder / f"{key}.sld").write_text(layer_sld(spec), encoding="utf-8")
        print(f"QML 与 SLD 文件已写到 {folder}")
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``export-qgis`` and ``styles``."""
    p = subparsers.add_parser(
        "export-qgis",
        help="写出 QGIS 项目（.qgz）：图层按主题分组、按状态着色，含打印版式",
        description="写出读取项目库的 QGIS 项目：离线底图图层在前，项目坐标系 EPSG:4549，"
        "含标题、图例、比例尺、指北针和示意说明的 A3 打印版式。图层在项目中只读：编辑请用 ykgeo。",
    )
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="输出 .qgz 文件")
    p.add_argument("--title", help="版式标题（默认：项目库名称）")
    add_store_option(p)
    p.set_defaults(func=_cmd_export_qgis)

    p = subparsers.add_parser(
        "styles",
        help="为项目库每个图层重写 QGIS/SLD 默认样式（图层定义修改后使用）",
        description="按 layers/*.toml 重写项目库 layer_styles 中 ykgeo 的默认样式；"
        "GIS 人员另存的样式保留不动。--files 另把每层的 .qml 和 .sld 写到一个文件夹。",
    )
    p.add_argument("--files", metavar="DIR", help="另写出每层的 QML 和 SLD 文件到此文件夹")
    add_store_option(p)
    p.set_defaults(func=_cmd_styles)
