"""Pure rules of the qualifying next step (SPEC 4.4): flow-through terms, a start and its candidate steps."""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from outcomes.tracking.rules import (
    NEXT_STEP_TYPES,
    RUNG_REQUIRED,
    NeutralExitKind,
    OutcomeEventType,
    Rung,
    is_step_up,
)


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
    """A neutral exit and the day it happened; it counts only once an officer has verified it."""

    kind: NeutralExitKind
    on: date
    verified: bool = True  # False: reported by the supplier, not yet verified (SPEC 4.4)


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
    # Days are counted inclusively: a step held 1.1.–30.1. lasted 30 days.
    if (held_until - step.start).days + 1 >= config.persistence_days:
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
