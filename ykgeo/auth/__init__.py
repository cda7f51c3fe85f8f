"""Who may use the app: the users file and its roles, sign-in throttling and session tokens.

:mod:`~ykgeo.auth.users` keeps the users and roles in a TOML file with salted scrypt
password hashes (``ykgeo user add``); :mod:`~ykgeo.auth.signin` throttles wrong
passwords and issues the signed, expiring, revocable session tokens that keep a sign-in
across a page refresh. Both are independent of Streamlit: the app (:mod:`ykgeo.ui`) and
the command line (:mod:`ykgeo.cli.user`) use them.
"""

from ykgeo.auth.signin import (
    Refusal,
    SessionClaims,
    SessionTokens,
    SignInThrottle,
    ThrottlePolicy,
    session_key_path,
)
from ykgeo.auth.users import (
    ROLES,
    AuthError,
    User,
    UserDirectory,
    add_user,
    default_users_path,
    file_permission_problems,
    hash_password,
    remove_user,
    set_role,
    verify_password,
)

__all__ = [
    "ROLES",
    "AuthError",
    "Refusal",
    "SessionClaims",
    "SessionTokens",
    "SignInThrottle",
    "ThrottlePolicy",
    "User",
    "UserDirectory",
    "add_user",
    "default_users_path",
    "file_permission_problems",
    "hash_password",
    "remove_user",
    "session_key_path",
    "set_role",
    "verify_password",
]
