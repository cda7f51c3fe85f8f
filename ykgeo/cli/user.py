"""``ykgeo user add|list|remove|role|revoke``: the app's users file and sessions from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ykgeo.auth import (
    ROLES,
    AuthError,
    SessionTokens,
    UserDirectory,
    add_user,
    default_users_path,
    remove_user,
    set_role,
)

__all__ = ["add_cli"]


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码：")
    second = getpass.getpass("再次输入密码：")
    if first != second:
        msg = "两次输入的密码不一致"
        raise AuthError(msg)
    return first


def _cmd_user_add(args: argparse.Namespace) -> int:
    path = Path(args.users) if args.users else default_users_path()
    user = add_user(
        path,
        args.name,
        role=args.role,
        password=_read_password(args),
        display_name=args.display_name or "",
        replace=args.replace,
    )
    print(f"已添加用户 {user.label_zh} 到 {path}")
    return 0


def _cmd_user_list(args: argparse.Namespace) -> int:
    path = Path(args.users) if args.users else default_users_path()
    for user in UserDirectory.load(path).users():
        print(f"{user.name}\t{user.role}\t{user.display_name}")
    return 0


def _users_path(args: argparse.Namespace) -> Path:
    return Path(args.users) if args.users else default_users_path()


def _cmd_user_remove(args: argparse.Namespace) -> int:
    path = _users_path(args)
    remove_user(path, args.name)
    SessionTokens.for_users_file(path).revoke_user(args.name)
    print(f"已从 {path} 移除用户 {args.name}，其已登录的会话随即失效")
    return 0


def _cmd_user_role(args: argparse.Namespace) -> int:
    path = _users_path(args)
    user = set_role(path, args.name, args.role)
    print(f"已将 {user.label_zh} 的角色设为 {args.role}（已登录的会话在下一次操作时生效）")
    return 0


def _cmd_user_revoke(args: argparse.Namespace) -> int:
    path = _users_path(args)
    if UserDirectory.load(path).user(args.name) is None:
        msg = f"用户配置文件 {path.name} 中没有用户 {args.name}"
        raise AuthError(msg)
    SessionTokens.for_users_file(path).revoke_user(args.name)
    print(f"已结束用户 {args.name} 的所有登录会话（需重新登录）")
    return 0


def add_cli(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ykgeo user add|list|remove|role|revoke`` to the ``ykgeo`` command."""
    parser = subparsers.add_parser(
        "user", help="管理应用用户（添加、列出、移除、改角色、结束会话）"
    )
    sub = parser.add_subparsers(dest="user_command", required=True, metavar="操作")
    p = sub.add_parser("add", help="添加用户（密码以加盐 scrypt 哈希保存）")
    p.add_argument("name", help="用户名（记入编辑日志）")
    p.add_argument(
        "--role", choices=sorted(ROLES), required=True, help="editor 可编辑，viewer 只读"
    )
    p.add_argument("--display-name", help="显示名，如 张三")
    p.add_argument(
        "--users", metavar="PATH", help="用户配置文件（默认 $YKGEO_USERS 或 config/users.toml）"
    )
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（用于脚本）")
    p.add_argument("--replace", action="store_true", help="用户已存在时重设其密码与角色")
    p.set_defaults(func=_cmd_user_add)
    p = sub.add_parser("list", help="列出用户及角色")
    p.add_argument("--users", metavar="PATH")
    p.set_defaults(func=_cmd_user_list)
    for name, help_zh, func in (
        ("remove", "移除用户（其已登录的会话随即失效）", _cmd_user_remove),
        ("role", "修改用户角色（保留密码）", _cmd_user_role),
        ("revoke", "结束用户的所有登录会话（如怀疑账号被盗用）", _cmd_user_revoke),
    ):
        p = sub.add_parser(name, help=help_zh)
        p.add_argument("name")
        if name == "role":
            p.add_argument("--role", choices=sorted(ROLES), required=True)
        p.add_argument("--users", metavar="PATH")
        p.set_defaults(func=func)
