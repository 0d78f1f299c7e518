"""The whole life of a competition through the HTTP API with several suppliers, and what opening does."""

from datetime import timedelta

from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from minicompetition.award.opened_bids import opened_bid_lines
from procurement.core.clock import utc_now
from registry.models import Admission
from tests.factories.minicompetition import bid_body, count, move_deadline, publish_competition


def test_lifecycle_with_several_suppliers(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=4)
    cid = cw.competition_id
    a, b, c, d = cw.bidders

    # Public read: the published competition and its lots, and nothing about bids.
    public = client.get(f"/competitions/{cid}")
    assert public.status_code == 200
    assert public.json()["state"] == "published"
    assert [lot["code"] for lot in public.json()["lots"]] == ["LAHTI", "PH-YOUTH"]
    assert "bids" not in public.json()

    # Inbox: each invitee sees it.
    inbox = client.get("/inbox", headers=a.headers).json()
    assert [item["competition"]["id"] for item in inbox] == [cid]
    assert inbox[0]["my_bid"] is None

    # A clarification, answered to everyone without the asker.
    asked = client.post(
        f"/competitions/{cid}/questions", json={"question": "Saako alihankkia?"}, headers=a.headers
    )
    assert asked.status_code == 201
    qid = asked.json()["id"]
    answered = client.post(
        f"/competitions/{cid}/questions/{qid}/answer",
        json={"answer": "Kyllä, ilmoittaen."},
        headers=cw.officer,
    )
    assert answered.status_code == 200
    seen_by_b = client.get(f"/competitions/{cid}/questions", headers=b.headers).json()
    assert [(q["question"], q["answer"], q["mine"]) for q in seen_by_b] == [
        ("Saako alihankkia?", "Kyllä, ilmoittaen.", False)
    ]
    assert "supplier_id" not in seen_by_b[0]

    # Bids: a and b bid on both lots, c on one lot, d bids and withdraws; a resubmits.
    r_a1 = client.post(
        f"/competitions/{cid}/bids", json=bid_body(lots=("LAHTI", "PH-YOUTH")), headers=a.headers
    )
    r_b = client.post(
        f"/competitions/{cid}/bids",
        json=bid_body(price=240_000, lots=("LAHTI", "PH-YOUTH")),
        headers=b.headers,
    )
    r_c = client.post(
        f"/competitions/{cid}/bids", json=bid_body(price=199_000, capacity=10), headers=c.headers
    )
    r_d = client.post(f"/competitions/{cid}/bids", json=bid_body(), headers=d.headers)
    assert [r.status_code for r in (r_a1, r_b, r_c, r_d)] == [201, 201, 201, 201]
    r_a2 = client.post(
        f"/competitions/{cid}/bids",
        json=bid_body(price=230_000, lots=("LAHTI", "PH-YOUTH")),
        headers=a.headers,
    )
    assert r_a2.status_code == 201
    assert r_a2.json()["bid_id"] == r_a1.json()["bid_id"]
    assert (r_a1.json()["version"], r_a2.json()["version"]) == (1, 2)
    assert r_a2.json()["sha256"] != r_a1.json()["sha256"]
    withdrawn = client.post(f"/bids/{r_d.json()['bid_id']}/withdraw", headers=d.headers)
    assert withdrawn.status_code == 200

    # Sealed before the deadline: the officer gets neither content nor count.
    sealed = client.get(f"/competitions/{cid}/bids", headers=cw.officer)
    assert sealed.status_code == 403
    assert "sealed until the tender deadline" in sealed.json()["detail"]
    assert "Europe/Helsinki" in sealed.json()["detail"]
    early_open = client.post(f"/competitions/{cid}/open", headers=cw.officer)
    assert early_open.status_code == 409

    # The clock passes the deadline (simulated by moving the deadline into the past).
    move_deadline(session, cid, from_now=timedelta(seconds=-1))
    assert client.get(f"/competitions/{cid}").json()["state"] == "closed"
    opened = client.post(f"/competitions/{cid}/open", headers=cw.officer)
    assert opened.status_code == 200, opened.text
    body = opened.json()
    # The bid withdrawn before the deadline leaves no trace the buyer can see: not counted, not listed.
    assert (body["eligible"], body["ineligible"], "withdrawn" in body) == (3, 0, False)
    assert r_d.json()["bid_id"] not in {x["bid_id"] for x in body["bids"]}

    # Opened bids are readable by the buying authority, with the current version's content.
    listing = client.get(f"/competitions/{cid}/bids", headers=cw.officer).json()
    by_bid = {x["bid_id"]: x for x in listing}
    a_bid = by_bid[r_a1.json()["bid_id"]]
    assert a_bid["version"] == 2
    assert a_bid["sha256"] == r_a2.json()["sha256"]
    assert [(x["lot"], x["unit_price_cents"]) for x in a_bid["lines"]] == [
        ("LAHTI", 230_000),
        ("PH-YOUTH", 230_000),
    ]
    assert a_bid["lines"][0]["quality_answers"]["METHOD"] == "Yksilövalmennus ja työkokeilu."
    assert r_d.json()["bid_id"] not in by_bid
    assert client.get(f"/bids/{r_d.json()['bid_id']}", headers=cw.officer).status_code == 404
    one = client.get(f"/bids/{r_c.json()['bid_id']}", headers=cw.officer).json()
    assert one["lines"][0]["unit_price_cents"] == 199_000
    reads = session.execute(
        text("SELECT count(*) FROM audit_record WHERE aggregate_id = :id AND action = 'bids.read'"),
        {"id": cid},
    ).scalar_one()
    assert reads == 2

    # Evaluation's input: eligible lines as plain data.
    data = opened_bid_lines(session, competition_id=cw.competition_id, actor="test", now=utc_now())
    assert len(data.lots) == 2
    assert sorted((line.unit_price_cents, line.capacity) for line in data.lines) == [
        (199_000, 10),
        (230_000, 20),
        (230_000, 20),
        (240_000, 20),
        (240_000, 20),
    ]
    assert data.excluded == ()
    assert {lot.code: lot.demand for lot in data.lots} == {"LAHTI": 40, "PH-YOUTH": 25}


