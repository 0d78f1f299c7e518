"""Referrals over HTTP: within the awarded volume, on active contracts, one active per category, in scope."""

from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.clock import helsinki_today as today
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.outcomes import (
    OutcomeWorld,
    hetu,
    make_awarded,
    make_contract,
    make_outcome_world,
    run_referral,
)

TODAY = today(utc_now())
TODAY_FROM_CLOCK = True  # conftest sets TODAY again at each test's start
EVIDENCE = "e" * 64


def _count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _participant(client: TestClient[Litestar], ow: OutcomeWorld, n: int, *, municipality: str = "398") -> str:
    response = client.post(
        "/participants",
        json={
            "hetu": hetu(n),
            "home_municipality_code": municipality,
            "target_groups": ["youth"],
            "benefit_days": 250,
        },
        headers=ow.officer.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _refer(
    client: TestClient[Litestar],
    ow: OutcomeWorld,
    participant: str,
    *,
    contract: int = 0,
    lot: str = "LAHTI",
    **extra: Any,
):  # type: ignore[no-untyped-def]
    body = {
        "participant_id": participant,
        "contract_id": str(ow.contracts[contract].id),
        "lot_id": str(ow.awarded.lots[lot].id),
        **extra,
    }
    return client.post("/referrals", json=body, headers=ow.officer.headers)


def test_refer_start_and_end_with_the_snapshot_and_the_start_event(
    client: TestClient[Litestar], session: Session
) -> None:
    ow = make_outcome_world(session)
    participant = _participant(client, ow, 1)
    made = _refer(client, ow, participant, current_rung="work_trial")
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["state"], body["referred_on"], body["category"]) == (
        "referred",
        TODAY.isoformat(),
        "EMPLOYMENT",
    )
    assert (body["tier"], body["target_groups"], body["home_municipality_code"]) == ("T3", ["youth"], "398")
    assert (body["current_rung"], body["supplier_id"]) == ("work_trial", str(ow.suppliers[0].id))
    seller = ow.supplier_parties[0].headers
    started = client.post(
        f"/referrals/{body['id']}/start",
        json={"started_on": TODAY.isoformat(), "evidence_sha256": EVIDENCE},
        headers=seller,
    )
    assert started.status_code == 200, started.text
    assert started.json()["state"] == "started"
    [start_event] = started.json()["events"]
    assert (start_event["event_type"], start_event["state"], start_event["event_date"]) == (
        "service_start",
        "reported",
        TODAY.isoformat(),
    )
    ended = client.post(
        f"/referrals/{body['id']}/end",
        json={
            "ended_on": TODAY.isoformat(),
            "reason": "neutral_exit",
            "neutral_exit_kind": "moved_away",
            "evidence_sha256": "e" * 64,
        },
        headers=seller,
    )
    assert ended.status_code == 200, ended.text
    assert (
        ended.json()["state"],
        ended.json()["end_reason"],
        ended.json()["neutral_exit_kind"],
        ended.json()["neutral_exit_state"],
    ) == ("ended", "neutral_exit", "moved_away", "reported")
    sql = (
        "SELECT action FROM audit_record WHERE aggregate_type = 'referral' AND aggregate_id = :i ORDER BY seq"
    )
    actions = session.execute(text(sql), {"i": body["id"]}).scalars().all()
    assert actions == ["referral.created", "referral.started", "referral.ended"]


def test_volume_used_up_is_refused_with_nothing_written(
    client: TestClient[Litestar], session: Session
) -> None:
    ow = make_outcome_world(session, suppliers=1, volumes={"LAHTI": 1})
    assert _refer(client, ow, _participant(client, ow, 1)).status_code == 201
    second = _participant(client, ow, 2)
    before = (_count(session, "referral"), _count(session, "audit_record"))
    refused = _refer(client, ow, second)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "The awarded volume of lot LAHTI is used up (1 of 1)."
    assert (_count(session, "referral"), _count(session, "audit_record")) == before


def test_inactive_contract_is_refused(client: TestClient[Litestar], session: Session) -> None:
    ow = make_outcome_world(session, suppliers=1)
    other = make_awarded(session, world=ow.world, created_by=ow.officer.caller.id)
    ow.contracts.append(make_contract(session, awarded=other, supplier=ow.suppliers[0], state="terminated"))
    body = {
        "participant_id": _participant(client, ow, 1),
        "contract_id": str(ow.contracts[1].id),
        "lot_id": str(other.lots["LAHTI"].id),
    }
    refused = client.post("/referrals", json=body, headers=ow.officer.headers)
    assert refused.status_code == 409
    assert refused.json()["current_state"] == "terminated"
    assert "only an active contract takes referrals" in refused.json()["detail"]
    assert _count(session, "referral") == 0


