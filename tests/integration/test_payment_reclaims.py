"""Once-only payment of an outcome: a clawed-back outcome can be claimed again; the first verified wins."""

import uuid
from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import Session

from outcomes.tracking import events
from outcomes.tracking.schemas import VerifyIn
from procurement.core.settings import Settings
from tests.factories.outcomes import at
from tests.factories.payments import (
    PayWorld,
    closed_period,
    end,
    exported_period,
    lines_of,
    make_pay_world,
    months_ago,
    outcome,
    person,
    start,
)


def state_of(session: Session, event_id: object) -> str:
    return str(
        session.execute(text("SELECT state FROM outcome_event WHERE id = :e"), {"e": event_id}).scalar_one()
    )


def two_referrals(session: Session, pw: PayWorld, *, day: date) -> tuple[uuid.UUID, uuid.UUID]:
    """One T2 participant: a completed referral on contract 0, then a running one on contract 1."""
    who = person(session, pw, n=7, tier="T2", on=day)
    first, _ = start(session, pw, participant_id=who, supplier=0, on=day)
    end(session, pw, referral_id=first, supplier=0, on=day + timedelta(days=10))
    second, _ = start(session, pw, participant_id=who, supplier=1, on=day + timedelta(days=12))
    return first, second


def clawed_back(session: Session, pw: PayWorld, *, referral: uuid.UUID, job: date) -> uuid.UUID:
    """Contract 0 is paid the job start, then it is voided, clawed back and the clawback exported."""
    paid = outcome(session, pw, referral_id=referral, supplier=0, event_type="employment_start", on=job)
    exported_period(session, pw, month=months_ago(5))
    assert state_of(session, paid) == "paid"
    events.void(session, caller=pw.officer.caller, event_id=paid, reason="Väärä työnantaja", now=at(job))
    clawback = exported_period(session, pw, month=months_ago(4))
    assert [(line["kind"], line["amount_cents"]) for line in lines_of(session, clawback)] == [
        ("clawback", -36_000)
    ]
    assert state_of(session, paid) == "clawed_back"
    return paid


def test_a_clawed_back_outcome_can_be_claimed_again_on_another_contract(
    session: Session, settings: Settings
) -> None:
    """The same job (same episode) correctly claimed by the other contract is paid after the clawback."""
    pw = make_pay_world(session, settings=settings, prices=(240_000, 200_000))
    day = months_ago(6).first_day
    first, second = two_referrals(session, pw, day=day)
    job = day + timedelta(days=20)
    clawed_back(session, pw, referral=first, job=job)
    again = outcome(session, pw, referral_id=second, supplier=1, event_type="employment_start", on=job)

    lines = lines_of(session, closed_period(session, pw, month=months_ago(3)))

    # 200 000 × 15 % × 1.0 = 30 000, paid as the outcome's second claim (the first was reversed).
    assert [(line["event_id"], line["kind"], line["amount_cents"]) for line in lines] == [
        (again, "outcome", 30_000)
    ]
    assert lines[0]["outcome_claim"] == 1
    assert lines[0]["trace"]["already_paid"] is False


def test_a_clawed_back_outcome_can_be_claimed_again_on_its_own_referral(
    session: Session, settings: Settings
) -> None:
    """A clawed-back claim no longer holds its episode on the referral: a correct one is taken and paid."""
    pw = make_pay_world(session, settings=settings, prices=(240_000, 200_000))
    day = months_ago(6).first_day
    first, _ = two_referrals(session, pw, day=day)
    job = day + timedelta(days=20)
    clawed_back(session, pw, referral=first, job=job)
    again = outcome(session, pw, referral_id=first, supplier=0, event_type="employment_start", on=job)

    lines = lines_of(session, closed_period(session, pw, month=months_ago(3)))

    assert [(line["event_id"], line["kind"], line["amount_cents"]) for line in lines] == [
        (again, "outcome", 36_000)
    ]


def test_of_two_claims_of_one_outcome_the_first_verified_is_paid(
    session: Session, settings: Settings
) -> None:
    """Same job, same day, two contracts: the claim verified first wins, whatever the events' random ids."""
    pw = make_pay_world(session, settings=settings, prices=(240_000, 200_000))
    day = months_ago(4).first_day
    first, second = two_referrals(session, pw, day=day)
    job = day + timedelta(days=20)
    claims = {
        outcome(
            session, pw, referral_id=first, supplier=0, event_type="employment_start", on=job, verify=False
        ): 0,
        outcome(
            session, pw, referral_id=second, supplier=1, event_type="employment_start", on=job, verify=False
        ): 1,
    }
    # Verify first the claim whose id sorts last, so that an order by id would pick the other one.
    winner, loser = sorted(claims, key=str, reverse=True)
    for event_id, hour in ((winner, 11), (loser, 12)):
        events.verify(
            session,
            caller=pw.officer.caller,
            event_id=event_id,
            data=VerifyIn(),
            now=at(job).replace(hour=hour),
        )

    lines = [
        line
        for line in lines_of(session, closed_period(session, pw, month=months_ago(1)))
        if line["component"] == "outcome_a"
    ]

    price = (240_000, 200_000)[claims[winner]]
    other = (240_000, 200_000)[claims[loser]]
    assert [
        (line["event_id"], line["kind"], line["amount_cents"], line["unpaid_cents"], line["reason"])
        for line in lines
    ] == [
        (winner, "outcome", price * 15 // 100, 0, None),
        (loser, "ineligible", 0, other * 15 // 100, "already paid"),
    ]
