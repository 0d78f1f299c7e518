"""Each start's stored first step (migration 0025) follows every fact it reads, in the same transaction.

Golden cases worked by hand, one referral each (generated histories: test_first_step_on_histories.py).
"""

import uuid
from datetime import date
from importlib import import_module

from sqlalchemy import text
from sqlmodel import Session

from outcomes.flowthrough.queries import COUNTED_STATES, STORED_PERSISTENCE_DAYS, start_verdicts
from outcomes.flowthrough.steps import DEFAULT_CONFIG, FlowThroughConfig
from outcomes.tracking import events
from outcomes.tracking.rules import NEXT_STEP_TYPES, RUNG_REQUIRED, SERVICE_LADDER
from outcomes.tracking.schemas import EventIn, VerifyIn
from procurement.core.settings import Settings
from tests.factories.outcomes import OutcomeWorld, Step, at, make_outcome_world, run_referral

TODAY = date(2025, 9, 30)
JOB, STUDIES, LADDER = "employment_start", "studies_started", "next_service_step"
migration = import_module("migrations.versions.20261205_0025_first_step_on")


def _first(session: Session, referral_id: uuid.UUID) -> date | None:
    return session.execute(
        text("SELECT first_step_on FROM referral WHERE id = :id"), {"id": referral_id}
    ).scalar_one()


def _event(session: Session, referral_id: uuid.UUID, on: date) -> uuid.UUID:
    return session.execute(
        text(
            "SELECT id FROM outcome_event WHERE referral_id = :r AND event_date = :d"
            " AND event_type <> 'service_start'"
        ),
        {"r": referral_id, "d": on},
    ).scalar_one()


def _one(session: Session, ow: OutcomeWorld, settings: Settings, n: int, *steps: Step, **kw) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """A referral of 15.12.2024 started on 20.12.2024, with the steps given."""
    return run_referral(
        session,
        ow,
        settings=settings,
        n=n,
        referred=kw.pop("referred", date(2024, 12, 15)),
        started=kw.pop("started", date(2024, 12, 20)),
        steps=steps,
        today=TODAY,
        **kw,
    )


def test_the_migration_spells_the_rules_of_the_code() -> None:
    assert migration.PERSISTENCE_DAYS == STORED_PERSISTENCE_DAYS == DEFAULT_CONFIG.persistence_days
    assert ", ".join(f"'{s.value}'" for s in sorted(COUNTED_STATES)) == migration.COUNTED
    assert ", ".join(f"'{t.value}'" for t in sorted(NEXT_STEP_TYPES)) == migration.NEXT_STEPS
    assert ", ".join(f"'{t.value}'" for t in sorted(RUNG_REQUIRED)) == migration.RUNG_REQUIRED
    assert "ARRAY[" + ", ".join(f"'{r.value}'" for r in SERVICE_LADDER) + "]::text[]" == migration.LADDER


def test_held_thirty_days_counts_and_twenty_nine_does_not(session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session)
    thirty = _one(session, ow, settings, 1, Step(event_type=JOB, on=date(2025, 1, 1), end=date(2025, 1, 30)))
    short = _one(session, ow, settings, 2, Step(event_type=JOB, on=date(2025, 1, 1), end=date(2025, 1, 29)))
    open_ended = _one(session, ow, settings, 3, Step(event_type=JOB, on=date(2025, 1, 1)))
    assert (_first(session, thirty), _first(session, short)) == (date(2025, 1, 1), None)
    # No end yet: it may still be held; whether it has been by a cut-off is the report's question.
    assert _first(session, open_ended) == date(2025, 1, 1)
    # Held 1.1.–30.1.: qualified at a cut-off of 30.1., not at 29.1. (the report's side of the rule).
    config = FlowThroughConfig(horizon_days=30)
    for cutoff, qualified in ((date(2025, 1, 29), False), (date(2025, 1, 30), True)):
        verdicts = start_verdicts(session, referral_ids=[str(thirty)], cutoff=cutoff, config=config)
        assert verdicts[str(thirty)].qualified is qualified


def test_only_a_step_up_after_the_start_and_the_referral_counts(session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session)
    down = _one(
        session,
        ow,
        settings,
        1,
        Step(event_type=LADDER, on=date(2025, 1, 5), rung="work_trial"),
        current_rung="training",
    )
    up = _one(
        session,
        ow,
        settings,
        2,
        Step(event_type=LADDER, on=date(2025, 1, 5), rung="training"),
        current_rung="work_trial",
    )
    before_start = _one(session, ow, settings, 3, Step(event_type=JOB, on=date(2024, 12, 18)))
    on_start = _one(session, ow, settings, 4, Step(event_type=JOB, on=date(2024, 12, 20)))
    pre_existing = _one(
        session, ow, settings, 5, Step(event_type=JOB, on=date(2025, 1, 5), pre_dates_referral=True)
    )
    unverified = _one(session, ow, settings, 6, Step(event_type=JOB, on=date(2025, 1, 5), decision="none"))
    assert [_first(session, r) for r in (down, up, before_start, on_start, pre_existing, unverified)] == [
        None,
        date(2025, 1, 5),
        None,
        None,
        None,
        None,
    ]
    # A step before the referral itself (the database would take it; the service refuses the date).
    early = _one(session, ow, settings, 7, Step(event_type=JOB, on=date(2025, 1, 5)))
    session.execute(
        text(
            "UPDATE outcome_event SET event_date = '2024-12-10', episode_start = '2024-12-10' WHERE id = :e"
        ),
        {"e": _event(session, early, date(2025, 1, 5))},
    )
    assert _first(session, early) is None


