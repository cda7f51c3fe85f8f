"""Sign-in in the sidebar: wrong passwords slowed down, a sign-in kept across refreshes, roles read again.

* Wrong passwords are counted per user name and per client by one
  :class:`~ykgeo.auth.signin.SignInThrottle` for the whole server; a refused attempt is refused
  before its password is checked (so a right password during a lockout does not get in).
* A sign-in is kept across a page refresh by a signed, expiring token in an HttpOnly
  cookie (:mod:`ykgeo.ui.server` sets it from a one-time grant); the password is never
  kept. Signing out revokes the token; a password reset, ``ykgeo user revoke`` or the
  token's expiry end the session too.
* The user's role is read again from the users file on every run and, through
  :func:`writer`, just before every write: a user removed or made a viewer in the file
  cannot write from a session opened before.
* Uploads are accepted only from sessions whose user may import
  (:data:`ykgeo.ui.access.UPLOADS`, checked by the server before the body is read).
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from ykgeo.auth import AuthError, SessionTokens, SignInThrottle, ThrottlePolicy, User, UserDirectory
from ykgeo.ui.access import GRANTS, UPLOADS, current_session_id
from ykgeo.ui.i18n import Texts, literal
from ykgeo.ui.server import SESSION_COOKIE, SESSION_PATH
from ykgeo.ui.settings import AppSettings

__all__ = ["signed_in_user", "writer"]

logger = logging.getLogger(__name__)

_USER_KEY = "ykgeo_user"
_TOKEN_KEY = "ykgeo_session_token"
_FINGERPRINT_KEY = "ykgeo_session_fingerprint"
_GRANT_KEY = "ykgeo_session_grant"
_ENDED_KEY = "ykgeo_signed_out"
_CLEAR_KEY = "ykgeo_session_clear"
_NOTICE_KEY = "ykgeo_account_notice"


@st.cache_resource(show_spinner=False, max_entries=4)
def _users(path: str, mtime_ns: int) -> UserDirectory:
    return UserDirectory.load(path)


@st.cache_resource(show_spinner=False, max_entries=4)
def _throttle(policy: ThrottlePolicy) -> SignInThrottle:
    """The one throttle of this server: every session's failures count together (thread-safe)."""
    return SignInThrottle(policy)


@st.cache_resource(show_spinner=False, max_entries=4)
def _tokens(users_path: str, hours: float) -> SessionTokens | None:
    """The session tokens keyed beside the users file (None: sign-ins do not survive a refresh)."""
    try:
        return SessionTokens.for_users_file(users_path, lifetime_s=int(hours * 3600))
    except (AuthError, OSError) as err:
        logger.warning("sign-ins will not survive a page refresh: %s", err)
        return None


def _user_directory(path: Path, t: Texts) -> tuple[UserDirectory | None, str]:
    if not path.exists():
        return None, t("shell.no_users", name=path.name)
    try:
        return _users(str(path), path.stat().st_mtime_ns), ""
    except AuthError as err:
        return None, t("shell.users_problem", problem=t.error(err))


def _end_session(tokens: SessionTokens | None, notice: str = "") -> None:
    """Sign out: revoke the token, forget the user, clear the cookie on the next run."""
    if tokens is not None:
        tokens.revoke(st.session_state.get(_TOKEN_KEY))
    for key in (_USER_KEY, _TOKEN_KEY, _FINGERPRINT_KEY, _GRANT_KEY):
        st.session_state.pop(key, None)
    st.session_state[_ENDED_KEY] = True
    st.session_state[_CLEAR_KEY] = True
    if notice:
        st.session_state[_NOTICE_KEY] = notice


def _start_session(user: User, directory: UserDirectory, tokens: SessionTokens | None) -> None:
    st.session_state[_USER_KEY] = user
    st.session_state[_FINGERPRINT_KEY] = directory.fingerprint(user.name)
    st.session_state.pop(_ENDED_KEY, None)
    if tokens is not None:
        token = tokens.issue(user.name, directory.fingerprint(user.name) or "")
        st.session_state[_TOKEN_KEY] = token
        st.session_state[_GRANT_KEY] = GRANTS.put(token)


def _from_cookie(directory: UserDirectory, tokens: SessionTokens) -> User | None:
    """The user of a valid session cookie (a page refreshed, a new tab), or None."""
    token = st.context.cookies.get(SESSION_COOKIE)
    claims = tokens.verify(token)
    if claims is None or directory.fingerprint(claims.user) != claims.fingerprint:
        return None
    user = directory.user(claims.user)
    if user is not None:
        st.session_state[_USER_KEY] = user
        st.session_state[_TOKEN_KEY] = token
        st.session_state[_FINGERPRINT_KEY] = claims.fingerprint
    return user


