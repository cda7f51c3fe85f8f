"""Sign-in that holds: throttling of wrong passwords, and signed session tokens that survive a page refresh.

Two parts, both independent of Streamlit:

* :class:`SignInThrottle` counts failed sign-ins per user name and per client (an IP
  address). After a few free failures each further one makes the next attempt wait
  longer (the delay doubles), and after many the name or client is locked for a
  while. A refused attempt is refused *before* the password is checked, so a right
  password during a lockout does not get in. Every failure and lockout is logged
  (user name and client, never the password).
* :class:`SessionTokens` issues and checks session tokens:
  ``v1.<claims, base64url JSON>.<HMAC-SHA256, base64url>`` signed with a secret kept
  beside the users file (``users.toml.session-key``, mode 0600). A token names the user,
  expires (8 hours by default) and carries a fingerprint of the user's password hash, so
  resetting a password ends that user's sessions; signing out revokes the token, and
  ``ykgeo user revoke NAME`` ends all of a user's sessions. Revocations are kept in
  ``users.toml.revoked.json``. The password is never part of a token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ykgeo.auth.users import AuthError, file_permission_problems

__all__ = [
    "Refusal",
    "SessionClaims",
    "SessionTokens",
    "SignInThrottle",
    "ThrottlePolicy",
    "session_key_path",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

_TOKEN_VERSION = "v1"
_KEY_BYTES = 32


# --- throttling -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    """How sign-in failures are slowed down and locked out.

    Attributes
    ----------
    free_failures
        Failures of one user name allowed without any delay.
    first_delay_s
        The wait after the first failure beyond the free ones; it doubles with each
        further failure, up to ``max_delay_s``.
    lockout_failures
        Failures of one user name (within ``window_s``) that lock it for ``lockout_s``.
    client_factor
        A client (an IP address, which may try many names) gets this many times the
        free failures and the lockout threshold of a user name.
    """

    free_failures: int = 3
    first_delay_s: float = 2.0
    max_delay_s: float = 60.0
    lockout_failures: int = 10
    lockout_s: float = 15 * 60.0
    window_s: float = 60 * 60.0
    client_factor: int = 3


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in attempt is refused before its password is checked."""

    scope: Literal["user", "client"]
    locked: bool
    wait_s: float

    def message_zh(self) -> str:
        """The planner's message: how long to wait, and whether it is a lockout."""
        wait = max(1, round(self.wait_s))
        if self.locked:
            minutes = max(1, round(self.wait_s / 60))
            who = "该用户名" if self.scope == "user" else "本机"
            return f"{who}连续登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试，或联系管理员。"
        return f"登录失败次数过多，请 {wait} 秒后再试。"

    def message_en(self) -> str:
        """The same in English."""
        if self.locked:
            minutes = max(1, round(self.wait_s / 60))
            who = "This user name" if self.scope == "user" else "This computer"
            return f"{who} is locked after too many failed sign-ins: try again in {minutes} min, or ask the administrator."
        return f"Too many failed sign-ins: try again in {max(1, round(self.wait_s))} s."


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    next_at: float = 0.0
    locked_until: float = 0.0


