"""Pure outcome rules: categories, event types, components, tiers, the service ladder and state machines."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

from procurement.core.states import StateMachine, machine


class Category(StrEnum):
    """Registry outcome category (SPEC §3)."""

    EMPLOYMENT = "EMPLOYMENT"
    COMPETENCE = "COMPETENCE"
    INCLUSION = "INCLUSION"


class PaymentComponent(StrEnum):
    """Part of the unit price paid on an event (SPEC §4.5)."""

    START = "start"
    A = "outcome_a"
    B = "outcome_b"
    C = "outcome_c"


class OutcomeEventType(StrEnum):
    """Outcome event reported by a supplier or recorded from a register."""

    SERVICE_START = "service_start"
    EMPLOYMENT_START = "employment_start"
    SELF_EMPLOYMENT_START = "self_employment_start"
    EMPLOYED_3_MONTHS = "employed_3_months"
    EMPLOYED_6_MONTHS = "employed_6_months"
    # Studies or training *with a study right*; training without one is a ladder step.
    STUDIES_STARTED = "studies_started"
    QUALIFICATION_COMPLETED = "qualification_completed"
    JOB_OR_STUDIES_WITHIN_180_DAYS = "job_or_studies_within_180_days"
    NEXT_SERVICE_STEP = "next_service_step"
    STEP_UP_HELD_30_DAYS = "step_up_held_30_days"
    SECOND_STEP_OR_CATEGORY_ENTRY = "second_step_or_category_entry"


_ET = OutcomeEventType
_PC = PaymentComponent

# None = allowed (it feeds flow-through) but earns no component in this category.
EVENT_COMPONENTS: Mapping[Category, Mapping[OutcomeEventType, PaymentComponent | None]] = MappingProxyType(
    {
        Category.EMPLOYMENT: MappingProxyType(
            {
                _ET.SERVICE_START: _PC.START,
                _ET.EMPLOYMENT_START: _PC.A,
                # Self-employment is a job start for payment as well as for flow-through.
                _ET.SELF_EMPLOYMENT_START: _PC.A,
                _ET.EMPLOYED_3_MONTHS: _PC.B,
                _ET.EMPLOYED_6_MONTHS: _PC.C,
                _ET.STUDIES_STARTED: None,
                _ET.NEXT_SERVICE_STEP: None,
            }
        ),
        Category.COMPETENCE: MappingProxyType(
            {
                _ET.SERVICE_START: _PC.START,
                _ET.QUALIFICATION_COMPLETED: _PC.A,
                _ET.JOB_OR_STUDIES_WITHIN_180_DAYS: _PC.B,
                _ET.EMPLOYMENT_START: None,
                _ET.SELF_EMPLOYMENT_START: None,
                _ET.STUDIES_STARTED: None,
                _ET.NEXT_SERVICE_STEP: None,
            }
        ),
        Category.INCLUSION: MappingProxyType(
            {
                _ET.SERVICE_START: _PC.START,
                _ET.STEP_UP_HELD_30_DAYS: _PC.A,
                _ET.SECOND_STEP_OR_CATEGORY_ENTRY: _PC.B,
                _ET.EMPLOYMENT_START: None,
                _ET.SELF_EMPLOYMENT_START: None,
                _ET.STUDIES_STARTED: None,
                _ET.NEXT_SERVICE_STEP: None,
            }
        ),
    }
)

# Event types that can be a qualifying next step for flow-through (SPEC §4.4).
NEXT_STEP_TYPES: frozenset[OutcomeEventType] = frozenset(
    {_ET.EMPLOYMENT_START, _ET.SELF_EMPLOYMENT_START, _ET.STUDIES_STARTED, _ET.NEXT_SERVICE_STEP}
)
# A ladder step is meaningless without the rung it lands on.
RUNG_REQUIRED: frozenset[OutcomeEventType] = frozenset({_ET.NEXT_SERVICE_STEP})


# Sustainment outcomes belong to the employment episode that a verified job start of the referral opened.
SUSTAINMENT: frozenset[OutcomeEventType] = frozenset({_ET.EMPLOYED_3_MONTHS, _ET.EMPLOYED_6_MONTHS})
JOB_STARTS: frozenset[OutcomeEventType] = frozenset({_ET.EMPLOYMENT_START, _ET.SELF_EMPLOYMENT_START})


def add_months(day: date, months: int) -> date:
    """The same day of the month n months later, or that month's last day (31.1. + 1 month = 28.2.)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, kw_only=True)
class MetricWindows:
    """When an outcome can have happened (SPEC 4.4; anchors §6.3 give the upper bounds)."""

    # "3 months employed" is reached 3 months after the job start and counted within 4 (wages ≥ 3 × E_min
    # within 4 months); "6 months employed" 6 months after it, within 8.
    employed_3_months: tuple[int, int] = (3, 4)
    employed_6_months: tuple[int, int] = (6, 8)
    within_days: int = 180  # "job or further studies within 180 days" of the service start


DEFAULT_WINDOWS = MetricWindows()


def metric_window(
    *,
    event_type: OutcomeEventType,
    job_start: date | None,
    service_start: date,
    windows: MetricWindows = DEFAULT_WINDOWS,
) -> tuple[date, date] | None:
    """The first and last day an outcome of this type may be dated, or None when its metric has no window."""
    if event_type in SUSTAINMENT:
        if job_start is None:
            raise ValueError("a sustainment outcome is counted from its job start")
        low, high = (
            windows.employed_3_months if event_type is _ET.EMPLOYED_3_MONTHS else windows.employed_6_months
        )
        return add_months(job_start, low), add_months(job_start, high)
    if event_type is _ET.JOB_OR_STUDIES_WITHIN_180_DAYS:
        return service_start, service_start + timedelta(days=windows.within_days)
    return None


