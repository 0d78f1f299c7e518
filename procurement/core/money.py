"""Integer-cent money: exact rounding, largest-remainder splits, euro formatting and parsing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from math import gcd

BP_SCALE = 10_000  # basis points in one whole
ROUNDING_RULE = "half-up"  # halves away from zero, like Excel's ROUND and Decimal's ROUND_HALF_UP
NBSP = "\u00a0"  # CLDR fi grouping separator and the space before "€"

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]")
_PLAIN = re.compile(r"^[+-]?(\d+)(\.(\d{1,2}))?$")


class MoneyError(ValueError):
    """A euro string or split request that cannot be turned into exact cents."""


def round_half_up(value: Fraction | int) -> int:
    """Round an exact value to an integer, halves away from zero (the project's one rounding rule)."""
    value = Fraction(value)
    if value < 0:
        return -round_half_up(-value)
    whole, rest = divmod(value.numerator, value.denominator)
    return whole + 1 if 2 * rest >= value.denominator else whole


def bp(rate_bp: int) -> Fraction:
    """A basis-point rate as an exact fraction of one."""
    return Fraction(rate_bp, BP_SCALE)


def apply_bp(amount_cents: int, *rates_bp: int) -> int:
    """Cents times one or more basis-point rates, rounded once at the end."""
    value = Fraction(amount_cents)
    for rate in rates_bp:
        value *= bp(rate)
    return round_half_up(value)


def apply_bp_exact(amount_cents: int, *rates_bp: int) -> tuple[int, str]:
    """``apply_bp`` and the exact product as ``fraction_text`` writes it, in integers (a hot path)."""
    numerator, denominator = amount_cents, 1
    for rate in rates_bp:
        numerator *= rate
        denominator *= BP_SCALE
    common = gcd(numerator, denominator)
    numerator, denominator = numerator // common, denominator // common
    whole, rest = divmod(abs(numerator), denominator)
    rounded = whole + 1 if 2 * rest >= denominator else whole
    return (-rounded if numerator < 0 else rounded), f"{numerator}/{denominator}"


def fraction_text(value: Fraction | int) -> str:
    """An exact value as "n/d" for traces and JSON (never a float)."""
    value = Fraction(value)
    return f"{value.numerator}/{value.denominator}"


def split_largest_remainder(total_cents: int, weights: Sequence[int]) -> list[int]:
    """Split cents in proportion to non-negative integer weights; parts add up exactly.

    Each part gets the floor of its exact quota and the leftover cents go one each to the largest
    remainders; equal remainders favour the earlier weight, so the split is deterministic.
    """
    if not weights:
        raise MoneyError("cannot split over no weights")
    if any(w < 0 for w in weights):
        raise MoneyError(f"weights must be non-negative: {list(weights)}")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise MoneyError("weights must not all be zero")
    if total_cents < 0:
        # Mirror the positive split so a clawback reverses its original line cent for cent.
        return [-part for part in split_largest_remainder(-total_cents, weights)]
    floors = [total_cents * w // weight_sum for w in weights]
    remainders = [total_cents * w % weight_sum for w in weights]
    leftover = total_cents - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return floors


def _split_cents(cents: int) -> tuple[str, int, int]:
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return sign, whole, rest


def format_plain(cents: int, *, decimal_separator: str = ".") -> str:
    """Cents as a plain number without grouping: 123456 -> "1234.56" (or "1234,56")."""
    sign, whole, rest = _split_cents(cents)
    return f"{sign}{whole}{decimal_separator}{rest:02d}"


def format_eur(cents: int) -> str:
    """Cents in Finnish display form: 123456 -> "1 234,56 €" with no-break spaces."""
    sign, whole, rest = _split_cents(cents)
    grouped = f"{whole:,}".replace(",", NBSP)
    return f"{sign}{grouped},{rest:02d}{NBSP}€"


def parse_eur(text: str) -> int:
    """Parse a euro amount in Finnish ("1 234,56 €") or plain ("1234.56") form to exact cents.

    A string with both "," and "." is refused as ambiguous, and so is a third decimal: money is
    never rounded silently at an edge.
    """
    cleaned = _SPACES.sub("", text).replace("€", "").replace("EUR", "").replace("\u2212", "-")
    if "," in cleaned and "." in cleaned:
        raise MoneyError(f"ambiguous euro amount (both ',' and '.'): {text!r}")
    cleaned = cleaned.replace(",", ".")
    if not _PLAIN.match(cleaned):
        raise MoneyError(f"not a euro amount with at most two decimals: {text!r}")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
        raise MoneyError(f"not a euro amount: {text!r}") from exc
    return int(value.scaleb(2))