class SignInThrottle:
    """Failed sign-ins per user name and per client, shared by every session of a server (thread-safe).

    Parameters
    ----------
    policy
        Delays and thresholds.
    clock
        Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self, policy: ThrottlePolicy | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy or ThrottlePolicy()
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], _Record] = {}

    @staticmethod
    def _keys(name: str, client: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("user", name.strip().casefold()), ("client", client or "unknown")

    def check(self, name: str, client: str) -> Refusal | None:
        """None when an attempt for ``name`` from ``client`` may be checked now, else why not."""
        now = self._clock()
        worst: Refusal | None = None
        with self._lock:
            for key in self._keys(name, client):
                record = self._records.get(key)
                if record is None:
                    continue
                scope: Literal["user", "client"] = "user" if key[0] == "user" else "client"
                if record.locked_until > now:
                    refusal = Refusal(scope, True, record.locked_until - now)
                elif record.next_at > now:
                    refusal = Refusal(scope, False, record.next_at - now)
                else:
                    continue
                if worst is None or (refusal.locked, refusal.wait_s) > (worst.locked, worst.wait_s):
                    worst = refusal
        return worst

    def failed(self, name: str, client: str) -> None:
        """Record a wrong password (or unknown name) and log it."""
        now = self._clock()
        policy = self.policy
        with self._lock:
            for key in self._keys(name, client):
                factor = 1 if key[0] == "user" else policy.client_factor
                record = self._records.setdefault(key, _Record())
                record.failures = [t for t in record.failures if now - t < policy.window_s]
                record.failures.append(now)
                count = len(record.failures)
                beyond = count - policy.free_failures * factor
                if beyond > 0:
                    delay = min(policy.max_delay_s, policy.first_delay_s * 2 ** (beyond - 1))
                    record.next_at = now + delay
                if count >= policy.lockout_failures * factor:
                    record.locked_until = now + policy.lockout_s
                    record.failures.clear()
                    logger.warning(
                        "sign-in locked for %.0f s: %s %r after %d failures",
                        policy.lockout_s,
                        key[0],
                        key[1],
                        count,
                    )
            self._prune(now)
        logger.warning("sign-in failed: user %r from client %r", name.strip(), client)

    def succeeded(self, name: str, client: str) -> None:
        """A right password: the name's failures are forgotten (the client's are not)."""
        with self._lock:
            self._records.pop(self._keys(name, client)[0], None)

    def _prune(self, now: float) -> None:
        stale = [
            key
            for key, r in self._records.items()
            if r.locked_until <= now
            and r.next_at <= now
            and all(now - t >= self.policy.window_s for t in r.failures)
        ]
        for key in stale:
            del self._records[key]


# --- session tokens -------------------------------------------------------------------------


def session_key_path(users_path: Path) -> Path:
    """Where the session secret of a users file is kept: ``<users file>.session-key``."""
    return users_path.with_name(users_path.name + ".session-key")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SessionClaims:
    """What a valid token says: who, since when, until when, its id and the password fingerprint."""

    user: str
    issued_at: int
    expires_at: int
    token_id: str
    fingerprint: str


class SessionTokens:
    """Issues, checks and revokes session tokens (thread-safe).

    Parameters
    ----------
    secret
        The HMAC key (32 random bytes), never sent to a browser.
    revoked_path
        A JSON file of revoked token ids and per-user "not before" times (None: kept in memory).
    lifetime_s
        How long a token is valid after it is issued.
    """

    def __init__(
        self,
        secret: bytes,
        *,
        revoked_path: Path | None = None,
        lifetime_s: int = 8 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(secret) < 16:
            msg = "会话密钥太短（至少 16 字节）"
            raise AuthError(msg)
        self._secret = secret
        self._revoked_path = revoked_path
        self.lifetime_s = lifetime_s
        self._clock = clock
        self._lock = threading.Lock()
        self._memory: dict[str, dict[str, int]] = {"tokens": {}, "users": {}}

    @classmethod
    def for_users_file(cls, users_path: Path | str, *, lifetime_s: int = 8 * 3600) -> SessionTokens:
        """Tokens keyed by the secret beside ``users_path`` (created, mode 0600, when missing).

        Raises
        ------
        AuthError
            The key file is writable by others, or too short.
        """
        users_path = Path(users_path)
        key_path = session_key_path(users_path)
        if not key_path.exists():
            key_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = key_path.with_name(key_path.name + f".{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(_KEY_BYTES))
            try:
                os.link(tmp, key_path)  # never replace a key another process made meanwhile
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        for problem in file_permission_problems(key_path, "会话密钥文件"):
            logger.warning("%s", problem)
        secret = key_path.read_bytes()
        revoked = users_path.with_name(users_path.name + ".revoked.json")
        return cls(secret, revoked_path=revoked, lifetime_s=lifetime_s)

    # -- issuing and checking --

    def issue(self, user: str, fingerprint: str) -> str:
        """A new token for ``user`` whose password hash has ``fingerprint``."""
        now = int(self._clock())
        claims = {
            "sub": user,
            "iat": now,
            "exp": now + self.lifetime_s,
            "jti": secrets.token_hex(12),
            "pwd": fingerprint,
        }
        body = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        return f"{_TOKEN_VERSION}.{body}.{self._sign(body)}"

    def _sign(self, body: str) -> str:
        mac = hmac.new(self._secret, f"{_TOKEN_VERSION}.{body}".encode("ascii"), hashlib.sha256)
        return _b64(mac.digest())

    def verify(self, token: str | None) -> SessionClaims | None:
        """The claims of a token that is well-formed, correctly signed, unexpired and not revoked."""
        if not token or len(token) > 2048:
            return None
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _TOKEN_VERSION:
            return None
        body, signature = parts[1], parts[2]
        if not hmac.compare_digest(self._sign(body), signature):
            return None
        try:
            raw = json.loads(_unb64(body))
            claims = SessionClaims(
                user=str(raw["sub"]),
                issued_at=int(raw["iat"]),
                expires_at=int(raw["exp"]),
                token_id=str(raw["jti"]),
                fingerprint=str(raw["pwd"]),
            )
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if claims.expires_at <= self._clock():
            return None
        revoked = self._load_revoked()
        if claims.token_id in revoked["tokens"]:
            return None
        if claims.issued_at < revoked["users"].get(claims.user, 0):
            return None
        return claims

    # -- revoking --

    def revoke(self, token: str | None) -> None:
        """End one session (signing out): its token is refused from now on."""
        claims = self.verify(token)
        if claims is None:
            return
        with self._lock:
            revoked = self._load_revoked()
            revoked["tokens"][claims.token_id] = claims.expires_at
            self._save_revoked(revoked)

    def revoke_user(self, user: str) -> None:
        """End every session of ``user`` issued until now."""
        with self._lock:
            revoked = self._load_revoked()
            revoked["users"][user] = int(self._clock()) + 1
            self._save_revoked(revoked)

    def _load_revoked(self) -> dict[str, dict[str, int]]:
        empty: dict[str, dict[str, int]] = {"tokens": {}, "users": {}}
        if self._revoked_path is None:
            return {k: dict(v) for k, v in self._memory.items()}
        try:
            raw = json.loads(self._revoked_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return empty
        except (ValueError, UnicodeDecodeError) as err:
            msg = f"会话吊销记录 {self._revoked_path.name} 已损坏：{err}"
            raise AuthError(msg) from err
        return {
            "tokens": {str(k): int(v) for k, v in raw.get("tokens", {}).items()},
            "users": {str(k): int(v) for k, v in raw.get("users", {}).items()},
        }

    def _save_revoked(self, revoked: dict[str, dict[str, int]]) -> None:
        now = self._clock()
        revoked["tokens"] = {k: v for k, v in revoked["tokens"].items() if v > now}
        if self._revoked_path is None:
            self._memory = revoked
            return
        tmp = self._revoked_path.with_name(self._revoked_path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(revoked, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(self._revoked_path)
