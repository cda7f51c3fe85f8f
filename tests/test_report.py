"""Briefing packs: figures as the progress engine gives them, embedded fonts, page structure, colours on the maps.

Small hand-made stores check the pack's structure and known figures quickly; the
demo store (``data/gis/yongkang-demo.gpkg``) is packed at 2022-06-30 and 2022-12-31
and read back with pypdfium2 (text, rendered pages) and poppler's ``pdffonts``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pytest
import shapely
from _builders import (
    PALETTE,
    PARCEL_STATUSES,
    WORKS_STATUSES,
    build_store,
    field,
    gk,
    import_rows,
    layer_toml,
    plan_toml,
    target_toml,
    townships_toml,
)

from ykgeo import cli
from ykgeo.errors import DataError
from ykgeo.fonts import cjk_font
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
from ykgeo.store import DEMO_STORE, TZ, Store

IN_CI = os.environ.get("CI", "").lower() == "true"
#: The demo store to pack (a developer may point this at a store built elsewhere).
DEMO_PATH = Path(os.environ.get("YKGEO_TEST_DEMO_STORE", str(DEMO_STORE)))

# --- helpers ----------------------------------------------------------------------------------


def _need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} (poppler-utils) is required in CI")
        pytest.skip(f"{name} not installed (apt-get install poppler-utils)")
    return path


def _page_texts(pdf_path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _render(pdf_path: Path, pages: list[int], scale: float) -> dict[int, np.ndarray]:
    """Pages (1-based) as RGB arrays."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        out = {}
        for number in pages:
            image = pdf[number - 1].render(scale=scale).to_pil().convert("RGB")
            out[number] = np.asarray(image)
        return out
    finally:
        pdf.close()


def _not_blank(pixels: np.ndarray) -> bool:
    ink = (pixels.astype(int).sum(axis=2) < 700).mean()
    return bool(ink > 0.005 and pixels.std() > 5)


