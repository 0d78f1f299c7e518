"""Stored public flow-through months equal the whole computation, before and after late facts arrive."""

import random
import re
import uuid
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session, col, select

from outcomes.flowthrough import disclosure, stored
from outcomes.flowthrough.models import FlowThroughMonth
from outcomes.flowthrough.queries import COUNTED_STATES
from outcomes.flowthrough.rules import Dimension
from outcomes.flowthrough.series import month_series
from outcomes.flowthrough.steps import DEFAULT_CONFIG
from outcomes.tracking import events, referrals
from outcomes.tracking.models import OutcomeEvent
from outcomes.tracking.rules import NEXT_STEP_TYPES
from outcomes.tracking.schemas import EventIn, StepEndIn, VerifyIn
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import OutcomeWorld, Step, at, make_outcome_world, run_referral
from tests.reference.public_flowthrough import public_view, reference_table, tables

BASE = date(2025, 1, 1)
LAST = date(2025, 12, 31)
TODAY = date(2026, 1, 20)
JOB = "employment_start"
SUPPLIER, GRID = (Dimension.SUPPLIER,), (Dimension.SUPPLIER, Dimension.MUNICIPALITY)
PLACES = [("LAHTI", "398"), ("PH", "098"), ("PH", "111")]
FEW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _shown(session: Session, ow: OutcomeWorld, by: tuple[Dimension, ...], cutoff: date) -> dict:  # type: ignore[type-arg]
    table = stored.shown_table(
        session, dps_id=ow.world.dps.id, by=by, cutoff=cutoff, config=DEFAULT_CONFIG, now=utc_now()
    )
    return public_view(table, by)


def _expected(session: Session, ow: OutcomeWorld, by: tuple[Dimension, ...], cutoff: date) -> dict:  # type: ignore[type-arg]
    return public_view(reference_table(session, dps_id=ow.world.dps.id, by=by, cutoff=cutoff), by)


def _stored_months(session: Session, by: tuple[Dimension, ...]) -> list[date]:
    grouping = ",".join(d.value for d in by)
    query = select(FlowThroughMonth.month_end).where(FlowThroughMonth.grouping == grouping)
    return sorted(session.exec(query))


def _events(session: Session, referral_id: uuid.UUID) -> list[OutcomeEvent]:
    query = select(OutcomeEvent).where(OutcomeEvent.referral_id == referral_id)
    return list(session.exec(query.order_by(col(OutcomeEvent.recorded_at))))


# --- golden: worked by hand ---------------------------------------------------------------------------------


def _golden(session: Session, settings: Settings) -> tuple[OutcomeWorld, uuid.UUID]:
    """Supplier 1: six starts on 10.1.2025, each with a job from day 20; a seventh whose job is only
    reported. Supplier 2: six starts on 3.2., four with a job. All mature at 10.4. and 4.5."""
    ow = make_outcome_world(session)
    for i in range(6):
        steps = (Step(event_type=JOB, on=date(2025, 1, 30)),)
        run_referral(
            session,
            ow,
            settings=settings,
            n=400 + i,
            referred=date(2025, 1, 10),
            started=date(2025, 1, 10),
            steps=steps,
            today=TODAY,
        )
    late = run_referral(
        session,
        ow,
        settings=settings,
        n=410,
        referred=date(2025, 1, 10),
        started=date(2025, 1, 10),
        steps=(Step(event_type=JOB, on=date(2025, 1, 30), decision="none"),),
        today=TODAY,
    )
    for i in range(6):
        steps = (Step(event_type=JOB, on=date(2025, 2, 23)),) if i < 4 else ()
        run_referral(
            session,
            ow,
            settings=settings,
            n=420 + i,
            referred=date(2025, 2, 3),
            supplier=1,
            started=date(2025, 2, 3),
            steps=steps,
            today=TODAY,
        )
    return ow, late


