"""Change evidence for :mod:`ykgeo.raster`: class changes between two land-cover rasters against the ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT

from ykgeo.errors import RasterError
from ykgeo.raster.core import (
    PixelArea,
    RasterInfo,
    open_raster,
)
from ykgeo.raster.sources import BandSource, PairSource
from ykgeo.raster.zonal import (
    DEFAULT_SETTINGS,
    RasterSettings,
    _block_order,
    _class_label,
    _extract,
    _feature_area_m2,
    _prepare,
    raster_classes,
)
from ykgeo.units import m2_to_mu

# --- change evidence ---------------------------------------------------------------------------

#: Status categories of :func:`reported_status`.
REPORTED_DONE = "done"
REPORTED_EARLIER = "done_earlier"
REPORTED_NOT_DONE = "not_done"

VERDICT_DONE_NO_CHANGE = "矛盾：已报完成，影像未见变化"
VERDICT_CHANGE_NOT_REPORTED = "矛盾：影像有变化，未报完成"


def reported_status(
    features: pd.DataFrame,
    status_field: str,
    done_values: Sequence[str],
    *,
    date_field: str = "",
    before_date: dt.date | None = None,
) -> pd.Series:
    """What the ledger says of each feature for a change check between two images.

    ``done`` when its status is a done status (and, with a date field and a
    ``before_date``, completed after the "before" image), ``done_earlier`` when
    completed on or before that date (no change is expected between the images),
    ``not_done`` otherwise. ``features`` should be read as of the "after" date.
    """
    status = features[status_field].astype("string")
    done = status.isin(list(done_values)).fillna(False).to_numpy(dtype=bool)
    out = np.where(done, REPORTED_DONE, REPORTED_NOT_DONE).astype(object)
    if date_field and before_date is not None and date_field in features.columns:
        dates = pd.to_datetime(features[date_field], errors="coerce")
        earlier = done & (dates.dt.date <= before_date).fillna(False).to_numpy(dtype=bool)
        out[earlier] = REPORTED_EARLIER
    return pd.Series(out, index=features.index, name="reported", dtype=object)


@dataclass(frozen=True)
class ChangeEvidence:
    """Per-feature change between two land-cover images and where it contradicts the ledger.

    Attributes
    ----------
    features
        Per feature: ``valid_fraction`` (share with data in both images),
        ``before_fraction`` (share of the "from" classes before), ``after_fraction``
        (share of the "to" classes after), ``changed_fraction`` (share that went
        from a "from" to a "to" class), ``changed_mu``, ``valid_area_mu``,
        ``reported`` and ``verdict`` (Chinese).
    done_without_change
        Features reported done whose imagery shows no change.
    change_not_reported
        Features not reported done whose imagery shows the change.
    """

    features: pd.DataFrame
    done_without_change: pd.DataFrame
    change_not_reported: pd.DataFrame
    before: str
    after: str
    from_label_zh: str
    to_label_zh: str
    settings: RasterSettings = field(default_factory=RasterSettings)

    def summary_zh(self) -> str:
        """A short Chinese summary for briefings."""
        s = self.settings
        n = len(self.features)
        return (
            f"变化核查（{self.before} → {self.after}，{self.from_label_zh} → {self.to_label_zh}）："
            f"{n} 个要素；已报完成但变化比例低于 {s.done_min_change_fraction:.0%} 的 "
            f"{len(self.done_without_change)} 个；未报完成但变化比例达到 "
            f"{s.unreported_min_change_fraction:.0%} 的 {len(self.change_not_reported)} 个。"
        )


def _aligned_after(before: RasterInfo, after_ds: Any, after: RasterInfo) -> Any:
    same = (
        after.crs == before.crs
        and after.width == before.width
        and after.height == before.height
        and after.transform.almost_equals(before.transform)
    )
    if same:
        return after_ds
    return WarpedVRT(
        after_ds,
        crs=before.crs.to_wkt(),
        transform=before.transform,
        width=before.width,
        height=before.height,
        resampling=Resampling.nearest,
        add_alpha=after.nodata is None,
    )


def change_evidence(
    before: str | Path,
    after: str | Path,
    features: gpd.GeoDataFrame,
    *,
    reported: pd.Series | None = None,
    band: int = 1,
    settings: RasterSettings = DEFAULT_SETTINGS,
) -> ChangeEvidence:
    """Which features changed from one class set to another between two land-cover rasters.

    Parameters
    ----------
    before, after
        Categorical (integer) rasters; ``after`` is aligned to ``before``'s grid by
        nearest neighbour, window by window, when the grids differ.
    features
        The parcels (any CRS).
    reported
        Per feature (aligned to ``features.index``) ``done``, ``done_earlier`` or
        ``not_done`` (see :func:`reported_status`). Without it only the fractions
        are given and no contradictions are listed.
    settings
        The class pair and thresholds.
    """
    s = settings
    with (
        open_raster(before, band=band) as (bds, binfo),
        open_raster(after, band=band) as (ads, ainfo),
    ):
        for info in (binfo, ainfo):
            if not info.is_integer:
                msg = f"变化核查需要整数型的地类栅格，{info.name} 是 {info.dtype}"
                raise RasterError(msg)
        geo, geoms = _prepare(features, binfo)
        _prepare(features, ainfo)
        area = PixelArea(binfo, tolerance=s.planar_area_tolerance)
        bsrc = BandSource(bds, binfo, name="before")
        aligned = _aligned_after(binfo, ads, ainfo)
        try:
            pair = PairSource(bsrc, aligned, 1 if aligned is not ads else band)
            with rasterio.Env(GDAL_CACHEMAX=s.gdal_cache_mb * 1024 * 1024):
                raw = _extract(
                    pair,
                    area,
                    geoms,
                    binfo.crs,
                    stats=(),
                    categorical=True,
                    settings=s,
                    order=_block_order(geoms, binfo),
                )
        finally:
            if aligned is not ads:
                aligned.close()
        classes = raster_classes(binfo)
    from_set, to_set = set(s.change_from_classes), set(s.change_to_classes)
    valid_m2 = raw["valid_area_m2"].astype("float64").fillna(0.0).to_numpy()
    n = len(raw)
    before_f, after_f, changed_f = np.zeros(n), np.zeros(n), np.zeros(n)
    for i, (uniq, frac) in enumerate(zip(raw["unique"], raw["area_frac"], strict=True)):
        if not isinstance(uniq, np.ndarray | list) or len(uniq) == 0:
            continue
        codes = np.asarray(uniq, dtype="int64")
        fr = np.asarray(frac, dtype="float64")
        b_in = np.isin(codes // PairSource.SHIFT, list(from_set))
        a_in = np.isin(codes % PairSource.SHIFT, list(to_set))
        before_f[i] = fr[b_in].sum()
        after_f[i] = fr[a_in].sum()
        changed_f[i] = fr[b_in & a_in].sum()
    feature_m2 = _feature_area_m2(geo)
    with np.errstate(invalid="ignore", divide="ignore"):
        valid_fraction = np.where(feature_m2 > 0, np.clip(valid_m2 / feature_m2, 0, 1), np.nan)
    out = pd.DataFrame(
        {
            "valid_fraction": valid_fraction,
            "before_fraction": before_f,
            "after_fraction": after_f,
            "changed_fraction": changed_f,
            "changed_mu": m2_to_mu(changed_f * valid_m2),
            "valid_area_mu": m2_to_mu(valid_m2),
        },
        index=geo.index,
    )
    rep = (
        reported.reindex(geo.index).astype(object)
        if reported is not None
        else pd.Series([None] * n, index=geo.index, dtype=object)
    )
    out["reported"] = rep.to_numpy()
    out["verdict"] = [_verdict(row, s) for row in out.itertuples(index=False)]
    from_label = "、".join(_class_label(classes, c) for c in s.change_from_classes)
    to_label = "、".join(_class_label(classes, c) for c in s.change_to_classes)
    return ChangeEvidence(
        features=out,
        done_without_change=out[out["verdict"] == VERDICT_DONE_NO_CHANGE],
        change_not_reported=out[out["verdict"] == VERDICT_CHANGE_NOT_REPORTED],
        before=binfo.name,
        after=ainfo.name,
        from_label_zh=from_label,
        to_label_zh=to_label,
        settings=s,
    )


def _verdict(row: Any, s: RasterSettings) -> str:
    if not (row.valid_fraction >= s.min_valid_fraction):
        return "无法核查：影像缺少有效数据"
    changed = row.changed_fraction
    if row.reported == REPORTED_EARLIER:
        return "不核查：前期影像之前已完成"
    if row.reported == REPORTED_DONE:
        if changed >= s.done_min_change_fraction:
            return "一致：已报完成，影像有变化"
        if row.before_fraction < s.min_before_fraction:
            return "无法核查：前期影像中目标地类不足"
        return VERDICT_DONE_NO_CHANGE
    if row.reported == REPORTED_NOT_DONE:
        if changed >= s.unreported_min_change_fraction:
            return VERDICT_CHANGE_NOT_REPORTED
        return "一致：未报完成，影像无明显变化"
    return "影像有变化" if changed >= s.unreported_min_change_fraction else "影像无明显变化"
