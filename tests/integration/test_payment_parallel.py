"""A close computed in worker processes gives the same lines as one computed in this process."""

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session

from outcomes.tracking.rules import add_months
from procurement.core.settings import Settings
from tests.factories.outcomes import OutcomeWorld, make_awarded, make_contract
from tests.factories.payments import (
    PayWorld,
    closed_period,
    end,
    lines_of,
    make_pay_world,
    months_ago,
    outcome,
    person,
    start,
)
from tests.factories.registry import admit

STEPS = ("employment_start", "employed_3_months", "employed_6_months")


def test_worker_processes_give_the_serial_lines(session: Session, settings: Settings) -> None:
    pw = make_pay_world(session, settings=settings, prices=(240_000, 200_000), ceiling_cents=400_000)
    day = months_ago(11).first_day
    for n in range(8):
        supplier, tier = n % 2, ("T1", "T2", "T3", "T4")[n % 4]
        who = person(session, pw, n=40 + n, tier=tier, partial=n == 5, on=day)
        referral, _ = start(session, pw, participant_id=who, supplier=supplier, on=day + timedelta(days=n))
        job = day + timedelta(days=30 + n)
        for k, kind in enumerate(STEPS[: 1 + n % 3]):
            on = add_months(job, (0, 3, 6)[k])
            outcome(session, pw, referral_id=referral, supplier=supplier, event_type=kind, on=on)
        if n == 6:
            later = add_months(job, 6)
            end(session, pw, referral_id=referral, supplier=supplier, on=later)
            again, _ = start(session, pw, participant_id=who, supplier=supplier, on=later + timedelta(days=1))
            outcome(
                session,
                pw,
                referral_id=again,
                supplier=supplier,
                event_type="employment_start",
                on=later + timedelta(days=10),
            )
    runs = {}
    for workers in (1, 2):
        with session.begin_nested() as attempt:
            period_id = closed_period(session, pw, month=months_ago(1), workers=workers)
            lines = [
                {k: v for k, v in line.items() if k not in ("id", "period_id")}
                for line in lines_of(session, period_id)
            ]
            runs[workers] = sorted(lines, key=lambda line: str(line["line_key"]))
            attempt.rollback()
    # 9 starts (paid and withheld parts), 16 outcomes, and what the contract ceilings refuse.
    assert len(runs[1]) == 35
    assert runs[2] == runs[1]
    kinds = sorted({(str(line["kind"]), str(line["reason"])) for line in runs[1]})
    assert ("ineligible", "contract value ceiling") in kinds


def second_category(session: Session, pw: PayWorld, *, category: str) -> PayWorld:
    """The same authority and suppliers with a contract each in another category."""
    ow = pw.ow
    awarded = make_awarded(session, world=ow.world, created_by=ow.officer.caller.id, category=category)
    contracts = []
    for supplier in ow.suppliers:
        admit(session, dps=ow.world.dps, supplier=supplier, categories=(category,))
        contracts.append(make_contract(session, awarded=awarded, supplier=supplier))
    other = OutcomeWorld(
        world=ow.world,
        officer=ow.officer,
        other_officer=ow.other_officer,
        awarded=awarded,
        suppliers=ow.suppliers,
        supplier_parties=ow.supplier_parties,
        contracts=contracts,
    )
    return replace(pw, ow=other)


def test_a_close_moves_each_category_and_its_workers_give_the_serial_lines(
    session: Session, settings: Settings
) -> None:
    jobs = make_pay_world(session, settings=settings)
    studies = second_category(session, jobs, category="COMPETENCE")
    day = months_ago(11).first_day
    for n in range(6):
        supplier = n % 2
        who = person(session, jobs, n=60 + n, on=day)
        referral, _ = start(session, jobs, participant_id=who, supplier=supplier, on=day + timedelta(days=n))
        outcome(
            session,
            jobs,
            referral_id=referral,
            supplier=supplier,
            event_type="employment_start",
            on=day + timedelta(days=30 + n),
        )
        learner = person(session, studies, n=70 + n, on=day)
        course, _ = start(
            session, studies, participant_id=learner, supplier=supplier, on=day + timedelta(days=n)
        )
        outcome(
            session,
            studies,
            referral_id=course,
            supplier=supplier,
            event_type="qualification_completed",
            on=day + timedelta(days=60 + n),
        )
    runs, moved = {}, {}
    for workers in (1, 2):
        with session.begin_nested() as attempt:
            period_id = closed_period(session, jobs, month=months_ago(1), workers=workers)
            lines = [
                {k: v for k, v in line.items() if k not in ("id", "period_id")}
                for line in lines_of(session, period_id)
            ]
            runs[workers] = sorted(lines, key=lambda line: str(line["line_key"]))
            moved[workers] = session.execute(
                text("SELECT event_count FROM payment_period WHERE id = :p"), {"p": period_id}
            ).scalar_one()
            attempt.rollback()
    # 24 events: each category's 6 starts and 6 outcomes, all moved and paid in both runs.
    assert moved == {1: 24, 2: 24}
    assert runs[2] == runs[1]
    contracts = {str(line["contract_id"]) for line in runs[1]}
    assert contracts == {str(c.id) for c in (*jobs.ow.contracts, *studies.ow.contracts)}
    kinds = {(str(line["contract_id"]), str(line["kind"])) for line in runs[1]}
    assert all((str(c.id), "outcome") in kinds for c in (*jobs.ow.contracts, *studies.ow.contracts))
