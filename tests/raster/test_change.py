"""Change evidence between two land-cover rasters and contradictions with the ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from tests.raster.conftest import (
    write_raster,
)
from ykgeo.errors import RasterError
from ykgeo.raster import (
    RasterSettings,
    change_evidence,
    reported_status,
)

# --- change evidence ---------------------------------------------------------------------------


def test_change_and_contradictions(change_pair: tuple[Path, Path, gpd.GeoDataFrame]) -> None:
    before, after, feats = change_pair
    rep = reported_status(
        feats, "状态", ["已完成"], date_field="完成日期", before_date=dt.date(2021, 12, 31)
    )
    assert rep.to_dict() == {
        "p_done_changed": "done",
        "p_done_same": "done",
        "p_open_changed": "not_done",
        "p_open_small": "not_done",
        "p_done_2021": "done_earlier",
    }
    ev = change_evidence(before, after, feats, reported=rep)
    f = ev.features
    assert f.loc["p_done_changed", "changed_fraction"] == pytest.approx(1.0)
    assert f.loc["p_done_changed", "changed_mu"] == pytest.approx(15.0)
    assert f.loc["p_open_small", "changed_fraction"] == pytest.approx(0.2)
    assert f.loc["p_done_same", "changed_fraction"] == 0.0
    assert list(ev.done_without_change.index) == ["p_done_same"]
    assert list(ev.change_not_reported.index) == ["p_open_changed"]
    assert f.loc["p_done_2021", "verdict"].startswith("不核查")
    assert "1 个" in ev.summary_zh()
    # thresholds are settings: at 15 % the partly greened parcel is listed too
    strict = change_evidence(
        before,
        after,
        feats,
        reported=rep,
        settings=RasterSettings(unreported_min_change_fraction=0.15),
    )
    assert set(strict.change_not_reported.index) == {"p_open_changed", "p_open_small"}


def test_change_needs_integer_rasters(
    change_pair: tuple[Path, Path, gpd.GeoDataFrame], tmp_path: Path
) -> None:
    before, _, feats = change_pair
    floaty = write_raster(tmp_path / "float.tif", np.zeros((60, 60), np.float32))
    with pytest.raises(RasterError, match="整数型"):
        change_evidence(before, floaty, feats)
