"""The embedded CJK font: a TrueType subset covering the text, and a clear error without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ykgeo.report.fonts import cjk_font

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

    from ykgeo.report import fonts

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


def test_the_font_subset_covers_the_labels_printed_from_other_modules() -> None:
    """The subset covers the pack's own modules' labels, and the table headers it takes from progress."""
    from ykgeo.progress.output import RATING_ZH, SUMMARY_HEADER
    from ykgeo.report.data import _source_texts

    text = "".join(_source_texts())
    assert all(label in text for label in (*SUMMARY_HEADER, *RATING_ZH.values()))
    assert "镇街图册" in text and "比例尺" in text  # story.py, draw.py
