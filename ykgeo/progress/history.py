"""A layer's current rows and edit log read once, to rebuild it at many dates for progress figures.

:meth:`ykgeo.store.Store.read_layer` reads the table and the log on every call.
Progress needs the same layer at the end of every month, and several targets
share a layer, so this module reads both once and calls the store's own
history rebuild (:func:`ykgeo.store.history.as_of_layer`) for each date: the figures
are exactly those ``read_layer(key, as_of=day, known_at=horizon)`` gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ykgeo.layers import LayerSpec
from ykgeo.store import DataVersion, Store, end_of_day, stamp
from ykgeo.store.history import as_of_layer

__all__ = ["LayerHistory", "data_version_at", "end_of_day"]

_EPOCH = dt.date(1970, 1, 1)
_NO_DAY = np.iinfo(np.int64).min


def data_version_at(store: Store, horizon: dt.datetime) -> DataVersion:
    """The last edit-log entry recorded before ``horizon``: identifies the data behind a figure."""
    return store.data_version(known_at=horizon)


@dataclass
class _StatusLog:
    """The status index of a layer (inserts and changes of the status field) as numpy arrays.

    Read through Arrow and kept as integer codes: no Python object per row.
    """

    code: npt.NDArray[np.int64]  # feature, as an index into ``ids``
    ids: pd.Index
    effective: npt.NDArray[np.int64]  # days since 1970-01-01
    recorded: pa.Array  # ISO text, compared in Arrow
    log_id: npt.NDArray[np.int64]
    insert: npt.NDArray[np.bool_]
    old: npt.NDArray[np.int64]  # status values as indices into ``values`` (−1: none)
    new: npt.NDArray[np.int64]
    values: list[str]

    @classmethod
    def from_arrow(cls, table: pa.Table) -> _StatusLog:
        """From :meth:`Store.status_events` (inserts and status changes, oldest first)."""
        table = table.combine_chunks()
        features = pc.dictionary_encode(table.column("feature_id")).combine_chunks()
        statuses = pc.dictionary_encode(  # old values then new ones (arrays, not Python values)
            pa.concat_arrays(
                [
                    table.column("old_text").combine_chunks(),
                    table.column("new_text").combine_chunks(),
                ]
            )
        )
        codes = np.asarray(
            statuses.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64
        )
        n = table.num_rows
        insert = np.asarray(table.column("insert").to_numpy(zero_copy_only=False), dtype=bool)
        old, new = codes[:n].copy(), codes[n:].copy()
        old[insert], new[insert] = -1, -1
        return cls(
            code=np.asarray(features.indices.to_numpy(zero_copy_only=False), dtype=np.int64),
            ids=pd.Index(features.dictionary.to_numpy(zero_copy_only=False), dtype=object),
            effective=np.asarray(
                table.column("effective_day").to_numpy(zero_copy_only=False), dtype=np.int64
            ),
            recorded=table.column("recorded_at").combine_chunks(),
            log_id=np.asarray(
                table.column("log_id").to_numpy(zero_copy_only=False), dtype=np.int64
            ),
            insert=insert,
            old=old,
            new=new,
            values=[str(v) for v in statuses.dictionary.to_pylist()],
        )


@dataclass
class LayerHistory:
    """The current rows and the typed edit log of one layer (all of it, or what a date range needs).

    ``fields``: the fields of the layer read (None: all of them); snapshots have these only.
    """

    spec: LayerSpec
    current: gpd.GeoDataFrame
    log: pd.DataFrame
    store: Store | None = None
    bound: tuple[dt.date, dt.datetime] | None = None
    fields: frozenset[str] | None = None
    _status_log: _StatusLog | None = field(default=None, repr=False)

    @classmethod
    def read(
        cls,
        store: Store,
        key: str,
        *,
        unknown_at: tuple[dt.date, dt.datetime] | None = None,
        fields: Collection[str] | None = None,
    ) -> LayerHistory:
        """Read layer ``key`` and its log in one read transaction.

        With ``unknown_at = (day, horizon)`` only the log of the features with an
        event unknown then is read (see :meth:`Store.history`): the history then
        serves that date and any later one (:meth:`covers`). With ``fields`` only
        those fields of the layer are read (the id, version and geometry always).
        """
        chosen = None if fields is None else frozenset(fields)
        current, log = store.history(key, unknown_at=unknown_at, fields=chosen)
        return cls(store.spec(key), current, log, store, unknown_at, chosen)

    def holds(self, fields: Collection[str] | None) -> bool:
        """True when the snapshots have every one of ``fields`` (None: every field of the layer)."""
        if self.fields is None:
            return True
        return fields is not None and self.fields.issuperset(fields)

    def covers(self, day: dt.date, horizon: dt.datetime) -> bool:
        """True when the rows read are enough to rebuild the layer at ``day`` as known at ``horizon``."""
        if self.bound is None:
            return True
        first_day, first_horizon = self.bound
        return day >= first_day and horizon >= first_horizon

    def snapshot(self, day: dt.date, horizon: dt.datetime) -> gpd.GeoDataFrame:
        """The layer at the end of ``day`` as known before ``horizon`` (same as ``Store.read_layer``)."""
        if not self.covers(day, horizon):
            msg = f"history of {self.spec.key} read from {self.bound}, asked for {day} / {horizon}"
            raise ValueError(msg)
        partial = self.bound is not None
        return as_of_layer(
            self.current,
            self.log,
            self.spec,
            day,
            stamp(horizon),
            partial=partial,
            fields=self.fields,
        )

    def _statuses(self) -> _StatusLog:
        if self._status_log is None:
            if self.store is None:
                msg = "a history without its store cannot read the status index"
                raise ValueError(msg)
            self._status_log = _StatusLog.from_arrow(self.store.status_events(self.spec.key))
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
        recorded_before = pc.less(sl.recorded, stamp(horizon)).to_numpy(zero_copy_only=False)
        known = (sl.effective <= (day - _EPOCH).days) & np.asarray(recorded_before, dtype=bool)
        n_ids = len(sl.ids)
        # the last known insert of each feature (a re-inserted id starts a new life)
        ins = np.flatnonzero(known & sl.insert)
        ins = ins[np.lexsort((sl.log_id[ins], sl.effective[ins], sl.code[ins]))]
        last = ins[np.r_[sl.code[ins][1:] != sl.code[ins][:-1], True]] if len(ins) else ins
        alive = np.zeros(n_ids, dtype=bool)
        alive[sl.code[last]] = True
        ins_id = np.full(n_ids, np.iinfo(np.int64).max)
        ins_id[sl.code[last]] = sl.log_id[last]
        date = np.full(n_ids, _NO_DAY, dtype=np.int64)
        date[sl.code[last]] = sl.effective[last]
        # status changes of the current life, per feature in effective order
        upd = np.flatnonzero(known & ~sl.insert)
        upd = upd[sl.log_id[upd] > ins_id[sl.code[upd]]]
        if len(upd):
            upd = upd[np.lexsort((sl.log_id[upd], sl.effective[upd], sl.code[upd]))]
            code = sl.code[upd]
            wanted = [i for i, v in enumerate(sl.values) if v in set(statuses)]
            counted = np.isin(sl.new[upd], wanted)
            starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
            ends = np.r_[starts[1:], len(upd)] - 1
            pos = np.arange(len(upd))
            # the last position that does not count, per feature (start − 1 when all count)
            last_not = np.maximum.reduceat(np.where(counted, -1, pos), starts)
            last_not = np.maximum(last_not, starts - 1)
            n_run = ends - last_not
            first_counted = np.isin(sl.old[upd][starts], wanted)
            whole = (n_run == ends - starts + 1) & first_counted
            chosen = np.where(
                n_run > 0,
                sl.effective[upd][np.minimum(last_not + 1, ends)],
                sl.effective[upd][ends],
            )
            keep = ~whole
            date[code[starts][keep]] = chosen[keep]
        days = date[alive].astype("datetime64[D]")
        days[date[alive] == _NO_DAY] = np.datetime64("NaT")
        return pd.Series(days.astype("datetime64[ns]"), index=sl.ids[alive])

    def changes_known(
        self,
        old_day: dt.date,
        old_horizon: dt.datetime,
        new_day: dt.date,
        new_horizon: dt.datetime,
    ) -> pd.DataFrame:
        """Log rows known in the (new_day, new_horizon) state but not in the (old_day, old_horizon) one."""
        if not self.covers(old_day, old_horizon):
            msg = f"history of {self.spec.key} read from {self.bound}, asked from {old_day}"
            raise ValueError(msg)
        log = self.log
        new = (log["effective_date"] <= new_day.isoformat()) & (
            log["recorded_at"] < stamp(new_horizon)
        )
        old = (log["effective_date"] <= old_day.isoformat()) & (
            log["recorded_at"] < stamp(old_horizon)
        )
        return log[(new & ~old).to_numpy()]
