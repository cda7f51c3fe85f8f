"""Users and roles of the app from a TOML file with salted scrypt password hashes.

The users file (default ``config/users.toml``, or ``$YKGEO_USERS``) looks like::

    [users.zhangsan]
    display_name = "张三"
    role = "editor"            # editor: may edit and import; viewer: read only
    password = "scrypt$16384$8$1$<salt, base64>$<hash, base64>"

Passwords are never stored: each user has a random 16-byte salt and the scrypt hash
(n = 2¹⁴, r = 8, p = 1) of the password; checks compare in constant time. Add a user
with ``ykgeo user add NAME --role editor`` (asks for the password twice), list them with
``ykgeo user list`` (:mod:`ykgeo.cli.user`). Sign-in throttling and session tokens live
beside it in :mod:`ykgeo.auth.signin`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ykgeo.errors import YkgeoError

__all__ = [
    "ROLES",
    "AuthError",
    "User",
    "UserDirectory",
    "add_user",
    "default_users_path",
    "file_permission_problems",
    "hash_password",
    "remove_user",
    "set_role",
    "verify_password",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

Role = Literal["editor", "viewer"]
#: Roles and what they may do, in Chinese.
ROLES: Mapping[str, str] = {"editor": "编辑（可修改与导入）", "viewer": "查看（只读）"}

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,40}$")
_MIN_PASSWORD = 8
#: Checked instead of a real hash for unknown users, so timing does not tell who exists.
_DUMMY_HASH = (
    "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)


class AuthError(YkgeoError, ValueError):
    """A users file or a user entry is wrong."""


@dataclass(frozen=True)
class User:
    """A signed-in user: the name written into the edit log, a display name and a role."""

    name: str
    role: Role
    display_name: str = ""

    @property
    def can_edit(self) -> bool:
        """Whether this user may change the store (edit, import)."""
        return self.role == "editor"

    @property
    def label_zh(self) -> str:
        """``张三（编辑）``."""
        role = "编辑" if self.role == "editor" else "查看"
        return f"{self.display_name or self.name}（{role}）"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` for a password, with a fresh random salt unless one is given."""
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    key = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=_SCRYPT_N,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
        dklen=_KEY_BYTES,
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored ``scrypt$…`` hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt_b64, key_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(key_b64, validate=True)
        n_i, r_i, p_i = int(n), int(r), int(p)
    except (ValueError, TypeError):
        return False
    if not (2 <= n_i <= 2**20 and 1 <= r_i <= 32 and 1 <= p_i <= 16) or not expected:
        return False
    key = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n_i,
        r=r_i,
        p=p_i,
        dklen=len(expected),
        maxmem=256 * 1024 * 1024,
    )
    return hmac.compare_digest(key, expected)


def default_users_path() -> Path:
    """``$YKGEO_USERS``, else ``config/users.toml`` beside the package's source tree."""
    env = os.environ.get("YKGEO_USERS", "").strip()
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "config" / "users.toml"


@dataclass(frozen=True)
class _Entry:
    user: User
    password_hash: str


def file_permission_problems(path: Path, what: str = "用户配置文件") -> list[str]:
    """Warnings, as ssh gives them, when others than the owner may read ``path`` (POSIX only).

    Raises
    ------
    AuthError
        When others may *write* the file: anyone could then make themselves an editor.
    """
    if os.name != "posix":
        return []
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o022:
        msg = (
            f"{what} {path} 可被其他用户写入（权限 {mode:03o}），任何人都能给自己加上编辑权限，"
            f"已拒绝使用；请执行 chmod 600 {path}"
        )
        raise AuthError(msg, message_en=f"{path} is writable by others (mode {mode:03o}): refused")
    if mode & 0o044:
        who = "所有用户" if mode & 0o004 else "同组用户"
        msg = (
            f"警告：{what} {path} 可被{who}读取（权限 {mode:03o}），其中的密码哈希可能被离线破解；"
            f"请执行 chmod 600 {path}"
        )
        return [msg]
    return []


