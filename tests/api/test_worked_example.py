"""The anchors' §6.5 worked example, settled to the cent through the HTTP API.

100 EMPLOYMENT starts at P = 2 400 €: 30 T1, 50 T2 and 20 T4 (multipliers 0.75 / 1.0 / 1.4). The start fees
are 72 360 € and a tenth of them, 7 236 €, is withheld. At FT 0.72 the cohort gets back 0.72/0.80 of it and
723,60 € is kept as malus; at FT 0.88 all of it comes back and every outcome fee brings
10 % × (0.88 − 0.80)/(1 − 0.80) = 4 % of itself as bonus.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from outcomes.payments.period_rules import Month
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import hetu
from tests.factories.payments import PayWorld, make_pay_world, quarter_start

Client = TestClient[Litestar]
TIERS = (("T1", 30, 16), ("T2", 50, 20), ("T4", 20, 5))  # tier, starts, job starts (55 / 40 / 25 %)


def on_day(client: Client, day: date) -> None:
    """Run the app's clock as if it were noon (Helsinki) of a past day."""
    noon = datetime.combine(day, time(10), tzinfo=UTC)
    client.app.state.clock_offset.seconds = (noon - utc_now()).total_seconds()


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def start_cohort(client: Client, pw: PayWorld, *, day: date) -> list[tuple[str, str]]:
    """Register, refer, start and verify the 100 participants; returns (referral id, tier) of each."""
    on_day(client, day)
    officer, seller = pw.officer.headers, pw.ow.supplier_parties[0].headers
    lot, contract = str(pw.ow.awarded.lots["LAHTI"].id), str(pw.contract(0).id)
    made = []
    for tier, count, _ in TIERS:
        for _ in range(count):
            person = ok(
                client.post(
                    "/participants",
                    json={"hetu": hetu(len(made)), "home_municipality_code": "398", "tier": tier},
                    headers=officer,
                ),
                201,
            )
            referral = ok(
                client.post(
                    "/referrals",
                    json={"participant_id": person["id"], "contract_id": contract, "lot_id": lot},
                    headers=officer,
                ),
                201,
            )
            started = ok(
                client.post(
                    f"/referrals/{referral['id']}/start",
                    json={"started_on": day.isoformat(), "evidence_sha256": "b" * 64},
                    headers=seller,
                )
            )
            ok(client.post(f"/outcome-events/{started['events'][0]['id']}/verify", json={}, headers=officer))
            made.append((referral["id"], tier))
    return made


def record_steps(
    client: Client, pw: PayWorld, made: list[tuple[str, str]], *, qualified: int, day: date
) -> int:
    """Job starts for 16 / 20 / 5 of the tiers and studies for others until ``qualified`` have a next step."""
    on_day(client, day + timedelta(days=40))
    jobs = {tier: count for tier, _, count in TIERS}
    fees = 0
    steps = 0
    for referral, tier in made:
        if jobs[tier]:
            jobs[tier] -= 1
            kind = "employment_start"
            fees += 240_000 * 1500 * {"T1": 7500, "T2": 10_000, "T4": 14_000}[tier] // 10**8
        elif steps < qualified - 41:
            kind, steps = "studies_started", steps + 1
        else:
            continue
        body = {
            "event_type": kind,
            "event_date": (day + timedelta(days=20)).isoformat(),
            "source_register": "koski",
        }
        ok(client.post(f"/referrals/{referral}/events", json=body, headers=pw.officer.headers), 201)
    return fees


def close(client: Client, pw: PayWorld, month: Month) -> list[dict[str, Any]]:
    """Finance opens and closes the month's period, the officer approves; returns its lines."""
    on_day(client, month.last_day + timedelta(days=3))
    period = ok(client.post("/periods", json={"month": month.label}, headers=pw.finance.headers), 201)["id"]
    ok(client.post(f"/periods/{period}/close", headers=pw.finance.headers))
    ok(client.post(f"/periods/{period}/approve", headers=pw.officer.headers))
    lines = client.get(f"/payment-lines?period_id={period}&limit=1000", headers=pw.finance.headers)
    return list(ok(lines))  # type: ignore[arg-type]


def total(lines: list[dict[str, Any]], kind: str, field: str = "amount_cents") -> int:
    return sum(line[field] for line in lines if line["kind"] == kind)


@pytest.mark.parametrize(
    ("qualified", "release", "malus", "rate"), [(72, 651_240, 72_360, "0/1"), (88, 723_600, 0, "1/25")]
)
def test_the_worked_example_settles_to_the_cent(
    client: Client, session: Session, settings: Settings, qualified: int, release: int, malus: int, rate: str
) -> None:
    pw = make_pay_world(session, settings=settings, prices=(240_000,), volumes={"LAHTI": 100, "PH": 1})
    day = quarter_start(9) + timedelta(days=10)
    made = start_cohort(client, pw, day=day)
    fees = record_steps(client, pw, made, qualified=qualified, day=day)
    matured = day + timedelta(days=90 + 35)
    lines = close(client, pw, Month(matured.year, matured.month))

    assert total(lines, "start_fee") + total(lines, "start_fee_withheld") == 7_236_000  # 72 360 €
    assert total(lines, "start_fee_withheld") == 723_600  # 7 236 € withheld
    assert total(lines, "outcome") == fees == 1_404_000  # 16 × 270 € + 20 × 360 € + 5 × 504 €
    assert (total(lines, "withhold_release"), total(lines, "malus", "unpaid_cents")) == (release, malus)
    # At FT 0.88 every fee brings 4 % of itself, to the cent: 56 160 of 1 404 000.
    assert total(lines, "bonus") == (fees * 4 // 100 if rate == "1/25" else 0)
    release_line = next(line for line in lines if line["kind"] == "withhold_release")
    trace = ok(client.get(f"/payment-lines/{release_line['id']}/trace", headers=pw.officer.headers))["trace"]
    assert (trace["ft"], trace["bonus_rate"], trace["inputs"]["starts"]) == (
        f"{qualified}/100".replace("72/100", "18/25").replace("88/100", "22/25"),
        rate,
        100,
    )
