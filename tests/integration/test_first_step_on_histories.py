"""Generated histories: the stored first step equals a plain recompute, and the report from it equals the
report that reads the events, cell by cell, through late verifications, voids, rejections and rung and
start changes (migration 0025; the golden cases are in test_first_step_on.py)."""

import random
import uuid
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, text
from sqlmodel import Session

from outcomes.flowthrough.queries import COUNTED_STATES, fetch_series, start_verdicts
from outcomes.flowthrough.rules import Dimension
from outcomes.flowthrough.steps import DEFAULT_CONFIG, FlowThroughConfig
from outcomes.tracking import events
from outcomes.tracking.rules import NEXT_STEP_TYPES, RUNG_REQUIRED, SERVICE_LADDER
from outcomes.tracking.schemas import EventIn, VerifyIn
from procurement.core.settings import Settings
from tests.factories.outcomes import OutcomeWorld, Step, at, make_outcome_world, run_referral

TODAY = date(2025, 9, 30)
JOB, STUDIES, LADDER = "employment_start", "studies_started", "next_service_step"


def _first(session: Session, referral_id: uuid.UUID) -> date | None:
    return session.execute(
        text("SELECT first_step_on FROM referral WHERE id = :id"), {"id": referral_id}
    ).scalar_one()


PLACES = [("LAHTI", "398"), ("PH", "098"), ("PH", "111")]
RUNGS = [r.value for r in SERVICE_LADDER]
FEW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _steps(rng: random.Random, start: date) -> tuple[Step, ...]:
    steps = []
    for _ in range(rng.randint(0, 3)):
        on = start + timedelta(days=rng.randint(-3, 200))
        kind = rng.choice([JOB, JOB, STUDIES, LADDER])
        held = rng.choice([None, None, 28, 29, 30, 31, 60])
        steps.append(
            Step(
                event_type=kind,
                on=on,
                end=None if held is None else min(on + timedelta(days=held - 1), TODAY),
                rung=rng.choice(RUNGS) if kind == LADDER else None,
                pre_dates_referral=rng.random() < 0.1,
                decision=rng.choice(["verify", "verify", "none", "reject"]),
            )
        )
    # One report per type and episode: the later of two on a day would be a duplicate.
    return tuple({(s.event_type, s.on): s for s in steps}.values())


def _history(
    session: Session, settings: Settings, rng: random.Random
) -> tuple[OutcomeWorld, list[uuid.UUID]]:
    ow = make_outcome_world(session)
    made = []
    for n in range(rng.randint(5, 12)):
        start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 150))
        referred = start - timedelta(days=rng.randint(0, 10))
        place = rng.choice(PLACES)
        made.append(
            run_referral(
                session,
                ow,
                settings=settings,
                n=700 + n,
                referred=referred,
                started=start,
                steps=tuple(s for s in _steps(rng, start) if referred <= s.on <= TODAY),
                current_rung=rng.choice([None, *RUNGS]),
                supplier=rng.randint(0, 1),
                lot=place[0],
                municipality=place[1],
                today=TODAY,
            )
        )
    return ow, made


def _late_fact(session: Session, ow: OutcomeWorld, made: list[uuid.UUID], rng: random.Random) -> None:
    """A verification, a void, a rejection, a new register step, a new rung or a moved start."""
    officer, when, rid = ow.officer.caller, at(TODAY), rng.choice(made)
    found = session.execute(
        text(
            "SELECT id, state FROM outcome_event WHERE referral_id = :r AND event_type IN"
            " ('employment_start', 'next_service_step', 'self_employment_start', 'studies_started')"
            " ORDER BY id"
        ),
        {"r": rid},
    ).all()
    pending = [e.id for e in found if e.state == "reported"]
    live = [e.id for e in found if e.state == "verified"]
    choice = rng.randint(0, 5)
    if choice == 0 and pending:
        events.verify(session, caller=officer, event_id=rng.choice(pending), data=VerifyIn(), now=when)
    elif choice == 1 and live:
        events.void(session, caller=officer, event_id=rng.choice(live), reason="Virheellinen", now=when)
    elif choice == 2 and pending:
        events.reject(session, caller=officer, event_id=rng.choice(pending), reason="Ei näyttöä", now=when)
    elif choice == 3:
        session.execute(
            text("UPDATE referral SET current_rung = :g WHERE id = :r"), {"g": rng.choice(RUNGS), "r": rid}
        )
    elif choice == 4:
        session.execute(
            text("UPDATE referral SET started_on = started_on + :d WHERE id = :r"),
            {"d": rng.randint(0, 20), "r": rid},
        )
    else:
        started = session.execute(
            text("SELECT started_on FROM referral WHERE id = :r"), {"r": rid}
        ).scalar_one()
        on = min(started + timedelta(days=rng.randint(1, 120)), TODAY)
        data = EventIn(event_type=STUDIES, event_date=on, source_register="koski")
        if (
            session.execute(
                text(
                    "SELECT count(*) FROM outcome_event"
                    " WHERE referral_id = :r AND event_date = :d AND event_type = :t"
                ),
                {"r": rid, "d": on, "t": STUDIES},
            ).scalar_one()
            == 0
        ):
            events.report(session, caller=officer, referral_id=rid, data=data, now=when)


