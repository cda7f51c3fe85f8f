"""The demo rasters: deterministic, the planted contradictions, reservoir storage, the progress grid."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tests.raster.conftest import (
    run_cli,
)
from ykgeo import raster
from ykgeo.raster import (
    change_evidence,
    raster_info,
    reported_status,
    reservoir_storage,
)
from ykgeo.store import DEMO_STORE

# --- demo rasters and the demo store -----------------------------------------------------------

DEMO_DIR = DEMO_STORE.parent / "rasters"
needs_demo = pytest.mark.skipif(
    not (DEMO_STORE.exists() and (DEMO_DIR / "landcover_2022.tif").exists()),
    reason="no demo store or rasters",
)


def test_demo_generation_is_deterministic(tmp_path: Path) -> None:
    from ykgeo.demo.rasters import DemoRasterSpec, build_demo_rasters

    spec = DemoRasterSpec(dem_res_deg=10 / 3600, landcover_res_m=200.0)
    a = build_demo_rasters(tmp_path / "a", store_path=None, spec=spec)
    b = build_demo_rasters(tmp_path / "b", store_path=None, spec=spec)
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    info = raster_info(a[0])
    assert info.crs.to_epsg() == 4490 and info.tags["YKGEO_KIND"] == "dem"


@needs_demo
def test_demo_landcover_shows_exactly_the_planted_contradictions() -> None:
    from ykgeo.store import Store

    store = Store(DEMO_STORE)
    planted = pd.read_csv(DEMO_DIR / "landcover_contradictions.csv", encoding="utf-8-sig")
    for key in ("low_efficiency_industrial", "redevelopment"):
        spec = store.spec(key)
        gdf = store.read_layer(key, as_of=dt.date(2022, 12, 31))
        rep = reported_status(
            gdf,
            spec.status.field,
            spec.status.done,
            date_field=spec.status.date_field,
            before_date=dt.date(2021, 12, 31),
        )
        ev = change_evidence(
            DEMO_DIR / "landcover_2021.tif", DEMO_DIR / "landcover_2022.tif", gdf, reported=rep
        )
        mine = planted[planted["图层"] == key]
        stays = set(mine.loc[mine["设置"].str.startswith("已报完成"), "地块编号"])
        cleared = set(mine.loc[mine["设置"].str.startswith("未报完成"), "地块编号"])
        assert set(ev.done_without_change.index) == stays
        assert set(ev.change_not_reported.index) == cleared


@needs_demo
def test_demo_dem_storage_matches_the_listed_levels() -> None:
    from ykgeo.store import Store

    store = Store(DEMO_STORE)
    dams = store.read_layer("reservoirs")
    surf = store.read_layer("reservoir_surfaces")
    surfaces = gpd.GeoSeries(
        surf.geometry.to_numpy(), index=surf["注册登记号"].astype(str).to_numpy(), crs=surf.crs
    )
    levels = pd.read_csv(
        DEMO_DIR / "reservoir_levels.csv", dtype={"注册登记号": str}, encoding="utf-8-sig"
    ).set_index("注册登记号")
    out = reservoir_storage(
        DEMO_DIR / "yongkang_dem.tif",
        dams,
        water_level_m=levels["正常蓄水位（m）"],
        surfaces=surfaces,
    )
    assert out["closed"].all()
    np.testing.assert_allclose(
        out["storage_wan_m3"], levels.loc[out.index, "DEM 库容（万m³）"], rtol=0.03
    )


@needs_demo
def test_demo_progress_grid_totals_the_progress_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ykgeo.progress import progress_report
    from ykgeo.store import Store

    store = Store(DEMO_STORE)
    day = dt.date(2022, 9, 30)
    grid = raster.progress_grid(store, "low_efficiency_remediation", as_of=day, cell_m=1000)
    done = (
        progress_report(store, as_of=day, targets=["low_efficiency_remediation"])
        .row("low_efficiency_remediation")
        .done
    )
    assert grid.total_mu == pytest.approx(done, rel=1e-9)
    assert (grid.values[grid.values != -9999]).sum() == pytest.approx(done, rel=1e-5)
    target = tmp_path / "g.tif"
    code, out, _ = run_cli(
        [
            "raster",
            "grid",
            "--target",
            "low_efficiency_remediation",
            "--cell",
            "500",
            "-o",
            str(target),
            "--as-of",
            "2022-09-30",
            "--store",
            str(DEMO_STORE),
        ],
        capsys,
    )
    assert code == 0 and target.exists() and "EPSG:4549" in out
    bad = tmp_path / "bad.tif"
    code, _, err = run_cli(
        [
            "raster",
            "grid",
            "--target",
            "reservoir_safety",
            "-o",
            str(bad),
            "--store",
            str(DEMO_STORE),
        ],
        capsys,
    )
    assert code == 2 and "只支持按面积" in err and not bad.exists()