def test_second_active_referral_in_the_category_is_refused_until_the_first_ends(
    client: TestClient[Litestar], session: Session
) -> None:
    ow = make_outcome_world(session)
    participant = _participant(client, ow, 1)
    first = _refer(client, ow, participant).json()
    refused = _refer(client, ow, participant, contract=1)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        "The participant already has an active referral in category EMPLOYMENT"
    )
    assert _count(session, "referral") == 1
    seller = ow.supplier_parties[0].headers
    client.post(
        f"/referrals/{first['id']}/start",
        json={"started_on": TODAY.isoformat(), "evidence_sha256": EVIDENCE},
        headers=seller,
    )
    client.post(
        f"/referrals/{first['id']}/end",
        json={"ended_on": TODAY.isoformat(), "reason": "interrupted"},
        headers=seller,
    )
    assert _refer(client, ow, participant, contract=1).status_code == 201


def test_home_municipality_outside_the_lot_is_refused(client: TestClient[Litestar], session: Session) -> None:
    ow = make_outcome_world(session)
    refused = _refer(client, ow, _participant(client, ow, 1, municipality="098"), lot="LAHTI")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "lot_id",
            "message": "Lot LAHTI does not serve the participant's home municipality 098; it serves 398.",
        }
    ]
    assert _count(session, "referral") == 0


def test_a_foreign_referral_is_404_for_suppliers_and_officers(
    client: TestClient[Litestar], session: Session
) -> None:
    ow = make_outcome_world(session)
    referral = _refer(client, ow, _participant(client, ow, 1)).json()["id"]
    stranger, other_officer = ow.supplier_parties[1].headers, ow.other_officer.headers
    for headers in (stranger, other_officer):
        assert client.get(f"/referrals/{referral}", headers=headers).status_code == 404
    refused = client.post(
        f"/referrals/{referral}/start",
        json={"started_on": TODAY.isoformat(), "evidence_sha256": EVIDENCE},
        headers=stranger,
    )
    assert refused.status_code == 404
    assert refused.json()["detail"] == "No referral has that id."
    own = client.get(f"/referrals/{referral}", headers=ow.supplier_parties[0].headers)
    assert (own.status_code, own.json()["state"], own.json()["events"]) == (200, "referred", [])
    # Another authority cannot refer to this authority's contract either.
    body = {
        "participant_id": referral,
        "contract_id": str(ow.contracts[0].id),
        "lot_id": str(ow.awarded.lots["LAHTI"].id),
    }
    assert client.post("/referrals", json=body, headers=other_officer).status_code == 422


def test_lists_show_only_what_is_in_scope(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    day = TODAY - timedelta(days=5)
    mine = run_referral(session, ow, settings=settings, n=1, referred=day, supplier=0)
    theirs = run_referral(session, ow, settings=settings, n=2, referred=day, supplier=1)
    assert [r["id"] for r in client.get("/referrals", headers=ow.supplier_parties[0].headers).json()] == [
        str(mine)
    ]
    assert [r["id"] for r in client.get("/referrals", headers=ow.supplier_parties[1].headers).json()] == [
        str(theirs)
    ]
    assert {r["id"] for r in client.get("/referrals", headers=ow.officer.headers).json()} == {
        str(mine),
        str(theirs),
    }
    assert client.get("/referrals", headers=ow.other_officer.headers).json() == []
    assert client.get("/referrals", headers=ow.officer.headers).json()[0]["events"] is None
    assert client.get("/referrals?state=started", headers=ow.officer.headers).json() == []


def test_start_rules_and_illegal_transitions(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    ow = make_outcome_world(session)
    referral = run_referral(session, ow, settings=settings, n=1, referred=TODAY - timedelta(days=10))
    seller = ow.supplier_parties[0].headers

    def start(day):  # type: ignore[no-untyped-def]
        return client.post(
            f"/referrals/{referral}/start",
            json={"started_on": day.isoformat(), "evidence_sha256": EVIDENCE},
            headers=seller,
        )

    early = start(TODAY - timedelta(days=11))
    assert early.status_code == 422
    assert early.json()["errors"][0]["field"] == "started_on"
    assert "before the referral" in early.json()["detail"]
    future = start(TODAY + timedelta(days=1))
    assert future.status_code == 422 and "in the future" in future.json()["detail"]
    ended_early = client.post(
        f"/referrals/{referral}/end",
        json={"ended_on": TODAY.isoformat(), "reason": "completed"},
        headers=seller,
    )
    assert ended_early.status_code == 409
    assert ended_early.json()["current_state"] == "referred"
    assert ended_early.json()["detail"] == "The referral is 'referred'; it cannot become 'ended'."
    assert start(TODAY - timedelta(days=10)).status_code == 200
    twice = start(TODAY)
    assert twice.status_code == 409 and twice.json()["current_state"] == "started"
    no_kind = client.post(
        f"/referrals/{referral}/end",
        json={"ended_on": TODAY.isoformat(), "reason": "neutral_exit"},
        headers=seller,
    )
    assert no_kind.status_code == 422 and no_kind.json()["errors"][0]["field"] == "neutral_exit_kind"
    by_officer = client.post(
        f"/referrals/{referral}/end",
        json={"ended_on": TODAY.isoformat(), "reason": "completed"},
        headers=ow.officer.headers,
    )
    assert by_officer.status_code == 403
