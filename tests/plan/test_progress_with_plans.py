"""Progress uses the plan as known at the date asked, township targets where given, and says which."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tests.conftest import app_parcel_frame
from tests.plan.conftest import APP_TOWNSHIPS, import_at_year_start
from ykgeo.layers import parse_plan
from ykgeo.plan import import_plan_file, plan_data, plan_to_toml
from ykgeo.progress import (
    SHARE_GIVEN_ZH,
    SHARE_PROPORTIONAL_ZH,
    ProgressReport,
    late_records,
    monthly_progress,
    progress_report,
    report_to_csv,
    report_to_json,
    report_to_table,
    report_to_xlsx,
)
from ykgeo.store import TZ, Store
from ykgeo.store.plans import PLAN_LAYER

KEY = "low_efficiency_remediation"


def _at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), tzinfo=TZ)


@pytest.fixture
def store(plan_store: Store) -> Store:
    parcels = app_parcel_frame(120, seed=11)
    import_at_year_start(plan_store, "low_efficiency_industrial", parcels, day=2)
    return plan_store


def _amend(store: Store, *, value: float | None = None, townships: dict[str, float] | None = None,
           day: str, note: str, recorded: str | None = None) -> None:  # fmt: skip
    data = plan_data(store.plan(2022))
    for t in data["targets"]:
        if t["key"] == KEY:
            if value is not None:
                t["value"] = value
            if townships is not None:
                t["townships"] = townships
    plan = parse_plan(plan_to_toml(data), name="x", layers=store.layers)
    store.save_plan(plan, user="张三", effective_date=dt.date.fromisoformat(day), note=note,
                    recorded_at=_at(recorded or day))  # fmt: skip


def _split(total: float) -> dict[str, float]:
    out = {t: 300.0 for t in APP_TOWNSHIPS[:-1]}
    out[APP_TOWNSHIPS[-1]] = total - 300.0 * (len(APP_TOWNSHIPS) - 1)
    return out


def test_township_targets_replace_the_proportional_split_from_when_they_were_issued(
    store: Store,
) -> None:
    figures = _split(5000)
    _amend(store, townships=figures, day="2022-03-10", note="任务分解下达")
    before = progress_report(store, as_of=dt.date(2022, 2, 28), targets=[KEY]).row(KEY)
    after = progress_report(store, as_of=dt.date(2022, 6, 30), targets=[KEY]).row(KEY)
    assert before.share_basis == SHARE_PROPORTIONAL_ZH
    assert set(before.by_township["share_basis"]) == {SHARE_PROPORTIONAL_ZH}
    assert after.share_basis == SHARE_GIVEN_ZH
    given = after.by_township.set_index("镇街")["target_share"]
    assert (
        given[APP_TOWNSHIPS[0]] == 300.0 and given[APP_TOWNSHIPS[-1]] == figures[APP_TOWNSHIPS[-1]]
    )
    pct = after.by_township.set_index("镇街")["pct_of_share"]
    done = after.by_township.set_index("镇街")["done"]
    assert pct[APP_TOWNSHIPS[0]] == pytest.approx(done[APP_TOWNSHIPS[0]] / 300.0 * 100.0)
    # the other targets keep the proportional split
    other = progress_report(store, as_of=dt.date(2022, 6, 30), targets=["unsupplied_digestion"])
    assert other.rows[0].share_basis == SHARE_PROPORTIONAL_ZH


def test_outputs_say_how_township_targets_were_set(store: Store, tmp_path: Path) -> None:
    _amend(store, townships=_split(5000), day="2022-03-10", note="任务分解下达")
    report = progress_report(
        store, as_of=dt.date(2022, 6, 30), targets=[KEY, "unsupplied_digestion"]
    )
    data = report_to_json(report)
    assert [t["share_basis"] for t in data["targets"]] == [SHARE_GIVEN_ZH, SHARE_PROPORTIONAL_ZH]
    assert {r["share_basis"] for r in data["targets"][1]["townships"]} == {SHARE_PROPORTIONAL_ZH}
    csv = pd.read_csv(io.StringIO(report_to_csv(report, by="township")))
    assert set(csv.loc[csv["目标键"] == KEY, "分解依据"]) == {SHARE_GIVEN_ZH}
    assert set(csv.loc[csv["目标键"] == "unsupplied_digestion", "分解依据"]) == {"按比例推算"}
    table = report_to_table(report, by="township")
    assert "分解目标：下达" in table and "分解目标：按比例推算" in table
    path = tmp_path / "进度.xlsx"
    report_to_xlsx(report, path)
    book = openpyxl.load_workbook(path)
    header = [c.value for c in book["分镇街"][1]]
    assert "分解依据" in header
    notes = {r[0]: r[1] for r in book["说明"].iter_rows(min_row=2, values_only=True)}
    assert "第 2 版" in notes["计划版本"] and "任务分解下达" in notes["计划版本"]


def test_a_mid_year_amendment_changes_figures_only_from_when_it_was_known(store: Store) -> None:
    _amend(store, value=4000, day="2022-07-15", note="市政府调减")
    june = progress_report(store, as_of=dt.date(2022, 6, 30), targets=[KEY])
    september = progress_report(store, as_of=dt.date(2022, 9, 30), targets=[KEY])
    assert june.row(KEY).target == 5000 and "第 1 版" in june.plan_version
    assert september.row(KEY).target == 4000 and "第 2 版" in september.plan_version
    assert report_to_json(september)["plan_version"] == september.plan_version
    # asked later with what is known now, 30 June still used 5,000: the amendment applies from 15 July
    later = progress_report(
        store, as_of=dt.date(2022, 6, 30), targets=[KEY], known_at=_at("2023-02-01")
    )
    assert later.row(KEY).target == 5000
    assert "第 2 版" in report_to_table(september).splitlines()[2]


def _class(report: ProgressReport, fid: str) -> str:
    features = report.row(KEY).features
    return str(features.loc[features["id"].astype(str) == fid, "class"].iloc[0])


def test_a_back_dated_amendment_counts_as_known_now_only_and_is_a_late_record(
    store: Store,
) -> None:
    """An amendment recorded in July that applies from May: 按当时所知 30 June keeps the plan then
    known, 按现在所知 takes the amendment, and the late-records banner counts it beside the
    late feature edits (the partial as-of read of schema 2 gives the same features either way)."""
    parcels = store.read_layer("low_efficiency_industrial")
    fid = str(parcels.index[parcels["状态"] == "推进中"][0])
    _amend(store, value=4000, day="2022-05-01", recorded="2022-07-15", note="补录：5 月起调减")
    store.update_feature(
        "low_efficiency_industrial",
        fid,
        {"状态": "已完成", "完成日期": "2022-06-01"},
        user="张三",
        expected_version=None,
        effective_date=dt.date(2022, 6, 1),
        recorded_at=_at("2022-07-20"),
    )
    then = progress_report(store, as_of=dt.date(2022, 6, 30), targets=[KEY])
    now = progress_report(
        store, as_of=dt.date(2022, 6, 30), targets=[KEY], known_at=_at("2023-01-01")
    )
    assert then.row(KEY).target == 5000 and "第 1 版" in then.plan_version
    assert now.row(KEY).target == 4000 and "第 2 版" in now.plan_version
    assert (_class(then, fid), _class(now, fid)) == ("in_progress", "done")
    assert now.row(KEY).done > then.row(KEY).done
    late = late_records(store, dt.date(2022, 6, 30))
    assert (late.count, late.features) == (2, 2)
    assert set(late.layers) == {"low_efficiency_industrial", PLAN_LAYER}
    # once known (as of 31 July, as known then) both count without any late record
    july = progress_report(store, as_of=dt.date(2022, 7, 31), targets=[KEY])
    assert july.row(KEY).target == 4000 and _class(july, fid) == "done"
    assert late_records(store, dt.date(2022, 7, 31)).count == 0
    # the monthly series uses each month's plan as known at its end
    monthly = monthly_progress(store, KEY, year=2022)
    targets = dict(zip(monthly["month"], monthly["target"], strict=True))
    assert targets["2022-06"] == 5000 and targets["2022-07"] == 4000


def test_a_plan_loaded_late_or_another_years_amendment_is_no_late_record(store: Store) -> None:
    """The first version of a year's plan is used even before it was loaded, and an amendment of
    2022's plan changes no figure of 2023: neither is counted as late for 2023."""
    data = plan_data(store.plan(2022))
    data["year"] = 2023
    store.save_plan(
        parse_plan(plan_to_toml(data), name="x", layers=store.layers),
        user="张三",
        recorded_at=_at("2023-03-01"),
    )
    _amend(store, value=4000, day="2022-05-01", recorded="2023-03-02", note="补录")
    assert late_records(store, dt.date(2023, 1, 31)).count == 0
    assert late_records(store, dt.date(2022, 6, 30)).count == 1