class EventTypeNotAllowed(Exception):
    """The event type is not defined for the contract's category."""

    def __init__(self, *, category: str, event_type: str) -> None:
        self.category = category
        self.event_type = event_type
        super().__init__(f"event type '{event_type}' is not allowed in category '{category}'")


def allowed_event_types(*, category: Category) -> frozenset[OutcomeEventType]:
    """Event types that may be recorded for a referral in this category."""
    return frozenset(EVENT_COMPONENTS[category])


def payment_component(*, category: Category, event_type: OutcomeEventType) -> PaymentComponent | None:
    """Payment component an event earns in a category; raises if the type is not allowed there."""
    components = EVENT_COMPONENTS[category]
    if event_type not in components:
        raise EventTypeNotAllowed(category=category, event_type=event_type)
    return components[event_type]


class NeutralExitKind(StrEnum):
    """Exit that removes a start from both sides of flow-through (SPEC §4.4)."""

    MOVED_AWAY = "moved_away"
    DEATH = "death"
    PENSION = "pension"
    LONG_SICKNESS = "long_sickness"
    PARENTAL_LEAVE = "parental_leave"
    CONSCRIPT_SERVICE = "conscript_service"


class ReferralEndReason(StrEnum):
    """Why a started referral ended."""

    COMPLETED = "completed"
    INTERRUPTED = "interrupted"
    NEUTRAL_EXIT = "neutral_exit"


class BenefitDaysTier(StrEnum):
    """Tier of unemployment-benefit days at referral; drives the payment multiplier."""

    T1 = "T1"
    T2 = "T2"
    T3 = "T3"
    T4 = "T4"


# Inclusive upper bounds; the last tier is open-ended.
TIER_UPPER_BOUNDS: tuple[tuple[BenefitDaysTier, int | None], ...] = (
    (BenefitDaysTier.T1, 100),
    (BenefitDaysTier.T2, 200),
    (BenefitDaysTier.T3, 300),
    (BenefitDaysTier.T4, None),
)


def benefit_days_tier(*, days: int) -> BenefitDaysTier:
    """Tier for a count of benefit days: T1 ≤100, T2 101–200, T3 201–300, T4 301+."""
    if days < 0:
        raise ValueError(f"benefit days cannot be negative: {days}")
    for tier, upper in TIER_UPPER_BOUNDS:
        if upper is None or days <= upper:
            return tier
    raise AssertionError("unreachable: the last tier is open-ended")


class Rung(StrEnum):
    """Rung of the service ladder, listed from lowest to highest."""

    REHABILITATIVE_WORK_ACTIVITY = "rehabilitative_work_activity"
    WORK_TRIAL = "work_trial"
    TRAINING = "training"
    PAY_SUBSIDISED_WORK = "pay_subsidised_work"
    OPEN_LABOUR_MARKET = "open_labour_market"


SERVICE_LADDER: tuple[Rung, ...] = tuple(Rung)


def rung_level(rung: Rung) -> int:
    """Position of a rung on the ladder, 0 = lowest."""
    return SERVICE_LADDER.index(rung)


def is_step_up(*, current: Rung, target: Rung) -> bool:
    """True only for a strictly higher rung; sideways and down are not steps."""
    return rung_level(target) > rung_level(current)


# --- State machines -------------------------------------------------------------------------


class OutcomeEventState(StrEnum):
    """Lifecycle of an outcome event (SPEC §7)."""

    REPORTED = "reported"
    VERIFIED = "verified"
    PAYABLE = "payable"
    PAID = "paid"
    REJECTED = "rejected"
    VOIDED = "voided"
    AWAITING_CLAWBACK = "awaiting_clawback"
    CLAWED_BACK = "clawed_back"


class ReferralState(StrEnum):
    """Lifecycle of a referral (SPEC §7)."""

    REFERRED = "referred"
    STARTED = "started"
    ENDED = "ended"


_OS = OutcomeEventState
OUTCOME_EVENT_MACHINE = machine(
    "outcome event",
    {
        _OS.REPORTED: {_OS.VERIFIED, _OS.REJECTED},
        _OS.VERIFIED: {_OS.PAYABLE, _OS.VOIDED},
        _OS.PAYABLE: {_OS.PAID, _OS.VOIDED},
        # A paid event is never voided in place: the money is recovered by a later line.
        _OS.PAID: {_OS.AWAITING_CLAWBACK},
        _OS.AWAITING_CLAWBACK: {_OS.CLAWED_BACK},
    },
    initial=_OS.REPORTED,
)

REFERRAL_MACHINE = machine(
    "referral",
    {ReferralState.REFERRED: {ReferralState.STARTED}, ReferralState.STARTED: {ReferralState.ENDED}},
    initial=ReferralState.REFERRED,
)

_STATE_TYPES: dict[str, type[StrEnum]] = {"outcome event": OutcomeEventState, "referral": ReferralState}


def transition(*, machine: StateMachine, current: str, target: str) -> StrEnum:
    """Return ``target`` as a state if the move is allowed; raise IllegalTransition otherwise."""
    # Unknown names are a programming or schema error (ValueError), not a conflict.
    state_type = _STATE_TYPES[machine.thing]
    cur, tgt = state_type(current), state_type(target)
    machine.check(cur, tgt)
    return tgt