def test_verifications_voids_and_deletions_move_it(session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session)
    officer, when = ow.officer.caller, at(TODAY)
    rid = _one(
        session,
        ow,
        settings,
        1,
        Step(event_type=JOB, on=date(2025, 2, 1)),
        Step(event_type=STUDIES, on=date(2025, 1, 10), decision="none"),
        Step(event_type=JOB, on=date(2025, 3, 1), end=date(2025, 4, 15)),
    )
    assert _first(session, rid) == date(2025, 2, 1)
    # A later verification of an earlier step moves it earlier.
    studies = _event(session, rid, date(2025, 1, 10))
    events.verify(session, caller=officer, event_id=studies, data=VerifyIn(), now=when)
    assert _first(session, rid) == date(2025, 1, 10)
    # A void of the first step moves it to the next one, and of that one to the last.
    events.void(session, caller=officer, event_id=studies, reason="Virheellinen", now=when)
    assert _first(session, rid) == date(2025, 2, 1)
    events.void(
        session, caller=officer, event_id=_event(session, rid, date(2025, 2, 1)), reason="Virhe", now=when
    )
    assert _first(session, rid) == date(2025, 3, 1)
    # Deleting the last (only the database can) leaves none.
    session.execute(
        text("DELETE FROM outcome_event WHERE id = :e"), {"e": _event(session, rid, date(2025, 3, 1))}
    )
    assert _first(session, rid) is None
    # A step moved to another referral leaves the first and counts for the second.
    other = _one(session, ow, settings, 2)
    job = _one(session, ow, settings, 3, Step(event_type=JOB, on=date(2025, 1, 20)))
    assert (_first(session, other), _first(session, job)) == (None, date(2025, 1, 20))
    session.execute(
        text(
            "UPDATE outcome_event SET referral_id = :o,"
            " participant_id = (SELECT participant_id FROM referral WHERE id = :o) WHERE id = :e"
        ),
        {"o": other, "e": _event(session, job, date(2025, 1, 20))},
    )
    assert (_first(session, other), _first(session, job)) == (date(2025, 1, 20), None)


def test_a_rejected_report_and_a_recorded_end_count_as_they_should(
    session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    officer, when = ow.officer.caller, at(TODAY)
    rid = _one(session, ow, settings, 1, Step(event_type=JOB, on=date(2025, 1, 10), decision="reject"))
    assert _first(session, rid) is None
    data = EventIn(event_type=STUDIES, event_date=date(2025, 2, 3), source_register="koski")
    events.report(session, caller=officer, referral_id=rid, data=data, now=when)  # a register's: verified
    assert _first(session, rid) == date(2025, 2, 3)
    # Its end after 20 days: it was never held 30; none is left.
    studies = _event(session, rid, date(2025, 2, 3))
    session.execute(text("UPDATE outcome_event SET end_date = '2025-02-22' WHERE id = :e"), {"e": studies})
    assert _first(session, rid) is None


def test_the_referrals_own_facts_recompute_it(session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session)
    rid = _one(
        session,
        ow,
        settings,
        1,
        Step(event_type=LADDER, on=date(2025, 1, 5), rung="training"),
        Step(event_type=JOB, on=date(2025, 3, 1)),
        current_rung="work_trial",
    )
    assert _first(session, rid) == date(2025, 1, 5)

    def update(assignment: str) -> None:
        session.execute(text(f"UPDATE referral SET {assignment} WHERE id = :r"), {"r": rid})

    update("current_rung = 'pay_subsidised_work'")  # the training is now a step down
    assert _first(session, rid) == date(2025, 3, 1)
    update("current_rung = NULL")  # a ladder step without the current rung never counts
    assert _first(session, rid) == date(2025, 3, 1)
    update("current_rung = 'rehabilitative_work_activity'")
    assert _first(session, rid) == date(2025, 1, 5)
    update("started_on = '2025-01-05'")  # a step on the start day is no step after it
    assert _first(session, rid) == date(2025, 3, 1)
    update("started_on = '2024-12-20', referred_on = '2024-12-20'")
    assert _first(session, rid) == date(2025, 1, 5)
    update("first_step_on = '2020-01-01'")  # written by hand: put right
    assert _first(session, rid) == date(2025, 1, 5)


def test_the_close_and_the_payment_leave_it_and_cost_no_recompute(
    session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    rid = _one(session, ow, settings, 1, Step(event_type=JOB, on=date(2025, 1, 10)))
    job = _event(session, rid, date(2025, 1, 10))
    session.execute(text("SET LOCAL track_functions = 'pl'"))
    for state in ("payable", "paid"):
        session.execute(text("UPDATE outcome_event SET state = :s WHERE id = :e"), {"s": state, "e": job})
        assert _first(session, rid) == date(2025, 1, 10)
    calls = text(
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions"
        " WHERE funcname = 'referral_first_step_event'"
    )
    assert session.execute(calls).scalar_one() == 0
    # A clawback takes the paid step out of the count: that one is recomputed.
    session.execute(
        text("UPDATE outcome_event SET state = 'awaiting_clawback', reason = 'Virhe' WHERE id = :e"),
        {"e": job},
    )
    assert session.execute(calls).scalar_one() == 1
    assert _first(session, rid) is None
