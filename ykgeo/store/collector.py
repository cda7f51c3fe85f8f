"""Pausing Python's cyclic garbage collector while a bulk read or report makes millions of objects.

Reading a million rows through :mod:`sqlite3` makes a tuple per row, and township shares
a list per feature. Python's collector runs a pass every 700 new container objects and a
full pass over every live object now and then: at a million parcels a progress report
spent about a quarter of its CPU time (13 of 53 s, 77 full passes) walking objects that
are not garbage. None of this work makes reference cycles worth collecting mid-way, so
the collector is paused for the duration and resumes afterwards, when its normal
thresholds pick up any cycles left.

The collector is one switch for the whole process and Streamlit serves every session
from threads of one process, so the pause is counted: the collector is switched back on
(if it was on) only when the last of overlapping pauses ends, in whatever thread.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_lock = threading.Lock()
_state = {"depth": 0, "was_enabled": False}


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (reference counting still frees memory).

    Nested and overlapping pauses (other threads) are counted; the collector comes
    back on when the last one ends, if it was on when the first began, also when
    the block raises.
    """
    with _lock:
        if _state["depth"] == 0:
            _state["was_enabled"] = gc.isenabled()
            gc.disable()
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["was_enabled"]:
                gc.enable()
