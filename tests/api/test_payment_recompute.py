"""Every row of an exported payment basis recomputes from the file alone, under the stated rounding rule."""

import csv
import io
from decimal import Decimal
from fractions import Fraction

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from outcomes.tracking import events
from procurement.core.clock import utc_now
from procurement.core.money import round_half_up
from procurement.core.settings import Settings
from tests.factories.payments import (
    PayWorld,
    approved_period,
    exported_period,
    make_cohort,
    make_pay_world,
    months_ago,
    quarter_start,
)

Client = TestClient[Litestar]
TIERS = ("T1", "T2", "T3", "T4")


def exported_rows(client: Client, pw: PayWorld, period: object) -> list[dict[str, str]]:
    response = client.get(f"/periods/{period}/export?format=csv-rfc4180", headers=pw.finance.headers)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def recompute(row: dict[str, str]) -> None:
    """The row's amount from its own columns: round(base × numerator / denominator) − deducted, half up."""
    base, numerator, denominator = (int(row[k]) for k in ("base_cents", "rate_numerator", "rate_denominator"))
    amount = round_half_up(Fraction(base * numerator, denominator)) - int(row["deducted_cents"])
    assert amount == int(row["amount_cents"]), row
    assert Decimal(row["amount_eur"]) == Decimal(amount) / 100, row
    if row["component"].startswith("outcome_") and amount > 0:
        # An outcome fee: the unit price × share × multiplier, less what a cap took off.
        assert int(row["base_cents"]) == int(row["unit_amount_cents"])
        assert (numerator, denominator) == (int(row["share_bp"]) * int(row["multiplier_bp"]), 10**8)
    if row["component"] == "start" and amount > 0:
        # The paid part of the start fee: 90 % of what the caps allowed of unit price × share × multiplier.
        gross = round_half_up(
            Fraction(int(row["unit_amount_cents"]) * int(row["share_bp"]) * int(row["multiplier_bp"]), 10**8)
        )
        assert (numerator, denominator) == (9000, 10_000) and base <= gross


def test_every_exported_row_recomputes_from_the_file_alone(
    client: Client, session: Session, settings: Settings
) -> None:
    # Contract 0: FT 16/21, so each withheld tenth is released at (16/21)/0.8 = 20/21. Contract 1: FT 19/21,
    # so each outcome fee brings a bonus of 10 % × (19/21 − 0.8)/0.2 = 11/210 of itself.
    pw = make_pay_world(session, settings=settings, prices=(234_567, 211_111))
    first = quarter_start(9)
    below = make_cohort(session, pw, first_day=first, count=21, qualified=16, tiers=TIERS)
    make_cohort(session, pw, first_day=first, count=21, qualified=19, tiers=TIERS, n0=300, supplier=1)
    settled = exported_period(session, pw, month=months_ago(6))
    # A settled start and its job are voided after payment: clawed back at the release ratio, with the bonus.
    for event_id in (below[0].start, below[0].job):
        events.void(
            session, caller=pw.officer.caller, event_id=event_id, reason="Virheellinen", now=utc_now()
        )
    clawed = approved_period(session, pw, month=months_ago(4))

    rows = exported_rows(client, pw, settled) + exported_rows(client, pw, clawed)

    components = {row["component"] for row in rows}
    assert components == {"start", "outcome_a", "withhold_release", "bonus"}
    assert any(int(r["amount_cents"]) < 0 and r["corrects_line_id"] for r in rows)
    assert {
        (r["rate_numerator"], r["rate_denominator"]) for r in rows if r["component"] == "withhold_release"
    } == {
        ("20", "21"),
        ("1", "1"),
    }
    assert {(r["rate_numerator"], r["rate_denominator"]) for r in rows if r["component"] == "bonus"} == {
        ("11", "210")
    }
    for row in rows:
        recompute(row)
