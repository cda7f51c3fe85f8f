"""``ykgeo backup``, ``restore``, ``batches`` and ``revert``: the ways back after a mistake or a bad day."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ykgeo.cli._common import add_store_option, add_wait_option, open_store, print_table
from ykgeo.store import backup_store, batches, restore_store, revert_batch, verify_backup

__all__ = ["add_cli", "confirmed"]


def confirmed(args: argparse.Namespace, question: str) -> bool:
    """``--yes`` given, or (on a terminal) the planner answers y; otherwise say how to confirm."""
    if getattr(args, "yes", False):
        return True
    if sys.stdin.isatty():
        answer = input(f"{question}[y/N] ").strip().lower()
        return answer in ("y", "yes", "是")
    print("未执行：此操作需要确认，请核对以上内容后加 --yes 重新运行。", file=sys.stderr)
    return False


def _cmd_backup(args: argparse.Namespace) -> int:
    store = open_store(args)
    made = backup_store(store, Path(args.output) if args.output else None, overwrite=args.force)
    print(f"已备份 {store.path.name} → {made.label_zh()}")
    print(f"SHA-256 {made.sha256}（校验文件 {made.path.name}.sha256，可用 sha256sum -c 核对）")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    store = open_store(args)
    backup = verify_backup(Path(args.backup))
    current = store.data_version()
    print(
        f"将用备份 {backup.path.name}（{backup.data_version.label_zh()}，SHA-256 已核对）"
        f"替换项目库 {store.path.name} 的当前内容（{current.label_zh()}）。"
    )
    if current.log_id > backup.data_version.log_id:
        print(
            f"备份之后的 {current.log_id - backup.data_version.log_id} 条编辑记录将不在项目库中"
            "（恢复前会自动另存一份当前内容的备份）。"
        )
    if not confirmed(args, "确认恢复？"):
        return 1
    done = restore_store(store, backup.path)
    print(f"已恢复：{store.path.name} 现为 {done.restored.data_version.label_zh()}")
    print(f"恢复前的内容已备份到 {done.previous.label_zh()}")
    return 0


def _cmd_batches(args: argparse.Namespace) -> int:
    frame = batches(open_store(args), limit=args.limit)
    if frame.empty:
        print("编辑日志中还没有任何批次")
        return 0
    rows = [("批次", "记录时间", "操作人", "来源", "图层", "要素", "新增", "修改", "删除")]
    for r in frame.itertuples(index=False):
        rows.append(
            (
                str(r.batch_id),
                str(r.recorded_at),
                str(r.user),
                str(r.source),
                str(r.layers),
                str(r.features),
                str(r.insert),
                str(r.update),
                str(r.delete),
            )
        )
    print_table(rows)
    return 0


def _cmd_revert(args: argparse.Namespace) -> int:
    store = open_store(args)
    done = revert_batch(store, args.batch, user=args.user)
    print(
        f"已撤销批次 {done.batch_id}：{done.restored} 个要素恢复为该批次之前的值，"
        f"{done.removed} 个该批次新增的要素已删除，{done.reinserted} 个该批次删除的要素已恢复"
        f"（新批次 {done.new_batch_id or '无修改'}，数据版本 v{done.data_version}）"
    )
    if done.new_batch_id:
        print(f"如需再恢复，可运行 ykgeo revert {done.new_batch_id}")
    return 0


def add_cli(subparsers: Any) -> None:
    """Register ``backup``, ``restore``, ``batches`` and ``revert``."""
    p = subparsers.add_parser("backup", help="备份项目库（运行中也可备份；附 SHA-256 校验）")
    p.add_argument("-o", "--output", help="备份文件（默认：项目库旁 备份/ 文件夹，按时间命名）")
    p.add_argument("--force", action="store_true", help="备份文件已存在时覆盖")
    add_store_option(p)
    p.set_defaults(func=_cmd_backup)

    p = subparsers.add_parser("restore", help="从备份恢复项目库（先核对校验，并自动备份当前内容）")
    p.add_argument("backup", help="ykgeo backup 生成的备份文件（旁边须有 .sha256 校验文件）")
    p.add_argument("--yes", action="store_true", help="确认用备份替换当前内容")
    add_store_option(p)
    add_wait_option(p)
    p.set_defaults(func=_cmd_restore)

    p = subparsers.add_parser("batches", help="列出最近的导入和编辑批次（撤销时用批次号）")
    p.add_argument("--limit", type=int, default=20, help="列出多少个（默认 20）")
    add_store_option(p)
    p.set_defaults(func=_cmd_batches)

    p = subparsers.add_parser(
        "revert", help="撤销一个导入或编辑批次（作为新批次记入日志，不删除记录）"
    )
    p.add_argument("batch", help="批次号（见 ykgeo batches 或导入时的输出）")
    p.add_argument("--user", default="命令行撤销", help="记入编辑日志的操作人")
    add_store_option(p)
    add_wait_option(p)
    p.set_defaults(func=_cmd_revert)
