"""The app's web server (an ``st.App``): the upload gate and the sign-in cookie, before any page runs.

``streamlit run app.py`` finds the ``app = st.App(...)`` of ``app.py``, built with
:func:`server_parts`, and serves the pages through it. What it adds to Streamlit's own server:

* Streamlit's upload limit (``server.maxUploadSize``) set to the app's cap
  (``--upload-limit-mb``), so a larger body is refused by the server itself;
* :class:`UploadGate`: Streamlit accepts an upload into memory for any open session,
  signed in or not; the gate answers 403 before reading the body unless the session's
  user may import (:data:`ykgeo.ui.access.UPLOADS`), and 413 for a body over the cap;
* the route ``/ykgeo-session``: it turns a one-time grant of a signed-in session into an
  HttpOnly, SameSite=Strict cookie holding the signed session token, and clears it on
  sign-out (see :mod:`ykgeo.auth.signin` and :mod:`ykgeo.ui.account`);
* the library's warnings (throttled sign-ins, recovered writes) on the server's log.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ykgeo.ui.access import GRANTS, UPLOADS
from ykgeo.ui.settings import AppSettings, parse_settings

__all__ = ["SESSION_COOKIE", "SESSION_PATH", "ServerParts", "UploadGate", "server_parts"]

#: The route that sets and clears the sign-in cookie.
SESSION_PATH = "/ykgeo-session"
#: The cookie that keeps a sign-in across page refreshes (a signed token, never a password).
SESSION_COOKIE = "ykgeo_session"
_UPLOAD_PREFIX = "/_stcore/upload_file/"
#: A transparent 1×1 GIF: the answer of the session route (fetched as an image).
_PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)

logger = logging.getLogger(__name__)


class UploadGate:
    """ASGI middleware: uploads only from sessions that may import, and never over the cap.

    Parameters
    ----------
    app
        The ASGI application it guards (Streamlit's).
    limit_bytes
        The largest body accepted (the app's cap).
    """

    def __init__(self, app: Any, *, limit_bytes: int) -> None:
        self.app = app
        self.limit_bytes = limit_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = str(scope.get("path", ""))
        if scope.get("type") == "http" and scope.get("method") == "PUT" and _UPLOAD_PREFIX in path:
            session = path.split(_UPLOAD_PREFIX, 1)[1].split("/", 1)[0]
            if not UPLOADS.allowed(session):
                logger.warning("upload refused: session %s may not import", session[:8])
                await _answer(
                    send, 403, "上传被拒绝：请用有导入权限的账号登录后，在导入页上传文件。"
                )
                return
            length = _content_length(scope)
            if length is not None and length > self.limit_bytes:
                await _answer(send, 413, "文件超过上传上限。")
                return
        await self.app(scope, receive, send)


def _content_length(scope: Any) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(send: Any, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _session_route(settings: AppSettings) -> Any:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def session(request: Request) -> Response:
        response = Response(_PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})
        secure = request.url.scheme == "https"
        if request.query_params.get("end"):
            response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
            return response
        token = GRANTS.take(request.query_params.get("grant", ""))
        if token is not None:
            response.set_cookie(
                SESSION_COOKIE,
                token,
                max_age=int(settings.session_hours * 3600),
                path="/",
                httponly=True,
                samesite="strict",
                secure=secure,
            )
        return response

    return Route(SESSION_PATH, session, methods=["GET"])


def _log_to_stderr() -> None:
    """The library's warnings on the server's log (stderr), once per process."""
    package = logging.getLogger("ykgeo")
    if any(getattr(h, "_ykgeo_server", False) for h in package.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s ykgeo %(levelname)s %(name)s: %(message)s"))
    handler._ykgeo_server = True  # type: ignore[attr-defined]
    package.addHandler(handler)
    if package.level == logging.NOTSET or package.level > logging.INFO:
        package.setLevel(logging.INFO)


@dataclass(frozen=True)
class ServerParts:
    """What ``app.py`` gives ``st.App``: the gate and the session route."""

    middleware: list[Any]
    routes: list[Any]


def server_parts(argv: Sequence[str]) -> ServerParts:
    """The parts of the web server for the app's settings; sets Streamlit's upload limit to the cap.

    ``app.py`` passes them to ``st.App`` itself: ``streamlit run`` recognises the server
    by that call.
    """
    from starlette.middleware import Middleware
    from streamlit import config

    settings = parse_settings(argv)
    config.set_option("server.maxUploadSize", settings.upload_limit_mb)
    _log_to_stderr()
    return ServerParts(
        middleware=[Middleware(UploadGate, limit_bytes=settings.upload_limit_mb * 1024 * 1024)],
        routes=[_session_route(settings)],
    )