def test_a_month_is_stored_once_and_read_back_as_computed(session: Session, settings: Settings) -> None:
    ow, _ = _golden(session, settings)
    one, two = (str(s.id) for s in ow.suppliers[:2])
    at_june = _shown(session, ow, SUPPLIER, date(2025, 6, 30))
    # January to June: six month ends, each stored.
    assert _stored_months(session, SUPPLIER) == disclosure.month_ends(date(2025, 1, 10), date(2025, 6, 30))
    # Supplier 1: 7 matured, 6 qualified (the seventh job is not verified); supplier 2: 6 and 4; total 13/10.
    assert (at_june[(one, None)].denominator, at_june[(one, None)].qualified) == (7, 6)
    assert (at_june[(two, None)].denominator, at_june[(two, None)].qualified) == (6, 4)
    assert (at_june[disclosure.TOTAL].denominator, at_june[disclosure.TOTAL].qualified) == (13, 10)
    assert at_june[(one, None)].rate_bp == 8571 and at_june[(two, None)].rate_bp == 6667
    assert _shown(session, ow, SUPPLIER, date(2025, 6, 30)) == at_june  # now read from the stored row
    assert _shown(session, ow, SUPPLIER, date(2025, 4, 30)) == _expected(
        session, ow, SUPPLIER, date(2025, 4, 30)
    )
    assert at_june == _expected(session, ow, SUPPLIER, date(2025, 6, 30))


def test_a_late_verification_forgets_the_months_it_counts_in(session: Session, settings: Settings) -> None:
    ow, late = _golden(session, settings)
    one = str(ow.suppliers[0].id)
    _shown(session, ow, SUPPLIER, date(2025, 6, 30))
    (job,) = [e for e in _events(session, late) if e.event_type == JOB]
    events.verify(session, caller=ow.officer.caller, event_id=job.id, data=VerifyIn(), now=at(TODAY))
    # The start matured on 10.4.2025: the April to June tables counted its step; January to March stay.
    assert _stored_months(session, SUPPLIER) == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    again = _shown(session, ow, SUPPLIER, date(2025, 6, 30))
    assert (again[(one, None)].denominator, again[(one, None)].qualified) == (7, 7)
    assert again == _expected(session, ow, SUPPLIER, date(2025, 6, 30))
    assert len(_stored_months(session, SUPPLIER)) == 6


def test_facts_flow_through_does_not_read_forget_nothing(session: Session, settings: Settings) -> None:
    ow, late = _golden(session, settings)
    _shown(session, ow, SUPPLIER, date(2025, 6, 30))
    # A new start of today counts only from this month on; a sustainment claim is no next step.
    run_referral(session, ow, settings=settings, n=500, referred=TODAY, started=TODAY, today=TODAY)
    session.execute(
        text("UPDATE outcome_event SET evidence_sha256 = :h WHERE referral_id = :r"),
        {"h": "e" * 64, "r": late},
    )
    # Verified to payable to paid (the close, the payment): still counted, nothing forgotten.
    for state in ("payable", "paid"):
        session.execute(
            text("UPDATE outcome_event SET state = :s WHERE referral_id <> :r AND state <> 'reported'"),
            {"s": state, "r": late},
        )
    assert len(_stored_months(session, SUPPLIER)) == 6
    # A start moved a month earlier counts from its new start on: every month is forgotten.
    session.execute(
        text(
            "UPDATE referral SET referred_on = DATE '2024-12-20', started_on = DATE '2024-12-20'"
            " WHERE id = :r"
        ),
        {"r": late},
    )
    assert _stored_months(session, SUPPLIER) == []


def _trigger_calls(session: Session, statement: str, params: dict) -> dict[str, int]:  # type: ignore[type-arg]
    plan = session.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + statement), params).scalar_one()
    # Foreign-key checks show up too (the rows were inserted in this same transaction): only ours count.
    triggers = plan[0].get("Triggers", [])
    return {t["Trigger Name"]: t["Calls"] for t in triggers if t["Trigger Name"].startswith("outcome_event")}


