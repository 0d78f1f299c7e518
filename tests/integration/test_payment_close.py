"""Closing a period through the database: hand-made participants, every line checked to the cent."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from outcomes.payments import close as payment_close
from outcomes.payments.lines import trace_digest
from outcomes.payments.models import PaymentPeriod
from outcomes.payments.rows import canonical_trace
from outcomes.tracking.rules import add_months
from procurement.core.settings import Settings
from tests.factories.payments import (
    closed_period,
    end,
    lines_of,
    make_pay_world,
    months_ago,
    outcome,
    person,
    start,
)

Summary = tuple[str, str, str, int, int, str | None]


def summary(lines: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [
        (
            line["event_type"],
            line["kind"],
            line["status"],
            line["amount_cents"],
            line["unpaid_cents"],
            line["reason"],
        )
        for line in lines
    ]


def states(session: Session, *event_ids: object) -> list[str]:
    return [
        session.execute(text("SELECT state FROM outcome_event WHERE id = :e"), {"e": e}).scalar_one()
        for e in event_ids
    ]


def test_t3_partial_work_ability_participant_to_the_cent(session: Session, settings: Settings) -> None:
    """The golden T3 + partial work ability case (× 1.4 at P = 2 345,67 €) through services and SQL."""
    pw = make_pay_world(session, settings=settings, prices=(234_567,))
    day = months_ago(9).first_day
    who = person(session, pw, n=1, tier="T3", partial=True, municipality="398", on=day)
    referral, started = start(session, pw, participant_id=who, on=day)
    job = outcome(
        session, pw, referral_id=referral, event_type="employment_start", on=day + timedelta(days=30)
    )
    studies = outcome(
        session, pw, referral_id=referral, event_type="studies_started", on=day + timedelta(days=31)
    )
    job_day = day + timedelta(days=30)
    three = outcome(
        session, pw, referral_id=referral, event_type="employed_3_months", on=add_months(job_day, 3)
    )
    six = outcome(
        session, pw, referral_id=referral, event_type="employed_6_months", on=add_months(job_day, 6)
    )

    updates = text(
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'outcome_event'"
    )
    before = session.execute(updates).one()
    period_id = closed_period(session, pw, month=months_ago(1))
    after = session.execute(updates).one()
    # verified → payable changes no indexed column (the episode index reads `live`): HOT, no index entries.
    assert (after[0] - before[0], after[1] - before[1]) == (4, 4)

    lines = lines_of(session, period_id)
    assert summary(lines) == [
        # 234 567 × 30 % × 1.4 = 98 518.14 -> 98 518, split 90/10 -> 88 666 + 9 852
        ("service_start", "start_fee", "payable", 88_666, 0, None),
        ("service_start", "start_fee_withheld", "withheld", 9_852, 0, None),
        ("employment_start", "outcome", "payable", 49_259, 0, None),  # × 15 % × 1.4 = 49 259.07
        ("employed_3_months", "outcome", "payable", 82_098, 0, None),  # × 25 % × 1.4 = 82 098.45
        ("employed_6_months", "outcome", "payable", 98_518, 0, None),  # × 30 % × 1.4 = 98 518.14
    ]
    assert {
        (line["home_municipality_code"], line["multiplier_bp"], line["unit_amount_cents"]) for line in lines
    } == {("398", 14_000, 234_567)}
    assert [line["event_id"] for line in lines] == [started, started, job, three, six]
    assert lines[0]["trace"]["raw_cents"] == "4925907/50"
    assert lines[0]["trace"]["participant_cap"]["cap_cents"] == 394_073
    for line in lines:
        # The full trace, rebuilt from the stored inputs, hashes to the trace id byte for byte.
        assert canonical_trace(line["trace"])[1] == line["trace_id"] == trace_digest(line["trace"])  # type: ignore[arg-type]
    stored = session.execute(
        text("SELECT trace::text FROM payment_line WHERE period_id = :p ORDER BY id"), {"p": period_id}
    ).scalars()
    compact = [json.loads(t) for t in stored]
    assert {c["form"] for c in compact} == {"component_amount/inputs-1"}
    assert compact[0] == {
        "form": "component_amount/inputs-1",
        "contract_id": str(lines[0]["contract_id"]),
        "tier": "T3",
        "partial_work_ability": True,
        "participant_committed_cents": 0,
        "contract_committed_cents": 0,
        "already_paid": False,
    }
    period = session.exec(select(PaymentPeriod).where(PaymentPeriod.id == period_id)).one()
    assert (period.state, period.event_count, period.line_count) == ("closed", 4, 5)
    assert (period.payable_cents, period.unpaid_cents) == (88_666 + 49_259 + 82_098 + 98_518, 0)
    assert states(session, started, job, three, six, studies) == ["payable"] * 4 + ["verified"]


def test_recomputing_the_same_inputs_gives_identical_lines(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pw = make_pay_world(session, settings=settings)
    day = months_ago(5).first_day
    for n, tier in enumerate(("T1", "T2", "T4")):
        who = person(session, pw, n=10 + n, tier=tier, on=day)
        referral, _ = start(session, pw, participant_id=who, on=day + timedelta(days=n))
        outcome(
            session, pw, referral_id=referral, event_type="employment_start", on=day + timedelta(days=20 + n)
        )
    runs = []
    for chunked in (True, False):
        # The second close reads the moved events in one result, as with a libpq older than 17.
        monkeypatch.setattr(payment_close, "LIBPQ_CHUNKED_ROWS", 170000 if chunked else 10**9)
        with session.begin_nested() as attempt:
            period_id = closed_period(session, pw, month=months_ago(1))
            runs.append(
                [
                    {k: v for k, v in line.items() if k not in ("id", "period_id")}
                    for line in lines_of(session, period_id)
                ]
            )
            attempt.rollback()
    assert len(runs[0]) == 9
    assert runs[0] == runs[1]


def test_participant_cap_over_two_episodes(session: Session, settings: Settings) -> None:
    """T2 at P = 2 400 €: cap 2 880 €; a second referral on the same contract runs into it."""
    pw = make_pay_world(session, settings=settings)
    day = months_ago(11).first_day
    who = person(session, pw, n=2, tier="T2", municipality="098", on=day)
    first, _ = start(session, pw, participant_id=who, lot="PH", on=day)
    job = day + timedelta(days=20)
    for on, kind in (
        (job, "employment_start"),
        (add_months(job, 3), "employed_3_months"),
        (add_months(job, 6), "employed_6_months"),
    ):
        outcome(session, pw, referral_id=first, event_type=kind, on=on)
    six = add_months(job, 6)
    end(session, pw, referral_id=first, on=six + timedelta(days=5))
    second, _ = start(session, pw, participant_id=who, lot="PH", on=six + timedelta(days=10))
    outcome(session, pw, referral_id=second, event_type="employment_start", on=six + timedelta(days=20))

    lines = lines_of(session, closed_period(session, pw, month=months_ago(1)))

    assert summary(lines) == [
        ("service_start", "start_fee", "payable", 64_800, 0, None),
        ("service_start", "start_fee_withheld", "withheld", 7_200, 0, None),
        ("employment_start", "outcome", "payable", 36_000, 0, None),
        ("employed_3_months", "outcome", "payable", 60_000, 0, None),
        ("employed_6_months", "outcome", "payable", 72_000, 0, None),
        # 240 000 committed; 48 000 of room left under the 288 000 cap
        ("service_start", "start_fee", "payable", 43_200, 0, None),
        ("service_start", "start_fee_withheld", "withheld", 4_800, 0, None),
        ("service_start", "ineligible", "not_payable", 0, 24_000, "participant cap"),
        ("employment_start", "ineligible", "not_payable", 0, 36_000, "participant cap"),
    ]
    assert {line["home_municipality_code"] for line in lines} == {"098"}
    assert lines[7]["trace"]["participant_cap"]["room_cents"] == 48_000


def test_contract_hitting_its_value_ceiling(session: Session, settings: Settings) -> None:
    """Awarded value 1 000 €: the first start fits, the second is cut, the third is recorded only."""
    pw = make_pay_world(session, settings=settings, prices=(240_000,), ceiling_cents=100_000)
    day = months_ago(3).first_day
    for n in range(3):
        who = person(session, pw, n=20 + n, tier="T2", municipality="111" if n else "398", on=day)
        start(session, pw, participant_id=who, lot="LAHTI" if n == 0 else "PH", on=day + timedelta(days=n))
    lines = lines_of(session, closed_period(session, pw, month=months_ago(1)))
    assert [(line["home_municipality_code"], *summary([line])[0][1:]) for line in lines] == [
        ("398", "start_fee", "payable", 64_800, 0, None),
        ("398", "start_fee_withheld", "withheld", 7_200, 0, None),
        ("111", "start_fee", "payable", 25_200, 0, None),
        ("111", "start_fee_withheld", "withheld", 2_800, 0, None),
        ("111", "ineligible", "not_payable", 0, 44_000, "contract value ceiling"),
        ("111", "ineligible", "not_payable", 0, 72_000, "contract value ceiling"),
    ]
