"""The database itself holds the outcome invariants, whatever the services do."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.factories.outcomes import Step, hetu, make_outcome_world, run_referral

DAY = date(2025, 6, 2)


def _refused(session: Session, sql: str, params: dict[str, object], words: str) -> None:
    with pytest.raises(DBAPIError) as raised, session.begin_nested():
        session.execute(text(sql), params)
    assert words in str(raised.value)


def test_outcome_invariants_live_in_postgresql(session: Session, settings: Settings) -> None:
    ow = make_outcome_world(session)
    first = run_referral(
        session, ow, settings=settings, n=1, referred=DAY, started=DAY,
        steps=(Step(event_type="employment_start", on=date(2025, 6, 20)),), today=date(2025, 7, 1),
    )  # fmt: skip
    other = run_referral(session, ow, settings=settings, n=2, referred=DAY, today=date(2025, 7, 1))
    _refused(session, "UPDATE participant SET pseudonym = :p", {"p": hetu(3)}, "participant_pseudonym_hex")
    _refused(
        session,
        "UPDATE referral SET category_code = 'INCLUSION' WHERE id = :r",
        {"r": first},
        "is not its contract's category",
    )
    _refused(
        session,
        "UPDATE outcome_event SET participant_id = (SELECT participant_id FROM referral WHERE id = :o) "
        "WHERE referral_id = :r",
        {"o": other, "r": first},
        "is not its referral's participant",
    )
    _refused(
        session,
        "INSERT INTO referral (id, participant_id, contract_id, lot_id, authority_id, supplier_id,"
        " category_code, state, referred_on, referred_at, referred_by, home_municipality_code, target_groups,"
        " tier, partial_work_ability) SELECT gen_random_uuid(), participant_id, contract_id, lot_id,"
        " authority_id, supplier_id, category_code, 'referred', referred_on, referred_at, referred_by,"
        " home_municipality_code, target_groups, tier, partial_work_ability FROM referral WHERE id = :r",
        {"r": other},
        "referral_one_active_per_category",
    )
    _refused(
        session,
        "UPDATE referral SET state = 'ended', ended_on = started_on, end_reason = 'neutral_exit' "
        "WHERE id = :r",
        {"r": first},
        "referral_neutral_exit",
    )
    _refused(
        session,
        "UPDATE outcome_event SET state = 'rejected' WHERE referral_id = :r",
        {"r": first},
        "outcome_event_reason",
    )


def test_referrals_and_events_carry_their_contracts_authority_and_supplier(
    session: Session, settings: Settings
) -> None:
    """The copies the lists page by can never differ from the contract's (composite foreign keys)."""
    ow = make_outcome_world(session)
    first = run_referral(
        session, ow, settings=settings, n=1, referred=DAY, started=DAY,
        steps=(Step(event_type="employment_start", on=date(2025, 6, 20)),), today=date(2025, 7, 1),
    )  # fmt: skip
    row = session.execute(
        text(
            "SELECT r.authority_id = c.authority_id AND r.supplier_id = c.supplier_id,"
            " bool_and(e.authority_id = c.authority_id AND e.supplier_id = c.supplier_id), count(e.id)"
            " FROM referral r JOIN contract c ON c.id = r.contract_id"
            " JOIN outcome_event e ON e.referral_id = r.id"
            " WHERE r.id = :r GROUP BY 1"
        ),
        {"r": first},
    ).one()
    assert tuple(row) == (True, True, 2)  # the service start and the job
    no_events = run_referral(session, ow, settings=settings, n=2, referred=DAY, today=date(2025, 7, 1))
    _refused(
        session,
        "UPDATE referral SET supplier_id = :s WHERE id = :r",
        {"s": ow.suppliers[1].id, "r": no_events},
        "referral_scope",
    )
    _refused(
        session,
        "UPDATE outcome_event SET authority_id = :a WHERE referral_id = :r",
        {"a": ow.world.member_id, "r": first},
        "outcome_event_scope",
    )