def _current(
    user: User, directory: UserDirectory | None, tokens: SessionTokens | None, t: Texts
) -> User | None:
    """``user`` as the users file says now: None when removed, revoked or the password reset."""
    now_ = directory.user(user.name) if directory is not None else None
    token = st.session_state.get(_TOKEN_KEY)
    ended = (
        now_ is None
        or (
            directory is not None
            and directory.fingerprint(user.name) != st.session_state.get(_FINGERPRINT_KEY)
        )
        or (tokens is not None and token is not None and tokens.verify(token) is None)
    )
    if ended:
        logger.warning("session of %r ended: removed, revoked or password reset", user.name)
        _end_session(tokens, t("account.removed"))
        return None
    assert now_ is not None
    if now_ != user:
        if user.can_edit and not now_.can_edit:
            logger.warning("user %r is no longer an editor", user.name)
            st.session_state[_NOTICE_KEY] = t("account.demoted", role=now_.label_zh)
        st.session_state[_USER_KEY] = now_
    return now_


def _browser_side() -> None:
    """Hand a pending grant to the browser (it fetches the cookie), or clear the cookie after a sign-out."""
    grant = st.session_state.get(_GRANT_KEY)
    if grant and GRANTS.pending(grant):
        st.sidebar.html(f'<img src="{SESSION_PATH}?grant={grant}" alt="" width="1" height="1">')
    elif grant:
        st.session_state.pop(_GRANT_KEY, None)
    if st.session_state.pop(_CLEAR_KEY, False):
        st.sidebar.html(f'<img src="{SESSION_PATH}?end=1" alt="" width="1" height="1">')


def signed_in_user(settings: AppSettings, t: Texts) -> User | None:
    """Draw the sign-in part of the sidebar and return this session's user, as the users file says now."""
    directory, problem = _user_directory(settings.users_path, t)
    tokens = (
        _tokens(str(settings.users_path), settings.session_hours) if directory is not None else None
    )
    user: User | None = st.session_state.get(_USER_KEY)
    restorable = not st.session_state.get(_ENDED_KEY)
    if user is None and directory is not None and tokens is not None and restorable:
        user = _from_cookie(directory, tokens)
    if user is not None:
        user = _current(user, directory, tokens, t)
    session = current_session_id()
    if session is not None:
        UPLOADS.set(session, user is not None and user.can_edit)
    _browser_side()
    notice = st.session_state.pop(_NOTICE_KEY, None)
    if notice:
        st.sidebar.warning(notice)
    if user is not None:
        st.sidebar.markdown(t("shell.current_user", user=literal(user.label_zh)))
        for warning in directory.warnings_zh if directory is not None else ():
            st.sidebar.warning(literal(warning))
        if st.sidebar.button(t("shell.sign_out"), key="ykgeo_sign_out"):
            _end_session(tokens)
            st.rerun()
        return user
    if directory is None:
        st.sidebar.caption(problem)
        return None
    with st.sidebar.form("ykgeo_sign_in", clear_on_submit=True):
        st.markdown(t("shell.sign_in_title"))
        name = st.text_input(t("shell.user_name"), key="ykgeo_sign_in_name")
        password = st.text_input(t("shell.password"), type="password", key="ykgeo_sign_in_password")
        submitted = st.form_submit_button(t("shell.sign_in"))
    if submitted:
        throttle = _throttle(settings.sign_in)
        client = st.context.ip_address or "localhost"  # Streamlit gives no address for localhost
        refusal = throttle.check(name, client)
        if refusal is not None:
            logger.warning("sign-in refused before checking: user %r from %r", name.strip(), client)
            st.sidebar.error(literal(refusal.message_en() if t.english else refusal.message_zh()))
            return None
        found = directory.authenticate(name, password)
        if found is None:
            throttle.failed(name, client)
            st.sidebar.error(t("shell.bad_password"))
            return None
        throttle.succeeded(name, client)
        _start_session(found, directory, tokens)
        st.rerun()
    return None


def writer(settings: AppSettings, user: User | None, t: Texts) -> User | None:
    """The user about to write, read again from the users file now; None (and says so) if they may not.

    Call it just before every write: a session opened before the user was removed or
    made a viewer does not write. The page keeps what the user typed.
    """
    try:
        directory = UserDirectory.load(settings.users_path)
    except AuthError as err:
        st.error(t.error(err))
        return None
    current = directory.user(user.name) if user is not None else None
    if current is None or not current.can_edit:
        logger.warning("write refused: %r may not edit now", user.name if user else None)
        st.error(t("account.not_editor"), icon=":material/lock:")
        return None
    return current
