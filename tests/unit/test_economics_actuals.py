"""Forecast against actual, pure part: verified employment by month and the forecast's phasing, by hand."""

from datetime import date
from fractions import Fraction

from outcomes.economics.actual_rules import (
    Employment,
    avoided_by_month,
    employed_days_by_month,
    months_between,
    phase_evenly,
)
from outcomes.economics.liability import EXAMPLE_RATES
from outcomes.tracking.rules import BenefitDaysTier

T4 = BenefitDaysTier.T4
JOB = Employment(start=date(2026, 3, 17), end=None, service_start=date(2026, 3, 1), tier=T4)


def test_an_open_job_counts_to_the_cut_off_month_by_month() -> None:
    # 17.–31.3. is 15 days of 31, April whole, 1.–10.5. is 10 of 31.
    days = list(employed_days_by_month(JOB, cutoff=date(2026, 5, 10), horizon_months=12))
    assert days == [("2026-03", 15, 31), ("2026-04", 30, 30), ("2026-05", 10, 31)]
    # A full month avoids 21,5 days × 36,17 € × 40 % = 311,062 € (31 106,2 cents); March 15/31 of it.
    cents = avoided_by_month(JOB, liability=EXAMPLE_RATES, cutoff=date(2026, 5, 10), horizon_months=12)
    assert cents == {
        "2026-03": Fraction(311_062, 10) * Fraction(15, 31),
        "2026-04": Fraction(311_062, 10),
        "2026-05": Fraction(311_062, 10) * Fraction(10, 31),
    }


def test_the_horizon_and_a_reported_end_close_the_job() -> None:
    # Horizon 2 months from the service start 1.3.: the last day is 30.4.
    assert [m for m, *_ in employed_days_by_month(JOB, cutoff=date(2026, 12, 31), horizon_months=2)] == [
        "2026-03",
        "2026-04",
    ]
    ended = Employment(
        start=date(2026, 3, 17), end=date(2026, 4, 10), service_start=date(2026, 3, 1), tier=T4
    )
    assert list(employed_days_by_month(ended, cutoff=date(2026, 12, 31), horizon_months=12)) == [
        ("2026-03", 15, 31),
        ("2026-04", 10, 30),
    ]
    # A job after the cut-off has avoided nothing yet.
    assert list(employed_days_by_month(JOB, cutoff=date(2026, 3, 16), horizon_months=12)) == []


def test_tier_1_avoids_no_municipal_liability() -> None:
    job = Employment(
        start=date(2026, 3, 1), end=None, service_start=date(2026, 3, 1), tier=BenefitDaysTier.T1
    )
    assert avoided_by_month(job, liability=EXAMPLE_RATES, cutoff=date(2026, 3, 31), horizon_months=12) == {
        "2026-03": 0
    }


def test_the_forecast_is_phased_evenly_and_adds_up() -> None:
    assert phase_evenly(1000, first_month=date(2026, 11, 15), months=3) == {
        "2026-11": 334,
        "2026-12": 333,
        "2027-01": 333,
    }
    assert months_between(date(2026, 11, 30), date(2027, 1, 1)) == ["2026-11", "2026-12", "2027-01"]
    assert months_between(date(2027, 1, 1), date(2026, 12, 1)) == []
