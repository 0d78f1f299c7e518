"""Cohort settlement through real closes: its own starts only, its cut-off, and the bonus on later fees."""

from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import Session

from outcomes.payments.period_rules import Month
from outcomes.tracking import events, referrals
from outcomes.tracking.rules import add_months
from outcomes.tracking.schemas import ReferralIn, StartIn
from procurement.core.settings import Settings
from tests.factories.outcomes import at
from tests.factories.payments import (
    PayWorld,
    closed_period,
    lines_of,
    make_cohort,
    make_pay_world,
    months_ago,
    outcome,
    person,
    quarter_start,
    start,
)


def settlement_lines(lines: list[dict[str, object]]) -> list[dict[str, object]]:
    return [line for line in lines if line["rule"] in ("flow_through_settlement", "flow_through_bonus")]


def test_a_fee_paid_after_the_settlement_brings_its_bonus_at_the_settled_rate(
    session: Session, settings: Settings
) -> None:
    """FT 0.9 fixes the bonus at 5 %: the six-month fee paid two periods later brings 5 % of itself."""
    pw = make_pay_world(session, settings=settings, prices=(240_000,))
    made = make_cohort(session, pw, first_day=quarter_start(9), count=20, qualified=18)
    settled = lines_of(session, closed_period(session, pw, month=months_ago(6)))
    # 10 % × (0.9 − 0.8)/(1 − 0.8) = 5 % of the 18 job-start fees paid so far (18 × 36 000).
    assert sum(line["amount_cents"] for line in settled if line["kind"] == "bonus") == 32_400

    job_day = made[0].on + timedelta(days=20)
    six = outcome(
        session, pw, referral_id=made[0].referral, event_type="employed_6_months", on=add_months(job_day, 6)
    )
    later = lines_of(session, closed_period(session, pw, month=months_ago(4)))

    # 240 000 × 30 % = 72 000 for six months employed, and 5 % of it as the cohort's bonus.
    assert [(line["event_id"], line["kind"], line["component"], line["amount_cents"]) for line in later] == [
        (six, "outcome", "outcome_c", 72_000),
        (six, "bonus", "bonus", 3_600),
    ]
    assert later[1]["trace"]["inputs"]["bonus_rate"] == "1/20"


def _started_but_rejected(session: Session, pw: PayWorld, *, n: int, on: date) -> None:
    """A referral started whose start the officer rejects: no start fee, so no place in any cohort."""
    who = person(session, pw, n=n, on=on)
    made = referrals.refer(
        session,
        caller=pw.officer.caller,
        now=at(on),
        data=ReferralIn(
            participant_id=who, contract_id=pw.contract(0).id, lot_id=pw.ow.awarded.lots["LAHTI"].id
        ),
    )
    begun = referrals.start(
        session,
        caller=pw.ow.supplier_parties[0].caller,
        referral_id=made.id,
        now=at(on),
        data=StartIn(started_on=on, evidence_sha256="b" * 64),
    )
    events.reject(
        session, caller=pw.officer.caller, event_id=begun.events[0].id, reason="Ei aloitettu", now=at(on)
    )


def test_a_cohorts_flow_through_counts_exactly_the_starts_whose_fees_belong_to_it(
    session: Session, settings: Settings
) -> None:
    """18 of the cohort's 20 starts qualified: FT 0.9, not 18/25 with five rejected starts besides."""
    pw = make_pay_world(session, settings=settings, prices=(240_000,))
    first = quarter_start(9)
    make_cohort(session, pw, first_day=first, count=20, qualified=18)
    for i in range(5):
        _started_but_rejected(session, pw, n=300 + i, on=first + timedelta(days=i))

    settled = settlement_lines(lines_of(session, closed_period(session, pw, month=months_ago(2))))

    assert {
        (line["kind"], line["amount_cents"], line["unpaid_cents"])
        for line in settled
        if line["kind"] != "bonus"
    } == {("withhold_release", 7_200, 0)}
    assert (settled[0]["trace"]["ft"], settled[0]["trace"]["inputs"]["starts"]) == ("9/10", 20)


def test_a_late_start_of_a_settled_quarter_settles_on_its_own_flow_through(
    session: Session, settings: Settings
) -> None:
    """Verified after its quarter settled, a start forms its own cohort: FT 0/1, not the quarter again."""
    pw = make_pay_world(session, settings=settings, prices=(240_000,))
    first = quarter_start(9)
    make_cohort(session, pw, first_day=first, count=20, qualified=18)
    who = person(session, pw, n=400, on=first)
    _, late = start(session, pw, participant_id=who, on=first + timedelta(days=3))
    session.execute(
        text("UPDATE outcome_event SET state = 'reported', decided_at = NULL WHERE id = :e"), {"e": late}
    )
    closed_period(session, pw, month=months_ago(6))
    session.execute(
        text("UPDATE outcome_event SET state = 'verified', decided_at = now() WHERE id = :e"), {"e": late}
    )
    # The contract is completed, so its last cohort settles whatever its size (the final settlement).
    session.execute(
        text("UPDATE contract SET state = 'completed', ended_at = now() WHERE id = :c"),
        {"c": pw.contract(0).id},
    )
    session.expire_all()

    settled = settlement_lines(lines_of(session, closed_period(session, pw, month=months_ago(4))))

    assert [
        (line["event_id"], line["kind"], line["amount_cents"], line["unpaid_cents"]) for line in settled
    ] == [(late, "malus", 0, 7_200)]
    assert (settled[0]["trace"]["ft"], settled[0]["trace"]["inputs"]["starts"]) == ("0/1", 1)


def _maturing_at_month_end() -> tuple[Month, date]:
    """A month whose last day is exactly 125 days after a start with 19 days of its quarter before it."""
    for back in range(2, 8):
        month = months_ago(back)
        last_start = month.last_day - timedelta(days=125)
        earliest = last_start - timedelta(days=19)
        if (earliest.year, (earliest.month - 1) // 3) == (last_start.year, (last_start.month - 1) // 3):
            return month, last_start
    raise AssertionError("no month fits")


def test_settlement_judges_flow_through_a_data_lag_before_the_month_end(
    session: Session, settings: Settings
) -> None:
    """Cut-off = month end − 35 days: a job held 30 days by then counts, one held 30 days later does not."""
    pw = make_pay_world(session, settings=settings, prices=(240_000,))
    month, last_start = _maturing_at_month_end()
    cutoff = month.last_day - timedelta(days=35)  # = last start + 90: every start has just matured
    made = make_cohort(session, pw, first_day=last_start - timedelta(days=19), count=18, qualified=17)
    for n, (on, job) in enumerate(
        (
            (last_start - timedelta(days=1), cutoff - timedelta(days=29)),  # 30 days on the cut-off itself
            (last_start, last_start + timedelta(days=88)),  # 30 days only on last start + 117 > the cut-off
        )
    ):
        who = person(session, pw, n=500 + n, on=on)
        referral, _ = start(session, pw, participant_id=who, on=on)
        outcome(session, pw, referral_id=referral, event_type="employment_start", on=job)
    assert len(made) == 18

    settled = settlement_lines(lines_of(session, closed_period(session, pw, month=month)))

    trace = settled[0]["trace"]
    # 17 jobs long held, the one held to the day: 18 of 20.
    assert (trace["ft"], trace["inputs"]["starts"]) == ("9/10", 20)
    assert (trace["inputs"]["ft_cutoff"], trace["inputs"]["matures_on"]) == (
        cutoff.isoformat(),
        month.last_day.isoformat(),
    )
