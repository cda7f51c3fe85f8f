"""A layer's current rows and edit log read once, to rebuild it at many dates for progress figures.

:meth:`ykgeo.store.Store.read_layer` reads the table and the log on every call.
Progress needs the same layer at the end of every month, and several targets
share a layer, so this module reads both once and calls the store's own
history rebuild (:func:`ykgeo.store.history.as_of_layer`) for each date: the figures
are exactly those ``read_layer(key, as_of=day, known_at=horizon)`` gives.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from ykgeo.layers import LayerSpec
from ykgeo.store import DataVersion, Store, end_of_day, stamp
from ykgeo.store.history import as_of_layer

__all__ = ["LayerHistory", "data_version_at", "end_of_day"]


def data_version_at(store: Store, horizon: dt.datetime) -> DataVersion:
    """The last edit-log entry recorded before ``horizon``: identifies the data behind a figure."""
    return store.data_version(known_at=horizon)


@dataclass
class _StatusLog:
    """The log rows that date statuses (inserts and changes of the status field) as numpy arrays."""

    code: npt.NDArray[np.int64]  # feature, as an index into ``ids``
    ids: pd.Index
    effective: npt.NDArray[np.str_]
    recorded: npt.NDArray[np.str_]
    log_id: npt.NDArray[np.int64]
    insert: npt.NDArray[np.bool_]
    old: npt.NDArray[np.object_]  # decoded status values (updates only)
    new: npt.NDArray[np.object_]


@dataclass
class LayerHistory:
    """The current rows and the raw edit log of one layer."""

    spec: LayerSpec
    current: gpd.GeoDataFrame
    log: pd.DataFrame
    _status_log: _StatusLog | None = field(default=None, repr=False)

    @classmethod
    def read(cls, store: Store, key: str) -> LayerHistory:
        """Read layer ``key`` and its log in one read transaction."""
        current, log = store.layer_history(key)
        return cls(store.spec(key), current, log)

    def snapshot(self, day: dt.date, horizon: dt.datetime) -> gpd.GeoDataFrame:
        """The layer at the end of ``day`` as known before ``horizon`` (same as ``Store.read_layer``)."""
        return as_of_layer(self.current, self.log, self.spec, day, stamp(horizon))

    def _statuses(self) -> _StatusLog:
        if self._status_log is None:
            log = self.log
            action = log["action"].to_numpy(dtype=str)
            status = self.spec.status
            is_status = (action == "update") & (
                log["field"].to_numpy(dtype=object) == (status.field if status else None)
            )
            rows = np.flatnonzero((action == "insert") | is_status)
            part = log.iloc[rows]
            code, ids = pd.factorize(part["feature_id"].astype(str))

            def decode(column: str) -> npt.NDArray[np.object_]:
                raw = part[column].to_numpy(dtype=object)
                upd = is_status[rows]
                out = np.full(len(rows), None, dtype=object)
                out[upd] = [json.loads(v) if isinstance(v, str) else None for v in raw[upd]]
                return out

            self._status_log = _StatusLog(
                code=np.asarray(code, dtype=np.int64),
                ids=pd.Index(ids),
                effective=part["effective_date"].to_numpy(dtype=str),
                recorded=part["recorded_at"].to_numpy(dtype=str),
                log_id=part["log_id"].to_numpy(dtype=np.int64),
                insert=action[rows] == "insert",
                old=decode("old_value"),
                new=decode("new_value"),
            )
        return self._status_log

    def counted_since(
        self, day: dt.date, horizon: dt.datetime, statuses: Collection[str]
    ) -> pd.Series:
        """For each feature, the day its status last entered ``statuses`` (start of the current run).

        A run of consecutive status changes that all stay within ``statuses``
        (e.g. 在建 → 主体结顶 when both count) keeps the date of its first change; a
        feature whose status never changed since it was inserted dates from its
        insertion; a feature whose status is outside ``statuses`` gets the date of
        its last status change. Returns ``datetime64`` indexed by feature id.
        """
        sl = self._statuses()
        known = (sl.effective <= day.isoformat()) & (sl.recorded < stamp(horizon))
        n_ids = len(sl.ids)
        # the last known insert of each feature (a re-inserted id starts a new life)
        ins = np.flatnonzero(known & sl.insert)
        ins = ins[np.lexsort((sl.log_id[ins], sl.effective[ins], sl.code[ins]))]
        last = ins[np.r_[sl.code[ins][1:] != sl.code[ins][:-1], True]] if len(ins) else ins
        alive = np.zeros(n_ids, dtype=bool)
        alive[sl.code[last]] = True
        ins_id = np.full(n_ids, np.iinfo(np.int64).max)
        ins_id[sl.code[last]] = sl.log_id[last]
        date = np.full(n_ids, "", dtype=object)
        date[sl.code[last]] = sl.effective[last]
        # status changes of the current life, per feature in effective order
        upd = np.flatnonzero(known & ~sl.insert)
        upd = upd[sl.log_id[upd] > ins_id[sl.code[upd]]]
        if len(upd):
            upd = upd[np.lexsort((sl.log_id[upd], sl.effective[upd], sl.code[upd]))]
            code = sl.code[upd]
            wanted = set(statuses)
            counted = np.fromiter((v in wanted for v in sl.new[upd]), dtype=bool, count=len(upd))
            starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
            ends = np.r_[starts[1:], len(upd)] - 1
            pos = np.arange(len(upd))
            # the last position that does not count, per feature (start − 1 when all count)
            last_not = np.maximum.reduceat(np.where(counted, -1, pos), starts)
            last_not = np.maximum(last_not, starts - 1)
            n_run = ends - last_not
            first_counted = np.fromiter(
                (v in wanted for v in sl.old[upd][starts]), dtype=bool, count=len(starts)
            )
            whole = (n_run == ends - starts + 1) & first_counted
            chosen = np.where(
                n_run > 0,
                sl.effective[upd][np.minimum(last_not + 1, ends)],
                sl.effective[upd][ends],
            )
            keep = ~whole
            date[code[starts][keep]] = chosen[keep]
        out = pd.Series(date[alive], index=sl.ids[alive], dtype=object)
        return pd.to_datetime(out, format="ISO8601", errors="coerce").astype("datetime64[ns]")

    def changes_known(
        self,
        old_day: dt.date,
        old_horizon: dt.datetime,
        new_day: dt.date,
        new_horizon: dt.datetime,
    ) -> pd.DataFrame:
        """Log rows known in the (new_day, new_horizon) state but not in the (old_day, old_horizon) one."""
        log = self.log
        new = (log["effective_date"] <= new_day.isoformat()) & (
            log["recorded_at"] < stamp(new_horizon)
        )
        old = (log["effective_date"] <= old_day.isoformat()) & (
            log["recorded_at"] < stamp(old_horizon)
        )
        return log[(new & ~old).to_numpy()]
