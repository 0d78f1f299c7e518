"""The API habit as callers meet it: Locations that resolve, 415, every unknown field named, one status per
condition, 403 for what the caller may read but not act on, one charset in text/csv."""

import json
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.settings import Settings
from tests.api.test_evaluation import open_competition, score_all
from tests.api.test_periods import _approved, world
from tests.api.test_referrals import _refer
from tests.api.test_registry import _apply
from tests.factories.core import bearer, make_authority, make_token
from tests.factories.minicompetition import (
    bid_body,
    competition_body,
    count,
    make_bidders,
    move_deadline,
    publish_competition,
)
from tests.factories.outcomes import hetu, make_outcome_world
from tests.factories.payments import months_ago
from tests.factories.registry import business_id, make_ring_world, make_supplier

Client = TestClient[Litestar]
PROBLEM = "application/problem+json"


def _located(client: Client, answer: Any, headers: dict[str, str], *, key: str = "id") -> dict[str, Any]:
    """A 201 whose Location answers 200 to the same caller with the same resource."""
    assert answer.status_code == 201, answer.text
    location = answer.headers["location"]
    assert location.startswith("/"), location
    read = client.get(location, headers=headers)
    assert read.status_code == 200, (location, read.text)
    body: dict[str, Any] = read.json()
    if key:
        assert str(body[key]) in location, (location, body)
    return body


def test_every_created_resource_is_read_back_at_its_location(
    client: Client, session: Session, settings: Settings
) -> None:
    admin = bearer(make_token(session, role="admin"))
    authority = client.post(
        "/authorities",
        json={
            "name": "Sastamalan kaupunki",
            "business_id": business_id(73),
            "kind": "municipality",
            "municipality_codes": ["790"],
            "lead_municipality": "790",
        },
        headers=admin,
    )
    lead = _located(client, authority, admin)
    ring = client.post(
        "/rings",
        json={"name": "Länsi", "lead_authority_id": lead["id"], "valid_from": "2026-01-01"},
        headers=admin,
    )
    _located(client, ring, admin)
    principal = client.post(
        "/principals",
        json={"role": "officer", "name": "Virkailija", "authority_id": lead["id"]},
        headers=admin,
    )
    officer = _located(client, principal, admin, key="")
    token = client.post(f"/principals/{officer['id']}/tokens", headers=admin)
    assert _located(client, token, admin)["principal_id"] == officer["id"]
    registered = client.post(
        "/suppliers", json={"business_id": "0737546-2", "name": "Valmennus Oy", "contact_email": "a@b.fi"}
    )
    supplier = bearer(registered.json()["token"])
    assert _located(client, registered, supplier, key="")["business_id"] == "0737546-2"

    rw = make_ring_world(session)
    dps = client.post(
        "/dps",
        json={
            "ring_id": str(rw.ring.id),
            "title": "Toinen rekisteri",
            "valid_from": "2026-01-01",
            "valid_until": "2028-12-31",
            "categories": ["EMPLOYMENT"],
        },
        headers=bearer(rw.lead_officer),
    )
    _located(client, dps, bearer(rw.lead_officer))
    _, applicant = make_supplier(session, business_id=business_id(70))
    _located(client, _apply(client, rw, applicant), bearer(applicant))
    drafted = client.post("/competitions", json=competition_body(rw), headers=bearer(rw.lead_officer))
    _located(client, drafted, bearer(rw.lead_officer))

    cw = publish_competition(client, session, bidders=1)
    bidder = cw.bidders[0].headers
    asked = client.post(
        f"/competitions/{cw.competition_id}/questions", json={"question": "Saako?"}, headers=bidder
    )
    _located(client, asked, bidder)
    bid = client.post(f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=bidder)
    assert _located(client, bid, bidder)["id"] == bid.json()["bid_id"]


def test_evaluation_runs_and_outcomes_are_read_back_at_their_location(
    client: Client, session: Session, settings: Settings
) -> None:
    o = open_competition(client, session)
    score_all(client, o)
    run = client.post(f"/competitions/{o.competition_id}/evaluation-runs", headers=o.officer)
    _located(client, run, o.officer)

    ow = make_outcome_world(session)
    registered = client.post(
        "/participants",
        json={"hetu": hetu(90), "home_municipality_code": "398", "tier": "T2"},
        headers=ow.officer.headers,
    )
    participant = _located(client, registered, ow.officer.headers)
    again = client.post(
        "/participants",
        json={"hetu": hetu(90), "home_municipality_code": "398", "tier": "T2"},
        headers=ow.officer.headers,
    )
    assert (again.status_code, again.json()["id"], "location" in again.headers) == (
        200,
        participant["id"],
        False,
    )
    referral = _located(client, _refer(client, ow, participant["id"]), ow.officer.headers)
    seller = ow.supplier_parties[0].headers
    day = referral["referred_on"]
    started = client.post(
        f"/referrals/{referral['id']}/start",
        json={"started_on": day, "evidence_sha256": "e" * 64},
        headers=seller,
    )
    assert started.status_code == 200, started.text
    event = client.post(
        f"/referrals/{referral['id']}/events",
        json={"event_type": "employment_start", "event_date": day, "evidence_sha256": "e" * 64},
        headers=seller,
    )
    _located(client, event, seller)


def test_a_period_is_read_back_at_its_location(client: Client, session: Session, settings: Settings) -> None:
    pw = world(session, settings)
    period = client.post("/periods", json={"month": months_ago(1).label}, headers=pw.finance.headers)
    _located(client, period, pw.finance.headers)


