"""What the web server knows about sessions outside their script runs: who may upload, and sign-in grants.

Streamlit's upload endpoint and the sign-in cookie route run outside any session's
script, so the permissions they check live here, for the life of the server process,
keyed by Streamlit's random session id. Both registries are thread-safe and forget
their entries on their own (a session's permission after 12 hours without a renewal,
a grant after a minute or its first use). They hold permissions, not settings: what a
session may do is written only by that session's own run (:mod:`ykgeo.ui.account`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

__all__ = ["GRANTS", "UPLOADS", "Grants", "UploadPermissions", "current_session_id"]


class UploadPermissions:
    """Session ids whose user may import, renewed on every run of the session."""

    def __init__(
        self, *, ttl_s: float = 12 * 3600, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def set(self, session_id: str, allowed: bool) -> None:
        """Allow (or stop allowing) uploads from ``session_id``."""
        now = self._clock()
        with self._lock:
            if allowed:
                self._until[session_id] = now + self._ttl
            else:
                self._until.pop(session_id, None)
            for sid in [s for s, t in self._until.items() if t <= now]:
                del self._until[sid]

    def allowed(self, session_id: str) -> bool:
        """Whether an upload from ``session_id`` may be accepted now."""
        with self._lock:
            return self._until.get(session_id, 0.0) > self._clock()


class Grants:
    """One-time grants: a signed-in session's token handed to its browser as an HttpOnly cookie.

    The script cannot set a cookie itself: it puts the token here under a random grant
    id, and the browser fetches the sign-in route with that id, which answers with the
    cookie and forgets the grant.
    """

    def __init__(self, *, ttl_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._grants: dict[str, tuple[str, float]] = {}

    def put(self, token: str) -> str:
        """Keep ``token`` for one fetch within the time to live; returns the grant id."""
        grant = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            for g in [g for g, (_, t) in self._grants.items() if t <= now]:
                del self._grants[g]
            self._grants[grant] = (token, now + self._ttl)
        return grant

    def pending(self, grant: str) -> bool:
        """Whether ``grant`` is still waiting for its fetch."""
        with self._lock:
            item = self._grants.get(grant)
            return item is not None and item[1] > self._clock()

    def take(self, grant: str) -> str | None:
        """The token of ``grant``, once (None when unknown, used or expired)."""
        with self._lock:
            item = self._grants.pop(grant, None)
        if item is None or item[1] <= self._clock():
            return None
        return item[0]


#: The server's registries (one server process serves every session).
UPLOADS = UploadPermissions()
GRANTS = Grants()


def current_session_id() -> str | None:
    """The id of the Streamlit session running this script (None outside a session)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None
