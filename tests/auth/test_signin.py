"""Sign-in that holds: throttling, signed session tokens, users files others may read or write."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from ykgeo.auth import (
    AuthError,
    SessionTokens,
    SignInThrottle,
    ThrottlePolicy,
    UserDirectory,
    add_user,
    remove_user,
    session_key_path,
    set_role,
)
from ykgeo.cli import main


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


POLICY = ThrottlePolicy(
    free_failures=3,
    first_delay_s=2,
    max_delay_s=30,
    lockout_failures=6,
    lockout_s=600,
    client_factor=3,
)


def test_failures_of_a_name_grow_a_delay_then_lock_it(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    throttle = SignInThrottle(POLICY, clock=clock)
    caplog.set_level(logging.WARNING, logger="ykgeo.auth.signin")
    waits = []
    for _ in range(5):
        assert throttle.check("zhang", "10.0.0.1") is None
        throttle.failed("zhang", "10.0.0.1")
        refusal = throttle.check("zhang", "10.0.0.1")
        waits.append(0 if refusal is None else round(refusal.wait_s))
        clock.now += 100
    assert waits == [0, 0, 0, 2, 4]  # three free, then doubling
    throttle.failed("Zhang ", "10.0.0.1")  # the sixth, the name as typed differently
    refusal = throttle.check("zhang", "10.0.0.9")  # from anywhere
    assert refusal is not None and refusal.locked and refusal.scope == "user"
    assert "已暂时锁定" in refusal.message_zh() and "10 分钟" in refusal.message_zh()
    assert "locked" in refusal.message_en()
    clock.now += 599
    assert throttle.check("zhang", "10.0.0.9") is not None
    clock.now += 2
    assert throttle.check("zhang", "10.0.0.9") is None
    messages = [r.getMessage() for r in caplog.records]
    assert sum("sign-in failed: user 'zhang'" in m.lower() for m in messages) == 6
    assert any("sign-in locked for 600 s: user 'zhang' after 6 failures" in m for m in messages)
    assert not any("password" in m.lower() for m in messages)


def test_a_client_trying_many_names_is_slowed_and_locked_too() -> None:
    clock = Clock()
    throttle = SignInThrottle(POLICY, clock=clock)
    for i in range(9):  # nine names, one failure each: the client's free failures
        throttle.failed(f"user{i}", "10.0.0.2")
        clock.now += 100
    assert throttle.check("someone", "10.0.0.2") is None
    throttle.failed("user9", "10.0.0.2")
    refusal = throttle.check("someone", "10.0.0.2")
    assert refusal is not None and refusal.scope == "client" and not refusal.locked
    assert throttle.check("someone", "10.0.0.3") is None  # another client is not affected
    for i in range(10, 18):
        clock.now += 100
        throttle.failed(f"user{i}", "10.0.0.2")
    refusal = throttle.check("someone", "10.0.0.2")
    assert refusal is not None and refusal.locked and "本机" in refusal.message_zh()


def test_success_forgets_the_names_failures_not_the_clients() -> None:
    clock = Clock()
    throttle = SignInThrottle(POLICY, clock=clock)
    for _ in range(4):
        throttle.failed("li", "10.0.0.4")
    assert throttle.check("li", "10.0.0.4") is not None
    clock.now += 60
    throttle.succeeded("li", "10.0.0.4")
    throttle.failed("li", "10.0.0.4")
    assert throttle.check("li", "10.0.0.4") is None  # the name starts again
    assert throttle._records[("client", "10.0.0.4")].failures  # the client's count stays


def test_tokens_are_signed_expire_and_can_be_revoked(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    clock = Clock()
    tokens = SessionTokens.for_users_file(users)
    tokens._clock = clock  # a test clock, the real key file
    key = session_key_path(users)
    assert key.exists() and (os.name != "posix" or (key.stat().st_mode & 0o777) == 0o600)
    token = tokens.issue("zhang", "fp1")
    claims = tokens.verify(token)
    assert claims is not None and (claims.user, claims.fingerprint) == ("zhang", "fp1")
    head, body, mac = token.split(".")
    assert tokens.verify(f"{head}.{body}.{mac[:-2]}AA") is None  # signature
    forged = SessionTokens(b"another secret of 32 bytes......", revoked_path=None)
    assert forged.verify(token) is None
    assert tokens.verify(f"{head}.{body[:-4]}abcd.{mac}") is None  # claims changed
    clock.now += tokens.lifetime_s + 1
    assert tokens.verify(token) is None  # expired
    clock.now = 1000.0
    other = tokens.issue("zhang", "fp1")
    tokens.revoke(token)
    assert tokens.verify(token) is None and tokens.verify(other) is not None
    clock.now += 10
    tokens.revoke_user("zhang")
    assert tokens.verify(other) is None
    clock.now += 5
    fresh = tokens.issue("zhang", "fp1")
    assert tokens.verify(fresh) is not None
    # the revocations outlive the process: a new instance reads them
    again = SessionTokens.for_users_file(users)
    again._clock = clock
    assert again.verify(other) is None and again.verify(fresh) is not None


def test_a_users_file_readable_by_others_is_warned_about_writable_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    users = tmp_path / "users.toml"
    add_user(users, "zhang", role="editor", password="secret-pass-1")
    assert UserDirectory.load(users).warnings_zh == ()
    users.chmod(0o644)
    directory = UserDirectory.load(users)
    assert len(directory.warnings_zh) == 1 and "可被所有用户读取" in directory.warnings_zh[0]
    assert main(["user", "list", "--users", str(users)]) == 0
    assert "提示：警告：用户配置文件" in capsys.readouterr().err
    users.chmod(0o666)
    with pytest.raises(AuthError, match="可被其他用户写入"):
        UserDirectory.load(users)


def test_roles_change_and_users_go_keeping_the_rest(tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    add_user(users, "zhang", role="editor", password="secret-pass-1")
    add_user(users, "li", role="editor", password="secret-pass-2")
    before = UserDirectory.load(users).fingerprint("li")
    set_role(users, "zhang", "viewer")
    remove_user(users, "li")
    directory = UserDirectory.load(users)
    zhang = directory.user("zhang")
    assert zhang is not None and zhang.role == "viewer"
    assert directory.authenticate("zhang", "secret-pass-1") is not None  # password kept
    assert directory.user("li") is None and directory.fingerprint("li") is None
    assert before is not None and len(before) == 16
    with pytest.raises(AuthError, match="没有用户 li"):
        remove_user(users, "li")


def test_cli_revokes_the_sessions_of_a_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = tmp_path / "users.toml"
    add_user(users, "zhang", role="editor", password="secret-pass-1")
    token = SessionTokens.for_users_file(users).issue("zhang", "fp")
    assert main(["user", "revoke", "zhang", "--users", str(users)]) == 0
    assert SessionTokens.for_users_file(users).verify(token) is None
    assert main(["user", "remove", "zhang", "--users", str(users)]) == 0
    assert UserDirectory.load(users).user("zhang") is None
    assert "移除用户 zhang" in capsys.readouterr().out
