"""Tests for ykgeo.units: exact 亩 factors, conversions, balanced rounding (强制调平) and number formatting."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ykgeo.units import (
    M2_PER_HA,
    M2_PER_KM2,
    M2_PER_MU,
    MU_PER_HA,
    balanced_round,
    convert_area,
    format_number,
    m2_to_ha,
    m2_to_km2,
    m2_to_mu,
    mu_to_m2,
)

# --- 亩 exactness -------------------------------------------------------------------------------


def test_mu_factor_is_ten_thousand_fifteenths_not_a_rounded_666_67() -> None:
    assert M2_PER_MU == 10000 / 15
    assert Fraction(M2_PER_MU).limit_denominator(1000) == Fraction(2000, 3)
    assert M2_PER_MU != 666.67
    assert MU_PER_HA == 15.0
    assert M2_PER_HA == 10_000.0
    assert M2_PER_KM2 == 1_000_000.0


def test_one_hectare_is_exactly_fifteen_mu() -> None:
    assert m2_to_mu(10_000) == 15.0
    assert convert_area(1, "ha", "mu") == 15.0
    assert convert_area(15, "mu", "ha") == 1.0


def test_one_square_km_is_exactly_1500_mu() -> None:
    assert m2_to_mu(1_000_000) == 1500.0
    assert convert_area(1, "km2", "mu") == 1500.0
    assert convert_area(1500, "mu", "km2") == 1.0


def test_ten_thousand_fifteenths_m2_is_exactly_one_mu() -> None:
    assert m2_to_mu(10000 / 15) == 1.0
    assert mu_to_m2(1) == 10000 / 15
    assert convert_area(10000 / 15, "m2", "mu") == 1.0


def test_a_rounded_666_67_factor_would_be_visibly_wrong() -> None:
    # 10 000 亩 with the rounded factor is off by 0.05 亩: the exact factor must be used.
    assert m2_to_mu(mu_to_m2(10_000)) == pytest.approx(10_000, abs=1e-9)
    assert abs(10_000 * 666.67 * 15 / 10_000 - 10_000) > 0.04


def test_helpers_agree_with_convert_area() -> None:
    values = np.array([0.0, 1.0, 666.6666666666666, 12_345.678, 1e7])
    np.testing.assert_allclose(m2_to_mu(values), convert_area(values, "m2", "mu"), rtol=1e-15)
    np.testing.assert_allclose(m2_to_ha(values), values / 10_000, rtol=1e-15)
    np.testing.assert_allclose(m2_to_km2(values), values / 1e6, rtol=1e-15)


def test_scalar_in_float_out_array_in_array_out() -> None:
    assert isinstance(m2_to_mu(10_000), float)
    out = m2_to_mu([10_000, 20_000])
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, [15.0, 30.0])


@pytest.mark.parametrize(
    ("value", "src", "dst", "expected"),
    [
        (1.0, "ha", "m2", 10_000.0),
        (1.0, "km2", "ha", 100.0),
        (3.0, "mu", "m2", 2000.0),
        (2000.0, "m2", "mu", 3.0),
        (10_000.0, "mu", "ha", 10_000 / 15),
        (1.0, "m2", "m2", 1.0),
    ],
)
def test_convert_area_known_answers(value: float, src: str, dst: str, expected: float) -> None:
    assert convert_area(value, src, dst) == pytest.approx(expected, rel=1e-15)  # type: ignore[arg-type]


def test_convert_area_round_trips_every_unit_pair() -> None:
    units = ("m2", "mu", "ha", "km2")
    for src in units:
        for dst in units:
            there = convert_area(123.456, src, dst)  # type: ignore[arg-type]
            assert convert_area(there, dst, src) == pytest.approx(123.456, rel=1e-14)  # type: ignore[arg-type]


def test_convert_area_refuses_unknown_unit() -> None:
    with pytest.raises(ValueError, match="未知面积单位"):
        convert_area(1.0, "acre", "mu")  # type: ignore[arg-type]


# --- balanced rounding (强制调平) -----------------------------------------------------------------


def test_balanced_round_hand_example_of_three_ties() -> None:
    # Each part sits on a .xx5 tie. The float total 6.015 is 6.01499… in binary and prints as
    # "6.01" (format_number), so exactly one part goes up: the larger part wins the tie.
    out = balanced_round([1.005, 2.005, 3.005])
    np.testing.assert_allclose(out, [1.00, 2.00, 3.01], atol=1e-12)
    assert format_number(float(out.sum())) == format_number(1.005 + 2.005 + 3.005) == "6.01"


def test_balanced_round_thirds_give_the_residue_to_the_first_part() -> None:
    out = balanced_round([100 / 3, 100 / 3, 100 / 3])
    np.testing.assert_allclose(out, [33.34, 33.33, 33.33], atol=1e-12)
    assert round(out.sum(), 2) == 100.0


def test_balanced_round_fixes_what_naive_rounding_breaks() -> None:
    # 亩 in three townships: naive rounding prints 1.01 three times (3.03) under a total of 3.02.
    parts = [1.006, 1.006, 1.006]
    assert round(sum(round(p, 2) for p in parts), 2) == 3.03
    assert round(sum(parts), 2) == 3.02
    out = balanced_round(parts)
    np.testing.assert_allclose(out, [1.01, 1.01, 1.00], atol=1e-12)


@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
def test_balanced_round_sums_to_rounded_total_on_random_cases(decimals: int) -> None:
    rng = np.random.default_rng(20220921 + decimals)
    scale = 10.0**decimals
    for _ in range(2000):
        n = int(rng.integers(1, 40))
        magnitude = 10.0 ** float(rng.integers(-1, 6))
        values = rng.uniform(0.0, magnitude, n)
        out = balanced_round(values, decimals)
        assert out.shape == values.shape
        # the parts add up to the rounded total, compared in whole units of the last decimal
        assert round(out.sum() * scale) == round(round(values.sum(), decimals) * scale)
        # every part moved by less than one unit of the last decimal, and sits on the grid
        assert np.all(np.abs(out - values) < 1.0 / scale + 1e-9)
        np.testing.assert_allclose(out * scale, np.round(out * scale), atol=1e-6)


def test_balanced_round_leaves_already_rounded_values_alone() -> None:
    values = [1.25, 3.5, 10.0, 0.01]
    np.testing.assert_allclose(balanced_round(values), values, atol=1e-12)


def test_balanced_round_empty_and_refusals() -> None:
    assert balanced_round([]).size == 0
    with pytest.raises(ValueError, match="非负"):
        balanced_round([1.0, -0.5])
    with pytest.raises(ValueError, match="非负"):
        balanced_round([1.0, float("nan")])


def test_balanced_parts_add_up_to_the_formatted_total_on_ties() -> None:
    for values in ([1.115, 1.55], [2.665], [2.675], [333.335]):
        parts = balanced_round(values)
        assert format_number(float(parts.sum())) == format_number(float(sum(values))), values


# --- formatting ------------------------------------------------------------------------------------


def test_format_number() -> None:
    assert format_number(12_345.678) == "12,345.68"
    assert format_number(1_234.5, 0, thousands=False) == "1234"
    assert format_number(5000, 2) == "5,000.00"
    assert format_number(float("nan")) == "—"
    assert format_number(None) == "—"  # type: ignore[arg-type]
