"""Outcome rules and the flow-through metric (SPEC §4.4, §4.5, §7)."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.flowthrough.rules import (
    Dimension,
    FlowThroughCell,
    Rating,
    StartStatus,
    TaggedStart,
    classify_start,
    flow_through,
    flow_through_by,
    half_up,
    pooled_rate,
    public_cell,
    rate_against_target,
    track_record_score,
    track_record_scores,
    wilson_interval,
)
from outcomes.flowthrough.steps import (
    FlowThroughConfig,
    NeutralExit,
    NextStep,
    Start,
    StepVerdict,
    first_qualifying_step,
    judge_step,
)
from outcomes.tracking.rules import (
    OUTCOME_EVENT_MACHINE,
    REFERRAL_MACHINE,
    SERVICE_LADDER,
    BenefitDaysTier,
    Category,
    EventTypeNotAllowed,
    NeutralExitKind,
    OutcomeEventState,
    OutcomeEventType,
    PaymentComponent,
    ReferralState,
    Rung,
    allowed_event_types,
    benefit_days_tier,
    is_step_up,
    payment_component,
    transition,
)
from procurement.core.errors import IllegalTransition
from procurement.core.states import StateMachine

ET = OutcomeEventType
D0 = date(2025, 1, 1)


def day(n: int) -> date:
    """The date n days after D0."""
    return D0 + timedelta(days=n)


def job(on: int, *, end: int | None = None, pre: bool = False, rung: Rung | None = None) -> NextStep:
    """An employment start on day ``on``."""
    return NextStep(
        event_type=ET.EMPLOYMENT_START,
        start=day(on),
        end=None if end is None else day(end),
        rung=rung,
        pre_dates_referral=pre,
    )


def ladder(on: int, rung: Rung, *, end: int | None = None) -> NextStep:
    """A next service on the ladder starting on day ``on``."""
    return NextStep(
        event_type=ET.NEXT_SERVICE_STEP, start=day(on), end=None if end is None else day(end), rung=rung
    )


def make_start(
    *,
    rid: str = "r1",
    on: int = 0,
    rung: Rung | None = Rung.WORK_TRIAL,
    steps: tuple[NextStep, ...] = (),
    exit_kind: NeutralExitKind | None = None,
    exit_on: int | None = None,
) -> Start:
    """A start on day ``on``, referred five days earlier."""
    neutral = None if exit_kind is None or exit_on is None else NeutralExit(kind=exit_kind, on=day(exit_on))
    return Start(
        referral_id=rid,
        referral_date=day(on - 5),
        start_date=day(on),
        current_rung=rung,
        neutral_exit=neutral,
        next_steps=steps,
    )


# --- Enumerations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "tier"),
    [
        (0, BenefitDaysTier.T1),
        (100, BenefitDaysTier.T1),
        (101, BenefitDaysTier.T2),
        (200, BenefitDaysTier.T2),
        (201, BenefitDaysTier.T3),
        (300, BenefitDaysTier.T3),
        (301, BenefitDaysTier.T4),
        (5000, BenefitDaysTier.T4),
    ],
)
def test_benefit_days_tier_boundaries(days: int, tier: BenefitDaysTier) -> None:
    assert benefit_days_tier(days=days) is tier


def test_negative_benefit_days_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        benefit_days_tier(days=-1)


def test_service_ladder_order() -> None:
    assert [r.value for r in SERVICE_LADDER] == [
        "rehabilitative_work_activity",
        "work_trial",
        "training",
        "pay_subsidised_work",
        "open_labour_market",
    ]
    assert is_step_up(current=Rung.WORK_TRIAL, target=Rung.TRAINING) is True
    assert is_step_up(current=Rung.WORK_TRIAL, target=Rung.WORK_TRIAL) is False
    assert is_step_up(current=Rung.TRAINING, target=Rung.WORK_TRIAL) is False
    assert is_step_up(current=Rung.REHABILITATIVE_WORK_ACTIVITY, target=Rung.OPEN_LABOUR_MARKET) is True


PAID_EVENTS = [
    (Category.EMPLOYMENT, ET.SERVICE_START, PaymentComponent.START),
    (Category.EMPLOYMENT, ET.EMPLOYMENT_START, PaymentComponent.A),
    (Category.EMPLOYMENT, ET.SELF_EMPLOYMENT_START, PaymentComponent.A),
    (Category.EMPLOYMENT, ET.EMPLOYED_3_MONTHS, PaymentComponent.B),
    (Category.EMPLOYMENT, ET.EMPLOYED_6_MONTHS, PaymentComponent.C),
    (Category.COMPETENCE, ET.SERVICE_START, PaymentComponent.START),
    (Category.COMPETENCE, ET.QUALIFICATION_COMPLETED, PaymentComponent.A),
    (Category.COMPETENCE, ET.JOB_OR_STUDIES_WITHIN_180_DAYS, PaymentComponent.B),
    (Category.INCLUSION, ET.SERVICE_START, PaymentComponent.START),
    (Category.INCLUSION, ET.STEP_UP_HELD_30_DAYS, PaymentComponent.A),
    (Category.INCLUSION, ET.SECOND_STEP_OR_CATEGORY_ENTRY, PaymentComponent.B),
]


@pytest.mark.parametrize(("category", "event_type", "component"), PAID_EVENTS)
def test_payment_component_per_category(
    category: Category, event_type: OutcomeEventType, component: PaymentComponent
) -> None:
    assert payment_component(category=category, event_type=event_type) is component


def test_every_category_records_flow_through_steps_without_paying_for_them_twice() -> None:
    next_steps = {ET.EMPLOYMENT_START, ET.SELF_EMPLOYMENT_START, ET.STUDIES_STARTED, ET.NEXT_SERVICE_STEP}
    for category in Category:
        paid = {t for c, t, _ in PAID_EVENTS if c is category}
        assert allowed_event_types(category=category) == paid | next_steps
        for event_type in next_steps - paid:
            assert payment_component(category=category, event_type=event_type) is None


def test_event_type_outside_its_category_is_refused() -> None:
    with pytest.raises(EventTypeNotAllowed) as err:
        payment_component(category=Category.INCLUSION, event_type=ET.EMPLOYED_6_MONTHS)
    assert err.value.category == "INCLUSION"
    assert err.value.event_type == "employed_6_months"
    assert str(err.value) == "event type 'employed_6_months' is not allowed in category 'INCLUSION'"


# --- State machines -----------------------------------------------------------------------------

OS = OutcomeEventState
LEGAL_OUTCOME = {
    (OS.REPORTED, OS.VERIFIED),
    (OS.VERIFIED, OS.PAYABLE),
    (OS.PAYABLE, OS.PAID),
    (OS.REPORTED, OS.REJECTED),
    (OS.VERIFIED, OS.VOIDED),
    (OS.PAYABLE, OS.VOIDED),
    (OS.PAID, OS.AWAITING_CLAWBACK),
    (OS.AWAITING_CLAWBACK, OS.CLAWED_BACK),
}
LEGAL_REFERRAL = {
    (ReferralState.REFERRED, ReferralState.STARTED),
    (ReferralState.STARTED, ReferralState.ENDED),
}


def test_machines_hold_exactly_the_spec_edges() -> None:
    assert OUTCOME_EVENT_MACHINE.edges == LEGAL_OUTCOME
    assert REFERRAL_MACHINE.edges == LEGAL_REFERRAL
    assert OUTCOME_EVENT_MACHINE.initial is OS.REPORTED
    assert REFERRAL_MACHINE.initial is ReferralState.REFERRED
    assert OUTCOME_EVENT_MACHINE.terminal_states() == {OS.REJECTED, OS.VOIDED, OS.CLAWED_BACK}
    assert REFERRAL_MACHINE.terminal_states() == {ReferralState.ENDED}
    assert OUTCOME_EVENT_MACHINE.targets(OS.VERIFIED) == {OS.PAYABLE, OS.VOIDED}


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL_OUTCOME))
def test_every_legal_outcome_transition(current: OutcomeEventState, target: OutcomeEventState) -> None:
    # Plain strings, as read from the database, are accepted too.
    assert transition(machine=OUTCOME_EVENT_MACHINE, current=current.value, target=target.value) is target


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL_REFERRAL))
def test_every_legal_referral_transition(current: ReferralState, target: ReferralState) -> None:
    assert transition(machine=REFERRAL_MACHINE, current=current, target=target) is target


def test_every_other_outcome_pair_is_illegal() -> None:
    illegal = [(a, b) for a in OS for b in OS if (a, b) not in LEGAL_OUTCOME]
    assert len(illegal) == 64 - 8
    for current, target in illegal:
        with pytest.raises(IllegalTransition) as err:
            transition(machine=OUTCOME_EVENT_MACHINE, current=current, target=target)
        assert (err.value.extra["current_state"], err.value.extra["requested_state"]) == (
            current.value,
            target.value,
        )


@pytest.mark.parametrize(
    ("machine", "current", "target", "message"),
    [
        (
            OUTCOME_EVENT_MACHINE,
            "paid",
            "verified",
            "The outcome event is 'paid'; it cannot become 'verified'.",
        ),
        (OUTCOME_EVENT_MACHINE, "paid", "voided", "The outcome event is 'paid'; it cannot become 'voided'."),
        (
            OUTCOME_EVENT_MACHINE,
            "reported",
            "paid",
            "The outcome event is 'reported'; it cannot become 'paid'.",
        ),
        (
            OUTCOME_EVENT_MACHINE,
            "rejected",
            "verified",
            "The outcome event is 'rejected'; it cannot become 'verified'.",
        ),
        (REFERRAL_MACHINE, "referred", "ended", "The referral is 'referred'; it cannot become 'ended'."),
        (REFERRAL_MACHINE, "ended", "started", "The referral is 'ended'; it cannot become 'started'."),
    ],
)
def test_illegal_transition_names_the_current_state(
    machine: StateMachine, current: str, target: str, message: str
) -> None:
    with pytest.raises(IllegalTransition) as err:
        transition(machine=machine, current=current, target=target)
    assert str(err.value) == message
    assert err.value.extra["current_state"] == current


def test_unknown_state_is_a_value_error_not_a_conflict() -> None:
    with pytest.raises(ValueError, match="'archived'"):
        transition(machine=REFERRAL_MACHINE, current="archived", target="ended")


# --- Qualifying next step -----------------------------------------------------------------------

CUTOFF = day(400)


def verdict(step: NextStep, *, rung: Rung | None = Rung.WORK_TRIAL, cutoff: date = CUTOFF) -> StepVerdict:
    """Judge one step of a start on day 0."""
    return judge_step(start=make_start(rung=rung, steps=(step,)), step=step, cutoff=cutoff)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (job(30), StepVerdict.QUALIFIES),
        (NextStep(event_type=ET.SELF_EMPLOYMENT_START, start=day(30)), StepVerdict.QUALIFIES),
        (NextStep(event_type=ET.STUDIES_STARTED, start=day(30)), StepVerdict.QUALIFIES),
        (ladder(30, Rung.TRAINING), StepVerdict.QUALIFIES),  # up from work trial
        (ladder(30, Rung.WORK_TRIAL), StepVerdict.NOT_A_STEP_UP),  # sideways
        (ladder(30, Rung.REHABILITATIVE_WORK_ACTIVITY), StepVerdict.NOT_A_STEP_UP),  # down
        (job(30, rung=Rung.WORK_TRIAL), StepVerdict.NOT_A_STEP_UP),  # a job placed on the same rung
        (job(30, pre=True), StepVerdict.PRE_EXISTING),
        (job(-10), StepVerdict.PRE_EXISTING),  # started before the referral (day -5)
        (job(-2), StepVerdict.OUTSIDE_WINDOW),  # after the referral but before the start
        (job(0), StepVerdict.OUTSIDE_WINDOW),  # the window opens the day after the start
        (job(1), StepVerdict.QUALIFIES),
        (job(90), StepVerdict.QUALIFIES),  # day 90 is inside: start + 90 inclusive
        (job(91), StepVerdict.OUTSIDE_WINDOW),
        (job(30, end=58), StepVerdict.TOO_SHORT),  # held 29 days: day 30 to day 58, both counted
        (job(30, end=59), StepVerdict.QUALIFIES),  # held 30 days, counted inclusively
        (NextStep(event_type=ET.QUALIFICATION_COMPLETED, start=day(30)), StepVerdict.NOT_A_NEXT_STEP),
        (NextStep(event_type=ET.SERVICE_START, start=day(30)), StepVerdict.NOT_A_NEXT_STEP),
    ],
)
def test_judge_step(step: NextStep, expected: StepVerdict) -> None:
    assert verdict(step) is expected


def test_ladder_step_without_a_known_current_rung_does_not_count_but_a_job_does() -> None:
    assert verdict(ladder(30, Rung.OPEN_LABOUR_MARKET), rung=None) is StepVerdict.NOT_A_STEP_UP
    assert verdict(job(30, rung=Rung.PAY_SUBSIDISED_WORK), rung=None) is StepVerdict.QUALIFIES


def test_ongoing_step_qualifies_only_once_held_thirty_days_by_the_cutoff() -> None:
    assert verdict(job(60), cutoff=day(88)) is StepVerdict.NOT_YET_PERSISTED
    assert verdict(job(60), cutoff=day(89)) is StepVerdict.QUALIFIES
    # An end date beyond the cut-off is not yet a fact: the step is still ongoing at the cut-off.
    assert verdict(job(80, end=85), cutoff=day(100)) is StepVerdict.TOO_SHORT
    assert verdict(job(80, end=200), cutoff=day(100)) is StepVerdict.NOT_YET_PERSISTED


def test_persistence_and_horizon_are_configurable() -> None:
    config = FlowThroughConfig(horizon_days=60, persistence_days=10)
    start = make_start(steps=(job(60, end=70), job(61)))
    assert (
        judge_step(start=start, step=job(60, end=70), cutoff=CUTOFF, config=config) is StepVerdict.QUALIFIES
    )
    assert judge_step(start=start, step=job(61), cutoff=CUTOFF, config=config) is StepVerdict.OUTSIDE_WINDOW


def test_first_qualifying_step_is_the_earliest_that_qualifies() -> None:
    start = make_start(steps=(job(70), job(10, end=20), ladder(40, Rung.TRAINING)))
    assert first_qualifying_step(start=start, cutoff=CUTOFF) == ladder(40, Rung.TRAINING)


def test_records_refuse_impossible_data() -> None:
    with pytest.raises(ValueError, match="rung"):
        NextStep(event_type=ET.NEXT_SERVICE_STEP, start=day(1))
    with pytest.raises(ValueError, match="before it starts"):
        job(10, end=9)
    with pytest.raises(ValueError, match="before it was referred"):
        Start(referral_id="x", referral_date=day(1), start_date=day(0), current_rung=None)
    with pytest.raises(ValueError, match="target"):
        FlowThroughConfig(target_bp=10_001)


# --- Flow-through cohort ------------------------------------------------------------------------

GOLDEN_CUTOFF = day(200)
GOLDEN = [
    make_start(rid="a", on=0, steps=(job(30),)),  # qualified after 30 days
    make_start(rid="b", on=0, steps=(NextStep(event_type=ET.STUDIES_STARTED, start=day(90)),)),  # day 90
    make_start(rid="c", on=0, steps=(job(91),)),  # day 91: too late
    make_start(rid="d", on=10, steps=(ladder(40, Rung.WORK_TRIAL),)),  # sideways
    make_start(rid="e", on=10, steps=(ladder(40, Rung.TRAINING, end=70),)),  # up, held 30 days
    make_start(rid="f", on=20, steps=(job(25, end=50),)),  # held 25 days
    make_start(rid="g", on=20, steps=(job(30, pre=True),)),  # pre-existing job
    make_start(rid="h", on=30, exit_kind=NeutralExitKind.MOVED_AWAY, exit_on=60),
    make_start(rid="i", on=30, exit_kind=NeutralExitKind.DEATH, exit_on=150),  # after the window: counts
    make_start(rid="j", on=110, steps=(job(115),)),  # matures exactly on the cut-off
    make_start(rid="k", on=111, steps=(job(115),)),  # immature
    make_start(rid="l", on=150, exit_kind=NeutralExitKind.PENSION, exit_on=160),  # immature
    make_start(rid="m", on=40, steps=(job(50),), exit_kind=NeutralExitKind.PARENTAL_LEAVE, exit_on=100),
]


def test_golden_cohort() -> None:
    cell = flow_through(starts=GOLDEN, cutoff=GOLDEN_CUTOFF)
    assert (cell.starts, cell.matured, cell.neutral, cell.denominator, cell.qualified) == (13, 11, 2, 9, 4)
    assert cell.neutral_by_kind == ((NeutralExitKind.MOVED_AWAY, 1), (NeutralExitKind.PARENTAL_LEAVE, 1))
    assert cell.rate == Fraction(4, 9)
    assert cell.rate_bp == 4444
    assert cell.target_bp == 8000
    assert cell.gap_to_target_bp == -3556
    assert cell.median_days_to_step == 30.0  # days 5, 30, 30, 90
    assert cell.suppressed is False
    assert cell.rating is Rating.BELOW_TARGET
    assert cell.interval == wilson_interval(successes=4, n=9)


def test_golden_cohort_per_start() -> None:
    statuses = {s.referral_id: classify_start(start=s, cutoff=GOLDEN_CUTOFF) for s in GOLDEN}
    assert {rid: v.status.value for rid, v in statuses.items()} == {
        "a": "qualified",
        "b": "qualified",
        "c": "not_qualified",
        "d": "not_qualified",
        "e": "qualified",
        "f": "not_qualified",
        "g": "not_qualified",
        "h": "neutral",
        "i": "not_qualified",
        "j": "qualified",
        "k": "immature",
        "l": "immature",
        "m": "neutral",
    }
    assert (statuses["e"].first_step_on, statuses["e"].days_to_step) == (day(40), 30)
    assert statuses["h"].neutral_kind is NeutralExitKind.MOVED_AWAY


def test_maturity_is_start_plus_horizon_on_or_before_cutoff() -> None:
    start = make_start(on=0, steps=(job(10),))
    assert classify_start(start=start, cutoff=day(89)).status is StartStatus.IMMATURE
    assert classify_start(start=start, cutoff=day(90)).status is StartStatus.QUALIFIED


def test_neutral_exit_on_the_last_day_of_the_window_is_neutral_and_a_day_later_is_not() -> None:
    inside = make_start(exit_kind=NeutralExitKind.LONG_SICKNESS, exit_on=90)
    after = make_start(exit_kind=NeutralExitKind.LONG_SICKNESS, exit_on=91)
    assert classify_start(start=inside, cutoff=CUTOFF).status is StartStatus.NEUTRAL
    assert classify_start(start=after, cutoff=CUTOFF).status is StartStatus.NOT_QUALIFIED


def test_empty_and_small_cells() -> None:
    empty = flow_through(starts=[], cutoff=CUTOFF)
    assert (empty.denominator, empty.rate, empty.rate_bp, empty.interval) == (0, None, None, None)
    assert (empty.gap_to_target_bp, empty.median_days_to_step) == (None, None)
    assert (empty.suppressed, empty.rating) == (True, Rating.NOT_ENOUGH_DATA)
    four = flow_through(starts=[make_start(rid=str(i), steps=(job(10),)) for i in range(4)], cutoff=CUTOFF)
    assert (four.rate_bp, four.suppressed, four.rating) == (10_000, True, Rating.NOT_ENOUGH_DATA)
    assert four.interval == (pytest.approx(0.5101, abs=1e-4), 1.0)


def test_rate_basis_points_round_half_up() -> None:
    assert half_up(Fraction(2, 3) * 10_000) == 6667
    assert half_up(Fraction(1, 8) * 10_000) == 1250
    assert half_up(Fraction(1, 16) * 10_000) == 625  # 625 exactly
    assert half_up(Fraction(1, 32) * 10_000) == 313  # 312.5 rounds up
    starts = [make_start(rid=str(i), steps=(job(10),) if i == 0 else ()) for i in range(32)]
    assert flow_through(starts=starts, cutoff=CUTOFF).rate_bp == 313


# --- Public output ------------------------------------------------------------------------------


def test_public_cell_blanks_a_suppressed_cell() -> None:
    starts = [make_start(rid=str(i), steps=(job(10),)) for i in range(3)] + [make_start(rid="late", on=399)]
    shown = public_cell(cell=flow_through(starts=starts, cutoff=CUTOFF))
    assert shown.starts == 4
    assert (shown.matured, shown.neutral, shown.denominator, shown.qualified) == (None, None, None, None)
    assert (shown.rate_bp, shown.interval, shown.gap_to_target_bp, shown.median_days_to_step) == (
        None,
        None,
        None,
        None,
    )
    assert (shown.suppressed, shown.rating) == (True, Rating.NOT_ENOUGH_DATA)


def test_public_cell_hides_a_small_neutral_count_and_what_reveals_it() -> None:
    base = [make_start(rid=str(i), steps=(job(10),)) for i in range(6)]
    moved = [make_start(rid="x", exit_kind=NeutralExitKind.DEATH, exit_on=20)]
    shown = public_cell(cell=flow_through(starts=base + moved, cutoff=CUTOFF))
    assert (shown.matured, shown.neutral, shown.denominator, shown.qualified, shown.rate_bp) == (
        None,
        None,
        6,
        6,
        10_000,
    )
    plain = public_cell(cell=flow_through(starts=base, cutoff=CUTOFF))
    assert (plain.matured, plain.neutral, plain.denominator) == (6, 0, 6)


# --- Wilson interval and rating -----------------------------------------------------------------


def reference_wilson(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson bounds in the closed form (2np + z² ± z√(z² + 4np(1−p))) / 2(n + z²)."""
    p = successes / n
    root = z * math.sqrt(z * z + 4 * n * p * (1 - p))
    return (2 * n * p + z * z - root) / (2 * (n + z * z)), (2 * n * p + z * z + root) / (2 * (n + z * z))


