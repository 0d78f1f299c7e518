"""What the database itself holds: an outcome paid once ring-wide, and a closed period that never changes."""

from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg.errors
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from outcomes.payments import periods as payment_service
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import at
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


def duplicate_world(session: Session, settings: Settings) -> tuple[PayWorld, UUID]:
    """One T1 participant on two EMPLOYMENT contracts in turn; both report the same job (episode)."""
    pw = make_pay_world(session, settings=settings, prices=(240_000, 200_000))
    day = months_ago(4).first_day
    who = person(session, pw, n=3, tier="T1", municipality="560", on=day)
    first, _ = start(session, pw, participant_id=who, supplier=0, lot="PH", on=day)
    end(session, pw, referral_id=first, supplier=0, on=day + timedelta(days=10))
    second, _ = start(session, pw, participant_id=who, supplier=1, lot="PH", on=day + timedelta(days=12))
    job = day + timedelta(days=20)
    # The completed service reports the job; the new one reports the same job as self-employment, and
    # the officer verifies that claim an hour later.
    outcome(session, pw, referral_id=first, supplier=0, event_type="employment_start", on=job)
    outcome(
        session,
        pw,
        referral_id=second,
        supplier=1,
        event_type="self_employment_start",
        on=job,
        verified_at=at(job) + timedelta(hours=1),
    )
    # The same outcome type in a later episode is a new outcome.
    outcome(
        session,
        pw,
        referral_id=second,
        supplier=1,
        event_type="employment_start",
        on=job + timedelta(days=40),
    )
    return pw, closed_period(session, pw, month=months_ago(1))


def test_duplicate_outcome_across_two_contracts_is_an_ineligible_line(
    session: Session, settings: Settings
) -> None:
    pw, period_id = duplicate_world(session, settings)
    a, b = (str(pw.contract(i).id) for i in (0, 1))
    lines = lines_of(session, period_id)
    assert [
        (
            str(line["contract_id"]),
            line["event_type"],
            line["kind"],
            line["amount_cents"],
            line["unpaid_cents"],
            line["reason"],
        )
        for line in lines
    ] == [
        (a, "service_start", "start_fee", 48_600, 0, None),  # 240 000 × 30 % × 0.75 = 54 000
        (a, "service_start", "start_fee_withheld", 5_400, 0, None),
        (b, "service_start", "start_fee", 40_500, 0, None),  # 200 000 × 30 % × 0.75 = 45 000
        (b, "service_start", "start_fee_withheld", 4_500, 0, None),
        (a, "employment_start", "outcome", 27_000, 0, None),  # 240 000 × 15 % × 0.75
        (b, "self_employment_start", "ineligible", 0, 22_500, "already paid"),  # 200 000 × 15 % × 0.75
        (b, "employment_start", "outcome", 22_500, 0, None),
    ]
    paid_key, refused_key = lines[4]["outcome_key"], lines[5]["outcome_key"]
    assert paid_key == refused_key and str(paid_key).endswith(
        f"|EMPLOYMENT:outcome_a|{lines[4]['episode_id']}"
    )
    assert lines[5]["trace"]["already_paid"] is True


def test_forcing_a_second_payment_of_an_outcome_is_refused_by_the_unique_index(
    session: Session, settings: Settings
) -> None:
    pw, period_id = duplicate_world(session, settings)
    paid = next(line for line in lines_of(session, period_id) if line["kind"] == "outcome")
    other = payment_service.create_period(
        session, caller=pw.finance.caller, month=months_ago(0).label, now=utc_now()
    )
    columns = [c for c in paid if c != "id"]
    with pytest.raises(DBAPIError) as refused, session.begin_nested():
        session.execute(
            text(
                f"INSERT INTO payment_line ({', '.join(columns)}) SELECT "
                + ", ".join(":other" if c == "period_id" else c for c in columns)
                + " FROM payment_line WHERE id = :id"
            ),
            {"other": other.id, "id": paid["id"]},
        )
    assert isinstance(refused.value.orig, psycopg.errors.UniqueViolation)
    assert "payment_line_outcome_paid_once" in str(refused.value)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE payment_line SET cost_centre = 'changed' WHERE period_id = :p", "UPDATE on payment_line"),
        ("DELETE FROM payment_line WHERE period_id = :p", "DELETE on payment_line"),
        (
            "INSERT INTO payment_line (period_id, contract_id, supplier_id, home_municipality_code,"
            " component, kind, status, unit_amount_cents, amount_cents, unpaid_cents, committed_delta_cents,"
            " vat_code, cost_centre, rule, rule_version, trace, trace_id, line_key, event_id, quantity,"
            " base_cents, rate_num, rate_den, deducted_cents, outcome_claim)"
            " SELECT period_id, contract_id, supplier_id, home_municipality_code, component, kind, status,"
            " unit_amount_cents, 1, 0, 1, vat_code, cost_centre, rule, rule_version, trace, trace_id, 'x',"
            " event_id, 1, 1, 1, 1, 0, 0"
            " FROM payment_line WHERE period_id = :p AND kind = 'start_fee' LIMIT 1",
            "INSERT on payment_line",
        ),
        ("TRUNCATE payment_line CASCADE", "TRUNCATE on payment_line refused"),
        ("UPDATE payment_period SET payable_cents = 0 WHERE id = :p", "its figures cannot change"),
        ("UPDATE payment_period SET snapshot = '{}' WHERE id = :p", "its figures cannot change"),
        ("UPDATE payment_period SET state = 'open', closed_at = NULL WHERE id = :p", "cannot become open"),
        ("UPDATE payment_period SET state = 'exported' WHERE id = :p", "cannot become exported"),
        ("DELETE FROM payment_period WHERE id = :p", "cannot be deleted"),
    ],
)
def test_a_closed_period_is_immutable_in_the_database(
    session: Session, settings: Settings, statement: str, message: str
) -> None:
    pw = make_pay_world(session, settings=settings, prices=(240_000,))
    day = months_ago(2).first_day
    start(session, pw, participant_id=person(session, pw, n=4, on=day), on=day)
    period_id = closed_period(session, pw, month=months_ago(1))
    before = lines_of(session, period_id)
    with pytest.raises(DBAPIError, match=message), session.begin_nested():
        session.execute(text(statement), {"p": period_id})
    assert lines_of(session, period_id) == before
    state = session.execute(
        text("SELECT state, payable_cents FROM payment_period WHERE id = :p"), {"p": period_id}
    ).one()
    assert tuple(state) == ("closed", 64_800)