def _hex_rgb(colour: str) -> np.ndarray:
    colour = colour.lstrip("#")
    return np.array([int(colour[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def _has_colour(
    pixels: np.ndarray, colour: str, *, tolerance: float = 28.0, minimum: int = 3
) -> bool:
    """Some pixels close to ``colour`` or to it blended over white (fills are translucent)."""
    rgb = pixels.reshape(-1, 3).astype(float)
    base = _hex_rgb(colour)
    for alpha in (1.0, 0.9, 0.85, 0.7, 0.55):
        blended = base * alpha + 255.0 * (1 - alpha)
        if (np.linalg.norm(rgb - blended, axis=1) < tolerance).sum() >= minimum:
            return True
    return False


def _fonts_table(pdf_path: Path) -> list[list[str]]:
    out = subprocess.run(
        [_need_tool("pdffonts"), str(pdf_path)], capture_output=True, text=True, check=True
    )
    return [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]


def _layout_text(pdf_path: Path, page: int) -> str:
    """One page as poppler lays it out (columns kept on their lines)."""
    out = subprocess.run(
        [_need_tool("pdftotext"), "-layout", "-f", str(page), "-l", str(page), str(pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def _listed(contents: str, title: str, page: int) -> bool:
    return re.search(re.escape(title) + r"\s+" + str(page) + r"(\s|$)", contents) is not None


def _section_page(result: BriefResult, prefix: str) -> int:
    for _, title, page in result.sections:
        if title.startswith(prefix):
            return page
    raise AssertionError(f"no section {prefix!r} in {result.sections}")


# --- formatting -------------------------------------------------------------------------------


def test_formatting_is_the_cli_format() -> None:
    assert format_figure(1234.5, 2) == "1,234.50"
    assert format_figure(4.33, 3) == "4.330"
    assert format_figure(942300.0, 0) == "942,300"
    assert format_figure(None, 2) == "—"
    assert format_figure(float("nan"), 2) == "—"
    assert format_pct(38.44) == "38.4%"
    assert format_pct(None) == "—"
    assert format_target(5000.0, 2) == "5,000"
    assert format_target(2.5, 0) == "2.5"
    assert RATING_ZH["green"] == "绿"


# --- fonts ------------------------------------------------------------------------------------


def test_cjk_subset_is_truetype_covers_the_text_and_marks_what_it_cannot(tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    font = cjk_font(["永康市石柱镇 低效工业用地 😀"], cache_dir=tmp_path)
    assert font.missing == frozenset({"😀"})
    assert font.clean("石柱镇😀") == "石柱镇?"
    assert font.clean("鑫") == "?"  # not in the texts the subset was made for: never a box
    for path in (font.regular, font.bold):
        tt = TTFont(str(path))
        assert "glyf" in tt and "CFF " not in tt, "PDF writers need TrueType outlines"
        cmap = tt.getBestCmap()
        assert all(ord(c) in cmap for c in "永康市石柱镇低效工业用地0123456789")
        assert tt["name"].getDebugName(1) == font.name
    again = cjk_font(["永康市石柱镇 低效工业用地 😀"], cache_dir=tmp_path)
    assert again.regular == font.regular
    assert again.regular.stat().st_mtime_ns == font.regular.stat().st_mtime_ns


def test_no_cjk_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    from ykgeo import fonts

    latin_only = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    monkeypatch.setenv("YKGEO_CJK_FONT", str(latin_only))
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)  # no fontconfig
    monkeypatch.setattr(fonts, "_KNOWN_FILES", {})
    fonts.find_cjk_font.cache_clear()
    try:
        with pytest.raises(fonts.FontError, match="fonts-noto-cjk"):
            fonts.find_cjk_font("regular")
    finally:
        fonts.find_cjk_font.cache_clear()


# --- a small store with known answers ---------------------------------------------------------

PARCELS_TOML = layer_toml(
    "parcels",
    name_zh="测试地块",
    theme="土地",
    order=10,
    geometry_type="Polygon",
    id_field="地块编号",
    name_field="名称",
    township_field="所属镇街",
    statuses=PARCEL_STATUSES,
    date_field="完成日期",
    fields=[
        field("地块编号", required=True),
        "名称",
        "所属镇街",
        field("状态", required=True),
        field("完成日期", "date"),
    ],
    colours=PALETTE,
)

WELLS_TOML = layer_toml(
    "wells",
    name_zh="测试水井",
    theme="水利",
    order=20,
    geometry_type="Point",
    id_field="编号",
    name_field="名称",
    statuses=WORKS_STATUSES,
    date_field="完工日期",
    fields=[
        field("编号", required=True),
        "名称",
        field("状态", required=True),
        field("完工日期", "date"),
    ],
    colours=(*PALETTE[:2], "#1565c0"),
)

TOWNSHIPS_TOML = townships_toml(description_zh="测试用镇街范围，示意")

BOUNDARY_TOML = layer_toml(
    "city_boundary",
    name_zh="市界",
    theme="参考",
    order=901,
    geometry_type="Polygon",
    reference=True,
    id_field="代码",
    fields=[field("代码", required=True)],
)

PLAN_TOML = plan_toml(
    2022,
    "2022年度测试目标",
    target_toml(
        "parcels_done", name_zh="完成测试地块整治", layer="parcels", measure="area", value=60,
        unit="亩", statuses=["已完成"],
    ),
    target_toml(
        "wells_done", name_zh="完成测试水井", layer="wells", measure="count", value=4, unit="座",
        statuses=["完工"],
    ),
)  # fmt: skip

HOSTILE = "<b>恶意</b> & <img src=x onerror=alert(1)>"


def _small_store(path: Path, *, demo: bool) -> Store:
    layers = {
        "parcels": PARCELS_TOML,
        "wells": WELLS_TOML,
        "townships": TOWNSHIPS_TOML,
        "city_boundary": BOUNDARY_TOML,
    }
    meta = {"demo": "示意数据"} if demo else {}
    store = build_store(path, layers, PLAN_TOML, meta=meta)
    at = dt.datetime(2022, 1, 5, 9, tzinfo=TZ)
    recorded = {"user": "测试", "effective_date": dt.date(2022, 1, 1), "recorded_at": at}
    west = shapely.box(495000, 3195000, 497000, 3197000)
    east = shapely.box(497000, 3195000, 499000, 3197000)
    import_rows(
        store,
        "townships",
        {"代码": ["330784001", "330784002"], "镇街名称": ["西测镇", "东测镇"]},
        [gk(west), gk(east)],
        source="镇街.shp",
        **recorded,
    )
    import_rows(
        store,
        "city_boundary",
        {"代码": ["330784"]},
        [gk(west.union(east))],
        source="市界.shp",
        **recorded,
    )
    # four 100 m squares (15 亩 each): two done in the west, one in progress and one not started in the east
    squares = [shapely.box(495500 + 300 * i, 3195500, 495600 + 300 * i, 3195600) for i in range(2)]
    squares += [shapely.box(497500 + 300 * i, 3195500, 497600 + 300 * i, 3195600) for i in range(2)]
    import_rows(
        store,
        "parcels",
        {
            "地块编号": ["P1", "P2", "P3", "P4"],
            "名称": [HOSTILE, "永康市测试五金厂", "永康市测试工具厂", "永康市测试门业"],
            "所属镇街": ["西测镇", "西测镇", "东测镇", "东测镇"],
            "状态": ["已完成", "已完成", "推进中", "未启动"],
            "完成日期": [dt.date(2022, 3, 1), dt.date(2022, 5, 1), None, None],
        },
        [gk(square) for square in squares],
        source="台账.xlsx",
        **recorded,
    )
    import_rows(
        store,
        "wells",
        {
            "编号": ["W1", "W2", "W3"],
            "名称": ["一号井", "二号井", "三号井"],
            "状态": ["完工", "在建", "前期"],
            "完工日期": [dt.date(2022, 4, 1), None, None],
        },
        [
            gk(shapely.Point(x, y))
            for x, y in [(496500, 3196500), (498000, 3196500), (498500, 3195300)]
        ],
        source="台账.xlsx",
        **recorded,
    )
    # after 2022-06-30: P3 is done on 2022-08-01
    store.update_feature(
        "parcels",
        "P3",
        {"状态": "已完成", "完成日期": "2022-08-01"},
        user="测试",
        expected_version=None,
        recorded_at=dt.datetime(2022, 8, 2, 9, tzinfo=TZ),
    )
    return store


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, BriefResult]:
    folder = tmp_path_factory.mktemp("small")
    store = _small_store(folder / "small.gpkg", demo=True)
    result = build_brief(
        store,
        as_of=dt.date(2022, 9, 30),
        since=dt.date(2022, 6, 30),
        output=folder / "out" / "brief.pdf",
        png_dir=folder / "png",
        dpi=40,
    )
    return store, result


def test_small_pack_has_the_known_figures(small: tuple[Store, BriefResult]) -> None:
    _, result = small
    texts = _page_texts(result.path)  # type: ignore[arg-type]
    summary = _squash(texts[_section_page(result, "一、") - 1])
    # 3 squares of 15 亩 done by 2022-09-30 = 45.00 of 60 亩 (75.0 %); 1 of 4 wells (25.0 %)
    assert "完成测试地块整治 亩 60 45.00 75.0%" in summary
    assert "完成测试水井 座 4 1 25.0%" in summary
    parcels_page = _squash(texts[_section_page(result, "2.1 ") - 1])
    assert "已完成 45.00 亩（75.0%）" in parcels_page
    town_table = _squash(texts[_section_page(result, "2.1 ")])
    assert "西测镇 30.00" in town_table and "东测镇 15.00" in town_table
    assert "合计 45.00" in town_table


def test_small_pack_structure_and_contents_page(small: tuple[Store, BriefResult]) -> None:
    _, result = small
    texts = _page_texts(result.path)  # type: ignore[arg-type]
    assert len(texts) == result.pages
    # cover, contents, summary, 2 × (map + township table), 2 atlas pages, changes, problems, appendix
    assert result.pages == 1 + 1 + 1 + 2 * 2 + 2 + 1 + 1 + 1
    assert len(result.map_pages) == 2 + 2
    assert list(result.map_pages) == sorted(set(result.map_pages))
    contents = _layout_text(result.path, 2)  # type: ignore[arg-type]
    for level, title, page in result.sections:
        assert title in texts[page - 1] or level == 0
        if title.startswith(("2.", "3.")):
            assert _listed(contents, title, page), (title, page)
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
    text = _squash(" ".join(_page_texts(result.path)))  # type: ignore[arg-type]
    assert HOSTILE in text  # shown as text, never as markup
    changes = _squash(_page_texts(result.path)[_section_page(result, "四、") - 1])  # type: ignore[arg-type]
    assert "P3" in changes and "新完成" in changes
    assert "示意" in _page_texts(result.path)[0]  # type: ignore[arg-type]


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
    assert _has_colour(pixels, "#2e7d32") and _has_colour(pixels, "#f9a825")


def test_small_pack_maps_show_status_colours(small: tuple[Store, BriefResult]) -> None:
    _, result = small
    pages = _render(result.path, list(result.map_pages), 2.0)  # type: ignore[arg-type]
    parcels, wells = pages[result.map_pages[0]], pages[result.map_pages[1]]
    for colour in ("#b0bec5", "#f9a825", "#2e7d32"):
        assert _has_colour(parcels, colour), colour
    for colour in ("#b0bec5", "#f9a825", "#1565c0"):
        assert _has_colour(wells, colour), colour


def test_bytes_for_the_app_and_a_township_pack(tmp_path: Path) -> None:
    store = _small_store(tmp_path / "s.gpkg", demo=False)
    data = brief_pdf_bytes(store, as_of=dt.date(2022, 6, 30), township="东测镇")
    assert data.startswith(b"%PDF")
    out = tmp_path / "t.pdf"
    out.write_bytes(data)
    texts = _page_texts(out)
    assert "东测镇" in texts[0] and "演示数据" not in texts[0]
    # cover, contents, summary, 2 × 2 target pages, 1 atlas page, problems, appendix
    assert len(texts) == 1 + 1 + 1 + 4 + 1 + 1 + 1
    summary = _squash(texts[2])
    assert "完成测试地块整治 亩 60 0.00 0.0%" in summary  # nothing done in the east by June


def test_user_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _small_store(tmp_path / "s.gpkg", demo=True)
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


def test_cli_writes_the_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _small_store(tmp_path / "s.gpkg", demo=True)
    monkeypatch.setattr("ykgeo.layers.DEFAULT_LAYER_DIR", tmp_path / "layers")
    out = tmp_path / "cli.pdf"
    code = cli.main(["brief", "--store", str(store.path), "--as-of", "2022-06-30", "-o", str(out)])
    assert code == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert "已生成简报" in capsys.readouterr().err


def test_a_missing_pdf_library_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from ykgeo.report import ReportError

    store = _small_store(tmp_path / "s.gpkg", demo=True)
    loaded = [n for n in sys.modules if n.startswith("reportlab.")]
    for name in [*loaded, "ykgeo._report_pdf", "ykgeo._report_story", "ykgeo._report_paint"]:
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "reportlab", None)  # as if it were not installed
    with pytest.raises(ReportError, match="reportlab"):
        brief_pdf_bytes(store, as_of=dt.date(2022, 6, 30))


def test_a_store_without_reference_layers_or_features_still_gives_a_pack(tmp_path: Path) -> None:
    layers = {"parcels": PARCELS_TOML, "wells": WELLS_TOML}
    store = build_store(tmp_path / "empty.gpkg", layers, PLAN_TOML)
    result = build_brief(store, as_of=dt.date(2022, 6, 30), output=tmp_path / "e.pdf")
    texts = _page_texts(result.path)  # type: ignore[arg-type]
    assert len(texts) == result.pages
    assert "没有镇街图层" in " ".join(texts)
    assert "已完成 0.00 亩（0.0%）" in _squash(texts[_section_page(result, "2.1 ") - 1])


def test_scale_bar_arithmetic() -> None:
    from ykgeo._report_draw import _nice_length, _scale_text

    assert _nice_length(7300) == 5000
    assert _nice_length(1999) == 1000
    assert _nice_length(0.3) == 0.2
    # 0.01 pt per metre: 1 pt = 0.3528 mm on paper stands for 100 m → 1:283,465
    assert _scale_text(0.01) == "比例尺 1:283,000"


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
    texts = _page_texts(result.path)  # type: ignore[arg-type]
    assert summary["data_version"]["label"] in _squash(texts[0])
    overview = _squash(
        " ".join(texts[_section_page(result, "一、") - 1 : _section_page(result, "二、") - 1])
    )
    for i, item in enumerate(summary["targets"], start=1):
        d = decimals[item["key"]]
        page = _squash(texts[_section_page(result, f"2.{i} ") - 1])
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
        towns = _squash(texts[_section_page(result, f"2.{i} ")])
        for t in item["townships"]:
            cells = f"{t['township']} {format_figure(t['done'], d)} {format_pct(t['pct'])} {format_figure(t['in_progress'], d)}"
            assert cells in towns, (item["key"], cells)


@pytest.mark.slow
@pytest.mark.parametrize("day", DEMO_DATES)
def test_demo_pack_fonts_are_embedded_and_chinese_reads_back(
    demo_packs: dict[dt.date, tuple[BriefResult, dict[str, Any], Any]], day: dt.date
) -> None:
    result, summary, _ = demo_packs[day]
    rows = _fonts_table(result.path)  # type: ignore[arg-type]
    assert rows, "no fonts"
    for row in rows:
        # name type... encoding emb sub uni object ID: emb is the 5th field from the end
        assert row[-5] == "yes", f"font not embedded: {row}"
        assert "Type" not in row[1:3] or row[1:3] != ["Type", "3"], f"Type 3 font: {row}"
    assert all("YKGeoCJK" in row[0] for row in rows), rows
    pdftotext = _need_tool("pdftotext")
    first = subprocess.run(
        [pdftotext, "-f", "1", "-l", "1", str(result.path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "永康市年度目标进展简报" in first
    assert summary["plan_name"] in _squash(first)
    everything = " ".join(_page_texts(result.path))  # type: ignore[arg-type]
    assert "\ufffd" not in everything and "□" not in everything
    for item in summary["targets"]:
        assert item["name_zh"] in everything


@pytest.mark.slow
@pytest.mark.parametrize("day", DEMO_DATES)
def test_demo_pack_page_count_matches_the_contents(
    demo_packs: dict[dt.date, tuple[BriefResult, dict[str, Any], Any]], day: dt.date
) -> None:
    result, summary, _ = demo_packs[day]
    texts = _page_texts(result.path)  # type: ignore[arg-type]
    assert len(texts) == result.pages
    n_targets = len(summary["targets"])
    n_towns = sum(1 for _, title, _ in result.sections if title.startswith("3."))
    assert n_towns == 14
    assert len(result.map_pages) == n_targets + n_towns
    first_target = _section_page(result, "2.1 ")
    for i in range(1, n_targets + 1):
        assert _section_page(result, f"2.{i} ") == first_target + 2 * (i - 1)
    first_town = _section_page(result, "3.1 ")
    assert first_town == first_target + 2 * n_targets
    for j in range(1, n_towns + 1):
        assert _section_page(result, f"3.{j} ") == first_town + j - 1
    assert list(result.map_pages) == [first_target + 2 * i for i in range(n_targets)] + [
        first_town + j for j in range(n_towns)
    ]
    tops = [page for level, _, page in result.sections if level == 0]
    assert tops == sorted(tops) and tops[-1] <= result.pages
    contents = _layout_text(result.path, 2)  # type: ignore[arg-type]
    for level, title, page in result.sections:
        if level == 1 and title.startswith(("2.", "3.")):
            assert _listed(contents, title, page), (title, page)
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
    for number, pixels in _render(result.path, sample, 0.5).items():  # type: ignore[arg-type]
        assert _not_blank(pixels), f"page {number} is blank"
    target_pages = list(result.map_pages[: len(report.rows)])
    rendered = _render(result.path, target_pages, 1.5)  # type: ignore[arg-type]
    for row, page in zip(report.rows, target_pages, strict=True):
        pixels = rendered[page]
        assert _not_blank(pixels)
        spec = demo_store.spec(row.layer)
        width = pixels.shape[1]
        map_area = pixels[:, : int(width * 0.74)]  # the legend panel is on the right
        present = set(row.features["status"].dropna().astype(str))
        for status in present:
            colour = spec.style.status_colors.get(status)
            if colour:
                assert _has_colour(map_area, colour), (row.key, status, colour, page)
