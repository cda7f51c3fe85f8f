"""ykgeo.auth.users: salted scrypt hashes, constant-time checks, the users file and ``ykgeo user add``."""

from __future__ import annotations

import io
import stat
import tomllib
from pathlib import Path

import pytest

from ykgeo.auth import users as auth
from ykgeo.cli import main


def test_hash_and_verify() -> None:
    stored = auth.hash_password("正确的密码 123")
    assert stored.startswith("scrypt$16384$8$1$")
    assert auth.verify_password("正确的密码 123", stored)
    assert not auth.verify_password("正确的密码 124", stored)
    assert not auth.verify_password("", stored)


def test_salts_are_per_hash() -> None:
    a, b = auth.hash_password("same-password"), auth.hash_password("same-password")
    assert a != b
    assert a.split("$")[4] != b.split("$")[4]


def test_known_answer_with_fixed_salt() -> None:
    import base64
    import hashlib

    salt = bytes(range(16))
    stored = auth.hash_password("pw-12345", salt=salt)
    expected = hashlib.scrypt(b"pw-12345", salt=salt, n=2**14, r=8, p=1, dklen=32)
    assert stored.split("$")[5] == base64.b64encode(expected).decode()


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain",
        "md5$abc",
        "scrypt$x$8$1$AA==$AA==",
        "scrypt$16384$8$1$!!$AA==",
        "scrypt$99999999$8$1$AA==$AA==",
    ],
)
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert not auth.verify_password("anything", stored)


def test_verify_uses_constant_time_compare(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = auth.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    auth.verify_password("x" * 8, auth.hash_password("y" * 8))
    assert len(calls) == 1


def test_add_load_authenticate(tmp_path: Path) -> None:
    path = tmp_path / "config" / "users.toml"
    auth.add_user(
        path, "zhangsan", role="editor", password="editor-pass", display_name='张三 "规划科"'
    )
    auth.add_user(path, "lisi", role="viewer", password="viewer-pass")
    text = path.read_text(encoding="utf-8")
    assert "editor-pass" not in text and "viewer-pass" not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tomllib.loads(text)["users"]["zhangsan"]["display_name"] == '张三 "规划科"'
    users = auth.UserDirectory.load(path)
    assert [u.name for u in users.users()] == ["lisi", "zhangsan"]
    editor = users.authenticate("zhangsan", "editor-pass")
    assert editor == auth.User("zhangsan", "editor", '张三 "规划科"')
    assert editor.can_edit
    viewer = users.authenticate("lisi", "viewer-pass")
    assert viewer is not None and not viewer.can_edit
    assert users.authenticate("zhangsan", "viewer-pass") is None
    assert users.authenticate("nobody", "editor-pass") is None


def test_add_refuses_duplicates_bad_roles_and_short_passwords(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    auth.add_user(path, "wang", role="viewer", password="first-pass")
    with pytest.raises(auth.AuthError, match="已存在"):
        auth.add_user(path, "wang", role="editor", password="second-pass")
    auth.add_user(path, "wang", role="editor", password="second-pass", replace=True)
    users = auth.UserDirectory.load(path)
    assert users.authenticate("wang", "first-pass") is None
    assert users.authenticate("wang", "second-pass").role == "editor"
    with pytest.raises(auth.AuthError, match="角色"):
        auth.add_user(path, "li", role="admin", password="long-enough")  # type: ignore[arg-type]
    with pytest.raises(auth.AuthError, match="至少 8"):
        auth.add_user(path, "li", role="viewer", password="short")
    with pytest.raises(auth.AuthError, match="用户名"):
        auth.add_user(path, "a b]\n", role="viewer", password="long-enough")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[users.x]\nrole = 'root'\npassword = 'scrypt$1$1$1$AA==$AA=='\n", "角色"),
        ("[users.x]\nrole = 'viewer'\npassword = 'plaintext'\n", "密码哈希"),
        ("[users\n", "格式有误"),
    ],
)
def test_broken_users_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "users.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(auth.AuthError, match=message):
        auth.UserDirectory.load(path)
    with pytest.raises(auth.AuthError, match="找不到"):
        auth.UserDirectory.load(tmp_path / "missing.toml")


def test_cli_user_add_and_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "users.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO("cli-password\n"))
    code = main(
        [
            "user",
            "add",
            "zhao",
            "--role",
            "editor",
            "--display-name",
            "赵六",
            "--users",
            str(path),
            "--password-stdin",
        ]
    )
    assert code == 0
    assert "已添加用户" in capsys.readouterr().out
    assert auth.UserDirectory.load(path).authenticate("zhao", "cli-password").role == "editor"
    assert main(["user", "list", "--users", str(path)]) == 0
    assert "zhao\teditor\t赵六" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    code = main(
        ["user", "add", "qian", "--role", "viewer", "--users", str(path), "--password-stdin"]
    )
    assert code == 2
    assert "至少 8" in capsys.readouterr().err


def test_example_users_file_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "users.example.toml"
    users = auth.UserDirectory.load(example)
    assert {u.role for u in users.users()} == {"editor", "viewer"}