@pytest.mark.parametrize(("successes", "n"), [(1, 1), (0, 7), (3, 7), (4, 9), (81, 100), (799, 1000), (5, 5)])
def test_wilson_matches_the_closed_form(successes: int, n: int) -> None:
    low, high = reference_wilson(successes, n)
    assert wilson_interval(successes=successes, n=n) == (
        pytest.approx(low, abs=1e-12),
        pytest.approx(high, abs=1e-12),
    )


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (81, 100, 0.7222, 0.8749),
        # Newcombe (1998), Stat Med 17:857-872, Table I, method 3 (score, no continuity correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_literature_values(successes: int, n: int, low: float, high: float) -> None:
    interval = wilson_interval(successes=successes, n=n)
    assert interval is not None
    assert (round(interval[0], 4), round(interval[1], 4)) == (low, high)


def test_wilson_edges() -> None:
    assert wilson_interval(successes=0, n=0) is None
    assert wilson_interval(successes=10, n=10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    assert wilson_interval(successes=0, n=10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    with pytest.raises(ValueError):
        wilson_interval(successes=3, n=2)


@pytest.mark.parametrize(
    ("successes", "n", "rating"),
    [
        (100, 100, Rating.ABOVE_TARGET),  # lower 0.963 ≥ 0.80
        (81, 100, Rating.AT_TARGET),  # (0.722, 0.875) straddles 0.80
        (5, 5, Rating.AT_TARGET),  # (0.566, 1.0): too wide to call
        (50, 100, Rating.BELOW_TARGET),  # upper 0.596 < 0.80
        (4, 4, Rating.NOT_ENOUGH_DATA),  # under the small-cell threshold
        (0, 0, Rating.NOT_ENOUGH_DATA),
    ],
)
def test_rating_against_target(successes: int, n: int, rating: Rating) -> None:
    assert rate_against_target(successes=successes, n=n, target_bp=8000) is rating


def test_rating_flips_where_the_lower_bound_meets_the_target() -> None:
    low, _ = reference_wilson(90, 100)  # 0.82564…
    assert rate_against_target(successes=90, n=100, target_bp=math.floor(low * 10_000)) is Rating.ABOVE_TARGET
    assert rate_against_target(successes=90, n=100, target_bp=math.ceil(low * 10_000)) is Rating.AT_TARGET


# --- Grouping -----------------------------------------------------------------------------------


def tagged(
    start: Start, *, supplier: str, category: str = "EMPLOYMENT", groups: frozenset[str] = frozenset()
) -> TaggedStart:
    """A start tagged with fixed contract, lot and municipality."""
    return TaggedStart(
        start=start,
        contract_id=f"c-{supplier}",
        supplier_id=supplier,
        category=category,
        lot_id="lot-1",
        municipality_code="398",
        target_groups=groups,
    )


TAGGED = [
    tagged(make_start(rid="1", on=0, steps=(job(10),)), supplier="s1", groups=frozenset({"youth"})),
    tagged(make_start(rid="2", on=0), supplier="s1", groups=frozenset({"youth", "immigrant"})),
    tagged(make_start(rid="3", on=40, steps=(job(50),)), supplier="s2", groups=frozenset({"immigrant"})),
    tagged(make_start(rid="4", on=40, steps=(job(45),)), supplier="s2"),
]


def test_flow_through_by_supplier_and_month() -> None:
    cells = flow_through_by(starts=TAGGED, by=(Dimension.SUPPLIER, Dimension.MONTH), cutoff=CUTOFF)
    assert list(cells) == [("s1", "2025-01"), ("s2", "2025-02")]
    assert [(c.denominator, c.qualified, c.median_days_to_step) for c in cells.values()] == [
        (2, 1, 10.0),
        (2, 2, 7.5),
    ]


def test_flow_through_by_target_group_counts_each_membership() -> None:
    cells = flow_through_by(starts=TAGGED, by=(Dimension.TARGET_GROUP,), cutoff=CUTOFF)
    assert {k: (c.denominator, c.qualified) for k, c in cells.items()} == {
        ("immigrant",): (2, 1),
        ("youth",): (2, 1),
    }


def test_flow_through_by_nothing_is_the_total() -> None:
    cells = flow_through_by(starts=TAGGED, by=(), cutoff=CUTOFF)
    assert cells == {(): flow_through(starts=[t.start for t in TAGGED], cutoff=CUTOFF)}
    keys = flow_through_by(
        starts=TAGGED,
        by=(Dimension.CONTRACT, Dimension.LOT, Dimension.MUNICIPALITY, Dimension.CATEGORY),
        cutoff=CUTOFF,
    )
    assert list(keys) == [("c-s1", "lot-1", "398", "EMPLOYMENT"), ("c-s2", "lot-1", "398", "EMPLOYMENT")]


# --- Track record -------------------------------------------------------------------------------


def test_new_entrant_scores_exactly_the_category_mean() -> None:
    assert track_record_score(qualified=0, denominator=0, category_mean=Fraction(3, 4)) == 75
    assert track_record_score(qualified=0, denominator=0, category_mean=Fraction(5, 8)) == 63  # 62.5 up


def test_few_starts_are_shrunk_toward_the_mean_and_many_are_not() -> None:
    # 100 × (5 + 20 × 0.5) / (5 + 20) = 60, although the supplier's own rate is 100 %.
    assert track_record_score(qualified=5, denominator=5, category_mean=Fraction(1, 2)) == 60
    # 100 × (900 + 10) / 1020 = 89.2; its own rate is 90.
    assert track_record_score(qualified=900, denominator=1000, category_mean=Fraction(1, 2)) == 89
    assert track_record_score(qualified=5, denominator=5, category_mean=Fraction(1, 2), prior_weight=0) == 100


def test_track_record_scores_per_supplier_and_category() -> None:
    starts = [
        *(tagged(make_start(rid=f"a{i}", steps=(job(10),)), supplier="s1") for i in range(30)),
        *(tagged(make_start(rid=f"b{i}"), supplier="s1") for i in range(10)),
        *(tagged(make_start(rid=f"c{i}"), supplier="s2") for i in range(10)),
        tagged(make_start(rid="new", on=399), supplier="s3"),  # immature only: a new entrant
        tagged(make_start(rid="x", on=399), supplier="s4", category="INCLUSION"),  # no data at all
    ]
    scores = track_record_scores(starts=starts, cutoff=CUTOFF)
    # Category mean 30 / 50 = 0.6; s1: 100 × (30 + 12) / 60 = 70; s2: 100 × 12 / 30 = 40; s3: 60.
    assert scores == {
        ("s1", "EMPLOYMENT"): 70,
        ("s2", "EMPLOYMENT"): 40,
        ("s3", "EMPLOYMENT"): 60,
        ("s4", "INCLUSION"): None,
    }


def test_pooled_rate() -> None:
    cells = flow_through_by(starts=TAGGED, by=(Dimension.SUPPLIER,), cutoff=CUTOFF)
    assert pooled_rate(cells=cells.values()) == Fraction(3, 4)
    assert pooled_rate(cells=[]) is None


# --- Properties ---------------------------------------------------------------------------------


@st.composite
def steps(draw: st.DrawFn) -> NextStep:
    """Any next step within a few months of day 0."""
    event_type = draw(st.sampled_from(list(OutcomeEventType)))
    on = draw(st.integers(-20, 150))
    length = draw(st.none() | st.integers(0, 60))
    rung = draw(
        st.sampled_from(list(Rung))
        if event_type is ET.NEXT_SERVICE_STEP
        else st.none() | st.sampled_from(list(Rung))
    )
    return NextStep(
        event_type=event_type,
        start=day(on),
        end=None if length is None else day(on + length),
        rung=rung,
        pre_dates_referral=draw(st.booleans()),
    )


@st.composite
def starts(draw: st.DrawFn) -> Start:
    """Any start between day 0 and day 200."""
    on = draw(st.integers(0, 200))
    kind = draw(st.none() | st.sampled_from(list(NeutralExitKind)))
    return Start(
        referral_id=str(draw(st.integers(0, 10**6))),
        referral_date=day(on - draw(st.integers(0, 30))),
        start_date=day(on),
        current_rung=draw(st.none() | st.sampled_from(list(Rung))),
        neutral_exit=None if kind is None else NeutralExit(kind=kind, on=day(on + draw(st.integers(0, 150)))),
        next_steps=tuple(
            NextStep(
                event_type=s.event_type,
                start=s.start + timedelta(days=on),
                end=None if s.end is None else s.end + timedelta(days=on),
                rung=s.rung,
                pre_dates_referral=s.pre_dates_referral,
            )
            for s in draw(st.lists(steps(), max_size=3))
        ),
    )


cohorts = st.lists(starts(), max_size=20)
# The cohort properties build many dates; fewer examples keep the file well under ten seconds.
few = settings(max_examples=60)
cutoffs = st.integers(60, 400).map(day)


@few
@given(cohort=cohorts, cutoff=cutoffs)
def test_counts_are_consistent_and_the_rate_is_a_share(cohort: list[Start], cutoff: date) -> None:
    cell = flow_through(starts=cohort, cutoff=cutoff)
    assert 0 <= cell.qualified <= cell.denominator <= cell.matured <= cell.starts == len(cohort)
    assert cell.denominator == cell.matured - cell.neutral
    assert sum(n for _, n in cell.neutral_by_kind) == cell.neutral
    if cell.rate is None:
        assert cell.denominator == 0
    else:
        assert 0 <= cell.rate <= 1
        assert cell.rate_bp is not None and 0 <= cell.rate_bp <= 10_000
        assert cell.interval is not None
        assert cell.interval[0] - 1e-12 <= float(cell.rate) <= cell.interval[1] + 1e-12


@few
@given(cohort=cohorts, cutoff=cutoffs, kind=st.sampled_from(list(NeutralExitKind)), data=st.data())
def test_adding_a_neutral_exit_never_changes_the_others(
    cohort: list[Start], cutoff: date, kind: NeutralExitKind, data: st.DataObject
) -> None:
    before = flow_through(starts=cohort, cutoff=cutoff)
    extra = data.draw(starts())
    exit_on = extra.start_date + timedelta(days=data.draw(st.integers(0, 90)))
    neutral = Start(
        referral_id="neutral",
        referral_date=extra.referral_date,
        start_date=extra.start_date,
        current_rung=extra.current_rung,
        neutral_exit=NeutralExit(kind=kind, on=exit_on),
        next_steps=extra.next_steps,
    )
    after = flow_through(starts=[*cohort, neutral], cutoff=cutoff)
    assert (after.rate, after.qualified, after.denominator, after.interval) == (
        before.rate,
        before.qualified,
        before.denominator,
        before.interval,
    )
    matured = classify_start(start=neutral, cutoff=cutoff).status is not StartStatus.IMMATURE
    assert after.neutral == before.neutral + (1 if matured else 0)


@few
@given(cohort=cohorts, cutoff=cutoffs, seed=st.integers(0, 1000))
def test_same_starts_in_any_order_give_the_same_cell(cohort: list[Start], cutoff: date, seed: int) -> None:
    shuffled = list(cohort)
    random.Random(seed).shuffle(shuffled)
    assert flow_through(starts=shuffled, cutoff=cutoff) == flow_through(starts=cohort, cutoff=cutoff)


@given(
    denominator=st.integers(0, 500),
    share=st.fractions(0, 1),
    mean=st.fractions(0, 1, max_denominator=1000),
    prior=st.integers(0, 50),
)
def test_track_record_lies_between_own_rate_and_mean(
    denominator: int, share: Fraction, mean: Fraction, prior: int
) -> None:
    qualified = math.floor(share * denominator)
    score = track_record_score(
        qualified=qualified, denominator=denominator, category_mean=mean, prior_weight=prior
    )
    own = Fraction(qualified, denominator) if denominator else mean
    assert math.floor(100 * min(own, mean)) <= score <= math.ceil(100 * max(own, mean))


def test_cell_is_a_plain_value() -> None:
    cell = flow_through(starts=GOLDEN, cutoff=GOLDEN_CUTOFF)
    assert isinstance(cell, FlowThroughCell)
    assert cell == flow_through(starts=list(reversed(GOLDEN)), cutoff=GOLDEN_CUTOFF)


def test_persistence_counts_both_ends_so_1_1_to_30_1_is_thirty_days() -> None:
    """SPEC 4.4: a step held 1.1.–30.1. lasted 30 days and qualifies; 1.1.–29.1. lasted 29 and does not."""
    start = Start(
        referral_id="r", referral_date=date(2025, 12, 1), start_date=date(2025, 12, 1), current_rung=None
    )
    held = NextStep(event_type=ET.EMPLOYMENT_START, start=date(2026, 1, 1), end=date(2026, 1, 30))
    short = NextStep(event_type=ET.EMPLOYMENT_START, start=date(2026, 1, 1), end=date(2026, 1, 29))
    assert judge_step(start=start, step=held, cutoff=date(2026, 3, 31)) is StepVerdict.QUALIFIES
    assert judge_step(start=start, step=short, cutoff=date(2026, 3, 31)) is StepVerdict.TOO_SHORT
