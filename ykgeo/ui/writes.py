"""One write from a page, made safely: the user's role read again, a bounded wait, the reason on the page.

The 计划 page and its candidates tab write through :func:`write_as_editor`: the user is
read again from the users file just before the write (:func:`ykgeo.ui.account.writer`:
a session opened before the user was removed or made a viewer does not write), the store
waits at most the app's write wait (``--write-wait-s``) for another writer, and a busy
store says so (「项目库正被他人写入，请稍后重试」) while the page keeps what the planner
entered, since nothing reruns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st

from ykgeo.auth import User
from ykgeo.errors import Problem, StoreBusyError, ValidationError, YkgeoError
from ykgeo.store import Store
from ykgeo.ui.account import writer
from ykgeo.ui.shell import PageContext

__all__ = ["write_as_editor"]

T = TypeVar("T")


def write_as_editor(
    ctx: PageContext,
    write: Callable[[Store, User], T],
    *,
    problems: Callable[[Sequence[Problem]], None] | None = None,
) -> T | None:
    """Run ``write(store, user)`` if the users file says now that the signed-in user may edit.

    Returns what ``write`` returns, or None when nothing was written; the reason is then
    on the page: not an editor (any more), the store busy (the entries are kept), or the
    error. ``problems`` shows the problems of a :class:`~ykgeo.errors.ValidationError`
    (default: its message).
    """
    t = ctx.t
    user = writer(ctx.settings, ctx.user, t)  # the role as the users file says now
    if user is None:
        return None
    try:
        return write(Store(ctx.store_path, busy_timeout_s=ctx.settings.write_wait_s), user)
    except StoreBusyError as err:
        st.error(t.error(err), icon=":material/hourglass_top:")
        st.caption(t("write.kept"))
    except ValidationError as err:
        if problems is None:
            st.error(t.error(err))
        else:
            problems(err.problems)
    except YkgeoError as err:
        st.error(t.error(err))
    return None