def _recomputed(session: Session, made: list[uuid.UUID]) -> dict[uuid.UUID, date | None]:
    """The plain reference: every rule but the horizon and the cut-off, in Python, on the rows as they are."""
    ladder = {r: i for i, r in enumerate(RUNGS)}
    counted, steps = {s.value for s in COUNTED_STATES}, {t.value for t in NEXT_STEP_TYPES}
    found: dict[uuid.UUID, date | None] = {}
    for rid in made:
        r = session.execute(
            text("SELECT referred_on, started_on, current_rung FROM referral WHERE id = :r"), {"r": rid}
        ).one()
        dates = []
        for e in session.execute(
            text("SELECT * FROM outcome_event WHERE referral_id = :r"), {"r": rid}
        ).all():
            if e.state not in counted or e.event_type not in steps or e.pre_dates_referral:
                continue
            if e.event_date < r.referred_on or e.event_date <= r.started_on:
                continue
            if e.rung is not None and r.current_rung is not None:
                if ladder[e.rung] <= ladder[r.current_rung]:
                    continue
            elif e.event_type in {t.value for t in RUNG_REQUIRED}:
                continue
            if (
                e.end_date is not None
                and (e.end_date - e.event_date).days + 1 < DEFAULT_CONFIG.persistence_days
            ):
                continue
            dates.append(e.event_date)
        found[rid] = min(dates, default=None)
    return found


def _boundaries(session: Session, made: list[uuid.UUID]) -> tuple[list[date], list[int]]:
    """Cut-offs on the last day before and the first day a step has been held, and horizons ending on a
    step's day and the day before it: where an off-by-one would show."""
    rows = session.execute(
        text(
            "SELECT e.event_date, r.started_on FROM outcome_event e JOIN referral r ON r.id = e.referral_id"
            " WHERE e.referral_id = ANY(:m) AND e.event_type <> 'service_start'"
            " AND e.event_date > r.started_on"
        ),
        {"m": made},
    ).all()
    held = DEFAULT_CONFIG.persistence_days - 1
    cutoffs = sorted({e.event_date + timedelta(days=held + d) for e in rows for d in (-1, 0)})
    horizons = sorted({(e.event_date - e.started_on).days + d for e in rows for d in (-1, 0)} - {0})
    return cutoffs[:: max(1, len(cutoffs) // 8)], horizons[:: max(1, len(horizons) // 4)]


def _paths_agree(
    session: Session, ow: OutcomeWorld, made: list[uuid.UUID], horizons: tuple[int, ...]
) -> None:
    edges, edge_horizons = _boundaries(session, made)
    cutoffs = sorted({date(2025, 1, 31), date(2025, 5, 1), TODAY, *edges})
    horizons = (*horizons, *edge_horizons)
    groupings: tuple[tuple[Dimension, ...], ...] = (
        (),
        (Dimension.SUPPLIER,),
        (Dimension.MUNICIPALITY, Dimension.MONTH),
    )
    for horizon in horizons:
        config = FlowThroughConfig(horizon_days=horizon)
        for by in groupings:
            scope = {"authority_id": ow.officer.caller.authority_id}
            stored = fetch_series(session, by=by, cutoffs=cutoffs, config=config, **scope)
            probed = fetch_series(session, by=by, cutoffs=cutoffs, config=config, probe=True, **scope)
            assert stored == probed, (horizon, by)
            for cutoff in cutoffs[:2]:  # one cut-off alone takes the constant's path
                one = fetch_series(session, by=by, cutoffs=[cutoff], config=config, **scope)
                assert one.get(cutoff) == probed.get(cutoff), (horizon, by, cutoff)
        ids = [str(r) for r in made]
        for cutoff in cutoffs:
            stored_v = start_verdicts(session, referral_ids=ids, cutoff=cutoff, config=config)
            assert stored_v == start_verdicts(
                session, referral_ids=ids, cutoff=cutoff, config=config, probe=True
            )


@FEW
@given(seed=st.integers(0, 2**32 - 1), model_horizon=st.integers(1, 365))
def test_the_stored_path_equals_the_probing_path_through_late_facts(
    connection: Connection, settings: Settings, seed: int, model_horizon: int
) -> None:
    rng = random.Random(seed)
    savepoint = connection.begin_nested()
    try:
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            ow, made = _history(session, settings, rng)
            assert {r: _first(session, r) for r in made} == _recomputed(session, made)
            _paths_agree(session, ow, made, (90, model_horizon))
            for _ in range(4):
                _late_fact(session, ow, made, rng)
                assert {r: _first(session, r) for r in made} == _recomputed(session, made)
            _paths_agree(session, ow, made, (90, model_horizon))
    finally:
        savepoint.rollback()
