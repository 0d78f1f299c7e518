"""A full scenario logged at DEBUG: no token, key, hetu or sealed price in any log line or column."""

import logging
import re
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.auth import hash_token
from procurement.core.clock import utc_now
from procurement.core.settings import Settings
from tests.factories.core import bearer
from tests.factories.minicompetition import competition_body, make_bidders, move_deadline
from tests.factories.outcomes import hetu, make_outcome_world
from tests.factories.registry import make_ring_world
from tests.integration.test_outcomes_privacy import _holding, _needles

PRICE = 987_654  # a sealed unit price nobody else uses
PRICE_IN_TEXT = re.compile(r"(?<![0-9a-fA-F])987[ ,.]?654(?![0-9a-fA-F])")


def _evidence() -> list[dict[str, str]]:
    today = utc_now().date()
    return [
        {
            "type": code,
            "issued_on": (today - timedelta(days=3)).isoformat(),
            "valid_until": (today + timedelta(days=200)).isoformat(),
            "sha256": "e" * 64,
        }
        for code in ("TAX_DEBT", "TRADE_REGISTER")
    ]


def test_no_secret_or_personal_data_in_logs_or_columns(
    client: TestClient[Litestar], session: Session, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger (the engine's SQL echo is off, as in production)
    world = make_ring_world(session)
    others = make_bidders(session, world, count=2, start=40)
    officer = bearer(world.lead_officer)

    registered = client.post(
        "/suppliers", json={"business_id": "0737546-2", "name": "Salainen Oy", "contact_email": "a@b.fi"}
    )
    assert registered.status_code == 201, registered.text
    token = registered.json()["token"]
    supplier = bearer(token)
    applied = client.post(
        f"/dps/{world.dps.id}/applications",
        json={"categories": ["EMPLOYMENT"], "evidence": _evidence()},
        headers=supplier,
    )
    assert applied.status_code == 201, applied.text
    decided = client.post(
        f"/applications/{applied.json()['id']}/decision", json={"admit": ["EMPLOYMENT"]}, headers=officer
    )
    assert decided.status_code == 200, decided.text

    created = client.post("/competitions", json=competition_body(world), headers=officer)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    lots = {x["code"]: x["id"] for x in created.json()["lots"]}
    assert client.post(f"/competitions/{cid}/publish", headers=officer).status_code == 200
    line = {
        "lot": "LAHTI",
        "capacity": 20,
        "committed_flow_through_bp": 8000,
        "quality_answers": {"METHOD": "Yksilövalmennus.", "EMPLOYERS": "40 yritystä."},
    }
    bid_ids = []
    for headers, price in ((supplier, PRICE), (others[0].headers, 250_000), (others[1].headers, 260_000)):
        bid = client.post(
            f"/competitions/{cid}/bids",
            json={"lines": [line | {"unit_price_cents": price}]},
            headers=headers | {"Idempotency-Key": f"k-{price}"},
        )
        assert bid.status_code == 201, bid.text
        bid_ids.append(bid.json()["bid_id"])
    assert client.get(f"/bids/{bid_ids[0]}", headers=supplier).status_code == 200
    move_deadline(session, cid, from_now=timedelta(0))  # T after the admission moments ago
    assert client.post(f"/competitions/{cid}/open", headers=officer).status_code == 200
    scores = [
        {"bid_id": b, "lot_id": lots["LAHTI"], "criterion": c, "score": 70}
        for b in bid_ids
        for c in ("METHOD", "EMPLOYERS")
    ]
    scored = client.put(f"/competitions/{cid}/quality-scores", json={"scores": scores}, headers=officer)
    assert scored.status_code == 200, scored.text
    assert client.get(f"/competitions/{cid}/bids", headers=officer).status_code == 200
    assert client.post(f"/competitions/{cid}/evaluation-runs", headers=officer).status_code == 201

    ow = make_outcome_world(session)
    code = hetu(11)
    participant = client.post(
        "/participants",
        json={"hetu": code, "home_municipality_code": "398", "tier": "T2"},
        headers=ow.officer.headers,
    )
    assert participant.status_code == 201, participant.text
    referral = client.post(
        "/referrals",
        json={
            "participant_id": participant.json()["id"],
            "contract_id": str(ow.contracts[0].id),
            "lot_id": str(ow.awarded.lots["LAHTI"].id),
        },
        headers=ow.officer.headers,
    )
    assert referral.status_code == 201, referral.text
    assert client.get("/me", headers=bearer("dpr_not-a-real-token")).status_code == 401

    tokens = [token, world.admin, world.lead_officer, world.member_officer, "dpr_not-a-real-token"]
    tokens += [b.token for b in others] + [p.token for p in (ow.officer, *ow.supplier_parties)]
    keys = [s.get_secret_value() for s in (settings.pseudonym_key, settings.sealing_key) if s is not None]
    logged = caplog.text
    assert logged.count("HTTP Request") >= 15  # the capture really saw the traffic
    for secret in tokens + keys:
        assert secret not in logged
        assert secret.removeprefix("dpr_") not in logged
    for needle in _needles(code):
        assert needle not in logged
    assert PRICE_IN_TEXT.findall(logged) == []

    # Tokens are stored as their SHA-256 only: no column anywhere holds one.
    for secret in tokens:
        assert _holding(session, secret.removeprefix("dpr_")) == []
    stored = session.execute(text("SELECT token_hash FROM api_token")).scalars().all()
    assert hash_token(token) in stored
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)