def test_approval_only_moves_the_state_on(session: Session, settings: Settings) -> None:
    pw = make_pay_world(session, settings=settings, prices=(240_000,))
    period_id = closed_period(session, pw, month=months_ago(1))
    payment_service.approve_period(session, caller=pw.officer.caller, period_id=period_id, now=utc_now())
    row = session.execute(
        text("SELECT state, approved_by FROM payment_period WHERE id = :p"), {"p": period_id}
    ).one()
    assert row[0] == "approved" and row[1] == pw.officer.caller.label
    with pytest.raises(DBAPIError, match="its figures cannot change"), session.begin_nested():
        session.execute(
            text("UPDATE payment_period SET approved_by = 'someone else' WHERE id = :p"), {"p": period_id}
        )


def _line_like(session: Session, source: dict[str, Any], values: dict[str, str]) -> None:
    """Insert a copy of a stored line with some columns replaced (SQL expressions)."""
    columns = [c for c in source if c != "id"]
    picked = [values.get(c, c) for c in columns]
    session.execute(
        text(
            f"INSERT INTO payment_line ({', '.join(columns)}) SELECT {', '.join(picked)} "
            "FROM payment_line WHERE id = :id"
        ),
        {"id": source["id"]},
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"period_id": "gen_random_uuid()"}, "the payment period is closed or does not exist"),
        ({"supplier_id": "gen_random_uuid()"}, "a line names no contract, or not its supplier"),
        ({"event_id": "gen_random_uuid()"}, "a line names no event of its contract"),
        (
            {
                "kind": "'correction'",
                "amount_cents": "-1",
                "base_cents": "-1",
                "rate_num": "1",
                "rate_den": "1",
                "deducted_cents": "0",
                "corrects_line_id": "id + 1000000",
            },
            "a correction names no stored line",
        ),
    ],
)
def test_the_insert_trigger_refuses_lines_that_name_what_does_not_exist_or_belong(
    session: Session, settings: Settings, values: dict[str, str], message: str
) -> None:
    pw = make_pay_world(session, settings=settings, prices=(240_000,))
    day = months_ago(2).first_day
    start(session, pw, participant_id=person(session, pw, n=5, on=day), on=day)
    source = lines_of(session, closed_period(session, pw, month=months_ago(1)))[0]
    other = payment_service.create_period(
        session, caller=pw.finance.caller, month=months_ago(0).label, now=utc_now()
    ).id
    count = "SELECT count(*) FROM payment_line"
    before = session.execute(text(count)).scalar_one()
    with pytest.raises(DBAPIError, match=message), session.begin_nested():
        _line_like(session, source, {"period_id": f"'{other}'::uuid", "line_key": "'x'", **values})
    assert session.execute(text(count)).scalar_one() == before
    # The same line with the values that exist is accepted: the check refuses only what it should.
    valid = {"corrects_line_id": "id"} if "corrects_line_id" in values else {}
    with session.begin_nested():
        kept = {k: v for k, v in values.items() if k != "corrects_line_id"}
        kept = {k: v for k, v in kept.items() if "gen_random_uuid" not in v}
        _line_like(session, source, {"period_id": f"'{other}'::uuid", "line_key": "'x'", **kept, **valid})
    assert session.execute(text(count)).scalar_one() == before + 1