class UserDirectory:
    """The users of the app, read once from a TOML file (read-only; see :func:`add_user`).

    ``warnings_zh`` lists what is unsafe about the file (readable by others), as ssh warns.
    """

    def __init__(
        self, entries: Mapping[str, _Entry], *, source: str = "", warnings_zh: Sequence[str] = ()
    ) -> None:
        self._entries = dict(entries)
        self.source = source
        self.warnings_zh = tuple(warnings_zh)

    @classmethod
    def load(cls, path: Path | str) -> UserDirectory:
        """Read a users file; AuthError with the reason when it is malformed or writable by others."""
        path = Path(path)
        try:
            problems = file_permission_problems(path)
        except FileNotFoundError as err:
            msg = f"找不到用户配置文件：{path}"
            raise AuthError(msg) from err
        for problem in problems:
            logger.warning("%s", problem)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            msg = f"找不到用户配置文件：{path}"
            raise AuthError(msg) from err
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            msg = f"用户配置文件 {path.name} 格式有误：{err}"
            raise AuthError(msg) from err
        users = raw.get("users", {})
        if not isinstance(users, dict):
            msg = f"用户配置文件 {path.name} 中 [users] 必须是表"
            raise AuthError(msg)
        entries: dict[str, _Entry] = {}
        for name, item in users.items():
            if not isinstance(item, dict):
                msg = f"用户配置文件 {path.name} 中用户 {name} 的设置必须是表"
                raise AuthError(msg)
            role = item.get("role", "viewer")
            if role not in ROLES:
                msg = f"用户 {name} 的角色 {role!r} 无效（应为 editor 或 viewer）"
                raise AuthError(msg)
            password = item.get("password", "")
            if not isinstance(password, str) or not password.startswith("scrypt$"):
                msg = f"用户 {name} 没有有效的密码哈希（请用 ykgeo user add 设置）"
                raise AuthError(msg)
            entries[name] = _Entry(
                User(name=name, role=role, display_name=str(item.get("display_name", ""))),
                password,
            )
        return cls(entries, source=str(path), warnings_zh=problems)

    def __len__(self) -> int:
        return len(self._entries)

    def users(self) -> list[User]:
        """Every user, by name."""
        return [self._entries[k].user for k in sorted(self._entries)]

    def user(self, name: str) -> User | None:
        """The user called ``name`` as the file says now (role included), or None when there is none."""
        entry = self._entries.get(name)
        return entry.user if entry is not None else None

    def fingerprint(self, name: str) -> str | None:
        """A short digest of the user's password hash: changes when the password is reset (ends sessions)."""
        entry = self._entries.get(name)
        if entry is None:
            return None
        return hashlib.sha256(entry.password_hash.encode("ascii")).hexdigest()[:16]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is right, else None (same work either way)."""
        entry = self._entries.get(name.strip())
        ok = verify_password(password, entry.password_hash if entry else _DUMMY_HASH)
        return entry.user if entry is not None and ok else None


def _read_entries(path: Path) -> dict[str, dict[str, str]]:
    """The raw entries of a users file (none when it does not exist yet); refuses a file it cannot read."""
    if not path.exists():
        return {}
    UserDirectory.load(path)  # refuse to rewrite a file we cannot read
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k: dict(v) for k, v in raw.get("users", {}).items()}


def _rewrite(path: Path, users: Mapping[str, Mapping[str, str]]) -> None:
    """Write the users file atomically, mode 0600, users sorted by name."""
    lines = [
        "# ykgeo 用户与角色：editor 可编辑和导入，viewer 只读。",
        "# 密码只以加盐 scrypt 哈希保存；用 `ykgeo user add 用户名 --role editor|viewer` 添加。",
        "",
    ]
    for key in sorted(users):
        item = users[key]
        lines.append(f"[users.{_toml_string(key)}]")
        for field_name in ("display_name", "role", "password"):
            if field_name in item:
                lines.append(f"{field_name} = {_toml_string(str(item[field_name]))}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)


def remove_user(path: Path | str, name: str) -> None:
    """Remove a user from a users file: an open session of that user can no longer write (see the app)."""
    path = Path(path)
    users = _read_entries(path)
    if name not in users:
        msg = f"用户配置文件 {path.name} 中没有用户 {name}"
        raise AuthError(msg)
    del users[name]
    _rewrite(path, users)


def set_role(path: Path | str, name: str, role: Role) -> User:
    """Change a user's role, keeping the password: e.g. an editor made a viewer."""
    path = Path(path)
    if role not in ROLES:
        msg = f"角色 {role!r} 无效（应为 editor 或 viewer）"
        raise AuthError(msg)
    users = _read_entries(path)
    if name not in users:
        msg = f"用户配置文件 {path.name} 中没有用户 {name}"
        raise AuthError(msg)
    users[name]["role"] = role
    _rewrite(path, users)
    return User(name=name, role=role, display_name=users[name].get("display_name", ""))


def _toml_string(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def add_user(
    path: Path | str,
    name: str,
    *,
    role: Role,
    password: str,
    display_name: str = "",
    replace: bool = False,
) -> User:
    """Add (or with ``replace`` reset) a user in a users file, creating it when missing.

    The file is rewritten atomically; other users and their hashes are kept as they are.
    """
    path = Path(path)
    if not _NAME.match(name):
        msg = f"用户名 {name!r} 无效：只能用 1–40 个字母、数字、汉字或 _ . -"
        raise AuthError(msg)
    if role not in ROLES:
        msg = f"角色 {role!r} 无效（应为 editor 或 viewer）"
        raise AuthError(msg)
    if len(password) < _MIN_PASSWORD:
        msg = f"密码至少 {_MIN_PASSWORD} 个字符"
        raise AuthError(msg)
    users = _read_entries(path)
    if name in users and not replace:
        msg = f"用户 {name} 已存在（如需重设密码或角色，请加 --replace）"
        raise AuthError(msg)
    users[name] = {"display_name": display_name, "role": role, "password": hash_password(password)}
    _rewrite(path, users)
    return User(name=name, role=role, display_name=display_name)
