"""Integer-cent helpers: the rounding rule, largest-remainder splits, formatting and parsing."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procurement.core.money import (
    NBSP,
    MoneyError,
    apply_bp,
    apply_bp_exact,
    format_eur,
    format_plain,
    fraction_text,
    parse_eur,
    round_half_up,
    split_largest_remainder,
)

FAST = settings(max_examples=100, deadline=None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(7413, 2), 3707),  # 3706.5: half-up, where half-even would give 3706
        (Fraction(7411, 2), 3706),  # 3705.5
        (Fraction(-7413, 2), -3707),  # halves go away from zero
        (Fraction(37064, 10), 3706),
        (Fraction(37066, 10), 3707),
        (Fraction(0), 0),
        (5, 5),
    ],
)
def test_round_half_up(value: Fraction, expected: int) -> None:
    assert round_half_up(value) == expected


@FAST
@given(st.integers(-(10**12), 10**12), st.sampled_from([1, 2, 4, 10, 100, 1000, 10_000, 10**8]))
def test_round_half_up_matches_decimal(numerator: int, denominator: int) -> None:
    expected = int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert round_half_up(Fraction(numerator, denominator)) == expected


def test_apply_bp_rounds_once() -> None:
    # 12355 × 30 % × 100 % = 3706.5 -> 3707
    assert apply_bp(12_355, 3000, 10_000) == 3707
    # 234567 × 30 % × 140 % = 98518.14 -> 98518
    assert apply_bp(234_567, 3000, 14_000) == 98_518


def test_fraction_text() -> None:
    assert fraction_text(Fraction(3, 10)) == "3/10"
    assert fraction_text(4) == "4/1"


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # equal remainders: earlier weight first
        (54_000, [9000, 1000], [48_600, 5_400]),
        (98_518, [9000, 1000], [88_666, 9_852]),  # 88666.2 / 9851.8: the cent goes to .8
        (-100, [1, 1, 1], [-34, -33, -33]),
        (0, [3, 7], [0, 0]),
        (7, [0, 5], [0, 7]),
    ],
)
def test_split_largest_remainder(total: int, weights: list[int], expected: list[int]) -> None:
    assert split_largest_remainder(total, weights) == expected


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_split_refuses_bad_weights(weights: list[int]) -> None:
    with pytest.raises(MoneyError):
        split_largest_remainder(100, weights)


@FAST
@given(st.integers(-(10**11), 10**11), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_split_parts_add_up_and_stay_within_a_cent(total: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        weights = [*weights[:-1], 1]
    parts = split_largest_remainder(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, sum(weights))
        assert abs(part - exact) < 1


@pytest.mark.parametrize(
    ("cents", "finnish", "plain"),
    [
        (123_456, f"1{NBSP}234,56{NBSP}€", "1234.56"),
        (5, f"0,05{NBSP}€", "0.05"),
        (-123_456_789, f"-1{NBSP}234{NBSP}567,89{NBSP}€", "-1234567.89"),
        (100, f"1,00{NBSP}€", "1.00"),
    ],
)
def test_format(cents: int, finnish: str, plain: str) -> None:
    assert format_eur(cents) == finnish
    assert format_plain(cents) == plain
    assert format_plain(cents, decimal_separator=",") == plain.replace(".", ",")


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1234.56", 123_456),
        ("1234,56", 123_456),
        (f"1{NBSP}234,56{NBSP}€", 123_456),
        ("1 234,5 €", 123_450),
        ("\u22121\u202f000 EUR", -100_000),
        ("-0.07", -7),
        ("12", 1200),
    ],
)
def test_parse_eur(text: str, cents: int) -> None:
    assert parse_eur(text) == cents


@pytest.mark.parametrize("text", ["1,234.56", "1.234", "12.345", "abc", "", "1e3", "€"])
def test_parse_eur_refuses(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_eur(text)


@FAST
@given(st.integers(-(10**13), 10**13))
def test_format_parse_round_trip(cents: int) -> None:
    assert parse_eur(format_eur(cents)) == cents
    assert parse_eur(format_plain(cents)) == cents


@FAST
@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=40_000), max_size=3),
)
def test_integer_path_matches_the_fraction_path(cents: int, rates: list[int]) -> None:
    exact = Fraction(cents)
    for rate in rates:
        exact *= Fraction(rate, 10_000)
    assert apply_bp_exact(cents, *rates) == (apply_bp(cents, *rates), fraction_text(exact))