def test_supplier_suspended_after_bidding_is_ineligible_and_stays_sealed(
    client: TestClient[Litestar], session: Session
) -> None:
    cw = publish_competition(client, session, bidders=2)
    cid = cw.competition_id
    good, bad = cw.bidders
    client.post(f"/competitions/{cid}/bids", json=bid_body(), headers=good.headers)
    bad_receipt = client.post(
        f"/competitions/{cid}/bids", json=bid_body(price=100_000), headers=bad.headers
    ).json()
    admission = session.exec(select(Admission).where(Admission.supplier_id == bad.supplier.id)).one()
    suspended = client.post(
        f"/admissions/{admission.id}/suspend",
        json={"until": (utc_now().date() + timedelta(days=60)).isoformat(), "reason": "verovelkaa"},
        headers=cw.officer,
    )
    assert suspended.status_code == 200, suspended.text
    # The deadline falls after the suspension: standing is decided as of that instant (SPEC 4.2).
    move_deadline(session, cid, from_now=timedelta(0))
    opened = client.post(f"/competitions/{cid}/open", headers=cw.officer).json()
    assert (opened["eligible"], opened["ineligible"]) == (1, 1)
    listed = {x["bid_id"]: x for x in client.get(f"/competitions/{cid}/bids", headers=cw.officer).json()}
    entry = listed[bad_receipt["bid_id"]]
    assert entry["state"] == "ineligible"
    assert entry["lines"] is None
    assert "suspended until" in entry["ineligibility_reason"]
    assert "verovelkaa" in entry["ineligibility_reason"]
    # Its content was never decrypted: no plaintext lines exist for it.
    lines = session.execute(
        text("SELECT count(*) FROM bid_line WHERE bid_id = :id"), {"id": bad_receipt["bid_id"]}
    )
    assert lines.scalar_one() == 0
    own = client.get(f"/bids/{bad_receipt['bid_id']}", headers=bad.headers).json()
    assert (own["state"], own["lines"], own["sealed"]) == ("ineligible", None, True)


def test_cancelled_before_opening_never_reveals_bids(client: TestClient[Litestar], session: Session) -> None:
    cw = publish_competition(client, session, bidders=2)
    cid = cw.competition_id
    receipt = client.post(f"/competitions/{cid}/bids", json=bid_body(), headers=cw.bidders[0].headers).json()
    cancelled = client.post(
        f"/competitions/{cid}/cancel", json={"reason": "Määrärahat peruttiin."}, headers=cw.officer
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    # Invitees see the cancellation and its reason in their inbox.
    inbox = client.get("/inbox", headers=cw.bidders[1].headers).json()
    assert (inbox[0]["competition"]["state"], inbox[0]["competition"]["cancel_reason"]) == (
        "cancelled",
        "Määrärahat peruttiin.",
    )
    move_deadline(session, cid, from_now=timedelta(seconds=-1))  # the clock passes the deadline
    assert client.post(f"/competitions/{cid}/open", headers=cw.officer).status_code == 409
    refused = client.get(f"/competitions/{cid}/bids", headers=cw.officer)
    assert refused.status_code == 403
    assert "cancelled before opening" in refused.json()["detail"]
    assert client.get(f"/bids/{receipt['bid_id']}", headers=cw.officer).status_code == 404
    # The key that could open the bids is gone for good.
    key = session.execute(
        text("SELECT wrapped_private_key, destroyed_at FROM competition_key WHERE competition_id = :id"),
        {"id": cid},
    ).one()
    assert key.wrapped_private_key is None
    assert key.destroyed_at is not None
    assert count(session, "bid_line") == 0
