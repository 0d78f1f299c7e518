"""Forecast against actual, pure part: avoided liability of verified employment by month, forecast phasing."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from outcomes.economics.liability import LiabilityRates
from outcomes.tracking.rules import BenefitDaysTier, add_months
from procurement.core.money import BP_SCALE, split_largest_remainder


def month_of(day: date) -> str:
    """The calendar month of a day as YYYY-MM."""
    return f"{day.year:04d}-{day.month:02d}"


def months_between(first: date, last: date) -> list[str]:
    """Every month from the first day's to the last day's, inclusive (empty when last < first)."""
    out: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass(frozen=True, kw_only=True)
class Employment:
    """A verified job start: from its date to its reported end, within the participant's horizon."""

    start: date
    end: date | None  # the reported end, inclusive; None while none is reported
    service_start: date  # the horizon counts from the participant's service start
    tier: BenefitDaysTier


def employed_days_by_month(
    job: Employment, *, cutoff: date, horizon_months: int
) -> Iterator[tuple[str, int, int]]:
    """(month, employed days in it, days in the month) from the job start to the earliest of its end, the
    cut-off and the end of the horizon; nothing for a job that starts after them."""
    last = min(cutoff, add_months(job.service_start, horizon_months) - timedelta(days=1))
    if job.end is not None:
        last = min(last, job.end)
    day = job.start
    while day <= last:
        month_days = calendar.monthrange(day.year, day.month)[1]
        month_end = date(day.year, day.month, month_days)
        upto = min(month_end, last)
        yield month_of(day), (upto - day).days + 1, month_days
        day = upto + timedelta(days=1)


def avoided_by_month(
    job: Employment, *, liability: LiabilityRates, cutoff: date, horizon_months: int
) -> dict[str, Fraction]:
    """Exact cents of benefit liability a verified job avoided, per month: the employed share of the month ×
    benefit days a month × the daily benefit × the municipality's share for the person's tier."""
    per_month = (
        Fraction(liability.benefit_days_per_month_centi, 100)
        * liability.daily_benefit_cents
        * Fraction(liability.share_bp(job.tier), BP_SCALE)
    )
    return {
        month: per_month * Fraction(days, month_days)
        for month, days, month_days in employed_days_by_month(
            job, cutoff=cutoff, horizon_months=horizon_months
        )
    }


def phase_evenly(total_cents: int, *, first_month: date, months: int) -> dict[str, int]:
    """A forecast total spread evenly over ``months`` months from the first month; parts add up exactly."""
    parts = split_largest_remainder(total_cents, [1] * months)
    return {month_of(add_months(first_month.replace(day=1), i)): part for i, part in enumerate(parts)}