def test_a_draft_target_without_value_is_counted_not_rated(store: Store, tmp_path: Path) -> None:
    data = plan_data(store.plan(2022))
    data["year"], data["status"] = 2023, "草案"
    for t in data["targets"]:
        t.pop("value", None)
    path = tmp_path / "targets-2023.toml"
    path.write_text(plan_to_toml(data), encoding="utf-8")
    import_plan_file(store, path, user="张三")
    report = progress_report(
        store, as_of=dt.date(2023, 6, 30), targets=[KEY], known_at=_at("2030-01-01")
    )
    row = report.row(KEY)
    assert not row.value_set and row.rating == "none"
    assert report.plan_status == "草案"
    item = report_to_json(report)["targets"][0]
    assert item["target"] is None and item["value_set"] is False
    text = report_to_table(report)
    assert "待填" in text and "（草案）" in text.splitlines()[0]
    assert json.dumps(report_to_json(report), ensure_ascii=False)


def test_the_briefing_states_its_plan_version_and_how_township_targets_were_set(
    store: Store,
) -> None:
    import pypdfium2 as pdfium

    from ykgeo.report import brief_pdf_bytes

    _amend(store, townships=_split(5000), day="2022-03-10", note="任务分解下达")
    pdf = pdfium.PdfDocument(brief_pdf_bytes(store, as_of=dt.date(2022, 6, 30)))
    text = re.sub(r"\s+", "", "".join(page.get_textpage().get_text_range() for page in pdf))
    assert "计划版本" in text and "计划第2版" in text and "任务分解下达" in text
    assert "分解目标：计划下达到各镇街的目标（任务分解）" in text
    assert "分解目标：按比例推算，即全市目标按各镇街在图上所列要素的量分摊" in text
