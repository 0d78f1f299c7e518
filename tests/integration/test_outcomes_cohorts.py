"""Hand-made cohorts through the services, the database and the SQL aggregate (SPEC 4.4)."""

from datetime import date, timedelta

from sqlmodel import Session

from outcomes.flowthrough.performance import track_record_scores
from outcomes.flowthrough.queries import fetch_counts
from outcomes.flowthrough.reports import cell_from_counts
from outcomes.flowthrough.rules import Dimension, FlowThroughCell
from procurement.core.settings import Settings
from tests.factories.outcomes import Step, make_cohorts, make_outcome_world, run_referral

CUTOFF = date(2025, 12, 31)
TODAY = date(2026, 1, 31)
JOB = "employment_start"


def _cell(session: Session, cutoff: date = CUTOFF) -> FlowThroughCell:
    rows = fetch_counts(session, by=(Dimension.CATEGORY,), cutoff=cutoff)
    assert len(rows) == 1
    return cell_from_counts(rows[0])


def _start(session: Session, settings: Settings, ow, n: int, start: date, **kw) -> None:  # type: ignore[no-untyped-def]
    run_referral(session, ow, settings=settings, n=n, referred=start, started=start, today=TODAY, **kw)


def test_only_matured_starts_are_counted(session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session)
    _start(
        session,
        settings,
        ow,
        1,
        CUTOFF - timedelta(days=90),
        steps=(Step(event_type=JOB, on=CUTOFF - timedelta(days=60)),),
    )
    _start(
        session,
        settings,
        ow,
        2,
        CUTOFF - timedelta(days=89),
        steps=(Step(event_type=JOB, on=CUTOFF - timedelta(days=59)),),
    )
    cell = _cell(session)
    assert (cell.starts, cell.matured, cell.denominator, cell.qualified, cell.rate_bp) == (2, 1, 1, 1, 10_000)
    assert _cell(session, CUTOFF + timedelta(days=1)).matured == 2


def test_neutral_exits_leave_both_sides_and_are_reported_apart(session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session)
    start = CUTOFF - timedelta(days=120)
    _start(session, settings, ow, 1, start, steps=(Step(event_type=JOB, on=start + timedelta(days=10)),))
    _start(
        session, settings, ow, 2, start, end=(start + timedelta(days=40), "neutral_exit", "parental_leave")
    )
    # A neutral exit inside the window wins even over a qualifying job before it.
    _start(
        session, settings, ow, 3, start, steps=(Step(event_type=JOB, on=start + timedelta(days=5)),),
        end=(start + timedelta(days=60), "neutral_exit", "conscript_service"),
    )  # fmt: skip
    _start(session, settings, ow, 4, start, end=(start + timedelta(days=91), "neutral_exit", "death"))
    cell = _cell(session)
    assert (cell.matured, cell.neutral, cell.denominator, cell.qualified, cell.rate_bp) == (4, 2, 2, 1, 5000)
    assert [(k.value, n) for k, n in cell.neutral_by_kind] == [
        ("parental_leave", 1),
        ("conscript_service", 1),
    ]


def test_a_sideways_step_does_not_count_but_a_step_up_does(session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session, category="INCLUSION")
    start = CUTOFF - timedelta(days=120)
    step = "next_service_step"
    _start(
        session,
        settings,
        ow,
        1,
        start,
        current_rung="work_trial",
        steps=(Step(event_type=step, on=start + timedelta(days=10), rung="work_trial"),),
    )
    _start(
        session,
        settings,
        ow,
        2,
        start,
        current_rung="training",
        steps=(Step(event_type=step, on=start + timedelta(days=10), rung="work_trial"),),
    )
    _start(
        session,
        settings,
        ow,
        3,
        start,
        current_rung="work_trial",
        steps=(Step(event_type=step, on=start + timedelta(days=10), rung="training"),),
    )
    cell = _cell(session)
    assert (cell.denominator, cell.qualified, cell.median_days_to_step) == (3, 1, 10.0)


def test_a_step_held_under_30_days_does_not_count(session: Session, settings: Settings) -> None:
    """Days are counted inclusively, in SQL as in Python: 1.1.–30.1. is 30 days, 1.1.–29.1. is 29."""
    ow = make_outcome_world(session)
    start = CUTOFF - timedelta(days=120)
    job = start + timedelta(days=10)
    _start(
        session, settings, ow, 1, start, steps=(Step(event_type=JOB, on=job, end=job + timedelta(days=28)),)
    )
    _start(
        session, settings, ow, 2, start, steps=(Step(event_type=JOB, on=job, end=job + timedelta(days=29)),)
    )
    # Still running at the cut-off, but started only 20 days before it: not yet persisted.
    late = CUTOFF - timedelta(days=95)
    _start(session, settings, ow, 3, late, steps=(Step(event_type=JOB, on=CUTOFF - timedelta(days=20)),))
    cell = _cell(session)
    assert (cell.denominator, cell.qualified) == (3, 1)
    assert _cell(session, CUTOFF + timedelta(days=10)).qualified == 2


def test_a_job_that_began_before_the_referral_never_counts(session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session)
    start = CUTOFF - timedelta(days=120)
    _start(
        session,
        settings,
        ow,
        1,
        start,
        steps=(Step(event_type=JOB, on=start + timedelta(days=15), pre_dates_referral=True),),
    )
    _start(session, settings, ow, 2, start, steps=(Step(event_type=JOB, on=start + timedelta(days=15)),))
    cell = _cell(session)
    assert (cell.denominator, cell.qualified, cell.rate_bp) == (2, 1, 5000)


def test_track_record_scores_shrink_toward_the_category_mean(session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session, suppliers=3)
    make_cohorts(session, ow, settings=settings, today=TODAY)
    newcomer = ow.suppliers[2].id
    ids = [s.id for s in ow.suppliers]
    scores = track_record_scores(
        session, dps_id=ow.world.dps.id, category_code="EMPLOYMENT", supplier_ids=ids, cutoff=TODAY
    )
    # Pooled mean 5/8: (5 + 20·5/8)/(6 + 20) = 67.3; (0 + 12.5)/(2 + 20) = 56.8; the newcomer gets 62.5.
    assert scores == {ids[0]: 67, ids[1]: 57, newcomer: 63}
    empty = track_record_scores(
        session, dps_id=ow.world.dps.id, category_code="INCLUSION", supplier_ids=ids, cutoff=TODAY
    )
    assert empty == {i: 80 for i in ids}  # no data in the category at all: the target stands in for the mean
