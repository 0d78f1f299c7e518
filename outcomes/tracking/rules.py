"""Pure outcome rules: categories, event types, state machines and the qualifying next step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Generic, TypeVar


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

S = TypeVar("S", bound=StrEnum)


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


@dataclass(frozen=True)
class StateMachine(Generic[S]):
    """Named states and the allowed (from, to) edges between them."""

    name: str
    state_type: type[S]
    initial: S
    edges: frozenset[tuple[S, S]]

    def targets(self, current: S) -> frozenset[S]:
        """States reachable in one step from ``current``."""
        return frozenset(to for frm, to in self.edges if frm == current)

    def terminal_states(self) -> frozenset[S]:
        """States with no way out."""
        return frozenset(s for s in self.state_type if not self.targets(s))


class IllegalTransition(Exception):
    """A state change the machine does not allow; the web layer answers 409."""

    def __init__(self, *, machine: str, current: str, target: str) -> None:
        self.machine = machine
        self.current = current
        self.target = target
        super().__init__(f"{machine} is '{current}'; cannot move to '{target}'")


_OS = OutcomeEventState
OUTCOME_EVENT_MACHINE: StateMachine[OutcomeEventState] = StateMachine(
    name="outcome event",
    state_type=OutcomeEventState,
    initial=_OS.REPORTED,
    edges=frozenset(
        {
            (_OS.REPORTED, _OS.VERIFIED),
            (_OS.VERIFIED, _OS.PAYABLE),
            (_OS.PAYABLE, _OS.PAID),
            (_OS.REPORTED, _OS.REJECTED),
            (_OS.VERIFIED, _OS.VOIDED),
            (_OS.PAYABLE, _OS.VOIDED),
            # A paid event is never voided in place: the money is recovered by a later line.
            (_OS.PAID, _OS.AWAITING_CLAWBACK),
            (_OS.AWAITING_CLAWBACK, _OS.CLAWED_BACK),
        }
    ),
)

REFERRAL_MACHINE: StateMachine[ReferralState] = StateMachine(
    name="referral",
    state_type=ReferralState,
    initial=ReferralState.REFERRED,
    edges=frozenset(
        {
            (ReferralState.REFERRED, ReferralState.STARTED),
            (ReferralState.STARTED, ReferralState.ENDED),
        }
    ),
)


def transition(*, machine: StateMachine[S], current: str, target: str) -> S:
    """Return ``target`` as a state if the move is allowed; raise IllegalTransition otherwise."""
    # Unknown names are a programming or schema error (ValueError), not a conflict.
    cur = machine.state_type(current)
    tgt = machine.state_type(target)
    if (cur, tgt) not in machine.edges:
        raise IllegalTransition(machine=machine.name, current=cur.value, target=tgt.value)
    return tgt


# --- Qualifying next step -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FlowThroughConfig:
    """Flow-through terms (SPEC §4.4 design decision; all configurable)."""

    horizon_days: int = 90
    persistence_days: int = 30
    target_bp: int = 8000
    small_cell_threshold: int = 5
    prior_weight_starts: int = 20

    def __post_init__(self) -> None:
        if self.horizon_days < 1 or self.persistence_days < 0:
            raise ValueError("horizon must be ≥ 1 day and persistence ≥ 0 days")
        if not 0 <= self.target_bp <= 10_000:
            raise ValueError(f"target must be 0–10000 bp, got {self.target_bp}")
        if self.small_cell_threshold < 1 or self.prior_weight_starts < 0:
            raise ValueError("small-cell threshold must be ≥ 1 and prior weight ≥ 0")


DEFAULT_CONFIG = FlowThroughConfig()


@dataclass(frozen=True, kw_only=True)
class NextStep:
    """A candidate next step after a start: a job, studies or a service on the ladder."""

    event_type: OutcomeEventType
    start: date
    end: date | None = None
    rung: Rung | None = None
    # Set when the register shows the job (or service) already existed before the referral.
    pre_dates_referral: bool = False

    def __post_init__(self) -> None:
        if self.event_type in RUNG_REQUIRED and self.rung is None:
            raise ValueError(f"a {self.event_type} needs the rung it lands on")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"next step ends ({self.end}) before it starts ({self.start})")


@dataclass(frozen=True, kw_only=True)
class NeutralExit:
    """A neutral exit and the day it happened."""

    kind: NeutralExitKind
    on: date


@dataclass(frozen=True, kw_only=True)
class Start:
    """A started referral as flow-through sees it."""

    referral_id: str
    referral_date: date
    start_date: date
    # None: the participant's rung is unknown, so no ladder step can be judged a step up.
    current_rung: Rung | None
    neutral_exit: NeutralExit | None = None
    next_steps: tuple[NextStep, ...] = ()

    def __post_init__(self) -> None:
        if self.start_date < self.referral_date:
            raise ValueError(f"referral {self.referral_id} starts before it was referred")


class StepVerdict(StrEnum):
    """Why a next step does or does not qualify; checked in this order."""

    QUALIFIES = "qualifies"
    NOT_A_NEXT_STEP = "not_a_next_step"
    PRE_EXISTING = "pre_existing"
    OUTSIDE_WINDOW = "outside_window"
    NOT_A_STEP_UP = "not_a_step_up"
    TOO_SHORT = "too_short"
    NOT_YET_PERSISTED = "not_yet_persisted"


def judge_step(
    *, start: Start, step: NextStep, cutoff: date, config: FlowThroughConfig = DEFAULT_CONFIG
) -> StepVerdict:
    """Judge one next step against SPEC §4.4; the window is (start, start + horizon], both in days."""
    if step.event_type not in NEXT_STEP_TYPES:
        return StepVerdict.NOT_A_NEXT_STEP
    if step.pre_dates_referral or step.start < start.referral_date:
        return StepVerdict.PRE_EXISTING
    if not start.start_date < step.start <= start.start_date + timedelta(days=config.horizon_days):
        return StepVerdict.OUTSIDE_WINDOW
    if step.rung is not None and start.current_rung is not None:
        # Pass-the-parcel guard: only a strictly higher rung is progress. Jobs and studies that sit
        # on the ladder (e.g. another pay-subsidised job) obey it too.
        if not is_step_up(current=start.current_rung, target=step.rung):
            return StepVerdict.NOT_A_STEP_UP
    elif step.event_type in RUNG_REQUIRED:
        # Without the participant's rung a ladder step cannot be shown to be a step up.
        return StepVerdict.NOT_A_STEP_UP
    held_until = step.end if step.end is not None and step.end <= cutoff else cutoff
    if held_until - step.start >= timedelta(days=config.persistence_days):
        return StepVerdict.QUALIFIES
    # Only what is known by the cut-off counts: an end date after it is not yet a fact.
    if step.end is not None and step.end <= cutoff:
        return StepVerdict.TOO_SHORT
    return StepVerdict.NOT_YET_PERSISTED


def first_qualifying_step(
    *, start: Start, cutoff: date, config: FlowThroughConfig = DEFAULT_CONFIG
) -> NextStep | None:
    """Earliest-starting qualifying next step of a start, or None."""
    qualifying = [
        s
        for s in start.next_steps
        if judge_step(start=start, step=s, cutoff=cutoff, config=config) is StepVerdict.QUALIFIES
    ]
    return min(qualifying, key=lambda s: s.start, default=None)
