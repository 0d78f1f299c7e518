"""Pure rules of the registry: working days, decision deadlines, evidence expiry, admission status."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from procurement.core.clock import helsinki_today
from procurement.core.states import machine

APPLICATION_MACHINE = machine(
    "application",
    {
        "submitted": {"extended", "admitted", "partially_admitted", "rejected", "withdrawn"},
        "extended": {"admitted", "partially_admitted", "rejected", "withdrawn"},
    },
)
ADMISSION_MACHINE = machine(
    "admission",
    {"active": {"suspended", "excluded"}, "suspended": {"active", "excluded"}},
)
PENDING_STATES = frozenset({"submitted", "extended"})


@lru_cache(maxsize=64)
def _finnish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FI", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Finnish public holiday (Christmas Eve and Midsummer Eve included)."""
    return day.weekday() < 5 and day not in _finnish_holidays(day.year)


def next_working_day(day: date) -> date:
    """The day itself if it is a working day, else the next one."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(start: date, count: int) -> date:
    """The working day `count` working days after `start` (start itself not counted)."""
    day = start
    for _ in range(count):
        day = next_working_day(day + timedelta(days=1))
    return day


def decision_due(received_on: date, working_days: int) -> date:
    """Decision deadline: the receipt day is not counted; the first working day after it is day 1."""
    # SPEC 4.1: received Fri 27.11.2026, Sat 28.11. or Sun 29.11.: due Fri 11.12.2026 in each case.
    return add_working_days(received_on, working_days)


@dataclass(frozen=True)
class EvidenceFact:
    """A supplier's newest evidence of one type, with the DPS's maximum age for that type."""

    type_code: str
    issued_on: date
    valid_until: date
    max_age_days: int

    @property
    def expires_on(self) -> date:
        """The last day the evidence counts: its own validity or its maximum age, whichever is first."""
        return min(self.valid_until, self.issued_on + timedelta(days=self.max_age_days))


def evidence_problems(
    *, required: Iterable[str], held: Iterable[EvidenceFact], on: date, within_days: int = 0
) -> list[str]:
    """What is missing, expired or expiring within the window on the day (empty: all in order)."""
    newest: dict[str, EvidenceFact] = {}
    for fact in held:
        if fact.type_code not in newest or fact.issued_on > newest[fact.type_code].issued_on:
            newest[fact.type_code] = fact
    problems = []
    horizon = on + timedelta(days=within_days)
    for code in sorted(set(required)):
        current = newest.get(code)
        if current is None:
            problems.append(f"{code}: missing")
        elif current.expires_on < on:
            problems.append(f"{code}: expired on {current.expires_on.isoformat()}")
        elif current.expires_on < horizon:
            problems.append(f"{code}: expires on {current.expires_on.isoformat()}")
    return problems


def effective_admission_state(*, state: str, suspended_until: date | None, on: date) -> str:
    """A suspension ends by itself after its last day."""
    if state == "suspended" and suspended_until is not None and suspended_until < on:
        return "active"
    return state


@dataclass(frozen=True)
class StatusInterval:
    """One interval of an admission's history; `valid_to` None while it lasts."""

    state: str
    valid_from: datetime
    valid_to: datetime | None
    suspended_until: date | None
    reason: str | None


def standing_at(intervals: Iterable[StatusInterval], *, at: datetime) -> tuple[str, str | None]:
    """The status the intervals give at the instant (a suspension lapses after its last Helsinki day).

    ('not_admitted', reason) before the first interval. Intervals of one admission never overlap.
    """
    for interval in intervals:
        if interval.valid_from <= at and (interval.valid_to is None or at < interval.valid_to):
            state = effective_admission_state(
                state=interval.state, suspended_until=interval.suspended_until, on=helsinki_today(at)
            )
            if state == "suspended":
                return state, f"suspended until {interval.suspended_until}: {interval.reason}"
            if state == "excluded":
                return state, f"excluded: {interval.reason}"
            return state, None
    return "not_admitted", "not admitted to the category"


def decision_outcome(*, admitted: set[str], rejected: set[str]) -> str:
    """The application's state after a decision on every category it asked for."""
    if admitted and rejected:
        return "partially_admitted"
    return "admitted" if admitted else "rejected"
