"""Briefing packs read back: helpers (text, rendered pages, fonts of a PDF), a small store with known answers, the demo store.

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

import numpy as np
import pypdfium2 as pdfium
import pytest
import shapely

from tests._builders import (
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
from ykgeo.report import (
    BriefResult,
    build_brief,
)
from ykgeo.store import DEMO_STORE, TZ, Store

IN_CI = os.environ.get("CI", "").lower() == "true"
#: The demo store to pack (a developer may point this at a store built elsewhere).
DEMO_PATH = Path(os.environ.get("YKGEO_TEST_DEMO_STORE", str(DEMO_STORE)))

# --- helpers ----------------------------------------------------------------------------------


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} (poppler-utils) is required in CI")
        pytest.skip(f"{name} not installed (apt-get install poppler-utils)")
    return path


def page_texts(pdf_path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def render(pdf_path: Path, pages: list[int], scale: float) -> dict[int, np.ndarray]:
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


def not_blank(pixels: np.ndarray) -> bool:
    ink = (pixels.astype(int).sum(axis=2) < 700).mean()
    return bool(ink > 0.005 and pixels.std() > 5)


def hex_rgb(colour: str) -> np.ndarray:
    colour = colour.lstrip("#")
    return np.array([int(colour[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def has_colour(
    pixels: np.ndarray, colour: str, *, tolerance: float = 28.0, minimum: int = 3
) -> bool:
    """Some pixels close to ``colour`` or to it blended over white (fills are translucent)."""
    rgb = pixels.reshape(-1, 3).astype(float)
    base = hex_rgb(colour)
    for alpha in (1.0, 0.9, 0.85, 0.7, 0.55):
        blended = base * alpha + 255.0 * (1 - alpha)
        if (np.linalg.norm(rgb - blended, axis=1) < tolerance).sum() >= minimum:
            return True
    return False


def fonts_table(pdf_path: Path) -> list[list[str]]:
    out = subprocess.run(
        [need_tool("pdffonts"), str(pdf_path)], capture_output=True, text=True, check=True
    )
    return [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]


def layout_text(pdf_path: Path, page: int) -> str:
    """One page as poppler lays it out (columns kept on their lines)."""
    out = subprocess.run(
        [need_tool("pdftotext"), "-layout", "-f", str(page), "-l", str(page), str(pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def listed(contents: str, title: str, page: int) -> bool:
    return re.search(re.escape(title) + r"\s+" + str(page) + r"(\s|$)", contents) is not None


def section_page(result: BriefResult, prefix: str) -> int:
    for _, title, page in result.sections:
        if title.startswith(prefix):
            return page
    raise AssertionError(f"no section {prefix!r} in {result.sections}")


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


def small_store(path: Path, *, demo: bool) -> Store:
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
    complete(store, "P3", dt.date(2022, 8, 1), recorded_at=dt.datetime(2022, 8, 2, 9, tzinfo=TZ))
    return store


def complete(
    store: Store, parcel: str, day: dt.date, *, recorded_at: dt.datetime | None = None
) -> None:
    """Record ``parcel`` as 已完成 on ``day`` (effective that day), recorded at ``recorded_at`` (default now)."""
    store.update_feature(
        "parcels",
        parcel,
        {"状态": "已完成", "完成日期": day.isoformat()},
        user="测试",
        expected_version=None,
        effective_date=day,
        recorded_at=recorded_at,
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, BriefResult]:
    folder = tmp_path_factory.mktemp("small")
    store = small_store(folder / "small.gpkg", demo=True)
    result = build_brief(
        store,
        as_of=dt.date(2022, 9, 30),
        since=dt.date(2022, 6, 30),
        output=folder / "out" / "brief.pdf",
        png_dir=folder / "png",
        dpi=40,
    )
    return store, result