def test_the_close_and_the_payment_queue_no_flow_through_trigger(
    session: Session, settings: Settings
) -> None:
    _, late = _golden(session, settings)
    # Verified to payable to paid, as the close and the payment move them: the trigger's WHEN clause
    # is false on every row, so no call is queued (0023 called the function for each and returned early).
    for state in ("payable", "paid"):
        calls = _trigger_calls(
            session,
            "UPDATE outcome_event SET state = :s WHERE referral_id <> :r AND state <> 'reported'",
            {"s": state, "r": late},
        )
        assert calls == {}
    # A verification turns a reported step into a counted one: each trigger runs, once per row.
    calls = _trigger_calls(
        session,
        "UPDATE outcome_event SET state = 'verified' WHERE referral_id = :r AND event_type = :t",
        {"r": late, "t": JOB},
    )
    assert calls == {"outcome_event_flow_through_forget_update": 1, "outcome_event_first_step_update": 1}
    assert _stored_months(session, SUPPLIER) == []  # nothing was stored yet; the call forgot nothing


def test_the_triggers_know_the_next_steps_and_the_lock_of_the_code(session: Session) -> None:
    source = session.execute(
        text("SELECT string_agg(prosrc, ' ') FROM pg_proc WHERE proname LIKE 'flow_through_forget%'")
    ).scalar_one()
    lists = re.findall(r"event_type IN \(([^)]*)\)", source)
    assert len(lists) == 2  # the old row's type and the new row's
    for found in lists:
        assert set(re.findall(r"'([a-z_]+)'", found)) == {t.value for t in NEXT_STEP_TYPES}
    states = re.findall(r"state IN \(([^)]*)\)", source)
    assert len(states) == 2
    for found in states:
        assert set(re.findall(r"'([a-z_]+)'", found)) == {s.value for s in COUNTED_STATES}
    assert f"pg_advisory_xact_lock_shared({stored.LOCK_SPACE}," in source
    # The update trigger's WHEN clause repeats the function's test of counted states.
    (when,) = session.execute(
        text(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger"
            " WHERE tgname = 'outcome_event_flow_through_forget_update'"
        )
    ).one()
    for found in re.findall(r"state\)::text = ANY \(\(ARRAY\[([^]]*)\]", when):
        assert set(re.findall(r"'([a-z_]+)'", found)) == {s.value for s in COUNTED_STATES}
    assert len(re.findall(r"state\)::text = ANY", when)) == 2


def test_a_reader_stores_nothing_while_a_writer_of_the_dps_is_open(
    session: Session, settings: Settings, engine: Engine
) -> None:
    ow, _ = _golden(session, settings)
    with engine.connect() as writer, writer.begin():
        writer.execute(
            text("SELECT pg_advisory_xact_lock_shared(:s, hashtext(:d))"),
            {"s": stored.LOCK_SPACE, "d": str(ow.world.dps.id)},
        )
        shown = _shown(session, ow, SUPPLIER, date(2025, 6, 30))
    assert _stored_months(session, SUPPLIER) == []
    assert shown == _expected(session, ow, SUPPLIER, date(2025, 6, 30))


# --- generated histories --------------------------------------------------------------------------------


def _history(
    session: Session, settings: Settings, rng: random.Random
) -> tuple[OutcomeWorld, list[uuid.UUID]]:
    ow = make_outcome_world(session)
    made = []
    for n in range(rng.randint(4, 14)):
        start = BASE + timedelta(days=rng.randint(0, 240))
        steps: tuple[Step, ...] = ()
        if rng.random() < 0.7:
            on = start + timedelta(days=rng.randint(1, 100))
            end = min(on + timedelta(days=rng.randint(5, 60)), TODAY) if rng.random() < 0.3 else None
            steps = (Step(event_type=JOB, on=on, end=end, decision=rng.choice(["verify", "verify", "none"])),)
        end_, place = None, rng.choice(PLACES)
        if rng.random() < 0.15:  # after its step, if any: an exit ends the service
            exit_on = max([start + timedelta(days=rng.randint(10, 120)), *(s.on for s in steps)])
            end_ = (exit_on, "neutral_exit", "moved_away")
        made.append(
            run_referral(
                session,
                ow,
                settings=settings,
                n=600 + n,
                referred=start,
                started=start,
                steps=steps,
                end=end_,
                exit_verified=rng.random() < 0.6,
                supplier=rng.randint(0, 1),
                lot=place[0],
                municipality=place[1],
                today=TODAY,
            )
        )
    return ow, made


