"""Laying out a map: the scale bar's length and ratio."""

from __future__ import annotations


def test_scale_bar_arithmetic() -> None:
    from ykgeo.report.draw import _nice_length, _scale_text

    assert _nice_length(7300) == 5000
    assert _nice_length(1999) == 1000
    assert _nice_length(0.3) == 0.2
    # 0.01 pt per metre: 1 pt = 0.3528 mm on paper stands for 100 m → 1:283,465
    assert _scale_text(0.01) == "比例尺 1:283,000"
