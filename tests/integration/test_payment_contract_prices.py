"""A contract whose lots have different unit prices is still one contract: one ceiling, one set of cohorts."""

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session

from outcomes.tracking.rules import add_months
from procurement.core.settings import Settings
from tests.factories.outcomes import make_outcome_world, party
from tests.factories.payments import (
    PayWorld,
    closed_period,
    lines_of,
    make_cohort,
    months_ago,
    outcome,
    person,
    quarter_start,
    start,
)


def two_price_world(session: Session, settings: Settings, *, lahti: int, ph: int) -> PayWorld:
    """One contract: lot LAHTI at 2 000 € × ``lahti``, lot PH at 2 500 € × ``ph``; its ceiling, their sum."""
    ow = make_outcome_world(session, suppliers=1, volumes={"LAHTI": lahti, "PH": ph})
    contract = ow.contracts[0]
    for code, price in (("LAHTI", 200_000), ("PH", 250_000)):
        session.execute(
            text("UPDATE contract_lot SET unit_price_cents = :p WHERE contract_id = :c AND lot_code = :l"),
            {"p": price, "c": contract.id, "l": code},
        )
    session.execute(
        text("UPDATE contract SET value_ceiling_cents = :v WHERE id = :c"),
        {"v": lahti * 200_000 + ph * 250_000, "c": contract.id},
    )
    session.expire_all()
    return PayWorld(
        ow=ow,
        settings=settings,
        finance=party(session, role="finance", authority_id=ow.world.lead_id),
        other_finance=party(session, role="finance", authority_id=ow.world.member_id),
    )


def test_a_contract_has_one_ceiling_whatever_its_lots_prices(session: Session, settings: Settings) -> None:
    """L1 2 000 € × 1 and L2 2 500 € × 10: the ceiling is 27 000 €, not 2 000 € for whatever L1 earns."""
    pw = two_price_world(session, settings, lahti=1, ph=10)
    day = months_ago(8).first_day
    who = person(session, pw, n=1, tier="T4", partial=True, on=day)
    referral, _ = start(session, pw, participant_id=who, lot="LAHTI", on=day)
    job = day + timedelta(days=20)
    outcome(session, pw, referral_id=referral, event_type="employment_start", on=job)
    outcome(session, pw, referral_id=referral, event_type="employed_3_months", on=add_months(job, 3))

    lines = lines_of(session, closed_period(session, pw, month=months_ago(1)))

    # × 1.6 (T4 + partial work ability) at P = 2 000 €: 960 € start fee, 480 € job, 800 € three months.
    # 2 240 € in all: more than L1's 2 000 € (volume × price), well under the contract's 27 000 €.
    assert [(line["kind"], line["amount_cents"], line["unpaid_cents"]) for line in lines] == [
        ("start_fee", 86_400, 0),
        ("start_fee_withheld", 9_600, 0),
        ("outcome", 48_000, 0),
        ("outcome", 80_000, 0),
    ]
    assert lines[0]["trace"]["inputs"]["awarded_value_cents"] == 2_700_000
    assert {line["unit_amount_cents"] for line in lines} == {200_000}


def test_starts_on_lots_at_two_prices_form_one_cohort(session: Session, settings: Settings) -> None:
    """12 starts on L1 and 10 on L2 in a quarter are one cohort of 22 that settles (12 and 10 never would)."""
    pw = two_price_world(session, settings, lahti=12, ph=10)
    first = quarter_start(9)
    made = make_cohort(session, pw, first_day=first, count=12, qualified=10, lot="LAHTI")
    made += make_cohort(
        session, pw, first_day=first + timedelta(days=12), count=10, qualified=9, n0=200, lot="PH"
    )

    lines = lines_of(session, closed_period(session, pw, month=months_ago(2)))

    settled = [line for line in lines if line["rule"] == "flow_through_settlement"]
    assert sorted(
        (line["unit_amount_cents"], line["kind"], line["amount_cents"]) for line in settled
    ) == sorted([(200_000, "withhold_release", 6_000)] * 12 + [(250_000, "withhold_release", 7_500)] * 10)
    trace = settled[0]["trace"]
    # 19 of 22 found a job: FT 19/22 ≥ 0.8, so every start's withheld tenth is released.
    assert (trace["inputs"]["starts"], trace["ft"], trace["inputs"]["cohort_id"]) == (
        22,
        "19/22",
        first.strftime("%YQ") + str((first.month + 2) // 3),
    )
    assert {line["event_id"] for line in settled} == {m.start for m in made}
