"""Voided events are corrected by negative lines in the next period, each naming the line it corrects."""

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session

from outcomes.payments import periods as payment_service
from outcomes.tracking import events
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.payments import (
    approved_period,
    closed_period,
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


def test_clawback_of_a_paid_outcome_and_correction_of_an_unpaid_start(
    session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings, prices=(240_000,))
    officer, finance = pw.officer.caller, pw.finance.caller
    day = months_ago(3).first_day
    paid_person = person(session, pw, n=30, tier="T1", on=day)
    referral, _ = start(session, pw, participant_id=paid_person, on=day)
    job = outcome(
        session, pw, referral_id=referral, event_type="employment_start", on=day + timedelta(days=20)
    )
    voided_person = person(session, pw, n=31, tier="T2", on=day)
    _, unpaid_start = start(session, pw, participant_id=voided_person, on=day + timedelta(days=1))

    first = approved_period(session, pw, month=months_ago(2))
    originals = {line["id"]: line for line in lines_of(session, first)}
    # Voided after the close but before the export: its lines are in the approved basis all the same.
    events.void(
        session, caller=officer, event_id=unpaid_start, reason="Aloitus kirjattiin väärälle", now=utc_now()
    )
    payment_service.confirm_export(session, caller=finance, period_id=first, now=utc_now())
    assert (state_of(session, job), state_of(session, unpaid_start)) == ("paid", "voided")
    # The register shows the job never existed: the paid outcome awaits its clawback.
    events.void(session, caller=officer, event_id=job, reason="Työsuhdetta ei ollut", now=utc_now())
    assert state_of(session, job) == "awaiting_clawback"

    second = closed_period(session, pw, month=months_ago(1))

    lines = lines_of(session, second)
    assert [
        (
            line["event_id"],
            line["kind"],
            line["status"],
            line["amount_cents"],
            line["committed_delta_cents"],
            originals[line["corrects_line_id"]]["kind"],
            originals[line["corrects_line_id"]]["amount_cents"],
        )
        for line in lines
    ] == [
        (unpaid_start, "correction", "payable", -64_800, -64_800, "start_fee", 64_800),
        (unpaid_start, "correction", "withheld", -7_200, -7_200, "start_fee_withheld", 7_200),
        (job, "clawback", "payable", -27_000, -27_000, "outcome", 27_000),
    ]
    for line in lines:
        original = originals[line["corrects_line_id"]]
        assert line["trace"]["corrects"]["trace_id"] == original["trace_id"]
        assert line["home_municipality_code"] == original["home_municipality_code"] == "398"
        assert (line["rule"], line["outcome_key"], line["reason"]) == ("payment_correction", None, None)
    clawback = next(line for line in lines if line["kind"] == "clawback")
    assert clawback["trace"]["event"] == {"state": "awaiting_clawback", "reason": "Työsuhdetta ei ollut"}
    period = payment_service.get_period(session, caller=finance, period_id=second)
    assert (period.payable_cents, period.line_count) == (-27_000 - 64_800, 3)

    payment_service.approve_period(session, caller=officer, period_id=second, now=utc_now())
    payment_service.confirm_export(session, caller=finance, period_id=second, now=utc_now())
    assert (state_of(session, job), state_of(session, unpaid_start)) == ("clawed_back", "voided")
    # Nothing is corrected twice: a later close finds no uncorrected line of a voided event.
    again = session.execute(
        text("SELECT count(*) FROM payment_line WHERE corrects_line_id IS NOT NULL")
    ).scalar_one()
    assert again == 3
