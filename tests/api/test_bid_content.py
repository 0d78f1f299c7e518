"""Before the deadline only the submitting supplier reads its bid's content back; every read is audited."""

import hashlib
import json
from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from procurement.core.auth import hash_token
from tests.factories.core import bearer, make_token
from tests.factories.minicompetition import bid_body, count, move_deadline, publish_competition


def _reads(session: Session, bid_id: str) -> list[tuple[str, str]]:
    rows = session.execute(
        text(
            "SELECT actor, after->>'version' FROM audit_record WHERE aggregate_type = 'bid'"
            " AND aggregate_id = :id AND action = 'bid.content_read' ORDER BY seq"
        ),
        {"id": bid_id},
    ).all()
    return [(r[0], r[1]) for r in rows]


def test_the_supplier_reads_its_current_version_and_the_read_is_audited(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=1)
    me = cw.bidders[0]
    url = f"/competitions/{cw.competition_id}/bids"
    client.post(url, json=bid_body(price=250_000), headers=me.headers)
    second = client.post(
        url, json=bid_body(price=212_345, lots=("LAHTI", "PH-YOUTH")), headers=me.headers
    ).json()

    read = client.get(f"/bids/{second['bid_id']}/content", headers=me.headers)

    assert read.status_code == 200, read.text
    content = read.json()
    assert (content["version"], content["sha256"], content["state"]) == (2, second["sha256"], "submitted")
    assert hashlib.sha256(content["canonical"].encode()).hexdigest() == second["sha256"]
    assert json.loads(content["canonical"])["lines"] == content["lines"]
    assert [(x["lot"], x["unit_price_cents"]) for x in content["lines"]] == [
        ("LAHTI", 212_345),
        ("PH-YOUTH", 212_345),
    ]
    [(actor, version)] = _reads(session, second["bid_id"])
    token_id = session.execute(
        text("SELECT id FROM api_token WHERE token_hash = :h"), {"h": hash_token(me.token)}
    ).scalar_one()
    # The audit record names the principal, its business id and the token that acted.
    assert (
        actor.startswith("supplier:"),
        actor.endswith(f"@{me.supplier.business_id} token:{token_id}"),
    ) == (
        True,
        True,
    )
    assert version == "2"


def test_officers_admins_and_other_suppliers_read_nothing_and_leave_no_read(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=2)
    receipt = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(), headers=cw.bidders[0].headers
    ).json()
    admin = bearer(make_token(session, role="admin"))
    before = count(session, "audit_record")
    statuses = [
        client.get(f"/bids/{receipt['bid_id']}/content", headers=headers).status_code
        for headers in (cw.officer, admin, cw.bidders[1].headers)
    ]
    assert statuses == [403, 403, 404]
    assert client.get(f"/bids/{receipt['bid_id']}/content").status_code == 401
    assert count(session, "audit_record") == before


def test_after_the_deadline_or_a_cancellation_the_content_is_not_read_back(
    client: TestClient[Litestar], session: Session
) -> None:
    late = publish_competition(client, session, bidders=1)
    me = late.bidders[0]
    receipt = client.post(
        f"/competitions/{late.competition_id}/bids", json=bid_body(), headers=me.headers
    ).json()
    move_deadline(session, late.competition_id, from_now=timedelta(seconds=-1))
    before = count(session, "audit_record")
    refused = client.get(f"/bids/{receipt['bid_id']}/content", headers=me.headers)
    assert (refused.status_code, refused.json()["title"]) == (409, "Tender deadline passed")
    assert "deadline" in refused.json()
    assert count(session, "audit_record") == before

    move_deadline(session, late.competition_id, from_now=timedelta(days=12))
    cancelled = client.post(
        f"/competitions/{late.competition_id}/cancel",
        json={"reason": "Määrärahat peruttiin."},
        headers=late.officer,
    )
    assert cancelled.status_code == 200, cancelled.text
    refused = client.get(f"/bids/{receipt['bid_id']}/content", headers=me.headers)
    assert refused.status_code == 409
    assert "cancelled" in refused.json()["detail"]


def test_cancellation_destroys_the_copies_with_the_opening_key(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=2)
    for bidder in cw.bidders:
        for price in (250_000, 240_000):
            posted = client.post(
                f"/competitions/{cw.competition_id}/bids", json=bid_body(price=price), headers=bidder.headers
            )
            assert posted.status_code == 201
    versions_of = "FROM bid_version v JOIN bid b ON b.id = v.bid_id WHERE b.competition_id = :c"
    copies = f"SELECT count(supplier_copy) {versions_of}"
    shares = "SELECT count(*) FROM competition_key_share WHERE competition_id = :c"
    wrapped = "SELECT count(wrapped_private_key) FROM competition_key WHERE competition_id = :c"
    counts = [
        session.execute(text(q), {"c": cw.competition_id}).scalar_one() for q in (copies, shares, wrapped)
    ]
    assert counts == [4, 1, 1]
    cancelled = client.post(
        f"/competitions/{cw.competition_id}/cancel",
        json={"reason": "Hankinta keskeytetään."},
        headers=cw.officer,
    )
    assert cancelled.status_code == 200, cancelled.text
    counts = [
        session.execute(text(q), {"c": cw.competition_id}).scalar_one() for q in (copies, shares, wrapped)
    ]
    assert counts == [0, 0, 0]
    # The receipts stay: every version with its digest.
    versions = session.execute(
        text(f"SELECT count(sha256) {versions_of}"),
        {"c": cw.competition_id},
    ).scalar_one()
    assert versions == 4


def test_the_stored_supplier_copy_holds_no_plaintext(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=1)
    receipt = client.post(
        f"/competitions/{cw.competition_id}/bids", json=bid_body(price=987_654), headers=cw.bidders[0].headers
    ).json()
    copy = session.execute(
        text("SELECT supplier_copy FROM bid_version WHERE bid_id = :id"), {"id": receipt["bid_id"]}
    ).scalar_one()
    assert len(copy) > 28
    assert b"987654" not in copy and b"LAHTI" not in copy