def test_a_body_that_is_not_json_is_415_and_changes_nothing(client: Client, session: Session) -> None:
    rw = make_ring_world(session)
    officer = bearer(rw.lead_officer)
    body = competition_body(rw)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = officer | ({"content-type": content_type} if content_type else {})
        answer = client.post("/competitions", content=json.dumps(body).encode(), headers=headers)
        assert (answer.status_code, answer.headers["content-type"]) == (415, PROBLEM), answer.text
        assert answer.json()["title"] == "Unsupported media type"
    assert count(session, "competition") == 0
    with_charset = officer | {"content-type": "application/json; charset=utf-8"}
    assert (
        client.post("/competitions", content=json.dumps(body).encode(), headers=with_charset).status_code
        == 201
    )


def test_every_unknown_field_is_named(client: Client, session: Session) -> None:
    rw = make_ring_world(session)
    body = competition_body(rw, colour="blue")
    body["weights"]["luck_bp"] = 1
    body["lots"][1]["size"] = "L"
    answer = client.post("/competitions", json=body, headers=bearer(rw.lead_officer))
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["lots[1].size", "weights.luck_bp", "colour"]
    assert count(session, "competition") == 0
    # A query parameter is named as the caller spells it, not as the handler's argument is called.
    query = client.get("/applications", params={"state": "bogus"}, headers=bearer(rw.lead_officer))
    assert (query.status_code, [e["field"] for e in query.json()["errors"]]) == (422, ["state"])


def _close_dps(session: Session, dps_id: object) -> None:
    session.execute(text("UPDATE dps SET valid_until = CURRENT_DATE - 2 WHERE id = :d"), {"d": dps_id})


def test_a_closed_dps_is_409_wherever_it_is_met(client: Client, session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    rw = cw.world
    drafted = client.post("/competitions", json=competition_body(rw), headers=bearer(rw.lead_officer))
    _, applicant = make_supplier(session, business_id=business_id(71))
    _close_dps(session, rw.dps.id)
    answers = {
        "apply": _apply(client, rw, applicant),
        "draft": client.post("/competitions", json=competition_body(rw), headers=bearer(rw.lead_officer)),
        "publish": client.post(
            f"/competitions/{drafted.json()['id']}/publish", headers=bearer(rw.lead_officer)
        ),
    }
    assert {k: a.status_code for k, a in answers.items()} == {"apply": 409, "draft": 409, "publish": 409}
    assert all("closed on" in a.json()["detail"] for a in answers.values())


def test_too_late_is_409_for_a_bid_and_for_an_amendment(client: Client, session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    move_deadline(session, cw.competition_id, from_now=timedelta(days=2))
    amend = client.post(
        f"/competitions/{cw.competition_id}/amendments",
        json={"reason": "Kysyntä kasvoi.", "changes": {"title": "Uusi otsikko"}},
        headers=cw.officer,
    )
    move_deadline(session, cw.competition_id, from_now=timedelta(seconds=-1))
    bid = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=cw.bidders[0].headers
    )
    assert (amend.status_code, bid.status_code) == (409, 409)
    assert count(session, "amendment") == 0 and count(session, "bid") == 0


def test_what_the_caller_may_read_but_not_act_on_is_403(client: Client, session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    rw = cw.world
    outsider = make_bidders_outside(session, rw)
    competition = f"/competitions/{cw.competition_id}"
    assert client.get(competition, headers=outsider).status_code == 200
    assert client.post(f"{competition}/bids", json=bid_body(), headers=outsider).status_code == 403
    assert (
        client.post(f"{competition}/questions", json={"question": "Entä?"}, headers=outsider).status_code
        == 403
    )

    _, applicant = make_supplier(session, business_id=business_id(72))
    application = _apply(client, rw, applicant).json()["id"]
    own = bearer(applicant)
    assert client.get(f"/applications/{application}", headers=own).status_code == 200
    decided = client.post(
        f"/applications/{application}/decision", json={"admit": ["EMPLOYMENT"]}, headers=own
    )
    assert decided.status_code == 403

    stranger_authority = make_authority(
        session, name="Hattula", municipality_codes=("082",), lead_municipality="082"
    )
    stranger = bearer(make_token(session, role="officer", authority_id=stranger_authority.id))
    assert client.get(f"/dps/{rw.dps.id}", headers=stranger).status_code == 200
    assert client.post(f"/dps/{rw.dps.id}/publish", headers=stranger).status_code == 403
    assert client.post("/competitions", json=competition_body(rw), headers=stranger).status_code == 403


def make_bidders_outside(session: Session, rw: Any) -> dict[str, str]:
    """A supplier admitted after publication: it reads the public competition but was not invited."""
    return make_bidders(session, rw, count=1, start=60)[0].headers


def test_text_csv_carries_one_charset(client: Client, session: Session, settings: Settings) -> None:
    pw = world(session, settings)
    period = _approved(client, pw)
    for fmt in ("csv-fi", "csv-rfc4180"):
        answer = client.get(f"/periods/{period}/export", params={"format": fmt}, headers=pw.finance.headers)
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"


def test_a_replayed_bid_says_so(client: Client, session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    url = f"/competitions/{cw.competition_id}/bids"
    key = cw.bidders[0].headers | {"Idempotency-Key": "tarjous-1"}
    first = client.post(url, json=bid_body(), headers=key)
    again = client.post(url, json=bid_body(), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert "location" not in again.headers and first.headers["location"] == f"/bids/{first.json()['bid_id']}"
