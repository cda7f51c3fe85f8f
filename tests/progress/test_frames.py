"""Display tables of a report (numbers numeric, rounded once), knowledge horizons and late records, comparisons."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pandas as pd

from tests.progress.conftest import D, add, at, parcel, sample_report, set_status, square
from ykgeo.progress import (
    default_knowledge,
    knowledge_horizon,
    late_records,
    progress_report,
)
from ykgeo.progress.frames import (
    compare_reports,
    feature_table,
    frame_to_xlsx,
    matrix_title,
    rating_summary,
    township_matrix,
)
from ykgeo.progress.output import township_rows
from ykgeo.store import Store, end_of_day


def test_township_matrix_is_numeric_and_balanced(make_store: Callable[..., Store]) -> None:
    _, report = sample_report(make_store)
    values, ratings, decimals = township_matrix(report)
    assert list(values.index) == ["西镇", "东镇"]
    for row in report.rows:
        if row.by_township is None or row.by_township.empty:
            continue
        title = f"{row.name_zh}（{row.unit}，按比例推算）"  # the sample plan gives no township figures
        assert title == matrix_title(row)
        assert pd.api.types.is_float_dtype(values[title])  # sorts as numbers
        # the same balanced figures as the CLI, XLSX and PDF
        assert values[title].tolist() == [r["done"] for r in township_rows(row)]
        assert decimals[title] == row.decimals
        assert set(ratings[title]) <= {"green", "amber", "red", "none"}
    english, _, _ = township_matrix(report, language="en", names_en={"area_t": "Area target"})
    assert any(c.startswith("Area target") for c in english.columns)
    assert english.index.name == "Township"


def test_feature_table_reads_as_text_for_people(make_store: Callable[..., Store]) -> None:
    _, report = sample_report(make_store)
    table = feature_table(report.row("area_t"))
    assert "class" not in table.columns and "class_zh" not in table.columns
    assert {"编号", "状态", "计入情况", "状态日期", "面积（亩）"} <= set(table.columns)
    assert isinstance(table["状态日期"].dropna().iloc[0], dt.date)
    assert (table["面积（亩）"] == table["面积（亩）"].round(2)).all()
    english = feature_table(report.row("area_t"), language="en")
    assert "Counted as" in english.columns and "Done (counted)" in set(english["Counted as"])


def test_rating_summary_counts_every_target(make_store: Callable[..., Store]) -> None:
    _, report = sample_report(make_store)
    summary = rating_summary(report)
    assert summary.green + summary.amber + summary.red + summary.none == len(report.rows)
    assert summary.red_keys == tuple(r.key for r in report.rows if r.rating == "red")


def test_compare_reports_gains_add_up(make_store: Callable[..., Store]) -> None:
    store, _ = sample_report(make_store)
    set_status(store, "parcels", "Z", "已完成", day="2022-03-10")
    set_status(store, "parcels", "X", "推进中", day="2022-03-12")
    then = progress_report(store, as_of=D("2022-02-28"), targets=["area_t"])
    now = progress_report(store, as_of=D("2022-03-31"), targets=["area_t"])
    gains, changes = compare_reports(now, then)
    assert abs(gains["area_t"] - (now.row("area_t").done - then.row("area_t").done)) < 1e-9
    assert set(changes["变化"]) == {"新完成", "退回"}
    assert abs(changes["增减"].sum() - gains["area_t"]) < 0.01
    assert changes.set_index("编号").loc["Z", "变化"] == "新完成"


def test_knowledge_defaults_and_late_records(make_store: Callable[..., Store]) -> None:
    assert default_knowledge(D("2022-12-31"), today=D("2023-03-01")) == "then"
    assert default_knowledge(D("2023-02-01"), today=D("2023-03-01")) == "now"
    assert knowledge_horizon(D("2022-12-31"), "then") == end_of_day(D("2022-12-31"))
    moment = at("2023-03-01")
    assert knowledge_horizon(D("2022-12-31"), "now", at=moment) == moment
    store = make_store()
    add(store, "parcels", [parcel("X", square(-30, 100)), parcel("Y", square(1000, 100))])
    # done on 20 Dec, recorded in January: a late record for the year end
    set_status(store, "parcels", "X", "已完成", day="2022-12-20", recorded="2023-01-05")
    # recorded late too, but effective after the date: changes nothing at the year end
    set_status(store, "parcels", "Y", "已完成", day="2023-01-04", recorded="2023-01-05")
    late = late_records(store, D("2022-12-31"))
    assert (late.count, late.features, late.layers) == (1, 1, ("parcels",))
    assert late_records(store, D("2023-01-31")).count == 0


def test_frame_to_xlsx_keeps_text_literal() -> None:
    from openpyxl import load_workbook

    frame = pd.DataFrame({"名称": ["=1+1", "甲厂"], "面积（亩）": [1.5, 2.25]})
    book = load_workbook(io.BytesIO(frame_to_xlsx(frame, sheet="表")))
    sheet = book["表"]
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["B3"].value == 2.25
