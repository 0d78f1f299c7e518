"""The reference model's vocabulary: the default EMPLOYMENT payment model as constants, rounding, records."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

SHARE = {
    "service_start": 3000,
    "employment_start": 1500,
    "employed_3_months": 2500,
    "employed_6_months": 3000,
}
COMPONENT = {
    "service_start": "start",
    "employment_start": "outcome_a",
    "employed_3_months": "outcome_b",
    "employed_6_months": "outcome_c",
}
MULTIPLIER = {"T1": 7500, "T2": 10_000, "T3": 12_000, "T4": 14_000}
NEXT_STEPS = ("employment_start", "self_employment_start", "studies_started", "next_service_step")
STANDING = ("payable", "paid")
COUNTED = ("verified", "payable", "paid")
TARGET = Fraction(8, 10)


def ninety_ten(allowed: int) -> tuple[int, int]:
    """90 / 10 by largest remainder: floors, then a leftover cent to the larger remainder (paid on a tie)."""
    to_pay, to_hold = Fraction(allowed * 9, 10), Fraction(allowed, 10)
    paid, withheld = math.floor(to_pay), math.floor(to_hold)
    if paid + withheld < allowed:
        if to_pay - paid >= to_hold - withheld:
            paid += 1
        else:
            withheld += 1
    return paid, withheld


def half_up(x: Fraction) -> int:
    """Round an exact amount to whole cents, halves away from zero."""
    if x < 0:
        return -half_up(-x)
    return math.floor(x + Fraction(1, 2))


@dataclass
class Event:
    name: str
    ref: int
    kind: str
    on: date
    episode: date
    state: str = "reported"
    verified_at: datetime | None = None


@dataclass
class Referral:
    ref: int
    person: int
    contract: int
    referred: date
    start: date | None = None
    end_reason: str | None = None
    ended_on: date | None = None
    exit_verified: bool = False


@dataclass
class Line:
    period: tuple[int, int]
    contract: int
    person: int
    ref: int
    event: str
    kind: str
    component: str
    status: str
    amount: int
    unpaid: int
    committed: int
    key: tuple[int, str, date] | None = None
    corrected: bool = False
