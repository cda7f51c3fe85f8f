"""Chainage (桩号) parsing, formatting and lengths across 断链 station equations."""

from __future__ import annotations

import pytest

from ykgeo.chainage import (
    Chainage,
    ChainageLine,
    ChainEquation,
    format_chainage,
    parse_chainage,
    parse_equation,
    parse_equations,
    parse_section,
    section_length_km,
    section_length_m,
)
from ykgeo.errors import DataError, YkgeoError


@pytest.mark.parametrize(
    ("text", "metres", "line"),
    [
        ("K12+300", 12300.0, "K"),
        ("K0+000", 0.0, "K"),
        ("K7+814.19", 7814.19, "K"),
        ("k7+814.19", 7814.19, "K"),
        ("ZK3+020.5", 3020.5, "ZK"),
        ("YK1+000", 1000.0, "YK"),
        ("AK0+050", 50.0, "AK"),
        ("K0-100", -100.0, "K"),
        ("K1-100", -1100.0, "K"),
        ("-K0+100", -100.0, "K"),
        ("K0−100", -100.0, "K"),  # U+2212 minus
        ("Ｋ１２＋３００", 12300.0, "K"),  # full-width
        (" K 12 + 300 m ", 12300.0, "K"),
        ("K12+300米", 12300.0, "K"),
        ("K200+500", 200500.0, "K"),
    ],
)
def test_parse_chainage(text: str, metres: float, line: str) -> None:
    got = parse_chainage(text)
    assert got == Chainage(metres, line)
    assert got.metres == metres  # exact: 7814.19, not 7814.1900000000005


@pytest.mark.parametrize(
    "text", ["", "12+300", "K12", "K12+1300", "KK+300", "K12+3a0", "-K0-100", "K+300"]
)
def test_parse_chainage_refuses(text: str) -> None:
    with pytest.raises(DataError, match="桩号"):
        parse_chainage(text)


def test_parse_number_is_metres() -> None:
    assert parse_chainage(1250) == Chainage(1250.0, "K")
    assert parse_chainage(12.5, line="ZK") == Chainage(12.5, "ZK")
    with pytest.raises(DataError):
        parse_chainage(float("nan"))


@pytest.mark.parametrize(
    ("metres", "kwargs", "text"),
    [
        (12300, {}, "K12+300"),
        (0, {}, "K0+000"),
        (7814.19, {}, "K7+814.19"),
        (-100, {}, "K0-100"),
        (-1100, {}, "K1-100"),
        (3020.5, {"line": "ZK"}, "ZK3+020.5"),
        (999.9996, {}, "K1+000"),
        (12300, {"decimals": 2}, "K12+300.00"),
        (5.25, {"decimals": 1}, "K0+005.2"),
    ],
)
def test_format_chainage(metres: float, kwargs: dict[str, object], text: str) -> None:
    assert format_chainage(metres, **kwargs) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["K12+300", "K7+814.19", "K0-100", "ZK3+020.5", "K1-100"])
def test_round_trip(text: str) -> None:
    assert str(parse_chainage(text)) == text


def test_equation_parsing_and_kind() -> None:
    eq = parse_equation("K1+100=K1+080")
    assert eq == ChainEquation(Chainage(1100.0), Chainage(1080.0))
    assert eq.long_chain_m == pytest.approx(20.0)
    assert eq.kind_zh == "长链"
    assert parse_equation("K1+100＝K1+150").kind_zh == "短链"
    # a stated amount is checked against the stations
    assert parse_equation("K1+100=K1+080（长链20m）").long_chain_m == pytest.approx(20.0)
    assert parse_equation("K1+100 = K1+150 短链 50 米").long_chain_m == pytest.approx(-50.0)
    with pytest.raises(DataError, match="长链 30"):
        parse_equation("K1+100=K1+080 长链30m")
    with pytest.raises(DataError, match="线路不同"):
        parse_equation("ZK1+100=YK1+080")
    with pytest.raises(DataError, match="断链"):
        parse_equation("K1+100")
    eqs = parse_equations("K1+100=K1+080；K3+000=K3+050, K5+000=K4+990")
    assert [e.long_chain_m for e in eqs] == pytest.approx([20.0, -50.0, 10.0])
    assert parse_equations(None) == ()
    assert parse_equations("") == ()


