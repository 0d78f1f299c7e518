"""A matured quarterly cohort settles in the first close after it matures; a settled start's clawback."""

from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import Session

from outcomes.payments import periods as payment_service
from outcomes.tracking import events
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.payments import (
    PayWorld,
    closed_period,
    lines_of,
    make_pay_world,
    months_ago,
    outcome,
    person,
    start,
)


def quarter_start(months_back: int) -> date:
    month = months_ago(months_back)
    return date(month.year, (month.month - 1) // 3 * 3 + 1, 1)


def cohort(session: Session, pw: PayWorld, *, first_day: date) -> list[tuple[object, object]]:
    """20 T2 starts on consecutive days; 18 of them find a job on day 20 (FT 0.9 against 0.8)."""
    made = []
    for i in range(20):
        day = first_day + timedelta(days=i)
        referral, started = start(session, pw, participant_id=person(session, pw, n=100 + i, on=day), on=day)
        job = (
            outcome(
                session, pw, referral_id=referral, event_type="employment_start", on=day + timedelta(days=20)
            )
            if i < 18
            else None
        )
        made.append((started, job))
    return made


def test_matured_cohort_releases_the_withhold_and_pays_the_bonus(
    session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings, prices=(240_000,))
    made = cohort(session, pw, first_day=quarter_start(9))

    period_id = closed_period(session, pw, month=months_ago(2))

    lines = lines_of(session, period_id)
    settled = [line for line in lines if line["rule"] == "flow_through_settlement"]
    bonus = [line for line in lines if line["rule"] == "flow_through_bonus"]
    # Withhold 20 × 7 200 = 144 000, all released at FT 0.9 ≥ 0.8, one line per start; every one of the 18
    # outcome fees (36 000) brings 10 % × (0.9 − 0.8)/(1 − 0.8) = 5 %: 1 800 each, 32 400 in all.
    assert {
        (line["kind"], line["status"], line["amount_cents"], line["committed_delta_cents"])
        for line in settled
    } == {("withhold_release", "payable", 7_200, 0)}
    assert len(settled) == 20 and {line["event_id"] for line in settled} == {started for started, _ in made}
    assert {
        (line["kind"], line["status"], line["amount_cents"], line["committed_delta_cents"]) for line in bonus
    } == {("bonus", "payable", 1_800, 1_800)}
    assert {line["event_id"] for line in bonus} == {job for _, job in made if job is not None}
    assert {line["home_municipality_code"] for line in settled + bonus} == {"398"}
    trace = settled[0]["trace"]
    assert (trace["ft"], trace["release_ratio"], trace["bonus_rate"], trace["inputs"]["withheld_cents"]) == (
        "9/10",
        "1/1",
        "1/20",
        144_000,
    )
    assert trace["start"]["withheld_cents"] == 7_200 and settled[0]["trace"]["bonus_scale"] == "1/2"
    assert bonus[0]["trace"]["inputs"]["fee_cents"] == 36_000
    keys = session.execute(text("SELECT DISTINCT settlement_key FROM payment_settled_start")).scalars().all()
    assert keys == [f"{pw.contract(0).id}/cohort:{quarter_start(9).year}Q{(quarter_start(9).month + 2) // 3}"]
    assert session.execute(text("SELECT count(*) FROM payment_settled_start")).scalar_one() == 20

    # A settled start voided after payment: its released withhold is taken back at the release ratio.
    payment_service.approve_period(session, caller=pw.officer.caller, period_id=period_id, now=utc_now())
    payment_service.confirm_export(session, caller=pw.finance.caller, period_id=period_id, now=utc_now())
    started, job = made[0]
    for event_id in (started, job):
        events.void(
            session,
            caller=pw.officer.caller,
            event_id=event_id,
            reason="Asiakas ei osallistunut",
            now=utc_now(),
        )
    later = closed_period(session, pw, month=months_ago(1))
    assert [
        (line["kind"], line["status"], line["amount_cents"], line["component"])
        for line in lines_of(session, later)
    ] == [
        ("clawback", "payable", -64_800, "start"),
        ("clawback", "payable", -7_200, "start"),  # released in full (ratio 1/1)
        ("clawback", "payable", -36_000, "outcome_a"),
        ("clawback", "payable", -1_800, "bonus"),  # the fee's bonus goes with it
    ]
    again = lines_of(session, later)[1]["trace"]
    assert (again["release_ratio"], again["formula"]) == ("1/1", "-(released part of the withheld fee)")
