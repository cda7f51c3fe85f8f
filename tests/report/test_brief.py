"""Briefing packs: figures as the progress engine gives them, embedded fonts, page structure, colours on the maps."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pytest
import shapely

from tests._builders import (
    build_store,
)
from tests.report.conftest import (
    DEMO_PATH,
    HOSTILE,
    IN_CI,
    PARCELS_TOML,
    PLAN_TOML,
    WELLS_TOML,
    complete,
    fonts_table,
    has_colour,
    layout_text,
    listed,
    need_tool,
    not_blank,
    page_texts,
    render,
    section_page,
    small_store,
    squash,
)
from ykgeo import cli
from ykgeo.errors import DataError
from ykgeo.progress import progress_report, report_to_json
from ykgeo.report import (
    RATING_ZH,
    BriefResult,
    brief_pdf_bytes,
    build_brief,
    format_figure,
    format_pct,
    format_target,
)
from ykgeo.report.data import load_pack_data
from ykgeo.store import TZ, Store


def test_small_pack_has_the_known_figures(small: tuple[Store, BriefResult]) -> None:
    _, result = small
    texts = page_texts(result.path)  # type: ignore[arg-type]
    summary = squash(texts[section_page(result, "一、") - 1])
    # 3 squares of 15 亩 done by 2022-09-30 = 45.00 of 60 亩 (75.0 %); 1 of 4 wells (25.0 %)
    assert "完成测试地块整治 亩 60 45.00 75.0%" in summary
    assert "完成测试水井 座 4 1 25.0%" in summary
    parcels_page = squash(texts[section_page(result, "2.1 ") - 1])
    assert "已完成 45.00 亩（75.0%）" in parcels_page
    town_table = squash(texts[section_page(result, "2.1 ")])
    assert "西测镇 30.00" in town_table and "东测镇 15.00" in town_table
    assert "合计 45.00" in town_table


def test_small_pack_structure_and_contents_page(small: tuple[Store, BriefResult]) -> None:
    _, result = small
    texts = page_texts(result.path)  # type: ignore[arg-type]
    assert len(texts) == result.pages
    # cover, contents, summary, 2 × (map + township table), 2 atlas pages, changes, problems, appendix
    assert result.pages == 1 + 1 + 1 + 2 * 2 + 2 + 1 + 1 + 1
    assert len(result.map_pages) == 2 + 2
    assert list(result.map_pages) == sorted(set(result.map_pages))
    contents = layout_text(result.path, 2)  # type: ignore[arg-type]
    for level, title, page in result.sections:
        assert title in texts[page - 1] or level == 0
        if title.startswith(("2.", "3.")):
            assert listed(contents, title, page), (title, page)
    assert f"第 {result.pages} 页 / 共 {result.pages} 页" in texts[-1]
    pdf = pdfium.PdfDocument(str(result.path))
    try:  # the bookmarks of the PDF viewer point at the same pages
        outline = [(b.level, b.get_title(), b.get_dest().get_index() + 1) for b in pdf.get_toc()]
    finally:
        pdf.close()
    assert outline == list(result.sections)


def test_small_pack_lists_features_changes_and_hostile_names_as_text(
    small: tuple[Store, BriefResult],
) -> None:
    _, result = small
    text = squash(" ".join(page_texts(result.path)))  # type: ignore[arg-type]
    assert HOSTILE in text  # shown as text, never as markup
    changes = squash(page_texts(result.path)[section_page(result, "四、") - 1])  # type: ignore[arg-type]
    assert "P3" in changes and "新完成" in changes
    assert "示意" in page_texts(result.path)[0]  # type: ignore[arg-type]


def test_small_pack_pngs_at_the_asked_dpi(small: tuple[Store, BriefResult]) -> None:
    from PIL import Image

    _, result = small
    assert [p.name for p in result.png_files] == [
        "01-parcels_done.png",
        "02-wells_done.png",
        "township-01-330784001.png",
        "township-02-330784002.png",
    ]
    with Image.open(result.png_files[0]) as image:
        assert image.size == (round((770 + 24) / 72 * 40), round((470 + 24) / 72 * 40))
        pixels = np.asarray(image.convert("RGB"))
    assert has_colour(pixels, "#2e7d32") and has_colour(pixels, "#f9a825")


def test_small_pack_maps_show_status_colours(small: tuple[Store, BriefResult]) -> None:
    _, result = small
    pages = render(result.path, list(result.map_pages), 2.0)  # type: ignore[arg-type]
    parcels, wells = pages[result.map_pages[0]], pages[result.map_pages[1]]
    for colour in ("#b0bec5", "#f9a825", "#2e7d32"):
        assert has_colour(parcels, colour), colour
    for colour in ("#b0bec5", "#f9a825", "#1565c0"):
        assert has_colour(wells, colour), colour


def test_bytes_for_the_app_and_a_township_pack(tmp_path: Path) -> None:
    store = small_store(tmp_path / "s.gpkg", demo=False)
    data = brief_pdf_bytes(store, as_of=dt.date(2022, 6, 30), township="东测镇")
    assert data.startswith(b"%PDF")
    out = tmp_path / "t.pdf"
    out.write_bytes(data)
    texts = page_texts(out)
    assert "东测镇" in texts[0] and "演示数据" not in texts[0]
    # cover, contents, summary, 2 × 2 target pages, 1 atlas page, problems, appendix
    assert len(texts) == 1 + 1 + 1 + 4 + 1 + 1 + 1
    summary = squash(texts[2])
    assert "完成测试地块整治 亩 60 0.00 0.0%" in summary  # nothing done in the east by June


def test_user_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = small_store(tmp_path / "s.gpkg", demo=True)
    monkeypatch.setattr("ykgeo.layers.DEFAULT_LAYER_DIR", tmp_path / "layers")
    with pytest.raises(DataError, match="应早于统计日"):
        build_brief(
            store, as_of=dt.date(2022, 6, 30), since=dt.date(2022, 7, 1), output=tmp_path / "x.pdf"
        )
    with pytest.raises(DataError, match="没有名为"):
        build_brief(store, as_of=dt.date(2022, 6, 30), township="南测镇", output=tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
    code = cli.main(
        [
            "brief",
            "--store",
            str(store.path),
            "--as-of",
            "2022-06-30",
            "--since",
            "2022-07-01",
            "-o",
            str(tmp_path / "y.pdf"),
        ]
    )
    assert code == 2
    assert "比较基准日 2022-07-01 应早于统计日 2022-06-30" in capsys.readouterr().err


def test_a_missing_pdf_library_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from ykgeo.report import ReportError

    store = small_store(tmp_path / "s.gpkg", demo=True)
    loaded = [n for n in sys.modules if n.startswith("reportlab.")]
    for name in [*loaded, "ykgeo.report.pdf", "ykgeo.report.story", "ykgeo.report.paint"]:
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "reportlab", None)  # as if it were not installed
    with pytest.raises(ReportError, match="reportlab"):
        brief_pdf_bytes(store, as_of=dt.date(2022, 6, 30))


def test_a_store_without_reference_layers_or_features_still_gives_a_pack(tmp_path: Path) -> None:
    layers = {"parcels": PARCELS_TOML, "wells": WELLS_TOML}
    store = build_store(tmp_path / "empty.gpkg", layers, PLAN_TOML)
    result = build_brief(store, as_of=dt.date(2022, 6, 30), output=tmp_path / "e.pdf")
    texts = page_texts(result.path)  # type: ignore[arg-type]
    assert len(texts) == result.pages
    assert "没有镇街图层" in " ".join(texts)
    assert "已完成 0.00 亩（0.0%）" in squash(texts[section_page(result, "2.1 ") - 1])


# --- the demo store ---------------------------------------------------------------------------

DEMO_DATES = (dt.date(2022, 6, 30), dt.date(2022, 12, 31))


@pytest.fixture(scope="module")
def demo_store() -> Store:
    if not DEMO_PATH.exists():
        if IN_CI:
            pytest.fail(f"the demo store {DEMO_PATH} is missing (build it with `make demo`)")
        pytest.skip(f"demo store {DEMO_PATH} not built (run `make demo`)")
    return Store(DEMO_PATH)


@pytest.fixture(scope="module")
def demo_packs(
    demo_store: Store, tmp_path_factory: pytest.TempPathFactory
) -> dict[dt.date, tuple[BriefResult, dict[str, Any], Any]]:
    folder = tmp_path_factory.mktemp("demo")
    out = {}
    for day in DEMO_DATES:
        since = dt.date(2022, 9, 30) if day.month == 12 else None
        result = build_brief(demo_store, as_of=day, since=since, output=folder / f"brief-{day}.pdf")
        report = progress_report(demo_store, as_of=day)
        out[day] = (result, report_to_json(report), report)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("day", DEMO_DATES)
def test_demo_pack_figures_are_the_engines(
    demo_packs: dict[dt.date, tuple[BriefResult, dict[str, Any], Any]], day: dt.date
) -> None:
    result, summary, report = demo_packs[day]
    decimals = {row.key: row.decimals for row in report.rows}
    texts = page_texts(result.path)  # type: ignore[arg-type]
    assert summary["data_version"]["label"] in squash(texts[0])
    overview = squash(
        " ".join(texts[section_page(result, "一、") - 1 : section_page(result, "二、") - 1])
    )
    for i, item in enumerate(summary["targets"], start=1):
        d = decimals[item["key"]]
        page = squash(texts[section_page(result, f"2.{i} ") - 1])
        assert item["name_zh"] in page
        expected = [
            f"年度目标 {format_target(item['target'], d)} {item['unit']}",
            f"已完成 {format_figure(item['done'], d)} {item['unit']}（{format_pct(item['pct'])}）",
            f"推进中 {format_figure(item['in_progress'], d)}",
            f"未启动 {format_figure(item['not_started'], d)}",
            f"年底预测 {format_figure(item['forecast'], d)}（{format_pct(item['forecast_pct'])}）",
            f"评级 {RATING_ZH[item['rating']]}",
        ]
        for text in expected:
            assert text in page, (item["key"], text)
        row = " ".join(
            [
                item["name_zh"],
                item["unit"],
                format_target(item["target"], d),
                format_figure(item["done"], d),
                format_pct(item["pct"]),
                format_figure(item["milestone_expected"], d),
                format_figure(item["in_progress"], d),
                format_figure(item["not_started"], d),
                format_figure(item["remaining"], d),
                format_figure(item["forecast"], d),
                format_pct(item["forecast_pct"]),
                RATING_ZH[item["rating"]],
            ]
        )
        assert row in overview, row
        towns = squash(texts[section_page(result, f"2.{i} ")])
        for t in item["townships"]:
            cells = f"{t['township']} {format_figure(t['done'], d)} {format_pct(t['pct'])} {format_figure(t['in_progress'], d)}"
            assert cells in towns, (item["key"], cells)


@pytest.mark.slow
@pytest.mark.parametrize("day", DEMO_DATES)
def test_demo_pack_fonts_are_embedded_and_chinese_reads_back(
    demo_packs: dict[dt.date, tuple[BriefResult, dict[str, Any], Any]], day: dt.date
) -> None:
    result, summary, _ = demo_packs[day]
    rows = fonts_table(result.path)  # type: ignore[arg-type]
    assert rows, "no fonts"
    for row in rows:
        # name type... encoding emb sub uni object ID: emb is the 5th field from the end
        assert row[-5] == "yes", f"font not embedded: {row}"
        assert "Type" not in row[1:3] or row[1:3] != ["Type", "3"], f"Type 3 font: {row}"
    assert all("YKGeoCJK" in row[0] for row in rows), rows
    pdftotext = need_tool("pdftotext")
    first = subprocess.run(
        [pdftotext, "-f", "1", "-l", "1", str(result.path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "永康市年度目标进展简报" in first
    assert summary["plan_name"] in squash(first)
    everything = " ".join(page_texts(result.path))  # type: ignore[arg-type]
    assert "\ufffd" not in everything and "□" not in everything
    for item in summary["targets"]:
        assert item["name_zh"] in everything


@pytest.mark.slow
@pytest.mark.parametrize("day", DEMO_DATES)
def test_demo_pack_page_count_matches_the_contents(
    demo_packs: dict[dt.date, tuple[BriefResult, dict[str, Any], Any]], day: dt.date
) -> None:
    result, summary, _ = demo_packs[day]
    texts = page_texts(result.path)  # type: ignore[arg-type]
    assert len(texts) == result.pages
    n_targets = len(summary["targets"])
    n_towns = sum(1 for _, title, _ in result.sections if title.startswith("3."))
    assert n_towns == 14
    assert len(result.map_pages) == n_targets + n_towns
    first_target = section_page(result, "2.1 ")
    for i in range(1, n_targets + 1):
        assert section_page(result, f"2.{i} ") == first_target + 2 * (i - 1)
    first_town = section_page(result, "3.1 ")
    assert first_town == first_target + 2 * n_targets
    for j in range(1, n_towns + 1):
        assert section_page(result, f"3.{j} ") == first_town + j - 1
    assert list(result.map_pages) == [first_target + 2 * i for i in range(n_targets)] + [
        first_town + j for j in range(n_towns)
    ]
    tops = [page for level, _, page in result.sections if level == 0]
    assert tops == sorted(tops) and tops[-1] <= result.pages
    contents = layout_text(result.path, 2)  # type: ignore[arg-type]
    for level, title, page in result.sections:
        if level == 1 and title.startswith(("2.", "3.")):
            assert listed(contents, title, page), (title, page)
    assert ("以来的变化" in contents) == (day.month == 12)  # changes only with --since
    assert f"第 {result.pages} 页 / 共 {result.pages} 页" in texts[-1]


@pytest.mark.slow
@pytest.mark.parametrize("day", DEMO_DATES)
def test_demo_pack_pages_render_and_maps_show_status_colours(
    demo_packs: dict[dt.date, tuple[BriefResult, dict[str, Any], Any]],
    demo_store: Store,
    day: dt.date,
) -> None:
    result, _, report = demo_packs[day]
    sample = [1, 2, 3, result.pages // 2, result.pages]
    for number, pixels in render(result.path, sample, 0.5).items():  # type: ignore[arg-type]
        assert not_blank(pixels), f"page {number} is blank"
    target_pages = list(result.map_pages[: len(report.rows)])
    rendered = render(result.path, target_pages, 1.5)  # type: ignore[arg-type]
    for row, page in zip(report.rows, target_pages, strict=True):
        pixels = rendered[page]
        assert not_blank(pixels)
        spec = demo_store.spec(row.layer)
        width = pixels.shape[1]
        map_area = pixels[:, : int(width * 0.74)]  # the legend panel is on the right
        present = set(row.features["status"].dropna().astype(str))
        for status in present:
            colour = spec.style.status_colors.get(status)
            if colour:
                assert has_colour(map_area, colour), (row.key, status, colour, page)


@pytest.mark.slow
def test_demo_pack_tables_keep_dates_and_names_whole_and_share_the_left_edge(
    demo_packs: dict[dt.date, tuple[BriefResult, dict[str, Any], Any]], demo_store: Store
) -> None:
    from ykgeo.progress import changes_between

    result, _, _ = demo_packs[dt.date(2022, 12, 31)]
    pages = page_texts(result.path)  # type: ignore[arg-type]
    changed = [i for i, text in enumerate(pages) if "录入人" in text and "发生日期" in text]
    assert changed, "no changes table"
    lines = [line for i in changed for line in pages[i].splitlines()]
    text = "\n".join(lines)
    changes = changes_between(demo_store, dt.date(2022, 9, 30), dt.date(2022, 12, 31))
    # every recorder's name complete, every date on one line (never split mid-date)
    for who in set(changes["recorded_by"].dropna().astype(str)):
        assert who in text, who
    assert not any(re.search(r"\d{4}-\d{0,2}-?$", line.strip()) for line in lines)
    dates = {
        d
        for v in changes["effective_dates"].dropna()
        for d in re.findall(r"\d{4}-\d{2}-\d{2}", str(v))
    }
    assert dates and all(d in text for d in dates)
    # the summary table starts at the left margin, like the detail tables
    pdf = pdfium.PdfDocument(str(result.path))
    try:
        lefts = []
        summary_page = next(i for i, t in enumerate(pages) if "序号" in t and "年底预测" in t)
        for first, word, page_no in (("序号", "目标", summary_page), ("图层", "图层", changed[0])):
            textpage = pdf[page_no].get_textpage()
            whole = textpage.get_text_range()
            start = whole.index(word, whole.index(first))
            lefts.append(textpage.get_charbox(start)[0])
    finally:
        pdf.close()
    # 目标 is the summary's second column, after the 24 pt 序号 column
    assert abs((lefts[0] - 24) - lefts[1]) < 1.0, lefts


def test_township_labels_move_clear_of_the_features() -> None:
    from ykgeo.report.maps import township_labels

    town = shapely.box(0, 0, 10_000, 10_000)
    dots = shapely.points(np.random.default_rng(1).uniform(3_500, 6_500, (200, 2)))
    (plain,) = township_labels(["东城街道"], np.array([town], dtype=object))
    assert (
        shapely.distance(shapely.Point(plain[:2]), shapely.MultiPoint(dots)) < 300
    )  # under the dots
    (clear,) = township_labels(["东城街道"], np.array([town], dtype=object), obstacles=dots)
    label = shapely.Point(clear[:2])
    assert town.contains(label)
    assert shapely.distance(label, shapely.MultiPoint(dots)) >= 900


def _with_late_completion(path: Path) -> Store:
    """The small store, and P4 (east, 15 亩) done on 2022-09-01 but recorded only on 2022-10-15."""
    store = small_store(path, demo=False)
    complete(store, "P4", dt.date(2022, 9, 1), recorded_at=dt.datetime(2022, 10, 15, 9, tzinfo=TZ))
    return store


def test_a_pack_counts_as_known_then_or_now_and_says_which(tmp_path: Path) -> None:
    """按当时所知 (default) leaves out the late record; 按现在所知 counts it in figures, maps and changes."""
    store = _with_late_completion(tmp_path / "s.gpkg")
    day, since = dt.date(2022, 9, 30), dt.date(2022, 6, 30)
    then = build_brief(store, as_of=day, since=since, output=tmp_path / "then.pdf")
    known_at = dt.datetime(2022, 10, 16, tzinfo=TZ)
    later = build_brief(
        store, as_of=day, since=since, known_at=known_at, output=tmp_path / "now.pdf"
    )
    then_texts, now_texts = page_texts(then.path), page_texts(later.path)  # type: ignore[arg-type]
    assert "按当时所知" in squash(then_texts[0]) and "按现在所知" not in squash(then_texts[0])
    assert "按现在所知：含截至 2022-10-16 00:00 补录的数据" in squash(now_texts[0])
    # the figures: 45 of 60 亩 as known on the day, all 60 亩 as known later
    assert "完成测试地块整治 亩 60 45.00 75.0%" in squash(
        then_texts[section_page(then, "一、") - 1]
    )
    summary = squash(now_texts[section_page(later, "一、") - 1])
    assert "完成测试地块整治 亩 60 60.00 100.0%" in summary
    engine = progress_report(store, as_of=day, known_at=known_at).row("parcels_done")
    assert engine.done == pytest.approx(60.0, abs=0.01)
    town_table = squash(now_texts[section_page(later, "2.1 ")])
    assert "东测镇 30.00" in town_table
    # the changes: P4's completion appears as known now, read with the same records at both dates
    changes = squash(" ".join(now_texts[section_page(later, "三、") - 1 :]))
    assert "两日均按截至 2022-10-16 00:00 已录入的数据" in changes
    # the map data behind the figures is the same snapshot
    _, _, frame, geo = load_pack_data(store, day, None, since, known_at)
    assert geo.layers["parcels"].loc["P4", "状态"] == "已完成"
    assert frame is not None and "P4" in set(frame["id"].astype(str))
    _, _, _, geo_then = load_pack_data(store, day, None, since)
    assert geo_then.layers["parcels"].loc["P4", "状态"] == "未启动"