def test_section_parsing() -> None:
    assert parse_section("K0+000~K5+600") == (Chainage(0.0), Chainage(5600.0))
    assert parse_section("K0+000～K5+600") == (Chainage(0.0), Chainage(5600.0))
    assert parse_section("ZK1+000 至 ZK2+000") == (Chainage(1000.0, "ZK"), Chainage(2000.0, "ZK"))
    # the minus of a negative station is not a range sign
    assert parse_section("K0-100~K0+200") == (Chainage(-100.0), Chainage(200.0))
    assert parse_section("K0-100-K0+200") == (Chainage(-100.0), Chainage(200.0))
    with pytest.raises(DataError, match="区间"):
        parse_section("K0+000")


def test_length_without_equations() -> None:
    # the conventions' example: K200+500~K350+800 = 150.300 km
    assert section_length_km("K200+500", "K350+800") == pytest.approx(150.3)
    assert section_length_m("K0+000", "K5+600") == pytest.approx(5600.0)
    assert section_length_m("K5+600", "K0+000") == pytest.approx(5600.0)  # order does not matter
    assert section_length_m("K0-100", "K0+200") == pytest.approx(300.0)


def test_long_chain_adds_length() -> None:
    # K1+100 = K1+080: the numbering steps back 20 m, the road is 20 m longer than the numbers say
    eq = ["K1+100=K1+080"]
    assert section_length_m("K0+000", "K2+000", eq) == pytest.approx(2020.0)
    assert section_length_m("K1+200", "K2+000", eq) == pytest.approx(800.0)  # after the break only
    assert section_length_m("K0+500", "K1+050", eq) == pytest.approx(550.0)  # before it only
    line = ChainageLine(eq)
    # K1+090 exists twice: 1090 m and 1110 m from the origin
    assert line.distances_m("K1+090") == pytest.approx([1090.0, 1110.0])
    # a section written across the break: its end is the occurrence after its start
    assert line.length_m("K1+095", "K1+085") == pytest.approx(10.0)
    assert line.station_at(1110.0) == Chainage(1090.0)
    assert line.station_at(500.0) == Chainage(500.0)


def test_short_chain_removes_length_and_gap_stations() -> None:
    eq = "K1+100=K1+150"
    assert section_length_m("K0+000", "K2+000", eq) == pytest.approx(1950.0)
    with pytest.raises(DataError, match="短链缺口"):
        section_length_m("K1+120", "K2+000", eq)


def test_several_equations_and_lines() -> None:
    eqs = "K1+100=K1+080；K3+000=K3+050；ZK2+000=ZK1+990"
    # K line: +20 (long) −50 (short) → 4000 − 30
    assert section_length_m("K0+000", "K4+000", eqs) == pytest.approx(3970.0)
    # the ZK equation belongs to the left line only
    assert section_length_m("ZK0+000", "ZK4+000", eqs) == pytest.approx(4010.0)
    with pytest.raises(DataError, match="同一线路"):
        section_length_m("ZK0+000", "YK1+000")
    with pytest.raises(DataError, match="按里程顺序"):
        ChainageLine(["K3+000=K3+050", "K1+100=K1+080"])
    with pytest.raises(DataError, match="不在线路"):
        ChainageLine(["K1+100=K1+080"]).distance_m("ZK1+000")


def test_errors_are_ykgeo_errors() -> None:
    with pytest.raises(YkgeoError):
        parse_chainage("not a station")
    with pytest.raises(ValueError):  # DataError is also a ValueError
        parse_chainage("K1+2000")
