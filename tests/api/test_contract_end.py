"""Completing and terminating a contract over HTTP, and the final settlement of its small cohorts."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.factories.payments import (
    closed_period,
    lines_of,
    make_cohort,
    make_pay_world,
    months_ago,
    person,
    quarter_start,
)

Client = TestClient[Litestar]


def test_a_buying_officer_completes_or_terminates_an_active_contract(
    client: Client, session: Session, settings: Settings
) -> None:
    pw = make_pay_world(session, settings=settings)
    completed, terminated = (str(pw.contract(i).id) for i in (0, 1))
    # Only the buying authority's officers: a supplier may not, another authority's officer sees nothing.
    assert (
        client.post(f"/contracts/{completed}/complete", headers=pw.ow.supplier_parties[0].headers).status_code
        == 403
    )
    assert (
        client.post(f"/contracts/{completed}/complete", headers=pw.ow.other_officer.headers).status_code
        == 404
    )
    done = client.post(f"/contracts/{completed}/complete", headers=pw.officer.headers)
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["termination_reason"]) == ("completed", None)
    assert done.json()["ended_at"] is not None
    twice = client.post(f"/contracts/{completed}/complete", headers=pw.officer.headers)
    assert twice.status_code == 409 and twice.json()["current_state"] == "completed"

    no_reason = client.post(f"/contracts/{terminated}/terminate", json={}, headers=pw.officer.headers)
    assert no_reason.status_code in (400, 422)
    ended = client.post(
        f"/contracts/{terminated}/terminate",
        json={"reason": "Palveluntuottaja lopetti toimintansa"},
        headers=pw.officer.headers,
    )
    assert ended.status_code == 200, ended.text
    assert (ended.json()["state"], ended.json()["termination_reason"]) == (
        "terminated",
        "Palveluntuottaja lopetti toimintansa",
    )
    # An ended contract takes no new referral.
    who = person(session, pw, n=9, on=months_ago(1).first_day)
    lot = str(pw.ow.awarded.lots["LAHTI"].id)
    refused = client.post(
        "/referrals",
        json={"participant_id": str(who), "contract_id": terminated, "lot_id": lot},
        headers=pw.officer.headers,
    )
    assert refused.status_code == 409 and refused.json()["current_state"] == "terminated"
    actions = (
        session.execute(
            text("SELECT action FROM audit_record WHERE aggregate_type = 'contract' ORDER BY seq")
        )
        .scalars()
        .all()
    )
    assert sorted(actions) == ["contract.completed", "contract.terminated"]


def test_a_completed_contracts_small_cohorts_settle_in_the_next_close(
    client: Client, session: Session, settings: Settings
) -> None:
    """5 matured starts settle at once (a final settlement); 2 later ones when they have matured."""
    pw = make_pay_world(session, settings=settings, prices=(240_000,))
    first = quarter_start(9)
    early = make_cohort(session, pw, first_day=first, count=5, qualified=4)
    # The last of two later starts matures (start + 90 + 35 days) exactly at the end of last month.
    matures = months_ago(1).last_day - timedelta(days=125)
    late = make_cohort(session, pw, first_day=matures - timedelta(days=1), count=2, qualified=2, n0=200)
    completed = client.post(f"/contracts/{pw.contract(0).id}/complete", headers=pw.officer.headers)
    assert completed.status_code == 200, completed.text
    session.expire_all()  # the request changed the contract through its own session

    settled = [
        line
        for line in lines_of(session, closed_period(session, pw, month=months_ago(2)))
        if line["kind"] == "withhold_release"
    ]
    # FT 4/5 = the target: every withheld tenth (7 200) released; the two later starts have not matured.
    assert sorted(line["event_id"] for line in settled) == sorted(m.start for m in early)
    assert {line["amount_cents"] for line in settled} == {7_200}
    assert settled[0]["trace"]["inputs"]["starts"] == 5

    # Once matured, the last two settle on their own.
    rest = lines_of(session, closed_period(session, pw, month=months_ago(1)))
    rest = [line for line in rest if line["kind"] == "withhold_release"]
    assert sorted(line["event_id"] for line in rest) == sorted(m.start for m in late)