def _late_fact(session: Session, ow: OutcomeWorld, made: list[uuid.UUID], rng: random.Random) -> None:
    """One fact arriving after the months were stored: a verification, a void, an end, a new step."""
    officer, when = ow.officer.caller, at(TODAY)
    referral = rng.choice(made)
    found = [e for e in _events(session, referral) if e.event_type in {t.value for t in NEXT_STEP_TYPES}]
    pending = [e for e in found if e.state == "reported"]
    live = [e for e in found if e.state == "verified"]
    choice = rng.randint(0, 3)
    if choice == 0 and pending:
        events.verify(session, caller=officer, event_id=pending[0].id, data=VerifyIn(), now=when)
    elif choice == 1 and live:
        events.void(session, caller=officer, event_id=live[0].id, reason="Virheellinen", now=when)
    elif choice == 2 and live and live[0].end_date is None:
        end = min(live[0].event_date + timedelta(days=rng.randint(3, 40)), TODAY)
        events.end_step(session, caller=officer, event_id=live[0].id, data=StepEndIn(end_date=end), now=when)
    else:
        row = referrals.get(session, caller=officer, referral_id=referral)
        assert row.started_on is not None
        latest = min(row.started_on + timedelta(days=90), row.ended_on or TODAY)  # not after an exit
        on = row.started_on + timedelta(days=rng.randint(1, (latest - row.started_on).days))
        data = EventIn(event_type="studies_started", event_date=on, source_register="koski")
        events.report(session, caller=officer, referral_id=referral, data=data, now=when)


@FEW
@given(seed=st.integers(0, 2**32 - 1), two_dimensional=st.booleans())
def test_stored_months_equal_the_whole_computation_through_late_facts(
    connection: Connection, settings: Settings, seed: int, two_dimensional: bool
) -> None:
    rng = random.Random(seed)
    by = GRID if two_dimensional else SUPPLIER
    savepoint = connection.begin_nested()
    try:
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            ow, made = _history(session, settings, rng)
            ends = disclosure.month_ends(BASE, LAST)
            for cutoff in [*rng.sample(ends, 4), LAST]:
                assert _shown(session, ow, by, cutoff) == _expected(session, ow, by, cutoff), cutoff
            for _ in range(2):
                _late_fact(session, ow, made, rng)
                for cutoff in [rng.choice(ends), LAST, *ends]:
                    assert _shown(session, ow, by, cutoff) == _expected(session, ow, by, cutoff), cutoff
    finally:
        savepoint.rollback()


@FEW
@given(seed=st.integers(0, 2**32 - 1))
def test_the_one_pass_series_equals_the_aggregate_at_every_month_end(
    connection: Connection, settings: Settings, seed: int
) -> None:
    rng = random.Random(seed)
    savepoint = connection.begin_nested()
    try:
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            ow, _ = _history(session, settings, rng)
            ends = disclosure.month_ends(BASE, LAST)
            for by in (SUPPLIER, GRID, (Dimension.CATEGORY, Dimension.TARGET_GROUP), (Dimension.MONTH,)):
                expected = tables(session, dps_id=ow.world.dps.id, by=by, cutoffs=ends, config=DEFAULT_CONFIG)
                got = month_series(session, dps_id=ow.world.dps.id, by=by, cutoffs=ends)
                assert got == expected, by
    finally:
        savepoint.rollback()
